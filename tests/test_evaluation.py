"""ltvkit.evaluate: holdout errors, decile table and tracking series.

References: a hand calculation written here, and numpy recomputations (np.abs/np.sqrt/np.mean,
a stable argsort and np.array_split for the deciles) on the CDNOW calibration/holdout split of
Fader, Hardie & Lee (2005): calibration to 1997-09-30, holdout to 1998-06-30, 7-day periods
(the papers' weeks).
"""

from __future__ import annotations

import numpy as np
import pytest

import ltvkit
from ltvkit import BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel, evaluate

# Sums of a few thousand doubles in a different order.
SUM_REL_TOL = 1e-12


class _NotAModel:
    """Any object that is not a transaction model."""


def test_hand_computed_example() -> None:
    m = BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426)
    frame = {
        "frequency_cal": [2.0, 0.0, 5.0],
        "recency_cal": [30.43, 0.0, 35.0],
        "T_cal": [38.86, 38.86, 38.0],
        "frequency_holdout": [1.0, 0.0, 4.0],
        "duration_holdout": [39.0, 39.0, 20.0],
    }
    e = evaluate(m, frame)
    p1 = m.conditional_expected_purchases(39.0, 2.0, 30.43, 38.86)
    p2 = m.conditional_expected_purchases(39.0, 0.0, 0.0, 38.86)
    p3 = m.conditional_expected_purchases(20.0, 5.0, 35.0, 38.0)
    # FHL 2005 print 1.226 for customer 1's expected purchases over 39 weeks.
    assert p1 == pytest.approx(1.226, abs=5e-4)
    err = [p1 - 1.0, p2 - 0.0, p3 - 4.0]
    assert e.mae == pytest.approx((abs(err[0]) + abs(err[1]) + abs(err[2])) / 3, rel=1e-14)
    assert e.rmse == pytest.approx(((err[0] ** 2 + err[1] ** 2 + err[2] ** 2) / 3) ** 0.5)
    assert e.bias == pytest.approx((err[0] + err[1] + err[2]) / 3, rel=1e-14)
    assert e.n_customers == 3
    assert e.total_actual == 5.0
    # Three customers: three one-customer groups, highest prediction (customer 3) first.
    order = sorted(range(3), key=lambda i: -[p1, p2, p3][i])
    assert e.deciles["decile"] == [1, 2, 3]
    assert e.deciles["n_customers"] == [1, 1, 1]
    assert e.deciles["mean_actual"] == [[1.0, 0.0, 4.0][i] for i in order]
    # Tracking: time 1..39, customer 3's horizon capped at 20.
    assert list(e.tracking["time"]) == [float(k) for k in range(1, 40)]
    k = 25
    want = (
        m.conditional_expected_purchases(k, 2.0, 30.43, 38.86)
        + m.conditional_expected_purchases(k, 0.0, 0.0, 38.86)
        + m.conditional_expected_purchases(20.0, 5.0, 35.0, 38.0)
    )
    assert e.tracking["expected_cumulative"][k - 1] == pytest.approx(want, rel=1e-14)
    assert e.tracking["expected_cumulative"][-1] == pytest.approx(p1 + p2 + p3, rel=1e-14)


@pytest.fixture(scope="module")
def cdnow_split():
    log = ltvkit.datasets.load_cdnow()
    return ltvkit.calibration_holdout(
        log, calibration_end="1997-09-30", observation_end="1998-06-30", period="7D"
    )


@pytest.mark.parametrize("model_class", [BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel])
def test_cdnow_against_numpy(cdnow_split, model_class) -> None:
    m = model_class.fit(cdnow_split, unit="week")
    e = evaluate(m, cdnow_split)
    x = cdnow_split["frequency_cal"].to_numpy()
    tx = cdnow_split["recency_cal"].to_numpy()
    t = cdnow_split["T_cal"].to_numpy()
    y = cdnow_split["frequency_holdout"].to_numpy()
    d = cdnow_split["duration_holdout"].to_numpy()
    pred = m.conditional_expected_purchases(d, x, tx, t)
    assert e.n_customers == 2357
    np.testing.assert_allclose(e.predictions["predicted"].to_numpy(), pred, rtol=1e-15)
    assert list(e.predictions.index) == list(cdnow_split.index)
    assert e.mae == pytest.approx(np.mean(np.abs(pred - y)), rel=SUM_REL_TOL)
    assert e.rmse == pytest.approx(np.sqrt(np.mean((pred - y) ** 2)), rel=SUM_REL_TOL)
    assert e.bias == pytest.approx(np.mean(pred - y), rel=SUM_REL_TOL)
    assert e.total_actual == y.sum()
    groups = np.array_split(np.argsort(-pred, kind="stable"), 10)
    np.testing.assert_array_equal(e.deciles["n_customers"], [len(g) for g in groups])
    np.testing.assert_allclose(
        e.deciles["mean_predicted"], [pred[g].mean() for g in groups], rtol=SUM_REL_TOL
    )
    np.testing.assert_allclose(
        e.deciles["mean_actual"], [y[g].mean() for g in groups], rtol=SUM_REL_TOL
    )
    for k in (1, 13, 39):
        want = m.conditional_expected_purchases(np.minimum(k, d), x, tx, t).sum()
        got = e.tracking["expected_cumulative"].to_numpy()[k - 1]
        assert got == pytest.approx(want, rel=SUM_REL_TOL)


def test_frame_kinds_are_kept(cdnow_split) -> None:
    import polars as pl
    import pyarrow as pa

    m = BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426)
    log = ltvkit.datasets.load_cdnow("polars")
    split = ltvkit.calibration_holdout(
        log, calibration_end="1997-09-30", observation_end="1998-06-30", period="7D"
    )
    e = evaluate(m, split)
    assert isinstance(e.deciles, pl.DataFrame)
    assert e.predictions.columns == ["customer_id", "predicted", "actual"]
    assert e.predictions["customer_id"].to_list() == split["customer_id"].to_list()
    table = split.to_arrow()
    ea = evaluate(m, table)
    assert isinstance(ea.tracking, pa.Table)
    assert ea.mae == e.mae
    ep = evaluate(m, cdnow_split)
    assert ep.mae == pytest.approx(e.mae, rel=1e-15)


def test_bad_input() -> None:
    m = BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426)
    frame = {
        "frequency_cal": [2.0, 0.0],
        "recency_cal": [30.0, 0.0],
        "T_cal": [38.0, 38.0],
        "frequency_holdout": [1.0, float("nan")],
        "duration_holdout": [39.0, 39.0],
    }
    with pytest.raises(ltvkit.InvalidDataError, match=r"frequency_holdout: row 1 is NaN"):
        evaluate(m, frame)
    del frame["duration_holdout"]
    with pytest.raises(ltvkit.InvalidDataError, match="duration_holdout"):
        evaluate(m, frame)
    frame["duration_holdout"] = [39.0, 39.0]
    frame["frequency_holdout"] = [1.0, 0.0]
    frame["recency_cal"] = [40.0, 0.0]  # recency after T
    with pytest.raises(ltvkit.InvalidDataError, match="row 0"):
        evaluate(m, frame)
    with pytest.raises(ltvkit.InvalidInputError, match="model must be"):
        evaluate(_NotAModel(), frame)
