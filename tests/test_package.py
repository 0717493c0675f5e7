"""Package-level promises: light import, exceptions, bundled data."""

from __future__ import annotations

import subprocess
import sys

import ltvkit


def test_import_is_light():
    code = (
        "import sys, ltvkit; ltvkit.simple_ltv(50, 4, 3); "
        "heavy = [m for m in ('numpy', 'pandas', 'polars', 'pyarrow', 'matplotlib', 'xlwings') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_exception_hierarchy():
    assert issubclass(ltvkit.InvalidInputError, ValueError)
    assert issubclass(ltvkit.InvalidDataError, ValueError)
    assert issubclass(ltvkit.ConvergenceError, RuntimeError)
    for cls in (ltvkit.InvalidInputError, ltvkit.InvalidDataError, ltvkit.ConvergenceError):
        assert issubclass(cls, ltvkit.LtvError)


def test_bundled_channels_in_each_kind():
    import pandas as pd
    import polars as pl

    assert isinstance(ltvkit.datasets.load_channels("pandas"), pd.DataFrame)
    assert isinstance(ltvkit.datasets.load_channels("polars"), pl.DataFrame)
    records = ltvkit.datasets.load_channels("records")
    assert len(records) == 7
    assert records[-1]["channel"] == "marketplace_ads"


def test_version():
    import importlib.metadata

    assert ltvkit.__version__ == importlib.metadata.version("ltvkit")
