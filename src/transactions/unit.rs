//! The time unit of a summary: which purchases count as one (those in the same period) and what
//! durations are measured in.

use crate::error::{Error, Result};
use chrono::{Datelike, NaiveDate};
use std::fmt;
use std::str::FromStr;

/// Days from 0001-01-01 (chrono's "common era" day 1) to 1970-01-01.
const UNIX_EPOCH_FROM_CE: i32 = 719_163;

/// The period of a transaction-log summary.
///
/// # Formula
/// ```text
/// Days(n): period = the calendar day;              duration = (day_b - day_a) / n
/// Weeks:   period = the week Monday..Sunday;       duration = week_b - week_a
/// Months:  period = the calendar month;            duration = month_b - month_a
/// ```
/// `Days(1)` is lifetimes' `freq="D"`, `Days(7)` is `freq="D", freq_multiplier=7` (the "weeks"
/// of Fader, Hardie & Lee 2005, which are days / 7), `Weeks` is pandas' `W` (= `W-SUN`: weeks
/// ending on Sunday), `Months` is the calendar month (lifetimes cannot divide by a month).
///
/// # References
/// lifetimes 0.11.3, `lifetimes.utils.summary_data_from_transaction_data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeUnit {
    /// One purchase per day at most; durations in units of `n` days (`n >= 1`).
    Days(u32),
    /// One purchase per Monday-to-Sunday week at most; durations in whole weeks.
    Weeks,
    /// One purchase per calendar month at most; durations in whole months.
    Months,
}

impl TimeUnit {
    /// The period index of a day (days since 1970-01-01): consecutive periods have consecutive
    /// indices.
    pub fn period(self, day: i32) -> i64 {
        match self {
            TimeUnit::Days(_) => i64::from(day),
            // 1970-01-01 is a Thursday; the Monday before it (1969-12-29) starts week 0.
            TimeUnit::Weeks => i64::from(day + 3).div_euclid(7),
            TimeUnit::Months => {
                let (y, m) = year_month(day);
                i64::from(y) * 12 + i64::from(m) - 1
            }
        }
    }

    /// The first day (days since 1970-01-01) of a period index.
    pub fn start(self, period: i64) -> i64 {
        match self {
            TimeUnit::Days(_) => period,
            TimeUnit::Weeks => period * 7 - 3,
            TimeUnit::Months => {
                let y = period.div_euclid(12);
                let m = period.rem_euclid(12) + 1;
                i32::try_from(y)
                    .ok()
                    .and_then(|y| NaiveDate::from_ymd_opt(y, m as u32, 1))
                    .map_or(0, |d| i64::from(d.num_days_from_ce() - UNIX_EPOCH_FROM_CE))
            }
        }
    }

    /// The last day of the period that contains `day`.
    pub fn period_last_day(self, day: i32) -> i32 {
        let next = self.start(self.period(day) + 1) - 1;
        i32::try_from(next).unwrap_or(day)
    }

    /// The time from period `from` to period `to`, in this unit.
    pub fn span(self, from: i64, to: i64) -> f64 {
        let d = (to - from) as f64;
        match self {
            // lifetimes: timedelta / np.timedelta64(1, "D") / freq_multiplier
            TimeUnit::Days(n) => d / f64::from(n),
            TimeUnit::Weeks | TimeUnit::Months => d,
        }
    }

    /// The name used in results' metadata: `"D"`, `"7D"`, `"W"`, `"M"`.
    pub fn name(self) -> String {
        match self {
            TimeUnit::Days(1) => "D".to_owned(),
            TimeUnit::Days(n) => format!("{n}D"),
            TimeUnit::Weeks => "W".to_owned(),
            TimeUnit::Months => "M".to_owned(),
        }
    }
}

impl fmt::Display for TimeUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl FromStr for TimeUnit {
    type Err = Error;

    /// `"D"`/`"day"`, `"W"`/`"week"`, `"M"`/`"month"` (case-insensitive) or `"<n>D"` for days
    /// measured in units of `n` days.
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim().to_ascii_lowercase();
        let bad = || {
            Error::param(
                "period",
                format!("{s:?}"),
                "use \"D\" (days), \"W\" (Monday-Sunday weeks), \"M\" (calendar months) or \
                 \"<n>D\" (days, durations in units of n days, e.g. \"7D\")",
            )
        };
        match t.as_str() {
            "d" | "day" | "days" => Ok(TimeUnit::Days(1)),
            "w" | "week" | "weeks" | "w-sun" => Ok(TimeUnit::Weeks),
            "m" | "month" | "months" | "ms" => Ok(TimeUnit::Months),
            _ => {
                let digits = t.strip_suffix('d').ok_or_else(bad)?;
                match digits.parse::<u32>() {
                    Ok(n) if n >= 1 => Ok(TimeUnit::Days(n)),
                    _ => Err(bad()),
                }
            }
        }
    }
}

/// Days since 1970-01-01 to (year, month 1..=12).
pub fn year_month(day: i32) -> (i32, u32) {
    NaiveDate::from_num_days_from_ce_opt(day.saturating_add(UNIX_EPOCH_FROM_CE))
        .map_or((1970, 1), |d| (d.year(), d.month()))
}

/// A date to days since 1970-01-01.
pub fn days_from_date(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - UNIX_EPOCH_FROM_CE
}

/// Days since 1970-01-01 to a date (None outside chrono's range).
pub fn date_from_days(day: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(day.checked_add(UNIX_EPOCH_FROM_CE)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> i32 {
        days_from_date(NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default())
    }

    #[test]
    fn weeks_run_monday_to_sunday() {
        // 1997-01-05 is a Sunday, 1997-01-06 a Monday (a calendar lookup).
        let w = TimeUnit::Weeks;
        assert_eq!(w.period(day(1997, 1, 5)), w.period(day(1996, 12, 30)));
        assert_eq!(w.period(day(1997, 1, 6)), w.period(day(1997, 1, 5)) + 1);
        assert_eq!(
            w.start(w.period(day(1997, 1, 8))),
            i64::from(day(1997, 1, 6))
        );
        assert_eq!(w.period(0), 0);
        assert_eq!(w.period(-4), -1);
    }

    #[test]
    fn months_are_calendar_months() {
        let m = TimeUnit::Months;
        assert_eq!(m.period(day(1997, 1, 31)), m.period(day(1997, 1, 1)));
        assert_eq!(m.period(day(1998, 2, 1)) - m.period(day(1997, 1, 31)), 13);
        assert_eq!(
            m.start(m.period(day(1997, 3, 17))),
            i64::from(day(1997, 3, 1))
        );
        assert_eq!(m.period(day(1969, 12, 31)), 1969 * 12 + 11);
        assert_eq!(m.period_last_day(day(2020, 2, 3)), day(2020, 2, 29));
        // 1997-09-30 is a Tuesday; its week ends on Sunday 1997-10-05
        assert_eq!(
            TimeUnit::Weeks.period_last_day(day(1997, 9, 30)),
            day(1997, 10, 5)
        );
        assert_eq!(
            TimeUnit::Days(7).period_last_day(day(1997, 9, 30)),
            day(1997, 9, 30)
        );
    }

    #[test]
    fn days_scale_by_n() {
        assert_eq!(TimeUnit::Days(7).span(0, 272), 272.0 / 7.0);
        assert_eq!(TimeUnit::Days(1).span(3, 10), 7.0);
    }

    #[test]
    fn parses_codes() {
        assert_eq!("D".parse::<TimeUnit>().ok(), Some(TimeUnit::Days(1)));
        assert_eq!("7D".parse::<TimeUnit>().ok(), Some(TimeUnit::Days(7)));
        assert_eq!("w".parse::<TimeUnit>().ok(), Some(TimeUnit::Weeks));
        assert_eq!("month".parse::<TimeUnit>().ok(), Some(TimeUnit::Months));
        assert!("0D".parse::<TimeUnit>().is_err());
        assert!("Q".parse::<TimeUnit>().is_err());
        assert_eq!(TimeUnit::Days(7).name(), "7D");
    }
}
