"""cohort_table and historical_ltv on transaction logs, against hand-computed examples."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import ltvkit
from ltvkit.transactions import cohort_table, historical_ltv, metadata

# c1 (ads): Jan 5 100, Feb 10 50, Mar 1 30
# c2 (seo): Jan 20 200, Jan 25 20, Mar 15 40, Mar 16 -10 (a refund in the same month: netted)
# c3 (ads): Feb 3 80, Mar 3 20
# c4 (seo): Feb 28 60
LOG = pd.DataFrame(
    {
        "customer_id": [2, 1, 1, 1, 2, 2, 2, 3, 3, 4],
        "date": pd.to_datetime(
            [
                "2020-01-20",
                "2020-01-05",
                "2020-02-10",
                "2020-03-01",
                "2020-01-25",
                "2020-03-15",
                "2020-03-16",
                "2020-02-03",
                "2020-03-03",
                "2020-02-28",
            ]
        ),
        "amount": [200.0, 100.0, 50.0, 30.0, 20.0, 40.0, -10.0, 80.0, 20.0, 60.0],
        "channel": ["seo", "ads", "ads", "ads", "seo", "seo", "seo", "ads", "ads", "seo"],
    }
)

# By hand, monthly cohorts and ages (observation ends 2020-03-16, the last date):
# January (c1, c2; N = 2): ages 0, 1, 2
#   active 2, 1, 2; net revenue 320, 50, 60 (40 - 10); gross 320, 50, 70
#   first purchases: c1 100, c2 200 (Jan 20 only) -> 150 per customer
# February (c3, c4; N = 2): ages 0, 1 (March is age 1; age 2 is not observed yet)
#   active 2, 1; revenue 140, 20; first purchases 80, 60 -> 70 per customer
NAN = math.nan
EXPECTED = {
    "customers": [[2, 1, 2], [2, 1, NAN]],
    "retention": [[1.0, 0.5, 1.0], [1.0, 0.5, NAN]],
    "revenue": [[320.0, 50.0, 60.0], [140.0, 20.0, NAN]],
    "gross_revenue": [[320.0, 50.0, 70.0], [140.0, 20.0, NAN]],
    "revenue_retention": [[1.0, 50 / 320, 60 / 320], [1.0, 20 / 140, NAN]],
    "gross_revenue_retention": [[1.0, 50 / 320, 70 / 320], [1.0, 20 / 140, NAN]],
    "revenue_per_customer": [[160.0, 25.0, 30.0], [70.0, 10.0, NAN]],
    "cumulative_revenue_per_customer": [[160.0, 185.0, 215.0], [70.0, 80.0, NAN]],
    "ltv_multiple": [[160 / 150, 185 / 150, 215 / 150], [70 / 70, 80 / 70, NAN]],
}


@pytest.mark.parametrize("metric", sorted(EXPECTED))
def test_cohort_table_hand_computed(metric: str) -> None:
    t = cohort_table(LOG, metric=metric, amount="amount")
    assert list(t.index) == [pd.Timestamp("2020-01-01"), pd.Timestamp("2020-02-01")]
    assert t["customers"].tolist() == [2, 2]
    got = t[[0, 1, 2]].to_numpy().ravel().tolist()
    want = [v for row in EXPECTED[metric] for v in row]
    assert got == pytest.approx(want, nan_ok=True, rel=1e-15)
    report = metadata(t)["report"]
    assert (report["refund_rows_netted"], report["rows_used"]) == (1, 10)


def test_cohort_table_by_segment_and_kinds() -> None:
    # ads: c1 (Jan), c3 (Feb); seo: c2 (Jan), c4 (Feb). ads January: c1 alone.
    t = cohort_table(pl.from_pandas(LOG), metric="revenue", amount="amount", segment="channel")
    assert t["channel"].to_list() == ["ads", "ads", "seo", "seo"]
    assert t["customers"].to_list() == [1, 1, 1, 1]
    assert t["0"].to_list() == [100.0, 80.0, 220.0, 60.0]
    assert t["1"].to_list() == [50.0, 20.0, 0.0, 0.0]
    assert t["2"].to_list() == [30.0, None, 30.0, None]
    arrow = cohort_table(pa.Table.from_pandas(LOG), metric="customers")
    assert arrow.column("cohort").to_pylist() == [dt.date(2020, 1, 1), dt.date(2020, 2, 1)]


def test_cohort_table_weekly_ages() -> None:
    # c1's weeks since Jan 5 (a Sunday, week Dec 30 - Jan 5): Feb 10 is 6 weeks later
    t = cohort_table(LOG[LOG.customer_id == 1], metric="customers", cohort="M", period="W")
    row = t.iloc[0]
    assert [k for k in range(len(row) - 1) if row[k] == 1] == [0, 6, 8]


def test_revenue_metric_needs_amount() -> None:
    with pytest.raises(ltvkit.InvalidInputError, match="amount"):
        cohort_table(LOG, metric="revenue")
    with pytest.raises(ltvkit.InvalidInputError, match="metric"):
        cohort_table(LOG, metric="nps", amount="amount")


def test_historical_ltv_by_cohort_hand_computed() -> None:
    h = ltvkit.historical_ltv(LOG)
    # January: 430 / 2 = 215, first purchase 150 -> 1.4333; February: 160 / 2 = 80, 70
    assert h["customers"].tolist() == [2, 2]
    assert h["revenue"].tolist() == [430.0, 160.0]
    assert h["historical_ltv"].tolist() == [215.0, 80.0]
    assert h["first_purchase_value"].tolist() == [150.0, 70.0]
    assert h["ltv_multiple"].tolist() == pytest.approx([215 / 150, 80 / 70], rel=1e-15)


def test_historical_ltv_horizon_and_segments() -> None:
    h = historical_ltv(LOG, horizon=1, observation_end="2020-03-31")
    assert h["historical_ltv"].tolist() == [160.0, 70.0]
    assert metadata(h)["observation_end"] == "2020-03-31"
    # left out: c1 Feb and Mar, c2 Mar 15 and 16, c3 Mar
    assert metadata(h)["report"]["rows_beyond_horizon"] == 5
    s = historical_ltv(LOG, by="channel")
    # ads: c1 180 + c3 100 over 2 = 140, first (100 + 80) / 2 = 90
    # seo: c2 250 + c4 60 over 2 = 155, first (200 + 60) / 2 = 130
    assert list(s.index) == ["ads", "seo"]
    assert s["historical_ltv"].tolist() == [140.0, 155.0]
    assert s["ltv_multiple"].tolist() == pytest.approx([140 / 90, 155 / 130], rel=1e-15)


def test_historical_ltv_issue_example() -> None:
    """The issue's example: 100 customers who brought 60,000 are worth 600 each, 1.5x a 400
    first offer."""
    ids = list(range(100))
    log = pa.table(
        {
            "customer_id": ids + ids,
            "date": ["2021-03-02"] * 100 + ["2021-07-15"] * 100,
            "amount": [400.0] * 100 + [200.0] * 100,
        }
    )
    h = historical_ltv(log)
    assert h.column("historical_ltv").to_pylist() == [600.0]
    assert h.column("ltv_multiple").to_pylist() == [1.5]
    # the two-number form still works
    assert ltvkit.historical_ltv(60_000, 100) == 600.0
    with pytest.raises(ltvkit.InvalidInputError):
        ltvkit.historical_ltv(log, 100)
