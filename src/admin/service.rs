//! Admin management: one set of rules for creating admins — from the registry page and from
//! the operator's `ejia admin add` — and for disabling and re-enabling them. Every refusal is
//! in the audit trail.
use super::repo::{self, AdminRow, NewAdmin};
use super::Role;
use super::{NewPassword, Username};
use crate::domain::Phone;
use crate::i18n::T;
use crate::server::audit::{self, Entry};
use crate::server::audit::{Action, Outcome, Target};
use crate::server::state::AppState;

/// Who creates: a signed-in admin (inside their subtree, only roles they hold) or the operator
/// at the command line (any role) — both only with a city admin at the root union.
#[derive(Clone, Copy)]
pub enum Creator<'a> {
    Admin(&'a AdminRow),
    Operator,
}

pub struct NewAdminInput {
    pub username: String,
    pub display_name: String,
    /// Empty: none; otherwise it must be a valid mobile number (escalation SMS go to it).
    pub phone: String,
    pub org_id: i64,
    pub roles: Vec<Role>,
    pub password: String,
}

fn entry<'a>(creator: Creator<'_>, org_id: i64, target: Target, ip: &'a str, outcome: Outcome, detail: &'a str) -> Entry<'a> {
    match creator {
        Creator::Admin(me) => me.audit(Action::AdminCreate, target, ip, outcome, detail),
        Creator::Operator => Entry { admin_id: None, org_id: Some(org_id), action: Action::AdminCreate, target, ip, outcome, detail },
    }
}

/// Creates an admin; `Ok(Err(text))` is a refusal the form shows (and the audit trail keeps).
pub async fn create_admin(
    state: &AppState,
    creator: Creator<'_>,
    ip: &str,
    input: NewAdminInput,
) -> super::auth::AdminResult<Result<i64, T>> {
    create(state, creator, ip, input, Bind::Union).await
}

/// What a new account is bound to besides its union.
#[derive(Clone, Copy)]
enum Bind {
    Union,
    Merchant(i64),
    /// A lawyer of the legal-aid workstation at the account's union.
    Lawyer,
}

/// Creates a staff account bound to a merchant (merchant roles only): by the city admin, or by
/// that merchant's own manager (staff only). The benefit area checks the merchant exists.
pub async fn create_merchant_account(
    state: &AppState,
    me: &AdminRow,
    ip: &str,
    input: NewAdminInput,
    merchant_id: i64,
) -> super::auth::AdminResult<Result<i64, T>> {
    create(state, Creator::Admin(me), ip, input, Bind::Merchant(merchant_id)).await
}

/// Creates a lawyer's account (the role `lawyer` alone) at a union inside the creator's
/// subtree: by a manager of it or above, or the city admin. The legal area checks the union
/// runs a workstation.
pub async fn create_lawyer_account(
    state: &AppState,
    me: &AdminRow,
    ip: &str,
    input: NewAdminInput,
) -> super::auth::AdminResult<Result<i64, T>> {
    create(state, Creator::Admin(me), ip, input, Bind::Lawyer).await
}

fn may_create_for_merchant(me: &AdminRow, roles: &[Role], merchant_id: i64) -> bool {
    let merchant_roles = !roles.is_empty() && roles.iter().all(|r| matches!(r, Role::MerchantStaff | Role::MerchantManager));
    let own_manager = me.merchant_id == Some(merchant_id) && me.has(Role::MerchantManager) && roles == [Role::MerchantStaff];
    merchant_roles && (me.has(Role::CityAdmin) || own_manager)
}

async fn create(
    state: &AppState,
    creator: Creator<'_>,
    ip: &str,
    input: NewAdminInput,
    bind: Bind,
) -> super::auth::AdminResult<Result<i64, T>> {
    let now = state.now();
    let username = input.username.trim().to_lowercase();
    let roles = input.roles;
    let target = Target::AdminName(username.chars().take(32).collect());
    let refuse = |why: T, detail: String| {
        let target = target.clone();
        async move {
            audit::record_alone(state, now, entry(creator, input.org_id, target, ip, Outcome::Refused, &detail)).await?;
            super::auth::AdminResult::Ok(Err(why))
        }
    };
    let org = crate::org::repo::get(&state.db.pool, input.org_id).await?;
    let allowed = match (creator, bind) {
        (Creator::Admin(me), Bind::Merchant(m)) => org.is_some() && input.org_id == me.org_id && may_create_for_merchant(me, &roles, m),
        (Creator::Admin(me), Bind::Lawyer) => {
            me.can_manage_admins()
                && roles == [Role::Lawyer]
                && org.is_some()
                && crate::org::repo::is_within(&state.db.pool, input.org_id, me.org_id).await?
        }
        (Creator::Operator, Bind::Merchant(_) | Bind::Lawyer) => false,
        (Creator::Operator, Bind::Union) => org.is_some(),
        (Creator::Admin(me), Bind::Union) => {
            me.can_manage_admins()
                && !roles.is_empty()
                && roles.iter().all(|r| me.has(*r))
                && org.is_some()
                && crate::org::repo::is_within(&state.db.pool, input.org_id, me.org_id).await?
        }
    };
    if !allowed || roles.is_empty() {
        return refuse(T::AdminRefused, Role::join(&roles)).await;
    }
    if roles.contains(&Role::CityAdmin) && org.as_ref().is_some_and(|o| o.parent_id.is_some()) {
        return refuse(T::CityAdminAtRoot, Role::join(&roles)).await;
    }
    let username = match Username::parse(&username) {
        Ok(u) => u,
        Err(t) => return refuse(t, "username".into()).await,
    };
    let password = match NewPassword::parse(&input.password) {
        Ok(p) => p,
        Err(t) => return refuse(t, "password".into()).await,
    };
    let phone = match input.phone.trim() {
        "" => None,
        p => match Phone::parse(p) {
            Ok(p) => Some(p),
            Err(_) => return refuse(T::ErrPhoneInvalid, "phone".into()).await,
        },
    };
    let hash = super::auth::hash_password_bounded(password.expose()).await?;
    let display = if input.display_name.trim().is_empty() { username.as_str().to_string() } else { input.display_name.trim().to_string() };
    let created_by = match creator {
        Creator::Admin(me) => Some(me.id),
        Creator::Operator => None,
    };
    let mut tx = state.db.begin_write().await?;
    let new = NewAdmin {
        username: username.as_str(),
        display_name: &display,
        org_id: input.org_id,
        roles: &roles,
        password_hash: &hash,
        phone: phone.as_ref().map(|p| p.as_str()),
        created_by,
    };
    let id = match repo::insert(&mut tx, new, now).await {
        Ok(id) => id,
        Err(e) if crate::server::db::is_unique_violation(&e) => {
            drop(tx);
            return refuse(T::UsernameTaken, "taken".into()).await;
        }
        Err(e) => return Err(e.into()),
    };
    if let Bind::Merchant(m) = bind {
        repo::bind_merchant(&mut tx, id, m).await?;
    }
    audit::record(&mut tx, state, now, entry(creator, input.org_id, Target::Admin(id), ip, Outcome::Ok, &Role::join(&roles))).await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// Whether `me` may disable or re-enable `target`: the city admin anyone but itself; a manager
/// only admins strictly below its union (not its own union's peers) whose roles it all holds.
pub async fn may_manage(state: &AppState, me: &AdminRow, target: &AdminRow) -> super::auth::AdminResult<bool> {
    if me.id == target.id {
        return Ok(false);
    }
    if me.has(Role::CityAdmin) {
        return Ok(true);
    }
    // A manager keeps the lawyers' accounts of the workstations in its subtree too.
    if !me.has(Role::Manager) || !target.roles.iter().all(|r| me.has(*r) || (*r == Role::Lawyer && target.is_lawyer())) {
        return Ok(false);
    }
    Ok(crate::org::repo::distance(&state.db.pool, me.org_id, target.org_id).await?.is_some_and(|d| d >= 1))
}

/// Disables (ending its sessions) or re-enables an admin; `false` = refused (audited).
pub async fn set_disabled(state: &AppState, me: &AdminRow, ip: &str, id: i64, disabled: bool) -> super::auth::AdminResult<bool> {
    let now = state.now();
    let action = if disabled { Action::AdminDisable } else { Action::AdminEnable };
    let target = repo::by_id(&state.db.pool, id).await?;
    let allowed = match &target {
        Some(t) => may_manage(state, me, t).await?,
        None => false,
    };
    let mut tx = state.db.begin_write().await?;
    if allowed {
        repo::set_disabled(&mut tx, id, disabled).await?;
    }
    audit::record(&mut tx, state, now, me.audit(action, Target::Admin(id), ip, if allowed { Outcome::Ok } else { Outcome::Refused }, ""))
        .await?;
    tx.commit().await?;
    Ok(allowed)
}
