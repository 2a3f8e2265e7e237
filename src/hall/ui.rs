//! The hall's member pages: the catalogue by module with a search, a service's form (typed
//! inputs, errors next to each field, kept files), my requests and one request's progress.
//! Plain server-rendered forms; a small island keeps a draft, checks fields as the member types
//! and shrinks photos before upload where JavaScript runs.
use super::fields::{FieldDef, FieldKind};
use super::types::*;
use crate::i18n::{Lang, T};
use leptos::prelude::*;

#[component]
pub fn HallPage(view: HallView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let empty = view.modules.is_empty();
    view! {
        {view.signed_in.then(|| view! { <crate::member::ui::MemberNav lang=lang/> })}
        <section class="card wide hall">
            <h1>{t(T::HallTitle)}</h1>
            <p class="intro">{t(T::HallIntro)}</p>
            <form method="get" action="/hall" class="hall-search" role="search">
                <label for="hall-q">{t(T::HallSearch)}</label>
                <div class="row">
                    <input id="hall-q" name="q" type="search" value=view.q.clone() maxlength="30" placeholder=t(T::HallSearchHint)/>
                    <button type="submit" class="secondary">{t(T::Search)}</button>
                </div>
            </form>
            <nav class="tabs" aria-label=t(T::HallModules)>
                <a href="/hall" aria-current=(view.module.is_empty() && view.q.is_empty()).then_some("page")>{t(T::AllModules)}</a>
                {view.tabs.iter().map(|(code, name)| {
                    let current = view.module == *code;
                    view! { <a href=format!("/hall?m={code}") aria-current=current.then_some("page")>{name.clone()}</a> }
                }).collect_view()}
            </nav>
            {empty.then(|| view! { <p class="hint">{t(T::HallNothingFound)}</p> })}
            {view.modules.into_iter().map(|m| view! {
                <section class="module" aria-labelledby=format!("m-{}", m.code)>
                    <h2 id=format!("m-{}", m.code)>{m.name.clone()}</h2>
                    <ul class="services">
                        {m.services.into_iter().map(|s| view! {
                            <li>
                                <a class="service" href=s.href.clone()>
                                    <strong>{s.name.clone()}</strong>
                                    <span>{s.summary.clone()}</span>
                                    <small>{T::HallPromise.fill(lang, &[&s.promise_days.to_string()])}</small>
                                </a>
                            </li>
                        }).collect_view()}
                    </ul>
                </section>
            }).collect_view()}
        </section>
    }
}

fn size_text(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / 1024.0 / 1024.0)
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

/// One field of a service's form, its error under it.
fn field_view(f: &FieldDef, value: String, error: Option<T>, kept: Vec<KeptFile>, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let id = format!("hf-{}", f.key);
    let err_id = format!("hf-{}-err", f.key);
    let name = format!("f_{}", f.key);
    let invalid = if error.is_some() { "true" } else { "false" };
    let described = if f.hint.is_empty() { err_id.clone() } else { format!("{err_id} hf-{}-hint", f.key) };
    let required = f.required;
    let label = view! {
        <label for=id.clone()>{f.label.clone()}{(!required).then(|| view! { <small>{T::InParens.fill(lang, &[t(T::Optional)])}</small> })}</label>
    };
    let input = match f.kind {
        FieldKind::Text => view! {
            <textarea id=id.clone() name=name rows="2" maxlength="1000" aria-invalid=invalid aria-describedby=described.clone()>{value}</textarea>
        }
        .into_any(),
        FieldKind::Number => view! {
            <input id=id.clone() name=name inputmode="numeric" autocomplete="off" maxlength="6" value=value aria-invalid=invalid aria-describedby=described.clone()/>
        }
        .into_any(),
        FieldKind::Amount => view! {
            <div class="row unit">
                <input id=id.clone() name=name inputmode="decimal" autocomplete="off" maxlength="14" value=value aria-invalid=invalid aria-describedby=described.clone()/>
                <span aria-hidden="true">{t(T::Yuan)}</span>
            </div>
        }
        .into_any(),
        FieldKind::Date => view! {
            <input id=id.clone() name=name type="date" value=value aria-invalid=invalid aria-describedby=described.clone()/>
        }
        .into_any(),
        FieldKind::Phone => view! {
            <input id=id.clone() name=name type="tel" inputmode="tel" autocomplete="tel" maxlength="20" value=value aria-invalid=invalid aria-describedby=described.clone()/>
        }
        .into_any(),
        FieldKind::IdNumber => view! {
            <input id=id.clone() name=name autocomplete="off" maxlength="20" value=value aria-invalid=invalid aria-describedby=described.clone()/>
        }
        .into_any(),
        FieldKind::Choice => view! {
            <select id=id.clone() name=name aria-invalid=invalid aria-describedby=described.clone()>
                <option value="">{t(T::PleaseChoose)}</option>
                {f.options.iter().map(|o| {
                    let selected = *o == value;
                    view! { <option value=o.clone() selected=selected>{o.clone()}</option> }
                }).collect_view()}
            </select>
        }
        .into_any(),
        FieldKind::Yesno => {
            let (yes, no) = (format!("{id}-yes"), format!("{id}-no"));
            return view! {
                <fieldset class="field yesno" aria-describedby=described.clone()>
                    <legend>{f.label.clone()}</legend>
                    <label class="check" for=yes.clone()><input type="radio" id=yes.clone() name=name.clone() value="是" checked=value == "是"/>{t(T::Yes)}</label>
                    <label class="check" for=no.clone()><input type="radio" id=no.clone() name=name value="否" checked=value == "否"/>{t(T::No)}</label>
                    <p class="err" id=err_id role="alert">{error.map(t)}</p>
                </fieldset>
            }
            .into_any();
        }
        FieldKind::Attachment => view! {
            <input id=id.clone() name=format!("file_{}", f.key) type="file" accept="image/jpeg,image/png,image/webp,application/pdf" multiple
                aria-invalid=invalid aria-describedby=described.clone() data-shrink="1"/>
            {(!kept.is_empty()).then(|| view! {
                <ul class="kept">
                    {kept.into_iter().map(|k| view! {
                        <li>
                            <input type="hidden" name="kept" value=format!("{}:{}", k.field, k.token)/>
                            {T::HallFileKept.fill(lang, &[if k.mime == "application/pdf" { "PDF" } else { t(T::Photo) }, &size_text(k.size)])}
                        </li>
                    }).collect_view()}
                </ul>
            })}
        }
        .into_any(),
    };
    let hint = (!f.hint.is_empty()).then(|| view! { <small class="hint" id=format!("hf-{}-hint", f.key)>{f.hint.clone()}</small> });
    view! {
        <div class="field">
            {label}
            {hint}
            {input}
            <p class="err" id=err_id role="alert">{error.map(t)}</p>
        </div>
    }
    .into_any()
}

#[component]
pub fn ServiceFormPage(view: ServiceFormView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let s = view.service.clone();
    let admin = view.admin.clone();
    let can_ask = view.refusal.is_none();
    let who = view.on_behalf.clone();
    let err = |k: &str| view.errors.get(k).copied();
    let who_view = who.map(|w| {
        let (e_no, e_name, e_phone) = (err("member_no"), err("walkin_name"), err("walkin_phone"));
        let anyone = view.audience == Audience::Anyone;
        view! {
            <fieldset class="field on-behalf">
                <legend>{t(T::HallFilingFor)}</legend>
                <div class="field">
                    <label for="member_no">{t(T::MemberNo)}</label>
                    <input id="member_no" name="member_no" autocomplete="off" maxlength="40" value=w.member_no.clone()
                        aria-invalid=if e_no.is_some() { "true" } else { "false" } aria-describedby="member_no-err"/>
                    <p class="err" id="member_no-err" role="alert">{e_no.map(t)}</p>
                </div>
                {anyone.then(|| view! {
                    <p class="hint">{t(T::HallWalkinHint)}</p>
                    <div class="field">
                        <label for="walkin_name">{t(T::Name)}</label>
                        <input id="walkin_name" name="walkin_name" maxlength="50" value=w.walkin_name.clone() aria-describedby="walkin_name-err"/>
                        <p class="err" id="walkin_name-err" role="alert">{e_name.map(t)}</p>
                    </div>
                    <div class="field">
                        <label for="walkin_phone">{t(T::Phone)}</label>
                        <input id="walkin_phone" name="walkin_phone" type="tel" maxlength="20" value=w.walkin_phone.clone() aria-describedby="walkin_phone-err"/>
                        <p class="err" id="walkin_phone-err" role="alert">{e_phone.map(t)}</p>
                    </div>
                })}
            </fieldset>
        }
    });
    let fields = view
        .fields
        .iter()
        .map(|f| {
            let kept = view.kept.iter().filter(|k| k.field == f.key).cloned().collect();
            field_view(f, view.values.get(&f.key).cloned().unwrap_or_default(), err(&f.key), kept, lang)
        })
        .collect_view();
    let next = format!("/me/login?next={}", s.href);
    let draft_key = format!("hall:{}", view.action);
    let body = view! {
        <h1>{s.name.clone()}</h1>
        <p class="intro">{s.summary.clone()}</p>
        <p class="hint">{T::HallPromise.fill(lang, &[&s.promise_days.to_string()])}{s.sensitive.then(|| view! { " · " {t(T::HallSealedNote)} })}</p>
        {view.notice.map(|n| view! { <p class="notice error" role="alert">{t(n)}</p> })}
        {view.refusal.map(|r| view! {
            <p class="notice" role="status">{t(r)}</p>
            {(r == T::HallSignInFirst).then(|| view! { <p><a class="button primary" href=next.clone()>{t(T::MeLogin)}</a></p> })}
        })}
        {(!view.errors.is_empty()).then(|| view! { <p class="notice error" role="alert">{t(T::HallFixFields)}</p> })}
        <form method="post" action=view.action.clone() enctype="multipart/form-data" novalidate class="hall-form" data-draft=draft_key.clone()>
            <input type="hidden" name="submission" value=view.submission.clone()/>
            {who_view}
            {fields}
            <p class="notice offline hidden" role="status" id="hall-offline">{t(T::HallOffline)}</p>
            <button type="submit" class="primary" disabled=!can_ask>{t(T::SendRequest)}</button>
        </form>
        <super::island::HallFormKeeper fields=view.fields.clone() lang=lang/>
    };
    match admin {
        Some(a) => view! { <crate::admin::ui::AdminFrame admin=a lang=lang>{body}</crate::admin::ui::AdminFrame> }.into_any(),
        None => {
            let signed_in = view.refusal != Some(T::HallSignInFirst);
            view! { {signed_in.then(|| view! { <crate::member::ui::MemberNav lang=lang/> })}<section class="card">{body}</section> }
                .into_any()
        }
    }
}

pub fn step_class(step: Step) -> &'static str {
    match step {
        Step::Done => "status ok",
        Step::Declined => "status bad",
        Step::MoreNeeded => "status warn",
        _ => "status",
    }
}

#[component]
pub fn MyRequestsPage(view: MyRequestsView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let empty = view.items.is_empty();
    view! {
        <crate::member::ui::MemberNav lang=lang/>
        <section class="card">
            <h1>{t(T::MyServices)}</h1>
            {empty.then(|| view! { <p class="hint">{t(T::MeNothing)}</p> })}
            <ul class="queue">
                {view.items.into_iter().map(|i| view! {
                    <li class="item plain">
                        <div class="who"><a href=format!("/me/requests/{}", i.id)><strong>{i.service.clone()}</strong></a><span>{i.no.clone()}</span></div>
                        <div class="when"><span class=step_class(i.step)>{t(i.step.label())}</span><span>{i.created.clone()}</span></div>
                    </li>
                }).collect_view()}
            </ul>
            <p><a class="button secondary" href="/hall">{t(T::HallTitle)}</a></p>
        </section>
    }
}

pub fn steps_view(steps: Vec<StepLine>, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    view! {
        <ol class="steps">
            {steps.into_iter().map(|s| view! {
                <li>
                    <span class=step_class(s.step)>{t(s.step.label())}</span>
                    <span>{s.at.clone()}</span>
                    {(!s.by.is_empty()).then(|| view! { <span>{s.by.clone()}</span> })}
                    {(!s.note.is_empty()).then(|| view! { <p class="note">{s.note.clone()}</p> })}
                </li>
            }).collect_view()}
        </ol>
    }
}

pub fn answers_view(answers: Vec<AnswerLine>, files: Vec<FileLine>, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    view! {
        <dl class="facts">
            {answers.into_iter().map(|a| view! { <dt>{a.label}</dt><dd class="answer">{a.value}</dd> }).collect_view()}
        </dl>
        {(!files.is_empty()).then(|| view! {
            <ul class="files">
                {files.into_iter().map(|f| view! {
                    <li><a href=f.href.clone() target="_blank" rel="noopener">{format!("{} · {} · {}", f.label, if f.mime == "application/pdf" { "PDF" } else { t(T::Photo) }, size_text(f.size))}</a></li>
                }).collect_view()}
            </ul>
        })}
    }
}

#[component]
pub fn MyRequestPage(view: MyRequestView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let l = view.line.clone();
    let more = l.step == Step::MoreNeeded;
    let invalid = if view.supplement_error.is_some() { "true" } else { "false" };
    view! {
        <crate::member::ui::MemberNav lang=lang/>
        <section class="card">
            <h1>{l.service.clone()}</h1>
            {view.notice.map(|(n, ok)| view! { <p class=if ok { "notice ok" } else { "notice error" } role="status">{t(n)}</p> })}
            <dl class="facts">
                <dt>{t(T::RequestNo)}</dt><dd>{l.no.clone()}</dd>
                <dt>{t(T::Status)}</dt><dd><span class=step_class(l.step)>{t(l.step.label())}</span></dd>
                <dt>{t(T::HandlingUnion)}</dt><dd>{l.union.clone()}</dd>
                <dt>{t(T::Submitted)}</dt><dd>{l.created.clone()}</dd>
                {l.step.is_open().then(|| view! { <dt>{t(T::PromisedBy)}</dt><dd>{l.due.clone()}</dd> })}
            </dl>
            <h2>{t(T::Progress)}</h2>
            {steps_view(view.steps, lang)}
            {more.then(|| view! {
                <h2>{t(T::Supplement)}</h2>
                <form method="post" action=format!("/me/requests/{}/supplement", l.id) novalidate>
                    <div class="field">
                        <label for="supplement">{t(T::SupplementLabel)}</label>
                        <textarea id="supplement" name="text" rows="4" maxlength="1000" aria-invalid=invalid aria-describedby="supplement-err">{view.supplement.clone()}</textarea>
                        <p class="err" id="supplement-err" role="alert">{view.supplement_error.map(t)}</p>
                    </div>
                    <button type="submit" class="primary">{t(T::SendRequest)}</button>
                </form>
            })}
            <h2>{t(T::MyAnswers)}</h2>
            {answers_view(view.answers, view.files, lang)}
            <p><a class="button secondary" href="/me/requests">{t(T::MyServices)}</a></p>
        </section>
    }
}
