//! PyO3 bindings: conversions, error mapping and GIL release only. No statistics here.

mod economics;
mod errors;
mod models;
mod models_b;
mod numeric;
mod transactions;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    economics::register(m)?;
    models::register(m)?;
    models_b::register(m)?;
    transactions::register(m)?;
    Ok(())
}
