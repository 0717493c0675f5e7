"""The exceptions ltvkit raises.

Every error is an :class:`LtvError`; each class also subclasses the builtin exception that code
already catches (``ValueError``, ``RuntimeError``, ``OverflowError``, ``FileNotFoundError``,
``ImportError``). The Rust core raises these very classes, with the facts attached as
attributes where they apply: ``parameter``, ``value``, ``position`` (element of an array
argument) and ``row`` for inputs; ``column``, ``row`` and ``value`` for data; ``iterations``
and ``last_params`` for fits.
"""

from __future__ import annotations

__all__ = [
    "ArithmeticOverflowError",
    "ConvergenceError",
    "InvalidDataError",
    "InvalidInputError",
    "LtvError",
    "MissingDependencyError",
    "MissingFileError",
]


class LtvError(Exception):
    """Base class of every error raised by ltvkit."""


class InvalidInputError(LtvError, ValueError):
    """A parameter is outside its domain (zero orders, churn above 1, an unknown period, ...).

    Attributes ``parameter`` and ``value`` name the argument and what was passed; ``position``
    is the element of an array argument and ``row`` the row of a table, where they apply.
    """


class InvalidDataError(LtvError, ValueError):
    """A data set has an unusable row or column (null id, NaN amount, unparseable date, ...).

    Attributes ``column``, ``row`` (0-based, first offending row) and ``value``.
    """


class ConvergenceError(LtvError, RuntimeError):
    """A model fit did not converge; ``iterations`` and ``last_params`` say how far it got."""


class ArithmeticOverflowError(LtvError, OverflowError):
    """Exact (Decimal) or float arithmetic would leave the representable range."""


class MissingDependencyError(LtvError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class MissingFileError(LtvError, FileNotFoundError):
    """A path given as input (a transaction log, a bundled data set) does not exist; the
    message names it."""
