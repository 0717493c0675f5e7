//! The transaction-log engine: one row per order (customer, date, amount) in, per-customer and
//! per-cohort summaries out, in one pass.
//!
//! A log arrives as Arrow record batches ([`ingest::Ingest`]), in any order and any number of
//! batches (the streaming path: memory grows with the number of *kept rows*, 16 bytes each, not
//! with the input columns). Each row is validated (null key or date, unparseable date, NaN or
//! infinite amount raise [`crate::Error::InvalidRow`] naming the column, the 0-based row over
//! the whole stream and the value) and the bad-input policies are applied ([`Policy`]); every
//! row a policy removes or changes is counted in the [`Report`].
//!
//! The summaries ([`summary::rfm_summary`], [`summary::calibration_holdout`],
//! [`cohorts::cohort_table`], [`cohorts::historical_ltv`]) work on the resulting [`ingest::Log`].

pub mod cohorts;
pub mod ingest;
mod parity;
pub mod parquet_files;
mod spill;
pub mod stream;
pub mod subscriptions;
pub mod summary;
#[cfg(test)]
mod testing;
pub mod unit;
pub mod value;

pub use ingest::{Ingest, Log, LogColumns};
pub use unit::TimeUnit;

use crate::error::{Error, Result};
use serde::Serialize;
use std::str::FromStr;

/// What to do with rows dated after the end of observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Future {
    /// Raise [`Error::InvalidRow`] at the first such row (the default).
    Raise,
    /// Leave them out and count them in [`Report::future_rows_dropped`].
    Drop,
}

impl FromStr for Future {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "raise" | "error" => Ok(Future::Raise),
            "drop" => Ok(Future::Drop),
            _ => Err(Error::param(
                "future",
                format!("{s:?}"),
                "use \"raise\" or \"drop\"",
            )),
        }
    }
}

/// What to do with negative amounts (refunds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Refunds {
    /// Add them to the total of the same customer and period (the default). A period with no
    /// non-negative row is not a purchase: its refunds are counted in
    /// [`Report::refund_rows_unmatched`] and left out.
    Net,
    /// Raise [`Error::InvalidRow`] at the first negative amount.
    Error,
    /// Leave refund rows out and count them in [`Report::refund_rows_dropped`].
    Drop,
}

impl FromStr for Refunds {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "net" => Ok(Refunds::Net),
            "error" | "raise" => Ok(Refunds::Error),
            "drop" => Ok(Refunds::Drop),
            _ => Err(Error::param(
                "refunds",
                format!("{s:?}"),
                "use \"net\", \"error\" or \"drop\"",
            )),
        }
    }
}

/// The bad-input policies of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// The last day observed (days since 1970-01-01), if given; rows after it obey `future`.
    pub observation_end: Option<i32>,
    pub future: Future,
    pub refunds: Refunds,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            observation_end: None,
            future: Future::Raise,
            refunds: Refunds::Net,
        }
    }
}

/// What the bad-input policies did: every row removed or changed is counted here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Rows read from the input.
    pub rows_read: u64,
    /// Rows that entered the summary (after the drops below).
    pub rows_used: u64,
    /// Rows dated after `observation_end`, left out under `future="drop"`.
    pub future_rows_dropped: u64,
    /// Negative-amount rows added to a purchase of the same customer and period (`refunds="net"`).
    pub refund_rows_netted: u64,
    /// Negative-amount rows left out under `refunds="drop"`.
    pub refund_rows_dropped: u64,
    /// Negative-amount rows in a customer-period without any purchase (`refunds="net"`): left out.
    pub refund_rows_unmatched: u64,
    /// Holdout rows of customers with no purchase in the calibration period
    /// ([`summary::calibration_holdout`] keeps the calibration customers only, as lifetimes does).
    pub holdout_rows_of_new_customers: u64,
    /// Rows at ages at or past `horizon` ([`cohorts::historical_ltv`]).
    pub rows_beyond_horizon: u64,
    /// The end of observation used (given, or the last date of the log).
    pub observation_end: Option<chrono::NaiveDate>,
}

/// A failure of the input stream itself, as an [`Error::InvalidColumn`] naming `"(input)"`.
fn input_error(e: arrow_schema::ArrowError) -> Error {
    Error::InvalidColumn {
        column: "(input)".to_owned(),
        problem: format!("reading the input failed: {e}"),
    }
}

/// Reads a whole stream of record batches into a validated [`Log`].
///
/// # Errors
/// See [`Ingest`]; a failure of the stream itself is an [`Error::InvalidColumn`] naming
/// `"(input)"`.
pub fn read_log<I>(
    schema: &arrow_schema::SchemaRef,
    batches: I,
    columns: LogColumns,
    policy: Policy,
) -> Result<Log>
where
    I: IntoIterator<Item = std::result::Result<arrow_array::RecordBatch, arrow_schema::ArrowError>>,
{
    let mut ingest = checked_ingest(schema, columns, policy)?;
    push_batches(&mut ingest, batches)?;
    Ok(ingest.finish())
}

/// An [`Ingest`] of `columns` under `policy`, `schema` checked.
fn checked_ingest(
    schema: &arrow_schema::SchemaRef,
    columns: LogColumns,
    policy: Policy,
) -> Result<Ingest> {
    let mut ingest = Ingest::new(columns, policy);
    ingest.schema(schema)?;
    Ok(ingest)
}

/// Pushes every batch of `batches` into `ingest`.
fn push_batches<I>(ingest: &mut Ingest, batches: I) -> Result<()>
where
    I: IntoIterator<Item = std::result::Result<arrow_array::RecordBatch, arrow_schema::ArrowError>>,
{
    for batch in batches {
        let batch = batch.map_err(input_error)?;
        ingest.push(&batch)?;
    }
    Ok(())
}

/// The RFM summary ([`summary::rfm_summary`]) of a whole stream of record batches, in bounded
/// memory: with `memory_limit` (bytes) the kept rows beyond about `memory_limit / 64` are
/// partitioned by customer into temporary files and summarised one partition at a time
/// (`rows_hint`, the expected number of rows, sizes the partitions). The result is the same as
/// [`read_log`] followed by [`summary::rfm_summary`].
///
/// # Errors
/// As [`read_log`] and [`summary::rfm_summary`]; an I/O failure of the temporary files is an
/// [`Error::InvalidColumn`] naming `"(spill)"`.
#[allow(clippy::too_many_arguments)]
pub fn rfm_summary_of_stream<I>(
    schema: &arrow_schema::SchemaRef,
    batches: I,
    columns: LogColumns,
    policy: Policy,
    unit: TimeUnit,
    observation_end: Option<i32>,
    memory_limit: Option<u64>,
    rows_hint: Option<u64>,
) -> Result<(summary::Summary, Report)>
where
    I: IntoIterator<Item = std::result::Result<arrow_array::RecordBatch, arrow_schema::ArrowError>>,
{
    let mut ingest = checked_ingest(schema, columns, policy)?;
    if let Some(bytes) = memory_limit {
        ingest.memory_limit(bytes, rows_hint);
    }
    push_batches(&mut ingest, batches)?;
    ingest.rfm_summary(unit, observation_end)
}

/// The RFM summary of a stream in one pass ([`stream`]), when each customer's rows come in
/// date order; otherwise (or when the state of the customers would exceed `memory_limit`)
/// [`stream::OnePass::Fallback`], after reading only up to the batch where that showed: run
/// [`rfm_summary_of_stream`] on the whole input again. When it is done, the result equals
/// [`rfm_summary_of_stream`]'s.
///
/// # Errors
/// As [`rfm_summary_of_stream`], for the rows read.
#[allow(clippy::too_many_arguments)]
pub fn rfm_summary_one_pass<I>(
    schema: &arrow_schema::SchemaRef,
    batches: I,
    columns: LogColumns,
    policy: Policy,
    unit: TimeUnit,
    observation_end: Option<i32>,
    memory_limit: Option<u64>,
    rows_hint: Option<u64>,
    id_range: Option<(i64, i64)>,
) -> Result<stream::OnePass>
where
    I: IntoIterator<Item = std::result::Result<arrow_array::RecordBatch, arrow_schema::ArrowError>>,
{
    // the range numbers integer ids only (a text column ignores it)
    let int_ids = schema
        .field_with_name(&columns.customer_id)
        .is_ok_and(|f| f.data_type().is_integer());
    let ingest = checked_ingest(schema, columns, policy)?;
    let id_range = id_range.filter(|_| int_ids);
    let mut pass = stream::OnePassSummary::new(ingest, unit, memory_limit, rows_hint, id_range);
    pass.push_all(batches)?;
    pass.finish(observation_end)
}

/// The customer keys as an Arrow column (Int64, or Utf8 / LargeUtf8 for text ids).
pub fn keys_array(keys: &ingest::Keys) -> arrow_array::ArrayRef {
    use arrow_array::{Int64Array, LargeStringArray, StringArray};
    use std::sync::Arc;
    match keys {
        ingest::Keys::Int(v) => Arc::new(Int64Array::from(v.clone())),
        ingest::Keys::Str(v) => {
            let bytes: usize = v.iter().map(|s| s.len()).sum();
            if bytes < i32::MAX as usize {
                Arc::new(StringArray::from_iter_values(v.iter()))
            } else {
                Arc::new(LargeStringArray::from_iter_values(v.iter()))
            }
        }
    }
}

/// A record batch of named columns (the first the customer keys).
///
/// # Errors
/// [`Error::InvalidColumn`] if the columns do not line up (a bug, reported rather than panicking).
pub fn record_batch(
    columns: Vec<(String, arrow_array::ArrayRef)>,
) -> Result<arrow_array::RecordBatch> {
    arrow_array::RecordBatch::try_from_iter(columns).map_err(|e| Error::InvalidColumn {
        column: "(output)".to_owned(),
        problem: format!("building the result failed: {e}"),
    })
}

/// A Float64 column.
pub fn f64_array(v: &[f64]) -> arrow_array::ArrayRef {
    std::sync::Arc::new(arrow_array::Float64Array::from(v.to_vec()))
}
