"""Plots of customer-base models and ltvkit tables (matplotlib; ``pip install "ltvkit[plot]"``).

Every function takes an optional ``ax=`` (a matplotlib ``Axes``; the current one by default)
and returns the ``Axes`` it drew on; none calls ``plt.show()``. The numbers come from the
models' own methods (``conditional_expected_purchases``, ``p_alive``,
``probability_of_purchases``, ``expected_purchases``, ``survival``) and from ltvkit's tables;
this module only arranges them. The choice of plots follows lifetimes' ``plotting`` module.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import ltvkit
>>> from ltvkit import plotting
>>> bg = ltvkit.BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426)
>>> ax = plotting.plot_probability_alive_matrix(bg, max_frequency=5, max_recency=10)
>>> ax.images[0].get_array().shape                    # recency 0..10 by frequency 0..5
(11, 6)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ltvkit._optional import import_optional
from ltvkit.exceptions import InvalidInputError

__all__ = [
    "plot_calibration_purchases_vs_holdout_purchases",
    "plot_channel_ltv_cac",
    "plot_cohort_retention",
    "plot_cumulative_transactions",
    "plot_frequency_recency_matrix",
    "plot_ltv_curves",
    "plot_period_transactions",
    "plot_probability_alive_matrix",
    "plot_retention_curves",
]

_ACTUAL = "#1f4e79"
_MODEL = "#e07b39"


def _axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    plt = import_optional("matplotlib.pyplot", extra="plot")
    return plt.gca()


def _column(data: Any, name: str) -> Any:
    try:
        col = data[name]
    except (KeyError, TypeError, IndexError) as exc:
        msg = f"the table has no column {name!r}"
        raise InvalidInputError(msg) from exc
    if hasattr(col, "to_numpy"):
        col = col.to_numpy()
    return np.asarray(col, dtype=float)


def _integer_x(ax: Any) -> None:
    """Whole-number ticks on the x axis (ages and periods)."""
    ticker = import_optional("matplotlib.ticker", extra="plot")
    ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))


def _counts_y(ax: Any) -> None:
    """Counts on the y axis with thousands separators, not an offset like ``1e6``."""
    ticker = import_optional("matplotlib.ticker", extra="plot")
    ax.yaxis.set_major_formatter(ticker.StrMethodFormatter("{x:,.0f}"))


def _grid(max_frequency: int, max_recency: int) -> tuple[Any, Any]:
    if max_frequency < 0 or max_recency < 1:
        msg = (
            f"max_frequency must be >= 0 and max_recency >= 1, not {max_frequency} and "
            f"{max_recency}"
        )
        raise InvalidInputError(msg)
    x, t_x = np.meshgrid(np.arange(max_frequency + 1.0), np.arange(max_recency + 1.0))
    return x, t_x


def _on_grid(values: Any, x: Any, t_x: Any) -> Any:
    """``values(x, t_x)`` on the possible cells; NaN (blank) where frequency 0 has recency > 0."""
    ok = (x > 0) | (t_x == 0)
    z = np.full(x.shape, np.nan)
    z[ok] = np.asarray(values(x[ok], t_x[ok]))
    return z


def _matrix(ax: Any, z: Any, title: str, label: str) -> Any:
    im = ax.imshow(
        np.ma.masked_invalid(z),
        origin="lower",
        aspect="auto",
        interpolation="none",
        cmap="viridis",
    )
    ax.figure.colorbar(im, ax=ax, label=label)
    ax.set_xlabel("frequency (repeat purchases)")
    ax.set_ylabel("recency (age at last purchase)")
    ax.set_title(title)
    return ax


def plot_frequency_recency_matrix(
    model: Any, *, t: float = 1.0, max_frequency: int, max_recency: int, ax: Any = None
) -> Any:
    """Expected purchases in the next ``t`` units by frequency and recency (a heatmap).

    Cell (recency ``r``, frequency ``x``) is ``model.conditional_expected_purchases(t, x, r,
    max_recency)``: a customer observed for ``max_recency`` units (lifetimes' convention).

    Parameters
    ----------
    model : BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel
    t : float
        The horizon, in the model's unit.
    max_frequency, max_recency : int
        The largest frequency (columns ``0..max_frequency``) and recency (rows).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        With one image whose array is the matrix (row = recency, column = frequency).
    """
    x, t_x = _grid(max_frequency, max_recency)
    z = _on_grid(lambda f, r: model.conditional_expected_purchases(t, f, r, max_recency), x, t_x)
    return _matrix(
        _axes(ax),
        z,
        f"Expected purchases in the next {t:g} {model.unit or 'units'}",
        "expected purchases",
    )


def plot_probability_alive_matrix(
    model: Any, *, max_frequency: int, max_recency: int, ax: Any = None
) -> Any:
    """P(alive) by frequency and recency for customers observed ``max_recency`` units.

    Cell (recency ``r``, frequency ``x``) is ``model.p_alive(x, r, max_recency)``.

    Returns
    -------
    matplotlib Axes
        With one image whose (masked) array is the matrix (row = recency, column =
        frequency); frequency 0 with recency > 0 is impossible and left blank.
    """
    x, t_x = _grid(max_frequency, max_recency)
    z = _on_grid(lambda f, r: model.p_alive(f, r, max_recency), x, t_x)
    return _matrix(_axes(ax), z, "Probability a customer is alive", "P(alive)")


def plot_period_transactions(
    model: Any, summary: Any, *, max_frequency: int = 7, ax: Any = None
) -> Any:
    """Customers by number of repeat purchases: actual against the model's expectation.

    The expected number of customers with ``k`` repeat purchases is the sum over customers of
    ``model.probability_of_purchases(k, T_i)`` (the model's exact distribution, not a
    simulation); the last bar is ``max_frequency`` or more.

    Parameters
    ----------
    model : BetaGeoModel or ModifiedBetaGeoModel
    summary : DataFrame or dict of arrays
        Columns ``frequency`` and ``T`` (an :func:`ltvkit.rfm_summary`).
    max_frequency : int
        The open last bucket.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        Two bar containers, ``ax.containers[0]`` actual and ``[1]`` model.
    """
    if not hasattr(model, "probability_of_purchases"):
        msg = f"{type(model).__name__} has no probability_of_purchases(n, t); use a BG/NBD model"
        raise InvalidInputError(msg)
    freq = _column(summary, "frequency")
    big_t = _column(summary, "T")
    k = np.arange(max_frequency)
    actual = np.array([np.sum(freq == i) for i in k] + [np.sum(freq >= max_frequency)])
    ages, counts = np.unique(big_t, return_counts=True)
    expected = np.zeros(max_frequency + 1)
    for i in k:
        expected[i] = float(np.dot(counts, model.probability_of_purchases(float(i), ages)))
    expected[max_frequency] = float(len(freq)) - expected[:max_frequency].sum()
    ax = _axes(ax)
    pos = np.arange(max_frequency + 1)
    ax.bar(pos - 0.2, actual, width=0.4, label="actual", color=_ACTUAL)
    ax.bar(pos + 0.2, expected, width=0.4, label="model", color=_MODEL)
    ax.set_xticks(pos, [str(i) for i in k] + [f"{max_frequency}+"])
    ax.set_xlabel("repeat purchases in the calibration period")
    ax.set_ylabel("customers")
    _counts_y(ax)
    ax.set_title("Frequency of repeat purchases")
    ax.legend()
    return ax


def plot_calibration_purchases_vs_holdout_purchases(
    model: Any, calibration_holdout: Any, *, n: int = 7, ax: Any = None
) -> Any:
    """Mean holdout purchases by calibration frequency: actual and the model's prediction.

    Customers are grouped by ``frequency_cal`` (``n`` and more in the last group); the
    prediction of a customer is ``model.conditional_expected_purchases(duration_holdout,
    frequency_cal, recency_cal, T_cal)``.

    Parameters
    ----------
    model : BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel
    calibration_holdout : DataFrame or dict of arrays
        An :func:`ltvkit.calibration_holdout` table.
    n : int
        The last (open) group.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        ``ax.lines[0]`` actual, ``ax.lines[1]`` model; x is ``0..n``.
    """
    x = _column(calibration_holdout, "frequency_cal")
    pred = np.asarray(
        model.conditional_expected_purchases(
            _column(calibration_holdout, "duration_holdout"),
            x,
            _column(calibration_holdout, "recency_cal"),
            _column(calibration_holdout, "T_cal"),
        )
    )
    held = _column(calibration_holdout, "frequency_holdout")
    group = np.minimum(x, n)
    xs = np.array([g for g in range(n + 1) if np.any(group == g)], dtype=float)
    actual = np.array([held[group == g].mean() for g in xs])
    model_mean = np.array([pred[group == g].mean() for g in xs])
    ax = _axes(ax)
    ax.plot(xs, actual, "o-", label="actual", color=_ACTUAL)
    ax.plot(xs, model_mean, "s--", label="model", color=_MODEL)
    ax.set_xlabel(f"purchases in the calibration period ({n} = {n} or more)")
    ax.set_ylabel("mean purchases in the holdout period")
    ax.set_title("Calibration vs holdout purchases")
    ax.legend()
    return ax


def plot_cumulative_transactions(
    model: Any,
    summary: Any,
    *,
    t: float,
    observed: Sequence[float] | None = None,
    t_cal: float | None = None,
    ax: Any = None,
) -> Any:
    """Tracking plot: the model's cumulative repeat purchases of the cohort over time.

    With ``summary`` an :func:`ltvkit.rfm_summary` at the end of calibration, customer ``i``
    joined ``T_cal - T_i`` units after the start (``T_cal`` = the largest ``T``); at time ``s``
    the expected cumulative repeat purchases are ``sum_i model.expected_purchases(s - b_i)``
    over the customers who have joined (``b_i <= s``), for ``s = 0, 1, ..., t``.

    Parameters
    ----------
    model : BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel
    summary : DataFrame or dict of arrays
        Column ``T``.
    t : float
        The last time shown, in the model's unit.
    observed : sequence of float, optional
        Actual cumulative repeat purchases at ``0, 1, ...`` (drawn as a solid line).
    t_cal : float, optional
        The calibration length (a vertical line; default the largest ``T``).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        ``ax.lines[0]`` the model (x = ``0..t``), then the actual line if ``observed``.
    """
    big_t = _column(summary, "T")
    end = float(big_t.max()) if t_cal is None else float(t_cal)
    births, counts = np.unique(end - big_t, return_counts=True)
    s = np.arange(0.0, float(t) + 1.0)
    expected = np.zeros_like(s)
    for b, c in zip(births, counts):
        live = s >= b
        if live.any():
            expected[live] += c * np.asarray(model.expected_purchases(s[live] - b))
    ax = _axes(ax)
    ax.plot(s, expected, "--", label="model", color=_MODEL)
    if observed is not None:
        obs = np.asarray(observed, dtype=float)
        ax.plot(np.arange(len(obs), dtype=float), obs, "-", label="actual", color=_ACTUAL)
    ax.axvline(end, color="#888", linestyle=":", label="end of calibration")
    ax.set_xlabel(f"time ({model.unit or 'units'})")
    ax.set_ylabel("cumulative repeat purchases")
    _counts_y(ax)
    ax.set_title("Tracking cumulative purchases")
    ax.legend()
    return ax


def _triangle(table: Any) -> tuple[Any, list[str]]:
    """The age columns of a pandas cohort table as a float matrix and the cohort labels."""
    z, labels, _ = _triangle_ages(table)
    return z, labels


def _triangle_ages(table: Any) -> tuple[Any, list[str], Any]:
    """As :func:`_triangle`, with the ages (the column labels) as floats."""
    if not hasattr(table, "index") or not hasattr(table, "to_numpy"):
        msg = "a cohort table plot needs the pandas table of ltvkit.cohort_table"
        raise InvalidInputError(msg)
    ages = [c for c in table.columns if c != "customers"]
    z = table[ages].to_numpy(dtype=float, na_value=np.nan)
    labels = [i.strftime("%Y-%m-%d") if hasattr(i, "strftime") else str(i) for i in table.index]
    return z, labels, np.asarray([float(a) for a in ages])


def plot_cohort_retention(
    table: Any, *, ax: Any = None, annotate: bool = False, vmax: float | None = None
) -> Any:
    """Heatmap of a cohort triangle (``ltvkit.cohort_table(..., metric="retention")``).

    Parameters
    ----------
    table : pandas.DataFrame
        A cohort table (any metric): rows cohorts, integer columns ages, ``customers``.
    ax : matplotlib Axes, optional
    annotate : bool
        Write each cell's value (as a percentage) in it.
    vmax : float, optional
        The value of the darkest colour (default the largest cell; a lower one keeps the
        later ages readable next to age 0's 100%).

    Returns
    -------
    matplotlib Axes
        One image whose (masked) array is the table's age columns.
    """
    z, labels = _triangle(table)
    ax = _axes(ax)
    im = ax.imshow(
        np.ma.masked_invalid(z),
        aspect="auto",
        interpolation="none",
        cmap="Blues",
        vmin=0,
        vmax=vmax,
    )
    ax.figure.colorbar(im, ax=ax)
    step = max(1, len(labels) // 12)
    ax.set_yticks(range(0, len(labels), step), labels[::step])
    ax.set_xlabel("age (periods since the first purchase)")
    _integer_x(ax)
    ax.set_ylabel("cohort")
    ax.set_title("Cohort retention")
    if annotate:
        for (i, j), v in np.ndenumerate(z):
            if np.isfinite(v):
                dark = v > 0.6 * (vmax if vmax is not None else np.nanmax(z))
                ax.text(
                    j,
                    i,
                    f"{v:.0%}",
                    ha="center",
                    va="center",
                    fontsize=6.5,
                    color="white" if dark else "#1d2733",
                )
    return ax


def plot_retention_curves(actual: Any, *, model: Any = None, ax: Any = None) -> Any:
    """Retention curves: actual survival against the shifted-beta-geometric model.

    Parameters
    ----------
    actual : sequence of float or pandas.DataFrame
        Survivors at periods ``0, 1, ...`` (counts; divided by the first), or a cohort table
        (one line per cohort, the age columns as they are).
    model : ShiftedBetaGeoModel, optional
        Adds ``model.survival(t)`` for the same periods, dashed.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        One line per actual curve (x = the table's ages), then the model's line.
    """
    ax = _axes(ax)
    if hasattr(actual, "columns"):
        z, labels, ages = _triangle_ages(actual)
        for row, label in zip(z, labels):
            ax.plot(ages, row, "-", label=label, alpha=0.8)
        n = int(ages.max()) + 1 if len(ages) else 0
    else:
        counts = np.asarray(actual, dtype=float)
        if counts.ndim != 1 or len(counts) == 0 or counts[0] <= 0:
            msg = "actual must be survivor counts with a positive first value"
            raise InvalidInputError(msg)
        ax.plot(
            np.arange(len(counts), dtype=float),
            counts / counts[0],
            "o-",
            label="actual",
            color=_ACTUAL,
        )
        n = len(counts)
    if model is not None:
        ts = np.arange(n, dtype=float)
        ax.plot(ts, np.asarray(model.survival(ts)), "--", label="sBG model", color=_MODEL)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("period")
    _integer_x(ax)
    ax.set_ylabel("share of the cohort still a customer")
    ax.set_title("Retention")
    if n and len(ax.lines) <= 14:
        ax.legend(fontsize=8)
    return ax


def plot_ltv_curves(table: Any, *, ax: Any = None) -> Any:
    """Historical LTV curves: cumulative revenue per customer by age, one line per cohort.

    Parameters
    ----------
    table : pandas.DataFrame
        ``ltvkit.cohort_table(..., metric="ltv", amount=...)``.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        One line per cohort (x = the ages, y = the row's age columns).
    """
    z, labels, ages = _triangle_ages(table)
    ax = _axes(ax)
    for row, label in zip(z, labels):
        ax.plot(ages, row, "-", label=label, alpha=0.85)
    ax.set_xlabel("age (periods since the first purchase)")
    _integer_x(ax)
    ax.set_ylabel("cumulative revenue per customer")
    ax.set_title("LTV curves by cohort")
    if len(labels) <= 14:
        ax.legend(fontsize=8)
    return ax


def plot_channel_ltv_cac(channels: Any, *, target: float = 3.0, ax: Any = None) -> Any:
    """LTV:CAC by acquisition channel (bars; red for channels that lose money).

    Parameters
    ----------
    channels : list of dicts or DataFrame
        The result of :func:`ltvkit.channel_economics` (``channel``, ``ltv_cac``,
        ``loses_money``).
    target : float
        A reference line (the usual 3:1); 1:1 is always drawn.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        One bar per channel, height ``ltv_cac`` (0 where it is missing).
    """
    if hasattr(channels, "to_dict") and not isinstance(channels, Mapping):
        rows = channels.to_dict("records")
    elif isinstance(channels, Mapping):
        keys = list(channels)
        rows = [dict(zip(keys, vals)) for vals in zip(*(channels[k] for k in keys))]
    else:
        rows = list(channels)
    names = [str(r["channel"]) for r in rows]
    ratio = [0.0 if r["ltv_cac"] is None else float(r["ltv_cac"]) for r in rows]
    colors = ["#c0392b" if r["loses_money"] else _ACTUAL for r in rows]
    ax = _axes(ax)
    ax.bar(range(len(rows)), ratio, color=colors)
    ax.set_xticks(range(len(rows)), names, rotation=30, ha="right")
    ax.axhline(1.0, color="#c0392b", linewidth=1, linestyle="--", label="1:1 (break even)")
    ax.axhline(target, color="#27ae60", linewidth=1, linestyle=":", label=f"{target:g}:1 target")
    ax.set_ylabel("LTV : CAC")
    ax.set_title("LTV : CAC by channel")
    ax.legend(fontsize=8)
    return ax
