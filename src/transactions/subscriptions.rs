//! Subscription (MRR) movements per month from a log of monthly recurring revenue.

use super::ingest::Log;
use super::unit::TimeUnit;
use super::Report;
use crate::error::Result;

/// Per-month MRR metrics; `month[i]` is the first day of the i-th month (days since 1970-01-01).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SubscriptionMetrics {
    pub month: Vec<i32>,
    pub mrr: Vec<f64>,
    pub customers: Vec<u64>,
    pub new_mrr: Vec<f64>,
    pub expansion_mrr: Vec<f64>,
    pub contraction_mrr: Vec<f64>,
    pub churned_mrr: Vec<f64>,
    pub reactivated_mrr: Vec<f64>,
    pub new_customers: Vec<u64>,
    pub churned_customers: Vec<u64>,
    pub reactivated_customers: Vec<u64>,
    pub arpa: Vec<Option<f64>>,
    pub logo_churn: Vec<Option<f64>>,
    pub gross_revenue_retention: Vec<Option<f64>>,
    pub net_revenue_retention: Vec<Option<f64>>,
    pub quick_ratio: Vec<Option<f64>>,
}

/// MRR movements per calendar month.
///
/// # Formula
/// ```text
/// m_c(t)  = customer c's MRR in month t (rows summed; refunds netted; <= 0 means not paying)
/// MRR(t)  = sum_c m_c(t);  customers(t) = #{c : m_c(t) > 0};  ARPA = MRR / customers
/// with p = m_c(t-1), q = m_c(t):
///   new          q       if p = 0 < q and c never paid before t
///   reactivated  q       if p = 0 < q and c paid in some month before t-1
///   expansion    q - p   if 0 < p < q
///   contraction  p - q   if 0 < q < p
///   churned      p       if p > 0 = q
/// MRR(t) = MRR(t-1) + new + reactivated + expansion - contraction - churned
/// logo churn   = churned customers(t) / customers(t-1)
/// GRR          = (MRR(t-1) - contraction - churned) / MRR(t-1)
/// NRR          = (MRR(t-1) + expansion - contraction - churned) / MRR(t-1)
/// quick ratio  = (new + reactivated + expansion) / (contraction + churned)
/// ```
/// Months run from the first to the last month of the log (or of `observation_end`); ratios
/// with a zero denominator (and those of the first month) are None.
///
/// # Errors
/// None beyond those of reading the log.
///
/// # References
/// The SaaS metrics of practice: D. Skok, "SaaS Metrics 2.0"; the quick ratio of M. Mahmood
/// (2015), "The SaaS quick ratio".
pub fn subscription_metrics(
    log: &Log,
    observation_end: Option<i32>,
) -> Result<(SubscriptionMetrics, Report)> {
    let unit = TimeUnit::Months;
    let mut report = log.report.clone();
    let mut out = SubscriptionMetrics::default();
    let (Some(first_day), Some(last_day)) = (
        log.rows.iter().map(|r| r.day).min(),
        observation_end.or_else(|| log.max_day()),
    ) else {
        return Ok((out, report));
    };
    report.observation_end = super::unit::date_from_days(last_day);
    let m0 = unit.period(first_day);
    let m1 = unit.period(last_day).max(m0);
    let n = usize::try_from(m1 - m0 + 1).unwrap_or(0);
    let mut mrr = vec![0.0; n];
    let mut customers = vec![0u64; n];
    let mut new = vec![0.0; n];
    let mut exp = vec![0.0; n];
    let mut con = vec![0.0; n];
    let mut churn = vec![0.0; n];
    let mut react = vec![0.0; n];
    let mut new_c = vec![0u64; n];
    let mut churn_c = vec![0u64; n];
    let mut react_c = vec![0u64; n];

    let rows = &log.rows;
    let mut start = 0;
    let mut months: Vec<(usize, f64)> = Vec::new();
    while start < rows.len() {
        let c = rows[start].customer;
        let len = rows[start..].iter().take_while(|r| r.customer == c).count();
        let run = &rows[start..start + len];
        start += len;
        // the customer's monthly MRR, refunds netted per month
        months.clear();
        let mut i = 0;
        while i < run.len() {
            let m = unit.period(run[i].day);
            let mut j = i;
            let mut total = 0.0;
            let mut refunds = 0u64;
            while j < run.len() && unit.period(run[j].day) == m {
                total += run[j].amount;
                if run[j].amount < 0.0 {
                    refunds += 1;
                }
                j += 1;
            }
            if total > 0.0 {
                report.refund_rows_netted += refunds;
                report.rows_used += (j - i) as u64;
                months.push((usize::try_from(m - m0).unwrap_or(0), total));
            } else {
                report.refund_rows_unmatched += refunds;
                report.rows_used += (j - i - refunds as usize) as u64;
            }
            i = j;
        }
        let mut paid_before = false;
        let mut prev_month: Option<usize> = None;
        let mut prev_mrr = 0.0;
        for &(t, q) in &months {
            // a gap after the previous paying month: churn in the month after it
            if let Some(pm) = prev_month {
                if pm + 1 < t {
                    churn[pm + 1] += prev_mrr;
                    churn_c[pm + 1] += 1;
                }
            }
            let p = match prev_month {
                Some(pm) if pm + 1 == t => prev_mrr,
                _ => 0.0,
            };
            if p == 0.0 {
                if paid_before {
                    react[t] += q;
                    react_c[t] += 1;
                } else {
                    new[t] += q;
                    new_c[t] += 1;
                }
            } else if q > p {
                exp[t] += q - p;
            } else if q < p {
                con[t] += p - q;
            }
            mrr[t] += q;
            customers[t] += 1;
            paid_before = true;
            prev_month = Some(t);
            prev_mrr = q;
        }
        if let Some(pm) = prev_month {
            if pm + 1 < n {
                churn[pm + 1] += prev_mrr;
                churn_c[pm + 1] += 1;
            }
        }
    }
    let ratio = |a: f64, b: f64| (b != 0.0).then(|| a / b);
    for t in 0..n {
        out.month
            .push(i32::try_from(unit.start(m0 + t as i64)).unwrap_or(0));
        out.arpa.push(ratio(mrr[t], customers[t] as f64));
        if t == 0 {
            out.logo_churn.push(None);
            out.gross_revenue_retention.push(None);
            out.net_revenue_retention.push(None);
        } else {
            let before = mrr[t - 1];
            out.logo_churn
                .push(ratio(churn_c[t] as f64, customers[t - 1] as f64));
            out.gross_revenue_retention
                .push(ratio(before - con[t] - churn[t], before));
            out.net_revenue_retention
                .push(ratio(before + exp[t] - con[t] - churn[t], before));
        }
        out.quick_ratio
            .push(ratio(new[t] + react[t] + exp[t], con[t] + churn[t]));
    }
    out.mrr = mrr;
    out.customers = customers;
    out.new_mrr = new;
    out.expansion_mrr = exp;
    out.contraction_mrr = con;
    out.churned_mrr = churn;
    out.reactivated_mrr = react;
    out.new_customers = new_c;
    out.churned_customers = churn_c;
    out.reactivated_customers = react_c;
    Ok((out, report))
}

impl SubscriptionMetrics {
    /// One row per month: `month` (date32, first day) and the metrics, in the order of the
    /// struct's fields.
    ///
    /// # Errors
    /// See [`super::record_batch`].
    pub fn to_record_batch(&self) -> Result<arrow_array::RecordBatch> {
        use arrow_array::{ArrayRef, Date32Array, Float64Array, Int64Array};
        use std::sync::Arc;
        let f = |v: &[f64]| super::f64_array(v);
        let o = |v: &[Option<f64>]| -> ArrayRef {
            Arc::new(v.iter().copied().collect::<Float64Array>())
        };
        let i = |v: &[u64]| -> ArrayRef {
            Arc::new(Int64Array::from_iter_values(
                v.iter().map(|&x| i64::try_from(x).unwrap_or(i64::MAX)),
            ))
        };
        super::record_batch(vec![
            (
                "month".into(),
                Arc::new(Date32Array::from(self.month.clone())) as ArrayRef,
            ),
            ("mrr".into(), f(&self.mrr)),
            ("customers".into(), i(&self.customers)),
            ("new_mrr".into(), f(&self.new_mrr)),
            ("expansion_mrr".into(), f(&self.expansion_mrr)),
            ("contraction_mrr".into(), f(&self.contraction_mrr)),
            ("churned_mrr".into(), f(&self.churned_mrr)),
            ("reactivated_mrr".into(), f(&self.reactivated_mrr)),
            ("new_customers".into(), i(&self.new_customers)),
            ("churned_customers".into(), i(&self.churned_customers)),
            (
                "reactivated_customers".into(),
                i(&self.reactivated_customers),
            ),
            ("arpa".into(), o(&self.arpa)),
            ("logo_churn".into(), o(&self.logo_churn)),
            (
                "gross_revenue_retention".into(),
                o(&self.gross_revenue_retention),
            ),
            (
                "net_revenue_retention".into(),
                o(&self.net_revenue_retention),
            ),
            ("quick_ratio".into(), o(&self.quick_ratio)),
        ])
    }
}
