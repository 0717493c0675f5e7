"""Property tests: arbitrary numeric input gives a finite number or an LtvError, nothing else."""

from __future__ import annotations

import math
from decimal import Decimal

import ltvkit
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from ltvkit import LtvError

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.sampled_from([0, 1, 0.5, -1, "", "x", None, True]),
)

FUNCS = [
    (ltvkit.average_order_value, 2),
    (ltvkit.purchase_frequency, 2),
    (ltvkit.customer_value, 2),
    (ltvkit.simple_ltv, 3),
    (ltvkit.historical_ltv, 2),
    (ltvkit.ltv_multiple_of_first_purchase, 2),
    (ltvkit.subscription_ltv, 3),
    (ltvkit.profit_ltv, 4),
    (ltvkit.max_affordable_cac, 1),
    (ltvkit.cac, 2),
    (ltvkit.ltv_cac_ratio, 2),
    (ltvkit.cac_payback_periods, 2),
    (ltvkit.churn_rate, 2),
    (ltvkit.retention_rate, 3),
    (ltvkit.expected_lifetime, 1),
]


def _finite(x: object) -> bool:
    if isinstance(x, Decimal):
        return x.is_finite()
    return isinstance(x, float) and math.isfinite(x)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_scalars_give_a_finite_number_or_an_ltv_error(data):
    for func, arity in FUNCS:
        args = [data.draw(numbers) for _ in range(arity)]
        try:
            out = func(*args)
        except LtvError:
            continue
        assert _finite(out), (func.__name__, args, out)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=20), st.data())
def test_arrays_give_finite_arrays_or_an_ltv_error(values, data):
    for func, arity in FUNCS:
        args = [np.array(values)] + [data.draw(st.floats(0.01, 1.0)) for _ in range(arity - 1)]
        try:
            out = func(*args)
        except LtvError:
            continue
        assert np.all(np.isfinite(out)), (func.__name__, args, out)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(st.floats(), st.decimals(allow_nan=False, allow_infinity=False)),
    st.one_of(st.floats(), st.decimals(allow_nan=False, allow_infinity=False).map(str)),
    st.integers(-5, 400),
    st.floats(-10, 1e9),
)
def test_project_customer_base_never_leaks_nan(new, churn, periods, start):
    try:
        out = ltvkit.project_customer_base(new, periods=periods, start=start, churn_rate=churn)
    except LtvError:
        return
    assert all(_finite(x) for x in out)
