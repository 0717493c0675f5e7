"""rfm_summary and calibration_holdout: equality with lifetimes 0.11.3 on CDNOW, input kinds,
the bad-input policy, and a property test against a plain-Python reference."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ltvkit
from ltvkit import _core, transactions
from ltvkit.datasets import load_cdnow
from ltvkit.transactions import calibration_holdout, metadata, rfm_summary

DATA = Path(__file__).parent / "data"

# lifetimes' freq / freq_multiplier for each of our periods
# (tests/data/make_lifetimes_reference_summaries.py)
UNITS = ["D", "W", "D7"]
PERIOD = {"D": "D", "W": "W", "D7": "7D"}


def read_reference(name: str) -> dict[str, list[float]]:
    """A CSV of make_lifetimes_reference_summaries.py (17 significant digits: exact doubles)."""
    with (DATA / name).open(newline="") as f:
        rows = list(csv.DictReader(f))
    return {k: [float(r[k]) for r in rows] for k in rows[0]}


def columns_of(df: pd.DataFrame) -> dict[str, list[float]]:
    out = {"customer_id": [float(i) for i in df.index]}
    out.update({c: [float(v) for v in df[c]] for c in df.columns})
    return out


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow()


# --- 1. lifetimes equality on the CDNOW sample -------------------------------------------


@pytest.mark.parametrize("unit", UNITS)
def test_rfm_summary_equals_lifetimes_0_11_3_on_cdnow(cdnow: pd.DataFrame, unit: str) -> None:
    expected = read_reference(f"lifetimes_summary_{unit}.csv")
    got = rfm_summary(cdnow, amount="amount", period=PERIOD[unit])
    # to the last bit: == on doubles
    assert columns_of(got) == expected
    assert metadata(got)["observation_end"] == "1998-06-30"


@pytest.mark.parametrize("unit", UNITS)
def test_rfm_summary_without_amounts_equals_lifetimes_at_calibration_end(
    cdnow: pd.DataFrame, unit: str
) -> None:
    expected = read_reference(f"lifetimes_summary_{unit}_to_1997-09-30.csv")
    got = rfm_summary(cdnow, observation_end="1997-09-30", future="drop", period=PERIOD[unit])
    assert list(got.columns) == ["frequency", "recency", "T"]
    assert columns_of(got) == expected
    # rows after the period of 1997-09-30 dropped and counted: 6919 rows in all. 1997-09-30 is
    # a Tuesday, and lifetimes keeps its whole week (to Sunday 1997-10-05) with freq="W".
    last_observed = {"D": "1997-09-30", "W": "1997-10-05", "D7": "1997-09-30"}[unit]
    report = metadata(got)["report"]
    kept = int((cdnow["date"] <= last_observed).sum())
    assert report["future_rows_dropped"] == 6919 - kept
    assert report["rows_used"] == kept


@pytest.mark.parametrize("unit", UNITS)
def test_calibration_holdout_equals_lifetimes_0_11_3_on_cdnow(
    cdnow: pd.DataFrame, unit: str
) -> None:
    expected = read_reference(f"lifetimes_calibration_holdout_{unit}.csv")
    got = calibration_holdout(
        cdnow,
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        amount="amount",
        period=PERIOD[unit],
    )
    assert list(got.columns) == [k for k in expected if k != "customer_id"]
    assert columns_of(got) == expected


# BTYD (R) computes m_x with R's own summation; the values agree to rounding of a few ulps.
BTYD_REL_TOL = 1e-12


def test_rfm_summary_matches_btyd_cdnow_summary(cdnow: pd.DataFrame) -> None:
    """BTYD 2.4.3's cdnowSummary (x, t_x, T.cal in days/7, m.x): an independent source."""
    ref = read_reference("cdnow_summary_btyd.csv")
    got = rfm_summary(
        cdnow, amount="amount", period="7D", observation_end="1997-09-30", future="drop"
    )
    assert [float(i) for i in got.index] == ref["customer_id"]
    assert got["frequency"].tolist() == ref["x"]
    assert got["recency"].tolist() == pytest.approx(ref["t_x"], rel=BTYD_REL_TOL)
    assert got["T"].tolist() == pytest.approx(ref["T_cal"], rel=BTYD_REL_TOL)
    assert got["monetary_value"].tolist() == pytest.approx(ref["m_x"], rel=BTYD_REL_TOL)
    # the data README: 1,411 customers with x = 0, x adds up to 2,457
    assert int((got["frequency"] == 0).sum()) == 1411
    assert got["frequency"].sum() == 2457


# --- 2. input kinds ------------------------------------------------------------------------


class CapsuleOnly:
    """An object exposing only the Arrow PyCapsule stream interface."""

    def __init__(self, table: pa.Table) -> None:
        self._table = table

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        return self._table.__arrow_c_stream__(requested_schema)


def as_dict(result: Any) -> dict[str, list[Any]]:
    if isinstance(result, pd.DataFrame):
        result = pa.Table.from_pandas(result.reset_index(), preserve_index=False)
    if isinstance(result, pl.DataFrame):
        return {c: result[c].to_list() for c in result.columns}
    return {c: result.column(c).to_pylist() for c in result.column_names}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("logs")
    table = load_cdnow("pyarrow")
    pq.write_table(table, tmp / "log.parquet")
    parts = tmp / "parts"
    parts.mkdir()
    for i, start in enumerate(range(0, table.num_rows, 2000)):
        pq.write_table(table.slice(start, 2000), parts / f"part-{i}.parquet")
    shutil_csv = Path(str(ltvkit.datasets.path("cdnow_transactions.csv")))
    return {
        "pandas": load_cdnow("pandas"),
        "polars": load_cdnow("polars"),
        "pyarrow": table,
        "reader": pa.RecordBatchReader.from_batches(table.schema, table.to_batches(1000)),
        "capsule": CapsuleOnly(table),
        "csv_path": shutil_csv,
        "parquet_path": tmp / "log.parquet",
        "parquet_dir": str(parts),
    }


KINDS = [
    "pandas",
    "polars",
    "pyarrow",
    "reader",
    "capsule",
    "csv_path",
    "parquet_path",
    "parquet_dir",
]


@pytest.mark.parametrize("kind", KINDS)
def test_every_input_kind_gives_the_same_summary(inputs: dict[str, Any], kind: str) -> None:
    expected = read_reference("lifetimes_summary_W.csv")
    got = rfm_summary(inputs[kind], amount="amount", period="W")
    want_type = {"pandas": pd.DataFrame, "polars": pl.DataFrame}.get(kind, pa.Table)
    assert isinstance(got, want_type)
    cols = as_dict(got)
    assert {k: [float(v) for v in vals] for k, vals in cols.items()} == expected
    assert metadata(got)["period"] == "W"
    assert metadata(got)["report"]["rows_read"] == 6919


def test_parquet_directory_with_files_of_other_types_and_column_order(tmp_path: Path) -> None:
    # the files of a directory are read one by one: a later file with narrower types, its
    # columns in another order and an extra column is cast to the first file's schema
    expected = read_reference("lifetimes_summary_W.csv")
    table = load_cdnow("pyarrow")
    half = table.num_rows // 2
    pq.write_table(table.slice(0, half), tmp_path / "a.parquet")
    rest = table.slice(half)
    other = pa.table(
        {
            "note": pa.array(["x"] * rest.num_rows),
            "amount": rest.column("amount"),
            "date": rest.column("date"),
            "customer_id": rest.column("customer_id").cast(pa.int32()),
        }
    )
    pq.write_table(other, tmp_path / "b.parquet")
    got = rfm_summary(tmp_path, amount="amount", period="W")
    assert got.schema.field("customer_id").type == table.schema.field("customer_id").type
    cols = as_dict(got)
    assert {k: [float(v) for v in vals] for k, vals in cols.items()} == expected
    assert metadata(got)["report"]["rows_read"] == 6919


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow", "parquet_dir"])
def test_every_input_kind_gives_the_same_calibration_holdout(
    inputs: dict[str, Any], kind: str
) -> None:
    expected = read_reference("lifetimes_calibration_holdout_D.csv")
    got = calibration_holdout(inputs[kind], calibration_end=dt.date(1997, 9, 30), amount="amount")
    cols = as_dict(got)
    assert {k: [float(v) for v in vals] for k, vals in cols.items()} == expected


def test_text_ids_string_views_and_unsorted_input(cdnow: pd.DataFrame) -> None:
    expected = read_reference("lifetimes_summary_D.csv")
    shuffled = cdnow.sample(frac=1.0, random_state=7)
    got = rfm_summary(shuffled, amount="amount")
    assert columns_of(got) == expected
    # text ids (polars gives Utf8View): sorted as text, same values per customer
    log = pl.from_pandas(shuffled).with_columns(pl.col("customer_id").cast(pl.String))
    text = rfm_summary(log, amount="amount")
    by_id = {int(k): v for k, v in zip(text["customer_id"], text["frequency"])}
    assert [by_id[int(i)] for i in expected["customer_id"]] == expected["frequency"]
    assert text["customer_id"].to_list() == sorted(text["customer_id"].to_list())


# --- 3. bad input ---------------------------------------------------------------------------


def small(**cols: Any) -> pd.DataFrame:
    base = {
        "customer_id": [1, 1, 2, 2],
        "date": ["2020-01-01", "2020-01-03", "2020-01-02", "2020-01-05"],
        "amount": [10.0, 20.0, 5.0, 7.0],
    }
    base.update(cols)
    return pd.DataFrame(base)


@pytest.mark.parametrize(
    ("column", "values", "row", "value"),
    [
        ("customer_id", [1, None, 2, 2], 1, "null"),
        ("date", ["2020-01-01", "2020-01-03", None, "2020-01-05"], 2, "null"),
        ("date", ["2020-01-01", "2020-01-03", "2020-02-30", "2020-01-05"], 2, '"2020-02-30"'),
        ("date", ["2020-01-01", "01/03/2020", "2020-01-02", "2020-01-05"], 1, '"01/03/2020"'),
        # pandas' NaN is its missing value: Arrow reads it as null
        ("amount", [10.0, 20.0, 5.0, float("nan")], 3, "null"),
        ("amount", [10.0, float("inf"), 5.0, 1.0], 1, "inf"),
        ("amount", [10.0, None, 5.0, 1.0], 1, "null"),
        ("customer_id", [1, 2.5, 2, 2], 1, "2.5"),
    ],
)
def test_bad_rows_raise_invalid_data_error_naming_column_row_value(
    column: str, values: list[Any], row: int, value: str
) -> None:
    log = small(**{column: values})
    with pytest.raises(ltvkit.InvalidDataError) as err:
        rfm_summary(log, amount="amount")
    assert isinstance(err.value, ValueError)
    assert isinstance(err.value, ltvkit.LtvError)
    assert (err.value.column, err.value.row, err.value.value) == (column, row, value)
    assert f"{column}: row {row} is {value}" in str(err.value)


def test_nan_amount_in_arrow_is_named_nan() -> None:
    log = pa.table(
        {
            "customer_id": [1, 2, 3],
            "date": ["2020-01-01", "2020-01-02", "2020-01-03"],
            "amount": pa.array([1.0, float("nan"), 2.0]),
        }
    )
    with pytest.raises(ltvkit.InvalidDataError, match="amount: row 1 is NaN") as err:
        rfm_summary(log, amount="amount")
    assert err.value.value == "NaN"


def test_bad_row_number_counts_over_batches() -> None:
    t = pa.table(
        {
            "customer_id": [1, 2, 3, 4, 5],
            "date": ["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-04", "bad"],
        }
    )
    reader = pa.RecordBatchReader.from_batches(t.schema, t.to_batches(max_chunksize=2))
    with pytest.raises(ltvkit.InvalidDataError) as err:
        rfm_summary(reader)
    assert err.value.row == 4


def test_missing_column_is_named() -> None:
    with pytest.raises(ltvkit.InvalidDataError, match="'when'") as err:
        rfm_summary(small(), date="when")
    assert err.value.column == "when"


def test_paths_that_are_not_logs_raise_typed_errors(tmp_path: Path, monkeypatch) -> None:
    missing = tmp_path / "nope.parquet"
    with pytest.raises(ltvkit.MissingFileError, match="no such file") as err:
        rfm_summary(missing)
    # also the builtin class code already catches
    assert isinstance(err.value, FileNotFoundError)
    assert isinstance(err.value, ltvkit.LtvError)
    assert str(missing) in str(err.value)
    # an empty path is not the working directory
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt.bak").write_text("not a log")
    for empty in ("", "  "):
        with pytest.raises(ltvkit.InvalidInputError, match="empty path"):
            rfm_summary(empty)
    # a file that is neither CSV nor Parquet, and a directory without Parquet files
    bogus = tmp_path / "log.bin"
    bogus.write_text("customer_id,date\n1,2020-01-01\n")
    with pytest.raises(ltvkit.InvalidDataError, match=r"cannot read the file .*log\.bin"):
        rfm_summary(bogus)
    with pytest.raises(ltvkit.InvalidDataError, match="cannot read the directory"):
        rfm_summary(tmp_path)
    # historical_ltv of one string that is not a number reads it as a log's path
    with pytest.raises(ltvkit.MissingFileError):
        ltvkit.historical_ltv("x")


def test_future_rows_raise_or_are_dropped_and_counted() -> None:
    log = small()
    with pytest.raises(ltvkit.InvalidDataError, match='future="drop"') as err:
        rfm_summary(log, amount="amount", observation_end="2020-01-03")
    assert (err.value.column, err.value.row) == ("date", 3)
    got = rfm_summary(log, amount="amount", observation_end="2020-01-03", future="drop")
    assert metadata(got)["report"]["future_rows_dropped"] == 1
    # customer 2: only 2020-01-02 left: x = 0, T = 1 day
    assert got.loc[2].tolist() == [0.0, 0.0, 1.0, 0.0]


def test_refund_policies() -> None:
    # customer 1: 10 on Jan 1, 20 and -5 on Jan 3, -4 alone on Jan 4; customer 2 as in small()
    log = small(
        customer_id=[1, 1, 1, 1, 2, 2],
        date=["2020-01-01", "2020-01-03", "2020-01-03", "2020-01-04", "2020-01-02", "2020-01-05"],
        amount=[10.0, 20.0, -5.0, -4.0, 5.0, 7.0],
    )
    net = rfm_summary(log, amount="amount")
    # hand: customer 1 purchases Jan 1 and Jan 3 (20 - 5 = 15); Jan 4 is refunds only
    assert net.loc[1].tolist() == [1.0, 2.0, 4.0, 15.0]
    report = metadata(net)["report"]
    assert (report["refund_rows_netted"], report["refund_rows_unmatched"]) == (1, 1)
    assert (report["rows_read"], report["rows_used"]) == (6, 5)
    dropped = rfm_summary(log, amount="amount", refunds="drop")
    assert dropped.loc[1].tolist() == [1.0, 2.0, 4.0, 20.0]
    assert metadata(dropped)["report"]["refund_rows_dropped"] == 2
    with pytest.raises(ltvkit.InvalidDataError) as err:
        rfm_summary(log, amount="amount", refunds="error")
    assert (err.value.column, err.value.row, err.value.value) == ("amount", 2, "-5")


def test_bad_options_raise_invalid_input_error() -> None:
    for kwargs in ({"period": "Q"}, {"future": "keep"}, {"refunds": "ignore"}):
        with pytest.raises(ltvkit.InvalidInputError):
            rfm_summary(small(), **kwargs)
    with pytest.raises(ltvkit.InvalidInputError, match="observation_end"):
        rfm_summary(small(), observation_end="soon")
    with pytest.raises(ltvkit.InvalidInputError, match="calibration_end"):
        calibration_holdout(small(), calibration_end="2020-01-09")


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow"])
def test_empty_input_gives_empty_result_with_columns(kind: str) -> None:
    empty = pa.table(
        {
            "customer_id": pa.array([], pa.int64()),
            "date": pa.array([], pa.date32()),
            "amount": pa.array([], pa.float64()),
        }
    )
    log = {"pandas": empty.to_pandas(), "polars": pl.from_arrow(empty), "pyarrow": empty}[kind]
    got = rfm_summary(log, amount="amount")
    assert len(got) == 0
    names = list(got.columns) if kind != "pyarrow" else got.column_names
    want = ["frequency", "recency", "T", "monetary_value"]
    assert names == (want if kind == "pandas" else ["customer_id", *want])


def test_time_zones_are_honoured() -> None:
    # 2020-01-02 03:00 UTC is 2020-01-01 22:00 in New York: the local date is Jan 1
    ts = pd.to_datetime(["2020-01-02 03:00", "2020-01-10 12:00"], utc=True)
    ny = pd.DataFrame({"customer_id": [1, 1], "date": ts.tz_convert("America/New_York")})
    utc = pd.DataFrame({"customer_id": [1, 1], "date": ts})
    assert rfm_summary(ny).loc[1].tolist() == [1.0, 9.0, 9.0]
    assert rfm_summary(utc).loc[1].tolist() == [1.0, 8.0, 8.0]


# --- 4. property test against a plain-Python reference ---------------------------------------

REF_REL_TOL = 1e-12  # the reference sums with math.fsum, the core with Kahan: same to ~1 ulp


def reference_summary(
    rows: list[tuple[int, dt.date, float]], period: str, end: dt.date
) -> dict[int, tuple[float, float, float, float]]:
    """lifetimes' rules written out plainly, with refunds netted per customer-period."""

    def index(d: dt.date) -> int:
        if period == "W":
            return (d.toordinal() - d.weekday()) // 7
        if period == "M":
            return d.year * 12 + d.month - 1
        return d.toordinal()

    scale = 7.0 if period == "7D" else 1.0
    periods: dict[int, dict[int, list[float]]] = {}
    for c, d, a in rows:
        periods.setdefault(c, {}).setdefault(index(d), []).append(a)
    out = {}
    for c, per in periods.items():
        bought = sorted(p for p, amounts in per.items() if any(a >= 0 for a in amounts))
        if not bought:
            continue
        totals = [math.fsum(per[p]) for p in bought[1:]]
        out[c] = (
            float(len(bought) - 1),
            (bought[-1] - bought[0]) / scale,
            (index(end) - bought[0]) / scale,
            math.fsum(totals) / len(totals) if totals else 0.0,
        )
    return out


rows_strategy = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=12),
        st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2020, 12, 31)),
        st.one_of(
            st.integers(min_value=0, max_value=50_000).map(lambda c: c / 100),
            st.integers(min_value=-5_000, max_value=-1).map(lambda c: c / 100),
        ),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(
    rows=rows_strategy,
    period=st.sampled_from(["D", "W", "M", "7D"]),
    date_ordered=st.booleans(),
)
def test_rfm_summary_matches_plain_python_reference(
    rows: list[tuple[int, dt.date, float]], period: str, date_ordered: bool
) -> None:
    # a log in date order takes the one-pass path, one in random order the sorted path
    if date_ordered:
        rows = sorted(rows, key=lambda r: r[1])
    end = dt.date(2020, 12, 31)
    log = pa.table(
        {
            "customer_id": pa.array([r[0] for r in rows], pa.int64()),
            "date": pa.array([r[1] for r in rows], pa.date32()),
            "amount": pa.array([r[2] for r in rows], pa.float64()),
        }
    )
    got = rfm_summary(log, amount="amount", period=period, observation_end=end)
    want = reference_summary(rows, period, end)
    ids = got.column("customer_id").to_pylist()
    assert ids == sorted(want)
    for name, k in (("frequency", 0), ("recency", 1), ("T", 2)):
        assert got.column(name).to_pylist() == [want[i][k] for i in ids]
    np.testing.assert_allclose(
        got.column("monetary_value").to_numpy(),
        np.array([want[i][3] for i in ids], dtype=float),
        rtol=REF_REL_TOL,
        atol=1e-9,
    )


def _arrow_log(rows: list[tuple[int, dt.date, float]]) -> pa.Table:
    return pa.table(
        {
            "customer_id": pa.array([r[0] for r in rows], pa.int64()),
            "date": pa.array([r[1] for r in rows], pa.date32()),
            "amount": pa.array([r[2] for r in rows], pa.float64()),
        }
    )


@settings(max_examples=150, deadline=None)
@given(
    rows=rows_strategy,
    period=st.sampled_from(["D", "W", "M", "7D"]),
    end=st.one_of(
        st.none(), st.dates(min_value=dt.date(2019, 6, 1), max_value=dt.date(2021, 1, 1))
    ),
    refunds=st.sampled_from(["net", "drop"]),
)
def test_one_pass_and_sorted_paths_agree_to_the_bit(
    rows: list[tuple[int, dt.date, float]], period: str, end: dt.date | None, refunds: str
) -> None:
    """The one-pass path (rows in date order) gives the sorted path's bits and report."""
    log = _arrow_log(sorted(rows, key=lambda r: r[1]))
    args = ("customer_id", "date", "amount", period, end, "drop", refunds)
    try:
        sorted_path = _core.rfm_summary(log, *args)
    except ltvkit.LtvError as err:  # observation_end before some first purchase
        with pytest.raises(type(err), match=re.escape(str(err))):
            _core.rfm_summary_one_pass(log, *args)
        return
    one_pass = _core.rfm_summary_one_pass(log, *args)
    assert one_pass is not None
    assert pa.table(one_pass[0]).equals(pa.table(sorted_path[0]))
    assert json.loads(one_pass[1]) == json.loads(sorted_path[1])
    # the ids numbered by their offset from the smallest, as with Parquet statistics
    ids = [r[0] for r in rows] or [0]
    direct = _core.rfm_summary_one_pass(
        log, *args, rows_hint=len(rows), id_range=(min(ids), max(ids))
    )
    assert direct is not None
    assert pa.table(direct[0]).equals(pa.table(sorted_path[0]))
    assert json.loads(direct[1]) == json.loads(sorted_path[1])


def test_parquet_statistics_give_the_id_range_or_none(tmp_path: Path) -> None:
    rows = [(7, dt.date(2020, 1, 2), 4.0), (3, dt.date(2020, 1, 5), 10.0)]
    log = _arrow_log(rows)
    pq.write_table(log, tmp_path / "a.parquet")
    assert transactions._id_range(tmp_path / "a.parquet", "customer_id") == (3, 7)
    # a directory: the range over its files
    (tmp_path / "d").mkdir()
    pq.write_table(log, tmp_path / "d" / "x.parquet")
    more = _arrow_log([(12, dt.date(2020, 2, 1), 1.0)])
    pq.write_table(more, tmp_path / "d" / "y.parquet")
    assert transactions._id_range(tmp_path / "d", "customer_id") == (3, 12)
    # no statistics, text ids, other inputs: no range (the ids are then looked up)
    pq.write_table(log, tmp_path / "bare.parquet", write_statistics=False)
    assert transactions._id_range(tmp_path / "bare.parquet", "customer_id") is None
    text = log.set_column(0, "customer_id", pa.array(["g", "c"]))
    pq.write_table(text, tmp_path / "text.parquet")
    assert transactions._id_range(tmp_path / "text.parquet", "customer_id") is None
    assert transactions._id_range(log, "customer_id") is None
    # and the summary from the file equals that from the table
    assert rfm_summary(tmp_path / "a.parquet", amount="amount").equals(
        rfm_summary(log, amount="amount")
    )


def test_an_id_outside_the_stated_range_falls_back_to_the_sorted_path() -> None:
    rows = [(3, dt.date(2020, 1, 2), 4.0), (9, dt.date(2020, 1, 5), 10.0)]
    args = ("customer_id", "date", "amount", "D", None, "raise", "net")
    # statistics that leave out id 9: the one pass gives up rather than misnumber it
    out = _core.rfm_summary_one_pass(_arrow_log(rows), *args, rows_hint=2, id_range=(3, 8))
    assert out is None
    good = _core.rfm_summary_one_pass(_arrow_log(rows), *args, rows_hint=2, id_range=(3, 9))
    assert good is not None
    assert pa.table(good[0]).column("customer_id").to_pylist() == [3, 9]


def test_a_log_out_of_date_order_falls_back_to_the_sorted_path() -> None:
    rows = [(1, dt.date(2020, 1, 5), 10.0), (1, dt.date(2020, 1, 2), 4.0)]
    args = ("customer_id", "date", "amount", "D", None, "raise", "net")
    assert _core.rfm_summary_one_pass(_arrow_log(rows), *args) is None
    # and rfm_summary gives the right answer anyway: the 2nd is the repeat purchase
    got = rfm_summary(_arrow_log(rows), amount="amount")
    assert got.column("frequency").to_pylist() == [1.0]
    assert got.column("recency").to_pylist() == [3.0]
    assert got.column("monetary_value").to_pylist() == [10.0]


# --- Parquet files read in Rust -------------------------------------------------------------


def _random_log(n: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    days = np.sort(rng.integers(18_000, 18_400, size=n)).astype(np.int32)
    cents = rng.integers(-2_000, 50_000, size=n)
    return pa.table(
        {
            "customer_id": pa.array(rng.integers(1, n // 3, size=n), pa.int64()),
            "date": pa.array(days, pa.date32()),
            "amount": pa.array(cents / 100, pa.float64()),
        }
    )


@pytest.mark.parametrize("shuffled", [False, True])
@pytest.mark.parametrize("period", ["D", "W", "M"])
def test_parquet_read_in_rust_equals_the_same_log_read_by_pyarrow(
    tmp_path: Path, shuffled: bool, period: str
) -> None:
    # in date order the Rust reader's one pass runs, shuffled its sorted path (a second read
    # of the files); either way the result and the report are those of the pyarrow route
    log = _random_log(30_000, seed=7)
    if shuffled:
        log = log.take(np.random.default_rng(1).permutation(log.num_rows))
    (tmp_path / "d").mkdir()
    pq.write_table(log, tmp_path / "log.parquet", row_group_size=4_000)
    for i, start in enumerate(range(0, log.num_rows, 7_000)):
        pq.write_table(log.slice(start, 7_000), tmp_path / "d" / f"part-{i}.parquet")
    via_pyarrow = rfm_summary(
        pa.RecordBatchReader.from_batches(log.schema, log.to_batches(5_000)),
        amount="amount",
        period=period,
    )
    assert metadata(via_pyarrow)["report"]["refund_rows_netted"] > 0
    args = ("customer_id", "date", "amount", period, None, "raise", "net")
    for path in (tmp_path / "log.parquet", tmp_path / "d"):
        got = rfm_summary(path, amount="amount", period=period)
        assert got.equals(via_pyarrow)
        assert metadata(got) == metadata(via_pyarrow)
        files = transactions._local_parquet_files(path)
        assert files is not None
        status, _ = _core.rfm_summary_parquet(files, *args)
        assert status == "done"


def test_parquet_the_rust_reader_leaves_to_pyarrow(tmp_path: Path) -> None:
    # dictionary-encoded ids (read back as a dictionary type) and a decimal amount column
    log = _random_log(2_000, seed=3)
    want = rfm_summary(log, amount="amount")
    odd = log.set_column(0, "customer_id", log.column("customer_id").dictionary_encode())
    odd = odd.set_column(2, "amount", log.column("amount").cast(pa.decimal128(12, 2)))
    pq.write_table(odd, tmp_path / "odd.parquet")
    args = ("customer_id", "date", "amount", "D", None, "raise", "net")
    assert _core.rfm_summary_parquet([str(tmp_path / "odd.parquet")], *args) == ("pyarrow", None)
    got = rfm_summary(tmp_path / "odd.parquet", amount="amount")
    assert got.column("frequency").equals(want.column("frequency"))
    assert got.column("monetary_value").equals(want.column("monetary_value"))
    # files whose columns come in other orders: also pyarrow's (it casts them to the first)
    (tmp_path / "d").mkdir()
    pq.write_table(log.slice(0, 1_000), tmp_path / "d" / "a.parquet")
    pq.write_table(
        log.slice(1_000).select(["amount", "date", "customer_id"]), tmp_path / "d" / "b.parquet"
    )
    files = transactions._local_parquet_files(tmp_path / "d")
    assert _core.rfm_summary_parquet(files, *args) == ("pyarrow", None)
    assert rfm_summary(tmp_path / "d", amount="amount").equals(want)


def test_parquet_a_corrupt_page_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "log.parquet"
    pq.write_table(_random_log(3_000, seed=5), path, compression="none")
    data = bytearray(path.read_bytes())
    # the footer is intact (the file opens), the first data pages are not
    data[4:400] = b"\xff" * 396
    path.write_bytes(bytes(data))
    with pytest.raises(ltvkit.InvalidDataError, match=r"log\.parquet") as err:
        rfm_summary(path, amount="amount")
    assert isinstance(err.value, ltvkit.LtvError)


def test_parquet_bad_rows_name_the_row_over_files(tmp_path: Path) -> None:
    # the row numbers of a directory's files run on from file to file, as with pyarrow
    log = _random_log(3_000, seed=9)
    amounts = log.column("amount").to_numpy().copy()
    amounts[2_500] = np.nan
    bad = log.set_column(2, "amount", pa.array(amounts, pa.float64(), from_pandas=False))
    (tmp_path / "d").mkdir()
    pq.write_table(bad.slice(0, 2_000), tmp_path / "d" / "a.parquet")
    pq.write_table(bad.slice(2_000), tmp_path / "d" / "b.parquet")
    with pytest.raises(ltvkit.InvalidDataError, match="amount: row 2500 is NaN") as err:
        rfm_summary(tmp_path / "d", amount="amount")
    assert (err.value.column, err.value.row) == ("amount", 2500)
