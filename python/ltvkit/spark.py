"""ltvkit on Apache Spark: the same summaries, fits and customer values as on one machine.

``pip install "ltvkit[spark]"`` (on the driver and on every executor: install the wheel on the
cluster). Every function takes a PySpark ``DataFrame`` and gives back a PySpark ``DataFrame``;
nothing but small results reaches the driver:

- :func:`rfm_summary`, :func:`calibration_holdout`: the log is repartitioned by customer (the
  only shuffle: the rows of each customer meet in one partition), then each partition runs the
  Rust kernel on its Arrow batches (``mapInArrow``). The result is one row per customer, equal
  to the single-machine result (in no particular order).
- :func:`cohort_table`, :func:`historical_ltv`: the same shuffle, then each partition gives its
  additive partial sums (cohort sizes, active customers, revenue per age, first purchase
  totals), summed by Spark and turned into the table on the driver with the kernel's formulas.
- :func:`fit`: the distinct (frequency, recency, T[, monetary value]) rows with their counts
  are counted on the cluster, collected, and the model is fitted on the driver with
  ``weights=``: the same likelihood as the fit on every customer.
- :func:`predict`, :func:`customer_lifetime_value`: the model travels to the executors as its
  JSON (``to_json``, well under 1 kB) and each batch is scored there.

``observation_end`` defaults, as on one machine, to the last date of the whole log (a Spark
``max`` before the shuffle). Timestamps are turned into dates with ``to_date`` in the session
time zone (``spark.sql.session.timeZone``).

The per-customer results (:func:`rfm_summary`, :func:`calibration_holdout`, :func:`predict`,
:func:`customer_lifetime_value`) are persisted (``MEMORY_AND_DISK``) and counted before they are
returned, so that a bad row raises here; call ``.unpersist()`` when done with them.

Errors
------
A bad row found in an executor raises the same ltvkit error as on one machine
(:class:`ltvkit.InvalidDataError` with ``column``, ``row`` and ``value``, ...), not an executor
stack trace. On a cluster ``row`` is the 0-based row **within the partition after the shuffle by
customer** (attribute ``partition``): the column and the value identify the row. Errors raised
by your own later actions on a returned frame can be turned into ltvkit errors with
:func:`typed_errors`.

Notes
-----
Set ``PYSPARK_PYTHON`` to the interpreter that has ltvkit installed (``sys.executable`` for a
local session). Unlike on one machine, the results carry no :func:`ltvkit.transactions.metadata`
(Spark frames have no place for it): pass ``unit=`` to :func:`fit` to record the model's unit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
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
    "typed_errors",
]


@contextlib.contextmanager
def typed_errors() -> Iterator[None]:
    """Re-raise an ltvkit error raised in an executor as that very error on the driver.

    Examples
    --------
    >>> from ltvkit.spark import typed_errors
    >>> with typed_errors():
    ...     pass
    """
    try:
        yield
    except LtvError:
        raise
    except Exception as exc:
        err = _d.decode_error(str(exc))
        if err is None:
            raise
        raise err from None


def _sql() -> Any:
    return import_optional("pyspark.sql", extra="spark")


def _types() -> Any:
    return import_optional("pyspark.sql.pandas.types", extra="spark")


def _partition_id() -> int | None:
    from pyspark import TaskContext

    ctx = TaskContext.get()
    return None if ctx is None else int(ctx.partitionId())


def _need(df: Any, columns: list[str]) -> None:
    _tx._missing(list(df.columns), columns)


def _log(transactions: Any, columns: list[str], date: str) -> Any:
    """The columns of the log, timestamps as dates (session time zone)."""
    functions = import_optional("pyspark.sql.functions", extra="spark")
    types = import_optional("pyspark.sql.types", extra="spark")
    _need(transactions, columns)
    df = transactions.select(*columns)
    kind = df.schema[date].dataType
    if isinstance(kind, (types.TimestampType, types.TimestampNTZType)):
        df = df.withColumn(date, functions.to_date(functions.col(date)))
    return df


def _last_date(df: Any, date: str) -> Any:
    """The last date of the log (None if empty); for text dates the last ISO-looking one (a bad
    text raises in the executor, with its row)."""
    functions = import_optional("pyspark.sql.functions", extra="spark")
    types = import_optional("pyspark.sql.types", extra="spark")
    col = functions.col(date)
    if isinstance(df.schema[date].dataType, types.StringType):
        col = functions.when(
            col.rlike(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"), functions.substring(col, 1, 10)
        )
    with typed_errors():
        value = df.agg(functions.max(col)).first()[0]
    return _d.last_date(value, date)


def _shuffle(df: Any, customer_id: str, partitions: int | None) -> Any:
    return df.repartition(partitions, customer_id) if partitions else df.repartition(customer_id)


# Arrow settings of ltvkit's own jobs (the kernels stream a whole partition of narrow rows, so
# larger batches only save hand-overs):
# - spark.sql.execution.arrow.maxRecordsPerBatch: at least _BATCH_ROWS rows a batch (Spark's
#   default is 10,000; a session's larger value, or <= 0 for no limit, is kept);
# - spark.sql.execution.arrow.maxBytesPerBatch: 2147483647 unless the session sets it. Spark
#   checks the Arrow size of the batch after every row while this is below Int.MaxValue; that
#   check was most of the JVM -> Python hand-over time of rfm_summary (benchmarks/README.md).
# Both are restored (an unset key unset again) when the job is done, also after an error.
_BATCH_ROWS = 100_000
_ROWS_CONF = "spark.sql.execution.arrow.maxRecordsPerBatch"
_BYTES_CONF = "spark.sql.execution.arrow.maxBytesPerBatch"
_NO_BYTE_LIMIT = "2147483647"


def _arrow_settings(conf: Any) -> dict[str, str]:
    """The settings :func:`_large_batches` changes for a session's ``conf``."""
    settings = {}
    if conf.get(_BYTES_CONF, None) is None:
        settings[_BYTES_CONF] = _NO_BYTE_LIMIT
    rows = int(conf.get(_ROWS_CONF))
    if 0 < rows < _BATCH_ROWS:
        settings[_ROWS_CONF] = str(_BATCH_ROWS)
    return settings


@contextlib.contextmanager
def _large_batches(session: Any) -> Iterator[None]:
    """Run ltvkit's jobs with :func:`_arrow_settings`; the session's settings are restored after
    (also when the block raises)."""
    conf = session.conf
    settings = _arrow_settings(conf)
    old = {key: conf.get(key, None) for key in settings}  # None: not set
    try:
        for key, value in settings.items():
            conf.set(key, value)
        yield
    finally:
        for key, value in old.items():
            if value is None:
                conf.unset(key)
            else:
                conf.set(key, value)


def _persisted(df: Any) -> Any:
    from pyspark import StorageLevel

    df = df.persist(StorageLevel.MEMORY_AND_DISK)
    with typed_errors(), _large_batches(df.sparkSession):
        df.count()
    return df


def _per_customer(
    function: str,
    transactions: Any,
    columns: list[str],
    options: dict[str, Any],
    partitions: int | None,
) -> Any:
    types = _types()
    customer_id, date = options["customer_id"], options["date"]
    df = _log(transactions, columns, date)
    if options.get("observation_end") is None:
        options = {**options, "observation_end": _last_date(df, date)}
    schema = types.to_arrow_schema(df.schema)
    # run on an empty log on the driver: checks the options and gives the output schema
    empty = _d.per_customer(function, _d.empty_log(schema), options)
    spark_schema = types.from_arrow_schema(empty.schema)
    target = types.to_arrow_schema(spark_schema)

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        got = _d.chain_first(batches)
        if got is None:
            return
        first, every = got
        try:
            table = _d.per_customer(function, _d.reader_of(every, first.schema), options)
        except LtvError as exc:
            raise RuntimeError(_d.encode_error(exc, _partition_id())) from None
        yield from _d.plain(table, target).to_batches()

    out = _shuffle(df, customer_id, partitions).mapInArrow(run, spark_schema)
    return _persisted(out)


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
    """:func:`ltvkit.rfm_summary` of a Spark DataFrame, one row per customer.

    Parameters
    ----------
    transactions : pyspark.sql.DataFrame
        The log, one row per order.
    customer_id, date, amount, observation_end, period, future, refunds
        As in :func:`ltvkit.rfm_summary`.
    partitions : int, optional
        Partitions of the shuffle by customer (default ``spark.sql.shuffle.partitions``).

    Returns
    -------
    pyspark.sql.DataFrame
        ``customer_id`` and ``frequency``, ``recency``, ``T`` [, ``monetary_value``] (double),
        unordered, persisted.

    Raises
    ------
    InvalidDataError, InvalidInputError
        As on one machine; ``row`` counts within the shuffled partition (``partition``).
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
    """:func:`ltvkit.calibration_holdout` of a Spark DataFrame, one row per customer.

    Parameters and results as :func:`ltvkit.calibration_holdout` and :func:`rfm_summary`.
    """
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


def _partials(
    transactions: Any,
    columns: list[str],
    options: dict[str, Any],
    partitions: int | None,
    work: Any,
    schema: Any,
) -> Any:
    """Each shuffled partition's partial sums (``work(reader, options)`` -> pyarrow Table of
    ``schema``) as a Spark DataFrame; returns it and the options with observation_end set."""
    types = _types()
    df = _log(transactions, columns, options["date"])
    if options.get("observation_end") is None:
        options = {**options, "observation_end": _last_date(df, options["date"])}
    spark_schema = types.from_arrow_schema(schema)
    target = types.to_arrow_schema(spark_schema)

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        got = _d.chain_first(batches)
        if got is None:
            return
        first, every = got
        try:
            table = work(_d.reader_of(every, first.schema), options)
        except LtvError as exc:
            raise RuntimeError(_d.encode_error(exc, _partition_id())) from None
        yield from _d.plain(table, target).to_batches()

    return _shuffle(df, options["customer_id"], partitions).mapInArrow(run, spark_schema), options


def _frame(session: Any, table: Any) -> Any:
    """A small pyarrow table as a Spark DataFrame."""
    types = _types()
    return session.createDataFrame(table.to_pandas(), schema=types.from_arrow_schema(table.schema))


def _long_work(reader: Any, options: dict[str, Any]) -> Any:
    return _d.long_arrow(_d.cohort_partials(reader, options))


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
    """:func:`ltvkit.cohort_table` of a Spark DataFrame.

    The counts (``customers``, ``retention``) equal the single-machine table exactly; revenue
    cells are sums of per-partition sums, equal up to float rounding of the order of summation
    (about 1e-15 relative).

    Returns
    -------
    pyspark.sql.DataFrame
        ``[segment], cohort, customers, "0", "1", ...`` as the single-machine Arrow table.
    """
    functions = import_optional("pyspark.sql.functions", extra="spark")
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
    _need(transactions, cols)
    # on an empty log on the driver: checks the options as on one machine
    _tx.cohort_table(
        _d.empty_log(_types().to_arrow_schema(transactions.select(*cols).schema)),
        **options,
        progress=False,
    )
    parts, options = _partials(
        transactions, cols, options, partitions, _long_work, _d.long_schema()
    )
    summed = parts.groupBy("segment", "cohort", "age").agg(functions.sum("value").alias("value"))
    with typed_errors(), _large_batches(transactions.sparkSession):
        long = summed.toPandas()
    return _frame(transactions.sparkSession, _d.combine_cohorts(long, metric, segment))


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
    """:func:`ltvkit.historical_ltv` of a Spark DataFrame (customer counts exact, money to
    float rounding of the order of summation).

    Returns
    -------
    pyspark.sql.DataFrame
        ``cohort`` (or ``by``), ``customers``, ``revenue``, ``historical_ltv``,
        ``first_purchase_value``, ``ltv_multiple``.
    """
    functions = import_optional("pyspark.sql.functions", extra="spark")
    pa = import_optional("pyarrow", extra="arrow")
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
    _need(transactions, cols)
    # on an empty log on the driver: checks the options as on one machine
    _tx.historical_ltv(
        _d.empty_log(_types().to_arrow_schema(transactions.select(*cols).schema)),
        **options,
        progress=False,
    )
    schema = pa.schema(
        [
            ("group", pa.string() if by is not None else pa.date32()),
            ("customers", pa.int64()),
            ("revenue", pa.float64()),
            ("first", pa.float64()),
        ]
    )
    parts, options = _partials(transactions, cols, options, partitions, _d.ltv_partials, schema)
    summed = parts.groupBy("group").agg(
        functions.sum("customers").alias("customers"),
        functions.sum("revenue").alias("revenue"),
        functions.sum("first").alias("first"),
    )
    with typed_errors(), _large_batches(transactions.sparkSession):
        totals = summed.toPandas()
    return _frame(transactions.sparkSession, _d.combine_ltv(totals, by))


def fit(model_class: Any, summary: Any, **options: Any) -> Any:
    """Fit ``model_class`` to a Spark summary from its sufficient statistics.

    The distinct rows of the model's columns (``frequency``, ``recency``, ``T`` for BG/NBD,
    MBG/NBD and Pareto/NBD; ``frequency``, ``recency``, ``periods`` for BG/BB; ``frequency``,
    ``monetary_value`` for Gamma-Gamma) are counted on the cluster; the driver fits on them
    with the counts as ``weights``, which is the same likelihood as the fit on every customer.

    Parameters
    ----------
    model_class : type
        ``ltvkit.BetaGeoModel``, ``ModifiedBetaGeoModel``, ``ParetoNBDModel``,
        ``BetaGeoBetaBinomModel`` or ``GammaGammaModel``.
    summary : pyspark.sql.DataFrame
        From :func:`rfm_summary` or :func:`calibration_holdout` (``_cal`` columns accepted).
        For Gamma-Gamma pass the customers with repeat purchases
        (``summary.where("frequency > 0")``), as on one machine.
    **options
        Passed to ``model_class.fit`` (``penalizer``, ``unit``, ``tolerance``, ...).

    Returns
    -------
    model
        The fitted model (its ``n_customers`` is the number of customers).
    """
    pairs = _d.roles(model_class, list(summary.columns))
    cols = [c for _, c in pairs]
    with typed_errors(), _large_batches(summary.sparkSession):
        stats = summary.groupBy(*cols).count().toPandas()
    return _d.fit_statistics(model_class, stats, pairs, **options)


def _scored(
    kind: str,
    model: Any,
    spend: Any,
    summary: Any,
    customer_id: str,
    options: dict[str, Any],
    names: list[str],
) -> Any:
    types = import_optional("pyspark.sql.types", extra="spark")
    pa = import_optional("pyarrow", extra="arrow")
    pairs = _d.pick(list(summary.columns), _d.score_roles(kind, model))
    if customer_id not in summary.columns:
        msg = f"column {customer_id!r}: no such column in the summary (pass customer_id=)"
        err = InvalidDataError(msg)
        err.column = customer_id  # type: ignore[attr-defined]
        raise err
    model_json = (type(model).__name__, model.to_json())
    spend_json = None if spend is None else (type(spend).__name__, spend.to_json())
    fields = [summary.schema[customer_id]] + [
        types.StructField(n, types.DoubleType(), True) for n in names
    ]
    schema = types.StructType(fields)

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        m = _d.model_from_json(*model_json)
        s = None if spend_json is None else _d.model_from_json(*spend_json)
        for batch in batches:
            arrays = {
                role: batch.column(c).to_numpy(zero_copy_only=False).astype("float64")
                for role, c in pairs
            }
            try:
                values = _d.score(kind, m, s, arrays, options)
            except LtvError as exc:
                raise RuntimeError(_d.encode_error(exc, _partition_id())) from None
            yield pa.RecordBatch.from_arrays(
                [batch.column(customer_id)] + [pa.array(values[n], pa.float64()) for n in names],
                names=[customer_id, *names],
            )

    out = summary.select(customer_id, *[c for _, c in pairs]).mapInArrow(run, schema)
    return _persisted(out)


def predict(
    model: Any, summary: Any, *, t: float | None = None, customer_id: str = "customer_id"
) -> Any:
    """Score each customer of a Spark summary in the executors.

    Parameters
    ----------
    model : BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel or GammaGammaModel
        Sent to the executors as its JSON.
    summary : pyspark.sql.DataFrame
        From :func:`rfm_summary` (or ``_cal`` columns).
    t : float, optional
        Horizon of ``expected_purchases`` (in the summary's unit); without it only
        ``p_alive``.
    customer_id : str
        The key column kept in the result.

    Returns
    -------
    pyspark.sql.DataFrame
        ``customer_id``, ``p_alive`` [, ``expected_purchases``] (transaction models) or
        ``expected_spend`` (Gamma-Gamma), persisted.
    """
    names = _d.predict_names(model, t)
    return _scored("predict", model, None, summary, customer_id, {"t": t}, names)


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
    customer_id: str = "customer_id",
) -> Any:
    """:func:`ltvkit.customer_lifetime_value` of each customer of a Spark summary, computed in
    the executors (arguments as there; the summary needs ``frequency``, ``recency``, ``T``
    and ``monetary_value``).

    Returns
    -------
    pyspark.sql.DataFrame
        ``customer_id``, ``clv``, persisted.
    """
    options = _d.clv_options(
        horizon=horizon, unit=unit, discount_rate=discount_rate, margin=margin, data_unit=data_unit
    )
    return _scored("clv", transaction_model, spend_model, summary, customer_id, options, ["clv"])
