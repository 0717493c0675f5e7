//! Invariants of the part B models over random parameters and customers (proptest).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ltvkit::models::beta_geo_beta_binom::BetaGeoBetaBinom;
use ltvkit::models::pareto_nbd::ParetoNbd;
use ltvkit::models::shifted_beta_geo::ShiftedBetaGeo;
use proptest::prelude::*;

fn positive() -> impl Strategy<Value = f64> {
    (-3.0_f64..3.0).prop_map(f64::exp)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// 0 <= P(alive) <= 1, E[Y(t)] >= 0 and non-decreasing in t, DERT finite and >= 0.
    #[test]
    fn pareto_nbd_invariants(
        r in positive(), alpha in positive(), s in positive(), beta in positive(),
        x in 0u32..60, frac in 0.0_f64..=1.0, big_t in 0.5_f64..100.0, t in 0.0_f64..100.0,
    ) {
        let m = ParetoNbd::new(r, alpha, s, beta).unwrap();
        let x = f64::from(x);
        let t_x = if x == 0.0 { 0.0 } else { frac * big_t };
        let p = m.p_alive(x, t_x, big_t).unwrap();
        prop_assert!((0.0..=1.0).contains(&p));
        let e1 = m.conditional_expected_purchases(t, x, t_x, big_t).unwrap();
        let e2 = m.conditional_expected_purchases(t + 1.0, x, t_x, big_t).unwrap();
        prop_assert!(e1 >= 0.0 && e2 >= e1 && e2.is_finite());
        let ll = m.log_likelihood_one(x, t_x, big_t).unwrap();
        prop_assert!(ll.is_finite());
        let d = m.dert(0.01, x, t_x, big_t).unwrap();
        prop_assert!(d.is_finite() && d >= 0.0);
    }

    #[test]
    fn bg_bb_invariants(
        a in positive(), b in positive(), g in positive(), d in positive(),
        n in 1u32..40, tx_frac in 0.0_f64..=1.0, x_frac in 0.0_f64..=1.0, n_star in 0u32..20,
    ) {
        let m = BetaGeoBetaBinom::new(a, b, g, d).unwrap();
        let n = f64::from(n);
        let tx = (tx_frac * n).round();
        let x = if tx == 0.0 { 0.0 } else { (x_frac * tx).round().max(1.0) };
        let p = m.p_alive(x, tx, n).unwrap();
        prop_assert!((0.0..=1.0).contains(&p));
        let ns = f64::from(n_star);
        let e1 = m.conditional_expected_purchases(ns, x, tx, n).unwrap();
        let e2 = m.conditional_expected_purchases(ns + 1.0, x, tx, n).unwrap();
        prop_assert!(e1 >= 0.0 && e2 >= e1 - 1e-12 * e2.abs() && e2 <= ns + 1.0);
        prop_assert!(m.dert(0.1, x, tx, n).unwrap().is_finite());
    }

    #[test]
    fn sbg_invariants(g in positive(), d in positive(), t in 1u32..200) {
        let m = ShiftedBetaGeo::new(g, d).unwrap();
        let t = f64::from(t);
        let s0 = m.survival(t - 1.0).unwrap();
        let s1 = m.survival(t).unwrap();
        prop_assert!(0.0 <= s1 && s1 <= s0 && s0 <= 1.0);
        let r = m.retention_rate(t).unwrap();
        prop_assert!((0.0..1.0).contains(&r));
        let del = m.discounted_expected_lifetime(0.1).unwrap();
        prop_assert!((1.0..=11.0).contains(&del), "DEL {del} must lie in [1, 1 + 1/d]");
    }
}
