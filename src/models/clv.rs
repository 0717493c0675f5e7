//! Customer lifetime value from a transaction model and a spend model, over explicit periods.
//!
//! Time has two explicit units here: the unit of the data the transaction model was fitted on
//! (recency and T in days, weeks, ...) and the unit of the CLV periods (the discount rate is per
//! such period). There is no hidden 30-day month: a month is the mean Gregorian calendar month,
//! 365.2425 / 12 = 30.436875 days.

use std::fmt;
use std::str::FromStr;

use rustc_hash::FxHashMap;

use super::{BetaGeo, GammaGamma, ModifiedBetaGeo};
use crate::error::{Error, Position, Result};

/// A model of the number of future purchases of a customer with history (x, t_x, T).
pub trait TransactionModel: Sync {
    /// Expected purchases in (T, T + t].
    ///
    /// # Errors
    /// For a bad customer or horizon.
    fn conditional_expected_purchases(&self, t: f64, x: f64, t_x: f64, big_t: f64) -> Result<f64>;

    /// The model's split of the conditional expectation through P(alive), if it has one (all
    /// of ltvkit's models do); `None` (the default) makes CLV call
    /// [`TransactionModel::conditional_expected_purchases`] directly.
    fn factored(&self) -> Option<&dyn AliveFactored> {
        None
    }
}

/// A transaction model whose conditional expectation factors as
/// `E[Y(t) | x, t_x, T] = alive(x, t_x, T) * purchases_if_alive(t, x, T)`: the expensive
/// factor (2F1 evaluations for BG/NBD) does not depend on t_x, so CLV evaluates it once per
/// distinct (x, T) pair.
pub trait AliveFactored: Sync {
    /// P(alive | x, t_x, T); it also validates the customer.
    ///
    /// # Errors
    /// For a bad customer.
    fn alive(&self, x: f64, t_x: f64, big_t: f64) -> Result<f64>;
    /// Expected purchases in (T, T + t] of a customer alive at T (the customer is not checked).
    ///
    /// # Errors
    /// For special functions that do not converge.
    fn purchases_if_alive(&self, t: f64, x: f64, big_t: f64) -> Result<f64>;
}

impl TransactionModel for BetaGeo {
    fn conditional_expected_purchases(&self, t: f64, x: f64, t_x: f64, big_t: f64) -> Result<f64> {
        BetaGeo::conditional_expected_purchases(self, t, x, t_x, big_t)
    }
    fn factored(&self) -> Option<&dyn AliveFactored> {
        Some(self)
    }
}

impl AliveFactored for BetaGeo {
    fn alive(&self, x: f64, t_x: f64, big_t: f64) -> Result<f64> {
        BetaGeo::p_alive(self, x, t_x, big_t)
    }
    fn purchases_if_alive(&self, t: f64, x: f64, big_t: f64) -> Result<f64> {
        BetaGeo::purchases_if_alive(self, t, x, big_t)
    }
}

impl TransactionModel for ModifiedBetaGeo {
    fn conditional_expected_purchases(&self, t: f64, x: f64, t_x: f64, big_t: f64) -> Result<f64> {
        ModifiedBetaGeo::conditional_expected_purchases(self, t, x, t_x, big_t)
    }
    fn factored(&self) -> Option<&dyn AliveFactored> {
        Some(self)
    }
}

impl AliveFactored for ModifiedBetaGeo {
    fn alive(&self, x: f64, t_x: f64, big_t: f64) -> Result<f64> {
        ModifiedBetaGeo::p_alive(self, x, t_x, big_t)
    }
    fn purchases_if_alive(&self, t: f64, x: f64, big_t: f64) -> Result<f64> {
        ModifiedBetaGeo::purchases_if_alive(self, t, x, big_t)
    }
}

/// A model of the expected spend per future transaction of a customer with x repeat purchases
/// of mean value m.
pub trait SpendModel: Sync {
    /// Expected spend per transaction.
    ///
    /// # Errors
    /// For a bad frequency or spend.
    fn conditional_expected_spend(&self, x: f64, m: f64) -> Result<f64>;
}

impl SpendModel for GammaGamma {
    fn conditional_expected_spend(&self, x: f64, m: f64) -> Result<f64> {
        GammaGamma::conditional_expected_spend(self, x, m)
    }
}

/// A unit of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Day,
    Week,
    /// The mean Gregorian calendar month, 30.436875 days.
    Month,
    /// Three mean calendar months, 91.310625 days.
    Quarter,
    /// The mean Gregorian year, 365.2425 days.
    Year,
}

impl TimeUnit {
    /// Length in days.
    pub fn days(self) -> f64 {
        match self {
            TimeUnit::Day => 1.0,
            TimeUnit::Week => 7.0,
            TimeUnit::Month => 365.2425 / 12.0,
            TimeUnit::Quarter => 365.2425 / 4.0,
            TimeUnit::Year => 365.2425,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Day => "day",
            TimeUnit::Week => "week",
            TimeUnit::Month => "month",
            TimeUnit::Quarter => "quarter",
            TimeUnit::Year => "year",
        }
    }
}

impl fmt::Display for TimeUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TimeUnit {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "day" | "days" | "d" | "daily" => Ok(TimeUnit::Day),
            "week" | "weeks" | "w" | "weekly" => Ok(TimeUnit::Week),
            "month" | "months" | "m" | "monthly" => Ok(TimeUnit::Month),
            "quarter" | "quarters" | "q" | "quarterly" => Ok(TimeUnit::Quarter),
            "year" | "years" | "y" | "yearly" | "annual" => Ok(TimeUnit::Year),
            _ => Err(Error::param(
                "unit",
                format!("{s:?}"),
                "is not a time unit; use \"day\", \"week\", \"month\", \"quarter\" or \"year\"",
            )),
        }
    }
}

/// Per-customer history for CLV: frequency x, recency t_x, age T (data time unit) and mean
/// spend per repeat purchase m.
#[derive(Debug, Clone, Copy)]
pub struct ClvCustomers<'a> {
    pub x: &'a [f64],
    pub t_x: &'a [f64],
    pub t: &'a [f64],
    pub m: &'a [f64],
}

/// Per-customer CLV and, on request, the discounted value of each period.
#[derive(Debug, Clone, PartialEq)]
pub struct ClvResult {
    /// Discounted value of each customer over the horizon.
    pub value: Vec<f64>,
    /// `schedule[i][k]`: discounted value of customer i in period k + 1 (if requested).
    pub schedule: Option<Vec<Vec<f64>>>,
}

/// CLV over `n_periods` periods of `period_length` data time units, discounted at
/// `discount_rate` per period (cash flows at the end of each period).
///
/// # Formula
/// ```text
/// CLV_i = margin * E[spend_i] * sum_{k=1..K} (E[Y_i(k L)] - E[Y_i((k-1) L)]) / (1 + d)^k
/// ```
/// with E[Y_i(t)] the transaction model's conditional expected purchases in (T_i, T_i + t],
/// E[spend_i] the spend model's conditional expected spend, L = `period_length`, K =
/// `n_periods`, d = `discount_rate`. lifetimes' `customer_lifetime_value` computes the same
/// sum with L = 30 days (freq "D") or 4.345 weeks (freq "W") and margin 1.
///
/// The K expectations E[Y(k L)] depend on (x, t_x, T) only: they are evaluated once per
/// distinct (x, t_x, T) row (a summary repeats rows heavily: every one-time buyer of the same
/// age shares one), on all cores, and combined with each customer's spend. For the models
/// whose expectation factors as P(alive | x, t_x, T) g(t; x, T) ([`AliveFactored`]: BG/NBD,
/// MBG/NBD, Pareto/NBD), P(alive) runs once per distinct row and g (the 2F1 evaluations of
/// BG/NBD) once per distinct (x, T) pair.
///
/// # Errors
/// [`Error::InvalidParameter`] for a period length that is not finite and > 0, no periods, a
/// discount rate not finite or <= -1, a margin not finite; [`Error::InvalidColumn`] for columns
/// of different lengths; the models' errors, located at the customer's position.
///
/// # References
/// Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for customer base
/// analysis", *JMR* 42(4), section on CLV (expected transactions x expected spend x margin,
/// discounted).
#[allow(clippy::too_many_arguments)]
pub fn customer_lifetime_value<T: TransactionModel, S: SpendModel>(
    transactions: &T,
    spend: &S,
    customers: ClvCustomers<'_>,
    period_length: f64,
    n_periods: usize,
    discount_rate: f64,
    margin: f64,
    with_schedule: bool,
) -> Result<ClvResult> {
    if !(period_length.is_finite() && period_length > 0.0) {
        return Err(Error::param(
            "period_length",
            period_length,
            "the period length must be finite and > 0 (in the time unit of the data)",
        ));
    }
    if n_periods == 0 {
        return Err(Error::param(
            "horizon",
            n_periods,
            "the horizon must be at least one period",
        ));
    }
    if !(discount_rate.is_finite() && discount_rate > -1.0) {
        return Err(Error::param(
            "discount_rate",
            discount_rate,
            "the discount rate per period must be finite and > -1 (e.g. 0.01 for 1% a period)",
        ));
    }
    if !margin.is_finite() {
        return Err(Error::param(
            "margin",
            margin,
            "the margin must be finite (e.g. 0.3 for 30%)",
        ));
    }
    let n = customers.x.len();
    for (name, len) in [
        ("recency", customers.t_x.len()),
        ("T", customers.t.len()),
        ("monetary_value", customers.m.len()),
    ] {
        if len != n {
            return Err(Error::InvalidColumn {
                column: name.to_owned(),
                problem: format!(
                    "has {len} values but frequency has {n}; pass one value per customer"
                ),
            });
        }
    }
    let discounts: Vec<f64> = (1..=n_periods)
        .map(|k| (1.0 + discount_rate).powi(-(k as i32)))
        .collect();
    // The expensive part (E[Y(t)] at every period end: 2F1 evaluations for BG/NBD) depends on
    // (x, t_x, T) only, and summaries repeat these rows heavily (every one-time buyer of the
    // same age shares one), so it runs once per distinct row, on all cores; for the models
    // that factor through P(alive), the 2F1 part runs once per distinct (x, T) pair.
    // Beside the numbering of the histories (sequential: first-seen order), on a second
    // thread for many customers: each customer's expected spend times the margin, up to the
    // first customer whose spend fails, and that failure.
    let spends = || -> (Vec<f64>, Option<Failure>) {
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            match spend.conditional_expected_spend(customers.x[i], customers.m[i]) {
                Ok(s) => out.push(s * margin),
                Err(e) => return (out, Some((i, e))),
            }
        }
        (out, None)
    };
    let (histories, spends) = crate::parallel::both_halves(
        n >= MIN_ROWS_PER_THREAD,
        || Distinct::of_rows(customers),
        spends,
    )
    .unwrap_or_else(|| (Distinct::of_rows(customers), spends()));
    // the first customer whose spend fails is reported in customer order by the loop below
    let (spends, spend_failure) = spends;
    let width = if with_schedule { n_periods } else { 1 };
    let increments = |g: &dyn Fn(f64) -> Result<f64>, row: &mut [f64]| -> Result<()> {
        let mut prev = 0.0;
        let mut total = 0.0;
        for (k, disc) in discounts.iter().enumerate() {
            let cum = g((k + 1) as f64 * period_length)?;
            let v = (cum - prev) * disc;
            prev = cum;
            if width == 1 {
                total += v;
            } else {
                row[k] = v;
            }
        }
        if width == 1 {
            row[0] = total;
        }
        Ok(())
    };
    // Per history: a scale (P(alive), or 1) and the index of its row of discounted increments.
    let computed = match transactions.factored() {
        Some(f) => {
            let pairs = Distinct::new(histories.first.len(), |h| {
                let i = histories.first[h];
                [customers.x[i].to_bits(), customers.t[i].to_bits()]
            });
            let alive = par_rows(histories.first.len(), 1, |h, out| {
                let i = histories.first[h];
                out[0] = f
                    .alive(customers.x[i], customers.t_x[i], customers.t[i])
                    .map_err(|e| (i, e))?;
                Ok(())
            });
            let rows = par_rows(pairs.first.len(), width, |j, out| {
                let i = histories.first[pairs.first[j]];
                let (x, t) = (customers.x[i], customers.t[i]);
                increments(&|tt| f.purchases_if_alive(tt, x, t), out).map_err(|e| (i, e))
            });
            match (alive, rows) {
                (Ok(alive), Ok(rows)) => Ok((alive, pairs.of_customer, rows)),
                // the first customer in error; on a tie, the check of the customer comes first
                (Err(a), Err(r)) => Err(if r.0 < a.0 { r } else { a }),
                (Err(e), _) | (_, Err(e)) => Err(e),
            }
        }
        None => par_rows(histories.first.len(), width, |h, out| {
            let i = histories.first[h];
            let (x, tx, t) = (customers.x[i], customers.t_x[i], customers.t[i]);
            increments(
                &|tt| transactions.conditional_expected_purchases(tt, x, tx, t),
                out,
            )
            .map_err(|e| (i, e))
        })
        .map(|rows| {
            let n_hist = histories.first.len();
            (vec![1.0; n_hist], (0..n_hist as u32).collect(), rows)
        }),
    };
    let (scale, row_of, rows, failed) = match computed {
        Ok((scale, row_of, rows)) => (scale, row_of, rows, None),
        Err(e) => (Vec::new(), Vec::new(), Vec::new(), Some(e)),
    };
    let mut value = Vec::with_capacity(n);
    let mut schedule = with_schedule.then(|| Vec::with_capacity(n));
    for i in 0..n {
        if let Some((first, e)) = &spend_failure {
            if *first == i {
                return Err(e.clone().at(Position::Element(i)));
            }
        }
        // every customer before the failing one (returned above) has its spend
        let s = spends[i];
        if let Some((first, e)) = &failed {
            if *first == i {
                return Err(e.clone().at(Position::Element(i)));
            }
            continue;
        }
        let h = histories.of_customer[i] as usize;
        let s = s * scale[h];
        let r = row_of[h] as usize;
        let row = &rows[r * width..(r + 1) * width];
        let total = if with_schedule {
            row.iter().map(|v| v * s).sum::<f64>()
        } else {
            row[0] * s
        };
        if !total.is_finite() {
            return Err(Error::Overflow {
                what: format!("the CLV of customer {i}"),
                hint: "the expected purchases or spend are not finite; check the model \
                       parameters and the customer's history"
                    .to_owned(),
            });
        }
        value.push(total);
        if let Some(sched) = schedule.as_mut() {
            sched.push(row.iter().map(|v| v * s).collect());
        }
    }
    Ok(ClvResult { value, schedule })
}

/// The distinct keys of a sequence, numbered in order of first appearance.
struct Distinct {
    /// For each element, the number of its key.
    of_customer: Vec<u32>,
    /// For each key, its first element.
    first: Vec<usize>,
}

impl Distinct {
    fn new<const K: usize>(n: usize, key: impl Fn(usize) -> [u64; K]) -> Self {
        let mut index: FxHashMap<[u64; K], u32> = FxHashMap::default();
        let mut of_customer = Vec::with_capacity(n);
        let mut first = Vec::new();
        for i in 0..n {
            let next = first.len() as u32;
            let h = *index.entry(key(i)).or_insert_with(|| {
                first.push(i);
                next
            });
            of_customer.push(h);
        }
        Distinct { of_customer, first }
    }

    /// The distinct (x, t_x, T) rows of the customers.
    fn of_rows(c: ClvCustomers<'_>) -> Self {
        let mut index = super::RowIndex::default();
        let mut out = Distinct {
            of_customer: Vec::with_capacity(c.x.len()),
            first: Vec::new(),
        };
        for i in 0..c.x.len() {
            let (h, new) = index.number(c.x[i], c.t_x[i], c.t[i]);
            if new {
                out.first.push(i);
            }
            out.of_customer.push(h);
        }
        out
    }
}

/// Rows below which the work stays on one thread.
const MIN_ROWS_PER_THREAD: usize = 2048;

/// A failure: the first customer in error and the error.
type Failure = (usize, Error);

/// `n_rows` rows of `width` values, row j filled by `fill(j, row)`, on all cores. On failure,
/// the failure of the lowest row (the rows are in order of first appearance, so that is the
/// first customer in error).
fn par_rows<F>(n_rows: usize, width: usize, fill: F) -> std::result::Result<Vec<f64>, Failure>
where
    F: Fn(usize, &mut [f64]) -> std::result::Result<(), Failure> + Sync,
{
    let mut out = vec![0.0; n_rows * width];
    let work = |start: usize, out: &mut [f64]| -> std::result::Result<(), Failure> {
        for (j, row) in out.chunks_mut(width).enumerate() {
            fill(start + j, row)?;
        }
        Ok(())
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |p| p.get())
        .min(n_rows.div_ceil(MIN_ROWS_PER_THREAD))
        .max(1);
    if threads <= 1 || width == 0 {
        work(0, &mut out)?;
        return Ok(out);
    }
    let chunk = n_rows.div_ceil(threads);
    let work = &work;
    let results: Vec<std::result::Result<(), Failure>> = std::thread::scope(|s| {
        let handles: Vec<_> = out
            .chunks_mut(chunk * width)
            .enumerate()
            .map(|(c, out)| s.spawn(move || work(c * chunk, out)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    for r in results {
        r?;
    }
    Ok(out)
}

/// [`customer_lifetime_value`] with periods and data time given as units: the period length is
/// `period.days() / data_unit.days()` data time units.
///
/// # Errors
/// As [`customer_lifetime_value`].
#[allow(clippy::too_many_arguments)]
pub fn customer_lifetime_value_in_units<T: TransactionModel, S: SpendModel>(
    transactions: &T,
    spend: &S,
    customers: ClvCustomers<'_>,
    data_unit: TimeUnit,
    period: TimeUnit,
    n_periods: usize,
    discount_rate: f64,
    margin: f64,
    with_schedule: bool,
) -> Result<ClvResult> {
    customer_lifetime_value(
        transactions,
        spend,
        customers,
        period.days() / data_unit.days(),
        n_periods,
        discount_rate,
        margin,
        with_schedule,
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// A transaction model with a constant rate: E[Y(t)] = rate * t, for hand calculations.
    struct Constant(f64);
    impl TransactionModel for Constant {
        fn conditional_expected_purchases(&self, t: f64, _: f64, _: f64, _: f64) -> Result<f64> {
            Ok(self.0 * t)
        }
    }

    #[test]
    fn constant_rate_clv_is_a_discounted_annuity_by_hand() {
        // 2 purchases a week, 4-week periods, 3 periods, 10% a period, spend from a GG with
        // population mean 6*15/3 = 30 (x = 0), margin 0.5:
        // per period 2*4*30*0.5 = 120; 120/1.1 + 120/1.21 + 120/1.331 = 298.4222...
        let gg = GammaGamma::new(6.0, 4.0, 15.0).unwrap();
        let c = ClvCustomers {
            x: &[0.0],
            t_x: &[0.0],
            t: &[10.0],
            m: &[0.0],
        };
        let r = customer_lifetime_value(&Constant(2.0), &gg, c, 4.0, 3, 0.1, 0.5, true).unwrap();
        let want = 120.0 / 1.1 + 120.0 / 1.21 + 120.0 / 1.331;
        assert!((r.value[0] - want).abs() < 1e-9, "{:?}", r.value);
        let s = r.schedule.unwrap();
        assert!((s[0][2] - 120.0 / 1.331).abs() < 1e-9);
    }

    #[test]
    fn month_is_the_mean_calendar_month() {
        // 12 months of the data unit "day" = 365.2425 days: the same CLV as one 365.2425-day
        // period with no discount.
        let gg = GammaGamma::new(6.0, 4.0, 15.0).unwrap();
        let c = ClvCustomers {
            x: &[0.0],
            t_x: &[0.0],
            t: &[10.0],
            m: &[0.0],
        };
        let months = customer_lifetime_value_in_units(
            &Constant(0.01),
            &gg,
            c,
            TimeUnit::Day,
            TimeUnit::Month,
            12,
            0.0,
            1.0,
            false,
        )
        .unwrap();
        assert!((months.value[0] - 0.01 * 365.2425 * 30.0).abs() < 1e-9);
        assert!("fortnight".parse::<TimeUnit>().is_err());
    }

    /// Many customers sharing few histories (the threaded, once-per-distinct-row path) give
    /// the same values as the formula summed customer by customer here.
    #[test]
    fn distinct_rows_on_threads_equal_the_per_customer_sum() {
        let bg = BetaGeo::new(0.243, 4.414, 0.793, 2.426).unwrap();
        let gg = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
        let n = 20_000;
        let x: Vec<f64> = (0..n).map(|i| (i % 7) as f64).collect();
        let tx: Vec<f64> = (0..n)
            .map(|i| if i % 7 == 0 { 0.0 } else { (i % 13) as f64 })
            .collect();
        let t: Vec<f64> = (0..n).map(|i| 13.0 + (i % 1009) as f64 / 10.0).collect();
        let m: Vec<f64> = (0..n).map(|i| 5.0 + (i % 17) as f64).collect();
        let c = ClvCustomers {
            x: &x,
            t_x: &tx,
            t: &t,
            m: &m,
        };
        let got = customer_lifetime_value(&bg, &gg, c, 4.0, 6, 0.02, 0.3, true).unwrap();
        let sched = got.schedule.unwrap();
        for i in (0..n).step_by(97) {
            let s = gg.conditional_expected_spend(x[i], m[i]).unwrap() * 0.3;
            let mut prev = 0.0;
            let mut want = 0.0;
            for k in 1..=6 {
                let cum = bg
                    .conditional_expected_purchases(4.0 * k as f64, x[i], tx[i], t[i])
                    .unwrap();
                let v = (cum - prev) * s / 1.02f64.powi(k);
                assert!((sched[i][k as usize - 1] - v).abs() <= 1e-12 * (1.0 + v.abs()));
                want += v;
                prev = cum;
            }
            assert!((got.value[i] - want).abs() <= 1e-12 * (1.0 + want.abs()));
        }
        let plain = customer_lifetime_value(&bg, &gg, c, 4.0, 6, 0.02, 0.3, false).unwrap();
        for (a, b) in plain.value.iter().zip(&got.value) {
            assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()));
        }
    }

    /// A model without the P(alive) split goes through its conditional expectation, on
    /// threads too: the annuity by hand for every customer.
    #[test]
    fn unfactored_model_on_threads_by_hand() {
        let gg = GammaGamma::new(6.0, 4.0, 15.0).unwrap();
        let n = 10_000;
        let zeros = vec![0.0; n];
        let t: Vec<f64> = (0..n).map(|i| 10.0 + (i % 4000) as f64).collect();
        let c = ClvCustomers {
            x: &zeros,
            t_x: &zeros,
            t: &t,
            m: &zeros,
        };
        let r = customer_lifetime_value(&Constant(2.0), &gg, c, 4.0, 3, 0.1, 0.5, false).unwrap();
        let want = 120.0 / 1.1 + 120.0 / 1.21 + 120.0 / 1.331;
        assert!(r.value.iter().all(|v| (v - want).abs() < 1e-9));
    }

    /// The error names the first bad customer, whether its history or its spend is bad, even
    /// when the bad history is shared by later customers and evaluated on another thread.
    #[test]
    fn errors_name_the_first_bad_customer() {
        let bg = BetaGeo::new(0.243, 4.414, 0.793, 2.426).unwrap();
        let gg = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
        let n = 20_000;
        let x: Vec<f64> = (0..n).map(|i| (i % 50) as f64).collect();
        let mut tx: Vec<f64> = (0..n).map(|i| (i % 50) as f64 / 2.0).collect();
        let t: Vec<f64> = (0..n).map(|i| 30.0 + (i % 50) as f64 / 3.0).collect();
        let mut m = vec![10.0; n];
        // recency > T at 15_001 and 17_001 (the same history)
        tx[15_001] = 99.0;
        tx[17_001] = 99.0;
        let at = |m: &[f64], tx: &[f64]| {
            let c = ClvCustomers {
                x: &x,
                t_x: tx,
                t: &t,
                m,
            };
            match customer_lifetime_value(&bg, &gg, c, 4.0, 3, 0.0, 1.0, false) {
                Err(Error::InvalidParameter { position, .. }) => position,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(at(&m, &tx), Position::Element(15_001));
        m[12_345] = -1.0;
        assert_eq!(at(&m, &tx), Position::Element(12_345));
        // a bad spend after the bad history: the history's customer comes first
        m[12_345] = 10.0;
        m[16_001] = -1.0;
        assert_eq!(at(&m, &tx), Position::Element(15_001));
        // and alone (the spends are computed on their own thread)
        tx[15_001] = 0.5;
        tx[17_001] = 0.5;
        assert_eq!(at(&m, &tx), Position::Element(16_001));
    }

    #[test]
    fn rejects_bad_options() {
        let gg = GammaGamma::new(6.0, 4.0, 15.0).unwrap();
        let c = ClvCustomers {
            x: &[0.0],
            t_x: &[0.0],
            t: &[10.0],
            m: &[0.0],
        };
        let m = Constant(1.0);
        assert!(customer_lifetime_value(&m, &gg, c, 0.0, 3, 0.1, 1.0, false).is_err());
        assert!(customer_lifetime_value(&m, &gg, c, 1.0, 0, 0.1, 1.0, false).is_err());
        assert!(customer_lifetime_value(&m, &gg, c, 1.0, 3, -1.0, 1.0, false).is_err());
        assert!(customer_lifetime_value(&m, &gg, c, 1.0, 3, 0.1, f64::NAN, false).is_err());
    }
}
