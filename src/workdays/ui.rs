//! The calendar settings page and the progress page.
use super::{CalendarView, StatsView};
use crate::admin::ui::AdminFrame;
use crate::i18n::{Lang, T};
use leptos::prelude::*;

#[component]
pub fn CalendarPage(view: CalendarView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    view! {
        <AdminFrame admin=view.admin.clone() lang=lang>
            <h1>{t(T::CalendarTitle)}</h1>
            {view.notice.map(|(n, extra)| view! { <p class="notice ok" role="status">{format!("{}{extra}", t(n))}</p> })}
            <form method="post" action="/admin/calendar/hours" class="row-form">
                <label for="hours">{t(T::OfficeHours)}</label>
                <input id="hours" name="hours" value=view.office_hours.clone() placeholder="08:30-17:30"/>
                <button type="submit" class="secondary">{t(T::Save)}</button>
            </form>
            {view.provisional_years.iter().map(|y| view! {
                <form method="post" action="/admin/calendar/publish" class="row-form">
                    <p class="hint">{format!("{y} {}", t(T::YearProvisional))}</p>
                    <input type="hidden" name="year" value=*y/>
                    <button type="submit" class="secondary">{format!("{} {y}", t(T::MarkPublished))}</button>
                </form>
            }).collect_view()}
            <h2>{t(T::Overrides)}</h2>
            <table class="registry">
                <thead><tr><th>{t(T::Date)}</th><th>{t(T::DayKind)}</th><th>{t(T::Note)}</th><th></th></tr></thead>
                <tbody>
                    {view.overrides.into_iter().map(|o| view! {
                        <tr>
                            <td>{o.day.clone()}</td>
                            <td>{if o.is_off_day { t(T::DayOff) } else { t(T::WorkingDay) }}</td>
                            <td>{o.note.clone()}</td>
                            <td>
                                <form method="post" action="/admin/calendar/remove" class="inline">
                                    <input type="hidden" name="day" value=o.day.clone()/>
                                    <button type="submit" class="secondary">{t(T::Remove)}</button>
                                </form>
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <form method="post" action="/admin/calendar/override" class="row-form">
                <label for="day">{t(T::Date)}</label>
                <input id="day" name="day" type="date"/>
                <label for="kind">{t(T::DayKind)}</label>
                <select id="kind" name="kind">
                    <option value="off">{t(T::DayOff)}</option>
                    <option value="work">{t(T::WorkingDay)}</option>
                </select>
                <label for="note">{t(T::Note)}</label>
                <input id="note" name="note" maxlength="40"/>
                <button type="submit" class="secondary">{t(T::Save)}</button>
            </form>
        </AdminFrame>
    }
}

#[component]
pub fn StatsPage(view: StatsView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    view! {
        <AdminFrame admin=view.admin.clone() lang=lang>
            <h1>{t(T::Progress)}</h1>
            <table class="registry">
                <thead><tr><th>{t(T::Union)}</th><th>{t(T::StatusPending)}</th><th>{t(T::OnlyOverdue)}</th><th>{t(T::Decided)}</th><th>{t(T::OnTimeRate)}</th></tr></thead>
                <tbody>
                    {view.rows.into_iter().map(|r| {
                        let rate = r.on_time_rate().map(|x| format!("{x:.1}%")).unwrap_or_else(|| "—".into());
                        view! { <tr><td>{r.name.clone()}</td><td>{r.pending}</td><td>{r.overdue}</td><td>{r.decided}</td><td>{rate}</td></tr> }
                    }).collect_view()}
                </tbody>
            </table>
        </AdminFrame>
    }
}
