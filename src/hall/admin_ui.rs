//! The hall's admin pages: the handling union's queue (cards on a phone, a table on a desk, as
//! the review queue), one request with its step buttons, and the city admin's catalogue editor.
use super::fields::FieldKind;
use super::types::*;
use super::ui::{answers_view, step_class, steps_view};
use crate::admin::ui::AdminFrame;
use crate::i18n::{Lang, T};
use leptos::prelude::*;

#[component]
pub fn HallQueuePage(view: HallQueueView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let f = view.filter.clone();
    let empty = view.items.is_empty();
    let filtering = [&f.status, &f.service, &f.org, &f.overdue].iter().any(|v| !v.is_empty());
    view! {
        <AdminFrame admin=view.admin.clone() lang=lang>
            <h1>{t(T::HallQueue)}<small class="count">{format!(" {}", view.total)}</small></h1>
            <details class="filter-box" open=filtering>
                <summary>{t(T::Filter)}</summary>
                <form method="get" action="/admin/hall" class="filters">
                    <label for="hq-status">{t(T::Status)}</label>
                    <select id="hq-status" name="status">
                        <option value="" selected=f.status.is_empty()>{t(T::HallOpenOnes)}</option>
                        {Step::ALL.into_iter().map(|s| view! { <option value=s.as_str() selected=f.status == s.as_str()>{t(s.label())}</option> }).collect_view()}
                        <option value="all" selected=f.status == "all">{t(T::AllStatuses)}</option>
                    </select>
                    <label for="hq-service">{t(T::HallService)}</label>
                    <select id="hq-service" name="service">
                        <option value="">{t(T::AllStatuses)}</option>
                        {view.services.iter().map(|(code, name)| view! { <option value=code.clone() selected=f.service == *code>{name.clone()}</option> }).collect_view()}
                    </select>
                    <label for="hq-org">{t(T::Union)}</label>
                    <select id="hq-org" name="org">
                        <option value="">{t(T::AllUnions)}</option>
                        {view.orgs.iter().map(|o| {
                            let v = o.id.to_string();
                            let selected = f.org == v;
                            view! { <option value=v selected=selected>{format!("{}{}", "· ".repeat(o.depth as usize), o.name)}</option> }
                        }).collect_view()}
                    </select>
                    <label class="check"><input type="checkbox" name="overdue" value="1" checked=f.overdue == "1"/>{t(T::OnlyOverdue)}</label>
                    <button type="submit" class="secondary">{t(T::Filter)}</button>
                </form>
            </details>
            {empty.then(|| view! { <p class="hint">{t(T::NothingHere)}</p> })}
            <ul class="queue" aria-label=t(T::HallQueue)>
                {view.items.into_iter().map(|i| view! {
                    <li class="item" class:overdue=i.overdue>
                        <div class="who">
                            <strong>{i.service.clone()}</strong>
                            <span>{i.name_masked.clone()}</span>
                            <span>{i.no.clone()}</span>
                            {i.sensitive.then(|| view! { <span class="escalated">{t(T::HallSealed)}</span> })}
                        </div>
                        <div class="where"><span>{i.union.clone()}</span></div>
                        <div class="when">
                            <span class=step_class(i.step)>{t(i.step.label())}</span>
                            <span>{format!("{} {}", t(T::PromisedBy), i.due)}</span>
                            {i.overdue.then(|| view! { <span class="late">{t(T::Overdue)}</span> })}
                        </div>
                        <a class="button secondary" href=format!("/admin/hall/{}", i.id)>{t(T::Details)}</a>
                    </li>
                }).collect_view()}
            </ul>
        </AdminFrame>
    }
}

#[component]
pub fn HallRequestPage(view: HallRequestView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let l = view.line.clone();
    let id = l.id;
    let sealed = view.answers.is_none();
    view! {
        <AdminFrame admin=view.admin.clone() lang=lang>
            <h1>{l.service.clone()}<small class="count">{format!(" {}", l.no)}</small></h1>
            {view.notice.map(|(n, ok)| view! { <p class=if ok { "notice ok" } else { "notice error" } role="status">{t(n)}</p> })}
            <dl class="facts">
                <dt>{t(T::Name)}</dt><dd>{l.name_masked.clone()}</dd>
                {view.member_no.clone().map(|n| view! { <dt>{t(T::MemberNo)}</dt><dd>{n}</dd> })}
                <dt>{t(T::Status)}</dt><dd><span class=step_class(l.step)>{t(l.step.label())}</span></dd>
                <dt>{t(T::HandlingUnion)}</dt><dd>{l.union.clone()}</dd>
                <dt>{t(T::Submitted)}</dt><dd>{l.created.clone()}</dd>
                <dt>{t(T::PromisedBy)}</dt><dd class:late=l.overdue>{l.due.clone()}</dd>
            </dl>
            {(!view.next.is_empty()).then(|| view! {
                <form method="post" action=format!("/admin/hall/{id}/step") class="decide">
                    <input type="hidden" name="from" value=l.step.as_str()/>
                    <div class="field">
                        <label for="note">{t(T::HallNote)}</label>
                        <textarea id="note" name="note" rows="2" maxlength="500"></textarea>
                    </div>
                    <div class="row actions">
                        {view.next.iter().map(|s| {
                            let class = match s { Step::Declined => "secondary danger", Step::MoreNeeded => "secondary", _ => "primary" };
                            view! { <button type="submit" name="step" value=s.as_str() class=class>{t(s.action())}</button> }
                        }).collect_view()}
                    </div>
                    <p class="hint">{t(T::HallNoteHint)}</p>
                </form>
            })}
            <h2>{t(T::Progress)}</h2>
            {steps_view(view.steps.clone(), lang)}
            <h2>{t(T::HallAnswers)}</h2>
            {sealed.then(|| view! { <p class="notice">{t(T::HallSealedFromYou)}</p> })}
            {view.answers.clone().map(|a| answers_view(a, view.files.clone(), lang))}
            {(view.can_reveal && !view.revealed && view.answers.as_ref().is_some_and(|a| a.iter().any(|x| x.kind == FieldKind::Phone || x.kind == FieldKind::IdNumber))).then(|| view! {
                <form method="post" action=format!("/admin/hall/{id}/reveal") class="decide">
                    <div class="field">
                        <label for="reason">{t(T::RevealReason)}</label>
                        <input id="reason" name="reason" maxlength="200"/>
                    </div>
                    <button type="submit" class="secondary">{t(T::Reveal)}</button>
                </form>
            })}
            <p><a class="button secondary" href="/admin/hall">{t(T::HallQueue)}</a></p>
        </AdminFrame>
    }
}

#[component]
pub fn CataloguePage(view: CatalogueView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    view! {
        <AdminFrame admin=view.admin.clone() lang=lang>
            <h1>{t(T::Catalogue)}<small class="count">{format!(" {}", view.services.len())}</small></h1>
            {view.notice.map(|n| view! { <p class="notice ok" role="status">{t(n)}</p> })}
            <p><a class="button primary" href="/admin/services/new">{t(T::NewService)}</a></p>
            <table class="table">
                <thead><tr>
                    <th>{t(T::HallModule)}</th><th>{t(T::HallService)}</th><th>{t(T::HallHandler)}</th>
                    <th>{t(T::HallPromiseDays)}</th><th>{t(T::HallFields)}</th><th>{t(T::HallRequestsCount)}</th><th></th>
                </tr></thead>
                <tbody>
                    {view.services.into_iter().map(|s| view! {
                        <tr class:muted=!s.active>
                            <td>{s.module.clone()}</td>
                            <td>{s.name.clone()}{s.sensitive.then(|| view! { " · " {t(T::HallSealed)} })}{(!s.active).then(|| view! { " · " {t(T::HallInactive)} })}</td>
                            <td>{match &s.link { Some(l) => l.clone(), None => t(s.handler.label()).to_string() }}</td>
                            <td>{s.promise_days}</td>
                            <td>{s.fields}</td>
                            <td>{s.requests}</td>
                            <td><a href=format!("/admin/services/{}", s.id)>{t(T::Edit)}</a>{s.link.is_none().then(|| view! { " · " <a href=format!("/admin/hall/file/{}", s.code)>{t(T::HallFileFor)}</a> })}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </AdminFrame>
    }
}

#[component]
pub fn ServiceEditPage(view: ServiceEditView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let f = view.form.clone();
    let e = view.errors.clone();
    let err = move |k: &str| e.get(k).map(|x| t(*x));
    let err2 = err.clone();
    let action = match view.id {
        Some(id) => format!("/admin/services/{id}"),
        None => "/admin/services/new".to_string(),
    };
    let text = move |id: &'static str, label: T, value: String, max: &'static str| {
        let error = err2(id);
        view! {
            <div class="field">
                <label for=id>{t(label)}</label>
                <input id=id name=id value=value maxlength=max aria-invalid=error.map(|_| "true") aria-describedby=format!("{id}-err")/>
                <p class="err" id=format!("{id}-err") role="alert">{error}</p>
            </div>
        }
    };
    view! {
        <AdminFrame admin=view.admin.clone() lang=lang>
            <h1>{if view.id.is_some() { t(T::EditService) } else { t(T::NewService) }}</h1>
            {(!view.errors.is_empty()).then(|| view! { <p class="notice error" role="alert">{t(T::HallFixFields)}</p> })}
            <form method="post" action=action class="decide service-edit" novalidate>
                <div class="field">
                    <label for="module">{t(T::HallModule)}</label>
                    <select id="module" name="module">
                        {view.modules.iter().map(|(c, n)| view! { <option value=c.clone() selected=f.module == *c>{n.clone()}</option> }).collect_view()}
                    </select>
                </div>
                {match view.id {
                    None => text("code", T::HallCode, f.code.clone(), "40").into_any(),
                    Some(_) => view! { <input type="hidden" name="code" value=f.code.clone()/> }.into_any(),
                }}
                {text("name", T::HallServiceName, f.name.clone(), "40")}
                <div class="field">
                    <label for="summary">{t(T::HallSummary)}</label>
                    <textarea id="summary" name="summary" maxlength="300" aria-describedby="summary-err">{f.summary.clone()}</textarea>
                    <p class="err" id="summary-err" role="alert">{err("summary")}</p>
                </div>
                <div class="field">
                    <label for="audience">{t(T::HallAudience)}</label>
                    <select id="audience" name="audience">
                        {[Audience::Member, Audience::Anyone].into_iter().map(|a| view! { <option value=a.as_str() selected=f.audience == a.as_str()>{t(a.label())}</option> }).collect_view()}
                    </select>
                </div>
                {text("occupations", T::HallOccupations, f.occupations.clone(), "100")}
                <div class="field">
                    <label for="handler">{t(T::HallHandler)}</label>
                    <select id="handler" name="handler" aria-describedby="handler-err">
                        {Handler::ALL.into_iter().map(|h| view! { <option value=h.as_str() selected=f.handler == h.as_str()>{t(h.label())}</option> }).collect_view()}
                    </select>
                    <label for="handler_org">{t(T::HallNamedUnion)}</label>
                    <select id="handler_org" name="handler_org">
                        <option value="">{"—"}</option>
                        {view.unions.iter().map(|o| {
                            let v = o.id.to_string();
                            let selected = f.handler_org == v;
                            view! { <option value=v selected=selected>{format!("{}{}", "· ".repeat(o.depth as usize), o.name)}</option> }
                        }).collect_view()}
                    </select>
                    <p class="err" id="handler-err" role="alert">{err("handler")}</p>
                </div>
                {text("promise_days", T::HallPromiseDays, f.promise_days.clone(), "3")}
                <fieldset class="field">
                    <legend>{t(T::HallSmsSteps)}</legend>
                    {Step::ALL.into_iter().map(|s| {
                        let id = format!("sms-{}", s.as_str());
                        view! { <label class="check" for=id.clone()><input type="checkbox" id=id.clone() name="sms_steps" value=s.as_str() checked=f.sms_steps.iter().any(|x| x == s.as_str())/>{t(s.label())}</label> }
                    }).collect_view()}
                </fieldset>
                {text("link", T::HallLink, f.link.clone(), "200")}
                <label class="check" for="sensitive"><input type="checkbox" id="sensitive" name="sensitive" value="1" checked=f.sensitive/>{t(T::HallSensitiveLabel)}</label>
                <label class="check" for="active"><input type="checkbox" id="active" name="active" value="1" checked=f.active/>{t(T::HallActiveLabel)}</label>
                <h2>{t(T::HallFields)}</h2>
                <p class="hint">{t(T::HallFieldsHint)}</p>
                <p class="err" role="alert">{err("fields")}</p>
                <ol class="field-rows">
                    {f.fields.iter().enumerate().map(|(i, r)| {
                        let id = |p: &str| format!("{p}-{i}");
                        view! {
                            <li class="field-row">
                                <input type="hidden" name="fkey" value=r.key.clone()/>
                                <label for=id("flabel")>{t(T::HallFieldLabel)}</label>
                                <input id=id("flabel") name="flabel" value=r.label.clone() maxlength="60"/>
                                <label for=id("fkind")>{t(T::HallFieldKind)}</label>
                                <select id=id("fkind") name="fkind">
                                    {FieldKind::ALL.into_iter().map(|k| view! { <option value=k.as_str() selected=r.kind == k.as_str()>{t(k.label())}</option> }).collect_view()}
                                </select>
                                <label for=id("frequired")>{t(T::HallFieldRequired)}</label>
                                <select id=id("frequired") name="frequired">
                                    <option value="1" selected=r.required>{t(T::Yes)}</option>
                                    <option value="0" selected=!r.required>{t(T::No)}</option>
                                </select>
                                <label for=id("foptions")>{t(T::HallFieldOptions)}</label>
                                <input id=id("foptions") name="foptions" value=r.options.clone() maxlength="400"/>
                                <label for=id("fhint")>{t(T::HallFieldHint)}</label>
                                <input id=id("fhint") name="fhint" value=r.hint.clone() maxlength="100"/>
                            </li>
                        }
                    }).collect_view()}
                </ol>
                <button type="submit" class="primary">{t(T::Save)}</button>
            </form>
        </AdminFrame>
    }
}
