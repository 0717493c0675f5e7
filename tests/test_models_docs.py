"""Every public prediction method of every model says, in its docstring, the formula it computes
and the paper (with an equation, note, section or appendix) it comes from (issue 5)."""

from __future__ import annotations

import re

import pytest

import ltvkit

# The prediction methods of each model class. A public method that is neither listed here nor
# in NOT_PREDICTIONS fails test_every_public_method_is_classified, so that a new prediction
# cannot skip the docstring check.
PREDICTIONS = {
    "BetaGeoModel": [
        "expected_purchases",
        "conditional_expected_purchases",
        "p_alive",
        "probability_of_purchases",
    ],
    "ModifiedBetaGeoModel": [
        "expected_purchases",
        "conditional_expected_purchases",
        "p_alive",
        "probability_of_purchases",
    ],
    "ParetoNBDModel": [
        "expected_purchases",
        "conditional_expected_purchases",
        "p_alive",
        "probability_of_purchases",
        "dert",
    ],
    "BetaGeoBetaBinomModel": [
        "expected_purchases",
        "conditional_expected_purchases",
        "p_alive",
        "probability_of_purchases",
        "dert",
    ],
    "GammaGammaModel": ["conditional_expected_spend", "population_mean_spend"],
    "ShiftedBetaGeoModel": [
        "survival",
        "churn_probability",
        "retention_rate",
        "expected_lifetime",
        "discounted_expected_lifetime",
        "discounted_expected_residual_lifetime",
    ],
}

# Fitting, parameters, diagnostics, serialisation and simulation: not predictions.
NOT_PREDICTIONS = {
    "fit",
    "params",
    "log_likelihood",
    "standard_errors",
    "covariance",
    "confidence_intervals",
    "aic",
    "bic",
    "n_customers",
    "n_iterations",
    "converged",
    "unit",
    "summary",
    "to_json",
    "from_json",
    "simulate",
    "simulate_transactions",
    "simulate_spend",
    "spend_frequency_correlation",
}

# An author of the papers the models come from (or the abbreviations the docs use for them),
# then a year; a locator; and a formula: an inline literal with an operator or function in it.
PAPER = re.compile(
    r"\b(Fader|Hardie|Schmittlein|Batislam|FHL|FHS|SMC|BDF)\b[^`]{0,120}?\b(19[89]\d|20[0-2]\d)\b"
)
LOCATOR = re.compile(r"\beq\. ?\d+|\bnote 0\d\d\b|\bsection\b|\bAppendix\b", re.IGNORECASE)
FORMULA = re.compile(r"``[^`]*(=|/|\^|2F1|\bB\(|\bG\()[^`]*``")


def _cases() -> list[tuple[str, str]]:
    return [(cls, meth) for cls, meths in PREDICTIONS.items() for meth in meths]


@pytest.mark.parametrize(("cls", "meth"), _cases())
def test_prediction_docstring_names_formula_and_paper(cls: str, meth: str) -> None:
    doc = getattr(getattr(ltvkit, cls), meth).__doc__ or ""
    assert PAPER.search(doc), f"{cls}.{meth}: no paper (author and year) in {doc!r}"
    assert LOCATOR.search(doc), f"{cls}.{meth}: no equation, note or section in {doc!r}"
    assert FORMULA.search(doc), f"{cls}.{meth}: no ``formula`` in {doc!r}"


def test_customer_lifetime_value_docstring_names_formula_and_paper() -> None:
    doc = ltvkit.customer_lifetime_value.__doc__ or ""
    assert PAPER.search(doc), doc
    assert LOCATOR.search(doc), doc
    assert FORMULA.search(doc), doc


@pytest.mark.parametrize("cls", sorted(PREDICTIONS))
def test_every_public_method_is_classified(cls: str) -> None:
    public = {a for a in dir(getattr(ltvkit, cls)) if not a.startswith("_")}
    unknown = public - set(PREDICTIONS[cls]) - NOT_PREDICTIONS
    assert not unknown, f"{cls}: classify {sorted(unknown)} in PREDICTIONS or NOT_PREDICTIONS"
    missing = set(PREDICTIONS[cls]) - public
    assert not missing, f"{cls}: no method {sorted(missing)}"


def test_the_check_fails_on_a_docstring_without_a_paper() -> None:
    # the patterns themselves: a formula alone, or a paper alone, is not enough
    formula_only = "Survival ``S(t) = B(gamma, delta+t)/B(gamma, delta)``."
    paper_only = "Survival (Fader & Hardie 2007, eq. 5)."
    assert not PAPER.search(formula_only)
    assert not FORMULA.search(paper_only)
