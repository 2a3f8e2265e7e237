//! Roster HTTP: the members list, export requests, an export's page and its download, and the
//! import (template, upload, report, confirmation). Anything outside the admin's subtree — or
//! an export or a batch of another admin — answers the one not-found page and is audited.
use super::import::{self, Confirmed, Uploaded};
use super::service::{self, ExportForm, Requested, RosterError};
use super::{ExportFormat, ImportView, MemberFilter};
use crate::admin::auth::{Allowed, Revealer, SignedIn, Viewer};
use crate::admin::repo::AdminRow;
use crate::i18n::{Lang, T};
use crate::server::audit;
use crate::server::error::{AppError, AppResult};
use crate::server::state::AppState;
use crate::server::web::{Form, Page};
use axum::extract::{Multipart, Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower::ServiceExt;

impl From<RosterError> for AppError {
    fn from(e: RosterError) -> AppError {
        match e {
            RosterError::Db(e) => AppError::Db(e),
            other => AppError::Internal(anyhow::Error::new(other)),
        }
    }
}

async fn not_found(state: &AppState, me: &SignedIn, action: audit::Action, target: audit::Target) -> AppResult<Response> {
    service::audit_not_found(state, &me.admin, &me.ip, action, target).await?;
    Err(AppError::NotFound)
}

pub async fn members(State(state): State<AppState>, me: Allowed<Viewer>, Query(filter): Query<MemberFilter>) -> AppResult<Response> {
    let me = me.signed_in();
    match service::members_view(&state, &me.admin, &me.ip, filter).await? {
        Some(view) => Ok(Page::ok(view).no_store().into_response()),
        None => Err(AppError::NotFound),
    }
}

pub async fn export_post(State(state): State<AppState>, me: Allowed<Viewer>, Form(form): Form<ExportForm>) -> AppResult<Response> {
    let me = me.signed_in();
    match service::request_export(&state, &me.admin, &me.ip, &form).await? {
        Requested::Created { id, token } => Ok(Redirect::to(&format!("/admin/exports/{id}?t={token}")).into_response()),
        Requested::NotFound | Requested::Forbidden => Err(AppError::NotFound),
        Requested::ReasonNeeded => Err(AppError::BadRequest(T::RevealNeedsReason)),
        Requested::Invalid => Err(AppError::BadRequest(T::UnknownAction)),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TokenQuery {
    t: String,
}

/// The job's page; it reloads itself every 2 s while the file is being written.
pub async fn export_get(
    State(state): State<AppState>,
    me: Allowed<Viewer>,
    Path(id): Path<i64>,
    Query(q): Query<TokenQuery>,
) -> AppResult<Response> {
    let me = me.signed_in();
    let Some(view) = service::export_view(&state, &me.admin, id, &q.t).await? else {
        return not_found(&state, &me, audit::Action::View, audit::Target::Export(id)).await;
    };
    let running = view.status.in_progress();
    let mut page = Page::ok(view).no_store();
    if running {
        page = page.header(header::HeaderName::from_static("refresh"), HeaderValue::from_static("2"));
    }
    Ok(page.into_response())
}

/// The file, for its requester with the link's token, within the hour; anyone else — or
/// later — gets the not-found page, audited.
pub async fn download(
    State(state): State<AppState>,
    me: Allowed<Viewer>,
    Path(id): Path<i64>,
    Query(q): Query<TokenQuery>,
    req: Request,
) -> AppResult<Response> {
    let me = me.signed_in();
    let Some((path, name, format)) = service::download(&state, &me.admin, id, &q.t).await? else {
        return not_found(&state, &me, audit::Action::Export, audit::Target::Export(id)).await;
    };
    // Streamed from the file, never read whole into memory.
    let res = tower_http::services::ServeFile::new_with_mime(&path, &format.content_type().parse().expect("a valid mime type"))
        .oneshot(req)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("serving an export: {e}")))?;
    let mut res = res.into_response();
    let disposition = format!("attachment; filename=\"{name}\"");
    res.headers_mut().insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).expect("an ascii file name"));
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// The unions this admin may import into; `None`: not an importer (a manager of a federation,
/// or no manager at all; the city admin imports anywhere in the subtree).
async fn import_targets(state: &AppState, admin: &AdminRow) -> AppResult<Option<Vec<crate::org::OrgChoice>>> {
    let own = crate::org::repo::get(&state.db.pool, admin.org_id).await?;
    let city = admin.has(crate::admin::Role::CityAdmin);
    if !city && own.is_none_or(|o| o.kind.is_federation()) {
        return Ok(None);
    }
    Ok(Some(super::repo::imports::import_targets(&state.db.pool, admin.org_id).await?))
}

async fn import_page(state: &AppState, me: &SignedIn, error: Option<T>, batch: Option<super::BatchView>) -> AppResult<Response> {
    let Some(orgs) = import_targets(state, &me.admin).await? else {
        return not_found(state, me, audit::Action::Import, audit::Target::Route("/admin/import".into())).await;
    };
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    Ok(Page::ok(ImportView { admin: me.admin.info(), orgs, error, batch }).with_status(status).no_store().into_response())
}

pub async fn import_get(State(state): State<AppState>, me: Allowed<Revealer>) -> AppResult<Response> {
    import_page(&state, &me.signed_in(), None, None).await
}

pub async fn template_xlsx(_me: Allowed<Revealer>) -> AppResult<Response> {
    template(ExportFormat::Xlsx)
}

pub async fn template_csv(_me: Allowed<Revealer>) -> AppResult<Response> {
    template(ExportFormat::Csv)
}

fn template(format: ExportFormat) -> AppResult<Response> {
    let bytes = import::template(format).map_err(|e| AppError::Internal(e.into()))?;
    let disposition = format!("attachment; filename=\"roster-template.{}\"", format.as_str());
    Ok(([(header::CONTENT_TYPE, format.content_type().to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}

/// An upload: the union, then the file. A file that cannot be read safely gets the import
/// page back with the reason, and nothing is written.
pub async fn import_post(
    State(state): State<AppState>,
    me: Allowed<Revealer>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult<Response> {
    let me = me.signed_in();
    let Some(targets) = import_targets(&state, &me.admin).await? else {
        return not_found(&state, &me, audit::Action::Import, audit::Target::Route("/admin/import".into())).await;
    };
    let Ok(mut multipart) = multipart else { return import_page(&state, &me, Some(T::ImportNotSpreadsheet), None).await };
    let mut org = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                let t = if e.status() == StatusCode::PAYLOAD_TOO_LARGE { T::ImportTooLarge } else { T::ImportNotSpreadsheet };
                return import_page(&state, &me, Some(t), None).await;
            }
        };
        match field.name() {
            Some("org") => org = field.text().await.unwrap_or_default().chars().take(20).collect(),
            Some("file") => {
                let name = field.file_name().unwrap_or("").to_string();
                match field.bytes().await {
                    Ok(b) => file = Some((name, b.to_vec())),
                    Err(e) => {
                        let t = if e.status() == StatusCode::PAYLOAD_TOO_LARGE { T::ImportTooLarge } else { T::ImportNotSpreadsheet };
                        return import_page(&state, &me, Some(t), None).await;
                    }
                }
            }
            _ => {}
        }
    }
    let Ok(org_id) = org.trim().parse::<i64>() else { return import_page(&state, &me, Some(T::ImportChooseUnion), None).await };
    if !targets.iter().any(|o| o.id == org_id) {
        return not_found(&state, &me, audit::Action::Import, audit::Target::Route(format!("/admin/import org {org_id}"))).await;
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return import_page(&state, &me, Some(T::ImportEmpty), None).await;
    };
    match import::upload(&state, &me.admin, &me.ip, org_id, &name, &bytes).await? {
        Uploaded::Batch(id) => Ok(Redirect::to(&format!("/admin/import/{id}")).into_response()),
        Uploaded::Refused(t) => import_page(&state, &me, Some(t), None).await,
    }
}

pub async fn batch_get(State(state): State<AppState>, me: Allowed<Revealer>, Path(id): Path<i64>) -> AppResult<Response> {
    let me = me.signed_in();
    match import::batch_view(&state, &me.admin, id).await? {
        Some((view, _)) => import_page(&state, &me, None, Some(view)).await,
        None => not_found(&state, &me, audit::Action::View, audit::Target::Import(id)).await,
    }
}

pub async fn report(State(state): State<AppState>, me: Allowed<Revealer>, lang: Lang, Path(id): Path<i64>) -> AppResult<Response> {
    let me = me.signed_in();
    let Some((_, rows)) = import::batch_view(&state, &me.admin, id).await? else {
        return not_found(&state, &me, audit::Action::View, audit::Target::Import(id)).await;
    };
    let bytes = import::report_xlsx(&rows, lang).map_err(|e| AppError::Internal(e.into()))?;
    let disposition = format!("attachment; filename=\"import-{id}-report.xlsx\"");
    Ok((
        [
            (header::CONTENT_TYPE, ExportFormat::Xlsx.content_type().to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

pub async fn confirm(State(state): State<AppState>, me: Allowed<Revealer>, Path(id): Path<i64>) -> AppResult<Response> {
    let me = me.signed_in();
    match import::confirm(&state, &me.admin, &me.ip, id).await? {
        Confirmed::Done { .. } | Confirmed::Already => Ok(Redirect::to(&format!("/admin/import/{id}")).into_response()),
        Confirmed::Expired => import_page(&state, &me, Some(T::ImportExpired), None).await,
        Confirmed::NotFound => not_found(&state, &me, audit::Action::Import, audit::Target::Import(id)).await,
    }
}
