//! Numbers in from Python (int, float, Decimal, numeric str, float64 arrays) and out again,
//! and the dispatch of one formula onto its exact (Decimal), float or array path.

use super::errors::{py_result, InvalidInputError};
use crate::error::{Error, Result};
use crate::number::{decimal_from_f64, Number};
use crate::vectorize::{apply, Column, Kernel};
use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString, PyType};
use rust_decimal::Decimal;

/// One scalar argument as the user gave it.
#[derive(Debug, Clone, Copy)]
pub enum Scalar {
    Int(i64),
    Float(f64),
    /// From a `decimal.Decimal` or a numeric `str`: selects the exact path.
    Exact(Decimal),
}

impl Scalar {
    pub fn as_f64(self) -> f64 {
        match self {
            Scalar::Int(i) => i as f64,
            Scalar::Float(x) => x,
            Scalar::Exact(d) => Number::to_f64(d),
        }
    }

    pub fn as_decimal(self, name: &str) -> Result<Decimal> {
        match self {
            Scalar::Int(i) => Ok(Decimal::from(i)),
            Scalar::Float(x) => decimal_from_f64(x).map_err(|_| {
                Error::param(
                    name,
                    x,
                    "must be a finite number; drop or fill missing values",
                )
            }),
            Scalar::Exact(d) => Ok(d),
        }
    }
}

fn decimal_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    DECIMAL.import(py, "decimal", "Decimal")
}

fn bad_type(name: &str, obj: &Bound<'_, PyAny>) -> PyErr {
    let tname = obj
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned());
    InvalidInputError::new_err(format!(
        "{name} is a {tname}: pass an int, float, decimal.Decimal or numeric str (or an array of numbers)"
    ))
}

fn parse_text(name: &str, text: &str) -> PyResult<Decimal> {
    let t = text.trim();
    t.parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(t))
        .map_err(|_| {
            InvalidInputError::new_err(format!(
                "{name} is {text:?}: not a number; pass digits such as \"19.99\""
            ))
        })
}

/// Reads one scalar argument named `name`.
pub fn scalar(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Scalar> {
    scalar_or_missing(name, obj)?.ok_or_else(|| {
        InvalidInputError::new_err(format!("{name} is missing (None or NaN): pass a number"))
    })
}

/// Reads one scalar argument; `None` and float NaN are `Ok(None)` (a missing table cell).
pub fn scalar_or_missing(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Option<Scalar>> {
    let py = obj.py();
    if obj.is_none() {
        return Ok(None);
    }
    if obj.is_instance_of::<PyBool>() {
        return Err(bad_type(name, obj));
    }
    if obj.is_instance_of::<PyInt>() {
        return match obj.extract::<i64>() {
            Ok(i) => Ok(Some(Scalar::Int(i))),
            Err(_) => parse_text(name, &obj.str()?.to_cow()?).map(|d| Some(Scalar::Exact(d))),
        };
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        let x = f.value();
        return Ok(if x.is_nan() {
            None
        } else {
            Some(Scalar::Float(x))
        });
    }
    if obj.is_instance(decimal_type(py)?)? {
        let text = obj.str()?;
        return parse_text(name, &text.to_cow()?).map(|d| Some(Scalar::Exact(d)));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return parse_text(name, &s.to_cow()?).map(|d| Some(Scalar::Exact(d)));
    }
    // numpy scalars and other number-likes: integers through __index__, reals through __float__.
    if obj.hasattr("__index__")? {
        if let Ok(i) = obj
            .call_method0("__index__")
            .and_then(|i| i.extract::<i64>())
        {
            return Ok(Some(Scalar::Int(i)));
        }
    }
    if obj.hasattr("__float__")? {
        if let Ok(x) = obj
            .call_method0("__float__")
            .and_then(|f| f.extract::<f64>())
        {
            return Ok(if x.is_nan() {
                None
            } else {
                Some(Scalar::Float(x))
            });
        }
    }
    Err(bad_type(name, obj))
}

/// Runs `kernel` on Python scalars: exactly when any argument is a Decimal or str (the result is
/// a `decimal.Decimal`), in `f64` otherwise (the result is a `float`).
pub fn call_scalar<'py, const K: usize, F: Kernel<K>>(
    py: Python<'py>,
    kernel: &F,
    args: [&Bound<'py, PyAny>; K],
) -> PyResult<Bound<'py, PyAny>> {
    let mut values = [Scalar::Int(0); K];
    for (j, obj) in args.iter().enumerate() {
        values[j] = scalar(F::NAMES[j], obj)?;
    }
    if values.iter().any(|v| matches!(v, Scalar::Exact(_))) {
        let mut exact = [Decimal::ZERO; K];
        for (j, v) in values.iter().enumerate() {
            exact[j] = py_result(v.as_decimal(F::NAMES[j]))?;
        }
        let out = py_result(kernel.call(exact))?;
        out.into_pyobject(py)
    } else {
        let floats = values.map(Scalar::as_f64);
        let out = py_result(kernel.call(floats))?;
        Ok(PyFloat::new(py, out).into_any())
    }
}

/// Whether any argument is an array (the Python layer turns every array-like into a 1-D
/// contiguous `float64` ndarray before it calls a binding).
pub fn any_array<const K: usize>(args: &[&Bound<'_, PyAny>; K]) -> bool {
    // The attribute check first: it keeps scalar calls from importing numpy.
    args.iter().any(|a| {
        a.hasattr("__array_interface__").unwrap_or(false) && a.cast::<PyArray1<f64>>().is_ok()
    })
}

/// The array path: 1-D contiguous `float64` arrays of one length, and scalars.
pub fn call_array<'py, const K: usize, F: Kernel<K>>(
    py: Python<'py>,
    kernel: &F,
    args: [&Bound<'py, PyAny>; K],
) -> PyResult<Bound<'py, PyAny>> {
    let mut arrays: Vec<Option<PyReadonlyArray1<'py, f64>>> = Vec::with_capacity(K);
    let mut scalars = [0.0_f64; K];
    let mut n: Option<usize> = None;
    for (j, obj) in args.iter().enumerate() {
        if let Ok(a) = obj.cast::<PyArray1<f64>>() {
            let ro = a.try_readonly()?;
            let len = ro.len()?;
            if let Some(m) = n {
                if m != len {
                    return Err(InvalidInputError::new_err(format!(
                        "{} has {len} elements but another argument has {m}; pass arrays of one length (or scalars)",
                        F::NAMES[j]
                    )));
                }
            }
            n = Some(len);
            arrays.push(Some(ro));
        } else {
            scalars[j] = scalar(F::NAMES[j], obj)?.as_f64();
            arrays.push(None);
        }
    }
    let n = n.unwrap_or(1);
    let mut slices: Vec<Option<&[f64]>> = Vec::with_capacity(K);
    for a in &arrays {
        slices.push(match a {
            Some(ro) => Some(ro.as_slice().map_err(|_| {
                InvalidInputError::new_err(
                    "array arguments must be contiguous; pass numpy.ascontiguousarray(x)",
                )
            })?),
            None => None,
        });
    }
    let columns: [Column<'_>; K] = std::array::from_fn(|j| match slices[j] {
        Some(s) => Column::Slice(s),
        None => Column::Scalar(scalars[j]),
    });
    // numpy allocates the result (its allocator asks for huge pages, which saves most of the
    // page faults of a fresh 80 MB buffer); it is filled with the interpreter released.
    let out = PyArray1::<f64>::zeros(py, n, false);
    {
        let mut rw = out.try_readwrite()?;
        let slots = rw.as_slice_mut().map_err(|_| {
            InvalidInputError::new_err("internal: a fresh result array is not contiguous")
        })?;
        py_result(py.detach(|| apply(kernel, &columns, slots)))?;
    }
    Ok(out.into_any())
}

/// Scalar or array path, whichever the arguments call for.
pub fn call<'py, const K: usize, F: Kernel<K>>(
    py: Python<'py>,
    kernel: &F,
    args: [&Bound<'py, PyAny>; K],
) -> PyResult<Bound<'py, PyAny>> {
    if any_array(&args) {
        call_array(py, kernel, args)
    } else {
        call_scalar(py, kernel, args)
    }
}
