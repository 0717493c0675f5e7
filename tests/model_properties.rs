//! Invariants of the model predictions over random parameters and customers (proptest).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ltvkit::models::{BetaGeo, GammaGamma, ModifiedBetaGeo};
use proptest::prelude::*;

fn customer() -> impl Strategy<Value = (f64, f64, f64)> {
    (0u32..300, 0.0f64..1.0, 0.1f64..400.0).prop_map(|(x, frac, t)| {
        let x = f64::from(x);
        let tx = if x == 0.0 { 0.0 } else { frac * t };
        (x, tx, t)
    })
}

fn params() -> impl Strategy<Value = [f64; 4]> {
    (0.01f64..10.0, 0.01f64..100.0, 0.01f64..10.0, 0.01f64..10.0)
        .prop_map(|(r, alpha, a, b)| [r, alpha, a, b])
}

proptest! {
    #[test]
    fn p_alive_is_a_probability(p in params(), (x, tx, t) in customer()) {
        let bg = BetaGeo::new(p[0], p[1], p[2], p[3]).unwrap();
        let pa = bg.p_alive(x, tx, t).unwrap();
        prop_assert!((0.0..=1.0).contains(&pa), "{pa}");
        let mbg = ModifiedBetaGeo::new(p[0], p[1], p[2], p[3]).unwrap();
        let pa = mbg.p_alive(x, tx, t).unwrap();
        prop_assert!((0.0..=1.0).contains(&pa), "{pa}");
    }

    #[test]
    fn conditional_expectation_is_finite_non_negative_and_grows_with_t(
        p in params(),
        (x, tx, t) in customer(),
        h in 0.1f64..200.0,
    ) {
        prop_assume!((p[2] - 1.0).abs() > 1e-3);
        let bg = BetaGeo::new(p[0], p[1], p[2], p[3]).unwrap();
        let e1 = bg.conditional_expected_purchases(h, x, tx, t).unwrap();
        let e2 = bg.conditional_expected_purchases(2.0 * h, x, tx, t).unwrap();
        prop_assert!(e1.is_finite() && e1 >= 0.0, "{e1}");
        prop_assert!(e2 >= e1 * (1.0 - 1e-9), "{e1} {e2}");
    }

    #[test]
    fn expected_spend_lies_between_population_mean_and_own_mean(
        p in 0.1f64..20.0,
        q in 1.1f64..20.0,
        gamma in 0.1f64..100.0,
        x in 1u32..100,
        m in 0.5f64..1000.0,
    ) {
        // E[M] is a weighted average of p gamma / (q - 1) and m (Fader & Hardie 2013, eq. 5).
        let gg = GammaGamma::new(p, q, gamma).unwrap();
        let e = gg.conditional_expected_spend(f64::from(x), m).unwrap();
        let pop = gg.population_mean_spend().unwrap();
        let (lo, hi) = (pop.min(m), pop.max(m));
        prop_assert!(e >= lo * (1.0 - 1e-12) && e <= hi * (1.0 + 1e-12), "{e} not in [{lo}, {hi}]");
    }
}
