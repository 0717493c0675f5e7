//! Simulated transaction logs (not only summaries) from the BG/NBD and Pareto/NBD models, so
//! that the whole pipeline (log -> `rfm_summary` -> fit) can be tested by recovering known
//! parameters.

use chrono::{Days, NaiveDate};

use super::clv::TimeUnit;
use super::pareto_nbd::ParetoNbd;
use super::sampling::Rng;
use super::{BetaGeo, ModifiedBetaGeo};
use crate::error::{Error, Result};

/// A simulated log: one row per purchase (the first purchase included), sorted by customer
/// then date. Customers are numbered 1..=n; every customer's first purchase is on `start`.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatedLog {
    pub customer_id: Vec<i64>,
    pub date: Vec<NaiveDate>,
}

fn check(n: usize, t: f64) -> Result<()> {
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
    Ok(())
}

/// Appends customer `id`'s purchases at times 0 and `times` (in `unit`s after `start`),
/// truncated to whole days.
fn push(
    log: &mut SimulatedLog,
    id: i64,
    times: &[f64],
    start: NaiveDate,
    unit: TimeUnit,
) -> Result<()> {
    for &time in std::iter::once(&0.0).chain(times) {
        let days = (time * unit.days()).floor();
        let date = start
            .checked_add_days(Days::new(days as u64))
            .ok_or_else(|| {
                Error::param(
                    "T",
                    time,
                    "the simulated dates leave the calendar; use a shorter T",
                )
            })?;
        log.customer_id.push(id);
        log.date.push(date);
    }
    Ok(())
}

/// Transactions of `n` BG/NBD customers observed for `t` units after their first purchase.
///
/// # Formula
/// ```text
/// per customer: lambda ~ Gamma(r, alpha), p ~ Beta(a, b); first purchase at 0; then
/// inter-purchase times ~ Exp(lambda) while t_j <= T, and after each repeat purchase the
/// customer drops out with probability p; date = start + floor(t_j * days per unit)
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for n = 0, a bad `t`, or dates beyond the calendar.
///
/// # References
/// FHL 2005, section 3 (assumptions i-v).
pub fn simulate_bg_log(
    model: &BetaGeo,
    n: usize,
    t: f64,
    seed: u64,
    start: NaiveDate,
    unit: TimeUnit,
) -> Result<SimulatedLog> {
    bg_family_log(model.params(), false, n, t, seed, start, unit)
}

/// As [`simulate_bg_log`] for the MBG/NBD model, where a customer can also drop out right
/// after the first purchase (with probability p).
///
/// # Errors
/// As [`simulate_bg_log`].
///
/// # References
/// Batislam, Denizel & Filiztekin (2007), section 2.
pub fn simulate_mbg_log(
    model: &ModifiedBetaGeo,
    n: usize,
    t: f64,
    seed: u64,
    start: NaiveDate,
    unit: TimeUnit,
) -> Result<SimulatedLog> {
    bg_family_log(model.params(), true, n, t, seed, start, unit)
}

fn bg_family_log(
    [r, alpha, a, b]: [f64; 4],
    drop_at_start: bool,
    n: usize,
    t: f64,
    seed: u64,
    start: NaiveDate,
    unit: TimeUnit,
) -> Result<SimulatedLog> {
    check(n, t)?;
    let mut rng = Rng::new(seed);
    let mut log = SimulatedLog {
        customer_id: Vec::new(),
        date: Vec::new(),
    };
    let mut times = Vec::new();
    for id in 1..=n as i64 {
        let lambda = rng.gamma(r, alpha);
        let p = rng.beta(a, b);
        times.clear();
        let mut now = 0.0;
        let dead_at_start = drop_at_start && rng.uniform() < p;
        if !dead_at_start {
            loop {
                now += rng.exponential(lambda);
                if now > t {
                    break;
                }
                times.push(now);
                if rng.uniform() < p {
                    break;
                }
            }
        }
        push(&mut log, id, &times, start, unit)?;
    }
    Ok(log)
}

/// Transactions of `n` Pareto/NBD customers observed for `t` units after their first
/// purchase.
///
/// # Formula
/// ```text
/// per customer: lambda ~ Gamma(r, alpha), mu ~ Gamma(s, beta), lifetime tau ~ Exp(mu);
/// purchases at 0 and at Poisson(lambda) times t_j <= min(tau, T)
/// ```
///
/// # Errors
/// As [`simulate_bg_log`].
///
/// # References
/// Schmittlein, Morrison & Colombo (1987), assumptions; Fader & Hardie (2005) note 009.
pub fn simulate_pareto_nbd_log(
    model: &ParetoNbd,
    n: usize,
    t: f64,
    seed: u64,
    start: NaiveDate,
    unit: TimeUnit,
) -> Result<SimulatedLog> {
    check(n, t)?;
    let [r, alpha, s, beta] = model.params();
    let mut rng = Rng::new(seed);
    let mut log = SimulatedLog {
        customer_id: Vec::new(),
        date: Vec::new(),
    };
    let mut times = Vec::new();
    for id in 1..=n as i64 {
        let lambda = rng.gamma(r, alpha);
        let mu = rng.gamma(s, beta);
        let end = rng.exponential(mu).min(t);
        times.clear();
        let mut now = 0.0;
        loop {
            now += rng.exponential(lambda);
            if now > end {
                break;
            }
            times.push(now);
        }
        push(&mut log, id, &times, start, unit)?;
    }
    Ok(log)
}

/// The models that simulate transaction logs (for the bindings).
pub trait SimulateLog {
    /// See [`simulate_bg_log`].
    ///
    /// # Errors
    /// As [`simulate_bg_log`].
    fn simulate_log(
        &self,
        n: usize,
        t: f64,
        seed: u64,
        start: NaiveDate,
        unit: TimeUnit,
    ) -> Result<SimulatedLog>;
}

impl SimulateLog for BetaGeo {
    fn simulate_log(
        &self,
        n: usize,
        t: f64,
        seed: u64,
        start: NaiveDate,
        unit: TimeUnit,
    ) -> Result<SimulatedLog> {
        simulate_bg_log(self, n, t, seed, start, unit)
    }
}

impl SimulateLog for ModifiedBetaGeo {
    fn simulate_log(
        &self,
        n: usize,
        t: f64,
        seed: u64,
        start: NaiveDate,
        unit: TimeUnit,
    ) -> Result<SimulatedLog> {
        simulate_mbg_log(self, n, t, seed, start, unit)
    }
}

impl SimulateLog for ParetoNbd {
    fn simulate_log(
        &self,
        n: usize,
        t: f64,
        seed: u64,
        start: NaiveDate,
        unit: TimeUnit,
    ) -> Result<SimulatedLog> {
        simulate_pareto_nbd_log(self, n, t, seed, start, unit)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Every customer starts on `start`; dates never pass start + T; sorted by customer.
    #[test]
    fn dates_within_the_window() {
        let m = BetaGeo::new(2.0, 10.0, 0.5, 3.0).unwrap();
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let log = simulate_bg_log(&m, 200, 52.0, 7, start, TimeUnit::Week).unwrap();
        let end = start + Days::new(364);
        assert!(log.date.iter().all(|d| *d >= start && *d <= end));
        assert!(log.customer_id.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(*log.customer_id.last().unwrap(), 200);
        assert!(simulate_bg_log(&m, 0, 52.0, 7, start, TimeUnit::Week).is_err());
    }
}
