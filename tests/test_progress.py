"""Progress bars on long reads (tqdm, optional), checked with a fake tqdm module."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import ltvkit
from ltvkit import transactions
from ltvkit.exceptions import MissingDependencyError


class _Bars:
    """What the fake tqdm saw: one entry per bar, with its total and its updates."""

    def __init__(self) -> None:
        self.bars: list[dict[str, Any]] = []


@pytest.fixture
def fake_tqdm(monkeypatch: pytest.MonkeyPatch) -> _Bars:
    seen = _Bars()

    class FakeBar:
        def __init__(self, total: int | None = None, **kwargs: Any) -> None:
            self.record: dict[str, Any] = {"total": total, "updates": [], "closed": False}
            seen.bars.append(self.record)

        def update(self, n: int) -> None:
            self.record["updates"].append(n)

        def reset(self, total: int | None = None) -> None:
            # what tqdm's reset does: back to 0 rows, a new total
            self.record["updates"] = []
            self.record["total"] = total
            self.record["resets"] = self.record.get("resets", 0) + 1

        def __enter__(self) -> FakeBar:
            return self

        def __exit__(self, *exc: object) -> None:
            self.record["closed"] = True

    module = types.ModuleType("tqdm")
    module.tqdm = FakeBar  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tqdm", module)
    return seen


def _log(batches: int = 3) -> pa.Table:
    # 3 batches of 4 rows: customers 1 and 2 buy on distinct days
    parts = []
    for b in range(batches):
        parts.append(
            pa.record_batch(
                {
                    "customer_id": pa.array([1, 2, 1, 2], pa.int64()),
                    "date": pa.array(
                        [f"2024-01-{d:02d}" for d in (4 * b + 1, 4 * b + 2, 4 * b + 3, 4 * b + 4)]
                    ),
                    "amount": pa.array([10.0, 20.0, 30.0, 40.0]),
                }
            )
        )
    return pa.Table.from_batches(parts)


def test_progress_true_counts_every_row_once(fake_tqdm: _Bars) -> None:
    table = _log()
    with_bar = ltvkit.rfm_summary(table, amount="amount", progress=True)
    assert len(fake_tqdm.bars) == 1
    bar = fake_tqdm.bars[0]
    # 3 batches of 4 rows, written above
    assert bar["total"] == 12
    assert sum(bar["updates"]) == 12
    assert bar["closed"]
    # customer 1 bought on days 1, 3, 5, 7, 9, 11 of January: 5 repeat purchases
    assert with_bar.column("frequency").to_pylist() == [5.0, 5.0]
    without = ltvkit.rfm_summary(table, amount="amount", progress=False)
    assert with_bar.equals(without)
    assert len(fake_tqdm.bars) == 1


def test_progress_none_stays_quiet_on_small_reads(fake_tqdm: _Bars) -> None:
    ltvkit.rfm_summary(_log(), amount="amount")
    ltvkit.cohort_table(_log(), amount="amount")
    assert fake_tqdm.bars == []


def test_progress_none_shows_a_bar_on_large_parquet_reads(
    fake_tqdm: _Bars, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a directory of two Parquet files; "large" lowered to 10 rows so that 24 rows qualify
    monkeypatch.setattr(transactions, "_PROGRESS_ROWS", 10)
    (tmp_path / "log").mkdir()
    pq.write_table(_log(), tmp_path / "log" / "a.parquet")
    pq.write_table(_log(), tmp_path / "log" / "b.parquet")
    result = ltvkit.rfm_summary(tmp_path / "log", amount="amount")
    assert len(fake_tqdm.bars) == 1
    # the total comes from the Parquet footers: 2 files x 12 rows
    assert fake_tqdm.bars[0]["total"] == 24
    assert sum(fake_tqdm.bars[0]["updates"]) == 24
    # b.parquet starts again in January: not in date order, so the one-pass read stopped
    # there and the bar started again for the sorted read of the whole input
    assert fake_tqdm.bars[0]["resets"] == 1
    assert result.num_rows == 2


def test_a_date_ordered_log_is_read_once(
    fake_tqdm: _Bars, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transactions, "_PROGRESS_ROWS", 10)
    pq.write_table(_log(), tmp_path / "log.parquet")
    result = ltvkit.rfm_summary(tmp_path / "log.parquet", amount="amount")
    assert len(fake_tqdm.bars) == 1
    assert "resets" not in fake_tqdm.bars[0]
    assert fake_tqdm.bars[0]["updates"] == [12]
    assert result.num_rows == 2


def test_progress_none_without_tqdm_reads_silently(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setattr(transactions, "_PROGRESS_ROWS", 1)
    assert ltvkit.rfm_summary(_log(), amount="amount").num_rows == 2


def test_progress_true_without_tqdm_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)
    with pytest.raises(MissingDependencyError, match=r"ltvkit\[progress\]"):
        ltvkit.rfm_summary(_log(), amount="amount", progress=True)


def test_progress_on_polars_and_pandas_inputs(fake_tqdm: _Bars) -> None:
    frame = pl.from_arrow(_log())
    ltvkit.subscription_metrics(frame.rename({"date": "month", "amount": "mrr"}), progress=True)
    ltvkit.rfm_summary(_log().to_pandas(), progress=True)
    assert [b["total"] for b in fake_tqdm.bars] == [12, 12]
    assert [sum(b["updates"]) for b in fake_tqdm.bars] == [12, 12]
