"""Writes a synthetic transaction log as Parquet for the benchmarks.

    python benchmarks/make_log.py --rows 10000000 --customers 3600000 --out /tmp/log10m.parquet

Every customer has at least one row; the remaining rows go to customers drawn with a skewed
(Zipf-like) weight, so that a few buy often and most once. Dates are uniform over 1.5 years,
amounts log-normal in cents. Rows are written in date order (as event logs usually are),
customers are interleaved. The seed is fixed: the same arguments give the same file.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=3_600_000)
    parser.add_argument("--out", default="/tmp/ltvkit_log_10m.parquet")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument(
        "--files", type=int, default=1, help="write a directory of this many Parquet files"
    )
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    n, c = args.rows, args.customers
    extra = rng.zipf(1.3, size=n - c) % c
    ids = np.concatenate([np.arange(c, dtype=np.int64), extra.astype(np.int64)])
    start = (dt.date(2022, 1, 1) - dt.date(1970, 1, 1)).days
    days = rng.integers(start, start + 548, size=n, dtype=np.int32)
    cents = np.round(np.exp(rng.normal(3.2, 0.8, size=n)) * 100)
    order = np.argsort(days, kind="stable")
    table = pa.table(
        {
            "customer_id": ids[order] + 1_000_000,
            "date": pa.array(days[order], pa.date32()),
            "amount": cents[order] / 100,
        }
    )
    if args.files == 1:
        pq.write_table(table, args.out, row_group_size=1_000_000)
    else:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        step = -(-n // args.files)
        for k in range(args.files):
            part = table.slice(k * step, step)
            pq.write_table(part, out / f"part-{k:04d}.parquet", row_group_size=1_000_000)
    print(f"wrote {args.out}: {n:,} rows, {c:,} customers")


if __name__ == "__main__":
    main()
