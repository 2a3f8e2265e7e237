//! Review pages: server-rendered forms that work with and without JavaScript. On a phone the
//! queue is a card list with a large 通过 button per card; on a desktop the same list is a table.
use super::{time_left, DetailView, QueueItem, QueueView, StatusFilter};
use crate::admin::ui::AdminFrame;
use crate::i18n::{Lang, T};
use crate::join::ApplicationStatus;
use leptos::prelude::*;

fn org_label(item: &QueueItem, lang: Lang) -> String {
    if item.in_pool {
        format!("{}{}", item.org_name, T::InParens.fill(lang, &[T::TurnoverPool.get(lang)]))
    } else {
        item.org_name.clone()
    }
}

#[component]
pub fn QueuePage(view: QueueView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let f = view.filter.clone();
    let can_review = view.admin.can_review();
    let done = view.done.clone().map(|d| {
        let still_undoable = !d.status.is_pending();
        view! {
            <div class="notice ok" role="status">
                <span>{format!("{} · {} · {}", t(T::Decided), d.name_masked, t(d.status.label()))}</span>
                {still_undoable.then(|| view! {
                    <form method="post" action=format!("/admin/a/{}/undo", d.id) class="inline">
                        <button type="submit" class="secondary">{t(T::Undo)}</button>
                    </form>
                    <small>{t(T::UndoHint)}</small>
                })}
            </div>
        }
    });
    let items = view.items.clone();
    let empty = items.is_empty();
    // Filters fold away on a phone, unless one is in use.
    // The export carries the queue's current filters.
    let export_fields = vec![
        ("org", f.org.clone()),
        ("status", f.status.clone()),
        ("channel", f.channel.clone()),
        ("from", f.from.clone()),
        ("to", f.to.clone()),
        ("overdue", f.overdue.clone()),
        ("q", f.q.clone()),
    ];
    let can_reveal = view.admin.has(crate::admin::Role::Manager) || view.admin.has(crate::admin::Role::CityAdmin);
    let filtering = [&f.org, &f.channel, &f.from, &f.to, &f.q, &f.overdue].iter().any(|v| !v.is_empty())
        || f.status() != StatusFilter::Only(ApplicationStatus::Pending);
    view! {
        <AdminFrame admin=view.admin.clone() lang=lang>
            <h1>{t(T::Queue)}<small class="count">{format!(" {}", view.total)}</small></h1>
            {done}
            {view.notice.map(|n| view! { <p class="notice" role="status">{t(n)}{view.extra.clone().unwrap_or_default()}</p> })}
            <details class="filter-box" open=filtering>
            <summary>{t(T::Filter)}</summary>
            <form method="get" action="/admin" class="filters">
                <label for="f-org">{t(T::Union)}</label>
                <select id="f-org" name="org">
                    <option value="">{t(T::AllUnions)}</option>
                    {view.orgs.iter().map(|o| {
                        let v = o.id.to_string();
                        let selected = f.org == v;
                        view! { <option value=v selected=selected>{format!("{}{}", "· ".repeat(o.depth as usize), o.name)}</option> }
                    }).collect_view()}
                </select>
                <label for="f-status">{t(T::Status)}</label>
                <select id="f-status" name="status">
                    {StatusFilter::CHOICES.into_iter().map(|choice| {
                            let selected = f.status() == choice;
                            view! { <option value=choice.as_str() selected=selected>{t(choice.label())}</option> }
                        }).collect_view()}
                </select>
                <label for="f-channel">{t(T::Channel2)}</label>
                <select id="f-channel" name="channel">
                    <option value="">{t(T::AllStatuses)}</option>
                    {view.channels.iter().map(|(id, name)| {
                        let v = id.to_string();
                        let selected = f.channel == v;
                        view! { <option value=v selected=selected>{name.clone()}</option> }
                    }).collect_view()}
                </select>
                <label for="f-from">{t(T::From)}</label>
                <input id="f-from" name="from" type="date" value=f.from.clone()/>
                <label for="f-to">{t(T::To)}</label>
                <input id="f-to" name="to" type="date" value=f.to.clone()/>
                <label for="f-q">{t(T::SearchWhole)}</label>
                <input id="f-q" name="q" type="search" value=f.q.clone()/>
                <label class="check"><input type="checkbox" name="overdue" value="1" checked=f.overdue == "1"/>{t(T::OnlyOverdue)}</label>
                <button type="submit" class="secondary">{t(T::Filter)}</button>
            </form>
            </details>
            <crate::admin::ui::ExportForm kind="applications" fields=export_fields can_reveal=can_reveal lang=lang/>
            {empty.then(|| view! { <p class="hint">{t(T::NothingHere)}</p> })}
            {(can_review && !empty).then(|| view! { <super::keys::QueueKeys lang=lang/> })}
            {(can_review && !empty).then(|| view! {
                <form id="bulk" method="post" action="/admin/bulk-approve" class="bulk">
                    <button type="submit" class="secondary">{t(T::ApproveSelected)}</button>
                </form>
            })}
            <ul class="queue" aria-label=t(T::Queue)>
                {items.into_iter().map(|item| {
                    let overdue = item.secs_left < 0 && item.status.is_pending();
                    let pending = item.status.is_pending();
                    let sel = format!("sel-{}", item.id);
                    let sel_label = format!("{} {}", t(T::Select), item.name_masked);
                    view! {
                        <li class="item" class:overdue=overdue data-id=item.id>
                            {(can_review && pending).then(|| view! {
                                <input type="checkbox" form="bulk" name="ids" value=item.id id=sel.clone() aria-label=sel_label class="pick"/>
                            })}
                            <div class="who">
                                <strong>{item.name_masked.clone()}</strong>
                                <span>{item.id_masked.clone()}</span>
                                <span>{item.phone_masked.clone()}</span>
                            </div>
                            <div class="where">
                                <span>{org_label(&item, lang)}</span>
                                <small>{item.channel.clone().unwrap_or_default()}</small>
                            </div>
                            <div class="when">
                                <span>{item.submitted_at.clone()}</span>
                                <span class="due">{if pending { time_left(item.secs_left, lang) } else { t(item.status.label()).to_string() }}</span>
                                {item.escalation.map(|l| view! { <span class="escalated">{format!("{} {l}", t(T::Escalated))}</span> })}
                            </div>
                            <div class="acts">
                                <a class="button secondary" href=format!("/admin/a/{}", item.id)>{t(T::Details)}</a>
                                {(can_review && pending).then(|| view! {
                                    <form method="post" action=format!("/admin/a/{}/decide", item.id) class="inline">
                                        <input type="hidden" name="action" value="approve"/>
                                        <button type="submit" class="approve">{t(T::Approve)}</button>
                                    </form>
                                })}
                            </div>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </AdminFrame>
    }
}

#[component]
pub fn DetailPage(view: DetailView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let item = view.item.clone();
    let pending = item.status.is_pending();
    let can_review = view.admin.can_review();
    let can_reveal = view.admin.has(crate::admin::Role::Manager) || view.admin.has(crate::admin::Role::CityAdmin);
    let id = item.id;
    view! {
        <AdminFrame admin=view.admin.clone() lang=lang>
            <h1>{item.name_masked.clone()}<small class="count">{format!(" {}", t(item.status.label()))}</small></h1>
            {view.notice.map(|n| view! { <p class="notice error" role="alert">{t(n)}</p> })}
            <dl class="facts">
                <dt>{t(T::IdNumber)}</dt><dd>{item.id_masked.clone()}</dd>
                <dt>{t(T::Phone)}</dt><dd>{item.phone_masked.clone()}</dd>
                <dt>{t(T::Sex)}</dt><dd>{t(view.sex.label())}</dd>
                <dt>{t(T::ReviewingUnion)}</dt><dd>{org_label(&item, lang)}</dd>
                <dt>{t(T::Channel2)}</dt><dd>{item.channel.clone().unwrap_or_else(|| t(T::None2).to_string())}</dd>
                <dt>{t(T::Plate)}</dt><dd>{view.plate.clone().unwrap_or_else(|| t(T::None2).to_string())}</dd>
                <dt>{t(T::SubmittedAt)}</dt><dd>{item.submitted_at.clone()}</dd>
                <dt>{t(T::DueBy)}</dt><dd>{format!("{} ({})", item.due_at, time_left(item.secs_left, lang))}</dd>
                {view.reason.clone().map(|r| view! { <dt>{t(T::Reason)}</dt><dd>{r}</dd> })}
            </dl>
            {view.revealed.clone().map(|(full_id, full_phone)| view! {
                <p class="notice revealed" role="status">{format!("{full_id} · {full_phone}")}</p>
            })}
            {(can_reveal && view.revealed.is_none()).then(|| view! {
                <form method="post" action=format!("/admin/a/{id}/reveal") class="row-form">
                    <label for="reveal-reason">{t(T::RevealReason)}</label>
                    <input id="reveal-reason" name="reason" maxlength="100"/>
                    <button type="submit" class="secondary">{t(T::Reveal)}</button>
                </form>
            })}
            <h2>{t(T::Checks)}</h2>
            <ul class="checks">
                <li class="ok">{T::LabelValue.fill(lang, &[t(T::CheckIdValid), t(T::Passed)])}</li>
                <li class:ok=view.age_ok>{T::LabelValue.fill(lang, &[
                    t(T::CheckAge),
                    &format!(
                        "{} · {}–{}{}",
                        t(if view.age_ok { T::AgeRuleMet } else { T::AgeRuleNotMet }),
                        view.age_band.0,
                        view.age_band.1,
                        t(T::YearsSuffix)
                    ),
                ])}</li>
                <li class:warn={view.duplicates > 0}>{T::LabelValue.fill(lang, &[t(T::CheckDuplicates), &view.duplicates.to_string()])}</li>
            </ul>
            {(can_review && pending).then(|| view! {
                <form method="post" action=format!("/admin/a/{id}/decide") class="decide">
                    <input type="hidden" name="action" value="approve"/>
                    <button type="submit" class="primary">{t(T::Approve)}</button>
                </form>
                <form method="post" action=format!("/admin/a/{id}/decide") class="decide">
                    <label for="reason">{t(T::Reason)}</label>
                    <select id="preset" name="preset" aria-label=t(T::Reason)>
                        <option value="">"—"</option>
                        // The value is the Chinese text: it is what the applicant is sent.
                        {[T::PresetIdMismatch, T::PresetNotEmployee, T::PresetOtherUnion].into_iter().map(|p| view! {
                            <option value=p.get(Lang::Zh)>{t(p)}</option>
                        }).collect_view()}
                    </select>
                    <input id="reason" name="reason" maxlength="200"/>
                    <div class="row">
                        <button type="submit" name="action" value="reject" class="secondary">{t(T::Reject)}</button>
                        <button type="submit" name="action" value="return" class="secondary">{t(T::ReturnForCorrection)}</button>
                    </div>
                </form>
            })}
        </AdminFrame>
    }
}
