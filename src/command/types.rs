//! The command centre's values, shared by the server and the live island in the browser. They
//! hold counts and union names only — never a person.
use serde::{Deserialize, Serialize};

/// Overdue applications per page of the list.
pub const OVERDUE_PAGE: i64 = 50;

/// One union's figures, each over its whole subtree.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    pub members: i64,
    pub joined_today: i64,
    pub joined_week: i64,
    pub joined_month: i64,
    pub pending: i64,
    pub overdue: i64,
    /// Decisions over the last 30 days, and how many were made by their deadline.
    pub decided_30: i64,
    pub on_time_30: i64,
    pub pooled: i64,
    /// Days the longest-waiting pooled member has been in a pool.
    pub pool_days: Option<i64>,
    pub transfers_waiting: i64,
    /// This month: pool placements, members transferred in and out.
    pub placed_month: i64,
    pub transferred_in_month: i64,
    pub transferred_out_month: i64,
}

impl Figures {
    /// The on-time rate in whole percent, when anything was decided.
    pub fn on_time_percent(&self) -> Option<i64> {
        (self.decided_30 > 0).then(|| (self.on_time_30 * 100 + self.decided_30 / 2) / self.decided_30)
    }
}

/// A child union's line on the screen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnionLine {
    pub id: i64,
    pub name: String,
    /// Has unions below it (the name is a drill-down link).
    pub has_children: bool,
    pub figures: Figures,
}

/// What one screen shows for one union.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Board {
    pub org_id: i64,
    pub org_name: String,
    /// From the viewer's own union down to this one (this one last).
    pub crumbs: Vec<(i64, String)>,
    pub totals: Figures,
    pub children: Vec<UnionLine>,
    /// Members joined per day, the last 30 days, oldest first: (month, day, count).
    pub daily: Vec<(u8, u8, i64)>,
    /// When the figures were counted, as local time "HH:MM:SS".
    pub counted_at: String,
}

/// An application past its deadline, as the overdue list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverdueItem {
    pub id: i64,
    pub name_masked: String,
    /// The union that reviews it.
    pub org_name: String,
    pub submitted_at: String,
    pub due_at: String,
    /// Seconds past the deadline.
    pub secs_over: i64,
    /// The highest escalation (督办) level the engine reached.
    pub level: Option<i64>,
    /// The last chase by hand: when, and by whom (the admin's union).
    pub last_chase: Option<(String, String)>,
    /// A chase is possible now (none in the last hour).
    pub can_chase: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandView {
    pub admin: crate::admin::AdminInfo,
    pub board: Board,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverdueView {
    pub admin: crate::admin::AdminInfo,
    pub items: Vec<OverdueItem>,
    pub total: i64,
    pub page: i64,
    pub notice: Option<(crate::i18n::T, String)>,
}
