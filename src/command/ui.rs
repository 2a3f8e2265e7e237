//! The command centre's pages: the board (with its breadcrumb) and the overdue list.
use super::live::{BoardBody, LiveBoard};
use super::{CommandView, OverdueView};
use crate::admin::ui::AdminFrame;
use crate::i18n::{Lang, T};
use leptos::prelude::*;

#[component]
pub fn CommandPage(view: CommandView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let crumbs = view.board.crumbs.clone();
    let last = crumbs.len().saturating_sub(1);
    view! {
        <AdminFrame admin=view.admin.clone() lang=lang>
            <h1>{t(T::CommandCentre)}</h1>
            <nav class="crumbs" aria-label=t(T::Breadcrumb)>
                <ol>
                    {crumbs.into_iter().enumerate().map(|(i, (id, name))| {
                        if i == last {
                            view! { <li aria-current="page">{name}</li> }.into_any()
                        } else {
                            view! { <li><a href=format!("/admin/command?org={id}")>{name}</a></li> }.into_any()
                        }
                    }).collect_view()}
                </ol>
            </nav>
            <p><a class="button secondary" href="/admin/command/overdue">{t(T::OverdueList)}</a></p>
            <LiveBoard org=view.board.org_id lang=lang/>
            <BoardBody board=view.board.clone() lang=lang/>
        </AdminFrame>
    }
}

#[component]
pub fn OverduePage(view: OverdueView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let empty = view.items.is_empty();
    let page = view.page;
    let more = (page + 1) * super::OVERDUE_PAGE < view.total;
    view! {
        <AdminFrame admin=view.admin.clone() lang=lang>
            <h1>{t(T::OverdueList)}<small class="count">{format!(" {}", view.total)}</small></h1>
            {view.notice.map(|(n, extra)| view! { <p class="notice" role="status">{format!("{}{extra}", t(n))}</p> })}
            {empty.then(|| view! { <p class="hint">{t(T::NoOverdue)}</p> })}
            <ol class="overdue">
                {view.items.into_iter().map(|i| {
                    let level = i.level.filter(|l| *l > 0).map(|l| T::EscalationLevel.fill(lang, &[&l.to_string()]));
                    let chased = i.last_chase.clone().map(|(at, by)| T::LastChased.fill(lang, &[&at, &by]));
                    view! {
                        <li class="item">
                            <p class="who"><strong>{i.name_masked.clone()}</strong>" · "{i.org_name.clone()}</p>
                            <p class="when">
                                <span class="overdue-by">{crate::review::time_left(-i.secs_over, lang)}</span>
                                {format!(" · {} {}", t(T::DueWas), i.due_at)}
                                {level.map(|l| view! { <span class="badge">{l}</span> })}
                            </p>
                            {chased.map(|c| view! { <p class="hint">{c}</p> })}
                            <form method="post" action=format!("/admin/command/overdue/{}/chase", i.id) class="inline">
                                <button type="submit" class="primary" disabled=!i.can_chase>{t(T::ChaseNow)}</button>
                            </form>
                        </li>
                    }
                }).collect_view()}
            </ol>
            <nav class="pager">
                {(page > 0).then(|| view! { <a href=format!("/admin/command/overdue?page={}", page - 1)>{t(T::Previous)}</a> })}
                {more.then(|| view! { <a href=format!("/admin/command/overdue?page={}", page + 1)>{t(T::NextPage)}</a> })}
            </nav>
        </AdminFrame>
    }
}
