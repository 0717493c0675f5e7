"""One self-contained HTML report from a transaction log: ``ltvkit report [FILE]``.

:func:`build_report` reads a log (a CSV or Parquet path, or a DataFrame/Arrow table; the
bundled CDNOW sample when none is given) and computes, with ltvkit's public API only: the
summary numbers, the monthly cohort triangle (retention heatmap and curves), the cohort LTV
curves, a BG/NBD fit and a Gamma-Gamma fit with standard errors and 95% intervals, the
12-month CLV of every customer (top customers listed), the P(alive) distribution and, when the
log has a value-type column, the value by type. :meth:`Report.html` renders one HTML file:
inline CSS, charts as inline SVG (matplotlib, Agg), no JavaScript, no network.

Needs pandas, pyarrow and matplotlib (``pip install "ltvkit[report]"``).

Examples
--------
>>> from ltvkit.report import build_report
>>> r = build_report()                                       # the bundled CDNOW sample
>>> r.numbers["customers"], r.numbers["transactions"]
(2357, 6919)
>>> r.html().startswith("<!DOCTYPE html>")
True
"""

from __future__ import annotations

import html
import io
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ltvkit._display import fmt, model_html
from ltvkit._optional import import_optional
from ltvkit.exceptions import InvalidInputError, LtvError

__all__ = ["Report", "build_report", "write_report"]

_TOP = 20


class _Steps:
    """Progress lines on stderr: ``[2/8] BG/NBD fit ... 0.4 s``."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled, self.i = total, enabled, 0
        self.start = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def __call__(self, label: str) -> Callable[[], None]:
        self.i += 1
        t0 = time.perf_counter()
        if self.enabled:
            sys.stderr.write(f"[{self.i}/{self.total}] {label} ...")
            sys.stderr.flush()

        def done() -> None:
            self.seconds[label] = time.perf_counter() - t0
            if self.enabled:
                sys.stderr.write(f" {self.seconds[label]:.1f} s\n")
                sys.stderr.flush()

        return done


@dataclass
class Report:
    """The numbers, tables and charts of a report; :meth:`html` renders it.

    ``numbers`` holds the headline values under stable keys (``customers``, ``transactions``,
    ``revenue``, ``bg_r``, ...), the same values the HTML shows in elements with a
    ``data-key`` attribute.
    """

    title: str
    source: str
    numbers: dict[str, Any]
    tables: dict[str, str] = field(default_factory=dict)
    charts: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    step_seconds: dict[str, float] = field(default_factory=dict)

    def html(self) -> str:
        """The report as one self-contained HTML document."""
        return _render(self)

    def write(self, path: str | Path) -> Path:
        """Write :meth:`html` to ``path`` (UTF-8) and return the path."""
        p = Path(path)
        p.write_text(self.html(), encoding="utf-8")
        return p


def _read(source: Any, columns: list[str], optional: list[str]) -> tuple[Any, str]:
    """The log as a pyarrow Table of the needed columns (read once), and its name."""
    pa = import_optional("pyarrow", extra="report")
    if source is None:
        from ltvkit import datasets

        source = datasets.path("cdnow_transactions.csv")
    if isinstance(source, (str, Path)):
        p = Path(source)
        if not p.is_file():
            msg = f"no such transaction file: {source}"
            raise InvalidInputError(msg)
        if p.suffix.lower() in (".parquet", ".pq"):
            pq = import_optional("pyarrow.parquet", extra="report")
            names = pq.read_schema(p).names
            _check_columns(names, columns, str(p))
            table = pq.read_table(p, columns=columns + [c for c in optional if c in names])
        else:
            pcsv = import_optional("pyarrow.csv", extra="report")
            table = pcsv.read_csv(p)
            _check_columns(table.column_names, columns, str(p))
        return table, p.name
    if hasattr(source, "__arrow_c_stream__") and not hasattr(source, "column_names"):
        source = pa.table(source)
    if hasattr(source, "column_names"):
        return source, "table"
    if hasattr(source, "columns"):  # pandas or polars
        names = [str(c) for c in source.columns]
        _check_columns(names, columns, "the frame")
        return pa.table(source), "frame"
    msg = f"transactions must be a CSV/Parquet path or a table, not {type(source).__name__}"
    raise InvalidInputError(msg)


def _check_columns(names: list[str], wanted: list[str], where: str) -> None:
    missing = [c for c in wanted if c not in names]
    if missing:
        msg = (
            f"{where} has no column {missing[0]!r} (columns: {', '.join(names)}); "
            f"name the columns with --customer-id, --date and --amount"
        )
        raise InvalidInputError(msg)


def _triangle_pandas(table: Any) -> Any:
    """A pyarrow cohort table as the pandas layout of ltvkit.cohort_table."""
    import pandas as pd

    df = table.to_pandas()
    df["cohort"] = pd.to_datetime(df["cohort"])
    df = df.set_index("cohort")
    df.columns = [c if c == "customers" else int(c) for c in df.columns]
    return df


def _svg(fig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]


def build_report(
    transactions: Any = None,
    *,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    value_type: str = "value_type",
    period: str = "7D",
    cohort: str = "M",
    horizon: int = 12,
    discount_rate: float = 0.01,
    top: int = _TOP,
    title: str | None = None,
    progress: bool = False,
) -> Report:
    """Compute everything a report shows.

    Parameters
    ----------
    transactions : str, Path, DataFrame or pyarrow Table, optional
        The log (one row per purchase); the bundled CDNOW sample when None.
    customer_id, date, amount : str
        Column names.
    value_type : str
        A column of value types (see :func:`ltvkit.value_breakdown`); used when present.
    period : str
        The time unit of the RFM summary and the BG/NBD rates (``"7D"`` weeks, ``"D"``).
    cohort : {"M", "W"}
        Cohort granularity and age unit of the cohort triangle and LTV curves.
    horizon : int
        CLV horizon in calendar months; ``discount_rate`` is per month.
    top : int
        Customers listed by CLV.
    title : str, optional
        The report's heading.
    progress : bool
        Write one line per step to stderr (the command line does).

    Returns
    -------
    Report

    Raises
    ------
    InvalidInputError
        For a missing file or column.
    LtvError
        Whatever the underlying calls raise for bad data (typed, with the row).
    """
    import_optional("pandas", extra="report")
    mpl = import_optional("matplotlib", extra="report")
    import numpy as np

    import ltvkit
    from ltvkit import plotting

    t_start = time.perf_counter()
    step = _Steps(8, progress)
    done = step("reading the log")
    log, source_name = _read(transactions, [customer_id, date, amount], [value_type])
    done()
    pc = import_optional("pyarrow.compute", extra="report")
    # the log is in memory now: the steps below report their own progress, no tqdm bars
    cols: dict[str, Any] = {"customer_id": customer_id, "date": date, "progress": False}
    numbers: dict[str, Any] = {"transactions": log.num_rows}
    notes: list[str] = []
    charts: dict[str, str] = {}
    tables: dict[str, str] = {}

    done = step("RFM summary")
    summary = ltvkit.rfm_summary(log, amount=amount, period=period, **cols)
    summary = summary.to_pandas()
    summary = summary.set_index(customer_id)
    revenue = float(pc.sum(log[amount]).as_py())
    dates = pc.min_max(log[date]).as_py()
    numbers.update(
        customers=len(summary),
        revenue=revenue,
        first_date=str(dates["min"])[:10],
        last_date=str(dates["max"])[:10],
        revenue_per_customer=revenue / len(summary),
        average_order_value=revenue / log.num_rows,
        repeat_share=float((summary["frequency"] > 0).mean()),
        mean_frequency=float(summary["frequency"].mean()),
    )
    done()

    done = step("BG/NBD fit")
    bg = ltvkit.BetaGeoModel.fit(summary, unit=_model_unit(period))
    for k, v in bg.params.items():
        numbers[f"bg_{k}"] = v
    numbers["bg_log_likelihood"] = bg.log_likelihood
    tables["bg"] = model_html(bg)
    p_alive = np.asarray(bg.p_alive(summary["frequency"], summary["recency"], summary["T"]))
    numbers["expected_active"] = float(p_alive.sum())
    numbers["share_p_alive_below_half"] = float((p_alive < 0.5).mean())
    done()

    done = step(f"Gamma-Gamma fit and {horizon}-month CLV")
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    clv = None
    try:
        gg = ltvkit.GammaGammaModel.fit(repeat, unit=_model_unit(period))
    except LtvError as exc:
        notes.append(f"Gamma-Gamma not fitted ({exc}); no CLV section.")
    else:
        for k, v in gg.params.items():
            numbers[f"gg_{k}"] = v
        tables["gg"] = model_html(gg)
        clv = _clv(bg, gg, summary, horizon, discount_rate, _model_unit(period))
        numbers["clv_total"] = float(clv["clv"].sum())
        numbers["clv_mean"] = float(clv["clv"].mean())
        best = clv["clv"].nlargest(top)
        rows = summary.loc[best.index]
        exp_next = np.asarray(
            bg.conditional_expected_purchases(
                horizon * 52.0 / 12.0 / _unit_weeks(period),
                rows["frequency"],
                rows["recency"],
                rows["T"],
            )
        )
        body = "".join(
            f"<tr><td>{html.escape(str(cid))}</td><td>{fmt(r.frequency, 0)}</td>"
            f"<td>{fmt(r.recency, 1)}</td><td>{fmt(r['T'], 1)}</td>"
            f"<td>{fmt(r.monetary_value, 2)}</td><td>{fmt(pa_, 3)}</td>"
            f"<td>{fmt(e, 2)}</td><td><b>{fmt(v, 2)}</b></td></tr>"
            for (cid, r), pa_, e, v in zip(
                rows.iterrows(),
                np.asarray(bg.p_alive(rows["frequency"], rows["recency"], rows["T"])),
                exp_next,
                best.to_numpy(),
            )
        )
        tables["top"] = (
            '<table class="grid" id="top-customers"><thead><tr><th>customer</th>'
            "<th>repeat purchases</th><th>recency</th><th>T</th><th>mean spend</th>"
            f"<th>P(alive)</th><th>expected purchases, {horizon} months</th>"
            f"<th>CLV, {horizon} months</th></tr></thead><tbody>{body}</tbody></table>"
        )
        numbers["top_customer"] = (
            best.index[0].item() if hasattr(best.index[0], "item") else (best.index[0])
        )
        numbers["top_clv"] = float(best.iloc[0])
    done()

    done = step("cohort tables")
    retention = _triangle_pandas(
        ltvkit.cohort_table(log, metric="retention", cohort=cohort, period=cohort, **cols)
    )
    ltv = _triangle_pandas(
        ltvkit.cohort_table(log, metric="ltv", cohort=cohort, period=cohort, amount=amount, **cols)
    )
    numbers["cohorts"] = len(retention)
    if 1 in retention.columns:
        w = retention["customers"]
        m1 = retention[1]
        ok = m1.notna()
        numbers["retention_age_1"] = float((m1[ok] * w[ok]).sum() / w[ok].sum())
    done()

    done = step("charts")
    with mpl.rc_context(_RC):
        mpl.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7.5, 4.2))
        later = retention.drop(columns=["customers", 0]).to_numpy(dtype=float, na_value=np.nan)
        vmax = float(np.nanmax(later)) if np.isfinite(later).any() else None
        plotting.plot_cohort_retention(retention, ax=ax, annotate=len(retention) <= 12, vmax=vmax)
        charts["cohort_heatmap"] = _svg(fig)
        fig, ax = plt.subplots(figsize=(7.5, 3.8))
        plotting.plot_retention_curves(retention.drop(columns=[0]), ax=ax)
        ax.set_title("Retention by cohort (age 1 on)")
        charts["retention_curves"] = _svg(fig)
        fig, ax = plt.subplots(figsize=(7.5, 3.8))
        plotting.plot_ltv_curves(ltv, ax=ax)
        charts["ltv_curves"] = _svg(fig)
        fig, ax = plt.subplots(figsize=(7.5, 3.6))
        plotting.plot_period_transactions(bg, summary, ax=ax)
        ax.set_title("Model check: repeat purchases, actual vs BG/NBD")
        charts["period_transactions"] = _svg(fig)
        fig, ax = plt.subplots(figsize=(7.5, 3.4))
        ax.hist(p_alive, bins=20, range=(0.0, 1.0), color="#1f4e79", edgecolor="white")
        ax.set_xlabel("P(alive)")
        ax.set_ylabel("customers")
        ax.yaxis.set_major_formatter(mpl.ticker.StrMethodFormatter("{x:,.0f}"))
        ax.set_title("How many customers are still active?")
        charts["p_alive"] = _svg(fig)
    done()

    done = step("value by type")
    if value_type in log.column_names:
        vb = ltvkit.value_breakdown(log, value_type=value_type, amount=amount, **cols)
        by_type = ltvkit.transactions.metadata(vb)["summary"]["revenue_by_type"]
        numbers["revenue_by_type"] = by_type
        with mpl.rc_context(_RC):
            fig, ax = plt.subplots(figsize=(7.5, 3.2))
            names = list(by_type)
            ax.barh(names, [float(by_type[n]) for n in names], color="#1f4e79")
            ax.set_xlabel("revenue")
            ax.set_title("Value by type")
            charts["value_by_type"] = _svg(fig)
    done()

    done = step("rendering")
    report = Report(
        title=title or f"Customer value report: {source_name}",
        source=source_name,
        numbers=numbers,
        tables=tables,
        charts=charts,
        notes=notes,
    )
    report.numbers["period"] = period
    report.numbers["horizon_months"] = horizon
    report.numbers["discount_rate"] = discount_rate
    done()
    report.seconds = time.perf_counter() - t_start
    report.step_seconds = dict(step.seconds)
    return report


def _clv(bg: Any, gg: Any, summary: Any, horizon: int, discount_rate: float, unit: str) -> Any:
    """Each customer's CLV, computed once per distinct (frequency, recency, T, spend).

    CLV is a function of those four numbers alone, and a large log repeats them (most
    customers of a big log have no repeat purchase, so spend 0 and recency 0, and share T):
    3.6 million customers have about 0.25 million distinct rows.
    """
    import numpy as np
    import pandas as pd

    import ltvkit

    keys = summary[["frequency", "recency", "T", "monetary_value"]]
    distinct = keys.drop_duplicates()
    where = pd.MultiIndex.from_frame(distinct).get_indexer(pd.MultiIndex.from_frame(keys))
    values = np.asarray(
        ltvkit.customer_lifetime_value(
            bg,
            gg,
            horizon=horizon,
            unit="month",
            discount_rate=discount_rate,
            data_unit=unit,
            frequency=distinct["frequency"].to_numpy(),
            recency=distinct["recency"].to_numpy(),
            T=distinct["T"].to_numpy(),
            monetary_value=distinct["monetary_value"].to_numpy(),
        )
    )
    return pd.DataFrame({"clv": values[where]}, index=summary.index)


def _model_unit(period: str) -> str:
    """The models' time unit for an RFM period (``"7D"`` and ``"W"`` are weeks)."""
    units = {"7D": "week", "W": "week", "D": "day", "1D": "day", "M": "month"}
    p = period.strip().upper()
    if p not in units:
        msg = f"period {period!r}: the report supports D, 7D, W and M"
        raise InvalidInputError(msg)
    return units[p]


def _unit_weeks(period: str) -> float:
    """Weeks in one unit of ``period`` (for the expected purchases over the CLV horizon)."""
    p = period.strip().upper()
    if p == "W":
        return 1.0
    if p == "M":
        return 52.0 / 12.0
    if p == "D":
        return 1.0 / 7.0
    if p.endswith("D") and p[:-1].isdigit():
        return int(p[:-1]) / 7.0
    msg = f"period {period!r}: use D, W, M or <n>D"
    raise InvalidInputError(msg)


_RC = {
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titleweight": "bold",
    "axes.titlesize": 10,
    "figure.dpi": 100,
}

_STYLE = """
body{font-family:'DejaVu Sans',system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;
color:#1d2733;background:#f4f6f9}
header{background:#1f4e79;color:#fff;padding:22px 36px}
header h1{margin:0;font-size:24px}header p{margin:4px 0 0 0;opacity:.85;font-size:13px}
main{max-width:1040px;margin:0 auto;padding:18px 24px 40px}
section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08);
padding:16px 22px;margin:16px 0}
h2{font-size:17px;margin:0 0 10px 0;color:#1f4e79}
.kpis{display:grid;grid-template-columns:repeat(4,1fr);gap:12px}
.kpi{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:12px 16px}
.kpi .v{font-size:22px;font-weight:700;color:#1f4e79}.kpi .l{font-size:12px;color:#5b6675}
.two{display:grid;grid-template-columns:1fr 1fr;gap:16px}
.chart svg{max-width:100%;height:auto}
table.grid{border-collapse:collapse;font-size:12.5px;width:100%}
table.grid th{text-align:right;border-bottom:1px solid #9aa5b1;padding:4px 8px;
font-weight:600;color:#334}
table.grid td{text-align:right;padding:3px 8px;border-bottom:1px solid #eef1f4;
font-variant-numeric:tabular-nums}
table.grid th:first-child,table.grid td:first-child{text-align:left}
.note{font-size:12px;color:#5b6675}
footer{font-size:11px;color:#7a8594;text-align:center;padding:10px}
"""


def _kpi(numbers: dict[str, Any], key: str, label: str, digits: int) -> str:
    v = numbers.get(key)
    text = fmt(v * 100, 1) + "%" if key.endswith("share") and v is not None else fmt(v, digits)
    return (
        f'<div class="kpi"><div class="v" data-key="{key}">{text}</div>'
        f'<div class="l">{html.escape(label)}</div></div>'
    )


def _chart(r: Report, key: str, caption: str) -> str:
    if key not in r.charts:
        return ""
    return (
        f'<div class="chart" id="chart-{key}">{r.charts[key]}'
        f'<p class="note">{html.escape(caption)}</p></div>'
    )


def _render(r: Report) -> str:
    n = r.numbers
    e = html.escape
    kpis = "".join(
        [
            _kpi(n, "customers", "customers", 0),
            _kpi(n, "transactions", "transactions", 0),
            _kpi(n, "revenue", "revenue", 2),
            _kpi(n, "revenue_per_customer", "revenue per customer to date", 2),
            _kpi(n, "average_order_value", "average order value", 2),
            _kpi(n, "repeat_share", "customers who bought again", 1),
            _kpi(n, "expected_active", "expected active customers (sum of P(alive))", 0),
            _kpi(n, "clv_mean", f"mean CLV, next {n['horizon_months']} months", 2),
        ]
    )
    unit = {"7D": "weeks", "D": "days", "W": "weeks", "M": "months"}.get(n["period"], n["period"])
    clv_note = (
        f"CLV = margin 1 x expected spend (Gamma-Gamma) x expected purchases (BG/NBD) over "
        f"{n['horizon_months']} calendar months, discounted at "
        f"{n['discount_rate'] * 100:g}% a month. Total: "
        f'<b data-key="clv_total">{fmt(n.get("clv_total"), 2)}</b>.'
    )
    sections = [
        f'<section id="cohorts"><h2>Cohorts</h2>'
        f"{_chart(r, 'cohort_heatmap', 'Share of each cohort buying at each age.')}"
        f'<div class="two">'
        f"{_chart(r, 'retention_curves', 'Retention from age 1 (age 0 is 100%).')}"
        f"{_chart(r, 'ltv_curves', 'Cumulative revenue per original customer of the cohort.')}"
        f"</div></section>",
        f'<section id="model"><h2>Model fit</h2><p class="note">BG/NBD (Fader, Hardie &amp; '
        f"Lee 2005) on the RFM summary, rates per {e(unit)}; Gamma-Gamma (Fader &amp; Hardie "
        f"2013) on the customers with repeat purchases. Standard errors from the observed "
        f"information; 95% Wald intervals on the log scale.</p>"
        f"<div class='two'><div>{r.tables.get('bg', '')}</div><div>{r.tables.get('gg', '')}"
        f"</div></div>{_chart(r, 'period_transactions', 'Customers by repeat purchases.')}"
        f"</section>",
    ]
    if "top" in r.tables:
        sections.append(
            f'<section id="clv"><h2>Top customers by CLV</h2><p class="note">{clv_note}</p>'
            f"{r.tables['top']}</section>"
        )
    sections.append(
        f'<section id="p-alive"><h2>P(alive)</h2>'
        f"{_chart(r, 'p_alive', 'Probability that each customer is still active at the end.')}"
        f'<p class="note">Customers with P(alive) below 0.5: '
        f'<b data-key="share_p_alive_below_half">'
        f"{fmt(n['share_p_alive_below_half'] * 100, 1)}%</b></p></section>"
    )
    if "value_by_type" in r.charts:
        sections.append(
            f'<section id="value-by-type"><h2>Value by type</h2>'
            f"{_chart(r, 'value_by_type', 'Revenue by value type (own value, all customers).')}"
            f"</section>"
        )
    notes = "".join(f'<p class="note">{e(t)}</p>' for t in r.notes)
    from ltvkit import __version__

    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(r.title)}</title><style>{_STYLE}</style></head><body>"
        f"<header><h1>{e(r.title)}</h1><p>{e(n['first_date'])} to {e(n['last_date'])} &middot; "
        f"{fmt(n['customers'], 0)} customers &middot; {fmt(n['cohorts'], 0)} cohorts</p>"
        f'</header><main><div class="kpis">{kpis}</div>{"".join(sections)}{notes}</main>'
        f"<footer>ltvkit {e(__version__)} &middot; computed in {r.seconds:.1f} s</footer>"
        "</body></html>"
    )


def write_report(
    transactions: Any = None, output: str | Path = "report.html", **options: Any
) -> Report:
    """Build the report (see :func:`build_report` for ``options``) and write it to ``output``."""
    r = build_report(transactions, **options)
    r.write(output)
    return r
