"""Rich display for Jupyter: models as estimate tables, ltvkit tables with their metadata.

The model classes (Rust pyclasses) call :func:`model_html` from their ``_repr_html_`` and
:func:`model_pretty` from ``_repr_pretty_``, so all formatting lives here. :func:`display`
wraps a table returned by :mod:`ltvkit.transactions` for a notebook cell: the table's own HTML
(pandas and polars render themselves) under a caption with its unit, observation end and the
bad-input report. No frame is subclassed or modified.

Examples
--------
>>> import ltvkit
>>> m = ltvkit.BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426)
>>> print(model_text(m))
BetaGeoModel (not fitted: built from parameters)
parameter  estimate  std. error  95% CI
r            0.2430           -  -
alpha        4.4140           -  -
a            0.7930           -  -
b            2.4260           -  -
>>> "<table" in m._repr_html_()
True
"""

from __future__ import annotations

import html
import math
from typing import Any

__all__ = ["display", "metadata_html", "model_html", "model_pretty", "model_text"]

_CSS = (
    "border-collapse:collapse;font-family:system-ui,-apple-system,'Segoe UI',sans-serif;"
    "font-size:13px;margin:4px 0"
)
_TH = "text-align:left;padding:3px 10px;border-bottom:1px solid #999;font-weight:600"
_TD = "padding:2px 10px;text-align:right;font-variant-numeric:tabular-nums"
_TDL = "padding:2px 10px;text-align:left"


def fmt(value: Any, digits: int = 4) -> str:
    """A number for a table: ``digits`` decimals, thousands separators, ``-`` for None.

    >>> fmt(4.41385), fmt(-9582.4291, 1), fmt(None), fmt(2357.0, 0)
    ('4.4139', '-9,582.4', '-', '2,357')
    """
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    v = float(value)
    if math.isnan(v):
        return "-"
    return f"{v:,.{digits}f}"


def _rows(model: Any) -> list[tuple[str, float, float | None, tuple[float, float] | None]]:
    params: dict[str, float] = model.params
    se = model.standard_errors or {}
    try:
        ci = model.confidence_intervals(0.95) if se else {}
    except Exception:  # no usable information matrix: show the estimates alone
        ci = {}
    return [(n, v, se.get(n), ci.get(n)) for n, v in params.items()]


def _stats(model: Any) -> list[tuple[str, str]]:
    if model.log_likelihood is None:
        return []
    return [
        ("log-likelihood", fmt(model.log_likelihood, 2)),
        ("AIC", fmt(model.aic, 2)),
        ("BIC", fmt(model.bic, 2)),
        ("customers", fmt(model.n_customers, 0)),
        ("iterations", fmt(model.n_iterations, 0)),
        ("converged", fmt(model.converged)),
    ]


def _title(model: Any) -> str:
    name = type(model).__name__
    if model.log_likelihood is None:
        return f"{name} (not fitted: built from parameters)"
    unit = f", rates per {model.unit}" if model.unit else ""
    return f"{name} (maximum likelihood{unit})"


def model_text(model: Any) -> str:
    """The estimates and fit statistics of a model as aligned plain text."""
    rows = _rows(model)
    table = [("parameter", "estimate", "std. error", "95% CI")]
    for n, v, s, c in rows:
        ci = f"[{fmt(c[0])}, {fmt(c[1])}]" if c else "-"
        table.append((n, fmt(v), fmt(s), ci))
    w = [max(len(r[i]) for r in table) for i in range(3)]
    lines = [_title(model)]
    for r in table:
        lines.append(f"{r[0]:<{w[0]}}  {r[1]:>{w[1]}}  {r[2]:>{w[2]}}  {r[3]}")
    stats = _stats(model)
    if stats:
        lines.append("  ".join(f"{k}: {v}" for k, v in stats))
    return "\n".join(lines)


def model_pretty(model: Any, p: Any, cycle: bool) -> None:
    """IPython's ``_repr_pretty_`` hook: write :func:`model_text` to the printer ``p``."""
    p.text(repr(model) if cycle else model_text(model))


def model_html(model: Any) -> str:
    """The estimates (with standard errors and 95% Wald intervals) and fit statistics as HTML."""
    e = html.escape
    head = "".join(
        f'<th style="{_TH}">{h}</th>' for h in ("parameter", "estimate", "std. error", "95% CI")
    )
    body = []
    for n, v, s, c in _rows(model):
        ci = f"[{fmt(c[0])}, {fmt(c[1])}]" if c else "-"
        body.append(
            f'<tr><td style="{_TDL}"><code>{e(n)}</code></td><td style="{_TD}">{fmt(v)}</td>'
            f'<td style="{_TD}">{fmt(s)}</td><td style="{_TD}">{ci}</td></tr>'
        )
    stats = _stats(model)
    foot = ""
    if stats:
        cells = " &middot; ".join(f"{e(k)} <b>{e(v)}</b>" for k, v in stats)
        foot = f'<div style="font-size:12px;color:#444;margin-top:2px">{cells}</div>'
    return (
        f'<div class="ltvkit-model"><div style="font-weight:600;margin-bottom:2px">'
        f"{e(_title(model))}</div>"
        f'<table style="{_CSS}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody>'
        f"</table>{foot}</div>"
    )


def metadata_html(result: Any) -> str:
    """The ltvkit metadata of a table (function, unit, options, bad-input report) as HTML."""
    from ltvkit.transactions import metadata

    meta = metadata(result)
    e = html.escape
    report = meta.get("report", {})
    opts = [
        (k, v)
        for k, v in meta.items()
        if k not in ("report", "summary", "function") and v is not None
    ]
    items = " &middot; ".join(f"{e(str(k))} <b>{e(str(v))}</b>" for k, v in opts)
    rep = " &middot; ".join(
        f"{e(str(k)).replace('_', ' ')} <b>{fmt(v, 0)}</b>"
        for k, v in report.items()
        if isinstance(v, (int, float))
    )
    return (
        f'<div class="ltvkit-meta" style="font-size:12px;color:#333;margin:2px 0 6px 0">'
        f"<b>{e(str(meta.get('function', '')))}</b>: {items}<br>rows: {rep}</div>"
    )


class _Displayed:
    """A table and its ltvkit caption, shown together by Jupyter."""

    def __init__(self, table: Any, max_rows: int) -> None:
        self.table = table
        self.max_rows = max_rows

    def _table_html(self) -> str:
        t = self.table
        if hasattr(t, "to_html") and hasattr(t, "head"):  # pandas
            return str(t.head(self.max_rows).to_html())
        if hasattr(t, "_repr_html_"):  # polars
            return str(t.head(self.max_rows)._repr_html_())
        if hasattr(t, "slice") and hasattr(t, "to_pylist"):  # pyarrow: no HTML of its own
            rows = t.slice(0, self.max_rows).to_pylist()
            cols = t.column_names
            head = "".join(f'<th style="{_TH}">{html.escape(str(c))}</th>' for c in cols)
            body = "".join(
                "<tr>"
                + "".join(f'<td style="{_TD}">{html.escape(str(r[c]))}</td>' for c in cols)
                + "</tr>"
                for r in rows
            )
            return f'<table style="{_CSS}"><thead><tr>{head}</tr></thead>{body}</table>'
        return f"<pre>{html.escape(repr(t))}</pre>"

    def _repr_html_(self) -> str:
        return metadata_html(self.table) + self._table_html()

    def __repr__(self) -> str:
        from ltvkit.transactions import metadata

        meta = metadata(self.table)
        return f"{meta.get('function')} ({meta.get('period', meta.get('metric'))})\n{self.table!r}"


def display(table: Any, *, max_rows: int = 20) -> Any:
    """Show an ltvkit table in Jupyter with its unit, options and bad-input report.

    Parameters
    ----------
    table : pandas.DataFrame, polars.DataFrame or pyarrow.Table
        A result of :func:`ltvkit.rfm_summary`, :func:`ltvkit.cohort_table`, ...
    max_rows : int
        Rows of the table shown.

    Returns
    -------
    object
        An object a notebook renders as HTML (``_repr_html_``); the table is not changed.

    Raises
    ------
    InvalidInputError
        If the table carries no ltvkit metadata.

    Examples
    --------
    >>> import ltvkit
    >>> s = ltvkit.rfm_summary(ltvkit.datasets.load_cdnow(), period="7D")
    >>> "future rows dropped" in ltvkit.display(s)._repr_html_()
    True
    """
    from ltvkit.transactions import metadata

    metadata(table)  # fails early with the typed error
    return _Displayed(table, max_rows)
