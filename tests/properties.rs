//! Property tests: no formula panics or returns a non-finite number on any input.

use ltvkit::period::Period;
use ltvkit::unit_economics::{self as ue, Loss};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        prop::num::f64::ANY,
        -1e6..1e6_f64,
        0.0..1.0_f64,
        Just(0.0),
        Just(1.0),
    ]
}

fn any_decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        (any::<i64>(), 0u32..28).prop_map(|(m, s)| Decimal::new(m, s)),
        (
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<bool>(),
            0u32..28
        )
            .prop_map(|(lo, mid, hi, neg, s)| Decimal::from_parts(lo, mid, hi, neg, s)),
        Just(Decimal::ZERO),
        Just(Decimal::ONE),
    ]
}

fn finite_or_error(r: ltvkit::Result<f64>) -> bool {
    r.map(f64::is_finite).unwrap_or(true)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn f64_formulas_never_return_non_finite(a in any_f64(), b in any_f64(), c in any_f64(), e in any_f64(), h in prop::option::of(0u64..10_000)) {
        prop_assert!(finite_or_error(ue::average_order_value(a, b)));
        prop_assert!(finite_or_error(ue::purchase_frequency(a, b)));
        prop_assert!(finite_or_error(ue::customer_value(a, b)));
        prop_assert!(finite_or_error(ue::simple_ltv(a, b, c, Period::Week, Period::Quarter)));
        prop_assert!(finite_or_error(ue::historical_ltv(a, b)));
        prop_assert!(finite_or_error(ue::ltv_multiple_of_first_purchase(a, b)));
        prop_assert!(finite_or_error(ue::subscription_ltv(a, b, c, e, h)));
        prop_assert!(finite_or_error(ue::profit_ltv(a, b, c, e, a)));
        prop_assert!(finite_or_error(ue::max_affordable_cac(a, b)));
        prop_assert!(finite_or_error(ue::cac(a, b)));
        prop_assert!(finite_or_error(ue::ltv_cac_ratio(a, b)));
        prop_assert!(finite_or_error(ue::cac_payback_periods(a, b)));
        prop_assert!(finite_or_error(ue::churn_rate(a, b)));
        prop_assert!(finite_or_error(ue::retention_rate(a, b, c)));
        prop_assert!(finite_or_error(ue::expected_lifetime(a)));
        let base = ue::project_customer_base(a, Loss::Rate(b), h.unwrap_or(3) % 200, c);
        prop_assert!(base.map(|v| v.iter().all(|x| x.is_finite())).unwrap_or(true));
    }

    #[test]
    fn decimal_formulas_never_panic(a in any_decimal(), b in any_decimal(), c in any_decimal(), e in any_decimal(), h in prop::option::of(0u64..5_000)) {
        let _ = ue::average_order_value(a, b);
        let _ = ue::simple_ltv(a, b, c, Period::Week, Period::Month);
        let _ = ue::subscription_ltv(a, b, c, e, h);
        let _ = ue::profit_ltv(a, b, c, e, a);
        let _ = ue::retention_rate(a, b, c);
        let _ = ue::expected_lifetime(a);
        let _ = ue::project_customer_base(a, Loss::Fixed(b), h.unwrap_or(3) % 200, c);
        let _ = ue::project_customer_base(a, Loss::Rate(b), h.unwrap_or(3) % 200, c);
    }
}
