"""CLV with the Pareto/NBD model, and BG/NBD / MBG/NBD expected purchases where the 2F1 of
the closed forms is hard (a + b <= 1, a = 1).

References are computed here: scipy's QAWS quadrature of the models' definitions (FHL 2005
section 3: E[X(t) | lambda, p] = (1 - exp(-lambda p t)) / p, averaged over lambda ~ Gamma(r,
alpha) in closed form and over p ~ Beta(a, b) numerically), which uses no hypergeometric
function at all; and the Pareto/NBD mpmath integrals stored by
tests/data/make_pareto_nbd_reference.py.
"""

from __future__ import annotations

import math
import pathlib

import numpy as np
import pytest
from scipy import integrate, special

import ltvkit
from ltvkit import (
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
)

DATA = pathlib.Path(__file__).parent / "data"
# QUADPACK's QAWS is asked for 1e-12 relative; the closed forms are accurate to ~1e-13.
QUAD_REL_TOL = 1e-9
# The Pareto/NBD reference integrals were computed by mpmath to 15 digits.
REFERENCE_REL_TOL = 1e-9


def _beta_average(f, a: float, b: float) -> float:
    """E[f(p)] for p ~ Beta(a, b), with QAWS absorbing p^(a-1) (1-p)^(b-1)."""
    val, _ = integrate.quad(
        f, 0.0, 1.0, weight="alg", wvar=(a - 1.0, b - 1.0), epsabs=0.0, epsrel=1e-12, limit=200
    )
    return val / special.beta(a, b)


def _bg_new(r: float, alpha: float, a: float, b: float, t: float) -> float:
    # E[(1 - (alpha / (alpha + p t))^r) / p]; the integrand tends to r t / alpha at p = 0.
    def f(p: float) -> float:
        return -math.expm1(r * math.log(alpha / (alpha + p * t))) / p if p > 0 else r * t / alpha

    return _beta_average(f, a, b)


def _mbg_new(r: float, alpha: float, a: float, b: float, t: float) -> float:
    # MBG/NBD: the customer also drops out at time 0 with probability p.
    def f(p: float) -> float:
        g = -math.expm1(r * math.log(alpha / (alpha + p * t))) / p if p > 0 else r * t / alpha
        return (1.0 - p) * g

    return _beta_average(f, a, b)


def _bg_conditional(r, alpha, a, b, t, x, tx, big_t) -> float:
    """E[Y(t) | x, t_x, T] = E[alive and buys] / P(data), lambda integrated in closed form."""
    k = r + x

    def alive_and_buys(p: float) -> float:
        if p == 0:
            return k * t / (alpha + big_t) ** (k + 1)
        return (1 - p) ** x * ((alpha + big_t) ** -k - (alpha + big_t + p * t) ** -k) / p

    num = _beta_average(alive_and_buys, a, b)
    den = (alpha + big_t) ** -k * special.beta(a, b + x) / special.beta(a, b)
    if x > 0:
        den += (alpha + tx) ** -k * special.beta(a + 1, b + x - 1) / special.beta(a, b)
    return num / den


@pytest.mark.parametrize(
    ("r", "alpha", "a", "b"),
    [
        (0.243, 4.414, 0.3, 0.4),  # a + b < 1: c = a + b - 1 < 0
        (0.243, 4.414, 0.6, 0.4),  # a + b = 1: c = 0, the DLMF 15.2.3 limit
        (0.243, 4.414, 1.0, 2.426),  # a = 1: the removable singularity
        (0.243, 4.414, 1.0 + 3e-6, 2.426),  # just beside it (midpoint derivative)
        (0.243, 4.414, 0.793, 2.426),  # FHL 2005's CDNOW estimates: the ordinary case
    ],
)
@pytest.mark.parametrize("t", [1.0, 39.0, 520.0])
def test_bg_nbd_expected_purchases_against_quadrature(r, alpha, a, b, t) -> None:
    m = BetaGeoModel(r=r, alpha=alpha, a=a, b=b)
    assert m.expected_purchases(t) == pytest.approx(_bg_new(r, alpha, a, b, t), rel=QUAD_REL_TOL)
    for x, tx, big_t in [(0, 0.0, 38.86), (2, 30.43, 38.86), (14, 37.1, 38.0)]:
        got = m.conditional_expected_purchases(t, x, tx, big_t)
        want = _bg_conditional(r, alpha, a, b, t, x, tx, big_t)
        assert got == pytest.approx(want, rel=QUAD_REL_TOL), (x, tx, big_t)


@pytest.mark.parametrize("a", [1.0, 0.35, 1.0 - 4e-6])
def test_mbg_nbd_expected_purchases_at_a_equal_one(a: float) -> None:
    r, alpha, b = 0.5, 6.0, 1.7
    m = ModifiedBetaGeoModel(r=r, alpha=alpha, a=a, b=b)
    for t in (2.0, 52.0):
        assert m.expected_purchases(t) == pytest.approx(
            _mbg_new(r, alpha, a, b, t), rel=QUAD_REL_TOL
        )


def test_clv_with_pareto_nbd_matches_reference_integrals() -> None:
    """Undiscounted CLV over 39 one-week periods telescopes to margin * E[spend] * E[Y(39)]."""
    ref = np.genfromtxt(DATA / "pareto_nbd_reference.csv", delimiter=",", names=True, dtype=None)
    row = ref[1]  # CDNOW estimates, x = 0, T = 27 weeks
    pnbd = ParetoNBDModel(r=row["r"], alpha=row["alpha"], s=row["s"], beta=row["beta"])
    p, q, g = 6.25, 3.74, 15.44
    gg = GammaGammaModel(p=p, q=q, gamma=g)
    x, tx, big_t, zbar = float(row["x"]), float(row["t_x"]), float(row["T"]), 0.0
    # Gamma-Gamma conditional expected spend (Fader & Hardie 2013, eq. 5) by hand.
    spend = (g + x * zbar) * p / (p * x + q - 1)
    value = ltvkit.customer_lifetime_value(
        pnbd,
        gg,
        frequency=[x],
        recency=[tx],
        T=[big_t],
        monetary_value=[zbar],
        horizon=39,
        unit="week",
        discount_rate=0.0,
        margin=0.25,
        data_unit="week",
    )
    assert value[0] == pytest.approx(0.25 * spend * row["expected_39"], rel=REFERENCE_REL_TOL)


def test_clv_with_pareto_nbd_discounts_each_period_from_a_fitted_unit() -> None:
    pnbd = ParetoNBDModel(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    gg = GammaGammaModel(p=6.25, q=3.74, gamma=15.44)
    x, tx, big_t, zbar = 3.0, 20.0, 38.0, 40.0
    values, schedule = ltvkit.customer_lifetime_value(
        pnbd,
        gg,
        frequency=[x],
        recency=[tx],
        T=[big_t],
        monetary_value=[zbar],
        horizon=2,
        unit="quarter",
        discount_rate=0.03,
        data_unit="week",
        schedule=True,
    )
    quarter = 365.2425 / 4 / 7  # weeks
    spend = (15.44 + x * zbar) * 6.25 / (6.25 * x + 3.74 - 1)
    cum = [0.0] + [pnbd.conditional_expected_purchases(k * quarter, x, tx, big_t) for k in (1, 2)]
    want = [(cum[k] - cum[k - 1]) * spend / 1.03**k for k in (1, 2)]
    np.testing.assert_allclose(schedule[0], want, rtol=1e-12)
    assert values[0] == pytest.approx(sum(want), rel=1e-12)


def test_clv_rejects_other_transaction_models() -> None:
    gg = GammaGammaModel(p=6.25, q=3.74, gamma=15.44)
    with pytest.raises(ltvkit.InvalidInputError, match="ParetoNBDModel"):
        ltvkit.customer_lifetime_value(
            gg,
            gg,
            frequency=[1],
            recency=[1],
            T=[2],
            monetary_value=[1],
            horizon=1,
            unit="week",
            discount_rate=0.0,
            data_unit="week",
        )


@pytest.fixture(scope="module")
def cdnow_summaries():

    log = ltvkit.datasets.load_cdnow("polars")
    summary = ltvkit.rfm_summary(log, period="7D", amount="amount")
    return summary, summary.to_pandas().set_index("customer_id"), summary.to_arrow()


@pytest.mark.parametrize("model_class", [BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel])
def test_predictions_on_frames_keep_kind_and_customer(cdnow_summaries, model_class) -> None:
    import pandas as pd
    import polars as pl
    import pyarrow as pa

    pl_frame, pd_frame, pa_table = cdnow_summaries
    m = model_class.fit(pl_frame)
    x = pl_frame["frequency"].to_numpy()
    tx = pl_frame["recency"].to_numpy()
    t = pl_frame["T"].to_numpy()
    # The array path is the reference: frames only change the container.
    want = m.conditional_expected_purchases(10.0, x, tx, t)
    got_pl = m.conditional_expected_purchases(10.0, data=pl_frame)
    assert isinstance(got_pl, pl.DataFrame)
    assert got_pl.columns == ["customer_id", "expected_purchases"]
    assert got_pl["customer_id"].to_list() == pl_frame["customer_id"].to_list()
    np.testing.assert_array_equal(got_pl["expected_purchases"].to_numpy(), want)
    got_pd = m.p_alive(data=pd_frame)
    assert isinstance(got_pd, pd.DataFrame)
    assert list(got_pd.index) == list(pd_frame.index)
    np.testing.assert_array_equal(got_pd["p_alive"].to_numpy(), m.p_alive(x, tx, t))
    got_pa = m.conditional_expected_purchases(10.0, data=pa_table)
    assert isinstance(got_pa, pa.Table)
    np.testing.assert_array_equal(got_pa.column("expected_purchases").to_numpy(), want)
    # A dict of arrays gives an array, as arrays do.
    got_dict = m.p_alive(data={"frequency": x, "recency": tx, "T": t})
    assert isinstance(got_dict, np.ndarray)
    with pytest.raises(ltvkit.InvalidInputError, match="recency is missing"):
        m.p_alive(x)


def test_clv_on_a_frame_is_keyed_by_customer(cdnow_summaries) -> None:
    import pandas as pd

    _, pd_frame, _ = cdnow_summaries
    repeat = pd_frame[pd_frame["frequency"] > 0]
    bg = BetaGeoModel.fit(pd_frame, unit="week")
    gg = GammaGammaModel.fit(repeat)
    got = ltvkit.customer_lifetime_value(
        bg, gg, repeat, horizon=12, unit="month", discount_rate=0.01
    )
    want = ltvkit.customer_lifetime_value(
        bg,
        gg,
        frequency=repeat["frequency"].to_numpy(),
        recency=repeat["recency"].to_numpy(),
        T=repeat["T"].to_numpy(),
        monetary_value=repeat["monetary_value"].to_numpy(),
        horizon=12,
        unit="month",
        discount_rate=0.01,
    )
    assert isinstance(got, pd.DataFrame)
    assert list(got.index) == list(repeat.index)
    np.testing.assert_array_equal(got["clv"].to_numpy(), want)
