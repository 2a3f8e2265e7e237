//! The calendar as admins keep it: office hours and overrides (a new holiday, a 调休 day, a
//! newly published year) on top of the shipped schedules; a change recomputes the open
//! deadlines it affects. Also each union's on-time rate.
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod repo;
pub mod ui;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverrideRow {
    pub day: String,
    pub is_off_day: bool,
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarView {
    pub admin: crate::admin::AdminInfo,
    pub office_hours: String,
    pub overrides: Vec<OverrideRow>,
    /// Years without a shipped schedule (their deadlines are provisional until marked published).
    pub provisional_years: Vec<i32>,
    pub notice: Option<(crate::i18n::T, String)>,
}

/// One union's progress: pending, overdue, decided, decided in time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnionStats {
    pub name: String,
    pub pending: i64,
    pub overdue: i64,
    pub decided: i64,
    pub on_time: i64,
}

impl UnionStats {
    /// Percentage of decisions made by the deadline, if any were made.
    pub fn on_time_rate(&self) -> Option<f64> {
        (self.decided > 0).then(|| 100.0 * self.on_time as f64 / self.decided as f64)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatsView {
    pub admin: crate::admin::AdminInfo,
    pub rows: Vec<UnionStats>,
}
