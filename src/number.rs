//! One numeric interface over `f64` (statistics, arrays) and `rust_decimal::Decimal` (exact
//! money), so that every unit-economics formula is written once and runs on both paths.

use crate::error::{Error, Result};
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::{Decimal, MathematicalOps};
use std::fmt::{Debug, Display};

/// Arithmetic that never yields NaN or infinity: every operation is checked and fails with
/// [`Error::Overflow`] (or a division-by-zero parameter error at the caller) instead.
pub trait Number: Copy + PartialOrd + Display + Debug + Send + Sync + 'static {
    const ZERO: Self;
    const ONE: Self;
    fn from_u64(n: u64) -> Self;
    /// The value as `f64`, for messages and for comparisons with float tolerances.
    fn to_f64(self) -> f64;
    /// `false` for NaN and infinities (a `Decimal` is always finite).
    fn is_finite(self) -> bool;
    fn add(self, other: Self) -> Result<Self>;
    fn sub(self, other: Self) -> Result<Self>;
    fn mul(self, other: Self) -> Result<Self>;
    /// Division; the caller has checked that `other` is not zero.
    fn div(self, other: Self) -> Result<Self>;
    /// `self` to a non-negative integer power.
    fn powu(self, exp: u64) -> Result<Self>;
}

#[cold]
#[inline(never)]
fn float_overflow() -> Error {
    Error::Overflow {
        what: "the result".to_owned(),
        hint: "it is beyond the range of a 64-bit float; check the magnitude of the inputs"
            .to_owned(),
    }
}

#[inline]
fn finite(x: f64) -> Result<f64> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(float_overflow())
    }
}

impl Number for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    fn from_u64(n: u64) -> Self {
        n as f64
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
    #[inline]
    fn add(self, other: Self) -> Result<Self> {
        finite(self + other)
    }
    #[inline]
    fn sub(self, other: Self) -> Result<Self> {
        finite(self - other)
    }
    #[inline]
    fn mul(self, other: Self) -> Result<Self> {
        finite(self * other)
    }
    #[inline]
    fn div(self, other: Self) -> Result<Self> {
        finite(self / other)
    }
    fn powu(self, exp: u64) -> Result<Self> {
        match i32::try_from(exp) {
            Ok(e) => finite(self.powi(e)),
            Err(_) => finite(self.powf(exp as f64)),
        }
    }
}

impl Number for Decimal {
    const ZERO: Self = Decimal::ZERO;
    const ONE: Self = Decimal::ONE;
    fn from_u64(n: u64) -> Self {
        Decimal::from(n)
    }
    fn to_f64(self) -> f64 {
        ToPrimitive::to_f64(&self).unwrap_or(f64::NAN)
    }
    fn is_finite(self) -> bool {
        true
    }
    fn add(self, other: Self) -> Result<Self> {
        self.checked_add(other)
            .map(|d| d.normalize())
            .ok_or_else(|| Error::overflow("a sum"))
    }
    fn sub(self, other: Self) -> Result<Self> {
        self.checked_sub(other)
            .map(|d| d.normalize())
            .ok_or_else(|| Error::overflow("a difference"))
    }
    fn mul(self, other: Self) -> Result<Self> {
        self.checked_mul(other)
            .map(|d| d.normalize())
            .ok_or_else(|| Error::overflow("a product"))
    }
    fn div(self, other: Self) -> Result<Self> {
        self.checked_div(other)
            .map(|d| d.normalize())
            .ok_or_else(|| Error::overflow("a quotient"))
    }
    fn powu(self, exp: u64) -> Result<Self> {
        self.checked_powu(exp)
            .map(|d| d.normalize())
            .ok_or_else(|| Error::overflow("a power"))
    }
}

/// An `f64` as the `Decimal` its shortest decimal representation spells (`0.1` -> `0.1`, not
/// `0.1000000000000000055511151231257827`), which is what a user who typed `0.1` meant.
pub fn decimal_from_f64(x: f64) -> Result<Decimal> {
    if !x.is_finite() {
        return Err(Error::param("value", x, "must be a finite number"));
    }
    let shortest = format!("{x}");
    shortest
        .parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(&format!("{x:e}")))
        .or_else(|_| Decimal::from_f64(x).ok_or(()))
        .map_err(|_| Error::overflow("converting a float to Decimal"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_arithmetic_is_exact() {
        let a: Decimal = "0.1".parse().unwrap_or_default();
        let b: Decimal = "0.2".parse().unwrap_or_default();
        assert_eq!(a.add(b).ok(), "0.3".parse().ok());
    }

    #[test]
    fn float_overflow_is_an_error_not_inf() {
        assert!(f64::MAX.mul(10.0).is_err());
        assert!(1.0_f64.div(0.0).is_err());
    }

    #[test]
    fn shortest_float_to_decimal() {
        assert_eq!(decimal_from_f64(0.1).ok(), "0.1".parse().ok());
        assert_eq!(decimal_from_f64(1e-7).ok(), "0.0000001".parse().ok());
        assert_eq!(decimal_from_f64(19.99).ok(), "19.99".parse().ok());
        assert!(decimal_from_f64(f64::NAN).is_err());
    }
}
