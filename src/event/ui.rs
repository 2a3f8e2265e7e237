//! Event pages: server-rendered plain forms that work without JavaScript and at 320 px — the
//! members' list and an event's page (sign up, cancel, the ticket's QR), the admin's list with
//! figures and the form, an event's registrations and attendance, and the scanned ticket.
use super::{
    Audience, EventAdminView, EventDetailView, EventItem, EventKind, EventsAdminView, EventsView, Figures, SignupLine, SignupStatus,
    TicketState, TicketView,
};
use crate::admin::ui::{notice_view, AdminFrame};
use crate::i18n::{Lang, T};
use leptos::prelude::*;

fn facts(e: &EventItem, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let audience = match e.audience {
        Audience::All => t(T::EventAudienceAll).to_string(),
        Audience::Subtree => T::EventAudienceSubtree.fill(lang, &[&e.organiser]),
    };
    view! {
        <dl class="facts">
            <dt>{t(T::EventWhen)}</dt><dd>{e.when.clone()}</dd>
            <dt>{t(T::EventPlace)}</dt><dd>{e.place.clone()}</dd>
            <dt>{t(T::EventOrganiser)}</dt><dd>{e.organiser.clone()}</dd>
            <dt>{t(T::EventSignupUntil)}</dt><dd>{e.signup_until.clone()}</dd>
            <dt>{t(T::EventPlaces)}</dt><dd data-figure="left">{T::EventPlacesLeft.fill(lang, &[&e.left().to_string(), &e.capacity.to_string()])}</dd>
            <dt>{t(T::EventAudience)}</dt><dd>{audience}</dd>
        </dl>
    }
}

fn kind_tabs(current: Option<EventKind>, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    view! {
        <nav class="tabs" aria-label=t(T::EventKindLabel)>
            <a href="/events" aria-current=current.is_none().then_some("page")>{t(T::EventAllKinds)}</a>
            {EventKind::ALL.map(|k| view! {
                <a href=format!("/events?kind={}", k.as_str()) aria-current=(current == Some(k)).then_some("page")>{t(k.label())}</a>
            }).collect_view()}
        </nav>
    }
}

fn my_state(status: SignupStatus, position: Option<i64>, lang: Lang) -> String {
    match (status, position) {
        (SignupStatus::Waiting, Some(p)) => T::EventWaitingAt.fill(lang, &[&p.to_string()]),
        (s, _) => s.label().get(lang).to_string(),
    }
}

#[component]
pub fn EventsPage(view: EventsView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let title = view.kind.map(|k| k.label()).unwrap_or(T::EventsTitle);
    let none = view.events.is_empty();
    view! {
        <crate::member::ui::MemberNav lang=lang/>
        <section class="card">
            <h1>{t(title)}</h1>
            {kind_tabs(view.kind, lang)}
            {(!view.signed_in).then(|| view! { <p class="hint"><a href="/me/login?next=/events">{t(T::EventSignInToJoin)}</a></p> })}
            {none.then(|| view! { <p class="hint">{t(T::EventNone)}</p> })}
            <ul class="queue" aria-label=t(title)>
                {view.events.into_iter().map(|(e, mine)| view! {
                    <li class="item" data-event=e.id>
                        <div class="who"><a href=format!("/events/{}", e.id)><strong>{e.title.clone()}</strong></a><span>{t(e.kind.label())}</span>
                            {mine.map(|m| view! { <span class="state">{my_state(m.status, m.position, lang)}</span> })}</div>
                        <div class="when"><span>{e.when.clone()}</span><span>{e.place.clone()}</span>
                            <span>{T::EventPlacesLeft.fill(lang, &[&e.left().to_string(), &e.capacity.to_string()])}</span>
                            {(!e.open).then(|| view! { <span class="escalated">{t(T::EventClosedShort)}</span> })}</div>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
pub fn EventDetailPage(view: EventDetailView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let e = view.event.clone();
    let id = e.id;
    let login = format!("/me/login?next=/events/{id}");
    let can_sign = view.signed_in && view.eligible == Some(true) && view.mine.is_none() && e.open;
    let full = e.left() == 0;
    view! {
        <crate::member::ui::MemberNav lang=lang/>
        <section class="card">
            <h1>{e.title.clone()}<small class="count">{format!(" {}", t(e.kind.label()))}</small></h1>
            {notice_view(view.notice, lang)}
            {facts(&e, lang)}
            {(!e.description.is_empty()).then(|| view! { <p class="description">{e.description.clone()}</p> })}
            {(!view.signed_in).then(|| view! { <p><a class="button primary" href=login.clone()>{t(T::EventSignInToJoin)}</a></p> })}
            {(view.eligible == Some(false) && view.mine.is_none()).then(|| view! { <p class="notice error" role="alert">{t(T::EventNotEligible)}</p> })}
            {(view.signed_in && view.mine.is_none() && !e.open).then(|| view! { <p class="hint">{t(T::EventClosed)}</p> })}
            {can_sign.then(|| view! {
                <form method="post" action=format!("/events/{id}/signup")>
                    {full.then(|| view! { <p class="hint">{t(T::EventFullJoinWaiting)}</p> })}
                    <button type="submit" class="primary">{t(if full { T::EventJoinWaiting } else { T::EventSignUp })}</button>
                </form>
            })}
            {view.mine.map(|m| {
                let confirmed = m.status == SignupStatus::Confirmed;
                let checked = m.checked_in.clone();
                view! {
                    <h2>{t(T::EventMySignup)}</h2>
                    <p class="state" data-my-state=m.status.as_str()>{my_state(m.status, m.position, lang)}</p>
                    {checked.clone().map(|at| view! { <p class="notice ok" role="status">{T::EventCheckedInAt.fill(lang, &[&at])}</p> })}
                    {view.ticket_qr.map(|(svg, link)| view! {
                        <div class="qr" inner_html=svg role="img" aria-label=t(T::EventTicketQr)></div>
                        <p class="hint">{t(T::EventTicketHint)}</p>
                        <p class="hint"><code class="ticket-link" data-ticket-link=link.clone()>{link.clone()}</code></p>
                    })}
                    {(confirmed && checked.is_none()).then(|| view! {
                        <form method="post" action=format!("/events/{id}/ticket")>
                            <button type="submit" class="primary">{t(T::EventShowTicket)}</button>
                        </form>
                    })}
                    {checked.is_none().then(|| view! {
                        <form method="post" action=format!("/events/{id}/cancel")>
                            <button type="submit" class="secondary">{t(if confirmed { T::EventCancel } else { T::EventLeaveWaiting })}</button>
                        </form>
                    })}
                }
            })}
            <p><a href=format!("/events?kind={}", e.kind.as_str())>{t(T::EventBackToList)}</a></p>
        </section>
    }
}

/// A labelled input; its error, if it is the one named, right under it.
fn field(id: &'static str, label: T, value: String, kind: &'static str, error: Option<(&'static str, T)>, lang: Lang) -> impl IntoView {
    let err = error.filter(|(f, _)| *f == id).map(|(_, t)| t.get(lang));
    let described = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id>{label.get(lang)}</label>
            <input id=id name=id type=kind value=value aria-invalid=err.map(|_| "true") aria-describedby=err.map(|_| described.clone())/>
            {err.map(|e| view! { <p class="error" id=described.clone() role="alert">{e}</p> })}
        </div>
    }
}

fn figures_view(f: Figures, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    view! {
        <dl class="facts figures">
            <dt>{t(T::EventPlaces)}</dt><dd data-figure="capacity">{f.capacity}</dd>
            <dt>{t(T::EventConfirmed)}</dt><dd data-figure="confirmed">{f.confirmed}</dd>
            <dt>{t(T::EventWaiting)}</dt><dd data-figure="waiting">{f.waiting}</dd>
            <dt>{t(T::EventCheckedIn)}</dt><dd data-figure="checked_in">{f.checked_in}</dd>
            <dt>{t(T::EventNoShows)}</dt><dd data-figure="no_shows">{f.no_shows}</dd>
            <dt>{t(T::EventRate)}</dt><dd data-figure="rate">{f.rate.unwrap_or_else(|| "—".into())}</dd>
        </dl>
    }
}

#[component]
pub fn EventsAdminPage(view: EventsAdminView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let e = view.field_error;
    let i = view.input.clone();
    view! {
        <AdminFrame admin=view.admin.clone() lang=lang>
            <h1>{t(T::EventsAdmin)}</h1>
            {notice_view(view.notice, lang)}
            <ul class="queue" aria-label=t(T::EventsAdmin)>
                {view.events.into_iter().map(|(ev, f)| view! {
                    <li class="item" data-event=ev.id>
                        <div class="who"><a href=format!("/admin/events/{}", ev.id)><strong>{ev.title}</strong></a><span>{t(ev.kind.label())}</span><span>{ev.organiser}</span></div>
                        <div class="when"><span>{ev.when}</span>
                            <span>{format!("{} {}/{}", t(T::EventConfirmed), f.confirmed, f.capacity)}</span>
                            <span>{format!("{} {}", t(T::EventWaiting), f.waiting)}</span>
                            <span>{format!("{} {}", t(T::EventCheckedIn), f.checked_in)}</span></div>
                    </li>
                }).collect_view()}
            </ul>
            {view.can_create.then(|| view! {
                <details class="filter-box" open=e.is_some()>
                    <summary>{t(T::EventNew)}</summary>
                    <form method="post" action="/admin/events" class="decide">
                        <div class="field">
                            <label for="org">{t(T::EventOrganiser)}</label>
                            <select id="org" name="org">
                                {view.orgs.iter().map(|o| view! {
                                    <option value=o.id.to_string() selected=i.org == o.id.to_string()>{format!("{}{}", "· ".repeat(o.depth.max(0) as usize), o.name)}</option>
                                }).collect_view()}
                            </select>
                        </div>
                        <div class="field">
                            <label for="kind">{t(T::EventKindLabel)}</label>
                            <select id="kind" name="kind">
                                {EventKind::ALL.map(|k| view! { <option value=k.as_str() selected=i.kind == k.as_str()>{t(k.label())}</option> }).collect_view()}
                            </select>
                        </div>
                        {field("title", T::EventTitle, i.title.clone(), "text", e, lang)}
                        <div class="field">
                            <label for="description">{t(T::EventDescription)}</label>
                            <textarea id="description" name="description" maxlength="1000">{i.description.clone()}</textarea>
                        </div>
                        {field("place", T::EventPlace, i.place.clone(), "text", e, lang)}
                        {field("starts_at", T::EventStarts, i.starts_at.clone(), "datetime-local", e, lang)}
                        {field("ends_at", T::EventEnds, i.ends_at.clone(), "datetime-local", e, lang)}
                        {field("signup_until", T::EventSignupUntil, i.signup_until.clone(), "datetime-local", e, lang)}
                        {field("capacity", T::EventPlaces, i.capacity.clone(), "number", e, lang)}
                        <fieldset class="field">
                            <legend>{t(T::EventAudience)}</legend>
                            <label class="check"><input type="radio" name="audience" value="subtree" checked=i.audience != "all"/>{t(T::EventAudienceSubtreeOption)}</label>
                            <label class="check"><input type="radio" name="audience" value="all" checked=i.audience == "all"/>{t(T::EventAudienceAll)}</label>
                        </fieldset>
                        <button type="submit" class="primary">{t(T::Save)}</button>
                    </form>
                </details>
            })}
        </AdminFrame>
    }
}

fn lines(items: Vec<SignupLine>, label: T, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    view! {
        <ul class="queue" aria-label=t(label)>
            {items.into_iter().map(|l| view! {
                <li class="item">
                    <div class="who">{l.position.map(|p| view! { <span class="count">{format!("#{p}")}</span> })}
                        <strong>{l.name_masked}</strong><span>{l.phone_masked}</span>
                        {l.promoted.then(|| view! { <span class="escalated">{t(T::EventPromotedMark)}</span> })}</div>
                    <div class="when">{l.checked_in.map(|at| view! { <span>{T::EventCheckedInAt.fill(lang, &[&at])}</span> })}</div>
                </li>
            }).collect_view()}
        </ul>
    }
}

#[component]
pub fn EventAdminPage(view: EventAdminView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let e = view.event.clone();
    view! {
        <AdminFrame admin=view.admin.clone() lang=lang>
            <h1>{e.title.clone()}<small class="count">{format!(" {}", t(e.kind.label()))}</small></h1>
            {notice_view(view.notice, lang)}
            {facts(&e, lang)}
            <h2>{t(T::EventAttendance)}</h2>
            {figures_view(view.figures, lang)}
            {if view.door_here {
                view! { <p class="notice ok" role="status">{t(T::EventDoorHere)}</p> }.into_any()
            } else {
                view! {
                    <form method="post" action=format!("/admin/events/{}/door", e.id)>
                        <p class="hint">{t(T::EventDoorHint)}</p>
                        <button type="submit" class="primary">{t(T::EventDoorChoose)}</button>
                    </form>
                }.into_any()
            }}
            <h2>{format!("{} ({})", t(T::EventConfirmed), view.confirmed.len())}</h2>
            {lines(view.confirmed, T::EventConfirmed, lang)}
            <h2>{format!("{} ({})", t(T::EventWaitingList), view.waiting.len())}</h2>
            {lines(view.waiting, T::EventWaitingList, lang)}
            <p><a href="/admin/events">{t(T::EventsAdmin)}</a></p>
        </AdminFrame>
    }
}

#[component]
pub fn TicketPage(view: TicketView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let action = format!("/admin/events/ticket/{}", view.token);
    let (class, line) = match &view.state {
        TicketState::Ready => ("notice ok", t(T::EventTicketValid).to_string()),
        TicketState::Done => ("notice ok", t(T::EventCheckInDone).to_string()),
        TicketState::Already(at) => ("notice error", T::EventAlreadyCheckedIn.fill(lang, &[at])),
        TicketState::Cancelled => ("notice error", t(T::EventTicketCancelled).to_string()),
        TicketState::OtherEvent(other) => ("notice error", T::EventTicketOtherEvent.fill(lang, &[other])),
        TicketState::NoDoor => ("notice", t(T::EventDoorNone).to_string()),
    };
    let role = if class == "notice error" { "alert" } else { "status" };
    view! {
        <AdminFrame admin=view.admin.clone() lang=lang>
            <h1>{t(T::EventCheckIn)}</h1>
            <dl class="facts">
                <dt>{t(T::EventTitle)}</dt><dd>{view.event_title.clone()}</dd>
                <dt>{t(T::EventWhen)}</dt><dd>{view.event_when.clone()}</dd>
                <dt>{t(T::Name)}</dt><dd data-name>{view.name_masked.clone()}</dd>
            </dl>
            <p class=class role=role data-ticket-state=format!("{:?}", view.state).split('(').next().unwrap_or_default().to_string()>{line}</p>
            {(view.state == TicketState::Ready).then(|| view! {
                <form method="post" action=action.clone()>
                    <button type="submit" class="primary big">{t(T::EventCheckInButton)}</button>
                </form>
            })}
            {(view.state == TicketState::NoDoor).then(|| view! {
                <form method="post" action=format!("/admin/events/{}/door", view.event_id)>
                    <input type="hidden" name="ticket" value=view.token.clone()/>
                    <button type="submit" class="primary big">{T::EventDoorChooseThis.fill(lang, &[&view.event_title])}</button>
                </form>
            })}
            <p><a href=format!("/admin/events/{}", view.event_id)>{t(T::EventAttendance)}</a></p>
        </AdminFrame>
    }
}
