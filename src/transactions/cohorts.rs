//! Acquisition-cohort triangles and historical LTV from a transaction log.

use super::ingest::{Ingest, Log, LogColumns, Row};
use super::unit::TimeUnit;
use super::{Policy, Report};
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::str::FromStr;

pub mod one_pass;

/// The value in each cell (cohort, age) of a cohort triangle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CohortMetric {
    /// Customers of the cohort with a purchase at that age.
    Customers,
    /// Customers / cohort size (logo retention, a fraction).
    Retention,
    /// Revenue at that age, net of refunds.
    Revenue,
    /// Revenue at that age, purchases only (refunds not subtracted).
    GrossRevenue,
    /// Revenue / revenue at age 0 (net of refunds).
    RevenueRetention,
    /// Gross revenue / gross revenue at age 0.
    GrossRevenueRetention,
    /// Revenue / cohort size (revenue per original customer).
    RevenuePerCustomer,
    /// Cumulative revenue per original customer up to that age (the historical LTV curve).
    CumulativeRevenuePerCustomer,
    /// Cumulative revenue per customer / first purchase per customer.
    LtvMultiple,
}

impl FromStr for CohortMetric {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "customers" | "active_customers" => CohortMetric::Customers,
            "retention" | "logo_retention" => CohortMetric::Retention,
            "revenue" => CohortMetric::Revenue,
            "gross_revenue" => CohortMetric::GrossRevenue,
            "revenue_retention" => CohortMetric::RevenueRetention,
            "gross_revenue_retention" => CohortMetric::GrossRevenueRetention,
            "revenue_per_customer" => CohortMetric::RevenuePerCustomer,
            "cumulative_revenue_per_customer" | "ltv" => CohortMetric::CumulativeRevenuePerCustomer,
            "ltv_multiple" => CohortMetric::LtvMultiple,
            _ => {
                return Err(Error::param(
                    "metric",
                    format!("{s:?}"),
                    "use \"customers\", \"retention\", \"revenue\", \"gross_revenue\", \
                     \"revenue_retention\", \"gross_revenue_retention\", \
                     \"revenue_per_customer\", \"cumulative_revenue_per_customer\" or \
                     \"ltv_multiple\"",
                ))
            }
        })
    }
}

/// Sums of one cohort (or segment).
#[derive(Debug, Clone, Default)]
struct Group {
    size: u64,
    /// Sum over customers of their first purchase day's total.
    first_purchase: f64,
    /// Per age: active customers, net revenue, gross revenue.
    active: Vec<u64>,
    net: Vec<f64>,
    gross: Vec<f64>,
}

impl Group {
    fn at(&mut self, age: usize) {
        if self.active.len() <= age {
            self.active.resize(age + 1, 0);
            self.net.resize(age + 1, 0.0);
            self.gross.resize(age + 1, 0.0);
        }
    }
}

/// The age of a purchase on `day` of a customer who first bought on `first`, in periods.
fn age(unit: TimeUnit, first: i32, day: i32) -> i64 {
    match unit {
        TimeUnit::Days(n) => i64::from(day - first).div_euclid(i64::from(n)),
        _ => unit.period(day) - unit.period(first),
    }
}

/// Per customer: the first purchase day, its total, the segment (tag of the first purchase
/// row), and each purchase period with its net and gross totals; applies the refund rule (a
/// period with refunds only is not a purchase).
fn walk_customers(
    log: &Log,
    unit: TimeUnit,
    horizon: Option<u32>,
    report: &mut Report,
    mut each: impl FnMut(u32, i32, f64, &[(i64, f64, f64)]),
) {
    let rows = &log.rows;
    let mut start = 0;
    let mut cells: Vec<(i64, f64, f64)> = Vec::new();
    while start < rows.len() {
        let c = rows[start].customer;
        let len = rows[start..].iter().take_while(|r| r.customer == c).count();
        let run: &[Row] = &rows[start..start + len];
        start += len;
        let is_purchase = |r: &Row| !log.has_amount || r.amount >= 0.0;
        let Some(first) = run.iter().find(|r| is_purchase(r)).copied() else {
            report.refund_rows_unmatched += run.len() as u64;
            continue;
        };
        let first_total: f64 = run
            .iter()
            .filter(|r| r.day == first.day)
            .map(|r| r.amount)
            .sum();
        cells.clear();
        let mut i = 0;
        while i < run.len() {
            let a = age(unit, first.day, run[i].day);
            let mut j = i;
            let (mut net, mut gross, mut buys, mut refunds) = (0.0, 0.0, 0u64, 0u64);
            while j < run.len() && age(unit, first.day, run[j].day) == a {
                net += run[j].amount;
                if is_purchase(&run[j]) {
                    gross += run[j].amount;
                    buys += 1;
                } else {
                    refunds += 1;
                }
                j += 1;
            }
            let rows_here = (j - i) as u64;
            i = j;
            if a < 0 {
                // refunds before the first purchase
                report.refund_rows_unmatched += rows_here;
                continue;
            }
            if horizon.is_some_and(|h| a >= i64::from(h)) {
                report.rows_beyond_horizon += rows_here;
                continue;
            }
            if buys == 0 {
                report.refund_rows_unmatched += refunds;
                continue;
            }
            report.refund_rows_netted += refunds;
            report.rows_used += rows_here;
            cells.push((a, net, gross));
        }
        each(first.tag, first.day, first_total, &cells);
    }
}

/// A cohort triangle: one row per (segment, cohort), one column per age.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortTable {
    /// The segment of each row (None without a segment column).
    pub segments: Option<Vec<Box<str>>>,
    /// The first day of each row's cohort (days since 1970-01-01).
    pub cohorts: Vec<i32>,
    /// Customers acquired in each cohort.
    pub sizes: Vec<u64>,
    /// `cells[row][age]`; None where the age is not yet observed at `observation_end`.
    pub cells: Vec<Vec<Option<f64>>>,
}

/// The acquisition-cohort triangle of a log.
///
/// # Formula
/// ```text
/// cohort of a customer  = the `cohort` period of their first purchase
/// age of a purchase     = periods (`period` unit) since the customer's first purchase, 0, 1, ...
/// N_c                   = customers acquired in cohort c
/// customers[c][k]       = customers of c with a purchase at age k
/// retention[c][k]       = customers[c][k] / N_c
/// revenue[c][k]         = sum of amounts at age k (refunds netted); gross: purchases only
/// revenue_retention     = revenue[c][k] / revenue[c][0]   (gross: with gross revenue)
/// revenue_per_customer  = revenue[c][k] / N_c
/// cumulative_revenue_per_customer[c][k] = sum_{j<=k} revenue[c][j] / N_c
/// ltv_multiple[c][k]    = cumulative_revenue_per_customer[c][k] / (F_c / N_c)
///                         F_c = sum over customers of their first purchase day's total
/// ```
/// Ages past `observation_end` (from the first day of the cohort) are None.
///
/// A ratio whose denominator is zero (no revenue at age 0, first purchases of 0) is None.
///
/// # Errors
/// None beyond those of reading the log (the `Result` keeps the signature of the others).
///
/// # References
/// Fader & Hardie (2007), "How to project customer retention" (the cohort retention table);
/// the "layer cake" / cohort revenue tables of subscription analytics.
pub fn cohort_table(
    log: &Log,
    cohort: TimeUnit,
    period: TimeUnit,
    metric: CohortMetric,
    observation_end: Option<i32>,
    segmented: bool,
) -> Result<(CohortTable, Report)> {
    let mut report = log.report.clone();
    let end = observation_end.or_else(|| log.max_day());
    report.observation_end = end.and_then(super::unit::date_from_days);
    let mut groups: BTreeMap<(Box<str>, i64), Group> = BTreeMap::new();
    walk_customers(
        log,
        period,
        None,
        &mut report,
        |tag, first_day, first_total, cells| {
            let seg: Box<str> = if segmented {
                log.tags.get(tag as usize).cloned().unwrap_or_default()
            } else {
                Box::from("")
            };
            let g = groups.entry((seg, cohort.period(first_day))).or_default();
            g.size += 1;
            g.first_purchase += first_total;
            for &(a, net, gross) in cells {
                let a = usize::try_from(a).unwrap_or(0);
                g.at(a);
                g.active[a] += 1;
                g.net[a] += net;
                g.gross[a] += gross;
            }
        },
    );
    Ok((
        triangle(groups, cohort, period, metric, end, segmented),
        report,
    ))
}

/// [`cohort_table`] of a stream in one pass ([`one_pass`]) for the counting metrics
/// (`customers`, `retention`) when each customer's rows come in date order; otherwise
/// [`one_pass::OnePass::Fallback`], after reading only up to the batch where that showed (none
/// for the other metrics): then run [`cohort_table`] on the whole input, read again. When it
/// is done, the result equals [`super::read_log`] followed by [`cohort_table`]. The segment is
/// the tag column of `columns` (`segmented`).
///
/// # Errors
/// As [`super::read_log`], for the rows read.
#[allow(clippy::too_many_arguments)]
pub fn cohort_table_one_pass<I>(
    schema: &arrow_schema::SchemaRef,
    batches: I,
    columns: LogColumns,
    policy: Policy,
    cohort: TimeUnit,
    period: TimeUnit,
    metric: CohortMetric,
    observation_end: Option<i32>,
    segmented: bool,
) -> Result<one_pass::OnePass>
where
    I: IntoIterator<Item = std::result::Result<arrow_array::RecordBatch, arrow_schema::ArrowError>>,
{
    let mut ingest = Ingest::new(columns, policy);
    ingest.schema(schema)?;
    let mut pass = one_pass::OnePassCohorts::new(ingest, cohort, period, metric, segmented);
    if pass.stopped().is_none() {
        for batch in batches {
            let batch = batch.map_err(super::input_error)?;
            pass.push(&batch)?;
            if pass.stopped().is_some() {
                break;
            }
        }
    }
    Ok(pass.finish(observation_end))
}

/// The table of the groups (in key order: segment, then cohort): ages up to `end`, the cells
/// of `metric`.
fn triangle(
    groups: BTreeMap<(Box<str>, i64), Group>,
    cohort: TimeUnit,
    period: TimeUnit,
    metric: CohortMetric,
    end: Option<i32>,
    segmented: bool,
) -> CohortTable {
    let mut out = CohortTable {
        segments: segmented.then(Vec::new),
        cohorts: Vec::new(),
        sizes: Vec::new(),
        cells: Vec::new(),
    };
    let ratio = |a: f64, b: f64| if b != 0.0 { Some(a / b) } else { None };
    for ((seg, c), mut g) in groups {
        let start = i32::try_from(cohort.start(c)).unwrap_or(0);
        let max_age = end.map_or(0, |e| age(period, start, e).max(0));
        let ages = usize::try_from(max_age).unwrap_or(0) + 1;
        g.at(ages.saturating_sub(1));
        let n = g.size as f64;
        let first_per_customer = g.first_purchase / n;
        let mut cum = 0.0;
        let mut row = Vec::with_capacity(ages);
        for k in 0..ages {
            cum += g.net[k];
            row.push(match metric {
                CohortMetric::Customers => Some(g.active[k] as f64),
                CohortMetric::Retention => Some(g.active[k] as f64 / n),
                CohortMetric::Revenue => Some(g.net[k]),
                CohortMetric::GrossRevenue => Some(g.gross[k]),
                CohortMetric::RevenueRetention => ratio(g.net[k], g.net[0]),
                CohortMetric::GrossRevenueRetention => ratio(g.gross[k], g.gross[0]),
                CohortMetric::RevenuePerCustomer => Some(g.net[k] / n),
                CohortMetric::CumulativeRevenuePerCustomer => Some(cum / n),
                CohortMetric::LtvMultiple => ratio(cum / n, first_per_customer),
            });
        }
        if let Some(s) = out.segments.as_mut() {
            s.push(seg);
        }
        out.cohorts.push(start);
        out.sizes.push(g.size);
        out.cells.push(row);
    }
    out
}

/// Historical LTV per cohort or segment.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoricalLtv {
    /// The segment of each row (grouping by a column), or None (grouping by cohort).
    pub segments: Option<Vec<Box<str>>>,
    /// The first day of each row's cohort (grouping by cohort), or None.
    pub cohorts: Option<Vec<i32>>,
    pub customers: Vec<u64>,
    pub revenue: Vec<f64>,
    /// revenue / customers.
    pub historical_ltv: Vec<f64>,
    /// Mean first purchase day total per customer.
    pub first_purchase_value: Vec<f64>,
    /// historical_ltv / first_purchase_value (None when the first purchases sum to 0).
    pub ltv_multiple: Vec<Option<f64>>,
}

/// Revenue over the life of each cohort (or segment) divided by its customers, and its
/// multiple of the first purchase.
///
/// # Formula
/// ```text
/// historical LTV_g = (revenue of group g's customers, ages 0..horizon-1) / N_g
/// multiple_g       = historical LTV_g / (F_g / N_g)
/// ```
/// `F_g` sums the customers' first purchase day totals. With `horizon` (in `period` units), only
/// purchases at ages below it count; the rows left out are counted in
/// [`Report::rows_beyond_horizon`].
///
/// # Errors
/// None beyond those of reading the log.
///
/// # References
/// The historical (cohort) LTV of practice: a cohort of 100 that brought 60,000 is worth 600
/// each, 1.5x a 400 first purchase.
pub fn historical_ltv(
    log: &Log,
    cohort: TimeUnit,
    period: TimeUnit,
    horizon: Option<u32>,
    observation_end: Option<i32>,
    segmented: bool,
) -> Result<(HistoricalLtv, Report)> {
    let mut report = log.report.clone();
    report.observation_end = observation_end
        .or_else(|| log.max_day())
        .and_then(super::unit::date_from_days);
    let mut groups: BTreeMap<(Box<str>, i64), (u64, f64, f64)> = BTreeMap::new();
    walk_customers(
        log,
        period,
        horizon,
        &mut report,
        |tag, first_day, first_total, cells| {
            let key = if segmented {
                (log.tags.get(tag as usize).cloned().unwrap_or_default(), 0)
            } else {
                (Box::from(""), cohort.period(first_day))
            };
            let g = groups.entry(key).or_default();
            g.0 += 1;
            g.1 += cells.iter().map(|c| c.1).sum::<f64>();
            g.2 += first_total;
        },
    );
    let mut out = HistoricalLtv {
        segments: segmented.then(Vec::new),
        cohorts: (!segmented).then(Vec::new),
        customers: Vec::new(),
        revenue: Vec::new(),
        historical_ltv: Vec::new(),
        first_purchase_value: Vec::new(),
        ltv_multiple: Vec::new(),
    };
    for ((seg, c), (n, revenue, first)) in groups {
        if let Some(s) = out.segments.as_mut() {
            s.push(seg);
        }
        if let Some(v) = out.cohorts.as_mut() {
            v.push(i32::try_from(cohort.start(c)).unwrap_or(0));
        }
        let ltv = revenue / n as f64;
        let fp = first / n as f64;
        out.customers.push(n);
        out.revenue.push(revenue);
        out.historical_ltv.push(ltv);
        out.first_purchase_value.push(fp);
        out.ltv_multiple.push((fp != 0.0).then(|| ltv / fp));
    }
    Ok((out, report))
}

fn segment_array(v: &[Box<str>]) -> arrow_array::ArrayRef {
    std::sync::Arc::new(arrow_array::StringArray::from_iter_values(v.iter()))
}

fn date_array(v: &[i32]) -> arrow_array::ArrayRef {
    std::sync::Arc::new(arrow_array::Date32Array::from(v.to_vec()))
}

fn count_array(v: &[u64]) -> arrow_array::ArrayRef {
    std::sync::Arc::new(arrow_array::Int64Array::from_iter_values(
        v.iter().map(|&n| i64::try_from(n).unwrap_or(i64::MAX)),
    ))
}

impl CohortTable {
    /// `[segment], cohort (date32, first day), customers, "0", "1", ... (one column per age)`.
    ///
    /// # Errors
    /// See [`super::record_batch`].
    pub fn to_record_batch(
        &self,
        segment_column: Option<&str>,
    ) -> Result<arrow_array::RecordBatch> {
        let mut cols = Vec::new();
        if let (Some(s), Some(name)) = (&self.segments, segment_column) {
            cols.push((name.to_owned(), segment_array(s)));
        }
        cols.push(("cohort".to_owned(), date_array(&self.cohorts)));
        cols.push(("customers".to_owned(), count_array(&self.sizes)));
        let ages = self.cells.iter().map(Vec::len).max().unwrap_or(0);
        for k in 0..ages {
            let v: arrow_array::Float64Array = self
                .cells
                .iter()
                .map(|r| r.get(k).copied().flatten())
                .collect();
            cols.push((
                k.to_string(),
                std::sync::Arc::new(v) as arrow_array::ArrayRef,
            ));
        }
        super::record_batch(cols)
    }
}

impl HistoricalLtv {
    /// `segment or cohort, customers, revenue, historical_ltv, first_purchase_value,
    /// ltv_multiple`.
    ///
    /// # Errors
    /// See [`super::record_batch`].
    pub fn to_record_batch(
        &self,
        segment_column: Option<&str>,
    ) -> Result<arrow_array::RecordBatch> {
        let mut cols = Vec::new();
        if let (Some(s), Some(name)) = (&self.segments, segment_column) {
            cols.push((name.to_owned(), segment_array(s)));
        }
        if let Some(c) = &self.cohorts {
            cols.push(("cohort".to_owned(), date_array(c)));
        }
        cols.push(("customers".to_owned(), count_array(&self.customers)));
        cols.push(("revenue".to_owned(), super::f64_array(&self.revenue)));
        cols.push((
            "historical_ltv".to_owned(),
            super::f64_array(&self.historical_ltv),
        ));
        cols.push((
            "first_purchase_value".to_owned(),
            super::f64_array(&self.first_purchase_value),
        ));
        let m: arrow_array::Float64Array = self.ltv_multiple.iter().copied().collect();
        cols.push((
            "ltv_multiple".to_owned(),
            std::sync::Arc::new(m) as arrow_array::ArrayRef,
        ));
        super::record_batch(cols)
    }
}
