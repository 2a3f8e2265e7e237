//! The roster rules: the members list of a subtree, asking for an export (masked by default;
//! full numbers only for a role that may reveal, with a reason, audited like a reveal), an
//! export's page and download (its requester only, within the hour), and who may import where.
//! A refusal is an outcome; an `Err` is a fault of ours.
use super::repo::{self, Found, Scope};
use super::{ExportFormat, ExportKind, ExportView, JobStatus, MemberFilter, MembersView, EXPORT_LINK_SECS};
use crate::admin::repo::AdminRow;
use crate::admin::Role;
use crate::domain::Ymd;
use crate::review::QueueFilter;
use crate::server::audit;
use crate::server::crypto::{random_token, token_hash};
use crate::server::state::AppState;
use serde::Deserialize;
use std::path::PathBuf;

/// A fault of ours in the roster area.
#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Review(#[from] crate::review::service::ReviewError),
    #[error(transparent)]
    Write(#[from] super::export::WriteError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("export worker: {0}")]
    Worker(String),
    #[error("sealed import rows: {0}")]
    Sealed(String),
}

pub type RosterResult<T> = Result<T, RosterError>;

/// May this admin see full numbers (and so export them)?
pub fn can_reveal(admin: &crate::admin::AdminInfo) -> bool {
    admin.has(Role::Manager) || admin.has(Role::CityAdmin)
}

/// Local midnight of a typed date, and of the day after another: the bounds from ≤ t < to.
fn day_bounds(from: &str, to: &str) -> (Option<i64>, Option<i64>) {
    let from = Ymd::parse(from.trim()).map(|d| crate::calendar::local_to_unix(d, 0, 0));
    let to = Ymd::parse(to.trim()).map(|d| crate::calendar::local_to_unix(d.add_days(1), 0, 0));
    (from, to)
}

/// The union a filter names, if it lies inside the admin's subtree: `Err(id)` when it does not.
async fn org_within(state: &AppState, admin: &AdminRow, org: &str) -> RosterResult<Result<Option<i64>, i64>> {
    match org.trim().parse::<i64>() {
        Err(_) => Ok(Ok(None)),
        Ok(id) if crate::org::repo::is_within(&state.db.pool, id, admin.org_id).await? => Ok(Ok(Some(id))),
        Ok(id) => Ok(Err(id)),
    }
}

/// The members filter, parsed (the search audited); `Err(org)` for a union outside the subtree.
pub async fn member_scope(state: &AppState, admin: &AdminRow, ip: &str, f: &MemberFilter) -> RosterResult<Result<Scope, i64>> {
    let org = match org_within(state, admin, &f.org).await? {
        Ok(org) => org,
        Err(id) => return Ok(Err(id)),
    };
    let (from, to) = day_bounds(&f.from, &f.to);
    let search: Found = crate::review::service::search(state, admin, ip, &f.q).await?.into();
    let pool = match f.pool.as_str() {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    };
    Ok(Ok(Scope { org, pool, from, to, search, ..Scope::default() }))
}

/// The review queue's filter as an export scope; `Err(org)` for a union outside the subtree.
pub async fn application_scope(state: &AppState, admin: &AdminRow, ip: &str, f: &QueueFilter) -> RosterResult<Result<Scope, i64>> {
    let org = match org_within(state, admin, &f.org).await? {
        Ok(org) => org,
        Err(id) => return Ok(Err(id)),
    };
    let (from, to) = day_bounds(&f.from, &f.to);
    let search: Found = crate::review::service::search(state, admin, ip, &f.q).await?.into();
    let status = match f.status() {
        crate::review::StatusFilter::All => None,
        crate::review::StatusFilter::Only(s) => Some(s.as_str().to_string()),
    };
    Ok(Ok(Scope {
        org,
        from,
        to,
        status,
        channel: f.channel.trim().parse().ok(),
        overdue_before: (f.overdue == "1").then(|| state.now()),
        search,
        ..Scope::default()
    }))
}

/// Audits an attempt on something outside the admin's subtree (or not theirs).
pub async fn audit_not_found(
    state: &AppState,
    admin: &AdminRow,
    ip: &str,
    action: audit::Action,
    target: audit::Target,
) -> RosterResult<()> {
    audit::record_alone(state, state.now(), admin.audit(action, target, ip, audit::Outcome::NotFound, "")).await?;
    Ok(())
}

/// The members list; `None` when the filter names a union outside the subtree (audited).
pub async fn members_view(state: &AppState, admin: &AdminRow, ip: &str, filter: MemberFilter) -> RosterResult<Option<MembersView>> {
    let scope = match member_scope(state, admin, ip, &filter).await? {
        Ok(s) => s,
        Err(org) => {
            audit_not_found(state, admin, ip, audit::Action::View, audit::Target::Members).await?;
            tracing::info!(org, "members filter outside the subtree");
            return Ok(None);
        }
    };
    let page = filter.page.parse::<i64>().unwrap_or(0).clamp(0, 10_000);
    let items = repo::members_page(&state.db.pool, admin.org_id, &scope, page).await?;
    let total = repo::count(&state.db.pool, ExportKind::Members, admin.org_id, &scope).await?;
    let orgs = crate::org::repo::subtree(&state.db.pool, admin.org_id).await?;
    Ok(Some(MembersView { admin: admin.info(), filter, items, total, orgs }))
}

/// The export form: what to export, how, and the screen's filters (members' or the queue's).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExportForm {
    pub kind: String,
    pub format: String,
    /// `1`: full numbers.
    pub reveal: String,
    pub reason: String,
    pub org: String,
    pub pool: String,
    pub status: String,
    pub channel: String,
    pub from: String,
    pub to: String,
    pub overdue: String,
    pub q: String,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Requested {
    /// The job's page: `/admin/exports/{id}?t={token}`.
    Created {
        id: i64,
        token: String,
    },
    /// A union outside the subtree (audited).
    NotFound,
    /// Full numbers without a reason.
    ReasonNeeded,
    /// Full numbers asked by a role that may not reveal (audited).
    Forbidden,
    Invalid,
}

/// Asks for an export; the worker writes it. Audited at once (a full-number export as a
/// reveal, with its reason) and again when written (with the row count).
pub async fn request_export(state: &AppState, admin: &AdminRow, ip: &str, form: &ExportForm) -> RosterResult<Requested> {
    let (Some(kind), Some(format)) = (ExportKind::parse(&form.kind), ExportFormat::parse(&form.format)) else {
        return Ok(Requested::Invalid);
    };
    let reveal = form.reveal == "1";
    let reason: String = form.reason.trim().chars().take(100).collect();
    let target = match kind {
        ExportKind::Members => audit::Target::Members,
        ExportKind::Applications => audit::Target::Applications,
    };
    if reveal && !can_reveal(admin) {
        audit::record_alone(state, state.now(), admin.audit(audit::Action::Reveal, target, ip, audit::Outcome::Forbidden, "export"))
            .await?;
        return Ok(Requested::Forbidden);
    }
    if reveal && reason.is_empty() {
        return Ok(Requested::ReasonNeeded);
    }
    let scope = match kind {
        ExportKind::Members => {
            let f = MemberFilter {
                org: form.org.clone(),
                pool: form.pool.clone(),
                from: form.from.clone(),
                to: form.to.clone(),
                q: form.q.clone(),
                page: String::new(),
            };
            member_scope(state, admin, ip, &f).await?
        }
        ExportKind::Applications => {
            let f = QueueFilter {
                org: form.org.clone(),
                status: form.status.clone(),
                channel: form.channel.clone(),
                from: form.from.clone(),
                to: form.to.clone(),
                overdue: form.overdue.clone(),
                q: form.q.clone(),
                ..QueueFilter::default()
            };
            application_scope(state, admin, ip, &f).await?
        }
    };
    let Ok(scope) = scope else {
        audit_not_found(state, admin, ip, audit::Action::Export, target).await?;
        return Ok(Requested::NotFound);
    };
    let total = repo::count(&state.db.pool, kind, admin.org_id, &scope).await?;
    let now = state.now();
    let token = random_token();
    let mut tx = state.db.begin_write().await?;
    let id = repo::jobs::insert_job(
        &mut tx,
        repo::jobs::NewJob {
            admin_id: admin.id,
            org_id: admin.org_id,
            kind,
            scope: &scope,
            format,
            reveal,
            reason: reveal.then_some(reason.as_str()),
            rows_total: total,
            token_hash: &token_hash(&token),
            now,
            expires_at: now + EXPORT_LINK_SECS,
        },
    )
    .await?;
    let detail = format!(
        "{} {} {} rows {total}; {}",
        kind.as_str(),
        format.as_str(),
        if reveal { "full numbers" } else { "masked" },
        describe(&scope)
    );
    let (action, detail) =
        if reveal { (audit::Action::Reveal, format!("{reason} — export {detail}")) } else { (audit::Action::Export, detail) };
    audit::record(&mut tx, state, now, admin.audit(action, audit::Target::Export(id), ip, audit::Outcome::Ok, &detail)).await?;
    tx.commit().await?;
    Ok(Requested::Created { id, token })
}

/// A scope in words for the audit trail: the filters, a search only by kind.
fn describe(s: &Scope) -> String {
    let mut parts = Vec::new();
    if let Some(o) = s.org {
        parts.push(format!("org {o}"));
    }
    if let Some(p) = s.pool {
        parts.push(format!("pool {}", p as i64));
    }
    if let Some(f) = s.from {
        parts.push(format!("from {}", crate::calendar::format_local(f)));
    }
    if let Some(t) = s.to {
        parts.push(format!("before {}", crate::calendar::format_local(t)));
    }
    if let Some(st) = &s.status {
        parts.push(format!("status {st}"));
    }
    if let Some(c) = s.channel {
        parts.push(format!("channel {c}"));
    }
    if s.overdue_before.is_some() {
        parts.push("overdue".into());
    }
    match &s.search {
        Found::Any => {}
        Found::Phone(_) => parts.push("search phone".into()),
        Found::IdBlind(_) => parts.push("search id".into()),
        Found::Name(_) => parts.push("search name".into()),
        Found::Nothing => parts.push("search partial".into()),
    }
    if parts.is_empty() {
        "whole subtree".into()
    } else {
        parts.join(", ")
    }
}

fn token_matches(job: &repo::jobs::Job, token: &str) -> bool {
    use subtle::ConstantTimeEq;
    token.len() == 22 && token_hash(token).as_bytes().ct_eq(job.token_hash.as_bytes()).into()
}

/// An export's page, for its requester only; `None` otherwise (the caller audits it).
pub async fn export_view(state: &AppState, admin: &AdminRow, id: i64, token: &str) -> RosterResult<Option<ExportView>> {
    let Some(job) = repo::jobs::job(&state.db.pool, id).await? else { return Ok(None) };
    if job.admin_id != admin.id {
        return Ok(None);
    }
    let live = state.now() < job.expires_at;
    let status = if live || job.status.in_progress() { job.status } else { JobStatus::Expired };
    let download =
        (status == JobStatus::Done && live && token_matches(&job, token)).then(|| format!("/admin/exports/{id}/download?t={token}"));
    Ok(Some(ExportView {
        admin: admin.info(),
        id,
        kind: job.kind,
        format: job.format,
        status,
        rows_done: job.rows_done,
        rows_total: job.rows_total,
        reveal: job.reveal,
        download,
        expires_at: crate::calendar::format_local(job.expires_at),
    }))
}

/// The file of a finished export: for its requester, with the link's token, within the hour.
pub async fn download(state: &AppState, admin: &AdminRow, id: i64, token: &str) -> RosterResult<Option<(PathBuf, String, ExportFormat)>> {
    let Some(job) = repo::jobs::job(&state.db.pool, id).await? else { return Ok(None) };
    let ok = job.admin_id == admin.id && job.status == JobStatus::Done && state.now() < job.expires_at && token_matches(&job, token);
    let Some(file) = job.file_name.filter(|_| ok) else { return Ok(None) };
    let path = super::jobs::export_dir(state).join(&file);
    if !path.is_file() {
        return Ok(None);
    }
    let stamp: String = crate::calendar::format_local(job.created_at).chars().filter(|c| c.is_ascii_digit()).collect();
    let name = format!("{}-{stamp}.{}", job.kind.as_str(), job.format.as_str());
    Ok(Some((path, name, job.format)))
}
