//! Published values for the models of part B (Pareto/NBD, BG/BB, sBG): each test names the
//! paper (or the independent implementation) its numbers come from, and each tolerance says why
//! it is what it is.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ltvkit::models::beta_geo_beta_binom::{discrete_data, BetaGeoBetaBinom};
use ltvkit::models::pareto_nbd::ParetoNbd;
use ltvkit::models::shifted_beta_geo::{DurationData, ShiftedBetaGeo};
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

/// tests/data/donations_calibration_holdout.csv: the 22 (x, t_x) patterns of the 11,104 donors
/// of the 1995 cohort over 1996-2001 (n = 6) with their counts and their donations in 2002-2006.
fn donations() -> (RfmData, Vec<f64>) {
    let d = read_csv(&data_path("donations_calibration_holdout.csv"));
    let data = discrete_data(
        column(&d, "frequency"),
        column(&d, "recency"),
        column(&d, "periods"),
        Some(column(&d, "weights")),
    )
    .unwrap();
    (data, column(&d, "holdout_transactions").to_vec())
}

#[test]
fn bg_bb_donations_matches_fader_hardie_shang_2010() {
    // Fader, Hardie & Shang (2010), Marketing Science 29(6): alpha = 1.204, beta = 0.750,
    // gamma = 0.657, delta = 2.783, LL = -33,225.6.
    let (data, _) = donations();
    assert_eq!(data.n_customers(), 11_104.0);
    let fit = BetaGeoBetaBinom::fit(&data, &tight()).unwrap();
    let want = [1.204, 0.750, 0.657, 2.783];
    for (k, (got, want)) in fit.summary.params.iter().zip(want).enumerate() {
        assert!(
            (got - want).abs() <= PAPER_3DP_TOL,
            "{}: {got} vs {want}",
            fit.summary.names[k]
        );
    }
    assert!((fit.summary.log_likelihood - -33_225.6).abs() <= PAPER_1DP_TOL);
}

/// A sanity comparison, not a published number: the 2002-2006 donations predicted from the
/// paper's parameters (FHS 2010 eq. 13 with n* = 5, summed over the 22 patterns with their
/// counts) against the 13,260 donations actually made (BTYD's `donationsSummary$x.star`).
/// The bound is a sanity bound chosen here (a model this close in calibration should not miss
/// the five-year total by more than 5%); the gap is 2.9%.
const HOLDOUT_SANITY_REL: f64 = 0.05;

#[test]
fn bg_bb_donations_holdout_total_vs_btyd_donations_summary() {
    let (data, holdout) = donations();
    let m = BetaGeoBetaBinom::new(1.204, 0.750, 0.657, 2.783).unwrap();
    let mut predicted = 0.0;
    for i in 0..data.len() {
        predicted += data.w[i]
            * m.conditional_expected_purchases(5.0, data.x[i], data.t_x[i], data.t[i])
                .unwrap();
    }
    let actual: f64 = holdout.iter().sum();
    assert_eq!(actual, 13_260.0);
    assert!(
        (predicted / actual - 1.0).abs() < HOLDOUT_SANITY_REL,
        "{predicted} vs {actual}"
    );
}

/// tests/data/sbg_retention_2007.csv: customers active at the start of years 0-7 of two cohorts
/// of 1,000 (FH 2007, Table 1, first 8 years).
fn sbg_survivors(column_name: &str) -> Vec<f64> {
    let d = read_csv(&data_path("sbg_retention_2007.csv"));
    column(&d, column_name).to_vec()
}

#[test]
fn sbg_matches_fader_hardie_2007() {
    // Fader & Hardie (2007), "How to project customer retention", J. Interactive Marketing
    // 21(1): regular gamma = 0.704, delta = 1.182; high end gamma = 0.668, delta = 3.806. The
    // log-likelihoods are -1680.3 (regular) and -1611.2 (high end): the task brief had them the
    // other way round, and a hand computation of the likelihood at the printed parameters
    // (plain-Python lgamma: -1680.265 and -1611.158) settles which is which.
    for (segment, want, want_ll) in [
        ("regular", [0.704, 1.182], -1680.3),
        ("highend", [0.668, 3.806], -1611.2),
    ] {
        let data = DurationData::from_survivors(&sbg_survivors(segment)).unwrap();
        let fit = ShiftedBetaGeo::fit(&data, &tight()).unwrap();
        let got = &fit.summary.params;
        for (k, want) in want.iter().enumerate() {
            assert!(
                (got[k] - want).abs() <= PAPER_3DP_TOL,
                "{segment} {k}: {} vs {want}",
                got[k]
            );
        }
        assert!((fit.summary.log_likelihood - want_ll).abs() <= PAPER_1DP_TOL);
    }
}

/// FH 2007 fit years 0-7 and compare the projections with what happened in years 8-12 (their
/// Table 1; the same counts appear in public re-analyses of the paper): regular 223, 207, 194,
/// 183, 173; high end 468, 445, 427, 409, 394 active customers of 1,000. The paper's point is
/// that the sBG projection stays close over those five years. This is a sanity bound chosen
/// here, not a printed number: 5% of the actual count (the projections from the printed
/// parameters under-shoot by 1.3-1.7% for regular and 1.6-4.1% for high-end customers).
const PROJECTION_SANITY_REL: f64 = 0.05;

#[test]
fn sbg_projects_years_8_to_12_like_fader_hardie_2007() {
    for (params, actual) in [
        ([0.704, 1.182], [223.0, 207.0, 194.0, 183.0, 173.0]),
        ([0.668, 3.806], [468.0, 445.0, 427.0, 409.0, 394.0]),
    ] {
        let m = ShiftedBetaGeo::new(params[0], params[1]).unwrap();
        for (i, want) in actual.iter().enumerate() {
            let year = 8.0 + i as f64;
            let got = 1000.0 * m.survival(year).unwrap();
            assert!(
                (got / want - 1.0).abs() < PROJECTION_SANITY_REL,
                "year {year}: {got} vs {want}"
            );
        }
    }
}
