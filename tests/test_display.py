"""Jupyter display: model tables (HTML and IPython text) and ltvkit.display for frames."""

from __future__ import annotations

import pickle

import pytest
from IPython.core.formatters import DisplayFormatter

import ltvkit
from ltvkit import _display


@pytest.fixture(scope="module")
def fitted():
    log = ltvkit.datasets.load_cdnow()
    summary = ltvkit.rfm_summary(
        log, amount="amount", period="7D", observation_end="1997-09-30", future="drop"
    )
    return summary, ltvkit.BetaGeoModel.fit(summary)


def test_model_html_shows_the_published_estimates_and_fit_statistics(fitted):
    _, bg = fitted
    page = bg._repr_html_()
    # Fader, Hardie & Lee (2005): r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4
    for text in (">0.2426<", ">4.4136<", ">0.7929<", ">2.4259<", "-9,582.43", "2,357"):
        assert text in page
    se = bg.standard_errors
    ci = bg.confidence_intervals(0.95)
    assert f">{se['alpha']:.4f}<" in page
    assert f"[{ci['r'][0]:.4f}, {ci['r'][1]:.4f}]" in page
    assert f"{bg.aic:,.2f}" in page
    assert f"{bg.bic:,.2f}" in page
    assert "converged <b>yes</b>" in page


def test_every_model_class_renders_html_and_text():
    models = [
        ltvkit.BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426),
        ltvkit.ModifiedBetaGeoModel(r=0.5, alpha=5.0, a=0.8, b=2.0),
        ltvkit.ParetoNBDModel(r=0.55, alpha=10.58, s=0.61, beta=11.67),
        ltvkit.BetaGeoBetaBinomModel(alpha=1.2, beta=0.75, gamma=0.66, delta=2.78),
        ltvkit.GammaGammaModel(p=6.25, q=3.74, gamma=15.44),
        ltvkit.ShiftedBetaGeoModel(gamma=0.704, delta=1.182),
    ]
    fmt = DisplayFormatter()
    for m in models:
        data, _ = fmt.format(m)
        assert data["text/html"] == m._repr_html_()
        assert type(m).__name__ in data["text/html"]
        assert "not fitted" in data["text/plain"]
        for name, value in m.params.items():
            assert f"{value:.4f}" in data["text/plain"]
            assert f"<code>{name}</code>" in data["text/html"]
        # the repr itself stays the one-line constructor form; pickling is untouched
        assert repr(m).startswith(type(m).__name__ + "(")
        assert pickle.loads(pickle.dumps(m)) == m


def test_text_view_of_a_fit_has_standard_errors_and_intervals(fitted):
    _, bg = fitted
    text = _display.model_text(bg)
    lines = text.splitlines()
    assert lines[0] == "BetaGeoModel (maximum likelihood, rates per week)"
    r_line = next(line for line in lines if line.startswith("r "))
    lo, hi = bg.confidence_intervals(0.95)["r"]
    assert f"{bg.standard_errors['r']:.4f}" in r_line
    assert f"[{lo:.4f}, {hi:.4f}]" in r_line
    assert "log-likelihood: -9,582.43" in lines[-1]


def test_display_adds_the_unit_and_bad_input_report(fitted):
    summary, _ = fitted
    view = ltvkit.display(summary, max_rows=5)
    page = view._repr_html_()
    # README: 1,959 rows after 1997-09-30 dropped by future="drop"
    assert "future rows dropped <b>1,959</b>" in page
    assert "period <b>7D</b>" in page
    assert page.count("<tr") == 1 + 5 + 1  # header, 5 rows, pandas' index-name row
    assert "rfm_summary" in repr(view)


def test_display_of_a_polars_and_arrow_result():
    log = ltvkit.datasets.load_cdnow()
    import polars as pl

    out = ltvkit.rfm_summary(pl.from_pandas(log), period="7D")
    assert "rows read <b>6,919</b>" in ltvkit.display(out)._repr_html_()
    import pyarrow as pa

    arrow = ltvkit.rfm_summary(pa.Table.from_pandas(log, preserve_index=False), period="7D")
    page = ltvkit.display(arrow, max_rows=3)._repr_html_()
    assert page.count("<tr>") == 1 + 3
    assert "rows used <b>6,919</b>" in page


def test_display_of_a_foreign_frame_is_a_typed_error():
    import pandas as pd

    with pytest.raises(ltvkit.InvalidInputError, match="no ltvkit metadata"):
        ltvkit.display(pd.DataFrame({"a": [1]}))
