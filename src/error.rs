//! The one error type of the core. Bindings map each variant onto a Python exception class
//! (`src/python/errors.rs`); callers match variants, not messages.

use std::fmt;

/// Where in a vectorised call a bad value sits: nothing for scalar calls, an element index for
/// arrays, a row for tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    Scalar,
    Element(usize),
    Row(usize),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Scalar => Ok(()),
            Position::Element(i) => write!(f, " at position {i}"),
            Position::Row(i) => write!(f, " in row {i}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter of a formula is outside its domain.
    #[error("{name}{position} is {value}: {problem}")]
    InvalidParameter {
        name: String,
        value: String,
        problem: String,
        position: Position,
    },
    /// A row of a data set is unusable (null key, NaN amount, unparseable date, ...).
    #[error("{column}: row {row} is {value}; {problem}")]
    InvalidRow {
        column: String,
        row: usize,
        value: String,
        problem: String,
    },
    /// A required column is missing or has a type that cannot be used.
    #[error("column {column:?}: {problem}")]
    InvalidColumn { column: String, problem: String },
    /// Exact (Decimal) arithmetic would overflow, or float arithmetic left the finite range.
    #[error("{what} overflows: {hint}")]
    Overflow { what: String, hint: String },
    /// A maximum-likelihood fit did not converge.
    #[error("the fit did not converge after {iterations} iterations: {reason} (last parameters: {last_params})")]
    NotConverged {
        iterations: u64,
        reason: String,
        last_params: String,
    },
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An [`Error::InvalidParameter`] for a scalar argument.
    pub fn param(name: &str, value: impl fmt::Display, problem: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name: name.to_owned(),
            value: value.to_string(),
            problem: problem.into(),
            position: Position::Scalar,
        }
    }

    /// The same error, located at `position` of a vectorised call (first location wins).
    #[must_use]
    pub fn at(self, at: Position) -> Self {
        match self {
            Error::InvalidParameter {
                name,
                value,
                problem,
                position: Position::Scalar,
            } => Error::InvalidParameter {
                name,
                value,
                problem,
                position: at,
            },
            other => other,
        }
    }

    pub fn overflow(what: &str) -> Self {
        Error::Overflow {
            what: what.to_owned(),
            hint: "the inputs are too large for exact arithmetic; scale them (e.g. thousands) or pass floats".to_owned(),
        }
    }
}
