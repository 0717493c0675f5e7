"""The whole pipeline: Parquet log -> RFM summary -> BG/NBD fit -> Gamma-Gamma fit -> 12-month
CLV of every customer. ltvkit against polars + scipy (written the way a data team would: a
polars summary, the published log-likelihoods in numpy, scipy's L-BFGS-B with numerical
gradients on the deduplicated rows, the CLV sum with scipy.special.hyp2f1) and lifetimes.

    python benchmarks/make_log.py --rows 10000000 --customers 3600000 --out /tmp/log10m.parquet
    python benchmarks/bench_pipeline.py /tmp/log10m.parquet --repeat 3 \\
        --lifetimes-python /path/to/venv-lifetimes/bin/python

Each contender runs in its own process (so peak RSS is its own), ``--repeat`` times; the
median wall time (imports excluded), the median time of each stage (read + summary, the two
fits, the CLV) and the largest peak RSS are printed, with the fitted
parameters and the total CLV so that the contenders can be compared. Time is in days; a month
is 30.436875 days for ltvkit and polars + scipy, 30 days for lifetimes (its ``freq="D"``).
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
# the check sum below: pyarrow's to_numpy would import pandas (0.25 s), which no contender needs
import pyarrow.compute as pc
# timed from here
s = ltvkit.rfm_summary(PATH, amount="amount", period="D")
mark("read+summary")
bg = ltvkit.BetaGeoModel.fit(s, unit="day")
gg = ltvkit.GammaGammaModel.fit(s)
mark("fits")
clv = ltvkit.customer_lifetime_value(bg, gg, s, horizon=12, unit="month", discount_rate=0.01)
mark("clv")
n = s.num_rows
params = {**bg.params, **gg.params}
total = pc.sum(clv.column("clv")).as_py()
"""

POLARS_SCIPY = """
import numpy as np
import polars as pl
from scipy.optimize import minimize
from scipy.special import gammaln, hyp2f1
# timed from here
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
    .collect()
)
mark("read+summary")
u = s.group_by("frequency", "recency", "T").agg(w=pl.len())
x, tx, tt, w = (u[c].to_numpy().astype(float) for c in ("frequency", "recency", "T", "w"))


def bg_nll(theta):
    r, alpha, a, b = np.exp(theta)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + tt)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(x > 0, np.log(a) - np.log(b + x - 1) - (r + x) * np.log(alpha + tx), -np.inf)
    return -np.sum(w * (a1 + a2 + np.logaddexp(a3, a4))) / w.sum()


r, alpha, a, b = np.exp(minimize(bg_nll, np.zeros(4), method="L-BFGS-B").x)
rep = s.filter(pl.col("frequency") > 0)
gx, gm = rep["frequency"].to_numpy(), rep["monetary_value"].to_numpy()


def gg_nll(theta):
    p, q, v = np.exp(theta)
    ll = (
        gammaln(p * gx + q) - gammaln(p * gx) - gammaln(q) + q * np.log(v)
        + (p * gx - 1) * np.log(gm) + p * gx * np.log(gx) - (p * gx + q) * np.log(gx * gm + v)
    )
    return -np.mean(ll)


p, q, v = np.exp(minimize(gg_nll, np.zeros(3), method="L-BFGS-B").x)
mark("fits")
X, TX, T, M = (s[c].to_numpy() for c in ("frequency", "recency", "T", "monetary_value"))
spend = (v + X * M) * p / (p * X + q - 1)
odds = (X > 0) * a / np.maximum(b + X - 1, 1e-12) * ((alpha + T) / (alpha + TX)) ** (r + X)
palive = 1 / (1 + odds)


def expected(t):
    z = t / (alpha + T + t)
    h = hyp2f1(r + X, b + X, a + b + X - 1, z)
    return (a + b + X - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + X) * h) * palive


month = 365.2425 / 12
clv = np.zeros(len(X))
prev = np.zeros(len(X))
for k in range(1, 13):
    cur = expected(k * month)
    clv += (cur - prev) * spend / 1.01**k
    prev = cur
mark("clv")
n = s.height
params = {"r": r, "alpha": alpha, "a": a, "b": b, "p": p, "q": q, "gamma": v}
total = float(clv.sum())
"""

LIFETIMES = """
import pyarrow.parquet as pq
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data
# timed from here
df = pq.read_table(PATH).to_pandas()
s = summary_data_from_transaction_data(df, "customer_id", "date", monetary_value_col="amount")
mark("read+summary")
bgf = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
rep = s[s["frequency"] > 0]
ggf = GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
mark("fits")
clv = ggf.customer_lifetime_value(
    bgf, s["frequency"], s["recency"], s["T"], s["monetary_value"], time=12, freq="D",
    discount_rate=0.01,
)
mark("clv")
n = len(s)
params = {**dict(bgf.params_), **{k: float(val) for k, val in ggf.params_.items()}}
total = float(clv.sum())
"""

RUNNER = """
import resource, time
PATH = {path!r}
STAGES = {{}}
_last = [time.perf_counter()]


def mark(name):
    now = time.perf_counter()
    STAGES[name] = now - _last[0]
    _last[0] = now


{imports}
t0 = time.perf_counter()
_last[0] = t0
{body}
dt = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(__import__("json").dumps({{"seconds": dt, "peak_rss": rss, "rows": n, "stages": STAGES,
    "params": {{k: float(val) for k, val in params.items()}}, "total": total}}))
"""


def run(python: str, body: str, path: str) -> dict:
    """One run of a contender in a new process; its imports (above the "timed from here"
    line) are not timed."""
    imports, timed = textwrap.dedent(body).split("# timed from here\n")
    code = RUNNER.format(path=path, imports=imports, body=timed)
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        msg = f"{python} failed:\n{out.stderr[-2000:]}"
        raise RuntimeError(msg)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lifetimes-python", default=None)
    parser.add_argument(
        "--lifetimes-repeat", type=int, default=None, help="runs of lifetimes (default --repeat)"
    )
    parser.add_argument(
        "--only", nargs="+", default=None, help="run only these contenders (e.g. ltvkit)"
    )
    args = parser.parse_args()
    contenders = [
        ("ltvkit", sys.executable, LTVKIT, args.repeat),
        ("polars+scipy", sys.executable, POLARS_SCIPY, args.repeat),
    ]
    if args.lifetimes_python:
        n = args.lifetimes_repeat or args.repeat
        contenders.append(("lifetimes", args.lifetimes_python, LIFETIMES, n))
    for name, python, body, repeat in contenders:
        if args.only and name not in args.only:
            continue
        runs = [run(python, body, args.path) for _ in range(repeat)]
        secs = statistics.median(r["seconds"] for r in runs)
        rss = max(r["peak_rss"] for r in runs) / 2**20
        params = ", ".join(f"{k}={v:.4g}" for k, v in runs[0]["params"].items())
        stages = "  ".join(
            f"{stage} {statistics.median(r['stages'][stage] for r in runs):.2f} s"
            for stage in runs[0]["stages"]
        )
        print(
            f"{name:13s} ({len(runs)} runs) median {secs:7.2f} s  peak RSS {rss:8.0f} MiB  "
            f"customers {runs[0]['rows']:,}  total CLV {runs[0]['total']:,.0f}\n"
            f"    stages (medians): {stages}\n    {params}",
            flush=True,
        )


if __name__ == "__main__":
    main()
