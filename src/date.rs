//! Calendar dates and review intervals.
//!
//! The tool needs only whole days in UTC: review due dates, objective due
//! dates, `--as-of`. A few lines of civil-calendar arithmetic (Howard
//! Hinnant's algorithms) do that without a time-zone library.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Days since 1970-01-01.
    pub fn to_days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// The UTC date of a Unix timestamp.
    pub fn from_unix(secs: i64) -> Date {
        Date::from_days(secs.div_euclid(86_400))
    }

    /// Today in UTC, or `AIMS_TODAY` (YYYY-MM-DD) when set, so that runs in
    /// tests and reproducible reports do not depend on the clock.
    pub fn today() -> Date {
        if let Some(d) = std::env::var("AIMS_TODAY")
            .ok()
            .and_then(|s| s.parse().ok())
        {
            return d;
        }
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Date::from_unix(secs)
    }

    pub fn add_days(self, n: i64) -> Date {
        Date::from_days(self.to_days() + n)
    }

    /// Adds calendar months, clamping the day (Jan 31 + 1 month = Feb 28/29).
    pub fn add_months(self, n: i32) -> Date {
        let total = self.year * 12 + i32::from(self.month) - 1 + n;
        let year = total.div_euclid(12);
        let month = (total.rem_euclid(12) + 1) as u8;
        let day = self.day.min(days_in_month(year, month));
        Date { year, month, day }
    }

    pub fn plus(self, interval: Interval) -> Date {
        let n = interval.count as i32;
        match interval.unit {
            Unit::Days => self.add_days(i64::from(n)),
            Unit::Weeks => self.add_days(i64::from(n) * 7),
            Unit::Months => self.add_months(n),
            Unit::Years => self.add_months(n * 12),
        }
    }
}

/// A Unix time as `YYYY-MM-DD HH:MM UTC`.
pub fn format_time(secs: i64) -> String {
    let day = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    format!(
        "{} {:02}:{:02} UTC",
        Date::from_days(day),
        rest / 3600,
        rest % 3600 / 60
    )
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl FromStr for Date {
    type Err = String;

    fn from_str(s: &str) -> Result<Date, String> {
        let bad = || format!("`{s}` is not a date; write it as YYYY-MM-DD, e.g. 2026-05-31");
        let mut parts = s.trim().splitn(3, '-');
        let (y, m, d) = (parts.next(), parts.next(), parts.next());
        let (Some(y), Some(m), Some(d)) = (y, m, d) else {
            return Err(bad());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let y = y.parse().map_err(|_| bad())?;
        let m = m.parse().map_err(|_| bad())?;
        let d = d.parse().map_err(|_| bad())?;
        Date::new(y, m, d).ok_or_else(|| format!("`{s}` is not a day of the calendar"))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Days,
    Weeks,
    Months,
    Years,
}

/// A review interval such as `12 months`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    pub count: u32,
    pub unit: Unit,
}

impl FromStr for Interval {
    type Err = String;

    fn from_str(s: &str) -> Result<Interval, String> {
        let bad = || {
            format!(
                "`{s}` is not an interval; write a number and a unit, e.g. \"12 months\", \"90 days\", \"2 weeks\", \"1 year\""
            )
        };
        let mut words = s.split_whitespace();
        let (Some(n), Some(unit), None) = (words.next(), words.next(), words.next()) else {
            return Err(bad());
        };
        let count: u32 = n.parse().map_err(|_| bad())?;
        if count == 0 || count > 1000 {
            return Err(format!(
                "`{s}`: the interval must be between 1 and 1000 units"
            ));
        }
        let unit = match unit.to_ascii_lowercase().as_str() {
            "day" | "days" => Unit::Days,
            "week" | "weeks" => Unit::Weeks,
            "month" | "months" => Unit::Months,
            "year" | "years" => Unit::Years,
            _ => return Err(bad()),
        };
        Ok(Interval { count, unit })
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.unit {
            Unit::Days => "day",
            Unit::Weeks => "week",
            Unit::Months => "month",
            Unit::Years => "year",
        };
        let plural = if self.count == 1 { "" } else { "s" };
        write!(f, "{} {unit}{plural}", self.count)
    }
}

/// Dates serialise as `YYYY-MM-DD`, as they read.
impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl schemars::JsonSchema for Date {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Date".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "date",
            "description": "A calendar date, YYYY-MM-DD (UTC)."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_across_centuries() {
        for days in [-800_000_i64, -1, 0, 1, 11_016, 20_000, 2_932_896] {
            let d = Date::from_days(days);
            assert_eq!(d.to_days(), days, "{d}");
        }
        assert_eq!(Date::from_days(0).to_string(), "1970-01-01");
        assert_eq!("2000-02-29".parse::<Date>().unwrap().to_days(), 11_016);
    }

    #[test]
    fn parses_only_real_dates() {
        assert!("2026-02-29".parse::<Date>().is_err());
        assert!("2024-02-29".parse::<Date>().is_ok());
        assert!("2026-13-01".parse::<Date>().is_err());
        assert!("26-01-01".parse::<Date>().is_err());
        assert!("2026/01/01".parse::<Date>().is_err());
    }

    #[test]
    fn months_clamp_to_the_end_of_the_month() {
        let d: Date = "2026-01-31".parse().unwrap();
        assert_eq!(d.add_months(1).to_string(), "2026-02-28");
        assert_eq!(d.add_months(13).to_string(), "2027-02-28");
        assert_eq!(d.add_months(-2).to_string(), "2025-11-30");
        let i: Interval = "1 year".parse().unwrap();
        assert_eq!(
            "2024-02-29".parse::<Date>().unwrap().plus(i).to_string(),
            "2025-02-28"
        );
    }

    #[test]
    fn intervals() {
        assert_eq!(
            "12 months".parse::<Interval>().unwrap().to_string(),
            "12 months"
        );
        assert_eq!("1 Week".parse::<Interval>().unwrap().to_string(), "1 week");
        assert!("twelve months".parse::<Interval>().is_err());
        assert!("12".parse::<Interval>().is_err());
        assert!("0 days".parse::<Interval>().is_err());
        assert!("3 fortnights".parse::<Interval>().is_err());
    }
}
