"""Array path of the unit-economics functions against the equivalent numpy expression.

Usage: python benchmarks/bench_unit_economics.py [--rows 10000000] [--repeat 7]

Both sides get the same float64 arrays in one process, alternately, and the median wall time of
``--repeat`` runs is reported. The numpy side is the bare arithmetic; ltvkit also validates
every element (a negative, NaN or infinite input raises, naming its position), which numpy does
not do.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np

import ltvkit


def _medians(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall time and median CPU time of this process (robust on a shared machine)."""
    wall, cpu = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(wall), statistics.median(cpu)


def _nonneg(*xs: np.ndarray) -> None:
    for x in xs:
        if not (np.isfinite(x).all() and (x >= 0).all()):
            raise ValueError("bad input")


def _finite(y: np.ndarray) -> np.ndarray:
    if not np.isfinite(y).all():
        raise ValueError("bad output")
    return y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(42)
    n = args.rows
    aov = rng.uniform(5, 500, n)
    freq = rng.uniform(0.5, 12, n)
    life = rng.uniform(0.5, 10, n)
    arpa = rng.uniform(10, 200, n)
    churn = rng.uniform(0.01, 0.3, n)

    def simple_checked() -> np.ndarray:
        _nonneg(aov, freq, life)
        return _finite(aov * freq * life)

    def subscription_checked() -> np.ndarray:
        _nonneg(arpa)
        if not ((churn >= 0) & (churn <= 1)).all():
            raise ValueError("bad churn")
        return _finite(arpa * 0.8 * 1.01 / (churn + 0.01))

    def cac_checked() -> np.ndarray:
        _nonneg(aov)
        if not (np.isfinite(freq).all() and (freq > 0).all()):
            raise ValueError("bad customers")
        return _finite(aov / freq)

    cases = {
        "simple_ltv (aov*freq*life)": (
            lambda: ltvkit.simple_ltv(aov, freq, life),
            lambda: aov * freq * life,
            simple_checked,
        ),
        "subscription_ltv (m*(1+d)/(c+d), d=0.01)": (
            lambda: ltvkit.subscription_ltv(arpa, 0.8, churn, discount_rate=0.01),
            lambda: arpa * 0.8 * 1.01 / (churn + 0.01),
            subscription_checked,
        ),
        "cac (spend/customers)": (
            lambda: ltvkit.cac(aov, freq),
            lambda: aov / freq,
            cac_checked,
        ),
    }
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"machine: {machine}, numpy {np.__version__}, ltvkit {ltvkit.__version__}")
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    print(f"rows: {n:,}; median of {args.repeat} runs; CPU = this process's CPU time\n")
    print(
        "| case | ltvkit wall / CPU (ms) | numpy bare wall / CPU (ms) "
        "| numpy validated wall / CPU (ms) | ltvkit / bare (CPU) | ltvkit / validated (CPU) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, (ours, bare, checked) in cases.items():
        np.testing.assert_allclose(ours(), bare(), rtol=1e-12)
        w_o, c_o = _medians(ours, args.repeat)
        w_b, c_b = _medians(bare, args.repeat)
        w_c, c_c = _medians(checked, args.repeat)
        print(
            f"| {name} | {w_o * 1e3:.1f} / {c_o * 1e3:.1f} | {w_b * 1e3:.1f} / {c_b * 1e3:.1f} "
            f"| {w_c * 1e3:.1f} / {c_c * 1e3:.1f} | {c_o / c_b:.2f}x | {c_o / c_c:.2f}x |"
        )


if __name__ == "__main__":
    main()
