"""Lazy imports of optional dependencies, with an error that says what to install."""

from __future__ import annotations

import importlib
from types import ModuleType

from ltvkit.exceptions import MissingDependencyError

__all__ = ["import_optional"]


def import_optional(name: str, *, extra: str) -> ModuleType:
    """Import ``name`` or raise :class:`MissingDependencyError` naming the ltvkit extra."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        msg = f'{name} is needed for this; install it with: pip install "ltvkit[{extra}]"'
        raise MissingDependencyError(msg) from exc
