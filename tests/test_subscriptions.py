"""subscription_metrics against a hand-computed five-month example."""

from __future__ import annotations

import math

import pandas as pd
import polars as pl
import pytest

import ltvkit
from ltvkit.transactions import metadata, subscription_metrics

# MRR by customer and month, 2021 (any day names the month):
#        Jan  Feb  Mar  Apr        May
# A      100  100  150  150        150
# B       50   30   -   40         40     (gone in March, back in April: reactivated)
# C        -  200  200   -          -     (new in February, churned in April)
# D        -    -   80  70 - 10    60     (a refund netted in April: 60)
ROWS = [
    ("A", "2021-01-01", 100.0),
    ("A", "2021-02-01", 100.0),
    ("A", "2021-03-01", 150.0),
    ("A", "2021-04-01", 150.0),
    ("A", "2021-05-01", 150.0),
    ("B", "2021-01-15", 50.0),
    ("B", "2021-02-15", 30.0),
    ("B", "2021-04-15", 40.0),
    ("B", "2021-05-15", 40.0),
    ("C", "2021-02-01", 200.0),
    ("C", "2021-03-01", 200.0),
    ("D", "2021-03-01", 80.0),
    ("D", "2021-04-01", 70.0),
    ("D", "2021-04-20", -10.0),
    ("D", "2021-05-01", 60.0),
]
LOG = pd.DataFrame(ROWS, columns=["customer_id", "month", "mrr"]).sample(frac=1, random_state=1)

N = math.nan
# by hand, month by month (see the table above)
EXPECTED = {
    "mrr": [150, 330, 430, 250, 250],
    "customers": [2, 3, 3, 3, 3],
    "new_mrr": [150, 200, 80, 0, 0],
    "expansion_mrr": [0, 0, 50, 0, 0],
    "contraction_mrr": [0, 20, 0, 20, 0],
    "churned_mrr": [0, 0, 30, 200, 0],
    "reactivated_mrr": [0, 0, 0, 40, 0],
    "new_customers": [2, 1, 1, 0, 0],
    "churned_customers": [0, 0, 1, 1, 0],
    "reactivated_customers": [0, 0, 0, 1, 0],
    "arpa": [75, 110, 430 / 3, 250 / 3, 250 / 3],
    "logo_churn": [N, 0 / 2, 1 / 3, 1 / 3, 0 / 3],
    "gross_revenue_retention": [N, 130 / 150, 300 / 330, 210 / 430, 1.0],
    "net_revenue_retention": [N, 130 / 150, 350 / 330, 210 / 430, 1.0],
    "quick_ratio": [N, 200 / 20, 130 / 30, 40 / 220, N],
}
# the core divides the same integers-valued doubles; allow the last ulp
HAND_REL_TOL = 1e-15


@pytest.mark.parametrize("column", sorted(EXPECTED))
def test_subscription_metrics_hand_computed(column: str) -> None:
    m = subscription_metrics(LOG)
    assert list(m.index) == list(pd.date_range("2021-01-01", periods=5, freq="MS"))
    got = [float(v) for v in m[column]]
    assert got == pytest.approx([float(v) for v in EXPECTED[column]], nan_ok=True, rel=HAND_REL_TOL)


def test_mrr_bridge_and_report() -> None:
    m = subscription_metrics(pl.from_pandas(LOG))
    mrr = m["mrr"].to_list()
    for t in range(1, 5):
        bridge = (
            mrr[t - 1]
            + m["new_mrr"][t]
            + m["reactivated_mrr"][t]
            + m["expansion_mrr"][t]
            - m["contraction_mrr"][t]
            - m["churned_mrr"][t]
        )
        assert bridge == mrr[t]
    report = metadata(m)["report"]
    assert (report["rows_read"], report["refund_rows_netted"]) == (15, 1)


def test_refunds_error_policy() -> None:
    with pytest.raises(ltvkit.InvalidDataError) as err:
        subscription_metrics(LOG.sort_index(), refunds="error")
    assert (err.value.column, err.value.row) == ("mrr", 13)
