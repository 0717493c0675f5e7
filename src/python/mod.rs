//! PyO3 bindings: conversions, error mapping and GIL release only. No statistics here.

mod economics;
mod errors;
mod numeric;
mod transactions;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    economics::register(m)?;
    transactions::register(m)?;
    Ok(())
}
