//! Per-customer recency/frequency/monetary summaries, exactly as lifetimes computes them.

use super::ingest::{Keys, Log, Row};
use super::unit::TimeUnit;
use super::Report;
use crate::error::{Error, Result};

/// A compensated (Kahan) running sum, in the very form pandas' `groupby().sum()` and
/// `groupby().mean()` use (pandas >= 1.3, `_libs/groupby.pyx`), so that sums match to the bit.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Kahan {
    pub(super) sum: f64,
    pub(super) comp: f64,
}

impl Kahan {
    pub(super) fn add(&mut self, v: f64) {
        let y = v - self.comp;
        let t = self.sum + y;
        self.comp = t - self.sum - y;
        self.sum = t;
    }
}

/// One customer-period of a log: its first day and (refund-netted) total.
#[derive(Debug, Clone)]
struct Purchase {
    period: i64,
    total: f64,
    /// Rows of the period with a non-negative amount (all rows without amounts).
    purchases: u32,
    /// The period's rows, as a range of the customer's rows.
    rows: std::ops::Range<usize>,
}

/// Walks the rows of one customer period by period, applying the refund netting rule: a period
/// with no non-negative row is not a purchase (its rows go to `unmatched`).
fn purchases(
    rows: &[Row],
    unit: TimeUnit,
    has_amount: bool,
    report: &mut Report,
    mut each: impl FnMut(Purchase),
) {
    let mut i = 0;
    while i < rows.len() {
        let period = unit.period(rows[i].day);
        let mut sum = Kahan::default();
        let mut positive = 0u32;
        let mut refunds = 0u64;
        let mut j = i;
        while j < rows.len() && unit.period(rows[j].day) == period {
            let a = rows[j].amount;
            sum.add(a);
            if !has_amount || a >= 0.0 {
                positive += 1;
            } else {
                refunds += 1;
            }
            j += 1;
        }
        if positive == 0 {
            report.refund_rows_unmatched += refunds;
        } else {
            report.refund_rows_netted += refunds;
            report.rows_used += (j - i) as u64;
            each(Purchase {
                period,
                total: sum.sum,
                purchases: positive,
                rows: i..j,
            });
        }
        i = j;
    }
}

/// Splits sorted rows into the runs of each customer.
fn by_customer(rows: &[Row]) -> impl Iterator<Item = (u32, &[Row])> {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= rows.len() {
            return None;
        }
        let c = rows[start].customer;
        let len = rows[start..].iter().take_while(|r| r.customer == c).count();
        let run = &rows[start..start + len];
        start += len;
        Some((c, run))
    })
}

/// The RFM summary of a log: one row per customer with at least one purchase.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub keys: Keys,
    /// x: repeat purchases (periods with a purchase after the first).
    pub frequency: Vec<f64>,
    /// t_x: time from the first to the last purchase period.
    pub recency: Vec<f64>,
    /// T: time from the first purchase period to the period of the end of observation.
    pub t: Vec<f64>,
    /// Mean total of the repeat purchase periods (0 without repeat purchases); None without
    /// amounts.
    pub monetary_value: Option<Vec<f64>>,
    pub unit: TimeUnit,
    /// The end of observation used (days since 1970-01-01), None for an empty log.
    pub observation_end: Option<i32>,
}

/// Recency, frequency, T and monetary value per customer, with the conventions of lifetimes'
/// `summary_data_from_transaction_data`.
///
/// # Formula
/// ```text
/// periods of a customer: the distinct periods (unit) with a purchase, p_1 < ... < p_n
/// frequency      x   = n - 1
/// recency        t_x = span(p_1, p_n)
/// T                  = span(p_1, period(observation_end))
/// monetary value     = mean of the period totals of p_2..p_n (0 when n = 1)
/// ```
/// A period total is the sum of the customer's amounts in that period (refunds netted). The
/// first purchase is left out of the monetary value. `observation_end` defaults to the last
/// date of the log.
///
/// # Errors
/// [`Error::InvalidParameter`] when `observation_end` is before the first purchase of a
/// customer (T would be negative).
///
/// # References
/// lifetimes 0.11.3, `lifetimes.utils.summary_data_from_transaction_data` and
/// `_find_first_transactions`; Fader, Hardie & Lee (2005), "Counting your customers the easy
/// way", Marketing Science 24(2), section 2 (x, t_x, T).
pub fn rfm_summary(
    log: &Log,
    unit: TimeUnit,
    observation_end: Option<i32>,
) -> Result<(Summary, Report)> {
    let mut report = log.report.clone();
    let end = observation_end.or_else(|| log.max_day());
    let mut s = Summary {
        keys: Keys::Int(Vec::new()),
        frequency: Vec::new(),
        recency: Vec::new(),
        t: Vec::new(),
        monetary_value: log.has_amount.then(Vec::new),
        unit,
        observation_end: end,
    };
    let Some(end) = end else {
        s.keys = log.keys.select(&[]);
        return Ok((s, report));
    };
    report.observation_end = super::unit::date_from_days(end);
    let end_period = unit.period(end);
    let mut kept = Vec::new();
    for (c, rows) in by_customer(&log.rows) {
        let mut first: Option<i64> = None;
        let mut last = 0i64;
        let mut n = 0u64;
        let mut repeat = Kahan::default();
        purchases(rows, unit, log.has_amount, &mut report, |p| {
            if first.is_none() {
                first = Some(p.period);
            } else {
                repeat.add(p.total);
            }
            last = p.period;
            n += 1;
        });
        let Some(first) = first else { continue };
        if first > end_period {
            return Err(Error::param(
                "observation_end",
                super::unit::date_from_days(end).map_or_else(|| end.to_string(), |d| d.to_string()),
                "is before the first purchase of some customers; pass a later date",
            ));
        }
        kept.push(c);
        s.frequency.push((n - 1) as f64);
        s.recency.push(unit.span(first, last));
        s.t.push(unit.span(first, end_period));
        if let Some(m) = s.monetary_value.as_mut() {
            m.push(if n > 1 {
                repeat.sum / (n - 1) as f64
            } else {
                0.0
            });
        }
    }
    s.keys = log.keys.select(&kept);
    Ok((s, report))
}

/// The calibration/holdout split of a log, per calibration customer.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationHoldout {
    /// The summary of the calibration period (columns `*_cal`).
    pub calibration: Summary,
    /// Periods with a purchase after `calibration_end`, up to `observation_end`.
    pub frequency_holdout: Vec<f64>,
    /// Mean amount per holdout *row* (lifetimes' convention), 0 without holdout purchases.
    pub monetary_value_holdout: Option<Vec<f64>>,
    /// span(period(calibration_end), period(observation_end)).
    pub duration_holdout: f64,
}

/// Calibration summary and holdout counts, with the columns and conventions of lifetimes'
/// `calibration_and_holdout_data`.
///
/// # Formula
/// ```text
/// calibration rows: date <= calibration_end  -> rfm_summary(.., observation_end = calibration_end)
/// holdout rows:     calibration_end < date <= observation_end
/// frequency_holdout      = distinct periods with a holdout purchase
/// monetary_value_holdout = sum of holdout amounts / holdout purchase rows   (per row, as lifetimes)
/// duration_holdout       = span(period(calibration_end), period(observation_end))
/// ```
/// Only customers with a calibration purchase are kept (as in lifetimes); the holdout rows of
/// the others are counted in [`Report::holdout_rows_of_new_customers`].
///
/// # Errors
/// [`Error::InvalidParameter`] when `calibration_end` is not before `observation_end`.
///
/// # References
/// lifetimes 0.11.3, `lifetimes.utils.calibration_and_holdout_data`.
pub fn calibration_holdout(
    log: &Log,
    unit: TimeUnit,
    calibration_end: i32,
    observation_end: Option<i32>,
) -> Result<(CalibrationHoldout, Report)> {
    let end = observation_end
        .or_else(|| log.max_day())
        .unwrap_or(calibration_end);
    if end <= calibration_end && !log.rows.is_empty() {
        return Err(Error::param(
            "calibration_end",
            super::unit::date_from_days(calibration_end)
                .map_or_else(|| calibration_end.to_string(), |d| d.to_string()),
            format!(
                "must be before observation_end ({}); pass an earlier calibration_end",
                super::unit::date_from_days(end).map_or_else(|| end.to_string(), |d| d.to_string())
            ),
        ));
    }
    let (cal_rows, hold_rows): (Vec<Row>, Vec<Row>) =
        log.rows.iter().partition(|r| r.day <= calibration_end);
    let cal_log = Log {
        keys: log.keys.clone(),
        rows: cal_rows,
        tags: Vec::new(),
        tag_rows: Vec::new(),
        links: Vec::new(),
        has_amount: log.has_amount,
        report: Report::default(),
        customer_column: log.customer_column.clone(),
    };
    let (calibration, cal_report) = rfm_summary(&cal_log, unit, Some(calibration_end))?;
    let mut report = log.report.clone();
    report.rows_used = cal_report.rows_used;
    report.refund_rows_netted = cal_report.refund_rows_netted;
    report.refund_rows_unmatched = cal_report.refund_rows_unmatched;

    // calibration customers, in key order, as indices into log.keys
    let cal_customers: Vec<u32> = {
        let mut v: Vec<u32> = by_customer(&cal_log.rows)
            .filter(|(_, rows)| rows.iter().any(|r| !log.has_amount || r.amount >= 0.0))
            .map(|(c, _)| c)
            .collect();
        v.dedup();
        v
    };
    let n = cal_customers.len();
    let mut freq = vec![0.0; n];
    let mut money = log.has_amount.then(|| vec![0.0; n]);
    let mut hold = by_customer(&hold_rows).peekable();
    let mut pos = 0usize;
    for (c, rows) in hold.by_ref() {
        while pos < n && cal_customers[pos] < c {
            pos += 1;
        }
        if pos >= n || cal_customers[pos] != c {
            report.holdout_rows_of_new_customers += rows.len() as u64;
            continue;
        }
        let mut periods = 0u64;
        let mut sum = Kahan::default();
        let mut count = 0u64;
        purchases(rows, unit, log.has_amount, &mut report, |p| {
            periods += 1;
            // lifetimes averages the holdout *rows* (pandas' Kahan mean), not the periods
            for r in &rows[p.rows] {
                sum.add(r.amount);
            }
            count += u64::from(p.purchases);
        });
        freq[pos] = periods as f64;
        if let Some(m) = money.as_mut() {
            if count > 0 {
                m[pos] = sum.sum / count as f64;
            }
        }
    }
    report.observation_end = super::unit::date_from_days(end);
    let duration = unit.span(unit.period(calibration_end), unit.period(end));
    Ok((
        CalibrationHoldout {
            calibration,
            frequency_holdout: freq,
            monetary_value_holdout: money,
            duration_holdout: duration,
        },
        report,
    ))
}

impl Summary {
    /// The summary as a record batch: the customer column, frequency, recency, T and (with
    /// amounts) monetary_value, all Float64 as in lifetimes.
    ///
    /// # Errors
    /// See [`super::record_batch`].
    pub fn to_record_batch(&self, customer_column: &str) -> Result<arrow_array::RecordBatch> {
        self.columns(customer_column, "")
            .and_then(super::record_batch)
    }

    /// As [`Summary::to_record_batch`], moving the columns into Arrow without a copy.
    ///
    /// # Errors
    /// As [`Summary::to_record_batch`].
    pub fn into_record_batch(self, customer_column: &str) -> Result<arrow_array::RecordBatch> {
        use arrow_array::{ArrayRef, Float64Array, Int64Array};
        use std::sync::Arc;
        let keys: ArrayRef = match self.keys {
            Keys::Int(v) => Arc::new(Int64Array::from(v)),
            keys => super::keys_array(&keys),
        };
        let f64s = |v: Vec<f64>| -> ArrayRef { Arc::new(Float64Array::from(v)) };
        let mut cols = vec![
            (customer_column.to_owned(), keys),
            ("frequency".to_owned(), f64s(self.frequency)),
            ("recency".to_owned(), f64s(self.recency)),
            ("T".to_owned(), f64s(self.t)),
        ];
        if let Some(m) = self.monetary_value {
            cols.push(("monetary_value".to_owned(), f64s(m)));
        }
        super::record_batch(cols)
    }

    fn columns(
        &self,
        customer_column: &str,
        suffix: &str,
    ) -> Result<Vec<(String, arrow_array::ArrayRef)>> {
        let mut cols = vec![
            (customer_column.to_owned(), super::keys_array(&self.keys)),
            (
                format!("frequency{suffix}"),
                super::f64_array(&self.frequency),
            ),
            (format!("recency{suffix}"), super::f64_array(&self.recency)),
            (format!("T{suffix}"), super::f64_array(&self.t)),
        ];
        if let Some(m) = &self.monetary_value {
            cols.push((format!("monetary_value{suffix}"), super::f64_array(m)));
        }
        Ok(cols)
    }
}

impl CalibrationHoldout {
    /// The columns of lifetimes' `calibration_and_holdout_data`: frequency_cal, recency_cal,
    /// T_cal, [monetary_value_cal], frequency_holdout, [monetary_value_holdout],
    /// duration_holdout.
    ///
    /// # Errors
    /// See [`super::record_batch`].
    pub fn to_record_batch(&self, customer_column: &str) -> Result<arrow_array::RecordBatch> {
        let mut cols = self.calibration.columns(customer_column, "_cal")?;
        cols.push((
            "frequency_holdout".to_owned(),
            super::f64_array(&self.frequency_holdout),
        ));
        if let Some(m) = &self.monetary_value_holdout {
            cols.push(("monetary_value_holdout".to_owned(), super::f64_array(m)));
        }
        cols.push((
            "duration_holdout".to_owned(),
            super::f64_array(&vec![self.duration_holdout; self.frequency_holdout.len()]),
        ));
        super::record_batch(cols)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transactions::testing::columns;
    use crate::transactions::{Ingest, Policy};
    use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
    use std::sync::Arc;

    fn log(rows: &[(i64, &str, f64)]) -> Log {
        let batch = RecordBatch::try_from_iter(vec![
            (
                "customer_id",
                Arc::new(Int64Array::from(
                    rows.iter().map(|r| r.0).collect::<Vec<_>>(),
                )) as ArrayRef,
            ),
            (
                "date",
                Arc::new(StringArray::from(
                    rows.iter().map(|r| r.1).collect::<Vec<_>>(),
                )) as ArrayRef,
            ),
            (
                "amount",
                Arc::new(Float64Array::from(
                    rows.iter().map(|r| r.2).collect::<Vec<_>>(),
                )) as ArrayRef,
            ),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        let mut ing = Ingest::new(columns(), Policy::default());
        ing.push(&batch).unwrap_or_else(|e| panic!("{e}"));
        ing.finish()
    }

    #[test]
    fn hand_computed_days() {
        // customer 7: purchases on Jan 1 (10), Jan 1 (5), Jan 4 (20), Jan 11 (30 - 4 refund);
        // customer 3: Jan 10 only. End = Jan 11 (the last date).
        // 7: periods Jan 1, 4, 11 -> x = 2, t_x = 10, T = 10, m = (20 + 26) / 2 = 23
        // 3: x = 0, t_x = 0, T = 1, m = 0
        let l = log(&[
            (7, "2020-01-04", 20.0),
            (7, "2020-01-01", 10.0),
            (3, "2020-01-10", 9.0),
            (7, "2020-01-11", 30.0),
            (7, "2020-01-01", 5.0),
            (7, "2020-01-11", -4.0),
        ]);
        let (s, r) = rfm_summary(&l, TimeUnit::Days(1), None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.keys, Keys::Int(vec![3, 7]));
        assert_eq!(s.frequency, vec![0.0, 2.0]);
        assert_eq!(s.recency, vec![0.0, 10.0]);
        assert_eq!(s.t, vec![1.0, 10.0]);
        assert_eq!(s.monetary_value, Some(vec![0.0, 23.0]));
        assert_eq!(r.refund_rows_netted, 1);
        assert_eq!(r.rows_used, 6);
    }

    #[test]
    fn hand_computed_weeks_and_months() {
        // 2020-01-05 is a Sunday; 2020-01-06 a Monday. End 2020-02-03 (Monday).
        let l = log(&[
            (1, "2020-01-05", 1.0),
            (1, "2020-01-06", 2.0),
            (1, "2020-01-12", 3.0),
            (1, "2020-02-03", 4.0),
        ]);
        let (w, _) = rfm_summary(&l, TimeUnit::Weeks, None).unwrap_or_else(|e| panic!("{e}"));
        // weeks: [Dec 30-Jan 5], [Jan 6-12] (2 + 3), [Feb 3-9]: x = 2, t_x = T = 5 weeks
        assert_eq!((w.frequency[0], w.recency[0], w.t[0]), (2.0, 5.0, 5.0));
        assert_eq!(w.monetary_value, Some(vec![(5.0 + 4.0) / 2.0]));
        let (m, _) = rfm_summary(&l, TimeUnit::Months, None).unwrap_or_else(|e| panic!("{e}"));
        // months: January (1 + 2 + 3), February (4): x = 1, t_x = T = 1, m = 4
        assert_eq!((m.frequency[0], m.recency[0], m.t[0]), (1.0, 1.0, 1.0));
        assert_eq!(m.monetary_value, Some(vec![4.0]));
    }

    #[test]
    fn refund_only_period_is_not_a_purchase() {
        let l = log(&[(1, "2020-01-01", 10.0), (1, "2020-01-05", -3.0)]);
        let (s, r) = rfm_summary(&l, TimeUnit::Days(1), None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((s.frequency[0], s.t[0]), (0.0, 4.0));
        assert_eq!((r.refund_rows_unmatched, r.rows_used), (1, 1));
    }

    #[test]
    fn calibration_holdout_hand_computed() {
        // cal end Jan 10, obs end Jan 20. Customer 1: Jan 1, Jan 5 | Jan 12 (4 + 6 same day), Jan 15 (8)
        // customer 2 only in holdout: dropped and counted.
        let l = log(&[
            (1, "2020-01-01", 1.0),
            (1, "2020-01-05", 3.0),
            (1, "2020-01-12", 4.0),
            (1, "2020-01-12", 6.0),
            (1, "2020-01-15", 8.0),
            (2, "2020-01-13", 1.0),
            (1, "2020-01-20", 2.0),
        ]);
        let cal_end = super::super::ingest::parse_iso_day("2020-01-10").unwrap_or_default();
        let (ch, r) = calibration_holdout(&l, TimeUnit::Days(1), cal_end, None)
            .unwrap_or_else(|e| panic!("{e}"));
        let c = &ch.calibration;
        assert_eq!(c.keys, Keys::Int(vec![1]));
        assert_eq!((c.frequency[0], c.recency[0], c.t[0]), (1.0, 4.0, 9.0));
        assert_eq!(ch.frequency_holdout, vec![3.0]);
        // per row, as lifetimes: (4 + 6 + 8 + 2) / 4
        assert_eq!(ch.monetary_value_holdout, Some(vec![5.0]));
        assert_eq!(ch.duration_holdout, 10.0);
        assert_eq!(r.holdout_rows_of_new_customers, 1);
    }
}
