//! Transfer values the pages render and the command centre reads.
use crate::admin::AdminInfo;
use crate::i18n::{Lang, T};
use crate::org::{OrgChoice, OrgOption};
use serde::{Deserialize, Serialize};

/// Working days the receiving union has to answer.
pub const ANSWER_WORKING_DAYS: u32 = 5;
/// The reminder goes out when this many working days have passed.
pub const REMIND_AFTER_WORKING_DAYS: u32 = 4;
/// Without an answer, a transfer is accepted automatically this long after it was proposed.
pub const AUTO_ACCEPT_SECS: i64 = 30 * 86_400;

/// Why a member moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TransferKind {
    /// Out of a turnover pool into a union (安置).
    Pool,
    /// Union to union after a change of job.
    JobChange,
    /// To a union outside the city: recorded in the city federation's registry.
    OutOfCity,
}

impl TransferKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TransferKind::Pool => "pool",
            TransferKind::JobChange => "job_change",
            TransferKind::OutOfCity => "out_of_city",
        }
    }
    pub fn parse(s: &str) -> Option<TransferKind> {
        [TransferKind::Pool, TransferKind::JobChange, TransferKind::OutOfCity].into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> T {
        match self {
            TransferKind::Pool => T::KindPool,
            TransferKind::JobChange => T::KindJobChange,
            TransferKind::OutOfCity => T::KindOutOfCity,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TransferStatus {
    Pending,
    Accepted,
    Declined,
    /// Accepted by the engine: no answer within 30 days.
    AutoAccepted,
    /// Withdrawn by the sending side before an answer.
    Cancelled,
}

impl TransferStatus {
    pub const ALL: [TransferStatus; 5] = [
        TransferStatus::Pending,
        TransferStatus::Accepted,
        TransferStatus::Declined,
        TransferStatus::AutoAccepted,
        TransferStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TransferStatus::Pending => "pending",
            TransferStatus::Accepted => "accepted",
            TransferStatus::Declined => "declined",
            TransferStatus::AutoAccepted => "auto_accepted",
            TransferStatus::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<TransferStatus> {
        TransferStatus::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> T {
        match self {
            TransferStatus::Pending => T::TransferStatusPending,
            TransferStatus::Accepted => T::TransferStatusAccepted,
            TransferStatus::Declined => T::TransferStatusDeclined,
            TransferStatus::AutoAccepted => T::TransferStatusAuto,
            TransferStatus::Cancelled => T::TransferStatusCancelled,
        }
    }
    /// The member moved.
    pub fn took_effect(self) -> bool {
        matches!(self, TransferStatus::Accepted | TransferStatus::AutoAccepted)
    }
}

/// The command centre's transfer figures for one union, over its whole subtree.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferCounts {
    /// Pending transfers into the subtree (now).
    pub waiting: i64,
    /// Placements out of a pool accepted since the month began, counted at the receiving side.
    pub placed: i64,
    /// Members who moved into the subtree from outside it since the month began (placements
    /// from a pool outside the subtree included).
    pub transferred_in: i64,
    /// Members who moved out of the subtree (out of the city included) since the month began.
    pub transferred_out: i64,
    /// When the longest-waiting pooled member of the subtree entered the pool (Unix seconds).
    pub pool_oldest_since: Option<i64>,
}

/// The time to a deadline in days and hours: "剩余 2 天 3 小时" / "2 d 3 h left",
/// "逾期 1 天 0 小时" / "overdue 1 d 0 h"; under a day in hours and minutes.
pub fn days_left(secs: i64, lang: Lang) -> String {
    let s = secs.unsigned_abs();
    let (d, h, m) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60);
    let (days, hours, minutes) = (T::Days.get(lang), T::Hours.get(lang), T::Minutes.get(lang));
    let span = if d > 0 { format!("{d} {days} {h} {hours}") } else { format!("{h} {hours} {m} {minutes}") };
    let pattern = if secs < 0 { T::TimeOverdue } else { T::TimeLeft };
    pattern.fill(lang, &[&span])
}

/// One pooled member as the pool list shows them: masked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PooledMember {
    pub member_id: i64,
    pub name_masked: String,
    pub phone_masked: String,
    pub member_no: String,
    pub pool_id: i64,
    /// Whole days since the member entered the pool.
    pub days_in_pool: i64,
    /// A transfer of theirs is waiting for an answer.
    pub pending: bool,
}

/// One turnover pool of the admin's subtree, with the unions its members can be placed into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolSection {
    pub pool_id: i64,
    pub pool_name: String,
    /// Grassroots unions inside the pool's county (federations excluded).
    pub choices: Vec<OrgChoice>,
    pub members: Vec<PooledMember>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolView {
    pub admin: AdminInfo,
    pub sections: Vec<PoolSection>,
    /// Pooled members in the subtree (the list shows the oldest first, at most a page).
    pub total: i64,
    pub notice: Option<(T, bool)>,
}

/// A transfer as the pages show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferItem {
    pub id: i64,
    pub kind: TransferKind,
    pub status: TransferStatus,
    pub member_id: i64,
    pub name_masked: String,
    pub phone_masked: String,
    pub member_no: String,
    pub from_name: String,
    pub from_pool: bool,
    /// The receiving union, or where outside the city.
    pub to_name: String,
    pub created_at: String,
    pub due_at: String,
    /// Seconds left until the answer is due (negative: overdue).
    pub secs_left: i64,
    pub decided_at: Option<String>,
    pub reason: Option<String>,
    /// The highest escalation (督办) level reached, if any.
    pub escalation: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransfersView {
    pub admin: AdminInfo,
    /// Waiting for an answer from a union of the subtree.
    pub incoming: Vec<TransferItem>,
    /// Sent from the subtree, waiting for the other side.
    pub outgoing: Vec<TransferItem>,
    /// Decided or withdrawn, newest first.
    pub history: Vec<TransferItem>,
    pub notice: Option<(T, bool)>,
}

/// A member as the transfer page shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberFacts {
    pub id: i64,
    pub name_masked: String,
    pub phone_masked: String,
    pub member_no: String,
    pub org_name: String,
    pub in_pool: bool,
    pub transferred_out: bool,
    pub joined_at: String,
}

/// One union of a member's history: its name (or where outside the city), from, until.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnionSpell {
    pub name: String,
    pub in_pool: bool,
    pub since: String,
    pub until: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberTransferView {
    pub admin: AdminInfo,
    pub member: MemberFacts,
    /// The name searched for, and the unions found.
    pub q: String,
    pub matches: Vec<OrgOption>,
    /// The turnover pools of the city (a member whose new workplace has no union waits there).
    pub pools: Vec<OrgOption>,
    pub pending: Option<TransferItem>,
    pub history: Vec<UnionSpell>,
    pub outside_to: String,
    pub notice: Option<(T, bool)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in TransferStatus::ALL {
            assert_eq!(TransferStatus::parse(s.as_str()), Some(s));
        }
        for k in [TransferKind::Pool, TransferKind::JobChange, TransferKind::OutOfCity] {
            assert_eq!(TransferKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(TransferStatus::parse("approved"), None);
        assert!(TransferStatus::AutoAccepted.took_effect() && !TransferStatus::Declined.took_effect());
    }

    #[test]
    fn days_and_hours_left() {
        assert_eq!(days_left(2 * 86_400 + 3 * 3600 + 59, Lang::Zh), "剩余 2 天 3 小时");
        assert_eq!(days_left(-(86_400 + 60), Lang::En), "overdue 1 d 0 h");
        assert_eq!(days_left(3600 + 5 * 60, Lang::Zh), "剩余 1 小时 5 分");
        assert!(days_left(i64::MIN, Lang::En).starts_with("overdue "));
    }
}
