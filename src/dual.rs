//! Forward-mode automatic differentiation: a likelihood written once over [`Real`] runs on `f64`
//! (the value) and on [`Dual<N>`] (the value and its exact gradient with respect to `N`
//! parameters), so that gradients need no hand-derived formula and no finite differences.
//!
//! The derivative rules are the textbook ones (chain rule per operation); special functions
//! carry their own: `d ln Γ(x) = ψ(x) dx` with ψ the digamma function of `statrs`.

use std::ops::{Add, Div, Mul, Neg, Sub};

/// The numbers a likelihood can be written over: `f64` and [`Dual`].
pub trait Real:
    Copy
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + Add<f64, Output = Self>
    + Sub<f64, Output = Self>
    + Mul<f64, Output = Self>
    + Div<f64, Output = Self>
{
    /// A constant (zero derivative).
    fn cst(v: f64) -> Self;
    /// The value, without derivatives.
    fn value(self) -> f64;
    /// The largest absolute value among the value and the derivatives (for convergence tests).
    fn magnitude(self) -> f64;
    fn ln(self) -> Self;
    fn exp(self) -> Self;
    fn ln_1p(self) -> Self;
    fn exp_m1(self) -> Self;
    /// ln |Γ(x)|, for any x that is not a non-positive integer.
    fn ln_gamma(self) -> Self;
    /// `false` if the value or any derivative is NaN or infinite.
    fn all_finite(self) -> bool;
}

/// ln(e^u + e^v) without overflow, for [`Real`] numbers (−∞ + −∞ stays −∞).
pub fn log_add_exp<T: Real>(u: T, v: T) -> T {
    if u.value() == f64::NEG_INFINITY {
        return v;
    }
    if u.value() >= v.value() {
        u + (v - u).exp().ln_1p()
    } else {
        v + (u - v).exp().ln_1p()
    }
}

/// ln |Γ(x)| for every real x that is not a pole, by reflection below 1/2 (`statrs`' own
/// `ln_gamma` is only valid for x > 0).
///
/// # Formula
/// ```text
/// ln|Γ(x)| = ln π − ln|sin(πx)| − ln Γ(1 − x)      (x < 1/2)
/// ```
/// |sin(πx)| is computed as |sin(π(x − round(x)))|: the reduction is exact in floating point,
/// whereas `sin(PI * x)` loses all digits next to a pole (x = −1 + 1e-15).
pub fn ln_gamma_abs(x: f64) -> f64 {
    if x < 0.5 {
        std::f64::consts::PI.ln()
            - (std::f64::consts::PI * (x - x.round())).sin().abs().ln()
            - statrs::function::gamma::ln_gamma(1.0 - x)
    } else {
        statrs::function::gamma::ln_gamma(x)
    }
}

/// The sign of Γ(x): +1 for x > 0, (−1)^⌈−x⌉ between the poles of the negative axis.
pub fn gamma_sign(x: f64) -> f64 {
    if x > 0.0 || (x.floor() as i64) % 2 == 0 {
        1.0
    } else {
        -1.0
    }
}

impl Real for f64 {
    #[inline]
    fn cst(v: f64) -> Self {
        v
    }
    #[inline]
    fn value(self) -> f64 {
        self
    }
    #[inline]
    fn magnitude(self) -> f64 {
        self.abs()
    }
    #[inline]
    fn ln(self) -> Self {
        f64::ln(self)
    }
    #[inline]
    fn exp(self) -> Self {
        f64::exp(self)
    }
    #[inline]
    fn ln_1p(self) -> Self {
        f64::ln_1p(self)
    }
    #[inline]
    fn exp_m1(self) -> Self {
        f64::exp_m1(self)
    }
    #[inline]
    fn ln_gamma(self) -> Self {
        ln_gamma_abs(self)
    }
    #[inline]
    fn all_finite(self) -> bool {
        self.is_finite()
    }
}

/// A value with its gradient with respect to `N` inputs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dual<const N: usize> {
    pub v: f64,
    pub d: [f64; N],
}

impl<const N: usize> Dual<N> {
    /// The `i`-th input variable, with value `v` (derivative 1 in direction `i`).
    pub fn var(v: f64, i: usize) -> Self {
        let mut d = [0.0; N];
        if i < N {
            d[i] = 1.0;
        }
        Dual { v, d }
    }

    /// Applies the chain rule: value `v`, derivative `dv` times the current gradient.
    #[inline]
    fn chain(self, v: f64, dv: f64) -> Self {
        let mut d = self.d;
        for x in &mut d {
            *x *= dv;
        }
        Dual { v, d }
    }
}

impl<const N: usize> Add for Dual<N> {
    type Output = Self;
    #[inline]
    fn add(self, o: Self) -> Self {
        let mut d = self.d;
        for (x, y) in d.iter_mut().zip(o.d) {
            *x += y;
        }
        Dual { v: self.v + o.v, d }
    }
}

impl<const N: usize> Sub for Dual<N> {
    type Output = Self;
    #[inline]
    fn sub(self, o: Self) -> Self {
        let mut d = self.d;
        for (x, y) in d.iter_mut().zip(o.d) {
            *x -= y;
        }
        Dual { v: self.v - o.v, d }
    }
}

impl<const N: usize> Mul for Dual<N> {
    type Output = Self;
    #[inline]
    fn mul(self, o: Self) -> Self {
        let mut d = self.d;
        for (x, y) in d.iter_mut().zip(o.d) {
            *x = *x * o.v + self.v * y;
        }
        Dual { v: self.v * o.v, d }
    }
}

impl<const N: usize> Div for Dual<N> {
    type Output = Self;
    #[inline]
    fn div(self, o: Self) -> Self {
        let q = self.v / o.v;
        let mut d = self.d;
        for (x, y) in d.iter_mut().zip(o.d) {
            *x = (*x - q * y) / o.v;
        }
        Dual { v: q, d }
    }
}

impl<const N: usize> Neg for Dual<N> {
    type Output = Self;
    #[inline]
    fn neg(self) -> Self {
        self.chain(-self.v, -1.0)
    }
}

impl<const N: usize> Add<f64> for Dual<N> {
    type Output = Self;
    #[inline]
    fn add(self, o: f64) -> Self {
        Dual {
            v: self.v + o,
            d: self.d,
        }
    }
}

impl<const N: usize> Sub<f64> for Dual<N> {
    type Output = Self;
    #[inline]
    fn sub(self, o: f64) -> Self {
        Dual {
            v: self.v - o,
            d: self.d,
        }
    }
}

impl<const N: usize> Mul<f64> for Dual<N> {
    type Output = Self;
    #[inline]
    fn mul(self, o: f64) -> Self {
        self.chain(self.v * o, o)
    }
}

impl<const N: usize> Div<f64> for Dual<N> {
    type Output = Self;
    #[inline]
    fn div(self, o: f64) -> Self {
        self.chain(self.v / o, 1.0 / o)
    }
}

impl<const N: usize> Real for Dual<N> {
    #[inline]
    fn cst(v: f64) -> Self {
        Dual { v, d: [0.0; N] }
    }
    #[inline]
    fn value(self) -> f64 {
        self.v
    }
    fn magnitude(self) -> f64 {
        self.d.iter().fold(self.v.abs(), |m, x| m.max(x.abs()))
    }
    #[inline]
    fn ln(self) -> Self {
        self.chain(self.v.ln(), 1.0 / self.v)
    }
    #[inline]
    fn exp(self) -> Self {
        let e = self.v.exp();
        self.chain(e, e)
    }
    #[inline]
    fn ln_1p(self) -> Self {
        self.chain(self.v.ln_1p(), 1.0 / (1.0 + self.v))
    }
    #[inline]
    fn exp_m1(self) -> Self {
        self.chain(self.v.exp_m1(), self.v.exp())
    }
    fn ln_gamma(self) -> Self {
        self.chain(
            ln_gamma_abs(self.v),
            statrs::function::gamma::digamma(self.v),
        )
    }
    fn all_finite(self) -> bool {
        self.v.is_finite() && self.d.iter().all(|x| x.is_finite())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// f(x, y) = ln Γ(x) · y² + exp(x / y); the gradient by hand:
    /// ∂f/∂x = ψ(x) y² + exp(x/y)/y, ∂f/∂y = 2 y ln Γ(x) − x exp(x/y)/y².
    #[test]
    fn gradient_matches_hand_derivation() {
        let (x0, y0) = (2.5_f64, 1.5_f64);
        let x = Dual::<2>::var(x0, 0);
        let y = Dual::<2>::var(y0, 1);
        let f = x.ln_gamma() * y * y + (x / y).exp();
        let lg = statrs::function::gamma::ln_gamma(x0);
        let psi = statrs::function::gamma::digamma(x0);
        let e = (x0 / y0).exp();
        assert!((f.v - (lg * y0 * y0 + e)).abs() < 1e-14);
        assert!((f.d[0] - (psi * y0 * y0 + e / y0)).abs() < 1e-13);
        assert!((f.d[1] - (2.0 * y0 * lg - x0 * e / (y0 * y0))).abs() < 1e-13);
    }

    /// Γ(−0.5) = −2√π, Γ(−1.5) = 4√π/3 (reflection formula, by hand).
    #[test]
    fn ln_gamma_abs_and_sign_on_the_negative_axis() {
        let sqrt_pi = std::f64::consts::PI.sqrt();
        assert!((ln_gamma_abs(-0.5) - (2.0 * sqrt_pi).ln()).abs() < 1e-13);
        assert_eq!(gamma_sign(-0.5), -1.0);
        assert!((ln_gamma_abs(-1.5) - (4.0 * sqrt_pi / 3.0).ln()).abs() < 1e-13);
        assert_eq!(gamma_sign(-1.5), 1.0);
        assert_eq!(gamma_sign(3.2), 1.0);
    }
}
