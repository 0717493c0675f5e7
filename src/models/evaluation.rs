//! Holdout checks of a transaction model: how well the purchases it predicts for each customer
//! over the holdout period match the purchases the customer made.
//!
//! Input is what `calibration_holdout` produces: per customer the calibration summary
//! (x, t_x, T), the purchases counted in the holdout and the holdout's length, all in the
//! model's time unit.

use super::TransactionModel;
use crate::error::{Error, Result};

/// Number of groups of the calibration table.
pub const DECILES: usize = 10;

/// One row of the decile calibration table.
#[derive(Debug, Clone, PartialEq)]
pub struct DecileRow {
    /// 1 = the customers with the highest predictions.
    pub decile: usize,
    pub n_customers: usize,
    pub mean_predicted: f64,
    pub mean_actual: f64,
}

/// The result of [`evaluate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Each customer's conditional expected holdout purchases.
    pub predicted: Vec<f64>,
    pub mae: f64,
    pub rmse: f64,
    /// Mean of predicted - actual (positive: the model over-predicts).
    pub bias: f64,
    pub deciles: Vec<DecileRow>,
    /// Holdout time points k = 1, 2, ..., ceil(max duration) (the last one capped at the
    /// longest duration), in the model's unit.
    pub tracking_time: Vec<f64>,
    /// Expected cumulative purchases of all customers by each tracking time:
    /// sum_i E[Y_i(min(k, d_i))].
    pub tracking_expected: Vec<f64>,
    /// Total predicted and actual holdout purchases.
    pub total_predicted: f64,
    pub total_actual: f64,
}

fn check_column(name: &str, values: &[f64], n: usize, nonneg: bool) -> Result<()> {
    if values.len() != n {
        return Err(Error::InvalidColumn {
            column: name.to_owned(),
            problem: format!(
                "has {} values but frequency has {n}; pass columns of one length",
                values.len()
            ),
        });
    }
    if let Some((row, v)) = values
        .iter()
        .enumerate()
        .find(|(_, v)| !v.is_finite() || (nonneg && **v < 0.0))
    {
        return Err(Error::InvalidRow {
            column: name.to_owned(),
            row,
            value: v.to_string(),
            problem: "holdout purchases and durations must be finite and >= 0; drop or fix the row"
                .to_owned(),
        });
    }
    Ok(())
}

/// Predicted vs actual holdout purchases of each customer, their error summary, a decile
/// calibration table and the expected cumulative tracking series.
///
/// # Formula
/// ```text
/// pred_i = E[Y_i(d_i) | x_i, t_x_i, T_i]              (the model's conditional expectation)
/// MAE = mean |pred_i - y_i|,  RMSE = sqrt(mean (pred_i - y_i)^2),  bias = mean (pred_i - y_i)
/// deciles: customers sorted by pred_i (descending, ties in input order), split into 10
///          groups whose sizes differ by at most one (the larger groups first); mean pred and
///          mean y per group
/// tracking(k) = sum_i E[Y_i(min(k, d_i))],  k = 1 .. ceil(max d_i)
/// ```
///
/// # Errors
/// [`Error::InvalidColumn`] for columns of different lengths or no customers;
/// [`Error::InvalidRow`] for a negative or non-finite holdout count or duration; the model's
/// errors (bad customer) located at the customer's row.
///
/// # References
/// FHL 2005, section 4 (conditional expectations over the holdout, Figure 4 the tracking plot,
/// Figure 5 the calibration plot by group).
pub fn evaluate<M: TransactionModel>(
    model: &M,
    x: &[f64],
    t_x: &[f64],
    big_t: &[f64],
    actual: &[f64],
    duration: &[f64],
) -> Result<Evaluation> {
    let n = x.len();
    if n == 0 {
        return Err(Error::InvalidColumn {
            column: "frequency".to_owned(),
            problem: "is empty: evaluate needs at least one customer".to_owned(),
        });
    }
    check_column("recency", t_x, n, false)?;
    check_column("T", big_t, n, false)?;
    check_column("frequency_holdout", actual, n, true)?;
    check_column("duration_holdout", duration, n, true)?;
    let row_err = |i: usize| {
        move |e: Error| match e {
            Error::InvalidParameter {
                name,
                value,
                problem,
                ..
            } => Error::InvalidRow {
                column: name,
                row: i,
                value,
                problem,
            },
            other => other,
        }
    };
    let predicted = (0..n)
        .map(|i| {
            model
                .conditional_expected_purchases(duration[i], x[i], t_x[i], big_t[i])
                .map_err(row_err(i))
        })
        .collect::<Result<Vec<f64>>>()?;
    let nf = n as f64;
    let (mut abs, mut sq, mut diff) = (0.0, 0.0, 0.0);
    for (p, y) in predicted.iter().zip(actual) {
        let e = p - y;
        abs += e.abs();
        sq += e * e;
        diff += e;
    }
    let mut order: Vec<usize> = (0..n).collect();
    // Stable sort: ties keep their input order.
    order.sort_by(|&i, &j| predicted[j].total_cmp(&predicted[i]));
    let mut deciles = Vec::with_capacity(DECILES);
    let (base, extra) = (n / DECILES, n % DECILES);
    let mut start = 0;
    for d in 0..DECILES {
        let size = base + usize::from(d < extra);
        if size == 0 {
            continue;
        }
        let group = &order[start..start + size];
        start += size;
        let mean = |v: &[f64]| group.iter().map(|&i| v[i]).sum::<f64>() / size as f64;
        deciles.push(DecileRow {
            decile: d + 1,
            n_customers: size,
            mean_predicted: mean(&predicted),
            mean_actual: mean(actual),
        });
    }
    let longest = duration.iter().copied().fold(0.0_f64, f64::max);
    let steps = longest.ceil() as usize;
    let mut tracking_time = Vec::with_capacity(steps);
    let mut tracking_expected = Vec::with_capacity(steps);
    for k in 1..=steps {
        let t = (k as f64).min(longest);
        let mut total = 0.0;
        for i in 0..n {
            total += model
                .conditional_expected_purchases(t.min(duration[i]), x[i], t_x[i], big_t[i])
                .map_err(row_err(i))?;
        }
        tracking_time.push(t);
        tracking_expected.push(total);
    }
    Ok(Evaluation {
        total_predicted: predicted.iter().sum(),
        total_actual: actual.iter().sum(),
        predicted,
        mae: abs / nf,
        rmse: (sq / nf).sqrt(),
        bias: diff / nf,
        deciles,
        tracking_time,
        tracking_expected,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A model that predicts t per unit of time for everyone with x = 1 and 2t otherwise.
    struct Linear;
    impl TransactionModel for Linear {
        fn conditional_expected_purchases(&self, t: f64, x: f64, _: f64, _: f64) -> Result<f64> {
            Ok(if x == 1.0 { t } else { 2.0 * t })
        }
    }

    /// By hand: predictions (2, 4, 2) against actuals (1, 4, 5):
    /// errors (1, 0, -3): MAE 4/3, RMSE sqrt(10/3), bias -2/3.
    #[test]
    fn hand_computed_errors_and_groups() {
        let e = evaluate(
            &Linear,
            &[1.0, 0.0, 1.0],
            &[0.0; 3],
            &[5.0; 3],
            &[1.0, 4.0, 5.0],
            &[2.0; 3],
        )
        .unwrap();
        assert_eq!(e.predicted, vec![2.0, 4.0, 2.0]);
        assert!((e.mae - 4.0 / 3.0).abs() < 1e-15);
        assert!((e.rmse - (10.0_f64 / 3.0).sqrt()).abs() < 1e-15);
        assert!((e.bias + 2.0 / 3.0).abs() < 1e-15);
        // Three customers: three groups of one, highest prediction first, ties in input order.
        let got: Vec<(usize, f64, f64)> = e
            .deciles
            .iter()
            .map(|d| (d.n_customers, d.mean_predicted, d.mean_actual))
            .collect();
        assert_eq!(got, vec![(1, 4.0, 4.0), (1, 2.0, 1.0), (1, 2.0, 5.0)]);
        // Tracking at t = 1, 2: (1 + 2 + 1) and (2 + 4 + 2).
        assert_eq!(e.tracking_time, vec![1.0, 2.0]);
        assert_eq!(e.tracking_expected, vec![4.0, 8.0]);
        assert_eq!((e.total_predicted, e.total_actual), (8.0, 10.0));
    }

    #[test]
    fn rejects_bad_holdout_rows() {
        let err = evaluate(
            &Linear,
            &[1.0, 1.0],
            &[0.0; 2],
            &[1.0; 2],
            &[1.0, -1.0],
            &[1.0; 2],
        )
        .unwrap_err();
        assert!(
            matches!(err, Error::InvalidRow { ref column, row: 1, .. } if column == "frequency_holdout")
        );
        let err = evaluate(&Linear, &[1.0], &[0.0], &[1.0], &[1.0, 2.0], &[1.0]).unwrap_err();
        assert!(matches!(err, Error::InvalidColumn { .. }));
        assert!(evaluate(&Linear, &[], &[], &[], &[], &[]).is_err());
    }
}
