//! Part B models against independent implementations: numbers computed by scripts in
//! tests/data/ from the models' assumptions (numerical integration with mpmath), not from
//! ltvkit's closed forms.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ltvkit::models::pareto_nbd::ParetoNbd;

/// mpmath.quad at 30 digits is exact to far below this; the closed forms lose at most a few
/// digits (2F1, log-space differences), so 1e-10 relative is the bar.
const REFERENCE_REL_TOL: f64 = 1e-10;

fn rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

fn close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= REFERENCE_REL_TOL * want.abs(),
        "{what}: {got} vs {want} (rel {:e})",
        ((got - want) / want).abs()
    );
}

/// tests/data/pareto_nbd_reference.csv, made by tests/data/make_pareto_nbd_reference.py.
#[test]
fn pareto_nbd_matches_numerical_integration() {
    let delta = 1.15_f64.ln() / 52.0;
    for row in rows(include_str!("data/pareto_nbd_reference.csv")) {
        let v: Vec<f64> = row[1..].iter().map(|s| s.parse().unwrap()).collect();
        let m = ParetoNbd::new(v[0], v[1], v[2], v[3]).unwrap();
        let (x, t_x, t) = (v[4], v[5], v[6]);
        let what = format!("{} x={x} t_x={t_x} T={t}", row[0]);
        close(
            m.log_likelihood_one(x, t_x, t).unwrap(),
            v[7],
            &format!("LL {what}"),
        );
        close(
            m.p_alive(x, t_x, t).unwrap(),
            v[8],
            &format!("P(alive) {what}"),
        );
        close(
            m.conditional_expected_purchases(39.0, x, t_x, t).unwrap(),
            v[9],
            &format!("E[Y(39)] {what}"),
        );
        close(
            m.dert(delta, x, t_x, t).unwrap(),
            v[10],
            &format!("DERT {what}"),
        );
        close(m.expected_purchases_new(39.0).unwrap(), v[11], "E[X(39)]");
    }
}
