//! Command centre HTTP: the board page, its live stream and the overdue list with 督办. A union
//! outside the viewer's subtree answers the one not-found page and is audited; the stream only
//! ever carries the counts of the viewer's subtree.
use super::service::{self, Chased};
use super::{repo, CommandView, OverdueItem, OverdueView, OVERDUE_PAGE};
use crate::admin::auth::{Allowed, Commander};
use crate::domain::PersonName;
use crate::i18n::T;
use crate::server::audit;
use crate::server::error::{AppError, AppResult};
use crate::server::events::Change;
use crate::server::state::AppState;
use crate::server::web::Page;
use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashSet;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast::{self, error::RecvError};

/// Screens recount at least this often (deadlines pass without any change).
const REFRESH_SECS: u64 = 30;
/// A stream ends after this long; the browser reconnects through the sign-in check again, so a
/// signed-out or disabled admin's open screen stops receiving figures within this time.
const STREAM_SECS: u64 = 300;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BoardQuery {
    org: String,
}

impl BoardQuery {
    fn org(&self, me: &Allowed<Commander>) -> i64 {
        self.org.parse().unwrap_or(me.admin.org_id)
    }
}

async fn outside(state: &AppState, me: &Allowed<Commander>, org: i64) -> AppResult<Response> {
    audit::record_alone(
        state,
        state.now(),
        me.admin.audit(audit::Action::View, audit::Target::Org(org), &me.ip, audit::Outcome::NotFound, "command"),
    )
    .await?;
    Err(AppError::NotFound)
}

pub async fn board(State(state): State<AppState>, me: Allowed<Commander>, Query(q): Query<BoardQuery>) -> AppResult<Response> {
    let org = q.org(&me);
    match service::board(&state, me.admin.org_id, org).await? {
        Some(board) => Ok(Page::ok(CommandView { admin: me.admin.info(), board }).no_store().into_response()),
        None => outside(&state, &me, org).await,
    }
}

struct Live {
    state: AppState,
    top: i64,
    org: i64,
    subtree: HashSet<i64>,
    rx: broadcast::Receiver<Change>,
    first: bool,
    ends: tokio::time::Instant,
    /// Counts this stream among the open ones until it ends.
    _counted: crate::server::metrics::StreamGuard,
}

/// Waits for a notice from the subtree (true), or for the hub to close (false).
async fn next_relevant(rx: &mut broadcast::Receiver<Change>, subtree: &HashSet<i64>) -> bool {
    loop {
        match rx.recv().await {
            Ok(c) if subtree.contains(&c.org_id) => return true,
            Ok(_) => continue,
            // Missed some: recount to be sure.
            Err(RecvError::Lagged(_)) => return true,
            Err(RecvError::Closed) => return false,
        }
    }
}

/// Server-sent events: a `board` event with the whole board (counts only) at once, then again
/// after every change in the subtree and at least every 30 seconds.
pub async fn live(State(state): State<AppState>, me: Allowed<Commander>, Query(q): Query<BoardQuery>) -> AppResult<Response> {
    let org = q.org(&me);
    if repo::crumbs(&state.db.pool, me.admin.org_id, org).await?.is_none() {
        return outside(&state, &me, org).await;
    }
    let subtree: HashSet<i64> = repo::subtree_ids(&state.db.pool, org).await?.into_iter().collect();
    let rx = state.events.subscribe();
    let ends = tokio::time::Instant::now() + Duration::from_secs(STREAM_SECS);
    let stop = state.shutdown.clone();
    let counted = state.metrics.stream_opened();
    let start = Live { state, top: me.admin.org_id, org, subtree, rx, first: true, ends, _counted: counted };
    let stream = futures_util::stream::unfold(start, |mut l| async move {
        if !l.first {
            let wait = Duration::from_secs(REFRESH_SECS).min(l.ends.saturating_duration_since(tokio::time::Instant::now()));
            if wait.is_zero() {
                return None;
            }
            match tokio::time::timeout(wait, next_relevant(&mut l.rx, &l.subtree)).await {
                Ok(false) => return None,
                Ok(true) => {
                    // A burst of changes becomes one recount.
                    tokio::time::sleep(Duration::from_millis(40)).await;
                    while l.rx.try_recv().is_ok() {}
                }
                Err(_) => {}
            }
        }
        let first = std::mem::replace(&mut l.first, false);
        match service::board_json(&l.state, l.top, l.org).await {
            Ok(Some(json)) => {
                let event = Event::default().event("board").data(&*json);
                // After the stream's planned end, the browser comes back within a second.
                let event = if first { event.retry(Duration::from_secs(1)) } else { event };
                Some((Ok::<_, Infallible>(event), l))
            }
            Ok(None) => None,
            Err(e) => {
                // The browser reconnects and starts from a fresh count.
                tracing::warn!(error = %e, "live board count failed");
                None
            }
        }
    });
    // A stopping instance ends its streams; the browser reconnects (to another instance).
    let stream = futures_util::StreamExt::take_until(stream, async move { stop.wait().await });
    let mut response = Sse::new(stream).keep_alive(KeepAlive::default()).into_response();
    response.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    // Proxies must pass events on as they come.
    response.headers_mut().insert("x-accel-buffering", axum::http::HeaderValue::from_static("no"));
    Ok(response)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OverdueQuery {
    page: String,
    chased: String,
    soon: String,
}

pub async fn overdue(State(state): State<AppState>, me: Allowed<Commander>, Query(q): Query<OverdueQuery>) -> AppResult<Page<OverdueView>> {
    let now = state.now();
    let page = q.page.parse::<i64>().unwrap_or(0).clamp(0, 10_000);
    let (rows, total) = repo::overdue(&state.db.pool, me.admin.org_id, now, OVERDUE_PAGE, page * OVERDUE_PAGE).await?;
    let items = rows
        .into_iter()
        .map(|(id, name, _org, org_name, submitted, due, level, chased_at, chased_by)| OverdueItem {
            id,
            name_masked: PersonName::mask_stored(&name),
            org_name,
            submitted_at: crate::calendar::format_local(submitted),
            due_at: crate::calendar::format_local(due),
            secs_over: now - due,
            level,
            can_chase: chased_at.is_none_or(|at| now - at >= service::CHASE_EVERY_SECS),
            last_chase: chased_at.map(|at| (crate::calendar::format_local(at), chased_by.unwrap_or_default())),
        })
        .collect();
    let notice = if let Ok(n) = q.chased.parse::<usize>() {
        Some((T::ChaseSent, n.to_string()))
    } else if !q.soon.is_empty() {
        Some((T::ChaseTooSoon, String::new()))
    } else {
        None
    };
    Ok(Page::ok(OverdueView { admin: me.admin.info(), items, total, page, notice }).no_store())
}

pub async fn chase(State(state): State<AppState>, me: Allowed<Commander>, Path(id): Path<i64>) -> AppResult<Response> {
    match service::chase(&state, &me.admin, &me.ip, id).await? {
        Chased::Done(n) => Ok(Redirect::to(&format!("/admin/command/overdue?chased={n}")).into_response()),
        Chased::TooSoon => Ok(Redirect::to("/admin/command/overdue?soon=1").into_response()),
        Chased::NotFound => Err(AppError::NotFound),
    }
}
