//! Pareto/NBD: the model of Schmittlein, Morrison & Colombo (1987), "Counting your customers:
//! who are they and what will they do next?", *Management Science* 33(1), 1-24 (SMC 1987), in
//! the form of Fader & Hardie (2005), "A note on deriving the Pareto/NBD model and related
//! expressions" (FH 2005 note below).
//!
//! While active, a customer buys at Poisson rate lambda ~ Gamma(r, alpha); their lifetime is
//! exponential with rate mu ~ Gamma(s, beta), lambda and mu independent.

use super::beta_geo::{check_customer, check_horizon};
use super::sampling::Rng;
use super::{fit_log_params, positive, Fit, FitOptions, RfmData};
use crate::dual::{log_add_exp, Dual, Real};
use crate::error::{Error, Position, Result};
use crate::special::{ln_hyp2f1, upper_gamma_scaled};
use statrs::function::beta::ln_beta;
use statrs::function::gamma::ln_gamma;

/// A Pareto/NBD model: r, alpha (purchase rate ~ Gamma(r, alpha), alpha in the data's time
/// unit) and s, beta (dropout rate ~ Gamma(s, beta), beta in the data's time unit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParetoNbd {
    r: f64,
    alpha: f64,
    s: f64,
    beta: f64,
}

/// Parameter names in the order of [`ParetoNbd::params`].
pub const PARETO_NBD_PARAMS: [&str; 4] = ["r", "alpha", "s", "beta"];

/// The pieces of the likelihood shared by the log-likelihood, P(alive) and DERT.
struct Pieces<T> {
    /// ln Γ(r+x) − ln Γ(r) + r ln α + s ln β
    ln_front: T,
    /// ln of the "alive at T" term: −(r+x) ln(α+T) − s ln(β+T)
    ln_alive: T,
    /// ln of the "died in (t_x, T]" term: ln(s/(r+s+x)) + ln A0, or −∞ when t_x = T
    ln_dead: Option<T>,
}

/// The likelihood pieces, generic over [`Real`] so that [`Dual`] gives the exact gradient.
///
/// # Formula
/// ```text
/// a = r + s + x;  if alpha >= beta: m = alpha, b = s + 1   else: m = beta, b = r + x
/// A0 = 2F1(a, b; a+1; |alpha-beta|/(m+t_x)) / (m+t_x)^a − 2F1(a, b; a+1; |alpha-beta|/(m+T)) / (m+T)^a
/// L  = Γ(r+x) α^r β^s / Γ(r) · [ 1/((α+T)^(r+x) (β+T)^s) + s/(r+s+x) · A0 ]
/// ```
/// A0 is a difference of two positive terms (it is s⁻¹(r+s+x) times the integral of the
/// death density over (t_x, T]); it is taken in logs, ln A0 = T1 + ln(−expm1(T2 − T1)).
fn pieces<T: Real>(r: T, alpha: T, s: T, beta: T, x: f64, t_x: f64, t: f64) -> Result<Pieces<T>> {
    pieces_cached(&[r, alpha, s, beta], x, t_x, t, &mut None)
}

/// What depends on (x, T) only, kept between consecutive rows of a fit sorted by (x, T): the
/// front factor, the "alive" term and the 2F1 term at T (half of the 2F1 work).
struct ByFrequencyAge<T> {
    key: (f64, f64),
    ln_front: T,
    ln_alive: T,
    at_t: Option<T>,
}

/// [`pieces`] with a cache of the (x, T) terms.
fn pieces_cached<T: Real>(
    p: &[T; 4],
    x: f64,
    t_x: f64,
    t: f64,
    cache: &mut Option<ByFrequencyAge<T>>,
) -> Result<Pieces<T>> {
    let [r, alpha, s, beta] = *p;
    let a = r + s + x;
    let (m, diff, b) = if alpha.value() >= beta.value() {
        (alpha, alpha - beta, s + 1.0)
    } else {
        (beta, beta - alpha, r + x)
    };
    let term = |tau: f64| -> Result<T> {
        let (lf, _) = ln_hyp2f1(a, b, a + 1.0, diff / (m + tau))?;
        Ok(lf - a * (m + tau).ln())
    };
    let c = match cache {
        Some(c) if c.key == (x, t) => c,
        _ => cache.insert(ByFrequencyAge {
            key: (x, t),
            ln_front: (r + x).ln_gamma() - r.ln_gamma() + r * alpha.ln() + s * beta.ln(),
            ln_alive: -(r + x) * (alpha + t).ln() - s * (beta + t).ln(),
            at_t: None,
        }),
    };
    let (ln_front, ln_alive) = (c.ln_front, c.ln_alive);
    if t_x >= t {
        return Ok(Pieces {
            ln_front,
            ln_alive,
            ln_dead: None,
        });
    }
    let t2 = match c.at_t {
        Some(v) => v,
        None => *c.at_t.insert(term(t)?),
    };
    let t1 = term(t_x)?;
    let d = t2 - t1;
    if d.value() >= 0.0 {
        // t_x < T makes A0 > 0 mathematically; equality here is rounding (t_x within ~1e-16 of T).
        return Ok(Pieces {
            ln_front,
            ln_alive,
            ln_dead: None,
        });
    }
    let ln_a0 = t1 + (-d.exp_m1()).ln();
    Ok(Pieces {
        ln_front,
        ln_alive,
        ln_dead: Some(s.ln() - a.ln() + ln_a0),
    })
}

fn ln_likelihood<T: Real>(p: &Pieces<T>) -> T {
    match p.ln_dead {
        Some(dead) => p.ln_front + log_add_exp(p.ln_alive, dead),
        None => p.ln_front + p.ln_alive,
    }
}

/// (1 − e^(−k u)) / k, with its limit u at k = 0.
fn expm1_ratio(k: f64, u: f64) -> f64 {
    if (k * u).abs() < 1e-8 {
        u * (1.0 - 0.5 * k * u)
    } else {
        -(-k * u).exp_m1() / k
    }
}

impl ParetoNbd {
    /// A Pareto/NBD model.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the parameter if one is not finite and > 0.
    pub fn new(r: f64, alpha: f64, s: f64, beta: f64) -> Result<Self> {
        Ok(ParetoNbd {
            r: positive("r", r)?,
            alpha: positive("alpha", alpha)?,
            s: positive("s", s)?,
            beta: positive("beta", beta)?,
        })
    }

    /// `[r, alpha, s, beta]`.
    pub fn params(&self) -> [f64; 4] {
        [self.r, self.alpha, self.s, self.beta]
    }

    /// Log-likelihood of one customer (x, t_x, T).
    ///
    /// # Formula
    /// ```text
    /// L(r, α, s, β | x, t_x, T) = Γ(r+x) α^r β^s / Γ(r) · [ 1/((α+T)^(r+x) (β+T)^s) + s/(r+s+x) A0 ]
    /// A0 (α ≥ β) = 2F1(r+s+x, s+1; r+s+x+1; (α−β)/(α+t_x)) / (α+t_x)^(r+s+x)
    ///            − 2F1(r+s+x, s+1; r+s+x+1; (α−β)/(α+T)) / (α+T)^(r+s+x)
    /// A0 (α < β) = the same with α ↔ β and s+1 → r+x
    /// ```
    ///
    /// # Errors
    /// For a bad customer; [`Error::NotConverged`] if 2F1 does not converge (z within ~1e-9
    /// of 1, i.e. min(α, β) + t_x negligible next to |α − β|).
    ///
    /// # References
    /// FH 2005 note 009 (section on the likelihood); SMC 1987, appendix.
    pub fn log_likelihood_one(&self, x: f64, t_x: f64, t: f64) -> Result<f64> {
        check_customer(x, t_x, t)?;
        let p = pieces(self.r, self.alpha, self.s, self.beta, x, t_x, t)?;
        Ok(ln_likelihood(&p))
    }

    /// Log-likelihood of one customer and its exact gradient with respect to (r, alpha, s,
    /// beta), by forward-mode differentiation of [`ParetoNbd::log_likelihood_one`] (the
    /// derivatives of 2F1 in its parameters have no closed form).
    ///
    /// # Errors
    /// As [`ParetoNbd::log_likelihood_one`].
    pub fn log_likelihood_and_gradient(&self, x: f64, t_x: f64, t: f64) -> Result<(f64, [f64; 4])> {
        check_customer(x, t_x, t)?;
        let [r, alpha, s, beta] = [0, 1, 2, 3].map(|i| Dual::<4>::var(self.params()[i], i));
        let l = ln_likelihood(&pieces(r, alpha, s, beta, x, t_x, t)?);
        Ok((l.v, l.d))
    }

    /// Total (weighted) log-likelihood of the data.
    ///
    /// # Errors
    /// As [`ParetoNbd::log_likelihood_one`].
    pub fn log_likelihood(&self, data: &RfmData) -> Result<f64> {
        let mut ll = 0.0;
        for i in 0..data.len() {
            ll += data.w[i]
                * self
                    .log_likelihood_one(data.x[i], data.t_x[i], data.t[i])
                    .map_err(|e| e.at(Position::Row(i)))?;
        }
        Ok(ll)
    }

    /// Maximum-likelihood fit (identical rows collapsed first).
    ///
    /// Starts, unless `opts.initial` is given, from r = s = 1 and alpha = beta = the mean of T
    /// over the mean of max(x, 1) (a time scale, whatever the unit). The gradient is exact
    /// (forward-mode through 2F1); if a 2F1 does not converge at a trial point the objective is
    /// reported as non-finite there, which makes the optimizer step back or restart.
    ///
    /// # Errors
    /// [`Error::NotConverged`] when no start converges; [`Error::InvalidParameter`] for bad
    /// options.
    ///
    /// # References
    /// FH 2005 note, section 3 (maximum likelihood).
    pub fn fit(data: &RfmData, opts: &FitOptions) -> Result<Fit<ParetoNbd>> {
        Self::fit_rows(&data.collapsed(), opts)
    }

    /// [`ParetoNbd::fit`] on the rows as given, for rows already collapsed (as
    /// [`RfmData::collapsed_from`] gives them): any rows give the same fit, repeated ones only
    /// cost time.
    ///
    /// # Errors
    /// As [`ParetoNbd::fit`].
    pub fn fit_rows(data: &RfmData, opts: &FitOptions) -> Result<Fit<ParetoNbd>> {
        let n = data.n_customers();
        let mean_t = (0..data.len()).map(|i| data.w[i] * data.t[i]).sum::<f64>() / n;
        let mean_x = (0..data.len())
            .map(|i| data.w[i] * data.x[i].max(1.0))
            .sum::<f64>()
            / n;
        let scale = (mean_t / mean_x).max(1e-6);
        let x0 = [1.0, scale, 1.0, scale];
        // rows sorted by (x, T), so that the (x, T) terms are computed once per run of rows
        let mut order: Vec<usize> = (0..data.len()).collect();
        order.sort_by(|&i, &j| {
            data.x[i]
                .total_cmp(&data.x[j])
                .then(data.t[i].total_cmp(&data.t[j]))
        });
        let nll = |theta: &[f64]| {
            let p = [0, 1, 2, 3].map(|i| Dual::<4>::var(theta[i], i).exp());
            let mut ll = 0.0;
            let mut g = [0.0; 4];
            let mut cache = None;
            for &i in &order {
                match pieces_cached(&p, data.x[i], data.t_x[i], data.t[i], &mut cache) {
                    Ok(p) => {
                        let l = ln_likelihood(&p);
                        ll += data.w[i] * l.v;
                        for k in 0..4 {
                            g[k] += data.w[i] * l.d[k];
                        }
                    }
                    Err(_) => return (f64::NAN, vec![f64::NAN; 4]),
                }
            }
            (-ll, g.iter().map(|gk| -gk).collect())
        };
        let summary = fit_log_params(nll, PARETO_NBD_PARAMS.to_vec(), &x0, n, opts)?;
        let p = &summary.params;
        let model = ParetoNbd::new(p[0], p[1], p[2], p[3])?;
        Ok(Fit { model, summary })
    }

    /// Probability that a customer with history (x, t_x, T) is still active at T.
    ///
    /// # Formula
    /// ```text
    /// P(alive | x, t_x, T) = 1 / (1 + s/(r+s+x) (α+T)^(r+x) (β+T)^s A0)
    /// ```
    ///
    /// # Errors
    /// For a bad customer or a 2F1 that does not converge.
    ///
    /// # References
    /// FH 2005 note 009 (section on P(alive)); SMC 1987.
    pub fn p_alive(&self, x: f64, t_x: f64, t: f64) -> Result<f64> {
        check_customer(x, t_x, t)?;
        let p = pieces(self.r, self.alpha, self.s, self.beta, x, t_x, t)?;
        Ok(match p.ln_dead {
            None => 1.0,
            Some(dead) => 1.0 / (1.0 + (dead - p.ln_alive).exp()),
        })
    }

    /// Expected number of purchases in (0, t] of a new customer (one who has just made a first
    /// purchase).
    ///
    /// # Formula
    /// ```text
    /// E[X(t)] = r β / (α (s−1)) · [1 − (β/(β+t))^(s−1)]      (→ r β/α · ln(1 + t/β) at s = 1)
    /// ```
    ///
    /// # Errors
    /// For a horizon that is negative or not finite.
    ///
    /// # References
    /// FH 2005 note 009; SMC 1987.
    pub fn expected_purchases_new(&self, t: f64) -> Result<f64> {
        check_horizon(t)?;
        let u = (t / self.beta).ln_1p();
        Ok(self.r / self.alpha * self.beta * expm1_ratio(self.s - 1.0, u))
    }

    /// Expected number of purchases in (T, T + t] of a customer with history (x, t_x, T).
    ///
    /// # Formula
    /// ```text
    /// E[Y(t) | x, t_x, T] = (r+x)(β+T) / ((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)] · P(alive | x, t_x, T)
    /// ```
    ///
    /// # Errors
    /// For a bad customer or horizon.
    ///
    /// # References
    /// FH 2005 note 009 (section on the conditional expectation); SMC 1987.
    pub fn conditional_expected_purchases(
        &self,
        t: f64,
        x: f64,
        t_x: f64,
        big_t: f64,
    ) -> Result<f64> {
        check_horizon(t)?;
        let alive = self.p_alive(x, t_x, big_t)?;
        Ok(self.purchases_if_alive(t, x, big_t) * alive)
    }

    /// The factor of [`ParetoNbd::conditional_expected_purchases`] that does not depend on t_x:
    /// `(r+x)(β+T) / ((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)]`.
    pub(crate) fn purchases_if_alive(&self, t: f64, x: f64, big_t: f64) -> f64 {
        let bt = self.beta + big_t;
        let u = (t / bt).ln_1p();
        (self.r + x) / (self.alpha + big_t) * bt * expm1_ratio(self.s - 1.0, u)
    }

    /// Discounted expected residual transactions of a customer with history (x, t_x, T), with
    /// continuously compounded discount rate `delta` per time unit of the data (for an annual
    /// rate d and weekly data, delta = ln(1 + d)/52).
    ///
    /// # Formula
    /// ```text
    /// DERT = ∫_0^∞ E[transaction rate at T+τ | x, t_x, T] e^(−δτ) dτ
    ///      = P(alive) (r+x)/(α+T) ∫_0^∞ ((β+T)/(β+T+τ))^s e^(−δτ) dτ
    ///      = P(alive) (r+x)/(α+T) (β+T) e^z z^(s−1) Γ(1−s, z),     z = δ(β+T)
    /// (e^z z^(s−1) Γ(1−s, z) is the scaled incomplete gamma, finite for any z > 0)
    /// ```
    /// which is FHL 2005's α^r β^s δ^(s−1) Γ(r+x+1) Ψ(s, s; δ(β+T)) / (Γ(r) (α+T)^(r+x+1) L)
    /// with Ψ(s, s; z) = e^z Γ(1−s, z) (DLMF 8.5.3).
    ///
    /// # Errors
    /// For a bad customer, or `delta` not finite and > 0.
    ///
    /// # References
    /// Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for customer base
    /// analysis", *Journal of Marketing Research* 42(4), 415-430, eq. (2).
    pub fn dert(&self, delta: f64, x: f64, t_x: f64, big_t: f64) -> Result<f64> {
        if !(delta.is_finite() && delta > 0.0) {
            return Err(Error::param(
                "discount_rate",
                delta,
                "the continuously compounded discount rate must be finite and > 0 (per time unit of the data)",
            ));
        }
        let alive = self.p_alive(x, t_x, big_t)?;
        let b = self.beta + big_t;
        let z = delta * b;
        let integral = b * upper_gamma_scaled(1.0 - self.s, z)?;
        let v = alive * (self.r + x) / (self.alpha + big_t) * integral;
        if v.is_finite() {
            Ok(v)
        } else {
            Err(Error::Overflow {
                what: "DERT".to_owned(),
                hint: "the discount rate is too small for these parameters; use a larger rate"
                    .to_owned(),
            })
        }
    }

    /// Probability that a new customer (one who has just made a first purchase) makes exactly n
    /// purchases in (0, t].
    ///
    /// # Formula
    /// ```text
    /// P(X(t)=n) = Γ(r+n)/(Γ(r) n!) (α/(α+t))^r (t/(α+t))^n (β/(β+t))^s
    ///           + α^r β^s B(r+n, s+1)/B(r, s) · [ B1 − Σ_{i=0..n} Γ(r+s+i)/(Γ(r+s) i!) t^i B2(i) ]
    /// α ≥ β:  B1    = 2F1(r+s, s+1; r+s+n+1; (α−β)/α) / α^(r+s)
    ///         B2(i) = 2F1(r+s+i, s+1; r+s+n+1; (α−β)/(α+t)) / (α+t)^(r+s+i)
    /// α < β:  B1    = 2F1(r+s, r+n; r+s+n+1; (β−α)/β) / β^(r+s)
    ///         B2(i) = 2F1(r+s+i, r+n; r+s+n+1; (β−α)/(β+t)) / (β+t)^(r+s+i)
    /// ```
    /// The first term is "still alive at t, n purchases" (NBD times the Pareto survival); the
    /// second "died at τ < t after n purchases", integrated over τ. The bracket is taken as
    /// B1 · (1 − Σ_i exp(ln term_i − ln B1)) with every 2F1 in logs; it is a difference of
    /// positive terms, so its absolute error is ~(n+1)·1e-16 of B1's scale (a probability ≤ 1),
    /// and a result below that is rounding: it is returned as 0 rather than negative.
    ///
    /// # Errors
    /// For a bad horizon, n not a whole number >= 0, or a 2F1 that does not converge.
    ///
    /// # References
    /// Fader & Hardie (2006), "Deriving an Expression for P(X(t) = x) Under the Pareto/NBD
    /// Model" (brucehardie.com note 012), the final expression for P(X(t) = x) with its B1 and
    /// B2 for the α ≥ β and α < β cases; SMC 1987 for the model.
    pub fn probability_of_n_purchases(&self, n: f64, t: f64) -> Result<f64> {
        check_horizon(t)?;
        if !(n.is_finite() && n >= 0.0 && n.fract() == 0.0) {
            return Err(Error::param(
                "n",
                n,
                "n must be a whole number of purchases >= 0",
            ));
        }
        if t == 0.0 {
            return Ok(if n == 0.0 { 1.0 } else { 0.0 });
        }
        let ParetoNbd { r, alpha, s, beta } = *self;
        let pow_n = if n == 0.0 {
            0.0
        } else {
            n * (t / (alpha + t)).ln()
        };
        let alive = (ln_gamma(r + n) - ln_gamma(r) - ln_gamma(n + 1.0)
            + r * (alpha / (alpha + t)).ln()
            + pow_n
            + s * (beta / (beta + t)).ln())
        .exp();
        let (m, diff, b) = if alpha >= beta {
            (alpha, alpha - beta, s + 1.0)
        } else {
            (beta, beta - alpha, r + n)
        };
        let c = r + s + n + 1.0;
        let ln_b1 = ln_hyp2f1(r + s, b, c, diff / m)?.0 - (r + s) * m.ln();
        let mut rest = 1.0;
        for i in 0..=(n as u64) {
            let i = i as f64;
            let a = r + s + i;
            let ln_coef = ln_gamma(a) - ln_gamma(r + s) - ln_gamma(i + 1.0)
                + if i == 0.0 { 0.0 } else { i * t.ln() };
            let ln_b2 = ln_hyp2f1(a, b, c, diff / (m + t))?.0 - a * (m + t).ln();
            rest -= (ln_coef + ln_b2 - ln_b1).exp();
        }
        let ln_front = r * alpha.ln() + s * beta.ln() + ln_beta(r + n, s + 1.0) - ln_beta(r, s);
        let dead = (ln_front + ln_b1).exp() * rest.max(0.0);
        let p = alive + dead;
        if p.is_finite() {
            Ok(p.min(1.0))
        } else {
            Err(Error::Overflow {
                what: "P(X(t) = n)".to_owned(),
                hint: "the parameters are too extreme for this horizon".to_owned(),
            })
        }
    }

    /// Simulates `n` customers observed for `t` time units after their first purchase, as
    /// [`ParetoNbd::simulate_ages`] with every age `t`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for n = 0 or a bad `t`.
    pub fn simulate(&self, n: usize, t: f64, seed: u64) -> Result<RfmData> {
        self.simulate_ages(&vec![t; n], seed)
    }

    /// Simulates customers observed for `ages[i]` time units after their first purchase:
    /// lambda ~ Gamma(r, alpha), mu ~ Gamma(s, beta), lifetime ~ Exponential(mu), purchases at
    /// Poisson rate lambda while alive (SMC 1987 assumptions). Returns (x, t_x, T).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an empty or bad `ages`.
    pub fn simulate_ages(&self, ages: &[f64], seed: u64) -> Result<RfmData> {
        if ages.is_empty() {
            return Err(Error::param(
                "n_customers",
                0,
                "simulate at least one customer",
            ));
        }
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
        let (mut xs, mut rs) = (
            Vec::with_capacity(ages.len()),
            Vec::with_capacity(ages.len()),
        );
        for &age in ages {
            let lambda = rng.gamma(self.r, self.alpha);
            let mu = rng.gamma(self.s, self.beta);
            let end = rng.exponential(mu).min(age);
            let (mut x, mut now, mut last) = (0.0, 0.0, 0.0);
            loop {
                now += rng.exponential(lambda);
                if now > end {
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

/// Pareto/NBD as the transaction model of [`crate::models::customer_lifetime_value`].
impl super::TransactionModel for ParetoNbd {
    fn conditional_expected_purchases(&self, t: f64, x: f64, t_x: f64, big_t: f64) -> Result<f64> {
        ParetoNbd::conditional_expected_purchases(self, t, x, t_x, big_t)
    }
    fn factored(&self) -> Option<&dyn super::clv::AliveFactored> {
        Some(self)
    }
}

impl super::clv::AliveFactored for ParetoNbd {
    fn alive(&self, x: f64, t_x: f64, big_t: f64) -> Result<f64> {
        ParetoNbd::p_alive(self, x, t_x, big_t)
    }
    fn purchases_if_alive(&self, t: f64, x: f64, big_t: f64) -> Result<f64> {
        Ok(ParetoNbd::purchases_if_alive(self, t, x, big_t))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::models::{customer_lifetime_value, ClvCustomers, GammaGamma};

    /// CLV over 12 periods of 4 weeks with a Gamma-Gamma spend model: the discounted sum of
    /// per-period expected purchases times expected spend, written out here.
    #[test]
    fn clv_with_pareto_nbd_is_the_discounted_sum() {
        let m = ParetoNbd::new(CDNOW[0], CDNOW[1], CDNOW[2], CDNOW[3]).unwrap();
        let gg = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
        let (x, t_x, t, spend) = (2.0, 30.43, 38.86, 22.35);
        let customers = ClvCustomers {
            x: &[x],
            t_x: &[t_x],
            t: &[t],
            m: &[spend],
        };
        let got = customer_lifetime_value(&m, &gg, customers, 4.0, 12, 0.01, 0.3, false)
            .unwrap()
            .value[0];
        let per_purchase = 0.3 * gg.conditional_expected_spend(x, spend).unwrap();
        let mut want = 0.0;
        for k in 1..=12 {
            let kf = k as f64;
            let e = |h: f64| m.conditional_expected_purchases(h, x, t_x, t).unwrap();
            want += per_purchase * (e(4.0 * kf) - e(4.0 * (kf - 1.0))) / 1.01_f64.powi(k);
        }
        assert!((got - want).abs() < 1e-12 * want, "{got} vs {want}");
    }

    const CDNOW: [f64; 4] = [0.553, 10.578, 0.606, 11.669];

    /// Central differences of the log-likelihood against the forward-mode gradient, in both
    /// branches (alpha >= beta and alpha < beta) and for x = 0, t_x = T and large x.
    #[test]
    fn gradient_matches_finite_differences() {
        for params in [CDNOW, [0.9, 12.0, 1.3, 4.0], [2.0, 3.0, 0.5, 3.0 + 1e-7]] {
            let m = ParetoNbd::new(params[0], params[1], params[2], params[3]).unwrap();
            for (x, t_x, t) in [
                (0.0, 0.0, 30.0),
                (3.0, 20.0, 38.0),
                (7.0, 38.0, 38.0),
                (120.0, 30.0, 39.0),
            ] {
                let (_, g) = m.log_likelihood_and_gradient(x, t_x, t).unwrap();
                for k in 0..4 {
                    let h = 1e-6 * params[k];
                    let mut up = params;
                    let mut dn = params;
                    up[k] += h;
                    dn[k] -= h;
                    let f = |p: [f64; 4]| {
                        ParetoNbd::new(p[0], p[1], p[2], p[3])
                            .unwrap()
                            .log_likelihood_one(x, t_x, t)
                            .unwrap()
                    };
                    let fd = (f(up) - f(dn)) / (2.0 * h);
                    assert!(
                        (g[k] - fd).abs() <= 1e-6 * (1.0 + fd.abs()),
                        "params {params:?} customer {:?} k={k}: {} vs {fd}",
                        (x, t_x, t),
                        g[k]
                    );
                }
            }
        }
    }

    /// At alpha = beta both 2F1 have z = 0 and equal 1, so by hand
    /// A0 = (α+t_x)^−(r+s+x) − (α+T)^−(r+s+x).
    #[test]
    fn likelihood_at_alpha_equal_beta_by_hand() {
        let (r, a, s) = (0.7, 5.0, 1.4);
        let m = ParetoNbd::new(r, a, s, a).unwrap();
        let (x, t_x, t) = (2.0_f64, 10.0_f64, 25.0_f64);
        let k = r + s + x;
        let a0 = (a + t_x).powf(-k) - (a + t).powf(-k);
        let lg = statrs::function::gamma::ln_gamma;
        let want = lg(r + x) - lg(r)
            + r * a.ln()
            + s * a.ln()
            + ((a + t).powf(-(r + x)) * (a + t).powf(-s) + s / k * a0).ln();
        let got = m.log_likelihood_one(x, t_x, t).unwrap();
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }

    #[test]
    fn invariants() {
        let m = ParetoNbd::new(CDNOW[0], CDNOW[1], CDNOW[2], CDNOW[3]).unwrap();
        for x in [0.0, 1.0, 5.0, 50.0] {
            for t_x in [0.0, 10.0, 30.0] {
                if x == 0.0 && t_x > 0.0 {
                    continue;
                }
                let p = m.p_alive(x, t_x, 38.0).unwrap();
                assert!((0.0..=1.0).contains(&p));
                let e1 = m
                    .conditional_expected_purchases(10.0, x, t_x, 38.0)
                    .unwrap();
                let e2 = m
                    .conditional_expected_purchases(20.0, x, t_x, 38.0)
                    .unwrap();
                assert!(0.0 <= e1 && e1 <= e2);
            }
        }
        assert_eq!(m.p_alive(0.0, 0.0, 1e-300).unwrap(), 1.0);
        // a very high discount rate: DERT → (current rate)/δ, the correction being s/(δ(β+T))
        // = 1.2e-3 here (the integral's expansion by hand); Γ(1−s, z) itself underflows at z=505
        let rate = m.p_alive(2.0, 30.43, 38.86).unwrap() * (CDNOW[0] + 2.0) / (CDNOW[1] + 38.86);
        let dert = m.dert(10.0, 2.0, 30.43, 38.86).unwrap();
        assert!(
            (dert * 10.0 / rate - 1.0).abs() < 2e-3,
            "{dert} vs {}",
            rate / 10.0
        );
        assert!(m.dert(0.0, 1.0, 1.0, 2.0).is_err());
        assert!(ParetoNbd::new(0.0, 1.0, 1.0, 1.0).is_err());
        assert!(m.log_likelihood_one(1.0, 5.0, 4.0).is_err());
    }

    /// Parameter sets for P(X(t) = n): CDNOW (α < β), α > β, α = β, and a short-lived base.
    const PMF_SETS: [[f64; 4]; 4] = [
        CDNOW,
        [0.9, 12.0, 1.3, 4.0],
        [2.0, 3.0, 0.5, 3.0],
        [0.5, 1.0, 2.0, 30.0],
    ];

    /// P(X(t) = n) for n = 0, 1, ... until the terms are below 1e-17 past the mean.
    fn pmf_until_negligible(m: &ParetoNbd, t: f64) -> Vec<f64> {
        let mean = m.expected_purchases_new(t).unwrap();
        let mut out = Vec::new();
        for n in 0..5000 {
            let p = m.probability_of_n_purchases(n as f64, t).unwrap();
            assert!((0.0..=1.0).contains(&p), "P(X({t}) = {n}) = {p}");
            out.push(p);
            if (n as f64) > mean && p < 1e-17 {
                return out;
            }
        }
        panic!("P(X({t}) = n) not negligible by n = 5000");
    }

    /// (a) Σ_n P(X(t)=n) = 1 and (b) Σ_n n P(X(t)=n) = E[X(t)], the closed form of
    /// [`ParetoNbd::expected_purchases_new`] (FH 2005 note 009), which shares no code with it.
    #[test]
    fn pmf_sums_to_one_and_has_the_closed_form_mean() {
        for params in PMF_SETS {
            let m = ParetoNbd::new(params[0], params[1], params[2], params[3]).unwrap();
            for t in [1.0, 39.0, 78.0] {
                let pmf = pmf_until_negligible(&m, t);
                let total: f64 = pmf.iter().sum();
                let mean: f64 = pmf.iter().enumerate().map(|(n, p)| n as f64 * p).sum();
                let want = m.expected_purchases_new(t).unwrap();
                assert!((total - 1.0).abs() < 1e-10, "{params:?} t={t}: sum {total}");
                assert!(
                    (mean - want).abs() < 1e-9 * want.max(1.0),
                    "{params:?} t={t}: mean {mean} vs {want}"
                );
            }
        }
        let m = ParetoNbd::new(CDNOW[0], CDNOW[1], CDNOW[2], CDNOW[3]).unwrap();
        assert_eq!(m.probability_of_n_purchases(0.0, 0.0).unwrap(), 1.0);
        assert_eq!(m.probability_of_n_purchases(3.0, 0.0).unwrap(), 0.0);
        assert!(m.probability_of_n_purchases(1.5, 10.0).is_err());
        assert!(m.probability_of_n_purchases(-1.0, 10.0).is_err());
        assert!(m.probability_of_n_purchases(1.0, -1.0).is_err());
        assert!(m.probability_of_n_purchases(f64::NAN, 1.0).is_err());
    }

    /// (c) Against a direct numerical integration written here, without any 2F1: with
    /// NBD(n; τ) = Γ(r+n)/(Γ(r) n!) (α/(α+τ))^r (τ/(α+τ))^n (the Poisson-Gamma mixture) and the
    /// Pareto lifetime (survival (β/(β+τ))^s, density s/β (β/(β+τ))^(s+1)),
    /// P(X(t)=n) = NBD(n; t) (β/(β+t))^s + ∫_0^t s/β (β/(β+τ))^(s+1) NBD(n; τ) dτ,
    /// the integral by composite Simpson on 20,000 panels (error ~h^4, far below 1e-10 here).
    #[test]
    fn pmf_matches_numerical_integration_of_the_model() {
        let lg = statrs::function::gamma::ln_gamma;
        for params in PMF_SETS {
            let [r, alpha, s, beta] = params;
            let m = ParetoNbd::new(r, alpha, s, beta).unwrap();
            let nbd = |n: f64, tau: f64| -> f64 {
                if tau == 0.0 {
                    return if n == 0.0 { 1.0 } else { 0.0 };
                }
                (lg(r + n) - lg(r) - lg(n + 1.0)
                    + r * (alpha / (alpha + tau)).ln()
                    + n * (tau / (alpha + tau)).ln())
                .exp()
            };
            for t in [5.0, 39.0] {
                for n in [0.0, 1.0, 2.0, 5.0, 12.0] {
                    let f = |tau: f64| s / beta * (beta / (beta + tau)).powf(s + 1.0) * nbd(n, tau);
                    let k = 20_000;
                    let h = t / k as f64;
                    let mut integral = f(0.0) + f(t);
                    for j in 1..k {
                        integral += if j % 2 == 1 { 4.0 } else { 2.0 } * f(j as f64 * h);
                    }
                    integral *= h / 3.0;
                    let want = nbd(n, t) * (beta / (beta + t)).powf(s) + integral;
                    let got = m.probability_of_n_purchases(n, t).unwrap();
                    assert!(
                        (got - want).abs() < 1e-10,
                        "{params:?} t={t} n={n}: {got} vs {want}"
                    );
                }
            }
        }
    }

    /// (c') Against the simulator ([`ParetoNbd::simulate_ages`], which draws λ, μ, the lifetime
    /// and the Poisson purchases one by one): 400,000 customers of age 39 on CDNOW's
    /// parameters; each frequency's share within 5 binomial standard errors of P(X(39)=n).
    #[test]
    fn pmf_matches_the_simulator() {
        let m = ParetoNbd::new(CDNOW[0], CDNOW[1], CDNOW[2], CDNOW[3]).unwrap();
        let k = 400_000;
        let d = m.simulate_ages(&vec![39.0; k], 7).unwrap();
        for n in 0..8 {
            let share = d.x.iter().filter(|&&x| x == n as f64).count() as f64 / k as f64;
            let p = m.probability_of_n_purchases(n as f64, 39.0).unwrap();
            let se = (p * (1.0 - p) / k as f64).sqrt();
            assert!(
                (share - p).abs() < 5.0 * se,
                "n={n}: {share} vs {p} (se {se})"
            );
        }
    }

    /// s = 1 is the limit of the closed form: E[X(t)] = r β/α ln(1 + t/β), by hand.
    #[test]
    fn expected_purchases_at_s_equal_one() {
        let m = ParetoNbd::new(0.5, 10.0, 1.0, 8.0).unwrap();
        let want = 0.5 * 8.0 / 10.0 * (1.0_f64 + 52.0 / 8.0).ln();
        assert!((m.expected_purchases_new(52.0).unwrap() - want).abs() < 1e-14);
    }
}
