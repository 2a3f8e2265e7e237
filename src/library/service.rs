//! The library rules: who works which counter (the admins of the union running the library, in
//! their subtree; anyone else meets the one not-found page and an audit row), opening a
//! library, adding titles to the shared catalogue and copies to a shelf, lending (the member
//! named by number or e-member card code; one conditional write takes the copy, so two lends
//! of one copy at once give one loan) and returning at any library of the alliance (the copy
//! then stays at the returning library). Every change is audited in its own transaction.
use super::repo::{self, LibraryRow, NewLoan};
use super::{short_text, MAX_TITLE_CHARS, REMIND_DAYS_BEFORE, REMIND_HOUR};
use super::{Barcode, Borrower, CounterInput, Isbn, LibraryInput, DEFAULT_LOAN_DAYS, MAX_AUTHOR_CHARS, MAX_LIBRARY_NAME_CHARS};
use crate::admin::repo::AdminRow;
use crate::admin::Role;
use crate::calendar::local_to_unix;
use crate::domain::Ymd;
use crate::i18n::T;
use crate::server::audit::{self, Action, Outcome, Target};
use crate::server::state::AppState;

/// A fault of ours in the library area (a refusal is an outcome, not this).
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

pub type LibraryResult<T> = Result<T, LibraryError>;

impl From<LibraryError> for crate::server::error::AppError {
    fn from(e: LibraryError) -> crate::server::error::AppError {
        match e {
            LibraryError::Db(e) => crate::server::error::AppError::Db(e),
        }
    }
}

/// The local day (days since 1970-01-01 in China) of a Unix time.
pub fn local_day(unix: i64) -> i64 {
    crate::calendar::local_date(unix).days_since_epoch()
}

/// The first local day of the month `unix` falls in, and the month as "2026-11".
pub fn month_of(unix: i64) -> (i64, String) {
    let d = crate::calendar::local_date(unix);
    let first = Ymd::new(d.year(), d.month(), 1).unwrap_or(d);
    (first.days_since_epoch(), format!("{}-{:02}", d.year(), d.month()))
}

/// When the due-soon SMS and the overdue SMS of a loan due on `due_day` go out.
pub fn reminder_times(due_day: i64) -> (i64, i64) {
    let at = |day: i64| local_to_unix(Ymd::from_days_since_epoch(day), REMIND_HOUR, 0);
    (at(due_day - REMIND_DAYS_BEFORE), at(due_day + 1))
}

/// The library `id` if this admin works its counter (its union lies in the admin's subtree);
/// otherwise `None`, with an audit row of the attempt — the caller answers not found.
pub async fn counter(state: &AppState, admin: &AdminRow, ip: &str, id: i64, action: Action) -> LibraryResult<Option<LibraryRow>> {
    let lib = {
        let mut conn = state.db.pool.acquire().await?;
        repo::library(&mut conn, id).await?
    };
    if let Some(lib) = lib {
        if crate::org::repo::is_within(&state.db.pool, lib.org_id, admin.org_id).await? {
            return Ok(Some(lib));
        }
    }
    audit::record_alone(state, state.now(), admin.audit(action, Target::Library(id), ip, Outcome::NotFound, "")).await?;
    Ok(None)
}

/// Opens a library for a union of the admin's subtree (managers and the city admin).
pub async fn add_library(state: &AppState, me: &AdminRow, ip: &str, f: &LibraryInput) -> LibraryResult<Result<i64, (&'static str, T)>> {
    if !(me.has(Role::Manager) || me.has(Role::CityAdmin)) {
        audit::record_alone(state, state.now(), me.audit(Action::LibrarySetup, Target::Org(me.org_id), ip, Outcome::Forbidden, "")).await?;
        return Ok(Err(("org", T::LibManagersOnly)));
    }
    let name = match short_text(&f.name, MAX_LIBRARY_NAME_CHARS, T::LibNameNeeded) {
        Ok(n) => n,
        Err(t) => return Ok(Err(("name", t))),
    };
    let address: String = f.address.trim().chars().filter(|c| !c.is_control()).take(100).collect();
    let loan_days = match f.loan_days.trim() {
        "" => DEFAULT_LOAN_DAYS,
        d => match d.parse::<i64>() {
            Ok(d) if (1..=180).contains(&d) => d,
            _ => return Ok(Err(("loan_days", T::LibLoanDaysBad))),
        },
    };
    let org = match f.org.trim().parse::<i64>() {
        Ok(o) if crate::org::repo::is_within(&state.db.pool, o, me.org_id).await? => o,
        Ok(o) => {
            audit::record_alone(state, state.now(), me.audit(Action::LibrarySetup, Target::Org(o), ip, Outcome::NotFound, "")).await?;
            return Ok(Err(("org", T::LibChooseUnion)));
        }
        Err(_) => return Ok(Err(("org", T::LibChooseUnion))),
    };
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let Some(id) = repo::insert_library(&mut tx, org, &name, &address, loan_days, now).await? else {
        return Ok(Err(("name", T::LibNameTaken)));
    };
    audit::record(&mut tx, state, now, me.audit(Action::LibrarySetup, Target::Library(id), ip, Outcome::Ok, &name)).await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// Adds a copy to the library's shelf; a new ISBN also adds the title to the shared catalogue
/// (a known ISBN keeps its title and author). Returns the copy's id.
pub async fn add_copy(
    state: &AppState,
    me: &AdminRow,
    ip: &str,
    lib: &LibraryRow,
    f: &CounterInput,
) -> LibraryResult<Result<i64, (&'static str, T)>> {
    let isbn = match Isbn::parse(&f.isbn) {
        Ok(i) => i,
        Err(t) => return Ok(Err(("isbn", t))),
    };
    let barcode = match Barcode::parse(&f.copy_barcode) {
        Ok(b) => b,
        Err(t) => return Ok(Err(("copy_barcode", t))),
    };
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let title_id = match repo::title_by_isbn(&mut tx, isbn.as_str()).await? {
        Some((id, _)) => id,
        None => {
            let title = match short_text(&f.title, MAX_TITLE_CHARS, T::LibTitleNeeded) {
                Ok(t) => t,
                Err(t) => return Ok(Err(("title", t))),
            };
            let author = match short_text(&f.author, MAX_AUTHOR_CHARS, T::LibAuthorNeeded) {
                Ok(a) => a,
                Err(t) => return Ok(Err(("author", t))),
            };
            match repo::insert_title(&mut tx, isbn.as_str(), &title, &author, now).await? {
                Some(id) => id,
                // Added by another counter a moment ago: the catalogue keeps the first.
                None => repo::title_by_isbn(&mut tx, isbn.as_str()).await?.map(|(id, _)| id).ok_or(sqlx::Error::RowNotFound)?,
            }
        }
    };
    let Some(copy) = repo::insert_copy(&mut tx, title_id, barcode.as_str(), lib.id, now).await? else {
        return Ok(Err(("copy_barcode", T::LibBarcodeTaken)));
    };
    let detail = format!("library:{} isbn:{}", lib.id, isbn.as_str());
    audit::record(&mut tx, state, now, me.audit(Action::LibrarySetup, Target::BookCopy(copy), ip, Outcome::Ok, &detail)).await?;
    tx.commit().await?;
    Ok(Ok(copy))
}

/// Who a counter input names: a live member's id, or why not.
async fn borrower(state: &AppState, who: &Borrower) -> LibraryResult<Result<i64, T>> {
    let mut conn = state.db.pool.acquire().await?;
    let found = match who {
        Borrower::MemberNo(no) => repo::member_by_no(&mut conn, no).await?,
        Borrower::CardCode(code) => match crate::member::card::parse(&state.keys, code, state.now()) {
            crate::member::card::Parsed::Unknown => None,
            crate::member::card::Parsed::Genuine { expired: true, .. } => return Ok(Err(T::LibCardExpired)),
            crate::member::card::Parsed::Genuine { card_id, expired: false } => repo::member_by_card_key(&mut conn, &card_id).await?,
        },
    };
    Ok(match found {
        None => Err(T::LibNoMember),
        Some((_, false)) => Err(T::LibMemberGone),
        Some((id, true)) => Ok(id),
    })
}

/// Lends a copy held at this library to a member: the copy is taken by one conditional write
/// (a second lend of it at the same moment finds it gone), then the loan is written; due on
/// today + the library's loan days. Returns the loan's id.
pub async fn lend(
    state: &AppState,
    me: &AdminRow,
    ip: &str,
    lib: &LibraryRow,
    f: &CounterInput,
) -> LibraryResult<Result<i64, (&'static str, T)>> {
    let who = match Borrower::parse(&f.borrower) {
        Ok(w) => w,
        Err(t) => return Ok(Err(("borrower", t))),
    };
    let barcode = match Barcode::parse(&f.barcode) {
        Ok(b) => b,
        Err(t) => return Ok(Err(("barcode", t))),
    };
    let member_id = match borrower(state, &who).await? {
        Ok(id) => id,
        Err(t) => return Ok(Err(("borrower", t))),
    };
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let Some(copy) = repo::copy_by_barcode(&mut tx, barcode.as_str()).await? else { return Ok(Err(("barcode", T::LibNoCopy))) };
    if copy.library_id != lib.id {
        return Ok(Err(("barcode", T::LibNotHere)));
    }
    if copy.on_loan || !repo::take_copy(&mut tx, copy.id, lib.id).await? {
        return Ok(Err(("barcode", T::LibOnLoanAlready)));
    }
    let lent_day = local_day(now);
    let due_day = lent_day + lib.loan_days;
    let (remind_at, overdue_at) = reminder_times(due_day);
    let loan = NewLoan {
        copy_id: copy.id,
        title_id: copy.title_id,
        member_id,
        library_id: lib.id,
        lent_by: me.id,
        lent_at: now,
        lent_day,
        due_day,
        remind_at,
        overdue_at,
    };
    let Some(id) = repo::insert_loan(&mut tx, &loan).await? else { return Ok(Err(("barcode", T::LibOnLoanAlready))) };
    let detail = format!("library:{} copy:{} member:{member_id}", lib.id, copy.id);
    audit::record(&mut tx, state, now, me.audit(Action::Lend, Target::Loan(id), ip, Outcome::Ok, &detail)).await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// Takes a copy back at this library, whichever library of the alliance lent it: the loan is
/// closed by one conditional write (a second return finds it closed), and the copy is shelved
/// here — this library holds it from now on (the library that added it stays recorded as its
/// origin). Returns the loan's id.
pub async fn take_back(
    state: &AppState,
    me: &AdminRow,
    ip: &str,
    lib: &LibraryRow,
    f: &CounterInput,
) -> LibraryResult<Result<i64, (&'static str, T)>> {
    let barcode = match Barcode::parse(&f.return_barcode) {
        Ok(b) => b,
        Err(t) => return Ok(Err(("return_barcode", t))),
    };
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let Some(copy) = repo::copy_by_barcode(&mut tx, barcode.as_str()).await? else { return Ok(Err(("return_barcode", T::LibNoCopy))) };
    let Some((loan, lent_at)) = repo::open_loan_of_copy(&mut tx, copy.id).await? else {
        return Ok(Err(("return_barcode", T::LibNotOnLoan)));
    };
    if !repo::close_loan(&mut tx, loan, lib.id, me.id, now, local_day(now)).await? || !repo::shelve_copy(&mut tx, copy.id, lib.id).await? {
        return Ok(Err(("return_barcode", T::LibNotOnLoan)));
    }
    let detail = format!("library:{} copy:{} lent_at:{lent_at}", lib.id, copy.id);
    audit::record(&mut tx, state, now, me.audit(Action::BookReturn, Target::Loan(loan), ip, Outcome::Ok, &detail)).await?;
    tx.commit().await?;
    Ok(Ok(loan))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reminders_fall_two_days_before_and_the_day_after() {
        let due = Ymd::new(2026, 12, 25).unwrap().days_since_epoch();
        let (remind, overdue) = reminder_times(due);
        assert_eq!(crate::calendar::format_local(remind), "2026-12-23 09:00");
        assert_eq!(crate::calendar::format_local(overdue), "2026-12-26 09:00");
        let (first, month) = month_of(local_to_unix(Ymd::new(2026, 11, 25).unwrap(), 0, 30));
        assert_eq!(month, "2026-11");
        assert_eq!(first, Ymd::new(2026, 11, 1).unwrap().days_since_epoch());
    }
}
