//! A minimal Gauss hypergeometric 2F1 for the BG/NBD and MBG/NBD predictions, where every
//! argument is positive and 0 <= z < 1, so that all terms of the series are positive and there
//! is no cancellation. The general, robust 2F1 (z near 1, transformations) belongs to
//! `src/special.rs` (models part B); these predictions can switch to it once it lands.

use crate::error::{Error, Result};

/// Most terms summed before giving up (z very close to 1 converges slowly).
const MAX_TERMS: usize = 5_000_000;

/// Relative size below which a term no longer changes the sum.
const SERIES_REL_TOL: f64 = 1e-17;

/// `ln 2F1(a, b; c; z)` by the power series, rescaled on the fly so that large a, b (large
/// frequencies) do not overflow.
///
/// # Formula
/// ```text
/// 2F1(a, b; c; z) = sum_n (a)_n (b)_n / ((c)_n n!) z^n,   term_{n+1} / term_n = (a+n)(b+n) z / ((c+n)(n+1))
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] if an argument is outside a, b, c > 0, 0 <= z < 1, or the series
/// has not converged after `MAX_TERMS` terms.
///
/// # References
/// Abramowitz, M. & Stegun, I. (1964), *Handbook of Mathematical Functions*, 15.1.1.
pub(crate) fn ln_hyp2f1_series(a: f64, b: f64, c: f64, z: f64) -> Result<f64> {
    if !(a > 0.0 && b > 0.0 && c > 0.0 && a.is_finite() && b.is_finite() && c.is_finite()) {
        return Err(Error::param(
            "2F1 arguments",
            format!("a={a}, b={b}, c={c}"),
            "this series needs a, b, c > 0 (for BG/NBD predictions a + b > 1)",
        ));
    }
    if !(0.0..1.0).contains(&z) {
        return Err(Error::param("2F1 z", z, "this series needs 0 <= z < 1"));
    }
    let mut log_scale = 0.0;
    let mut sum = 1.0;
    let mut term = 1.0;
    for n in 0..MAX_TERMS {
        let nf = n as f64;
        term *= (a + nf) * (b + nf) / ((c + nf) * (nf + 1.0)) * z;
        sum += term;
        if sum > 1e250 {
            sum /= 1e250;
            term /= 1e250;
            log_scale += 250.0 * std::f64::consts::LN_10;
        }
        // Once the ratio of successive terms is below 1 the tail is bounded by a geometric
        // series, so a negligible term means convergence.
        let ratio = (a + nf + 1.0) * (b + nf + 1.0) / ((c + nf + 1.0) * (nf + 2.0)) * z;
        if ratio < 1.0 && term <= SERIES_REL_TOL * sum * (1.0 - ratio) {
            return Ok(sum.ln() + log_scale);
        }
    }
    Err(Error::param(
        "2F1 z",
        z,
        "the hypergeometric series did not converge (horizon very long compared with alpha + T)",
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn closed_forms() {
        // 2F1(1, 1; 2; z) = -ln(1 - z) / z (A&S 15.1.3).
        let z = 0.7_f64;
        let want = -(1.0 - z).ln() / z;
        assert!((ln_hyp2f1_series(1.0, 1.0, 2.0, z).unwrap() - want.ln()).abs() < 1e-13);
        // 2F1(a, b; b; z) = (1 - z)^-a.
        let got = ln_hyp2f1_series(2.5, 1.3, 1.3, 0.4).unwrap();
        assert!((got - (-2.5 * 0.6_f64.ln())).abs() < 1e-13);
        // Large parameters: 2F1(a, b; b; z) with a = 800 is e^(800 * 0.69..), past f64 range.
        let got = ln_hyp2f1_series(800.0, 30.0, 30.0, 0.5).unwrap();
        assert!((got - 800.0 * 2f64.ln()).abs() < 1e-9);
    }

    #[test]
    fn rejects_z_at_one() {
        assert!(ln_hyp2f1_series(1.0, 1.0, 2.0, 1.0).is_err());
    }
}
