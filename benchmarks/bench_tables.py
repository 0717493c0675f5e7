"""cohort_table and subscription_metrics from Parquet: ltvkit against the equivalent polars code.

    python benchmarks/bench_tables.py /tmp/ltvkit_log_10m.parquet --repeat 3

The log of ``make_log.py`` serves both: as an order log for the monthly retention triangle,
and (reading ``date`` as the month and ``amount`` as the MRR) as a subscription log for the
MRR movements. Each contender runs in its own process (so peak RSS is its own), ``--repeat``
times; the median wall time, the median CPU time (user + system, all threads: on a loaded
machine the one that moves least) and the largest peak RSS are printed. ``--only cohort`` or
``--only mrr`` runs one of the two pairs. ``--check`` then compares
the two results (same cells, to 1e-9 relative).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import textwrap

LTVKIT_COHORT = """
import ltvkit
import pyarrow.dataset
t = ltvkit.cohort_table(PATH, metric="retention", cohort="M", period="M")
n = t.num_rows
"""

# the same triangle: cohort = month of the first purchase, age = months since it, cell =
# customers active at that age / customers of the cohort
POLARS_COHORT = """
import polars as pl
lf = pl.scan_parquet(PATH).select(
    "customer_id", m=pl.col("date").dt.year() * 12 + pl.col("date").dt.month() - 1
)
first = lf.group_by("customer_id").agg(c0=pl.col("m").min())
sizes = first.group_by("c0").agg(N=pl.len())
active = (
    lf.unique(["customer_id", "m"])
    .join(first, on="customer_id")
    .group_by("c0", age=pl.col("m") - pl.col("c0"))
    .agg(n=pl.len())
    .join(sizes, on="c0")
    .with_columns(r=pl.col("n") / pl.col("N"))
    .collect()
)
t = active.pivot(on="age", index=["c0", "N"], values="r", sort_columns=True).sort("c0")
n = t.height
"""

LTVKIT_MRR = """
import ltvkit
import pyarrow.dataset
t = ltvkit.subscription_metrics(PATH, month="date", mrr="amount")
n = t.num_rows
"""

# the same movements: MRR per customer-month (months netting to <= 0 are absent), joined with
# the previous month's, classified, summed per month, ratios from the previous month's totals
POLARS_MRR = """
import polars as pl
m = (
    pl.scan_parquet(PATH)
    .group_by("customer_id", month=pl.col("date").dt.truncate("1mo"))
    .agg(q=pl.col("amount").sum())
    .filter(pl.col("q") > 0)
)
last = m.select(pl.col("month").max())
prev = m.select("customer_id", pl.col("month").dt.offset_by("1mo"), p=pl.col("q"))
first = m.group_by("customer_id").agg(first=pl.col("month").min())
j = (
    m.join(prev, on=["customer_id", "month"], how="full", coalesce=True)
    .join(last, how="cross", suffix="_last")
    .filter(pl.col("month") <= pl.col("month_last"))
    .join(first, on="customer_id")
    .with_columns(pl.col("q").fill_null(0.0), pl.col("p").fill_null(0.0))
)
q, p, mo, first_mo = pl.col("q"), pl.col("p"), pl.col("month"), pl.col("first")
up = (p == 0) & (q > 0)


def when(cond, value):
    return pl.when(cond).then(value).otherwise(0.0).sum()


prev_mrr = pl.col("mrr").shift(1)
lost = pl.col("contraction_mrr") + pl.col("churned_mrr")
t = (
    j.group_by("month")
    .agg(
        mrr=q.sum(),
        customers=(q > 0).sum(),
        new_mrr=when(up & (mo == first_mo), q),
        new_customers=(up & (mo == first_mo)).sum(),
        reactivated_mrr=when(up & (mo > first_mo), q),
        expansion_mrr=when((p > 0) & (q > p), q - p),
        contraction_mrr=when((q > 0) & (q < p), p - q),
        churned_mrr=when((p > 0) & (q == 0), p),
        churned_customers=((p > 0) & (q == 0)).sum(),
    )
    .sort("month")
    .with_columns(
        arpa=pl.col("mrr") / pl.col("customers"),
        logo_churn=pl.col("churned_customers") / pl.col("customers").shift(1),
        gross_revenue_retention=(prev_mrr - lost) / prev_mrr,
        net_revenue_retention=(prev_mrr + pl.col("expansion_mrr") - lost) / prev_mrr,
        quick_ratio=(pl.col("new_mrr") + pl.col("reactivated_mrr") + pl.col("expansion_mrr"))
        / lost,
    )
    .collect()
)
n = t.height
"""

RUNNER = """
import resource, time
PATH = {path!r}
{setup}
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
t0, c0 = time.perf_counter(), cpu()
{body}
dt, dc = time.perf_counter() - t0, cpu() - c0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(__import__("json").dumps({{"seconds": dt, "cpu": dc, "peak_rss": rss, "rows": n}}))
"""


def run(body: str, path: str) -> dict[str, float]:
    # the imports (the lines before the first blank-free non-import line) are not timed
    lines = textwrap.dedent(body).strip().splitlines()
    k = next(i for i, line in enumerate(lines) if not line.startswith(("import ", "from ")))
    code = RUNNER.format(path=path, setup="\n".join(lines[:k]), body="\n".join(lines[k:]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def check(path: str) -> None:
    """Compares ltvkit's and polars' cells (raises on a difference)."""
    import numpy as np
    import polars as pl

    import ltvkit

    ns: dict[str, object] = {"PATH": path}
    exec(textwrap.dedent(POLARS_COHORT), ns)
    ours = pl.from_arrow(ltvkit.cohort_table(path, metric="retention", cohort="M", period="M"))
    theirs = ns["t"]
    assert isinstance(ours, pl.DataFrame)
    assert isinstance(theirs, pl.DataFrame)
    ages = [c for c in ours.columns if c.isdigit()]
    a = ours.select(ages).to_numpy().astype(float)
    b = theirs.select(ages).to_numpy().astype(float)
    np.testing.assert_allclose(np.nan_to_num(a, nan=-1), np.nan_to_num(b, nan=-1), rtol=1e-9)
    exec(textwrap.dedent(POLARS_MRR), ns)
    ours = pl.from_arrow(ltvkit.subscription_metrics(path, month="date", mrr="amount"))
    theirs = ns["t"]
    assert isinstance(ours, pl.DataFrame)
    assert isinstance(theirs, pl.DataFrame)
    for c in theirs.columns[1:]:
        x = ours[c].cast(pl.Float64).fill_null(np.nan).to_numpy()
        y = theirs[c].cast(pl.Float64).fill_null(np.nan).fill_nan(np.nan).to_numpy()
        y = np.where(np.isinf(y), np.nan, y)
        np.testing.assert_allclose(x, y, rtol=1e-9, equal_nan=True, err_msg=c)
    print("check: ltvkit and polars agree on every cell")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--only", choices=["cohort", "mrr"])
    args = parser.parse_args()
    contenders = [
        ("cohort_table ltvkit", LTVKIT_COHORT),
        ("cohort_table polars", POLARS_COHORT),
        ("subscription_metrics ltvkit", LTVKIT_MRR),
        ("subscription_metrics polars", POLARS_MRR),
    ]
    if args.only:
        keep = "cohort_table" if args.only == "cohort" else "subscription_metrics"
        contenders = [c for c in contenders if c[0].startswith(keep)]
    for name, body in contenders:
        runs = [run(body, args.path) for _ in range(args.repeat)]
        secs = statistics.median(r["seconds"] for r in runs)
        cpu = statistics.median(r["cpu"] for r in runs)
        rss = max(r["peak_rss"] for r in runs) / 2**20
        print(
            f"{name:30s} median {secs:7.2f} s  cpu {cpu:6.2f} s  peak RSS {rss:6.0f} MiB  "
            f"rows {runs[0]['rows']:,}"
        )
    if args.check:
        # after the timed runs: a child process started by a big parent inherits its peak RSS
        check(args.path)


if __name__ == "__main__":
    main()
