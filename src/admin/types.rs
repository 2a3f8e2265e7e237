//! Admin values shared by pages and the server.
use crate::i18n::T;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Decides applications inside the subtree.
    Reviewer,
    /// Creates and disables admins inside the subtree; receives escalations; may reveal data.
    Manager,
    /// The whole registry, the audit trail, the calendar; bound to the city federation.
    CityAdmin,
    /// Read-only: sees queues and progress.
    Leader,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Reviewer, Role::Manager, Role::CityAdmin, Role::Leader];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reviewer => "reviewer",
            Role::Manager => "manager",
            Role::CityAdmin => "city_admin",
            Role::Leader => "leader",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    pub fn label(self) -> T {
        match self {
            Role::Reviewer => T::RoleReviewer,
            Role::Manager => T::RoleManager,
            Role::CityAdmin => T::RoleCityAdmin,
            Role::Leader => T::RoleLeader,
        }
    }

    /// `reviewer,manager` → roles; unknown names are refused.
    pub fn parse_list(s: &str) -> Option<Vec<Role>> {
        let roles: Option<Vec<Role>> = s.split(',').filter(|p| !p.trim().is_empty()).map(Role::parse).collect();
        roles.filter(|r| !r.is_empty())
    }

    pub fn join(roles: &[Role]) -> String {
        roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
    }
}

/// The signed-in admin as pages see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminInfo {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub org_id: i64,
    pub org_name: String,
    pub roles: Vec<Role>,
}

impl AdminInfo {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
    pub fn can_review(&self) -> bool {
        self.has(Role::Reviewer) || self.has(Role::Manager)
    }
    pub fn can_view(&self) -> bool {
        self.can_review() || self.has(Role::Leader) || self.has(Role::CityAdmin)
    }
    pub fn can_manage_admins(&self) -> bool {
        self.has(Role::Manager) || self.has(Role::CityAdmin)
    }
}

/// The login page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginView {
    pub next: String,
    pub username: String,
    pub error: Option<T>,
    /// With `T::TooManyAttempts`: the time ("HH:MM") sign-in may be tried again.
    pub stopped_until: Option<String>,
}

/// One row of the admin registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminListRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub org_name: String,
    pub roles: Vec<Role>,
    pub disabled: bool,
    pub last_active: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminsView {
    pub admin: AdminInfo,
    pub rows: Vec<AdminListRow>,
    pub orgs: Vec<crate::org::OrgChoice>,
    pub notice: Option<(T, bool)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRowView {
    pub id: i64,
    pub at: String,
    pub who: String,
    pub action: String,
    pub target: String,
    pub ip: String,
    pub outcome: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditView {
    pub admin: AdminInfo,
    pub rows: Vec<AuditRowView>,
    /// Ok(rows intact) or Err(first broken row id).
    pub chain: Result<usize, i64>,
}
