//! Acquisition-channel economics: per channel, what a customer costs, what it is worth, how
//! long it takes to pay back, and whether the channel loses money.

use crate::error::{Error, Position, Result};
use crate::number::Number;
use crate::period::Period;
use crate::unit_economics as ue;

/// What a channel's customers are worth: a given LTV, or the parts of a simple LTV.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ChannelValue<N> {
    /// A revenue LTV per customer; with a lifespan (in periods) the payback can be computed.
    Ltv { ltv: N, lifespan: Option<N> },
    /// AOV x frequency (per period) x lifespan (in periods).
    Components {
        average_order_value: N,
        frequency: N,
        lifespan: N,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChannelInput<N> {
    pub channel: String,
    pub spend: N,
    pub new_customers: N,
    pub value: ChannelValue<N>,
    /// Share of revenue kept; 1 when not given.
    pub gross_margin: Option<N>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChannelOutcome<N> {
    pub channel: String,
    pub spend: N,
    pub new_customers: N,
    pub cac: N,
    /// Gross-margin LTV per customer: revenue LTV x gross margin.
    pub ltv: N,
    /// `ltv / cac`; `None` when the channel cost nothing (the ratio is unbounded).
    pub ltv_cac: Option<N>,
    /// Periods of margin to earn back the CAC; `None` when the lifespan is unknown or the
    /// channel's customers bring no margin.
    pub payback_periods: Option<N>,
    pub profit_per_customer: N,
    pub total_profit: N,
    pub loses_money: bool,
}

fn channel_row<N: Number>(row: &ChannelInput<N>) -> Result<ChannelOutcome<N>> {
    let cac = ue::cac(row.spend, row.new_customers)?;
    let gm = row.gross_margin.unwrap_or(N::ONE);
    let (revenue_ltv, margin_per_period) = match row.value {
        ChannelValue::Ltv { ltv, lifespan } => {
            let ltv = ue::historical_ltv(ltv, N::ONE)
                .map_err(|_| Error::param("ltv", ltv, "must be a finite number"))?;
            let per_period = match lifespan {
                Some(l) if l > N::ZERO => Some(ltv.div(l)?),
                Some(l) if l < N::ZERO || !l.is_finite() => {
                    return Err(Error::param("lifespan", l, "must be zero or positive"))
                }
                _ => None,
            };
            (ltv, per_period)
        }
        ChannelValue::Components {
            average_order_value,
            frequency,
            lifespan,
        } => {
            let ltv = ue::simple_ltv(
                average_order_value,
                frequency,
                lifespan,
                Period::Year,
                Period::Year,
            )?;
            (
                ltv,
                Some(ue::customer_value(average_order_value, frequency)?),
            )
        }
    };
    if !(gm.is_finite() && gm >= N::ZERO && gm <= N::ONE) {
        return Err(Error::param(
            "gross_margin",
            gm,
            "must be between 0 and 1 (e.g. 0.8 for 80%)",
        ));
    }
    let ltv = revenue_ltv.mul(gm)?;
    let ltv_cac = if cac > N::ZERO {
        Some(ltv.div(cac)?)
    } else {
        None
    };
    let payback_periods = match margin_per_period {
        Some(m) => {
            let m = m.mul(gm)?;
            if m > N::ZERO {
                Some(cac.div(m)?)
            } else {
                None
            }
        }
        None => None,
    };
    let profit = ltv.sub(cac)?;
    Ok(ChannelOutcome {
        channel: row.channel.clone(),
        spend: row.spend,
        new_customers: row.new_customers,
        cac,
        ltv,
        ltv_cac,
        payback_periods,
        profit_per_customer: profit,
        total_profit: profit.mul(row.new_customers)?,
        loses_money: profit < N::ZERO,
    })
}

/// The economics of every channel; the first bad row fails the call, named by its index.
///
/// # Formula
/// ```text
/// CAC = spend / new customers
/// LTV = revenue LTV x gross margin            (revenue LTV = AOV x frequency x lifespan, or given)
/// LTV:CAC = LTV / CAC
/// payback = CAC / (margin per period)         (AOV x frequency x gross margin, or LTV / lifespan)
/// profit per customer = LTV - CAC;  loses money when it is negative
/// ```
pub fn channel_economics<N: Number>(rows: &[ChannelInput<N>]) -> Result<Vec<ChannelOutcome<N>>> {
    rows.iter()
        .enumerate()
        .map(|(i, row)| channel_row(row).map_err(|e| e.at(Position::Row(i))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(channel: &str, spend: f64, n: f64, value: ChannelValue<f64>) -> ChannelInput<f64> {
        ChannelInput {
            channel: channel.into(),
            spend,
            new_customers: n,
            value,
            gross_margin: None,
        }
    }

    #[test]
    fn one_time_buyer_below_cac_loses_money() {
        // Hand calculation: a 500 product bought once, 55,000 spent for 100 customers:
        // CAC = 550, profit = 500 - 550 = -50 per customer, -5,000 in all.
        let out = channel_economics(&[row(
            "search",
            55_000.0,
            100.0,
            ChannelValue::Ltv {
                ltv: 500.0,
                lifespan: None,
            },
        )]);
        let out = out.unwrap_or_default();
        assert_eq!(out[0].cac, 550.0);
        assert_eq!(out[0].profit_per_customer, -50.0);
        assert_eq!(out[0].total_profit, -5_000.0);
        assert!(out[0].loses_money);
        assert_eq!(out[0].payback_periods, None);
    }

    #[test]
    fn components_give_ltv_and_payback() {
        // AOV 50 x 4 a year x 3 years = 600; margin 0.5 -> 300; CAC 100; payback 100/(200*0.5) = 1.
        let mut r = row(
            "email",
            1_000.0,
            10.0,
            ChannelValue::Components {
                average_order_value: 50.0,
                frequency: 4.0,
                lifespan: 3.0,
            },
        );
        r.gross_margin = Some(0.5);
        let out = channel_economics(&[r]).unwrap_or_default();
        assert_eq!(out[0].ltv, 300.0);
        assert_eq!(out[0].ltv_cac, Some(3.0));
        assert_eq!(out[0].payback_periods, Some(1.0));
        assert!(!out[0].loses_money);
    }

    #[test]
    fn bad_row_is_named() {
        let rows = [
            row(
                "a",
                10.0,
                1.0,
                ChannelValue::Ltv {
                    ltv: 5.0,
                    lifespan: None,
                },
            ),
            row(
                "b",
                10.0,
                0.0,
                ChannelValue::Ltv {
                    ltv: 5.0,
                    lifespan: None,
                },
            ),
        ];
        let err = channel_economics(&rows)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("new_customers in row 1"), "{err}");
    }
}
