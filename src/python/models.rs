//! Bindings of `crate::models`: immutable model classes. Each method converts its inputs, makes
//! one core call detached from the interpreter, and converts the result.

use super::errors::{py_result, InvalidInputError};
use crate::models::evaluation::evaluate;
use crate::models::simulate_log::{SimulateLog, SimulatedLog};
use crate::models::{
    broadcast_map, customer_lifetime_value_in_units, spend_frequency_correlation, BetaGeo,
    ClvCustomers, FitOptions, FitSummary, GammaGamma, ModelRecord, ModifiedBetaGeo, RfmData,
    SpendData, TimeUnit,
};
use crate::optimize::MinimizeOptions;
use numpy::{AllowTypeChange, PyArray1, PyArrayLike1};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

/// A float column read from Python: a view of a contiguous float64 numpy array (numpy's view
/// of an Arrow column, say), else a copy. It derefs to the values.
pub(super) enum Values<'py> {
    View(PyArrayLike1<'py, f64, AllowTypeChange>),
    Owned(Vec<f64>),
}

impl std::ops::Deref for Values<'_> {
    type Target = [f64];

    fn deref(&self) -> &[f64] {
        match self {
            // only contiguous arrays are kept as views (see `arg`), so this is never empty
            // for a non-empty array
            Values::View(a) => a.as_slice().unwrap_or(&[]),
            Values::Owned(v) => v,
        }
    }
}

/// One numeric argument: a scalar (broadcast) or a 1-D array (a view when it is contiguous
/// float64, else copied once).
pub(super) struct Arg<'py> {
    pub(super) values: Values<'py>,
    pub(super) scalar: bool,
}

pub(super) fn arg<'py>(name: &str, obj: &Bound<'py, PyAny>) -> PyResult<Arg<'py>> {
    if let Ok(v) = obj.extract::<f64>() {
        return Ok(Arg {
            values: Values::Owned(vec![v]),
            scalar: true,
        });
    }
    let arr = obj
        .extract::<PyArrayLike1<'py, f64, AllowTypeChange>>()
        .map_err(|_| {
            InvalidInputError::new_err(format!(
                "{name} must be a number or a 1-D array of numbers, not {}",
                obj.get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            ))
        })?;
    let values = if arr.as_slice().is_ok() {
        Values::View(arr)
    } else {
        Values::Owned(arr.as_array().to_vec())
    };
    Ok(Arg {
        values,
        scalar: false,
    })
}

/// Returns a float when every input was a scalar, else a numpy array.
pub(super) fn out<'py>(
    py: Python<'py>,
    values: Vec<f64>,
    scalar: bool,
) -> PyResult<Bound<'py, PyAny>> {
    if scalar && values.len() == 1 {
        Ok(values[0].into_pyobject(py)?.into_any())
    } else {
        Ok(PyArray1::from_vec(py, values).into_any())
    }
}

/// Per-customer (frequency, recency, T): from `data` (a frame, whose kind the result keeps) or
/// from the three arguments (scalars or arrays).
pub(super) struct Customers<'py> {
    pub(super) x: Arg<'py>,
    pub(super) t_x: Arg<'py>,
    pub(super) t: Arg<'py>,
    pub(super) frame: Option<Bound<'py, PyAny>>,
}

impl Customers<'_> {
    pub(super) fn scalar(&self) -> bool {
        self.x.scalar && self.t_x.scalar && self.t.scalar
    }
}

pub(super) fn customers<'py>(
    py: Python<'py>,
    data: Option<&Bound<'py, PyAny>>,
    frequency: Option<&Bound<'py, PyAny>>,
    recency: Option<&Bound<'py, PyAny>>,
    t: Option<&Bound<'py, PyAny>>,
) -> PyResult<Customers<'py>> {
    if let Some(d) = data.filter(|d| !d.is_none()) {
        let cols = frame_columns(
            py,
            d,
            &[
                ("frequency", &["frequency", "x", "frequency_cal"]),
                ("recency", &["recency", "t_x", "recency_cal"]),
                ("T", &["T", "T_cal"]),
            ],
            None,
        )?;
        let column = |i: usize, name: &str| -> PyResult<Arg> {
            Ok(Arg {
                values: array_vec(name, &cols[i])?,
                scalar: false,
            })
        };
        return Ok(Customers {
            x: column(0, "frequency")?,
            t_x: column(1, "recency")?,
            t: column(2, "T")?,
            frame: Some(d.clone()),
        });
    }
    let need = |n: &str, o: Option<&Bound<'py, PyAny>>| -> PyResult<Arg> {
        match o.filter(|o| !o.is_none()) {
            Some(o) => arg(n, o),
            None => Err(InvalidInputError::new_err(format!(
                "{n} is missing: pass frequency, recency and T, or a frame as data="
            ))),
        }
    };
    Ok(Customers {
        x: need("frequency", frequency)?,
        t_x: need("recency", recency)?,
        t: need("T", t)?,
        frame: None,
    })
}

/// A frame of the kind of `frame` keyed by its customers with one column `name`
/// (`ltvkit.models._keyed`), or, without a frame, a float or an array as [`out`].
pub(super) fn keyed_out<'py>(
    py: Python<'py>,
    frame: Option<&Bound<'py, PyAny>>,
    name: &str,
    values: Vec<f64>,
    scalar: bool,
) -> PyResult<Bound<'py, PyAny>> {
    match frame {
        Some(d) => {
            static KEYED: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
            let f = KEYED.import(py, "ltvkit.models", "_keyed")?;
            f.call1((d, name, PyArray1::from_vec(py, values)))
        }
        None => out(py, values, scalar),
    }
}

/// First-purchase date of simulated logs when the caller gives none.
pub(super) const DEFAULT_SIMULATION_START: chrono::NaiveDate =
    match chrono::NaiveDate::from_ymd_opt(2000, 1, 1) {
        Some(d) => d,
        None => chrono::NaiveDate::MIN,
    };

/// A simulated log as a table of `kind` (`ltvkit.models._log_table`): customer ids and dates
/// as days since 1970-01-01.
pub(super) fn log_table<'py>(
    py: Python<'py>,
    log: SimulatedLog,
    kind: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(chrono::NaiveDate::MIN);
    let days: Vec<i64> = log.date.iter().map(|d| (*d - epoch).num_days()).collect();
    static LOG_TABLE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let f = LOG_TABLE.import(py, "ltvkit.models", "_log_table")?;
    f.call1((
        kind,
        PyArray1::from_vec(py, log.customer_id),
        PyArray1::from_vec(py, days),
    ))
}

/// A 1-D float column (a scalar is one value): a view when it can be, else a copy.
pub(super) fn array_vec<'py>(name: &str, obj: &Bound<'py, PyAny>) -> PyResult<Values<'py>> {
    let a = arg(name, obj)?;
    Ok(a.values)
}

pub(super) fn optional_vec<'py>(
    name: &str,
    obj: Option<&Bound<'py, PyAny>>,
) -> PyResult<Option<Values<'py>>> {
    obj.filter(|o| !o.is_none())
        .map(|o| array_vec(name, o))
        .transpose()
}

/// The fit's time unit: `unit` as given, else the unit recorded in an ltvkit summary frame
/// (`ltvkit.models._data_unit`: "D" -> day, "7D" and "W" -> week, "M" -> month), else none.
pub(super) fn unit_or_data_unit(
    py: Python<'_>,
    unit: Option<String>,
    data: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<String>> {
    if unit.is_some() {
        return Ok(unit);
    }
    let Some(data) = data.filter(|d| !d.is_none()) else {
        return Ok(None);
    };
    static DATA_UNIT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    DATA_UNIT
        .import(py, "ltvkit.models", "_data_unit")?
        .call1((data,))?
        .extract()
}

/// `ltvkit.models._columns`: reads named columns of any frame kind as float arrays.
pub(super) fn frame_columns<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    spec: &[(&str, &[&str])],
    weights: Option<&Bound<'py, PyAny>>,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    static COLUMNS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let f = COLUMNS.import(py, "ltvkit.models", "_columns")?;
    let spec_list: Vec<(String, Vec<String>)> = spec
        .iter()
        .map(|(n, c)| ((*n).to_owned(), c.iter().map(|s| (*s).to_owned()).collect()))
        .collect();
    let res = f.call1((data, spec_list, weights))?;
    res.extract::<Vec<Bound<'py, PyAny>>>()
}

pub(super) fn fit_options(
    penalizer: f64,
    initial: Option<Vec<f64>>,
    max_iterations: u64,
    tolerance: f64,
    restarts: usize,
) -> FitOptions {
    FitOptions {
        penalizer,
        minimize: MinimizeOptions {
            max_iterations,
            tolerance,
            restarts,
        },
        initial,
    }
}

/// Applies `f` to broadcast numeric arguments (scalars or 1-D arrays) detached from the
/// interpreter; a float out when every input was a scalar, else a numpy array.
pub(super) fn vectorised<'py, const K: usize, F>(
    py: Python<'py>,
    names: [&str; K],
    objs: [&Bound<'py, PyAny>; K],
    f: F,
) -> PyResult<Bound<'py, PyAny>>
where
    F: Fn([f64; K]) -> crate::error::Result<f64> + Send + Sync,
{
    let mut args = Vec::with_capacity(K);
    for (n, o) in names.iter().zip(objs) {
        args.push(arg(n, o)?);
    }
    let scalar = args.iter().all(|a| a.scalar);
    let cols: [&[f64]; K] = std::array::from_fn(|k| &*args[k].values);
    let v = py.detach(|| broadcast_map(names, cols, f));
    out(py, py_result(v)?, scalar)
}

/// The simulated customers (x, t_x, T) as a dict of arrays; T under the key `t_name`.
pub(super) fn rfm_dict<'py>(
    py: Python<'py>,
    d: RfmData,
    t_name: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    out.set_item("frequency", PyArray1::from_vec(py, d.x))?;
    out.set_item("recency", PyArray1::from_vec(py, d.t_x))?;
    out.set_item(t_name, PyArray1::from_vec(py, d.t))?;
    Ok(out)
}

/// What the Python classes need from a core model.
pub(super) trait CoreModel: Sized + Copy + Send + Sync {
    const NAME: &'static str;
    const NAMES: &'static [&'static str];
    fn values(&self) -> Vec<f64>;
    fn from_values(v: &[f64]) -> crate::error::Result<Self>;
}

/// `impl CoreModel` for a core model with `params()` and `new(p0, p1, ..)`: its Python class
/// name, its parameter names, and the indices of `new`'s arguments in `params()`.
macro_rules! core_model {
    ($core:ty, $name:literal, $names:expr, $($i:literal),+) => {
        impl CoreModel for $core {
            const NAME: &'static str = $name;
            const NAMES: &'static [&'static str] = &$names;
            fn values(&self) -> Vec<f64> {
                self.params().to_vec()
            }
            fn from_values(v: &[f64]) -> crate::error::Result<Self> {
                <$core>::new($(v[$i]),+)
            }
        }
    };
}

/// Shared with the part B models (`super::models_b`).
pub(super) use core_model;

core_model!(
    BetaGeo,
    "BetaGeoModel",
    crate::models::beta_geo::BETA_GEO_PARAMS,
    0,
    1,
    2,
    3
);
core_model!(
    ModifiedBetaGeo,
    "ModifiedBetaGeoModel",
    crate::models::beta_geo::BETA_GEO_PARAMS,
    0,
    1,
    2,
    3
);
core_model!(
    GammaGamma,
    "GammaGammaModel",
    crate::models::gamma_gamma::GAMMA_GAMMA_PARAMS,
    0,
    1,
    2
);

/// Model-specific fit statistics kept beside the core fit summary (saved in JSON).
pub(super) trait Extra: Default + PartialEq + Sized {
    fn to_diagnostics(&self) -> Vec<(String, f64)>;
    fn from_diagnostics(d: &[(String, f64)]) -> Self;
}

impl Extra for () {
    fn to_diagnostics(&self) -> Vec<(String, f64)> {
        Vec::new()
    }
    fn from_diagnostics(_: &[(String, f64)]) -> Self {}
}

/// The Gamma-Gamma spend/frequency correlation.
const CORRELATION: &str = "spend_frequency_correlation";

impl Extra for Option<f64> {
    fn to_diagnostics(&self) -> Vec<(String, f64)> {
        self.map(|c| vec![(CORRELATION.to_owned(), c)])
            .unwrap_or_default()
    }
    fn from_diagnostics(d: &[(String, f64)]) -> Self {
        d.iter().find(|(k, _)| k == CORRELATION).map(|(_, v)| *v)
    }
}

/// What `from_json` rebuilds.
pub(super) type Loaded<M, E> = (M, Option<FitSummary>, Option<String>, E);

/// Parses saved JSON into a model, its fit, its unit and its extra statistics.
pub(super) fn load<M: CoreModel, E: Extra>(text: &str) -> PyResult<Loaded<M, E>> {
    let (params, fit, unit, diag) = py_result(ModelRecord::from_json(text, M::NAME, M::NAMES))?;
    let model = py_result(M::from_values(&params))?;
    Ok((model, fit, unit, E::from_diagnostics(&diag)))
}

pub(super) fn dump<M: CoreModel, E: Extra>(
    model: &M,
    fit: Option<&FitSummary>,
    unit: Option<&str>,
    extra: &E,
) -> PyResult<String> {
    let mut rec = ModelRecord::new(
        M::NAME,
        M::NAMES,
        &model.values(),
        unit.map(str::to_owned),
        fit,
    );
    rec.diagnostics = extra.to_diagnostics();
    py_result(rec.to_json())
}

/// The methods every model class shares: parameters, fit statistics, persistence, repr.
macro_rules! model_class {
    ($ty:ident, $core:ty, { $($extra:tt)* }) => {
        #[pymethods]
        impl $ty {
            /// The parameters by name, in the model's order.
            #[getter]
            fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
                let d = PyDict::new(py);
                for (n, v) in <$core as CoreModel>::NAMES.iter().zip(self.model.values()) {
                    d.set_item(*n, v)?;
                }
                Ok(d)
            }

            /// Total log-likelihood of the fit (None for a model built from parameters).
            #[getter]
            fn log_likelihood(&self) -> Option<f64> {
                self.fit.as_ref().map(|f| f.log_likelihood)
            }

            /// Standard errors by name, from the observed information matrix (None if the model
            /// was not fitted or the information matrix is not positive definite).
            #[getter]
            fn standard_errors<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
                let Some(se) = self.fit.as_ref().and_then(FitSummary::standard_errors) else {
                    return Ok(None);
                };
                let d = PyDict::new(py);
                for (n, v) in <$core as CoreModel>::NAMES.iter().zip(se) {
                    d.set_item(*n, v)?;
                }
                Ok(Some(d))
            }

            /// Covariance matrix of the estimates (list of lists, in the order of ``params``),
            /// or None.
            #[getter]
            fn covariance(&self) -> Option<Vec<Vec<f64>>> {
                self.fit.as_ref().and_then(|f| f.covariance.clone())
            }

            /// Wald confidence intervals built on the log scale (so bounds stay positive).
            ///
            /// Parameters
            /// ----------
            /// level : float
            ///     Confidence level in (0, 1), default 0.95.
            ///
            /// Returns
            /// -------
            /// dict
            ///     ``{name: (lower, upper)}``.
            ///
            /// Raises
            /// ------
            /// InvalidInputError
            ///     If the model was not fitted, the level is outside (0, 1), or there are no
            ///     standard errors.
            #[pyo3(signature = (level = 0.95))]
            fn confidence_intervals<'py>(&self, py: Python<'py>, level: f64) -> PyResult<Bound<'py, PyDict>> {
                let fit = self.fit.as_ref().ok_or_else(|| {
                    InvalidInputError::new_err("this model was built from parameters, not fitted; confidence intervals need a fit")
                })?;
                let ci = py_result(fit.confidence_intervals(level))?;
                let d = PyDict::new(py);
                for (n, v) in <$core as CoreModel>::NAMES.iter().zip(ci) {
                    d.set_item(*n, v)?;
                }
                Ok(d)
            }

            /// Akaike information criterion, ``2k - 2LL`` (None if not fitted).
            #[getter]
            fn aic(&self) -> Option<f64> {
                self.fit.as_ref().map(FitSummary::aic)
            }

            /// Bayesian information criterion, ``k ln(N) - 2LL`` (None if not fitted).
            #[getter]
            fn bic(&self) -> Option<f64> {
                self.fit.as_ref().map(FitSummary::bic)
            }

            /// Number of customers in the fit (sum of weights; None if not fitted).
            #[getter]
            fn n_customers(&self) -> Option<f64> {
                self.fit.as_ref().map(|f| f.n_customers)
            }

            /// L-BFGS iterations used by the fit (None if not fitted).
            #[getter]
            fn n_iterations(&self) -> Option<u64> {
                self.fit.as_ref().map(|f| f.n_iterations)
            }

            /// Whether the fit converged (None if not fitted; a failed fit raises instead).
            #[getter]
            fn converged(&self) -> Option<bool> {
                self.fit.as_ref().map(|f| f.converged)
            }

            /// The time unit of the data the rates refer to, as given to ``fit`` (or None).
            #[getter]
            fn unit(&self) -> Option<String> {
                self.unit.clone()
            }

            /// A table of the estimates: a dict of columns ``parameter``, ``estimate``,
            /// ``std_error``, ``lower_95`` and ``upper_95`` (None where not available).
            fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
                let names = <$core as CoreModel>::NAMES;
                let se = self.fit.as_ref().and_then(FitSummary::standard_errors);
                let ci = self.fit.as_ref().and_then(|f| f.confidence_intervals(0.95).ok());
                let d = PyDict::new(py);
                d.set_item("parameter", names.to_vec())?;
                d.set_item("estimate", self.model.values())?;
                let col = |f: &dyn Fn(usize) -> Option<f64>| -> Vec<Option<f64>> {
                    (0..names.len()).map(f).collect()
                };
                d.set_item("std_error", col(&|i| se.as_ref().map(|s| s[i])))?;
                d.set_item("lower_95", col(&|i| ci.as_ref().map(|c| c[i].0)))?;
                d.set_item("upper_95", col(&|i| ci.as_ref().map(|c| c[i].1)))?;
                Ok(d)
            }

            /// The model as JSON text: parameters, covariance and fit statistics, unit and
            /// ltvkit version.
            fn to_json(&self) -> PyResult<String> {
                dump(&self.model, self.fit.as_ref(), self.unit.as_deref(), &self.extra)
            }

            /// A model from the text written by ``to_json``. Loading validates the parameters
            /// and never executes code.
            ///
            /// Raises
            /// ------
            /// InvalidInputError
            ///     If the text is not a saved model of this class or a parameter is invalid.
            #[classmethod]
            fn from_json(_cls: &Bound<'_, PyType>, text: &str) -> PyResult<Self> {
                let (model, fit, unit, extra) = load::<$core, _>(text)?;
                Ok($ty { model, fit, unit, extra })
            }

            fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
                let from_json = py.get_type::<$ty>().getattr("from_json")?;
                let text = self.to_json()?;
                PyTuple::new(py, [from_json, PyTuple::new(py, [text])?.into_any()])
            }

            fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
                other
                    .cast::<$ty>()
                    .map(|o| {
                        let o = o.get();
                        o.model == self.model
                            && o.fit == self.fit
                            && o.unit == self.unit
                            && o.extra == self.extra
                    })
                    .unwrap_or(false)
            }

            fn __repr__(&self) -> String {
                let args: Vec<String> = <$core as CoreModel>::NAMES
                    .iter()
                    .zip(self.model.values())
                    .map(|(n, v)| format!("{n}={v:.6}"))
                    .collect();
                let fitted = match &self.fit {
                    Some(f) => format!(
                        ", fitted on {} customers, log_likelihood={:.4}",
                        f.n_customers, f.log_likelihood
                    ),
                    None => String::new(),
                };
                format!("{}({}{})", <$core as CoreModel>::NAME, args.join(", "), fitted)
            }

            /// The model as an HTML table for Jupyter (formatted in Python by
            /// ``ltvkit._display.model_html``).
            fn _repr_html_(slf: &Bound<'_, Self>) -> PyResult<String> {
                let display = slf.py().import("ltvkit._display")?;
                display.getattr("model_html")?.call1((slf,))?.extract()
            }

            /// IPython's plain-text display: the estimates table (``ltvkit._display.model_text``).
            fn _repr_pretty_(slf: &Bound<'_, Self>, p: &Bound<'_, PyAny>, cycle: bool) -> PyResult<()> {
                let display = slf.py().import("ltvkit._display")?;
                display.getattr("model_pretty")?.call1((slf, p, cycle))?;
                Ok(())
            }

            $($extra)*
        }
    };
}

/// The class machinery, shared with the part B models (`super::models_b`).
pub(super) use model_class;

/// The validated, collapsed (x, t_x, T) rows that one of the BG/NBD family is fitted on, from
/// a frame or arrays.
#[allow(clippy::too_many_arguments)]
pub(super) fn rfm_from_args<'py>(
    py: Python<'py>,
    data: Option<&Bound<'py, PyAny>>,
    frequency: Option<&Bound<'py, PyAny>>,
    recency: Option<&Bound<'py, PyAny>>,
    t: Option<&Bound<'py, PyAny>>,
    weights: Option<&Bound<'py, PyAny>>,
) -> PyResult<RfmData> {
    let (x, tx, tt, w) = match data.filter(|d| !d.is_none()) {
        Some(d) => {
            let cols = frame_columns(
                py,
                d,
                &[
                    ("frequency", &["frequency", "x", "frequency_cal"]),
                    ("recency", &["recency", "t_x", "recency_cal"]),
                    ("T", &["T", "T_cal"]),
                ],
                weights,
            )?;
            let w = if cols.len() > 3 {
                optional_vec("weights", cols.get(3))?
            } else {
                None
            };
            (
                array_vec("frequency", &cols[0])?,
                array_vec("recency", &cols[1])?,
                array_vec("T", &cols[2])?,
                w,
            )
        }
        None => {
            fn need<'a, 'py>(
                n: &str,
                o: Option<&'a Bound<'py, PyAny>>,
            ) -> PyResult<&'a Bound<'py, PyAny>> {
                o.filter(|o| !o.is_none()).ok_or_else(|| {
                    InvalidInputError::new_err(format!(
                        "{n} is missing: pass a frame as data, or frequency=, recency= and T= arrays"
                    ))
                })
            }
            (
                array_vec("frequency", need("frequency", frequency)?)?,
                array_vec("recency", need("recency", recency)?)?,
                array_vec("T", need("T", t)?)?,
                optional_vec("weights", weights)?,
            )
        }
    };
    // every fit collapses identical rows first; doing it here reads the caller's columns
    // (views of them, when they are float64) once, without copying them
    let (x, tx, tt, w): (&[f64], &[f64], &[f64], _) = (&x, &tx, &tt, w.as_deref());
    py_result(py.detach(|| RfmData::collapsed_from(x, tx, tt, w)))
}

/// The BG/NBD model (Fader, Hardie & Lee 2005): purchases at Poisson rate
/// lambda ~ Gamma(r, alpha) while active; after each repeat purchase the customer drops out
/// with probability p ~ Beta(a, b).
///
/// Parameters
/// ----------
/// r, alpha, a, b : float
///     Positive parameters; alpha is in the time unit of the data.
///
/// Raises
/// ------
/// InvalidInputError
///     If a parameter is not finite and > 0.
///
/// References
/// ----------
/// Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy way:
/// an alternative to the Pareto/NBD model. Marketing Science 24(2), 275-284.
#[pyclass(frozen, module = "ltvkit._core", name = "BetaGeoModel")]
pub struct PyBetaGeo {
    model: BetaGeo,
    fit: Option<FitSummary>,
    unit: Option<String>,
    extra: (),
}

/// The MBG/NBD model (Batislam, Denizel & Filiztekin 2007): as BG/NBD, but a customer can also
/// drop out right after the first purchase (with probability p), so zero-repeat customers can
/// be inactive.
///
/// Parameters
/// ----------
/// r, alpha, a, b : float
///     Positive parameters; alpha is in the time unit of the data.
///
/// References
/// ----------
/// Batislam, E. P., Denizel, M. & Filiztekin, A. (2007). Empirical validation and comparison of
/// models for customer base analysis. International Journal of Research in Marketing 24(3),
/// 201-209.
#[pyclass(frozen, module = "ltvkit._core", name = "ModifiedBetaGeoModel")]
pub struct PyModifiedBetaGeo {
    model: ModifiedBetaGeo,
    fit: Option<FitSummary>,
    unit: Option<String>,
    extra: (),
}

/// The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005; Fader & Hardie
/// 2013): transaction values z ~ Gamma(p, nu), nu ~ Gamma(q, gamma) across customers.
///
/// Parameters
/// ----------
/// p, q, gamma : float
///     Positive parameters (gamma is in money units).
///
/// References
/// ----------
/// Fader, P. S. & Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary value.
/// http://brucehardie.com/notes/025/
#[pyclass(frozen, module = "ltvkit._core", name = "GammaGammaModel")]
pub struct PyGammaGamma {
    model: GammaGamma,
    fit: Option<FitSummary>,
    unit: Option<String>,
    /// Correlation of frequency and mean spend among the repeat buyers of the fit.
    extra: Option<f64>,
}

/// The classes of the continuous-time models fitted on (frequency, recency, T): BG/NBD, MBG/NBD
/// and Pareto/NBD. On top of [`model_class`]: the constructor from the four parameters
/// `($p0, ..)`, `fit`, `simulate`, `simulate_transactions` and the predictions all three have,
/// then `$extra`. The `$doc_*` literals are the parts of the docstrings that differ between the
/// models: the first line of `fit`'s and the first paragraph (formula and paper) of each
/// prediction's.
macro_rules! rfm_model {
    ($ty:ident, $core:ty, ($p0:ident, $p1:ident, $p2:ident, $p3:ident), fit = $doc_f:literal,
     expected = $doc_e:literal, conditional = $doc_c:literal, p_alive = $doc_p:literal,
     pmf = $doc_n:literal, { $($extra:tt)* }) => {
        model_class!($ty, $core, {
            #[new]
            #[pyo3(signature = ($p0, $p1, $p2, $p3))]
            fn new($p0: f64, $p1: f64, $p2: f64, $p3: f64) -> PyResult<Self> {
                let model = py_result(<$core>::new($p0, $p1, $p2, $p3))?;
                Ok($ty {
                    model,
                    fit: None,
                    unit: None,
                    extra: (),
                })
            }

            #[doc = $doc_f]
            ///
            /// Parameters
            /// ----------
            /// data : DataFrame, optional
            ///     pandas/polars DataFrame, pyarrow Table or dict with columns ``frequency``
            ///     (or ``x``, ``frequency_cal``), ``recency`` (or ``t_x``, ``recency_cal``) and
            ///     ``T`` (or ``T_cal``), e.g. from ``rfm_summary`` or ``calibration_holdout``.
            /// frequency, recency, T : array_like, optional
            ///     The same as arrays, when ``data`` is not given.
            /// weights : array_like or str, optional
            ///     Number of customers each row stands for (a column name when ``data`` is
            ///     given). Identical rows are collapsed with weights before the fit anyway.
            /// penalizer : float
            ///     L2 penalty on the parameters, as in lifetimes (0 = plain maximum likelihood).
            /// initial : sequence of float, optional
            ///     Starting values, in the order of ``params``.
            /// max_iterations, tolerance, restarts
            ///     Optimizer settings (L-BFGS; restarts from perturbed starts on failure).
            /// unit : str, optional
            ///     The time unit of recency and T (e.g. "weeks"), stored with the model.
            ///
            /// Returns
            /// -------
            /// the fitted model
            ///
            /// Raises
            /// ------
            /// InvalidDataError
            ///     For a bad row (naming column, row and value).
            /// ConvergenceError
            ///     When no start converges (with ``iterations`` and ``last_params``).
            #[classmethod]
            #[pyo3(signature = (data = None, *, frequency = None, recency = None, T = None,
                        weights = None, penalizer = 0.0, initial = None, max_iterations = 500,
                        tolerance = 1e-9, restarts = 4, unit = None))]
            #[allow(non_snake_case, clippy::too_many_arguments)]
            fn fit<'py>(
                _cls: &Bound<'py, PyType>,
                py: Python<'py>,
                data: Option<&Bound<'py, PyAny>>,
                frequency: Option<&Bound<'py, PyAny>>,
                recency: Option<&Bound<'py, PyAny>>,
                T: Option<&Bound<'py, PyAny>>,
                weights: Option<&Bound<'py, PyAny>>,
                penalizer: f64,
                initial: Option<Vec<f64>>,
                max_iterations: u64,
                tolerance: f64,
                restarts: usize,
                unit: Option<String>,
            ) -> PyResult<Self> {
                let rfm = rfm_from_args(py, data, frequency, recency, T, weights)?;
                let opts = fit_options(penalizer, initial, max_iterations, tolerance, restarts);
                // the rows are collapsed already (rfm_from_args)
                let fit = py_result(py.detach(|| <$core>::fit_rows(&rfm, &opts)))?;
                let unit = unit_or_data_unit(py, unit, data)?;
                Ok($ty {
                    model: fit.model,
                    fit: Some(fit.summary),
                    unit,
                    extra: (),
                })
            }

            #[doc = $doc_e]
            ///
            /// Parameters
            /// ----------
            /// t : float or array_like
            ///     Horizon(s) in the time unit of the data.
            fn expected_purchases<'py>(
                &self,
                py: Python<'py>,
                t: &Bound<'py, PyAny>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let m = self.model;
                vectorised(py, ["t"], [t], |[t]| m.expected_purchases_new(t))
            }

            #[doc = $doc_c]
            ///
            /// Parameters
            /// ----------
            /// t : float or array_like
            ///     Horizon in the time unit of the data.
            /// frequency, recency, T : float or array_like, optional
            ///     Repeat purchases, time of the last one and age, per customer.
            /// data : DataFrame, optional
            ///     Instead of the three arrays: a frame with those columns (as for ``fit``).
            ///
            /// Returns
            /// -------
            /// float, ndarray or DataFrame
            ///     With ``data`` a pandas/polars DataFrame or pyarrow Table, the same kind with
            ///     one column ``expected_purchases`` keyed by customer.
            #[pyo3(signature = (t, frequency = None, recency = None, T = None, *, data = None))]
            #[allow(non_snake_case)]
            fn conditional_expected_purchases<'py>(
                &self,
                py: Python<'py>,
                t: &Bound<'py, PyAny>,
                frequency: Option<&Bound<'py, PyAny>>,
                recency: Option<&Bound<'py, PyAny>>,
                T: Option<&Bound<'py, PyAny>>,
                data: Option<&Bound<'py, PyAny>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let t = arg("t", t)?;
                let c = customers(py, data, frequency, recency, T)?;
                let scalar = t.scalar && c.scalar();
                let m = self.model;
                let cols = [&*t.values, &*c.x.values, &*c.t_x.values, &*c.t.values];
                let v = py.detach(|| {
                    broadcast_map(
                        ["t", "frequency", "recency", "T"],
                        cols,
                        |[t, x, r, tt]| m.conditional_expected_purchases(t, x, r, tt),
                    )
                });
                keyed_out(py, c.frame.as_ref(), "expected_purchases", py_result(v)?, scalar)
            }

            #[doc = $doc_p]
            ///
            /// ``data=`` as in ``conditional_expected_purchases`` (column ``p_alive``).
            #[pyo3(signature = (frequency = None, recency = None, T = None, *, data = None))]
            #[allow(non_snake_case)]
            fn p_alive<'py>(
                &self,
                py: Python<'py>,
                frequency: Option<&Bound<'py, PyAny>>,
                recency: Option<&Bound<'py, PyAny>>,
                T: Option<&Bound<'py, PyAny>>,
                data: Option<&Bound<'py, PyAny>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let c = customers(py, data, frequency, recency, T)?;
                let m = self.model;
                let cols = [&*c.x.values, &*c.t_x.values, &*c.t.values];
                let v = py.detach(|| {
                    broadcast_map(
                        ["frequency", "recency", "T"],
                        cols,
                        |[x, r, tt]| m.p_alive(x, r, tt),
                    )
                });
                keyed_out(py, c.frame.as_ref(), "p_alive", py_result(v)?, c.scalar())
            }

            /// Simulated transaction log: one row per purchase (first purchase included) of
            /// ``n_customers`` customers who all make their first purchase on ``start`` and are
            /// observed for ``T`` units (the model's time unit, named by ``unit``).
            ///
            /// Parameters
            /// ----------
            /// n_customers : int
            /// T : float
            ///     Observation length in ``unit``.
            /// seed : int
            /// start : datetime.date, optional
            ///     Date of every first purchase (default 2000-01-01).
            /// unit : str
            ///     The model's time unit: "day", "week", "month", "quarter" or "year"; purchase
            ///     times are converted to whole days (truncated).
            /// kind : str
            ///     "pandas", "polars", "pyarrow" or "dict" (of numpy arrays).
            ///
            /// Returns
            /// -------
            /// DataFrame
            ///     Columns ``customer_id`` (1..n) and ``date``, sorted by customer and date,
            ///     ready for ``rfm_summary``.
            #[pyo3(signature = (n_customers, T, *, seed = 0, start = None, unit = "day", kind = "pandas"))]
            #[allow(non_snake_case, clippy::too_many_arguments)]
            fn simulate_transactions<'py>(
                &self,
                py: Python<'py>,
                n_customers: usize,
                T: f64,
                seed: u64,
                start: Option<chrono::NaiveDate>,
                unit: &str,
                kind: &str,
            ) -> PyResult<Bound<'py, PyAny>> {
                let unit = time_unit("unit", unit)?;
                let start = start.unwrap_or(DEFAULT_SIMULATION_START);
                let m = self.model;
                let log = py_result(py.detach(|| m.simulate_log(n_customers, T, seed, start, unit)))?;
                log_table(py, log, kind)
            }

            /// Simulated customers observed for T time units after their first purchase.
            ///
            /// Returns
            /// -------
            /// dict
            ///     ``{"frequency": ndarray, "recency": ndarray, "T": ndarray}``.
            #[pyo3(signature = (n_customers, T, *, seed = 0))]
            #[allow(non_snake_case)]
            fn simulate<'py>(
                &self,
                py: Python<'py>,
                n_customers: usize,
                T: f64,
                seed: u64,
            ) -> PyResult<Bound<'py, PyDict>> {
                let m = self.model;
                let d = py_result(py.detach(|| m.simulate(n_customers, T, seed)))?;
                rfm_dict(py, d, "T")
            }

            #[doc = $doc_n]
            fn probability_of_purchases<'py>(
                &self,
                py: Python<'py>,
                n: &Bound<'py, PyAny>,
                t: &Bound<'py, PyAny>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let m = self.model;
                vectorised(py, ["n", "t"], [n, t], |[n, t]| m.probability_of_n_purchases(n, t))
            }

            $($extra)*
        });
    };
}

/// The continuous-time model machinery, shared with the Pareto/NBD (`super::models_b`).
pub(super) use rfm_model;

rfm_model!(
    PyBetaGeo,
    BetaGeo,
    (r, alpha, a, b),
    fit = "Maximum-likelihood fit.",
    expected = "Expected number of purchases in (0, t] of a new customer:
``E[X(t)] = (a+b-1)/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))]``
(Fader, Hardie & Lee 2005, \"Counting your customers the easy way\", Marketing Science
24(2), eq. 9).",
    conditional = "Expected purchases in (T, T + t] of customers with history (frequency x,
recency t_x, T):
``(a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
/ (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))`` (Fader, Hardie & Lee 2005,
Marketing Science, eq. 10).",
    p_alive = "Probability that customers with history (frequency x, recency t_x, T) are
still active at T: ``P(alive) = 1 / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))``
(Fader, Hardie & Lee 2008, \"Computing P(alive) using the BG/NBD model\", brucehardie.com
note 021).",
    pmf = "Probability that a new customer makes exactly n purchases in (0, t]:
``P(X(t)=n) = B(a, b+n)/B(a, b) G(r+n)/(G(r) n!) (alpha/(alpha+t))^r (t/(alpha+t))^n
+ [n > 0] B(a+1, b+n-1)/B(a, b) [1 - (alpha/(alpha+t))^r sum_{j<n} G(r+j)/(G(r) j!)
(t/(alpha+t))^j]`` (Fader, Hardie & Lee 2005, Marketing Science, eq. 8).",
    {}
);
rfm_model!(
    PyModifiedBetaGeo,
    ModifiedBetaGeo,
    (r, alpha, a, b),
    fit = "Maximum-likelihood fit.",
    expected = "Expected number of purchases in (0, t] of a new customer:
``E[X(t)] = b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))]`` (Batislam,
Denizel & Filiztekin 2007, \"Empirical validation and comparison of models for customer base
analysis\", IJRM 24(3), Appendix A).",
    conditional = "Expected purchases in (T, T + t] of customers with history (frequency x,
recency t_x, T):
``(a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; t/(alpha+T+t))]
/ (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))`` (Batislam, Denizel & Filiztekin 2007,
Appendix A).",
    p_alive = "Probability that customers with history (frequency x, recency t_x, T) are
still active at T: ``P(alive) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))`` (Batislam,
Denizel & Filiztekin 2007, Appendix A, eq. 5, as lifetimes cites it).",
    pmf = "Probability that a new customer makes exactly n purchases in (0, t]:
``P(X(t)=n) = B(a, b+n+1)/B(a, b) P(N(t)=n) + B(a+1, b+n)/B(a, b) P(N(t) >= n)`` with the
NBD ``P(N(t)=j) = G(r+j)/(G(r) j!) (alpha/(alpha+t))^r (t/(alpha+t))^j``: the derivation of
Fader, Hardie & Lee 2005 (Marketing Science), eq. 8, under the MBG/NBD assumption of
Batislam, Denizel & Filiztekin 2007 (their model's assumptions) that a customer may also
drop out at time 0.",
    {}
);

model_class!(PyGammaGamma, GammaGamma, {
    #[new]
    #[pyo3(signature = (p, q, gamma))]
    fn new(p: f64, q: f64, gamma: f64) -> PyResult<Self> {
        let model = py_result(GammaGamma::new(p, q, gamma))?;
        Ok(PyGammaGamma {
            model,
            fit: None,
            unit: None,
            extra: None,
        })
    }

    /// Maximum-likelihood fit on repeat buyers' mean spend (customers with frequency 0 are left
    /// out: they carry no spend information under the model).
    ///
    /// Parameters
    /// ----------
    /// data : DataFrame, optional
    ///     Frame with columns ``frequency`` (or ``x``) and ``monetary_value`` (or ``zbar``).
    /// frequency, monetary_value : array_like, optional
    ///     The same as arrays.
    /// weights, penalizer, initial, max_iterations, tolerance, restarts
    ///     As for ``BetaGeoModel.fit``.
    /// unit : str, optional
    ///     The currency of the spends, stored with the model.
    ///
    /// Raises
    /// ------
    /// InvalidDataError
    ///     For a repeat buyer whose mean spend is not > 0, or no repeat buyer.
    /// ConvergenceError
    ///     When no start converges.
    #[classmethod]
    #[pyo3(signature = (data = None, *, frequency = None, monetary_value = None, weights = None,
        penalizer = 0.0, initial = None, max_iterations = 500, tolerance = 1e-9, restarts = 4,
        unit = None))]
    #[allow(clippy::too_many_arguments)]
    fn fit<'py>(
        _cls: &Bound<'py, PyType>,
        py: Python<'py>,
        data: Option<&Bound<'py, PyAny>>,
        frequency: Option<&Bound<'py, PyAny>>,
        monetary_value: Option<&Bound<'py, PyAny>>,
        weights: Option<&Bound<'py, PyAny>>,
        penalizer: f64,
        initial: Option<Vec<f64>>,
        max_iterations: u64,
        tolerance: f64,
        restarts: usize,
        unit: Option<String>,
    ) -> PyResult<Self> {
        let (x, m, w) = match data.filter(|d| !d.is_none()) {
            Some(d) => {
                let cols = frame_columns(
                    py,
                    d,
                    &[
                        ("frequency", &["frequency", "x", "frequency_cal"]),
                        (
                            "monetary_value",
                            &["monetary_value", "zbar", "monetary_value_cal"],
                        ),
                    ],
                    weights,
                )?;
                let w = if cols.len() > 2 {
                    optional_vec("weights", cols.get(2))?
                } else {
                    None
                };
                (
                    array_vec("frequency", &cols[0])?,
                    array_vec("monetary_value", &cols[1])?,
                    w,
                )
            }
            None => {
                let (Some(f), Some(mv)) = (
                    frequency.filter(|o| !o.is_none()),
                    monetary_value.filter(|o| !o.is_none()),
                ) else {
                    return Err(InvalidInputError::new_err(
                        "pass a frame as data, or frequency= and monetary_value= arrays",
                    ));
                };
                (
                    array_vec("frequency", f)?,
                    array_vec("monetary_value", mv)?,
                    optional_vec("weights", weights)?,
                )
            }
        };
        let spend = py_result(SpendData::new(&x, &m, w.as_deref()))?;
        let opts = fit_options(penalizer, initial, max_iterations, tolerance, restarts);
        let (fit, corr) = py.detach(|| {
            (
                GammaGamma::fit(&spend, &opts),
                spend_frequency_correlation(&spend).ok(),
            )
        });
        let fit = py_result(fit)?;
        let unit = unit_or_data_unit(py, unit, data)?;
        Ok(PyGammaGamma {
            model: fit.model,
            fit: Some(fit.summary),
            unit,
            extra: corr,
        })
    }

    /// Pearson correlation of frequency and mean spend among the repeat buyers of the fit: the
    /// model assumes spend is independent of frequency (Fader & Hardie 2013 find 0.11 on CDNOW
    /// and accept it). None if not fitted or undefined.
    #[getter]
    fn spend_frequency_correlation(&self) -> Option<f64> {
        self.extra
    }

    /// Expected spend per transaction of customers with x repeat purchases of mean value m
    /// (Fader & Hardie 2013, eq. 5): ``p (gamma + m x) / (p x + q - 1)``; with x = 0 the
    /// population mean ``p gamma / (q - 1)``.
    fn conditional_expected_spend<'py>(
        &self,
        py: Python<'py>,
        frequency: &Bound<'py, PyAny>,
        monetary_value: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let m = self.model;
        vectorised(
            py,
            ["frequency", "monetary_value"],
            [frequency, monetary_value],
            |[x, mv]| m.conditional_expected_spend(x, mv),
        )
    }

    /// Mean spend per transaction in the population, ``E[Z] = p gamma / (q - 1)``: the mean of
    /// the Gamma(p, nu) spend with nu ~ Gamma(q, gamma) (Fader & Hardie 2013, "The Gamma-Gamma
    /// model of monetary value", brucehardie.com note 025; the x = 0 case of its eq. 5 as
    /// lifetimes cites it).
    ///
    /// Raises
    /// ------
    /// InvalidInputError
    ///     If q <= 1 (the mean is infinite).
    fn population_mean_spend(&self) -> PyResult<f64> {
        py_result(self.model.population_mean_spend())
    }

    /// Simulated mean spend of customers with the given numbers of repeat purchases (>= 1).
    #[pyo3(signature = (frequency, *, seed = 0))]
    fn simulate_spend<'py>(
        &self,
        py: Python<'py>,
        frequency: &Bound<'py, PyAny>,
        seed: u64,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let x = arg("frequency", frequency)?;
        let m = self.model;
        let x: &[f64] = &x.values;
        let v = py_result(py.detach(|| m.simulate_spend(x, seed)))?;
        Ok(PyArray1::from_vec(py, v))
    }
});

/// Which transaction model a CLV call uses.
#[derive(Clone, Copy)]
enum Transactions {
    Bg(BetaGeo),
    Mbg(ModifiedBetaGeo),
    Pnbd(crate::models::pareto_nbd::ParetoNbd),
}

pub(super) fn time_unit(name: &str, text: &str) -> PyResult<TimeUnit> {
    text.parse::<TimeUnit>().map_err(|_| {
        InvalidInputError::new_err(format!(
            "{name} is {text:?}: not a time unit; use \"day\", \"week\", \"month\", \"quarter\" or \"year\""
        ))
    })
}

/// Customer lifetime value: discounted expected purchases in each period times expected spend
/// per purchase times margin, summed over the horizon.
///
/// Parameters
/// ----------
/// transaction_model : BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel
///     Predicts purchases (conditional expected purchases: FHL 2005 eq. 10 for BG/NBD;
///     Fader & Hardie 2005 note 009 for Pareto/NBD).
/// spend_model : GammaGammaModel
///     Predicts spend per purchase (conditional expected spend).
/// data : DataFrame, optional
///     Columns ``frequency``, ``recency``, ``T`` and ``monetary_value`` (or ``x``, ``t_x``,
///     ``T``, ``zbar``); or pass the arrays as keywords.
/// horizon : int
///     Number of periods.
/// unit : str
///     The period: "day", "week", "month" (mean calendar month, 30.436875 days), "quarter" or
///     "year". The discount rate is per such period.
/// discount_rate : float
///     Discount rate per period (0.01 = 1% a period); cash flows at the end of each period.
/// margin : float
///     Share of spend kept as profit (default 1).
/// data_unit : str, optional
///     Time unit of recency and T; defaults to the unit the transaction model was fitted with.
/// schedule : bool
///     Also return the discounted value of each customer in each period.
///
/// Returns
/// -------
/// ndarray, DataFrame or (values, ndarray)
///     Each customer's value (with ``data`` a pandas/polars DataFrame or pyarrow Table: the
///     same kind, column ``clv``, keyed by customer); with ``schedule=True`` also a
///     (customers x periods) array.
///
/// Formula
/// -------
/// ``CLV_i = margin * E[spend_i] * sum_k (E[Y_i(k L)] - E[Y_i((k-1) L)]) / (1 + d)^k``
///
/// Notes
/// -----
/// lifetimes computes the same sum with 30-day "months" (freq="D") or 4.345-week months
/// (freq="W"); ltvkit's month is the mean calendar month.
#[pyfunction]
#[pyo3(signature = (transaction_model, spend_model, data = None, *, horizon, unit,
    discount_rate, margin = 1.0, data_unit = None, frequency = None, recency = None, T = None,
    monetary_value = None, schedule = false))]
#[allow(non_snake_case, clippy::too_many_arguments)]
fn customer_lifetime_value<'py>(
    py: Python<'py>,
    transaction_model: &Bound<'py, PyAny>,
    spend_model: &Bound<'py, PyAny>,
    data: Option<&Bound<'py, PyAny>>,
    horizon: usize,
    unit: &str,
    discount_rate: f64,
    margin: f64,
    data_unit: Option<String>,
    frequency: Option<&Bound<'py, PyAny>>,
    recency: Option<&Bound<'py, PyAny>>,
    T: Option<&Bound<'py, PyAny>>,
    monetary_value: Option<&Bound<'py, PyAny>>,
    schedule: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let (tm, fitted_unit) = transactions_of(transaction_model)?;
    let gg = spend_model
        .cast::<PyGammaGamma>()
        .map_err(|_| InvalidInputError::new_err("spend_model must be a GammaGammaModel"))?
        .get()
        .model;
    let data_unit = data_unit.or(fitted_unit).ok_or_else(|| {
        InvalidInputError::new_err(
            "data_unit is missing: say which time unit recency and T are in (e.g. \"week\"), \
             or fit the transaction model with unit=",
        )
    })?;
    let data_unit = time_unit("data_unit", &data_unit)?;
    let period = time_unit("unit", unit)?;
    let (x, tx, tt, m) = match data.filter(|d| !d.is_none()) {
        Some(d) => {
            let cols = frame_columns(
                py,
                d,
                &[
                    ("frequency", &["frequency", "x", "frequency_cal"]),
                    ("recency", &["recency", "t_x", "recency_cal"]),
                    ("T", &["T", "T_cal"]),
                    (
                        "monetary_value",
                        &["monetary_value", "zbar", "monetary_value_cal"],
                    ),
                ],
                None,
            )?;
            (
                array_vec("frequency", &cols[0])?,
                array_vec("recency", &cols[1])?,
                array_vec("T", &cols[2])?,
                array_vec("monetary_value", &cols[3])?,
            )
        }
        None => {
            let get = |n: &str, o: Option<&Bound<'py, PyAny>>| -> PyResult<Values<'py>> {
                match o.filter(|o| !o.is_none()) {
                    Some(o) => array_vec(n, o),
                    None => Err(InvalidInputError::new_err(format!(
                        "{n} is missing: pass a frame as data, or frequency=, recency=, T= and \
                         monetary_value= arrays"
                    ))),
                }
            };
            (
                get("frequency", frequency)?,
                get("recency", recency)?,
                get("T", T)?,
                get("monetary_value", monetary_value)?,
            )
        }
    };
    let customers = ClvCustomers {
        x: &x,
        t_x: &tx,
        t: &tt,
        m: &m,
    };
    let res = py.detach(|| match tm {
        Transactions::Bg(b) => customer_lifetime_value_in_units(
            &b,
            &gg,
            customers,
            data_unit,
            period,
            horizon,
            discount_rate,
            margin,
            schedule,
        ),
        Transactions::Mbg(b) => customer_lifetime_value_in_units(
            &b,
            &gg,
            customers,
            data_unit,
            period,
            horizon,
            discount_rate,
            margin,
            schedule,
        ),
        Transactions::Pnbd(b) => customer_lifetime_value_in_units(
            &b,
            &gg,
            customers,
            data_unit,
            period,
            horizon,
            discount_rate,
            margin,
            schedule,
        ),
    });
    let res = py_result(res)?;
    let frame = data.filter(|d| !d.is_none());
    let values = keyed_out(py, frame, "clv", res.value, false)?;
    match res.schedule {
        Some(s) => {
            let table = numpy::PyArray2::from_vec2(py, &s)
                .map_err(|e| InvalidInputError::new_err(e.to_string()))?;
            Ok(PyTuple::new(py, [values, table.into_any()])?.into_any())
        }
        None => Ok(values),
    }
}

/// The core model inside a BG/NBD, MBG/NBD or Pareto/NBD object, and the unit it was fitted in.
fn transactions_of(obj: &Bound<'_, PyAny>) -> PyResult<(Transactions, Option<String>)> {
    if let Ok(m) = obj.cast::<PyBetaGeo>() {
        Ok((Transactions::Bg(m.get().model), m.get().unit.clone()))
    } else if let Ok(m) = obj.cast::<PyModifiedBetaGeo>() {
        Ok((Transactions::Mbg(m.get().model), m.get().unit.clone()))
    } else if let Ok(m) = obj.cast::<super::models_b::PyParetoNbd>() {
        Ok((Transactions::Pnbd(m.get().model), m.get().unit.clone()))
    } else {
        Err(InvalidInputError::new_err(
            "transaction_model must be a BetaGeoModel, a ModifiedBetaGeoModel or a ParetoNBDModel",
        ))
    }
}

/// Core of `ltvkit.evaluate`: predicted vs actual holdout purchases (see
/// `crate::models::evaluation::evaluate`). Returns a dict of floats and numpy arrays.
#[pyfunction]
#[pyo3(signature = (model, frequency, recency, T, actual, duration))]
#[allow(non_snake_case)]
fn _evaluate<'py>(
    py: Python<'py>,
    model: &Bound<'py, PyAny>,
    frequency: &Bound<'py, PyAny>,
    recency: &Bound<'py, PyAny>,
    T: &Bound<'py, PyAny>,
    actual: &Bound<'py, PyAny>,
    duration: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyDict>> {
    let (tm, _) = transactions_of(model).map_err(|_| {
        InvalidInputError::new_err(
            "model must be a BetaGeoModel, a ModifiedBetaGeoModel or a ParetoNBDModel",
        )
    })?;
    let (x, tx, tt) = (
        array_vec("frequency", frequency)?,
        array_vec("recency", recency)?,
        array_vec("T", T)?,
    );
    let (y, d) = (
        array_vec("frequency_holdout", actual)?,
        array_vec("duration_holdout", duration)?,
    );
    let cols: [&[f64]; 5] = [&x, &tx, &tt, &y, &d];
    let [x, tx, tt, y, d] = cols;
    let res = py.detach(|| match tm {
        Transactions::Bg(m) => evaluate(&m, x, tx, tt, y, d),
        Transactions::Mbg(m) => evaluate(&m, x, tx, tt, y, d),
        Transactions::Pnbd(m) => evaluate(&m, x, tx, tt, y, d),
    });
    let e = py_result(res)?;
    let out = PyDict::new(py);
    out.set_item("predicted", PyArray1::from_vec(py, e.predicted))?;
    out.set_item("mae", e.mae)?;
    out.set_item("rmse", e.rmse)?;
    out.set_item("bias", e.bias)?;
    out.set_item("total_predicted", e.total_predicted)?;
    out.set_item("total_actual", e.total_actual)?;
    let col = |f: fn(&crate::models::evaluation::DecileRow) -> f64| -> Vec<f64> {
        e.deciles.iter().map(f).collect()
    };
    out.set_item(
        "decile",
        e.deciles
            .iter()
            .map(|r| r.decile as i64)
            .collect::<Vec<_>>(),
    )?;
    out.set_item(
        "n_customers",
        e.deciles
            .iter()
            .map(|r| r.n_customers as i64)
            .collect::<Vec<_>>(),
    )?;
    out.set_item("mean_predicted", col(|r| r.mean_predicted))?;
    out.set_item("mean_actual", col(|r| r.mean_actual))?;
    out.set_item("tracking_time", PyArray1::from_vec(py, e.tracking_time))?;
    out.set_item(
        "tracking_expected",
        PyArray1::from_vec(py, e.tracking_expected),
    )?;
    Ok(out)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(customer_lifetime_value, m)?)?;
    m.add_class::<PyBetaGeo>()?;
    m.add_class::<PyModifiedBetaGeo>()?;
    m.add_class::<PyGammaGamma>()?;
    Ok(())
}
