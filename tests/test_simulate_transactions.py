"""Simulated transaction logs: the pipeline log -> rfm_summary -> fit recovers the parameters
the log was simulated from (within a few of the fit's own standard errors)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import ltvkit
from ltvkit import BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel

# |estimate - truth| / standard error: a 4-sigma band fails by chance about 6e-5 of the time
# per parameter; day truncation and same-day purchases (about 1% of purchases at these
# rates) add a small bias well inside it.
Z_MAX = 4.0
START = dt.date(2021, 3, 1)


@pytest.mark.parametrize(
    ("model", "names"),
    [
        (BetaGeoModel(r=0.5, alpha=100.0, a=0.8, b=2.5), ("r", "alpha", "a", "b")),
        (ModifiedBetaGeoModel(r=0.5, alpha=100.0, a=0.8, b=2.5), ("r", "alpha", "a", "b")),
        (ParetoNBDModel(r=0.5, alpha=100.0, s=0.7, beta=400.0), ("r", "alpha", "s", "beta")),
    ],
)
def test_log_to_summary_to_fit_recovers_parameters(model, names) -> None:
    horizon = 730.0
    log = model.simulate_transactions(6000, horizon, seed=11, start=START, unit="day")
    assert list(log.columns) == ["customer_id", "date"]
    assert log["customer_id"].nunique() == 6000
    first = log.groupby("customer_id")["date"].min()
    assert (first == np.datetime64(START)).all()
    end = START + dt.timedelta(days=int(horizon))
    assert log["date"].max() <= np.datetime64(end)
    summary = ltvkit.rfm_summary(log, period="D", observation_end=end)
    assert (summary["T"] == horizon).all()
    fit = type(model).fit(summary)
    truth = model.params
    for name in names:
        z = (fit.params[name] - truth[name]) / fit.standard_errors[name]
        assert abs(z) < Z_MAX, (name, fit.params[name], truth[name], z)


def test_kinds_units_and_errors() -> None:
    import polars as pl

    m = BetaGeoModel(r=2.0, alpha=4.0, a=0.5, b=3.0)
    log = m.simulate_transactions(50, 52.0, seed=3, start=START, unit="week", kind="polars")
    assert isinstance(log, pl.DataFrame)
    # 52 weeks = 364 days after START.
    assert log["date"].max() <= START + dt.timedelta(days=364)
    d = m.simulate_transactions(5, 3.0, kind="dict")
    assert d["date"].dtype == np.dtype("datetime64[D]")
    assert d["date"].min() == np.datetime64("2000-01-01")
    with pytest.raises(ltvkit.InvalidInputError, match="n_customers"):
        m.simulate_transactions(0, 10.0)
    with pytest.raises(ltvkit.InvalidInputError, match="not a time unit"):
        m.simulate_transactions(3, 10.0, unit="fortnight")
    with pytest.raises(ltvkit.InvalidInputError, match="kind"):
        m.simulate_transactions(3, 10.0, kind="excel")
