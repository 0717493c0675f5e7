//! ₂F₁ against mpmath (40 digits): `tests/data/hyp2f1_golden.csv`, written by
//! `tests/data/make_hyp2f1_golden.py`. Every case, including the hard regions (z near 1,
//! c − a − b near an integer, large negative z, the Pareto/NBD arguments with alpha ≈ beta,
//! large x and beta ≪ alpha), must agree to a relative error of at most 1e-10.

use ltvkit::dual::{Dual, Real};
use ltvkit::special::{hyp2f1, ln_hyp2f1};

/// The bound for the golden tests; the methods lose at most ~4 digits to cancellation
/// (`CANCELLATION_LIMIT` in src/special.rs), so 1e-10 leaves a margin of 100.
const GOLDEN_REL_TOL: f64 = 1e-10;

fn golden() -> Vec<(String, [f64; 6])> {
    let text = include_str!("data/hyp2f1_golden.csv");
    text.lines()
        .skip(1)
        .map(|line| {
            let mut it = line.split(',');
            let region = it.next().unwrap_or_default().to_owned();
            let mut v = [0.0; 6];
            for x in &mut v {
                *x = it.next().and_then(|s| s.parse().ok()).unwrap_or(f64::NAN);
            }
            (region, v)
        })
        .collect()
}

#[test]
fn hyp2f1_matches_mpmath_in_every_region() {
    let rows = golden();
    assert!(rows.len() > 200);
    let mut failures = Vec::new();
    for (region, [a, b, c, z, want, ln_want]) in &rows {
        // Values beyond the f64 range (Pareto/NBD with x = 1000) are compared in log space:
        // an absolute error e in ln F is a relative error e in F.
        let rel = if want.is_finite() {
            hyp2f1(*a, *b, *c, *z).map(|got| ((got - want) / want).abs())
        } else {
            ln_hyp2f1(*a, *b, *c, *z).map(|(got, _)| (got - ln_want).abs())
        };
        match rel {
            Ok(rel) if rel <= GOLDEN_REL_TOL => {}
            Ok(rel) => failures.push(format!("{region} a={a} b={b} c={c} z={z}: rel {rel:e}")),
            Err(e) => failures.push(format!("{region} a={a} b={b} c={c} z={z}: error {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The dual-number path (used for likelihood gradients) gives the same values as the f64 path.
#[test]
fn dual_path_gives_the_same_values() {
    for (_, [a, b, c, z, _, ln_want]) in golden()
        .iter()
        .filter(|(r, _)| r == "pareto_nbd" || r == "discrete_dert")
    {
        let (l, _) = ln_hyp2f1(
            Dual::<1>::var(*a, 0),
            Dual::cst(*b),
            Dual::cst(*c),
            Dual::cst(*z),
        )
        .unwrap_or((Dual::cst(f64::NAN), 1.0));
        assert!(
            (l.v - ln_want).abs() <= GOLDEN_REL_TOL,
            "{a} {b} {c} {z}: {} vs {ln_want}",
            l.v
        );
        assert!(l.d[0].is_finite());
    }
}
