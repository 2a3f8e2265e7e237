//! The SQL of the library alliance: libraries, the shared catalogue and its copies, loans (the
//! lend's and the return's conditional writes), the member's loans, the figures, and the
//! reminder worker's conditional marks.
use super::{CounterLoan, Holding, LibraryFigures};
use crate::server::db::Conn;
use sqlx::{AnyPool, Row};

/// A library as the service needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LibraryRow {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub union: String,
    pub address: String,
    pub loan_days: i64,
}

const LIBRARY: &str = "l.id, l.org_id, l.name, o.name AS union_name, l.address, l.loan_days";

fn library_from(r: &sqlx::any::AnyRow) -> sqlx::Result<LibraryRow> {
    Ok(LibraryRow {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        name: r.try_get("name")?,
        union: r.try_get("union_name")?,
        address: r.try_get("address")?,
        loan_days: r.try_get("loan_days")?,
    })
}

/// Inserts a library; `None` when the name is taken.
pub async fn insert_library(
    conn: &mut Conn,
    org_id: i64,
    name: &str,
    address: &str,
    loan_days: i64,
    now: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO libraries (org_id, name, address, loan_days, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(org_id)
    .bind(name)
    .bind(address)
    .bind(loan_days)
    .bind(now)
    .fetch_optional(conn)
    .await
}

pub async fn library(conn: &mut Conn, id: i64) -> sqlx::Result<Option<LibraryRow>> {
    let row = sqlx::query(&format!("SELECT {LIBRARY} FROM libraries l JOIN orgs o ON o.id = l.org_id WHERE l.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(library_from).transpose()
}

/// The libraries run by unions of `root`'s subtree.
pub async fn libraries_under(pool: &AnyPool, root: i64) -> sqlx::Result<Vec<LibraryRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {LIBRARY} FROM libraries l JOIN orgs o ON o.id = l.org_id
         JOIN org_closure c ON c.descendant_id = l.org_id AND c.ancestor_id = $1 ORDER BY o.depth, o.code, l.name"
    ))
    .bind(root)
    .fetch_all(pool)
    .await?;
    rows.iter().map(library_from).collect()
}

/// Every library of the alliance: (name, address), for the member's page.
pub async fn all_libraries(pool: &AnyPool) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as("SELECT name, address FROM libraries ORDER BY name").fetch_all(pool).await
}

pub async fn title_by_isbn(conn: &mut Conn, isbn: &str) -> sqlx::Result<Option<(i64, String)>> {
    sqlx::query_as("SELECT id, title FROM book_titles WHERE isbn = $1").bind(isbn).fetch_optional(conn).await
}

/// Inserts a title; `None` when the ISBN is in the catalogue already.
pub async fn insert_title(conn: &mut Conn, isbn: &str, title: &str, author: &str, now: i64) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO book_titles (isbn, title, author, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(isbn)
    .bind(title)
    .bind(author)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// Inserts a copy held at (and added by) a library; `None` when the barcode is taken.
pub async fn insert_copy(conn: &mut Conn, title_id: i64, barcode: &str, library_id: i64, now: i64) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO book_copies (title_id, barcode, library_id, origin_library_id, on_loan, created_at) VALUES ($1, $2, $3, $3, 0, $4)
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(title_id)
    .bind(barcode)
    .bind(library_id)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// A copy by its barcode: (copy id, title id, title, library holding it, on loan).
#[derive(Clone, Debug)]
pub struct CopyRow {
    pub id: i64,
    pub title_id: i64,
    pub title: String,
    pub library_id: i64,
    pub on_loan: bool,
}

pub async fn copy_by_barcode(conn: &mut Conn, barcode: &str) -> sqlx::Result<Option<CopyRow>> {
    let row: Option<(i64, i64, String, i64, i64)> = sqlx::query_as(
        "SELECT c.id, c.title_id, t.title, c.library_id, c.on_loan FROM book_copies c JOIN book_titles t ON t.id = c.title_id
         WHERE c.barcode = $1",
    )
    .bind(barcode)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(id, title_id, title, library_id, on_loan)| CopyRow { id, title_id, title, library_id, on_loan: on_loan != 0 }))
}

/// Takes a copy off the shelf of `library_id` for a loan: one conditional write; `false` when
/// it is on loan already (or no longer held there).
pub async fn take_copy(conn: &mut Conn, copy_id: i64, library_id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE book_copies SET on_loan = 1 WHERE id = $1 AND library_id = $2 AND on_loan = 0")
        .bind(copy_id)
        .bind(library_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Puts a returned copy on the shelf of the returning library (its home from now on).
pub async fn shelve_copy(conn: &mut Conn, copy_id: i64, library_id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE book_copies SET on_loan = 0, library_id = $2 WHERE id = $1 AND on_loan = 1")
        .bind(copy_id)
        .bind(library_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// A new loan as the lend makes it.
pub struct NewLoan {
    pub copy_id: i64,
    pub title_id: i64,
    pub member_id: i64,
    pub library_id: i64,
    pub lent_by: i64,
    pub lent_at: i64,
    pub lent_day: i64,
    pub due_day: i64,
    pub remind_at: i64,
    pub overdue_at: i64,
}

/// Inserts an open loan; `None` when the copy has one open already (the unique index).
pub async fn insert_loan(conn: &mut Conn, l: &NewLoan) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO loans (copy_id, title_id, member_id, library_id, lent_by, lent_at, lent_day, due_day, remind_at, overdue_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(l.copy_id)
    .bind(l.title_id)
    .bind(l.member_id)
    .bind(l.library_id)
    .bind(l.lent_by)
    .bind(l.lent_at)
    .bind(l.lent_day)
    .bind(l.due_day)
    .bind(l.remind_at)
    .bind(l.overdue_at)
    .fetch_optional(conn)
    .await
}

/// The open loan of a copy: (loan id, library lent at).
pub async fn open_loan_of_copy(conn: &mut Conn, copy_id: i64) -> sqlx::Result<Option<(i64, i64)>> {
    sqlx::query_as("SELECT id, library_id FROM loans WHERE copy_id = $1 AND returned_at IS NULL").bind(copy_id).fetch_optional(conn).await
}

/// Closes a loan at the returning library: one conditional write; `false` when it was closed.
pub async fn close_loan(conn: &mut Conn, loan_id: i64, library_id: i64, admin_id: i64, now: i64, day: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE loans SET returned_at = $2, returned_day = $3, returned_library_id = $4, returned_by = $5
         WHERE id = $1 AND returned_at IS NULL",
    )
    .bind(loan_id)
    .bind(now)
    .bind(day)
    .bind(library_id)
    .bind(admin_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A member named at the counter: (member id, live).
pub async fn member_by_no(conn: &mut Conn, member_no: &str) -> sqlx::Result<Option<(i64, bool)>> {
    let row: Option<(i64, String, Option<i64>)> =
        sqlx::query_as("SELECT id, status, left_at FROM members WHERE member_no = $1 OR member_no = $2 ORDER BY id LIMIT 1")
            .bind(member_no)
            .bind(member_no.to_uppercase())
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(id, status, left)| (id, status == "active" && left.is_none())))
}

/// A member by the secret id of their e-member card: (member id, live).
pub async fn member_by_card_key(conn: &mut Conn, card_key: &str) -> sqlx::Result<Option<(i64, bool)>> {
    let row: Option<(i64, String, Option<i64>)> =
        sqlx::query_as("SELECT id, status, left_at FROM members WHERE card_key = $1").bind(card_key).fetch_optional(conn).await?;
    Ok(row.map(|(id, status, left)| (id, status == "active" && left.is_none())))
}

/// A title found by the catalogue search: (id, isbn, title, author).
pub type TitleRow = (i64, String, String, String);

/// Titles whose name or author contains `query` (any case), or the newest with an empty query.
pub async fn search(pool: &AnyPool, query: &str, limit: i64) -> sqlx::Result<Vec<TitleRow>> {
    let query = query.trim();
    if query.is_empty() {
        return sqlx::query_as("SELECT id, isbn, title, author FROM book_titles ORDER BY id DESC LIMIT $1")
            .bind(limit)
            .fetch_all(pool)
            .await;
    }
    let pattern = format!("%{}%", query.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    sqlx::query_as(
        "SELECT id, isbn, title, author FROM book_titles
         WHERE LOWER(title) LIKE $1 ESCAPE '\\' OR LOWER(author) LIKE $1 ESCAPE '\\' OR isbn = $2
         ORDER BY title, id LIMIT $3",
    )
    .bind(pattern)
    .bind(query)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Where a title is held: per library, copies on the shelf and copies held.
pub async fn holdings(pool: &AnyPool, title_id: i64) -> sqlx::Result<Vec<Holding>> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT l.name, CAST(SUM(1 - c.on_loan) AS BIGINT), COUNT(*) FROM book_copies c
         JOIN libraries l ON l.id = c.library_id WHERE c.title_id = $1 GROUP BY l.name ORDER BY l.name",
    )
    .bind(title_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(library, available, held)| Holding { library, available, held }).collect())
}

/// A member's loans, newest first: (loan id, title, author, library lent at, lent day, due day,
/// returned at library and day).
pub type LoanRow = (i64, String, String, String, i64, i64, Option<(String, i64)>);

pub async fn loans_of(pool: &AnyPool, member_id: i64) -> sqlx::Result<Vec<LoanRow>> {
    let rows = sqlx::query(
        "SELECT k.id, t.title, t.author, l.name AS lent_library, k.lent_day, k.due_day, r.name AS returned_library, k.returned_day
         FROM loans k JOIN book_titles t ON t.id = k.title_id JOIN libraries l ON l.id = k.library_id
         LEFT JOIN libraries r ON r.id = k.returned_library_id
         WHERE k.member_id = $1 ORDER BY k.returned_at IS NOT NULL, k.lent_at DESC, k.id DESC LIMIT 100",
    )
    .bind(member_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            let returned = match (r.try_get::<Option<String>, _>("returned_library")?, r.try_get::<Option<i64>, _>("returned_day")?) {
                (Some(l), Some(d)) => Some((l, d)),
                _ => None,
            };
            Ok((
                r.try_get("id")?,
                r.try_get("title")?,
                r.try_get("author")?,
                r.try_get("lent_library")?,
                r.try_get("lent_day")?,
                r.try_get("due_day")?,
                returned,
            ))
        })
        .collect()
}

/// The open loans of copies lent at a library, soonest due first (names as stored, for masking).
pub async fn open_loans_at(pool: &AnyPool, library_id: i64, today: i64) -> sqlx::Result<Vec<CounterLoan>> {
    let rows: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
        "SELECT k.id, c.barcode, t.title, a.name, k.due_day FROM loans k JOIN book_copies c ON c.id = k.copy_id
         JOIN book_titles t ON t.id = k.title_id JOIN members m ON m.id = k.member_id JOIN applications a ON a.id = m.application_id
         WHERE k.library_id = $1 AND k.returned_at IS NULL ORDER BY k.due_day, k.id LIMIT 200",
    )
    .bind(library_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, barcode, title, name, due_day)| CounterLoan {
            id,
            barcode,
            title,
            name_masked: crate::domain::PersonName::mask_stored(&name),
            due: crate::domain::Ymd::from_days_since_epoch(due_day).to_string(),
            overdue: today > due_day,
        })
        .collect())
}

/// A loan of a library for the counter's success line: (title, due day, barcode, lent at,
/// returned at). Only a loan lent at or returned at `library_id` is found.
pub async fn loan_at(pool: &AnyPool, loan_id: i64, library_id: i64) -> sqlx::Result<Option<(String, i64, String, String, Option<String>)>> {
    sqlx::query_as(
        "SELECT t.title, k.due_day, c.barcode, l.name, r.name FROM loans k JOIN book_titles t ON t.id = k.title_id
         JOIN book_copies c ON c.id = k.copy_id JOIN libraries l ON l.id = k.library_id LEFT JOIN libraries r ON r.id = k.returned_library_id
         WHERE k.id = $1 AND (k.library_id = $2 OR k.returned_library_id = $2)",
    )
    .bind(loan_id)
    .bind(library_id)
    .fetch_optional(pool)
    .await
}

/// A copy added at a library, for the success line: (title, barcode).
pub async fn copy_at(pool: &AnyPool, copy_id: i64, library_id: i64) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as(
        "SELECT t.title, c.barcode FROM book_copies c JOIN book_titles t ON t.id = c.title_id WHERE c.id = $1 AND c.origin_library_id = $2",
    )
    .bind(copy_id)
    .bind(library_id)
    .fetch_optional(pool)
    .await
}

async fn count(pool: &AnyPool, sql: &str, library_id: i64, since_day: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar(sql).bind(library_id).bind(since_day).fetch_one(pool).await
}

/// A library's reading figures, the month starting on local day `month_start`.
pub async fn figures(pool: &AnyPool, lib: &LibraryRow, month_start: i64, top: i64) -> sqlx::Result<LibraryFigures> {
    let id = lib.id;
    let held: (i64, Option<i64>) = sqlx::query_as("SELECT COUNT(*), CAST(SUM(on_loan) AS BIGINT) FROM book_copies WHERE library_id = $1")
        .bind(id)
        .fetch_one(pool)
        .await?;
    let top = sqlx::query_as(
        "SELECT t.title, COUNT(*) AS n FROM loans k JOIN book_titles t ON t.id = k.title_id WHERE k.library_id = $1
         GROUP BY t.id, t.title ORDER BY n DESC, t.title LIMIT $2",
    )
    .bind(id)
    .bind(top)
    .fetch_all(pool)
    .await?;
    Ok(LibraryFigures {
        id,
        name: lib.name.clone(),
        union: lib.union.clone(),
        address: lib.address.clone(),
        loan_days: lib.loan_days,
        copies_held: held.0,
        on_loan: held.1.unwrap_or(0),
        loans_month: count(pool, "SELECT COUNT(*) FROM loans WHERE library_id = $1 AND lent_day >= $2", id, month_start).await?,
        loans_total: count(pool, "SELECT COUNT(*) FROM loans WHERE library_id = $1 AND lent_day >= $2", id, i64::MIN / 2).await?,
        returns_month: count(pool, "SELECT COUNT(*) FROM loans WHERE returned_library_id = $1 AND returned_day >= $2", id, month_start)
            .await?,
        returns_total: count(pool, "SELECT COUNT(*) FROM loans WHERE returned_library_id = $1 AND returned_day >= $2", id, i64::MIN / 2)
            .await?,
        borrowers_month: count(
            pool,
            "SELECT COUNT(DISTINCT member_id) FROM loans WHERE library_id = $1 AND lent_day >= $2",
            id,
            month_start,
        )
        .await?,
        top,
    })
}

/// Open loans whose overdue message is due and not yet sent.
pub async fn overdue_due(pool: &AnyPool, now: i64, limit: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT id FROM loans WHERE returned_at IS NULL AND overdue_sent_at IS NULL AND overdue_at <= $1 ORDER BY overdue_at, id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Open loans whose due-soon reminder is due and not yet sent (and not overdue yet).
pub async fn reminders_due(pool: &AnyPool, now: i64, limit: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT id FROM loans WHERE returned_at IS NULL AND reminded_at IS NULL AND remind_at <= $1 AND overdue_at > $1
         ORDER BY remind_at, id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Marks the overdue message sent (and any reminder not sent: it would come too late): one
/// conditional write; `false` when another worker did, or the book came back.
pub async fn mark_overdue(conn: &mut Conn, loan_id: i64, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE loans SET overdue_sent_at = $2, reminded_at = COALESCE(reminded_at, $2)
         WHERE id = $1 AND returned_at IS NULL AND overdue_sent_at IS NULL",
    )
    .bind(loan_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks the due-soon reminder sent: one conditional write.
pub async fn mark_reminded(conn: &mut Conn, loan_id: i64, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE loans SET reminded_at = $2 WHERE id = $1 AND returned_at IS NULL AND reminded_at IS NULL")
        .bind(loan_id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// What a reminder says and to whom: (phone, title, due day); `None` for a member who left.
pub async fn loan_message(conn: &mut Conn, loan_id: i64) -> sqlx::Result<Option<(String, String, i64)>> {
    sqlx::query_as(
        "SELECT a.phone, t.title, k.due_day FROM loans k JOIN book_titles t ON t.id = k.title_id JOIN members m ON m.id = k.member_id
         JOIN applications a ON a.id = m.application_id WHERE k.id = $1 AND m.left_at IS NULL AND m.status = 'active'",
    )
    .bind(loan_id)
    .fetch_optional(conn)
    .await
}
