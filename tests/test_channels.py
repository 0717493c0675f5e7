"""channel_economics against hand calculations, in every table kind."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import ltvkit
from ltvkit import InvalidInputError

ROWS = [
    # A product of 500 bought once, 55,000 spent for 100 customers: CAC 550, -50 each.
    {"channel": "marketplace", "spend": 55_000, "new_customers": 100, "ltv": 500},
    # AOV 50, 4 a year, 3 years, 60% margin: LTV 600 * 0.6 = 360; CAC 2000/40 = 50;
    # margin per year 200 * 0.6 = 120, payback 50/120 years.
    {
        "channel": "email",
        "spend": 2_000,
        "new_customers": 40,
        "aov": 50,
        "frequency": 4,
        "lifespan": 3,
        "gross_margin": 0.6,
    },
]
EXPECTED = {
    "channel": ["marketplace", "email"],
    "cac": [550.0, 50.0],
    "ltv": [500.0, 360.0],
    "ltv_cac": [500 / 550, 360 / 50],
    "payback_periods": [None, 50 / 120],
    "profit_per_customer": [-50.0, 310.0],
    "total_profit": [-5000.0, 310.0 * 40],
    "loses_money": [True, False],
}


def _check(columns):
    for key, want in EXPECTED.items():
        got = list(columns[key])
        for g, w in zip(got, want):
            if w is None:
                assert g is None or g != g  # None, or NaN in a float frame column
            elif isinstance(w, float):
                assert float(g) == pytest.approx(w, rel=1e-12), key
            else:
                assert g == w, key


def test_records_in_records_out():
    out = ltvkit.channel_economics(ROWS)
    assert isinstance(out, list)
    _check({k: [r[k] for r in out] for k in out[0]})


def test_every_table_kind_round_trips():
    keys = dict.fromkeys(k for r in ROWS for k in r)
    columns = {k: [r.get(k) for r in ROWS] for k in keys}
    _check(ltvkit.channel_economics(columns))
    df = pd.DataFrame(columns)
    out = ltvkit.channel_economics(df)
    assert isinstance(out, pd.DataFrame)
    _check(out)
    out_pl = ltvkit.channel_economics(pl.DataFrame(columns))
    assert isinstance(out_pl, pl.DataFrame)
    _check(out_pl.to_dict(as_series=False))
    out_pa = ltvkit.channel_economics(pa.table(columns))
    assert isinstance(out_pa, pa.Table)
    _check(out_pa.to_pydict())


def test_exact_money_in_the_channel_table():
    out = ltvkit.channel_economics(
        [{"channel": "a", "spend": Decimal("100.00"), "new_customers": 3, "ltv": Decimal("50")}]
    )
    # 100 / 3 does not terminate: rust_decimal carries 28-29 significant digits.
    assert isinstance(out[0]["cac"], Decimal)
    assert abs(out[0]["cac"] - Decimal("33.3333333333333333333333333333")) < Decimal("1e-26")
    profit = out[0]["profit_per_customer"]
    assert abs(profit - Decimal("16.6666666666666666666666666667")) < Decimal("1e-26")
    assert out[0]["ltv"] == Decimal(50)


def test_bundled_example():
    out = ltvkit.channel_economics(ltvkit.datasets.load_channels())
    losers = [c for c, lose in zip(out["channel"], out["loses_money"]) if lose]
    # display: 30 x 2 x 1 x 0.6 = 36 < CAC 80; marketplace_ads: 500 < 550
    assert losers == ["display", "marketplace_ads"]
    i = out["channel"].index("marketplace_ads")
    assert out["profit_per_customer"][i] == Decimal(-50)


def test_zero_spend_channel_has_no_ratio():
    out = ltvkit.channel_economics(
        [{"channel": "organic", "spend": 0, "new_customers": 10, "ltv": 80}]
    )
    assert out[0]["cac"] == 0.0
    assert out[0]["ltv_cac"] is None
    assert not out[0]["loses_money"]


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ([{"channel": "a", "new_customers": 1, "ltv": 1}], "no 'spend' column"),
        ([{"channel": "a", "spend": 1, "new_customers": 1}], "needs an 'ltv' column"),
        (
            [
                {"channel": "a", "spend": 1, "new_customers": 1, "ltv": 1},
                {"channel": "b", "spend": 1, "new_customers": 0, "ltv": 1},
            ],
            "new_customers in row 1 is 0",
        ),
        (
            [{"channel": "a", "spend": None, "new_customers": 1, "ltv": 1}],
            "spend in row 0 is missing",
        ),
        (
            [{"channel": "a", "spend": 1, "new_customers": 1, "ltv": 1, "gross_margin": 2}],
            "gross_margin in row 0 is 2",
        ),
        ("not a table", "a table must be"),
    ],
)
def test_bad_tables(rows, match):
    with pytest.raises(InvalidInputError, match=match):
        ltvkit.channel_economics(rows)


def test_channel_columns_are_the_keys_channel_economics_returns_in_order():
    # the Excel functions and the workbook lay out their channel tables by CHANNEL_COLUMNS
    rows = ltvkit.channel_economics(
        [{"channel": "email", "spend": 2_000, "new_customers": 40, "ltv": 500}]
    )
    assert tuple(rows[0]) == ltvkit.economics.CHANNEL_COLUMNS
