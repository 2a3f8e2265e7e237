//! The handling union's side over HTTP: the queue of the admin's subtree (`/admin/hall`, the
//! review queue's shape), one request with its steps (`/admin/hall/{id}`), a full reveal with
//! a reason, files, and filing for a member or a walk-in (`/admin/hall/file/{code}`). Anything
//! outside the subtree is the one not-found page and an audit row; a hardship file's answers
//! are for managers only and every view of them is audited.
use super::http::{new_form, read_post, send_file, Done};
use super::repo;
use super::service::{self, Asked, Asking, Stepped};
use super::types::*;
use crate::admin::auth::{Allowed, Decider, Revealer, SignedIn, Viewer};
use crate::admin::repo::AdminRow;
use crate::i18n::T;
use crate::server::audit::{self, Action, Outcome, Target};
use crate::server::error::{AppError, AppResult};
use crate::server::state::AppState;
use crate::server::web::{Form, Page};
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};

async fn refused(state: &AppState, me: &SignedIn, action: Action, target: Target) -> AppResult<Response> {
    audit::record_alone(state, state.now(), me.admin.audit(action, target, &me.ip, Outcome::NotFound, "")).await?;
    Err(AppError::NotFound)
}

pub async fn queue_get(State(state): State<AppState>, me: Allowed<Viewer>, Query(filter): Query<QueueFilter>) -> AppResult<Response> {
    let me = me.signed_in();
    let pool = &state.db.pool;
    if let Ok(org) = filter.org.trim().parse::<i64>() {
        if !crate::org::repo::is_within(pool, org, me.admin.org_id).await? {
            return refused(&state, &me, Action::View, Target::Org(org)).await;
        }
    }
    let now = state.now();
    let (rows, total) = repo::queue(pool, me.admin.org_id, &filter, now).await?;
    let services = repo::services(pool).await?.into_iter().filter(|s| s.link.is_none()).map(|s| (s.code, s.name)).collect();
    let view = HallQueueView {
        admin: me.admin.info(),
        filter,
        items: rows.iter().map(|r| service::line(r, now)).collect(),
        total,
        services,
        orgs: crate::org::repo::subtree(pool, me.admin.org_id).await?,
    };
    Ok(Page::ok(view).into_response())
}

/// The request if this admin may see it; None after auditing a refusal.
async fn scoped(state: &AppState, me: &SignedIn, id: i64) -> AppResult<Option<(repo::Request, service::Access)>> {
    let Some(r) = repo::request(&state.db.pool, id).await? else {
        refused(state, me, Action::View, Target::ServiceRequest(id)).await.ok();
        return Ok(None);
    };
    match service::access(state, &me.admin, &r).await? {
        Some(a) => Ok(Some((r, a))),
        None => {
            refused(state, me, Action::View, Target::ServiceRequest(id)).await.ok();
            Ok(None)
        }
    }
}

async fn detail(
    state: &AppState,
    me: &SignedIn,
    r: &repo::Request,
    access: &service::Access,
    reveal: bool,
    notice: Option<(T, bool)>,
) -> AppResult<Response> {
    let mut conn = state.db.pool.acquire().await?;
    let s = repo::service_by_id(&mut conn, r.service_id).await?.ok_or(AppError::NotFound)?;
    drop(conn);
    let (answers, files) = if access.answers {
        if r.sensitive {
            // A hardship file: every look at its content is on the record.
            let detail = if reveal { "sealed, revealed" } else { "sealed" };
            audit::record_alone(
                state,
                state.now(),
                me.admin.audit(Action::View, Target::ServiceRequest(r.id), &me.ip, Outcome::Ok, detail),
            )
            .await?;
        }
        let answers = service::open_answers(state, r)?;
        let files = repo::files(&state.db.pool, r.id).await?;
        let id = r.id;
        (Some(service::answer_lines(&s, &answers, reveal)), service::file_lines(&s, &files, |f| format!("/admin/hall/{id}/files/{f}")))
    } else {
        (None, Vec::new())
    };
    let view = HallRequestView {
        admin: me.admin.info(),
        line: service::line(r, state.now()),
        member_no: r.member_no.clone(),
        steps: service::step_lines(state, r.id).await?,
        answers,
        files,
        next: if access.steps { r.step.next().to_vec() } else { Vec::new() },
        revealed: reveal,
        can_reveal: access.answers && (me.admin.has(crate::admin::Role::Manager) || me.admin.has(crate::admin::Role::CityAdmin)),
        notice,
    };
    Ok(Page::ok(view).into_response())
}

pub async fn request_get(
    State(state): State<AppState>,
    me: Allowed<Viewer>,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> AppResult<Response> {
    let me = me.signed_in();
    let Some((r, access)) = scoped(&state, &me, id).await? else { return Err(AppError::NotFound) };
    let notice = (q.done == "step").then_some((T::HallStepTaken, true));
    detail(&state, &me, &r, &access, false, notice).await
}

#[derive(serde::Deserialize)]
pub struct StepForm {
    #[serde(default)]
    pub step: String,
    #[serde(default)]
    pub note: String,
    /// The step the officer saw: a step taken on a page gone stale (someone acted meanwhile)
    /// is refused rather than applied to the newer state.
    #[serde(default)]
    pub from: String,
}

pub async fn step_post(
    State(state): State<AppState>,
    me: Allowed<Viewer>,
    Path(id): Path<i64>,
    Form(form): Form<StepForm>,
) -> AppResult<Response> {
    let me = me.signed_in();
    let Some((r, access)) = scoped(&state, &me, id).await? else { return Err(AppError::NotFound) };
    let (Some(to), true) = (Step::parse(&form.step), Step::parse(&form.from) == Some(r.step)) else {
        return detail(&state, &me, &r, &access, false, Some((T::HallStale, false))).await;
    };
    match service::take_step(&state, &me.admin, &me.ip, &r, to, &form.note).await? {
        Stepped::Done => Ok(Redirect::to(&format!("/admin/hall/{id}?done=step")).into_response()),
        Stepped::NotAllowed => refused(&state, &me, Action::ServiceStep, Target::ServiceRequest(id)).await,
        Stepped::NoteNeeded => detail(&state, &me, &r, &access, false, Some((T::HallNoteNeeded, false))).await,
        Stepped::Stale => {
            let r = repo::request(&state.db.pool, id).await?.ok_or(AppError::NotFound)?;
            detail(&state, &me, &r, &access, false, Some((T::HallStale, false))).await
        }
    }
}

#[derive(serde::Deserialize)]
pub struct RevealForm {
    #[serde(default)]
    pub reason: String,
}

/// Full phone and ID numbers of a request, with a stated reason, on the record.
pub async fn reveal_post(
    State(state): State<AppState>,
    me: Allowed<Revealer>,
    Path(id): Path<i64>,
    Form(form): Form<RevealForm>,
) -> AppResult<Response> {
    let me = me.signed_in();
    let Some((r, access)) = scoped(&state, &me, id).await? else { return Err(AppError::NotFound) };
    let reason: String = form.reason.trim().chars().take(200).collect();
    if reason.chars().count() < 2 || !access.answers {
        return detail(&state, &me, &r, &access, false, Some((T::RevealReasonNeeded, false))).await;
    }
    audit::record_alone(&state, state.now(), me.admin.audit(Action::Reveal, Target::ServiceRequest(id), &me.ip, Outcome::Ok, &reason))
        .await?;
    detail(&state, &me, &r, &access, true, None).await
}

pub async fn file_get(State(state): State<AppState>, me: Allowed<Viewer>, Path((id, file)): Path<(i64, i64)>) -> AppResult<Response> {
    let me = me.signed_in();
    let Some((r, access)) = scoped(&state, &me, id).await? else { return Err(AppError::NotFound) };
    if !access.answers {
        return refused(&state, &me, Action::View, Target::ServiceFile(file)).await;
    }
    if r.sensitive {
        audit::record_alone(&state, state.now(), me.admin.audit(Action::View, Target::ServiceFile(file), &me.ip, Outcome::Ok, "sealed"))
            .await?;
    }
    send_file(&state, r.id, file).await
}

fn filing_form(admin: &AdminRow, s: &repo::Service) -> ServiceFormView {
    let mut view = new_form(s, format!("/admin/hall/file/{}", s.code), Some(admin.info()));
    view.refusal = s.link.as_ref().map(|_| T::HallNotAForm);
    view
}

async fn form_service(state: &AppState, code: &str) -> AppResult<repo::Service> {
    match repo::service_by_code(&state.db.pool, code).await? {
        Some(s) if s.active && s.link.is_none() => Ok(s),
        _ => Err(AppError::NotFound),
    }
}

/// An admin files for a driver who cannot (a member by number, or a walk-in by name and phone).
pub async fn file_for_get(State(state): State<AppState>, me: Allowed<Decider>, Path(code): Path<String>) -> AppResult<Response> {
    let s = form_service(&state, &code).await?;
    Ok(Page::ok(filing_form(&me.admin, &s)).no_store().into_response())
}

pub async fn file_for_post(
    State(state): State<AppState>,
    me: Allowed<Decider>,
    Path(code): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult<Response> {
    let me = me.signed_in();
    let s = form_service(&state, &code).await?;
    let mut view = filing_form(&me.admin, &s);
    let (posted, who) = match read_post(multipart).await {
        Ok(p) => p,
        Err(t) => {
            view.notice = Some(t);
            return Ok(Page::ok(view).no_store().into_response());
        }
    };
    let invalid = |mut view: ServiceFormView, field: &str, t: T, posted: &service::Posted, who: &OnBehalf| {
        view.errors.insert(field.into(), t);
        view.values = posted.values.clone();
        view.submission = posted.submission.clone();
        view.on_behalf = Some(who.clone());
        Ok(Page::ok(view).no_store().into_response())
    };
    let member;
    let asking = if !who.member_no.is_empty() {
        member = repo::asker(&state.db.pool, None, Some(&who.member_no)).await?;
        // A number outside the subtree answers as an unknown one, and the attempt is on the record.
        let inside = match &member {
            Some(m) => crate::org::repo::is_within(&state.db.pool, m.org_id, me.admin.org_id).await?,
            None => false,
        };
        if !inside {
            let target = Target::Route(format!("POST /admin/hall/file/{code} member"));
            audit::record_alone(&state, state.now(), me.admin.audit(Action::ServiceAsk, target, &me.ip, Outcome::NotFound, "")).await?;
            return invalid(view, "member_no", T::HallNoSuchMember, &posted, &who);
        }
        Asking::ForMember { admin: &me.admin, ip: &me.ip, member: member.as_ref().expect("checked") }
    } else if s.audience == Audience::Anyone {
        let name = match crate::join::validate::name(&who.walkin_name) {
            Ok(n) => n,
            Err(t) => return invalid(view, "walkin_name", t, &posted, &who),
        };
        let phone = match crate::join::validate::phone(&who.walkin_phone) {
            Ok(p) => p,
            Err(t) => return invalid(view, "walkin_phone", t, &posted, &who),
        };
        Asking::Walkin { admin: &me.admin, ip: &me.ip, name, phone }
    } else {
        return invalid(view, "member_no", T::HallMemberNoNeeded, &posted, &who);
    };
    let submission = posted.submission.clone();
    let values = posted.values.clone();
    match service::ask(&state, &s, asking, posted).await? {
        Asked::Made(id) => Ok(Redirect::to(&format!("/admin/hall/{id}")).into_response()),
        Asked::Invalid { values, errors, kept } => {
            view.values = values;
            view.errors = errors;
            view.kept = kept;
            view.submission = submission;
            view.on_behalf = Some(who);
            Ok(Page::ok(view).no_store().into_response())
        }
        Asked::Refused(t) => {
            view.refusal = Some(t);
            view.values = values;
            view.on_behalf = Some(who);
            Ok(Page::ok(view).no_store().into_response())
        }
    }
}
