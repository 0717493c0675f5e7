//! The one mapping from core errors to the exception classes of `ltvkit.exceptions`.

use crate::error::{Error, Position};
use pyo3::prelude::*;

pyo3::import_exception!(ltvkit.exceptions, InvalidInputError);
pyo3::import_exception!(ltvkit.exceptions, InvalidDataError);
pyo3::import_exception!(ltvkit.exceptions, ConvergenceError);
pyo3::import_exception!(ltvkit.exceptions, ArithmeticOverflowError);

/// A core error on its way to Python.
pub struct PyLtvError(pub Error);

impl From<Error> for PyLtvError {
    fn from(e: Error) -> Self {
        PyLtvError(e)
    }
}

/// Builds the exception and attaches the facts as attributes, so that callers (and the Excel
/// layer) can read `err.parameter`, `err.row`, ... without parsing the message.
fn with_attrs(
    err: PyErr,
    attrs: &[(&str, Option<String>)],
    ints: &[(&str, Option<usize>)],
) -> PyErr {
    Python::attach(|py| {
        let value = err.value(py);
        for (k, v) in attrs {
            let _ = value.setattr(*k, v.clone());
        }
        for (k, v) in ints {
            let _ = value.setattr(*k, *v);
        }
    });
    err
}

impl From<PyLtvError> for PyErr {
    fn from(e: PyLtvError) -> PyErr {
        let msg = e.0.to_string();
        match e.0 {
            Error::InvalidParameter {
                name,
                value,
                position,
                ..
            } => {
                let (pos, row) = match position {
                    Position::Scalar => (None, None),
                    Position::Element(i) => (Some(i), None),
                    Position::Row(i) => (None, Some(i)),
                };
                with_attrs(
                    InvalidInputError::new_err(msg),
                    &[("parameter", Some(name)), ("value", Some(value))],
                    &[("position", pos), ("row", row)],
                )
            }
            Error::InvalidRow {
                column, row, value, ..
            } => with_attrs(
                InvalidDataError::new_err(msg),
                &[("column", Some(column)), ("value", Some(value))],
                &[("row", Some(row))],
            ),
            Error::InvalidColumn { column, .. } => with_attrs(
                InvalidDataError::new_err(msg),
                &[("column", Some(column))],
                &[],
            ),
            Error::Overflow { .. } => ArithmeticOverflowError::new_err(msg),
            Error::NotConverged {
                iterations,
                last_params,
                ..
            } => with_attrs(
                ConvergenceError::new_err(msg),
                &[("last_params", Some(last_params))],
                &[("iterations", usize::try_from(iterations).ok())],
            ),
        }
    }
}

/// Converts a core result into a `PyResult`.
pub fn py_result<T>(r: crate::error::Result<T>) -> PyResult<T> {
    r.map_err(|e| PyErr::from(PyLtvError(e)))
}
