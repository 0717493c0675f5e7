"""rfm_summary from Parquet: ltvkit against the equivalent polars pipeline and lifetimes.

    python benchmarks/bench_rfm.py /tmp/ltvkit_log_10m.parquet --repeat 3
    python benchmarks/bench_rfm.py /tmp/log100m --repeat 1 --contenders ltvkit   # a directory

Each contender runs in its own process (so peak RSS is its own), ``--repeat`` times; the
median wall time, the largest peak RSS and the most the call added to the process's peak
once its imports were done (against the size of the input columns: the issue's memory
target is 1.5x) are printed. lifetimes runs only if it imports in the interpreter given by
``--lifetimes-python`` (it needs an old pandas stack).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import textwrap

LTVKIT = """
import ltvkit
import pyarrow.dataset
t = ltvkit.rfm_summary(PATH, amount="amount", period="D", memory_limit=MEMORY_LIMIT)
n = t.num_rows
"""

POLARS = """
import polars as pl
lf = pl.scan_parquet(PATH)
end = lf.select(pl.col("date").max()).collect().item()
per_day = lf.group_by("customer_id", "date").agg(pl.col("amount").sum())
s = (
    per_day.group_by("customer_id")
    .agg(
        first=pl.col("date").min(),
        last=pl.col("date").max(),
        n=pl.len(),
        total=pl.col("amount").sum(),
        first_amount=pl.col("amount").sort_by("date").first(),
    )
    .with_columns(
        frequency=(pl.col("n") - 1).cast(pl.Float64),
        recency=(pl.col("last") - pl.col("first")).dt.total_days().cast(pl.Float64),
        T=(pl.lit(end) - pl.col("first")).dt.total_days().cast(pl.Float64),
        monetary_value=pl.when(pl.col("n") > 1)
        .then((pl.col("total") - pl.col("first_amount")) / (pl.col("n") - 1))
        .otherwise(0.0),
    )
    .select("customer_id", "frequency", "recency", "T", "monetary_value")
    .sort("customer_id")
    .collect()
)
n = s.height
"""

LIFETIMES = """
import pyarrow.parquet as pq
from lifetimes.utils import summary_data_from_transaction_data
df = pq.read_table(PATH).to_pandas()
s = summary_data_from_transaction_data(df, "customer_id", "date", monetary_value_col="amount")
n = len(s)
"""

RUNNER = """
import resource, time
PATH = {path!r}
MEMORY_LIMIT = {memory_limit!r}
{setup}
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
t0 = time.perf_counter()
{body}
dt = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(__import__("json").dumps({{"seconds": dt, "peak_rss": rss, "base_rss": base, "rows": n}}))
"""


def run(python: str, body: str, path: str, memory_limit: str | None) -> dict[str, float]:
    # the imports (the lines before the first blank-free non-import line) are not timed
    lines = textwrap.dedent(body).strip().splitlines()
    k = next(i for i, line in enumerate(lines) if not line.startswith(("import ", "from ")))
    code = RUNNER.format(
        path=path,
        memory_limit=memory_limit,
        setup="\n".join(lines[:k]),
        body="\n".join(lines[k:]),
    )
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lifetimes-python", default=None)
    parser.add_argument(
        "--contenders", default="ltvkit,polars,lifetimes", help="comma-separated subset to run"
    )
    parser.add_argument(
        "--memory-limit", default=None, help="ltvkit's memory_limit (default: its own, 2 GiB)"
    )
    args = parser.parse_args()
    wanted = set(args.contenders.split(","))
    contenders = [("ltvkit", sys.executable, LTVKIT), ("polars", sys.executable, POLARS)]
    if args.lifetimes_python:
        contenders.append(("lifetimes", args.lifetimes_python, LIFETIMES))
    contenders = [c for c in contenders if c[0] in wanted]
    columns = input_columns_bytes(args.path)
    mib = columns / 2**20
    print(f"input columns in memory: {mib:.0f} MiB (1.5x: {1.5 * mib:.0f} MiB)")
    for name, python, body in contenders:
        runs = [run(python, body, args.path, args.memory_limit) for _ in range(args.repeat)]
        secs = statistics.median(r["seconds"] for r in runs)
        rss = max(r["peak_rss"] for r in runs) / 2**20
        # what the call added to the peak of the process once its imports were done
        added = max(r["peak_rss"] - r["base_rss"] for r in runs) / 2**20
        print(
            f"{name:10s} median {secs:7.2f} s  peak RSS {rss:8.0f} MiB  "
            f"call {added:6.0f} MiB ({added * 2**20 / columns:.2f}x the input columns)  "
            f"rows {runs[0]['rows']:,}"
        )
        # every run, so that a spread (a shared machine) is seen, not hidden by the median
        print(f"{'':10s} runs   " + " ".join(f"{r['seconds']:.2f}" for r in runs))


def input_columns_bytes(path: str) -> int:
    """The size of the log's three columns as Arrow arrays (fixed widths times rows)."""
    import pyarrow.dataset as ds

    dataset = ds.dataset(path, format="parquet")
    width = sum(
        dataset.schema.field(c).type.bit_width // 8 for c in ("customer_id", "date", "amount")
    )
    return width * dataset.count_rows()


if __name__ == "__main__":
    main()
