//! Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV: using
//! iso-value curves for customer base analysis", *JMR* 42(4); Fader & Hardie 2013, "The
//! Gamma-Gamma model of monetary value", note 025).
//!
//! Each transaction of a customer is worth z ~ Gamma(p, nu) (rate nu); across customers
//! nu ~ Gamma(q, gamma) (rate gamma). Spend is assumed independent of the transaction process,
//! which [`spend_frequency_correlation`] lets users check.

use statrs::function::gamma::{digamma, ln_gamma};

use super::sampling::Rng;
use super::{fit_log_params, positive, Fit, FitOptions, WeightsByValue};
use crate::error::{Error, Position, Result};

/// A Gamma-Gamma spend model with shape p, and q, gamma for the heterogeneity of the rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaGamma {
    p: f64,
    q: f64,
    gamma: f64,
}

/// Parameter names in the order of [`GammaGamma::params`].
pub const GAMMA_GAMMA_PARAMS: [&str; 3] = ["p", "q", "gamma"];

/// Repeat buyers' (frequency, mean spend, weight), validated; rows with frequency 0 dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct SpendData {
    pub x: Vec<f64>,
    pub m: Vec<f64>,
    pub w: Vec<f64>,
}

/// Rows from which the fit's row sums run on two threads.
const PARALLEL_ROWS: usize = 50_000;

impl SpendData {
    /// The same data with identical (x, m) rows merged, their weights added (first-seen
    /// order): the likelihood is a weighted sum over rows, so it is unchanged.
    pub fn collapsed(&self) -> SpendData {
        let mut index: super::FastMap<(u64, u64), usize> = super::FastMap::default();
        let mut out = SpendData {
            x: Vec::new(),
            m: Vec::new(),
            w: Vec::new(),
        };
        for i in 0..self.x.len() {
            let key = (self.x[i].to_bits(), self.m[i].to_bits());
            match index.get(&key) {
                Some(&j) => out.w[j] += self.w[i],
                None => {
                    index.insert(key, out.x.len());
                    out.x.push(self.x[i]);
                    out.m.push(self.m[i]);
                    out.w.push(self.w[i]);
                }
            }
        }
        out
    }
}

fn bad_row(column: &str, row: usize, value: f64, problem: &str) -> Error {
    Error::InvalidRow {
        column: column.to_owned(),
        row,
        value: value.to_string(),
        problem: problem.to_owned(),
    }
}

impl SpendData {
    /// Validates per-customer frequency (repeat purchases) and mean spend per repeat purchase.
    /// Customers with frequency 0 carry no spend information under the model and are left out.
    ///
    /// # Errors
    /// [`Error::InvalidColumn`] for different lengths or no repeat buyer; [`Error::InvalidRow`]
    /// naming the column, row and value for a frequency that is not a whole number >= 0, a mean
    /// spend of a repeat buyer that is not finite and > 0, or a bad weight.
    pub fn new(frequency: &[f64], monetary: &[f64], weights: Option<&[f64]>) -> Result<Self> {
        let n = frequency.len();
        if monetary.len() != n || weights.is_some_and(|w| w.len() != n) {
            return Err(Error::InvalidColumn {
                column: "monetary_value".to_owned(),
                problem: format!(
                    "frequency has {n} values but monetary_value has {} (and weights {:?}); \
                     pass one value per customer",
                    monetary.len(),
                    weights.map(<[f64]>::len)
                ),
            });
        }
        let mut out = SpendData {
            x: Vec::new(),
            m: Vec::new(),
            w: Vec::new(),
        };
        for i in 0..n {
            let (x, m) = (frequency[i], monetary[i]);
            let w = weights.map_or(1.0, |w| w[i]);
            if !(x.is_finite() && x >= 0.0 && x.fract() == 0.0) {
                return Err(bad_row(
                    "frequency",
                    i,
                    x,
                    "frequency must be a whole number of repeat purchases >= 0",
                ));
            }
            if !(w.is_finite() && w >= 0.0) {
                return Err(bad_row("weights", i, w, "weights must be finite and >= 0"));
            }
            if x == 0.0 || w == 0.0 {
                continue;
            }
            if !(m.is_finite() && m > 0.0) {
                return Err(bad_row(
                    "monetary_value",
                    i,
                    m,
                    "the mean spend of a repeat buyer must be finite and > 0; drop zero-value \
                     customers or fix refunds before fitting the Gamma-Gamma model",
                ));
            }
            out.x.push(x);
            out.m.push(m);
            out.w.push(w);
        }
        if out.x.is_empty() {
            return Err(Error::InvalidColumn {
                column: "frequency".to_owned(),
                problem: "no repeat buyer (frequency > 0); the Gamma-Gamma model is fitted on \
                          repeat buyers' mean spend"
                    .to_owned(),
            });
        }
        Ok(out)
    }

    /// Number of repeat buyers (sum of weights).
    pub fn n_customers(&self) -> f64 {
        self.w.iter().sum()
    }
}

/// Weighted Pearson correlation between frequency and mean spend among repeat buyers: the
/// Gamma-Gamma model assumes they are independent (Fader & Hardie 2013 report 0.11 on CDNOW and
/// judge that small enough).
///
/// # Formula
/// ```text
/// corr = sum w (x - xbar)(m - mbar) / sqrt(sum w (x - xbar)^2 * sum w (m - mbar)^2)
/// ```
///
/// # Errors
/// [`Error::InvalidColumn`] if either column is constant (correlation undefined).
pub fn spend_frequency_correlation(data: &SpendData) -> Result<f64> {
    let n = data.n_customers();
    let xbar = data.x.iter().zip(&data.w).map(|(x, w)| x * w).sum::<f64>() / n;
    let mbar = data.m.iter().zip(&data.w).map(|(m, w)| m * w).sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for i in 0..data.x.len() {
        let (dx, dm) = (data.x[i] - xbar, data.m[i] - mbar);
        sxy += data.w[i] * dx * dm;
        sxx += data.w[i] * dx * dx;
        syy += data.w[i] * dm * dm;
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return Err(Error::InvalidColumn {
            column: if sxx <= 0.0 {
                "frequency"
            } else {
                "monetary_value"
            }
            .to_owned(),
            problem: "is constant among repeat buyers, so the correlation is undefined".to_owned(),
        });
    }
    Ok(sxy / (sxx * syy).sqrt())
}

impl GammaGamma {
    /// A Gamma-Gamma model.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the parameter if one is not finite and > 0.
    pub fn new(p: f64, q: f64, gamma: f64) -> Result<Self> {
        Ok(GammaGamma {
            p: positive("p", p)?,
            q: positive("q", q)?,
            gamma: positive("gamma", gamma)?,
        })
    }

    /// `[p, q, gamma]`.
    pub fn params(&self) -> [f64; 3] {
        [self.p, self.q, self.gamma]
    }

    /// Log-likelihood of one repeat buyer's mean spend m over x transactions, and its gradient
    /// with respect to (p, q, gamma).
    ///
    /// # Formula
    /// ```text
    /// f(m | x) = G(px+q) / (G(px) G(q)) * gamma^q m^(px-1) x^(px) / (gamma + m x)^(px+q)
    /// ```
    ///
    /// # References
    /// Fader & Hardie (2013), note 025, eq. (1a) (as lifetimes cites it); FHL 2005 JMR.
    pub fn log_likelihood_and_gradient(&self, x: f64, m: f64) -> (f64, [f64; 3]) {
        let (lx, dx) = self.frequency_terms(x);
        let (lr, dr) = self.row_terms(x, m, m.ln());
        (lx + lr, std::array::from_fn(|k| dx[k] + dr[k]))
    }

    /// `lnG(px+q) - lnG(px) - lnG(q) + q ln(gamma) + px ln(x)` (x only) and its gradient:
    /// once per distinct frequency during a fit.
    fn frequency_terms(&self, x: f64) -> (f64, [f64; 3]) {
        let GammaGamma { p, q, gamma } = *self;
        let px = p * x;
        let ll = ln_gamma(px + q) - ln_gamma(px) - ln_gamma(q) + q * gamma.ln() + px * x.ln();
        let dpq = digamma(px + q);
        let d = [
            x * (dpq - digamma(px) + x.ln()),
            dpq - digamma(q) + gamma.ln(),
            q / gamma,
        ];
        (ll, d)
    }

    /// `(px-1) ln(m) - (px+q) ln(gamma + m x)` and its gradient.
    fn row_terms(&self, x: f64, m: f64, ln_m: f64) -> (f64, [f64; 3]) {
        let GammaGamma { p, q, gamma } = *self;
        let px = p * x;
        let lg = (gamma + m * x).ln();
        let ll = (px - 1.0) * ln_m - (px + q) * lg;
        let d = [x * (ln_m - lg), -lg, -(px + q) / (gamma + m * x)];
        (ll, d)
    }

    /// Total (weighted) log-likelihood.
    pub fn log_likelihood(&self, data: &SpendData) -> f64 {
        (0..data.x.len())
            .map(|i| data.w[i] * self.log_likelihood_and_gradient(data.x[i], data.m[i]).0)
            .sum()
    }

    /// Maximum-likelihood fit on repeat buyers.
    ///
    /// Starts, unless `opts.initial` is given, from p = 1, q = 2 and gamma set so that the
    /// population mean spend p gamma / (q - 1) equals the observed mean.
    ///
    /// # Errors
    /// [`Error::NotConverged`] when no start converges.
    ///
    /// # References
    /// Fader & Hardie (2013), note 025.
    pub fn fit(data: &SpendData, opts: &FitOptions) -> Result<Fit<GammaGamma>> {
        let n = data.n_customers();
        let mean = data.m.iter().zip(&data.w).map(|(m, w)| m * w).sum::<f64>() / n;
        let x0 = [1.0, 2.0, mean];
        let by_x = WeightsByValue::new(&data.x, &data.w);
        // identical (x, m) rows once, with their summed weight, and ln m computed once
        let rows = data.collapsed();
        let ln_m: Vec<f64> = rows.m.iter().map(|m| m.ln()).collect();
        let nll = |theta: &[f64]| {
            let pr: Vec<f64> = theta.iter().map(|t| t.exp()).collect();
            let model = GammaGamma {
                p: pr[0],
                q: pr[1],
                gamma: pr[2],
            };
            let mut ll = 0.0;
            let mut g = [0.0; 3];
            for (xv, wv) in by_x.values.iter().zip(&by_x.weights) {
                let (li, gi) = model.frequency_terms(*xv);
                ll += wv * li;
                for k in 0..3 {
                    g[k] += wv * gi[k];
                }
            }
            let part = |range: std::ops::Range<usize>| -> (f64, [f64; 3]) {
                let mut ll = 0.0;
                let mut g = [0.0; 3];
                for i in range {
                    let (li, gi) = model.row_terms(rows.x[i], rows.m[i], ln_m[i]);
                    ll += rows.w[i] * li;
                    for k in 0..3 {
                        g[k] += rows.w[i] * gi[k];
                    }
                }
                (ll, g)
            };
            // two halves of many rows on two threads, added in a fixed order (deterministic);
            // a panic on the other thread (none is known) gives a NaN likelihood, which the
            // optimizer reports as a failed fit
            let n = rows.x.len();
            let halves = crate::parallel::both_halves(
                n >= PARALLEL_ROWS,
                || part(0..n / 2),
                || part(n / 2..n),
            );
            let Some(((l0, g0), (l1, g1))) = halves else {
                return (f64::NAN, vec![f64::NAN; 3]);
            };
            ll += l0 + l1;
            for k in 0..3 {
                g[k] += g0[k] + g1[k];
            }
            (-ll, (0..3).map(|k| -g[k] * pr[k]).collect())
        };
        let summary = fit_log_params(nll, GAMMA_GAMMA_PARAMS.to_vec(), &x0, n, opts)?;
        let p = &summary.params;
        let model = GammaGamma::new(p[0], p[1], p[2])?;
        Ok(Fit { model, summary })
    }

    /// Mean spend per transaction in the population, `p gamma / (q - 1)`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if q <= 1 (the mean is infinite).
    pub fn population_mean_spend(&self) -> Result<f64> {
        if self.q <= 1.0 {
            return Err(Error::param(
                "q",
                self.q,
                "the population mean spend is infinite when q <= 1",
            ));
        }
        Ok(self.p * self.gamma / (self.q - 1.0))
    }

    /// Expected spend per transaction of a customer with x repeat purchases of mean value m:
    /// a weighted average of the population mean and the customer's own mean.
    ///
    /// # Formula
    /// ```text
    /// E[M | p, q, gamma, m, x] = p (gamma + m x) / (p x + q - 1)
    ///   = (q-1)/(px+q-1) * p gamma/(q-1) + px/(px+q-1) * m
    /// ```
    /// With x = 0, m is ignored and the result is the population mean.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a bad frequency or spend, or q <= 1 with x = 0.
    ///
    /// # References
    /// Fader & Hardie (2013), note 025, eq. (5) (as lifetimes cites it); FHL 2005 JMR.
    pub fn conditional_expected_spend(&self, x: f64, m: f64) -> Result<f64> {
        if !(x.is_finite() && x >= 0.0) {
            return Err(Error::param(
                "frequency",
                x,
                "frequency must be finite and >= 0",
            ));
        }
        if x == 0.0 {
            return self.population_mean_spend();
        }
        if !(m.is_finite() && m >= 0.0) {
            return Err(Error::param(
                "monetary_value",
                m,
                "mean spend must be finite and >= 0",
            ));
        }
        let GammaGamma { p, q, gamma } = *self;
        let denom = p * x + q - 1.0;
        if denom <= 0.0 {
            return Err(Error::param(
                "q",
                q,
                "p x + q - 1 <= 0: the conditional mean is infinite",
            ));
        }
        Ok(p * (gamma + m * x) / denom)
    }

    /// Simulates the mean spend of customers with the given frequencies (each > 0): nu ~
    /// Gamma(q, gamma), then x transactions z ~ Gamma(p, nu), averaged.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the position of a frequency that is not a whole
    /// number > 0.
    pub fn simulate_spend(&self, frequency: &[f64], seed: u64) -> Result<Vec<f64>> {
        let mut rng = Rng::new(seed);
        let mut out = Vec::with_capacity(frequency.len());
        for (i, &x) in frequency.iter().enumerate() {
            if !(x.is_finite() && x >= 1.0 && x.fract() == 0.0) {
                return Err(Error::param(
                    "frequency",
                    x,
                    "simulated customers need a whole number of transactions >= 1",
                )
                .at(Position::Element(i)));
            }
            let nu = rng.gamma(self.q, self.gamma);
            let total: f64 = (0..x as u64).map(|_| rng.gamma(self.p, nu)).sum();
            out.push(total / x);
        }
        Ok(out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn collapsed_merges_identical_rows_and_keeps_the_likelihood() {
        // rows (x, m): (1, 10) three times (weights 1, 1, 2), (2, 10) once, (1, 12.5) once
        let data = SpendData::new(
            &[1.0, 2.0, 1.0, 0.0, 1.0, 1.0],
            &[10.0, 10.0, 10.0, 0.0, 12.5, 10.0],
            Some(&[1.0, 1.0, 1.0, 1.0, 1.0, 2.0]),
        )
        .unwrap();
        let c = data.collapsed();
        assert_eq!(c.x, vec![1.0, 2.0, 1.0]);
        assert_eq!(c.m, vec![10.0, 10.0, 12.5]);
        assert_eq!(c.w, vec![4.0, 1.0, 1.0]);
        let model = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
        let (a, b) = (model.log_likelihood(&data), model.log_likelihood(&c));
        assert!((a - b).abs() <= 1e-12 * a.abs(), "{a} vs {b}");
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let m = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
        for &(x, zbar) in &[(1.0, 11.77), (2.0, 22.35), (20.0, 299.63)] {
            let (_, g) = m.log_likelihood_and_gradient(x, zbar);
            let p = m.params();
            for k in 0..3 {
                let h = 1e-6 * p[k];
                let (mut up, mut dn) = (p, p);
                up[k] += h;
                dn[k] -= h;
                let f = |q: [f64; 3]| {
                    GammaGamma::new(q[0], q[1], q[2])
                        .unwrap()
                        .log_likelihood_and_gradient(x, zbar)
                        .0
                };
                let fd = (f(up) - f(dn)) / (2.0 * h);
                assert!(
                    (fd - g[k]).abs() < 1e-6 * (1.0 + g[k].abs()),
                    "k={k}: {fd} vs {}",
                    g[k]
                );
            }
        }
    }

    #[test]
    fn one_transaction_density_is_a_gamma_mixture_by_hand() {
        // x = 1: f(m) = G(p+q)/(G(p)G(q)) gamma^q m^(p-1) / (gamma+m)^(p+q); with p = q = 1,
        // gamma = 2, m = 3: 1 * 2 * 1 / 5^2 = 0.08.
        let g = GammaGamma::new(1.0, 1.0, 2.0).unwrap();
        assert!((g.log_likelihood_and_gradient(1.0, 3.0).0 - 0.08_f64.ln()).abs() < 1e-13);
    }

    #[test]
    fn conditional_spend_is_the_weighted_average_by_hand() {
        // p = 6, q = 4, gamma = 15: population mean 6*15/3 = 30; x = 2, m = 40:
        // 6 (15 + 80) / (12 + 3) = 38.
        let g = GammaGamma::new(6.0, 4.0, 15.0).unwrap();
        assert!((g.conditional_expected_spend(2.0, 40.0).unwrap() - 38.0).abs() < 1e-12);
        assert!((g.conditional_expected_spend(0.0, 0.0).unwrap() - 30.0).abs() < 1e-12);
        assert!(GammaGamma::new(1.0, 0.5, 1.0)
            .unwrap()
            .population_mean_spend()
            .is_err());
    }

    #[test]
    fn large_fits_sum_rows_on_two_threads_as_one_pass_would() {
        // 120,000 repeat buyers (over PARALLEL_ROWS): the fit's total log-likelihood, summed
        // in two halves, equals the plain per-row sum at the fitted parameters
        let m = GammaGamma::new(5.0, 4.0, 20.0).unwrap();
        let freq: Vec<f64> = (0..120_000).map(|i| 1.0 + (i % 8) as f64).collect();
        let spend = m.simulate_spend(&freq, 7).unwrap();
        let data = SpendData::new(&freq, &spend, None).unwrap();
        let fit = GammaGamma::fit(&data, &FitOptions::default()).unwrap();
        let plain = fit.model.log_likelihood(&data);
        let rel = (fit.summary.log_likelihood - plain).abs() / plain.abs();
        assert!(rel < 1e-12, "{} vs {plain}", fit.summary.log_likelihood);
        for (est, truth) in fit.model.params().iter().zip([5.0, 4.0, 20.0]) {
            assert!((est / truth - 1.0).abs() < 0.1, "{est} vs {truth}");
        }
    }

    #[test]
    fn fit_recovers_simulated_parameters() {
        // Truth chosen here; 6,000 repeat buyers with 1..8 transactions; within 4 standard
        // errors.
        let truth = [5.0, 4.0, 20.0];
        let m = GammaGamma::new(truth[0], truth[1], truth[2]).unwrap();
        let freq: Vec<f64> = (0..6000).map(|i| 1.0 + (i % 8) as f64).collect();
        let spend = m.simulate_spend(&freq, 99).unwrap();
        let data = SpendData::new(&freq, &spend, None).unwrap();
        let fit = GammaGamma::fit(&data, &FitOptions::default()).unwrap();
        let se = fit.summary.standard_errors().unwrap();
        for k in 0..3 {
            let est = fit.model.params()[k];
            assert!(
                (est - truth[k]).abs() < 4.0 * se[k],
                "k={k}: {est} +- {}",
                se[k]
            );
        }
    }

    #[test]
    fn spend_data_names_bad_rows_and_drops_non_repeaters() {
        let d = SpendData::new(&[0.0, 2.0, 1.0], &[0.0, 10.0, 5.0], None).unwrap();
        assert_eq!(d.x, vec![2.0, 1.0]);
        let e = SpendData::new(&[1.0, 2.0], &[3.0, 0.0], None).unwrap_err();
        assert!(
            matches!(e, Error::InvalidRow { ref column, row: 1, .. } if column == "monetary_value")
        );
        assert!(SpendData::new(&[0.0], &[0.0], None).is_err());
    }

    #[test]
    fn correlation_matches_hand_calculation() {
        // x = (1, 2, 3), m = (2, 4, 7): deviations (-1, 0, 1) and (-7/3, -1/3, 8/3), so
        // sxy = 5, sxx = 2, syy = 38/3 and r = 5 / sqrt(2 * 38/3).
        let d = SpendData::new(&[1.0, 2.0, 3.0], &[2.0, 4.0, 7.0], None).unwrap();
        let r = spend_frequency_correlation(&d).unwrap();
        let want = 5.0 / (2.0_f64 * (38.0 / 3.0)).sqrt();
        assert!((r - want).abs() < 1e-12, "{r} vs {want}");
    }
}
