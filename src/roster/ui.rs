//! Roster pages, server-rendered and working without JavaScript: the members list (cards on a
//! phone, a table on a desk), an export's progress (the page reloads itself while the file is
//! written), and the import with its row-by-row report.
use super::{BatchStatus, ExportView, ImportView, MembersView, TEMPLATE_HEADER};
use crate::admin::ui::{AdminFrame, ExportForm};
use crate::i18n::{Lang, T};
use leptos::prelude::*;

fn query(fields: &[(&'static str, String)], page: i64) -> String {
    let mut parts: Vec<String> = fields
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| {
            format!(
                "{k}={}",
                v.bytes()
                    .map(|b| if b.is_ascii_alphanumeric() || b == b'-' { (b as char).to_string() } else { format!("%{b:02X}") })
                    .collect::<String>()
            )
        })
        .collect();
    if page > 0 {
        parts.push(format!("page={page}"));
    }
    if parts.is_empty() {
        "/admin/members".into()
    } else {
        format!("/admin/members?{}", parts.join("&"))
    }
}

#[component]
pub fn MembersPage(view: MembersView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let f = view.filter.clone();
    let page = f.page.parse::<i64>().unwrap_or(0).clamp(0, 10_000);
    let fields = f.fields();
    let prev = (page > 0).then(|| query(&fields, page - 1));
    let next = ((page + 1) * super::PAGE_SIZE < view.total).then(|| query(&fields, page + 1));
    let can_reveal = view.admin.has(crate::admin::Role::Manager) || view.admin.has(crate::admin::Role::CityAdmin);
    let filtering = [&f.org, &f.pool, &f.from, &f.to, &f.q].iter().any(|v| !v.is_empty());
    let empty = view.items.is_empty();
    view! {
        <AdminFrame admin=view.admin.clone() lang=lang>
            <h1>{t(T::RosterMembers)}<small class="count">{format!(" {}", view.total)}</small></h1>
            <details class="filter-box" open=filtering>
            <summary>{t(T::Filter)}</summary>
            <form method="get" action="/admin/members" class="filters">
                <label for="m-org">{t(T::Union)}</label>
                <select id="m-org" name="org">
                    <option value="">{t(T::AllUnions)}</option>
                    {view.orgs.iter().map(|o| {
                        let v = o.id.to_string();
                        let selected = f.org == v;
                        view! { <option value=v selected=selected>{format!("{}{}", "· ".repeat(o.depth as usize), o.name)}</option> }
                    }).collect_view()}
                </select>
                <label for="m-pool">{t(T::TurnoverPool)}</label>
                <select id="m-pool" name="pool">
                    {[("", T::AllStatuses), ("1", T::InPool), ("0", T::PlacedFilter)].into_iter().map(|(v, label)| {
                        let selected = f.pool == v;
                        view! { <option value=v selected=selected>{t(label)}</option> }
                    }).collect_view()}
                </select>
                <label for="m-from">{t(T::JoinedFrom)}</label>
                <input id="m-from" name="from" type="date" value=f.from.clone()/>
                <label for="m-to">{t(T::JoinedTo)}</label>
                <input id="m-to" name="to" type="date" value=f.to.clone()/>
                <label for="m-q">{t(T::SearchWhole)}</label>
                <input id="m-q" name="q" type="search" value=f.q.clone()/>
                <button type="submit" class="secondary">{t(T::Filter)}</button>
            </form>
            </details>
            <ExportForm kind="members" fields=fields.clone() can_reveal=can_reveal lang=lang/>
            {empty.then(|| view! { <p class="hint">{t(T::NoMembers)}</p> })}
            {(!empty).then(|| view! {
            <table class="roster">
                <thead><tr>
                    <th scope="col">{t(T::Name)}</th>
                    <th scope="col">{t(T::IdNumber)}</th>
                    <th scope="col">{t(T::Phone)}</th>
                    <th scope="col">{t(T::Member)}</th>
                    <th scope="col">{t(T::Union)}</th>
                    <th scope="col">{t(T::JoinedOn)}</th>
                    <th scope="col"><span class="sr-only">{t(T::Action2)}</span></th>
                </tr></thead>
                <tbody>
                {view.items.iter().map(|m| {
                    let org = if m.in_pool { format!("{}{}", m.org_name, T::InParens.fill(lang, &[t(T::TurnoverPool)])) } else { m.org_name.clone() };
                    view! {
                        <tr class="member" data-id=m.id>
                            <td data-label=t(T::Name)><strong>{m.name_masked.clone()}</strong></td>
                            <td data-label=t(T::IdNumber)>{m.id_masked.clone()}</td>
                            <td data-label=t(T::Phone)>{m.phone_masked.clone()}</td>
                            <td data-label=t(T::Member)>{m.member_no.clone()}</td>
                            <td data-label=t(T::Union)>{org}</td>
                            <td data-label=t(T::JoinedOn)>{m.joined_on.clone()}</td>
                            <td class="acts"><a class="button secondary" href=format!("/admin/members/{}/transfer", m.id)>{t(T::Transfer)}</a></td>
                        </tr>
                    }
                }).collect_view()}
                </tbody>
            </table>
            })}
            <nav class="pages" aria-label=t(T::Pages)>
                {prev.map(|href| view! { <a href=href rel="prev">{t(T::Previous)}</a> })}
                {next.map(|href| view! { <a href=href rel="next">{t(T::NextPage)}</a> })}
            </nav>
        </AdminFrame>
    }
}

#[component]
pub fn ExportPage(view: ExportView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let running = view.status.in_progress();
    let max = view.rows_total.max(1);
    let done = view.rows_done.min(max);
    view! {
        <AdminFrame admin=view.admin.clone() lang=lang>
            // The page reloads itself while the file is being written (no JavaScript needed).
            {running.then(|| view! { <meta http-equiv="refresh" content="2"/> })}
            <h1>{t(T::ExportTitle)}<small class="count">{format!(" {} · {}", t(view.kind.label()), view.format.as_str())}</small></h1>
            {view.reveal.then(|| view! { <p class="notice error">{t(T::ExportFullNumbers)}</p> })}
            <p role="status" class="export-status">{t(view.status.label())}</p>
            <progress id="export-progress" max=max value=done aria-label=t(T::ExportTitle)></progress>
            <p class="hint">{T::ExportRows.fill(lang, &[&view.rows_done.to_string(), &view.rows_total.to_string()])}</p>
            {view.download.clone().map(|href| view! {
                <a class="button primary" href=href download="">{t(T::Download)}</a>
                <p class="hint">{T::ExportLinkNote.fill(lang, &[&view.expires_at])}</p>
            })}
        </AdminFrame>
    }
}

#[component]
pub fn ImportPage(view: ImportView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let error = view.error.map(|e| view! { <p class="notice error" role="alert">{t(e)}</p> });
    let body = match view.batch.clone() {
        Some(b) => {
            let bad = b.bad.len();
            let id = b.id;
            let summary = T::ImportSummary.fill(lang, &[&b.total.to_string(), &b.valid.to_string(), &bad.to_string()]);
            let can_confirm = b.status == BatchStatus::Validated && !b.expired && b.valid > 0;
            view! {
                <p class="notice" role="status">{format!("{} · {}", b.org_name, summary)}</p>
                {(b.status == BatchStatus::Imported).then(|| view! {
                    <p class="notice ok" role="status">{T::ImportDone.fill(lang, &[&b.imported.to_string(), &b.skipped.to_string()])}</p>
                })}
                {(bad > 0).then(|| view! {
                    <h2>{t(T::ImportBadRows)}</h2>
                    <table class="roster report">
                        <thead><tr>
                            <th scope="col">{t(T::RowNumber)}</th>
                            <th scope="col">{t(T::Name)}</th>
                            <th scope="col">{t(T::ImportResult)}</th>
                        </tr></thead>
                        <tbody>
                        {b.bad.iter().map(|r| view! {
                            <tr class="bad-row" data-row=r.row>
                                <td data-label=t(T::RowNumber)>{r.row}</td>
                                <td data-label=t(T::Name)>{r.name_masked.clone()}</td>
                                <td data-label=t(T::ImportResult)>{r.problems.iter().map(|p| p.words(lang)).collect::<Vec<_>>().join(t(T::ListSeparator))}</td>
                            </tr>
                        }).collect_view()}
                        </tbody>
                    </table>
                })}
                <p><a href=format!("/admin/import/{id}/report.xlsx") download="">{t(T::ImportReport)}</a></p>
                {can_confirm.then(|| view! {
                    <form method="post" action=format!("/admin/import/{id}/confirm")>
                        <button type="submit" class="primary">{format!("{} {}", t(T::ImportConfirm), b.valid)}</button>
                    </form>
                })}
                {(b.status == BatchStatus::Validated && b.valid == 0).then(|| view! { <p class="hint">{t(T::ImportNothingValid)}</p> })}
                <p><a href="/admin/import">{t(T::ImportAnother)}</a></p>
            }
            .into_any()
        }
        None => view! {
            <p class="hint">{t(T::ImportHint)}</p>
            <p class="hint">{TEMPLATE_HEADER.join(",")}</p>
            <p class="templates">
                {t(T::ImportTemplate)}": "
                <a href="/admin/import/template.xlsx" download="">".xlsx"</a>" · "
                <a href="/admin/import/template.csv" download="">".csv"</a>
            </p>
            <form method="post" action="/admin/import" enctype="multipart/form-data" class="filters">
                <label for="i-org">{t(T::ImportUnion)}</label>
                <select id="i-org" name="org">
                    {view.orgs.iter().map(|o| view! {
                        <option value=o.id.to_string()>{format!("{}{}", "· ".repeat(o.depth as usize), o.name)}</option>
                    }).collect_view()}
                </select>
                <label for="i-file">{t(T::ImportFile)}</label>
                <input id="i-file" name="file" type="file" accept=".xlsx,.csv" required/>
                <button type="submit" class="primary">{t(T::ImportUpload)}</button>
            </form>
        }
        .into_any(),
    };
    view! {
        <AdminFrame admin=view.admin.clone() lang=lang>
            <h1>{t(T::ImportTitle)}</h1>
            {error}
            {body}
        </AdminFrame>
    }
}
