//! Admin pages: the frame around every admin screen, sign-in, the registry of admins and the
//! audit trail. Plain server-rendered forms: they work with JavaScript off.
use super::{AdminInfo, AdminsView, AuditView, LoginView, Role};
use crate::i18n::{Lang, T};
use leptos::prelude::*;

/// A notice after a post: done (a status) or refused (an alert).
pub fn notice_view(notice: Option<(T, bool)>, lang: Lang) -> impl IntoView {
    notice.map(|(t, ok)| {
        let class = if ok { "notice ok" } else { "notice error" };
        let role = if ok { "status" } else { "alert" };
        view! { <p class=class role=role>{t.get(lang)}</p> }
    })
}

#[component]
pub fn AdminFrame(admin: AdminInfo, lang: Lang, children: Children) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    view! {
        <nav class="admin-nav" aria-label=t(T::Admins)>
            <span class="me">{format!("{} · {}", admin.display_name, admin.org_name)}</span>
            <a href="/admin">{t(T::Queue)}</a>
            {admin.can_manage_admins().then(|| view! { <a href="/admin/admins">{t(T::Admins)}</a> })}
            <a href="/admin/members">{t(T::RosterMembers)}</a>
            {admin.can_manage_admins().then(|| view! { <a href="/admin/import">{t(T::ImportTitle)}</a> })}
            <a href="/admin/stats">{t(T::Progress)}</a>
            <a href="/admin/pool">{t(T::PoolTitle)}</a>
            <a href="/admin/transfers">{t(T::TransfersTitle)}</a>
            {(admin.has(Role::Leader) || admin.has(Role::Manager) || admin.has(Role::CityAdmin))
                .then(|| view! { <a href="/admin/command">{t(T::CommandCentre)}</a> })}
            {admin.has(Role::CityAdmin).then(|| view! { <a href="/admin/calendar">{t(T::CalendarTitle)}</a> })}
            {admin.has(Role::CityAdmin).then(|| view! { <a href="/admin/audit">{t(T::Audit)}</a> })}
            {admin.has(Role::CityAdmin).then(|| view! { <a href="/admin/benefits">{t(T::BenefitsAdmin)}</a> })}
            <a href="/admin/hall">{t(T::HallQueue)}</a>
            {admin.has(Role::CityAdmin).then(|| view! { <a href="/admin/services">{t(T::Catalogue)}</a> })}
            <a href="/admin/events">{t(T::EventsAdmin)}</a>
            {(admin.can_review() || admin.has(Role::CityAdmin)).then(|| view! { <a href="/admin/library">{t(T::LibAdminTitle)}</a> })}
            {admin.can_manage_admins().then(|| view! { <a href="/admin/legal">{t(T::LegalAdminTitle)}</a> })}
            <form method="post" action="/admin/logout" class="inline">
                <button type="submit" class="link">{t(T::SignOut)}</button>
            </form>
        </nav>
        <section class="card wide">{children()}</section>
    }
}

/// The export form of a list screen: the screen's filters ride along as hidden fields; the
/// format; and, for a role that may reveal, full numbers with a required reason.
#[component]
pub fn ExportForm(kind: &'static str, fields: Vec<(&'static str, String)>, can_reveal: bool, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    view! {
        <details class="filter-box export-box">
            <summary>{t(T::Export)}</summary>
            <form method="post" action="/admin/exports" class="filters export-form">
                <input type="hidden" name="kind" value=kind/>
                {fields.into_iter().map(|(name, value)| view! { <input type="hidden" name=name value=value/> }).collect_view()}
                <label for="x-format">{t(T::ExportFormatLabel)}</label>
                <select id="x-format" name="format">
                    <option value="xlsx">".xlsx"</option>
                    <option value="csv">".csv"</option>
                </select>
                {can_reveal.then(|| view! {
                    <label class="check"><input type="checkbox" name="reveal" value="1"/>{t(T::ExportFull)}</label>
                    <label for="x-reason">{t(T::RevealReason)}</label>
                    <input id="x-reason" name="reason" maxlength="100"/>
                })}
                <button type="submit" class="secondary">{t(T::Export)}</button>
            </form>
        </details>
    }
}

#[component]
pub fn LoginPage(view: LoginView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    view! {
        <section class="card">
            <h1>{t(T::AdminLogin)}</h1>
            {view.error.map(|e| {
                let text = match &view.stopped_until {
                    Some(at) => format!("{} {at} {}", t(e), t(T::TryAgainAfter)).trim_end().to_string(),
                    None => t(e).to_string(),
                };
                view! { <p class="notice error" role="alert">{text}</p> }
            })}
            <form method="post" action="/admin/login">
                <input type="hidden" name="next" value=view.next.clone()/>
                <div class="field">
                    <label for="username">{t(T::Username)}</label>
                    <input id="username" name="username" autocomplete="username" value=view.username.clone()/>
                </div>
                <div class="field">
                    <label for="password">{t(T::Password)}</label>
                    <input id="password" name="password" type="password" autocomplete="current-password"/>
                </div>
                <button type="submit" class="primary">{t(T::SignIn)}</button>
            </form>
        </section>
    }
}

#[component]
pub fn AdminsPage(view: AdminsView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let mine = view.admin.roles.clone();
    view! {
        <AdminFrame admin=view.admin.clone() lang=lang>
            <h1>{t(T::Admins)}</h1>
            {view.notice.map(|(n, ok)| view! { <p class=if ok { "notice ok" } else { "notice error" } role="status">{t(n)}</p> })}
            <table class="registry">
                <thead><tr>
                    <th>{t(T::Username)}</th><th>{t(T::DisplayName)}</th><th>{t(T::Union)}</th><th>{t(T::Roles)}</th>
                    <th>{t(T::LastActive)}</th><th></th>
                </tr></thead>
                <tbody>
                    {view.rows.into_iter().map(|r| view! {
                        <tr class:disabled=r.disabled>
                            <td>{r.username.clone()}</td>
                            <td>{r.display_name.clone()}</td>
                            <td>{r.org_name.clone()}</td>
                            <td>{r.roles.iter().map(|x| t(x.label())).collect::<Vec<_>>().join(t(T::ListSeparator))}</td>
                            <td>{r.last_active.clone()}</td>
                            <td>{if r.disabled { view! {
                                <span>{t(T::Disabled)}</span>
                                <form method="post" action=format!("/admin/admins/{}/enable", r.id) class="inline">
                                    <button type="submit" class="secondary">{t(T::Enable)}</button>
                                </form>
                            }.into_any() } else { view! {
                                <form method="post" action=format!("/admin/admins/{}/disable", r.id) class="inline">
                                    <button type="submit" class="secondary">{t(T::Disable)}</button>
                                </form>
                            }.into_any() }}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <h2>{t(T::NewAdmin)}</h2>
            <form method="post" action="/admin/admins" class="new-admin">
                <div class="field"><label for="na-username">{t(T::Username)}</label><input id="na-username" name="username" autocomplete="off"/></div>
                <div class="field"><label for="na-name">{t(T::DisplayName)}</label><input id="na-name" name="display_name"/></div>
                <div class="field"><label for="na-phone">{t(T::Phone)}</label><input id="na-phone" name="phone" type="tel"/></div>
                <div class="field"><label for="na-org">{t(T::Union)}</label>
                    <select id="na-org" name="org">
                        {view.orgs.iter().map(|o| view! { <option value=o.id>{format!("{}{}", "· ".repeat(o.depth as usize), o.name)}</option> }).collect_view()}
                    </select>
                </div>
                <fieldset class="field"><legend>{t(T::Roles)}</legend>
                    {mine.iter().map(|r| {
                        let id = format!("na-role-{}", r.as_str());
                        let for_id = id.clone();
                        view! { <label class="check" for=for_id><input type="checkbox" id=id name="roles" value=r.as_str()/>{t(r.label())}</label> }
                    }).collect_view()}
                </fieldset>
                <div class="field"><label for="na-password">{t(T::Password)}</label><input id="na-password" name="password" type="password" autocomplete="new-password"/></div>
                <button type="submit" class="primary">{t(T::Create)}</button>
            </form>
        </AdminFrame>
    }
}

#[component]
pub fn AuditPage(view: AuditView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let chain = match view.chain {
        Ok(n) => view! { <p class="notice ok" role="status">{format!("{} ({n})", t(T::ChainOk))}</p> }.into_any(),
        Err(id) => view! { <p class="notice error" role="alert">{format!("{} {id}", t(T::ChainBroken))}</p> }.into_any(),
    };
    view! {
        <AdminFrame admin=view.admin.clone() lang=lang>
            <h1>{t(T::Audit)}</h1>
            {chain}
            <table class="registry">
                <thead><tr><th>"#"</th><th>{t(T::Time)}</th><th>{t(T::Username)}</th><th>{t(T::Action2)}</th><th>{t(T::Target)}</th><th>"IP"</th><th>{t(T::Outcome)}</th></tr></thead>
                <tbody>
                    {view.rows.into_iter().map(|r| view! {
                        <tr><td>{r.id}</td><td>{r.at}</td><td>{r.who}</td><td>{r.action}</td><td>{r.target}</td><td>{r.ip}</td><td>{r.outcome}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </AdminFrame>
    }
}
