"""Writes pareto_nbd_reference.csv: Pareto/NBD quantities computed by numerical integration.

Run with any Python that has mpmath (the Debian system python3 has mpmath 1.3):

    python3 tests/data/make_pareto_nbd_reference.py

Every quantity is integrated directly from the model's assumptions with mpmath.quad at 30
digits, without the closed forms (no 2F1, no incomplete gamma), so it checks ltvkit's closed
forms independently. With lambda ~ Gamma(r, alpha), mu ~ Gamma(s, beta):

  L        = G(r+x) a^r b^s / G(r) [ (a+T)^-(r+x) (b+T)^-s
                                     + s int_{t_x}^T (a+u)^-(r+x) (b+u)^-(s+1) du ]
  P(alive) = (first term) / (bracket)
  E[Y(t)]  = P(alive) (r+x)/(a+T) int_0^t ((b+T)/(b+T+u))^s du
  DERT     = P(alive) (r+x)/(a+T) int_0^inf ((b+T)/(b+T+u))^s e^(-delta u) du
  E[X(t)]  = r/a int_0^t (b/(b+u))^s du                     (new customer)
"""

from __future__ import annotations

import csv
from pathlib import Path

try:
    import mpmath as mp
except ImportError:  # pytest --doctest-modules imports this script; only running it needs mpmath
    mp = None
OUT = Path(__file__).with_name("pareto_nbd_reference.csv")

PARAMS = {
    # Fader, Hardie & Lee (2005) CDNOW estimates (alpha < beta branch)
    "cdnow": (0.553, 10.578, 0.606, 11.669),
    # alpha > beta branch, s > 1
    "alpha_gt_beta": (0.9, 12.0, 1.3, 4.0),
}
CUSTOMERS = [
    (0, 0.0, 38.86),
    (0, 0.0, 27.0),
    (1, 1.71, 38.86),
    (2, 30.43, 38.86),
    (7, 29.43, 35.0),
    (7, 35.0, 35.0),
    (29, 38.0, 38.5),
    (150, 20.0, 39.0),
]
HORIZON = 39.0
# 15% a year, continuously compounded per week: log(1.15) / 52
ANNUAL_RATE = "1.15"


def row(r, a, s, b, x, tx, t, delta):
    r, a, s, b, tx, t = map(mp.mpf, (r, a, s, b, tx, t))
    alive = (a + t) ** (-(r + x)) * (b + t) ** (-s)
    # the integrand falls by e^-70 over (t_x, T] for x = 150: 64 panels keep quad exact
    panels = mp.linspace(tx, t, 65) if t > tx else [tx, t]
    dead = s * mp.quad(lambda u: (a + u) ** (-(r + x)) * (b + u) ** (-(s + 1)), panels)
    front = mp.loggamma(r + x) - mp.loggamma(r) + r * mp.log(a) + s * mp.log(b)
    ll = front + mp.log(alive + dead)
    p_alive = alive / (alive + dead)
    rate = p_alive * (r + x) / (a + t)
    cond = rate * mp.quad(lambda u: ((b + t) / (b + t + u)) ** s, [0, HORIZON])
    dert = rate * mp.quad(
        lambda u: ((b + t) / (b + t + u)) ** s * mp.exp(-delta * u), [0, 100, 1000, mp.inf]
    )
    return ll, p_alive, cond, dert


def new_customer(r, a, s, b):
    r, a, s, b = map(mp.mpf, (r, a, s, b))
    return r / a * mp.quad(lambda u: (b / (b + u)) ** s, [0, HORIZON])


def main() -> None:
    mp.mp.dps = 30
    delta = mp.log(mp.mpf(ANNUAL_RATE)) / 52
    with OUT.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(
            [
                "params",
                "r",
                "alpha",
                "s",
                "beta",
                "x",
                "t_x",
                "T",
                "log_likelihood",
                "p_alive",
                "expected_39",
                "dert",
                "new_customer_39",
            ]
        )
        for name, (r, a, s, b) in PARAMS.items():
            new = new_customer(r, a, s, b)
            for x, tx, t in CUSTOMERS:
                vals = row(r, a, s, b, x, tx, t, delta)
                w.writerow([name, r, a, s, b, x, tx, t] + [mp.nstr(v, 17) for v in (*vals, new)])


if __name__ == "__main__":
    main()
