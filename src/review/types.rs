//! Review values the pages render.
use crate::i18n::{Lang, T};
pub use crate::join::ApplicationStatus;
use serde::{Deserialize, Serialize};

/// Seconds a decision can be undone; its SMS waits this long in the outbox.
pub const UNDO_SECS: i64 = 10;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueueFilter {
    /// A union inside the admin's subtree (its id), or empty for all of it.
    pub org: String,
    /// pending (default), approved, rejected, returned, or all.
    pub status: String,
    pub channel: String,
    /// yyyy-mm-dd, submitted on or after / before.
    pub from: String,
    pub to: String,
    /// `1`: only overdue.
    pub overdue: String,
    /// A whole name, mobile number or ID number (never a part of one).
    pub q: String,
    /// Set after a decision: the application just decided (for the undo banner).
    pub done: String,
    pub page: String,
}

/// Which statuses the queue shows: one (pending by default), or all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFilter {
    Only(ApplicationStatus),
    All,
}

impl StatusFilter {
    /// The filter's `status` parameter as typed; anything unknown is the default (pending).
    pub fn parse(s: &str) -> StatusFilter {
        match s {
            "all" => StatusFilter::All,
            other => StatusFilter::Only(ApplicationStatus::parse(other).unwrap_or_default()),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            StatusFilter::All => "all",
            StatusFilter::Only(s) => s.as_str(),
        }
    }
    pub fn label(self) -> T {
        match self {
            StatusFilter::All => T::AllStatuses,
            StatusFilter::Only(s) => s.label(),
        }
    }
    pub const CHOICES: [StatusFilter; 5] = [
        StatusFilter::Only(ApplicationStatus::Pending),
        StatusFilter::Only(ApplicationStatus::Approved),
        StatusFilter::Only(ApplicationStatus::Rejected),
        StatusFilter::Only(ApplicationStatus::Returned),
        StatusFilter::All,
    ];
}

impl QueueFilter {
    pub fn status(&self) -> StatusFilter {
        StatusFilter::parse(&self.status)
    }
}

/// One application as the queue shows it: masked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueItem {
    pub id: i64,
    pub name_masked: String,
    pub id_masked: String,
    pub phone_masked: String,
    pub status: ApplicationStatus,
    pub org_name: String,
    pub in_pool: bool,
    pub channel: Option<String>,
    pub submitted_at: String,
    pub due_at: String,
    /// Seconds left until the deadline (negative: overdue).
    pub secs_left: i64,
    /// The highest escalation (督办) level reached, if any.
    pub escalation: Option<i64>,
}

/// The time to a deadline in the reader's language: "剩余 23 小时 59 分" / "23 h 59 min left",
/// "逾期 1 小时 5 分" / "overdue 1 h 5 min" (whole minutes, rounded down).
pub fn time_left(secs: i64, lang: Lang) -> String {
    let s = secs.unsigned_abs();
    let (h, m) = (s / 3600, (s % 3600) / 60);
    let (hours, minutes) = (T::Hours.get(lang), T::Minutes.get(lang));
    let span = if h > 0 { format!("{h} {hours} {m} {minutes}") } else { format!("{m} {minutes}") };
    let pattern = if secs < 0 { T::TimeOverdue } else { T::TimeLeft };
    pattern.fill(lang, &[&span])
}

pub use crate::org::OrgChoice;

/// The queue page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueView {
    pub admin: crate::admin::AdminInfo,
    pub filter: QueueFilter,
    pub items: Vec<QueueItem>,
    pub total: i64,
    pub orgs: Vec<OrgChoice>,
    /// The join channels of the subtree, for the filter.
    pub channels: Vec<(i64, String)>,
    /// The application just decided, named, with its new status (for the undo banner).
    pub done: Option<QueueItem>,
    pub notice: Option<crate::i18n::T>,
    pub extra: Option<String>,
}

/// The detail page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DetailView {
    pub admin: crate::admin::AdminInfo,
    pub item: QueueItem,
    /// The age rule (16 or older) holds; never the birth date or the exact age.
    pub age_ok: bool,
    /// The ten-year band the age falls in (see [`age_band`]).
    pub age_band: (i32, i32),
    pub sex: crate::domain::Sex,
    pub plate: Option<String>,
    pub duplicates: i64,
    pub reason: Option<String>,
    pub notice: Option<crate::i18n::T>,
    /// The full ID number and phone, after a permitted, reasoned, audited reveal.
    pub revealed: Option<(String, String)>,
}

#[cfg(test)]
mod time_left_tests {
    use super::time_left;
    use crate::i18n::Lang;

    #[test]
    fn chinese_units() {
        assert_eq!(time_left(23 * 3600 + 59 * 60 + 59, Lang::Zh), "剩余 23 小时 59 分");
        assert_eq!(time_left(-(3600 + 5 * 60), Lang::Zh), "逾期 1 小时 5 分");
        assert_eq!(time_left(42 * 60, Lang::Zh), "剩余 42 分");
        assert_eq!(time_left(0, Lang::Zh), "剩余 0 分");
    }

    #[test]
    fn english_units() {
        assert_eq!(time_left(23 * 3600 + 59 * 60, Lang::En), "23 h 59 min left");
        assert_eq!(time_left(-(3600 + 5 * 60 + 30), Lang::En), "overdue 1 h 5 min");
        assert_eq!(time_left(-59, Lang::En), "overdue 0 min");
        assert!(time_left(i64::MIN, Lang::En).starts_with("overdue "));
    }
}

/// The band an age is shown in: 16–19, then whole decades (20–29, 30–39 …). A band, not the
/// age: with the two-and-two mask, the birth date could otherwise narrow the ID number down.
pub fn age_band(age: i32) -> (i32, i32) {
    if age < 20 {
        (16, 19)
    } else {
        let lo = age / 10 * 10;
        (lo, lo + 9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{IdNumber, Ymd};

    /// Counties a guesser must try: the province's real county codes when the four region
    /// digits after it are hidden (about 20 counties per city, and the city hidden too is
    /// counted generously as just that), else fewer.
    const COUNTIES: u64 = 20;

    /// How many ID numbers agree with everything a viewer without a reveal sees: the mask,
    /// the sex and the age band; the rule is at least 10,000.
    fn candidates(masked: &str, birth_days: u64) -> u64 {
        let visible: Vec<bool> = masked.chars().map(|c| c != '*').collect();
        assert_eq!(visible.len(), 18);
        let hidden = |r: std::ops::Range<usize>| r.filter(|&i| !visible[i]).count() as u32;
        // Region (3–6): all county codes if hidden, else one.
        let counties = if hidden(2..6) == 4 { COUNTIES } else { 10u64.pow(hidden(2..6)).min(COUNTIES) };
        // Birth date (7–14): the days the page leaves open, unless digits of it show.
        let days = if hidden(6..14) == 8 { birth_days } else { 1 };
        // Sequence (15–17): the hidden digits (the sex is the 17th, shown anyway).
        let sequence = 10u64.pow(hidden(14..17));
        // The check character (18) keeps one in eleven when shown.
        let check = if visible[17] { 11 } else { 1 };
        counties * days * sequence / check
    }

    fn band_days(band: (i32, i32)) -> u64 {
        (band.1 - band.0 + 1) as u64 * 365
    }

    #[test]
    fn the_mask_and_the_age_band_leave_ten_thousand_candidates() {
        let today = Ymd::new(2026, 11, 25).unwrap();
        for raw in ["11010519491231002X", "340302199001011237", "340321198506154561", "340303200810250010"] {
            let id = IdNumber::parse(raw, today).unwrap();
            let masked = id.masked();
            assert_eq!(masked.chars().filter(|c| *c != '*').count(), 4, "{masked}");
            let band = age_band(id.birth_date().years_until(today));
            let n = candidates(&masked, band_days(band));
            assert!(n >= 10_000, "{masked} in {band:?}: {n} candidates");
        }
        // The smallest band is the youngest: 20 × 4 × 365 × 100 ÷ 11.
        assert_eq!(candidates("34**************3X", band_days((16, 19))), 265_454);
        // What the old page showed: four and four, and the full birth date beside it.
        assert!(candidates("3403**********123X", 1) < 10_000);
    }

    #[test]
    fn bands() {
        assert_eq!(age_band(16), (16, 19));
        assert_eq!(age_band(20), (20, 29));
        assert_eq!(age_band(76), (70, 79));
    }
}
