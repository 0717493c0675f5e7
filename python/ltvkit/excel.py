"""Excel worksheet functions (xlwings custom functions / UDFs) over the ltvkit API.

``ltvkit.excel`` is the module Excel imports; ``import ltvkit`` never imports it. It needs
``pip install "ltvkit[excel]"`` (xlwings and pyarrow). Every function is positional (xlwings
rejects keyword-only parameters) and stateless, and Excel shows it under the upper-case Python
name: ``ltv_simple`` is ``=LTV_SIMPLE(50, 4, 3)``. Tables come back as 2-D lists with a
header row, which spill as dynamic arrays.

Functions
---------
Unit economics (a range instead of a number gives a range of results, element by element):
``AVERAGE_ORDER_VALUE(revenue, orders)``, ``PURCHASE_FREQUENCY(orders, customers)``,
``CUSTOMER_VALUE(aov, purchase_frequency)``,
``LTV_SIMPLE(aov, purchase_frequency, lifespan, [frequency_period], [lifespan_period])``,
``LTV_HISTORICAL(cohort_revenue, cohort_customers)``, ``LTV_MULTIPLE(ltv, first_purchase)``,
``LTV_SUBSCRIPTION(arpa, gross_margin, churn_rate, [discount_rate], [periods])``,
``LTV_PROFIT(first_purchase, repeat_purchases, repeat_value, margin, [cost_to_serve])``,
``CAC(spend, new_customers)``, ``LTV_CAC_RATIO(ltv, cac)``,
``MAX_AFFORDABLE_CAC(ltv, [target_ratio])``, ``CAC_PAYBACK(cac, margin_per_period)``,
``CHURN_RATE(customers_at_start, customers_lost)``,
``RETENTION_RATE(customers_at_start, customers_at_end, new_customers)``,
``EXPECTED_LIFETIME(churn_rate)`` and
``CUSTOMER_BASE(new_per_period, lost_per_period, periods, [start], [churn_rate])`` (a column).

Tables (a range whose first row is a header): ``CHANNEL_ECONOMICS(table)``;
``RFM_SUMMARY(transactions, [period], [observation_end])`` and
``COHORT_TABLE(transactions, [metric], [cohort], [period], [observation_end])`` on a range of
transactions with columns ``customer_id``, ``date`` (Excel dates, serial numbers or ISO text)
and optionally ``amount``.

Models: ``FIT_BG_NBD``, ``FIT_MBG_NBD``, ``FIT_PARETO_NBD`` (a summary range with
``frequency``, ``recency``, ``T``, e.g. the output of ``RFM_SUMMARY``, and an optional unit),
``FIT_GAMMA_GAMMA`` (``frequency`` and ``monetary_value``; customers without repeat purchases
are left out) and ``FIT_SBG(survivors)`` return a parameter table: the model name, then one row
per parameter with its estimate and standard error, the log-likelihood and the unit. That table
is the model: ``P_ALIVE(model, frequency, recency, T)``,
``EXPECTED_PURCHASES(model, t, frequency, recency, T)`` and
``CLV(transaction_model, spend_model, frequency, recency, T, monetary_value, [horizon], [unit],
[discount_rate], [margin])`` take it and return one value per customer.

Inputs and errors
-----------------
Each function converts its own inputs, because outside Windows the xlwings decorators convert
nothing: a single cell or a 1x1 range, numbers given as text (``"1,250.50"``, ``"5%"``), empty
cells (``None``) for optional arguments, Excel serial dates (1900 date system) or dates. Bad
input never raises into Excel: the function returns an Excel error value -- ``#N/A`` for a
missing input, ``#NUM!`` when a fit does not converge or a number overflows, ``#VALUE!`` for
anything else. Under xlwings Server and Lite these strings become real error cells (so
``IFERROR`` works); the classic add-in shows them as text. The reason is in the log
(logger ``ltvkit.excel``), and with the environment variable ``LTVKIT_EXCEL_ERRORS=text`` the
cell shows it too, as text: ``#VALUE! churn_rate is 0: ...`` (for building a sheet).

Using it from Excel
-------------------
- **Classic xlwings add-in (Windows, free, BSD):** ``pip install "ltvkit[excel]"`` into the
  Python that Excel should use, ``xlwings addin install``, then in the xlwings ribbon tab set
  *UDF Modules* to ``ltvkit.excel`` (and *Interpreter* to that Python) and click
  *Import Functions*. Needs Windows desktop Excel and a local Python; macOS has no classic UDFs.
- **xlwings Server (Windows, Mac, web):** in the server project's
  ``custom_functions/__init__.py`` add ``from ltvkit.excel import *``. xlwings Server is
  source-available: free for non-commercial use, a paid licence (``XLWINGS_LICENSE_KEY``) for
  commercial use, internal tools included. It needs a server with HTTPS and the add-in manifest
  sideloaded or deployed.
- **xlwings Lite:** not supported: Lite runs Python in Pyodide inside Excel and would need a
  WebAssembly (``pyemscripten``) wheel of ltvkit's Rust core, which is not built.
- **Nothing installed:** ``ltvkit workbook`` / :func:`ltvkit.to_excel` writes a workbook whose
  LTV, LTV:CAC, payback and customer-base projection are native Excel formulas.

Examples
--------
>>> from ltvkit import excel
>>> excel.ltv_simple(50, 4, 3)
600.0
>>> excel.cac([[1000], [2500]], "50")
[[20.0], [50.0]]
>>> excel.ltv_subscription(100, "80%", 0)
'#VALUE!'
"""

from __future__ import annotations

import datetime as _dt
import functools
import logging
import math
import os
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from xlwings import arg, func, ret

import ltvkit
from ltvkit import economics
from ltvkit.exceptions import (
    ArithmeticOverflowError,
    ConvergenceError,
    InvalidInputError,
    LtvError,
)

__all__ = [
    "average_order_value",
    "cac",
    "cac_payback",
    "channel_economics",
    "churn_rate",
    "clv",
    "cohort_table",
    "customer_base",
    "customer_value",
    "expected_lifetime",
    "expected_purchases",
    "fit_bg_nbd",
    "fit_gamma_gamma",
    "fit_mbg_nbd",
    "fit_pareto_nbd",
    "fit_sbg",
    "ltv_cac_ratio",
    "ltv_historical",
    "ltv_multiple",
    "ltv_profit",
    "ltv_simple",
    "ltv_subscription",
    "max_affordable_cac",
    "p_alive",
    "purchase_frequency",
    "retention_rate",
    "rfm_summary",
]

_logger = logging.getLogger("ltvkit.excel")
_F = TypeVar("_F", bound=Callable[..., Any])

CATEGORY = "ltvkit"
Cell = Any  # what Excel passes: a scalar, None, or a (nested) list of them

# Excel's 1900 date system: serial 1 is 1900-01-01 and serial 60 the non-existent 1900-02-29
# (kept for Lotus 1-2-3 compatibility), so from serial 61 on, day 0 is 1899-12-30.
_EXCEL_EPOCH = _dt.date(1899, 12, 30)
_FIRST_SAFE_SERIAL = 61
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


class _CellError(InvalidInputError):
    """An input that cannot be read; ``code`` is the Excel error value to show."""

    def __init__(self, msg: str, code: str = "#VALUE!") -> None:
        super().__init__(msg)
        self.code = code


def _error_code(exc: Exception) -> str:
    if isinstance(exc, _CellError):
        return exc.code
    if isinstance(exc, (ConvergenceError, ArithmeticOverflowError, OverflowError)):
        return "#NUM!"
    if isinstance(exc, ImportError):
        return "#N/A"
    return "#VALUE!"


def _guard(f: _F) -> _F:
    """Turn every exception into an Excel error value (see the module docstring).

    The wrapper keeps the signature (``__wrapped__``) but not the annotations: xlwings turns
    parameter annotations into converters, and these functions convert their own inputs.
    """

    @functools.wraps(f, assigned=("__module__", "__name__", "__qualname__", "__doc__"))
    def wrapper(*args: Any) -> Any:
        try:
            return f(*args)
        except Exception as exc:  # a worksheet cell must get a value, never a traceback
            code = _error_code(exc)
            reason = str(exc) if isinstance(exc, (LtvError, ValueError)) else repr(exc)
            _logger.info("%s(...) -> %s: %s", f.__name__, code, reason)
            if os.environ.get("LTVKIT_EXCEL_ERRORS", "").strip().lower() == "text":
                return f"{code} {reason}"
            return code

    return wrapper  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------------
# Reading what Excel passes


def _is_range(value: Cell) -> bool:
    return isinstance(value, (list, tuple))


def _grid(value: Cell) -> list[list[Any]]:
    """A 2-D list from a scalar, a row (1-D list) or a 2-D list."""
    if not _is_range(value):
        return [[value]]
    if not value:
        return []
    if not any(_is_range(v) for v in value):
        return [list(value)]
    return [list(row) if _is_range(row) else [row] for row in value]


def _single(value: Cell) -> Any:
    """The value of a scalar or a 1x1 range (several cells stay a grid)."""
    g = _grid(value)
    if len(g) == 1 and len(g[0]) == 1:
        return g[0][0]
    return value


def _text_number(text: str) -> float | None:
    s = text.strip().replace("\u00a0", "").replace(" ", "")
    percent = s.endswith("%")
    if percent:
        s = s[:-1]
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    try:
        number = float(s)
    except ValueError:
        return None
    return number / 100 if percent else number


def _to_float(value: Any, name: str) -> float:
    if isinstance(value, bool):
        msg = f"{name} is {value!r}: pass a number, not TRUE/FALSE"
        raise _CellError(msg)
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str) and not value.strip():
        msg = f"{name} is empty: pass a number"
        raise _CellError(msg, "#N/A")
    elif isinstance(value, str):
        parsed = _text_number(value)
        if parsed is None:
            msg = f"{name} is {value!r}: not a number"
            raise _CellError(msg)
        number = parsed
    elif value is None:
        msg = f"{name} is empty (or an error cell): pass a number"
        raise _CellError(msg, "#N/A")
    else:
        try:
            number = float(value)
        except (TypeError, ValueError):
            msg = f"{name} is {value!r}: not a number"
            raise _CellError(msg) from None
    if not math.isfinite(number):
        msg = f"{name} is {number!r}: pass a finite number"
        raise _CellError(msg, "#NUM!")
    return number


def _number(value: Cell, name: str) -> float:
    """One number from a cell (text numbers and percentages accepted)."""
    value = _single(value)
    if _is_range(value):
        msg = f"{name} is a range of {len(_grid(value))} rows: pass one cell"
        raise _CellError(msg)
    return _to_float(value, name)


def _optional_number(value: Cell, name: str, default: float | None) -> float | None:
    value = _single(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    return _number(value, name)


def _whole(value: Cell, name: str, default: int | None) -> int | None:
    number = _optional_number(value, name, None)
    if number is None:
        return default
    if number != int(number):
        msg = f"{name} is {number!r}: pass a whole number"
        raise _CellError(msg)
    return int(number)


def _text(value: Cell, name: str, default: str | None) -> str | None:
    value = _single(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if not isinstance(value, str):
        msg = f"{name} is {value!r}: pass a text such as {default!r}"
        raise _CellError(msg)
    return value.strip()


def _numbers(value: Cell, name: str) -> Any:
    """A float for one cell, a 2-D float array for a range (element-wise functions)."""
    import numpy as np

    value = _single(value)
    if not _is_range(value):
        return _to_float(value, name)
    g = _grid(value)
    if len({len(r) for r in g}) > 1:
        msg = f"{name}: the range has rows of different lengths"
        raise _CellError(msg)
    return np.array(
        [
            [_to_float(v, f"{name} (row {i + 1}, column {j + 1})") for j, v in enumerate(row)]
            for i, row in enumerate(g)
        ],
        dtype=float,
    )


def _column(value: Cell, name: str) -> list[float]:
    """The numbers of a single row or column (one per customer)."""
    g = _grid(_single(value))
    if len(g) > 1 and any(len(r) != 1 for r in g):
        msg = f"{name} must be one row or one column, not {len(g)} x {len(g[0])} cells"
        raise _CellError(msg)
    flat = [v for row in g for v in row]
    return [_to_float(v, f"{name} (cell {i + 1})") for i, v in enumerate(flat)]


def _date(value: Any, name: str) -> _dt.date:
    """An Excel serial date (1900 system), a date/datetime, or ISO text, as a date."""
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return _dt.date.fromisoformat(text[:10])
        except ValueError:
            serial = _text_number(text)
            if serial is None:
                msg = f"{name} is {value!r}: not a date (use an Excel date or YYYY-MM-DD)"
                raise _CellError(msg) from None
            value = serial
    if value is None:
        msg = f"{name} is empty: pass a date"
        raise _CellError(msg, "#N/A")
    serial = _to_float(value, name)
    if serial < _FIRST_SAFE_SERIAL:
        msg = f"{name} is {value!r}: as an Excel date that is before 1900-03-01"
        raise _CellError(msg)
    try:
        return _EXCEL_EPOCH + _dt.timedelta(days=math.floor(serial))
    except OverflowError:
        msg = f"{name} is {value!r}: not an Excel date"
        raise _CellError(msg, "#NUM!") from None


def _optional_date(value: Cell, name: str) -> _dt.date | None:
    value = _single(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _date(value, name)


def _header_name(value: Any) -> str:
    return re.sub(r"[\s\-]+", "_", str(value).strip()).lower()


def _table(value: Cell, name: str) -> dict[str, list[Any]]:
    """Columns of a range whose first row is a header; fully empty rows are left out."""
    g = _grid(value)
    if len(g) < 2:
        msg = f"{name} must be a range with a header row and at least one data row"
        raise _CellError(msg)
    header = [_header_name(h) if h is not None else "" for h in g[0]]
    if len(set(h for h in header if h)) != len([h for h in header if h]):
        msg = f"{name}: the header row repeats a column name: {header}"
        raise _CellError(msg)
    rows = [r for r in g[1:] if any(v is not None and v != "" for v in r)]
    return {h: [r[j] if j < len(r) else None for r in rows] for j, h in enumerate(header) if h}


def _need(columns: dict[str, list[Any]], wanted: Sequence[str], name: str) -> None:
    missing = [w for w in wanted if w not in columns]
    if missing:
        msg = f"{name} has no {', '.join(missing)} column in its header row ({list(columns)})"
        raise _CellError(msg)


def _float_column(columns: dict[str, list[Any]], key: str, name: str) -> list[float]:
    return [_to_float(v, f"{name}: {key} in data row {i + 1}") for i, v in enumerate(columns[key])]


def _out(value: Any) -> Any:
    """A result as Excel takes it: floats, and 2-D lists for arrays."""
    import numpy as np

    if isinstance(value, np.ndarray):
        if value.ndim == 1:
            return [[float(v)] for v in value]
        return [[_out(v) for v in row] for row in value.tolist()]
    if isinstance(value, (np.floating, np.integer)):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        msg = f"the result is {value!r}"
        raise ArithmeticOverflowError(msg)
    return value


def _cell_out(value: Any) -> Any:
    """A table cell: floats, dates, text, booleans; None stays an empty cell."""
    if value is None or isinstance(value, (bool, str, _dt.date)):
        return value
    if isinstance(value, (int, float)):
        number = float(value)
        return number if math.isfinite(number) else None
    return _out(value)


# ---------------------------------------------------------------------------------------------
# Unit economics


@func(category=CATEGORY)
@arg("revenue", ndim=2, doc="Revenue of the period (a number or a range).")
@arg("orders", ndim=2, doc="Orders in the period.")
@_guard
def average_order_value(revenue: Cell, orders: Cell) -> Any:
    """Average order value: revenue / orders."""
    return _out(
        economics.average_order_value(_numbers(revenue, "revenue"), _numbers(orders, "orders"))
    )


@func(category=CATEGORY)
@arg("orders", ndim=2, doc="Orders in the period.")
@arg("customers", ndim=2, doc="Customers who ordered in the period.")
@_guard
def purchase_frequency(orders: Cell, customers: Cell) -> Any:
    """Purchase frequency: orders / customers."""
    return _out(
        economics.purchase_frequency(_numbers(orders, "orders"), _numbers(customers, "customers"))
    )


@func(category=CATEGORY)
@arg("aov", ndim=2, doc="Average order value.")
@arg("purchase_frequency", ndim=2, doc="Purchases per period.")
@_guard
def customer_value(aov: Cell, purchase_frequency: Cell) -> Any:
    """Customer value per period: average order value x purchase frequency."""
    return _out(
        economics.customer_value(
            _numbers(aov, "aov"), _numbers(purchase_frequency, "purchase_frequency")
        )
    )


@func(category=CATEGORY)
@arg("aov", ndim=2, doc="Average order value (money per purchase).")
@arg("purchase_frequency", ndim=2, doc="Purchases per frequency_period.")
@arg("lifespan", ndim=2, doc="Customer lifespan, in lifespan_period units.")
@arg("frequency_period", ndim=2, doc='"year" (default), "quarter", "month" or "week".')
@arg("lifespan_period", ndim=2, doc="Unit of the lifespan; default: frequency_period.")
@_guard
def ltv_simple(
    aov: Cell,
    purchase_frequency: Cell,
    lifespan: Cell,
    frequency_period: Cell = "year",
    lifespan_period: Cell = None,
) -> Any:
    """Simple LTV: average order value x purchase frequency x lifespan (units converted)."""
    fp = _text(frequency_period, "frequency_period", "year")
    lp = _text(lifespan_period, "lifespan_period", fp)
    return _out(
        economics.simple_ltv(
            _numbers(aov, "aov"),
            _numbers(purchase_frequency, "purchase_frequency"),
            _numbers(lifespan, "lifespan"),
            frequency_period=fp,
            lifespan_period=lp,
        )
    )


@func(category=CATEGORY)
@arg("cohort_revenue", ndim=2, doc="What the cohort's customers brought over their life.")
@arg("cohort_customers", ndim=2, doc="Customers in the cohort.")
@_guard
def ltv_historical(cohort_revenue: Cell, cohort_customers: Cell) -> Any:
    """Historical LTV: cohort revenue / cohort customers."""
    return _out(
        economics.historical_ltv(
            _numbers(cohort_revenue, "cohort_revenue"),
            _numbers(cohort_customers, "cohort_customers"),
        )
    )


@func(category=CATEGORY)
@arg("ltv", ndim=2, doc="Lifetime value.")
@arg("first_purchase_value", ndim=2, doc="Value of the first purchase.")
@_guard
def ltv_multiple(ltv: Cell, first_purchase_value: Cell) -> Any:
    """How many times its first purchase a customer is worth: LTV / first purchase."""
    return _out(
        economics.ltv_multiple_of_first_purchase(
            _numbers(ltv, "ltv"), _numbers(first_purchase_value, "first_purchase_value")
        )
    )


@func(category=CATEGORY)
@arg("arpa", ndim=2, doc="Average revenue per account per period.")
@arg("gross_margin", ndim=2, doc="Share of revenue kept, 0 to 1 (or a percentage).")
@arg("churn_rate", ndim=2, doc="Share of customers lost per period, 0 to 1.")
@arg("discount_rate", ndim=2, doc="Discount rate per period (default 0).")
@arg("periods", ndim=2, doc="Horizon in periods (default: unbounded).")
@_guard
def ltv_subscription(
    arpa: Cell,
    gross_margin: Cell,
    churn_rate: Cell,
    discount_rate: Cell = 0,
    periods: Cell = None,
) -> Any:
    """Subscription LTV: margin per period over churn, discounted, optionally over a horizon."""
    return _out(
        economics.subscription_ltv(
            _numbers(arpa, "arpa"),
            _numbers(gross_margin, "gross_margin"),
            _numbers(churn_rate, "churn_rate"),
            discount_rate=_numbers(
                0 if _single(discount_rate) is None else discount_rate, "discount_rate"
            ),
            periods=_whole(periods, "periods", None),
        )
    )


@func(category=CATEGORY)
@arg("first_purchase", ndim=2, doc="Value of the first purchase.")
@arg("repeat_purchases", ndim=2, doc="Number of repeat purchases over the horizon.")
@arg("repeat_value", ndim=2, doc="Value of a repeat purchase.")
@arg("margin", ndim=2, doc="Share of revenue kept as profit.")
@arg("cost_to_serve", ndim=2, doc="Cost to serve the customer over the horizon (default 0).")
@_guard
def ltv_profit(
    first_purchase: Cell,
    repeat_purchases: Cell,
    repeat_value: Cell,
    margin: Cell,
    cost_to_serve: Cell = 0,
) -> Any:
    """Profit LTV: (first purchase + repeats x repeat value) x margin - cost to serve."""
    return _out(
        economics.profit_ltv(
            _numbers(first_purchase, "first_purchase"),
            _numbers(repeat_purchases, "repeat_purchases"),
            _numbers(repeat_value, "repeat_value"),
            _numbers(margin, "margin"),
            cost_to_serve=_numbers(
                0 if _single(cost_to_serve) is None else cost_to_serve, "cost_to_serve"
            ),
        )
    )


@func(category=CATEGORY)
@arg("ltv", ndim=2, doc="Lifetime value.")
@arg("target_ratio", ndim=2, doc="The LTV:CAC to keep (default 3).")
@_guard
def max_affordable_cac(ltv: Cell, target_ratio: Cell = 3) -> Any:
    """The most to spend on winning a customer: LTV / target LTV:CAC."""
    ratio = 3 if _single(target_ratio) is None else target_ratio
    return _out(
        economics.max_affordable_cac(
            _numbers(ltv, "ltv"), target_ratio=_numbers(ratio, "target_ratio")
        )
    )


@func(category=CATEGORY)
@arg("acquisition_spend", ndim=2, doc="Acquisition spend of the period or channel.")
@arg("new_customers", ndim=2, doc="New customers won with it.")
@_guard
def cac(acquisition_spend: Cell, new_customers: Cell) -> Any:
    """Customer acquisition cost: acquisition spend / new customers."""
    return _out(
        economics.cac(
            _numbers(acquisition_spend, "acquisition_spend"),
            _numbers(new_customers, "new_customers"),
        )
    )


@func(category=CATEGORY)
@arg("ltv", ndim=2, doc="Lifetime value.")
@arg("cac", ndim=2, doc="Customer acquisition cost.")
@_guard
def ltv_cac_ratio(ltv: Cell, cac: Cell) -> Any:
    """LTV : CAC."""
    return _out(economics.ltv_cac_ratio(_numbers(ltv, "ltv"), _numbers(cac, "cac")))


@func(category=CATEGORY)
@arg("cac", ndim=2, doc="Customer acquisition cost.")
@arg("margin_per_period", ndim=2, doc="Margin a customer brings per period.")
@_guard
def cac_payback(cac: Cell, margin_per_period: Cell) -> Any:
    """CAC payback: periods of margin to earn back the acquisition cost."""
    return _out(
        economics.cac_payback_periods(
            _numbers(cac, "cac"), _numbers(margin_per_period, "margin_per_period")
        )
    )


@func(category=CATEGORY)
@arg("customers_at_start", ndim=2, doc="Customers at the start of the period.")
@arg("customers_lost", ndim=2, doc="Of those, customers lost during the period.")
@_guard
def churn_rate(customers_at_start: Cell, customers_lost: Cell) -> Any:
    """Churn rate: customers lost / customers at the start."""
    return _out(
        economics.churn_rate(
            _numbers(customers_at_start, "customers_at_start"),
            _numbers(customers_lost, "customers_lost"),
        )
    )


@func(category=CATEGORY)
@arg("customers_at_start", ndim=2, doc="Customers at the start of the period.")
@arg("customers_at_end", ndim=2, doc="Customers at its end.")
@arg("new_customers", ndim=2, doc="New customers won during the period.")
@_guard
def retention_rate(customers_at_start: Cell, customers_at_end: Cell, new_customers: Cell) -> Any:
    """Retention rate: (customers at end - new customers) / customers at start."""
    return _out(
        economics.retention_rate(
            _numbers(customers_at_start, "customers_at_start"),
            _numbers(customers_at_end, "customers_at_end"),
            _numbers(new_customers, "new_customers"),
        )
    )


@func(category=CATEGORY)
@arg("churn_rate", ndim=2, doc="Churn rate per period.")
@_guard
def expected_lifetime(churn_rate: Cell) -> Any:
    """Expected customer lifetime in periods: 1 / churn rate."""
    return _out(economics.expected_lifetime(_numbers(churn_rate, "churn_rate")))


@func(category=CATEGORY)
@arg("new_per_period", ndim=2, doc="Customers won each period.")
@arg("lost_per_period", ndim=2, doc="Customers lost each period (leave empty with churn_rate).")
@arg("periods", ndim=2, doc="How many periods to project.")
@arg("start", ndim=2, doc="The base before the first period (default 0).")
@arg("churn_rate", ndim=2, doc="Share of the base lost each period, instead of lost_per_period.")
@_guard
def customer_base(
    new_per_period: Cell,
    lost_per_period: Cell,
    periods: Cell,
    start: Cell = 0,
    churn_rate: Cell = None,
) -> Any:
    """Customer base at the end of each period (a column that spills)."""
    n = _whole(periods, "periods", None)
    if n is None:
        msg = "periods is empty: pass how many periods to project"
        raise _CellError(msg, "#N/A")
    base = economics.project_customer_base(
        _number(new_per_period, "new_per_period"),
        _optional_number(lost_per_period, "lost_per_period", None),
        n,
        start=_optional_number(start, "start", 0.0) or 0.0,
        churn_rate=_optional_number(churn_rate, "churn_rate", None),
    )
    return [[float(v)] for v in base]


# ---------------------------------------------------------------------------------------------
# Tables

_CHANNEL_NUMBERS = (
    "spend",
    "new_customers",
    "customers",
    "acquisition_spend",
    "ltv",
    "aov",
    "average_order_value",
    "frequency",
    "purchase_frequency",
    "lifespan",
    "gross_margin",
)


@func(category=CATEGORY)
@arg(
    "table",
    ndim=2,
    doc="A range with a header row: channel, spend, new_customers, and ltv or "
    "aov, frequency, lifespan; optional gross_margin.",
)
@_guard
def channel_economics(table: Cell) -> Any:
    """Economics of each acquisition channel (CAC, LTV, LTV:CAC, payback, profit)."""
    columns = _table(table, "table")
    for key in columns:
        if key in _CHANNEL_NUMBERS:
            columns[key] = [
                None if v is None or v == "" else _to_float(v, f"table: {key} in data row {i + 1}")
                for i, v in enumerate(columns[key])
            ]
    rows = economics.channel_economics(columns)
    return [list(economics.CHANNEL_COLUMNS)] + [
        [_cell_out(rows[k][i]) for k in economics.CHANNEL_COLUMNS]
        for i in range(len(rows["channel"]))
    ]


def _log(value: Cell, name: str) -> tuple[Any, bool]:
    """A pyarrow table (customer_id, date[, amount]) from a transactions range."""
    import numpy as np

    from ltvkit._optional import import_optional

    pa = import_optional("pyarrow", extra="excel")
    columns = _table(value, name)
    aliases = {"customer": "customer_id", "id": "customer_id", "customerid": "customer_id"}
    columns = {aliases.get(k, k): v for k, v in columns.items()}
    _need(columns, ("customer_id", "date"), name)
    ids: list[Any] = []
    for i, v in enumerate(columns["customer_id"]):
        if v is None or v == "":
            msg = f"{name}: customer_id in data row {i + 1} is empty"
            raise _CellError(msg)
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        ids.append(v)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in ids):
        id_array = pa.array(ids, pa.int64())
    else:
        id_array = pa.array([str(v) for v in ids], pa.string())
    dates = [_date(v, f"{name}: date in data row {i + 1}") for i, v in enumerate(columns["date"])]
    arrays = {"customer_id": id_array, "date": pa.array(dates, pa.date32())}
    has_amount = "amount" in columns
    if has_amount:
        arrays["amount"] = pa.array(np.array(_float_column(columns, "amount", name)), pa.float64())
    return pa.table(arrays), has_amount


@func(category=CATEGORY)
@arg(
    "transactions",
    ndim=2,
    doc="A range with a header row: customer_id, date and optionally amount.",
)
@arg(
    "period", ndim=2, doc='"D" days (default), "W" weeks, "M" months, or "7D" (the papers\' weeks).'
)
@arg(
    "observation_end",
    ndim=2,
    doc="End of observation (default: the last date); later rows dropped.",
)
@_guard
def rfm_summary(transactions: Cell, period: Cell = "D", observation_end: Cell = None) -> Any:
    """Frequency, recency, T (and monetary value) per customer, lifetimes' conventions."""
    log, has_amount = _log(transactions, "transactions")
    end = _optional_date(observation_end, "observation_end")
    result = ltvkit.rfm_summary(
        log,
        amount="amount" if has_amount else None,
        period=_text(period, "period", "D") or "D",
        observation_end=end,
        future="drop" if end is not None else "raise",
    )
    names = ["customer_id", "frequency", "recency", "T"] + (
        ["monetary_value"] if has_amount else []
    )
    cols = [result.column(n).to_pylist() for n in names]
    # customer ids go back as they came (numbers or text)
    return [names] + [
        [c[i] if j == 0 else _cell_out(c[i]) for j, c in enumerate(cols)]
        for i in range(result.num_rows)
    ]


@func(category=CATEGORY)
@arg(
    "transactions",
    ndim=2,
    doc="A range with a header row: customer_id, date and optionally amount.",
)
@arg("metric", ndim=2, doc='"retention" (default), "customers", "revenue", "ltv", ... ')
@arg("cohort", ndim=2, doc='Cohort granularity: "M" (default), "W" or "D".')
@arg("period", ndim=2, doc='Age unit: "M" (default), "W" or "D".')
@arg("observation_end", ndim=2, doc="End of observation (default: the last date).")
@ret(date_format="yyyy-mm-dd")
@_guard
def cohort_table(
    transactions: Cell,
    metric: Cell = "retention",
    cohort: Cell = "M",
    period: Cell = "M",
    observation_end: Cell = None,
) -> Any:
    """The acquisition-cohort triangle: one row per cohort, one column per age."""
    log, has_amount = _log(transactions, "transactions")
    end = _optional_date(observation_end, "observation_end")
    result = ltvkit.cohort_table(
        log,
        metric=_text(metric, "metric", "retention") or "retention",
        cohort=_text(cohort, "cohort", "M") or "M",
        period=_text(period, "period", "M") or "M",
        amount="amount" if has_amount else None,
        observation_end=end,
        future="drop" if end is not None else "raise",
    )
    names = list(result.column_names)
    cols = [result.column(n).to_pylist() for n in names]
    header: list[Any] = [n if n in ("cohort", "customers") else int(n) for n in names]
    return [header] + [[_cell_out(c[i]) for c in cols] for i in range(result.num_rows)]


# ---------------------------------------------------------------------------------------------
# Models: a fit returns a parameter table, and that table is the model for the predictions

_MODELS: dict[str, tuple[type[Any], tuple[str, ...]]] = {
    "BG/NBD": (ltvkit.BetaGeoModel, ("r", "alpha", "a", "b")),
    "MBG/NBD": (ltvkit.ModifiedBetaGeoModel, ("r", "alpha", "a", "b")),
    "Pareto/NBD": (ltvkit.ParetoNBDModel, ("r", "alpha", "s", "beta")),
    "Gamma-Gamma": (ltvkit.GammaGammaModel, ("p", "q", "gamma")),
    "sBG": (ltvkit.ShiftedBetaGeoModel, ("gamma", "delta")),
}


def _param_table(name: str, model: Any) -> list[list[Any]]:
    se = model.standard_errors or {}
    rows: list[list[Any]] = [[name, "estimate", "std_error"]]
    rows += [[k, float(v), _cell_out(se.get(k))] for k, v in model.params.items()]
    rows.append(["log_likelihood", _cell_out(model.log_likelihood), None])
    rows.append(["unit", model.unit, None])
    return rows


def _model(value: Cell, name: str) -> tuple[str, Any, str | None]:
    """(model name, model, unit) from a parameter table made by one of the FIT_ functions."""
    g = _grid(value)
    kind = str(g[0][0]).strip() if g and g[0] and g[0][0] is not None else ""
    found = next((k for k in _MODELS if k.lower() == kind.lower()), None)
    if found is None:
        msg = (
            f"{name} is not a model table: its top-left cell is {kind!r}; pass the whole "
            f"output of a FIT_ function (it starts with one of {list(_MODELS)})"
        )
        raise _CellError(msg)
    cls, params = _MODELS[found]
    values = {str(r[0]).strip(): r[1] for r in g[1:] if r and r[0] is not None and len(r) > 1}
    missing = [p for p in params if p not in values]
    if missing:
        msg = f"{name}: the {found} table has no {', '.join(missing)} row"
        raise _CellError(msg)
    unit = values.get("unit")
    model = cls(*(_to_float(values[p], f"{name}: {p}") for p in params))
    return found, model, (str(unit).strip() or None) if unit is not None else None


def _summary(value: Cell, name: str, wanted: Sequence[str]) -> dict[str, Any]:
    import numpy as np

    columns = _table(value, name)
    _need(columns, wanted, name)
    return {k: np.array(_float_column(columns, k, name)) for k in wanted}


def _fit_rfm(name: str, summary: Cell, unit: Cell) -> list[list[Any]]:
    cls = _MODELS[name][0]
    data = _summary(summary, "summary", ("frequency", "recency", "t"))
    model = cls.fit(
        frequency=data["frequency"],
        recency=data["recency"],
        T=data["t"],
        unit=_text(unit, "unit", None),
    )
    return _param_table(name, model)


_SUMMARY_DOC = "A range with a header row: frequency, recency, T (e.g. RFM_SUMMARY's output)."
_UNIT_DOC = 'The time unit of recency and T, e.g. "week" (kept in the table, used by CLV).'


@func(category=CATEGORY)
@arg("summary", ndim=2, doc=_SUMMARY_DOC)
@arg("unit", ndim=2, doc=_UNIT_DOC)
@_guard
def fit_bg_nbd(summary: Cell, unit: Cell = None) -> Any:
    """Fit the BG/NBD model (Fader, Hardie & Lee 2005): parameters and standard errors."""
    return _fit_rfm("BG/NBD", summary, unit)


@func(category=CATEGORY)
@arg("summary", ndim=2, doc=_SUMMARY_DOC)
@arg("unit", ndim=2, doc=_UNIT_DOC)
@_guard
def fit_mbg_nbd(summary: Cell, unit: Cell = None) -> Any:
    """Fit the MBG/NBD model (Batislam et al. 2007): parameters and standard errors."""
    return _fit_rfm("MBG/NBD", summary, unit)


@func(category=CATEGORY)
@arg("summary", ndim=2, doc=_SUMMARY_DOC)
@arg("unit", ndim=2, doc=_UNIT_DOC)
@_guard
def fit_pareto_nbd(summary: Cell, unit: Cell = None) -> Any:
    """Fit the Pareto/NBD model (Schmittlein et al. 1987): parameters and standard errors."""
    return _fit_rfm("Pareto/NBD", summary, unit)


@func(category=CATEGORY)
@arg("summary", ndim=2, doc="A range with a header row: frequency, monetary_value.")
@_guard
def fit_gamma_gamma(summary: Cell) -> Any:
    """Fit the Gamma-Gamma spend model on customers with repeat purchases."""
    data = _summary(summary, "summary", ("frequency", "monetary_value"))
    repeat = data["frequency"] > 0
    model = ltvkit.GammaGammaModel.fit(
        frequency=data["frequency"][repeat], monetary_value=data["monetary_value"][repeat]
    )
    return _param_table("Gamma-Gamma", model)


@func(category=CATEGORY)
@arg(
    "survivors", ndim=2, doc="Customers still active at the start of each period (first = cohort)."
)
@_guard
def fit_sbg(survivors: Cell) -> Any:
    """Fit the shifted-beta-geometric churn model (Fader & Hardie 2007) to survivor counts."""
    counts = _column(survivors, "survivors")
    return _param_table("sBG", ltvkit.ShiftedBetaGeoModel.fit(counts))


def _rfm_model(value: Cell, name: str) -> tuple[str, Any, str | None]:
    found, model, unit = _model(value, name)
    if found not in ("BG/NBD", "MBG/NBD", "Pareto/NBD"):
        msg = f"{name} is a {found} table: pass a BG/NBD, MBG/NBD or Pareto/NBD table"
        raise _CellError(msg)
    return found, model, unit


def _rfm_columns(frequency: Cell, recency: Cell, T: Cell) -> tuple[Any, Any, Any]:
    import numpy as np

    x, tx, tt = (
        np.array(_column(v, n))
        for v, n in ((frequency, "frequency"), (recency, "recency"), (T, "T"))
    )
    if not len(x) == len(tx) == len(tt):
        msg = f"frequency, recency and T have {len(x)}, {len(tx)} and {len(tt)} cells"
        raise _CellError(msg)
    return x, tx, tt


def _per_customer(values: Any, frequency: Cell) -> Any:
    """One value for one customer given as cells, else a column that spills."""
    out = _out(values)
    return out[0][0] if not _is_range(_single(frequency)) else out


@func(category=CATEGORY)
@arg("model", ndim=2, doc="A parameter table from FIT_BG_NBD, FIT_MBG_NBD or FIT_PARETO_NBD.")
@arg("frequency", ndim=2, doc="Repeat purchases (a cell or a column, one per customer).")
@arg("recency", ndim=2, doc="Time from first to last purchase.")
@arg("T", ndim=2, doc="Time from first purchase to the end of observation.")
@_guard
def p_alive(model: Cell, frequency: Cell, recency: Cell, T: Cell) -> Any:
    """Probability that each customer is still alive (active)."""
    _, m, _ = _rfm_model(model, "model")
    x, tx, tt = _rfm_columns(frequency, recency, T)
    return _per_customer(m.p_alive(x, tx, tt), frequency)


@func(category=CATEGORY)
@arg("model", ndim=2, doc="A parameter table from FIT_BG_NBD, FIT_MBG_NBD or FIT_PARETO_NBD.")
@arg("t", ndim=2, doc="The horizon, in the model's time unit.")
@arg("frequency", ndim=2, doc="Repeat purchases (a cell or a column, one per customer).")
@arg("recency", ndim=2, doc="Time from first to last purchase.")
@arg("T", ndim=2, doc="Time from first purchase to the end of observation.")
@_guard
def expected_purchases(model: Cell, t: Cell, frequency: Cell, recency: Cell, T: Cell) -> Any:
    """Each customer's expected purchases in the next t periods, given their history."""
    _, m, _ = _rfm_model(model, "model")
    x, tx, tt = _rfm_columns(frequency, recency, T)
    return _per_customer(m.conditional_expected_purchases(_number(t, "t"), x, tx, tt), frequency)


@func(category=CATEGORY)
@arg(
    "transaction_model",
    ndim=2,
    doc="A parameter table from FIT_BG_NBD, FIT_MBG_NBD or FIT_PARETO_NBD.",
)
@arg("spend_model", ndim=2, doc="A parameter table from FIT_GAMMA_GAMMA.")
@arg("frequency", ndim=2, doc="Repeat purchases (a column, one per customer).")
@arg("recency", ndim=2, doc="Time from first to last purchase.")
@arg("T", ndim=2, doc="Time from first purchase to the end of observation.")
@arg("monetary_value", ndim=2, doc="Mean spend per repeat purchase.")
@arg("horizon", ndim=2, doc="Periods of unit to sum over (default 12).")
@arg("unit", ndim=2, doc='The period: "month" (default), "week", "day", "quarter" or "year".')
@arg("discount_rate", ndim=2, doc="Discount rate per period (default 0.01).")
@arg("margin", ndim=2, doc="Share of spend kept as profit (default 1).")
@_guard
def clv(
    transaction_model: Cell,
    spend_model: Cell,
    frequency: Cell,
    recency: Cell,
    T: Cell,
    monetary_value: Cell,
    horizon: Cell = 12,
    unit: Cell = "month",
    discount_rate: Cell = 0.01,
    margin: Cell = 1,
) -> Any:
    """Customer lifetime value from a transaction model and a Gamma-Gamma spend model."""
    _, tm, data_unit = _rfm_model(transaction_model, "transaction_model")
    found, gg, _ = _model(spend_model, "spend_model")
    if found != "Gamma-Gamma":
        msg = f"spend_model is a {found} table: pass FIT_GAMMA_GAMMA's table"
        raise _CellError(msg)
    if data_unit is None:
        msg = (
            "transaction_model has no unit: fit it with the unit of recency and T, "
            'e.g. FIT_BG_NBD(summary, "week")'
        )
        raise _CellError(msg)
    x, tx, tt = _rfm_columns(frequency, recency, T)
    m = _column(monetary_value, "monetary_value")
    if len(m) != len(x):
        msg = f"monetary_value has {len(m)} cells and frequency {len(x)}"
        raise _CellError(msg)
    n_periods = _whole(horizon, "horizon", None)
    rate = _optional_number(discount_rate, "discount_rate", None)
    share = _optional_number(margin, "margin", None)
    values = ltvkit.customer_lifetime_value(
        tm,
        gg,
        horizon=12 if n_periods is None else n_periods,
        unit=_text(unit, "unit", None) or "month",
        discount_rate=0.01 if rate is None else rate,
        margin=1.0 if share is None else share,
        data_unit=data_unit,
        frequency=x,
        recency=tx,
        T=tt,
        monetary_value=m,
    )
    return _per_customer(values, frequency)
