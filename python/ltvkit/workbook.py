"""A customer-value workbook that works in every Excel with nothing installed.

:func:`to_excel` (also ``ltvkit.to_excel`` and ``ltvkit workbook FILE -o model.xlsx``) writes an
``.xlsx`` file with xlsxwriter (``pip install "ltvkit[excel]"``):

- **Inputs**: average order value, purchase frequency, lifespan, gross margin, churn, discount
  rate and new customers per month (blue cells), and a channel table (spend, new customers,
  order value, frequency, lifespan, margin per channel). LTV, subscription LTV, CAC, LTV:CAC,
  payback, the channel economics and a customer-base projection are native Excel formulas
  (plain A1 references, so every spreadsheet program recalculates them): change an input and
  the results follow. Each formula cell also stores ltvkit's own result as its cached value.
- **Cohorts**: the monthly acquisition-cohort retention triangle (colour scale) and the
  cumulative revenue per customer (the cohorts' historical LTV curves).
- **Channels**: :func:`ltvkit.channel_economics` of the channel table, as values.
- **Customers**: per-customer RFM summary, P(alive), expected purchases over the horizon and
  CLV from a BG/NBD and a Gamma-Gamma model fitted to the log, as values.
- **Model**: the fitted parameters with standard errors and fit statistics.
- **Charts**: retention curves and LTV curves per cohort, and the customer-base projection.
"""

from __future__ import annotations

import datetime as _dt
import math
from pathlib import Path
from typing import Any

import ltvkit
from ltvkit import economics, frames
from ltvkit._optional import import_optional
from ltvkit.exceptions import InvalidDataError, InvalidInputError

__all__ = ["to_excel"]

_DAYS_PER_MONTH = 30.436875  # mean calendar month, as ltvkit's CLV "month"
_CHANNEL_ALIASES = {"aov": "average_order_value", "customers": "new_customers"}
_CHANNEL_INPUTS = (
    ("channel", "Channel"),
    ("spend", "Spend"),
    ("new_customers", "New customers"),
    ("average_order_value", "Order value"),
    ("frequency", "Purchases / year"),
    ("lifespan", "Lifespan (years)"),
    ("gross_margin", "Gross margin"),
)
_CHANNEL_OUTPUTS = (
    ("cac", "CAC"),
    ("ltv", "LTV (margin)"),
    ("ltv_cac", "LTV:CAC"),
    ("payback_periods", "Payback (years)"),
    ("profit_per_customer", "Profit / customer"),
    ("total_profit", "Total profit"),
    ("loses_money", "Loses money"),
)


def _col(index: int) -> str:
    """Column letters of a 0-based column index."""
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(65 + rem) + name
    return name


def _cell(row: int, col: int, *, absolute: bool = False) -> str:
    """A1 name of a 0-based (row, col)."""
    d = "$" if absolute else ""
    return f"{d}{_col(col)}{d}{row + 1}"


def _float(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _channel_rows(channels: Any) -> list[dict[str, Any]]:
    if channels is None:
        channels = ltvkit.datasets.load_channels()
    _, columns = frames.to_columns(channels)
    columns = {
        _CHANNEL_ALIASES.get(k.strip().lower(), k.strip().lower()): v for k, v in columns.items()
    }
    if "gross_margin" not in columns:
        columns["gross_margin"] = [1.0] * len(next(iter(columns.values()), []))
    missing = [k for k, _ in _CHANNEL_INPUTS if k not in columns]
    if missing:
        msg = (
            f"channels has no {', '.join(missing)} column; the workbook's live formulas need "
            "channel, spend, new_customers, average_order_value (or aov), frequency (purchases "
            "a year) and lifespan (years), and optionally gross_margin"
        )
        raise InvalidInputError(msg)
    n = len(columns["channel"])
    return [
        {
            k: (str(columns[k][i]) if k == "channel" else _float(columns[k][i]))
            for k, _ in _CHANNEL_INPUTS
        }
        for i in range(n)
    ]


def _as_arrow(log: Any, columns: list[str]) -> Any:
    """The log as a pyarrow Table of ``columns`` (a path is read with pyarrow.dataset)."""
    pa = import_optional("pyarrow", extra="excel")
    if isinstance(log, (str, Path)):
        ds = import_optional("pyarrow.dataset", extra="arrow")
        fmt = "csv" if Path(log).suffix.lower() in (".csv", ".txt") else "parquet"
        return ds.dataset(str(log), format=fmt).to_table(columns=columns)
    module = type(log).__module__.split(".", 1)[0]
    names = getattr(log, "column_names", None) or list(getattr(log, "columns", []))
    if module == "pandas":
        names = [*names, *(log.index.names or [])]
    missing = [c for c in columns if names and c not in names]
    if missing:
        msg = (
            f"the transaction log has no {', '.join(map(repr, missing))} column (columns: "
            f"{[str(n) for n in names]}); pass customer_id=, date=, amount= to name them"
        )
        raise InvalidDataError(msg)
    if module == "pandas":
        frame = log.reset_index() if any(c not in log.columns for c in columns) else log
        return pa.Table.from_pandas(frame[columns], preserve_index=False)
    if module == "polars":
        return log.select(columns).to_arrow()
    table = log if isinstance(log, pa.Table) else pa.table(log)
    return table.select(columns)


def _log_facts(table: Any, customer_id: str, date: str, amount: str) -> dict[str, Any]:
    """Revenue, orders, customers, first and last date of a log."""
    pa = import_optional("pyarrow", extra="excel")
    pc = import_optional("pyarrow.compute", extra="excel")
    dates = table.column(date)
    if pa.types.is_string(dates.type) or pa.types.is_large_string(dates.type):
        dates = pc.cast(pc.utf8_slice_codeunits(dates, 0, 10), pa.date32())
    elif not pa.types.is_date(dates.type):
        dates = pc.cast(dates, pa.date32())
    return {
        "revenue": float(pc.sum(table.column(amount)).as_py()),
        "orders": int(table.num_rows),
        "customers": int(pc.count_distinct(table.column(customer_id)).as_py()),
        "first": pc.min(dates).as_py(),
        "last": pc.max(dates).as_py(),
    }


def to_excel(
    path: str | Path,
    transactions: Any = None,
    *,
    channels: Any = None,
    period: str = "7D",
    horizon: int = 12,
    observation_end: Any = None,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    lifespan: float = 3.0,
    gross_margin: float = 0.3,
    churn_rate: float | None = None,
    discount_rate: float = 0.01,
) -> Path:
    """Write the customer-value workbook (see the module docstring) and return its path.

    Parameters
    ----------
    path : str or Path
        The ``.xlsx`` file to write (replaced if it exists).
    transactions : DataFrame, pyarrow Table or path, optional
        The transaction log (``customer_id``, ``date``, ``amount``); the bundled CDNOW sample
        (:func:`ltvkit.datasets.load_cdnow`) when not given.
    channels : table, optional
        One row per acquisition channel: ``channel, spend, new_customers,
        average_order_value`` (or ``aov``), ``frequency`` (purchases a year), ``lifespan``
        (years), optional ``gross_margin``; the bundled example
        (:func:`ltvkit.datasets.load_channels`) when not given.
    period : str
        The time unit of the RFM summary and the models (``"7D"``: the papers' weeks).
    horizon : int
        Months of the CLV horizon, of the expected purchases and of the customer-base
        projection.
    observation_end : date or ISO str, optional
        End of observation; defaults to the last date of the log.
    customer_id, date, amount : str
        Column names of the log.
    lifespan : float
        Expected customer lifespan in years (an input of the simple LTV).
    gross_margin : float
        Share of revenue kept.
    churn_rate : float, optional
        Monthly churn of the subscription-style LTV and the projection; defaults to
        ``1 / (12 x lifespan)``, the churn whose expected lifetime is ``lifespan``.
    discount_rate : float
        Monthly discount rate of the subscription-style LTV and of the CLV.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    InvalidInputError, InvalidDataError
        Bad options, a log without the named columns, or a bad log or channel table.
    MissingDependencyError
        xlsxwriter or pyarrow is not installed.

    Examples
    --------
    >>> import tempfile, pathlib, ltvkit
    >>> out = ltvkit.to_excel(pathlib.Path(tempfile.mkdtemp()) / "model.xlsx")
    >>> out.name, out.stat().st_size > 10_000
    ('model.xlsx', True)
    """
    xlsxwriter = import_optional("xlsxwriter", extra="excel")
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
        msg = f"horizon is {horizon!r}: pass a whole number of months, at least 1"
        raise InvalidInputError(msg)
    if transactions is None:
        transactions = ltvkit.datasets.load_cdnow("pyarrow")
    churn = 1 / (12 * lifespan) if churn_rate is None else churn_rate
    rows = _channel_rows(channels)
    transactions = _as_arrow(transactions, [customer_id, date, amount])
    facts = _log_facts(transactions, customer_id, date, amount)
    years = ((facts["last"] - facts["first"]).days + 1) / 365.25
    aov = float(economics.average_order_value(facts["revenue"], facts["orders"]))
    frequency = float(economics.purchase_frequency(facts["orders"], facts["customers"])) / years
    months = years * 12
    new_per_month = facts["customers"] / months

    path = Path(path)
    book = xlsxwriter.Workbook(str(path))
    fmt = _Formats(book)
    inputs = book.add_worksheet("Inputs")
    projection = _inputs_sheet(
        inputs,
        fmt,
        aov=aov,
        frequency=frequency,
        lifespan=lifespan,
        margin=gross_margin,
        churn=churn,
        discount=discount_rate,
        new_per_month=new_per_month,
        horizon=horizon,
        channels=rows,
        facts=facts,
    )
    cohorts = book.add_worksheet("Cohorts")
    curves = _cohorts_sheet(cohorts, fmt, transactions, customer_id, date, amount, observation_end)
    _channels_sheet(book.add_worksheet("Channels"), fmt, rows)
    customers = book.add_worksheet("Customers")
    models = _customers_sheet(
        customers,
        fmt,
        transactions,
        customer_id=customer_id,
        date=date,
        amount=amount,
        period=period,
        observation_end=observation_end,
        horizon=horizon,
        discount_rate=discount_rate,
    )
    _model_sheet(book.add_worksheet("Model"), fmt, models)
    _charts_sheet(book, book.add_worksheet("Charts"), curves, projection)
    book.close()
    return path


class _Formats:
    def __init__(self, book: Any) -> None:
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.note = book.add_format({"italic": True, "font_color": "#555555"})
        self.header = book.add_format(
            {"bold": True, "bg_color": "#DDE4EE", "bottom": 1, "text_wrap": True}
        )
        self.input = book.add_format(
            {"bg_color": "#DDEBF7", "font_color": "#1F4E79", "num_format": "#,##0.00"}
        )
        self.input_pct = book.add_format(
            {"bg_color": "#DDEBF7", "font_color": "#1F4E79", "num_format": "0.00%"}
        )
        self.input_text = book.add_format({"bg_color": "#DDEBF7", "font_color": "#1F4E79"})
        self.money = book.add_format({"num_format": "#,##0.00"})
        self.number = book.add_format({"num_format": "0.000"})
        self.ratio = book.add_format({"num_format": "0.00"})
        self.pct = book.add_format({"num_format": "0.0%"})
        self.out = book.add_format({"bold": True, "num_format": "#,##0.00"})
        self.date = book.add_format({"num_format": "yyyy-mm-dd"})
        self.month = book.add_format({"num_format": "mmm yyyy"})
        self.int = book.add_format({"num_format": "#,##0"})
        self.label = book.add_format({"bold": True})


def _inputs_sheet(
    ws: Any,
    fmt: _Formats,
    *,
    aov: float,
    frequency: float,
    lifespan: float,
    margin: float,
    churn: float,
    discount: float,
    new_per_month: float,
    horizon: int,
    channels: list[dict[str, Any]],
    facts: dict[str, Any],
) -> dict[str, Any]:
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 14)
    ws.set_column(2, 14, 13)  # the notes in column C overflow into the empty D to F
    ws.write(0, 0, "ltvkit customer-value model", fmt.title)
    ws.write(
        1,
        0,
        "Blue cells are inputs: change one and every formula recalculates. "
        f"Derived from {facts['orders']:,} orders of {facts['customers']:,} customers, "
        f"{facts['first']} to {facts['last']}.",
        fmt.note,
    )
    ws.write_row(3, 0, ["Input", "Value", "Note"], fmt.header)
    inputs = [
        ("Average order value (AOV)", aov, fmt.input, "revenue / orders in the log"),
        ("Purchase frequency", frequency, fmt.input, "orders per customer per year, observed"),
        ("Lifespan", lifespan, fmt.input, "years a customer stays (assumption)"),
        ("Gross margin", margin, fmt.input_pct, "share of revenue kept"),
        ("Churn rate", churn, fmt.input_pct, "per month; default 1 / (12 x lifespan)"),
        ("Discount rate", discount, fmt.input_pct, "per month"),
        ("New customers", new_per_month, fmt.input, "per month (log average)"),
        ("Customer base at start", 0.0, fmt.input, "customers before month 1"),
    ]
    ref: dict[str, str] = {}
    keys = ["aov", "frequency", "lifespan", "margin", "churn", "discount", "new", "start"]
    for i, (key, (label, value, f, note)) in enumerate(zip(keys, inputs)):
        r = 4 + i
        ws.write(r, 0, label)
        ws.write_number(r, 1, value, f)
        ws.write(r, 2, note, fmt.note)
        ref[key] = _cell(r, 1, absolute=True)

    # channel inputs and their live economics
    ch_top = 25
    ws.write(ch_top - 1, 0, "Acquisition channels (CAC per channel)", fmt.label)
    headers = [t for _, t in _CHANNEL_INPUTS] + [t for _, t in _CHANNEL_OUTPUTS]
    ws.write_row(ch_top, 0, headers, fmt.header)
    ws.set_row(ch_top, 30)
    economics_rows = economics.channel_economics(
        [
            {
                "channel": c["channel"],
                "spend": c["spend"],
                "new_customers": c["new_customers"],
                "average_order_value": c["average_order_value"],
                "frequency": c["frequency"],
                "lifespan": c["lifespan"],
                "gross_margin": c["gross_margin"],
            }
            for c in channels
        ]
    )
    first_row = ch_top + 1
    for i, (c, e) in enumerate(zip(channels, economics_rows)):
        r = first_row + i
        for j, (key, _) in enumerate(_CHANNEL_INPUTS):
            value = c[key]
            if key == "channel":
                ws.write_string(r, j, value, fmt.input_text)
            elif value is None:
                ws.write_blank(r, j, None, fmt.input)
            else:
                ws.write_number(r, j, value, fmt.input_pct if key == "gross_margin" else fmt.input)
        spend, new, aov_c, freq_c, life_c, gm_c = (_cell(r, j) for j in range(1, 7))
        cac_, ltv_, profit_ = _cell(r, 7), _cell(r, 8), _cell(r, 11)
        formulas = [
            (f"={spend}/{new}", e["cac"], fmt.money),
            (f"={aov_c}*{freq_c}*{life_c}*{gm_c}", e["ltv"], fmt.money),
            (f"={ltv_}/{cac_}", e["ltv_cac"], fmt.ratio),
            (f"={cac_}/({aov_c}*{freq_c}*{gm_c})", e["payback_periods"], fmt.ratio),
            (f"={ltv_}-{cac_}", e["profit_per_customer"], fmt.money),
            (f"={profit_}*{new}", e["total_profit"], fmt.money),
        ]
        for j, (formula, value, f) in enumerate(formulas, start=7):
            ws.write_formula(r, j, formula, f, _float(value))
        ws.write_formula(r, 13, f"={profit_}<0", None, bool(e["loses_money"]))
    last_row = first_row + len(channels) - 1
    spend_range = f"{_cell(first_row, 1, absolute=True)}:{_cell(last_row, 1, absolute=True)}"
    new_range = f"{_cell(first_row, 2, absolute=True)}:{_cell(last_row, 2, absolute=True)}"
    total_spend = sum(c["spend"] or 0.0 for c in channels)
    total_new = sum(c["new_customers"] or 0.0 for c in channels)

    # results: native formulas, cached with ltvkit's own results
    ltv_revenue = float(economics.simple_ltv(aov, frequency, lifespan))
    ltv_margin = float(economics.profit_ltv(ltv_revenue, 0, 0, margin))
    revenue_month = float(
        economics.simple_ltv(aov, frequency, 1, frequency_period="year", lifespan_period="month")
    )
    margin_month = float(economics.profit_ltv(revenue_month, 0, 0, margin))
    sub_ltv = float(
        economics.subscription_ltv(revenue_month, margin, churn, discount_rate=discount)
    )
    lifetime = float(economics.expected_lifetime(churn))
    blended_cac = float(economics.cac(total_spend, total_new))
    ratio = float(economics.ltv_cac_ratio(ltv_margin, blended_cac))
    payback = float(economics.cac_payback_periods(blended_cac, margin_month))
    max_cac = float(economics.max_affordable_cac(ltv_margin))
    ws.write_row(13, 0, ["Result", "Value", "Formula"], fmt.header)
    results = [
        (
            "LTV (revenue)",
            f"={ref['aov']}*{ref['frequency']}*{ref['lifespan']}",
            ltv_revenue,
            "AOV x frequency x lifespan",
        ),
        (
            "LTV (gross margin)",
            f"={_cell(14, 1)}*{ref['margin']}",
            ltv_margin,
            "LTV x gross margin",
        ),
        (
            "Margin per customer per month",
            f"={ref['aov']}*{ref['frequency']}/12*{ref['margin']}",
            margin_month,
            "AOV x frequency / 12 x margin",
        ),
        (
            "LTV with churn and discounting",
            f"={_cell(16, 1)}*(1+{ref['discount']})/({ref['discount']}+{ref['churn']})",
            sub_ltv,
            "monthly margin x (1 + d) / (d + churn)",
        ),
        ("Expected lifetime (months)", f"=1/{ref['churn']}", lifetime, "1 / churn"),
        (
            "Blended CAC",
            f"=SUM({spend_range})/SUM({new_range})",
            blended_cac,
            "channel spend / new customers",
        ),
        ("LTV:CAC", f"={_cell(15, 1)}/{_cell(19, 1)}", ratio, "gross-margin LTV / CAC"),
        (
            "CAC payback (months)",
            f"={_cell(19, 1)}/{_cell(16, 1)}",
            payback,
            "CAC / monthly margin",
        ),
        ("Max affordable CAC (LTV:CAC = 3)", f"={_cell(15, 1)}/3", max_cac, "LTV / 3"),
    ]
    for i, (label, formula, value, note) in enumerate(results):
        r = 14 + i
        ws.write(r, 0, label)
        ws.write_formula(r, 1, formula, fmt.out, value)
        ws.write(r, 2, note, fmt.note)

    # customer-base projection
    ws.write_row(3, 6, ["Month", "Customer base"], fmt.header)
    base = economics.project_customer_base(
        new_per_month, periods=horizon, start=0.0, churn_rate=churn
    )
    for k in range(horizon):
        r = 4 + k
        prev = ref["start"] if k == 0 else _cell(r - 1, 7)
        ws.write_number(r, 6, k + 1)
        ws.write_formula(r, 7, f"={prev}*(1-{ref['churn']})+{ref['new']}", fmt.int, float(base[k]))
    ws.freeze_panes(4, 0)
    ws.set_landscape()
    ws.fit_to_pages(1, 1)
    return {"sheet": "Inputs", "first_row": 4, "last_row": 3 + horizon, "values": base}


def _cohorts_sheet(
    ws: Any,
    fmt: _Formats,
    log: Any,
    customer_id: str,
    date: str,
    amount: str,
    observation_end: Any,
) -> dict[str, Any]:
    common = {
        "customer_id": customer_id,
        "date": date,
        "amount": amount,
        "observation_end": observation_end,
        "future": "drop" if observation_end is not None else "raise",
    }
    tables = {}
    for metric in ("retention", "ltv"):
        t = ltvkit.cohort_table(log, metric=metric, **common)
        tables[metric] = t
    out: dict[str, Any] = {"sheet": "Cohorts"}
    top = 0
    for metric, title, f in (
        ("retention", "Retention: share of each monthly cohort buying in month k", fmt.pct),
        ("ltv", "LTV curve: cumulative revenue per customer of each cohort by month", fmt.money),
    ):
        t = tables[metric]
        ages = [c for c in t.column_names if c not in ("cohort", "customers")]
        cohort_dates = t.column("cohort").to_pylist()
        sizes = t.column("customers").to_pylist()
        ws.write(top, 0, title, fmt.label)
        ws.write_row(top + 1, 0, ["Cohort", "Customers"] + [f"Month {a}" for a in ages], fmt.header)
        cells = [t.column(a).to_pylist() for a in ages]
        for i, (d, n) in enumerate(zip(cohort_dates, sizes)):
            r = top + 2 + i
            ws.write_datetime(r, 0, _dt.datetime(d.year, d.month, d.day), fmt.month)
            ws.write_number(r, 1, n, fmt.int)
            for j, col in enumerate(cells):
                if col[i] is not None:
                    ws.write_number(r, 2 + j, col[i], f)
        first, last = top + 2, top + 1 + len(sizes)
        if metric == "retention":
            ws.conditional_format(
                first,
                2,
                last,
                1 + len(ages),
                {
                    "type": "3_color_scale",
                    "min_color": "#F8696B",
                    "mid_color": "#FFEB84",
                    "max_color": "#63BE7B",
                },
            )
        out[metric] = {
            "first_row": first,
            "last_row": last,
            "first_col": 2,
            "last_col": 1 + len(ages),
            "header_row": top + 1,
            "cohorts": cohort_dates,
            "values": cells,
        }
        top = last + 3
    ws.set_column(0, 0, 11)
    ws.set_column(1, 1, 10)
    ws.set_column(2, 60, 9)
    ws.set_landscape()
    ws.fit_to_pages(1, 1)
    return out


def _channels_sheet(ws: Any, fmt: _Formats, rows: list[dict[str, Any]]) -> None:
    table = economics.channel_economics(rows)
    names = economics.CHANNEL_COLUMNS
    ws.write(
        0,
        0,
        "Channel economics (ltvkit.channel_economics; LTV is gross-margin LTV, payback in years)",
        fmt.label,
    )
    ws.write_row(1, 0, names, fmt.header)
    for i, r in enumerate(table):
        for j, k in enumerate(names):
            v = r[k]
            if isinstance(v, (bool, str)):
                ws.write(2 + i, j, v)
            elif v is not None:
                ws.write_number(
                    2 + i,
                    j,
                    float(v),
                    fmt.ratio if k in ("ltv_cac", "payback_periods") else fmt.money,
                )
    ws.set_column(0, 0, 18)
    ws.set_column(1, 9, 14)
    ws.set_landscape()
    ws.fit_to_pages(1, 1)


def _customers_sheet(
    ws: Any,
    fmt: _Formats,
    log: Any,
    *,
    customer_id: str,
    date: str,
    amount: str,
    period: str,
    observation_end: Any,
    horizon: int,
    discount_rate: float,
) -> dict[str, Any]:
    summary = ltvkit.rfm_summary(
        log,
        customer_id=customer_id,
        date=date,
        amount=amount,
        period=period,
        observation_end=observation_end,
        future="drop" if observation_end is not None else "raise",
    )
    cols = {
        n: summary.column(n).to_numpy() for n in ("frequency", "recency", "T", "monetary_value")
    }
    ids = summary.column(customer_id).to_pylist()
    bg = ltvkit.BetaGeoModel.fit(
        frequency=cols["frequency"], recency=cols["recency"], T=cols["T"], unit=_unit_name(period)
    )
    repeat = cols["frequency"] > 0
    gg = ltvkit.GammaGammaModel.fit(
        frequency=cols["frequency"][repeat], monetary_value=cols["monetary_value"][repeat]
    )
    days = _unit_days(period)
    t = horizon * _DAYS_PER_MONTH / days
    alive = bg.p_alive(cols["frequency"], cols["recency"], cols["T"])
    purchases = bg.conditional_expected_purchases(t, cols["frequency"], cols["recency"], cols["T"])
    clv = ltvkit.customer_lifetime_value(
        bg,
        gg,
        horizon=horizon,
        unit="month",
        discount_rate=discount_rate,
        frequency=cols["frequency"],
        recency=cols["recency"],
        T=cols["T"],
        monetary_value=cols["monetary_value"],
    )
    names = [
        "Customer",
        "Frequency",
        "Recency",
        "T",
        "Monetary value",
        "P(alive)",
        f"Expected purchases, {horizon} months",
        f"CLV, {horizon} months",
    ]
    ws.write(
        0,
        0,
        f"Per customer (time in units of {period}); BG/NBD + Gamma-Gamma, "
        f"{discount_rate:.1%} monthly discount",
        fmt.label,
    )
    ws.write_row(1, 0, names, fmt.header)
    ws.set_row(1, 45)
    # most valuable first; printed: the top 60
    order = sorted(range(len(ids)), key=lambda k: (-float(clv[k]), k))
    for i, k in enumerate(order):
        r = 2 + i
        cid = ids[k]
        ws.write(r, 0, cid)
        ws.write_number(r, 1, float(cols["frequency"][k]))
        ws.write_number(r, 2, float(cols["recency"][k]), fmt.ratio)
        ws.write_number(r, 3, float(cols["T"][k]), fmt.ratio)
        ws.write_number(r, 4, float(cols["monetary_value"][k]), fmt.money)
        ws.write_number(r, 5, float(alive[k]), fmt.number)
        ws.write_number(r, 6, float(purchases[k]), fmt.number)
        ws.write_number(r, 7, float(clv[k]), fmt.money)
    ws.autofilter(1, 0, 1 + len(ids), len(names) - 1)
    ws.freeze_panes(2, 1)
    ws.set_column(0, 0, 10)
    ws.set_column(1, 7, 13)
    ws.print_area(0, 0, min(61, 1 + len(ids)), len(names) - 1)
    ws.repeat_rows(1)
    ws.fit_to_pages(1, 0)
    return {"bg": bg, "gg": gg, "n": len(ids)}


def _unit_days(period: str) -> float:
    p = period.strip().upper()
    if p == "D":
        return 1.0
    if p == "W":
        return 7.0
    if p == "M":
        return _DAYS_PER_MONTH
    if p.endswith("D") and p[:-1].isdigit():
        return float(p[:-1])
    msg = f'period is {period!r}: use "D", "W", "M" or "<n>D"'
    raise InvalidInputError(msg)


def _unit_name(period: str) -> str:
    days = _unit_days(period)
    return {1.0: "day", 7.0: "week", _DAYS_PER_MONTH: "month"}.get(days, "day")


def _model_sheet(ws: Any, fmt: _Formats, models: dict[str, Any]) -> None:
    ws.write(
        0, 0, "Fitted models (maximum likelihood, standard errors from the Hessian)", fmt.label
    )
    r = 2
    for title, m in (
        ("BG/NBD (Fader, Hardie & Lee 2005)", models["bg"]),
        ("Gamma-Gamma (Fader & Hardie 2013)", models["gg"]),
    ):
        ws.write(r, 0, title, fmt.label)
        ws.write_row(r + 1, 0, ["Parameter", "Estimate", "Std. error"], fmt.header)
        se = m.standard_errors or {}
        r += 2
        for k, v in m.params.items():
            ws.write(r, 0, k)
            ws.write_number(r, 1, float(v), fmt.number)
            if se.get(k) is not None:
                ws.write_number(r, 2, float(se[k]), fmt.number)
            r += 1
        for k, v in (
            ("log-likelihood", m.log_likelihood),
            ("AIC", m.aic),
            ("BIC", m.bic),
            ("customers", m.n_customers),
        ):
            ws.write(r, 0, k)
            if v is not None:
                ws.write_number(r, 1, float(v), fmt.ratio)
            r += 1
        r += 1
    ws.set_column(0, 0, 36)
    ws.set_column(1, 2, 14)


def _charts_sheet(book: Any, ws: Any, curves: dict[str, Any], projection: dict[str, Any]) -> None:
    ws.write(0, 0, "Charts", book.add_format({"bold": True, "font_size": 14}))
    for n, (metric, title, y_title, anchor) in enumerate(
        (
            ("retention", "Retention by cohort", "share of the cohort buying", "A3"),
            ("ltv", "LTV curves by cohort", "cumulative revenue per customer", "A23"),
        )
    ):
        spec = curves[metric]
        chart = book.add_chart({"type": "line"})
        for i in range(len(spec["cohorts"])):
            r = spec["first_row"] + i
            chart.add_series(
                {
                    "name": ["Cohorts", r, 0],
                    "categories": [
                        "Cohorts",
                        spec["header_row"],
                        spec["first_col"],
                        spec["header_row"],
                        spec["last_col"],
                    ],
                    "values": ["Cohorts", r, spec["first_col"], r, spec["last_col"]],
                    "marker": {"type": "circle", "size": 4},
                }
            )
        chart.set_title({"name": title})
        chart.set_x_axis({"name": "month since first purchase"})
        chart.set_y_axis({"name": y_title, "num_format": "0%" if n == 0 else "#,##0"})
        chart.set_size({"width": 720, "height": 300})
        ws.insert_chart(anchor, chart)
    chart = book.add_chart({"type": "column"})
    chart.add_series(
        {
            "name": "Customer base",
            "categories": ["Inputs", projection["first_row"], 6, projection["last_row"], 6],
            "values": ["Inputs", projection["first_row"], 7, projection["last_row"], 7],
        }
    )
    chart.set_title({"name": "Customer-base projection"})
    chart.set_x_axis({"name": "month"})
    chart.set_legend({"none": True})
    chart.set_size({"width": 720, "height": 300})
    ws.insert_chart("A43", chart)
    ws.fit_to_pages(1, 1)
