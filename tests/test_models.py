"""The Python contract of the probabilistic models: construction, fitting from every frame
kind, vectorised predictions, errors, JSON and pickle.

Numbers asserted come from Fader, Hardie & Lee (2005) (BG/NBD on CDNOW), Fader & Hardie (2013)
(Gamma-Gamma), lifetimes 0.11.3 outputs stored by
tests/data/make_lifetimes_reference_models.py, hand calculations written here, or scipy
references computed here.
"""

from __future__ import annotations

import json
import math
import pathlib
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ltvkit
from ltvkit import BetaGeoModel, GammaGammaModel, ModifiedBetaGeoModel

DATA = pathlib.Path(__file__).parent / "data"
# FHL 2005 prints the BG/NBD estimates to 3 decimals: half a unit of the last digit.
PAPER_3DP_TOL = 5e-4
# Same formula evaluated by lifetimes and by ltvkit: only rounding differs.
FORMULA_REL_TOL = 1e-8


@pytest.fixture(scope="module")
def cdnow() -> dict[str, np.ndarray]:
    raw = np.genfromtxt(DATA / "cdnow_summary_monetary.csv", delimiter=",", names=True)
    return {name: np.asarray(raw[name], dtype=float) for name in raw.dtype.names}


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads((DATA / "lifetimes_reference.json").read_text())


@pytest.fixture(scope="module")
def reference_customers() -> dict[str, np.ndarray]:
    raw = np.genfromtxt(DATA / "lifetimes_reference_customers.csv", delimiter=",", names=True)
    return {name: np.asarray(raw[name], dtype=float) for name in raw.dtype.names}


@pytest.fixture(scope="module")
def bg_fit(cdnow: dict[str, np.ndarray]) -> BetaGeoModel:
    return BetaGeoModel.fit(frequency=cdnow["x"], recency=cdnow["t_x"], T=cdnow["T"], unit="week")


def test_bg_nbd_fit_matches_fader_hardie_lee_2005(bg_fit: BetaGeoModel) -> None:
    # FHL 2005: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4.
    for name, want in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}.items():
        assert abs(bg_fit.params[name] - want) < PAPER_3DP_TOL
    assert bg_fit.log_likelihood == pytest.approx(-9582.4, abs=0.05)
    assert bg_fit.n_customers == 2357
    assert bg_fit.converged is True
    assert bg_fit.n_iterations > 0
    # aic/bic by their definitions, k = 4.
    assert bg_fit.aic == pytest.approx(8 - 2 * bg_fit.log_likelihood)
    assert bg_fit.bic == pytest.approx(4 * math.log(2357) - 2 * bg_fit.log_likelihood)


def test_fit_from_each_frame_kind_gives_the_same_model(cdnow: dict[str, np.ndarray]) -> None:
    import pandas as pd
    import polars as pl
    import pyarrow as pa

    cols = {"frequency": cdnow["x"], "recency": cdnow["t_x"], "T": cdnow["T"]}
    fits = [
        BetaGeoModel.fit(pd.DataFrame(cols)),
        BetaGeoModel.fit(pl.DataFrame(cols)),
        BetaGeoModel.fit(pa.table(cols)),
        BetaGeoModel.fit(cols),
    ]
    for f in fits[1:]:
        assert f.params == fits[0].params


def test_strided_and_integer_columns_give_the_same_fit_and_clv(
    cdnow: dict[str, np.ndarray],
) -> None:
    # Contiguous float64 arrays are read in place; a strided view (every row of a 2-D array's
    # column) and integer frequencies are copied first. All three must agree exactly.
    x, tx, big_t = cdnow["x"], cdnow["t_x"], cdnow["T"]
    block = np.column_stack([x, tx, big_t])
    assert not block[:, 1].flags["C_CONTIGUOUS"]
    plain = BetaGeoModel.fit(frequency=x, recency=tx, T=big_t)
    strided = BetaGeoModel.fit(frequency=block[:, 0], recency=block[:, 1], T=block[:, 2])
    ints = BetaGeoModel.fit(frequency=x.astype(np.int64), recency=tx, T=big_t)
    assert strided.params == plain.params
    assert ints.params == plain.params
    p = plain.p_alive(x, tx, big_t)
    assert np.array_equal(plain.p_alive(block[:, 0], block[:, 1], block[:, 2]), p)


def test_weights_equal_repeated_rows() -> None:
    # The same customers given row by row, or as unique rows with counts as weights.
    sim = BetaGeoModel(r=0.5, alpha=6.0, a=0.9, b=3.0).simulate(800, 12.0, seed=11)
    rows = np.column_stack([sim["frequency"], sim["recency"], sim["T"]])
    unique, counts = np.unique(rows, axis=0, return_counts=True)
    assert len(unique) < len(rows)
    plain = BetaGeoModel.fit(sim)
    weighted = BetaGeoModel.fit(
        frequency=unique[:, 0], recency=unique[:, 1], T=unique[:, 2], weights=counts
    )
    for k, v in weighted.params.items():
        assert v == pytest.approx(plain.params[k], rel=1e-6)
    assert weighted.n_customers == 800


def test_standard_errors_and_intervals(bg_fit: BetaGeoModel) -> None:
    se = bg_fit.standard_errors
    assert se is not None
    assert set(se) == {"r", "alpha", "a", "b"}
    ci = bg_fit.confidence_intervals(0.9)
    for name, (lo, hi) in ci.items():
        p = bg_fit.params[name]
        assert 0 < lo < p < hi
        # Log-scale Wald interval: its log-width is 2 z se / p, z = 1.6449 for 90%.
        assert math.log(hi / lo) == pytest.approx(2 * 1.6448536269514722 * se[name] / p)
    table = bg_fit.summary()
    assert table["parameter"] == ["r", "alpha", "a", "b"]
    assert table["std_error"] == [se[k] for k in table["parameter"]]


def test_predictions_match_lifetimes(
    reference: dict, reference_customers: dict[str, np.ndarray], cdnow: dict[str, np.ndarray]
) -> None:
    m = BetaGeoModel(**reference["bg"]["params"])
    got = m.conditional_expected_purchases(39.0, cdnow["x"], cdnow["t_x"], cdnow["T"])
    np.testing.assert_allclose(got, reference_customers["bg_conditional_39"], rtol=FORMULA_REL_TOL)
    alive = m.p_alive(cdnow["x"], cdnow["t_x"], cdnow["T"])
    np.testing.assert_allclose(alive, reference_customers["bg_p_alive"], rtol=FORMULA_REL_TOL)
    for t, want in reference["bg"]["expected_new"].items():
        assert m.expected_purchases(float(t)) == pytest.approx(want, rel=FORMULA_REL_TOL)
    pn = m.probability_of_purchases(np.arange(11), 39.0)
    np.testing.assert_allclose(pn, reference["bg"]["p_n_purchases_t39"], rtol=FORMULA_REL_TOL)

    mbg = ModifiedBetaGeoModel(**reference["mbg"]["params"])
    got = mbg.conditional_expected_purchases(39.0, cdnow["x"], cdnow["t_x"], cdnow["T"])
    np.testing.assert_allclose(got, reference_customers["mbg_conditional_39"], rtol=FORMULA_REL_TOL)


def test_fhl_2005_spreadsheet_customer() -> None:
    # FHL 2005's spreadsheet: x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases in 39 weeks.
    m = BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426)
    assert m.conditional_expected_purchases(39, 2, 30.43, 38.86) == pytest.approx(
        1.226, abs=PAPER_3DP_TOL
    )
    assert isinstance(m.p_alive(0, 0, 10), float)
    assert m.p_alive(0, 0, 10) == 1.0


def test_p_alive_by_hand() -> None:
    # 1 / (1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)) with r=1, alpha=1, a=1, b=2, x=1,
    # t_x=1, T=3: 1 / (1 + 1/2 * 2^2) = 1/3.
    m = BetaGeoModel(r=1.0, alpha=1.0, a=1.0, b=2.0)
    assert m.p_alive(1, 1, 3) == pytest.approx(1 / 3, rel=1e-14)


def test_gamma_gamma_fit_and_spend(
    cdnow: dict[str, np.ndarray], reference: dict, reference_customers: dict[str, np.ndarray]
) -> None:
    import pandas as pd

    frame = pd.DataFrame({"frequency": cdnow["x"], "monetary_value": cdnow["zbar"]})
    gg = GammaGammaModel.fit(frame, unit="USD")
    want = reference["gg"]["params"]
    # lifetimes calls gamma "v"; two optimizers at a flat optimum agree to ~1e-3.
    assert gg.params["p"] == pytest.approx(want["p"], rel=1e-3)
    assert gg.params["q"] == pytest.approx(want["q"], rel=1e-3)
    assert gg.params["gamma"] == pytest.approx(want["v"], rel=1e-3)
    assert gg.n_customers == 946
    # Pearson correlation among repeat buyers, computed here with numpy.
    rb = cdnow["x"] > 0
    corr = np.corrcoef(cdnow["x"][rb], cdnow["zbar"][rb])[0, 1]
    assert gg.spend_frequency_correlation == pytest.approx(corr, rel=1e-12)
    fixed = GammaGammaModel(p=want["p"], q=want["q"], gamma=want["v"])
    spend = fixed.conditional_expected_spend(cdnow["x"], cdnow["zbar"])
    np.testing.assert_allclose(
        spend, reference_customers["gg_expected_spend"], rtol=FORMULA_REL_TOL
    )
    # Population mean p gamma / (q - 1) by hand.
    assert GammaGammaModel(p=6, q=4, gamma=15).population_mean_spend() == pytest.approx(30)


def test_clv_matches_hand_calculation_and_units(reference: dict) -> None:
    bg = BetaGeoModel(**reference["bg"]["params"])
    g = reference["gg"]["params"]
    gg = GammaGammaModel(p=g["p"], q=g["q"], gamma=g["v"])
    x, tx, t, m = np.array([2.0]), np.array([30.43]), np.array([38.86]), np.array([22.35])
    values, schedule = ltvkit.customer_lifetime_value(
        bg,
        gg,
        frequency=x,
        recency=tx,
        T=t,
        monetary_value=m,
        horizon=3,
        unit="month",
        discount_rate=0.02,
        margin=0.3,
        data_unit="week",
        schedule=True,
    )
    # By hand from the model's own building blocks: months are 30.436875 days = 4.3481 weeks.
    month = 365.2425 / 12 / 7
    cum = [0.0] + [bg.conditional_expected_purchases(k * month, 2, 30.43, 38.86) for k in (1, 2, 3)]
    spend = gg.conditional_expected_spend(2, 22.35) * 0.3
    want = [(cum[k] - cum[k - 1]) * spend / 1.02**k for k in (1, 2, 3)]
    np.testing.assert_allclose(schedule[0], want, rtol=1e-12)
    assert values[0] == pytest.approx(sum(want), rel=1e-12)


def test_clv_needs_the_data_unit() -> None:
    bg = BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426)
    gg = GammaGammaModel(p=6.25, q=3.74, gamma=15.44)
    kwargs = {"frequency": [1], "recency": [2], "T": [5], "monetary_value": [10]}
    with pytest.raises(ltvkit.InvalidInputError, match="data_unit"):
        ltvkit.customer_lifetime_value(
            bg, gg, horizon=12, unit="month", discount_rate=0.01, **kwargs
        )
    with pytest.raises(ltvkit.InvalidInputError, match="not a time unit"):
        ltvkit.customer_lifetime_value(
            bg, gg, horizon=12, unit="fortnight", discount_rate=0.01, data_unit="week", **kwargs
        )


def test_json_and_pickle_round_trips(bg_fit: BetaGeoModel) -> None:
    text = bg_fit.to_json()
    doc = json.loads(text)
    assert doc["model"] == "BetaGeoModel"
    assert doc["unit"] == "week"
    assert doc["ltvkit_version"] == ltvkit.__version__
    back = BetaGeoModel.from_json(text)
    assert back == bg_fit
    assert back.standard_errors == bg_fit.standard_errors
    assert pickle.loads(pickle.dumps(bg_fit)) == bg_fit
    plain = GammaGammaModel(p=1, q=2, gamma=3)
    assert pickle.loads(pickle.dumps(plain)) == plain
    assert plain.log_likelihood is None
    assert "GammaGammaModel(p=1.000000" in repr(plain)


def test_from_json_rejects_other_models_and_bad_params() -> None:
    text = GammaGammaModel(p=1, q=2, gamma=3).to_json()
    with pytest.raises(ltvkit.InvalidInputError, match="GammaGammaModel"):
        BetaGeoModel.from_json(text)
    with pytest.raises(ltvkit.InvalidInputError, match="not a saved ltvkit model"):
        BetaGeoModel.from_json("{")
    bad = json.loads(text)
    bad["params"] = [["p", -1.0], ["q", 2.0], ["gamma", 3.0]]
    with pytest.raises(ltvkit.InvalidInputError) as err:
        GammaGammaModel.from_json(json.dumps(bad))
    assert err.value.parameter == "p"


def test_errors_name_parameter_row_and_value() -> None:
    with pytest.raises(ltvkit.InvalidInputError) as err:
        BetaGeoModel(r=0.0, alpha=1, a=1, b=1)
    assert err.value.parameter == "r"
    with pytest.raises(ltvkit.InvalidDataError) as derr:
        BetaGeoModel.fit(frequency=[1, 2], recency=[1, 9], T=[5, 5])
    assert derr.value.column == "recency"
    assert derr.value.row == 1
    assert derr.value.value == "9"
    with pytest.raises(ltvkit.InvalidDataError, match="missing"):
        BetaGeoModel.fit({"freq": [1], "recency": [1], "T": [2]})
    m = BetaGeoModel(r=1, alpha=1, a=1.5, b=2)
    with pytest.raises(ltvkit.InvalidInputError) as perr:
        m.p_alive([1, 1], [1, 4], [3, 3])
    assert perr.value.parameter == "recency"
    assert perr.value.position == 1
    with pytest.raises(ltvkit.InvalidDataError):
        GammaGammaModel.fit(frequency=[1, 2], monetary_value=[3.0, 0.0])


def test_simulate_and_recover() -> None:
    truth = {"r": 0.5, "alpha": 6.0, "a": 0.9, "b": 3.0}
    sim = BetaGeoModel(**truth).simulate(6000, 40.0, seed=3)
    assert set(sim) == {"frequency", "recency", "T"}
    fit = BetaGeoModel.fit(sim)
    se = fit.standard_errors
    assert se is not None
    for k, v in truth.items():
        assert abs(fit.params[k] - v) < 4 * se[k]


def test_degenerate_data_fit_or_convergence_error() -> None:
    # Everyone a one-time buyer: a finite fit or a ConvergenceError, never NaN.
    fit = None
    last_params = None
    try:
        fit = BetaGeoModel.fit(frequency=[0] * 30, recency=[0] * 30, T=[20] * 30)
    except ltvkit.ConvergenceError as e:
        last_params = e.last_params
    if fit is None:
        assert last_params
    else:
        assert all(math.isfinite(v) and v > 0 for v in fit.params.values())


@settings(max_examples=60, deadline=None)
@given(
    x=st.integers(min_value=0, max_value=200),
    frac=st.floats(min_value=0.0, max_value=1.0),
    big_t=st.floats(min_value=0.1, max_value=500.0),
    r=st.floats(min_value=0.01, max_value=10.0),
    alpha=st.floats(min_value=0.01, max_value=100.0),
    a=st.floats(min_value=0.01, max_value=10.0),
    b=st.floats(min_value=0.01, max_value=10.0),
)
def test_p_alive_is_a_probability(x, frac, big_t, r, alpha, a, b) -> None:
    tx = 0.0 if x == 0 else frac * big_t
    for model in (BetaGeoModel(r, alpha, a, b), ModifiedBetaGeoModel(r, alpha, a, b)):
        p = model.p_alive(x, tx, big_t)
        assert 0.0 <= p <= 1.0


@settings(max_examples=40, deadline=None)
@given(
    r=st.floats(min_value=0.05, max_value=5.0),
    alpha=st.floats(min_value=0.1, max_value=50.0),
    a=st.floats(min_value=0.05, max_value=5.0).filter(lambda v: abs(v - 1) > 1e-3),
    b=st.floats(min_value=1.0, max_value=5.0),
)
def test_expected_purchases_is_non_decreasing_in_t(r, alpha, a, b) -> None:
    m = BetaGeoModel(r=r, alpha=alpha, a=a, b=b)
    e = m.expected_purchases(np.array([0.0, 1.0, 5.0, 20.0, 60.0]))
    assert np.all(np.diff(e) >= -1e-12)
    assert np.all(np.isfinite(e))


def test_failed_fit_raises_convergence_error_with_facts(cdnow: dict[str, np.ndarray]) -> None:
    # One iteration per start cannot reach the optimum from the default start.
    with pytest.raises(ltvkit.ConvergenceError) as err:
        BetaGeoModel.fit(frequency=cdnow["x"], recency=cdnow["t_x"], T=cdnow["T"], max_iterations=1)
    assert isinstance(err.value, RuntimeError)
    assert "r=" in err.value.last_params
    assert err.value.iterations >= 1


def test_calibration_column_names_are_accepted(cdnow: dict[str, np.ndarray]) -> None:
    cal = {"frequency_cal": cdnow["x"], "recency_cal": cdnow["t_x"], "T_cal": cdnow["T"]}
    plain = {"frequency": cdnow["x"], "recency": cdnow["t_x"], "T": cdnow["T"]}
    assert BetaGeoModel.fit(cal).params == BetaGeoModel.fit(plain).params


def test_fit_takes_the_time_unit_of_an_ltvkit_summary():
    log = ltvkit.datasets.load_cdnow()
    weeks = ltvkit.rfm_summary(
        log, amount="amount", period="7D", observation_end="1997-09-30", future="drop"
    )
    days = ltvkit.rfm_summary(log, period="D", observation_end="1997-09-30", future="drop")
    assert BetaGeoModel.fit(weeks).unit == "week"
    assert BetaGeoModel.fit(days).unit == "day"
    assert ltvkit.ParetoNBDModel.fit(weeks).unit == "week"
    assert GammaGammaModel.fit(weeks[weeks.frequency > 0]).unit == "week"
    # an explicit unit wins; plain arrays carry none
    assert BetaGeoModel.fit(days, unit="week").unit == "week"
    x = weeks["frequency"].to_numpy()
    assert BetaGeoModel.fit(frequency=x, recency=weeks["recency"], T=weeks["T"]).unit is None
