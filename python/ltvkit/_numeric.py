"""Adapts array-like arguments (lists, numpy, pandas and polars Series) for the Rust core.

Scalars go to the core as they are: it picks the exact Decimal path or the float path. When any
argument is array-like, every argument becomes a contiguous 1-D float64 array (no copy for
float64 input), the shapes are broadcast, and the result comes back in the kind of the first
array argument: a pandas Series keeps its index, a polars Series its name.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable
from typing import Any

from ltvkit.exceptions import InvalidInputError

__all__ = ["apply", "is_array_like"]


def is_array_like(value: object) -> bool:
    """Lists, tuples and anything with a non-empty ``shape`` (numpy, pandas, polars)."""
    if isinstance(value, (list, tuple)):
        return True
    shape = getattr(value, "shape", None)
    return isinstance(shape, tuple) and len(shape) >= 1


def _kind(value: object) -> str:
    module = type(value).__module__.split(".", 1)[0]
    if module == "pandas" and hasattr(value, "index"):
        return "pandas"
    if module == "polars":
        return "polars"
    return "numpy"


def _as_float_array(name: str, value: Any) -> Any:
    import numpy as np

    try:
        if _kind(value) == "polars":
            value = value.cast(float, strict=False).to_numpy()
        elif _kind(value) == "pandas":
            value = value.to_numpy(dtype="float64", na_value=np.nan)
        elif isinstance(value, (list, tuple)):
            value = [float(v) if isinstance(v, (decimal.Decimal, str)) else v for v in value]
            value = [np.nan if v is None else v for v in value]
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        msg = f"{name} cannot be read as numbers ({exc}); pass numbers, or clean the column first"
        raise InvalidInputError(msg) from exc


def _as_float(name: str, value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        msg = f"{name} is {value!r}: not a number"
        raise InvalidInputError(msg) from exc


def _relabel(exc: InvalidInputError, where: str) -> InvalidInputError:
    new = InvalidInputError(f"{exc} ({where})")
    new.__dict__.update(exc.__dict__)
    return new


def apply(
    core: Callable[..., Any],
    names: tuple[str, ...],
    values: tuple[Any, ...],
    *options: Any,
) -> Any:
    """Call ``core(*values, *options)``, broadcasting when any value is array-like."""
    if not any(is_array_like(v) for v in values):
        return core(*values, *options)

    import numpy as np

    template = next(v for v in values if is_array_like(v))
    arrays = {n: _as_float_array(n, v) for n, v in zip(names, values) if is_array_like(v)}
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError as exc:
        shapes = ", ".join(f"{n} {a.shape}" for n, a in arrays.items())
        msg = f"array arguments do not broadcast to one shape: {shapes}"
        raise InvalidInputError(msg) from exc
    args: list[Any] = []
    for name, value in zip(names, values):
        if name in arrays:
            a = arrays[name]
            if a.shape != shape:
                a = np.broadcast_to(a, shape)
            args.append(np.ascontiguousarray(a).reshape(-1))
        else:
            args.append(_as_float(name, value))
    try:
        out = core(*args, *options)
    except InvalidInputError as exc:
        position = getattr(exc, "position", None)
        if position is None:
            raise
        if len(shape) > 1:
            index = tuple(int(i) for i in np.unravel_index(position, shape))
            raise _relabel(exc, f"element {index} of the broadcast shape {shape}") from exc
        if _kind(template) == "pandas":
            raise _relabel(exc, f"index label {template.index[position]!r}") from exc
        raise
    out = out.reshape(shape)
    kind = _kind(template)
    if kind == "pandas" and len(shape) == 1 and len(template) == shape[0]:
        import pandas as pd

        return pd.Series(out, index=template.index, name=getattr(template, "name", None))
    if kind == "polars" and len(shape) == 1:
        import polars as pl

        return pl.Series(template.name, out)
    return out
