//! # ltvkit
//!
//! What customers are worth: lifetime value (LTV), acquisition cost (CAC), retention and churn,
//! computed exactly (money in `rust_decimal`) and fast (statistics in `f64`).
//!
//! The core is pure Rust and knows nothing of Python; the PyO3 bindings live in `src/python/`
//! behind the `python` feature.
//!
//! ## Glossary
//! - **AOV**: average order value, revenue / orders.
//! - **purchase frequency**: purchases per customer per period.
//! - **LTV**: lifetime value, what a customer brings over the whole relationship.
//! - **CAC**: customer acquisition cost, acquisition spend / new customers.
//! - **churn**: share of customers at the start of a period lost during it; retention = 1 - churn
//!   when no customers are won.
//! - **frequency x** (transaction logs): repeat purchases; **recency t_x**: time from the first to
//!   the last purchase; **T**: time from the first purchase to the end of observation;
//!   **monetary value**: mean spend per repeat purchase.

pub mod channels;
pub mod dual;
pub mod error;
pub mod models;
pub mod number;
pub mod optimize;
mod parallel;
pub mod period;
pub mod special;
pub mod transactions;
pub mod unit_economics;
pub mod vectorize;

#[cfg(feature = "python")]
mod python;

pub use error::{Error, Result};
pub use number::Number;
pub use period::Period;
