//! Bindings of `crate::transactions`: an Arrow stream in (anything with `__arrow_c_stream__`,
//! read batch by batch without copying), an Arrow table and a JSON report out. The public,
//! documented functions are in `python/ltvkit/transactions.py`.

use super::errors::py_result;
use crate::error::Result;
use crate::transactions::{
    self as tx, cohorts, subscriptions, summary, value, Future, LogColumns, Policy, Refunds,
    Report, TimeUnit,
};
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use chrono::NaiveDate;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3_arrow::{PyRecordBatchReader, PyTable};

/// The parsed options shared by the log functions.
struct Options {
    columns: LogColumns,
    policy: Policy,
    unit: TimeUnit,
}

#[allow(clippy::too_many_arguments)]
fn options(
    customer_id: String,
    date: String,
    amount: Option<String>,
    tag: Option<String>,
    period: &str,
    observation_end: Option<NaiveDate>,
    future: &str,
    refunds: &str,
) -> Result<Options> {
    Ok(Options {
        columns: LogColumns {
            customer_id,
            date,
            amount,
            tag,
            link: None,
        },
        policy: Policy {
            observation_end: observation_end.map(tx::unit::days_from_date),
            future: future.parse::<Future>()?,
            refunds: refunds.parse::<Refunds>()?,
        },
        unit: period.parse::<TimeUnit>()?,
    })
}

/// Reads the stream (detached from the interpreter) and runs `f` on the log.
fn run<F>(
    py: Python<'_>,
    data: PyRecordBatchReader,
    opts: Options,
    f: F,
) -> PyResult<(PyTable, String)>
where
    F: FnOnce(&tx::Log, TimeUnit) -> Result<(RecordBatch, Report, serde_json::Value)> + Send,
{
    let reader = data.into_reader()?;
    let result = py.detach(move || {
        let schema = reader.schema();
        let log = tx::read_log(&schema, reader, opts.columns, opts.policy)?;
        f(&log, opts.unit)
    });
    let (batch, report, summary) = py_result(result)?;
    let schema = batch.schema();
    let json = serde_json::json!({ "report": report, "summary": summary }).to_string();
    Ok((PyTable::try_new(vec![batch], schema)?, json))
}

/// `rfm_summary`'s options, `observation_end` moved to the last day of its period (lifetimes
/// keeps the whole period of observation_end: it compares period starts); the given day.
#[allow(clippy::too_many_arguments)]
fn rfm_options(
    customer_id: String,
    date: String,
    amount: Option<String>,
    period: &str,
    observation_end: Option<NaiveDate>,
    future: &str,
    refunds: &str,
) -> PyResult<(Options, Option<i32>)> {
    let mut opts = py_result(options(
        customer_id,
        date,
        amount,
        None,
        period,
        observation_end,
        future,
        refunds,
    ))?;
    let end = opts.policy.observation_end;
    opts.policy.observation_end = end.map(|e| opts.unit.period_last_day(e));
    Ok((opts, end))
}

fn summary_out(batch: RecordBatch, report: Report) -> PyResult<(PyTable, String)> {
    let schema = batch.schema();
    let json =
        serde_json::json!({ "report": report, "summary": serde_json::Value::Null }).to_string();
    Ok((PyTable::try_new(vec![batch], schema)?, json))
}

/// What `rfm_summary` and `rfm_summary_one_pass` share: the options, the stream read with
/// the GIL released by `summarise`, and the output; None when `summarise` gave up.
#[allow(clippy::too_many_arguments)]
fn summary_with<F>(
    py: Python<'_>,
    data: PyRecordBatchReader,
    customer_id: String,
    date: String,
    amount: Option<String>,
    period: &str,
    observation_end: Option<NaiveDate>,
    future: &str,
    refunds: &str,
    summarise: F,
) -> PyResult<Option<(PyTable, String)>>
where
    F: FnOnce(
            &SchemaRef,
            Box<dyn arrow_array::RecordBatchReader + Send>,
            Options,
            Option<i32>,
        ) -> Result<Option<(summary::Summary, Report)>>
        + Send,
{
    let (opts, end) = rfm_options(
        customer_id.clone(),
        date,
        amount,
        period,
        observation_end,
        future,
        refunds,
    )?;
    let reader = data.into_reader()?;
    let result = py.detach(move || {
        let schema = reader.schema();
        match summarise(&schema, reader, opts, end)? {
            Some((s, report)) => Ok(Some((s.into_record_batch(&customer_id)?, report))),
            None => Ok::<_, crate::error::Error>(None),
        }
    });
    match py_result(result)? {
        Some((batch, report)) => summary_out(batch, report).map(Some),
        None => Ok(None),
    }
}

#[pyfunction]
#[pyo3(signature = (data, customer_id, date, amount, period, observation_end, future, refunds, memory_limit=None, rows_hint=None))]
#[allow(clippy::too_many_arguments)]
fn rfm_summary(
    py: Python<'_>,
    data: PyRecordBatchReader,
    customer_id: String,
    date: String,
    amount: Option<String>,
    period: &str,
    observation_end: Option<NaiveDate>,
    future: &str,
    refunds: &str,
    memory_limit: Option<u64>,
    rows_hint: Option<u64>,
) -> PyResult<(PyTable, String)> {
    let out = summary_with(
        py,
        data,
        customer_id,
        date,
        amount,
        period,
        observation_end,
        future,
        refunds,
        |schema, reader, opts, end| {
            tx::rfm_summary_of_stream(
                schema,
                reader,
                opts.columns,
                opts.policy,
                opts.unit,
                end,
                memory_limit,
                rows_hint,
            )
            .map(Some)
        },
    )?;
    out.ok_or_else(|| PyRuntimeError::new_err("ltvkit internal error: the sorted path gave up"))
}

/// `rfm_summary` in one pass (`crate::transactions::stream`); None when the rows of some
/// customer are not in date order (or its state would exceed `memory_limit`, or an id is
/// outside `id_range`, the smallest and largest integer id when known from Parquet
/// statistics): then call `rfm_summary` on the whole input again.
#[pyfunction]
#[pyo3(signature = (data, customer_id, date, amount, period, observation_end, future, refunds, memory_limit=None, rows_hint=None, id_range=None))]
#[allow(clippy::too_many_arguments)]
fn rfm_summary_one_pass(
    py: Python<'_>,
    data: PyRecordBatchReader,
    customer_id: String,
    date: String,
    amount: Option<String>,
    period: &str,
    observation_end: Option<NaiveDate>,
    future: &str,
    refunds: &str,
    memory_limit: Option<u64>,
    rows_hint: Option<u64>,
    id_range: Option<(i64, i64)>,
) -> PyResult<Option<(PyTable, String)>> {
    summary_with(
        py,
        data,
        customer_id,
        date,
        amount,
        period,
        observation_end,
        future,
        refunds,
        |schema, reader, opts, end| {
            let outcome = tx::rfm_summary_one_pass(
                schema,
                reader,
                opts.columns,
                opts.policy,
                opts.unit,
                end,
                memory_limit,
                rows_hint,
                id_range,
            )?;
            Ok(match outcome {
                tx::stream::OnePass::Done(s, report) => Some((s, report)),
                tx::stream::OnePass::Fallback(_) => None,
            })
        },
    )
}

/// The batches of `batches`, each reported to `progress(rows, total, read)` when given (`read`
/// counts the reads of the input from 0) until it returns a false value (no bar is wanted:
/// then no Python object is made for each batch), with the interpreter's signals checked
/// between batches: Ctrl-C ends the read with an error, and its exception is kept in
/// `interrupted` to be raised instead.
fn reported<'a, I>(
    batches: I,
    total: u64,
    read: u32,
    progress: Option<&'a Py<PyAny>>,
    interrupted: &'a std::sync::Mutex<Option<PyErr>>,
) -> impl Iterator<Item = std::result::Result<RecordBatch, arrow_schema::ArrowError>> + 'a
where
    I: Iterator<Item = std::result::Result<RecordBatch, arrow_schema::ArrowError>> + 'a,
{
    let mut progress = progress;
    batches.map(move |batch| {
        let batch = batch?;
        Python::attach(|py| {
            if let Some(bar) = progress {
                // a failing progress bar does not stop the summary
                let wanted = bar
                    .call1(py, (batch.num_rows(), total, read))
                    .is_ok_and(|v| v.is_truthy(py).unwrap_or(false));
                if !wanted {
                    progress = None;
                }
            }
            py.check_signals()
        })
        .map_err(|e| {
            let msg = e.to_string();
            if let Ok(mut slot) = interrupted.lock() {
                *slot = Some(e);
            }
            arrow_schema::ArrowError::ExternalError(msg.into())
        })?;
        Ok(batch)
    })
}

/// `rfm_summary` of local Parquet files read in Rust (`crate::transactions::parquet_files`):
/// in one pass when each customer's rows come in date order, else on the sorted path (the
/// files read again). `("done", (table, report))`, or `("pyarrow", None)` when the files have
/// a column type or codec left to pyarrow (then call `rfm_summary_one_pass` / `rfm_summary`
/// on a pyarrow reader). `progress`, when given, is called with the rows of each batch, the
/// total and the read (0, then 1 for the sorted path).
#[pyfunction]
#[pyo3(signature = (files, customer_id, date, amount, period, observation_end, future, refunds, memory_limit=None, progress=None))]
#[allow(clippy::too_many_arguments)]
fn rfm_summary_parquet(
    py: Python<'_>,
    files: Vec<std::path::PathBuf>,
    customer_id: String,
    date: String,
    amount: Option<String>,
    period: &str,
    observation_end: Option<NaiveDate>,
    future: &str,
    refunds: &str,
    memory_limit: Option<u64>,
    progress: Option<Py<PyAny>>,
) -> PyResult<(&'static str, Option<(PyTable, String)>)> {
    use tx::parquet_files::{Opened, ParquetFiles};
    let (opts, end) = rfm_options(
        customer_id.clone(),
        date,
        amount,
        period,
        observation_end,
        future,
        refunds,
    )?;
    let interrupted = std::sync::Mutex::new(None);
    let result = py.detach(|| {
        let mut names = vec![
            opts.columns.customer_id.as_str(),
            opts.columns.date.as_str(),
        ];
        names.extend(opts.columns.amount.as_deref());
        let open = || ParquetFiles::open(&files, &names, &opts.columns.customer_id);
        let Opened::Files(parquet) = open() else {
            return Ok(None);
        };
        let schema = parquet.schema().clone();
        let (rows, id_range) = (parquet.rows(), parquet.id_range());
        let batches = reported(parquet.batches(), rows, 0, progress.as_ref(), &interrupted);
        let outcome = tx::rfm_summary_one_pass(
            &schema,
            batches,
            opts.columns.clone(),
            opts.policy,
            opts.unit,
            end,
            memory_limit,
            Some(rows),
            id_range,
        )?;
        let (s, report) = match outcome {
            tx::stream::OnePass::Done(s, report) => (s, report),
            tx::stream::OnePass::Fallback(_) => {
                // read again, sorted (the files were read once: they are Parquet files)
                let Opened::Files(parquet) = open() else {
                    return Ok(None);
                };
                let batches = reported(parquet.batches(), rows, 1, progress.as_ref(), &interrupted);
                tx::rfm_summary_of_stream(
                    &schema,
                    batches,
                    opts.columns.clone(),
                    opts.policy,
                    opts.unit,
                    end,
                    memory_limit,
                    Some(rows),
                )?
            }
        };
        Ok::<_, crate::error::Error>(Some((s.into_record_batch(&customer_id)?, report)))
    });
    if let Some(e) = interrupted.into_inner().ok().flatten() {
        return Err(e);
    }
    match py_result(result)? {
        Some((batch, report)) => Ok(("done", Some(summary_out(batch, report)?))),
        None => Ok(("pyarrow", None)),
    }
}

#[pyfunction]
#[pyo3(signature = (data, customer_id, date, amount, period, calibration_end, observation_end, future, refunds))]
#[allow(clippy::too_many_arguments)]
fn calibration_holdout(
    py: Python<'_>,
    data: PyRecordBatchReader,
    customer_id: String,
    date: String,
    amount: Option<String>,
    period: &str,
    calibration_end: NaiveDate,
    observation_end: Option<NaiveDate>,
    future: &str,
    refunds: &str,
) -> PyResult<(PyTable, String)> {
    let opts = py_result(options(
        customer_id.clone(),
        date,
        amount,
        None,
        period,
        observation_end,
        future,
        refunds,
    ))?;
    let end = opts.policy.observation_end;
    let cal = tx::unit::days_from_date(calibration_end);
    run(py, data, opts, move |log, unit| {
        let (ch, report) = summary::calibration_holdout(log, unit, cal, end)?;
        Ok((
            ch.to_record_batch(&customer_id)?,
            report,
            serde_json::Value::Null,
        ))
    })
}

/// `cohort_table`'s options (those of the log, the cohort unit and the metric).
#[allow(clippy::too_many_arguments)]
fn cohort_options(
    customer_id: String,
    date: String,
    amount: Option<String>,
    segment: Option<String>,
    cohort: &str,
    period: &str,
    metric: &str,
    observation_end: Option<NaiveDate>,
    future: &str,
    refunds: &str,
) -> PyResult<(Options, TimeUnit, cohorts::CohortMetric)> {
    let opts = py_result(options(
        customer_id,
        date,
        amount,
        segment,
        period,
        observation_end,
        future,
        refunds,
    ))?;
    let cohort = py_result(cohort.parse::<TimeUnit>())?;
    let metric = py_result(metric.parse::<cohorts::CohortMetric>())?;
    Ok((opts, cohort, metric))
}

#[pyfunction]
#[pyo3(signature = (data, customer_id, date, amount, segment, cohort, period, metric, observation_end, future, refunds))]
#[allow(clippy::too_many_arguments)]
fn cohort_table(
    py: Python<'_>,
    data: PyRecordBatchReader,
    customer_id: String,
    date: String,
    amount: Option<String>,
    segment: Option<String>,
    cohort: &str,
    period: &str,
    metric: &str,
    observation_end: Option<NaiveDate>,
    future: &str,
    refunds: &str,
) -> PyResult<(PyTable, String)> {
    let (opts, cohort, metric) = cohort_options(
        customer_id,
        date,
        amount,
        segment.clone(),
        cohort,
        period,
        metric,
        observation_end,
        future,
        refunds,
    )?;
    let end = opts.policy.observation_end;
    run(py, data, opts, move |log, unit| {
        let (t, report) = cohorts::cohort_table(log, cohort, unit, metric, end, segment.is_some())?;
        Ok((
            t.to_record_batch(segment.as_deref())?,
            report,
            serde_json::Value::Null,
        ))
    })
}

/// `cohort_table` in one pass (`crate::transactions::cohorts::one_pass`) for the counting
/// metrics; None when the metric needs revenue, or the rows of some customer are not in date
/// order (or a segment tie): then call `cohort_table` on the whole input again.
#[pyfunction]
#[pyo3(signature = (data, customer_id, date, amount, segment, cohort, period, metric, observation_end, future, refunds))]
#[allow(clippy::too_many_arguments)]
fn cohort_table_one_pass(
    py: Python<'_>,
    data: PyRecordBatchReader,
    customer_id: String,
    date: String,
    amount: Option<String>,
    segment: Option<String>,
    cohort: &str,
    period: &str,
    metric: &str,
    observation_end: Option<NaiveDate>,
    future: &str,
    refunds: &str,
) -> PyResult<Option<(PyTable, String)>> {
    let (opts, cohort, metric) = cohort_options(
        customer_id,
        date,
        amount,
        segment.clone(),
        cohort,
        period,
        metric,
        observation_end,
        future,
        refunds,
    )?;
    let end = opts.policy.observation_end;
    let reader = data.into_reader()?;
    let result = py.detach(move || {
        let schema = reader.schema();
        let outcome = cohorts::cohort_table_one_pass(
            &schema,
            reader,
            opts.columns,
            opts.policy,
            cohort,
            opts.unit,
            metric,
            end,
            segment.is_some(),
        )?;
        match outcome {
            cohorts::one_pass::OnePass::Done(t, report) => {
                Ok(Some((t.to_record_batch(segment.as_deref())?, report)))
            }
            cohorts::one_pass::OnePass::Fallback(_) => Ok::<_, crate::error::Error>(None),
        }
    });
    match py_result(result)? {
        Some((batch, report)) => summary_out(batch, report).map(Some),
        None => Ok(None),
    }
}

#[pyfunction]
#[pyo3(signature = (data, customer_id, date, amount, by, cohort, period, horizon, observation_end, future, refunds))]
#[allow(clippy::too_many_arguments)]
#[pyo3(name = "historical_ltv_of_log")]
fn historical_ltv_of_log(
    py: Python<'_>,
    data: PyRecordBatchReader,
    customer_id: String,
    date: String,
    amount: String,
    by: Option<String>,
    cohort: &str,
    period: &str,
    horizon: Option<u32>,
    observation_end: Option<NaiveDate>,
    future: &str,
    refunds: &str,
) -> PyResult<(PyTable, String)> {
    let opts = py_result(options(
        customer_id,
        date,
        Some(amount),
        by.clone(),
        period,
        observation_end,
        future,
        refunds,
    ))?;
    let cohort = py_result(cohort.parse::<TimeUnit>())?;
    let end = opts.policy.observation_end;
    run(py, data, opts, move |log, unit| {
        let (t, report) = cohorts::historical_ltv(log, cohort, unit, horizon, end, by.is_some())?;
        Ok((
            t.to_record_batch(by.as_deref())?,
            report,
            serde_json::Value::Null,
        ))
    })
}

#[pyfunction]
#[pyo3(signature = (data, customer_id, month, mrr, observation_end, future, refunds))]
#[allow(clippy::too_many_arguments)]
fn subscription_metrics(
    py: Python<'_>,
    data: PyRecordBatchReader,
    customer_id: String,
    month: String,
    mrr: String,
    observation_end: Option<NaiveDate>,
    future: &str,
    refunds: &str,
) -> PyResult<(PyTable, String)> {
    let opts = py_result(options(
        customer_id,
        month,
        Some(mrr),
        None,
        "M",
        observation_end,
        future,
        refunds,
    ))?;
    let end = opts.policy.observation_end;
    run(py, data, opts, move |log, _| {
        let (t, report) = subscriptions::subscription_metrics(log, end)?;
        Ok((t.to_record_batch()?, report, serde_json::Value::Null))
    })
}

#[pyfunction]
#[pyo3(signature = (data, customer_id, date, amount, value_type, referred_by, referral_share, observation_end, future, refunds))]
#[allow(clippy::too_many_arguments)]
fn value_breakdown(
    py: Python<'_>,
    data: PyRecordBatchReader,
    customer_id: String,
    date: String,
    amount: String,
    value_type: String,
    referred_by: Option<String>,
    referral_share: f64,
    observation_end: Option<NaiveDate>,
    future: &str,
    refunds: &str,
) -> PyResult<(PyTable, String)> {
    let mut opts = py_result(options(
        customer_id.clone(),
        date,
        Some(amount),
        Some(value_type.clone()),
        "D",
        observation_end,
        future,
        refunds,
    ))?;
    opts.columns.link = referred_by;
    run(py, data, opts, move |log, _| {
        let (v, report) = value::value_breakdown(log, &value_type, referral_share)?;
        Ok((v.to_record_batch(&customer_id)?, report, v.summary_json()))
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(rfm_summary, m)?)?;
    m.add_function(wrap_pyfunction!(rfm_summary_one_pass, m)?)?;
    m.add_function(wrap_pyfunction!(rfm_summary_parquet, m)?)?;
    m.add_function(wrap_pyfunction!(calibration_holdout, m)?)?;
    m.add_function(wrap_pyfunction!(cohort_table, m)?)?;
    m.add_function(wrap_pyfunction!(cohort_table_one_pass, m)?)?;
    m.add_function(wrap_pyfunction!(historical_ltv_of_log, m)?)?;
    m.add_function(wrap_pyfunction!(subscription_metrics, m)?)?;
    m.add_function(wrap_pyfunction!(value_breakdown, m)?)?;
    Ok(())
}
