//! ltvkit against lifetimes 0.11.3, an independent implementation. The reference numbers were
//! written by tests/data/make_lifetimes_reference_models.py (see its docstring) into
//! tests/data/lifetimes_reference.json and tests/data/lifetimes_reference_customers.csv.
//!
//! Predictions are compared at lifetimes' own fitted parameters, so that they test the formulas;
//! the fits are compared separately.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::needless_range_loop)]

use ltvkit::models::{
    customer_lifetime_value, BetaGeo, ClvCustomers, FitOptions, GammaGamma, ModifiedBetaGeo,
    RfmData, SpendData,
};
use serde_json::Value;

/// Same formula, same parameters, f64 on both sides: only rounding differs (lifetimes uses
/// scipy's hyp2f1 and logs; the CSV stores 12 significant digits).
const FORMULA_REL_TOL: f64 = 1e-8;
/// Two optimizers stopping at slightly different points of a flat optimum: lifetimes' default
/// tolerance (scipy BFGS, tol = 1e-7 on rescaled time) leaves about 4 significant digits.
const FIT_REL_TOL: f64 = 1e-3;
/// Log-likelihoods at the two optima: the function is flat there, so they agree much closer
/// than the parameters.
const LL_ABS_TOL: f64 = 1e-3;

fn reference() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/lifetimes_reference.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Columns of a numeric CSV with a header row.
fn read_csv(name: &str) -> (Vec<String>, Vec<Vec<f64>>) {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    let mut cols = vec![Vec::new(); header.len()];
    for line in lines.filter(|l| !l.is_empty()) {
        for (j, v) in line.split(',').enumerate() {
            cols[j].push(v.parse::<f64>().unwrap_or(f64::NAN));
        }
    }
    (header, cols)
}

fn col<'a>(d: &'a (Vec<String>, Vec<Vec<f64>>), name: &str) -> &'a [f64] {
    &d.1[d.0.iter().position(|h| h == name).unwrap()]
}

fn rel_close(got: f64, want: f64, tol: f64) -> bool {
    (got - want).abs() <= tol * want.abs().max(1e-12)
}

fn params(v: &Value, names: &[&str]) -> Vec<f64> {
    names
        .iter()
        .map(|n| v["params"][n].as_f64().unwrap())
        .collect()
}

fn cdnow() -> (Vec<String>, Vec<Vec<f64>>) {
    read_csv("cdnow_summary_monetary.csv")
}

#[test]
fn bg_nbd_fit_matches_lifetimes() {
    let r = reference();
    let want = params(&r["bg"], &["r", "alpha", "a", "b"]);
    let d = cdnow();
    let data = RfmData::new(col(&d, "x"), col(&d, "t_x"), col(&d, "T"), None).unwrap();
    let fit = BetaGeo::fit(&data, &FitOptions::default()).unwrap();
    for (g, w) in fit.model.params().iter().zip(&want) {
        assert!(rel_close(*g, *w, FIT_REL_TOL), "{g} vs {w}");
    }
    let ll = r["bg"]["log_likelihood"].as_f64().unwrap();
    assert!((fit.summary.log_likelihood - ll).abs() < LL_ABS_TOL);
    // At lifetimes' parameters our log-likelihood is lifetimes' log-likelihood.
    let at = BetaGeo::new(want[0], want[1], want[2], want[3]).unwrap();
    assert!(rel_close(at.log_likelihood(&data), ll, FORMULA_REL_TOL));
}

#[test]
fn bg_nbd_predictions_match_lifetimes() {
    let r = reference();
    let p = params(&r["bg"], &["r", "alpha", "a", "b"]);
    let m = BetaGeo::new(p[0], p[1], p[2], p[3]).unwrap();
    for (t, want) in r["bg"]["expected_new"].as_object().unwrap() {
        let t: f64 = t.parse().unwrap();
        let got = m.expected_purchases_new(t).unwrap();
        assert!(
            rel_close(got, want.as_f64().unwrap(), FORMULA_REL_TOL),
            "t={t}: {got}"
        );
    }
    for (n, want) in r["bg"]["p_n_purchases_t39"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let got = m.probability_of_n_purchases(n as f64, 39.0).unwrap();
        assert!(
            rel_close(got, want.as_f64().unwrap(), FORMULA_REL_TOL),
            "n={n}: {got}"
        );
    }
    let d = cdnow();
    let c = read_csv("lifetimes_reference_customers.csv");
    let (x, tx, t) = (col(&d, "x"), col(&d, "t_x"), col(&d, "T"));
    let (cond, alive) = (col(&c, "bg_conditional_39"), col(&c, "bg_p_alive"));
    for i in 0..x.len() {
        let e = m
            .conditional_expected_purchases(39.0, x[i], tx[i], t[i])
            .unwrap();
        assert!(
            rel_close(e, cond[i], FORMULA_REL_TOL),
            "row {i}: {e} vs {}",
            cond[i]
        );
        let a = m.p_alive(x[i], tx[i], t[i]).unwrap();
        assert!(
            rel_close(a, alive[i], FORMULA_REL_TOL),
            "row {i}: {a} vs {}",
            alive[i]
        );
    }
}

#[test]
fn gamma_gamma_fit_and_spend_match_lifetimes() {
    let r = reference();
    // lifetimes calls gamma "v".
    let want = params(&r["gg"], &["p", "q", "v"]);
    let d = cdnow();
    let data = SpendData::new(col(&d, "x"), col(&d, "zbar"), None).unwrap();
    let fit = GammaGamma::fit(&data, &FitOptions::default()).unwrap();
    for (g, w) in fit.model.params().iter().zip(&want) {
        assert!(rel_close(*g, *w, FIT_REL_TOL), "{g} vs {w}");
    }
    let ll = r["gg"]["log_likelihood"].as_f64().unwrap();
    assert!((fit.summary.log_likelihood - ll).abs() < LL_ABS_TOL);
    let m = GammaGamma::new(want[0], want[1], want[2]).unwrap();
    assert!(rel_close(m.log_likelihood(&data), ll, FORMULA_REL_TOL));
    let c = read_csv("lifetimes_reference_customers.csv");
    let spend = col(&c, "gg_expected_spend");
    let (x, z) = (col(&d, "x"), col(&d, "zbar"));
    for i in 0..x.len() {
        let e = m.conditional_expected_spend(x[i], z[i]).unwrap();
        assert!(
            rel_close(e, spend[i], FORMULA_REL_TOL),
            "row {i}: {e} vs {}",
            spend[i]
        );
    }
}

#[test]
fn mbg_nbd_fit_and_predictions_match_lifetimes() {
    let r = reference();
    let want = params(&r["mbg"], &["r", "alpha", "a", "b"]);
    let d = cdnow();
    let data = RfmData::new(col(&d, "x"), col(&d, "t_x"), col(&d, "T"), None).unwrap();
    let fit = ModifiedBetaGeo::fit(&data, &FitOptions::default()).unwrap();
    for (g, w) in fit.model.params().iter().zip(&want) {
        assert!(rel_close(*g, *w, FIT_REL_TOL), "{g} vs {w}");
    }
    let ll = r["mbg"]["log_likelihood"].as_f64().unwrap();
    assert!((fit.summary.log_likelihood - ll).abs() < LL_ABS_TOL);
    let m = ModifiedBetaGeo::new(want[0], want[1], want[2], want[3]).unwrap();
    assert!(rel_close(m.log_likelihood(&data), ll, FORMULA_REL_TOL));
    for (t, want) in r["mbg"]["expected_new"].as_object().unwrap() {
        let t: f64 = t.parse().unwrap();
        let got = m.expected_purchases_new(t).unwrap();
        assert!(
            rel_close(got, want.as_f64().unwrap(), FORMULA_REL_TOL),
            "t={t}: {got}"
        );
    }
    let c = read_csv("lifetimes_reference_customers.csv");
    let (x, tx, t) = (col(&d, "x"), col(&d, "t_x"), col(&d, "T"));
    let (cond, alive) = (col(&c, "mbg_conditional_39"), col(&c, "mbg_p_alive"));
    for i in 0..x.len() {
        let e = m
            .conditional_expected_purchases(39.0, x[i], tx[i], t[i])
            .unwrap();
        assert!(
            rel_close(e, cond[i], FORMULA_REL_TOL),
            "row {i}: {e} vs {}",
            cond[i]
        );
        let a = m.p_alive(x[i], tx[i], t[i]).unwrap();
        assert!(
            rel_close(a, alive[i], FORMULA_REL_TOL),
            "row {i}: {a} vs {}",
            alive[i]
        );
    }
}

/// lifetimes' `GammaGammaFitter.customer_lifetime_value(bg, ..., time=12, discount_rate=0.01,
/// freq="W")`: 12 "months" of 4.345 weeks, 1% per month, margin 1. Its 4.345-week month is
/// not ltvkit's calendar month (30.436875 / 7 = 4.348 weeks), so the comparison passes the
/// period length explicitly.
#[test]
fn clv_matches_lifetimes_with_its_4345_week_months() {
    let r = reference();
    let b = params(&r["bg"], &["r", "alpha", "a", "b"]);
    let g = params(&r["gg"], &["p", "q", "v"]);
    let bg = BetaGeo::new(b[0], b[1], b[2], b[3]).unwrap();
    let gg = GammaGamma::new(g[0], g[1], g[2]).unwrap();
    let d = cdnow();
    let customers = ClvCustomers {
        x: col(&d, "x"),
        t_x: col(&d, "t_x"),
        t: col(&d, "T"),
        m: col(&d, "zbar"),
    };
    let period = r["clv"]["period_weeks"].as_f64().unwrap();
    assert_eq!(period, 4.345);
    let out = customer_lifetime_value(&bg, &gg, customers, period, 12, 0.01, 1.0, true).unwrap();
    let c = read_csv("lifetimes_reference_customers.csv");
    let want = col(&c, "clv_bg_gg_12x4345w");
    for i in 0..want.len() {
        assert!(
            rel_close(out.value[i], want[i], FORMULA_REL_TOL),
            "row {i}: {} vs {}",
            out.value[i],
            want[i]
        );
    }
    // The schedule adds up to the total.
    let s = out.schedule.unwrap();
    assert!((s[0].iter().sum::<f64>() - out.value[0]).abs() < 1e-9);
}
