//! Calendar settings (city admin) and the progress page (anyone who may view the queue).
use super::{CalendarView, OverrideRow, StatsView, UnionStats};
use crate::admin::auth::SignedIn;
use crate::admin::http::read_form;
use crate::admin::Role;
use crate::app::PageData;
use crate::calendar::OfficeHours;
use crate::domain::Ymd;
use crate::i18n::T;
use crate::server::audit::{self, Entry};
use crate::server::error::AppResult;
use crate::server::http::render_page;
use crate::server::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, StatusCode};
use axum::response::Response;
use serde::Deserialize;

async fn calendar_view(state: &AppState, me: &SignedIn, notice: Option<(T, String)>) -> AppResult<CalendarView> {
    let rows: Vec<(String, i64, String)> =
        sqlx::query_as("SELECT day, is_off_day, note FROM calendar_overrides ORDER BY day").fetch_all(&state.db.pool).await?;
    let (hours, provisional_years) = {
        let cal = state.calendar.read().expect("calendar lock");
        let this_year = state.today().y;
        (cal.hours, (this_year..=this_year + 1).filter(|y| cal.is_provisional(*y)).collect())
    };
    Ok(CalendarView {
        provisional_years,
        admin: me.admin.info(),
        office_hours: format!("{:02}:{:02}-{:02}:{:02}", hours.open / 60, hours.open % 60, hours.close / 60, hours.close % 60),
        overrides: rows.into_iter().map(|(day, off, note)| OverrideRow { day, is_off_day: off != 0, note }).collect(),
        notice,
    })
}

async fn page(state: &AppState, me: &SignedIn, req: Request<Body>, notice: Option<(T, String)>) -> AppResult<Response> {
    if !me.admin.info().has(Role::CityAdmin) {
        return render_page(state, req, PageData::NotFound, StatusCode::NOT_FOUND).await;
    }
    let view = calendar_view(state, me, notice).await?;
    render_page(state, req, PageData::Calendar(view), StatusCode::OK).await
}

pub async fn calendar_get(State(state): State<AppState>, me: SignedIn, req: Request<Body>) -> AppResult<Response> {
    page(&state, &me, req, None).await
}

/// Reloads the calendar and moves every open deadline it changes; returns how many moved.
pub async fn recompute_open_deadlines(state: &AppState) -> anyhow::Result<usize> {
    state.reload_calendar().await?;
    let cal = state.calendar.read().expect("calendar lock").clone();
    let mut tx = state.db.begin_write().await?;
    let open: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT id, COALESCE(clock_from, submitted_at), due_at, due_provisional FROM applications WHERE status = 'pending'",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut moved = 0;
    for (id, from, due, provisional) in open {
        let d = cal.deadline(from);
        if d.due_at != due || d.provisional as i64 != provisional {
            sqlx::query("UPDATE applications SET due_at = $1, due_provisional = $2 WHERE id = $3")
                .bind(d.due_at)
                .bind(d.provisional as i64)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            moved += 1;
        }
    }
    tx.commit().await?;
    Ok(moved)
}

async fn changed(state: &AppState, me: &SignedIn, req: Request<Body>, what: &str) -> AppResult<Response> {
    let moved = recompute_open_deadlines(state).await?;
    audit::record_alone(
        state,
        state.now(),
        Entry { admin_id: Some(me.admin.id), org_id: Some(me.admin.org_id), action: "calendar_change", target: what, ip: &me.ip, outcome: "ok", detail: &format!("{moved} deadlines moved") },
    )
    .await?;
    page(state, me, req, Some((T::DeadlinesMoved, format!(" {moved}")))).await
}

/// Reads a city admin's form; anyone else gets not-found (and the request back for rendering).
async fn city_admin_form<F: serde::de::DeserializeOwned>(state: &AppState, me: &SignedIn, req: Request<Body>) -> AppResult<Result<(F, Request<Body>), Response>> {
    let (parts, body) = req.into_parts();
    let req_back = Request::from_parts(parts, Body::empty());
    if !me.admin.info().has(Role::CityAdmin) {
        return Ok(Err(render_page(state, req_back, PageData::NotFound, StatusCode::NOT_FOUND).await?));
    }
    Ok(Ok((read_form(body).await?, req_back)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct HoursForm {
    hours: String,
}

pub async fn hours_post(State(state): State<AppState>, me: SignedIn, req: Request<Body>) -> AppResult<Response> {
    let (form, req_back) = match city_admin_form::<HoursForm>(&state, &me, req).await? {
        Ok(read) => read,
        Err(not_found) => return Ok(not_found),
    };
    let Some(hours) = OfficeHours::parse(&form.hours) else {
        return page(&state, &me, req_back, Some((T::OfficeHoursInvalid, String::new()))).await;
    };
    let value = format!("{:02}:{:02}-{:02}:{:02}", hours.open / 60, hours.open % 60, hours.close / 60, hours.close % 60);
    let mut tx = state.db.begin_write().await?;
    sqlx::query("DELETE FROM settings WHERE key = 'office_hours'").execute(&mut *tx).await?;
    sqlx::query("INSERT INTO settings (key, value) VALUES ('office_hours', $1)").bind(&value).execute(&mut *tx).await?;
    tx.commit().await?;
    changed(&state, &me, req_back, &format!("office_hours:{value}")).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OverrideForm {
    day: String,
    kind: String,
    note: String,
}

pub async fn override_post(State(state): State<AppState>, me: SignedIn, req: Request<Body>) -> AppResult<Response> {
    let (form, req_back) = match city_admin_form::<OverrideForm>(&state, &me, req).await? {
        Ok(read) => read,
        Err(not_found) => return Ok(not_found),
    };
    let Some(day) = Ymd::parse(&form.day) else {
        return page(&state, &me, req_back, Some((T::DateInvalid, String::new()))).await;
    };
    let off = form.kind != "work";
    let mut tx = state.db.begin_write().await?;
    sqlx::query("DELETE FROM calendar_overrides WHERE day = $1").bind(day.to_string()).execute(&mut *tx).await?;
    sqlx::query("INSERT INTO calendar_overrides (day, is_off_day, note, created_at) VALUES ($1, $2, $3, $4)")
        .bind(day.to_string())
        .bind(off as i64)
        .bind(form.note.chars().take(40).collect::<String>())
        .bind(state.now())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    changed(&state, &me, req_back, &format!("override:{day}:{}", if off { "off" } else { "work" })).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PublishForm {
    year: i32,
}

/// Marks a year's schedule as published (after its days were entered as overrides): its
/// deadlines stop being provisional.
pub async fn publish_post(State(state): State<AppState>, me: SignedIn, req: Request<Body>) -> AppResult<Response> {
    let (form, req_back) = match city_admin_form::<PublishForm>(&state, &me, req).await? {
        Ok(read) => read,
        Err(not_found) => return Ok(not_found),
    };
    if !(2000..=2100).contains(&form.year) {
        return page(&state, &me, req_back, Some((T::DateInvalid, String::new()))).await;
    }
    let mut tx = state.db.begin_write().await?;
    let current: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = 'published_years'").fetch_optional(&mut *tx).await?;
    let mut years: Vec<String> = current.iter().flat_map(|c| c.split(',')).map(str::to_string).filter(|y| !y.is_empty()).collect();
    years.push(form.year.to_string());
    years.sort();
    years.dedup();
    sqlx::query("DELETE FROM settings WHERE key = 'published_years'").execute(&mut *tx).await?;
    sqlx::query("INSERT INTO settings (key, value) VALUES ('published_years', $1)").bind(years.join(",")).execute(&mut *tx).await?;
    tx.commit().await?;
    changed(&state, &me, req_back, &format!("published:{}", form.year)).await
}

pub async fn remove_post(State(state): State<AppState>, me: SignedIn, req: Request<Body>) -> AppResult<Response> {
    let (form, req_back) = match city_admin_form::<OverrideForm>(&state, &me, req).await? {
        Ok(read) => read,
        Err(not_found) => return Ok(not_found),
    };
    let mut tx = state.db.begin_write().await?;
    sqlx::query("DELETE FROM calendar_overrides WHERE day = $1").bind(&form.day).execute(&mut *tx).await?;
    tx.commit().await?;
    changed(&state, &me, req_back, &format!("override_removed:{}", form.day)).await
}

pub async fn stats_get(State(state): State<AppState>, me: SignedIn, req: Request<Body>) -> AppResult<Response> {
    if !me.admin.info().can_view() {
        return render_page(&state, req, PageData::NotFound, StatusCode::NOT_FOUND).await;
    }
    let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT o.name,
                CAST(SUM(CASE WHEN a.status = 'pending' THEN 1 ELSE 0 END) AS BIGINT),
                CAST(SUM(CASE WHEN a.status = 'pending' AND a.due_at < $2 THEN 1 ELSE 0 END) AS BIGINT),
                CAST(SUM(CASE WHEN a.decided_at IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT),
                CAST(SUM(CASE WHEN a.decided_at IS NOT NULL AND a.decided_at <= a.due_at THEN 1 ELSE 0 END) AS BIGINT)
         FROM applications a JOIN org_closure c ON c.descendant_id = a.org_id AND c.ancestor_id = $1
         JOIN orgs o ON o.id = a.org_id GROUP BY o.id, o.name, o.code ORDER BY o.code",
    )
    .bind(me.admin.org_id)
    .bind(state.now())
    .fetch_all(&state.db.pool)
    .await?;
    let rows = rows.into_iter().map(|(name, pending, overdue, decided, on_time)| UnionStats { name, pending, overdue, decided, on_time }).collect();
    render_page(&state, req, PageData::Stats(StatsView { admin: me.admin.info(), rows }), StatusCode::OK).await
}
