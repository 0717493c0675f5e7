"""cohort_table's counting triangles (customers, retention), computed in one pass over a log in
date order, against a plain-Python reference written from the definitions, and against the
sorted path (the same log shuffled, or read once from a RecordBatchReader)."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ltvkit import _core
from ltvkit.transactions import cohort_table, metadata

EPOCH = dt.date(1970, 1, 1)
START = dt.date(2019, 12, 20)
CHANNELS = ["ads", "seo", "tv"]


def period_of(unit: str, d: dt.date) -> int:
    """Period index: calendar month, Monday-Sunday week, or day."""
    if unit == "M":
        return d.year * 12 + d.month - 1
    days = (d - EPOCH).days
    return (days + 3) // 7 if unit == "W" else days


def period_start(unit: str, p: int) -> dt.date:
    if unit == "M":
        return dt.date(p // 12, p % 12 + 1, 1)
    return EPOCH + dt.timedelta(days=p * 7 - 3 if unit == "W" else p)


def age_of(unit: str, first: dt.date, d: dt.date) -> int:
    if unit.endswith("D") and unit != "D":
        return (d - first).days // int(unit[:-1])
    return period_of(unit, d) - period_of(unit, first)


def channel(customer: int, day: int, cents: int) -> str:
    """A segment varying with the row (equal rows share it, so no order decides it)."""
    return CHANNELS[(customer * 7 + day * 3 + cents) % 3]


def reference(
    rows: list[tuple[int, dt.date, float, str]],
    cohort: str,
    period: str,
    *,
    segmented: bool,
) -> tuple[list[tuple[Any, ...]], dict[str, int]]:
    """From the definitions: a customer's first purchase is their earliest non-negative row
    (the smallest amount on that day; its channel is the segment); the cohort is its `cohort`
    period; a customer is active at age k when a non-negative row is k `period`s after the
    first purchase. Refunds in an active (customer, age) cell are netted, the others unmatched.
    Rows per (segment, cohort start): (customers, [active at age 0, 1, ... up to the last
    date])."""
    by_customer: dict[int, list[tuple[dt.date, float, str]]] = defaultdict(list)
    for c, d, a, ch in rows:
        by_customer[c].append((d, a, ch))
    end = max(d for _, d, _, _ in rows)
    groups: dict[tuple[str, dt.date], list[Any]] = {}
    used = netted = unmatched = 0
    for rs in by_customer.values():
        purchases = sorted((d, a, ch) for d, a, ch in rs if a >= 0)
        if not purchases:
            unmatched += len(rs)
            continue
        first, _, ch = purchases[0]
        key = (ch if segmented else "", period_start(cohort, period_of(cohort, first)))
        g = groups.setdefault(key, [0, defaultdict(int)])
        g[0] += 1
        active = {age_of(period, first, d) for d, a, _ in rs if a >= 0}
        for k in active:
            g[1][k] += 1
        for d, a, _ in rs:
            k = age_of(period, first, d)
            if k in active:
                used += 1
                netted += a < 0
            else:
                unmatched += 1
    out = []
    for (seg, start), (n, active) in sorted(groups.items()):
        ages = max(age_of(period, start, end), 0) + 1
        out.append((seg, start, n, [active.get(k, 0) for k in range(ages)]))
    report = {"rows_used": used, "refund_rows_netted": netted, "refund_rows_unmatched": unmatched}
    return out, report


def as_table(rows: list[tuple[int, dt.date, float, str]]) -> pa.Table:
    return pa.table(
        {
            "customer_id": pa.array([r[0] for r in rows], pa.int64()),
            "date": pa.array([r[1] for r in rows], pa.date32()),
            "amount": pa.array([r[2] for r in rows], pa.float64()),
            "channel": pa.array([r[3] for r in rows], pa.string()),
        }
    )


def rows_of(t: pa.Table, *, segmented: bool) -> list[tuple[Any, ...]]:
    ages = [c for c in t.column_names if c.isdigit()]
    out = []
    for r in t.to_pylist():
        cells = [r[a] for a in ages]
        while cells and cells[-1] is None:
            cells.pop()
        out.append((r["channel"] if segmented else "", r["cohort"], r["customers"], cells))
    return out


KW = {"amount": "amount", "progress": False}

log_rows = st.lists(
    st.tuples(
        st.integers(0, 12),  # customer
        st.integers(0, 150),  # day after START
        st.sampled_from([-300, -50, 0, 50, 50, 125, 999, 2000]),  # cents (refunds, ties)
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(
    raw=log_rows,
    cohort=st.sampled_from(["M", "W", "D"]),
    period=st.sampled_from(["M", "W", "D", "7D"]),
    segmented=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_one_pass_equals_the_reference_and_the_sorted_path(
    raw: list[tuple[int, int, int]], cohort: str, period: str, segmented: bool, seed: int
) -> None:
    rows = [(c, START + dt.timedelta(days=d), m / 100, channel(c, d, m)) for c, d, m in raw]
    rows.sort(key=lambda r: r[1])  # date order, customers interleaved: the one-pass path
    table = as_table(rows)
    seg = "channel" if segmented else None
    want, want_report = reference(rows, cohort, period, segmented=segmented)
    args = ("customer_id", "date", "amount", seg, cohort, period, "customers", None, "raise")
    assert _core.cohort_table_one_pass(table, *args, "net") is not None
    shuffled = list(rows)
    random.Random(seed).shuffle(shuffled)
    # in date order (one pass), shuffled (the sorted path, after the one pass gave up), and
    # a RecordBatchReader that can be read only once (the sorted path directly)
    inputs = [lambda: table, lambda: as_table(shuffled), lambda: as_table(shuffled).to_reader()]
    for data in inputs:
        opts = {"cohort": cohort, "period": period, "segment": seg, **KW}
        t = cohort_table(data(), metric="customers", **opts)
        assert rows_of(t, segmented=segmented) == want
        report = metadata(t)["report"]
        assert {k: report[k] for k in want_report} == want_report
        r = cohort_table(data(), metric="retention", **opts)
        assert rows_of(r, segmented=segmented) == [
            (s, c, n, [k / n for k in a]) for s, c, n, a in want
        ]


def test_a_row_out_of_date_order_takes_the_sorted_path() -> None:
    # customer 1's second row is dated before its first
    rows = [
        (1, dt.date(2020, 3, 5), 10.0, "ads"),
        (2, dt.date(2020, 1, 7), 10.0, "seo"),
        (1, dt.date(2020, 1, 9), 10.0, "ads"),
    ]
    table = as_table(rows)
    args = ("customer_id", "date", "amount", None, "M", "M", "customers", None, "raise", "net")
    assert _core.cohort_table_one_pass(table, *args) is None
    t = cohort_table(table, metric="customers", **KW)
    # January: customers 1 and 2, customer 1 active again at age 2 (March)
    assert rows_of(t, segmented=False) == [("", dt.date(2020, 1, 1), 2, [2, 0, 1])]


def test_revenue_metrics_keep_the_sorted_path() -> None:
    table = as_table([(1, dt.date(2020, 1, 9), 10.0, "ads")])
    args = ("customer_id", "date", "amount", None, "M", "M", "revenue", None, "raise", "net")
    assert _core.cohort_table_one_pass(table, *args) is None


@pytest.mark.parametrize("metric", ["customers", "retention"])
def test_empty_log(metric: str) -> None:
    empty = as_table([])
    t = cohort_table(empty, metric=metric, **KW)
    assert t.num_rows == 0
    assert t.column_names[:2] == ["cohort", "customers"]
