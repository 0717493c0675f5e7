"""Transaction logs: per-customer RFM summaries and calibration/holdout splits.

A transaction log has one row per order: a customer id, a date and (optionally) an amount. Every
function here takes the log as

- a pandas or polars ``DataFrame``,
- a pyarrow ``Table``, ``RecordBatch``, ``RecordBatchReader`` or ``Dataset``,
- any object with the Arrow PyCapsule interface (``__arrow_c_stream__``), or
- a path to a CSV or Parquet file, or to a directory of Parquet files (read batch by batch,
  so the log need not fit in memory: Parquet by ltvkit's own Rust reader in
  :func:`rfm_summary`, otherwise with pyarrow; needs ``pip install "ltvkit[arrow]"``),

and returns the same kind of table: pandas in, pandas out (indexed by customer); polars in,
polars out; pyarrow, a capsule object or a path in, a pyarrow ``Table`` out. Arrow data are read
by the Rust core without copying.

Column types: customer ids are integers or strings; dates are dates, timestamps (a time-zone
aware timestamp gives the calendar date in its own zone, not in UTC) or ISO strings
(``YYYY-MM-DD``, optionally followed by a time); amounts are numbers.

Metadata
--------
Every result carries the unit and a report of what the bad-input policies did, read with
:func:`metadata` (the same for every kind of result). It is stored in ``df.attrs["ltvkit"]`` for
pandas, in the schema metadata key ``b"ltvkit"`` (JSON) for pyarrow, and in the attribute
``_ltvkit_metadata`` for polars (polars frames have no metadata of their own; derived frames do
not keep it).

Bad input
---------
- A null customer id or date, an unparseable date, or a null, NaN or infinite amount raises
  :class:`ltvkit.InvalidDataError` naming the column, the first offending row (0-based, over the
  whole input) and the value (attributes ``column``, ``row``, ``value``).
- A date after ``observation_end`` raises unless ``future="drop"``; dropped rows are counted in
  the report (``future_rows_dropped``).
- Negative amounts (refunds) are netted against the same customer and period by default
  (``refunds="net"``, counted in ``refund_rows_netted``; a period with refunds only is not a
  purchase, counted in ``refund_rows_unmatched``), or raise (``refunds="error"``), or are left
  out (``refunds="drop"``, counted in ``refund_rows_dropped``).
- The input need not be sorted. An empty input gives an empty result with the right columns.
"""

from __future__ import annotations

import datetime as _dt
import functools
import importlib
import json
import os
from contextlib import ExitStack, nullcontext
from pathlib import Path
from typing import Any

from ltvkit import _core
from ltvkit._optional import import_optional
from ltvkit.exceptions import InvalidDataError, InvalidInputError, MissingFileError

__all__ = [
    "calibration_holdout",
    "cohort_table",
    "historical_ltv",
    "is_log",
    "metadata",
    "rfm_summary",
    "subscription_metrics",
    "value_breakdown",
]

_META_KEY = "ltvkit"
_POLARS_ATTR = "_ltvkit_metadata"


def _to_date(value: Any, name: str) -> _dt.date | None:
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    text = str(value)
    try:
        return _dt.date.fromisoformat(text[:10])
    except ValueError:
        msg = (
            f"{name} is {value!r}: not a date; pass a date, a datetime or an ISO string YYYY-MM-DD"
        )
        err = InvalidInputError(msg)
        err.parameter = name  # type: ignore[attr-defined]
        err.value = repr(value)  # type: ignore[attr-defined]
        raise err from None


def _missing(available: list[str], wanted: list[str]) -> None:
    for name in wanted:
        if name not in available:
            msg = (
                f"column {name!r}: no such column; the columns are {available}; "
                f"pass the right name (customer_id=, date=, amount=)"
            )
            err = InvalidDataError(msg)
            err.column = name  # type: ignore[attr-defined]
            raise err


def _open_path(path: Path, columns: list[str]) -> tuple[Any, int | None]:
    if not path.exists():
        msg = (
            f"transactions: no such file or directory: {str(path)!r}; pass the path of a CSV "
            f"or Parquet file (or a directory of Parquet files), or a DataFrame or Arrow table"
        )
        raise MissingFileError(msg)
    try:
        return _open_existing(path, columns)
    except (InvalidDataError, InvalidInputError):
        raise
    except (OSError, ValueError) as e:  # pyarrow's ArrowInvalid is a ValueError
        kind = "directory" if path.is_dir() else "file"
        msg = (
            f"transactions: cannot read the {kind} {str(path)!r} as a log ({e}); pass a CSV "
            f"file (.csv, .txt), a Parquet file or a directory of Parquet files"
        )
        raise InvalidDataError(msg) from e


def _open_existing(path: Path, columns: list[str]) -> tuple[Any, int | None]:
    suffixes = "".join(path.suffixes).lower()
    fmt = "csv" if not path.is_dir() and (".csv" in suffixes or ".txt" in suffixes) else "parquet"
    if fmt == "parquet" and not path.is_dir():
        # one file: read directly, without pyarrow.dataset (whose import, pandas' with it,
        # took 0.3 s of the first call)
        pq = import_optional("pyarrow.parquet", extra="arrow")
        parquet = pq.ParquetFile(str(path), pre_buffer=False)
        _missing(list(parquet.schema_arrow.names), columns)
        pa = import_optional("pyarrow", extra="arrow")
        batches = _parquet_batches(pa, parquet, columns)
        schema = pa.schema([parquet.schema_arrow.field(c) for c in columns])
        return pa.RecordBatchReader.from_batches(schema, batches), parquet.metadata.num_rows
    ds = import_optional("pyarrow.dataset", extra="arrow")
    dataset = ds.dataset(str(path), format=fmt)
    _missing(list(dataset.schema.names), columns)
    scanner = dataset.scanner(columns=columns)
    if fmt == "csv":  # a CSV's row count would need a read
        return scanner.to_reader(), None
    # the row count comes from the file footers
    return _parquet_reader(dataset, columns), scanner.count_rows()


# rows per batch read from a Parquet file
_PARQUET_BATCH_ROWS = 65_536


def _releasing(pa: Any, batches: Any) -> Any:
    """``batches``, then the memory pyarrow's pool has freed returned to the system: its
    allocator (mimalloc) keeps what the decoded pages took, about 30 MiB of the peak memory of
    ``rfm_summary`` on the 10M-row benchmark log, held while the summary is written. Only at
    the end: while the batches are read, the pool's freed pages are the next batches'
    (returning them every 16 batches, as before, faulted them in again: 30 ms of 0.42 s)."""
    yield from batches
    pa.default_memory_pool().release_unused()


def _parquet_batches(pa: Any, parquet: Any, columns: list[str]) -> Any:
    """The batches of ``columns`` of a ``ParquetFile``, decoded on the reading thread (the
    summaries already keep both cores busy: pyarrow's decoding threads beside them cost 15 ms
    of 0.39 s on the benchmark log), then its freed memory returned (:func:`_releasing`)."""
    read = parquet.iter_batches(batch_size=_PARQUET_BATCH_ROWS, columns=columns, use_threads=False)
    return _releasing(pa, read)


def _local_parquet_files(transactions: Any) -> list[str] | None:
    """The files of a local Parquet input (a file, or a directory's files in pyarrow.dataset's
    order), which the Rust reader reads; None for anything else, including a path that does
    not exist or cannot be listed (the pyarrow route then reports it)."""
    if not isinstance(transactions, (str, os.PathLike)) or not os.fspath(transactions).strip():
        return None
    path = Path(transactions)
    suffixes = "".join(path.suffixes).lower()
    if ".csv" in suffixes or ".txt" in suffixes:
        return None
    if path.is_file():
        return [str(path)]
    if not path.is_dir():
        return None
    try:
        ds = import_optional("pyarrow.dataset", extra="arrow")
        files = list(ds.dataset(str(path), format="parquet").files)
    except (OSError, ValueError):
        return None
    return files or None


def _id_range(transactions: Any, column: str) -> tuple[int, int] | None:
    """The smallest and largest integer customer id of a Parquet input, from the statistics of
    its row groups (their footers, no data read), or None: another input, text ids, a row group
    without statistics, or anything unreadable (the read itself then reports it). The one pass
    numbers the customers by their offset from the smallest when the range is dense (no table
    to look the ids up in; the result's columns are gathered by sequential reads), and gives
    up, for the sorted path, if an id falls outside it."""
    files = _local_parquet_files(transactions)
    if files is None:
        return None
    try:
        pa = import_optional("pyarrow", extra="arrow")
        pq = import_optional("pyarrow.parquet", extra="arrow")
        lo, hi = None, None
        for file in files:
            meta = pq.ParquetFile(file).metadata
            field = meta.schema.to_arrow_schema().field(column)
            if not pa.types.is_integer(field.type):
                return None
            i = meta.schema.names.index(column)
            for g in range(meta.num_row_groups):
                if meta.row_group(g).num_rows == 0:
                    continue
                stats = meta.row_group(g).column(i).statistics
                if stats is None or not stats.has_min_max:
                    return None
                lo = stats.min if lo is None else min(lo, stats.min)
                hi = stats.max if hi is None else max(hi, stats.max)
    except (OSError, ValueError, KeyError, TypeError, InvalidInputError):
        return None
    if lo is None or hi is None or not (-(2**63) <= lo <= hi < 2**63):
        return None
    return int(lo), int(hi)


class _Progress:
    """A progress callback for the Rust reader, ``(rows of a batch, total rows, read)``: the
    tqdm bar is made on the first call, when ``progress`` (or, for None, the total) asks for
    one, and starts again (reset) for a second read of the input (the sorted path). It returns
    whether it wants more calls (False: no bar)."""

    def __init__(self, progress: bool | None) -> None:
        self.progress = progress
        self.bars = ExitStack()
        self.bar: Any = None
        self.read = 0

    def __call__(self, rows: int, total: int, read: int) -> bool:
        if self.bar is None:
            if not _want_progress(self.progress, total):
                return False
            self.bar = self.bars.enter_context(_new_bar(total))
        if read != self.read:
            self.read = read
            self.bar.reset(total=total)
        self.bar.update(rows)
        return True


def _parquet_reader(dataset: Any, columns: list[str]) -> Any:
    """The ``columns`` of a Parquet dataset's files, in the dataset's file order, as one
    RecordBatchReader of the dataset's schema.

    File by file with ``ParquetFile.iter_batches`` rather than the dataset scanner: on the
    10M-row benchmark log the scanner's read-ahead raised the peak memory of ``rfm_summary``
    by about 200 MB for no gain in time. A file whose types differ from the dataset's schema
    (that of the first file) is cast to it, as the scanner would."""
    pa = import_optional("pyarrow", extra="arrow")
    pq = import_optional("pyarrow.parquet", extra="arrow")
    schema = pa.schema([dataset.schema.field(c) for c in columns])
    local = type(dataset.filesystem).__name__ == "LocalFileSystem"

    def batches() -> Any:
        for file in dataset.files:
            with dataset.filesystem.open_input_file(file) as source:
                # pre-buffering (coalesced reads, for object stores) held a whole row group's
                # pages: 36 MiB more peak memory on the benchmark log, and no faster on a disk
                parquet = pq.ParquetFile(source, pre_buffer=not local)
                for batch in _parquet_batches(pa, parquet, columns):
                    if batch.schema.equals(schema):
                        yield batch
                    else:
                        table = pa.Table.from_batches([batch]).select(columns).cast(schema)
                        yield from table.to_batches()

    return pa.RecordBatchReader.from_batches(schema, batches())


def _open_raw(transactions: Any, columns: list[str]) -> tuple[str, Any, int | None]:
    """The kind of the input (``pandas``, ``polars``, ``pyarrow``), an Arrow stream of it and
    its number of rows when known without reading it."""
    if isinstance(transactions, (str, os.PathLike)):
        if not os.fspath(transactions).strip():
            # Path("") is the working directory: never read it by accident
            msg = "transactions is an empty path: pass the path of a CSV or Parquet file"
            raise InvalidInputError(msg)
        return ("pyarrow", *_open_path(Path(transactions), columns))
    module = type(transactions).__module__.split(".", 1)[0]
    name = type(transactions).__name__
    if module == "pandas" and name == "DataFrame":
        pa = import_optional("pyarrow", extra="arrow")
        frame = transactions
        if any(c not in frame.columns for c in columns) and frame.index.name in columns:
            frame = frame.reset_index()
        _missing([str(c) for c in frame.columns], columns)
        return "pandas", pa.Table.from_pandas(frame[columns], preserve_index=False), len(frame)
    if module == "polars" and name in ("DataFrame", "LazyFrame"):
        frame = transactions.collect() if name == "LazyFrame" else transactions
        _missing(list(frame.columns), columns)
        return "polars", frame.select(columns), frame.height
    if module == "pyarrow":
        if name == "Table":
            _missing(list(transactions.column_names), columns)
            return "pyarrow", transactions.select(columns), transactions.num_rows
        if name == "RecordBatch":
            _missing(list(transactions.schema.names), columns)
            return "pyarrow", transactions.select(columns), transactions.num_rows
        if hasattr(transactions, "scanner"):  # a pyarrow.dataset.Dataset
            _missing(list(transactions.schema.names), columns)
            scanner = transactions.scanner(columns=columns)
            return "pyarrow", scanner.to_reader(), scanner.count_rows()
    if hasattr(transactions, "__arrow_c_stream__"):
        return "pyarrow", transactions, None
    msg = (
        f"transactions is a {name}: pass a pandas or polars DataFrame, a pyarrow Table or "
        f"RecordBatchReader, an object with __arrow_c_stream__, or a path to a CSV or Parquet file"
    )
    raise InvalidInputError(msg)


# auto progress (progress=None) from this many rows on: reads of a few seconds (the 10M-row
# benchmark log is read in 0.4 s, where a bar only flickers and importing tqdm took 55 ms)
_PROGRESS_ROWS = 50_000_000


def _reopener(transactions: Any, columns: list[str], stream: Any) -> Any:
    """A function giving a fresh Arrow stream of ``transactions`` (whose first stream, from
    :func:`_open_raw`, is ``stream``), or None when the input can be read only once (a
    RecordBatchReader, a generic ``__arrow_c_stream__`` object)."""
    if isinstance(transactions, (str, os.PathLike)):
        return lambda: _open_path(Path(transactions), columns)[0]
    module = type(transactions).__module__.split(".", 1)[0]
    name = type(transactions).__name__
    if (module, name) in _REREADABLE:
        # the converted or selected frame: each reader of it starts from the first row
        return lambda: stream
    if module == "pyarrow" and hasattr(transactions, "scanner"):  # a pyarrow.dataset.Dataset
        return lambda: transactions.scanner(columns=columns).to_reader()
    return None


_REREADABLE = {
    ("pandas", "DataFrame"),
    ("polars", "DataFrame"),
    ("polars", "LazyFrame"),
    ("pyarrow", "Table"),
    ("pyarrow", "RecordBatch"),
}


def _open(transactions: Any, columns: list[str], progress: bool | None = None) -> tuple[str, Any]:
    """The kind of the input and an Arrow stream of it, with a progress bar if asked."""
    kind, stream, _ = _open_counted(transactions, columns, progress)
    return kind, stream


def _open_counted(
    transactions: Any, columns: list[str], progress: bool | None = None
) -> tuple[str, Any, int | None]:
    """:func:`_open` and the number of rows when known without reading the input."""
    kind, stream, total = _open_raw(transactions, columns)
    if _want_progress(progress, total):
        stream = _with_progress(stream, total)
    return kind, stream, total


# the memory budget of rfm_summary when neither memory_limit= nor LTVKIT_MEMORY_LIMIT is set
_DEFAULT_MEMORY_LIMIT = 2 * 1024**3

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1024,
    "kb": 1000,
    "kib": 1024,
    "m": 1024**2,
    "mb": 1000**2,
    "mib": 1024**2,
    "g": 1024**3,
    "gb": 1000**3,
    "gib": 1024**3,
}


def _memory_limit(value: int | str | None) -> int:
    """Bytes of a memory budget: an int, or a str like ``"512MiB"``, ``"2GB"``, ``"1g"``; None
    reads the environment variable ``LTVKIT_MEMORY_LIMIT`` (default 2 GiB)."""
    name = "memory_limit"
    if value is None:
        env = os.environ.get("LTVKIT_MEMORY_LIMIT")
        if env is None or not env.strip():
            return _DEFAULT_MEMORY_LIMIT
        value, name = env, "LTVKIT_MEMORY_LIMIT"
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, int):
        number = float(value)
        unit = ""
    else:
        text = str(value).strip().lower().replace(" ", "")
        digits = text.rstrip("abcdefghijklmnopqrstuvwxyz")
        unit = text[len(digits) :]
        try:
            number = float(digits)
        except ValueError:
            number = float("nan")
    if unit not in _UNITS or not number >= 1:  # also a NaN
        msg = (
            f"{name} is {value!r}: pass a positive number of bytes, or a size such as "
            f'"512MiB" or "2GB"'
        )
        raise InvalidInputError(msg)
    return int(number * _UNITS[unit])


def _has_tqdm() -> bool:
    try:
        importlib.import_module("tqdm")
    except ImportError:
        return False
    return True


def _want_progress(progress: bool | None, total: int | None) -> bool:
    """``progress``, or by default: a bar when the input is long and tqdm is installed."""
    if progress is None:
        return total is not None and total >= _PROGRESS_ROWS and _has_tqdm()
    return progress


def _new_bar(total: int | None) -> Any:
    """ltvkit's tqdm bar over ``total`` rows."""
    tqdm = import_optional("tqdm", extra="progress")
    return tqdm.tqdm(total=total, unit="rows", unit_scale=True, desc="ltvkit")


def _counted(reader: Any, bar: Any) -> Any:
    """The batches of ``reader``, each advancing ``bar`` by its rows."""
    for batch in reader:
        bar.update(batch.num_rows)
        yield batch


def _with_progress(stream: Any, total: int | None) -> Any:
    """``stream`` as a pyarrow RecordBatchReader that advances a new tqdm bar, closed at the end."""
    pa = import_optional("pyarrow", extra="arrow")
    reader = pa.RecordBatchReader.from_stream(stream)

    def batches() -> Any:
        with _new_bar(total) as bar:
            yield from _counted(reader, bar)

    return pa.RecordBatchReader.from_batches(reader.schema, batches())


def _through_bar(stream: Any, bar: Any) -> Any:
    """``stream`` as a pyarrow RecordBatchReader that advances the tqdm ``bar``."""
    pa = import_optional("pyarrow", extra="arrow")
    reader = pa.RecordBatchReader.from_stream(stream)
    return pa.RecordBatchReader.from_batches(reader.schema, _counted(reader, bar))


def _one_pass_or_sorted(
    one_pass: Any,
    sorted_path: Any,
    args: tuple[Any, ...],
    stream: Any,
    reopen: Any,
    total: int | None,
    progress: bool | None,
) -> Any:
    """``one_pass(stream, *args)``, which reads the log once without sorting when each
    customer's rows come in date order (a log written as the orders happened) and gives None
    as soon as a row shows otherwise; then (or when the input cannot be read twice, ``reopen``
    None, or ``one_pass`` is None) ``sorted_path`` on the input read again from the start.
    One progress bar over both reads (reset for the second)."""
    with _new_bar(total) if _want_progress(progress, total) else nullcontext() as bar:
        out = None
        if one_pass is not None and reopen is not None:
            out = one_pass(_through_bar(stream, bar) if bar else stream, *args)
            if out is None:
                stream = reopen()
                if bar:
                    bar.reset(total=total)
        if out is None:
            out = sorted_path(_through_bar(stream, bar) if bar else stream, *args)
    return out


def _result(kind: str, table: Any, meta: dict[str, Any], index: str | list[str]) -> Any:
    if kind == "polars":
        pl = import_optional("polars", extra="polars")
        frame = pl.DataFrame(table)
        setattr(frame, _POLARS_ATTR, meta)
        return frame
    pa = import_optional("pyarrow", extra="arrow")
    # through the C stream, not pa.table(), which imports pandas to check for a DataFrame
    t = pa.RecordBatchReader.from_stream(table).read_all()
    if kind == "pandas":
        df = t.to_pandas().set_index(index)
        df.attrs[_META_KEY] = meta
        return df
    return t.replace_schema_metadata({_META_KEY: json.dumps(meta)})


def metadata(result: Any) -> dict[str, Any]:
    """The metadata of a result of this module: unit, options and the bad-input report.

    Parameters
    ----------
    result : pandas.DataFrame, polars.DataFrame or pyarrow.Table
        A table returned by :func:`rfm_summary`, :func:`calibration_holdout`, ...

    Returns
    -------
    dict
        ``function``, ``period`` (the unit: ``"D"``, ``"7D"``, ``"W"``, ``"M"``),
        ``customer_id``, ``observation_end`` (ISO date actually used), the policies
        (``future``, ``refunds``) and ``report``, the row counts of the bad-input policies
        (``rows_read``, ``rows_used``, ``future_rows_dropped``, ``refund_rows_netted``,
        ``refund_rows_dropped``, ``refund_rows_unmatched``, ``holdout_rows_of_new_customers``).
    """
    attrs = getattr(result, "attrs", None)
    if isinstance(attrs, dict) and _META_KEY in attrs:
        return dict(attrs[_META_KEY])
    meta = getattr(result, _POLARS_ATTR, None)
    if isinstance(meta, dict):
        return dict(meta)
    schema = getattr(result, "schema", None)
    raw = getattr(schema, "metadata", None) or {}
    if _META_KEY.encode() in raw:
        return dict(json.loads(raw[_META_KEY.encode()]))
    msg = "this table carries no ltvkit metadata (it was not returned by ltvkit.transactions)"
    raise InvalidInputError(msg)


def _columns(customer_id: str, date: str, amount: str | None) -> list[str]:
    return [customer_id, date] + ([amount] if amount is not None else [])


def _meta(function: str, report_json: str, **options: Any) -> dict[str, Any]:
    parsed = json.loads(report_json)
    report = parsed["report"]
    end = report.pop("observation_end", None)
    meta = {"function": function, **options}
    meta["observation_end"] = end
    meta["report"] = report
    if parsed.get("summary") is not None:
        meta["summary"] = parsed["summary"]
    return meta


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
    progress: bool | None = None,
    memory_limit: int | str | None = None,
) -> Any:
    """Frequency, recency, T and monetary value per customer (lifetimes' conventions).

    The result equals lifetimes 0.11.3's ``summary_data_from_transaction_data`` to the last
    digit (tested on the CDNOW sample for ``period="D"``, ``"W"`` and ``"7D"``).

    Parameters
    ----------
    transactions : DataFrame, pyarrow Table/RecordBatchReader, Arrow stream object or path
        The log, one row per order (see the module docstring).
    customer_id, date : str
        Column names.
    amount : str, optional
        The amount column; without it there is no ``monetary_value`` column.
    observation_end : date, datetime or ISO str, optional
        The end of observation; defaults to the last date of the log. As in lifetimes, the
        whole period (day, week, month) that contains it is observed: with ``period="W"`` and
        a Tuesday, purchases up to that Sunday count. Rows after that period raise unless
        ``future="drop"``.
    period : {"D", "W", "M"} or "<n>D"
        The unit: ``"D"`` days, ``"W"`` Monday-to-Sunday weeks (pandas ``W``), ``"M"``
        calendar months, ``"<n>D"`` days with durations in units of n days (``"7D"`` is
        lifetimes' ``freq="D", freq_multiplier=7``, the "weeks" of Fader, Hardie & Lee 2005).
        Several orders in one period count as one purchase, with their amounts summed.
    future : {"raise", "drop"}
        What to do with rows dated after ``observation_end``.
    refunds : {"net", "error", "drop"}
        What to do with negative amounts (see the module docstring).
    progress : bool, optional
        Show a tqdm progress bar while the log is read (``pip install "ltvkit[progress]"``).
        None (the default) shows one when the input is known to have at least 50 million rows
        (a Parquet path or dataset, a table or a DataFrame) and tqdm is installed.
    memory_limit : int or str, optional
        The memory budget for the rows being summarised, in bytes or as a size (``"512MiB"``,
        ``"2GB"``); default: the environment variable ``LTVKIT_MEMORY_LIMIT``, else 2 GiB. A
        log whose rows need more (about 64 bytes a row, so 33 million rows for 2 GiB) is
        partitioned by customer into temporary files under ``$TMPDIR`` (16 bytes a row)
        while it is read, and summarised one partition at a time: the result is the same, and
        the memory stays bounded for a Parquet directory larger than memory. A log whose
        customers' rows come in date order is first read in one pass that keeps 48 bytes a
        customer (about 44 million customers for 2 GiB) and no rows; past that, or when a row
        is out of order, the log is read again as above. The result table itself (about 40
        bytes a customer) is not part of the budget.

    Notes
    -----
    A local Parquet file or directory is decoded by ltvkit's Rust reader (the ``parquet``
    crate), with the range of integer customer ids taken from the row groups' statistics;
    columns of other types (dictionary, decimal, ...), LZO pages or files whose column types
    differ are read with pyarrow instead. The result is the same either way. On two cores, a
    10-million-row log of 3.6 million customers takes about 0.3 s (benchmarks/README.md).

    Returns
    -------
    DataFrame or pyarrow.Table
        One row per customer with a purchase, sorted by customer id, columns (float64, as in
        lifetimes):

        - ``frequency``: repeat purchases, the periods with a purchase after the first;
        - ``recency``: time from the first to the last purchase period;
        - ``T``: time from the first purchase period to the period of ``observation_end``;
        - ``monetary_value``: mean total of the repeat purchase periods, 0 without repeats
          (the first purchase is left out).

        The unit and the bad-input report are in :func:`metadata`.

    Raises
    ------
    InvalidDataError
        A missing column or a bad row (column, row and value named).
    InvalidInputError
        A bad option (period, future, refunds, observation_end).

    References
    ----------
    lifetimes 0.11.3, ``lifetimes.utils.summary_data_from_transaction_data``; Fader, Hardie &
    Lee (2005), "Counting your customers the easy way", *Marketing Science* 24(2).

    Examples
    --------
    >>> import ltvkit
    >>> log = ltvkit.datasets.load_cdnow()
    >>> s = rfm_summary(log, amount="amount", period="7D",
    ...                 observation_end="1997-09-30", future="drop")
    >>> s.loc[1].round(4).tolist()
    [2.0, 30.4286, 38.8571, 22.345]
    """
    end = _to_date(observation_end, "observation_end")
    budget = _memory_limit(memory_limit)
    columns = _columns(customer_id, date, amount)
    files = _local_parquet_files(transactions)
    kind, out = "pyarrow", None  # a path gives a pyarrow Table
    if files is not None:
        # read in Rust; a column type or codec that the Rust reader leaves to pyarrow: below
        bar = _Progress(progress)
        with bar.bars:
            _, out = _core.rfm_summary_parquet(
                files,
                customer_id,
                date,
                amount,
                period,
                end,
                future,
                refunds,
                budget,
                progress=None if progress is False else bar,
            )
    if out is not None:
        table, report = out
    else:
        kind, stream, total = _open_raw(transactions, columns)
        args = (customer_id, date, amount, period, end, future, refunds, budget, total)
        table, report = _one_pass_or_sorted(
            functools.partial(
                _core.rfm_summary_one_pass, id_range=_id_range(transactions, customer_id)
            ),
            _core.rfm_summary,
            args,
            stream,
            _reopener(transactions, columns, stream),
            total,
            progress,
        )
    meta = _meta(
        "rfm_summary",
        report,
        period=period,
        customer_id=customer_id,
        future=future,
        refunds=refunds,
    )
    return _result(kind, table, meta, customer_id)


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
    progress: bool | None = None,
) -> Any:
    """The calibration summary and holdout counts per customer (lifetimes' conventions).

    Equal to lifetimes 0.11.3's ``calibration_and_holdout_data`` to the last digit (tested on
    the CDNOW sample). Rows up to ``calibration_end`` make the calibration summary (as
    :func:`rfm_summary` with ``observation_end=calibration_end``); rows after it, up to
    ``observation_end``, the holdout.

    Parameters
    ----------
    transactions : DataFrame, pyarrow Table/RecordBatchReader, Arrow stream object or path
        The log (see the module docstring).
    calibration_end : date, datetime or ISO str
        The last day of the calibration period.
    observation_end : date, datetime or ISO str, optional
        The last day of the holdout period; defaults to the last date of the log.
    customer_id, date, amount, period, future, refunds
        As in :func:`rfm_summary`.
    progress : bool, optional
        Show a tqdm progress bar while the log is read (``pip install "ltvkit[progress]"``).
        None (the default) shows one when the input is known to have at least 50 million rows
        (a Parquet path or dataset, a table or a DataFrame) and tqdm is installed.

    Returns
    -------
    DataFrame or pyarrow.Table
        One row per customer with a calibration purchase (customers new in the holdout are left
        out, as in lifetimes, and their rows counted in the report's
        ``holdout_rows_of_new_customers``), columns ``frequency_cal``, ``recency_cal``,
        ``T_cal``, ``monetary_value_cal`` (with ``amount``), ``frequency_holdout`` (periods
        with a purchase in the holdout), ``monetary_value_holdout`` (with ``amount``: the mean
        amount per holdout *row*, not per period -- lifetimes' convention, kept for equality),
        ``duration_holdout`` (from the period of ``calibration_end`` to that of
        ``observation_end``).

    Raises
    ------
    InvalidDataError, InvalidInputError
        As in :func:`rfm_summary`; also when ``calibration_end`` is not before
        ``observation_end``.

    References
    ----------
    lifetimes 0.11.3, ``lifetimes.utils.calibration_and_holdout_data``.
    """
    cal = _to_date(calibration_end, "calibration_end")
    if cal is None:
        msg = "calibration_end is None: pass the last day of the calibration period"
        raise InvalidInputError(msg)
    end = _to_date(observation_end, "observation_end")
    kind, stream = _open(transactions, _columns(customer_id, date, amount), progress)
    table, report = _core.calibration_holdout(
        stream, customer_id, date, amount, period, cal, end, future, refunds
    )
    meta = _meta(
        "calibration_holdout",
        report,
        period=period,
        customer_id=customer_id,
        future=future,
        refunds=refunds,
        calibration_end=cal.isoformat(),
    )
    return _result(kind, table, meta, customer_id)


_REVENUE_METRICS = (
    "revenue",
    "gross_revenue",
    "revenue_retention",
    "gross_revenue_retention",
    "revenue_per_customer",
    "cumulative_revenue_per_customer",
    "ltv",
    "ltv_multiple",
)


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
    progress: bool | None = None,
) -> Any:
    """The acquisition-cohort triangle: one row per cohort, one column per age.

    A customer's cohort is the ``cohort`` period (``"D"``, ``"W"``, ``"M"``) of their first
    purchase; the age of a purchase is the number of ``period`` units since the customer's
    first purchase (0 = the first period). With ``N`` the cohort's customers and ``F`` the sum
    of their first purchase days' totals, each cell (cohort c, age k) holds:

    - ``customers``: customers of c with a purchase at age k (active customers);
    - ``retention``: customers / N (logo retention, a fraction);
    - ``revenue``: amounts at age k, net of refunds; ``gross_revenue``: purchases only;
    - ``revenue_retention``: revenue / revenue at age 0; ``gross_revenue_retention`` the same
      with gross revenue (None when age 0 has no revenue);
    - ``revenue_per_customer``: revenue / N (per *original* customer);
    - ``cumulative_revenue_per_customer`` (alias ``ltv``): its running sum over ages 0..k, the
      historical LTV curve of the cohort;
    - ``ltv_multiple``: that running sum / (F / N), the multiple of the first purchase.

    Ages that ``observation_end`` has not reached (counted from the cohort's first day) are
    null.

    ``customers`` and ``retention`` take one pass over the log, without sorting it, when each
    customer's rows come in date order (a log written as the orders happened, or sorted by
    customer and date); otherwise, and for the revenue metrics, the log is sorted by customer
    first (read again when the input can be re-read). The result is the same either way.

    Parameters
    ----------
    transactions : DataFrame, pyarrow Table/RecordBatchReader, Arrow stream object or path
        The log (see the module docstring).
    metric : str
        One of the metrics above.
    cohort, period : {"D", "W", "M"} or "<n>D"
        The cohort granularity and the age unit.
    segment : str, optional
        A column (e.g. a channel) splitting the table: one triangle per segment value, the
        segment of a customer being that of their first purchase row.
    customer_id, date, amount, observation_end, future, refunds
        As in :func:`rfm_summary`; revenue metrics need ``amount``.
    progress : bool, optional
        Show a tqdm progress bar while the log is read (``pip install "ltvkit[progress]"``).
        None (the default) shows one when the input is known to have at least 50 million rows
        (a Parquet path or dataset, a table or a DataFrame) and tqdm is installed.

    Returns
    -------
    DataFrame or pyarrow.Table
        Columns ``[segment], cohort`` (first day of the cohort), ``customers`` (cohort size N)
        and one column per age ``0, 1, ...`` (named ``"0"``, ``"1"``, ... in Arrow and polars,
        integers in pandas, where ``[segment,] cohort`` is the index).

    Examples
    --------
    >>> import ltvkit
    >>> t = cohort_table(ltvkit.datasets.load_cdnow(), metric="customers")
    >>> int(t["customers"].sum()), bool((t[0] == t["customers"]).all())
    (2357, True)
    """
    if metric in _REVENUE_METRICS and amount is None:
        msg = f'metric={metric!r} needs amounts: pass amount="<column>"'
        raise InvalidInputError(msg)
    end = _to_date(observation_end, "observation_end")
    cols = _columns(customer_id, date, amount) + ([segment] if segment is not None else [])
    kind, stream, total = _open_raw(transactions, cols)
    args = (customer_id, date, amount, segment, cohort, period, metric, end, future, refunds)
    table, report = _one_pass_or_sorted(
        # the revenue triangles are not one-pass yet (their cell sums keep the key order)
        None if metric in _REVENUE_METRICS else _core.cohort_table_one_pass,
        _core.cohort_table,
        args,
        stream,
        _reopener(transactions, cols, stream),
        total,
        progress,
    )
    meta = _meta(
        "cohort_table",
        report,
        metric=metric,
        cohort=cohort,
        period=period,
        customer_id=customer_id,
        future=future,
        refunds=refunds,
    )
    index = [segment, "cohort"] if segment is not None else ["cohort"]
    result = _result(kind, table, meta, index)
    if kind == "pandas":
        import pandas as pd

        result.index = (
            result.index.set_levels([pd.to_datetime(result.index.levels[-1])], level=[-1])
            if segment is not None
            else pd.DatetimeIndex(result.index, name="cohort")
        )
        result.columns = [c if c == "customers" else int(c) for c in result.columns]
    return result


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
    progress: bool | None = None,
) -> Any:
    """Historical LTV of each acquisition cohort (or segment) of a transaction log.

    .. math:: historical\\ LTV_g = revenue_g / N_g, \\quad multiple_g = LTV_g / (F_g / N_g)

    where ``N_g`` is the number of customers of group ``g``, ``revenue_g`` all their amounts
    (net of refunds) and ``F_g`` the sum of their first purchase days' totals. A cohort of 100
    that brought 60,000 is worth 600 each, 1.5x a 400 first purchase.

    Parameters
    ----------
    transactions : DataFrame, pyarrow Table/RecordBatchReader, Arrow stream object or path
        The log (see the module docstring).
    by : str, optional
        A column to group customers by (the value on their first purchase row); by default
        customers are grouped by acquisition cohort (``cohort``).
    horizon : int, optional
        Count only purchases at ages ``0 .. horizon - 1`` (in ``period`` units since each
        customer's first purchase); the rows left out are counted in the report
        (``rows_beyond_horizon``). Default: everything observed.
    cohort, period : {"D", "W", "M"} or "<n>D"
        Cohort granularity and the unit of ``horizon``.
    customer_id, date, amount, observation_end, future, refunds
        As in :func:`rfm_summary`.
    progress : bool, optional
        Show a tqdm progress bar while the log is read (``pip install "ltvkit[progress]"``).
        None (the default) shows one when the input is known to have at least 50 million rows
        (a Parquet path or dataset, a table or a DataFrame) and tqdm is installed.

    Returns
    -------
    DataFrame or pyarrow.Table
        ``cohort`` (or the ``by`` column; the pandas index), ``customers``, ``revenue``,
        ``historical_ltv``, ``first_purchase_value`` (mean per customer) and ``ltv_multiple``.
    """
    if horizon is not None and (isinstance(horizon, bool) or int(horizon) < 1):
        msg = f"horizon is {horizon!r}: pass a whole number of periods >= 1, or None"
        raise InvalidInputError(msg)
    end = _to_date(observation_end, "observation_end")
    cols = _columns(customer_id, date, amount) + ([by] if by is not None else [])
    kind, stream = _open(transactions, cols, progress)
    table, report = _core.historical_ltv_of_log(
        stream,
        customer_id,
        date,
        amount,
        by,
        cohort,
        period,
        None if horizon is None else int(horizon),
        end,
        future,
        refunds,
    )
    meta = _meta(
        "historical_ltv",
        report,
        by=by,
        horizon=horizon,
        cohort=cohort,
        period=period,
        customer_id=customer_id,
        future=future,
        refunds=refunds,
    )
    result = _result(kind, table, meta, by if by is not None else "cohort")
    if kind == "pandas" and by is None:
        import pandas as pd

        result.index = pd.DatetimeIndex(result.index, name="cohort")
    return result


def is_log(value: Any) -> bool:
    """Whether ``value`` is a transaction log (a table, stream or path) rather than numbers."""
    if isinstance(value, os.PathLike):
        return True
    if isinstance(value, str):
        try:
            float(value.replace("_", ""))
        except ValueError:
            return True
        return False
    name = type(value).__name__
    if name in ("DataFrame", "LazyFrame", "Table", "RecordBatch", "RecordBatchReader"):
        return True
    if name in ("Series", "Array", "ChunkedArray", "ndarray"):
        return False
    return hasattr(value, "__arrow_c_stream__") or hasattr(value, "scanner")


def subscription_metrics(
    subscriptions: Any,
    *,
    customer_id: str = "customer_id",
    month: str = "month",
    mrr: str = "mrr",
    observation_end: Any = None,
    future: str = "raise",
    refunds: str = "net",
    progress: bool | None = None,
) -> Any:
    """MRR movements per calendar month from a subscription log.

    The log has one row per customer and month (any date in the month names the month; rows
    of the same customer and month are summed) with the monthly recurring revenue. With
    ``m_c(t)`` customer c's MRR in month t (0 when absent or not positive), ``p = m_c(t-1)``
    and ``q = m_c(t)``:

    - ``mrr`` = sum of ``m_c(t)``; ``customers`` = customers with ``m_c(t) > 0``;
      ``arpa`` = mrr / customers;
    - ``new_mrr``: q when ``p = 0 < q`` and c never paid before (``new_customers`` counts them);
    - ``reactivated_mrr``: q when ``p = 0 < q`` and c paid in an earlier month
      (``reactivated_customers``);
    - ``expansion_mrr``: q - p when ``0 < p < q``; ``contraction_mrr``: p - q when ``0 < q < p``;
    - ``churned_mrr``: p when ``p > 0 = q`` (``churned_customers``);
    - so that ``mrr(t) = mrr(t-1) + new + reactivated + expansion - contraction - churned``;
    - ``logo_churn`` = churned_customers / customers(t-1);
    - ``gross_revenue_retention`` = (mrr(t-1) - contraction - churned) / mrr(t-1);
    - ``net_revenue_retention`` = (mrr(t-1) + expansion - contraction - churned) / mrr(t-1);
    - ``quick_ratio`` = (new + reactivated + expansion) / (contraction + churned).

    Ratios with a zero denominator, and the first month's retention ratios, are null. Months
    run from the first month of the log to the last (or to ``observation_end``'s month).

    Parameters
    ----------
    subscriptions : DataFrame, pyarrow Table/RecordBatchReader, Arrow stream object or path
        The log (see the module docstring).
    customer_id, month, mrr : str
        Column names.
    observation_end, future, refunds
        As in :func:`rfm_summary`; refunds are netted within the customer-month (a month that
        nets to zero or less is a month without subscription).
    progress : bool, optional
        Show a tqdm progress bar while the log is read (``pip install "ltvkit[progress]"``).
        None (the default) shows one when the input is known to have at least 50 million rows
        (a Parquet path or dataset, a table or a DataFrame) and tqdm is installed.

    Returns
    -------
    DataFrame or pyarrow.Table
        One row per month (``month``, the first day; the pandas index) with the columns above.
    """
    end = _to_date(observation_end, "observation_end")
    kind, stream = _open(subscriptions, [customer_id, month, mrr], progress)
    table, report = _core.subscription_metrics(
        stream, customer_id, month, mrr, end, future, refunds
    )
    meta = _meta(
        "subscription_metrics",
        report,
        period="M",
        customer_id=customer_id,
        future=future,
        refunds=refunds,
    )
    result = _result(kind, table, meta, "month")
    if kind == "pandas":
        import pandas as pd

        result.index = pd.DatetimeIndex(result.index, name="month")
    return result


def value_breakdown(
    transactions: Any,
    *,
    value_type: str = "value_type",
    referred_by: str | None = None,
    referral_share: float = 1.0,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    observation_end: Any = None,
    future: str = "raise",
    refunds: str = "net",
    progress: bool | None = None,
) -> Any:
    """A customer's value by source, with referral credit.

    Each row carries a value type, one of the seven sources of a customer's value:
    ``initial`` (the initial purchase; alias ``acquisition``), ``upsell`` (alias
    ``upgrade``), ``renewal``, ``cross_sell``, ``expansion``, ``referral`` and ``lock_in``
    (switching cost; alias ``switching_cost``). Names are case-insensitive, ``-`` or a blank
    may replace ``_``.

    With ``referred_by`` (a column naming, on a referred customer's rows, the customer who
    referred them; null otherwise), ``referral_share`` times the referred customer's own value
    (all types) is credited to the referrer's ``referral`` column. A customer's referrer is the
    first non-null ``referred_by`` on their rows in date order.

    Parameters
    ----------
    transactions : DataFrame, pyarrow Table/RecordBatchReader, Arrow stream object or path
        The log (see the module docstring).
    value_type : str
        The column of value types.
    referred_by : str, optional
        The referrer column (customer ids as in ``customer_id``).
    referral_share : float
        The fraction (0..1) of a referred customer's value credited to the referrer.
    customer_id, date, amount, observation_end, future, refunds
        As in :func:`rfm_summary`; refunds are netted into the customer's total of their type.
    progress : bool, optional
        Show a tqdm progress bar while the log is read (``pip install "ltvkit[progress]"``).
        None (the default) shows one when the input is known to have at least 50 million rows
        (a Parquet path or dataset, a table or a DataFrame) and tqdm is installed.

    Returns
    -------
    DataFrame or pyarrow.Table
        One row per customer (the pandas index), one column per value type (``referral``
        includes the credit), ``referral_credit`` and ``total`` (own value + credit; summed
        over customers it counts credited value twice). :func:`metadata` holds
        ``summary``: ``revenue_by_type`` (own value per type over all customers), ``revenue``,
        ``cross_sell_upsell_share`` ((cross-sell + upsell) / revenue; a retailer is at about
        10%, Amazon reports 35%) and ``referrals_unmatched`` (referrers not in the log, whose
        credit is not assigned).

    Raises
    ------
    InvalidDataError
        As in :func:`rfm_summary`, and for an unknown value type (the first row with it).
    InvalidInputError
        ``referral_share`` outside [0, 1].

    References
    ----------
    Kumar, Petersen & Leone (2007), "How valuable is word of mouth?", *Harvard Business
    Review* 85(10) (customer referral value).
    """
    end = _to_date(observation_end, "observation_end")
    cols = [*_columns(customer_id, date, amount), value_type]
    if referred_by is not None:
        cols.append(referred_by)
    kind, stream = _open(transactions, cols, progress)
    table, report = _core.value_breakdown(
        stream,
        customer_id,
        date,
        amount,
        value_type,
        referred_by,
        float(referral_share),
        end,
        future,
        refunds,
    )
    meta = _meta(
        "value_breakdown",
        report,
        customer_id=customer_id,
        referral_share=referral_share,
        future=future,
        refunds=refunds,
    )
    return _result(kind, table, meta, customer_id)
