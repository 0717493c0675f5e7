//! The unit-economics formulas applied element-wise over `f64` columns (the array path).
//!
//! Each formula is a [`Kernel`]: the generic, checked function of [`crate::unit_economics`]
//! (the authority on what is valid), plus the per-argument domains it enforces and the same
//! arithmetic on plain `f64`, written in the same order of operations. [`apply`] checks the
//! domains of a block of 4096 elements with branch-free folds, runs the plain formula over the
//! block in a loop the compiler can vectorise, and checks the results; a block with any
//! failure is run again through the checked function, which yields the exact error (named by
//! its element) or, where only the fast check was too strict, the same values. Tests assert
//! that both routes agree bit for bit on arbitrary input.

use crate::error::{Position, Result};
use crate::number::Number;
use crate::period::Period;
use crate::unit_economics as ue;

/// The values an argument may take, as the checked function enforces them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    /// Any finite number.
    Finite,
    /// Finite and `>= 0`.
    NonNegative,
    /// Finite and `> 0`.
    Positive,
    /// In `[0, 1]`.
    Fraction,
    /// In `(0, 1]`.
    PositiveFraction,
}

impl Domain {
    // Float arithmetic and comparisons only: `x * 0.0 == 0.0` holds exactly for finite x (it is
    // NaN for infinities and NaN), and unlike `is_finite`, which tests bits, it vectorises.
    // NaN fails every comparison, so it fails every domain.
    #[inline]
    fn holds(self, x: f64) -> bool {
        match self {
            Domain::Finite => x * 0.0 == 0.0,
            Domain::NonNegative => (x * 0.0 == 0.0) & (x >= 0.0),
            Domain::Positive => (x * 0.0 == 0.0) & (x > 0.0),
            Domain::Fraction => (0.0..=1.0).contains(&x),
            Domain::PositiveFraction => (x > 0.0) & (x <= 1.0),
        }
    }
}

/// A formula of `K` numeric arguments.
pub trait Kernel<const K: usize>: Sync {
    /// Argument names, for error messages.
    const NAMES: [&'static str; K];
    /// What each argument must satisfy (the checked function's own argument checks).
    const DOMAINS: [Domain; K];
    /// The checked formula, on any number type.
    fn call<N: Number>(&self, args: [N; K]) -> Result<N>;
    /// The same arithmetic on in-domain `f64` arguments, in the same order of operations.
    fn fast(&self, args: [f64; K]) -> f64;
    /// Whether a fast result is acceptable (finite, and any relation between the arguments
    /// that the checked function enforces).
    #[inline]
    fn fast_ok(&self, out: f64) -> bool {
        out * 0.0 == 0.0
    }
}

/// One argument of an array call: broadcast scalar or a column.
#[derive(Debug, Clone, Copy)]
pub enum Column<'a> {
    Scalar(f64),
    Slice(&'a [f64]),
}

const BLOCK: usize = 2048;

/// Applies `kernel` to every row of `columns` (scalars broadcast; slices have `out.len()`
/// elements), writing `out`. The first bad element fails the call, named by its position.
pub fn apply<const K: usize, F: Kernel<K>>(
    kernel: &F,
    columns: &[Column<'_>; K],
    out: &mut [f64],
) -> Result<()> {
    let scalars_ok = (0..K).all(|j| match columns[j] {
        Column::Scalar(v) => F::DOMAINS[j].holds(v),
        Column::Slice(_) => true,
    });
    let fills: Vec<[f64; BLOCK]> = (0..K)
        .map(|j| match columns[j] {
            Column::Scalar(v) => [v; BLOCK],
            Column::Slice(_) => [0.0; BLOCK],
        })
        .collect();
    for (b, out_block) in out.chunks_mut(BLOCK).enumerate() {
        let start = b * BLOCK;
        let len = out_block.len();
        // Every column sliced to exactly `len`: the compiler sees the bounds and drops the
        // index checks in the loops below, which lets it vectorise them.
        let cols: [&[f64]; K] = std::array::from_fn(|j| match columns[j] {
            Column::Scalar(_) => &fills[j][..len],
            Column::Slice(s) => &s[start..start + len],
        });
        if scalars_ok {
            // One fused pass: domain checks, formula and result check, counting failures
            // rather than branching on them.
            let mut bad = 0_u32;
            for i in 0..len {
                let x: [f64; K] = std::array::from_fn(|j| cols[j][i]);
                for (d, v) in F::DOMAINS.iter().zip(x) {
                    bad += u32::from(!d.holds(v));
                }
                let y = kernel.fast(x);
                out_block[i] = y;
                bad += u32::from(!kernel.fast_ok(y));
            }
            if bad == 0 {
                continue;
            }
        }
        checked_block(kernel, &cols, out_block, start)?;
    }
    Ok(())
}

/// The checked route for one block: the generic function on every element.
#[cold]
fn checked_block<const K: usize, F: Kernel<K>>(
    kernel: &F,
    cols: &[&[f64]; K],
    out: &mut [f64],
    start: usize,
) -> Result<()> {
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = kernel
            .call(std::array::from_fn(|j| cols[j][i]))
            .map_err(|e| e.at(Position::Element(start + i)))?;
    }
    Ok(())
}

/// Declares a kernel over a function of `crate::unit_economics`: its argument names and
/// domains, the struct's fields passed after the arguments, and the plain-`f64` formula.
macro_rules! kernel {
    (
        $(#[$doc:meta])*
        $ty:ident { $($field:ident : $fty:ty),* }
        [$($arg:ident : $dom:ident),+] => $f:path $(, $extra:ident)*;
        fast($self_:ident) $fast:block
        $(ok($out:ident) $ok:block)?
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $ty { $(pub $field: $fty),* }
        impl Kernel<{ [$(stringify!($arg)),+].len() }> for $ty {
            const NAMES: [&'static str; { [$(stringify!($arg)),+].len() }] = [$(stringify!($arg)),+];
            const DOMAINS: [Domain; { [$(stringify!($arg)),+].len() }] = [$(Domain::$dom),+];
            #[inline]
            fn call<N: Number>(&self, [$($arg),+]: [N; { [$(stringify!($arg)),+].len() }]) -> Result<N> {
                $f($($arg),+ $(, self.$extra)*)
            }
            #[inline]
            #[allow(unused_variables)]
            fn fast(&self, [$($arg),+]: [f64; { [$(stringify!($arg)),+].len() }]) -> f64 {
                let $self_ = self;
                $fast
            }
            $(
            #[inline]
            fn fast_ok(&self, $out: f64) -> bool $ok
            )?
        }
    };
}

kernel!(
    /// [`ue::average_order_value`]
    AverageOrderValue {} [revenue: NonNegative, orders: Positive] => ue::average_order_value;
    fast(k) { revenue / orders }
);
kernel!(
    /// [`ue::purchase_frequency`]
    PurchaseFrequency {} [orders: NonNegative, customers: Positive] => ue::purchase_frequency;
    fast(k) { orders / customers }
);
kernel!(
    /// [`ue::customer_value`]
    CustomerValue {} [average_order_value: NonNegative, purchase_frequency: NonNegative] => ue::customer_value;
    fast(k) { average_order_value * purchase_frequency }
);
kernel!(
    /// [`ue::simple_ltv`]
    SimpleLtv { frequency_period: Period, lifespan_period: Period }
    [average_order_value: NonNegative, purchase_frequency: NonNegative, lifespan: NonNegative]
        => ue::simple_ltv, frequency_period, lifespan_period;
    fast(k) {
        let purchases = purchase_frequency * lifespan;
        let purchases = if k.frequency_period == k.lifespan_period {
            purchases
        } else {
            purchases * k.frequency_period.per_year() as f64 / k.lifespan_period.per_year() as f64
        };
        average_order_value * purchases
    }
);
kernel!(
    /// [`ue::historical_ltv`]
    HistoricalLtv {} [cohort_revenue: Finite, cohort_customers: Positive] => ue::historical_ltv;
    fast(k) { cohort_revenue / cohort_customers }
);
kernel!(
    /// [`ue::ltv_multiple_of_first_purchase`]
    LtvMultiple {} [ltv: Finite, first_purchase_value: Positive] => ue::ltv_multiple_of_first_purchase;
    fast(k) { ltv / first_purchase_value }
);
kernel!(
    /// [`ue::subscription_ltv`]
    SubscriptionLtv { periods: Option<u64> }
    [arpa: NonNegative, gross_margin: Fraction, churn_rate: Fraction, discount_rate: NonNegative]
        => ue::subscription_ltv, periods;
    fast(k) {
        let m = arpa * gross_margin;
        let one_plus_d = 1.0 + discount_rate;
        let infinite = m * one_plus_d / (churn_rate + discount_rate);
        match k.periods {
            None => infinite,
            // Zero periods and q = 1 (no churn, no discount) give a non-finite or NaN value
            // here, so the checked route reports them.
            Some(0) => f64::NAN,
            Some(h) => {
                let q = (1.0 - churn_rate) / one_plus_d;
                let qh = match i32::try_from(h) {
                    Ok(e) => q.powi(e),
                    Err(_) => q.powf(h as f64),
                };
                infinite * (1.0 - qh)
            }
        }
    }
);
kernel!(
    /// [`ue::profit_ltv`]
    ProfitLtv {}
    [first_purchase: NonNegative, repeat_purchases: NonNegative, repeat_value: NonNegative,
     margin: Fraction, cost_to_serve: NonNegative] => ue::profit_ltv;
    fast(k) { (first_purchase + repeat_purchases * repeat_value) * margin - cost_to_serve }
);
kernel!(
    /// [`ue::max_affordable_cac`]
    MaxAffordableCac {} [ltv: NonNegative, target_ratio: Positive] => ue::max_affordable_cac;
    fast(k) { ltv / target_ratio }
);
kernel!(
    /// [`ue::cac`]
    Cac {} [acquisition_spend: NonNegative, new_customers: Positive] => ue::cac;
    fast(k) { acquisition_spend / new_customers }
);
kernel!(
    /// [`ue::ltv_cac_ratio`]
    LtvCacRatio {} [ltv: Finite, cac: Positive] => ue::ltv_cac_ratio;
    fast(k) { ltv / cac }
);
kernel!(
    /// [`ue::cac_payback_periods`]
    CacPayback {} [cac: NonNegative, margin_per_period: Positive] => ue::cac_payback_periods;
    fast(k) { cac / margin_per_period }
);
kernel!(
    /// [`ue::churn_rate`]: the share lost cannot exceed 1 (`customers_lost <= customers_at_start`).
    ChurnRate {} [customers_at_start: Positive, customers_lost: NonNegative] => ue::churn_rate;
    fast(k) { customers_lost / customers_at_start }
    ok(out) { (0.0..=1.0).contains(&out) }
);
kernel!(
    /// [`ue::retention_rate`]: `new <= end` and `end - new <= start` mean a result in `[0, 1]`.
    RetentionRate {}
    [customers_at_start: Positive, customers_at_end: NonNegative, new_customers: NonNegative]
        => ue::retention_rate;
    fast(k) { (customers_at_end - new_customers) / customers_at_start }
    ok(out) { (0.0..=1.0).contains(&out) }
);
kernel!(
    /// [`ue::expected_lifetime`]
    ExpectedLifetime {} [churn_rate: PositiveFraction] => ue::expected_lifetime;
    fast(k) { 1.0 / churn_rate }
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The checked route alone, element by element: the reference for `apply`.
    fn reference<const K: usize, F: Kernel<K>>(
        kernel: &F,
        cols: &[Vec<f64>; K],
    ) -> Result<Vec<f64>> {
        let n = cols[0].len();
        (0..n)
            .map(|i| {
                kernel
                    .call(std::array::from_fn(|j| cols[j][i]))
                    .map_err(|e| e.at(Position::Element(i)))
            })
            .collect()
    }

    fn via_apply<const K: usize, F: Kernel<K>>(
        kernel: &F,
        cols: &[Vec<f64>; K],
    ) -> Result<Vec<f64>> {
        let mut out = vec![0.0; cols[0].len()];
        let columns: [Column<'_>; K] = std::array::from_fn(|j| Column::Slice(&cols[j][..]));
        apply(kernel, &columns, &mut out).map(|()| out)
    }

    fn same<const K: usize, F: Kernel<K>>(
        kernel: &F,
        cols: &[Vec<f64>; K],
    ) -> std::result::Result<(), TestCaseError> {
        let want = reference(kernel, cols);
        let got = via_apply(kernel, cols);
        match (&want, &got) {
            (Ok(w), Ok(g)) => {
                prop_assert_eq!(w.len(), g.len());
                for (a, b) in w.iter().zip(g) {
                    prop_assert_eq!(a.to_bits(), b.to_bits(), "{} != {}", a, b);
                }
            }
            _ => prop_assert_eq!(want, got),
        }
        Ok(())
    }

    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![
            8 => 0.0..2.0_f64,
            4 => 0.0..1e6_f64,
            1 => prop::num::f64::ANY,
            1 => Just(0.0),
            1 => Just(1.0),
            1 => Just(-1.0),
            1 => Just(f64::NAN),
            1 => Just(1e308),
        ]
    }

    /// Columns up to one and a half blocks long (so that half of them cross a block boundary).
    fn columns<const K: usize>() -> impl Strategy<Value = [Vec<f64>; K]> {
        (1usize..(BLOCK + BLOCK / 2)).prop_flat_map(|n| {
            prop::collection::vec(prop::collection::vec(value(), n), K)
                .prop_map(|v| std::array::from_fn(|j| v[j].clone()))
        })
    }

    fn valid_columns<const K: usize>() -> impl Strategy<Value = [Vec<f64>; K]> {
        (1usize..(BLOCK + BLOCK / 2)).prop_flat_map(|n| {
            prop::collection::vec(prop::collection::vec(0.001..1.0_f64, n), K)
                .prop_map(|v| std::array::from_fn(|j| v[j].clone()))
        })
    }

    /// Every kernel on the given columns, through both routes.
    fn every_kernel(
        c2: &[Vec<f64>; 2],
        c3: &[Vec<f64>; 3],
        c4: &[Vec<f64>; 4],
        c5: &[Vec<f64>; 5],
        h: u64,
    ) -> std::result::Result<(), TestCaseError> {
        same(&AverageOrderValue {}, c2)?;
        same(&PurchaseFrequency {}, c2)?;
        same(&CustomerValue {}, c2)?;
        same(&HistoricalLtv {}, c2)?;
        same(&LtvMultiple {}, c2)?;
        same(&MaxAffordableCac {}, c2)?;
        same(&Cac {}, c2)?;
        same(&LtvCacRatio {}, c2)?;
        same(&CacPayback {}, c2)?;
        same(&ChurnRate {}, c2)?;
        for (fp, lp) in [
            (Period::Week, Period::Month),
            (Period::Year, Period::Year),
            (Period::Quarter, Period::Week),
        ] {
            same(
                &SimpleLtv {
                    frequency_period: fp,
                    lifespan_period: lp,
                },
                c3,
            )?;
        }
        same(&RetentionRate {}, c3)?;
        same(&SubscriptionLtv { periods: None }, c4)?;
        same(&SubscriptionLtv { periods: Some(h) }, c4)?;
        same(&ProfitLtv {}, c5)?;
        same(&ExpectedLifetime {}, &[c2[0].clone()])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]

        #[test]
        fn fast_route_equals_checked_route_on_valid_data(c2 in valid_columns::<2>(), c3 in valid_columns::<3>(), c4 in valid_columns::<4>(), c5 in valid_columns::<5>(), h in 0u64..400) {
            every_kernel(&c2, &c3, &c4, &c5, h)?;
        }

        #[test]
        fn fast_route_equals_checked_route_on_any_data(c2 in columns::<2>(), c3 in columns::<3>(), c4 in columns::<4>(), c5 in columns::<5>(), h in 0u64..400) {
            every_kernel(&c2, &c3, &c4, &c5, h)?;
        }
    }

    #[test]
    fn scalars_broadcast_and_errors_name_the_element() {
        let spend = [100.0, 200.0, 300.0];
        let mut out = [0.0; 3];
        let ok = apply(
            &Cac {},
            &[Column::Slice(&spend), Column::Scalar(4.0)],
            &mut out,
        );
        assert!(ok.is_ok());
        assert_eq!(out, [25.0, 50.0, 75.0]);
        let customers = [1.0, 1.0, 0.0];
        let err = apply(
            &Cac {},
            &[Column::Slice(&spend), Column::Slice(&customers)],
            &mut out,
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(err.starts_with("new_customers at position 2 is 0"), "{err}");
    }

    #[test]
    fn an_error_in_a_later_block_is_named_by_its_global_position() {
        let n = 3 * BLOCK;
        let spend = vec![10.0; n];
        let mut customers = vec![2.0; n];
        customers[2 * BLOCK + 7] = -1.0;
        customers[2 * BLOCK + 9] = 0.0;
        let mut out = vec![0.0; n];
        let err = apply(
            &Cac {},
            &[Column::Slice(&spend), Column::Slice(&customers)],
            &mut out,
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(
            err.starts_with(&format!(
                "new_customers at position {} is -1",
                2 * BLOCK + 7
            )),
            "{err}"
        );
    }
}
