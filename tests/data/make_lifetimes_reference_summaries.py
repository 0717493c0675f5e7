"""Writes lifetimes 0.11.3's summaries of the CDNOW sample (reference of test_transactions.py).

Run it in its own environment (lifetimes 0.11.3 needs an older stack), from the repository root:

    python3 -m venv /tmp/venv-lifetimes
    /tmp/venv-lifetimes/bin/pip install "lifetimes==0.11.3" "pandas<2" "numpy<2" \\
        "scipy<1.12" autograd dill
    /tmp/venv-lifetimes/bin/python tests/data/make_lifetimes_reference_summaries.py

(used: lifetimes 0.11.3, pandas 1.5.3, numpy 1.26.4, scipy 1.11.4 on CPython 3.11). Floats are
written with 17 significant digits, so that reading them back gives the very same doubles.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "data"
LOG = ROOT / "python" / "ltvkit" / "datasets" / "cdnow_transactions.csv"

# name -> (freq, freq_multiplier); "D7" is days / 7, the "weeks" of the Fader-Hardie papers.
UNITS = {"D": ("D", 1), "W": ("W", 1), "D7": ("D", 7)}
CALIBRATION_END = "1997-09-30"
OBSERVATION_END = "1998-06-30"


def main() -> None:
    # imported here so that pytest's doctest collection can import this file without lifetimes
    import lifetimes
    import pandas as pd
    from lifetimes.utils import calibration_and_holdout_data, summary_data_from_transaction_data

    assert lifetimes.__version__ == "0.11.3", lifetimes.__version__
    log = pd.read_csv(LOG, dtype={"customer_id": "int64", "date": "str", "amount": "float64"})
    for name, (freq, mult) in UNITS.items():
        summary = summary_data_from_transaction_data(
            log,
            "customer_id",
            "date",
            monetary_value_col="amount",
            freq=freq,
            freq_multiplier=mult,
        )
        summary.to_csv(OUT / f"lifetimes_summary_{name}.csv", float_format="%.17g")
        no_amount = summary_data_from_transaction_data(
            log,
            "customer_id",
            "date",
            freq=freq,
            freq_multiplier=mult,
            observation_period_end=CALIBRATION_END,
        )
        no_amount.to_csv(
            OUT / f"lifetimes_summary_{name}_to_{CALIBRATION_END}.csv", float_format="%.17g"
        )
        calhold = calibration_and_holdout_data(
            log,
            "customer_id",
            "date",
            calibration_period_end=CALIBRATION_END,
            observation_period_end=OBSERVATION_END,
            freq=freq,
            freq_multiplier=mult,
            monetary_value_col="amount",
        )
        calhold.to_csv(OUT / f"lifetimes_calibration_holdout_{name}.csv", float_format="%.17g")


if __name__ == "__main__":
    main()
