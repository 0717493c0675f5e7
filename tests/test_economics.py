"""The unit-economics functions against hand calculations written here."""

from __future__ import annotations

import math
from decimal import Decimal

import ltvkit
import numpy as np
import pandas as pd
import polars as pl
import pytest
from ltvkit import InvalidInputError, LtvError

# (function, args, kwargs, hand-calculated value)
SEEDS = [
    (ltvkit.average_order_value, (6000, 120), {}, 6000 / 120),
    (ltvkit.purchase_frequency, (120, 30), {}, 120 / 30),
    (ltvkit.customer_value, (50, 4), {}, 50 * 4),
    (ltvkit.simple_ltv, (50, 4, 3), {}, 50 * 4 * 3),
    # twice a month for three years: 2 * 12 * 3 purchases of 50
    (
        ltvkit.simple_ltv,
        (50, 2, 3),
        {"frequency_period": "month", "lifespan_period": "year"},
        50 * 2 * 12 * 3,
    ),
    # weekly for 2 quarters: 52 / 4 * 2 = 26 purchases of 10
    (
        ltvkit.simple_ltv,
        (10, 1, 2),
        {"frequency_period": "week", "lifespan_period": "quarter"},
        10 * 26,
    ),
    (ltvkit.simple_ltv, (20, 1, 18), {"period": "month"}, 20 * 18),
    (ltvkit.historical_ltv, (60_000, 100), {}, 600),
    (ltvkit.ltv_multiple_of_first_purchase, (600, 400), {}, 1.5),
    (ltvkit.subscription_ltv, (100, 0.8, 0.05), {}, 80 / 0.05),
    (ltvkit.subscription_ltv, (100, 0.8, 0.05), {"periods": 2}, 80 + 80 * 0.95),
    (ltvkit.subscription_ltv, (100, 0.8, 0.1), {"discount_rate": 0.1}, 80 / (1 - 0.9 / 1.1)),
    (ltvkit.subscription_ltv, (100, 0.8, 0), {"periods": 3}, 240),
    (ltvkit.subscription_ltv, (100, 0.8, 0), {"discount_rate": 0.25}, 80 * 1.25 / 0.25),
    (ltvkit.profit_ltv, (400, 2, 100, 0.3), {"cost_to_serve": 20}, (400 + 200) * 0.3 - 20),
    (ltvkit.profit_ltv, (500, 0, 0, 1), {}, 500),
    (ltvkit.max_affordable_cac, (600,), {}, 200),
    (ltvkit.max_affordable_cac, (600,), {"target_ratio": 4}, 150),
    (ltvkit.cac, (55_000, 100), {}, 550),
    (ltvkit.ltv_cac_ratio, (600, 200), {}, 3),
    (ltvkit.cac_payback_periods, (550, 50), {}, 11),
    (ltvkit.churn_rate, (1000, 50), {}, 0.05),
    (ltvkit.retention_rate, (1000, 1050, 100), {}, 0.95),
    (ltvkit.expected_lifetime, (0.05,), {}, 20),
]


@pytest.mark.parametrize(("func", "args", "kwargs", "expected"), SEEDS)
def test_seed_values_float(func, args, kwargs, expected):
    got = func(*args, **kwargs)
    assert type(got) is float
    assert got == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("func", "args", "kwargs", "expected"), SEEDS)
def test_decimal_inputs_give_decimal(func, args, kwargs, expected):
    dec_args = tuple(Decimal(str(a)) for a in args)
    got = func(*dec_args, **kwargs)
    assert isinstance(got, Decimal)
    assert float(got) == pytest.approx(expected, rel=1e-12)


def test_decimal_is_exact():
    assert ltvkit.simple_ltv(Decimal("19.99"), 3, 2) == Decimal("119.94")
    assert str(ltvkit.simple_ltv(Decimal("19.99"), 3, 2)) == "119.94"
    # (0.1 + 1 x 0.2) x 1 is exactly 0.3 (it is 0.30000000000000004 in floats)
    assert ltvkit.profit_ltv(Decimal("0.1"), 1, Decimal("0.2"), 1) == Decimal("0.3")
    assert ltvkit.profit_ltv(0.1, 1, 0.2, 1) == 0.1 + 0.2
    # numeric strings select the exact path too
    assert ltvkit.cac("1000.10", "4") == Decimal("250.025")
    # a float mixed into the exact path is read as the decimal it prints as
    assert ltvkit.simple_ltv(Decimal("10"), 0.1, 3) == Decimal("3")


def test_subscription_ltv_against_a_plain_sum():
    # Independent implementation: the sum of the definition, term by term, in Python's decimal.
    arpa, gm, churn, disc, horizon = Decimal("49.90"), Decimal("0.75"), Decimal("0.04"), 0, 36
    m, q = arpa * gm, (1 - churn)
    expected = sum(m * q ** (k - 1) for k in range(1, horizon + 1))
    got = ltvkit.subscription_ltv(arpa, gm, churn, discount_rate=disc, periods=horizon)
    # 0.96^36 has 72 decimals, so both sides round in the 28th significant digit.
    assert isinstance(got, Decimal)
    assert abs(got - expected) < Decimal("1e-24")
    # discounted, floats: against math
    m, q = 49.9 * 0.75, (1 - 0.04) / (1 + 0.01)
    expected_f = sum(m * q ** (k - 1) for k in range(1, 37))
    got_f = ltvkit.subscription_ltv(49.9, 0.75, 0.04, discount_rate=0.01, periods=36)
    assert got_f == pytest.approx(expected_f, rel=1e-12)


def test_project_customer_base_seeds():
    assert ltvkit.project_customer_base(20, 10, 6) == [10, 20, 30, 40, 50, 60]
    assert ltvkit.project_customer_base(20, 5, 6)[-1] == 90
    assert (
        ltvkit.project_customer_base(20, 5, 6)[-1] - ltvkit.project_customer_base(20, 10, 6)[-1]
        == 30
    )
    # base_k = base_{k-1} * 0.8 + 50 from 0: 50, 90, 122
    assert ltvkit.project_customer_base(50, periods=3, churn_rate=0.2) == pytest.approx(
        [50, 90, 122]
    )
    assert ltvkit.project_customer_base(Decimal(50), periods=3, churn_rate="0.2") == [
        Decimal(50),
        Decimal(90),
        Decimal(122),
    ]
    assert ltvkit.project_customer_base(0, 1, 2, start=5) == [4, 3]


def test_numpy_arrays_broadcast():
    aov = np.array([10.0, 20.0, 30.0])
    got = ltvkit.simple_ltv(aov, 2, np.array([1, 2, 3]))
    assert isinstance(got, np.ndarray)
    np.testing.assert_array_equal(got, aov * 2 * np.array([1, 2, 3]))
    grid = ltvkit.customer_value(np.array([[1.0], [2.0]]), np.array([1.0, 10.0, 100.0]))
    np.testing.assert_array_equal(grid, np.array([[1.0, 10, 100], [2, 20, 200]]))
    # lists are arrays too
    np.testing.assert_array_equal(ltvkit.cac([100, 300], 10), [10.0, 30.0])


def test_pandas_and_polars_series_keep_their_kind():
    s = pd.Series([100.0, 200.0], index=["a", "b"], name="spend")
    got = ltvkit.cac(s, 4)
    assert isinstance(got, pd.Series)
    assert list(got.index) == ["a", "b"]
    assert got.tolist() == [25.0, 50.0]
    p = pl.Series("ltv", [600.0, 900.0])
    got_pl = ltvkit.max_affordable_cac(p)
    assert isinstance(got_pl, pl.Series)
    assert got_pl.to_list() == [200.0, 300.0]


def test_array_errors_name_the_position():
    with pytest.raises(InvalidInputError, match=r"new_customers at position 2 is 0") as info:
        ltvkit.cac(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 0.0]))
    assert info.value.parameter == "new_customers"
    assert info.value.position == 2
    with pytest.raises(InvalidInputError, match=r"index label 'z'"):
        ltvkit.cac(
            pd.Series([1.0, 2.0], index=["y", "z"]), pd.Series([1.0, np.nan], index=["y", "z"])
        )
    with pytest.raises(InvalidInputError, match=r"element \(1, 0\)"):
        ltvkit.churn_rate(np.array([[10.0], [0.0]]), np.array([1.0, 2.0]))
    with pytest.raises(InvalidInputError, match="do not broadcast"):
        ltvkit.cac(np.ones(3), np.ones(4))
    with pytest.raises(InvalidInputError, match="cannot be read as numbers"):
        ltvkit.cac(["a", "b"], 1)


# (function, args, kwargs, parameter named in the error)
ERRORS = [
    (ltvkit.average_order_value, (100, 0), {}, "orders"),
    (ltvkit.average_order_value, (-1, 1), {}, "revenue"),
    (ltvkit.average_order_value, (math.nan, 1), {}, "revenue"),
    (ltvkit.purchase_frequency, (10, -3), {}, "customers"),
    (ltvkit.customer_value, (math.inf, 1), {}, "average_order_value"),
    (ltvkit.simple_ltv, (50, -4, 3), {}, "purchase_frequency"),
    (ltvkit.simple_ltv, (50, 4, 3), {"period": "fortnight"}, "frequency_period"),
    (ltvkit.simple_ltv, (50, 4, 3), {"period": None}, "period"),
    (ltvkit.historical_ltv, (60_000, 0), {}, "cohort_customers"),
    (ltvkit.ltv_multiple_of_first_purchase, (600, 0), {}, "first_purchase_value"),
    (ltvkit.subscription_ltv, (100, 1.2, 0.05), {}, "gross_margin"),
    (ltvkit.subscription_ltv, (100, 0.8, 1.5), {}, "churn_rate"),
    (ltvkit.subscription_ltv, (100, 0.8, -0.1), {}, "churn_rate"),
    (ltvkit.subscription_ltv, (100, 0.8, 0), {}, "churn_rate"),
    (ltvkit.subscription_ltv, (100, 0.8, 0.1), {"discount_rate": -0.5}, "discount_rate"),
    (ltvkit.subscription_ltv, (100, 0.8, 0.1), {"periods": 0}, "periods"),
    (ltvkit.subscription_ltv, (100, 0.8, 0.1), {"periods": 2.5}, "periods"),
    (ltvkit.profit_ltv, (400, 2, 100, 1.3), {}, "margin"),
    (ltvkit.profit_ltv, (400, 2, 100, 0.3), {"cost_to_serve": -1}, "cost_to_serve"),
    (ltvkit.max_affordable_cac, (600,), {"target_ratio": 0}, "target_ratio"),
    (ltvkit.cac, (1000, 0), {}, "new_customers"),
    (ltvkit.cac, ("1,000", 2), {}, "acquisition_spend"),
    (ltvkit.cac, (True, 2), {}, "acquisition_spend"),
    (ltvkit.cac, (None, 2), {}, "acquisition_spend"),
    (ltvkit.ltv_cac_ratio, (600, 0), {}, "cac"),
    (ltvkit.cac_payback_periods, (550, 0), {}, "margin_per_period"),
    (ltvkit.churn_rate, (0, 0), {}, "customers_at_start"),
    (ltvkit.churn_rate, (100, 101), {}, "customers_lost"),
    (ltvkit.retention_rate, (100, 50, 60), {}, "new_customers"),
    (ltvkit.expected_lifetime, (0,), {}, "churn_rate"),
    (ltvkit.expected_lifetime, (Decimal("NaN"),), {}, "churn_rate"),
    (ltvkit.project_customer_base, (10, 20, 3), {}, "lost_per_period"),
    (ltvkit.project_customer_base, (10, None, 3), {}, "lost_per_period"),
    (ltvkit.project_customer_base, (10, 1, None), {}, "periods"),
    (ltvkit.project_customer_base, (10, 1, -2), {}, "periods"),
]


@pytest.mark.parametrize(("func", "args", "kwargs", "parameter"), ERRORS)
def test_errors_name_the_parameter(func, args, kwargs, parameter):
    with pytest.raises(InvalidInputError) as info:
        func(*args, **kwargs)
    assert parameter in str(info.value)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, LtvError)


def test_unbounded_lifetime_says_what_to_do():
    with pytest.raises(InvalidInputError, match="unbounded; pass periods="):
        ltvkit.subscription_ltv(100, 0.8, 0)


def test_overflow_is_typed():
    with pytest.raises(ltvkit.ArithmeticOverflowError):
        ltvkit.customer_value(1e300, 1e300)
    with pytest.raises(ltvkit.ArithmeticOverflowError):
        ltvkit.customer_value(Decimal("7e28"), 2)
