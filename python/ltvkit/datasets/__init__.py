"""Example data sets shipped with ltvkit.

``load_channels()`` is a small acquisition-channel table (one row per channel: spend, new
customers, AOV, purchases per year, lifespan in years and gross margin) for
:func:`ltvkit.channel_economics`. Its ``marketplace_ads`` row is a 500 product bought once
against a CAC of 550, a channel that loses 50 per customer.

``load_cdnow()`` is the CDNOW 1/10 sample transaction log (Fader & Hardie 2001; the copy in
lifetimes 0.11.3, ``CDNOW_sample.txt``): 6,919 rows, one per order line, of 2,357 customers who
first bought between 1997-01-01 and 1997-03-25, observed to 1998-06-30; columns
``customer_id`` (1..2357), ``date``, ``quantity`` (CDs) and ``amount`` (US dollars). Several
lines may share a customer-day (the summaries merge them).
"""

from __future__ import annotations

import csv
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from ltvkit import frames
from ltvkit.exceptions import MissingFileError

__all__ = ["load_cdnow", "load_channels", "path"]


def path(name: str) -> Path:
    """The file system path of a bundled data file, e.g. ``path("channels.csv")``."""
    p = Path(str(resources.files(__name__).joinpath(name)))
    if not p.is_file():
        available = sorted(f.name for f in Path(p.parent).glob("*.csv"))
        msg = f"no bundled data set {name!r}; available: {available}"
        raise MissingFileError(msg)
    return p


def _number(text: str) -> Any:
    if text.strip() == "":
        return None
    return Decimal(text)


def load_channels(kind: str = "dict") -> Any:
    """The example channel table.

    Parameters
    ----------
    kind : {"dict", "records", "pandas", "polars", "pyarrow"}
        The table type to return. Money and rates are exact ``Decimal`` values (so
        :func:`ltvkit.channel_economics` computes exactly) in ``dict`` and ``records``.

    Examples
    --------
    >>> table = load_channels()
    >>> table["channel"][:3]
    ['organic_search', 'paid_search', 'email']
    """
    with path("channels.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    columns: dict[str, list[Any]] = {
        name: [r[name] if name == "channel" else _number(r[name]) for r in rows] for name in rows[0]
    }
    if kind in ("pandas", "polars", "pyarrow"):
        columns = {
            k: [v if k == "channel" or v is None else float(v) for v in col]
            for k, col in columns.items()
        }
    elif kind not in ("dict", "records"):
        msg = f'kind is {kind!r}: use "dict", "records", "pandas", "polars" or "pyarrow"'
        raise ValueError(msg)
    return frames.from_columns(kind, columns)


def load_cdnow(kind: str = "pandas") -> Any:
    """The CDNOW sample transaction log (one row per order line).

    Parameters
    ----------
    kind : {"pandas", "polars", "pyarrow"}
        The table type to return; ``date`` is a datetime (pandas), a Date (polars) or a
        date32 (pyarrow) column.

    Examples
    --------
    >>> log = load_cdnow()
    >>> log.shape, round(float(log["amount"].sum()), 2)
    ((6919, 4), 244091.94)
    """
    file = path("cdnow_transactions.csv")
    if kind == "pandas":
        import pandas as pd

        return pd.read_csv(
            file,
            dtype={"customer_id": "int64", "quantity": "int64", "amount": "float64"},
            parse_dates=["date"],
        )
    if kind == "polars":
        import polars as pl

        return pl.read_csv(
            file,
            schema={
                "customer_id": pl.Int64,
                "date": pl.Date,
                "quantity": pl.Int64,
                "amount": pl.Float64,
            },
        )
    if kind == "pyarrow":
        import pyarrow as pa
        from pyarrow import csv

        return csv.read_csv(
            file,
            convert_options=csv.ConvertOptions(
                column_types={
                    "customer_id": pa.int64(),
                    "date": pa.date32(),
                    "quantity": pa.int64(),
                    "amount": pa.float64(),
                }
            ),
        )
    msg = f'kind is {kind!r}: use "pandas", "polars" or "pyarrow"'
    raise ValueError(msg)
