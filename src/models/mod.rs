//! Probabilistic customer-base ("buy till you die") models, fitted by maximum likelihood.
//!
//! Shared pieces: the per-customer data [`RfmData`] (frequency x, recency t_x, age T, weights),
//! the fit options [`FitOptions`], what every fitted model carries ([`FitSummary`]), and
//! [`fit_log_params`], which fits any model from its negative log-likelihood and gradient in
//! log parameters.
//!
//! Time is in whatever unit the data are in (days, weeks, ...): the rates a model estimates are
//! per that unit, and predictions take horizons in the same unit.

// Dense small-matrix code reads best with explicit indices.
#![allow(clippy::needless_range_loop)]

pub mod beta_geo;
pub mod beta_geo_beta_binom;
pub mod clv;
pub mod evaluation;
pub mod gamma_gamma;
mod hyp2f1;
pub mod modified_beta_geo;
pub mod pareto_nbd;
pub mod sampling;
pub mod shifted_beta_geo;
pub mod simulate_log;

pub use beta_geo::BetaGeo;
pub use clv::{
    customer_lifetime_value, customer_lifetime_value_in_units, AliveFactored, ClvCustomers,
    ClvResult, SpendModel, TimeUnit, TransactionModel,
};
pub use gamma_gamma::{spend_frequency_correlation, GammaGamma, SpendData};
pub use modified_beta_geo::ModifiedBetaGeo;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use crate::error::{Error, Position, Result};
use crate::optimize::{
    hessian_from_gradient, invert_spd, minimize, LastEvaluation, MinimizeOptions,
};

/// A small non-cryptographic hasher for grouping float bit patterns (keys come from the
/// caller's data, not from an adversary): multiply-rotate per word, then murmur3's finaliser so
/// that floats with zero low mantissa bits (whole numbers) still spread over the table.
#[derive(Default, Clone, Copy)]
struct FastHasher(u64);

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// Whole ages below this (in the data's unit: 180 years of days) are looked up directly.
const DIRECT_AGES: usize = 1 << 16;

/// The distinct (x, t_x, T) rows, numbered in order of first appearance. A summary's rows are
/// mostly one-time buyers (x = t_x = 0) of whole-number ages, so those are numbered through a
/// table indexed by the age, without hashing; the others through a hash map.
#[derive(Default)]
pub(crate) struct RowIndex {
    /// The number of the one-time buyers of each whole age, `u32::MAX` for none yet.
    by_age: Vec<u32>,
    map: FastMap<(u64, u64, u64), u32>,
    len: u32,
}

impl RowIndex {
    /// The number of row (x, t_x, T), and whether it is new (then it is the next number).
    pub(crate) fn number(&mut self, x: f64, t_x: f64, t: f64) -> (u32, bool) {
        let next = self.len;
        // ages are >= 0 in validated data; `as` saturates anything else, which then fails the
        // whole-number test and is hashed
        let age = t as usize;
        let slot = if x == 0.0 && t_x == 0.0 && age < DIRECT_AGES && age as f64 == t {
            if self.by_age.is_empty() {
                self.by_age = vec![u32::MAX; DIRECT_AGES];
            }
            let slot = &mut self.by_age[age];
            if *slot == u32::MAX {
                *slot = next;
            }
            *slot
        } else {
            // +0.0 normalises -0.0 so that both collapse together.
            let key = (
                (x + 0.0).to_bits(),
                (t_x + 0.0).to_bits(),
                (t + 0.0).to_bits(),
            );
            *self.map.entry(key).or_insert(next)
        };
        let new = slot == next;
        if new {
            self.len += 1;
        }
        (slot, new)
    }
}

/// A collapse in progress: the distinct rows so far, and their numbers.
type Collapse = (RfmData, RowIndex);

/// Inputs of [`RfmData::collapsed`] from this many rows are collapsed on two threads.
const COLLAPSE_PARALLEL_ROWS: usize = 200_000;

/// The distinct values of a column (first-appearance order) and each row's index into them.
pub(crate) fn distinct_index(values: &[f64]) -> (Vec<f64>, Vec<usize>) {
    let mut index: FastMap<u64, usize> = FastMap::default();
    let mut distinct = Vec::new();
    let idx = values
        .iter()
        .map(|v| {
            *index.entry((v + 0.0).to_bits()).or_insert_with(|| {
                distinct.push(*v);
                distinct.len() - 1
            })
        })
        .collect();
    (distinct, idx)
}

/// Per-customer frequency x (repeat purchases), recency t_x (time of the last repeat purchase
/// since the first purchase), age T (time since the first purchase) and weights (number of
/// customers a row stands for).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RfmData {
    pub x: Vec<f64>,
    pub t_x: Vec<f64>,
    pub t: Vec<f64>,
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

fn check_total_weight(total: f64) -> Result<()> {
    if total <= 0.0 {
        return Err(Error::InvalidColumn {
            column: "weights".to_owned(),
            problem: "all weights are 0; at least one customer must count".to_owned(),
        });
    }
    Ok(())
}

/// The caller's (x, t_x, T, weights) columns, borrowed, of equal lengths and not empty.
#[derive(Clone, Copy)]
struct Columns<'a> {
    x: &'a [f64],
    t_x: &'a [f64],
    t: &'a [f64],
    w: Option<&'a [f64]>,
}

impl<'a> Columns<'a> {
    fn new(x: &'a [f64], t_x: &'a [f64], t: &'a [f64], w: Option<&'a [f64]>) -> Result<Self> {
        let n = x.len();
        for (name, len) in [("recency", t_x.len()), ("T", t.len())] {
            if len != n {
                return Err(Error::InvalidColumn {
                    column: name.to_owned(),
                    problem: format!(
                        "has {len} values but frequency has {n}; pass one value per customer"
                    ),
                });
            }
        }
        if n == 0 {
            return Err(Error::InvalidColumn {
                column: "frequency".to_owned(),
                problem: "no customers; pass at least one row".to_owned(),
            });
        }
        if let Some(w) = w {
            if w.len() != n {
                return Err(Error::InvalidColumn {
                    column: "weights".to_owned(),
                    problem: format!(
                        "has {} values but frequency has {n}; pass one weight per customer",
                        w.len()
                    ),
                });
            }
        }
        Ok(Columns { x, t_x, t, w })
    }

    fn weight(&self, i: usize) -> f64 {
        self.w.map_or(1.0, |w| w[i])
    }

    /// The checks of [`RfmData::new`] on row `i`.
    fn check_row(&self, i: usize) -> Result<()> {
        let (xi, ri, ti) = (self.x[i], self.t_x[i], self.t[i]);
        if !xi.is_finite() || xi < 0.0 || xi.fract() != 0.0 {
            return Err(row_error(
                "frequency",
                i,
                xi,
                "frequency must be a whole number of repeat purchases >= 0",
            ));
        }
        // T = 0 is a customer whose first purchase is on the last day observed.
        if !ti.is_finite() || ti < 0.0 {
            return Err(row_error(
                "T",
                i,
                ti,
                "T (time since the first purchase) must be finite and >= 0",
            ));
        }
        if !ri.is_finite() || ri < 0.0 || ri > ti {
            return Err(row_error(
                "recency",
                i,
                ri,
                "recency must be finite and between 0 and T; check the units of recency and T",
            ));
        }
        if xi == 0.0 && ri != 0.0 {
            return Err(row_error(
                "recency",
                i,
                ri,
                "a customer with frequency 0 must have recency 0",
            ));
        }
        let wi = self.weight(i);
        if !wi.is_finite() || wi < 0.0 {
            return Err(row_error(
                "weights",
                i,
                wi,
                "weights must be finite and >= 0",
            ));
        }
        Ok(())
    }

    /// The rows collapsed, two halves on two threads for large inputs, the second's rows then
    /// merged into the first's: the rows come out in first-seen order as from one sequential
    /// pass, and with `check`, the error is that of the first bad row.
    fn collapsed(self, check: bool) -> Result<RfmData> {
        let n = self.x.len();
        if n < COLLAPSE_PARALLEL_ROWS {
            return Ok(self.collapse_rows(0..n, check, Collapse::default())?.0);
        }
        let halves = crate::parallel::both_halves(
            true,
            || self.collapse_rows(0..n / 2, check, Collapse::default()),
            || self.collapse_rows(n / 2..n, check, Collapse::default()),
        );
        // a panic there (none is known) costs one sequential pass, never the answer
        let Some((first, second)) = halves else {
            return Ok(self.collapse_rows(0..n, check, Collapse::default())?.0);
        };
        let (first, (second, _)) = (first?, second?);
        let merged = Columns {
            x: &second.x,
            t_x: &second.t_x,
            t: &second.t,
            w: Some(&second.w),
        };
        Ok(merged.collapse_rows(0..second.x.len(), false, first)?.0)
    }

    /// The rows in `rows` (checked first with `check`) collapsed into `into` (the rows so far
    /// and the index of their keys), new keys appended in first-seen order.
    fn collapse_rows(
        &self,
        rows: std::ops::Range<usize>,
        check: bool,
        into: Collapse,
    ) -> Result<Collapse> {
        let (mut out, mut index) = into;
        for i in rows {
            if check {
                self.check_row(i)?;
            }
            let wi = self.weight(i);
            if wi == 0.0 {
                continue;
            }
            match index.number(self.x[i], self.t_x[i], self.t[i]) {
                (_, true) => {
                    out.x.push(self.x[i]);
                    out.t_x.push(self.t_x[i]);
                    out.t.push(self.t[i]);
                    out.w.push(wi);
                }
                (j, false) => out.w[j as usize] += wi,
            }
        }
        Ok((out, index))
    }
}

impl RfmData {
    /// Validated per-customer data.
    ///
    /// # Errors
    /// [`Error::InvalidColumn`] if the lengths differ or there are no rows;
    /// [`Error::InvalidRow`] naming the column, the first bad row and its value when a value is
    /// not finite, x is negative or not a whole number, T < 0, t_x is outside [0, T], t_x > 0 with
    /// x = 0, or a weight is negative or not finite.
    pub fn new(x: &[f64], t_x: &[f64], t: &[f64], weights: Option<&[f64]>) -> Result<Self> {
        let cols = Columns::new(x, t_x, t, weights)?;
        for i in 0..x.len() {
            cols.check_row(i)?;
        }
        let w = weights.map_or_else(|| vec![1.0; x.len()], <[f64]>::to_vec);
        check_total_weight(w.iter().sum())?;
        Ok(RfmData {
            x: x.to_vec(),
            t_x: t_x.to_vec(),
            t: t.to_vec(),
            w,
        })
    }

    /// The validated data of [`RfmData::new`] with identical (x, t_x, T) rows merged at once,
    /// as [`RfmData::collapsed`] would, without first copying every row: what a fit needs from
    /// a few million customers.
    ///
    /// # Errors
    /// As [`RfmData::new`], for the first bad row.
    pub fn collapsed_from(
        x: &[f64],
        t_x: &[f64],
        t: &[f64],
        weights: Option<&[f64]>,
    ) -> Result<Self> {
        let cols = Columns::new(x, t_x, t, weights)?;
        let out = cols.collapsed(true)?;
        check_total_weight(out.w.iter().sum())?;
        Ok(out)
    }

    /// The same data with identical (x, t_x, T) rows merged and their weights added, in order
    /// of first appearance; zero-weight rows are dropped. Likelihoods are sums over rows times
    /// weights, so the fit is unchanged and much faster on large data.
    pub fn collapsed(&self) -> RfmData {
        let cols = Columns {
            x: &self.x,
            t_x: &self.t_x,
            t: &self.t,
            w: Some(&self.w),
        };
        // without the row checks (the data is validated) nothing can fail
        cols.collapsed(false).unwrap_or_else(|_| self.clone())
    }

    /// Number of customers: the sum of the weights.
    pub fn n_customers(&self) -> f64 {
        self.w.iter().sum()
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// Whether there are no rows (never true for validated data).
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }
}

/// Options of a maximum-likelihood fit.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FitOptions {
    /// L2 penalty on the natural-scale parameters, as in lifetimes: the objective minimised is
    /// `-LL / N + penalizer * sum(theta_k^2)` (N = number of customers). 0 = plain MLE.
    pub penalizer: f64,
    pub minimize: MinimizeOptions,
    /// Starting values on the natural scale (one per parameter); `None` = the model's default.
    pub initial: Option<Vec<f64>>,
}

/// A fitted model: the model at the estimates and the fit's summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit<M> {
    pub model: M,
    pub summary: FitSummary,
}

/// What every fitted model carries.
#[derive(Debug, Clone, PartialEq)]
pub struct FitSummary {
    /// Parameter names, in the model's order.
    pub names: Vec<&'static str>,
    /// Estimates on the natural (positive) scale.
    pub params: Vec<f64>,
    /// Total log-likelihood at the estimates (without the penalty).
    pub log_likelihood: f64,
    /// Covariance of the natural-scale estimates (inverse observed information, delta method);
    /// `None` when the information matrix is not positive definite.
    pub covariance: Option<Vec<Vec<f64>>>,
    /// Number of customers (sum of weights).
    pub n_customers: f64,
    pub n_iterations: u64,
    pub converged: bool,
}

impl FitSummary {
    /// Standard errors: square roots of the diagonal of the covariance.
    pub fn standard_errors(&self) -> Option<Vec<f64>> {
        self.covariance
            .as_ref()
            .map(|c| (0..c.len()).map(|i| c[i][i].max(0.0).sqrt()).collect())
    }

    /// Akaike information criterion, `2 k - 2 LL`.
    pub fn aic(&self) -> f64 {
        2.0 * self.params.len() as f64 - 2.0 * self.log_likelihood
    }

    /// Bayesian information criterion, `k ln(N) - 2 LL` with N the number of customers.
    pub fn bic(&self) -> f64 {
        self.params.len() as f64 * self.n_customers.ln() - 2.0 * self.log_likelihood
    }

    /// Wald confidence intervals built on the log scale and mapped back, so that the bounds of
    /// these positive parameters stay positive.
    ///
    /// # Formula
    /// ```text
    /// se_log = se / theta                      (delta method)
    /// [theta exp(-z se_log), theta exp(z se_log)],   z = Phi^-1((1 + level) / 2)
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `level` is not in (0, 1) or the covariance is not
    /// available (information matrix not positive definite).
    pub fn confidence_intervals(&self, level: f64) -> Result<Vec<(f64, f64)>> {
        if !(level > 0.0 && level < 1.0) {
            return Err(Error::param(
                "level",
                level,
                "the confidence level must be in (0, 1), e.g. 0.95",
            ));
        }
        let se = self.standard_errors().ok_or_else(|| {
            Error::param(
                "covariance",
                "None",
                "the observed information matrix is not positive definite, so there are no \
                 standard errors; the model may be over-parametrised for these data",
            )
        })?;
        let normal = Normal::standard();
        let z = normal.inverse_cdf(0.5 * (1.0 + level));
        Ok(self
            .params
            .iter()
            .zip(se)
            .map(|(p, s)| {
                let sl = s / p;
                (p * (-z * sl).exp(), p * (z * sl).exp())
            })
            .collect())
    }
}

/// Fits a model whose parameters are all positive, given its total negative log-likelihood and
/// gradient as functions of the log parameters.
///
/// The objective minimised is `(NLL(theta) / N) + penalizer * sum(exp(2 theta_k))` (N = the
/// number of customers; lifetimes' penalised mean). The covariance of the natural parameters is
/// the inverse of the observed information of the total objective `N *` (that) in log
/// parameters, mapped by the delta method, `Cov(p) = J Cov(theta) J` with `J = diag(p)`; at a
/// stationary point this equals the inverse Hessian in natural parameters.
///
/// # Errors
/// [`Error::InvalidParameter`] for a bad penalizer, starting values or customer count;
/// [`Error::NotConverged`] when no start converges (reason and last natural parameters).
pub fn fit_log_params<F>(
    nll_and_grad: F,
    names: Vec<&'static str>,
    x0_natural: &[f64],
    n_customers: f64,
    opts: &FitOptions,
) -> Result<FitSummary>
where
    F: Fn(&[f64]) -> (f64, Vec<f64>) + Sync,
{
    if !(opts.penalizer >= 0.0 && opts.penalizer.is_finite()) {
        return Err(Error::param(
            "penalizer",
            opts.penalizer,
            "the penalizer must be finite and >= 0 (0 = no penalty)",
        ));
    }
    if !(n_customers > 0.0 && n_customers.is_finite()) {
        return Err(Error::param(
            "n_customers",
            n_customers,
            "there must be at least one customer with positive weight",
        ));
    }
    let start = opts.initial.as_deref().unwrap_or(x0_natural);
    if start.len() != names.len() {
        return Err(Error::param(
            "initial",
            format!("{start:?}"),
            format!(
                "give {} starting values ({})",
                names.len(),
                names.join(", ")
            ),
        ));
    }
    for (name, v) in names.iter().zip(start) {
        if !(v.is_finite() && *v > 0.0) {
            return Err(Error::param(
                name,
                v,
                "starting values must be finite and > 0",
            ));
        }
    }
    let theta0: Vec<f64> = start.iter().map(|v| v.ln()).collect();
    let pen = opts.penalizer;
    let nll_and_grad = LastEvaluation::new(nll_and_grad);
    let objective = |theta: &[f64]| {
        let (nll, g) = nll_and_grad.call(theta);
        let mut value = nll / n_customers;
        let mut grad: Vec<f64> = g.iter().map(|gi| gi / n_customers).collect();
        if pen > 0.0 {
            for (k, th) in theta.iter().enumerate() {
                let p2 = (2.0 * th).exp();
                value += pen * p2;
                if let Some(gk) = grad.get_mut(k) {
                    *gk += 2.0 * pen * p2;
                }
            }
        }
        (value, grad)
    };
    let min = minimize(objective, &theta0, &opts.minimize).map_err(|e| match e {
        Error::NotConverged {
            iterations,
            reason,
            last_params,
        } => Error::NotConverged {
            iterations,
            reason,
            last_params: natural_params_text(&names, &last_params),
        },
        other => other,
    })?;
    let params: Vec<f64> = min.x.iter().map(|t| t.exp()).collect();
    if params.iter().any(|p| !p.is_finite() || *p <= 0.0) {
        return Err(Error::NotConverged {
            iterations: min.iterations,
            reason: "a parameter left the finite positive range; the data may not identify \
                     the model (try a penalizer)"
                .to_owned(),
            last_params: format!("{params:?}"),
        });
    }
    // (the optimizer's last evaluation was at these estimates: from memory)
    let (nll, g_nll) = nll_and_grad.call(&min.x);
    let log_likelihood = -nll;
    // the gradient at the estimates of what the Hessian is taken of (the objective times
    // n_customers), for its forward differences
    let g0: Vec<f64> = g_nll
        .iter()
        .zip(&min.x)
        .map(|(g, th)| g + n_customers * 2.0 * pen * (2.0 * th).exp())
        .collect();
    if !log_likelihood.is_finite() {
        return Err(Error::NotConverged {
            iterations: min.iterations,
            reason: "the log-likelihood is not finite at the estimates".to_owned(),
            last_params: format!("{params:?}"),
        });
    }
    let hess_log = hessian_from_gradient(
        |theta: &[f64]| {
            let (_, g) = objective(theta);
            g.iter().map(|gi| gi * n_customers).collect()
        },
        &min.x,
        &g0,
    );
    let covariance = invert_spd(&hess_log).map(|c| {
        let k = params.len();
        let mut out = vec![vec![0.0; k]; k];
        for i in 0..k {
            for j in 0..k {
                out[i][j] = c[i][j] * params[i] * params[j];
            }
        }
        out
    });
    Ok(FitSummary {
        names,
        params,
        log_likelihood,
        covariance,
        n_customers,
        n_iterations: min.iterations,
        converged: min.converged,
    })
}

/// `[ln r, ln alpha]` printed by the optimizer, rewritten as `r=..., alpha=...`.
fn natural_params_text(names: &[&'static str], log_text: &str) -> String {
    let vals: Vec<f64> = log_text
        .trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .filter_map(|s| s.trim().parse::<f64>().ok())
        .collect();
    if vals.len() != names.len() {
        return log_text.to_owned();
    }
    names
        .iter()
        .zip(vals)
        .map(|(n, v)| format!("{n}={:.6}", v.exp()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Applies a per-customer function over columns of one length, where a column of length 1 is
/// broadcast; errors are located at the element where they happen.
///
/// # Errors
/// [`Error::InvalidColumn`] naming the column when the lengths differ; the first error of
/// `f`, located with [`Position::Element`].
pub fn broadcast_map<const K: usize, F>(
    names: [&str; K],
    cols: [&[f64]; K],
    f: F,
) -> Result<Vec<f64>>
where
    F: Fn([f64; K]) -> Result<f64>,
{
    let n = cols.iter().map(|c| c.len()).max().unwrap_or(0);
    for (name, c) in names.iter().zip(cols.iter()) {
        if c.len() != n && c.len() != 1 {
            return Err(Error::InvalidColumn {
                column: (*name).to_owned(),
                problem: format!(
                    "has {} values but another argument has {n}; pass arrays of one length \
                     (or scalars)",
                    c.len()
                ),
            });
        }
    }
    (0..n)
        .map(|i| {
            let args: [f64; K] = std::array::from_fn(|k| {
                if cols[k].len() == 1 {
                    cols[k][0]
                } else {
                    cols[k][i]
                }
            });
            f(args).map_err(|e| e.at(Position::Element(i)))
        })
        .collect()
}

/// A fit as saved in JSON (what [`FitSummary`] holds, with owned names).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitRecord {
    pub log_likelihood: f64,
    pub covariance: Option<Vec<Vec<f64>>>,
    pub n_customers: f64,
    pub n_iterations: u64,
    pub converged: bool,
}

/// A model as saved in JSON: which model, its parameters by name, the fit if there is one,
/// the time unit of its rates and the ltvkit version that wrote it. Loading goes through the
/// model's validating constructor and never executes code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRecord {
    pub model: String,
    pub ltvkit_version: String,
    pub params: Vec<(String, f64)>,
    pub unit: Option<String>,
    pub fit: Option<FitRecord>,
    /// Model-specific statistics of the fit (e.g. the Gamma-Gamma spend/frequency
    /// correlation), by name.
    #[serde(default)]
    pub diagnostics: Vec<(String, f64)>,
}

/// What [`ModelRecord::from_json`] returns: parameters (in the requested order), the fit, the
/// unit and the diagnostics.
pub type LoadedModel = (
    Vec<f64>,
    Option<FitSummary>,
    Option<String>,
    Vec<(String, f64)>,
);

impl ModelRecord {
    /// The record of a model with parameters `params` named `names`.
    pub fn new(
        model: &str,
        names: &[&str],
        params: &[f64],
        unit: Option<String>,
        fit: Option<&FitSummary>,
    ) -> Self {
        ModelRecord {
            model: model.to_owned(),
            ltvkit_version: env!("CARGO_PKG_VERSION").to_owned(),
            params: names
                .iter()
                .zip(params)
                .map(|(n, p)| ((*n).to_owned(), *p))
                .collect(),
            unit,
            fit: fit.map(|f| FitRecord {
                log_likelihood: f.log_likelihood,
                covariance: f.covariance.clone(),
                n_customers: f.n_customers,
                n_iterations: f.n_iterations,
                converged: f.converged,
            }),
            diagnostics: Vec::new(),
        }
    }

    /// JSON text.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if a value cannot be written (serde_json rejects NaN).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self)
            .map_err(|e| Error::param("model", &self.model, format!("cannot be saved: {e}")))
    }

    /// Reads JSON written by [`ModelRecord::to_json`] for the model `expected`, and returns the
    /// parameters in the order of `names` and the fit (with `names`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for text that is not such a record, another model, or a
    /// missing parameter.
    pub fn from_json(text: &str, expected: &str, names: &[&'static str]) -> Result<LoadedModel> {
        let rec: ModelRecord = serde_json::from_str(text).map_err(|e| {
            Error::param(
                "json",
                "<text>",
                format!("is not a saved ltvkit model: {e}; pass the text written by to_json()"),
            )
        })?;
        if rec.model != expected {
            return Err(Error::param(
                "json",
                &rec.model,
                format!("is a saved {} model, not a {expected} model", rec.model),
            ));
        }
        let params: Vec<f64> = names
            .iter()
            .map(|n| {
                rec.params
                    .iter()
                    .find(|(k, _)| k == n)
                    .map(|(_, v)| *v)
                    .ok_or_else(|| {
                        Error::param(n, "missing", "the saved model lacks this parameter")
                    })
            })
            .collect::<Result<_>>()?;
        let fit = rec.fit.map(|f| FitSummary {
            names: names.to_vec(),
            params: params.clone(),
            log_likelihood: f.log_likelihood,
            covariance: f.covariance,
            n_customers: f.n_customers,
            n_iterations: f.n_iterations,
            converged: f.converged,
        });
        Ok((params, fit, rec.unit, rec.diagnostics))
    }
}

/// Distinct values of a column with their total weights: likelihood terms that depend on the
/// frequency alone are computed once per distinct frequency.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightsByValue {
    pub values: Vec<f64>,
    pub weights: Vec<f64>,
}

impl WeightsByValue {
    /// Groups `values` (bitwise equal after normalising -0.0) and adds their `weights`.
    pub fn new(values: &[f64], weights: &[f64]) -> Self {
        let mut index: FastMap<u64, usize> = FastMap::default();
        let mut out = WeightsByValue {
            values: Vec::new(),
            weights: Vec::new(),
        };
        for (v, w) in values.iter().zip(weights) {
            let key = (v + 0.0).to_bits();
            match index.get(&key) {
                Some(&j) => out.weights[j] += w,
                None => {
                    index.insert(key, out.values.len());
                    out.values.push(*v);
                    out.weights.push(*w);
                }
            }
        }
        out
    }
}

/// `Ok(v)` if `v` is finite and > 0, else an [`Error::InvalidParameter`] naming it.
pub fn positive(name: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(Error::param(
            name,
            v,
            "model parameters must be finite and > 0",
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn rfm_data_names_bad_rows() {
        let e = RfmData::new(&[1.0, 0.0], &[2.0, 1.0], &[3.0, 3.0], None).unwrap_err();
        assert!(matches!(e, Error::InvalidRow { ref column, row: 1, .. } if column == "recency"));
        let e = RfmData::new(&[1.0], &[4.0], &[3.0], None).unwrap_err();
        assert!(matches!(e, Error::InvalidRow { ref column, row: 0, .. } if column == "recency"));
        let e = RfmData::new(&[1.5], &[1.0], &[3.0], None).unwrap_err();
        assert!(matches!(e, Error::InvalidRow { ref column, .. } if column == "frequency"));
        let e = RfmData::new(&[1.0], &[1.0], &[f64::NAN], None).unwrap_err();
        assert!(matches!(e, Error::InvalidRow { ref column, .. } if column == "T"));
        let e = RfmData::new(&[0.0], &[0.0], &[-1.0], None).unwrap_err();
        assert!(matches!(e, Error::InvalidRow { ref column, .. } if column == "T"));
        let e = RfmData::new(&[1.0], &[1.0], &[2.0, 3.0], None).unwrap_err();
        assert!(matches!(e, Error::InvalidColumn { .. }));
        let e = RfmData::new(&[1.0], &[1.0], &[2.0], Some(&[-1.0])).unwrap_err();
        assert!(matches!(e, Error::InvalidRow { ref column, .. } if column == "weights"));
    }

    #[test]
    fn collapsed_merges_identical_rows_and_adds_weights() {
        let d = RfmData::new(
            &[0.0, 1.0, 0.0, 1.0],
            &[0.0, 2.0, 0.0, 2.0],
            &[5.0, 5.0, 5.0, 5.0],
            Some(&[1.0, 2.0, 3.0, 0.5]),
        )
        .unwrap();
        let c = d.collapsed();
        assert_eq!(c.x, vec![0.0, 1.0]);
        assert_eq!(c.w, vec![4.0, 2.5]);
        assert!((c.n_customers() - 6.5).abs() < 1e-12);
    }

    #[test]
    fn large_inputs_collapse_on_two_threads_as_in_one_pass() {
        // 300,000 rows (over COLLAPSE_PARALLEL_ROWS) of 7 x 11 x 13 possible triples, with
        // integer weights (exact sums); the reference is a plain first-seen pass
        let n = 300_000;
        let row = |i: usize| {
            let k = (i * 7_919 + i / 1_000) % 1_001;
            let x = (k % 7) as f64;
            // recency 0 for one-time buyers, as the data requires
            let tx = if x == 0.0 { 0.0 } else { (k % 11) as f64 };
            (x, tx, 20.0 + (k % 13) as f64, (i % 3) as f64)
        };
        let rows: Vec<_> = (0..n).map(row).collect();
        let col = |f: fn(&(f64, f64, f64, f64)) -> f64| rows.iter().map(f).collect::<Vec<_>>();
        let (x, tx, t, w) = (col(|r| r.0), col(|r| r.1), col(|r| r.2), col(|r| r.3));
        let d = RfmData::new(&x, &tx, &t, Some(&w)).unwrap();
        let mut order: Vec<(f64, f64, f64)> = Vec::new();
        let mut sums: Vec<f64> = Vec::new();
        for r in &rows {
            if r.3 == 0.0 {
                continue;
            }
            match order.iter().position(|k| *k == (r.0, r.1, r.2)) {
                Some(j) => sums[j] += r.3,
                None => {
                    order.push((r.0, r.1, r.2));
                    sums.push(r.3);
                }
            }
        }
        let c = d.collapsed();
        let got: Vec<(f64, f64, f64)> =
            (0..c.x.len()).map(|i| (c.x[i], c.t_x[i], c.t[i])).collect();
        assert_eq!(got, order);
        assert_eq!(c.w, sums);
        // validated and collapsed straight from the columns: the same rows and weights
        assert_eq!(RfmData::collapsed_from(&x, &tx, &t, Some(&w)).unwrap(), c);
        // and without weights, every row counts once
        let ones = RfmData::collapsed_from(&x, &tx, &t, None).unwrap();
        assert_eq!(ones.n_customers(), n as f64);
        assert_eq!(ones, RfmData::new(&x, &tx, &t, None).unwrap().collapsed());
    }

    #[test]
    fn row_index_numbers_rows_in_first_seen_order_on_both_routes() {
        // one-time buyers of whole ages (the direct table), of fractional and huge ages and
        // repeat buyers (the hash map), -0.0 with +0.0; the reference is a plain search
        let rows = [
            (0.0, 0.0, 5.0),
            (1.0, 2.0, 5.0),
            (0.0, 0.0, 5.5),
            (0.0, 0.0, 70_000.0),
            (-0.0, 0.0, 5.0),
            (0.0, 0.0, -0.0),
            (0.0, 0.0, 0.0),
            (1.0, 2.0, 5.0),
            (0.0, 0.0, 5.5),
            (0.0, 0.0, 70_000.0),
            (0.0, 0.0, 65_535.0),
        ];
        let mut index = RowIndex::default();
        let mut seen: Vec<(f64, f64, f64)> = Vec::new();
        for &(x, tx, t) in &rows {
            let want = seen
                .iter()
                .position(|&(a, b, c)| a == x && b == tx && c == t);
            let got = index.number(x, tx, t);
            match want {
                Some(j) => assert_eq!(got, (j as u32, false)),
                None => {
                    assert_eq!(got, (seen.len() as u32, true));
                    seen.push((x, tx, t));
                }
            }
        }
        assert_eq!(seen.len(), 6);
    }

    #[test]
    fn collapsed_from_names_the_first_bad_row_of_either_half() {
        let n = 300_000;
        let (mut x, mut tx, t) = (vec![1.0; n], vec![2.0; n], vec![5.0; n]);
        // a bad row in the second half only
        tx[250_000] = 6.0;
        let e = RfmData::collapsed_from(&x, &tx, &t, None).unwrap_err();
        assert!(e.to_string().contains("row 250000"), "{e}");
        // and one in each half: the first half's
        x[10] = 1.5;
        let e = RfmData::collapsed_from(&x, &tx, &t, None).unwrap_err();
        assert!(
            e.to_string().contains("frequency") && e.to_string().contains("row 10"),
            "{e}"
        );
        let zero = RfmData::collapsed_from(&[1.0], &[2.0], &[5.0], Some(&[0.0])).unwrap_err();
        assert!(zero.to_string().contains("all weights are 0"), "{zero}");
    }

    #[test]
    fn model_record_round_trips_floats_exactly() {
        // Values whose shortest decimal forms need all 17 digits.
        let p = [0.1 + 0.2, 1.0 / 3.0, 4.413_511_234_567_891];
        let rec = ModelRecord::new("M", &["a", "b", "c"], &p, Some("week".into()), None);
        let (back, fit, unit, _) =
            ModelRecord::from_json(&rec.to_json().unwrap(), "M", &["a", "b", "c"]).unwrap();
        assert_eq!(back, p.to_vec());
        assert!(fit.is_none());
        assert_eq!(unit.as_deref(), Some("week"));
    }

    #[test]
    fn fit_log_params_recovers_exponential_mle_by_hand() {
        // n iid Exponential(rate) observations with sum S: MLE rate = n / S, and the observed
        // information gives Var(rate) = rate^2 / n (hand calculation).
        let (n, s) = (50.0, 125.0);
        let nll = |theta: &[f64]| {
            let rate = theta[0].exp();
            (-(n * rate.ln() - rate * s), vec![-(n - rate * s)])
        };
        let fit = fit_log_params(nll, vec!["rate"], &[1.0], n, &FitOptions::default()).unwrap();
        let rate = n / s;
        assert!((fit.params[0] - rate).abs() < 1e-6, "{:?}", fit.params);
        let se = fit.standard_errors().unwrap()[0];
        assert!((se - rate / n.sqrt()).abs() < 1e-5, "{se}");
        assert!((fit.log_likelihood - (n * rate.ln() - n)).abs() < 1e-8);
        assert!((fit.aic() - (2.0 - 2.0 * fit.log_likelihood)).abs() < 1e-12);
        let ci = fit.confidence_intervals(0.95).unwrap();
        assert!(ci[0].0 < rate && rate < ci[0].1);
        assert!(fit.confidence_intervals(1.5).is_err());
    }
}
