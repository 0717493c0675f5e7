"""rfm_summary in bounded memory: a small ``memory_limit`` partitions the rows into temporary
files; the result must equal lifetimes 0.11.3 (the reference CSVs of
tests/data/make_lifetimes_reference_summaries.py) and the in-memory path, to the bit."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_transactions import PERIOD, UNITS, columns_of, read_reference

from ltvkit.datasets import load_cdnow
from ltvkit.exceptions import InvalidDataError, InvalidInputError
from ltvkit.transactions import metadata, rfm_summary

# 1 KiB: at most 16 rows held in memory, so every log here is spilled into many partitions
TINY = "1KiB"


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow()


def batches_of(table: pa.Table, size: int) -> pa.RecordBatchReader:
    """A stream of small batches (its length unknown to ltvkit: no row-count hint)."""
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=size))


@pytest.mark.parametrize("unit", UNITS)
def test_spilled_summary_equals_lifetimes_on_cdnow(cdnow: pd.DataFrame, unit: str) -> None:
    expected = read_reference(f"lifetimes_summary_{unit}.csv")
    got = rfm_summary(cdnow, amount="amount", period=PERIOD[unit], memory_limit=TINY)
    assert columns_of(got) == expected
    in_memory = rfm_summary(cdnow, amount="amount", period=PERIOD[unit])
    assert metadata(got)["report"] == metadata(in_memory)["report"]
    assert metadata(got)["observation_end"] == "1998-06-30"


def test_spilled_parquet_directory_equals_lifetimes(cdnow: pd.DataFrame, tmp_path: Path) -> None:
    # a directory of 3 Parquet files, read as a dataset (the row count comes from the footers)
    table = pa.Table.from_pandas(cdnow, preserve_index=False)
    step = -(-table.num_rows // 3)
    for k in range(3):
        pq.write_table(table.slice(k * step, step), tmp_path / f"part-{k}.parquet")
    expected = read_reference("lifetimes_summary_D_to_1997-09-30.csv")
    got = rfm_summary(
        tmp_path, observation_end="1997-09-30", future="drop", memory_limit=TINY
    ).to_pandas()
    got = got.set_index("customer_id")
    assert columns_of(got) == expected


def test_spill_files_go_to_tmpdir_and_are_removed(
    cdnow: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spill = tmp_path / "spill"
    monkeypatch.setenv("TMPDIR", str(spill))
    # the directory does not exist: the spilled path fails with a clear error naming it ...
    with pytest.raises(InvalidDataError, match=r"\(spill\).*TMPDIR"):
        rfm_summary(cdnow, amount="amount", memory_limit=TINY)
    # ... and the in-memory path (the default budget) does not touch it
    assert len(rfm_summary(cdnow, amount="amount")) == 2357
    spill.mkdir()
    assert len(rfm_summary(cdnow, amount="amount", memory_limit=TINY)) == 2357
    assert list(spill.iterdir()) == []


def test_memory_limit_from_the_environment(
    cdnow: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path / "missing"))
    monkeypatch.setenv("LTVKIT_MEMORY_LIMIT", "2 KiB")
    with pytest.raises(InvalidDataError, match=r"\(spill\)"):  # the env budget was used
        rfm_summary(cdnow)
    monkeypatch.setenv("LTVKIT_MEMORY_LIMIT", "lots")
    with pytest.raises(InvalidInputError, match="LTVKIT_MEMORY_LIMIT is 'lots'"):
        rfm_summary(cdnow)


@pytest.mark.parametrize("bad", [0, -5, "0.5", "12 parsecs", "GiB", "nan"])
def test_bad_memory_limit_raises(cdnow: pd.DataFrame, bad: Any) -> None:
    with pytest.raises(InvalidInputError, match="memory_limit is"):
        rfm_summary(cdnow, memory_limit=bad)


def test_bad_row_after_a_spill_is_numbered_over_the_whole_input() -> None:
    n = 500
    amounts = [1.0] * n
    amounts[437] = float("nan")
    log = pa.table(
        {
            "customer_id": pa.array([i % 37 for i in range(n)], pa.int64()),
            "date": pa.array([dt.date(2020, 1, 1 + i % 28) for i in range(n)], pa.date32()),
            "amount": pa.array(amounts, pa.float64()),
        }
    )
    with pytest.raises(InvalidDataError) as err:
        rfm_summary(batches_of(log, 50), amount="amount", memory_limit=TINY)
    assert (err.value.column, err.value.row) == ("amount", 437)  # type: ignore[attr-defined]


rows_strategy = st.lists(
    st.tuples(
        st.one_of(st.integers(min_value=1, max_value=40), st.sampled_from([10**12, -(10**12)])),
        st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2020, 12, 31)),
        st.one_of(
            st.integers(min_value=0, max_value=50_000).map(lambda c: c / 100),
            st.integers(min_value=-5_000, max_value=-1).map(lambda c: c / 100),
        ),
    ),
    min_size=1,
    max_size=300,
)


@settings(max_examples=120, deadline=None)
@given(
    rows=rows_strategy,
    period=st.sampled_from(["D", "W", "M", "7D"]),
    text=st.booleans(),
    batch=st.integers(min_value=1, max_value=40),
)
def test_spilled_equals_in_memory_on_random_logs(
    rows: list[tuple[int, dt.date, float]], period: str, text: bool, batch: int
) -> None:
    ids = [f"c{r[0]}" for r in rows] if text else [r[0] for r in rows]
    log = pa.table(
        {
            "customer_id": pa.array(ids, pa.string() if text else pa.int64()),
            "date": pa.array([r[1] for r in rows], pa.date32()),
            "amount": pa.array([r[2] for r in rows], pa.float64()),
        }
    )
    want = rfm_summary(log, amount="amount", period=period)
    got = rfm_summary(batches_of(log, batch), amount="amount", period=period, memory_limit=TINY)
    assert got.to_pydict() == want.to_pydict()
    assert metadata(got)["report"] == metadata(want)["report"]
