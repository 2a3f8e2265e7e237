//! Library pages: server-rendered plain forms that work without JavaScript — the member's
//! catalogue search and loans, the librarians' list of libraries with their figures, and one
//! library's counter.
use super::{LibraryAdminView, LibraryCounterView, LibraryFigures, LibraryView, LoanState};
use crate::admin::ui::{notice_view, AdminFrame};
use crate::i18n::{Lang, T};
use leptos::prelude::*;

/// A labelled input; its error, if it is the one named, right under it.
fn field(id: &'static str, label: T, value: String, error: Option<(&'static str, T)>, hint: Option<T>, lang: Lang) -> impl IntoView {
    let err = error.filter(|(f, _)| *f == id).map(|(_, t)| t.get(lang));
    let described = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id>{label.get(lang)}</label>
            <input id=id name=id type="text" value=value autocomplete="off" aria-invalid=err.map(|_| "true") aria-describedby=err.map(|_| described.clone())/>
            {hint.map(|h| view! { <p class="hint">{h.get(lang)}</p> })}
            {err.map(|e| view! { <p class="error" id=described.clone() role="alert">{e}</p> })}
        </div>
    }
}

fn state_class(s: &LoanState) -> &'static str {
    match s {
        LoanState::OnLoan => "loan on-loan",
        LoanState::DueSoon => "loan due-soon",
        LoanState::Overdue => "loan overdue",
        LoanState::Returned { .. } => "loan returned",
    }
}

#[component]
pub fn LibraryPage(view: LibraryView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let signed_in = view.loans.is_some();
    let no_hits = view.hits.is_empty();
    view! {
        {signed_in.then(|| view! { <crate::member::ui::MemberNav lang=lang/> })}
        <section class="card">
            <h1>{t(T::LibTitle)}</h1>
            <p class="intro">{t(T::LibIntro)}</p>
            {match view.loans {
                Some(loans) => view! {
                    <h2>{t(T::LibMyLoans)}</h2>
                    {loans.is_empty().then(|| view! { <p class="hint">{t(T::LibNoLoans)}</p> })}
                    <ul class="queue" aria-label=t(T::LibMyLoans)>
                        {loans.into_iter().map(|l| view! {
                            <li class=state_class(&l.state) data-loan=l.id>
                                <div class="who"><strong>{format!("《{}》", l.title)}</strong><span>{l.author}</span>
                                    <span class="state">{t(l.state.label())}</span></div>
                                <div class="when">
                                    <span>{format!("{} {}", t(T::LibLentAt), l.library)}</span>
                                    <span>{format!("{} {}", t(T::LibLentOn), l.lent_on)}</span>
                                    {match &l.state {
                                        LoanState::Returned { library, on } => view! { <span>{T::LibReturnedAt.fill(lang, &[on, library])}</span> }.into_any(),
                                        _ => view! { <span class="due">{format!("{} {}", t(T::LibDue), l.due)}</span> }.into_any(),
                                    }}
                                </div>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any(),
                None => view! { <p><a class="button secondary" href="/me/login?next=/library">{t(T::LibSignInForLoans)}</a></p> }.into_any(),
            }}
            <h2>{t(T::LibCatalogue)}</h2>
            <form method="get" action="/library" class="row-form" role="search">
                <label for="q">{t(T::LibSearchLabel)}</label>
                <input id="q" name="q" type="search" value=view.query.clone() maxlength="40"/>
                <button type="submit" class="primary">{t(T::LibSearch)}</button>
            </form>
            <h3>{if view.searched { t(T::LibResults) } else { t(T::LibNewest) }}</h3>
            {no_hits.then(|| view! { <p class="hint">{t(T::LibNoHits)}</p> })}
            <ul class="queue" aria-label=t(T::LibCatalogue)>
                {view.hits.into_iter().map(|h| {
                    let nowhere = h.holdings.is_empty();
                    view! {
                        <li class="item" data-title=h.id>
                            <div class="who"><strong>{format!("《{}》", h.title)}</strong><span>{h.author}</span><span class="hint">{format!("ISBN {}", h.isbn)}</span></div>
                            <ul class="holdings" aria-label=T::LibWhere.fill(lang, &[&h.title])>
                                {nowhere.then(|| view! { <li>{t(T::LibNowhere)}</li> })}
                                {h.holdings.into_iter().map(|p| { let class = if p.available > 0 { "available" } else { "lent" }; view! {
                                    <li class=class>
                                        {format!("{}：{}", p.library, T::LibAvailable.fill(lang, &[&p.available.to_string(), &p.held.to_string()]))}
                                    </li>
                                }}).collect_view()}
                            </ul>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <h2>{t(T::LibLibraries)}</h2>
            <ul class="steps">
                {view.libraries.into_iter().map(|(name, address)| view! { <li>{name}{(!address.is_empty()).then(|| format!(" · {address}"))}</li> }).collect_view()}
            </ul>
        </section>
    }
}

/// A library's figures as a grid of labelled numbers.
fn figures(f: &LibraryFigures, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let items = [
        (T::LibCopiesHeld, f.copies_held, "held"),
        (T::LibOnLoanNow, f.on_loan, "on_loan"),
        (T::LibLoansMonth, f.loans_month, "loans_month"),
        (T::LibLoansTotal, f.loans_total, "loans_total"),
        (T::LibReturnsMonth, f.returns_month, "returns_month"),
        (T::LibReturnsTotal, f.returns_total, "returns_total"),
        (T::LibBorrowersMonth, f.borrowers_month, "borrowers_month"),
    ];
    view! {
        <dl class="figures">
            {items.into_iter().map(|(label, n, key)| view! {
                <div class="figure"><dt>{t(label)}</dt><dd data-figure=key>{n}</dd></div>
            }).collect_view()}
        </dl>
    }
}

fn top_titles(top: &[(String, i64)], lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    (!top.is_empty()).then(|| {
        view! {
            <p class="top"><strong>{t(T::LibTopTitles)}</strong>" "
                {top.iter().map(|(title, n)| format!("《{title}》{n}")).collect::<Vec<_>>().join("、")}
            </p>
        }
    })
}

#[component]
pub fn LibraryAdminPage(view: LibraryAdminView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let e = view.field_error;
    let i = view.input.clone();
    let none = view.libraries.is_empty();
    view! {
        <AdminFrame admin=view.admin.clone() lang=lang>
            <h1>{t(T::LibAdminTitle)}</h1>
            {notice_view(view.notice, lang)}
            <p class="hint">{T::LibMonth.fill(lang, &[&view.month])}</p>
            {none.then(|| view! { <p class="hint">{t(T::LibNoLibraries)}</p> })}
            <ul class="unions" aria-label=t(T::LibLibraries)>
                {view.libraries.iter().map(|f| view! {
                    <li class="union" data-library=f.id>
                        <h3><a href=format!("/admin/library/{}", f.id)>{f.name.clone()}</a></h3>
                        <p class="hint">{format!("{} · {}", f.union, T::LibLoanDaysIs.fill(lang, &[&f.loan_days.to_string()]))}</p>
                        {figures(f, lang)}
                        {top_titles(&f.top, lang)}
                        <a class="button secondary" href=format!("/admin/library/{}", f.id)>{T::LibOpenCounter.fill(lang, &[&f.name])}</a>
                    </li>
                }).collect_view()}
            </ul>
            {(!view.orgs.is_empty()).then(|| view! {
                <details class="filter-box" open=e.is_some()>
                    <summary>{t(T::LibNewLibrary)}</summary>
                    <form method="post" action="/admin/library" class="decide">
                        {field("name", T::LibName, i.name.clone(), e, None, lang)}
                        <div class="field">
                            <label for="org">{t(T::LibUnion)}</label>
                            <select id="org" name="org">
                                {view.orgs.iter().map(|o| view! {
                                    <option value=o.id.to_string() selected=i.org == o.id.to_string()>{format!("{}{}", "· ".repeat(o.depth.max(0) as usize), o.name)}</option>
                                }).collect_view()}
                            </select>
                            {e.filter(|(f, _)| *f == "org").map(|(_, m)| view! { <p class="error" role="alert">{m.get(lang)}</p> })}
                        </div>
                        {field("address", T::LibAddress, i.address.clone(), e, None, lang)}
                        {field("loan_days", T::LibLoanDays, if i.loan_days.is_empty() { "30".into() } else { i.loan_days.clone() }, e, None, lang)}
                        <button type="submit" class="primary">{t(T::Save)}</button>
                    </form>
                </details>
            })}
        </AdminFrame>
    }
}

#[component]
pub fn LibraryCounterPage(view: LibraryCounterView, lang: Lang) -> impl IntoView {
    let t = move |k: T| k.get(lang);
    let e = view.field_error;
    let i = view.input.clone();
    let f = view.library.clone();
    let base = format!("/admin/library/{}", f.id);
    let notice = view.notice.map(|(k, values, ok)| {
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        let text = k.fill(lang, &values);
        view! { <p class=if ok { "notice ok" } else { "notice error" } role=if ok { "status" } else { "alert" }>{text}</p> }
    });
    let no_loans = view.loans.is_empty();
    view! {
        <AdminFrame admin=view.admin.clone() lang=lang>
            <p><a href="/admin/library">{t(T::LibBackToList)}</a></p>
            <h1>{f.name.clone()}</h1>
            <p class="hint">{format!("{} · {}", f.union, T::LibLoanDaysIs.fill(lang, &[&f.loan_days.to_string()]))}</p>
            {notice}
            <h2>{t(T::LibLend)}</h2>
            <form method="post" action=format!("{base}/lend") class="decide" aria-label=t(T::LibLend)>
                {field("borrower", T::LibBorrower, i.borrower.clone(), e, Some(T::LibBorrowerHint), lang)}
                {field("barcode", T::LibBarcode, i.barcode.clone(), e, None, lang)}
                <button type="submit" class="primary">{t(T::LibLend)}</button>
            </form>
            <h2>{t(T::LibReturn)}</h2>
            <form method="post" action=format!("{base}/return") class="decide" aria-label=t(T::LibReturn)>
                {field("return_barcode", T::LibReturnBarcode, i.return_barcode.clone(), e, Some(T::LibReturnHint), lang)}
                <button type="submit" class="primary">{t(T::LibReturn)}</button>
            </form>
            <h2>{t(T::LibOpenLoans)}</h2>
            {no_loans.then(|| view! { <p class="hint">{t(T::LibNoOpenLoans)}</p> })}
            <ul class="queue" aria-label=t(T::LibOpenLoans)>
                {view.loans.into_iter().map(|l| view! {
                    <li class=if l.overdue { "item overdue-loan" } else { "item" }>
                        <div class="who"><strong>{format!("《{}》", l.title)}</strong><span>{l.barcode}</span><span>{l.name_masked}</span></div>
                        <div class="when"><span class:overdue-by=l.overdue>{format!("{} {}", t(T::LibDue), l.due)}</span></div>
                    </li>
                }).collect_view()}
            </ul>
            <details class="filter-box" open=e.is_some_and(|(k, _)| matches!(k, "isbn" | "title" | "author" | "copy_barcode"))>
                <summary>{t(T::LibAddCopy)}</summary>
                <form method="post" action=format!("{base}/copies") class="decide">
                    {field("isbn", T::LibIsbn, i.isbn.clone(), e, None, lang)}
                    {field("title", T::LibBookTitle, i.title.clone(), e, None, lang)}
                    {field("author", T::LibAuthor, i.author.clone(), e, None, lang)}
                    {field("copy_barcode", T::LibCopyBarcode, i.copy_barcode.clone(), e, None, lang)}
                    <button type="submit" class="secondary">{t(T::LibAddCopy)}</button>
                </form>
            </details>
            <h2>{T::LibFiguresOf.fill(lang, &[&view.month])}</h2>
            {figures(&f, lang)}
            {top_titles(&f.top, lang)}
        </AdminFrame>
    }
}
