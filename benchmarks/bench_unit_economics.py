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


def _median_seconds(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


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

    cases = {
        "simple_ltv (aov*freq*life)": (
            lambda: ltvkit.simple_ltv(aov, freq, life),
            lambda: aov * freq * life,
        ),
        "subscription_ltv (m*(1+d)/(c+d), d=0.01)": (
            lambda: ltvkit.subscription_ltv(arpa, 0.8, churn, discount_rate=0.01),
            lambda: arpa * 0.8 * 1.01 / (churn + 0.01),
        ),
        "cac (spend/customers)": (
            lambda: ltvkit.cac(aov, freq),
            lambda: aov / freq,
        ),
    }
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"machine: {machine}, numpy {np.__version__}, ltvkit {ltvkit.__version__}")
    print(f"rows: {n:,}; median of {args.repeat} runs\n")
    print("| case | ltvkit (ms) | numpy (ms) | ltvkit / numpy |")
    print("|---|---:|---:|---:|")
    for name, (ours, theirs) in cases.items():
        np.testing.assert_allclose(ours(), theirs(), rtol=1e-12)
        t_ours = _median_seconds(ours, args.repeat)
        t_np = _median_seconds(theirs, args.repeat)
        print(f"| {name} | {t_ours * 1e3:.1f} | {t_np * 1e3:.1f} | {t_ours / t_np:.2f}x |")


if __name__ == "__main__":
    main()
