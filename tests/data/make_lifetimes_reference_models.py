"""Write lifetimes 0.11.3's fits and predictions on CDNOW, as an independent reference.

lifetimes needs an old stack; run this in a separate virtual environment:

    python3 -m venv /tmp/venv-lifetimes
    /tmp/venv-lifetimes/bin/pip install "lifetimes==0.11.3" "pandas<2" "numpy<2" "scipy<1.12"
    /tmp/venv-lifetimes/bin/python tests/data/make_lifetimes_reference_models.py

It reads tests/data/cdnow_summary_monetary.csv (weeks, 2 decimals) and writes
tests/data/lifetimes_reference.json (fitted parameters, log-likelihoods, new-customer
predictions) and tests/data/lifetimes_reference_customers.csv (per-customer predictions with the
fitted parameters). The tests evaluate ltvkit at lifetimes' fitted parameters, so that they
compare formulas, and compare the fits separately.

lifetimes' CLV uses "months" of 4.345 weeks when freq="W" (30 days when freq="D"); the
reference below is that 4.345-week period, 12 periods, 1% discount per period.
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
    import numpy as np
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter, ModifiedBetaGeoFitter

    df = pd.read_csv(HERE / "cdnow_summary_monetary.csv")
    x, tx, big_t, zbar = df["x"], df["t_x"], df["T"], df["zbar"]

    bg = BetaGeoFitter().fit(x, tx, big_t)
    mbg = ModifiedBetaGeoFitter().fit(x, tx, big_t)
    rb = df[df["x"] > 0]
    gg = GammaGammaFitter().fit(rb["x"], rb["zbar"])

    n = len(df)
    ones = np.ones(n)

    def total_ll(fitter: object, names: list[str], *args: object) -> float:
        # lifetimes fits BG/MBG on rescaled time, so its stored optimum is not the
        # log-likelihood of the data as given: evaluate its own likelihood function (mean per
        # customer, no penalty) at its estimates on the original data instead.
        log_params = np.log([fitter.params_[k] for k in names])
        return float(-fitter._negative_log_likelihood(log_params, *args, 0.0) * len(args[0]))

    out = {
        "lifetimes_version": lifetimes.__version__,
        "source": "tests/data/cdnow_summary_monetary.csv",
        "bg": {
            "params": {k: float(bg.params_[k]) for k in ["r", "alpha", "a", "b"]},
            # lifetimes stores the mean negative log-likelihood per customer.
            "log_likelihood": total_ll(bg, ["r", "alpha", "a", "b"], x, tx, big_t, ones),
            "expected_new": {
                str(t): float(bg.expected_number_of_purchases_up_to_time(t))
                for t in [1.0, 10.0, 39.0, 78.0]
            },
            "p_n_purchases_t39": [
                float(bg.probability_of_n_purchases_up_to_time(HORIZON, k)) for k in range(11)
            ],
        },
        "mbg": {
            "params": {k: float(mbg.params_[k]) for k in ["r", "alpha", "a", "b"]},
            "log_likelihood": total_ll(mbg, ["r", "alpha", "a", "b"], x, tx, big_t, ones),
            "expected_new": {
                str(t): float(mbg.expected_number_of_purchases_up_to_time(t))
                for t in [1.0, 10.0, 39.0, 78.0]
            },
        },
        "gg": {
            "params": {k: float(gg.params_[k]) for k in ["p", "q", "v"]},
            "log_likelihood": total_ll(
                gg, ["p", "q", "v"], rb["x"].to_numpy(), rb["zbar"].to_numpy(), np.ones(len(rb))
            ),
            "n_repeat_buyers": len(rb),
        },
        "clv": {"period_weeks": 4.345, "periods": 12, "discount_rate": 0.01},
    }
    (HERE / "lifetimes_reference.json").write_text(json.dumps(out, indent=2) + "\n")

    spend = gg.conditional_expected_average_profit(x, zbar)
    clv = gg.customer_lifetime_value(bg, x, tx, big_t, zbar, time=12, discount_rate=0.01, freq="W")
    cust = pd.DataFrame(
        {
            "ID": df["ID"],
            "bg_conditional_39": bg.conditional_expected_number_of_purchases_up_to_time(
                HORIZON, x, tx, big_t
            ),
            "bg_p_alive": bg.conditional_probability_alive(x, tx, big_t),
            "mbg_conditional_39": mbg.conditional_expected_number_of_purchases_up_to_time(
                HORIZON, x, tx, big_t
            ),
            "mbg_p_alive": mbg.conditional_probability_alive(x, tx, big_t),
            "gg_expected_spend": spend,
            "clv_bg_gg_12x4345w": clv,
        }
    )
    cust.to_csv(HERE / "lifetimes_reference_customers.csv", index=False, float_format="%.12g")


if __name__ == "__main__":
    main()
