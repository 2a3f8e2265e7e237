//! The hall over HTTP for members: the catalogue (`/hall`, by module or by a search of names),
//! a service's form (`/hall/{code}`: a plain multipart post that works without JavaScript; an
//! error re-renders the form with the input and the files kept), my requests (`/me/requests`),
//! one request with its steps, files and a supplement when more is needed.
use super::repo;
use super::service::{self, Asked, Asking, Posted, Supplemented};
use super::types::*;
use crate::i18n::T;
use crate::member::auth::SignedMember;
use crate::server::error::{AppError, AppResult};
use crate::server::state::AppState;
use crate::server::web::{Form, Page};
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

#[derive(serde::Deserialize, Default)]
pub struct HallQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub m: String,
}

pub fn card(s: &repo::Service) -> ServiceCard {
    ServiceCard {
        id: s.id,
        code: s.code.clone(),
        name: s.name.clone(),
        summary: s.summary.clone(),
        module: s.module_name.clone(),
        promise_days: s.promise_days,
        href: s.link.clone().unwrap_or_else(|| format!("/hall/{}", s.code)),
        sensitive: s.sensitive,
    }
}

/// `/hall`: every active service by module; a search looks in names and summaries.
pub async fn hall_get(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<HallQuery>) -> AppResult<Response> {
    let signed_in = crate::member::auth::current(&state, &headers).await.ok().flatten().is_some();
    let query: String = q.q.trim().chars().take(30).collect();
    let modules = repo::modules(&state.db.pool).await?;
    let services = repo::services(&state.db.pool).await?;
    let module = modules.iter().find(|(c, _)| *c == q.m).map(|(c, _)| c.clone()).unwrap_or_default();
    let cards = modules
        .iter()
        .filter(|(code, _)| module.is_empty() || *code == module || !query.is_empty())
        .map(|(code, name)| ModuleCard {
            code: code.clone(),
            name: name.clone(),
            services: services
                .iter()
                .filter(|s| s.active && &s.module_code == code)
                .filter(|s| query.is_empty() || s.name.contains(&query) || s.summary.contains(&query))
                .map(card)
                .collect(),
        })
        .filter(|m| !m.services.is_empty())
        .collect();
    let view = HallView { modules: cards, tabs: modules, module, q: query, signed_in };
    Ok(Page::ok(view).into_response())
}

/// A service's empty form posting to `action`; for an officer filing for someone, with the
/// officer and the who-for fields.
pub fn new_form(s: &repo::Service, action: String, admin: Option<crate::admin::AdminInfo>) -> ServiceFormView {
    ServiceFormView {
        service: card(s),
        fields: s.fields.clone(),
        audience: s.audience,
        values: Default::default(),
        errors: Default::default(),
        kept: Vec::new(),
        submission: crate::server::crypto::random_token(),
        refusal: None,
        notice: None,
        action,
        on_behalf: admin.as_ref().map(|_| OnBehalf::default()),
        admin,
    }
}

async fn active_service(state: &AppState, code: &str) -> AppResult<repo::Service> {
    match repo::service_by_code(&state.db.pool, code).await? {
        Some(s) if s.active => Ok(s),
        _ => Err(AppError::NotFound),
    }
}

/// `/hall/{code}`: the service's own pages, or its form. Anyone may look; asking needs a member.
pub async fn service_get(State(state): State<AppState>, headers: HeaderMap, Path(code): Path<String>) -> AppResult<Response> {
    let s = active_service(&state, &code).await?;
    if let Some(link) = &s.link {
        return Ok(Redirect::to(link).into_response());
    }
    let mut view = new_form(&s, format!("/hall/{}", s.code), None);
    view.refusal = match crate::member::auth::current(&state, &headers).await.map_err(AppError::from)? {
        None => Some(T::HallSignInFirst),
        Some(((member_id, ..), _)) => {
            let asker = repo::asker(&state.db.pool, Some(member_id), None).await?;
            service::refusal(&s, asker.as_ref())
        }
    };
    Ok(Page::ok(view).no_store().into_response())
}

/// Reads a multipart form post: values (`f_<key>`), files (`file_<key>`), kept files
/// (`kept` = `<key>:<token>`), the form key and, for admins, who they file for.
pub async fn read_post(multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>) -> Result<(Posted, OnBehalf), T> {
    let mut multipart = multipart.map_err(|_| T::HallPostUnreadable)?;
    let mut posted = Posted::default();
    let mut who = OnBehalf::default();
    let mut files_seen = 0usize;
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(T::HallPostTooLarge),
            Err(_) => return Err(T::HallPostUnreadable),
        };
        let name = field.name().unwrap_or("").to_string();
        if let Some(key) = name.strip_prefix("file_") {
            // A file: read up to the limit, then only note that it was too large.
            let mut bytes = Vec::new();
            let mut too_large = false;
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => {
                        if bytes.len() + chunk.len() > FILE_MAX_BYTES {
                            too_large = true;
                            bytes.clear();
                        } else if !too_large {
                            bytes.extend_from_slice(&chunk);
                        }
                    }
                    Ok(None) => break,
                    Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(T::HallPostTooLarge),
                    Err(_) => return Err(T::HallPostUnreadable),
                }
            }
            // An empty file input still sends a part with no bytes: nothing was chosen.
            if bytes.is_empty() && !too_large {
                continue;
            }
            files_seen += 1;
            if files_seen > super::fields::FIELDS_MAX * FILES_PER_FIELD {
                return Err(T::HallPostTooLarge);
            }
            posted.files.entry(key.to_string()).or_default().push((bytes, too_large));
            continue;
        }
        let text = field.text().await.map_err(|_| T::HallPostUnreadable)?;
        let text: String = text.chars().take(super::fields::TEXT_MAX + 10).collect();
        match name.as_str() {
            "kept" => posted.kept.push(text),
            "submission" => posted.submission = text,
            "member_no" => who.member_no = text.trim().chars().take(40).collect(),
            "walkin_name" => who.walkin_name = text.chars().take(50).collect(),
            "walkin_phone" => who.walkin_phone = text.chars().take(20).collect(),
            other => {
                if let Some(key) = other.strip_prefix("f_") {
                    if posted.values.len() < super::fields::FIELDS_MAX * 2 {
                        posted.values.insert(key.to_string(), text);
                    }
                }
            }
        }
    }
    Ok((posted, who))
}

/// A member's post of a service's form.
pub async fn service_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult<Response> {
    let s = active_service(&state, &code).await?;
    let mut view = new_form(&s, format!("/hall/{}", s.code), None);
    let (posted, _) = match read_post(multipart).await {
        Ok(p) => p,
        Err(t) => {
            view.notice = Some(t);
            return Ok(Page::ok(view).no_store().into_response());
        }
    };
    let member = match crate::member::auth::current(&state, &headers).await.map_err(AppError::from)? {
        Some(((member_id, ..), _)) => repo::asker(&state.db.pool, Some(member_id), None).await?,
        None => None,
    };
    let Some(member) = member else {
        // Signed out meanwhile: the form again with what was typed (files need a session to be kept).
        view.values = posted.values;
        view.submission = posted.submission;
        view.refusal = Some(T::HallSignInFirst);
        return Ok(Page::ok(view).no_store().into_response());
    };
    let submission = posted.submission.clone();
    let typed = posted.values.clone();
    match service::ask(&state, &s, Asking::Member(&member), posted).await? {
        Asked::Made(id) => Ok(Redirect::to(&format!("/me/requests/{id}?done=sent")).into_response()),
        Asked::Invalid { values, errors, kept } => {
            view.values = values;
            view.errors = errors;
            view.kept = kept;
            view.submission = submission;
            Ok(Page::ok(view).no_store().into_response())
        }
        // An old or broken form key: what was typed comes back on a form with a fresh key, to
        // be sent again (files chosen again: they were not kept under a key we did not give).
        Asked::Refused(T::HallFormExpired) => {
            view.values = typed;
            view.notice = Some(T::HallFormExpired);
            Ok(Page::ok(view).no_store().into_response())
        }
        Asked::Refused(t) => {
            view.values = typed;
            view.refusal = Some(t);
            Ok(Page::ok(view).no_store().into_response())
        }
    }
}

/// `/me/requests`: my requests, newest first.
pub async fn mine_get(State(state): State<AppState>, me: SignedMember) -> AppResult<Response> {
    let now = state.now();
    let items = repo::requests_of(&state.db.pool, me.member_id).await?.iter().map(|r| service::line(r, now)).collect();
    Ok(Page::ok(MyRequestsView { items, notice: None }).no_store().into_response())
}

#[derive(serde::Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    pub done: String,
}

async fn my_request(state: &AppState, member_id: i64, id: i64) -> AppResult<repo::Request> {
    match repo::request(&state.db.pool, id).await? {
        Some(r) if r.member_id == Some(member_id) => Ok(r),
        _ => Err(AppError::NotFound),
    }
}

async fn my_request_view(
    state: &AppState,
    r: &repo::Request,
    notice: Option<(T, bool)>,
    error: Option<T>,
    text: String,
) -> AppResult<Response> {
    let mut conn = state.db.pool.acquire().await?;
    let s = repo::service_by_id(&mut conn, r.service_id).await?.ok_or(AppError::NotFound)?;
    drop(conn);
    let answers = service::open_answers(state, r)?;
    let files = repo::files(&state.db.pool, r.id).await?;
    let id = r.id;
    let view = MyRequestView {
        line: service::line(r, state.now()),
        steps: service::step_lines(state, r.id).await?,
        // The member's own answers, their own numbers in full would be shown to whoever holds the phone: masked too.
        answers: service::answer_lines(&s, &answers, false),
        files: service::file_lines(&s, &files, |f| format!("/me/requests/{id}/files/{f}")),
        notice,
        supplement_error: error,
        supplement: text,
    };
    Ok(Page::ok(view).no_store().into_response())
}

pub async fn my_request_get(
    State(state): State<AppState>,
    me: SignedMember,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> AppResult<Response> {
    let r = my_request(&state, me.member_id, id).await?;
    let notice = match q.done.as_str() {
        "sent" => Some((T::HallSent, true)),
        "supplemented" => Some((T::HallSupplemented, true)),
        _ => None,
    };
    my_request_view(&state, &r, notice, None, String::new()).await
}

#[derive(serde::Deserialize)]
pub struct SupplementForm {
    #[serde(default)]
    pub text: String,
}

pub async fn supplement_post(
    State(state): State<AppState>,
    me: SignedMember,
    Path(id): Path<i64>,
    Form(form): Form<SupplementForm>,
) -> AppResult<Response> {
    let r = my_request(&state, me.member_id, id).await?;
    match service::supplement(&state, me.member_id, &r, &form.text).await? {
        Supplemented::Done => Ok(Redirect::to(&format!("/me/requests/{id}?done=supplemented")).into_response()),
        Supplemented::Empty => my_request_view(&state, &r, None, Some(T::HallSupplementEmpty), form.text).await,
        Supplemented::Stale => my_request_view(&state, &r, Some((T::HallStale, false)), None, String::new()).await,
    }
}

/// A file of my request: only mine, never cached, never shown as a page of this site.
pub async fn my_file(State(state): State<AppState>, me: SignedMember, Path((id, file)): Path<(i64, i64)>) -> AppResult<Response> {
    let r = my_request(&state, me.member_id, id).await?;
    send_file(&state, r.id, file).await
}

/// Sends a request's file as a download of its checked type; the not-found page otherwise.
pub async fn send_file(state: &AppState, request_id: i64, file: i64) -> AppResult<Response> {
    let files = repo::files(&state.db.pool, request_id).await?;
    let Some((_, _, sha, mime, _)) = files.into_iter().find(|(f, ..)| *f == file) else { return Err(AppError::NotFound) };
    let Some(bytes) = super::files::load(state, &sha).await else { return Err(AppError::NotFound) };
    let ext = match mime.as_str() {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        _ => "pdf",
    };
    let headers = [
        (header::CONTENT_TYPE, mime),
        // A PDF is downloaded (a browser's viewer would run inside this site); a photo is shown.
        (
            header::CONTENT_DISPOSITION,
            format!("{}; filename=\"{}-{file}.{ext}\"", if ext == "pdf" { "attachment" } else { "inline" }, request_no(request_id)),
        ),
        (header::CACHE_CONTROL, "private, no-store".to_string()),
        (header::HeaderName::from_static("x-content-type-options"), "nosniff".to_string()),
        (header::CONTENT_SECURITY_POLICY, "default-src 'none'; img-src 'self'; sandbox".to_string()),
    ];
    Ok((headers, bytes).into_response())
}
