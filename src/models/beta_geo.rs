//! BG/NBD: the beta-geometric / negative binomial distribution model of Fader, Hardie & Lee
//! (2005), "Counting your customers the easy way: an alternative to the Pareto/NBD model",
//! *Marketing Science* 24(2), 275-284 (FHL 2005 below).
//!
//! While active, a customer buys at Poisson rate lambda ~ Gamma(r, alpha); after each repeat
//! purchase they become inactive with probability p ~ Beta(a, b).

use statrs::function::beta::ln_beta;
use statrs::function::gamma::{digamma, ln_gamma};

use super::hyp2f1::bracket_over_a_minus_1;
use super::sampling::Rng;
use super::{fit_log_params, positive, Fit, FitOptions, RfmData, WeightsByValue};
use crate::error::{Error, Position, Result};
use crate::special::hyp2f1;

/// A BG/NBD model with parameters r, alpha (purchase rate: Gamma(r, alpha), alpha in the data's
/// time unit) and a, b (dropout: Beta(a, b)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BetaGeo {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
}

/// Parameter names in the order of [`BetaGeo::params`].
pub const BETA_GEO_PARAMS: [&str; 4] = ["r", "alpha", "a", "b"];

/// `ln(e^u + e^v)` with the weights `e^u / (e^u + e^v)` and `e^v / (e^u + e^v)`, from one
/// `exp` and one `ln` (u finite; v may be -inf).
///
/// `ln(1 + e)` for e = e^-|u-v| in (0, 1] is taken as `ln` of the rounded 1 + e rather than
/// `ln_1p(e)` (about twice as slow in glibc, and the hottest call of a BG/NBD fit): its
/// absolute error is at most about 2.2e-16, which is below the rounding of `max(u, v)` itself
/// whenever |max(u, v)| >= 1, and the weights are computed from e directly.
pub(crate) fn log_add_exp_weights(u: f64, v: f64) -> (f64, f64, f64) {
    let e = (-(u - v).abs()).exp();
    let one_e = 1.0 + e;
    let l = u.max(v) + one_e.ln();
    let (big, small) = (1.0 / one_e, e / one_e);
    if u >= v {
        (l, big, small)
    } else {
        (l, small, big)
    }
}

/// Rows from which [`RowTables::row_sum`] runs on two threads.
const PARALLEL_ROWS: usize = 50_000;

/// Per-row indices into the distinct values of x, t_x and T, so that the logarithms and
/// reciprocals of a likelihood evaluation are computed once per distinct value (summaries in
/// whole days or weeks have few distinct ages and recencies).
pub(crate) struct RowTables {
    x: (Vec<f64>, Vec<usize>),
    t_x: (Vec<f64>, Vec<usize>),
    t: (Vec<f64>, Vec<usize>),
}

impl RowTables {
    pub(crate) fn new(data: &RfmData) -> Self {
        RowTables {
            x: super::distinct_index(&data.x),
            t_x: super::distinct_index(&data.t_x),
            t: super::distinct_index(&data.t),
        }
    }

    /// Weighted sum over rows of `ln(e^A3 + [x > 0 or mbg] e^A4)` and its gradient in
    /// (r, alpha, a, b), with `A4 = ln a - ln(b + x - shift) - (r+x) ln(alpha + t_x)`: the
    /// row terms of [`BetaGeo`] (shift 1, x > 0 only) and of MBG/NBD (shift 0, every row).
    pub(crate) fn row_sum(
        &self,
        data: &RfmData,
        [r, alpha, a, b]: [f64; 4],
        shift: f64,
        every_row: bool,
    ) -> (f64, [f64; 4]) {
        let table = |vals: &[f64]| -> Vec<(f64, f64)> {
            vals.iter()
                .map(|v| ((alpha + v).ln(), 1.0 / (alpha + v)))
                .collect()
        };
        let (lt, ltx) = (table(&self.t.0), table(&self.t_x.0));
        let bx: Vec<(f64, f64)> = self
            .x
            .0
            .iter()
            .map(|x| {
                let v = b + x - shift;
                (a.ln() - v.ln(), 1.0 / v)
            })
            .collect();
        let inv_a = 1.0 / a;
        let part = |rows: std::ops::Range<usize>| -> (f64, [f64; 4]) {
            let mut ll = 0.0;
            let mut g = [0.0; 4];
            for i in rows {
                let (x, w) = (data.x[i], data.w[i]);
                let xr = r + x;
                let (ln_t, inv_t) = lt[self.t.1[i]];
                let a3 = -xr * ln_t;
                let d3 = [-ln_t, -xr * inv_t];
                if every_row || x > 0.0 {
                    let (ln_tx, inv_tx) = ltx[self.t_x.1[i]];
                    let (c, inv_bx) = bx[self.x.1[i]];
                    let a4 = c - xr * ln_tx;
                    let (l, w3, w4) = log_add_exp_weights(a3, a4);
                    ll += w * l;
                    g[0] += w * (w3 * d3[0] - w4 * ln_tx);
                    g[1] += w * (w3 * d3[1] - w4 * xr * inv_tx);
                    g[2] += w * w4 * inv_a;
                    g[3] -= w * w4 * inv_bx;
                } else {
                    ll += w * a3;
                    g[0] += w * d3[0];
                    g[1] += w * d3[1];
                }
            }
            (ll, g)
        };
        // two halves of the rows on two threads when there are many (each sums in row
        // order; the two sums are added in a fixed order, so the result is deterministic)
        let n = data.x.len();
        if n < PARALLEL_ROWS {
            return part(0..n);
        }
        let halves = crate::parallel::both_halves(true, || part(0..n / 2), || part(n / 2..n));
        // a panic on the other thread (none is known: the closure indexes within the tables'
        // bounds) gives a NaN likelihood, which the optimizer reports as a failed fit
        let Some(((l0, g0), (l1, g1))) = halves else {
            return (f64::NAN, [f64::NAN; 4]);
        };
        (
            l0 + l1,
            [g0[0] + g1[0], g0[1] + g1[1], g0[2] + g1[2], g0[3] + g1[3]],
        )
    }
}

/// Validates one customer (x, t_x, T) for a prediction, naming the element on failure.
pub(crate) fn check_customer(x: f64, t_x: f64, t: f64) -> Result<()> {
    // Reuse the data validation, but report a parameter (located later by the caller with
    // `Error::at`), not row 0 of a one-row table.
    RfmData::new(&[x], &[t_x], &[t], None)
        .map(|_| ())
        .map_err(|e| match e {
            Error::InvalidRow {
                column,
                value,
                problem,
                ..
            } => Error::InvalidParameter {
                name: column,
                value,
                problem,
                position: Position::Scalar,
            },
            other => other,
        })
}

/// Validates a prediction horizon.
pub(crate) fn check_horizon(t: f64) -> Result<()> {
    if t.is_finite() && t >= 0.0 {
        Ok(())
    } else {
        Err(Error::param(
            "t",
            t,
            "the horizon must be finite and >= 0, in the time unit of the data",
        ))
    }
}

impl BetaGeo {
    /// A BG/NBD model.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the parameter if one is not finite and > 0.
    pub fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<Self> {
        Ok(BetaGeo {
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
    /// A2 = lnG(a+b) + lnG(b+x) - lnG(b) - lnG(a+b+x)
    /// A3 = -(r+x) ln(alpha+T)
    /// A4 = ln(a) - ln(b+x-1) - (r+x) ln(alpha+t_x)          (x > 0 only)
    /// LL = A1 + A2 + ln(e^A3 + [x > 0] e^A4)
    /// ```
    ///
    /// # References
    /// FHL 2005, eq. (6), in the log form of their implementation note.
    pub fn log_likelihood_and_gradient(&self, x: f64, t_x: f64, t: f64) -> (f64, [f64; 4]) {
        let (lx, dx) = self.frequency_terms(x);
        let (lr, dr) = self.row_terms(x, t_x, t);
        (lx + lr, std::array::from_fn(|k| dx[k] + dr[k]))
    }

    /// The part of the log-likelihood that depends on x only, `A1 + A2`, and its gradient:
    /// computed once per distinct frequency during a fit.
    fn frequency_terms(&self, x: f64) -> (f64, [f64; 4]) {
        let BetaGeo { r, alpha, a, b } = *self;
        let a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
        let a2 = ln_gamma(a + b) + ln_gamma(b + x) - ln_gamma(b) - ln_gamma(a + b + x);
        let d = [
            digamma(r + x) - digamma(r) + alpha.ln(),
            r / alpha,
            digamma(a + b) - digamma(a + b + x),
            digamma(a + b) + digamma(b + x) - digamma(b) - digamma(a + b + x),
        ];
        (a1 + a2, d)
    }

    /// The part that depends on (t_x, T), `ln(e^A3 + [x > 0] e^A4)`, and its gradient.
    fn row_terms(&self, x: f64, t_x: f64, t: f64) -> (f64, [f64; 4]) {
        let BetaGeo { r, alpha, a, b } = *self;
        let a3 = -(r + x) * (alpha + t).ln();
        let d3 = [-(alpha + t).ln(), -(r + x) / (alpha + t), 0.0, 0.0];
        if x > 0.0 {
            let a4 = a.ln() - (b + x - 1.0).ln() - (r + x) * (alpha + t_x).ln();
            let d4 = [
                -(alpha + t_x).ln(),
                -(r + x) / (alpha + t_x),
                1.0 / a,
                -1.0 / (b + x - 1.0),
            ];
            let (l, w3, w4) = log_add_exp_weights(a3, a4);
            (l, std::array::from_fn(|k| w3 * d3[k] + w4 * d4[k]))
        } else {
            (a3, d3)
        }
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

    /// Maximum-likelihood fit (identical rows collapsed first).
    ///
    /// Starts, unless `opts.initial` is given, from r = 1, a = 1, b = 1 and alpha = the mean of
    /// T over the mean of max(x, 1), so that the start is sensible whatever the time unit.
    ///
    /// # Errors
    /// [`Error::NotConverged`] when no start converges; [`Error::InvalidParameter`] for bad
    /// options.
    ///
    /// # References
    /// FHL 2005, section 3 (maximum likelihood on eq. 6).
    pub fn fit(data: &RfmData, opts: &FitOptions) -> Result<Fit<BetaGeo>> {
        Self::fit_rows(&data.collapsed(), opts)
    }

    /// [`BetaGeo::fit`] on the rows as given, for rows already collapsed (as
    /// [`RfmData::collapsed_from`] gives them): any rows give the same fit, repeated ones only
    /// cost time.
    ///
    /// # Errors
    /// As [`BetaGeo::fit`].
    pub fn fit_rows(data: &RfmData, opts: &FitOptions) -> Result<Fit<BetaGeo>> {
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
            let m = BetaGeo {
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
            let (lr, gr) = tables.row_sum(data, m.params(), 1.0, false);
            ll += lr;
            for k in 0..4 {
                g[k] += gr[k];
            }
            // d/d(ln p) = p d/dp; negated for the negative log-likelihood.
            (-ll, (0..4).map(|k| -g[k] * p[k]).collect())
        };
        let summary = fit_log_params(nll, BETA_GEO_PARAMS.to_vec(), &x0, n, opts)?;
        let p = &summary.params;
        let model = BetaGeo::new(p[0], p[1], p[2], p[3])?;
        Ok(Fit { model, summary })
    }

    /// Expected number of purchases in (0, t] of a customer who has just made a first purchase
    /// (a new customer).
    ///
    /// # Formula
    /// ```text
    /// E[X(t)] = (a+b-1)/(a-1) * [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))]
    /// a = 1:      the limit a -> 1, (a+b-1) * d/da [...] (the bracket vanishes at a = 1)
    /// a + b = 1:  -(alpha/(alpha+t))^r / (a-1) * r b z 2F1(r+1, b+1; 2; z)   (c = 0 limit)
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a bad horizon; [`Error::NotConverged`] or
    /// [`Error::Overflow`] if the 2F1 cannot be evaluated (t/(alpha+t) extremely close to 1).
    ///
    /// # References
    /// FHL 2005, eq. (9); the c -> 0 limit of 2F1 / Gamma(c) is DLMF 15.2.3_5.
    pub fn expected_purchases_new(&self, t: f64) -> Result<f64> {
        check_horizon(t)?;
        if t == 0.0 {
            return Ok(0.0);
        }
        let BetaGeo { r, alpha, a, b } = *self;
        let z = t / (alpha + t);
        let ln_a = r * (alpha / (alpha + t)).ln();
        bg_bracket(ln_a, r, b, a, z)
    }

    /// Expected number of purchases in (T, T + t] of a customer with history (x, t_x, T).
    ///
    /// # Formula
    /// ```text
    /// E[Y(t) | x, t_x, T] =
    ///   (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
    ///   / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))
    /// ```
    /// with the same limits as [`BetaGeo::expected_purchases_new`] at a = 1 and a + b + x = 1.
    ///
    /// # Errors
    /// [`Error::InvalidRow`]/[`Error::InvalidParameter`] for a bad customer or horizon.
    ///
    /// # References
    /// FHL 2005, eq. (10).
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

    /// The factor of [`BetaGeo::conditional_expected_purchases`] that does not depend on t_x:
    /// `E[Y(t) | x, t_x, T] = purchases_if_alive(t, x, T) * P(alive | x, t_x, T)`.
    ///
    /// # Formula
    /// ```text
    /// (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
    /// ```
    ///
    /// # Errors
    /// For a 2F1 that does not converge or overflows; the customer is not checked (callers do).
    pub(crate) fn purchases_if_alive(&self, t: f64, x: f64, big_t: f64) -> Result<f64> {
        if t == 0.0 {
            return Ok(0.0);
        }
        let BetaGeo { r, alpha, a, b } = *self;
        let z = t / (alpha + big_t + t);
        let ln_a = (r + x) * ((alpha + big_t) / (alpha + big_t + t)).ln();
        bg_bracket(ln_a, r + x, b + x, a, z)
    }

    /// Probability that a customer with history (x, t_x, T) is still active at T.
    ///
    /// # Formula
    /// ```text
    /// P(alive) = 1 / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))
    /// ```
    ///
    /// # Errors
    /// For a bad customer.
    ///
    /// # References
    /// Fader, Hardie & Lee (2008), "Computing P(alive) using the BG/NBD model", note 021
    /// (brucehardie.com/notes/021); lifetimes' `conditional_probability_alive` (same formula,
    /// in logs). FHL 2005 itself gives no P(alive).
    pub fn p_alive(&self, x: f64, t_x: f64, big_t: f64) -> Result<f64> {
        check_customer(x, t_x, big_t)?;
        if x == 0.0 {
            return Ok(1.0);
        }
        let BetaGeo { r, alpha, a, b } = *self;
        let ln_odds =
            a.ln() - (b + x - 1.0).ln() + (r + x) * ((alpha + big_t) / (alpha + t_x)).ln();
        // 1 / (1 + e^l), stable for large |l|.
        Ok(if ln_odds > 0.0 {
            let e = (-ln_odds).exp();
            e / (1.0 + e)
        } else {
            1.0 / (1.0 + ln_odds.exp())
        })
    }

    /// Probability that a new customer makes exactly n purchases in (0, t].
    ///
    /// # Formula
    /// ```text
    /// P(X(t)=n) = B(a, b+n)/B(a, b) * G(r+n)/(G(r) n!) (alpha/(alpha+t))^r (t/(alpha+t))^n
    ///   + [n > 0] B(a+1, b+n-1)/B(a, b) * [1 - (alpha/(alpha+t))^r sum_{j<n} G(r+j)/(G(r) j!) (t/(alpha+t))^j]
    /// ```
    ///
    /// # Errors
    /// For a bad horizon or n not a whole number >= 0.
    ///
    /// # References
    /// FHL 2005, eq. (8).
    pub fn probability_of_n_purchases(&self, n: f64, t: f64) -> Result<f64> {
        check_horizon(t)?;
        if !(n.is_finite() && n >= 0.0 && n.fract() == 0.0) {
            return Err(Error::param(
                "n",
                n,
                "n must be a whole number of purchases >= 0",
            ));
        }
        let BetaGeo { r, alpha, a, b } = *self;
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
        let first = (ln_beta(a, b + n) - ln_beta(a, b) + ln_nbd(n)).exp();
        if n == 0.0 {
            return Ok(first);
        }
        // 1 - P(NBD <= n-1) = P(NBD >= n): summed from whichever side is shorter/safer.
        let cdf: f64 = (0..n as u64).map(|j| ln_nbd(j as f64).exp()).sum();
        let tail = (1.0 - cdf).max(0.0);
        let second = (ln_beta(a + 1.0, b + n - 1.0) - ln_beta(a, b)).exp() * tail;
        Ok(first + second)
    }

    /// Simulates `n` customers observed for `t` time units after their first purchase.
    ///
    /// Each customer draws lambda ~ Gamma(r, alpha) and p ~ Beta(a, b), buys at exponential
    /// inter-purchase times of rate lambda and, after each repeat purchase, drops out with
    /// probability p (FHL 2005 assumptions i-v). Returns (x, t_x, T) as [`RfmData`].
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

    /// Like [`BetaGeo::simulate`], with one observation length per customer.
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
                now += rng.exponential(lambda);
                if now > age {
                    break;
                }
                x += 1.0;
                last = now;
                if rng.uniform() < p {
                    break;
                }
            }
            xs.push(x);
            rs.push(last);
        }
        RfmData::new(&xs, &rs, ages, None)
    }
}

/// `(a+q-1)/(a-1) [1 - A 2F1(p, q; a+q-1; z)]` with `A = e^ln_a`, the common form of FHL 2005
/// eq. (9) (p = r, q = b) and eq. (10) (p = r + x, q = b + x).
///
/// # Formula
/// ```text
/// c = a + q - 1 != 0:  c * bracket_over_a_minus_1(...)   (handles a = 1)
/// c = 0:               -A/(a-1) * p q z 2F1(p+1, q+1; 2; z),
///                      since c 2F1(p, q; c; z) -> p q z 2F1(p+1, q+1; 2; z) as c -> 0
/// ```
///
/// # Errors
/// As [`crate::special::ln_hyp2f1`].
///
/// # References
/// DLMF 15.2.3_5 (the c -> 0 limit).
fn bg_bracket(ln_a: f64, p: f64, q: f64, a: f64, z: f64) -> Result<f64> {
    let c = a + q - 1.0;
    if c == 0.0 {
        let f = hyp2f1(p + 1.0, q + 1.0, 2.0, z)?;
        return Ok(-ln_a.exp() / (a - 1.0) * p * q * z * f);
    }
    Ok(c * bracket_over_a_minus_1(ln_a, p, q, q - 1.0, a, z)?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// Central differences of the log-likelihood against the analytic gradient.
    #[test]
    fn gradient_matches_finite_differences() {
        let m = BetaGeo::new(0.243, 4.414, 0.793, 2.426).unwrap();
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
                let mut up = p;
                let mut dn = p;
                up[k] += h;
                dn[k] -= h;
                let f = |q: [f64; 4]| {
                    BetaGeo::new(q[0], q[1], q[2], q[3])
                        .unwrap()
                        .log_likelihood_and_gradient(x, tx, t)
                        .0
                };
                let fd = (f(up) - f(dn)) / (2.0 * h);
                assert!(
                    (fd - g[k]).abs() < 1e-6 * (1.0 + g[k].abs()),
                    "x={x} k={k} fd={fd} g={}",
                    g[k]
                );
            }
        }
    }

    #[test]
    fn log_add_exp_weights_match_direct_formula() {
        for (u, v) in [
            (-3.0, -1.0),
            (2.0, -700.0),
            (-1.0, -1.0),
            (5.0, f64::NEG_INFINITY),
            (-20.0, -20.0 - 1e-9),
            (-8.0, -45.0),
        ] {
            let (l, wu, wv) = log_add_exp_weights(u, v);
            let direct = (u.exp() + v.exp()).ln();
            assert!((l - direct).abs() < 1e-12, "{u} {v}");
            // and to the rounding of ln_1p (the absolute error of ln(1 + e) is <= 2.2e-16)
            let e = (-(u - v).abs()).exp();
            assert!((l - (u.max(v) + e.ln_1p())).abs() <= 2.3e-16 + f64::EPSILON * l.abs());
            assert!((wu - u.exp() / (u.exp() + v.exp())).abs() < 1e-12);
            assert!((wu + wv - 1.0).abs() < 1e-15);
        }
    }

    #[test]
    fn row_tables_sum_equals_per_row_terms() {
        // The fused per-distinct-value evaluation used by fits against the plain per-row one.
        let m = BetaGeo::new(0.5, 6.0, 0.9, 3.0).unwrap();
        let data = m
            .simulate_ages(&[10.0, 20.0, 20.0, 35.5, 35.5, 40.0], 4)
            .unwrap();
        let tables = RowTables::new(&data);
        let (ll, g) = tables.row_sum(&data, m.params(), 1.0, false);
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
    fn log_likelihood_of_zero_buyer_matches_hand_formula() {
        // x = 0: L = (alpha / (alpha + T))^r  (FHL 2005 eq. 6 with x = 0).
        let m = BetaGeo::new(0.5, 3.0, 1.2, 2.0).unwrap();
        let want = 0.5 * (3.0_f64 / 13.0).ln();
        assert!((m.log_likelihood_and_gradient(0.0, 0.0, 10.0).0 - want).abs() < 1e-13);
    }

    #[test]
    fn probabilities_of_n_purchases_sum_to_one() {
        let m = BetaGeo::new(0.243, 4.414, 0.793, 2.426).unwrap();
        let total: f64 = (0..400)
            .map(|n| m.probability_of_n_purchases(n as f64, 39.0).unwrap())
            .sum();
        assert!((total - 1.0).abs() < 1e-6, "{total}");
        // The mean of that distribution is E[X(t)] (eq. 9): two formulas, one check.
        let mean: f64 = (0..400)
            .map(|n| n as f64 * m.probability_of_n_purchases(n as f64, 39.0).unwrap())
            .sum();
        let e = m.expected_purchases_new(39.0).unwrap();
        assert!((mean - e).abs() < 1e-4, "{mean} vs {e}");
    }

    #[test]
    fn new_customer_expectation_is_conditional_expectation_at_zero_history() {
        // A customer with x = 0 observed for T -> 0 is a new customer: eq. (10) -> eq. (9).
        let m = BetaGeo::new(0.243, 4.414, 0.793, 2.426).unwrap();
        let c = m
            .conditional_expected_purchases(20.0, 0.0, 0.0, 1e-12)
            .unwrap();
        let e = m.expected_purchases_new(20.0).unwrap();
        assert!((c - e).abs() < 1e-9, "{c} vs {e}");
    }

    #[test]
    fn fit_recovers_simulated_parameters() {
        // Parameters chosen here; 8,000 customers with ages spread over 20..60 periods. Each
        // estimate must lie within 4 of its own standard errors of the truth (a 4-sigma band
        // fails by chance about once in 16,000 runs per parameter; the seed is fixed anyway).
        let truth = [0.5, 6.0, 0.9, 3.0];
        let m = BetaGeo::new(truth[0], truth[1], truth[2], truth[3]).unwrap();
        let ages: Vec<f64> = (0..8000).map(|i| 20.0 + (i % 41) as f64).collect();
        let data = m.simulate_ages(&ages, 2024).unwrap();
        let fit = BetaGeo::fit(&data, &FitOptions::default()).unwrap();
        let se = fit.summary.standard_errors().unwrap();
        for k in 0..4 {
            let est = fit.model.params()[k];
            assert!(
                (est - truth[k]).abs() < 4.0 * se[k],
                "k={k}: {est} +- {} vs {}",
                se[k],
                truth[k]
            );
        }
    }

    #[test]
    fn one_time_buyers_only_is_an_error_or_a_finite_fit() {
        // Nobody ever repeats: the likelihood pushes r/alpha to 0, so the fit must either
        // converge to finite parameters or say it did not converge; never NaN.
        let data = RfmData::new(&[0.0; 50], &[0.0; 50], &[30.0; 50], None).unwrap();
        match BetaGeo::fit(&data, &FitOptions::default()) {
            Ok(f) => assert!(f.model.params().iter().all(|p| p.is_finite() && *p > 0.0)),
            Err(e) => assert!(matches!(e, Error::NotConverged { .. }), "{e:?}"),
        }
    }

    #[test]
    fn single_customer_and_huge_frequency_fit_or_fail_cleanly() {
        for (x, tx, t) in [(3.0, 10.0, 20.0), (5000.0, 99.0, 100.0)] {
            let data = RfmData::new(&[x], &[tx], &[t], None).unwrap();
            match BetaGeo::fit(&data, &FitOptions::default()) {
                Ok(f) => {
                    assert!(f.model.params().iter().all(|p| p.is_finite() && *p > 0.0));
                    assert!(f.summary.log_likelihood.is_finite());
                }
                Err(e) => assert!(matches!(e, Error::NotConverged { .. }), "{e:?}"),
            }
        }
    }

    #[test]
    fn penalizer_shrinks_parameters() {
        // lifetimes' L2 penalty on the natural parameters pulls them towards 0: the penalised
        // sum of squares must be below the unpenalised one.
        let m = BetaGeo::new(0.5, 6.0, 0.9, 3.0).unwrap();
        let data = m.simulate(2000, 40.0, 5).unwrap();
        let plain = BetaGeo::fit(&data, &FitOptions::default()).unwrap();
        let opts = FitOptions {
            penalizer: 0.1,
            ..FitOptions::default()
        };
        let pen = BetaGeo::fit(&data, &opts).unwrap();
        let ss = |p: [f64; 4]| p.iter().map(|v| v * v).sum::<f64>();
        assert!(ss(pen.model.params()) < ss(plain.model.params()));
    }

    #[test]
    fn customer_first_seen_on_the_last_day() {
        // T = 0, x = 0: the likelihood is (alpha / alpha)^r = 1, P(alive) = 1, and eq. (10)
        // reduces to eq. (9) exactly.
        let m = BetaGeo::new(0.243, 4.414, 0.793, 2.426).unwrap();
        assert!(m.log_likelihood_and_gradient(0.0, 0.0, 0.0).0.abs() < 1e-15);
        assert_eq!(m.p_alive(0.0, 0.0, 0.0).unwrap(), 1.0);
        let c = m
            .conditional_expected_purchases(10.0, 0.0, 0.0, 0.0)
            .unwrap();
        let e = m.expected_purchases_new(10.0).unwrap();
        assert!((c - e).abs() < 1e-12, "{c} vs {e}");
    }

    #[test]
    fn rejects_bad_parameters_and_customers() {
        assert!(
            matches!(BetaGeo::new(0.0, 1.0, 1.0, 1.0), Err(Error::InvalidParameter { ref name, .. }) if name == "r")
        );
        assert!(BetaGeo::new(1.0, f64::NAN, 1.0, 1.0).is_err());
        let m = BetaGeo::new(0.243, 4.414, 0.793, 2.426).unwrap();
        assert!(m.p_alive(1.0, 5.0, 4.0).is_err());
        assert!(m
            .conditional_expected_purchases(-1.0, 1.0, 1.0, 4.0)
            .is_err());
    }
}
