//! A civil date (year, month, day) with the arithmetic the validators and the working-day
//! calendar need, without a date library in the browser bundle.
use serde::{Deserialize, Serialize};
use std::fmt;

/// A real calendar date. The fields are private: every `Ymd` comes from [`Ymd::new`],
/// [`Ymd::parse`], day arithmetic or a deserialiser that runs the same check, so none holds a
/// day that does not exist (2026-02-30 is refused, not carried along).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "YmdParts")]
pub struct Ymd {
    y: i32,
    m: u32,
    d: u32,
}

/// The serialised shape of a [`Ymd`] (`{"y":2026,"m":11,"d":28}`), before its check.
#[derive(Deserialize)]
struct YmdParts {
    y: i32,
    m: u32,
    d: u32,
}

/// Why a deserialised date is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoSuchDate;

impl fmt::Display for NoSuchDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no such calendar date")
    }
}

impl std::error::Error for NoSuchDate {}

impl TryFrom<YmdParts> for Ymd {
    type Error = NoSuchDate;
    fn try_from(p: YmdParts) -> Result<Ymd, NoSuchDate> {
        Ymd::new(p.y, p.m, p.d).ok_or(NoSuchDate)
    }
}

impl Ymd {
    /// A real calendar date, or `None`.
    pub fn new(y: i32, m: u32, d: u32) -> Option<Ymd> {
        ((1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m)).then_some(Ymd { y, m, d })
    }

    pub fn year(self) -> i32 {
        self.y
    }

    /// 1 = January … 12 = December.
    pub fn month(self) -> u32 {
        self.m
    }

    /// The day of the month, from 1.
    pub fn day(self) -> u32 {
        self.d
    }

    /// Parses `YYYY-MM-DD` or `YYYYMMDD`.
    pub fn parse(s: &str) -> Option<Ymd> {
        let digits: String = s.chars().filter(|c| *c != '-').collect();
        if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Ymd::new(digits[..4].parse().ok()?, digits[4..6].parse().ok()?, digits[6..].parse().ok()?)
    }

    /// Days since 1970-01-01 (negative before), after H. Hinnant's `days_from_civil`.
    pub fn days_since_epoch(self) -> i64 {
        let y = if self.m <= 2 { self.y - 1 } else { self.y } as i64;
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let m = self.m as i64;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + self.d as i64 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    pub fn from_days_since_epoch(z: i64) -> Ymd {
        let z = z + 719_468;
        let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let y = (yoe + era * 400 + if m <= 2 { 1 } else { 0 }) as i32;
        Ymd { y, m, d }
    }

    pub fn add_days(self, n: i64) -> Ymd {
        Ymd::from_days_since_epoch(self.days_since_epoch() + n)
    }

    /// ISO weekday: Monday = 1 … Sunday = 7.
    pub fn weekday(self) -> u32 {
        // 1970-01-01 was a Thursday (4).
        ((self.days_since_epoch().rem_euclid(7) + 3) % 7 + 1) as u32
    }

    /// The date in China (UTC+8, no daylight saving) at a Unix time.
    pub fn china_date_of_unix(secs: i64) -> Ymd {
        Ymd::from_days_since_epoch((secs + 8 * 3600).div_euclid(86_400))
    }

    /// Whole years from `self` (a birth date) to `on`.
    pub fn years_until(self, on: Ymd) -> i32 {
        let mut years = on.y - self.y;
        if (on.m, on.d) < (self.m, self.d) {
            years -= 1;
        }
        years
    }
}

impl fmt::Display for Ymd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.y, self.m, self.d)
    }
}

pub fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_weekdays() {
        assert_eq!(Ymd::new(2026, 11, 28).unwrap().weekday(), 6); // a Saturday
        assert_eq!(Ymd::new(1970, 1, 1).unwrap().weekday(), 4);
        assert_eq!(Ymd::new(2000, 2, 29).unwrap().weekday(), 2);
    }

    #[test]
    fn rejects_impossible_dates() {
        assert!(Ymd::new(2023, 2, 29).is_none());
        assert!(Ymd::new(2024, 2, 29).is_some());
        assert!(Ymd::new(1900, 2, 29).is_none());
        assert!(Ymd::parse("2026-13-01").is_none());
        assert_eq!(Ymd::parse("20261128"), Ymd::new(2026, 11, 28));
    }

    #[test]
    fn age_counts_whole_years() {
        let birth = Ymd::new(2010, 11, 29).unwrap();
        assert_eq!(birth.years_until(Ymd::new(2026, 11, 28).unwrap()), 15);
        assert_eq!(birth.years_until(Ymd::new(2026, 11, 29).unwrap()), 16);
    }

    #[test]
    fn deserialising_checks_the_date() {
        let d: Ymd = serde_json::from_str(r#"{"y":2024,"m":2,"d":29}"#).unwrap();
        assert_eq!(d, Ymd::new(2024, 2, 29).unwrap());
        assert_eq!(serde_json::to_string(&d).unwrap(), r#"{"y":2024,"m":2,"d":29}"#);
        for bad in [
            r#"{"y":2026,"m":2,"d":30}"#,
            r#"{"y":2023,"m":2,"d":29}"#,
            r#"{"y":2026,"m":13,"d":1}"#,
            r#"{"y":2026,"m":0,"d":1}"#,
            r#"{"y":2026,"m":4,"d":0}"#,
            r#"{"y":2026,"m":4,"d":31}"#,
        ] {
            assert!(serde_json::from_str::<Ymd>(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn display_parses_back(n in -600_000i64..2_900_000) {
            // Years 0000..=9999, the range `YYYY-MM-DD` spells.
            let d = Ymd::from_days_since_epoch(n);
            prop_assume!((0..=9999).contains(&d.year()));
            prop_assert_eq!(Ymd::parse(&d.to_string()), Some(d));
            prop_assert_eq!(Ymd::new(d.year(), d.month(), d.day()), Some(d));
        }

        #[test]
        fn serde_round_trips(n in -1_000_000i64..3_000_000) {
            let d = Ymd::from_days_since_epoch(n);
            let json = serde_json::to_string(&d).unwrap();
            prop_assert_eq!(serde_json::from_str::<Ymd>(&json).unwrap(), d);
        }

        #[test]
        fn deserialising_agrees_with_new(y in -10i32..10_000, m in 0u32..14, d in 0u32..33) {
            let json = format!(r#"{{"y":{y},"m":{m},"d":{d}}}"#);
            prop_assert_eq!(serde_json::from_str::<Ymd>(&json).ok(), Ymd::new(y, m, d));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,12}") {
            if let Some(d) = Ymd::parse(&s) {
                prop_assert_eq!(Ymd::parse(&d.to_string()), Some(d));
            }
        }

        #[test]
        fn day_numbers_round_trip(n in -100_000i64..100_000) {
            let d = Ymd::from_days_since_epoch(n);
            prop_assert!(Ymd::new(d.year(), d.month(), d.day()).is_some());
            prop_assert_eq!(d.days_since_epoch(), n);
            prop_assert_eq!(d.add_days(1).weekday() % 7, (d.weekday() + 1) % 7);
        }
    }
}
