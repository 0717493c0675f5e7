//! A customer's value by source: initial purchase, upsell, renewal, cross-sell, expansion,
//! referral and lock-in, with referral credit from referred customers.

use super::ingest::{Keys, Log, NO_LINK};
use super::Report;
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::str::FromStr;

/// The seven sources of a customer's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    Initial,
    Upsell,
    Renewal,
    CrossSell,
    Expansion,
    Referral,
    LockIn,
}

impl ValueType {
    pub const ALL: [ValueType; 7] = [
        ValueType::Initial,
        ValueType::Upsell,
        ValueType::Renewal,
        ValueType::CrossSell,
        ValueType::Expansion,
        ValueType::Referral,
        ValueType::LockIn,
    ];

    /// The column name of the type in results.
    pub fn name(self) -> &'static str {
        match self {
            ValueType::Initial => "initial",
            ValueType::Upsell => "upsell",
            ValueType::Renewal => "renewal",
            ValueType::CrossSell => "cross_sell",
            ValueType::Expansion => "expansion",
            ValueType::Referral => "referral",
            ValueType::LockIn => "lock_in",
        }
    }
}

impl FromStr for ValueType {
    type Err = Error;

    /// The names above (case-insensitive, `-` or blank for `_`) and the aliases
    /// `initial_purchase`, `acquisition`, `upgrade`, `up_sell`, `crosssell`, `switching_cost`.
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Ok(match t.as_str() {
            "initial" | "initial_purchase" | "acquisition" => ValueType::Initial,
            "upsell" | "up_sell" | "upgrade" => ValueType::Upsell,
            "renewal" => ValueType::Renewal,
            "cross_sell" | "crosssell" => ValueType::CrossSell,
            "expansion" => ValueType::Expansion,
            "referral" => ValueType::Referral,
            "lock_in" | "lockin" | "switching_cost" => ValueType::LockIn,
            _ => {
                return Err(Error::param(
                    "value_type",
                    format!("{s:?}"),
                    "is not a value type; use initial, upsell (upgrade), renewal, cross_sell, \
                     expansion, referral or lock_in",
                ))
            }
        })
    }
}

/// Value per customer and source.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueBreakdown {
    pub keys: Keys,
    /// `by_type[t][i]`: customer i's own amounts of type `ValueType::ALL[t]`.
    pub by_type: Vec<Vec<f64>>,
    /// Credit from the customers this one referred (share x their own value).
    pub referral_credit: Vec<f64>,
    /// Own value plus referral credit.
    pub total: Vec<f64>,
    /// Own value per type over all customers (revenue, no credit).
    pub type_totals: Vec<f64>,
    /// (cross-sell + upsell) / revenue; None without revenue.
    pub cross_sell_upsell_share: Option<f64>,
    /// Referrals naming a customer who is not in the log (their credit is not assigned).
    pub referrals_unmatched: u64,
}

/// The value of each customer by source, with referral credit.
///
/// # Formula
/// ```text
/// own_c(type)      = sum of c's amounts of that type (refunds netted)
/// credit_c         = share x sum over customers d referred by c of sum_type own_d(type)
/// referral column  = own_c(referral) + credit_c
/// total_c          = sum_type own_c(type) + credit_c
/// cross-sell/upsell share = sum_c (own_c(cross_sell) + own_c(upsell)) / sum_c sum_type own_c
/// ```
/// A customer's referrer is the first non-null value of the link column on their rows (in
/// date order). Totals over customers count credited value twice (at the referred customer and
/// at the referrer); the revenue per type is in `type_totals`.
///
/// # Errors
/// [`Error::InvalidRow`] for a value type that is not one of the seven (the first row with it);
/// [`Error::InvalidParameter`] for a share outside [0, 1].
///
/// # References
/// Kumar (2008), *Managing Customers for Profit*, and Kumar, Petersen & Leone (2007), "How
/// valuable is word of mouth?", HBR 85(10) (customer referral value).
pub fn value_breakdown(
    log: &Log,
    value_column: &str,
    referral_share: f64,
) -> Result<(ValueBreakdown, Report)> {
    if !(0.0..=1.0).contains(&referral_share) {
        return Err(Error::param(
            "referral_share",
            referral_share,
            "must be between 0 and 1 (the fraction of a referred customer's value credited)",
        ));
    }
    let types: Vec<ValueType> = log
        .tags
        .iter()
        .enumerate()
        .map(|(i, t)| {
            t.parse::<ValueType>().map_err(|_| Error::InvalidRow {
                column: value_column.to_owned(),
                row: log.tag_rows.get(i).copied().unwrap_or(0),
                value: format!("{t:?}"),
                problem: "not a value type; use initial, upsell (upgrade), renewal, cross_sell, \
                          expansion, referral or lock_in"
                    .to_owned(),
            })
        })
        .collect::<Result<_>>()?;
    let mut report = log.report.clone();
    report.observation_end = log.max_day().and_then(super::unit::date_from_days);
    let n = log.keys.len();
    let mut by_type = vec![vec![0.0; n]; ValueType::ALL.len()];
    let mut referrer: Vec<u32> = vec![NO_LINK; n];
    for r in &log.rows {
        let c = r.customer as usize;
        let t = types.get(r.tag as usize).map_or(0, |t| {
            ValueType::ALL.iter().position(|a| a == t).unwrap_or(0)
        });
        by_type[t][c] += r.amount;
        if r.amount < 0.0 {
            report.refund_rows_netted += 1;
        }
        report.rows_used += 1;
        if referrer[c] == NO_LINK && r.link != NO_LINK {
            referrer[c] = r.link;
        }
    }
    // referrer names -> customer indices
    let index: HashMap<&str, usize> = match &log.keys {
        Keys::Str(v) => v.iter().enumerate().map(|(i, k)| (k.as_ref(), i)).collect(),
        Keys::Int(_) => HashMap::new(),
    };
    let find = |name: &str| -> Option<usize> {
        match &log.keys {
            Keys::Str(_) => index.get(name).copied(),
            Keys::Int(v) => {
                let x: f64 = name.trim().parse().ok()?;
                if x.fract() != 0.0 {
                    return None;
                }
                v.binary_search(&(x as i64)).ok()
            }
        }
    };
    let own: Vec<f64> = (0..n).map(|c| by_type.iter().map(|t| t[c]).sum()).collect();
    let mut credit = vec![0.0; n];
    let mut unmatched = 0u64;
    for c in 0..n {
        if referrer[c] == NO_LINK {
            continue;
        }
        let name = log
            .links
            .get(referrer[c] as usize)
            .map_or("", |s| s.as_ref());
        match find(name) {
            Some(r) => credit[r] += referral_share * own[c],
            None => unmatched += 1,
        }
    }
    let type_totals: Vec<f64> = by_type.iter().map(|t| t.iter().sum()).collect();
    let revenue: f64 = type_totals.iter().sum();
    let cs = type_totals[1] + type_totals[3];
    let total = (0..n).map(|c| own[c] + credit[c]).collect();
    Ok((
        ValueBreakdown {
            keys: log.keys.clone(),
            by_type,
            referral_credit: credit,
            total,
            type_totals,
            cross_sell_upsell_share: (revenue != 0.0).then(|| cs / revenue),
            referrals_unmatched: unmatched,
        },
        report,
    ))
}

impl ValueBreakdown {
    /// The customer column, one column per type (the `referral` column includes the credit),
    /// `referral_credit` and `total`.
    ///
    /// # Errors
    /// See [`super::record_batch`].
    pub fn to_record_batch(&self, customer_column: &str) -> Result<arrow_array::RecordBatch> {
        let mut cols = vec![(customer_column.to_owned(), super::keys_array(&self.keys))];
        for (t, v) in ValueType::ALL.iter().zip(&self.by_type) {
            let v: Vec<f64> = if *t == ValueType::Referral {
                v.iter()
                    .zip(&self.referral_credit)
                    .map(|(a, b)| a + b)
                    .collect()
            } else {
                v.clone()
            };
            cols.push((t.name().to_owned(), super::f64_array(&v)));
        }
        cols.push((
            "referral_credit".to_owned(),
            super::f64_array(&self.referral_credit),
        ));
        cols.push(("total".to_owned(), super::f64_array(&self.total)));
        super::record_batch(cols)
    }

    /// Revenue per type, the cross-sell/upsell share and the unmatched referrals, as JSON.
    pub fn summary_json(&self) -> serde_json::Value {
        let totals: serde_json::Map<String, serde_json::Value> = ValueType::ALL
            .iter()
            .zip(&self.type_totals)
            .map(|(t, v)| (t.name().to_owned(), serde_json::json!(v)))
            .collect();
        serde_json::json!({
            "revenue_by_type": totals,
            "revenue": self.type_totals.iter().sum::<f64>(),
            "cross_sell_upsell_share": self.cross_sell_upsell_share,
            "referrals_unmatched": self.referrals_unmatched,
        })
    }
}
