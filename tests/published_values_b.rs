//! Published values for the models of part B (Pareto/NBD, BG/BB, sBG): each test names the
//! paper (or the independent implementation) its numbers come from, and each tolerance says why
//! it is what it is.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ltvkit::models::pareto_nbd::ParetoNbd;
use ltvkit::models::{FitOptions, RfmData};

/// Columns of a small numeric CSV with a header row, by name.
fn read_csv(path: &str) -> (Vec<String>, Vec<Vec<f64>>) {
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
            cols[j].push(v.parse::<f64>().unwrap());
        }
    }
    (header, cols)
}

fn column<'a>(data: &'a (Vec<String>, Vec<Vec<f64>>), name: &str) -> &'a [f64] {
    let j = data.0.iter().position(|h| h == name).unwrap();
    &data.1[j]
}

fn data_path(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// tests/data/cdnow_summary_btyd.csv: BTYD's `cdnowSummary`, the same 2,357 customers with
/// weeks = days/7 unrounded. The Pareto/NBD optimum is flat in beta (standard error ~6), so the
/// 2-decimal rounding of lifetimes' cdnow_summary.csv moves beta by 0.001 (11.668 there): the
/// paper's digits need the unrounded weeks.
fn cdnow_btyd() -> RfmData {
    let d = read_csv(&data_path("cdnow_summary_btyd.csv"));
    RfmData::new(
        column(&d, "x"),
        column(&d, "t_x"),
        column(&d, "T_cal"),
        None,
    )
    .unwrap()
}

/// Papers print estimates to 3 decimals: half a unit of the last printed digit.
const PAPER_3DP_TOL: f64 = 5e-4;
/// Log-likelihoods printed to 1 decimal.
const PAPER_1DP_TOL: f64 = 0.05;
/// The likelihood is so flat in beta that the default stopping rule (1e-9 on the scaled
/// objective) stops with beta 0.007 short of the optimum (well inside one standard error, but
/// not the paper's third decimal); the published-value tests ask for the optimum itself.
const TIGHT_TOLERANCE: f64 = 1e-12;

fn tight() -> FitOptions {
    let mut opts = FitOptions::default();
    opts.minimize.tolerance = TIGHT_TOLERANCE;
    opts
}

#[test]
fn pareto_nbd_cdnow_matches_fader_hardie_lee_2005() {
    // Fader, Hardie & Lee (2005), "Counting your customers the easy way", Marketing Science
    // 24(2): the Pareto/NBD on the CDNOW sample, r = 0.553, alpha = 10.578, s = 0.606,
    // beta = 11.669, LL = -9595.0. lifetimes' tests/test_estimation.py asserts the same four
    // estimates ("close to Hardie paper") on the same data.
    let fit = ParetoNbd::fit(&cdnow_btyd(), &tight()).unwrap();
    let want = [0.553, 10.578, 0.606, 11.669];
    for (k, (got, want)) in fit.summary.params.iter().zip(want).enumerate() {
        assert!(
            (got - want).abs() <= PAPER_3DP_TOL,
            "{}: {got} vs {want}",
            fit.summary.names[k]
        );
    }
    assert!((fit.summary.log_likelihood - -9595.0).abs() <= PAPER_1DP_TOL);
    assert!(fit.summary.converged);
    let se = fit.summary.standard_errors().unwrap();
    assert!(se.iter().all(|s| s.is_finite() && *s > 0.0));
}
