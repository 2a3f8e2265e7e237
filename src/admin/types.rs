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
    // benefits
    /// Merchant staff: redeems coupons at its own merchant; reaches the merchant screens only.
    MerchantStaff,
    /// Merchant manager: as staff, and reverses mistaken redemptions and adds staff.
    MerchantManager,
    // legal aid
    /// A lawyer of a legal-aid workstation, bound to the workstation's union: reaches the
    /// lawyer's screens only (`/lawyer`), never a union or merchant screen.
    Lawyer,
}

impl Role {
    /// The union roles: what the registry and the operator's command grant.
    pub const ALL: [Role; 4] = [Role::Reviewer, Role::Manager, Role::CityAdmin, Role::Leader];
    /// Every role an account row may hold: the union roles and the merchant roles (granted only
    /// by the benefit area, to accounts bound to a merchant).
    pub const STORED: [Role; 7] =
        [Role::Reviewer, Role::Manager, Role::CityAdmin, Role::Leader, Role::MerchantStaff, Role::MerchantManager, Role::Lawyer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reviewer => "reviewer",
            Role::Manager => "manager",
            Role::CityAdmin => "city_admin",
            Role::Leader => "leader",
            Role::MerchantStaff => "merchant_staff",
            Role::MerchantManager => "merchant_manager",
            Role::Lawyer => "lawyer",
        }
    }

    /// A role as stored in an account row (merchant roles included).
    pub fn parse_stored_list(s: &str) -> Vec<Role> {
        s.split(',').filter_map(|p| Role::STORED.into_iter().find(|r| r.as_str() == p.trim())).collect()
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
            Role::MerchantStaff => T::RoleMerchantStaff,
            Role::MerchantManager => T::RoleMerchantManager,
            Role::Lawyer => T::RoleLawyer,
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

/// A sign-in name: 3–32 of a–z, 0–9, `_` and `.`, kept in lower case. Parsed once.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub fn parse(input: &str) -> Result<Username, T> {
        let u = input.trim().to_lowercase();
        let ok = (3..=32).contains(&u.len()) && u.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
        if ok {
            Ok(Username(u))
        } else {
            Err(T::Username)
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password being set: at least 10 characters (and at most 256, so hashing stays bounded).
/// Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(input: &str) -> Result<NewPassword, T> {
        let n = input.chars().count();
        if (10..=256).contains(&n) {
            Ok(NewPassword(input.to_string()))
        } else {
            Err(T::PasswordTooShort)
        }
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

#[cfg(test)]
mod account_tests {
    use super::*;

    #[test]
    fn usernames_and_passwords_parse_once() {
        assert_eq!(Username::parse("  Lzh_Rev.1 ").unwrap().as_str(), "lzh_rev.1");
        assert_eq!(Username::parse(Username::parse("abc").unwrap().as_str()).unwrap().as_str(), "abc");
        for bad in ["ab", "a b c", "张三丰", "x".repeat(33).as_str(), "a/b"] {
            assert_eq!(Username::parse(bad), Err(T::Username), "{bad:?}");
        }
        assert!(NewPassword::parse("0123456789").is_ok());
        assert_eq!(NewPassword::parse("short"), Err(T::PasswordTooShort));
        assert!(NewPassword::parse(&"x".repeat(257)).is_err());
        assert_eq!(format!("{:?}", NewPassword::parse("0123456789").unwrap()), "NewPassword(…)");
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
    /// Set for a merchant's staff account: it reaches that merchant's screens and nothing else.
    pub merchant_id: Option<i64>,
}

impl AdminInfo {
    /// A union role is held only by an account bound to no merchant and not a lawyer's, so a
    /// merchant or lawyer account meets no union screen's requirement whatever its row says.
    pub fn has(&self, role: Role) -> bool {
        let merchant_role = matches!(role, Role::MerchantStaff | Role::MerchantManager);
        merchant_role == self.merchant_id.is_some()
            && (merchant_role || (role == Role::Lawyer) == self.is_lawyer())
            && self.roles.contains(&role)
    }
    pub fn is_merchant(&self) -> bool {
        self.merchant_id.is_some()
    }
    /// A lawyer's account (bound to no merchant): it reaches the lawyer's screens only.
    pub fn is_lawyer(&self) -> bool {
        self.merchant_id.is_none() && self.roles.contains(&Role::Lawyer)
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
    /// Places pooled members and decides membership transfers.
    pub fn can_place(&self) -> bool {
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
