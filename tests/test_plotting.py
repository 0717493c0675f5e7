"""ltvkit.plotting: the data on the axes, checked against values computed independently."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import ltvkit
from ltvkit import plotting

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def cdnow():
    """CDNOW calibration summary (39 weeks) and the BG/NBD of Fader, Hardie & Lee (2005)."""
    log = ltvkit.datasets.load_cdnow()
    summary = ltvkit.rfm_summary(
        log, amount="amount", period="7D", observation_end="1997-09-30", future="drop"
    )
    bg = ltvkit.BetaGeoModel.fit(summary)
    return log, summary, bg


def _ax():
    return plt.subplots()[1]


def test_frequency_recency_matrix_cells_are_the_models_conditional_expectations(cdnow):
    _, _, bg = cdnow
    ax = plotting.plot_frequency_recency_matrix(bg, t=10, max_frequency=4, max_recency=39, ax=_ax())
    z = ax.images[0].get_array()
    assert z.shape == (40, 5)
    for r, x in [(0, 0), (10, 1), (39, 4), (20, 2)]:
        want = float(bg.conditional_expected_purchases(10.0, float(x), float(r), 39.0))
        assert z[r, x] == pytest.approx(want, rel=1e-12)
    # frequency 0 with recency > 0 cannot happen: the cell is masked, not invented
    assert bool(np.ma.getmaskarray(z)[5, 0])
    assert not np.ma.getmaskarray(z)[5, 1]


def test_probability_alive_matrix_is_one_without_repeat_purchases(cdnow):
    _, _, bg = cdnow
    ax = plotting.plot_probability_alive_matrix(bg, max_frequency=6, max_recency=39, ax=_ax())
    z = ax.images[0].get_array()
    # BG/NBD: a customer with no repeat purchase has never had a chance to drop out (FHL 2005)
    assert z[0, 0] == pytest.approx(1.0)
    want = float(bg.p_alive(3.0, 12.0, 39.0))
    assert z[12, 3] == pytest.approx(want, rel=1e-12)
    # P(alive) grows with recency at fixed frequency
    assert z[39, 3] > z[12, 3]


def test_period_transactions_actual_are_the_published_counts(cdnow):
    _, summary, bg = cdnow
    ax = plotting.plot_period_transactions(bg, summary, max_frequency=7, ax=_ax())
    actual = [p.get_height() for p in ax.containers[0]]
    model = [p.get_height() for p in ax.containers[1]]
    # FHL (2005), Figure 3: customers by repeat transactions in weeks 1-39, 7 = "7+"
    assert actual == [1411, 439, 214, 100, 62, 38, 29, 64]
    # the expectation: sum over customers of P(X(T_i) = k), one customer at a time
    for k in range(7):
        want = sum(float(bg.probability_of_purchases(float(k), float(t))) for t in summary["T"])
        assert model[k] == pytest.approx(want, rel=1e-9)
    assert sum(model) == pytest.approx(2357)


def test_period_transactions_needs_a_model_with_the_distribution(cdnow):
    _, summary, _ = cdnow
    gg = ltvkit.GammaGammaModel(p=6.25, q=3.74, gamma=15.44)
    with pytest.raises(ltvkit.InvalidInputError, match="probability_of_purchases"):
        plotting.plot_period_transactions(gg, summary, ax=_ax())


def test_calibration_vs_holdout_means_by_calibration_frequency(cdnow):
    log, _, bg = cdnow
    ch = ltvkit.calibration_holdout(log, calibration_end="1997-09-30", period="7D")
    ax = plotting.plot_calibration_purchases_vs_holdout_purchases(bg, ch, n=6, ax=_ax())
    actual, model = ax.lines[0], ax.lines[1]
    assert list(actual.get_xdata()) == [0, 1, 2, 3, 4, 5, 6]
    group = ch["frequency_cal"].clip(upper=6)
    want_actual = ch.groupby(group)["frequency_holdout"].mean()
    np.testing.assert_allclose(actual.get_ydata(), want_actual.to_numpy(), rtol=1e-12)
    pred = [
        float(
            bg.conditional_expected_purchases(
                r.duration_holdout, r.frequency_cal, r.recency_cal, r.T_cal
            )
        )
        for r in ch.itertuples()
    ]
    ch = ch.assign(pred=pred)
    want_model = ch.groupby(group)["pred"].mean()
    np.testing.assert_allclose(model.get_ydata(), want_model.to_numpy(), rtol=1e-9)
    # holdout repeat purchases in total: 1,882 (FHL 2005, section 5)
    assert ch["frequency_holdout"].sum() == 1882


def test_cumulative_transactions_at_calibration_end_is_the_sum_of_expectations(cdnow):
    _, summary, bg = cdnow
    observed = [0.0, 5.0, 17.0]
    ax = plotting.plot_cumulative_transactions(bg, summary, t=78, observed=observed, ax=_ax())
    model = ax.lines[0]
    assert len(model.get_xdata()) == 79
    y = model.get_ydata()
    # customer i joined max(T) - T_i weeks after the first; at week 39 they have been
    # observed T_i + 39 - max(T) weeks (at max(T), the end of calibration, exactly T_i)
    shift = 39 - summary["T"].max()
    want = sum(float(bg.expected_purchases(float(t + shift))) for t in summary["T"])
    assert y[39] == pytest.approx(want, rel=1e-9)
    assert y[0] == pytest.approx(0.0, abs=1e-12)
    assert np.all(np.diff(y) >= 0)
    assert list(ax.lines[1].get_ydata()) == observed
    # the expected calibration total is close to the 2,457 repeat purchases actually made
    assert want == pytest.approx(2457, rel=0.02)


def test_cohort_retention_heatmap_shows_the_table(cdnow):
    log = cdnow[0]
    table = ltvkit.cohort_table(log, metric="retention")
    ax = plotting.plot_cohort_retention(table, ax=_ax(), annotate=True)
    z = ax.images[0].get_array()
    ages = [c for c in table.columns if c != "customers"]
    np.testing.assert_array_equal(z.filled(np.nan), table[ages].to_numpy(dtype=float))
    assert list(z[:, 0]) == [1.0, 1.0, 1.0]  # everyone buys at age 0
    # hand count: January cohort customers buying in February 1997, over the cohort's size
    jan = log[log["date"].astype(str) < "1997-02-01"]["customer_id"].unique()
    feb = log[(log["date"].astype(str) >= "1997-02-01") & (log["date"].astype(str) < "1997-03-01")]
    want = len(set(feb["customer_id"]) & set(jan)) / len(jan)
    assert z[0, 1] == pytest.approx(want)


def test_retention_curves_against_the_sbg_closed_form():
    with (DATA / "sbg_retention_2007.csv").open() as f:
        rows = list(csv.DictReader(f))
    survivors = [float(r["regular"]) for r in rows]
    sbg = ltvkit.ShiftedBetaGeoModel.fit(survivors)
    ax = plotting.plot_retention_curves(survivors, model=sbg, ax=_ax())
    actual, model = ax.lines
    np.testing.assert_allclose(actual.get_ydata(), [s / 1000 for s in survivors])
    g, d = sbg.params["gamma"], sbg.params["delta"]
    # S(t) = prod_{i=1..t} (delta + i - 1) / (gamma + delta + i - 1)  (Fader & Hardie 2007, eq. 7)
    hand = [math.prod((d + i - 1) / (g + d + i - 1) for i in range(1, t + 1)) for t in range(8)]
    np.testing.assert_allclose(model.get_ydata(), hand, rtol=1e-10)
    assert g == pytest.approx(0.704, abs=1e-3)


def test_ltv_curves_end_at_the_cohorts_revenue_per_customer(cdnow):
    log = cdnow[0]
    table = ltvkit.cohort_table(log, metric="ltv", amount="amount")
    ax = plotting.plot_ltv_curves(table, ax=_ax())
    assert len(ax.lines) == 3
    jan_line = ax.lines[0].get_ydata()
    last = jan_line[~np.isnan(jan_line)][-1]
    first_day = log.groupby("customer_id")["date"].min().astype(str)
    jan = first_day[first_day < "1997-02-01"].index
    want = log[log["customer_id"].isin(jan)]["amount"].sum() / len(jan)
    assert last == pytest.approx(want, rel=1e-9)


def test_channel_bars_are_ltv_over_cac_by_hand():
    rows = ltvkit.channel_economics(ltvkit.datasets.load_channels("records"))
    ax = plotting.plot_channel_ltv_cac(rows, ax=_ax())
    heights = [p.get_height() for p in ax.patches]
    with ltvkit.datasets.path("channels.csv").open() as f:
        raw = list(csv.DictReader(f))
    for h, r in zip(heights, raw):
        cac = float(r["spend"]) / float(r["new_customers"])
        if r.get("ltv"):
            ltv = float(r["ltv"]) * float(r.get("gross_margin") or 1)
        else:
            ltv = (
                float(r["average_order_value"])
                * float(r["frequency"])
                * float(r["lifespan"])
                * float(r.get("gross_margin") or 1)
            )
        assert h == pytest.approx(ltv / cac)
    # the channel the bundled table is built around: 500 / 550
    names = [t.get_text() for t in ax.get_xticklabels()]
    assert heights[names.index("marketplace_ads")] == pytest.approx(500 / 550)
    assert ax.patches[names.index("marketplace_ads")].get_facecolor()[0] > 0.7  # red


def test_retention_curves_of_a_cohort_table_keep_its_ages(cdnow):
    table = ltvkit.cohort_table(cdnow[0], metric="retention").drop(columns=[0])
    ax = plotting.plot_retention_curves(table, ax=_ax())
    assert len(ax.lines) == 3
    line = ax.lines[1]
    assert line.get_xdata()[0] == 1.0
    ages = [c for c in table.columns if c != "customers"]
    np.testing.assert_array_equal(line.get_ydata(), table.iloc[1][ages].to_numpy(dtype=float))
