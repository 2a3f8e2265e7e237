//! Legal-aid pages: server-rendered plain forms that work without JavaScript — the member's
//! slots, booking, appointments and questions; the written question form; the workstation's
//! admin screens (lawyers, rota); the lawyer's desk and answer form.
use super::*;
use crate::admin::ui::{notice_view, AdminFrame};
use crate::admin::AdminInfo;
use crate::i18n::{Lang, T};
use leptos::prelude::*;

fn error_line(id: String, error: Option<T>, lang: Lang) -> impl IntoView {
    view! { <p class="err" id=id role="alert">{error.map(|e| e.get(lang))}</p> }
}

fn err_for(field_error: Option<(&'static str, T)>, field: &str) -> Option<T> {
    field_error.filter(|(f, _)| *f == field).map(|(_, t)| t)
}

fn invalid(e: &Option<T>) -> &'static str {
    if e.is_some() {
        "true"
    } else {
        "false"
    }
}

fn answer_view(answer: Option<(String, String, String)>, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    match answer {
        Some((text, at, who)) => view! {
            <div class="answer" data-answer="">
                <p class="hint">{format!("{} · {who} · {at}", t(T::LegalAnswer))}</p>
                <p class="prose">{text}</p>
            </div>
        }
        .into_any(),
        None => view! { <p class="state">{t(T::LegalWaitingAnswer)}</p> }.into_any(),
    }
}

#[component]
pub fn LegalHomePage(view: LegalHomeView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let slot_err = err_for(view.field_error, "slot");
    let topic_err = err_for(view.field_error, "topic");
    let chosen = view.input.slot.clone();
    let no_slots = view.days.is_empty();
    let none_booked = view.bookings.is_empty();
    let none_asked = view.questions.is_empty();
    view! {
        <crate::member::ui::MemberNav lang=lang/>
        <section class="card">
            <h1>{t(T::LegalTitle)}</h1>
            <p class="intro">{t(T::LegalIntro)}</p>
            {notice_view(view.notice, lang)}
            <p><a class="button secondary" href="/legal/ask">{t(T::LegalAskTitle)}</a></p>
            <h2>{t(T::LegalBookTitle)}</h2>
            {no_slots.then(|| view! { <p class="hint">{t(T::LegalNoSlots)}</p> })}
            {(!no_slots).then(|| view! {
                <form method="post" action="/legal" class="decide" novalidate>
                    <fieldset class="field slots" aria-describedby="slot-error" aria-invalid=invalid(&slot_err)>
                        <legend>{t(T::LegalChooseSlot)}</legend>
                        {view.days.into_iter().map(|d| {
                            let chosen = chosen.clone();
                            view! {
                                <div class="slot-day">
                                    <h3>{format!("{} {} · {}", d.date, t(d.weekday), d.station)}</h3>
                                    {d.slots.into_iter().map(|s| {
                                        let full = s.left == 0;
                                        let id = format!("slot-{}", s.key);
                                        let label = if full {
                                            format!("{} · {} · {}", s.time, s.lawyer, t(T::LegalFull))
                                        } else {
                                            format!("{} · {} · {}", s.time, s.lawyer, T::LegalSeatsLeft.fill(lang, &[&s.left.to_string()]))
                                        };
                                        view! {
                                            <label class="check slot" for=id.clone()>
                                                <input type="radio" id=id.clone() name="slot" value=s.key.clone()
                                                    checked=chosen == s.key disabled=full/>
                                                {label}
                                            </label>
                                        }
                                    }).collect_view()}
                                </div>
                            }
                        }).collect_view()}
                    </fieldset>
                    {error_line("slot-error".into(), slot_err, lang)}
                    <div class="field">
                        <label for="topic">{t(T::LegalTopic)}</label>
                        <input id="topic" name="topic" maxlength="100" value=view.input.topic.clone()
                            aria-invalid=invalid(&topic_err) aria-describedby="topic-error"/>
                        {error_line("topic-error".into(), topic_err, lang)}
                    </div>
                    <button type="submit" class="primary">{t(T::LegalBook)}</button>
                </form>
            })}
            <h2>{t(T::LegalMyBookings)}</h2>
            {none_booked.then(|| view! { <p class="hint">{t(T::LegalNoBookings)}</p> })}
            <ul class="queue" aria-label=t(T::LegalMyBookings)>
                {view.bookings.into_iter().map(|b| view! {
                    <li class="item" data-booking=b.id>
                        <div class="who"><strong>{b.when.clone()}</strong><span>{b.station}</span><span>{format!("{} {}", t(T::LegalLawyer), b.lawyer)}</span></div>
                        <div class="when"><span>{b.topic}</span>
                            {b.cancelled.then(|| view! { <span class="state">{t(T::LegalCancelled)}</span> })}</div>
                        {b.open.then(|| view! {
                            <form method="post" action=format!("/legal/bookings/{}/cancel", b.id) class="acts">
                                <button type="submit" class="secondary" aria-label=format!("{} {}", t(T::LegalCancel), b.when)>{t(T::LegalCancel)}</button>
                            </form>
                        })}
                    </li>
                }).collect_view()}
            </ul>
            <h2>{t(T::LegalMyQuestions)}</h2>
            {none_asked.then(|| view! { <p class="hint">{t(T::LegalNoQuestions)}</p> })}
            <ul class="queue" aria-label=t(T::LegalMyQuestions)>
                {view.questions.into_iter().map(|q| view! {
                    <li class="item plain" data-question=q.id>
                        <div class="who"><a href=format!("/legal/questions/{}", q.id)><strong>{q.asked_at}</strong></a>
                            <span>{q.category.map(t)}</span><span>{q.station}</span></div>
                        <p class="prose">{q.question}</p>
                        {answer_view(q.answer, lang)}
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
pub fn AskPage(view: AskView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let e = view.field_error;
    let (station_err, category_err, question_err) = (err_for(e, "station"), err_for(e, "category"), err_for(e, "question"));
    let i = view.input.clone();
    let one = view.stations.len() == 1;
    view! {
        <crate::member::ui::MemberNav lang=lang/>
        <section class="card">
            <h1>{t(T::LegalAskTitle)}</h1>
            <p class="intro">{t(T::LegalAskIntro)}</p>
            <form method="post" action="/legal/ask" class="decide" novalidate>
                <div class="field">
                    <label for="station">{t(T::LegalStation)}</label>
                    <select id="station" name="station" aria-invalid=invalid(&station_err) aria-describedby="station-error">
                        {(!one).then(|| view! { <option value="">"—"</option> })}
                        {view.stations.iter().map(|(id, name)| view! {
                            <option value=id.to_string() selected=i.station == id.to_string()>{name.clone()}</option>
                        }).collect_view()}
                    </select>
                    {error_line("station-error".into(), station_err, lang)}
                </div>
                <div class="field">
                    <label for="category">{t(T::LegalCategory)}</label>
                    <select id="category" name="category" aria-invalid=invalid(&category_err) aria-describedby="category-error">
                        <option value="">{t(T::LegalCatNone)}</option>
                        {Category::ALL.map(|c| view! { <option value=c.as_str() selected=i.category == c.as_str()>{t(c.label())}</option> }).collect_view()}
                    </select>
                    {error_line("category-error".into(), category_err, lang)}
                </div>
                <div class="field">
                    <label for="question">{t(T::LegalQuestion)}</label>
                    <textarea id="question" name="question" rows="6" maxlength="2000"
                        aria-invalid=invalid(&question_err) aria-describedby="question-error">{i.question.clone()}</textarea>
                    {error_line("question-error".into(), question_err, lang)}
                </div>
                <p class="hint">{t(T::LegalPrivacyHint)}</p>
                <button type="submit" class="primary">{t(T::LegalSend)}</button>
            </form>
        </section>
    }
}

#[component]
pub fn MyQuestionPage(view: MyQuestionView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let q = view.question;
    view! {
        <crate::member::ui::MemberNav lang=lang/>
        <section class="card">
            <h1>{t(T::LegalQuestion)}</h1>
            <p class="hint">{format!("{} · {}", q.asked_at, q.station)}{q.category.map(|c| format!(" · {}", t(c)))}</p>
            <p class="prose">{q.question}</p>
            {answer_view(q.answer, lang)}
            <p><a class="button secondary" href="/legal">{t(T::LegalTitle)}</a></p>
        </section>
    }
}

#[component]
pub fn LegalAdminPage(view: LegalAdminView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let city = !view.orgs.is_empty();
    view! {
        <AdminFrame admin=view.admin.clone() lang=lang>
            <h1>{t(T::LegalAdminTitle)}</h1>
            {notice_view(view.notice, lang)}
            {view.stations.is_empty().then(|| view! { <p class="hint">{t(T::LegalNoStations)}</p> })}
            <ul class="queue" aria-label=t(T::LegalAdminTitle)>
                {view.stations.into_iter().map(|s| view! {
                    <li class="item">
                        <div class="who"><a href=format!("/admin/legal/{}", s.id)><strong>{s.name}</strong></a><span>{s.org_name}</span></div>
                        <div class="when"><span>{format!("{} {}", t(T::LegalLawyers), s.lawyers)}</span>
                            <span>{format!("{} {}", t(T::LegalOpenQuestions), s.open_questions)}</span></div>
                    </li>
                }).collect_view()}
            </ul>
            {city.then(|| view! {
                <details class="filter-box">
                    <summary>{t(T::LegalNewStation)}</summary>
                    <form method="post" action="/admin/legal/stations" class="decide">
                        <div class="field"><label for="st-org">{t(T::LegalStationUnion)}</label>
                            <select id="st-org" name="org">
                                {view.orgs.iter().map(|o| view! {
                                    <option value=o.id.to_string()>{format!("{}{}", "· ".repeat(o.depth.max(0) as usize), o.name)}</option>
                                }).collect_view()}
                            </select></div>
                        <div class="field"><label for="st-name">{t(T::LegalStationName)}</label><input id="st-name" name="name" maxlength="60" required/></div>
                        <button type="submit" class="primary">{t(T::Save)}</button>
                    </form>
                </details>
            })}
        </AdminFrame>
    }
}

#[component]
pub fn StationAdminPage(view: StationAdminView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let fe = view.field_error.clone();
    let lawyer_err = fe.clone().filter(|(f, _)| f == "lawyer").map(|(_, e)| e);
    let other_err = fe.clone().filter(|(f, _)| f.is_empty()).map(|(_, e)| e);
    let lawyers = view.lawyers.clone();
    let action = format!("/admin/legal/{}", view.id);
    view! {
        <AdminFrame admin=view.admin.clone() lang=lang>
            <h1>{view.name.clone()}<small class="count">{format!(" {}", view.org_name)}</small></h1>
            {notice_view(view.notice, lang)}
            {other_err.map(|e| view! { <p class="notice error" role="alert">{t(e)}</p> })}
            <p>{format!("{} {}", t(T::LegalBookedAhead), view.booked_ahead)}</p>
            <h2>{t(T::LegalRota)}</h2>
            <p class="hint">{t(T::LegalRotaHint)}</p>
            {view.rota.into_iter().map(|d| {
                let err = fe.clone().filter(|(f, _)| *f == d.weekday.to_string()).map(|(_, e)| e);
                let (lid, sid, eid) = (format!("lawyer-{}", d.weekday), format!("slots-{}", d.weekday), format!("rota-error-{}", d.weekday));
                view! {
                    <form method="post" action=format!("{action}/rota") class="row-form rota" data-weekday=d.weekday>
                        <input type="hidden" name="weekday" value=d.weekday.to_string()/>
                        <strong>{t(weekday_label(d.weekday))}</strong>
                        <label for=lid.clone()>{t(T::LegalLawyer)}</label>
                        <select id=lid.clone() name="lawyer">
                            <option value="">"—"</option>
                            {lawyers.iter().filter(|l| !l.disabled).map(|l| view! {
                                <option value=l.id.to_string() selected=d.lawyer_id == Some(l.id)>{l.name.clone()}</option>
                            }).collect_view()}
                        </select>
                        <label for=sid.clone()>{t(T::LegalSlots)}</label>
                        <input id=sid.clone() name="slots" value=d.slots.clone() placeholder="09:00, 10:00, 14:00*2"
                            aria-invalid=invalid(&err) aria-describedby=eid.clone()/>
                        <button type="submit" class="secondary">{t(T::Save)}</button>
                        {error_line(eid, err, lang)}
                    </form>
                }
            }).collect_view()}
            <h2>{t(T::LegalLawyers)}</h2>
            <ul class="steps">
                {view.lawyers.into_iter().map(|l| view! { <li>{format!("{} · {}{}", l.name, l.username, if l.disabled { " ×" } else { "" })}</li> }).collect_view()}
            </ul>
            <details class="filter-box" open=lawyer_err.is_some()>
                <summary>{t(T::LegalNewLawyer)}</summary>
                <form method="post" action=format!("{action}/lawyers") class="decide">
                    {error_line("lawyer-error".into(), lawyer_err, lang)}
                    <div class="field"><label for="l-name">{t(T::LegalLawyerName)}</label><input id="l-name" name="display_name" maxlength="30" required/></div>
                    <div class="field"><label for="l-username">{t(T::Username)}</label><input id="l-username" name="username" autocomplete="off" required/></div>
                    <div class="field"><label for="l-phone">{t(T::Phone)}</label><input id="l-phone" name="phone" type="tel" inputmode="numeric"/></div>
                    <div class="field"><label for="l-password">{t(T::Password)}</label><input id="l-password" name="password" type="password" autocomplete="new-password" required/></div>
                    <button type="submit" class="primary">{t(T::Save)}</button>
                </form>
            </details>
            <h2>{t(T::LegalQuestions)}</h2>
            {question_list(view.questions, false, lang)}
        </AdminFrame>
    }
}

fn question_list(items: Vec<QuestionItem>, link: bool, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    if items.is_empty() {
        return view! { <p class="hint">{t(T::LegalNoQuestions)}</p> }.into_any();
    }
    view! {
        <ul class="queue" aria-label=t(T::LegalQuestions)>
            {items.into_iter().map(|q| {
                let title = format!("{} {}", t(T::LegalQuestion), q.asked_at);
                view! {
                    <li class="item" data-question=q.id>
                        <div class="who">
                            {if link { view! { <a href=format!("/lawyer/questions/{}", q.id)><strong>{title}</strong></a> }.into_any() }
                             else { view! { <strong>{title}</strong> }.into_any() }}
                            <span>{q.category.map(t)}</span>
                            <span>{format!("{} {}", t(T::LegalLawyer), q.lawyer)}</span></div>
                        <div class="when"><span class="state">{t(if q.answered { T::LegalAnsweredState } else { T::LegalOpenState })}</span>
                            {q.mine.then(|| view! { <span class="escalated">{t(T::LegalMine)}</span> })}</div>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// The frame of the lawyer's desk: who is signed in, where, sign-out.
#[component]
fn LawyerFrame(admin: AdminInfo, station: String, lang: Lang, children: Children) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    view! {
        <nav class="admin-nav" aria-label=t(T::LawyerTitle)>
            <span class="me">{format!("{} · {}", admin.display_name, station)}</span>
            <a href="/lawyer">{t(T::LawyerTitle)}</a>
            <form method="post" action="/admin/logout" class="inline">
                <button type="submit" class="link">{t(T::SignOut)}</button>
            </form>
        </nav>
        <section class="card wide">{children()}</section>
    }
}

#[component]
pub fn LawyerHomePage(view: LawyerHomeView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let none_today = view.appointments.is_empty();
    view! {
        <LawyerFrame admin=view.admin.clone() station=view.station.clone() lang=lang>
            <h1>{t(T::LawyerTitle)}</h1>
            {notice_view(view.notice, lang)}
            <h2>{format!("{} {}", t(T::LegalToday), view.today)}</h2>
            {none_today.then(|| view! { <p class="hint">{t(T::LegalNoAppointments)}</p> })}
            <ul class="queue" aria-label=t(T::LegalToday)>
                {view.appointments.into_iter().map(|a| view! {
                    <li class="item"><div class="who"><strong>{a.time}</strong><span>{a.name_masked}</span><span>{a.phone_masked}</span></div>
                        <div class="when"><span>{a.topic}</span></div></li>
                }).collect_view()}
            </ul>
            <h2>{t(T::LegalQuestions)}</h2>
            {question_list(view.questions, true, lang)}
        </LawyerFrame>
    }
}

#[component]
pub fn LawyerQuestionPage(view: LawyerQuestionView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let answered = view.answer.is_some();
    let err = view.error;
    view! {
        <LawyerFrame admin=view.admin.clone() station=view.admin.org_name.clone() lang=lang>
            <h1>{t(T::LegalQuestion)}</h1>
            <p class="hint">{format!("{} · {}", view.asked_at, view.name_masked)}{view.category.map(|c| format!(" · {}", t(c)))}</p>
            <p class="prose">{view.question.clone()}</p>
            {err.filter(|_| answered).map(|e| view! { <p class="notice error" role="alert">{t(e)}</p> })}
            {if answered {
                answer_view(view.answer.clone(), lang).into_any()
            } else {
                view! {
                    <form method="post" action=format!("/lawyer/questions/{}", view.id) class="decide" novalidate>
                        <div class="field">
                            <label for="answer">{t(T::LegalAnswer)}</label>
                            <textarea id="answer" name="answer" rows="8" maxlength="4000"
                                aria-invalid=invalid(&err) aria-describedby="answer-error">{view.input.clone()}</textarea>
                            {error_line("answer-error".into(), err, lang)}
                        </div>
                        <button type="submit" class="primary">{t(T::LegalSendAnswer)}</button>
                    </form>
                }.into_any()
            }}
            <p><a class="button secondary" href="/lawyer">{t(T::LawyerTitle)}</a></p>
        </LawyerFrame>
    }
}
