"""ltvkit.dask on a real Dask LocalCluster (2 worker processes) against one machine."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ltvkit
from ltvkit import dask as lk

sys.path.insert(0, str(Path(__file__).parent))
from cluster_cases import METRICS, REL, frames_equal_exact, params_close, synthetic_log

dd = pytest.importorskip("dask.dataframe")  # installed by the test extra: never skipped in CI
END = "1997-09-30"


@pytest.fixture(scope="module")
def client():
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        memory_limit="2GiB",
    )
    with Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def cdnow():
    return ltvkit.datasets.load_cdnow()


@pytest.fixture(scope="module")
def cdnow_dask(client, cdnow):
    # 5 partitions in the input's order: a customer's rows are in several of them
    return dd.from_pandas(cdnow, npartitions=5, sort=False)


def test_rfm_summary_and_calibration_equal_single_machine_on_cdnow(cdnow, cdnow_dask):
    got = lk.rfm_summary(
        cdnow_dask, amount="amount", period="7D", observation_end=END, future="drop", partitions=3
    )
    want = ltvkit.rfm_summary(
        cdnow, amount="amount", period="7D", observation_end=END, future="drop"
    )
    frames_equal_exact(got.compute().sort_index(), want)
    frames_equal_exact(
        lk.rfm_summary(cdnow_dask, period="M").compute().sort_index(),
        ltvkit.rfm_summary(cdnow, period="M"),
    )
    got = lk.calibration_holdout(cdnow_dask, calibration_end=END, amount="amount")
    want = ltvkit.calibration_holdout(cdnow, calibration_end=END, amount="amount")
    frames_equal_exact(got.compute().sort_index(), want)


def test_cohort_tables_and_historical_ltv_equal_single_machine_on_cdnow(cdnow, cdnow_dask):
    for metric in METRICS:
        got = lk.cohort_table(cdnow_dask, metric=metric, amount="amount")
        want = ltvkit.cohort_table(cdnow, metric=metric, amount="amount")
        exact = metric in ("customers", "retention")
        pd.testing.assert_frame_equal(got, want, check_exact=exact, rtol=REL)
    for kwargs in ({}, {"horizon": 3, "period": "W"}):
        got = lk.historical_ltv(cdnow_dask, **kwargs)
        pd.testing.assert_frame_equal(got, ltvkit.historical_ltv(cdnow, **kwargs), rtol=REL)


def test_fit_predict_clv_equal_single_machine_on_cdnow(cdnow, cdnow_dask):
    summary = lk.rfm_summary(
        cdnow_dask, amount="amount", period="7D", observation_end=END, future="drop"
    ).persist()
    local = ltvkit.rfm_summary(
        cdnow, amount="amount", period="7D", observation_end=END, future="drop"
    )
    bg = lk.fit(ltvkit.BetaGeoModel, summary, unit="week")
    params_close(bg.params, ltvkit.BetaGeoModel.fit(local).params)
    # the published estimates (Fader, Hardie & Lee 2005, p. 281)
    assert {k: round(v, 3) for k, v in bg.params.items()} == {
        "r": 0.243,
        "alpha": 4.414,
        "a": 0.793,
        "b": 2.426,
    }
    gg = lk.fit(ltvkit.GammaGammaModel, summary[summary["frequency"] > 0])
    params_close(gg.params, ltvkit.GammaGammaModel.fit(local[local["frequency"] > 0]).params)

    f, r, t = (local[c].to_numpy() for c in ("frequency", "recency", "T"))
    scored = lk.predict(bg, summary, t=10.0).compute().sort_index()
    np.testing.assert_allclose(scored["p_alive"], bg.p_alive(f, r, t), rtol=REL)
    np.testing.assert_allclose(
        scored["expected_purchases"], bg.conditional_expected_purchases(10.0, f, r, t), rtol=REL
    )
    clv = lk.customer_lifetime_value(
        bg, gg, summary, horizon=12, unit="month", discount_rate=0.01
    ).compute()
    want = ltvkit.customer_lifetime_value(
        bg, gg, local, horizon=12, unit="month", discount_rate=0.01
    )
    np.testing.assert_allclose(clv.sort_index()["clv"], want["clv"], rtol=REL)


def test_million_rows_over_many_partitions(client):
    log = synthetic_log()
    assert len(log) >= 1_000_000
    ddf = dd.from_pandas(log, npartitions=12, sort=False)  # customers spread over all 12
    summary = lk.rfm_summary(ddf, amount="amount", partitions=8).persist()
    local = ltvkit.rfm_summary(log, amount="amount")
    frames_equal_exact(summary.compute().sort_index(), local)
    got = lk.cohort_table(ddf, metric="ltv_multiple", amount="amount", segment="channel")
    want = ltvkit.cohort_table(log, metric="ltv_multiple", amount="amount", segment="channel")
    # (reset_index: pandas 3 cannot compare a MultiIndex approximately)
    pd.testing.assert_frame_equal(got.reset_index(), want.reset_index(), rtol=REL)
    got = lk.historical_ltv(ddf, by="channel")
    pd.testing.assert_frame_equal(got, ltvkit.historical_ltv(log, by="channel"), rtol=REL)
    bg = lk.fit(ltvkit.BetaGeoModel, summary)
    params_close(bg.params, ltvkit.BetaGeoModel.fit(local).params)


def test_bad_row_on_a_worker_is_the_typed_error(client, cdnow):
    bad = cdnow.copy()
    bad.loc[100, "amount"] = float("nan")
    with pytest.raises(ltvkit.InvalidDataError) as info:
        lk.rfm_summary(dd.from_pandas(bad, npartitions=3), amount="amount").compute()
    err = info.value
    assert err.column == "amount"
    assert isinstance(err.row, int)
    assert isinstance(err.partition, int)
    assert "partition" in str(err)
    with pytest.raises(ltvkit.InvalidInputError):
        lk.rfm_summary(dd.from_pandas(cdnow, npartitions=2), refunds="keep")
    with pytest.raises(ltvkit.InvalidDataError):
        lk.rfm_summary(dd.from_pandas(cdnow, npartitions=2), customer_id="id")
