"""ltvkit on Dask: the same summaries, fits and customer values as on one machine.

``pip install "ltvkit[dask]"`` (on the client and on every worker). Every function takes a
pandas-backed Dask ``DataFrame``; the per-customer results are (lazy) Dask DataFrames, the
small tables (cohort triangles, historical LTV) pandas DataFrames already on the client:

- :func:`rfm_summary`, :func:`calibration_holdout`: the log is shuffled by customer (the only
  shuffle: the rows of each customer meet in one partition), then ``map_partitions`` runs the
  Rust kernel on each partition. One row per customer, indexed by customer id as the pandas
  result of :func:`ltvkit.rfm_summary` (sorted within a partition, not across partitions).
- :func:`cohort_table`, :func:`historical_ltv`: the same shuffle, then each partition gives its
  additive partial sums, which are summed and turned into the table on the client with the
  kernel's formulas.
- :func:`fit`: the distinct (frequency, recency, T[, monetary value]) rows are counted on the
  cluster and the model is fitted on the client with the counts as ``weights``.
- :func:`predict`, :func:`customer_lifetime_value`: the model goes to the workers as its JSON
  and each partition is scored there.

``observation_end`` defaults to the last date of the whole log (computed before the shuffle).

Errors
------
A bad row raises the same ltvkit error as on one machine when the result is computed (Dask
sends the worker's exception to the client): :class:`ltvkit.InvalidDataError` with ``column``,
``row``, ``value``, plus ``partition``; ``row`` is the 0-based row **within the partition after
the shuffle by customer** (the column and value identify it).
"""

from __future__ import annotations

from typing import Any

from ltvkit import _distributed as _d
from ltvkit import transactions as _tx
from ltvkit._optional import import_optional
from ltvkit.exceptions import InvalidDataError, LtvError

__all__ = [
    "calibration_holdout",
    "cohort_table",
    "customer_lifetime_value",
    "fit",
    "historical_ltv",
    "predict",
    "rfm_summary",
]


def _dd() -> Any:
    return import_optional("dask.dataframe", extra="dask")


def _number(partition_info: dict[str, Any] | None) -> int | None:
    return None if partition_info is None else partition_info.get("number")


def _arrow(pdf: Any) -> Any:
    pa = import_optional("pyarrow", extra="arrow")
    return pa.Table.from_pandas(pdf, preserve_index=False)


def _partition_last(series: Any) -> Any:
    """The last date of one partition of the date column, as a one-element Series."""
    import pandas as pd

    s = series.dropna()
    if s.dtype == object or str(s.dtype).startswith(("string", "str")):
        text = s.astype(str)
        text = text[text.str.match(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}")].str.slice(0, 10)
        value: Any = text.max() if len(text) else None
        if value is None:
            values = [v for v in s if hasattr(v, "year")]
            value = max(values) if values else None
    else:
        value = s.max() if len(s) else None
    return pd.Series([value], dtype=object)


def _last_date(df: Any, date: str) -> Any:
    values = df[date].map_partitions(_partition_last, meta=(date, object)).compute()
    dates = [_d.last_date(v, date) for v in values.tolist() if v is not None and v == v]
    return max((d for d in dates if d is not None), default=None)


def _log(transactions: Any, columns: list[str]) -> Any:
    _tx._missing([str(c) for c in transactions.columns], columns)
    return transactions[columns]


def _shuffled(df: Any, customer_id: str, partitions: int | None) -> Any:
    return df.shuffle(on=customer_id, npartitions=partitions)


def _per_customer_part(
    pdf: Any, function: str, options: dict[str, Any], partition_info: dict[str, Any] | None = None
) -> Any:
    try:
        table = _d.per_customer(function, _arrow(pdf), options)
    except LtvError as exc:
        raise _d.located(exc, _number(partition_info)) from None
    return table.to_pandas().set_index(options["customer_id"])


def _per_customer(
    function: str,
    transactions: Any,
    columns: list[str],
    options: dict[str, Any],
    partitions: int | None,
) -> Any:
    df = _log(transactions, columns)
    if options.get("observation_end") is None:
        options = {**options, "observation_end": _last_date(df, options["date"])}
    # on an empty log on the client: checks the options and gives the output's meta
    meta = _per_customer_part(df._meta, function, options)
    return _shuffled(df, options["customer_id"], partitions).map_partitions(
        _per_customer_part, function, options, meta=meta
    )


def rfm_summary(
    transactions: Any,
    *,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str | None = None,
    observation_end: Any = None,
    period: str = "D",
    future: str = "raise",
    refunds: str = "net",
    partitions: int | None = None,
) -> Any:
    """:func:`ltvkit.rfm_summary` of a Dask DataFrame.

    Parameters
    ----------
    transactions : dask.dataframe.DataFrame
        The log, one row per order.
    customer_id, date, amount, observation_end, period, future, refunds
        As in :func:`ltvkit.rfm_summary`.
    partitions : int, optional
        Partitions of the shuffle by customer (default: those of the log).

    Returns
    -------
    dask.dataframe.DataFrame
        Indexed by customer id: ``frequency``, ``recency``, ``T`` [, ``monetary_value``].
    """
    options, cols = _d.summary_options(
        customer_id=customer_id,
        date=date,
        amount=amount,
        observation_end=observation_end,
        period=period,
        future=future,
        refunds=refunds,
    )
    return _per_customer("rfm_summary", transactions, cols, options, partitions)


def calibration_holdout(
    transactions: Any,
    *,
    calibration_end: Any,
    observation_end: Any = None,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str | None = None,
    period: str = "D",
    future: str = "raise",
    refunds: str = "net",
    partitions: int | None = None,
) -> Any:
    """:func:`ltvkit.calibration_holdout` of a Dask DataFrame (arguments as there and in
    :func:`rfm_summary`)."""
    options, cols = _d.summary_options(
        customer_id=customer_id,
        date=date,
        amount=amount,
        observation_end=observation_end,
        period=period,
        future=future,
        refunds=refunds,
        calibration_end=calibration_end,
        holdout=True,
    )
    return _per_customer("calibration_holdout", transactions, cols, options, partitions)


def _cohort_part(
    pdf: Any, options: dict[str, Any], partition_info: dict[str, Any] | None = None
) -> Any:
    try:
        return _d.cohort_partials(_arrow(pdf).to_reader(), options)
    except LtvError as exc:
        raise _d.located(exc, _number(partition_info)) from None


def _ltv_part(
    pdf: Any, options: dict[str, Any], partition_info: dict[str, Any] | None = None
) -> Any:
    try:
        return _d.ltv_partials(_arrow(pdf), options).to_pandas()
    except LtvError as exc:
        raise _d.located(exc, _number(partition_info)) from None


def cohort_table(
    transactions: Any,
    *,
    metric: str = "retention",
    cohort: str = "M",
    period: str = "M",
    segment: str | None = None,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str | None = None,
    observation_end: Any = None,
    future: str = "raise",
    refunds: str = "net",
    partitions: int | None = None,
) -> Any:
    """:func:`ltvkit.cohort_table` of a Dask DataFrame (counts exact; money cells equal up to
    the float rounding of the order of summation).

    Returns
    -------
    pandas.DataFrame
        Small and already on the client: the pandas result of :func:`ltvkit.cohort_table`
        (index ``[segment,] cohort``, columns ``customers, 0, 1, ...``).
    """
    options, cols = _d.cohort_options(
        metric=metric,
        cohort=cohort,
        period=period,
        segment=segment,
        customer_id=customer_id,
        date=date,
        amount=amount,
        observation_end=observation_end,
        future=future,
        refunds=refunds,
    )
    df = _log(transactions, cols)
    _tx.cohort_table(_arrow(df._meta), **options, progress=False)  # checks the options
    if options["observation_end"] is None:
        options["observation_end"] = _last_date(df, date)
    parts = _shuffled(df, customer_id, partitions).map_partitions(
        _cohort_part, options, meta=_d.long_empty()
    )
    long = parts.compute()
    summed = long.groupby(["segment", "cohort", "age"], dropna=False, sort=False)["value"].sum()
    table = _d.combine_cohorts(summed.reset_index(), metric, segment)
    return _pandas_cohorts(table, segment)


def _pandas_cohorts(table: Any, segment: str | None) -> Any:
    """The pandas form of a cohort table (as :func:`ltvkit.cohort_table` gives for pandas)."""
    import pandas as pd

    df = table.to_pandas()
    df["cohort"] = pd.to_datetime(df["cohort"])
    df = df.set_index([segment, "cohort"] if segment is not None else "cohort")
    df.columns = [c if c == "customers" else int(c) for c in df.columns]
    return df


def historical_ltv(
    transactions: Any,
    *,
    by: str | None = None,
    horizon: int | None = None,
    cohort: str = "M",
    period: str = "M",
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    observation_end: Any = None,
    future: str = "raise",
    refunds: str = "net",
    partitions: int | None = None,
) -> Any:
    """:func:`ltvkit.historical_ltv` of a Dask DataFrame, as the pandas result of
    :func:`ltvkit.historical_ltv` (small, already on the client)."""
    import pandas as pd

    options, cols = _d.ltv_options(
        by=by,
        horizon=horizon,
        cohort=cohort,
        period=period,
        customer_id=customer_id,
        date=date,
        amount=amount,
        observation_end=observation_end,
        future=future,
        refunds=refunds,
    )
    df = _log(transactions, cols)
    meta = _ltv_part(df._meta, options)  # checks the options
    if options["observation_end"] is None:
        options["observation_end"] = _last_date(df, date)
    parts = _shuffled(df, customer_id, partitions).map_partitions(_ltv_part, options, meta=meta)
    long = parts.compute()
    totals = long.groupby("group", sort=False)[["customers", "revenue", "first"]].sum()
    out = _d.combine_ltv(totals.reset_index(), by).to_pandas()
    key = by if by is not None else "cohort"
    if by is None:
        out["cohort"] = pd.to_datetime(out["cohort"])
    return out.set_index(key)


def fit(model_class: Any, summary: Any, **options: Any) -> Any:
    """Fit ``model_class`` to a Dask summary from its sufficient statistics (the distinct rows
    of its columns counted on the cluster, fitted on the client with ``weights=``); see
    :func:`ltvkit.spark.fit` for the models and columns."""
    pairs = _d.roles(model_class, [str(c) for c in summary.columns])
    cols = [c for _, c in pairs]
    stats = summary[cols].groupby(cols).size().compute()
    stats = stats.rename("count").reset_index()
    return _d.fit_statistics(model_class, stats, pairs, **options)


def _score_part(
    pdf: Any,
    kind: str,
    model_json: tuple[str, str],
    spend_json: tuple[str, str] | None,
    pairs: list[tuple[str, str]],
    options: dict[str, Any],
    names: list[str],
    partition_info: dict[str, Any] | None = None,
) -> Any:
    import pandas as pd

    model = _d.model_from_json(*model_json)
    spend = None if spend_json is None else _d.model_from_json(*spend_json)
    arrays = {role: pdf[c].to_numpy(dtype="float64") for role, c in pairs}
    try:
        values = _d.score(kind, model, spend, arrays, options) if len(pdf) else {}
    except LtvError as exc:
        raise _d.located(exc, _number(partition_info)) from None
    return pd.DataFrame(
        {n: values.get(n, pd.Series([], dtype=float)) for n in names}, index=pdf.index
    )


def _scored(
    kind: str, model: Any, spend: Any, summary: Any, options: dict[str, Any], names: list[str]
) -> Any:
    import pandas as pd

    pairs = _d.pick([str(c) for c in summary.columns], _d.score_roles(kind, model))
    model_json = (type(model).__name__, model.to_json())
    spend_json = None if spend is None else (type(spend).__name__, spend.to_json())
    meta = pd.DataFrame({n: pd.Series([], dtype=float) for n in names}, index=summary._meta.index)
    return summary.map_partitions(
        _score_part, kind, model_json, spend_json, pairs, options, names, meta=meta
    )


def predict(model: Any, summary: Any, *, t: float | None = None) -> Any:
    """Score each customer of a Dask summary on the workers (see :func:`ltvkit.spark.predict`
    for the models and columns); the result keeps the summary's index (the customer id)."""
    names = _d.predict_names(model, t)
    if type(model).__name__ not in (*_d.TRANSACTION_MODELS, "GammaGammaModel"):
        _d.score_roles("predict", model)  # raises the typed error
    return _scored("predict", model, None, summary, {"t": t}, names)


def customer_lifetime_value(
    transaction_model: Any,
    spend_model: Any,
    summary: Any,
    *,
    horizon: int,
    unit: str,
    discount_rate: float,
    margin: float = 1.0,
    data_unit: str | None = None,
) -> Any:
    """:func:`ltvkit.customer_lifetime_value` of each customer of a Dask summary (column
    ``clv``, the summary's index)."""
    if not hasattr(summary, "map_partitions"):
        msg = "summary must be a Dask DataFrame (from ltvkit.dask.rfm_summary)"
        raise InvalidDataError(msg)
    options = _d.clv_options(
        horizon=horizon, unit=unit, discount_rate=discount_rate, margin=margin, data_unit=data_unit
    )
    return _scored("clv", transaction_model, spend_model, summary, options, ["clv"])
