//! MBG/NBD: the modified BG/NBD of Batislam, Denizel & Filiztekin (2007), "Empirical
//! validation and comparison of models for customer base analysis", *International Journal of
//! Research in Marketing* 24(3), 201-209 (BDF 2007 below).
//!
//! As BG/NBD, except that a customer may also drop out right after the first purchase (time
//! 0), so customers with no repeat purchase can be inactive too.

use statrs::function::beta::ln_beta;
use statrs::function::gamma::{digamma, ln_gamma};

use super::beta_geo::{
    check_customer, check_horizon, log_add_exp_weights, RowTables, BETA_GEO_PARAMS,
};
use super::hyp2f1::bracket_over_a_minus_1;
use super::sampling::Rng;
use super::{fit_log_params, positive, Fit, FitOptions, RfmData, WeightsByValue};
use crate::error::{Error, Position, Result};

/// An MBG/NBD model with parameters r, alpha (purchase rate Gamma(r, alpha)) and a, b (dropout
/// Beta(a, b)), named as in [`BETA_GEO_PARAMS`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModifiedBetaGeo {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
}

impl ModifiedBetaGeo {
    /// An MBG/NBD model.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the parameter if one is not finite and > 0.
    pub fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<Self> {
        Ok(ModifiedBetaGeo {
            r: positive("r", r)?,
            alpha: positive("alpha", alpha)?,
            a: positive("a", a)?,
            b: positive("b", b)?,
        })
    }

    /// `[r, alpha, a, b]`.
    pub fn params(&self) -> [f64; 4] {
        [self.r, self.alpha, self.a, self.b]
    }

    /// Log-likelihood of one customer and its gradient with respect to (r, alpha, a, b).
    ///
    /// # Formula
    /// ```text
    /// A1 = lnG(r+x) - lnG(r) + r ln(alpha)
    /// A2 = lnG(a+b) + lnG(b+x+1) - lnG(b) - lnG(a+b+x+1)
    /// A3 = -(r+x) ln(alpha+T)
    /// A4 = ln(a) - ln(b+x) - (r+x) ln(alpha+t_x)            (every x, including 0)
    /// LL = A1 + A2 + ln(e^A3 + e^A4)
    /// ```
    ///
    /// # References
    /// BDF 2007; lifetimes' `ModifiedBetaGeoFitter` (same log form).
    pub fn log_likelihood_and_gradient(&self, x: f64, t_x: f64, t: f64) -> (f64, [f64; 4]) {
        let (lx, dx) = self.frequency_terms(x);
        let (lr, dr) = self.row_terms(x, t_x, t);
        (lx + lr, std::array::from_fn(|k| dx[k] + dr[k]))
    }

    /// `A1 + A2` (x only) and its gradient: once per distinct frequency during a fit.
    fn frequency_terms(&self, x: f64) -> (f64, [f64; 4]) {
        let ModifiedBetaGeo { r, alpha, a, b } = *self;
        let a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
        let a2 = ln_gamma(a + b) + ln_gamma(b + x + 1.0) - ln_gamma(b) - ln_gamma(a + b + x + 1.0);
        let d = [
            digamma(r + x) - digamma(r) + alpha.ln(),
            r / alpha,
            digamma(a + b) - digamma(a + b + x + 1.0),
            digamma(a + b) + digamma(b + x + 1.0) - digamma(b) - digamma(a + b + x + 1.0),
        ];
        (a1 + a2, d)
    }

    /// `ln(e^A3 + e^A4)` and its gradient.
    fn row_terms(&self, x: f64, t_x: f64, t: f64) -> (f64, [f64; 4]) {
        let ModifiedBetaGeo { r, alpha, a, b } = *self;
        let a3 = -(r + x) * (alpha + t).ln();
        let a4 = a.ln() - (b + x).ln() - (r + x) * (alpha + t_x).ln();
        let d3 = [-(alpha + t).ln(), -(r + x) / (alpha + t), 0.0, 0.0];
        let d4 = [
            -(alpha + t_x).ln(),
            -(r + x) / (alpha + t_x),
            1.0 / a,
            -1.0 / (b + x),
        ];
        let (l, w3, w4) = log_add_exp_weights(a3, a4);
        (l, std::array::from_fn(|k| w3 * d3[k] + w4 * d4[k]))
    }

    /// Total (weighted) log-likelihood of the data.
    pub fn log_likelihood(&self, data: &RfmData) -> f64 {
        (0..data.len())
            .map(|i| {
                data.w[i]
                    * self
                        .log_likelihood_and_gradient(data.x[i], data.t_x[i], data.t[i])
                        .0
            })
            .sum()
    }

    /// Maximum-likelihood fit (identical rows collapsed first); starts as [`super::BetaGeo::fit`].
    ///
    /// # Errors
    /// [`Error::NotConverged`] when no start converges.
    pub fn fit(data: &RfmData, opts: &FitOptions) -> Result<Fit<ModifiedBetaGeo>> {
        Self::fit_rows(&data.collapsed(), opts)
    }

    /// [`ModifiedBetaGeo::fit`] on the rows as given, for rows already collapsed (as
    /// [`RfmData::collapsed_from`] gives them): any rows give the same fit, repeated ones only
    /// cost time.
    ///
    /// # Errors
    /// As [`ModifiedBetaGeo::fit`].
    pub fn fit_rows(data: &RfmData, opts: &FitOptions) -> Result<Fit<ModifiedBetaGeo>> {
        let n = data.n_customers();
        let mean_t = (0..data.len()).map(|i| data.w[i] * data.t[i]).sum::<f64>() / n;
        let mean_x = (0..data.len())
            .map(|i| data.w[i] * data.x[i].max(1.0))
            .sum::<f64>()
            / n;
        let x0 = [1.0, (mean_t / mean_x).max(1e-6), 1.0, 1.0];
        let by_x = WeightsByValue::new(&data.x, &data.w);
        let tables = RowTables::new(data);
        let nll = |theta: &[f64]| {
            let p: Vec<f64> = theta.iter().map(|t| t.exp()).collect();
            let m = ModifiedBetaGeo {
                r: p[0],
                alpha: p[1],
                a: p[2],
                b: p[3],
            };
            let mut ll = 0.0;
            let mut g = [0.0; 4];
            // Terms in x alone once per distinct frequency, weighted by its customer count.
            for (xv, wv) in by_x.values.iter().zip(&by_x.weights) {
                let (li, gi) = m.frequency_terms(*xv);
                ll += wv * li;
                for k in 0..4 {
                    g[k] += wv * gi[k];
                }
            }
            let (lr, gr) = tables.row_sum(data, m.params(), 0.0, true);
            ll += lr;
            for k in 0..4 {
                g[k] += gr[k];
            }
            (-ll, (0..4).map(|k| -g[k] * p[k]).collect())
        };
        let summary = fit_log_params(nll, BETA_GEO_PARAMS.to_vec(), &x0, n, opts)?;
        let p = &summary.params;
        let model = ModifiedBetaGeo::new(p[0], p[1], p[2], p[3])?;
        Ok(Fit { model, summary })
    }

    /// Expected number of purchases in (0, t] of a new customer.
    ///
    /// # Formula
    /// ```text
    /// E[X(t)] = b/(a-1) * [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))]
    /// ```
    ///
    /// # Errors
    /// For a bad horizon, or a 2F1 that cannot be evaluated (z extremely close to 1).
    ///
    /// # References
    /// BDF 2007; lifetimes' `ModifiedBetaGeoFitter.expected_number_of_purchases_up_to_time`.
    pub fn expected_purchases_new(&self, t: f64) -> Result<f64> {
        check_horizon(t)?;
        if t == 0.0 {
            return Ok(0.0);
        }
        let ModifiedBetaGeo { r, alpha, a, b } = *self;
        // At a = 1 the bracket vanishes (2F1(r, b+1; b+1; z) = (1-z)^-r); the helper takes the
        // limit.
        let ln_a = r * (alpha / (alpha + t)).ln();
        Ok(b * bracket_over_a_minus_1(ln_a, r, b + 1.0, b, a, t / (alpha + t))?)
    }

    /// Expected purchases in (T, T + t] of a customer with history (x, t_x, T).
    ///
    /// # Formula
    /// ```text
    /// E[Y(t) | x, t_x, T] =
    ///   (a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; t/(alpha+T+t))]
    ///   / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))
    /// ```
    ///
    /// # Errors
    /// For a bad customer or horizon.
    ///
    /// # References
    /// BDF 2007; lifetimes' `conditional_expected_number_of_purchases_up_to_time`.
    pub fn conditional_expected_purchases(
        &self,
        t: f64,
        x: f64,
        t_x: f64,
        big_t: f64,
    ) -> Result<f64> {
        check_horizon(t)?;
        check_customer(x, t_x, big_t)?;
        Ok(self.purchases_if_alive(t, x, big_t)? * self.p_alive(x, t_x, big_t)?)
    }

    /// The factor of [`ModifiedBetaGeo::conditional_expected_purchases`] that does not depend
    /// on t_x: `E[Y(t) | x, t_x, T] = purchases_if_alive(t, x, T) * P(alive | x, t_x, T)`.
    ///
    /// # Errors
    /// For a 2F1 that does not converge or overflows; the customer is not checked (callers do).
    pub(crate) fn purchases_if_alive(&self, t: f64, x: f64, big_t: f64) -> Result<f64> {
        if t == 0.0 {
            return Ok(0.0);
        }
        let ModifiedBetaGeo { r, alpha, a, b } = *self;
        let z = t / (alpha + big_t + t);
        let ln_a = (r + x) * ((alpha + big_t) / (alpha + big_t + t)).ln();
        Ok((a + b + x) * bracket_over_a_minus_1(ln_a, r + x, b + x + 1.0, b + x, a, z)?)
    }

    /// Probability that a customer with history (x, t_x, T) is still active at T.
    ///
    /// # Formula
    /// ```text
    /// P(alive) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))
    /// ```
    ///
    /// # Errors
    /// For a bad customer.
    ///
    /// # References
    /// BDF 2007, Appendix A, eq. (5) (as lifetimes cites it); lifetimes' `conditional_probability_alive`.
    pub fn p_alive(&self, x: f64, t_x: f64, big_t: f64) -> Result<f64> {
        check_customer(x, t_x, big_t)?;
        let ModifiedBetaGeo { r, alpha, a, b } = *self;
        let ln_odds = a.ln() - (b + x).ln() + (r + x) * ((alpha + big_t) / (alpha + t_x)).ln();
        Ok(if ln_odds > 0.0 {
            let e = (-ln_odds).exp();
            e / (1.0 + e)
        } else {
            1.0 / (1.0 + ln_odds.exp())
        })
    }

    /// Probability that a new customer makes exactly n purchases in (0, t].
    ///
    /// With N(t) ~ NBD(r, alpha) the purchases of an immortal customer and K the number of
    /// purchases after which the customer drops out (P(K = k) = (1-p)^k p, k >= 0, since MBG
    /// allows dropout at time 0), X(t) = min(N(t), K), hence (derived here the way FHL 2005
    /// derive their eq. 8):
    ///
    /// # Formula
    /// ```text
    /// P(X(t)=n) = B(a, b+n+1)/B(a, b) P(N(t)=n) + B(a+1, b+n)/B(a, b) P(N(t) >= n)
    /// P(N(t)=j) = G(r+j)/(G(r) j!) (alpha/(alpha+t))^r (t/(alpha+t))^j
    /// ```
    ///
    /// # Errors
    /// For a bad horizon or n not a whole number >= 0.
    pub fn probability_of_n_purchases(&self, n: f64, t: f64) -> Result<f64> {
        check_horizon(t)?;
        if !(n.is_finite() && n >= 0.0 && n.fract() == 0.0) {
            return Err(Error::param(
                "n",
                n,
                "n must be a whole number of purchases >= 0",
            ));
        }
        let ModifiedBetaGeo { r, alpha, a, b } = *self;
        let lp = (alpha / (alpha + t)).ln();
        let lq = if t > 0.0 {
            (t / (alpha + t)).ln()
        } else {
            f64::NEG_INFINITY
        };
        let ln_nbd = |j: f64| {
            let pow = if j == 0.0 { 0.0 } else { j * lq };
            ln_gamma(r + j) - ln_gamma(r) - ln_gamma(j + 1.0) + r * lp + pow
        };
        let first = (ln_beta(a, b + n + 1.0) - ln_beta(a, b) + ln_nbd(n)).exp();
        let cdf: f64 = (0..n as u64).map(|j| ln_nbd(j as f64).exp()).sum();
        let tail = (1.0 - cdf).max(0.0);
        let second = (ln_beta(a + 1.0, b + n) - ln_beta(a, b)).exp() * tail;
        Ok(first + second)
    }

    /// Simulates `n` customers observed for `t` time units after their first purchase: each
    /// draws lambda ~ Gamma(r, alpha), p ~ Beta(a, b), drops out with probability p after the
    /// first purchase and after each repeat purchase, and buys at rate lambda while active.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for n = 0 or a bad `t`.
    pub fn simulate(&self, n: usize, t: f64, seed: u64) -> Result<RfmData> {
        if n == 0 {
            return Err(Error::param(
                "n_customers",
                n,
                "simulate at least one customer",
            ));
        }
        if !(t.is_finite() && t > 0.0) {
            return Err(Error::param(
                "T",
                t,
                "the observation length must be finite and > 0",
            ));
        }
        self.simulate_ages(&vec![t; n], seed)
    }

    /// Like [`ModifiedBetaGeo::simulate`], with one observation length per customer.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the position of a bad age.
    pub fn simulate_ages(&self, ages: &[f64], seed: u64) -> Result<RfmData> {
        if let Some((i, t)) = ages
            .iter()
            .enumerate()
            .find(|(_, t)| !(t.is_finite() && **t > 0.0))
        {
            return Err(
                Error::param("T", t, "ages must be finite and > 0").at(Position::Element(i))
            );
        }
        let mut rng = Rng::new(seed);
        let n = ages.len();
        let (mut xs, mut rs) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for &age in ages {
            let lambda = rng.gamma(self.r, self.alpha);
            let p = rng.beta(self.a, self.b);
            let (mut x, mut now, mut last) = (0.0, 0.0, 0.0);
            loop {
                if rng.uniform() < p {
                    break;
                }
                now += rng.exponential(lambda);
                if now > age {
                    break;
                }
                x += 1.0;
                last = now;
            }
            xs.push(x);
            rs.push(last);
        }
        RfmData::new(&xs, &rs, ages, None)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_finite_differences() {
        let m = ModifiedBetaGeo::new(0.525, 6.183, 0.891, 1.614).unwrap();
        for &(x, tx, t) in &[
            (0.0, 0.0, 38.86),
            (1.0, 1.71, 38.86),
            (2.0, 30.43, 38.86),
            (40.0, 30.0, 35.0),
        ] {
            let (_, g) = m.log_likelihood_and_gradient(x, tx, t);
            let p = m.params();
            for k in 0..4 {
                let h = 1e-6 * p[k];
                let (mut up, mut dn) = (p, p);
                up[k] += h;
                dn[k] -= h;
                let f = |q: [f64; 4]| {
                    ModifiedBetaGeo::new(q[0], q[1], q[2], q[3])
                        .unwrap()
                        .log_likelihood_and_gradient(x, tx, t)
                        .0
                };
                let fd = (f(up) - f(dn)) / (2.0 * h);
                assert!(
                    (fd - g[k]).abs() < 1e-6 * (1.0 + g[k].abs()),
                    "x={x} k={k}: {fd} vs {}",
                    g[k]
                );
            }
        }
    }

    #[test]
    fn row_tables_sum_equals_per_row_terms() {
        let m = ModifiedBetaGeo::new(0.5, 6.0, 0.9, 3.0).unwrap();
        let data = m
            .simulate_ages(&[10.0, 20.0, 20.0, 35.5, 35.5, 40.0], 4)
            .unwrap();
        let (ll, g) = RowTables::new(&data).row_sum(&data, m.params(), 0.0, true);
        let (mut ll2, mut g2) = (0.0, [0.0; 4]);
        for i in 0..data.len() {
            let (l, gi) = m.row_terms(data.x[i], data.t_x[i], data.t[i]);
            ll2 += l;
            for k in 0..4 {
                g2[k] += gi[k];
            }
        }
        assert!((ll - ll2).abs() < 1e-10);
        for k in 0..4 {
            assert!((g[k] - g2[k]).abs() < 1e-10, "{k}");
        }
    }

    #[test]
    fn zero_buyer_likelihood_by_hand() {
        // x = 0, t_x = 0: L = (alpha/(alpha+T))^r * b/(a+b) + a/(a+b)
        // (survive time 0 and buy nothing, or drop out at time 0): a hand derivation.
        let m = ModifiedBetaGeo::new(0.5, 3.0, 1.2, 2.0).unwrap();
        let want = ((3.0_f64 / 13.0).powf(0.5) * 2.0 / 3.2 + 1.2 / 3.2).ln();
        assert!((m.log_likelihood_and_gradient(0.0, 0.0, 10.0).0 - want).abs() < 1e-13);
    }

    #[test]
    fn probabilities_sum_to_one_and_mean_is_expected_purchases() {
        let m = ModifiedBetaGeo::new(0.525, 6.183, 0.891, 1.614).unwrap();
        let p: Vec<f64> = (0..500)
            .map(|n| m.probability_of_n_purchases(n as f64, 39.0).unwrap())
            .collect();
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-6);
        let mean: f64 = p.iter().enumerate().map(|(n, q)| n as f64 * q).sum();
        let e = m.expected_purchases_new(39.0).unwrap();
        assert!((mean - e).abs() < 1e-4, "{mean} vs {e}");
    }

    #[test]
    fn fit_recovers_simulated_parameters() {
        // Truth chosen here; within 4 standard errors (see the BG/NBD test).
        let truth = [0.6, 5.0, 1.1, 2.5];
        let m = ModifiedBetaGeo::new(truth[0], truth[1], truth[2], truth[3]).unwrap();
        let ages: Vec<f64> = (0..8000).map(|i| 20.0 + (i % 41) as f64).collect();
        let data = m.simulate_ages(&ages, 7).unwrap();
        let fit = ModifiedBetaGeo::fit(&data, &FitOptions::default()).unwrap();
        let se = fit.summary.standard_errors().unwrap();
        for k in 0..4 {
            let est = fit.model.params()[k];
            assert!(
                (est - truth[k]).abs() < 4.0 * se[k],
                "k={k}: {est} +- {}",
                se[k]
            );
        }
    }
}
