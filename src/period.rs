//! Calendar units for rates and durations. Unit-economics formulas convert between them with
//! the conventions below, so that a frequency per month is never multiplied by a lifespan in years.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A planning period for rates (purchases per period) and durations (lifespan in periods).
///
/// # Conventions
/// ```text
/// 1 year = 4 quarters = 12 months = 52 weeks
/// ```
/// A 52-week year is the usual retail planning convention (364 days); use months or quarters
/// where a calendar year matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Year,
    Quarter,
    Month,
    Week,
}

impl Period {
    pub const ALL: [Period; 4] = [Period::Year, Period::Quarter, Period::Month, Period::Week];

    /// How many of these periods make one year.
    pub fn per_year(self) -> u64 {
        match self {
            Period::Year => 1,
            Period::Quarter => 4,
            Period::Month => 12,
            Period::Week => 52,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Period::Year => "year",
            Period::Quarter => "quarter",
            Period::Month => "month",
            Period::Week => "week",
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Period {
    type Err = Error;

    /// Accepts the names, their plurals, and the pandas-style codes `Y`, `Q`, `M`, `W`
    /// (case-insensitive, surrounding blanks ignored).
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "year" | "years" | "y" | "yearly" | "annual" | "a" => Ok(Period::Year),
            "quarter" | "quarters" | "q" | "quarterly" => Ok(Period::Quarter),
            "month" | "months" | "m" | "monthly" => Ok(Period::Month),
            "week" | "weeks" | "w" | "weekly" => Ok(Period::Week),
            _ => Err(Error::param(
                "period",
                format!("{s:?}"),
                "is not a period; use \"year\", \"quarter\", \"month\" or \"week\"",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_plurals_and_codes() {
        for (text, p) in [
            ("year", Period::Year),
            ("Years", Period::Year),
            ("Q", Period::Quarter),
            (" month ", Period::Month),
            ("W", Period::Week),
        ] {
            assert_eq!(text.parse::<Period>().ok(), Some(p));
        }
        assert!("fortnight".parse::<Period>().is_err());
    }
}
