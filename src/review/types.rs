//! Review values the pages render.
use crate::i18n::{Lang, T};
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
    /// Name or phone (part of it).
    pub q: String,
    /// Set after a decision: the application just decided (for the undo banner).
    pub done: String,
    pub page: String,
}

/// One application as the queue shows it: masked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueItem {
    pub id: i64,
    pub name_masked: String,
    pub id_masked: String,
    pub phone_masked: String,
    pub status: String,
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
    pub age: i32,
    pub sex_female: bool,
    pub birth_date: String,
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
