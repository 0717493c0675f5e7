//! The bracket shared by the BG/NBD and MBG/NBD expected-purchase formulas,
//!
//! ```text
//! (1 - A 2F1(p, q; c; z)) / (a - 1),   c = a + shift,   c = q at a = 1,
//! ```
//!
//! computed with the robust ₂F₁ of [`crate::special`] (any z < 1, c < 0 included) and without
//! the 0/0 at a = 1: there 2F1(p, q; q; z) = (1 - z)^-p = 1/A, so the bracket vanishes, and the
//! ratio is its derivative with respect to a.

use crate::dual::{Dual, Real};
use crate::error::Result;
use crate::special::ln_hyp2f1;

/// Below this |a - 1| the ratio is taken as the derivative at the midpoint of 1 and a: the
/// midpoint rule errs by ~f'''(a - 1)^2 / 24 ~ 1e-11 (relative) while the direct quotient
/// loses ~1e-16 / |a - 1| = 1e-11 to cancellation; both are balanced at 1e-5.
const NEAR_ONE: f64 = 1e-5;

/// `(1 - exp(ln_a) 2F1(p, q; a + shift; z)) / (a - 1)`, where `ln_a = ln A` and
/// `A 2F1(p, q; 1 + shift; z) = 1`.
///
/// # Formula
/// ```text
/// |a - 1| >= 1e-5:  (1 - A F(p, q; c; z)) / (a - 1)
/// |a - 1| <  1e-5:  -A dF/dc (p, q; m + shift; z),   m = (1 + a) / 2    (mean-value theorem)
/// ```
///
/// # Errors
/// As [`ln_hyp2f1`] (z too close to 1, overflow); c = 0 must be handled by the caller.
///
/// # References
/// FHL 2005, eq. (9) and (10); Batislam, Denizel & Filiztekin (2007).
pub(crate) fn bracket_over_a_minus_1(
    ln_a: f64,
    p: f64,
    q: f64,
    shift: f64,
    a: f64,
    z: f64,
) -> Result<f64> {
    if (a - 1.0).abs() >= NEAR_ONE {
        let (ln_f, sign) = ln_hyp2f1(p, q, a + shift, z)?;
        let l = ln_a + ln_f;
        // 1 - e^l without cancellation when the product is close to 1.
        let bracket = if sign > 0.0 {
            -l.exp_m1()
        } else {
            1.0 + l.exp()
        };
        return Ok(bracket / (a - 1.0));
    }
    let m = 0.5 * (1.0 + a);
    let c = Dual::<1>::var(m + shift, 0);
    let (ln_f, sign) = ln_hyp2f1(Dual::cst(p), Dual::cst(q), c, Dual::cst(z))?;
    // d/dc F = sign e^{ln|F|} d/dc ln|F|.
    Ok(-sign * (ln_a + ln_f.value()).exp() * ln_f.d[0])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// With p = q = 1 and shift = 0 (so c = a): A F(1, 1; 1; z) = A / (1 - z) = 1 for
    /// A = 1 - z. For c = 2, F(1, 1; 2; z) = -ln(1 - z) / z (A&S 15.1.3), so at a = 2 the
    /// bracket is 1 + (1 - z) ln(1 - z) / z, written out here.
    #[test]
    fn closed_forms() {
        let z = 0.6_f64;
        let ln_a = (1.0 - z).ln();
        let want = 1.0 + (1.0 - z) * (1.0 - z).ln() / z;
        let got = bracket_over_a_minus_1(ln_a, 1.0, 1.0, 0.0, 2.0, z).unwrap();
        assert!((got - want).abs() < 1e-14, "{got} vs {want}");
    }

    /// Continuity through a = 1: the midpoint derivative and the direct quotient agree on
    /// either side of the switch, and the value at a = 1 lies between its neighbours.
    #[test]
    fn continuous_through_a_equal_one() {
        let (p, q, z) = (0.7_f64, 2.3_f64, 0.8_f64);
        let shift = q - 1.0;
        let ln_a = p * (1.0 - z).ln();
        let below = bracket_over_a_minus_1(ln_a, p, q, shift, 1.0 - 2e-5, z).unwrap();
        let near_below = bracket_over_a_minus_1(ln_a, p, q, shift, 1.0 - 0.99e-5, z).unwrap();
        let at = bracket_over_a_minus_1(ln_a, p, q, shift, 1.0, z).unwrap();
        let above = bracket_over_a_minus_1(ln_a, p, q, shift, 1.0 + 2e-5, z).unwrap();
        assert!(((below - near_below) / at).abs() < 1e-5);
        assert!(((above - at) / at).abs() < 1e-4);
        assert!((below - at) * (above - at) < 0.0);
    }
}
