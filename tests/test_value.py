"""value_breakdown against a hand-computed example."""

from __future__ import annotations

import pyarrow as pa
import pytest

import ltvkit
from ltvkit.transactions import metadata, value_breakdown

ROWS = [
    # customer, date, amount, value type, referred by
    ("ann", "2021-01-01", 100.0, "initial", None),
    ("ann", "2021-02-01", 30.0, "upgrade", None),
    ("ann", "2021-03-01", 100.0, "renewal", None),
    ("ann", "2021-03-05", 20.0, "cross_sell", None),
    ("ann", "2021-03-06", -5.0, "Cross-sell", None),
    ("bob", "2021-01-10", 80.0, "initial", "ann"),
    ("bob", "2021-02-10", 10.0, "Expansion", "ann"),
    ("cy", "2021-02-01", 50.0, "initial", None),
    ("cy", "2021-04-01", 15.0, "lock_in", "ann"),
    ("dee", "2021-01-05", 40.0, "initial", "zed"),
    ("dee", "2021-01-06", 5.0, "referral", "zed"),
]
COLUMNS = ["customer_id", "date", "amount", "value_type", "referred_by"]
LOG = pa.table({c: [r[i] for r in ROWS] for i, c in enumerate(COLUMNS)})

# By hand, own value per type:
#   ann: initial 100, upsell 30, renewal 100, cross_sell 20 - 5 = 15      -> 245
#   bob: initial 80, expansion 10                                          -> 90
#   cy:  initial 50, lock_in 15 (referrer on the second row only)          -> 65
#   dee: initial 40, referral 5 (referred by "zed", not a customer)        -> 45
# credit (share 0.5): ann gets 0.5 * (90 + 65) = 77.5
EXPECTED = {
    "customer_id": ["ann", "bob", "cy", "dee"],
    "initial": [100.0, 80.0, 50.0, 40.0],
    "upsell": [30.0, 0.0, 0.0, 0.0],
    "renewal": [100.0, 0.0, 0.0, 0.0],
    "cross_sell": [15.0, 0.0, 0.0, 0.0],
    "expansion": [0.0, 10.0, 0.0, 0.0],
    "referral": [77.5, 0.0, 0.0, 5.0],
    "lock_in": [0.0, 0.0, 15.0, 0.0],
    "referral_credit": [77.5, 0.0, 0.0, 0.0],
    "total": [322.5, 90.0, 65.0, 45.0],
}


def test_value_breakdown_hand_computed() -> None:
    v = value_breakdown(LOG, referred_by="referred_by", referral_share=0.5)
    assert v.to_pydict() == EXPECTED
    meta = metadata(v)
    summary = meta["summary"]
    assert summary["revenue_by_type"] == {
        "initial": 270.0,
        "upsell": 30.0,
        "renewal": 100.0,
        "cross_sell": 15.0,
        "expansion": 10.0,
        "referral": 5.0,
        "lock_in": 15.0,
    }
    assert summary["revenue"] == 445.0
    assert summary["cross_sell_upsell_share"] == (15.0 + 30.0) / 445.0
    assert summary["referrals_unmatched"] == 1
    assert meta["report"]["refund_rows_netted"] == 1


def test_value_breakdown_pandas_without_referrals() -> None:
    v = value_breakdown(LOG.to_pandas())
    assert v.loc["ann", "referral"] == 0.0
    assert v["total"].tolist() == [245.0, 90.0, 65.0, 45.0]


def test_unknown_value_type_names_row() -> None:
    bad = LOG.set_column(3, "value_type", pa.array(["initial"] * 7 + ["discount"] * 4))
    with pytest.raises(ltvkit.InvalidDataError) as err:
        value_breakdown(bad)
    assert (err.value.column, err.value.row, err.value.value) == (
        "value_type",
        7,
        '"discount"',
    )
    with pytest.raises(ltvkit.InvalidInputError, match="referral_share"):
        value_breakdown(LOG, referral_share=1.5)
