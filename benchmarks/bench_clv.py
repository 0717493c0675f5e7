"""12-month CLV of every customer (BG/NBD + Gamma-Gamma): ltvkit against numpy + scipy.special.

    python benchmarks/bench_clv.py /work/bench-data/log10m.parquet --repeat 3

The summary of the log (``ltvkit.rfm_summary``, days) and the two fitted models are computed
once and saved to a temporary ``.npz``; then each contender runs in its own process (so peak RSS
is its own), ``--repeat`` times, and computes the same thing: the discounted expected spend
of every customer over 12 mean calendar months (30.436875 days) at 1% a month,

    CLV_i = E[spend_i] * sum_k (E[Y_i(k L)] - E[Y_i((k-1) L)]) / 1.01^k

with E[Y(t)] the BG/NBD conditional expectation (FHL 2005, eq. 10; scipy.special.hyp2f1) and
E[spend] the Gamma-Gamma conditional mean. The numpy contenders are written as a careful user
would: vectorised over customers, P(alive) computed once, and (second variant) the
expensive E[Y(t)] evaluated once per distinct (x, t_x, T) row with ``np.unique``. The timed
part is the CLV call only (loading the arrays is outside the clock). Printed: median wall
time, largest peak RSS of the process (the loaded arrays included) and the total CLV, which
must agree.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap

PREPARE = """
import numpy as np
import ltvkit
s = ltvkit.rfm_summary(PATH, amount="amount", period="D")
bg = ltvkit.BetaGeoModel.fit(s, unit="day")
gg = ltvkit.GammaGammaModel.fit(s)
cols = {c: s.column(c).to_numpy() for c in ("frequency", "recency", "T", "monetary_value")}
np.savez(OUT, **cols, bg=np.array(list(bg.params.values())), gg=np.array(list(gg.params.values())))
"""

LOAD = """
import numpy as np
d = np.load(OUT)
X, TX, T, M = (np.ascontiguousarray(d[c]) for c in ("frequency", "recency", "T", "monetary_value"))
r, alpha, a, b = d["bg"]
p, q, v = d["gg"]
MONTH = 365.2425 / 12
"""

LTVKIT = """
import ltvkit
bg = ltvkit.BetaGeoModel(r, alpha, a, b)
gg = ltvkit.GammaGammaModel(p, q, v)
START()
clv = ltvkit.customer_lifetime_value(
    bg, gg, frequency=X, recency=TX, T=T, monetary_value=M, horizon=12, unit="month",
    discount_rate=0.01, data_unit="day",
)
STOP()
total = float(np.sum(clv))
"""

NUMPY_FORMULA = """
from scipy.special import hyp2f1


def discounted_purchases(X, TX, T):
    odds = (X > 0) * a / np.maximum(b + X - 1, 1e-12) * ((alpha + T) / (alpha + TX)) ** (r + X)
    palive = 1 / (1 + odds)
    out = np.zeros(len(X))
    prev = np.zeros(len(X))
    for k in range(1, 13):
        t = k * MONTH
        z = t / (alpha + T + t)
        h = hyp2f1(r + X, b + X, a + b + X - 1, z)
        cur = (a + b + X - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + X) * h)
        cur *= palive
        out += (cur - prev) / 1.01**k
        prev = cur
    return out
"""

NUMPY = (
    NUMPY_FORMULA
    + """
START()
spend = (v + X * M) * p / (p * X + q - 1)
clv = spend * discounted_purchases(X, TX, T)
STOP()
total = float(clv.sum())
"""
)

NUMPY_UNIQUE = (
    NUMPY_FORMULA
    + """
START()
keys = np.stack([X, TX, T], axis=1)
uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
per_row = discounted_purchases(uniq[:, 0], uniq[:, 1], uniq[:, 2])
spend = (v + X * M) * p / (p * X + q - 1)
clv = spend * per_row[inverse.ravel()]
STOP()
total = float(clv.sum())
"""
)

RUNNER = """
import resource, time
OUT = {out!r}
_t = {{}}


def START():
    _t["start"] = time.perf_counter()


def STOP():
    _t["stop"] = time.perf_counter()


{load}
{body}
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(__import__("json").dumps({{"seconds": _t["stop"] - _t["start"], "peak_rss": rss,
    "rows": len(X), "total": total}}))
"""


def run(python: str, code: str) -> dict:
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        msg = f"{python} failed:\n{out.stderr[-2000:]}"
        raise RuntimeError(msg)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", help="a Parquet log with customer_id, date, amount")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "summary.npz")
        prep = f"PATH = {args.path!r}\nOUT = {out!r}\n" + textwrap.dedent(PREPARE)
        subprocess.run([sys.executable, "-c", prep], check=True)
        contenders = [
            ("ltvkit", LTVKIT),
            ("numpy+scipy", NUMPY),
            ("numpy+scipy np.unique", NUMPY_UNIQUE),
        ]
        for name, body in contenders:
            code = RUNNER.format(out=out, load=textwrap.dedent(LOAD), body=textwrap.dedent(body))
            runs = [run(sys.executable, code) for _ in range(args.repeat)]
            secs = statistics.median(r["seconds"] for r in runs)
            rss = max(r["peak_rss"] for r in runs) / 2**20
            print(
                f"{name:22s} median {secs:7.3f} s  peak RSS {rss:7.0f} MiB  "
                f"customers {runs[0]['rows']:,}  total CLV {runs[0]['total']:,.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
