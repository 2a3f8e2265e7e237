//! Working days in China and the one-working-day promise: the State Council's published
//! schedules (shipped in `holidays-cn/`), an override table editable by admins on top, office
//! hours, and the deadline every application gets when it is made.
#[cfg(feature = "ssr")]
pub mod store;

use crate::domain::Ymd;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

/// China uses one time zone, UTC+8, with no daylight saving.
pub const CHINA_OFFSET_SECS: i64 = 8 * 3600;

/// The shipped schedules, one file per year. An empty `days` list means "not published yet".
const SHIPPED: &[&str] = &[
    include_str!("holidays-cn/2024.json"),
    include_str!("holidays-cn/2025.json"),
    include_str!("holidays-cn/2026.json"),
    include_str!("holidays-cn/2027.json"),
];

#[derive(Deserialize)]
struct YearFile {
    year: i32,
    days: Vec<DayEntry>,
}

#[derive(Deserialize)]
struct DayEntry {
    date: String,
    #[serde(rename = "isOffDay")]
    is_off_day: bool,
}

/// Office hours as minutes after local midnight, `open < close`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OfficeHours {
    pub open: u32,
    pub close: u32,
}

impl Default for OfficeHours {
    fn default() -> Self {
        OfficeHours { open: 8 * 60 + 30, close: 17 * 60 + 30 }
    }
}

/// `08:30-17:30`, as the setting is written and read.
impl std::fmt::Display for OfficeHours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}-{:02}:{:02}", self.open / 60, self.open % 60, self.close / 60, self.close % 60)
    }
}

impl OfficeHours {
    /// Parses `08:30-17:30`.
    pub fn parse(s: &str) -> Option<OfficeHours> {
        let (a, b) = s.split_once('-')?;
        let minutes = |t: &str| -> Option<u32> {
            let (h, m) = t.trim().split_once(':')?;
            let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
            (h < 24 && m < 60).then_some(h * 60 + m)
        };
        let (open, close) = (minutes(a)?, minutes(b)?);
        (open < close).then_some(OfficeHours { open, close })
    }
}

/// When an application is due, and whether the calendar that decided it was only provisional.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline {
    /// Unix seconds (UTC).
    pub due_at: i64,
    pub provisional: bool,
}

#[derive(Clone, Debug)]
pub struct Calendar {
    /// Exceptions to the ordinary week: `true` = day off, `false` = working day (调休).
    exceptions: HashMap<Ymd, bool>,
    published: HashSet<i32>,
    pub hours: OfficeHours,
}

impl Calendar {
    /// The shipped schedules, without admin overrides.
    pub fn shipped(hours: OfficeHours) -> Calendar {
        let mut cal = Calendar { exceptions: HashMap::new(), published: HashSet::new(), hours };
        for text in SHIPPED {
            let file: YearFile = serde_json::from_str(text).expect("shipped holiday data is valid JSON");
            if file.days.is_empty() {
                continue;
            }
            cal.published.insert(file.year);
            for day in file.days {
                let date = Ymd::parse(&day.date).expect("shipped holiday data has valid dates");
                cal.exceptions.insert(date, day.is_off_day);
            }
        }
        cal
    }

    /// Applies an admin override: the day is off (`true`) or working (`false`). Marking a year
    /// published makes its weekends-and-fixed-holidays guess final.
    pub fn set_override(&mut self, date: Ymd, is_off_day: bool) {
        self.exceptions.insert(date, is_off_day);
    }

    pub fn mark_published(&mut self, year: i32) {
        self.published.insert(year);
    }

    pub fn is_provisional(&self, year: i32) -> bool {
        !self.published.contains(&year)
    }

    pub fn is_working_day(&self, date: Ymd) -> bool {
        if let Some(off) = self.exceptions.get(&date) {
            return !off;
        }
        if self.is_provisional(date.year()) && is_fixed_holiday(date) {
            return false;
        }
        date.weekday() <= 5
    }

    fn next_working_day_after(&self, date: Ymd) -> Ymd {
        let mut d = date.add_days(1);
        // Even the Spring Festival break is shorter than this; the bound only guards bad overrides.
        for _ in 0..60 {
            if self.is_working_day(d) {
                return d;
            }
            d = d.add_days(1);
        }
        d
    }

    /// The one-working-day deadline of something made at `made_at` (Unix seconds):
    /// during office hours on a working day → the same time on the next working day; before
    /// office hours on a working day → that day's close; after hours or on a day off → the close
    /// of the next working day.
    pub fn deadline(&self, made_at: i64) -> Deadline {
        let local = made_at + CHINA_OFFSET_SECS;
        let day = Ymd::from_days_since_epoch(local.div_euclid(86_400));
        let second_of_day = local.rem_euclid(86_400);
        let minute = (second_of_day / 60) as u32;
        let (open, close) = (self.hours.open as i64 * 60, self.hours.close as i64 * 60);
        let (due_day, due_second) = if self.is_working_day(day) && minute >= self.hours.open && minute < self.hours.close {
            (self.next_working_day_after(day), second_of_day.clamp(open, close))
        } else if self.is_working_day(day) && minute < self.hours.open {
            (day, close)
        } else {
            (self.next_working_day_after(day), close)
        };
        let provisional = (day.year()..=due_day.year()).any(|y| self.is_provisional(y));
        Deadline { due_at: due_day.days_since_epoch() * 86_400 + due_second - CHINA_OFFSET_SECS, provisional }
    }
}

impl Calendar {
    /// The deadline `days` working days after `made_at`: the one-working-day rule applied
    /// `days` times (so during office hours the same time of day, `days` working days later).
    /// Zero days is `made_at` itself.
    pub fn working_days_after(&self, made_at: i64, days: u32) -> Deadline {
        let mut due = Deadline { due_at: made_at, provisional: false };
        for _ in 0..days {
            let next = self.deadline(due.due_at);
            due = Deadline { due_at: next.due_at, provisional: due.provisional || next.provisional };
        }
        due
    }
}

impl Calendar {
    /// Working seconds (office hours on working days) from `from` to `to`; 0 if `to <= from`.
    pub fn working_secs_between(&self, from: i64, to: i64) -> i64 {
        if to <= from {
            return 0;
        }
        let mut total = 0;
        let mut day = local_date(from);
        let last = local_date(to);
        for _ in 0..400 {
            if self.is_working_day(day) {
                let open = local_to_unix(day, self.hours.open / 60, self.hours.open % 60);
                let close = local_to_unix(day, self.hours.close / 60, self.hours.close % 60);
                total += (close.min(to) - open.max(from)).max(0);
            }
            if day >= last {
                break;
            }
            day = day.add_days(1);
        }
        total
    }
}

/// The fixed-date holidays used for a year whose schedule is not yet published.
fn is_fixed_holiday(d: Ymd) -> bool {
    matches!((d.month(), d.day()), (1, 1) | (5, 1) | (10, 1) | (10, 2) | (10, 3))
}

/// Unix seconds of a local (UTC+8) date and time.
pub fn local_to_unix(date: Ymd, hour: u32, minute: u32) -> i64 {
    date.days_since_epoch() * 86_400 + (hour * 3600 + minute * 60) as i64 - CHINA_OFFSET_SECS
}

/// The local (UTC+8) date of a Unix time.
pub fn local_date(unix: i64) -> Ymd {
    Ymd::china_date_of_unix(unix)
}

/// `2026-11-30 17:30` in China time.
pub fn format_local(unix: i64) -> String {
    let local = unix + CHINA_OFFSET_SECS;
    let s = local.rem_euclid(86_400);
    format!("{} {:02}:{:02}", local_date(unix), s / 3600, (s % 3600) / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cal() -> Calendar {
        Calendar::shipped(OfficeHours::default())
    }
    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        local_to_unix(Ymd::new(y, m, d).unwrap(), h, min)
    }

    #[test]
    fn within_hours_due_same_time_next_working_day() {
        let dl = cal().deadline(at(2026, 11, 25, 10, 15)); // Wednesday
        assert_eq!(format_local(dl.due_at), "2026-11-26 10:15");
        assert!(!dl.provisional);
    }

    #[test]
    fn friday_afternoon_crosses_the_weekend() {
        assert_eq!(format_local(cal().deadline(at(2026, 11, 27, 16, 0)).due_at), "2026-11-30 16:00");
    }

    #[test]
    fn before_hours_due_at_close_same_day_after_hours_next_close() {
        assert_eq!(format_local(cal().deadline(at(2026, 11, 25, 7, 0)).due_at), "2026-11-25 17:30");
        assert_eq!(format_local(cal().deadline(at(2026, 11, 25, 17, 30)).due_at), "2026-11-26 17:30");
        assert_eq!(format_local(cal().deadline(at(2026, 11, 28, 12, 0)).due_at), "2026-11-30 17:30");
    }

    #[test]
    fn national_day_holiday_and_tiaoxiu_sunday() {
        // 2025-09-28 is a Sunday worked in exchange (调休); 10-01..10-08 are off.
        assert_eq!(format_local(cal().deadline(at(2025, 9, 26, 10, 0)).due_at), "2025-09-28 10:00");
        assert_eq!(format_local(cal().deadline(at(2025, 9, 30, 10, 0)).due_at), "2025-10-09 10:00");
        // 2025-10-11, a Saturday, is worked too.
        assert_eq!(format_local(cal().deadline(at(2025, 10, 10, 9, 0)).due_at), "2025-10-11 09:00");
    }

    #[test]
    fn unpublished_year_is_provisional_with_fixed_holidays() {
        let dl = cal().deadline(at(2027, 9, 30, 11, 0)); // Thursday; 10-01..03 fixed, 10-04 Monday
        assert_eq!(format_local(dl.due_at), "2027-10-04 11:00");
        assert!(dl.provisional);
        let dl = cal().deadline(at(2026, 12, 31, 18, 0)); // crosses into 2027
        assert_eq!(format_local(dl.due_at), "2027-01-04 17:30");
        assert!(dl.provisional);
    }

    #[test]
    fn overrides_win() {
        let mut c = cal();
        c.set_override(Ymd::new(2026, 11, 26).unwrap(), true);
        assert_eq!(format_local(c.deadline(at(2026, 11, 25, 10, 0)).due_at), "2026-11-27 10:00");
        c.set_override(Ymd::new(2026, 11, 28).unwrap(), false);
        assert_eq!(format_local(c.deadline(at(2026, 11, 27, 10, 0)).due_at), "2026-11-28 10:00");
    }

    #[test]
    fn several_working_days_skip_weekends_and_holidays() {
        let c = cal();
        // Wednesday 10:00 + 5 working days: Thursday, Friday, Monday, Tuesday, Wednesday.
        assert_eq!(format_local(c.working_days_after(at(2026, 11, 25, 10, 0), 5).due_at), "2026-12-02 10:00");
        assert_eq!(c.working_days_after(at(2026, 11, 25, 10, 0), 1), c.deadline(at(2026, 11, 25, 10, 0)));
        assert_eq!(c.working_days_after(at(2026, 11, 25, 10, 0), 0).due_at, at(2026, 11, 25, 10, 0));
        // Saturday: the close of Monday is the first day, then four more closes.
        assert_eq!(format_local(c.working_days_after(at(2026, 11, 28, 12, 0), 5).due_at), "2026-12-04 17:30");
        // Across the National Day break (10-01..10-08 off, 09-28 and 10-11 worked).
        assert_eq!(format_local(c.working_days_after(at(2025, 9, 29, 10, 0), 5).due_at), "2025-10-13 10:00");
    }

    #[test]
    fn working_seconds_skip_nights_weekends_and_holidays() {
        let c = cal();
        assert_eq!(c.working_secs_between(at(2026, 11, 25, 10, 0), at(2026, 11, 25, 12, 0)), 7200);
        assert_eq!(c.working_secs_between(at(2026, 11, 27, 17, 0), at(2026, 11, 30, 9, 0)), 3600, "Friday 17:00 → Monday 09:00");
        assert_eq!(c.working_secs_between(at(2025, 9, 30, 17, 0), at(2025, 10, 9, 8, 30)), 1800, "over the National Day break");
        assert_eq!(c.working_secs_between(at(2026, 11, 25, 12, 0), at(2026, 11, 25, 10, 0)), 0);
    }

    #[test]
    fn office_hours_parse() {
        assert_eq!(OfficeHours::parse("08:30-17:30"), Some(OfficeHours::default()));
        assert_eq!(OfficeHours::parse("18:00-08:00"), None);
        assert_eq!(OfficeHours::parse("bad"), None);
    }
}
