//! Library HTTP: `/library` (anyone searches the shared catalogue; a signed-in member also sees
//! their loans) and the librarians' screens `/admin/library…` (the libraries of the admin's
//! subtree with their figures; one library's counter: lend, return, add copies). Plain forms
//! that work without JavaScript: a post answers 303 (Post/Redirect/Get) or the same page with
//! the reason next to the field and the input kept.
use super::service::{self, month_of};
use super::{repo, CounterInput, LibraryAdminView, LibraryCounterView, LibraryInput, LibraryView, LoanState, MyLoan, TitleHit};
use crate::admin::auth::{Allowed, Requirement};
use crate::admin::repo::AdminRow;
use crate::admin::{AdminInfo, Role};
use crate::domain::Ymd;
use crate::i18n::T;
use crate::server::audit::Action;
use crate::server::error::{AppError, AppResult};
use crate::server::state::AppState;
use crate::server::web::{Form, Page};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

/// The counter and the figures: reviewers and managers of a union (in their subtree), and the
/// city admin (every library). Leaders and merchant accounts are not librarians.
pub struct Librarian;

impl Requirement for Librarian {
    const NAME: &'static str = "librarian";
    fn allows(a: &AdminInfo) -> bool {
        a.can_review() || a.has(Role::CityAdmin)
    }
}

/// Titles a search shows at most.
const HITS: i64 = 30;
/// Titles in a library's top list.
const TOP: i64 = 5;

fn day(d: i64) -> String {
    Ymd::from_days_since_epoch(d).to_string()
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SearchQuery {
    q: String,
}

/// The catalogue for anyone; the member's own loans (and no one else's) with a live session.
pub async fn library_get(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<SearchQuery>) -> AppResult<Response> {
    let query: String = q.q.trim().chars().take(40).collect();
    let pool = &state.db.pool;
    let mut hits = Vec::new();
    for (id, isbn, title, author) in repo::search(pool, &query, HITS).await? {
        hits.push(TitleHit { id, isbn, title, author, holdings: repo::holdings(pool, id).await? });
    }
    let member = crate::member::auth::current(&state, &headers).await?;
    let loans = match member {
        Some(((member_id, ..), _)) => {
            let today = service::local_day(state.now());
            let rows = repo::loans_of(pool, member_id).await?;
            Some(
                rows.into_iter()
                    .map(|(id, title, author, library, lent_day, due_day, returned)| MyLoan {
                        id,
                        title,
                        author,
                        library,
                        lent_on: day(lent_day),
                        due: day(due_day),
                        state: LoanState::of(returned, due_day, today),
                    })
                    .collect(),
            )
        }
        None => None,
    };
    let view = LibraryView { searched: !query.is_empty(), query, hits, libraries: repo::all_libraries(pool).await?, loans };
    Ok(Page::ok(view).no_store().into_response())
}

async fn admin_view(
    state: &AppState,
    me: &AdminRow,
    input: LibraryInput,
    notice: Option<(T, bool)>,
    field_error: Option<(&'static str, T)>,
) -> AppResult<Response> {
    let pool = &state.db.pool;
    let (month_start, month) = month_of(state.now());
    let mut libraries = Vec::new();
    for lib in repo::libraries_under(pool, me.org_id).await? {
        libraries.push(repo::figures(pool, &lib, month_start, 3).await?);
    }
    let orgs =
        if me.has(Role::Manager) || me.has(Role::CityAdmin) { crate::org::repo::subtree(pool, me.org_id).await? } else { Vec::new() };
    let view = LibraryAdminView { admin: me.info(), month, libraries, orgs, input, notice, field_error };
    Ok(Page::ok(view).no_store().into_response())
}

pub async fn admin_get(State(state): State<AppState>, me: Allowed<Librarian>) -> AppResult<Response> {
    admin_view(&state, &me.admin, LibraryInput::default(), None, None).await
}

pub async fn admin_post(State(state): State<AppState>, me: Allowed<Librarian>, Form(f): Form<LibraryInput>) -> AppResult<Response> {
    match service::add_library(&state, &me.admin, &me.ip, &f).await? {
        Ok(id) => Ok(Redirect::to(&format!("/admin/library/{id}?added_library=1")).into_response()),
        Err((field, t)) => admin_view(&state, &me.admin, f, None, Some((field, t))).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CounterQuery {
    lent: String,
    returned: String,
    added: String,
    added_library: String,
}

async fn counter_view(
    state: &AppState,
    me: &AdminRow,
    lib: &repo::LibraryRow,
    input: CounterInput,
    notice: Option<(T, Vec<String>, bool)>,
    field_error: Option<(&'static str, T)>,
) -> AppResult<Response> {
    let pool = &state.db.pool;
    let now = state.now();
    let (month_start, month) = month_of(now);
    let view = LibraryCounterView {
        admin: me.info(),
        month,
        library: repo::figures(pool, lib, month_start, TOP).await?,
        loans: repo::open_loans_at(pool, lib.id, service::local_day(now)).await?,
        input,
        notice,
        field_error,
    };
    Ok(Page::ok(view).no_store().into_response())
}

/// The library, if this admin works its counter; else the one not-found page (audited).
async fn scoped(state: &AppState, me: &Allowed<Librarian>, id: i64, action: Action) -> AppResult<repo::LibraryRow> {
    service::counter(state, &me.admin, &me.ip, id, action).await?.ok_or(AppError::NotFound)
}

pub async fn counter_get(
    State(state): State<AppState>,
    me: Allowed<Librarian>,
    Path(id): Path<i64>,
    Query(q): Query<CounterQuery>,
) -> AppResult<Response> {
    let lib = scoped(&state, &me, id, Action::View).await?;
    let pool = &state.db.pool;
    let mut notice = None;
    if let Ok(loan) = q.lent.parse::<i64>() {
        if let Some((title, due_day, barcode, _, _)) = repo::loan_at(pool, loan, lib.id).await? {
            notice = Some((T::LibLentDone, vec![title, barcode, day(due_day)], true));
        }
    } else if let Ok(loan) = q.returned.parse::<i64>() {
        if let Some((title, _, barcode, lent_at, _)) = repo::loan_at(pool, loan, lib.id).await? {
            notice = Some((T::LibReturnedDone, vec![title, barcode, lent_at], true));
        }
    } else if let Ok(copy) = q.added.parse::<i64>() {
        if let Some((title, barcode)) = repo::copy_at(pool, copy, lib.id).await? {
            notice = Some((T::LibCopyAdded, vec![title, barcode], true));
        }
    } else if q.added_library == "1" {
        notice = Some((T::LibLibraryAdded, Vec::new(), true));
    }
    counter_view(&state, &me.admin, &lib, CounterInput::default(), notice, None).await
}

async fn after(
    state: &AppState,
    me: &AdminRow,
    lib: &repo::LibraryRow,
    f: CounterInput,
    result: Result<i64, (&'static str, T)>,
    done: &str,
) -> AppResult<Response> {
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/admin/library/{}?{done}={id}", lib.id)).into_response()),
        Err((field, t)) => counter_view(state, me, lib, f, None, Some((field, t))).await,
    }
}

pub async fn lend_post(
    State(state): State<AppState>,
    me: Allowed<Librarian>,
    Path(id): Path<i64>,
    Form(f): Form<CounterInput>,
) -> AppResult<Response> {
    let lib = scoped(&state, &me, id, Action::Lend).await?;
    let result = service::lend(&state, &me.admin, &me.ip, &lib, &f).await?;
    // The borrower's card code is not echoed back: it is dead within two minutes anyway.
    let kept = CounterInput {
        borrower: if result.is_err() { f.borrower.chars().take(60).collect() } else { String::new() },
        barcode: f.barcode.chars().take(40).collect(),
        ..CounterInput::default()
    };
    after(&state, &me.admin, &lib, kept, result, "lent").await
}

pub async fn return_post(
    State(state): State<AppState>,
    me: Allowed<Librarian>,
    Path(id): Path<i64>,
    Form(f): Form<CounterInput>,
) -> AppResult<Response> {
    let lib = scoped(&state, &me, id, Action::BookReturn).await?;
    let result = service::take_back(&state, &me.admin, &me.ip, &lib, &f).await?;
    let kept = CounterInput { return_barcode: f.return_barcode.chars().take(40).collect(), ..CounterInput::default() };
    after(&state, &me.admin, &lib, kept, result, "returned").await
}

pub async fn copies_post(
    State(state): State<AppState>,
    me: Allowed<Librarian>,
    Path(id): Path<i64>,
    Form(f): Form<CounterInput>,
) -> AppResult<Response> {
    let lib = scoped(&state, &me, id, Action::LibrarySetup).await?;
    let result = service::add_copy(&state, &me.admin, &me.ip, &lib, &f).await?;
    let kept = CounterInput {
        isbn: f.isbn.chars().take(30).collect(),
        title: f.title.chars().take(100).collect(),
        author: f.author.chars().take(60).collect(),
        copy_barcode: f.copy_barcode.chars().take(40).collect(),
        ..CounterInput::default()
    };
    after(&state, &me.admin, &lib, kept, result, "added").await
}
