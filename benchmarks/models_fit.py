"""BG/NBD and Gamma-Gamma fit times: ltvkit against scipy L-BFGS-B on the deduplicated data.

    python benchmarks/models_fit.py [n_customers] [--lifetimes-python PATH]

The data are simulated by ltvkit's BG/NBD simulator (1,000,000 customers by default, ages of
20..60 weeks, times rounded to whole days as a real summary would be) and spends by the
Gamma-Gamma simulator. The scipy reference is the usual hand-written approach: numpy
log-likelihood and analytic gradient in log parameters, evaluated on unique rows with counts as
weights. With ``--lifetimes-python`` (a Python with lifetimes 0.11.3, e.g.
/work/venv-lifetimes/bin/python) the same arrays are also fitted by lifetimes'
``BetaGeoFitter`` (on every customer, as lifetimes is used) and ``GammaGammaFitter``, in that
Python as a subprocess. Each timing is the median of 3 runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import textwrap
import time
from typing import Any, Callable

__all__: list[str] = []


def median_time(fn: Callable[[], Any], repeats: int = 3) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


LIFETIMES = """
import json, statistics, time
import numpy as np
from lifetimes import BetaGeoFitter, GammaGammaFitter
d = np.load(NPZ)


def median_time(fn, repeats=3):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


t_bg, bg = median_time(lambda: BetaGeoFitter().fit(d["f"], d["rec"], d["T"]))
t_gg, gg = median_time(lambda: GammaGammaFitter().fit(d["xs"], d["ms"]))
print(json.dumps({"bg": t_bg, "gg": t_gg, "bg_params": {k: float(v) for k, v in bg.params_.items()},
    "gg_params": {k: float(v) for k, v in gg.params_.items()}}))
"""


def run_lifetimes(python: str, arrays: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        npz = os.path.join(tmp, "data.npz")
        np.savez(npz, **arrays)
        code = f"NPZ = {npz!r}\n" + textwrap.dedent(LIFETIMES)
        out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        msg = f"{python} failed:\n{out.stderr[-2000:]}"
        raise RuntimeError(msg)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    import numpy as np
    from scipy.optimize import minimize
    from scipy.special import digamma, gammaln

    from ltvkit import BetaGeoModel, GammaGammaModel

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("n_customers", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--lifetimes-python", default=None)
    args = parser.parse_args()
    n = args.n_customers
    truth = BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426)
    sims = [truth.simulate(n // 41 + 1, 20.0 + k, seed=k) for k in range(41)]
    f = np.concatenate([s["frequency"] for s in sims])[:n]
    big_t = np.concatenate([s["T"] for s in sims])[:n]
    rec = np.minimum(np.round(np.concatenate([s["recency"] for s in sims])[:n] * 7) / 7, big_t)

    t_dedup, (rows, counts) = median_time(
        lambda: np.unique(np.column_stack([f, rec, big_t]), axis=0, return_counts=True)
    )
    x, tx, tt = rows[:, 0], rows[:, 1], rows[:, 2]
    w = counts.astype(float)
    pos = x > 0

    def scipy_bg() -> Any:

        def nll(theta: np.ndarray) -> tuple[float, np.ndarray]:
            r, alpha, a, b = np.exp(theta)
            a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
            a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
            a3 = -(r + x) * np.log(alpha + tt)
            a4 = np.where(
                pos,
                np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx),
                -np.inf,
            )
            m = np.maximum(a3, a4)
            lse = m + np.log(np.exp(a3 - m) + np.exp(a4 - m))
            w3, w4 = np.exp(a3 - lse), np.exp(a4 - lse)
            g = np.empty(4)
            g[0] = np.sum(
                w
                * (
                    digamma(r + x)
                    - digamma(r)
                    + np.log(alpha)
                    - w3 * np.log(alpha + tt)
                    - w4 * np.log(alpha + tx)
                )
            )
            g[1] = np.sum(
                w * (r / alpha - w3 * (r + x) / (alpha + tt) - w4 * (r + x) / (alpha + tx))
            )
            g[2] = np.sum(w * (digamma(a + b) - digamma(a + b + x) + w4 / a))
            g[3] = np.sum(
                w
                * (
                    digamma(a + b)
                    + digamma(b + x)
                    - digamma(b)
                    - digamma(a + b + x)
                    - w4 / np.maximum(b + x - 1, 1e-300)
                )
            )
            total = np.sum(w * (a1 + a2 + lse))
            p = np.exp(theta)
            return -total / w.sum(), -g * p / w.sum()

        res = minimize(nll, np.zeros(4), jac=True, method="L-BFGS-B")
        return np.exp(res.x)

    t_ltv, fit = median_time(lambda: BetaGeoModel.fit(frequency=f, recency=rec, T=big_t))
    t_ltv_raw = t_ltv
    t_ltv_d, _ = median_time(lambda: BetaGeoModel.fit(frequency=x, recency=tx, T=tt, weights=w))
    t_sp, sp = median_time(scipy_bg)
    print(
        f"BG/NBD, {n:,} customers ({len(rows):,} unique rows): "
        f"ltvkit on raw rows {t_ltv:.3f} s; "
        f"on unique rows {t_ltv_d:.3f} s vs scipy L-BFGS-B {t_sp:.3f} s "
        f"(ratio {t_sp / t_ltv_d:.1f}x; numpy dedup alone {t_dedup:.3f} s)"
    )
    print(f"  ltvkit {fit.params}\n  scipy  {dict(zip(['r', 'alpha', 'a', 'b'], sp))}")

    gg = GammaGammaModel(p=6.25, q=3.74, gamma=15.44)
    rb = f > 0
    xs = f[rb]
    ms = gg.simulate_spend(xs, seed=1)

    def scipy_gg() -> Any:
        def nll(theta: np.ndarray) -> tuple[float, np.ndarray]:
            p, q, g = np.exp(theta)
            px = p * xs
            lg = np.log(g + ms * xs)
            ll = (
                gammaln(px + q)
                - gammaln(px)
                - gammaln(q)
                + q * np.log(g)
                + (px - 1) * np.log(ms)
                + px * np.log(xs)
                - (px + q) * lg
            )
            dpq = digamma(px + q)
            grad = np.array(
                [
                    np.sum(xs * (dpq - digamma(px) + np.log(ms) + np.log(xs) - lg)),
                    np.sum(dpq - digamma(q) + np.log(g) - lg),
                    np.sum(q / g - (px + q) / (g + ms * xs)),
                ]
            )
            return -ll.sum() / len(xs), -grad * np.exp(theta) / len(xs)

        res = minimize(nll, np.zeros(3), jac=True, method="L-BFGS-B")
        return np.exp(res.x)

    t_ltv, gfit = median_time(lambda: GammaGammaModel.fit(frequency=xs, monetary_value=ms))
    t_sp, gsp = median_time(scipy_gg)
    print(
        f"Gamma-Gamma, {len(xs):,} repeat buyers: ltvkit {t_ltv:.3f} s, scipy {t_sp:.3f} s, "
        f"ratio {t_sp / t_ltv:.1f}x"
    )
    print(f"  ltvkit {gfit.params}\n  scipy  {dict(zip(['p', 'q', 'gamma'], gsp))}")
    if args.lifetimes_python:
        lt = run_lifetimes(
            args.lifetimes_python, {"f": f, "rec": rec, "T": big_t, "xs": xs, "ms": ms}
        )
        print(
            f"lifetimes 0.11.3 (3 runs each): BetaGeoFitter on {n:,} customers {lt['bg']:.3f} s "
            f"(ltvkit on raw rows {t_ltv_raw:.3f} s: {lt['bg'] / t_ltv_raw:.0f}x); "
            f"GammaGammaFitter {lt['gg']:.3f} s (ltvkit {t_ltv:.3f} s: {lt['gg'] / t_ltv:.0f}x)"
        )
        print(f"  lifetimes {lt['bg_params']}\n  lifetimes {lt['gg_params']}")


if __name__ == "__main__":
    main()
