//! The unit economics of one customer: order value, frequency, lifetime value in its simple,
//! historical, subscription and profit forms, acquisition cost, payback, churn and retention.
//!
//! Every function is generic over [`Number`]: with `f64` it serves floats and arrays, with
//! `rust_decimal::Decimal` it is exact (no float anywhere on that path). Inputs are validated;
//! an out-of-domain input is an [`Error::InvalidParameter`] naming the parameter, never a NaN.

use crate::error::{Error, Result};
use crate::number::Number;
use crate::period::Period;

fn finite<N: Number>(name: &str, x: N) -> Result<N> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(Error::param(
            name,
            x,
            "must be a finite number; drop or fill missing values",
        ))
    }
}

fn non_negative<N: Number>(name: &str, x: N) -> Result<N> {
    let x = finite(name, x)?;
    if x < N::ZERO {
        return Err(Error::param(name, x, "must be zero or positive"));
    }
    Ok(x)
}

fn positive<N: Number>(name: &str, x: N, why: &str) -> Result<N> {
    let x = finite(name, x)?;
    if x <= N::ZERO {
        return Err(Error::param(name, x, format!("must be positive: {why}")));
    }
    Ok(x)
}

/// A fraction in `[0, 1]` (gross margin, survival, ...).
fn fraction<N: Number>(name: &str, x: N, hint: &str) -> Result<N> {
    let x = finite(name, x)?;
    if x < N::ZERO || x > N::ONE {
        return Err(Error::param(
            name,
            x,
            format!("must be between 0 and 1 ({hint})"),
        ));
    }
    Ok(x)
}

/// Average order value: what one purchase brings on average.
///
/// # Formula
/// ```text
/// AOV = revenue / orders        (both over the same period)
/// ```
///
/// # Errors
/// `revenue` negative or not finite; `orders` zero or negative.
pub fn average_order_value<N: Number>(revenue: N, orders: N) -> Result<N> {
    let revenue = non_negative("revenue", revenue)?;
    let orders = positive(
        "orders",
        orders,
        "the average order value of zero orders is undefined",
    )?;
    revenue.div(orders)
}

/// Purchase frequency: purchases per customer over a period.
///
/// # Formula
/// ```text
/// frequency = orders / unique customers     (same period)
/// ```
pub fn purchase_frequency<N: Number>(orders: N, customers: N) -> Result<N> {
    let orders = non_negative("orders", orders)?;
    let customers = positive(
        "customers",
        customers,
        "purchase frequency needs at least one customer",
    )?;
    orders.div(customers)
}

/// Customer value over one period.
///
/// # Formula
/// ```text
/// customer value = AOV x purchase frequency
/// ```
pub fn customer_value<N: Number>(average_order_value: N, purchase_frequency: N) -> Result<N> {
    let aov = non_negative("average_order_value", average_order_value)?;
    let f = non_negative("purchase_frequency", purchase_frequency)?;
    aov.mul(f)
}

/// The simple (descriptive) lifetime value.
///
/// `purchase_frequency` is purchases per `frequency_period`, `lifespan` is a number of
/// `lifespan_period`s; the two are converted to one unit before they are multiplied
/// (1 year = 4 quarters = 12 months = 52 weeks).
///
/// # Formula
/// ```text
/// LTV = AOV x frequency x lifespan x per_year(frequency_period) / per_year(lifespan_period)
/// ```
pub fn simple_ltv<N: Number>(
    average_order_value: N,
    purchase_frequency: N,
    lifespan: N,
    frequency_period: Period,
    lifespan_period: Period,
) -> Result<N> {
    let aov = non_negative("average_order_value", average_order_value)?;
    let f = non_negative("purchase_frequency", purchase_frequency)?;
    let life = non_negative("lifespan", lifespan)?;
    let purchases = f.mul(life)?;
    let purchases = if frequency_period == lifespan_period {
        purchases
    } else {
        purchases
            .mul(N::from_u64(frequency_period.per_year()))?
            .div(N::from_u64(lifespan_period.per_year()))?
    };
    aov.mul(purchases)
}

/// Historical LTV of a cohort: what its customers brought, per customer.
///
/// # Formula
/// ```text
/// historical LTV = cohort revenue / cohort customers
/// ```
pub fn historical_ltv<N: Number>(cohort_revenue: N, cohort_customers: N) -> Result<N> {
    let revenue = finite("cohort_revenue", cohort_revenue)?;
    let customers = positive(
        "cohort_customers",
        cohort_customers,
        "a cohort with no customers has no value per customer",
    )?;
    revenue.div(customers)
}

/// How many times the first purchase a customer is worth over the relationship.
///
/// # Formula
/// ```text
/// multiple = LTV / first purchase value
/// ```
pub fn ltv_multiple_of_first_purchase<N: Number>(ltv: N, first_purchase_value: N) -> Result<N> {
    let ltv = finite("ltv", ltv)?;
    let first = positive(
        "first_purchase_value",
        first_purchase_value,
        "a multiple of a free first purchase is undefined",
    )?;
    ltv.div(first)
}

/// Subscription LTV with constant churn and an optional discount rate, per period.
///
/// The first period is paid; each later period is paid by the survivors, `(1 - churn)` per
/// period, and discounted by `(1 + discount_rate)` per period.
///
/// # Formula
/// ```text
/// m = ARPA x gross margin,  q = (1 - churn) / (1 + discount_rate)
/// LTV = m x sum_{k=1..H} q^(k-1) = m x (1 - q^H) / (1 - q)     (H = periods)
/// LTV = m / (1 - q)                                             (H infinite; m / churn undiscounted)
/// ```
///
/// # Errors
/// Gross margin outside `[0, 1]`, churn outside `[0, 1]`, a negative discount rate, zero
/// `periods`, and `q = 1` (no churn, no discount) without `periods`: that lifetime is unbounded.
pub fn subscription_ltv<N: Number>(
    arpa: N,
    gross_margin: N,
    churn_rate: N,
    discount_rate: N,
    periods: Option<u64>,
) -> Result<N> {
    let arpa = non_negative("arpa", arpa)?;
    let gm = fraction(
        "gross_margin",
        gross_margin,
        "a share of revenue, e.g. 0.8 for 80%",
    )?;
    let churn = fraction(
        "churn_rate",
        churn_rate,
        "the share of customers lost per period",
    )?;
    let d = non_negative("discount_rate", discount_rate)?;
    let m = arpa.mul(gm)?;
    // 1 - q = (churn + d) / (1 + d): written this way, m / churn is exact when undiscounted.
    let one_plus_d = N::ONE.add(d)?;
    let churn_plus_d = churn.add(d)?;
    if churn_plus_d == N::ZERO {
        return match periods {
            Some(0) => Err(Error::param("periods", 0, "must be at least 1 (or None for an unbounded horizon)")),
            Some(h) => m.mul(N::from_u64(h)),
            None => Err(Error::param(
                "churn_rate",
                churn,
                "with no churn and no discounting the lifetime is unbounded; pass periods= (a horizon) or a discount_rate",
            )),
        };
    }
    let infinite = m.mul(one_plus_d)?.div(churn_plus_d)?;
    match periods {
        None => Ok(infinite),
        Some(0) => Err(Error::param(
            "periods",
            0,
            "must be at least 1 (or None for an unbounded horizon)",
        )),
        Some(h) => {
            let q = N::ONE.sub(churn)?.div(one_plus_d)?;
            infinite.mul(N::ONE.sub(q.powu(h)?)?)
        }
    }
}

/// Total profit of one customer over a horizon.
///
/// # Formula
/// ```text
/// profit LTV = (first purchase + repeat purchases x repeat value) x margin - cost to serve
/// ```
pub fn profit_ltv<N: Number>(
    first_purchase: N,
    repeat_purchases: N,
    repeat_value: N,
    margin: N,
    cost_to_serve: N,
) -> Result<N> {
    let first = non_negative("first_purchase", first_purchase)?;
    let n = non_negative("repeat_purchases", repeat_purchases)?;
    let v = non_negative("repeat_value", repeat_value)?;
    let margin = fraction(
        "margin",
        margin,
        "the share of revenue kept, e.g. 0.3 for 30%",
    )?;
    let cost = non_negative("cost_to_serve", cost_to_serve)?;
    first.add(n.mul(v)?)?.mul(margin)?.sub(cost)
}

/// The most one may spend to win a customer and keep `LTV : CAC` at `target_ratio`.
///
/// # Formula
/// ```text
/// max CAC = LTV / target ratio
/// ```
pub fn max_affordable_cac<N: Number>(ltv: N, target_ratio: N) -> Result<N> {
    let ltv = non_negative("ltv", ltv)?;
    let ratio = positive(
        "target_ratio",
        target_ratio,
        "e.g. 3 for an LTV three times CAC",
    )?;
    ltv.div(ratio)
}

/// Customer acquisition cost.
///
/// # Formula
/// ```text
/// CAC = acquisition spend / new customers
/// ```
pub fn cac<N: Number>(acquisition_spend: N, new_customers: N) -> Result<N> {
    let spend = non_negative("acquisition_spend", acquisition_spend)?;
    let n = positive(
        "new_customers",
        new_customers,
        "the cost per customer of a channel that won no customers is undefined",
    )?;
    spend.div(n)
}

/// LTV to CAC ratio.
///
/// # Formula
/// ```text
/// ratio = LTV / CAC
/// ```
pub fn ltv_cac_ratio<N: Number>(ltv: N, cac: N) -> Result<N> {
    let ltv = finite("ltv", ltv)?;
    let cac = positive(
        "cac",
        cac,
        "a ratio to a zero acquisition cost is unbounded",
    )?;
    ltv.div(cac)
}

/// Periods of margin needed to earn back the acquisition cost.
///
/// # Formula
/// ```text
/// payback = CAC / margin per period
/// ```
pub fn cac_payback_periods<N: Number>(cac: N, margin_per_period: N) -> Result<N> {
    let cac = non_negative("cac", cac)?;
    let m = positive(
        "margin_per_period",
        margin_per_period,
        "with no margin per period the acquisition cost is never paid back",
    )?;
    cac.div(m)
}

/// Share of the customers at the start of a period lost during it.
///
/// # Formula
/// ```text
/// churn = customers lost / customers at start
/// ```
pub fn churn_rate<N: Number>(customers_at_start: N, customers_lost: N) -> Result<N> {
    let start = positive(
        "customers_at_start",
        customers_at_start,
        "a churn rate needs customers at the start of the period",
    )?;
    let lost = non_negative("customers_lost", customers_lost)?;
    if lost > start {
        return Err(Error::param(
            "customers_lost",
            lost,
            format!("cannot exceed customers_at_start ({start})"),
        ));
    }
    lost.div(start)
}

/// Share of the customers at the start of a period still there at its end (new ones excluded).
///
/// # Formula
/// ```text
/// retention = (customers at end - new customers) / customers at start
/// ```
pub fn retention_rate<N: Number>(
    customers_at_start: N,
    customers_at_end: N,
    new_customers: N,
) -> Result<N> {
    let start = positive(
        "customers_at_start",
        customers_at_start,
        "a retention rate needs customers at the start of the period",
    )?;
    let end = non_negative("customers_at_end", customers_at_end)?;
    let new = non_negative("new_customers", new_customers)?;
    if new > end {
        return Err(Error::param(
            "new_customers",
            new,
            format!(
                "cannot exceed customers_at_end ({end}): new customers are part of the end count"
            ),
        ));
    }
    let kept = end.sub(new)?;
    if kept > start {
        return Err(Error::param(
            "customers_at_end",
            end,
            format!("less new_customers ({new}) it exceeds customers_at_start ({start}); check that new customers are counted"),
        ));
    }
    kept.div(start)
}

/// Expected customer lifetime under constant churn, in periods.
///
/// # Formula
/// ```text
/// expected lifetime = 1 / churn
/// ```
pub fn expected_lifetime<N: Number>(churn_rate: N) -> Result<N> {
    let c = finite("churn_rate", churn_rate)?;
    if c <= N::ZERO || c > N::ONE {
        return Err(Error::param(
            "churn_rate",
            c,
            "must be in (0, 1]; with no churn the expected lifetime is unbounded",
        ));
    }
    N::ONE.div(c)
}

/// How customers leave in [`project_customer_base`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Loss<N> {
    /// The same number of customers lost every period.
    Fixed(N),
    /// A share of the base at the start of each period lost during it.
    Rate(N),
}

/// The customer base at the end of each of `periods` periods.
///
/// # Formula
/// ```text
/// fixed loss:  base_k = base_{k-1} + new - lost
/// churn rate:  base_k = base_{k-1} x (1 - churn) + new        (base_0 = start)
/// ```
///
/// # Errors
/// A fixed loss larger than the base it is taken from (the base would go negative).
pub fn project_customer_base<N: Number>(
    new_per_period: N,
    loss: Loss<N>,
    periods: u64,
    start: N,
) -> Result<Vec<N>> {
    let new = non_negative("new_per_period", new_per_period)?;
    let start = non_negative("start", start)?;
    if periods > 1_000_000 {
        return Err(Error::param(
            "periods",
            periods,
            "must be at most 1,000,000",
        ));
    }
    let loss = match loss {
        Loss::Fixed(lost) => Loss::Fixed(non_negative("lost_per_period", lost)?),
        Loss::Rate(c) => Loss::Rate(fraction(
            "churn_rate",
            c,
            "the share of the base lost per period",
        )?),
    };
    let mut base = start;
    let mut out = Vec::with_capacity(usize::try_from(periods).unwrap_or(0));
    for k in 1..=periods {
        base = match loss {
            Loss::Fixed(lost) => {
                let next = base.add(new)?.sub(lost)?;
                if next < N::ZERO {
                    return Err(Error::param(
                        "lost_per_period",
                        lost,
                        format!("exceeds the customers available in period {k} ({}); the base cannot go negative", base.add(new)?),
                    ));
                }
                next
            }
            Loss::Rate(c) => base.mul(N::ONE.sub(c)?)?.add(new)?,
        };
        out.push(base);
    }
    Ok(out)
}
