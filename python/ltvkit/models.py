"""Probabilistic customer-base models: BG/NBD, MBG/NBD, Gamma-Gamma, and CLV from them.

The classes live in the Rust core (``ltvkit._core``) and are immutable values: build one from
parameters (``BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426)``) or fit one
(``BetaGeoModel.fit(summary_frame)``). This module only adapts frames: it reads the named
columns of a pandas or polars DataFrame, a pyarrow Table or a dict of arrays as float64 arrays.

Examples
--------
>>> from ltvkit import BetaGeoModel
>>> m = BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426)
>>> round(m.conditional_expected_purchases(39.0, 2, 30.43, 38.86), 3)
1.226
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ltvkit._core import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    ShiftedBetaGeoModel,
    customer_lifetime_value,
)
from ltvkit.exceptions import InvalidDataError, InvalidInputError

__all__ = [
    "BetaGeoBetaBinomModel",
    "BetaGeoModel",
    "GammaGammaModel",
    "ModifiedBetaGeoModel",
    "ParetoNBDModel",
    "ShiftedBetaGeoModel",
    "customer_lifetime_value",
]


def _column_names(data: Any) -> list[str]:
    if hasattr(data, "column_names"):  # pyarrow.Table
        return [str(c) for c in data.column_names]
    if hasattr(data, "columns"):  # pandas / polars
        return [str(c) for c in data.columns]
    if isinstance(data, Mapping):
        return [str(k) for k in data]
    msg = (
        f"data must be a pandas or polars DataFrame, a pyarrow Table or a dict of arrays, "
        f"not {type(data).__name__}"
    )
    raise InvalidDataError(msg)


def _arrow_numpy(col: Any) -> Any:
    """A pyarrow column as a numpy array: a float64 column without nulls is viewed without a
    copy (and without pyarrow's ``to_numpy``, which imports pandas, 0.3 s, to check for it)."""
    import numpy as np
    import pyarrow as pa

    if isinstance(col, pa.ChunkedArray):
        col = col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()
    if col.type == pa.float64() and col.null_count == 0 and len(col) > 0:
        return np.frombuffer(
            col.buffers()[1], dtype=np.float64, count=len(col), offset=col.offset * 8
        )
    return col.to_numpy(zero_copy_only=False)


def _arrow_column(values: Any) -> Any:
    """``values`` (an Arrow column, or a numpy array) as a pyarrow column; a contiguous float64
    array is wrapped without a copy (and without ``pa.array``, which imports pandas)."""
    import numpy as np
    import pyarrow as pa

    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values
    if isinstance(values, np.ndarray) and values.dtype == np.float64 and values.ndim == 1:
        v = np.ascontiguousarray(values)
        return pa.Array.from_buffers(pa.float64(), len(v), [None, pa.py_buffer(v)])
    return pa.array(values)


def _as_float_array(data: Any, name: str) -> Any:
    import numpy as np

    if hasattr(data, "column_names"):
        col = data.column(name)
        values = _arrow_numpy(col) if hasattr(col, "to_numpy") else col
    elif isinstance(data, Mapping):
        values = data[name]
    else:
        values = data[name]
        values = values.to_numpy() if hasattr(values, "to_numpy") else values
    try:
        return np.ascontiguousarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        msg = f"column {name!r} cannot be read as numbers: {exc}"
        raise InvalidDataError(msg) from exc


# The period of an ltvkit summary (``metadata(frame)["period"]``) as a model time unit: "7D" is
# the papers' weeks (days / 7) and "W" counts calendar weeks; both are in weeks.
_PERIOD_UNITS = {"D": "day", "1D": "day", "7D": "week", "W": "week", "M": "month"}


def _data_unit(data: Any) -> str | None:
    """The time unit of a frame returned by ``rfm_summary``/``calibration_holdout``, read from
    the metadata they attach; None for other data. Called by the Rust ``fit`` methods when no
    ``unit=`` is given."""
    from ltvkit.exceptions import LtvError
    from ltvkit.transactions import metadata

    try:
        period = metadata(data).get("period")
    except LtvError:
        return None
    return _PERIOD_UNITS.get(str(period).upper())


def _columns(
    data: Any, spec: Sequence[tuple[str, Sequence[str]]], weights: Any = None
) -> list[Any]:
    """Float64 arrays of the columns named in ``spec`` (each with accepted spellings), then
    the weights (a column name or an array) if given. Called by the Rust ``fit`` methods."""
    names = _column_names(data)
    out = []
    for role, candidates in spec:
        found = next((c for c in candidates if c in names), None)
        if found is None:
            msg = (
                f"column {role!r} is missing: the data need one of the columns "
                f"{list(candidates)} (it has {names})"
            )
            raise InvalidDataError(msg)
        out.append(_as_float_array(data, found))
    if weights is not None:
        if isinstance(weights, str):
            if weights not in names:
                msg = f"weights column {weights!r} is missing (the data have {names})"
                raise InvalidDataError(msg)
            out.append(_as_float_array(data, weights))
        else:
            import numpy as np

            out.append(np.ascontiguousarray(weights, dtype=np.float64))
    return out


def _frame_kind(data: Any) -> str:
    module = type(data).__module__.split(".", 1)[0]
    return module if module in ("pandas", "polars", "pyarrow") else "dict"


def _customer_key(data: Any) -> tuple[str, Any] | None:
    """The customer-id column of a polars/pyarrow frame (named in ltvkit's metadata)."""
    from ltvkit.transactions import metadata

    try:
        name = metadata(data).get("customer_id", "customer_id")
    except InvalidInputError:  # a frame not made by ltvkit has no metadata
        name = "customer_id"
    if name in _column_names(data):
        col = data.column(name) if hasattr(data, "column_names") else data[name]
        return name, col
    return None


def _table(kind: str, data: Any, columns: dict[str, Any], *, keyed: bool) -> Any:
    """A table of ``kind`` holding ``columns``; with ``keyed``, one row per row of ``data``
    carrying its customer key (the pandas index, or the customer-id column)."""
    if kind == "pandas":
        import pandas as pd

        return pd.DataFrame(columns, index=data.index if keyed else None)
    key = _customer_key(data) if keyed and kind != "dict" else None
    if key is not None:
        columns = {key[0]: key[1], **columns}
    if kind == "polars":
        import polars as pl

        return pl.DataFrame(columns)
    if kind == "pyarrow":
        import pyarrow as pa

        return pa.Table.from_arrays(
            [_arrow_column(v) for v in columns.values()], names=list(columns)
        )
    return columns


def _keyed(data: Any, name: str, values: Any) -> Any:
    """Per-customer predictions as the caller's frame kind keyed by customer; a numpy array
    when ``data`` is a dict of arrays. Called by the Rust prediction methods."""
    kind = _frame_kind(data)
    if kind == "dict":
        return values
    return _table(kind, data, {name: values}, keyed=True)


def _log_table(kind: str, customer_id: Any, days: Any) -> Any:
    """A simulated log (ids, days since 1970-01-01) as a table of ``kind``. Called by the Rust
    ``simulate_transactions`` methods."""
    dates = days.astype("datetime64[D]")
    columns = {"customer_id": customer_id, "date": dates}
    if kind == "dict":
        return columns
    if kind == "pandas":
        import pandas as pd

        return pd.DataFrame(columns)
    if kind == "polars":
        import polars as pl

        return pl.DataFrame(columns)
    if kind == "pyarrow":
        import pyarrow as pa

        return pa.table(columns)
    msg = f"kind is {kind!r}: use 'pandas', 'polars', 'pyarrow' or 'dict'"
    raise InvalidInputError(msg)
