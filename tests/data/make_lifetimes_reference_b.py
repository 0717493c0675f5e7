"""Write lifetimes 0.11.3's Pareto/NBD and BG/BB fits and predictions, as an independent
reference for the part B models.

lifetimes needs an old stack; run this in a separate virtual environment:

    python3 -m venv /tmp/venv-lifetimes
    /tmp/venv-lifetimes/bin/pip install "lifetimes==0.11.3" "pandas<2" "numpy<2" "scipy<1.12"
    /tmp/venv-lifetimes/bin/python tests/data/make_lifetimes_reference_b.py

It reads tests/data/cdnow_summary.csv (weeks, 2 decimals) and
tests/data/donations_summary.csv, and writes tests/data/lifetimes_reference_b.json (fitted
parameters and log-likelihoods) and tests/data/lifetimes_reference_b_customers.csv (Pareto/NBD
predictions per CDNOW customer at lifetimes' fitted parameters) and
tests/data/lifetimes_reference_b_donations.csv (BG/BB predictions per donation pattern). The
tests evaluate ltvkit at lifetimes' parameters, so that they compare formulas, and compare the
fits separately.
"""

from __future__ import annotations

import json
import pathlib

__all__: list[str] = []

HERE = pathlib.Path(__file__).parent
HORIZON = 39.0


def main() -> None:
    # Imported here so that collecting this file (pytest --doctest-modules) needs no lifetimes.
    import lifetimes
    import pandas as pd
    from lifetimes import BetaGeoBetaBinomFitter, ParetoNBDFitter

    cd = pd.read_csv(HERE / "cdnow_summary.csv")
    x, tx, big_t = cd["frequency"], cd["recency"], cd["T"]
    pnbd = ParetoNBDFitter().fit(x, tx, big_t)
    p = pnbd.params_
    out = {
        "lifetimes_version": lifetimes.__version__,
        "pareto_nbd": {
            "params": {k: float(p[k]) for k in ("r", "alpha", "s", "beta")},
            "expected_purchases": {
                str(t): float(pnbd.expected_number_of_purchases_up_to_time(t))
                for t in (1.0, 10.0, 39.0, 78.0)
            },
        },
    }
    customers = pd.DataFrame(
        {
            "x": x,
            "t_x": tx,
            "T": big_t,
            "p_alive": pnbd.conditional_probability_alive(x, tx, big_t),
            "expected_39": pnbd.conditional_expected_number_of_purchases_up_to_time(
                HORIZON, x, tx, big_t
            ),
        }
    )
    customers.to_csv(
        HERE / "lifetimes_reference_b_customers.csv", index=False, float_format="%.17g"
    )

    don = pd.read_csv(HERE / "donations_summary.csv")
    bgbb = BetaGeoBetaBinomFitter().fit(
        don["frequency"], don["recency"], don["periods"], weights=don["weights"]
    )
    q = bgbb.params_
    out["bg_bb"] = {
        "params": {k: float(q[k]) for k in ("alpha", "beta", "gamma", "delta")},
        # expected numbers of donors with x = 0..6 donations in 6 years, over the donor count:
        # P(X(6) = x)
        "pmf_6": [
            float(v) / float(don["weights"].sum())
            for v in bgbb.expected_number_of_transactions_in_first_n_periods(6)["model"]
        ],
    }
    f, r, n = don["frequency"], don["recency"], don["periods"]
    patterns = pd.DataFrame(
        {
            "frequency": f,
            "recency": r,
            "periods": n,
            "p_alive_next": bgbb.conditional_probability_alive(1, f, r, n),
            "expected_5": bgbb.conditional_expected_number_of_purchases_up_to_time(5, f, r, n),
        }
    )
    patterns.to_csv(HERE / "lifetimes_reference_b_donations.csv", index=False, float_format="%.17g")
    (HERE / "lifetimes_reference_b.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
