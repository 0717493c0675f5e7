"""Issue 5's "Done when" list, class by class: JSON and pickle round trips of fitted models,
degenerate data (a fit with finite parameters or a ConvergenceError, never NaN), `weights=`
equal to repeated rows, `penalizer=` against an independent scipy fit of the same penalised
objective, P(X(t) = n) against the model's own mean, and invariants under hypothesis.

Expected values come from: scipy.optimize on a numpy log-likelihood written here from FHL 2005
eq. (6) (the penaliser test), the definition of a probability mass function (sums to 1, its
mean is E[X(t)]), and the models' definitions (repeated rows = integer weights).
"""

from __future__ import annotations

import math
import pathlib
import pickle
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ltvkit
from ltvkit import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    ShiftedBetaGeoModel,
)

DATA = pathlib.Path(__file__).parent / "data"
# scipy's L-BFGS-B on numerical gradients stops within a few 1e-4 of the optimum in the
# parameters (a flat direction in a and b); the objective values are compared exactly.
SCIPY_REL_TOL = 1e-3


def _sim_rfm(cls: Any, params: tuple[float, ...]) -> dict[str, Any]:
    return dict(cls(*params).simulate(1500, 40.0, seed=11))


def _fitted() -> list[Any]:
    bg = _sim_rfm(BetaGeoModel, (0.5, 6.0, 0.9, 3.0))
    spend = GammaGammaModel(6.0, 4.0, 15.0).simulate_spend(np.maximum(bg["frequency"], 1.0), seed=2)
    donors = BetaGeoBetaBinomModel(1.2, 0.75, 0.66, 2.8).simulate(800, 6, seed=4)
    return [
        BetaGeoModel.fit(bg, unit="week"),
        ModifiedBetaGeoModel.fit(_sim_rfm(ModifiedBetaGeoModel, (0.5, 6.0, 0.9, 3.0))),
        ParetoNBDModel.fit(_sim_rfm(ParetoNBDModel, (0.55, 10.0, 0.6, 11.0)), unit="day"),
        BetaGeoBetaBinomModel.fit(donors, unit="year"),
        GammaGammaModel.fit(frequency=np.maximum(bg["frequency"], 1.0), monetary_value=spend),
        ShiftedBetaGeoModel.fit([1000, 631, 468, 382, 326, 289, 262, 241], unit="year"),
    ]


@pytest.mark.parametrize("model", _fitted(), ids=lambda m: type(m).__name__)
def test_fitted_json_and_pickle_round_trips_for_every_class(model: Any) -> None:
    cls = type(model)
    assert model.log_likelihood is not None
    for back in (cls.from_json(model.to_json()), pickle.loads(pickle.dumps(model))):
        assert back == model
        assert back.params == model.params
        assert back.log_likelihood == model.log_likelihood
        assert back.standard_errors == model.standard_errors
        assert back.covariance == model.covariance
        assert back.unit == model.unit
        assert back.n_customers == model.n_customers
        assert back.n_iterations == model.n_iterations
        assert back.converged == model.converged
        assert back.summary() == model.summary()
    if cls is GammaGammaModel:
        # the independence check of spend and frequency survives saving
        assert model.spend_frequency_correlation is not None
        assert cls.from_json(model.to_json()).spend_frequency_correlation == (
            model.spend_frequency_correlation
        )


def _assert_fit_or_convergence_error(fit: Any) -> None:
    """A degenerate fit gives finite positive parameters and a finite log-likelihood, or a
    ConvergenceError (a RuntimeError) carrying finite last parameters: never NaN."""
    error: ltvkit.ConvergenceError | None = None
    try:
        m = fit()
    except ltvkit.ConvergenceError as err:
        error = err
    if error is not None:
        assert isinstance(error, RuntimeError)
        assert error.iterations >= 0
        # "r=0.072565, alpha=0.000000, ..."
        values = [float(item.split("=")[1]) for item in error.last_params.split(", ")]
        assert values
        assert all(math.isfinite(v) for v in values)
        return
    assert all(math.isfinite(v) and v > 0 for v in m.params.values())
    assert m.log_likelihood is not None
    assert math.isfinite(m.log_likelihood)
    assert m.converged is True


RFM_CASES = {
    "one_time_buyers": {"frequency": [0] * 30, "recency": [0] * 30, "T": [20] * 30},
    "single_customer": {"frequency": [3], "recency": [10], "T": [20]},
    "huge_frequencies": {"frequency": [1e6, 2e6, 0], "recency": [30, 39, 0], "T": [39, 39, 39]},
}


@pytest.mark.parametrize("case", sorted(RFM_CASES))
@pytest.mark.parametrize("cls", [BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel])
def test_degenerate_rfm_data_fit_or_convergence_error(cls: Any, case: str) -> None:
    _assert_fit_or_convergence_error(lambda: cls.fit(**RFM_CASES[case]))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"frequency": [0] * 20, "recency": [0] * 20, "periods": [6] * 20},
        {"frequency": [2], "recency": [4], "periods": [6]},
        {"frequency": [6, 6, 6], "recency": [6, 6, 6], "periods": [6, 6, 6]},
        {"frequency": [900, 0], "recency": [1000, 0], "periods": [1000, 1000]},
    ],
    ids=["never_again", "single_customer", "every_period", "huge_frequency"],
)
def test_degenerate_bg_bb_data_fit_or_convergence_error(kwargs: dict[str, Any]) -> None:
    _assert_fit_or_convergence_error(lambda: BetaGeoBetaBinomModel.fit(**kwargs))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"frequency": [3], "monetary_value": [10.0]},
        {"frequency": [1e6, 2e6, 3], "monetary_value": [10.0, 12.0, 11.0]},
        {"frequency": [1] * 50, "monetary_value": [20.0] * 50},
    ],
    ids=["single_customer", "huge_frequencies", "identical_spend"],
)
def test_degenerate_gamma_gamma_data_fit_or_convergence_error(kwargs: dict[str, Any]) -> None:
    _assert_fit_or_convergence_error(lambda: GammaGammaModel.fit(**kwargs))


def test_gamma_gamma_without_repeat_buyers_is_invalid_data() -> None:
    with pytest.raises(ltvkit.InvalidDataError, match="repeat buyer"):
        GammaGammaModel.fit(frequency=[0, 0], monetary_value=[0.0, 0.0])


@pytest.mark.parametrize(
    "survivors", [[1000, 1000, 1000], [1000, 0], [1, 1], [1000, 999, 998, 997]]
)
def test_degenerate_sbg_data_fit_or_convergence_error(survivors: list[int]) -> None:
    _assert_fit_or_convergence_error(lambda: ShiftedBetaGeoModel.fit(survivors))


def test_weights_equal_repeated_rows_for_every_model() -> None:
    rng = np.random.default_rng(5)
    w = rng.integers(1, 4, size=400)
    for cls, truth in (
        (ModifiedBetaGeoModel, (0.5, 6.0, 0.9, 3.0)),
        (ParetoNBDModel, (0.55, 10.0, 0.6, 11.0)),
    ):
        sim = cls(*truth).simulate(400, 40.0, seed=8)
        x, tx, t = (np.asarray(sim[c]) for c in ("frequency", "recency", "T"))
        rep = {c: np.repeat(v, w) for c, v in (("frequency", x), ("recency", tx), ("T", t))}
        weighted = cls.fit(frequency=x, recency=tx, T=t, weights=w)
        repeated = cls.fit(**rep)
        for k, v in repeated.params.items():
            assert weighted.params[k] == pytest.approx(v, rel=1e-5)
        assert weighted.log_likelihood == pytest.approx(repeated.log_likelihood, rel=1e-9)
        assert weighted.n_customers == len(rep["frequency"])
    fx = rng.integers(1, 10, size=400).astype(float)
    m = GammaGammaModel(6.0, 4.0, 15.0).simulate_spend(fx, seed=3)
    weighted = GammaGammaModel.fit(frequency=fx, monetary_value=m, weights=w)
    repeated = GammaGammaModel.fit(frequency=np.repeat(fx, w), monetary_value=np.repeat(m, w))
    for k, v in repeated.params.items():
        assert weighted.params[k] == pytest.approx(v, rel=1e-5)
    d = BetaGeoBetaBinomModel(1.2, 0.75, 0.66, 2.8).simulate(400, 6, seed=4)
    dx, dr, dn = (np.asarray(d[c]) for c in ("frequency", "recency", "periods"))
    weighted = BetaGeoBetaBinomModel.fit(frequency=dx, recency=dr, periods=dn, weights=w)
    repeated = BetaGeoBetaBinomModel.fit(
        frequency=np.repeat(dx, w), recency=np.repeat(dr, w), periods=np.repeat(dn, w)
    )
    for k, v in repeated.params.items():
        assert weighted.params[k] == pytest.approx(v, rel=1e-5)


def test_penalizer_matches_scipy_on_the_same_penalised_objective() -> None:
    """-LL/N + penalizer * sum(p_k^2) (lifetimes' penalty) minimised by scipy on FHL 2005
    eq. (6) written here in numpy, on CDNOW."""
    from scipy.optimize import minimize
    from scipy.special import gammaln

    raw = np.genfromtxt(DATA / "cdnow_summary_monetary.csv", delimiter=",", names=True)
    x, tx, t = (np.asarray(raw[c], dtype=float) for c in ("x", "t_x", "T"))
    lam = 0.1

    def objective(theta: np.ndarray) -> float:
        r, alpha, a, b = np.exp(theta)
        a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
        a3 = -(r + x) * np.log(alpha + t)
        with np.errstate(divide="ignore", invalid="ignore"):
            a4 = np.where(
                x > 0, np.log(a) - np.log(b + x - 1) - (r + x) * np.log(alpha + tx), -np.inf
            )
        ll = np.mean(a1 + a2 + np.logaddexp(a3, a4))
        return float(-ll + lam * np.sum(np.exp(2 * theta)))

    res = minimize(
        objective, np.zeros(4), method="L-BFGS-B", options={"ftol": 1e-15, "gtol": 1e-10}
    )
    want = np.exp(res.x)
    got = BetaGeoModel.fit(frequency=x, recency=tx, T=t, penalizer=lam, tolerance=1e-12)
    assert list(got.params.values()) == pytest.approx(list(want), rel=SCIPY_REL_TOL)
    # ltvkit's optimum is at least as good as scipy's on the objective written here
    assert objective(np.log(list(got.params.values()))) <= res.fun + 1e-12
    plain = BetaGeoModel.fit(frequency=x, recency=tx, T=t)
    # the penalty shrinks the parameters and costs likelihood
    assert sum(v * v for v in got.params.values()) < sum(v * v for v in plain.params.values())
    assert got.log_likelihood < plain.log_likelihood
    with pytest.raises(ltvkit.InvalidInputError):
        BetaGeoModel.fit(frequency=x, recency=tx, T=t, penalizer=-1.0)


def test_summary_has_one_row_per_parameter_with_intervals() -> None:
    m = ShiftedBetaGeoModel.fit([1000, 631, 468, 382, 326, 289, 262, 241])
    table = m.summary()
    assert table["parameter"] == ["gamma", "delta"]
    se = m.standard_errors
    assert se is not None
    ci = m.confidence_intervals(0.95)
    for i, name in enumerate(table["parameter"]):
        assert table["estimate"][i] == m.params[name]
        assert table["std_error"][i] == se[name]
        # Wald interval on the log scale: estimate * exp(-+ 1.959964 SE / estimate)
        est = m.params[name]
        lo, hi = (est * math.exp(s * 1.959964 * se[name] / est) for s in (-1, 1))
        assert table["lower_95"][i] == pytest.approx(lo, rel=1e-6)
        assert table["upper_95"][i] == pytest.approx(hi, rel=1e-6)
        assert ci[name] == pytest.approx((lo, hi), rel=1e-6)


POSITIVE = st.floats(min_value=0.05, max_value=10.0)


@settings(max_examples=40, deadline=None)
@given(
    r=POSITIVE,
    alpha=st.floats(min_value=0.1, max_value=50.0),
    a=POSITIVE,
    b=POSITIVE,
    x=st.integers(min_value=0, max_value=100),
    frac=st.floats(min_value=0.0, max_value=1.0),
    big_t=st.floats(min_value=0.5, max_value=300.0),
)
def test_mbg_nbd_invariants(r, alpha, a, b, x, frac, big_t) -> None:
    m = ModifiedBetaGeoModel(r, alpha, a, b)
    tx = frac * big_t if x > 0 else 0.0
    p = float(m.p_alive(float(x), tx, big_t))
    assert 0.0 <= p <= 1.0
    ts = [0.0, 1.0, 10.0, 100.0]
    e = [float(m.conditional_expected_purchases(t, float(x), tx, big_t)) for t in ts]
    assert e[0] == 0.0
    assert all(math.isfinite(v) and v >= 0.0 for v in e)
    assert all(e[i + 1] >= e[i] - 1e-9 * (1 + e[i]) for i in range(len(e) - 1))


@settings(max_examples=25, deadline=None)
@given(
    r=st.floats(min_value=0.2, max_value=5.0),
    alpha=st.floats(min_value=1.0, max_value=20.0),
    a=st.floats(min_value=1.2, max_value=5.0),
    b=st.floats(min_value=0.5, max_value=5.0),
    t=st.floats(min_value=0.5, max_value=10.0),
    cls=st.sampled_from([BetaGeoModel, ModifiedBetaGeoModel]),
)
def test_probability_of_purchases_is_a_distribution_with_the_model_mean(
    r, alpha, a, b, t, cls
) -> None:
    """P(X(t) = n) (FHL 2005 eq. 8; Batislam et al. 2007 for MBG) sums to 1 and its mean is
    E[X(t)] (eq. 9), computed by a different formula (the 2F1 closed form)."""
    m = cls(r, alpha, a, b)
    n = np.arange(0, 400, dtype=float)
    pmf = np.asarray(m.probability_of_purchases(n, t), dtype=float)
    assert np.all(pmf >= 0.0)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-8)
    assert float((n * pmf).sum()) == pytest.approx(float(m.expected_purchases(t)), rel=1e-7)


@settings(max_examples=25, deadline=None)
@given(
    alpha=st.floats(min_value=0.2, max_value=5.0),
    beta=st.floats(min_value=0.2, max_value=5.0),
    gamma=st.floats(min_value=0.2, max_value=5.0),
    delta=st.floats(min_value=0.2, max_value=5.0),
    n=st.integers(min_value=1, max_value=30),
)
def test_bg_bb_probability_of_purchases_is_a_distribution_with_the_model_mean(
    alpha, beta, gamma, delta, n
) -> None:
    m = BetaGeoBetaBinomModel(alpha, beta, gamma, delta)
    xs = np.arange(0, n + 1, dtype=float)
    pmf = np.asarray(m.probability_of_purchases(xs, float(n)), dtype=float)
    assert np.all(pmf >= 0.0)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-9)
    assert float((xs * pmf).sum()) == pytest.approx(float(m.expected_purchases(n)), rel=1e-8)
