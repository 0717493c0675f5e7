"""Pareto/NBD and BG/BB fit times: ltvkit against scipy L-BFGS-B on the deduplicated data.

    python benchmarks/models_b_fit.py [n_customers]

Pareto/NBD data are simulated by ltvkit's simulator at the CDNOW estimates (200,000 customers
by default, ages of 26..39 weeks, times rounded to whole days as a real summary would be). The
scipy reference is the usual hand-written approach: the numpy log-likelihood of Fader &
Hardie's note with scipy's hyp2f1 on unique rows with counts as weights, minimised by L-BFGS-B
in log parameters with finite-difference gradients (scipy has no derivatives of 2F1 in its
parameters; ltvkit differentiates through its own 2F1 in forward mode). BG/BB is fitted on
simulated (x, t_x, n = 10) patterns the same way, with scipy's betaln. Each timing is the
median of 3 runs.
"""

from __future__ import annotations

import statistics
import sys
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


def main() -> None:
    import numpy as np
    from scipy.optimize import minimize
    from scipy.special import betaln, gammaln, hyp2f1

    from ltvkit import BetaGeoBetaBinomModel, ParetoNBDModel

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    truth = ParetoNBDModel(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    sims = [truth.simulate(n // 14 + 1, 26.0 + k, seed=k) for k in range(14)]
    f = np.concatenate([s["frequency"] for s in sims])[:n]
    big_t = np.concatenate([s["T"] for s in sims])[:n]
    rec = np.minimum(np.round(np.concatenate([s["recency"] for s in sims])[:n] * 7) / 7, big_t)

    def scipy_pnbd() -> Any:
        rows, w = np.unique(np.column_stack([f, rec, big_t]), axis=0, return_counts=True)
        x, tx, tt = rows[:, 0], rows[:, 1], rows[:, 2]
        w = w.astype(float)

        def nll(theta: np.ndarray) -> float:
            r, alpha, s, beta = np.exp(theta)
            big, b = (alpha, s + 1) if alpha >= beta else (beta, r + x)
            rsx = r + s + x
            z = abs(alpha - beta)
            a0 = (
                hyp2f1(rsx, b, rsx + 1, z / (big + tx)) / (big + tx) ** rsx
                - hyp2f1(rsx, b, rsx + 1, z / (big + tt)) / (big + tt) ** rsx
            )
            front = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
            alive = (alpha + tt) ** -(r + x) * (beta + tt) ** -s
            ll = np.sum(w * (front + np.log(alive + s / rsx * a0)))
            return float(-ll / w.sum()) if np.isfinite(ll) else 1e300

        return minimize(nll, np.zeros(4), method="L-BFGS-B")

    def ltvkit_pnbd() -> Any:
        return ParetoNBDModel.fit(frequency=f, recency=rec, T=big_t)

    t_scipy, res = median_time(scipy_pnbd)
    t_ltv, fit = median_time(ltvkit_pnbd)
    distinct = len(np.unique(np.column_stack([f, rec, big_t]), axis=0))
    print(f"Pareto/NBD, {n:,} customers ({distinct:,} distinct rows)")
    print(f"  scipy L-BFGS-B  {t_scipy:8.3f} s  params {np.round(np.exp(res.x), 3)}")
    print(f"  ltvkit          {t_ltv:8.3f} s  params {[round(v, 3) for v in fit.params.values()]}")
    print(f"  speed-up        {t_scipy / t_ltv:8.1f}x")

    bb = BetaGeoBetaBinomModel(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
    sim = bb.simulate(n, 10.0, seed=1)
    bx, br, bn = sim["frequency"], sim["recency"], sim["periods"]

    def scipy_bgbb() -> Any:
        rows, w = np.unique(np.column_stack([bx, br, bn]), axis=0, return_counts=True)
        x, tx, nn = rows[:, 0], rows[:, 1], rows[:, 2]
        w = w.astype(float)

        def nll(theta: np.ndarray) -> float:
            a, b, g, d = np.exp(theta)
            lik = np.exp(
                betaln(a + x, b + nn - x) - betaln(a, b) + betaln(g, d + nn) - betaln(g, d)
            )
            for i in range(int(nn.max())):
                keep = i < nn - tx
                lik += np.where(
                    keep,
                    np.exp(
                        betaln(a + x, b + tx - x + i)
                        - betaln(a, b)
                        + betaln(g + 1, d + tx + i)
                        - betaln(g, d)
                    ),
                    0.0,
                )
            return float(-np.sum(w * np.log(lik)) / w.sum())

        return minimize(nll, np.zeros(4), method="L-BFGS-B")

    def ltvkit_bgbb() -> Any:
        return BetaGeoBetaBinomModel.fit(frequency=bx, recency=br, periods=bn)

    t_scipy, res = median_time(scipy_bgbb)
    t_ltv, fit = median_time(ltvkit_bgbb)
    print(f"BG/BB, {n:,} customers, 10 opportunities")
    print(f"  scipy L-BFGS-B  {t_scipy:8.3f} s  params {np.round(np.exp(res.x), 3)}")
    print(f"  ltvkit          {t_ltv:8.3f} s  params {[round(v, 3) for v in fit.params.values()]}")
    print(f"  speed-up        {t_scipy / t_ltv:8.1f}x")


if __name__ == "__main__":
    main()
