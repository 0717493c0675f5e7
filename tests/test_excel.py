"""ltvkit.excel: the worksheet functions, called as Excel passes arguments.

Tier (a) calls the functions directly with what Excel hands over (2-D lists, serial dates,
blanks as None, numbers as text); expected values are hand calculations written here, the
papers' published estimates, or the Python API on the same data. Tier (b) runs them once more
through xlwings' own Office.js conversion layer (``xlwings.server``) in a subprocess.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap

import pytest

import ltvkit
from ltvkit import excel

EPOCH = dt.date(1899, 12, 30)  # Excel's 1900 date system from serial 61 on
REL = 1e-9


def serial(d: dt.date) -> int:
    return (d - EPOCH).days


@pytest.fixture(scope="module")
def cdnow_range() -> list[list[object]]:
    """The bundled CDNOW log as an Excel range: header row, serial dates, amounts as text."""
    log = ltvkit.datasets.load_cdnow()
    rows: list[list[object]] = [["Customer ID", "Date", "Amount"]]
    for cid, d, a in zip(log["customer_id"], log["date"], log["amount"]):
        rows.append([float(cid), float(serial(d.date())), f"{a:.2f}"])
    rows.append([None, None, None])  # trailing blank row of a selected range
    return rows


@pytest.fixture(scope="module")
def cdnow_summary(cdnow_range: list[list[object]]) -> list[list[object]]:
    return excel.rfm_summary(cdnow_range, "7D", serial(dt.date(1997, 9, 30)))


# ---- unit economics: hand calculations -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("average_order_value", (6000, 120), 50.0),  # 6000 / 120
        ("purchase_frequency", ([[120]], [[30]]), 4.0),  # a 1x1 range
        ("customer_value", ("50", "4"), 200.0),  # text numbers
        ("ltv_simple", (50, 4, 3), 600.0),  # 50 x 4 x 3
        ("ltv_simple", (50, 2, 3, "month", "year"), 3600.0),  # 50 x 2 x 12 x 3
        ("ltv_simple", (50, 4, 3, None, None), 600.0),  # blanks take the defaults
        ("ltv_historical", (60000, 100), 600.0),
        ("ltv_multiple", (600, 400), 1.5),
        ("ltv_subscription", (100, "80%", "5%"), 1600.0),  # 100 x 0.8 / 0.05
        ("ltv_subscription", (100, 0.8, 0.05, None, None), 1600.0),
        ("ltv_profit", (400, 2, 100, 0.3, 20), 160.0),  # (400 + 2 x 100) x 0.3 - 20
        ("max_affordable_cac", (600, None), 200.0),  # 600 / 3
        ("max_affordable_cac", (600, 4), 150.0),
        ("cac", ("55,000", 100), 550.0),
        ("ltv_cac_ratio", (600, 200), 3.0),
        ("cac_payback", (550, 50), 11.0),
        ("churn_rate", (1000, 50), 0.05),
        ("retention_rate", (1000, 1050, 100), 0.95),  # (1050 - 100) / 1000
        ("expected_lifetime", (0.05,), 20.0),
    ],
)
def test_unit_economics_match_hand_calculations(name, args, expected):
    assert getattr(excel, name)(*args) == pytest.approx(expected, rel=REL)


def test_discounted_subscription_ltv_equals_the_python_api():
    # q = 0.95 / 1.01; LTV = 80 (1 - q^24) / (1 - q)
    q = 0.95 / 1.01
    hand = 80 * (1 - q**24) / (1 - q)
    assert excel.ltv_subscription(100, 0.8, 0.05, 0.01, 24) == pytest.approx(hand, rel=1e-12)
    assert excel.ltv_subscription(100, 0.8, 0.05, "1%", "24") == pytest.approx(hand, rel=1e-12)


def test_ranges_give_ranges_element_by_element():
    assert excel.cac([[1000], [2500]], 50) == [[20.0], [50.0]]
    assert excel.ltv_cac_ratio([[600, 300]], [[200, 300]]) == [[3.0, 1.0]]
    assert excel.ltv_simple([[50], [10]], 4, [[3], [1]]) == [[600.0], [40.0]]


def test_customer_base_spills_a_column():
    assert excel.customer_base(20, 10, 6) == [[10.0], [20.0], [30.0], [40.0], [50.0], [60.0]]
    # with churn: base_k = base_{k-1} x 0.9 + 100 from 1000 stays 1000
    assert excel.customer_base(100, None, 3, 1000, 0.1) == [[1000.0]] * 3
    assert excel.customer_base(20, 5, "6")[-1] == [90.0]


# ---- errors: an Excel error value, never an exception ----------------------------------------


@pytest.mark.parametrize(
    ("name", "args", "code"),
    [
        ("ltv_simple", (None, 4, 3), "#N/A"),  # blank or error cell
        ("ltv_simple", ("fifty", 4, 3), "#VALUE!"),
        ("ltv_simple", (50, 4, 3, "fortnight"), "#VALUE!"),
        ("ltv_subscription", (100, 0.8, 0), "#VALUE!"),  # unbounded lifetime
        ("ltv_subscription", (100, 0.8, 1.5), "#VALUE!"),
        ("ltv_simple", (1e308, 1e308, 1), "#NUM!"),  # overflow
        ("cac", (1000, 0), "#VALUE!"),
        ("cac", ([[1000], [None]], 5), "#N/A"),
        ("cac", (True, 5), "#VALUE!"),
        ("cac", ([[1000], [" "]], 5), "#N/A"),  # Office.js sends empty cells as ""
        ("customer_base", (20, 10, 2.5), "#VALUE!"),
        ("channel_economics", ([["channel", "spend"], ["a", 1]],), "#VALUE!"),
        ("rfm_summary", ([["customer_id", "date"], [1, 12]],), "#VALUE!"),  # serial < 61
        ("rfm_summary", ([["customer_id", "date"], [1, "someday"]],), "#VALUE!"),
        ("rfm_summary", ([["customer_id", "when"], [1, 45658]],), "#VALUE!"),
        ("p_alive", ([["nonsense"]], 1, 1, 2), "#VALUE!"),
        ("fit_bg_nbd", ([["frequency", "recency", "T"], [1, 5, 2]],), "#VALUE!"),  # recency > T
    ],
)
def test_bad_input_gives_an_error_value(name, args, code):
    assert getattr(excel, name)(*args) == code


def test_the_reason_is_shown_as_text_when_asked(monkeypatch):
    monkeypatch.setenv("LTVKIT_EXCEL_ERRORS", "text")
    out = excel.ltv_subscription(100, 0.8, 0)
    assert out.startswith("#VALUE! churn_rate is 0")
    assert excel.cac([[1000], [None]], 5).startswith("#N/A acquisition_spend (row 2, column 1)")


# ---- tables ----------------------------------------------------------------------------------


def test_channel_economics_on_a_range_with_a_header():
    out = excel.channel_economics(
        [
            [
                "Channel",
                "Spend",
                "New customers",
                "LTV",
                "AOV",
                "Frequency",
                "Lifespan",
                "Gross margin",
            ],
            ["marketplace", 55000, 100, 500, None, None, None, None],
            ["email", "2000", 40, None, 50, 4, 3, "60%"],
            [None, None, None, None, None, None, None, None],
        ]
    )
    assert out[0][:4] == ["channel", "spend", "new_customers", "cac"]
    rows = {r[0]: dict(zip(out[0], r)) for r in out[1:]}
    assert len(rows) == 2
    # marketplace: CAC 55000 / 100 = 550, LTV 500: loses 50 a customer
    assert rows["marketplace"]["cac"] == 550.0
    assert rows["marketplace"]["profit_per_customer"] == -50.0
    assert rows["marketplace"]["loses_money"] is True
    # email: LTV 50 x 4 x 3 x 0.6 = 360, CAC 50: profit 310, payback 50 / (50 x 4 x 0.6)
    assert rows["email"]["ltv"] == pytest.approx(360.0)
    assert rows["email"]["profit_per_customer"] == pytest.approx(310.0)
    assert rows["email"]["payback_periods"] == pytest.approx(50 / 120)
    assert rows["email"]["loses_money"] is False


def test_rfm_summary_of_a_small_range_by_hand():
    tx = [
        ["customer_id", "date", "amount"],
        [1, serial(dt.date(2025, 1, 1)), 10],
        [1, serial(dt.date(2025, 2, 12)), "20"],  # 42 days later
        ["1", "2025-02-12", 4],  # same day: one purchase of 24 (text id equals number id? no)
        [2, dt.datetime(2025, 2, 1, 13, 30), 5],  # a datetime, as classic COM passes dates
    ]
    out = excel.rfm_summary(tx[:3] + tx[4:], "D")
    assert out[0] == ["customer_id", "frequency", "recency", "T", "monetary_value"]
    # customer 1: one repeat purchase at day 42, T = 42 (the last date), mean repeat 20
    assert out[1] == [1, 1.0, 42.0, 42.0, 20.0]
    # customer 2: first purchase on 1 Feb, 11 days before the end
    assert out[2] == [2, 0.0, 0.0, 11.0, 0.0]


def test_rfm_summary_of_cdnow_equals_the_python_api(cdnow_summary):
    summary = ltvkit.rfm_summary(
        ltvkit.datasets.load_cdnow(),
        amount="amount",
        period="7D",
        observation_end="1997-09-30",
        future="drop",
    )
    header, rows = cdnow_summary[0], cdnow_summary[1:]
    assert header == ["customer_id", "frequency", "recency", "T", "monetary_value"]
    assert len(rows) == len(summary) == 2357
    assert [r[0] for r in rows] == summary.index.tolist()
    for j, name in enumerate(header[1:], start=1):
        assert [r[j] for r in rows] == pytest.approx(summary[name].tolist(), rel=1e-12)


def test_cohort_table_by_hand():
    tx = [
        ["customer_id", "date"],
        ["a", serial(dt.date(2025, 1, 5))],
        ["a", serial(dt.date(2025, 2, 7))],
        ["b", serial(dt.date(2025, 1, 20))],
        ["c", serial(dt.date(2025, 2, 3))],
    ]
    out = excel.cohort_table(tx)
    assert out[0] == ["cohort", "customers", 0, 1]
    # January: a and b, a came back in month 1: retention 1, 0.5
    assert out[1] == [dt.date(2025, 1, 1), 2.0, 1.0, 0.5]
    # February: c only; month 1 not reached yet (empty cell)
    assert out[2] == [dt.date(2025, 2, 1), 1.0, 1.0, None]


def test_cohort_revenue_equals_the_python_api(cdnow_range):
    out = excel.cohort_table(cdnow_range, "revenue", "M", "M")
    expected = ltvkit.cohort_table(ltvkit.datasets.load_cdnow(), metric="revenue", amount="amount")
    assert len(out) - 1 == len(expected) == 3  # CDNOW's cohorts are Jan-Mar 1997
    assert [r[0] for r in out[1:]] == [d.date() for d in expected.index]
    for row, (_, e) in zip(out[1:], expected.iterrows()):
        want = [None if v != v else v for v in e.tolist()]  # NaN: an age not yet reached
        assert [v is None for v in row[1:]] == [v is None for v in want]
        got = [v for v in row[1:] if v is not None]
        assert got == pytest.approx([v for v in want if v is not None], rel=1e-9)


# ---- models: published estimates and the Python API ------------------------------------------


@pytest.fixture(scope="module")
def bg_table(cdnow_summary):
    return excel.fit_bg_nbd(cdnow_summary, "week")


@pytest.fixture(scope="module")
def gg_table(cdnow_summary):
    return excel.fit_gamma_gamma(cdnow_summary)


def test_bg_nbd_fit_matches_fader_hardie_lee_2005(bg_table):
    assert bg_table[0] == ["BG/NBD", "estimate", "std_error"]
    params = {r[0]: r[1] for r in bg_table[1:]}
    # FHL (2005), "Counting your customers the easy way", section 5
    assert params["r"] == pytest.approx(0.243, abs=5e-4)
    assert params["alpha"] == pytest.approx(4.414, abs=5e-3)
    assert params["a"] == pytest.approx(0.793, abs=5e-4)
    assert params["b"] == pytest.approx(2.426, abs=5e-3)
    assert params["log_likelihood"] == pytest.approx(-9582.4, abs=0.05)
    assert params["unit"] == "week"
    # the standard errors are the Python API's on the same data
    summary = ltvkit.rfm_summary(
        ltvkit.datasets.load_cdnow(), period="7D", observation_end="1997-09-30", future="drop"
    )
    se = ltvkit.BetaGeoModel.fit(summary).standard_errors
    assert {r[0]: r[2] for r in bg_table[1:5]} == pytest.approx(se, rel=1e-4)


def test_gamma_gamma_fit_matches_fader_hardie_2013(gg_table):
    params = {r[0]: r[1] for r in gg_table[1:]}
    assert gg_table[0][0] == "Gamma-Gamma"
    assert params["p"] == pytest.approx(6.25, abs=5e-3)  # Fader & Hardie (2013) note 025
    assert params["q"] == pytest.approx(3.74, abs=5e-3)
    assert params["gamma"] == pytest.approx(15.44, abs=5e-3)
    assert all(r[2] > 0 for r in gg_table[1:4])


def test_other_fits_equal_the_python_api(cdnow_summary):
    summary = ltvkit.rfm_summary(
        ltvkit.datasets.load_cdnow(), period="7D", observation_end="1997-09-30", future="drop"
    )
    for fit, cls in (
        (excel.fit_mbg_nbd, ltvkit.ModifiedBetaGeoModel),
        (excel.fit_pareto_nbd, ltvkit.ParetoNBDModel),
    ):
        table = fit(cdnow_summary)
        want = cls.fit(summary).params
        assert {r[0]: r[1] for r in table[1 : 1 + len(want)]} == pytest.approx(want, rel=1e-4)
    # Fader & Hardie (2007), "How to project customer retention", the regular segment
    sbg = excel.fit_sbg([[1000], [631], [468], [382], [326], [289], [262], [241]])
    assert {r[0]: r[1] for r in sbg[1:3]} == pytest.approx(
        {"gamma": 0.704, "delta": 1.182}, abs=5e-4
    )


def test_predictions_from_the_parameter_table(bg_table):
    # FHL (2005): a customer with x = 2, t_x = 30.43, T = 38.86 buys 1.226 times in 39 weeks
    assert excel.expected_purchases(bg_table, 39, 2, 30.43, 38.86) == pytest.approx(1.226, abs=5e-4)
    bg = ltvkit.BetaGeoModel(*(r[1] for r in bg_table[1:5]))
    x, tx, t = [[0], [2], [5]], [[0], [30.43], [20]], [[38.86], [38.86], [38.86]]
    want = bg.p_alive([0, 2, 5], [0, 30.43, 20], [38.86] * 3)
    got = excel.p_alive(bg_table, x, tx, t)
    assert [g[0] for g in got] == pytest.approx(list(want), rel=1e-12)
    assert got[0] == [1.0]  # no repeat purchase: alive for sure under BG/NBD


def test_clv_matches_the_readme(cdnow_summary, bg_table, gg_table):
    rows = cdnow_summary[1:4]  # customers 1, 2, 3
    cols = [[[r[j]] for r in rows] for j in range(1, 5)]
    out = excel.clv(bg_table, gg_table, *cols, 12, "month", 0.01)
    # README "What each customer will be worth", computed by the Python API
    assert [round(v[0], 2) for v in out] == [36.3, 4.64, 8.35]
    no_unit = excel.fit_bg_nbd(cdnow_summary)
    assert excel.clv(no_unit, gg_table, *cols) == "#VALUE!"


# ---- tier (b): xlwings' own conversion layer ---------------------------------------------------

SKIP_SERVER = os.environ.get("LTVKIT_SKIP_XLWINGS_SERVER") == "1"

# xlwings.server is xlwings PRO code under the PolyForm Noncommercial licence. This project's CI
# is noncommercial use of an open-source project, so it uses the key "noncommercial"; commercial
# users running these tests set LTVKIT_SKIP_XLWINGS_SERVER=1 (or their own licence key).
_SERVER_SCRIPT = textwrap.dedent(
    """
    import asyncio, json, sys
    import xlwings as xw, xlwings.server as xs
    import ltvkit.excel as m

    calls = json.loads(sys.stdin.read())
    base = dict(client="Office.js", version=xw.__version__, runtime="1.4",
                date_format="m/d/yyyy", culture_info_name="en-US",
                caller_address="[Book1]Sheet1!A1")
    out = {"meta": xs.custom_functions_meta(m), "results": []}
    for name, args in calls:
        out["results"].append(asyncio.run(xs.custom_functions_call(
            dict(base, func_name=name, args=args), m)))
    print(json.dumps(out))
    """
)


def _office_js(arg: object) -> object:
    """An argument as Office.js sends it: always a 2-D array."""
    return arg if isinstance(arg, list) else [[arg]]


@pytest.mark.skipif(SKIP_SERVER, reason="LTVKIT_SKIP_XLWINGS_SERVER=1 (xlwings PRO licence)")
def test_through_the_xlwings_office_js_conversion_layer(cdnow_summary):
    tx = [["customer_id", "date", "amount"], [1, 45658, 10], [1, 45700, "20"], [2, 45689, 5]]
    small = cdnow_summary[:200]
    bg, gg = excel.fit_bg_nbd(small, "week"), excel.fit_gamma_gamma(small)
    x, tx_, t, m = ([[r[j]] for r in small[1:30]] for j in range(1, 5))
    others = [
        ("average_order_value", [6000, 120]),
        ("purchase_frequency", ["120", 30]),
        ("customer_value", [50, [[4, 2]]]),
        ("ltv_historical", [60000, 100]),
        ("ltv_multiple", [600, 400]),
        ("ltv_profit", [400, 2, 100, 0.3, None]),
        ("max_affordable_cac", [600, None]),
        ("ltv_cac_ratio", [[[600], [300]], 200]),
        ("cac_payback", [550, 50]),
        ("churn_rate", [1000, 50]),
        ("retention_rate", [1000, 1050, 100]),
        ("expected_lifetime", ["5%"]),
        ("channel_economics", [[["channel", "spend", "new_customers", "ltv"], ["a", 100, 4, 50]]]),
        ("fit_mbg_nbd", [small, "week"]),
        ("fit_pareto_nbd", [small, "week"]),
        ("fit_gamma_gamma", [small]),
        ("fit_sbg", [[[1000], [631], [468], [382], [326]]]),
        ("p_alive", [bg, x, tx_, t]),
        ("expected_purchases", [bg, 39, x, tx_, t]),
        ("clv", [bg, gg, x, tx_, t, m, 12, "month", 0.01, 1]),
        ("clv", [bg, bg, x, tx_, t, m]),
    ]
    fixed = [
        ("ltv_simple", [50, 4, 3, None, None]),
        ("ltv_simple", [50, 2, 3, "month", "year"]),
        ("ltv_subscription", [100, 0.8, 0.05, 0.01, 24]),
        ("ltv_subscription", [100, 0.8, 0]),
        ("cac", [[[1000], [2500]], 50]),
        ("customer_base", [20, 10, 6, None, None]),
        ("cohort_table", [tx]),
        ("rfm_summary", [tx, "D", None]),
        ("fit_bg_nbd", [small, "week"]),
        ("ltv_simple", [None, 4, 3]),
    ]
    calls = fixed + others
    assert {n for n, _ in calls} == set(excel.__all__)  # every function, once more
    env = dict(os.environ, XLWINGS_ON_SERVER="true")
    env.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    payload = json.dumps([[n, [_office_js(a) for a in args]] for n, args in calls])
    proc = subprocess.run(
        [sys.executable, "-c", _SERVER_SCRIPT],
        input=payload,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    out = json.loads(proc.stdout)
    meta = {f["id"]: f for f in out["meta"]["functions"]}
    assert set(meta) == {n.upper() for n in excel.__all__}
    assert [p["name"] for p in meta["LTV_SIMPLE"]["parameters"]] == [
        "aov",
        "purchase_frequency",
        "lifespan",
        "frequency_period",
        "lifespan_period",
    ]
    assert meta["LTV_SIMPLE"]["parameters"][3]["optional"] is True
    assert meta["LTV_SIMPLE"]["description"].startswith("Simple LTV")
    assert meta["CAC"]["parameters"][0]["description"].startswith("Acquisition spend")

    r = out["results"]
    assert r[0] == [[600.0]]
    assert r[1] == [[3600.0]]
    assert r[2] == [[pytest.approx(excel.ltv_subscription(100, 0.8, 0.05, 0.01, 24))]]
    assert r[3] == [[{"type": "Error", "errorType": "Value"}]]  # a real #VALUE! cell
    assert r[4] == [[20.0], [50.0]]
    assert r[5] == [[10.0], [20.0], [30.0], [40.0], [50.0], [60.0]]
    # dates go out as Excel date serials with a date format
    assert r[6][1][0] == {
        "type": "FormattedNumber",
        "basicValue": 45658.0,
        "numberFormat": "yyyy-mm-dd",
    }
    assert r[6][2][3] == ""  # an age not yet reached: an empty cell
    assert r[7] == [
        ["customer_id", "frequency", "recency", "T", "monetary_value"],
        [1, 1.0, 42.0, 42.0, 20.0],
        [2, 0.0, 0.0, 11.0, 0.0],
    ]
    assert [row[1] for row in r[8][1:5]] == pytest.approx(
        [row[1] for row in excel.fit_bg_nbd(small, "week")[1:5]], rel=1e-12
    )
    assert r[9] == [[{"type": "Error", "errorType": "NotAvailable"}]]
    # every other function: the same result through the conversion layer as called directly
    for (name, args), got in zip(others, r[len(fixed) :]):
        assert got == _office_js_result(getattr(excel, name)(*args)), name


_ERROR_TYPES = {"#VALUE!": "Value", "#N/A": "NotAvailable", "#NUM!": "Num"}


def _office_js_result(value: object) -> object:
    """A direct call's result as xlwings' Office.js converter sends it back."""
    rows = value if isinstance(value, list) else [[value]]

    def cell(v: object) -> object:
        if v is None:
            return ""
        if isinstance(v, str) and v in _ERROR_TYPES:
            return {"type": "Error", "errorType": _ERROR_TYPES[v]}
        if isinstance(v, float):
            return pytest.approx(v, rel=1e-12)
        return v

    return [[cell(v) for v in row] for row in rows]
