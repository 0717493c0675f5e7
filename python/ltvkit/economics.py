"""Unit economics of a customer: order value, frequency, LTV, CAC, payback, churn, retention.

Every function takes ``int``, ``float``, :class:`decimal.Decimal` or numeric ``str``:

* if any argument is a ``Decimal`` or ``str``, the arithmetic is exact (``rust_decimal``, no
  float anywhere) and the result is a ``Decimal``; a float mixed in is read as the decimal it
  prints as (``0.1`` is ``Decimal("0.1")``);
* with only ``int``/``float`` arguments the result is a ``float``;
* with numpy arrays, pandas or polars Series (or lists) the arguments broadcast and the result
  is the same kind, in float64; a bad element is named by its position.

Invalid values raise :class:`~ltvkit.exceptions.InvalidInputError` naming the parameter and the
value; no NaN or infinity is ever returned.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Union

from ltvkit import _core, frames
from ltvkit._numeric import apply
from ltvkit.exceptions import InvalidInputError

__all__ = [
    "average_order_value",
    "cac",
    "cac_payback_periods",
    "channel_economics",
    "churn_rate",
    "customer_value",
    "expected_lifetime",
    "historical_ltv",
    "ltv_cac_ratio",
    "ltv_multiple_of_first_purchase",
    "max_affordable_cac",
    "profit_ltv",
    "project_customer_base",
    "purchase_frequency",
    "retention_rate",
    "simple_ltv",
    "subscription_ltv",
]

#: A scalar number as ltvkit accepts it.
Number = Union[int, float, Decimal, str]
#: A number, or an array of numbers (list, numpy array, pandas or polars Series).
NumberOrArray = Any


def average_order_value(revenue: NumberOrArray, orders: NumberOrArray) -> Any:
    """Average order value (AOV): what one purchase brings on average.

    .. math:: AOV = revenue / orders

    Parameters
    ----------
    revenue : number or array
        Revenue of the period, in money (>= 0).
    orders : number or array
        Number of purchases in the same period (> 0).

    Returns
    -------
    float, Decimal or array
        Money per order.

    Raises
    ------
    InvalidInputError
        Zero or negative orders; negative, NaN or infinite revenue.

    Examples
    --------
    >>> average_order_value(6000, 120)
    50.0
    >>> average_order_value(Decimal("100.00"), 3)
    Decimal('33.333333333333333333333333333')
    """
    return apply(_core.average_order_value, ("revenue", "orders"), (revenue, orders))


def purchase_frequency(orders: NumberOrArray, customers: NumberOrArray) -> Any:
    """Purchase frequency: purchases per customer over a period.

    .. math:: frequency = orders / unique\\ customers

    Both counts are for the same period; the result is purchases per customer per that period.

    Examples
    --------
    >>> purchase_frequency(120, 30)
    4.0
    """
    return apply(_core.purchase_frequency, ("orders", "customers"), (orders, customers))


def customer_value(average_order_value: NumberOrArray, purchase_frequency: NumberOrArray) -> Any:
    """Customer value over one period: AOV x purchase frequency.

    Examples
    --------
    >>> customer_value(50, 4)
    200.0
    """
    return apply(
        _core.customer_value,
        ("average_order_value", "purchase_frequency"),
        (average_order_value, purchase_frequency),
    )


def simple_ltv(
    average_order_value: NumberOrArray,
    purchase_frequency: NumberOrArray,
    lifespan: NumberOrArray,
    *,
    period: str | None = "year",
    frequency_period: str | None = None,
    lifespan_period: str | None = None,
) -> Any:
    """Simple lifetime value: AOV x purchase frequency x lifespan.

    .. math:: LTV = AOV \\times frequency \\times lifespan

    Parameters
    ----------
    average_order_value : number or array
        Money per purchase.
    purchase_frequency : number or array
        Purchases per ``frequency_period`` (default: per ``period``).
    lifespan : number or array
        Customer lifespan in ``lifespan_period`` units (default: ``period``).
    period : {"year", "quarter", "month", "week"}
        The unit of both frequency and lifespan; years unless said otherwise.
    frequency_period, lifespan_period : str, optional
        Give these when the two are in different units (purchases per month, lifespan in years):
        they are converted with 1 year = 4 quarters = 12 months = 52 weeks before multiplying.

    Raises
    ------
    InvalidInputError
        A negative input, or a period that is not one of the four units (including ``None``:
        a lifespan with no unit).

    Examples
    --------
    50 per order, 4 orders a year, 3 years:

    >>> simple_ltv(50, 4, 3)
    600.0

    Twice a month for 3 years, not "2 x 3":

    >>> simple_ltv(50, 2, 3, frequency_period="month", lifespan_period="year")
    3600.0

    Exact money:

    >>> simple_ltv(Decimal("19.99"), 3, 2)
    Decimal('119.94')
    """
    if period is None and (frequency_period is None or lifespan_period is None):
        msg = (
            'period is None: a lifespan and a frequency need a unit; pass period="year" '
            '(or "quarter", "month", "week"), or frequency_period= and lifespan_period='
        )
        raise InvalidInputError(msg)
    fp = frequency_period if frequency_period is not None else period
    lp = lifespan_period if lifespan_period is not None else period
    return apply(
        _core.simple_ltv,
        ("average_order_value", "purchase_frequency", "lifespan"),
        (average_order_value, purchase_frequency, lifespan),
        fp,
        lp,
    )


def historical_ltv(
    cohort_revenue: NumberOrArray, cohort_customers: NumberOrArray | None = None, **kwargs: Any
) -> Any:
    """Historical LTV: what a cohort's customers brought over their life, per customer.

    .. math:: historical\\ LTV = cohort\\ revenue / cohort\\ customers

    Two input kinds: two numbers (or arrays), ``historical_ltv(cohort_revenue,
    cohort_customers)``; or a transaction log (a DataFrame, Arrow table or stream, or a path)
    and keyword options, ``historical_ltv(log, by=None, horizon=None, ...)``, which is
    :func:`ltvkit.transactions.historical_ltv` (per cohort or segment, with the multiple of
    the first purchase).

    Examples
    --------
    A cohort of 100 customers that brought 60,000 over its life:

    >>> historical_ltv(60_000, 100)
    600.0
    """
    from ltvkit import transactions

    if transactions.is_log(cohort_revenue):
        if cohort_customers is not None:
            msg = (
                "historical_ltv(transactions, ...) takes the log and keyword options only; "
                "cohort_customers is for historical_ltv(cohort_revenue, cohort_customers)"
            )
            raise InvalidInputError(msg)
        return transactions.historical_ltv(cohort_revenue, **kwargs)
    if cohort_customers is None or kwargs:
        msg = (
            "historical_ltv(cohort_revenue, cohort_customers) takes two numbers (or arrays); "
            "for a transaction log pass the log (a DataFrame, Arrow table or path) first"
        )
        raise InvalidInputError(msg)
    return apply(
        _core.historical_ltv,
        ("cohort_revenue", "cohort_customers"),
        (cohort_revenue, cohort_customers),
    )


def ltv_multiple_of_first_purchase(ltv: NumberOrArray, first_purchase_value: NumberOrArray) -> Any:
    """How many times its first purchase a customer is worth: LTV / first purchase value.

    Examples
    --------
    An LTV of 600 against a first offer of 400:

    >>> ltv_multiple_of_first_purchase(600, 400)
    1.5
    """
    return apply(
        _core.ltv_multiple_of_first_purchase,
        ("ltv", "first_purchase_value"),
        (ltv, first_purchase_value),
    )


def subscription_ltv(
    arpa: NumberOrArray,
    gross_margin: NumberOrArray,
    churn_rate: NumberOrArray,
    *,
    discount_rate: NumberOrArray = 0,
    periods: int | None = None,
) -> Any:
    """Subscription LTV with constant churn, discounted per period.

    The margin per period is ``m = ARPA x gross_margin``. The first period is paid; each later
    one is paid by the survivors, ``(1 - churn)`` per period, and discounted by
    ``(1 + discount_rate)`` per period:

    .. math::

        q = (1 - churn) / (1 + discount\\_rate), \\qquad
        LTV = m \\sum_{k=1}^{H} q^{k-1} = m \\frac{1 - q^H}{1 - q}

    With ``periods=None`` the horizon is infinite: ``LTV = m / (1 - q)``, which is
    ``m / churn`` undiscounted. All rates are per period (the period of ARPA).

    Parameters
    ----------
    arpa : number or array
        Average revenue per account per period.
    gross_margin : number or array
        Share of revenue kept, in [0, 1].
    churn_rate : number or array
        Share of customers lost per period, in [0, 1].
    discount_rate : number or array, default 0
        Discount rate per period (>= 0).
    periods : int, optional
        Horizon H in periods; ``None`` for an unbounded horizon.

    Raises
    ------
    InvalidInputError
        Gross margin or churn outside [0, 1], a negative discount rate, ``periods < 1``, or
        no churn and no discount without ``periods`` (the lifetime is unbounded).

    Examples
    --------
    >>> subscription_ltv(100, 0.8, 0.05)
    1600.0
    >>> round(subscription_ltv(100, 0.8, 0.05, periods=12), 2)
    735.42
    >>> subscription_ltv(Decimal("100"), Decimal("0.8"), Decimal("0.05"), periods=2)
    Decimal('156')
    """
    if periods is not None and (isinstance(periods, bool) or not isinstance(periods, int)):
        msg = f"periods is {periods!r}: pass a whole number of periods (or None)"
        raise InvalidInputError(msg)
    return apply(
        _core.subscription_ltv,
        ("arpa", "gross_margin", "churn_rate", "discount_rate"),
        (arpa, gross_margin, churn_rate, discount_rate),
        periods,
    )


def profit_ltv(
    first_purchase: NumberOrArray,
    repeat_purchases: NumberOrArray,
    repeat_value: NumberOrArray,
    margin: NumberOrArray,
    *,
    cost_to_serve: NumberOrArray = 0,
) -> Any:
    """Total profit of one customer over a chosen horizon.

    .. math::

        profit\\ LTV = (first\\ purchase + repeat\\ purchases \\times repeat\\ value)
        \\times margin - cost\\ to\\ serve

    Examples
    --------
    A first order of 400, two repeats of 100, 30% margin, 20 to serve:

    >>> profit_ltv(400, 2, 100, 0.3, cost_to_serve=20)
    160.0
    """
    return apply(
        _core.profit_ltv,
        ("first_purchase", "repeat_purchases", "repeat_value", "margin", "cost_to_serve"),
        (first_purchase, repeat_purchases, repeat_value, margin, cost_to_serve),
    )


def max_affordable_cac(ltv: NumberOrArray, *, target_ratio: NumberOrArray = 3) -> Any:
    """The most you may spend to win a customer and keep LTV : CAC at ``target_ratio``.

    .. math:: max\\ CAC = LTV / target\\ ratio

    Examples
    --------
    >>> max_affordable_cac(600)
    200.0
    """
    return apply(_core.max_affordable_cac, ("ltv", "target_ratio"), (ltv, target_ratio))


def cac(acquisition_spend: NumberOrArray, new_customers: NumberOrArray) -> Any:
    """Customer acquisition cost: acquisition spend / new customers.

    Examples
    --------
    >>> cac(55_000, 100)
    550.0
    """
    return apply(
        _core.cac, ("acquisition_spend", "new_customers"), (acquisition_spend, new_customers)
    )


def ltv_cac_ratio(ltv: NumberOrArray, cac: NumberOrArray) -> Any:
    """LTV : CAC, the value of a customer per unit of acquisition cost.

    Examples
    --------
    >>> ltv_cac_ratio(600, 200)
    3.0
    """
    return apply(_core.ltv_cac_ratio, ("ltv", "cac"), (ltv, cac))


def cac_payback_periods(cac: NumberOrArray, margin_per_period: NumberOrArray) -> Any:
    """Periods of margin needed to earn back the acquisition cost: CAC / margin per period.

    The result is in the period of ``margin_per_period`` (months for a monthly margin).

    Examples
    --------
    >>> cac_payback_periods(550, 50)
    11.0
    """
    return apply(_core.cac_payback_periods, ("cac", "margin_per_period"), (cac, margin_per_period))


def churn_rate(customers_at_start: NumberOrArray, customers_lost: NumberOrArray) -> Any:
    """Share of the customers at the start of a period lost during it.

    .. math:: churn = customers\\ lost / customers\\ at\\ start

    Examples
    --------
    >>> churn_rate(1000, 50)
    0.05
    """
    return apply(
        _core.churn_rate,
        ("customers_at_start", "customers_lost"),
        (customers_at_start, customers_lost),
    )


def retention_rate(
    customers_at_start: NumberOrArray,
    customers_at_end: NumberOrArray,
    new_customers: NumberOrArray,
) -> Any:
    """Share of the period's starting customers still there at its end.

    .. math:: retention = (customers\\ at\\ end - new\\ customers) / customers\\ at\\ start

    Examples
    --------
    1,000 at the start, 1,050 at the end of which 100 are new:

    >>> retention_rate(1000, 1050, 100)
    0.95
    """
    return apply(
        _core.retention_rate,
        ("customers_at_start", "customers_at_end", "new_customers"),
        (customers_at_start, customers_at_end, new_customers),
    )


def expected_lifetime(churn_rate: NumberOrArray) -> Any:
    """Expected customer lifetime under constant churn: 1 / churn periods.

    Examples
    --------
    >>> expected_lifetime(0.05)
    20.0
    """
    return apply(_core.expected_lifetime, ("churn_rate",), (churn_rate,))


def project_customer_base(
    new_per_period: Number,
    lost_per_period: Number | None = None,
    periods: int | None = None,
    *,
    start: Number = 0,
    churn_rate: Number | None = None,
) -> list[Any]:
    """The customer base at the end of each period.

    With a fixed loss: ``base_k = base_{k-1} + new - lost``. With ``churn_rate=`` instead:
    ``base_k = base_{k-1} x (1 - churn) + new``. ``base_0 = start``.

    Parameters
    ----------
    new_per_period : number
        Customers won each period.
    lost_per_period : number, optional
        Customers lost each period; give this or ``churn_rate``.
    periods : int
        How many periods to project.
    start : number, default 0
        The base before the first period.
    churn_rate : number, optional
        Share of the base at the start of each period lost during it.

    Returns
    -------
    list
        The base after each of the ``periods`` periods (floats, or Decimals on the exact path).

    Examples
    --------
    20 new and 10 lost a month for 6 months:

    >>> project_customer_base(20, 10, 6)
    [10.0, 20.0, 30.0, 40.0, 50.0, 60.0]

    Keeping 5 of those 10 gives 30 more customers after 6 months:

    >>> project_customer_base(20, 5, 6)[-1]
    90.0
    >>> project_customer_base(100, periods=3, start=1000, churn_rate=0.1)
    [1000.0, 1000.0, 1000.0]
    """
    if periods is None or isinstance(periods, bool) or not isinstance(periods, int):
        msg = f"periods is {periods!r}: pass how many periods to project, as a whole number"
        raise InvalidInputError(msg)
    result: list[Any] = _core.project_customer_base(
        new_per_period, lost_per_period, periods, start, churn_rate
    )
    return result


_CHANNEL_ALIASES = {
    "aov": "average_order_value",
    "purchase_frequency": "frequency",
    "customers": "new_customers",
    "acquisition_spend": "spend",
}
_CHANNEL_INPUTS = (
    "spend",
    "new_customers",
    "ltv",
    "average_order_value",
    "frequency",
    "lifespan",
    "gross_margin",
)


# The columns of channel_economics' result, in order (the Excel functions and the workbook
# lay their tables out in this order).
CHANNEL_COLUMNS = (
    "channel",
    "spend",
    "new_customers",
    "cac",
    "ltv",
    "ltv_cac",
    "payback_periods",
    "profit_per_customer",
    "total_profit",
    "loses_money",
)


def channel_economics(table: Any) -> Any:
    """Economics of each acquisition channel, and which ones lose money.

    Parameters
    ----------
    table : DataFrame, pyarrow Table, dict of columns or list of dicts
        One row per channel with ``channel``, ``spend`` and ``new_customers``, and either
        ``ltv`` (revenue per customer over its life; optionally ``lifespan``) or
        ``average_order_value`` (alias ``aov``), ``frequency`` (purchases per period) and
        ``lifespan`` (periods). Optional ``gross_margin`` (share kept, default 1).

    Returns
    -------
    same kind as ``table``
        Per channel: ``channel, spend, new_customers, cac, ltv, ltv_cac, payback_periods,
        profit_per_customer, total_profit, loses_money``, where

        * ``cac = spend / new_customers``
        * ``ltv`` = revenue LTV x gross margin (the margin a customer brings)
        * ``ltv_cac = ltv / cac``; missing (None) when the channel cost nothing
        * ``payback_periods = cac / (margin per period)``, in the unit of ``frequency`` and
          ``lifespan``; missing when a channel given by ``ltv`` has no ``lifespan``, or when
          its customers bring no margin
        * ``profit_per_customer = ltv - cac``, ``total_profit = profit x new_customers``
        * ``loses_money``: ``profit_per_customer < 0``

    Raises
    ------
    InvalidInputError
        A missing column, or a bad value, named by column and row.

    Examples
    --------
    A product of 500 bought once, against a CAC of 550, loses 50 per customer:

    >>> out = channel_economics([
    ...     {"channel": "search", "spend": 55_000, "new_customers": 100, "ltv": 500},
    ...     {"channel": "email", "spend": 2_000, "new_customers": 40,
    ...      "aov": 50, "frequency": 4, "lifespan": 3},
    ... ])
    >>> [(r["channel"], r["cac"], r["profit_per_customer"], r["loses_money"]) for r in out]
    [('search', 550.0, -50.0, True), ('email', 50.0, 550.0, False)]
    """
    kind, columns = frames.to_columns(table)
    columns = {
        _CHANNEL_ALIASES.get(k.strip().lower(), k.strip().lower()): v for k, v in columns.items()
    }
    for required in ("channel", "spend", "new_customers"):
        if required not in columns:
            msg = (
                f"the channel table has no {required!r} column (columns: {sorted(columns)}); "
                "it needs channel, spend, new_customers and ltv or aov/frequency/lifespan"
            )
            raise InvalidInputError(msg)
    if "ltv" not in columns and not {"average_order_value", "frequency", "lifespan"} <= set(
        columns
    ):
        msg = (
            "the channel table needs an 'ltv' column, or 'average_order_value' (or 'aov'), "
            f"'frequency' and 'lifespan' columns; it has {sorted(columns)}"
        )
        raise InvalidInputError(msg)
    channel = ["" if c is None else str(c) for c in columns["channel"]]
    result = _core.channel_economics(
        channel,
        columns["spend"],
        columns["new_customers"],
        *(columns.get(k) for k in _CHANNEL_INPUTS[2:]),
    )
    return frames.from_columns(kind, result)
