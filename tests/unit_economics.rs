//! The unit-economics formulas against hand calculations written here, on both number types.

use ltvkit::period::Period;
use ltvkit::unit_economics::{self as ue, Loss};
use ltvkit::Error;
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    s.parse()
        .unwrap_or_else(|_| panic!("bad decimal literal {s}"))
}

#[test]
fn seeds_in_f64() {
    // (name, computed, hand calculation)
    let cases: Vec<(&str, ltvkit::Result<f64>, f64)> = vec![
        ("aov 6000/120", ue::average_order_value(6000.0, 120.0), 50.0),
        ("frequency 120/30", ue::purchase_frequency(120.0, 30.0), 4.0),
        ("customer value 50*4", ue::customer_value(50.0, 4.0), 200.0),
        (
            "simple ltv 50*4*3",
            ue::simple_ltv(50.0, 4.0, 3.0, Period::Year, Period::Year),
            600.0,
        ),
        // 2 a month for 3 years = 2*12*3 = 72 purchases of 50
        (
            "simple ltv month/year",
            ue::simple_ltv(50.0, 2.0, 3.0, Period::Month, Period::Year),
            3600.0,
        ),
        // 1 a week for 6 months = 52/12*6 = 26 purchases of 10
        (
            "simple ltv week/month",
            ue::simple_ltv(10.0, 1.0, 6.0, Period::Week, Period::Month),
            260.0,
        ),
        (
            "historical 60000/100",
            ue::historical_ltv(60_000.0, 100.0),
            600.0,
        ),
        (
            "multiple 600/400",
            ue::ltv_multiple_of_first_purchase(600.0, 400.0),
            1.5,
        ),
        // m = 80, undiscounted infinite: 80 / 0.05
        (
            "subscription infinite",
            ue::subscription_ltv(100.0, 0.8, 0.05, 0.0, None),
            1600.0,
        ),
        // two periods: 80 + 80*0.95 = 156
        (
            "subscription 2 periods",
            ue::subscription_ltv(100.0, 0.8, 0.05, 0.0, Some(2)),
            156.0,
        ),
        // q = 0.9/1.1; infinite: 80 / (1 - 0.9/1.1) = 80 * 1.1 / 0.2 = 440
        (
            "subscription discounted",
            ue::subscription_ltv(100.0, 0.8, 0.1, 0.1, None),
            440.0,
        ),
        // no churn, 3 periods: 3 * 80
        (
            "subscription no churn",
            ue::subscription_ltv(100.0, 0.8, 0.0, 0.0, Some(3)),
            240.0,
        ),
        (
            "profit (400+2*100)*0.3-20",
            ue::profit_ltv(400.0, 2.0, 100.0, 0.3, 20.0),
            160.0,
        ),
        ("max cac 600/3", ue::max_affordable_cac(600.0, 3.0), 200.0),
        ("cac 55000/100", ue::cac(55_000.0, 100.0), 550.0),
        ("ltv:cac 600/200", ue::ltv_cac_ratio(600.0, 200.0), 3.0),
        ("payback 550/50", ue::cac_payback_periods(550.0, 50.0), 11.0),
        ("churn 50/1000", ue::churn_rate(1000.0, 50.0), 0.05),
        (
            "retention (1050-100)/1000",
            ue::retention_rate(1000.0, 1050.0, 100.0),
            0.95,
        ),
        ("lifetime 1/0.05", ue::expected_lifetime(0.05), 20.0),
    ];
    for (name, got, want) in cases {
        let got = got.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            (got - want).abs() <= 1e-12 * want.abs().max(1.0),
            "{name}: {got} != {want}"
        );
    }
}

#[test]
fn decimal_path_is_exact() {
    assert_eq!(
        ue::simple_ltv(d("19.99"), d("3"), d("2"), Period::Year, Period::Year).ok(),
        Some(d("119.94"))
    );
    // (0.1 + 1 x 0.2) x 1 - 0 = 0.3 exactly
    assert_eq!(
        ue::profit_ltv(d("0.1"), d("1"), d("0.2"), d("1"), d("0")).ok(),
        Some(d("0.3"))
    );
    // 80 x (1 + 0.95 + 0.95^2) = 80 x 2.8525 = 228.2
    assert_eq!(
        ue::subscription_ltv(d("100"), d("0.8"), d("0.05"), d("0"), Some(3)).ok(),
        Some(d("228.2"))
    );
}

#[test]
fn customer_base_projection_seeds() {
    // 20 new and 10 lost a month for 6 months: +10 a month
    let base = ue::project_customer_base(20.0, Loss::Fixed(10.0), 6, 0.0).unwrap_or_default();
    assert_eq!(base, vec![10.0, 20.0, 30.0, 40.0, 50.0, 60.0]);
    // keeping 5 of those 10: +15 a month, 90 after 6 months, 30 more
    let kept = ue::project_customer_base(20.0, Loss::Fixed(5.0), 6, 0.0).unwrap_or_default();
    assert_eq!(kept.last().copied(), Some(90.0));
    // churn 10% of 1000, 100 new: steady state 1000
    let steady = ue::project_customer_base(100.0, Loss::Rate(0.1), 3, 1000.0).unwrap_or_default();
    assert_eq!(steady, vec![1000.0, 1000.0, 1000.0]);
    // 0 + 50 = 50; 50*0.8 + 50 = 90; 90*0.8 + 50 = 122
    let grow =
        ue::project_customer_base(d("50"), Loss::Rate(d("0.2")), 3, d("0")).unwrap_or_default();
    assert_eq!(grow, vec![d("50"), d("90"), d("122")]);
}

fn param_of(r: ltvkit::Result<f64>) -> String {
    match r {
        Err(Error::InvalidParameter { name, .. }) => name,
        other => format!("not an InvalidParameter: {other:?}"),
    }
}

#[test]
fn errors_name_the_parameter() {
    let cases: Vec<(ltvkit::Result<f64>, &str)> = vec![
        (ue::average_order_value(100.0, 0.0), "orders"),
        (ue::average_order_value(f64::NAN, 1.0), "revenue"),
        (ue::purchase_frequency(10.0, -1.0), "customers"),
        (
            ue::simple_ltv(-1.0, 1.0, 1.0, Period::Year, Period::Year),
            "average_order_value",
        ),
        (
            ue::subscription_ltv(100.0, 1.5, 0.1, 0.0, None),
            "gross_margin",
        ),
        (
            ue::subscription_ltv(100.0, 0.5, 1.1, 0.0, None),
            "churn_rate",
        ),
        (
            ue::subscription_ltv(100.0, 0.5, 0.0, 0.0, None),
            "churn_rate",
        ),
        (
            ue::subscription_ltv(100.0, 0.5, 0.1, -0.1, None),
            "discount_rate",
        ),
        (
            ue::subscription_ltv(100.0, 0.5, 0.1, 0.0, Some(0)),
            "periods",
        ),
        (ue::profit_ltv(1.0, 1.0, 1.0, 2.0, 0.0), "margin"),
        (ue::cac(100.0, 0.0), "new_customers"),
        (ue::ltv_cac_ratio(100.0, 0.0), "cac"),
        (ue::cac_payback_periods(100.0, 0.0), "margin_per_period"),
        (ue::churn_rate(10.0, 11.0), "customers_lost"),
        (ue::retention_rate(10.0, 5.0, 6.0), "new_customers"),
        (ue::retention_rate(10.0, 25.0, 5.0), "customers_at_end"),
        (ue::expected_lifetime(0.0), "churn_rate"),
        (ue::max_affordable_cac(100.0, 0.0), "target_ratio"),
    ];
    for (result, want) in cases {
        assert_eq!(param_of(result), want);
    }
    let negative_base = ue::project_customer_base(1.0, Loss::Fixed(5.0), 3, 0.0);
    assert!(
        matches!(negative_base, Err(Error::InvalidParameter { ref name, .. }) if name == "lost_per_period")
    );
}

#[test]
fn overflow_is_an_error_on_both_paths() {
    assert!(matches!(
        ue::customer_value(1e300, 1e300),
        Err(Error::Overflow { .. })
    ));
    assert!(matches!(
        ue::customer_value(Decimal::MAX, d("2")),
        Err(Error::Overflow { .. })
    ));
}
