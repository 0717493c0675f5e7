//! BG/BB: the beta-geometric / beta-Bernoulli model of Fader, Hardie & Shang (2010),
//! "Customer-base analysis in a discrete-time noncontractual setting", *Marketing Science*
//! 29(6), 1086-1108 (FHS 2010 below).
//!
//! Time is a sequence of discrete transaction opportunities (years of a donation drive, issues
//! of a catalogue, ...). While alive, a customer transacts at each opportunity with probability
//! p ~ Beta(alpha, beta); at the start of each opportunity an alive customer becomes inactive
//! with probability theta ~ Beta(gamma, delta). The data of a customer are x transactions in n
//! opportunities after the first one, the last in opportunity t_x (0 if x = 0).

use super::sampling::Rng;
use super::{fit_log_params, positive, Fit, FitOptions, RfmData};
use crate::dual::{log_add_exp, Dual, Real};
use crate::error::{Error, Position, Result};
use crate::special::{hyp2f1, ln_beta};

/// A BG/BB model: alpha, beta (transaction probability p ~ Beta(alpha, beta)) and gamma, delta
/// (dropout probability theta ~ Beta(gamma, delta)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BetaGeoBetaBinom {
    alpha: f64,
    beta: f64,
    gamma: f64,
    delta: f64,
}

/// Parameter names in the order of [`BetaGeoBetaBinom::params`].
pub const BG_BB_PARAMS: [&str; 4] = ["alpha", "beta", "gamma", "delta"];

/// Below this |gamma − 1| the closed forms' δ/(γ−1)·[…] (a 0/0 at γ = 1) are replaced by their
/// defining finite sums.
const GAMMA_ONE_TOL: f64 = 1e-6;

fn row_error(column: &str, row: usize, value: f64, problem: &str) -> Error {
    Error::InvalidRow {
        column: column.to_owned(),
        row,
        value: value.to_string(),
        problem: problem.to_owned(),
    }
}

/// Validated discrete-time data: x, t_x and n whole numbers with 0 <= x <= t_x <= n and
/// t_x = 0 when x = 0, n >= 1, weights >= 0. Returned as [`RfmData`] with `t` = n.
///
/// # Errors
/// [`Error::InvalidRow`] naming the column, the first bad row and its value;
/// [`Error::InvalidColumn`] for mismatched lengths or no rows.
pub fn discrete_data(
    frequency: &[f64],
    recency: &[f64],
    periods: &[f64],
    weights: Option<&[f64]>,
) -> Result<RfmData> {
    for (i, &n) in periods.iter().enumerate() {
        if !(n.is_finite() && n >= 1.0 && n.fract() == 0.0) {
            return Err(row_error(
                "periods",
                i,
                n,
                "the number of transaction opportunities must be a whole number >= 1",
            ));
        }
    }
    let data = RfmData::new(frequency, recency, periods, weights)?;
    for i in 0..data.len() {
        let (x, tx) = (data.x[i], data.t_x[i]);
        if tx.fract() != 0.0 {
            return Err(row_error(
                "recency",
                i,
                tx,
                "recency is the opportunity (1..n) of the last transaction, a whole number",
            ));
        }
        if x > tx {
            return Err(row_error(
                "frequency",
                i,
                x,
                "frequency cannot exceed recency: at most one transaction per opportunity",
            ));
        }
    }
    Ok(data)
}

/// The log-likelihood of one customer, generic over [`Real`].
fn ln_likelihood<T: Real>(p: [T; 4], x: f64, tx: f64, n: f64) -> T {
    let [al, be, ga, de] = p;
    let lb_ab = ln_beta(al, be);
    let lb_gd = ln_beta(ga, de);
    let mut acc = ln_beta(al + x, be + (n - x)) - lb_ab + ln_beta(ga, de + n) - lb_gd;
    let mut i = 0.0;
    while tx + i < n {
        let term =
            ln_beta(al + x, be + (tx - x + i)) - lb_ab + ln_beta(ga + 1.0, de + (tx + i)) - lb_gd;
        acc = log_add_exp(acc, term);
        i += 1.0;
    }
    acc
}

fn check_customer(x: f64, tx: f64, n: f64) -> Result<()> {
    discrete_data(&[x], &[tx], &[n], None).map(|_| ())
}

fn check_periods(name: &str, v: f64) -> Result<()> {
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 {
        Ok(())
    } else {
        Err(Error::param(
            name,
            v,
            "give a whole number of transaction opportunities >= 0",
        ))
    }
}

impl BetaGeoBetaBinom {
    /// A BG/BB model.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the parameter if one is not finite and > 0.
    pub fn new(alpha: f64, beta: f64, gamma: f64, delta: f64) -> Result<Self> {
        Ok(BetaGeoBetaBinom {
            alpha: positive("alpha", alpha)?,
            beta: positive("beta", beta)?,
            gamma: positive("gamma", gamma)?,
            delta: positive("delta", delta)?,
        })
    }

    /// `[alpha, beta, gamma, delta]`.
    pub fn params(&self) -> [f64; 4] {
        [self.alpha, self.beta, self.gamma, self.delta]
    }

    /// Log-likelihood of one customer with x transactions in n opportunities, the last at t_x.
    ///
    /// # Formula
    /// ```text
    /// L = B(α+x, β+n−x)/B(α,β) · B(γ, δ+n)/B(γ,δ)
    ///   + Σ_{i=0}^{n−t_x−1} B(α+x, β+t_x−x+i)/B(α,β) · B(γ+1, δ+t_x+i)/B(γ,δ)
    /// ```
    /// summed in log space.
    ///
    /// # Errors
    /// For a bad customer.
    ///
    /// # References
    /// FHS 2010, eq. (5).
    pub fn log_likelihood_one(&self, x: f64, t_x: f64, n: f64) -> Result<f64> {
        check_customer(x, t_x, n)?;
        Ok(ln_likelihood(self.params(), x, t_x, n))
    }

    /// Log-likelihood of one customer and its exact gradient with respect to (alpha, beta,
    /// gamma, delta), by forward-mode differentiation (digamma for the ln Γ terms).
    ///
    /// # Errors
    /// For a bad customer.
    pub fn log_likelihood_and_gradient(&self, x: f64, t_x: f64, n: f64) -> Result<(f64, [f64; 4])> {
        check_customer(x, t_x, n)?;
        let p = self.params();
        let l = ln_likelihood([0, 1, 2, 3].map(|i| Dual::<4>::var(p[i], i)), x, t_x, n);
        Ok((l.v, l.d))
    }

    /// Total (weighted) log-likelihood of discrete-time data (see [`discrete_data`]).
    pub fn log_likelihood(&self, data: &RfmData) -> f64 {
        (0..data.len())
            .map(|i| data.w[i] * ln_likelihood(self.params(), data.x[i], data.t_x[i], data.t[i]))
            .sum()
    }

    /// Maximum-likelihood fit on (frequency, recency, n) rows with counts as weights (identical
    /// rows collapsed first). Starts, unless `opts.initial` is given, from all parameters = 1.
    ///
    /// # Errors
    /// [`Error::NotConverged`] when no start converges; [`Error::InvalidParameter`] for bad
    /// options.
    ///
    /// # References
    /// FHS 2010, section 3.2.
    pub fn fit(data: &RfmData, opts: &FitOptions) -> Result<Fit<BetaGeoBetaBinom>> {
        let data = data.collapsed();
        let n = data.n_customers();
        let nll = |theta: &[f64]| {
            let p = [0, 1, 2, 3].map(|i| Dual::<4>::var(theta[i], i).exp());
            let mut ll = 0.0;
            let mut g = [0.0; 4];
            for i in 0..data.len() {
                let l = ln_likelihood(p, data.x[i], data.t_x[i], data.t[i]);
                ll += data.w[i] * l.v;
                for k in 0..4 {
                    g[k] += data.w[i] * l.d[k];
                }
            }
            (-ll, g.iter().map(|gk| -gk).collect())
        };
        let summary = fit_log_params(nll, BG_BB_PARAMS.to_vec(), &[1.0; 4], n, opts)?;
        let p = &summary.params;
        let model = BetaGeoBetaBinom::new(p[0], p[1], p[2], p[3])?;
        Ok(Fit { model, summary })
    }

    /// ln of B(α+a, β+b)/B(α,β) · B(γ+c, δ+d)/B(γ,δ).
    fn ln_ratio(&self, a: f64, b: f64, c: f64, d: f64) -> f64 {
        let BetaGeoBetaBinom {
            alpha,
            beta,
            gamma,
            delta,
        } = *self;
        ln_beta(alpha + a, beta + b) - ln_beta(alpha, beta) + ln_beta(gamma + c, delta + d)
            - ln_beta(gamma, delta)
    }

    /// Probability that a customer with history (x, t_x, n) is alive at opportunity n + 1.
    ///
    /// # Formula
    /// ```text
    /// P(alive at n+1) = B(α+x, β+n−x)/B(α,β) · B(γ, δ+n+1)/B(γ,δ) / L(α, β, γ, δ | x, t_x, n)
    /// ```
    ///
    /// # Errors
    /// For a bad customer.
    ///
    /// # References
    /// FHS 2010, eq. (11).
    pub fn p_alive(&self, x: f64, t_x: f64, n: f64) -> Result<f64> {
        let ll = self.log_likelihood_one(x, t_x, n)?;
        Ok((self.ln_ratio(x, n - x, 0.0, n + 1.0) - ll).exp().min(1.0))
    }

    /// Probability that a new customer makes exactly x transactions in its first n
    /// opportunities.
    ///
    /// # Formula
    /// ```text
    /// P(X(n) = x) = C(n, x) B(α+x, β+n−x)/B(α,β) · B(γ, δ+n)/B(γ,δ)
    ///             + Σ_{i=x}^{n−1} C(i, x) B(α+x, β+i−x)/B(α,β) · B(γ+1, δ+i)/B(γ,δ)
    /// ```
    /// (alive throughout, or dead at the start of opportunity i + 1 after x transactions in the
    /// first i).
    ///
    /// # Errors
    /// If n or x is not a whole number >= 0, or x > n.
    ///
    /// # References
    /// FHS 2010, eq. (6).
    pub fn probability_of_purchases(&self, x: f64, n: f64) -> Result<f64> {
        check_periods("n", n)?;
        check_periods("x", x)?;
        if x > n {
            return Err(Error::param(
                "x",
                x,
                format!("at most one transaction per opportunity: x cannot exceed n = {n}"),
            ));
        }
        let ln_choose = |m: f64, k: f64| {
            Real::ln_gamma(m + 1.0) - Real::ln_gamma(k + 1.0) - Real::ln_gamma(m - k + 1.0)
        };
        let mut acc = ln_choose(n, x) + self.ln_ratio(x, n - x, 0.0, n);
        let mut i = x;
        while i < n {
            acc = log_add_exp(acc, ln_choose(i, x) + self.ln_ratio(x, i - x, 1.0, i));
            i += 1.0;
        }
        Ok(acc.exp())
    }

    /// Expected number of transactions of a new customer in its first n opportunities.
    ///
    /// # Formula
    /// ```text
    /// E[X(n)] = α/(α+β) · δ/(γ−1) · [1 − Γ(γ+δ)Γ(1+δ+n) / (Γ(γ+δ+n)Γ(1+δ))]
    ///         = α/(α+β) · Σ_{t=1}^{n} B(γ, δ+t)/B(γ,δ)          (used when |γ − 1| < 1e-6)
    /// ```
    ///
    /// # Errors
    /// If n is not a whole number >= 0.
    ///
    /// # References
    /// FHS 2010, eq. (7).
    pub fn expected_purchases_new(&self, n: f64) -> Result<f64> {
        check_periods("n", n)?;
        let mean_p = self.alpha / (self.alpha + self.beta);
        Ok(mean_p * self.alive_sum(0.0, n))
    }

    /// Σ_{t=1}^{m} B(γ, δ+n0+t)/B(γ,δ): the expected number of opportunities in (n0, n0+m] at
    /// which a customer is alive, per unit of P(alive at n0) weight: the sum itself for up to
    /// 10,000 terms or near γ = 1, else the closed form (whose δ/(γ−1) (a − b) divides the
    /// rounding of the log-gammas by γ − 1: 2e-8 relative at γ = 1 − 1e-5, found by hypothesis).
    fn alive_sum(&self, n0: f64, m: f64) -> f64 {
        let (g, d) = (self.gamma, self.delta);
        if (g - 1.0).abs() < GAMMA_ONE_TOL || m <= 10_000.0 {
            return (1..=m as u64)
                .map(|t| (ln_beta(g, d + n0 + t as f64) - ln_beta(g, d)).exp())
                .sum();
        }
        // δ/(γ−1) Γ(γ+δ)/Γ(1+δ) [Γ(1+δ+n0)/Γ(γ+δ+n0) − Γ(1+δ+n0+m)/Γ(γ+δ+n0+m)]
        let lg = |v: f64| Real::ln_gamma(v);
        let front = lg(g + d) - lg(1.0 + d);
        let a = (front + lg(1.0 + d + n0) - lg(g + d + n0)).exp();
        let b = (front + lg(1.0 + d + n0 + m) - lg(g + d + n0 + m)).exp();
        d / (g - 1.0) * (a - b)
    }

    /// Expected number of transactions in opportunities n+1 .. n+n* of a customer with history
    /// (x, t_x, n).
    ///
    /// # Formula
    /// ```text
    /// E[X(n, n+n*) | x, t_x, n] = B(α+x+1, β+n−x)/B(α,β) / L · δ/(γ−1) · Γ(γ+δ)/Γ(1+δ)
    ///     · [Γ(1+δ+n)/Γ(γ+δ+n) − Γ(1+δ+n+n*)/Γ(γ+δ+n+n*)]
    /// ```
    ///
    /// # Errors
    /// For a bad customer or n* not a whole number >= 0.
    ///
    /// # References
    /// FHS 2010, eq. (13).
    pub fn conditional_expected_purchases(
        &self,
        n_star: f64,
        x: f64,
        t_x: f64,
        n: f64,
    ) -> Result<f64> {
        check_periods("n_star", n_star)?;
        let ll = self.log_likelihood_one(x, t_x, n)?;
        let front = (self.ln_ratio(x + 1.0, n - x, 0.0, 0.0) - ll).exp();
        Ok(front * self.alive_sum(n, n_star))
    }

    /// Discounted expected residual transactions of a customer with history (x, t_x, n): the
    /// transactions of opportunities n+1, n+2, ..., the one at n+t discounted by (1+d)^t, with
    /// `d` the discount rate per opportunity.
    ///
    /// # Formula
    /// ```text
    /// DERT(d | x, t_x, n) = B(α+x+1, β+n−x)/B(α,β) · B(γ, δ+n+1)/(B(γ,δ)(1+d))
    ///                       · 2F1(1, δ+n+1; γ+δ+n+1; 1/(1+d)) / L
    /// ```
    ///
    /// # Errors
    /// For a bad customer, or d not finite and > 0.
    ///
    /// # References
    /// FHS 2010, eq. (14).
    pub fn dert(&self, d: f64, x: f64, t_x: f64, n: f64) -> Result<f64> {
        if !(d.is_finite() && d > 0.0) {
            return Err(Error::param(
                "discount_rate",
                d,
                "the discount rate per opportunity must be finite and > 0 (e.g. 0.1)",
            ));
        }
        let ll = self.log_likelihood_one(x, t_x, n)?;
        let (g, dl) = (self.gamma, self.delta);
        let f = hyp2f1(1.0, dl + n + 1.0, g + dl + n + 1.0, 1.0 / (1.0 + d))?;
        let ln = self.ln_ratio(x + 1.0, n - x, 0.0, n + 1.0) - (1.0 + d).ln() - ll;
        Ok(ln.exp() * f)
    }

    /// Simulates customers with `periods[i]` opportunities after their first transaction:
    /// p ~ Beta(alpha, beta), theta ~ Beta(gamma, delta); at each opportunity an alive customer
    /// first dies with probability theta, then transacts with probability p (FHS 2010
    /// assumptions). Returns (x, t_x, n).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an empty `periods` or one that is not a whole number >= 1.
    pub fn simulate(&self, periods: &[f64], seed: u64) -> Result<RfmData> {
        if periods.is_empty() {
            return Err(Error::param(
                "n_customers",
                0,
                "simulate at least one customer",
            ));
        }
        if let Some((i, n)) = periods
            .iter()
            .enumerate()
            .find(|(_, n)| !(n.is_finite() && **n >= 1.0 && n.fract() == 0.0))
        {
            return Err(Error::param(
                "periods",
                n,
                "the number of opportunities must be a whole number >= 1",
            )
            .at(Position::Element(i)));
        }
        let mut rng = Rng::new(seed);
        let (mut xs, mut rs) = (Vec::with_capacity(periods.len()), Vec::new());
        for &n in periods {
            let p = rng.beta(self.alpha, self.beta);
            let theta = rng.beta(self.gamma, self.delta);
            let (mut x, mut last) = (0.0, 0.0);
            for t in 1..=n as u64 {
                if rng.uniform() < theta {
                    break;
                }
                if rng.uniform() < p {
                    x += 1.0;
                    last = t as f64;
                }
            }
            xs.push(x);
            rs.push(last);
        }
        discrete_data(&xs, &rs, periods, None)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const DONATIONS: [f64; 4] = [1.204, 0.750, 0.657, 2.783];

    fn model(p: [f64; 4]) -> BetaGeoBetaBinom {
        BetaGeoBetaBinom::new(p[0], p[1], p[2], p[3]).unwrap()
    }

    #[test]
    fn gradient_matches_finite_differences() {
        for params in [DONATIONS, [0.5, 3.0, 1.7, 0.9]] {
            let m = model(params);
            for (x, tx, n) in [
                (0.0, 0.0, 6.0),
                (3.0, 4.0, 6.0),
                (6.0, 6.0, 6.0),
                (2.0, 3.0, 30.0),
            ] {
                let (_, g) = m.log_likelihood_and_gradient(x, tx, n).unwrap();
                for k in 0..4 {
                    let h = 1e-6 * params[k];
                    let (mut up, mut dn) = (params, params);
                    up[k] += h;
                    dn[k] -= h;
                    let f = |p| model(p).log_likelihood_one(x, tx, n).unwrap();
                    let fd = (f(up) - f(dn)) / (2.0 * h);
                    assert!(
                        (g[k] - fd).abs() <= 1e-7 * (1.0 + fd.abs()),
                        "{k}: {} vs {fd}",
                        g[k]
                    );
                }
            }
        }
    }

    /// The likelihoods of all 2^n purchase strings of a new customer sum to 1 (by enumeration:
    /// each (x, t_x) pattern stands for C(t_x − 1, x − 1) strings).
    #[test]
    fn likelihood_sums_to_one_over_all_histories() {
        let m = model(DONATIONS);
        let n = 6u64;
        let mut total = m.log_likelihood_one(0.0, 0.0, n as f64).unwrap().exp();
        for tx in 1..=n {
            for x in 1..=tx {
                let strings = binomial(tx - 1, x - 1) as f64;
                total += strings
                    * m.log_likelihood_one(x as f64, tx as f64, n as f64)
                        .unwrap()
                        .exp();
            }
        }
        assert!((total - 1.0).abs() < 1e-13, "{total}");
    }

    /// P(X(n) = x) against the likelihoods of all purchase strings of a new customer grouped
    /// by x (enumeration by hand), and summing to 1 over x.
    #[test]
    fn probability_of_purchases_by_enumeration() {
        let m = model(DONATIONS);
        let n = 6u64;
        let mut by_x = vec![0.0; n as usize + 1];
        by_x[0] = m.log_likelihood_one(0.0, 0.0, n as f64).unwrap().exp();
        for tx in 1..=n {
            for x in 1..=tx {
                let strings = binomial(tx - 1, x - 1) as f64;
                by_x[x as usize] += strings
                    * m.log_likelihood_one(x as f64, tx as f64, n as f64)
                        .unwrap()
                        .exp();
            }
        }
        let mut total = 0.0;
        for (x, want) in by_x.iter().enumerate() {
            let got = m.probability_of_purchases(x as f64, n as f64).unwrap();
            assert!((got - want).abs() < 1e-13, "x={x}: {got} vs {want}");
            total += got;
        }
        assert!((total - 1.0).abs() < 1e-13);
        assert!(m.probability_of_purchases(7.0, 6.0).is_err());
    }

    fn binomial(n: u64, k: u64) -> u64 {
        (0..k).fold(1, |acc, i| acc * (n - i) / (i + 1))
    }

    /// The closed forms against their defining sums (B(γ, δ+t)/B(γ,δ) term by term, by hand),
    /// including γ close to 1 where the closed form is a 0/0.
    #[test]
    fn closed_forms_match_their_sums() {
        for params in [DONATIONS, [1.0, 2.0, 1.0 + 1e-7, 3.0], [2.0, 1.0, 3.5, 1.5]] {
            let m = model(params);
            let [a, b, g, d] = params;
            let term = |t: f64| (ln_beta(g, d + t) - ln_beta(g, d)).exp();
            let want: f64 = a / (a + b) * (1..=10).map(|t| term(t as f64)).sum::<f64>();
            let got = m.expected_purchases_new(10.0).unwrap();
            assert!((got - want).abs() < 1e-12 * want, "{got} vs {want}");
            let (x, tx, n) = (3.0, 5.0, 6.0);
            let l = m.log_likelihood_one(x, tx, n).unwrap().exp();
            let front = (ln_beta(a + x + 1.0, b + n - x) - ln_beta(a, b)).exp() / l;
            let want: f64 = front * (1..=5).map(|t| term(n + t as f64)).sum::<f64>();
            let got = m.conditional_expected_purchases(5.0, x, tx, n).unwrap();
            assert!((got - want).abs() < 1e-12 * want, "{got} vs {want}");
            let disc = 0.1_f64;
            let want: f64 = front
                * (1..=4000)
                    .map(|t| term(n + t as f64) / (1.0 + disc).powi(t))
                    .sum::<f64>();
            let got = m.dert(disc, x, tx, n).unwrap();
            assert!((got - want).abs() < 1e-11 * want, "{got} vs {want}");
        }
    }

    #[test]
    fn invalid_data_is_named() {
        let e = discrete_data(&[3.0], &[2.0], &[6.0], None).unwrap_err();
        assert!(matches!(e, Error::InvalidRow { ref column, .. } if column == "frequency"));
        let e = discrete_data(&[1.0], &[1.5], &[6.0], None).unwrap_err();
        assert!(matches!(e, Error::InvalidRow { ref column, .. } if column == "recency"));
        let e = discrete_data(&[1.0], &[1.0], &[0.5], None).unwrap_err();
        assert!(matches!(e, Error::InvalidRow { ref column, .. } if column == "periods"));
        assert!(model(DONATIONS).dert(0.0, 1.0, 1.0, 6.0).is_err());
        assert!(model(DONATIONS)
            .conditional_expected_purchases(1.5, 1.0, 1.0, 6.0)
            .is_err());
    }
}
