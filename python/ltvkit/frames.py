"""Tables in and out: pandas, polars, pyarrow, a dict of columns or a list of row dicts.

A table comes back as the same kind it came in as. Only the library the caller already uses is
imported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ltvkit.exceptions import InvalidInputError

__all__ = ["from_columns", "to_columns"]


def _kind(table: object) -> str:
    module = type(table).__module__.split(".", 1)[0]
    if module in ("pandas", "polars", "pyarrow") and hasattr(table, "columns"):
        return module
    if isinstance(table, Mapping):
        return "dict"
    if isinstance(table, Sequence) and not isinstance(table, (str, bytes)):
        return "records"
    msg = (
        f"a table must be a pandas or polars DataFrame, a pyarrow Table, a dict of columns or "
        f"a list of row dicts, not {type(table).__name__}"
    )
    raise InvalidInputError(msg)


def to_columns(table: Any) -> tuple[str, dict[str, list[Any]]]:
    """The table's kind and its columns as Python lists (values keep their Python types)."""
    kind = _kind(table)
    if kind == "pandas":
        return kind, {str(c): table[c].tolist() for c in table.columns}
    if kind == "polars":
        return kind, {c: table[c].to_list() for c in table.columns}
    if kind == "pyarrow":
        return kind, {c: table.column(c).to_pylist() for c in table.column_names}
    if kind == "dict":
        columns = {str(k): list(v) for k, v in table.items()}
        lengths = {k: len(v) for k, v in columns.items()}
        if len(set(lengths.values())) > 1:
            msg = f"the columns have different lengths: {lengths}"
            raise InvalidInputError(msg)
        return kind, columns
    names: list[str] = []
    for i, row in enumerate(table):
        if not isinstance(row, Mapping):
            msg = f"row {i} is a {type(row).__name__}; a list table needs one dict per row"
            raise InvalidInputError(msg)
        names.extend(str(k) for k in row if str(k) not in names)
    return kind, {n: [row.get(n) for row in table] for n in names}


def from_columns(kind: str, columns: dict[str, list[Any]]) -> Any:
    """A table of ``kind`` (as returned by :func:`to_columns`) holding ``columns``."""
    if kind == "pandas":
        import pandas as pd

        return pd.DataFrame(columns)
    if kind == "polars":
        import polars as pl

        return pl.DataFrame(columns, strict=False)
    if kind == "pyarrow":
        import pyarrow as pa

        return pa.table(columns)
    if kind == "dict":
        return columns
    n = len(next(iter(columns.values()), []))
    return [{k: v[i] for k, v in columns.items()} for i in range(n)]
