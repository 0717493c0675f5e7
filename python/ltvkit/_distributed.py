"""What :mod:`ltvkit.spark` and :mod:`ltvkit.dask` share: the per-partition work (the
single-machine functions on one partition's Arrow data), the exact combination of per-partition
cohort partials, the model roles of the sufficient statistics, and the transport of typed
errors from an executor to the driver.

Nothing here imports Spark or Dask; pyarrow and pandas are imported inside the functions.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from ltvkit import exceptions as _exc
from ltvkit import transactions as _tx
from ltvkit.exceptions import InvalidInputError, LtvError

# Age codes of the long partial-cohort rows that are not ages: the cohort size N and the sum F
# of the customers' first purchase day totals.
SIZE_AGE = -1
FIRST_AGE = -2

# The facts an ltvkit error may carry (see ltvkit.exceptions).
_FIELDS = ("column", "row", "value", "parameter", "position", "iterations", "last_params")
_MARK = "LTVKIT-ERROR"
_PATTERN = re.compile(_MARK + r"<<(\{.*?\})>>" + _MARK, re.DOTALL)

ROW_NOTE = (
    "row {row} of partition {partition} after the shuffle by customer (0-based; the order "
    "within a partition is the cluster's, not the input's)"
)


def located(exc: LtvError, partition: int | None) -> LtvError:
    """``exc`` with attribute ``partition`` and its message saying where ``row`` is."""
    exc.partition = partition  # type: ignore[attr-defined]
    row = getattr(exc, "row", None)
    if row is not None and partition is not None:
        note = ROW_NOTE.format(row=row, partition=partition)
        exc.args = (f"{exc.args[0] if exc.args else exc} [on the cluster: {note}]",)
    return exc


def encode_error(exc: LtvError, partition: int | None) -> str:
    """A one-line text carrying the class and facts of ``exc``, to raise in an executor."""
    located(exc, partition)
    fields: dict[str, Any] = {}
    for name in (*_FIELDS, "partition"):
        if hasattr(exc, name):
            value = getattr(exc, name)
            fields[name] = value if isinstance(value, (int, float, str, list)) else repr(value)
    payload = {"class": type(exc).__name__, "message": str(exc), "fields": fields}
    return f"{_MARK}<<{json.dumps(payload)}>>{_MARK}"


def decode_error(text: str) -> LtvError | None:
    """The ltvkit error encoded in ``text`` (an executor's error message), or None."""
    found = _PATTERN.search(text)
    if found is None:
        return None
    payload = json.loads(found.group(1))
    cls = getattr(_exc, str(payload.get("class")), None)
    if not (isinstance(cls, type) and issubclass(cls, LtvError)):
        cls = LtvError
    err = cls(payload["message"])
    for name, value in payload.get("fields", {}).items():
        setattr(err, name, value)
    return err


def end_date(value: Any, name: str = "observation_end") -> _dt.date | None:
    """``value`` (date, datetime, ISO text or None) as a date, with ltvkit's error."""
    return _tx._to_date(value, name)


def last_date(value: Any, column: str) -> _dt.date | None:
    """The last date of a log as found by the cluster (a date, datetime or ISO text), or the
    typed error naming the date column and the text that is not a date."""
    try:
        return _tx._to_date(value, column)
    except InvalidInputError:
        msg = (
            f"{column}: {value!r} is not a date (the latest date-like text of the column); "
            "fix or drop the row, or pass observation_end="
        )
        err = _exc.InvalidDataError(msg)
        err.column = column  # type: ignore[attr-defined]
        err.value = repr(value)  # type: ignore[attr-defined]
        raise err from None


def reader_of(batches: Iterable[Any], schema: Any) -> Any:
    """One partition's record batches as a pyarrow RecordBatchReader."""
    import pyarrow as pa

    return pa.RecordBatchReader.from_batches(schema, iter(batches))


def plain(table: Any, schema: Any = None) -> Any:
    """``table`` (pyarrow) without its ltvkit metadata, cast to ``schema`` when given."""
    table = table.replace_schema_metadata(None)
    if schema is not None:
        table = table.select(schema.names).cast(schema)
    return table


def per_customer(function: str, data: Any, options: dict[str, Any]) -> Any:
    """``rfm_summary`` or ``calibration_holdout`` of one partition (all rows of its customers)
    as a pyarrow Table."""
    fn = getattr(_tx, function)
    return plain(fn(data, progress=False, **options))


def empty_log(schema: Any) -> Any:
    """An empty pyarrow table with ``schema`` (to learn a function's output schema)."""
    import pyarrow as pa

    return pa.Table.from_batches([], schema=schema)


def _long(table: Any, segment: str | None, code: str) -> Any:
    """A wide cohort table (pyarrow) as long pandas rows ``segment, cohort, age, value``;
    ``code`` = ``"cells"`` gives the observed age cells (and the size N at age SIZE_AGE),
    ``"first"`` the age-0 cell at age FIRST_AGE. Unobserved (null) cells are left out."""
    import pandas as pd

    df = table.to_pandas()
    seg = df[segment].astype(object) if segment is not None else pd.Series([None] * len(df))
    base = pd.DataFrame({"segment": seg.to_numpy(), "cohort": df["cohort"].to_numpy()})
    parts = []
    ages = [c for c in df.columns if c not in ("cohort", "customers", segment)]
    if code == "first":
        if "0" in ages:
            parts.append(base.assign(age=FIRST_AGE, value=df["0"].to_numpy(dtype=float)))
    else:
        parts.append(base.assign(age=SIZE_AGE, value=df["customers"].to_numpy(dtype=float)))
        for a in ages:
            parts.append(base.assign(age=int(a), value=df[a].to_numpy(dtype=float)))
    if not parts:
        return long_empty()
    out = pd.concat(parts, ignore_index=True)
    out = out[out["value"].notna()]
    return out.astype({"age": "int32", "value": "float64"}).reset_index(drop=True)


def long_empty() -> Any:
    import pandas as pd

    return pd.DataFrame(
        {
            "segment": pd.Series([], dtype=object),
            "cohort": pd.Series([], dtype=object),
            "age": pd.Series([], dtype="int32"),
            "value": pd.Series([], dtype="float64"),
        }
    )


def long_schema() -> Any:
    """The pyarrow schema of the long partial-cohort rows."""
    import pyarrow as pa

    return pa.schema(
        [
            ("segment", pa.string()),
            ("cohort", pa.date32()),
            ("age", pa.int32()),
            ("value", pa.float64()),
        ]
    )


def long_arrow(df: Any) -> Any:
    """Long pandas rows as a pyarrow table of :func:`long_schema`."""
    import pyarrow as pa

    schema = long_schema()
    cohort = pa.array(df["cohort"].to_numpy(dtype="datetime64[D]"), type=pa.date32())
    return pa.table(
        [
            pa.array(df["segment"].to_numpy(), type=pa.string()),
            cohort,
            pa.array(df["age"].to_numpy(), type=pa.int32()),
            pa.array(df["value"].to_numpy(), type=pa.float64()),
        ],
        schema=schema,
    )


# The cohort table of which metric each metric is computed from.
_BASE = {
    "customers": "customers",
    "retention": "customers",
    "revenue": "revenue",
    "revenue_retention": "revenue",
    "revenue_per_customer": "revenue",
    "cumulative_revenue_per_customer": "revenue",
    "ltv": "revenue",
    "ltv_multiple": "revenue",
    "gross_revenue": "gross_revenue",
    "gross_revenue_retention": "gross_revenue",
}


def cohort_partials(data: Any, options: dict[str, Any]) -> Any:
    """The additive parts of the cohort table of one partition (pandas long rows).

    Per (segment, cohort): the size N, and per age the active customers, or the net or gross
    revenue; for ``ltv_multiple`` also F, the sum of the first purchase days' totals, read as
    the age-0 revenue of the same table with a one-day age unit (a customer's first purchase
    day is age 0 in days, and the kernel sums that day's rows exactly as it sums F).
    """
    import pandas as pd
    import pyarrow as pa

    metric = options["metric"]
    table = pa.Table.from_batches(list(data), schema=data.schema)
    base = {**options, "metric": _BASE.get(metric, metric)}
    parts = [
        _long(plain(_tx.cohort_table(table, **base, progress=False)), base["segment"], "cells")
    ]
    if metric == "ltv_multiple":
        first = {**options, "metric": "revenue", "period": "D"}
        first_table = plain(_tx.cohort_table(table, **first, progress=False))
        parts.append(_long(first_table, options["segment"], "first"))
    return pd.concat(parts, ignore_index=True)


def combine_cohorts(long: Any, metric: str, segment: str | None) -> Any:
    """The cohort table (pyarrow, the single-machine schema) from the summed long partials.

    ``long`` holds the partials of every partition already summed per (segment, cohort, age)
    (null where an age is not observed: the same ages are null in every partition holding the
    cohort, since the observed ages depend only on the cohort and observation_end). The ratios
    are computed as the Rust kernel computes them (src/transactions/cohorts.rs).
    """
    import numpy as np
    import pyarrow as pa

    cols: list[tuple[str, Any]] = []
    rows = []
    width = 0
    for (seg, coh), g in long.groupby(["segment", "cohort"], dropna=False, sort=True):
        by_age = dict(zip(g["age"].tolist(), g["value"].tolist()))
        n = by_age.get(SIZE_AGE, 0.0)
        ages = sorted(a for a in by_age if a >= 0)
        cells = [by_age.get(a, float("nan")) for a in range(ages[-1] + 1)] if ages else []
        observed = [c for c in cells if c is not None and not np.isnan(c)]
        values = np.asarray(observed, dtype=float)
        out: list[float | None]
        if metric in ("customers", "revenue", "gross_revenue"):
            out = list(values)
        elif metric in ("retention", "revenue_per_customer"):
            out = list(values / n)
        elif metric in ("revenue_retention", "gross_revenue_retention"):
            out = [v / values[0] if values[0] != 0.0 else None for v in values]
        else:
            cum = np.cumsum(values) / n
            if metric == "ltv_multiple":
                fpc = by_age.get(FIRST_AGE, 0.0) / n
                out = [c / fpc if fpc != 0.0 else None for c in cum]
            else:
                out = list(cum)
        width = max(width, len(out))
        rows.append((seg, coh, int(n), out))
    if segment is not None:
        cols.append((segment, pa.array([r[0] for r in rows], type=pa.string())))
    cohort_days = np.asarray([r[1] for r in rows], dtype="datetime64[D]")
    cols.append(("cohort", pa.array(cohort_days, type=pa.date32())))
    cols.append(("customers", pa.array([r[2] for r in rows], type=pa.int64())))
    for k in range(width):
        cells = [_cell(r[3], k) for r in rows]
        cols.append((str(k), pa.array(cells, type=pa.float64())))
    return pa.table(dict(cols))


def _cell(values: list[float | None], k: int) -> float | None:
    value = values[k] if k < len(values) else None
    return None if value is None else float(value)


def ltv_partials(data: Any, options: dict[str, Any]) -> Any:
    """The additive parts of historical_ltv of one partition: group, customers, revenue and
    F (first purchase days' totals) per group, as a pyarrow table."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = plain(_tx.historical_ltv(data, progress=False, **options))
    key = options["by"] if options["by"] is not None else "cohort"
    first = pc.multiply(t.column("first_purchase_value"), pc.cast(t.column("customers"), "double"))
    group = t.column(key)
    if options["by"] is not None:
        group = pc.cast(group, pa.string())
    return pa.table(
        {
            "group": group,
            "customers": t.column("customers"),
            "revenue": t.column("revenue"),
            "first": first,
        }
    )


def combine_ltv(totals: Any, by: str | None) -> Any:
    """historical_ltv (pyarrow, the single-machine schema) from the summed partials
    (pandas: group, customers, revenue, first), with the kernel's formulas."""
    import pyarrow as pa

    df = totals.sort_values("group").reset_index(drop=True)
    n = df["customers"].astype("int64")
    ltv = df["revenue"] / n
    fp = df["first"] / n
    multiple = [a / b if b != 0.0 else None for a, b in zip(ltv.tolist(), fp.tolist())]
    key = by if by is not None else "cohort"
    if by is None:
        group = pa.array(df["group"].to_numpy(dtype="datetime64[D]"), type=pa.date32())
    else:
        group = pa.array(df["group"].astype(object).tolist(), type=pa.string())
    return pa.table(
        {
            key: group,
            "customers": pa.array(n.to_numpy(), type=pa.int64()),
            "revenue": pa.array(df["revenue"].to_numpy(dtype=float), type=pa.float64()),
            "historical_ltv": pa.array(ltv.to_numpy(dtype=float), type=pa.float64()),
            "first_purchase_value": pa.array(fp.to_numpy(dtype=float), type=pa.float64()),
            "ltv_multiple": pa.array(multiple, type=pa.float64()),
        }
    )


# The columns of each model's sufficient statistics: (argument, accepted column names).
_ROLES: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "BetaGeoModel": (
        ("frequency", ("frequency", "frequency_cal", "x")),
        ("recency", ("recency", "recency_cal", "t_x")),
        ("T", ("T", "T_cal")),
    ),
    "BetaGeoBetaBinomModel": (
        ("frequency", ("frequency", "frequency_cal", "x")),
        ("recency", ("recency", "recency_cal", "t_x")),
        ("periods", ("periods", "n", "T", "T_cal")),
    ),
    "GammaGammaModel": (
        ("frequency", ("frequency", "frequency_cal", "x")),
        ("monetary_value", ("monetary_value", "monetary_value_cal", "zbar")),
    ),
}
_ROLES["ModifiedBetaGeoModel"] = _ROLES["BetaGeoModel"]
_ROLES["ParetoNBDModel"] = _ROLES["BetaGeoModel"]

# Models scored per customer by predict (transaction models and the spend model).
TRANSACTION_MODELS = ("BetaGeoModel", "ModifiedBetaGeoModel", "ParetoNBDModel")


def roles(model_class: Any, columns: list[str]) -> list[tuple[str, str]]:
    """(fit argument, column of the summary) for ``model_class``, with ltvkit's errors."""
    name = getattr(model_class, "__name__", repr(model_class))
    spec = _ROLES.get(name)
    if spec is None:
        msg = (
            f"model_class is {name}: fit on a cluster supports {sorted(_ROLES)} (the "
            "shifted-beta-geometric model is fitted from a small survival table: fit it on "
            "the driver)"
        )
        raise InvalidInputError(msg)
    out = []
    for role, candidates in spec:
        found = next((c for c in candidates if c in columns), None)
        if found is None:
            msg = (
                f"column {role!r} is missing: the summary needs one of the columns "
                f"{list(candidates)} (it has {columns})"
            )
            raise _exc.InvalidDataError(msg)
        out.append((role, found))
    return out


def fit_statistics(
    model_class: Any, stats: Any, pairs: list[tuple[str, str]], **options: Any
) -> Any:
    """Fit ``model_class`` on the distinct rows ``stats`` (pandas, with a ``count`` column),
    sorted so that the fit does not depend on the order the cluster returned them in."""
    import numpy as np

    cols = [c for _, c in pairs]
    stats = stats.sort_values(cols, kind="mergesort").reset_index(drop=True)
    arrays = {role: np.ascontiguousarray(stats[c], dtype=float) for role, c in pairs}
    weights = np.ascontiguousarray(stats["count"], dtype=float)
    return model_class.fit(**arrays, weights=weights, **options)


def score(
    kind: str, model: Any, spend: Any, columns: dict[str, Any], options: dict[str, Any]
) -> dict[str, Any]:
    """Per-customer values of one batch: ``predict`` (kind ``"predict"``) or
    ``customer_lifetime_value`` (kind ``"clv"``) on float64 numpy ``columns``."""
    from ltvkit import _core

    if kind == "clv":
        clv = _core.customer_lifetime_value(
            model,
            spend,
            frequency=columns["frequency"],
            recency=columns["recency"],
            T=columns["T"],
            monetary_value=columns["monetary_value"],
            **options,
        )
        return {"clv": clv}
    name = type(model).__name__
    if name == "GammaGammaModel":
        return {
            "expected_spend": model.conditional_expected_spend(
                columns["frequency"], columns["monetary_value"]
            )
        }
    out = {"p_alive": model.p_alive(columns["frequency"], columns["recency"], columns["T"])}
    t = options.get("t")
    if t is not None:
        out["expected_purchases"] = model.conditional_expected_purchases(
            t, columns["frequency"], columns["recency"], columns["T"]
        )
    return out


def score_roles(kind: str, model: Any) -> list[tuple[str, tuple[str, ...]]]:
    """The summary columns a scoring needs: (role, accepted names)."""
    f = ("frequency", ("frequency", "frequency_cal", "x"))
    r = ("recency", ("recency", "recency_cal", "t_x"))
    t = ("T", ("T", "T_cal"))
    m = ("monetary_value", ("monetary_value", "monetary_value_cal", "zbar"))
    if kind == "clv":
        return [f, r, t, m]
    name = type(model).__name__
    if name == "GammaGammaModel":
        return [f, m]
    if name in TRANSACTION_MODELS:
        return [f, r, t]
    supported = [*TRANSACTION_MODELS, "GammaGammaModel"]
    msg = f"model is a {name}: predict on a cluster supports {supported}"
    raise InvalidInputError(msg)


def pick(columns: list[str], wanted: list[tuple[str, tuple[str, ...]]]) -> list[tuple[str, str]]:
    out = []
    for role, candidates in wanted:
        found = next((c for c in candidates if c in columns), None)
        if found is None:
            msg = (
                f"column {role!r} is missing: the summary needs one of the columns "
                f"{list(candidates)} (it has {columns})"
            )
            err = _exc.InvalidDataError(msg)
            err.column = role  # type: ignore[attr-defined]
            raise err
        out.append((role, found))
    return out


def model_from_json(class_name: str, text: str) -> Any:
    """The model of class ``class_name`` (in ltvkit._core) saved as ``text``."""
    from ltvkit import _core

    return getattr(_core, class_name).from_json(text)


def chain_first(batches: Iterator[Any]) -> tuple[Any, Iterator[Any]] | None:
    """The first batch of ``batches`` and an iterator over all of them, or None if empty."""
    import itertools

    for first in batches:
        return first, itertools.chain([first], batches)
    return None


# The option dicts of the cluster functions: both ltvkit.spark and ltvkit.dask take the
# single-machine functions' arguments and pass them on, with the dates parsed on the driver.


def summary_options(
    *,
    customer_id: str,
    date: str,
    amount: str | None,
    observation_end: Any,
    period: str,
    future: str,
    refunds: str,
    calibration_end: Any = None,
    holdout: bool = False,
) -> tuple[dict[str, Any], list[str]]:
    """Options and log columns of ``rfm_summary`` (or ``calibration_holdout`` if
    ``holdout``), the dates parsed (ltvkit's error on a bad one)."""
    options: dict[str, Any] = {}
    if holdout:
        options["calibration_end"] = end_date(calibration_end, "calibration_end")
    options.update(
        customer_id=customer_id,
        date=date,
        amount=amount,
        observation_end=end_date(observation_end),
        period=period,
        future=future,
        refunds=refunds,
    )
    return options, _tx._columns(customer_id, date, amount)


def cohort_options(
    *,
    metric: str,
    cohort: str,
    period: str,
    segment: str | None,
    customer_id: str,
    date: str,
    amount: str | None,
    observation_end: Any,
    future: str,
    refunds: str,
) -> tuple[dict[str, Any], list[str]]:
    """Options and log columns of ``cohort_table``."""
    options: dict[str, Any] = dict(
        metric=metric,
        cohort=cohort,
        period=period,
        segment=segment,
        customer_id=customer_id,
        date=date,
        amount=amount,
        observation_end=end_date(observation_end),
        future=future,
        refunds=refunds,
    )
    return options, _tx._columns(customer_id, date, amount) + ([segment] if segment else [])


def ltv_options(
    *,
    by: str | None,
    horizon: int | None,
    cohort: str,
    period: str,
    customer_id: str,
    date: str,
    amount: str,
    observation_end: Any,
    future: str,
    refunds: str,
) -> tuple[dict[str, Any], list[str]]:
    """Options and log columns of ``historical_ltv``."""
    options: dict[str, Any] = dict(
        by=by,
        horizon=horizon,
        cohort=cohort,
        period=period,
        customer_id=customer_id,
        date=date,
        amount=amount,
        observation_end=end_date(observation_end),
        future=future,
        refunds=refunds,
    )
    return options, _tx._columns(customer_id, date, amount) + ([by] if by else [])


def clv_options(
    *, horizon: int, unit: str, discount_rate: float, margin: float, data_unit: str | None
) -> dict[str, Any]:
    """Options of ``customer_lifetime_value``."""
    return dict(
        horizon=horizon, unit=unit, discount_rate=discount_rate, margin=margin, data_unit=data_unit
    )


def predict_names(model: Any, t: float | None) -> list[str]:
    """The value columns ``predict`` gives for ``model``."""
    if type(model).__name__ == "GammaGammaModel":
        return ["expected_spend"]
    return ["p_alive"] + (["expected_purchases"] if t is not None else [])
