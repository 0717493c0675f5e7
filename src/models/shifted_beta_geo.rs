//! sBG: the shifted-beta-geometric model of contract duration of Fader & Hardie (2007), "How to
//! project customer retention", *Journal of Interactive Marketing* 21(1), 76-90 (FH 2007), with
//! the discounted lifetime measures of Fader & Hardie (2010), "Customer-base valuation in a
//! contractual setting: the perils of ignoring heterogeneity", *Marketing Science* 29(1),
//! 85-93 (FH 2010).
//!
//! At the end of each period an active customer churns with probability theta, and theta
//! ~ Beta(gamma, delta) across customers. Periods are counted from acquisition: a customer's
//! duration T = t means they churned at the end of period t (made t - 1 renewals).

use super::sampling::Rng;
use super::{fit_log_params, positive, Fit, FitOptions, FitSummary};
use crate::dual::{Dual, Real};
use crate::error::{Error, Result};
use crate::special::{hyp2f1, ln_beta};

/// An sBG model with churn probability theta ~ Beta(gamma, delta).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShiftedBetaGeo {
    gamma: f64,
    delta: f64,
}

/// Parameter names in the order of [`ShiftedBetaGeo::params`].
pub const SBG_PARAMS: [&str; 2] = ["gamma", "delta"];

/// Durations in whole periods with a churned flag and a weight: the sufficient data of the sBG.
#[derive(Debug, Clone, PartialEq)]
pub struct DurationData {
    /// Periods observed: churned at the end of this period, or still active after it.
    pub duration: Vec<f64>,
    /// `true` if the customer churned at the end of `duration`, `false` if censored (active).
    pub churned: Vec<bool>,
    pub w: Vec<f64>,
}

fn row_error(column: &str, row: usize, value: f64, problem: &str) -> Error {
    Error::InvalidRow {
        column: column.to_owned(),
        row,
        value: value.to_string(),
        problem: problem.to_owned(),
    }
}

impl DurationData {
    /// Per-customer data: `duration[i]` whole periods (>= 1 if churned, >= 0 if active), with
    /// `churned[i]` and optional weights.
    ///
    /// # Errors
    /// [`Error::InvalidColumn`] for mismatched lengths or no rows; [`Error::InvalidRow`] naming
    /// the column, the first bad row and its value.
    pub fn new(duration: &[f64], churned: &[bool], weights: Option<&[f64]>) -> Result<Self> {
        let n = duration.len();
        if n == 0 {
            return Err(Error::InvalidColumn {
                column: "duration".to_owned(),
                problem: "no customers; pass at least one row".to_owned(),
            });
        }
        if churned.len() != n || weights.is_some_and(|w| w.len() != n) {
            return Err(Error::InvalidColumn {
                column: if churned.len() != n {
                    "churned"
                } else {
                    "weights"
                }
                .to_owned(),
                problem: format!("must have one value per customer ({n})"),
            });
        }
        for i in 0..n {
            let d = duration[i];
            let min = if churned[i] { 1.0 } else { 0.0 };
            if !(d.is_finite() && d >= min && d.fract() == 0.0) {
                return Err(row_error(
                    "duration",
                    i,
                    d,
                    "durations are whole numbers of periods, >= 1 for churned customers \
                     (churn at the end of period 1 at the earliest) and >= 0 for active ones",
                ));
            }
            if let Some(w) = weights {
                if !(w[i].is_finite() && w[i] >= 0.0) {
                    return Err(row_error(
                        "weights",
                        i,
                        w[i],
                        "weights must be finite and >= 0",
                    ));
                }
            }
        }
        let w = weights.map_or_else(|| vec![1.0; n], <[f64]>::to_vec);
        if w.iter().sum::<f64>() <= 0.0 {
            return Err(Error::InvalidColumn {
                column: "weights".to_owned(),
                problem: "all weights are 0; at least one customer must count".to_owned(),
            });
        }
        Ok(DurationData {
            duration: duration.to_vec(),
            churned: churned.to_vec(),
            w,
        })
    }

    /// The data of a cohort given as the number of customers active at the start of each
    /// period, `survivors[0]` (the cohort size), `survivors[1]`, ...: `survivors[t-1] -
    /// survivors[t]` churned at the end of period t, and the last count is still active.
    ///
    /// # Errors
    /// [`Error::InvalidRow`] (column "survivors") if a count is negative, not finite, or larger
    /// than the one before; [`Error::InvalidColumn`] for fewer than 2 counts.
    pub fn from_survivors(survivors: &[f64]) -> Result<Self> {
        if survivors.len() < 2 {
            return Err(Error::InvalidColumn {
                column: "survivors".to_owned(),
                problem: "give the cohort size and at least one later count".to_owned(),
            });
        }
        let mut duration = Vec::new();
        let mut churned = Vec::new();
        let mut w = Vec::new();
        for (i, pair) in survivors.windows(2).enumerate() {
            let (before, after) = (pair[0], pair[1]);
            if !(after.is_finite() && after >= 0.0 && after <= before) {
                return Err(row_error(
                    "survivors",
                    i + 1,
                    after,
                    "counts of active customers must be finite, >= 0 and non-increasing",
                ));
            }
            duration.push((i + 1) as f64);
            churned.push(true);
            w.push(before - after);
        }
        let last = survivors[survivors.len() - 1];
        duration.push((survivors.len() - 1) as f64);
        churned.push(false);
        w.push(last);
        DurationData::new(&duration, &churned, Some(&w))
    }

    /// Number of customers: the sum of the weights.
    pub fn n_customers(&self) -> f64 {
        self.w.iter().sum()
    }
}

/// ln P(T = t) (churned) or ln S(t) (active after t periods), generic over [`Real`].
fn ln_contribution<T: Real>(gamma: T, delta: T, t: f64, churned: bool) -> T {
    if churned {
        ln_beta(gamma + 1.0, delta + (t - 1.0)) - ln_beta(gamma, delta)
    } else {
        ln_beta(gamma, delta + t) - ln_beta(gamma, delta)
    }
}

impl ShiftedBetaGeo {
    /// An sBG model.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the parameter if one is not finite and > 0.
    pub fn new(gamma: f64, delta: f64) -> Result<Self> {
        Ok(ShiftedBetaGeo {
            gamma: positive("gamma", gamma)?,
            delta: positive("delta", delta)?,
        })
    }

    /// `[gamma, delta]`.
    pub fn params(&self) -> [f64; 2] {
        [self.gamma, self.delta]
    }

    /// Total (weighted) log-likelihood.
    ///
    /// # Formula
    /// ```text
    /// LL = Σ_churned w ln P(T = t) + Σ_active w ln S(t)
    /// P(T = t) = B(γ+1, δ+t−1)/B(γ,δ),   S(t) = B(γ, δ+t)/B(γ,δ)
    /// ```
    ///
    /// # References
    /// FH 2007, appendix, eq. (B3) (the log-likelihood), with P(T = t) and S(t) of the sBG
    /// (FH 2007, section on the model).
    pub fn log_likelihood(&self, data: &DurationData) -> f64 {
        (0..data.duration.len())
            .map(|i| {
                data.w[i]
                    * ln_contribution(self.gamma, self.delta, data.duration[i], data.churned[i])
            })
            .sum()
    }

    /// Log-likelihood and its exact gradient with respect to (gamma, delta).
    pub fn log_likelihood_and_gradient(&self, data: &DurationData) -> (f64, [f64; 2]) {
        let (g, d) = (Dual::<2>::var(self.gamma, 0), Dual::<2>::var(self.delta, 1));
        let mut acc = Dual::<2>::cst(0.0);
        for i in 0..data.duration.len() {
            acc = acc + ln_contribution(g, d, data.duration[i], data.churned[i]) * data.w[i];
        }
        (acc.v, acc.d)
    }

    /// Maximum-likelihood fit. Starts, unless `opts.initial` is given, from gamma = delta = 1.
    ///
    /// # Errors
    /// [`Error::NotConverged`] when no start converges (e.g. nobody ever churned, where the
    /// likelihood grows without bound as delta → ∞); [`Error::InvalidParameter`] for bad
    /// options.
    ///
    /// # References
    /// FH 2007, section "Estimating model parameters" and appendix.
    pub fn fit(data: &DurationData, opts: &FitOptions) -> Result<Fit<ShiftedBetaGeo>> {
        let nll = |theta: &[f64]| {
            let g = Dual::<2>::var(theta[0], 0).exp();
            let d = Dual::<2>::var(theta[1], 1).exp();
            let mut acc = Dual::<2>::cst(0.0);
            for i in 0..data.duration.len() {
                acc = acc + ln_contribution(g, d, data.duration[i], data.churned[i]) * data.w[i];
            }
            (-acc.v, vec![-acc.d[0], -acc.d[1]])
        };
        let summary: FitSummary = fit_log_params(
            nll,
            SBG_PARAMS.to_vec(),
            &[1.0, 1.0],
            data.n_customers(),
            opts,
        )?;
        let model = ShiftedBetaGeo::new(summary.params[0], summary.params[1])?;
        Ok(Fit { model, summary })
    }

    /// P(T = t): the probability that a new customer churns at the end of period t (t >= 1).
    ///
    /// # Formula
    /// ```text
    /// P(T = t) = B(γ+1, δ+t−1)/B(γ,δ)
    /// ```
    ///
    /// # Errors
    /// If t is not a whole number >= 1.
    ///
    /// # References
    /// FH 2007, eq. (3).
    pub fn churn_probability(&self, t: f64) -> Result<f64> {
        if !(t.is_finite() && t >= 1.0 && t.fract() == 0.0) {
            return Err(Error::param("t", t, "periods are whole numbers >= 1"));
        }
        Ok(ln_contribution(self.gamma, self.delta, t, true).exp())
    }

    /// S(t): the probability that a new customer is still active after t periods (t >= 0).
    ///
    /// # Formula
    /// ```text
    /// S(t) = B(γ, δ+t)/B(γ,δ)
    /// ```
    ///
    /// # Errors
    /// If t is not a whole number >= 0.
    ///
    /// # References
    /// FH 2007, eq. (5).
    pub fn survival(&self, t: f64) -> Result<f64> {
        if !(t.is_finite() && t >= 0.0 && t.fract() == 0.0) {
            return Err(Error::param("t", t, "periods are whole numbers >= 0"));
        }
        Ok(ln_contribution(self.gamma, self.delta, t, false).exp())
    }

    /// The retention rate of period t: the share of the customers active after period t − 1
    /// who are still active after period t (t >= 1).
    ///
    /// # Formula
    /// ```text
    /// r_t = S(t)/S(t−1) = (δ+t−1)/(γ+δ+t−1)
    /// ```
    ///
    /// # Errors
    /// If t is not a whole number >= 1.
    ///
    /// # References
    /// FH 2007, eq. (6).
    pub fn retention_rate(&self, t: f64) -> Result<f64> {
        if !(t.is_finite() && t >= 1.0 && t.fract() == 0.0) {
            return Err(Error::param("t", t, "periods are whole numbers >= 1"));
        }
        Ok((self.delta + t - 1.0) / (self.gamma + self.delta + t - 1.0))
    }

    /// Expected lifetime of a new customer, in periods.
    ///
    /// # Formula
    /// ```text
    /// E[T] = Σ_{t≥0} S(t) = E[1/θ] = (γ+δ−1)/(γ−1)      (γ > 1; infinite for γ <= 1)
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when gamma <= 1: the mean lifetime is infinite (use
    /// [`ShiftedBetaGeo::discounted_expected_lifetime`] instead).
    ///
    /// # References
    /// FH 2007, section "Model properties"; FH 2010, eq. (4) with d = 0.
    pub fn expected_lifetime(&self) -> Result<f64> {
        if self.gamma <= 1.0 {
            return Err(Error::param(
                "gamma",
                self.gamma,
                "the expected lifetime is infinite when gamma <= 1 (heavy tail of loyal \
                 customers); use the discounted expected lifetime instead",
            ));
        }
        Ok((self.gamma + self.delta - 1.0) / (self.gamma - 1.0))
    }

    /// Discounted expected lifetime (DEL) of a new customer, in periods, with discount rate `d`
    /// per period: the first period counts 1, the next 1/(1+d), ...
    ///
    /// # Formula
    /// ```text
    /// DEL(d) = Σ_{t≥0} S(t)/(1+d)^t = 2F1(1, δ; γ+δ; 1/(1+d))
    /// ```
    ///
    /// # Errors
    /// If d is not finite and > 0.
    ///
    /// # References
    /// FH 2010, eq. (4).
    pub fn discounted_expected_lifetime(&self, d: f64) -> Result<f64> {
        check_rate(d)?;
        hyp2f1(1.0, self.delta, self.gamma + self.delta, 1.0 / (1.0 + d))
    }

    /// Discounted expected residual lifetime (DERL) of a customer who has made `renewals`
    /// renewals (so has been active for renewals + 1 periods) and is about to renew again: the
    /// expected number of further periods, the next one undiscounted, the one after by
    /// 1/(1+d), ...
    ///
    /// # Formula
    /// ```text
    /// DERL(d | n−1 renewals) = B(γ, δ+n)/B(γ, δ+n−1) · 2F1(1, δ+n; γ+δ+n; 1/(1+d))
    ///                        = (δ+n−1)/(γ+δ+n−1) · 2F1(1, δ+n; γ+δ+n; 1/(1+d))
    /// ```
    ///
    /// # Errors
    /// If d is not finite and > 0 or `renewals` is not a whole number >= 0.
    ///
    /// # References
    /// FH 2010, eq. (6).
    pub fn discounted_expected_residual_lifetime(&self, d: f64, renewals: f64) -> Result<f64> {
        check_rate(d)?;
        if !(renewals.is_finite() && renewals >= 0.0 && renewals.fract() == 0.0) {
            return Err(Error::param(
                "renewals",
                renewals,
                "the number of renewals made is a whole number >= 0",
            ));
        }
        let n = renewals + 1.0;
        let (g, dl) = (self.gamma, self.delta);
        let f = hyp2f1(1.0, dl + n, g + dl + n, 1.0 / (1.0 + d))?;
        Ok((dl + n - 1.0) / (g + dl + n - 1.0) * f)
    }

    /// Simulates `n` new customers observed for `periods` periods: theta ~ Beta(gamma, delta),
    /// then at the end of each period the customer churns with probability theta (FH 2007
    /// assumptions). Customers still active after `periods` periods are censored.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for n = 0 or `periods` not a whole number >= 1.
    pub fn simulate(&self, n: usize, periods: f64, seed: u64) -> Result<DurationData> {
        if n == 0 {
            return Err(Error::param(
                "n_customers",
                0,
                "simulate at least one customer",
            ));
        }
        if !(periods.is_finite() && periods >= 1.0 && periods.fract() == 0.0) {
            return Err(Error::param(
                "periods",
                periods,
                "the observation length is a whole number of periods >= 1",
            ));
        }
        let mut rng = Rng::new(seed);
        let (mut duration, mut churned) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for _ in 0..n {
            let theta = rng.beta(self.gamma, self.delta);
            let mut t = 1.0;
            loop {
                if rng.uniform() < theta {
                    duration.push(t);
                    churned.push(true);
                    break;
                }
                if t >= periods {
                    duration.push(t);
                    churned.push(false);
                    break;
                }
                t += 1.0;
            }
        }
        DurationData::new(&duration, &churned, None)
    }
}

fn check_rate(d: f64) -> Result<()> {
    if d.is_finite() && d > 0.0 {
        Ok(())
    } else {
        Err(Error::param(
            "discount_rate",
            d,
            "the discount rate per period must be finite and > 0 (e.g. 0.1)",
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const REGULAR: [f64; 8] = [1000.0, 631.0, 468.0, 382.0, 326.0, 289.0, 262.0, 241.0];

    #[test]
    fn gradient_matches_finite_differences() {
        let data = DurationData::from_survivors(&REGULAR).unwrap();
        for (g, d) in [(0.704, 1.182), (2.5, 0.3)] {
            let (_, grad) = ShiftedBetaGeo::new(g, d)
                .unwrap()
                .log_likelihood_and_gradient(&data);
            let f = |g: f64, d: f64| ShiftedBetaGeo::new(g, d).unwrap().log_likelihood(&data);
            // statrs' ln_gamma has ~1e-15 irregular error, so with weights summing to 1000 a
            // relative step below 1e-5 measures that noise rather than the derivative.
            let h = 1e-5;
            let fd = [
                (f(g + h * g, d) - f(g - h * g, d)) / (2.0 * h * g),
                (f(g, d + h * d) - f(g, d - h * d)) / (2.0 * h * d),
            ];
            for k in 0..2 {
                assert!(
                    (grad[k] - fd[k]).abs() < 1e-6 * (1.0 + fd[k].abs()),
                    "{k}: {} vs {}",
                    grad[k],
                    fd[k]
                );
            }
        }
    }

    /// By hand: P(T=1) = γ/(γ+δ), P(T=t) = (δ+t−2)/(γ+δ+t−1) P(T=t−1), S(t) = S(t−1) − P(T=t)
    /// (FH 2007, eq. 7), and the retention rates are their ratios.
    #[test]
    fn recursion_by_hand() {
        let (g, d) = (0.704, 1.182);
        let m = ShiftedBetaGeo::new(g, d).unwrap();
        let mut p = g / (g + d);
        let mut s = 1.0 - p;
        for t in 1..=12 {
            let tf = t as f64;
            if t > 1 {
                p *= (d + tf - 2.0) / (g + d + tf - 1.0);
                let prev = s;
                s -= p;
                assert!((m.retention_rate(tf).unwrap() - s / prev).abs() < 1e-13);
            }
            assert!((m.churn_probability(tf).unwrap() - p).abs() < 1e-14);
            assert!((m.survival(tf).unwrap() - s).abs() < 1e-13);
        }
    }

    /// DEL and DERL against their defining sums over S(t), by hand.
    #[test]
    fn del_and_derl_match_their_sums() {
        for (g, d) in [(0.704, 1.182), (0.668, 3.806), (2.5, 0.8)] {
            let m = ShiftedBetaGeo::new(g, d).unwrap();
            let disc = 0.1_f64;
            let s = |t: u64| m.survival(t as f64).unwrap();
            let del: f64 = (0..20_000)
                .map(|t| s(t) / (1.0 + disc).powi(t as i32))
                .sum();
            assert!((m.discounted_expected_lifetime(disc).unwrap() - del).abs() < 1e-10 * del);
            for renewals in [0u64, 4, 11] {
                let n = renewals + 1;
                let derl: f64 = (n..n + 20_000)
                    .map(|t| s(t) / s(n - 1) / (1.0 + disc).powi((t - n) as i32))
                    .sum();
                let got = m
                    .discounted_expected_residual_lifetime(disc, renewals as f64)
                    .unwrap();
                assert!((got - derl).abs() < 1e-10 * derl, "{got} vs {derl}");
            }
        }
    }

    #[test]
    fn survivors_become_durations() {
        let d = DurationData::from_survivors(&[10.0, 7.0, 5.0]).unwrap();
        assert_eq!(d.duration, vec![1.0, 2.0, 2.0]);
        assert_eq!(d.churned, vec![true, true, false]);
        assert_eq!(d.w, vec![3.0, 2.0, 5.0]);
        let e = DurationData::from_survivors(&[10.0, 11.0]).unwrap_err();
        assert!(matches!(e, Error::InvalidRow { ref column, row: 1, .. } if column == "survivors"));
        let e = DurationData::new(&[0.0], &[true], None).unwrap_err();
        assert!(matches!(e, Error::InvalidRow { ref column, .. } if column == "duration"));
        assert!(ShiftedBetaGeo::new(0.5, 1.0)
            .unwrap()
            .expected_lifetime()
            .is_err());
        let m = ShiftedBetaGeo::new(3.0, 4.0).unwrap();
        assert!((m.expected_lifetime().unwrap() - 3.0).abs() < 1e-15);
    }
}
