"""ltvkit.spark on a real local Spark (local[2]) against the single-machine functions."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import ltvkit
from ltvkit import spark as ls

sys.path.insert(0, str(Path(__file__).parent))
from cluster_cases import (
    FIT_FLAT_REL,
    METRICS,
    REL,
    frames_equal_exact,
    params_close,
    synthetic_log,
    weighted_reference,
)

END = "1997-09-30"


@pytest.fixture(scope="module")
def spark():
    os.environ["PYSPARK_PYTHON"] = sys.executable  # the executors' Python must have ltvkit
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("ltvkit-tests")
        .config("spark.driver.memory", "1g")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("FATAL")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def cdnow():
    log = ltvkit.datasets.load_cdnow()
    log["date"] = log["date"].dt.date
    return log


@pytest.fixture(scope="module")
def cdnow_spark(spark, cdnow):
    # 7 input partitions in the input's order: a customer's rows are in several of them
    return spark.createDataFrame(cdnow).repartition(7)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    log = synthetic_log()
    assert len(log) >= 1_000_000
    folder = tmp_path_factory.mktemp("log")
    table = pa.Table.from_pandas(log, preserve_index=False)
    for i, start in enumerate(range(0, len(log), len(log) // 12 + 1)):
        pq.write_table(table.slice(start, len(log) // 12 + 1), folder / f"part-{i:02d}.parquet")
    return log, str(folder)


def _by_customer(df) -> pd.DataFrame:
    return df.toPandas().set_index("customer_id").sort_index()


def test_rfm_summary_equals_single_machine_on_cdnow(cdnow, cdnow_spark):
    got = ls.rfm_summary(
        cdnow_spark, amount="amount", period="7D", observation_end=END, future="drop"
    )
    want = ltvkit.rfm_summary(
        cdnow, amount="amount", period="7D", observation_end=END, future="drop"
    )
    frames_equal_exact(_by_customer(got), want)
    # observation_end by default: the last date of the whole log, found across partitions
    frames_equal_exact(
        _by_customer(ls.rfm_summary(cdnow_spark, period="W")), ltvkit.rfm_summary(cdnow, period="W")
    )


def test_calibration_holdout_equals_single_machine_on_cdnow(cdnow, cdnow_spark):
    got = ls.calibration_holdout(cdnow_spark, calibration_end="1997-09-30", amount="amount")
    want = ltvkit.calibration_holdout(cdnow, calibration_end="1997-09-30", amount="amount")
    frames_equal_exact(_by_customer(got), want)


@pytest.mark.parametrize("metric", METRICS)
def test_cohort_table_equals_single_machine_on_cdnow(cdnow, cdnow_spark, metric):
    got = ls.cohort_table(cdnow_spark, metric=metric, amount="amount").toPandas()
    want = ltvkit.cohort_table(pa.Table.from_pandas(cdnow), metric=metric, amount="amount")
    exact = metric in ("customers", "retention")
    pd.testing.assert_frame_equal(got, want.to_pandas(), check_exact=exact, rtol=REL)


def test_historical_ltv_equals_single_machine_on_cdnow(cdnow, cdnow_spark):
    for kwargs in ({}, {"horizon": 3, "period": "W"}):
        got = ls.historical_ltv(cdnow_spark, **kwargs).toPandas()
        want = ltvkit.historical_ltv(pa.Table.from_pandas(cdnow), **kwargs).to_pandas()
        pd.testing.assert_frame_equal(got, want, rtol=REL)


def test_fit_predict_clv_equal_single_machine_on_cdnow(cdnow, cdnow_spark):
    summary = ls.rfm_summary(
        cdnow_spark, amount="amount", period="7D", observation_end=END, future="drop"
    )
    local = ltvkit.rfm_summary(
        cdnow, amount="amount", period="7D", observation_end=END, future="drop"
    )
    bg = ls.fit(ltvkit.BetaGeoModel, summary, unit="week")
    bg_local = ltvkit.BetaGeoModel.fit(local)
    params_close(bg.params, bg_local.params)
    # and the published estimates (Fader, Hardie & Lee 2005, p. 281)
    want = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert {k: round(v, 3) for k, v in bg.params.items()} == want
    assert bg.n_customers == 2357
    for cls in (ltvkit.ParetoNBDModel, ltvkit.ModifiedBetaGeoModel):
        params_close(ls.fit(cls, summary).params, cls.fit(local).params)
    gg = ls.fit(ltvkit.GammaGammaModel, summary.where("frequency > 0"))
    gg_local = ltvkit.GammaGammaModel.fit(local[local["frequency"] > 0])
    params_close(gg.params, gg_local.params)

    scored = _by_customer(ls.predict(bg, summary, t=10.0))
    f, r, t = (local[c].to_numpy() for c in ("frequency", "recency", "T"))
    np.testing.assert_allclose(scored["p_alive"], bg.p_alive(f, r, t), rtol=REL)
    np.testing.assert_allclose(
        scored["expected_purchases"], bg.conditional_expected_purchases(10.0, f, r, t), rtol=REL
    )
    spend = _by_customer(ls.predict(gg, summary))
    m = local["monetary_value"].to_numpy()
    np.testing.assert_allclose(
        spend["expected_spend"], gg.conditional_expected_spend(f, m), rtol=REL
    )
    clv = _by_customer(
        ls.customer_lifetime_value(bg, gg, summary, horizon=12, unit="month", discount_rate=0.01)
    )
    want_clv = ltvkit.customer_lifetime_value(
        bg, gg, local, horizon=12, unit="month", discount_rate=0.01
    )
    np.testing.assert_allclose(clv["clv"], want_clv["clv"], rtol=REL)


ROWS = "spark.sql.execution.arrow.maxRecordsPerBatch"
BYTES = "spark.sql.execution.arrow.maxBytesPerBatch"


def _arrow_confs(spark) -> tuple[str | None, str | None]:
    return spark.conf.get(ROWS, None), spark.conf.get(BYTES, None)  # None: not set


def test_arrow_settings_of_ltvkit_jobs(spark):
    assert _arrow_confs(spark) == (None, None)
    # unset (Spark's defaults 10,000 rows, 64 MiB): no byte check, 100,000-row batches
    assert ls._arrow_settings(spark.conf) == {BYTES: "2147483647", ROWS: "100000"}
    with ls._large_batches(spark):
        assert _arrow_confs(spark) == ("100000", "2147483647")
    assert _arrow_confs(spark) == (None, None)
    try:
        # the user's byte limit is kept; fewer rows than ltvkit's are raised, more are kept
        spark.conf.set(BYTES, "1m")
        spark.conf.set(ROWS, "37")
        assert ls._arrow_settings(spark.conf) == {ROWS: "100000"}
        spark.conf.set(ROWS, "500000")
        assert ls._arrow_settings(spark.conf) == {}
        spark.conf.set(ROWS, "0")  # no limit
        assert ls._arrow_settings(spark.conf) == {}
        spark.conf.set(ROWS, "37")
        inside = []

        def failing_job() -> None:
            with ls._large_batches(spark):
                inside.append(_arrow_confs(spark))
                raise ZeroDivisionError

        with pytest.raises(ZeroDivisionError):
            failing_job()
        assert inside == [("100000", "1m")]
        assert _arrow_confs(spark) == ("37", "1m")
    finally:
        spark.conf.unset(ROWS)
        spark.conf.unset(BYTES)


def test_arrow_settings_are_restored_and_do_not_change_results(spark, cdnow, cdnow_spark):
    want = ltvkit.rfm_summary(cdnow, amount="amount", observation_end=END, future="drop")
    for user in ({}, {ROWS: "37", BYTES: "1k"}):  # unset; tiny batches set by the user
        try:
            for key, value in user.items():
                spark.conf.set(key, value)
            got = ls.rfm_summary(cdnow_spark, amount="amount", observation_end=END, future="drop")
            frames_equal_exact(_by_customer(got), want)
            got.unpersist()
            # an executor error inside ltvkit's job (rows after END) restores them too
            with pytest.raises(ltvkit.InvalidDataError, match="after observation_end"):
                ls.rfm_summary(cdnow_spark, observation_end=END)
            assert _arrow_confs(spark) == (user.get(ROWS), user.get(BYTES))
        finally:
            for key in user:
                spark.conf.unset(key)


def test_million_rows_over_many_partitions(spark, big):
    log, folder = big
    df = spark.read.parquet(folder)  # 12 files; every customer's rows are spread over them
    assert df.rdd.getNumPartitions() > 1
    summary = ls.rfm_summary(df, amount="amount", partitions=8)
    local = ltvkit.rfm_summary(log, amount="amount")
    frames_equal_exact(_by_customer(summary), local)

    got = ls.cohort_table(df, metric="revenue", amount="amount", segment="channel").toPandas()
    want = ltvkit.cohort_table(
        pa.Table.from_pandas(log), metric="revenue", amount="amount", segment="channel"
    ).to_pandas()
    pd.testing.assert_frame_equal(got, want, rtol=REL)

    bg = ls.fit(ltvkit.BetaGeoModel, summary)
    params_close(bg.params, ltvkit.BetaGeoModel.fit(local).params)
    # refunds can leave a repeat buyer a mean spend <= 0, which Gamma-Gamma rejects
    positive = summary.where("frequency > 0 AND monetary_value > 0")
    buyers = local[(local["frequency"] > 0) & (local["monetary_value"] > 0)]
    gg = ls.fit(ltvkit.GammaGammaModel, positive)
    cols = ["frequency", "monetary_value"]
    params_close(gg.params, weighted_reference(ltvkit.GammaGammaModel, buyers, cols).params)
    params_close(gg.params, ltvkit.GammaGammaModel.fit(buyers).params, rel=FIT_FLAT_REL)
    clv = _by_customer(
        ls.customer_lifetime_value(
            bg, gg, positive, horizon=12, unit="month", discount_rate=0.01, data_unit="day"
        )
    )
    want_clv = ltvkit.customer_lifetime_value(
        bg, gg, buyers, horizon=12, unit="month", discount_rate=0.01, data_unit="day"
    )
    np.testing.assert_allclose(clv["clv"], want_clv["clv"], rtol=REL)
    summary.unpersist()


def test_bad_row_in_an_executor_is_the_typed_error(spark, cdnow):
    bad = cdnow.copy()
    bad["amount"] = bad["amount"].astype(object)
    bad.loc[100, "amount"] = None
    df = spark.createDataFrame(bad.astype({"amount": float})).repartition(3)
    with pytest.raises(ltvkit.InvalidDataError) as info:
        ls.rfm_summary(df, amount="amount")
    err = info.value
    assert err.column == "amount"
    assert err.value == "null"
    assert isinstance(err.row, int)
    assert isinstance(err.partition, int)
    assert "partition" in str(err)
    assert "LTVKIT-ERROR" not in str(err)

    text = spark.createDataFrame(
        pd.DataFrame({"customer_id": [1, 1, 2], "date": ["2020-01-01", "2020-13-45", "2020-02-01"]})
    )
    with pytest.raises(ltvkit.InvalidDataError) as info:
        ls.rfm_summary(text)
    assert info.value.column == "date"
    assert "2020-13-45" in str(info.value.value)
    # with observation_end given the bad text is found in the executor, with its row
    with pytest.raises(ltvkit.InvalidDataError) as info:
        ls.rfm_summary(text, observation_end="2020-12-31")
    assert info.value.column == "date"
    assert info.value.row is not None


def test_bad_options_and_columns_raise_on_the_driver(cdnow_spark):
    with pytest.raises(ltvkit.InvalidInputError):
        ls.rfm_summary(cdnow_spark, period="fortnight")
    with pytest.raises(ltvkit.InvalidDataError) as info:
        ls.rfm_summary(cdnow_spark, amount="price")
    assert info.value.column == "price"
    with pytest.raises(ltvkit.InvalidInputError):
        ls.cohort_table(cdnow_spark, metric="revenue")
    with pytest.raises(ltvkit.InvalidInputError):
        ls.fit(ltvkit.ShiftedBetaGeoModel, cdnow_spark)


def test_importing_the_cluster_modules_imports_neither_spark_nor_dask():
    import subprocess

    code = (
        "import sys, ltvkit, ltvkit.spark, ltvkit.dask; "
        "print([m for m in ('pyspark', 'dask', 'pandas', 'pyarrow') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
