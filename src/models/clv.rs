//! Customer lifetime value from a transaction model and a spend model, over explicit periods.
//!
//! Time has two explicit units here: the unit of the data the transaction model was fitted on
//! (recency and T in days, weeks, ...) and the unit of the CLV periods (the discount rate is per
//! such period). There is no hidden 30-day month: a month is the mean Gregorian calendar month,
//! 365.2425 / 12 = 30.436875 days.

use std::fmt;
use std::str::FromStr;

use super::{BetaGeo, GammaGamma, ModifiedBetaGeo};
use crate::error::{Error, Position, Result};

/// A model of the number of future purchases of a customer with history (x, t_x, T).
pub trait TransactionModel: Sync {
    /// Expected purchases in (T, T + t].
    ///
    /// # Errors
    /// For a bad customer or horizon.
    fn conditional_expected_purchases(&self, t: f64, x: f64, t_x: f64, big_t: f64) -> Result<f64>;
}

impl TransactionModel for BetaGeo {
    fn conditional_expected_purchases(&self, t: f64, x: f64, t_x: f64, big_t: f64) -> Result<f64> {
        BetaGeo::conditional_expected_purchases(self, t, x, t_x, big_t)
    }
}

impl TransactionModel for ModifiedBetaGeo {
    fn conditional_expected_purchases(&self, t: f64, x: f64, t_x: f64, big_t: f64) -> Result<f64> {
        ModifiedBetaGeo::conditional_expected_purchases(self, t, x, t_x, big_t)
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
    let mut value = Vec::with_capacity(n);
    let mut schedule = with_schedule.then(|| Vec::with_capacity(n));
    for i in 0..n {
        let (x, tx, t, m) = (
            customers.x[i],
            customers.t_x[i],
            customers.t[i],
            customers.m[i],
        );
        let per_customer = || -> Result<(f64, Vec<f64>)> {
            let s = spend.conditional_expected_spend(x, m)? * margin;
            let mut prev = 0.0;
            let mut total = 0.0;
            let mut periods = Vec::with_capacity(if with_schedule { n_periods } else { 0 });
            for (k, disc) in discounts.iter().enumerate() {
                let cum = transactions.conditional_expected_purchases(
                    (k + 1) as f64 * period_length,
                    x,
                    tx,
                    t,
                )?;
                let v = (cum - prev) * s * disc;
                prev = cum;
                total += v;
                if with_schedule {
                    periods.push(v);
                }
            }
            Ok((total, periods))
        };
        let (total, periods) = per_customer().map_err(|e| e.at(Position::Element(i)))?;
        if !total.is_finite() {
            return Err(Error::Overflow {
                what: format!("the CLV of customer {i}"),
                hint: "the expected purchases or spend are not finite; check the model \
                       parameters and the customer's history"
                    .to_owned(),
            });
        }
        value.push(total);
        if let Some(s) = schedule.as_mut() {
            s.push(periods);
        }
    }
    Ok(ClvResult { value, schedule })
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
