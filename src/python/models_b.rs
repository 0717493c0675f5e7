//! Bindings of the part B models (`crate::models::{pareto_nbd, beta_geo_beta_binom,
//! shifted_beta_geo}`), with the shared class machinery of `super::models`: each method converts
//! its inputs, makes one core call detached from the interpreter, and converts the result.

use super::errors::{py_result, InvalidInputError};
use super::models::{
    arg, array_vec, core_model, customers, dump, fit_options, frame_columns, keyed_out, load,
    log_table, model_class, optional_vec, rfm_dict, rfm_from_args, rfm_model, time_unit,
    unit_or_data_unit, vectorised, CoreModel, Values, DEFAULT_SIMULATION_START,
};
use crate::models::beta_geo_beta_binom::{discrete_data, BetaGeoBetaBinom, BG_BB_PARAMS};
use crate::models::pareto_nbd::{ParetoNbd, PARETO_NBD_PARAMS};
use crate::models::shifted_beta_geo::{DurationData, ShiftedBetaGeo, SBG_PARAMS};
use crate::models::simulate_log::SimulateLog;
use crate::models::{broadcast_map, FitSummary};
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple, PyType};

core_model!(ParetoNbd, "ParetoNBDModel", PARETO_NBD_PARAMS, 0, 1, 2, 3);
core_model!(
    BetaGeoBetaBinom,
    "BetaGeoBetaBinomModel",
    BG_BB_PARAMS,
    0,
    1,
    2,
    3
);
core_model!(ShiftedBetaGeo, "ShiftedBetaGeoModel", SBG_PARAMS, 0, 1);

/// The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987): purchases at Poisson rate
/// lambda ~ Gamma(r, alpha) while alive; exponential lifetimes with rate mu ~ Gamma(s, beta).
///
/// Parameters
/// ----------
/// r, alpha, s, beta : float
///     Positive parameters; alpha and beta are in the time unit of the data.
///
/// Raises
/// ------
/// InvalidInputError
///     If a parameter is not finite and > 0.
///
/// References
/// ----------
/// Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987). Counting your customers: who are
/// they and what will they do next? Management Science 33(1), 1-24.
/// Fader, P. S. & Hardie, B. G. S. (2005). A note on deriving the Pareto/NBD model and related
/// expressions. http://brucehardie.com/notes/009/
#[pyclass(frozen, module = "ltvkit._core", name = "ParetoNBDModel")]
pub struct PyParetoNbd {
    pub(super) model: ParetoNbd,
    fit: Option<FitSummary>,
    pub(super) unit: Option<String>,
    extra: (),
}

rfm_model!(
    PyParetoNbd,
    ParetoNbd,
    (r, alpha, s, beta),
    fit = "Maximum-likelihood fit (exact gradient through the Gaussian hypergeometric function).",
    expected = "Expected number of purchases in (0, t] of a new customer:
``E[X(t)] = r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)]`` (Fader & Hardie 2005,
brucehardie.com note 009, the section on E[X(t)]; Schmittlein, Morrison & Colombo 1987).",
    conditional = "Expected purchases in (T, T + t] of customers with history (frequency x,
recency t_x, T): ``(r+x)(beta+T)/((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)] P(alive)``
(Fader & Hardie 2005, brucehardie.com note 009, the section on the conditional expectation).",
    p_alive = "Probability that customers with history (frequency x, recency t_x, T) are still
alive at T: ``P(alive) = 1 / (1 + s/(r+s+x) (alpha+T)^(r+x) (beta+T)^s A0)``, with, for
alpha >= beta, ``A0 = 2F1(r+s+x, s+1; r+s+x+1; (alpha-beta)/(alpha+t_x)) / (alpha+t_x)^(r+s+x)
- (the same at T)`` (alpha < beta: alpha and beta swapped and s+1 replaced by r+x) (Fader &
Hardie 2005, \"A note on deriving the Pareto/NBD model and related expressions\",
brucehardie.com note 009, the P(alive) section; Schmittlein, Morrison & Colombo 1987).",
    pmf = "Probability that a new customer makes exactly n purchases in (0, t]:
``P(X(t)=n) = G(r+n)/(G(r) n!) (alpha/(alpha+t))^r (t/(alpha+t))^n (beta/(beta+t))^s
+ alpha^r beta^s B(r+n, s+1)/B(r, s) [B1 - sum_{i<=n} G(r+s+i)/(G(r+s) i!) t^i B2(i)]``,
B1 and B2(i) Gauss hypergeometric terms (Fader & Hardie 2006, \"Deriving an expression for
P(X(t) = x) under the Pareto/NBD model\", brucehardie.com note 012).",
    {
        /// Discounted expected residual transactions with continuous discounting at rate delta:
        /// ``DERT = P(alive) (r+x)/(alpha+T) (beta+T) e^z z^(s-1) G(1-s, z)``, z = delta (beta+T),
        /// G the upper incomplete gamma function, which is Fader, Hardie & Lee 2005's
        /// ``alpha^r beta^s delta^(s-1) G(r+x+1) Psi(s, s; delta(beta+T)) / (G(r) (alpha+T)^(r+x+1) L)``
        /// (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves for customer base
        /// analysis", JMR 42(4), eq. 2).
        ///
        /// Parameters
        /// ----------
        /// discount_rate : float
        ///     Continuously compounded rate per time unit of the data (for 15% a year and weekly
        ///     data, ``log(1.15) / 52``).
        /// frequency, recency, T : float or array_like
        #[allow(non_snake_case)]
        fn dert<'py>(
            &self,
            py: Python<'py>,
            discount_rate: &Bound<'py, PyAny>,
            frequency: &Bound<'py, PyAny>,
            recency: &Bound<'py, PyAny>,
            T: &Bound<'py, PyAny>,
        ) -> PyResult<Bound<'py, PyAny>> {
            let m = self.model;
            vectorised(
                py,
                ["discount_rate", "frequency", "recency", "T"],
                [discount_rate, frequency, recency, T],
                |[d, x, r, tt]| m.dert(d, x, r, tt),
            )
        }
    }
);

/// The BG/BB model (Fader, Hardie & Shang 2010) for discrete transaction opportunities: while
/// alive a customer transacts at each opportunity with probability p ~ Beta(alpha, beta) and
/// becomes inactive before each opportunity with probability theta ~ Beta(gamma, delta).
///
/// Parameters
/// ----------
/// alpha, beta, gamma, delta : float
///     Positive parameters.
///
/// Raises
/// ------
/// InvalidInputError
///     If a parameter is not finite and > 0.
///
/// References
/// ----------
/// Fader, P. S., Hardie, B. G. S. & Shang, J. (2010). Customer-base analysis in a discrete-time
/// noncontractual setting. Marketing Science 29(6), 1086-1108.
#[pyclass(frozen, module = "ltvkit._core", name = "BetaGeoBetaBinomModel")]
pub struct PyBetaGeoBetaBinom {
    model: BetaGeoBetaBinom,
    fit: Option<FitSummary>,
    unit: Option<String>,
    extra: (),
}

model_class!(PyBetaGeoBetaBinom, BetaGeoBetaBinom, {
    #[new]
    #[pyo3(signature = (alpha, beta, gamma, delta))]
    fn new(alpha: f64, beta: f64, gamma: f64, delta: f64) -> PyResult<Self> {
        Ok(PyBetaGeoBetaBinom {
            model: py_result(BetaGeoBetaBinom::new(alpha, beta, gamma, delta))?,
            fit: None,
            unit: None,
            extra: (),
        })
    }

    /// Maximum-likelihood fit on (frequency, recency, periods) with counts as weights.
    ///
    /// Parameters
    /// ----------
    /// data : DataFrame, optional
    ///     Frame or dict with columns ``frequency`` (or ``x``), ``recency`` (or ``t_x``) and
    ///     ``periods`` (or ``n``): transactions, the opportunity of the last one (0 if none)
    ///     and the number of opportunities.
    /// frequency, recency, periods : array_like, optional
    ///     The same as arrays, when ``data`` is not given.
    /// weights : array_like or str, optional
    ///     Number of customers per row (a column name such as ``"weights"`` with ``data``).
    /// penalizer, initial, max_iterations, tolerance, restarts
    ///     As for ``ParetoNBDModel.fit``.
    /// unit : str, optional
    ///     What one opportunity is (e.g. "year"), stored with the model.
    ///
    /// Returns
    /// -------
    /// BetaGeoBetaBinomModel
    ///
    /// Raises
    /// ------
    /// InvalidDataError
    ///     For a bad row (naming column, row and value).
    /// ConvergenceError
    ///     When no start converges.
    #[classmethod]
    #[pyo3(signature = (data = None, *, frequency = None, recency = None, periods = None,
                weights = None, penalizer = 0.0, initial = None, max_iterations = 500,
                tolerance = 1e-9, restarts = 4, unit = None))]
    #[allow(clippy::too_many_arguments)]
    fn fit<'py>(
        _cls: &Bound<'py, PyType>,
        py: Python<'py>,
        data: Option<&Bound<'py, PyAny>>,
        frequency: Option<&Bound<'py, PyAny>>,
        recency: Option<&Bound<'py, PyAny>>,
        periods: Option<&Bound<'py, PyAny>>,
        weights: Option<&Bound<'py, PyAny>>,
        penalizer: f64,
        initial: Option<Vec<f64>>,
        max_iterations: u64,
        tolerance: f64,
        restarts: usize,
        unit: Option<String>,
    ) -> PyResult<Self> {
        let (x, tx, n, w) = match data.filter(|d| !d.is_none()) {
            Some(d) => {
                let cols = frame_columns(
                    py,
                    d,
                    &[
                        ("frequency", &["frequency", "x"]),
                        ("recency", &["recency", "t_x"]),
                        ("periods", &["periods", "n"]),
                    ],
                    weights,
                )?;
                (
                    array_vec("frequency", &cols[0])?,
                    array_vec("recency", &cols[1])?,
                    array_vec("periods", &cols[2])?,
                    optional_vec("weights", cols.get(3))?,
                )
            }
            None => {
                let need = |n: &str, o: Option<&Bound<'py, PyAny>>| -> PyResult<Values<'py>> {
                    let o = o.filter(|o| !o.is_none()).ok_or_else(|| {
                        InvalidInputError::new_err(format!(
                            "{n} is missing: pass a frame as data, or frequency=, recency= and \
                             periods= arrays"
                        ))
                    })?;
                    array_vec(n, o)
                };
                (
                    need("frequency", frequency)?,
                    need("recency", recency)?,
                    need("periods", periods)?,
                    optional_vec("weights", weights)?,
                )
            }
        };
        let data = py_result(discrete_data(&x, &tx, &n, w.as_deref()))?;
        let opts = fit_options(penalizer, initial, max_iterations, tolerance, restarts);
        let fit = py_result(py.detach(|| BetaGeoBetaBinom::fit(&data, &opts)))?;
        Ok(PyBetaGeoBetaBinom {
            model: fit.model,
            fit: Some(fit.summary),
            unit,
            extra: (),
        })
    }

    /// Expected number of transactions of a new customer in its first n opportunities:
    /// ``E[X(n)] = alpha/(alpha+beta) delta/(gamma-1) [1 - G(gamma+delta) G(1+delta+n) /
    /// (G(gamma+delta+n) G(1+delta))]`` (Fader, Hardie & Shang 2010, "Customer-base analysis
    /// in a discrete-time noncontractual setting", Marketing Science 29(6), eq. 7).
    fn expected_purchases<'py>(
        &self,
        py: Python<'py>,
        n: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let m = self.model;
        vectorised(py, ["n"], [n], |[n]| m.expected_purchases_new(n))
    }

    /// Probability that a new customer makes exactly ``x`` transactions in its first ``n``
    /// opportunities: ``P(X(n)=x) = C(n, x) B(alpha+x, beta+n-x)/B(alpha, beta)
    /// B(gamma, delta+n)/B(gamma, delta) + sum_{i=x}^{n-1} C(i, x) B(alpha+x, beta+i-x)/B(alpha,
    /// beta) B(gamma+1, delta+i)/B(gamma, delta)`` (Fader, Hardie & Shang 2010, eq. 6).
    fn probability_of_purchases<'py>(
        &self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
        n: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let m = self.model;
        vectorised(py, ["x", "n"], [x, n], |[x, n]| {
            m.probability_of_purchases(x, n)
        })
    }

    /// Expected transactions in the next ``n_star`` opportunities of customers with history
    /// (frequency x, recency t_x, periods n): ``B(alpha+x+1, beta+n-x)/B(alpha, beta)
    /// delta/(gamma-1) G(gamma+delta)/G(1+delta) [G(1+delta+n)/G(gamma+delta+n) -
    /// G(1+delta+n+n_star)/G(gamma+delta+n+n_star)] / L``, L the likelihood of (x, t_x, n)
    /// (its eq. 5) (Fader, Hardie & Shang 2010, eq. 13).
    fn conditional_expected_purchases<'py>(
        &self,
        py: Python<'py>,
        n_star: &Bound<'py, PyAny>,
        frequency: &Bound<'py, PyAny>,
        recency: &Bound<'py, PyAny>,
        periods: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let m = self.model;
        vectorised(
            py,
            ["n_star", "frequency", "recency", "periods"],
            [n_star, frequency, recency, periods],
            |[s, x, r, n]| m.conditional_expected_purchases(s, x, r, n),
        )
    }

    /// Probability that customers with history (frequency x, recency t_x, periods n) are alive
    /// at the next opportunity: ``P(alive) = B(alpha+x, beta+n-x)/B(alpha, beta)
    /// B(gamma, delta+n+1)/B(gamma, delta) / L``, L the likelihood of (x, t_x, n) (its eq. 5)
    /// (Fader, Hardie & Shang 2010, eq. 11).
    fn p_alive<'py>(
        &self,
        py: Python<'py>,
        frequency: &Bound<'py, PyAny>,
        recency: &Bound<'py, PyAny>,
        periods: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let m = self.model;
        vectorised(
            py,
            ["frequency", "recency", "periods"],
            [frequency, recency, periods],
            |[x, r, n]| m.p_alive(x, r, n),
        )
    }

    /// Discounted expected residual transactions, the transaction at opportunity n+t
    /// discounted by ``(1 + d)^t``, d = discount_rate: ``DERT = B(alpha+x+1, beta+n-x)/B(alpha,
    /// beta) B(gamma, delta+n+1)/(B(gamma, delta)(1+d)) 2F1(1, delta+n+1; gamma+delta+n+1;
    /// 1/(1+d)) / L``, L the likelihood of (x, t_x, n) (Fader, Hardie & Shang 2010, eq. 14).
    fn dert<'py>(
        &self,
        py: Python<'py>,
        discount_rate: &Bound<'py, PyAny>,
        frequency: &Bound<'py, PyAny>,
        recency: &Bound<'py, PyAny>,
        periods: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let m = self.model;
        vectorised(
            py,
            ["discount_rate", "frequency", "recency", "periods"],
            [discount_rate, frequency, recency, periods],
            |[d, x, r, n]| m.dert(d, x, r, n),
        )
    }

    /// Simulated customers with ``periods`` opportunities each.
    ///
    /// Returns
    /// -------
    /// dict
    ///     ``{"frequency": ndarray, "recency": ndarray, "periods": ndarray}``.
    #[pyo3(signature = (n_customers, periods, *, seed = 0))]
    fn simulate<'py>(
        &self,
        py: Python<'py>,
        n_customers: usize,
        periods: f64,
        seed: u64,
    ) -> PyResult<Bound<'py, PyDict>> {
        let m = self.model;
        let d = py_result(py.detach(|| m.simulate(&vec![periods; n_customers], seed)))?;
        rfm_dict(py, d, "periods")
    }
});

/// The shifted-beta-geometric (sBG) model of contract duration (Fader & Hardie 2007): at the
/// end of each period an active customer churns with probability theta ~ Beta(gamma, delta).
///
/// Parameters
/// ----------
/// gamma, delta : float
///     Positive parameters.
///
/// Raises
/// ------
/// InvalidInputError
///     If a parameter is not finite and > 0.
///
/// References
/// ----------
/// Fader, P. S. & Hardie, B. G. S. (2007). How to project customer retention. Journal of
/// Interactive Marketing 21(1), 76-90.
/// Fader, P. S. & Hardie, B. G. S. (2010). Customer-base valuation in a contractual setting:
/// the perils of ignoring heterogeneity. Marketing Science 29(1), 85-93.
#[pyclass(frozen, module = "ltvkit._core", name = "ShiftedBetaGeoModel")]
pub struct PyShiftedBetaGeo {
    model: ShiftedBetaGeo,
    fit: Option<FitSummary>,
    unit: Option<String>,
    extra: (),
}

model_class!(PyShiftedBetaGeo, ShiftedBetaGeo, {
    #[new]
    #[pyo3(signature = (gamma, delta))]
    fn new(gamma: f64, delta: f64) -> PyResult<Self> {
        Ok(PyShiftedBetaGeo {
            model: py_result(ShiftedBetaGeo::new(gamma, delta))?,
            fit: None,
            unit: None,
            extra: (),
        })
    }

    /// Maximum-likelihood fit from a cohort's survivor counts or from per-customer durations.
    ///
    /// Parameters
    /// ----------
    /// survivors : array_like, optional
    ///     Customers active at the start of each period, the cohort size first (e.g.
    ///     ``[1000, 631, 468, 382]``).
    /// duration, churned : array_like, optional
    ///     Instead of ``survivors``: periods observed per customer, and whether the customer
    ///     churned at the end of the last one (False = still active).
    /// weights : array_like, optional
    ///     Customers per (duration, churned) row.
    /// penalizer, initial, max_iterations, tolerance, restarts
    ///     As for ``ParetoNBDModel.fit``.
    /// unit : str, optional
    ///     The length of a period (e.g. "year"), stored with the model.
    ///
    /// Returns
    /// -------
    /// ShiftedBetaGeoModel
    ///
    /// Raises
    /// ------
    /// InvalidDataError
    ///     For bad counts or durations (naming column, row and value).
    /// ConvergenceError
    ///     When no start converges (e.g. nobody churned).
    #[classmethod]
    #[pyo3(signature = (survivors = None, *, duration = None, churned = None, weights = None,
                penalizer = 0.0, initial = None, max_iterations = 500, tolerance = 1e-9,
                restarts = 4, unit = None))]
    #[allow(clippy::too_many_arguments)]
    fn fit<'py>(
        _cls: &Bound<'py, PyType>,
        py: Python<'py>,
        survivors: Option<&Bound<'py, PyAny>>,
        duration: Option<&Bound<'py, PyAny>>,
        churned: Option<Vec<bool>>,
        weights: Option<&Bound<'py, PyAny>>,
        penalizer: f64,
        initial: Option<Vec<f64>>,
        max_iterations: u64,
        tolerance: f64,
        restarts: usize,
        unit: Option<String>,
    ) -> PyResult<Self> {
        let data = match (survivors.filter(|s| !s.is_none()), duration, churned) {
            (Some(s), None, None) => {
                py_result(DurationData::from_survivors(&array_vec("survivors", s)?))?
            }
            (None, Some(d), Some(c)) => py_result(DurationData::new(
                &array_vec("duration", d)?,
                &c,
                optional_vec("weights", weights)?.as_deref(),
            ))?,
            _ => {
                return Err(InvalidInputError::new_err(
                    "pass either survivors= (counts of active customers per period) or both \
                     duration= and churned=",
                ))
            }
        };
        let opts = fit_options(penalizer, initial, max_iterations, tolerance, restarts);
        let fit = py_result(py.detach(|| ShiftedBetaGeo::fit(&data, &opts)))?;
        Ok(PyShiftedBetaGeo {
            model: fit.model,
            fit: Some(fit.summary),
            unit,
            extra: (),
        })
    }

    /// ``S(t) = B(gamma, delta+t)/B(gamma, delta)``: probability of still being a customer
    /// after t periods (Fader & Hardie 2007, "How to project customer retention", Journal of
    /// Interactive Marketing 21(1), eq. 5).
    fn survival<'py>(&self, py: Python<'py>, t: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let m = self.model;
        vectorised(py, ["t"], [t], |[t]| m.survival(t))
    }

    /// ``P(T = t) = B(gamma+1, delta+t-1)/B(gamma, delta)``: probability of churning at the
    /// end of period t (Fader & Hardie 2007, eq. 3).
    fn churn_probability<'py>(
        &self,
        py: Python<'py>,
        t: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let m = self.model;
        vectorised(py, ["t"], [t], |[t]| m.churn_probability(t))
    }

    /// ``r_t = S(t)/S(t-1) = (delta+t-1)/(gamma+delta+t-1)``: the retention rate of period t
    /// (Fader & Hardie 2007, eq. 6).
    fn retention_rate<'py>(
        &self,
        py: Python<'py>,
        t: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let m = self.model;
        vectorised(py, ["t"], [t], |[t]| m.retention_rate(t))
    }

    /// Expected lifetime in periods, ``E[T] = sum_{t>=0} S(t) = (gamma+delta-1)/(gamma-1)``
    /// (Fader & Hardie 2010, "Customer-base valuation in a contractual setting: the perils of
    /// ignoring heterogeneity", Marketing Science 29(1), eq. 4 with d = 0).
    ///
    /// Raises
    /// ------
    /// InvalidInputError
    ///     When gamma <= 1: the mean lifetime is infinite.
    fn expected_lifetime(&self) -> PyResult<f64> {
        py_result(self.model.expected_lifetime())
    }

    /// Discounted expected lifetime, ``DEL(d) = sum_{t>=0} S(t)/(1+d)^t = 2F1(1, delta;
    /// gamma+delta; 1/(1+d))`` (Fader & Hardie 2010, eq. 4); ``discount_rate`` d is per period.
    fn discounted_expected_lifetime<'py>(
        &self,
        py: Python<'py>,
        discount_rate: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let m = self.model;
        vectorised(py, ["discount_rate"], [discount_rate], |[d]| {
            m.discounted_expected_lifetime(d)
        })
    }

    /// Discounted expected residual lifetime of a customer who has made ``renewals``
    /// renewals, the next period counting 1: ``DERL(d | n-1 renewals) =
    /// (delta+n-1)/(gamma+delta+n-1) 2F1(1, delta+n; gamma+delta+n; 1/(1+d))``, n = renewals +
    /// 1 (Fader & Hardie 2010, eq. 6).
    fn discounted_expected_residual_lifetime<'py>(
        &self,
        py: Python<'py>,
        discount_rate: &Bound<'py, PyAny>,
        renewals: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let m = self.model;
        vectorised(
            py,
            ["discount_rate", "renewals"],
            [discount_rate, renewals],
            |[d, n]| m.discounted_expected_residual_lifetime(d, n),
        )
    }

    /// Simulated durations of ``n_customers`` new customers observed for ``periods`` periods.
    ///
    /// Returns
    /// -------
    /// dict
    ///     ``{"duration": ndarray, "churned": list[bool]}``.
    #[pyo3(signature = (n_customers, periods, *, seed = 0))]
    fn simulate<'py>(
        &self,
        py: Python<'py>,
        n_customers: usize,
        periods: f64,
        seed: u64,
    ) -> PyResult<Bound<'py, PyDict>> {
        let m = self.model;
        let d = py_result(py.detach(|| m.simulate(n_customers, periods, seed)))?;
        let out = PyDict::new(py);
        out.set_item("duration", PyArray1::from_vec(py, d.duration))?;
        out.set_item("churned", d.churned)?;
        Ok(out)
    }
});

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyParetoNbd>()?;
    m.add_class::<PyBetaGeoBetaBinom>()?;
    m.add_class::<PyShiftedBetaGeo>()?;
    Ok(())
}
