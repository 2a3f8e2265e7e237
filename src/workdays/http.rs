//! Calendar settings (city admin) and the progress page (anyone who may view the queue).
use super::{CalendarView, OverrideRow, StatsView};
use crate::admin::auth::{Allowed, CityAdmin, Viewer};
use crate::calendar::store;
use crate::calendar::OfficeHours;
use crate::domain::Ymd;
use crate::i18n::T;
use crate::server::audit;
use crate::server::error::AppResult;
use crate::server::state::AppState;
use crate::server::web::{Form, Page};
use axum::extract::State;
use serde::Deserialize;

type Me = Allowed<CityAdmin>;

async fn page(state: &AppState, me: &Me, notice: Option<(T, String)>) -> AppResult<Page<CalendarView>> {
    let overrides = store::overrides(&state.db.pool).await?;
    let cal = state.calendar.get();
    let this_year = state.today().year();
    Ok(Page::ok(CalendarView {
        provisional_years: (this_year..=this_year + 1).filter(|y| cal.is_provisional(*y)).collect(),
        admin: me.admin.info(),
        office_hours: cal.hours.to_string(),
        overrides: overrides.into_iter().map(|o| OverrideRow { day: o.day, is_off_day: o.is_off_day, note: o.note }).collect(),
        notice,
    }))
}

pub async fn calendar_get(State(state): State<AppState>, me: Me) -> AppResult<Page<CalendarView>> {
    page(&state, &me, None).await
}

/// Reloads the calendar and moves every open deadline it changes; returns how many moved.
pub async fn recompute_open_deadlines(state: &AppState) -> sqlx::Result<usize> {
    state.reload_calendar().await?;
    let cal = state.calendar.get();
    let mut tx = state.db.begin_write().await?;
    let moved = super::repo::recompute_open_deadlines(&mut tx, &cal).await?;
    tx.commit().await?;
    Ok(moved)
}

/// After a change: deadlines recomputed, the change audited, the page shown with the count.
async fn changed(state: &AppState, me: &Me, what: &str) -> AppResult<Page<CalendarView>> {
    let moved = recompute_open_deadlines(state).await?;
    audit::record_alone(
        state,
        state.now(),
        me.admin.audit(
            audit::Action::CalendarChange,
            audit::Target::Calendar(what.to_string()),
            &me.ip,
            audit::Outcome::Ok,
            &format!("{moved} deadlines moved"),
        ),
    )
    .await?;
    page(state, me, Some((T::DeadlinesMoved, format!(" {moved}")))).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct HoursForm {
    hours: String,
}

pub async fn hours_post(State(state): State<AppState>, me: Me, Form(form): Form<HoursForm>) -> AppResult<Page<CalendarView>> {
    let Some(hours) = OfficeHours::parse(&form.hours) else {
        return page(&state, &me, Some((T::OfficeHoursInvalid, String::new()))).await;
    };
    let mut tx = state.db.begin_write().await?;
    store::set_office_hours(&mut tx, hours).await?;
    tx.commit().await?;
    changed(&state, &me, &format!("office_hours:{hours}")).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OverrideForm {
    day: String,
    kind: String,
    note: String,
}

pub async fn override_post(State(state): State<AppState>, me: Me, Form(form): Form<OverrideForm>) -> AppResult<Page<CalendarView>> {
    let Some(day) = Ymd::parse(&form.day) else {
        return page(&state, &me, Some((T::DateInvalid, String::new()))).await;
    };
    let off = form.kind != "work";
    let note: String = form.note.chars().take(40).collect();
    let mut tx = state.db.begin_write().await?;
    store::set_override(&mut tx, day, off, &note, state.now()).await?;
    tx.commit().await?;
    changed(&state, &me, &format!("override:{day}:{}", if off { "off" } else { "work" })).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PublishForm {
    year: i32,
}

/// Marks a year's schedule as published (after its days were entered as overrides): its
/// deadlines stop being provisional.
pub async fn publish_post(State(state): State<AppState>, me: Me, Form(form): Form<PublishForm>) -> AppResult<Page<CalendarView>> {
    if !(2000..=2100).contains(&form.year) {
        return page(&state, &me, Some((T::DateInvalid, String::new()))).await;
    }
    let mut tx = state.db.begin_write().await?;
    store::mark_published(&mut tx, form.year).await?;
    tx.commit().await?;
    changed(&state, &me, &format!("published:{}", form.year)).await
}

pub async fn remove_post(State(state): State<AppState>, me: Me, Form(form): Form<OverrideForm>) -> AppResult<Page<CalendarView>> {
    let Some(day) = Ymd::parse(&form.day) else {
        return page(&state, &me, Some((T::DateInvalid, String::new()))).await;
    };
    let mut tx = state.db.begin_write().await?;
    store::remove_override(&mut tx, &day.to_string()).await?;
    tx.commit().await?;
    changed(&state, &me, &format!("override_removed:{day}")).await
}

pub async fn stats_get(State(state): State<AppState>, me: Allowed<Viewer>) -> AppResult<Page<StatsView>> {
    let rows = super::repo::union_stats(&state.db.pool, me.admin.org_id, state.now()).await?;
    Ok(Page::ok(StatsView { admin: me.admin.info(), rows }))
}
