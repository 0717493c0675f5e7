//! Parameter recovery from simulated data and fits on degenerate data for the part B models.
//!
//! Recovery: data simulated from known parameters (fixed seeds) must give estimates within
//! `RECOVERY_SE` standard errors (the fit's own, from the observed information) of the truth.
//! Degenerate data must give a fit with finite parameters and log-likelihood, or
//! `Error::NotConverged`, never NaN and never another error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ltvkit::models::beta_geo_beta_binom::{discrete_data, BetaGeoBetaBinom};
use ltvkit::models::pareto_nbd::ParetoNbd;
use ltvkit::models::shifted_beta_geo::{DurationData, ShiftedBetaGeo};
use ltvkit::models::{Fit, FitOptions, RfmData};
use ltvkit::Error;

/// A 4-sigma band: with 4 parameters per model and 3 models, a correct estimator stays inside
/// it with probability > 0.999 for any seed, so a failure means bias, not bad luck.
const RECOVERY_SE: f64 = 4.0;

fn assert_recovers<M>(fit: &Fit<M>, truth: &[f64]) {
    let se = fit.summary.standard_errors().expect("standard errors");
    for (k, (&t, (&est, &s))) in truth
        .iter()
        .zip(fit.summary.params.iter().zip(se.iter()))
        .enumerate()
    {
        assert!(
            (est - t).abs() <= RECOVERY_SE * s,
            "{}: estimate {est} vs true {t} (se {s})",
            fit.summary.names[k]
        );
    }
}

fn fit_or_not_converged<M>(r: ltvkit::Result<Fit<M>>) {
    match r {
        Ok(fit) => {
            assert!(fit.summary.params.iter().all(|p| p.is_finite() && *p > 0.0));
            assert!(fit.summary.log_likelihood.is_finite());
        }
        Err(Error::NotConverged { .. }) => {}
        Err(e) => panic!("expected a fit or NotConverged, got {e}"),
    }
}

#[test]
fn pareto_nbd_recovers_simulated_parameters() {
    let truth = [0.8, 8.0, 0.9, 12.0];
    let m = ParetoNbd::new(truth[0], truth[1], truth[2], truth[3]).unwrap();
    // ages spread over 26..39 weeks like a quarter's cohort observed to the same date
    let ages: Vec<f64> = (0..4000)
        .map(|i| 26.0 + 13.0 * (i % 91) as f64 / 90.0)
        .collect();
    let data = m.simulate_ages(&ages, 7).unwrap();
    let fit = ParetoNbd::fit(&data, &FitOptions::default()).unwrap();
    assert_recovers(&fit, &truth);
}

#[test]
fn bg_bb_recovers_simulated_parameters() {
    let truth = [1.2, 0.75, 0.65, 2.8];
    let m = BetaGeoBetaBinom::new(truth[0], truth[1], truth[2], truth[3]).unwrap();
    let data = m.simulate(&vec![8.0; 20_000], 11).unwrap();
    let fit = BetaGeoBetaBinom::fit(&data, &FitOptions::default()).unwrap();
    assert_recovers(&fit, &truth);
}

#[test]
fn sbg_recovers_simulated_parameters() {
    let truth = [0.7, 1.2];
    let m = ShiftedBetaGeo::new(truth[0], truth[1]).unwrap();
    let data = m.simulate(5000, 10.0, 3).unwrap();
    let fit = ShiftedBetaGeo::fit(&data, &FitOptions::default()).unwrap();
    assert_recovers(&fit, &truth);
}

#[test]
fn degenerate_data_fit_or_not_converged() {
    let opts = FitOptions::default();
    // every customer a one-time buyer
    let zeros = RfmData::new(&[0.0; 50], &[0.0; 50], &[30.0; 50], None).unwrap();
    fit_or_not_converged(ParetoNbd::fit(&zeros, &opts));
    // a single customer
    let one = RfmData::new(&[3.0], &[20.0], &[30.0], None).unwrap();
    fit_or_not_converged(ParetoNbd::fit(&one, &opts));
    // huge frequencies
    let huge = RfmData::new(
        &[10_000.0, 5_000.0, 0.0],
        &[29.0, 25.0, 0.0],
        &[30.0, 30.0, 30.0],
        None,
    )
    .unwrap();
    fit_or_not_converged(ParetoNbd::fit(&huge, &opts));

    let never = discrete_data(&[0.0; 3], &[0.0; 3], &[6.0; 3], Some(&[10.0, 5.0, 1.0])).unwrap();
    fit_or_not_converged(BetaGeoBetaBinom::fit(&never, &opts));
    let single = discrete_data(&[2.0], &[5.0], &[6.0], None).unwrap();
    fit_or_not_converged(BetaGeoBetaBinom::fit(&single, &opts));
    let always = discrete_data(&[200.0; 2], &[200.0; 2], &[200.0; 2], None).unwrap();
    fit_or_not_converged(BetaGeoBetaBinom::fit(&always, &opts));

    // nobody churned / everybody churned in period 1 / one customer
    let kept = DurationData::from_survivors(&[100.0, 100.0, 100.0]).unwrap();
    fit_or_not_converged(ShiftedBetaGeo::fit(&kept, &opts));
    let lost = DurationData::from_survivors(&[100.0, 0.0]).unwrap();
    fit_or_not_converged(ShiftedBetaGeo::fit(&lost, &opts));
    let alone = DurationData::new(&[3.0], &[true], None).unwrap();
    fit_or_not_converged(ShiftedBetaGeo::fit(&alone, &opts));
}
