"""Writes hyp2f1_golden.csv: reference values of 2F1(a, b; c; z) computed by mpmath.

Run with any Python that has mpmath (the Debian system python3 has mpmath 1.3):

    python3 tests/data/make_hyp2f1_golden.py

mpmath evaluates 2F1 in arbitrary precision (here 40 digits) with its own transformations, so
it is an implementation independent of ltvkit's. The cases cover each method of
src/special.rs and the regions where a naive series fails: z close to 1, c - a - b close to an
integer, large negative z, and the arguments the Pareto/NBD likelihood (alpha close to beta,
large x, beta much smaller than alpha), the BG/BB DERT and the sBG DEL/DERL produce.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

try:
    import mpmath
except ImportError:  # pytest --doctest-modules imports this script; only running it needs mpmath
    mpmath = None
OUT = Path(__file__).with_name("hyp2f1_golden.csv")


def cases() -> list[tuple[str, float, float, float, float]]:
    rng = random.Random(20261123)
    out: list[tuple[str, float, float, float, float]] = []
    # direct series, |z| <= 1/2
    for _ in range(40):
        a, b = rng.uniform(-3.5, 8.0), rng.uniform(0.05, 8.0)
        c = rng.uniform(0.1, 10.0)
        out.append(("series", a, b, c, rng.uniform(-0.5, 0.5)))
    # Pfaff, z < 0, far from 0
    for z in (-0.9, -2.0, -10.0, -100.0, -1e4):
        for a, b, c in ((0.7, 1.3, 2.2), (1.0, 4.5, 3.1), (2.5, 0.4, 5.0)):
            out.append(("negative_z", a, b, c, z))
    # 1/2 < z < 1, generic parameters (connection formula)
    for z in (0.6, 0.8, 0.9, 0.99, 0.999, 0.999999):
        for a, b, c in ((0.7, 1.3, 2.2), (1.0, 4.5, 3.1), (2.5, 0.4, 5.0), (0.3, 0.6, 0.5)):
            out.append(("near_one", a, b, c, z))
    # c - a - b close to an integer (the connection formula cancels; series fallback)
    for eps in (1e-3, 1e-6, 0.0):
        for m in (-1, 0, 1):
            a, b = 0.8, 1.1
            c = a + b + m + eps
            for z in (0.7, 0.9, 0.99):
                if m + eps <= 0 and z > 0.95:
                    continue
                out.append(("near_integer", a, b, c, z))
    # Pareto/NBD: 2F1(r+s+x, s+1 or r+x; r+s+x+1; |alpha-beta|/(max(alpha,beta)+t))
    for r, alpha, s, beta in (
        (0.553, 10.578, 0.606, 11.669),  # CDNOW (Fader, Hardie & Lee 2005)
        (0.553, 10.578, 0.606, 10.578 * (1 + 1e-9)),  # alpha ~ beta
        (0.553, 10.578, 0.606, 10.578 * (1 + 1e-4)),
        (2.0, 50.0, 1.5, 0.05),  # beta << alpha: z near 1
        (0.3, 0.01, 0.9, 30.0),  # alpha << beta
    ):
        for x in (0, 1, 5, 30, 200, 1000):
            for t in (0.0, 5.0, 38.86):
                rsx = r + s + x
                if alpha >= beta:
                    b, z = s + 1, (alpha - beta) / (alpha + t)
                else:
                    b, z = r + x, (beta - alpha) / (beta + t)
                out.append(("pareto_nbd", rsx, b, rsx + 1, z))
    # BG/BB DERT and sBG DEL/DERL: 2F1(1, delta+n(+1); gamma+delta+n(+1); 1/(1+d))
    for gamma, delta in ((0.657, 2.783), (0.704, 1.182), (0.668, 3.806), (2.5, 0.8)):
        for n in (0, 1, 6, 50):
            for d in (0.1, 0.01, 0.001):
                out.append(("discrete_dert", 1.0, delta + n, gamma + delta + n, 1 / (1 + d)))
    return out


def main() -> None:
    mpmath.mp.dps = 40
    with OUT.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["region", "a", "b", "c", "z", "value", "ln_abs_value"])
        for region, a, b, c, z in cases():
            v = mpmath.hyp2f1(mpmath.mpf(a), mpmath.mpf(b), mpmath.mpf(c), mpmath.mpf(z))
            ln_abs = mpmath.log(abs(v))
            w.writerow(
                [
                    region,
                    repr(a),
                    repr(b),
                    repr(c),
                    repr(z),
                    mpmath.nstr(v, 20),
                    mpmath.nstr(ln_abs, 20),
                ]
            )


if __name__ == "__main__":
    main()
