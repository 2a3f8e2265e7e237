//! The service hall's SQL: the catalogue, requests with their steps and files, the queue of a
//! subtree, and the deadline engine's candidates.
use super::fields::FieldDef;
use super::types::{Audience, Handler, QueueFilter, ServiceRow, Step};
use crate::server::db::Conn;
use sqlx::{AnyPool, Row};

/// A request's answers, sealed with `hall_request:<id>` as associated data (see
/// `service::identity`; emptied on erasure), for rotation.
pub const RESEALED: crate::server::crypto::reseal::SealedColumn = crate::server::crypto::reseal::SealedColumn {
    table: "hall_requests",
    pk: "id",
    column: "answers",
    identity_sql: "'hall_request:' || CAST(id AS TEXT)",
};

/// A service as stored.
#[derive(Clone, Debug)]
pub struct Service {
    pub id: i64,
    pub module_code: String,
    pub module_name: String,
    pub code: String,
    pub name: String,
    pub summary: String,
    pub audience: Audience,
    pub occupations: Vec<String>,
    pub handler: Handler,
    pub handler_org_id: Option<i64>,
    pub fields: Vec<FieldDef>,
    pub promise_days: i64,
    pub sms_steps: Vec<Step>,
    pub link: Option<String>,
    pub sensitive: bool,
    pub active: bool,
    pub position: i64,
}

const SERVICE_COLUMNS: &str = "s.id, m.code AS module_code, m.name AS module_name, s.code, s.name, s.summary, s.audience,
    s.occupations, s.handler, s.handler_org_id, s.fields, s.promise_days, s.sms_steps, s.link, s.sensitive, s.active, s.position";

fn bad(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("hall_services: {what}").into())
}

fn service_from_row(r: &sqlx::any::AnyRow) -> sqlx::Result<Service> {
    let list = |s: String| s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(String::from).collect::<Vec<_>>();
    let fields: String = r.try_get("fields")?;
    Ok(Service {
        id: r.try_get("id")?,
        module_code: r.try_get("module_code")?,
        module_name: r.try_get("module_name")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        summary: r.try_get("summary")?,
        audience: Audience::parse(&r.try_get::<String, _>("audience")?).ok_or_else(|| bad("audience"))?,
        occupations: list(r.try_get("occupations")?),
        handler: Handler::parse(&r.try_get::<String, _>("handler")?).ok_or_else(|| bad("handler"))?,
        handler_org_id: r.try_get("handler_org_id")?,
        fields: serde_json::from_str(&fields).map_err(|_| bad("fields"))?,
        promise_days: r.try_get("promise_days")?,
        sms_steps: list(r.try_get("sms_steps")?)
            .iter()
            .map(|s| Step::parse(s).ok_or_else(|| bad("sms_steps")))
            .collect::<Result<_, _>>()?,
        link: r.try_get("link")?,
        sensitive: r.try_get::<i64, _>("sensitive")? != 0,
        active: r.try_get::<i64, _>("active")? != 0,
        position: r.try_get("position")?,
    })
}

pub async fn modules(pool: &AnyPool) -> sqlx::Result<Vec<(String, String)>> {
    let rows = sqlx::query("SELECT code, name FROM hall_modules ORDER BY position").fetch_all(pool).await?;
    rows.iter().map(|r| Ok((r.try_get("code")?, r.try_get("name")?))).collect()
}

/// Every service (active or not), in the hall's order.
pub async fn services(pool: &AnyPool) -> sqlx::Result<Vec<Service>> {
    let rows = sqlx::query(&format!(
        "SELECT {SERVICE_COLUMNS} FROM hall_services s JOIN hall_modules m ON m.id = s.module_id ORDER BY m.position, s.position, s.id"
    ))
    .fetch_all(pool)
    .await?;
    rows.iter().map(service_from_row).collect()
}

pub async fn service_by_code(pool: &AnyPool, code: &str) -> sqlx::Result<Option<Service>> {
    let row =
        sqlx::query(&format!("SELECT {SERVICE_COLUMNS} FROM hall_services s JOIN hall_modules m ON m.id = s.module_id WHERE s.code = $1"))
            .bind(code)
            .fetch_optional(pool)
            .await?;
    row.as_ref().map(service_from_row).transpose()
}

pub async fn service_by_id(conn: &mut Conn, id: i64) -> sqlx::Result<Option<Service>> {
    let row =
        sqlx::query(&format!("SELECT {SERVICE_COLUMNS} FROM hall_services s JOIN hall_modules m ON m.id = s.module_id WHERE s.id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?;
    row.as_ref().map(service_from_row).transpose()
}

/// The catalogue editor's list: every service with how many requests it has had.
pub async fn service_rows(pool: &AnyPool) -> sqlx::Result<Vec<ServiceRow>> {
    let counts: Vec<(i64, i64)> =
        sqlx::query_as("SELECT service_id, COUNT(*) FROM hall_requests GROUP BY service_id").fetch_all(pool).await?;
    let counts: std::collections::HashMap<i64, i64> = counts.into_iter().collect();
    Ok(services(pool)
        .await?
        .into_iter()
        .map(|s| ServiceRow {
            id: s.id,
            requests: counts.get(&s.id).copied().unwrap_or(0),
            code: s.code,
            name: s.name,
            module: s.module_name,
            handler: s.handler,
            promise_days: s.promise_days,
            fields: s.fields.len(),
            link: s.link,
            active: s.active,
            sensitive: s.sensitive,
        })
        .collect())
}

/// A service as the editor saves it.
pub struct ServiceWrite<'a> {
    pub module_code: &'a str,
    pub code: &'a str,
    pub name: &'a str,
    pub summary: &'a str,
    pub audience: Audience,
    pub occupations: &'a str,
    pub handler: Handler,
    pub handler_org_id: Option<i64>,
    pub fields_json: &'a str,
    pub promise_days: i64,
    pub sms_steps: &'a str,
    pub link: Option<&'a str>,
    pub sensitive: bool,
    pub active: bool,
}

/// A new service, last of its module. None when the module does not exist.
pub async fn insert_service(conn: &mut Conn, s: &ServiceWrite<'_>, now: i64) -> sqlx::Result<Option<i64>> {
    let module: Option<i64> =
        sqlx::query_scalar("SELECT id FROM hall_modules WHERE code = $1").bind(s.module_code).fetch_optional(&mut *conn).await?;
    let Some(module) = module else { return Ok(None) };
    let position: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) + 1 FROM hall_services WHERE module_id = $1")
        .bind(module)
        .fetch_one(&mut *conn)
        .await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO hall_services (module_id, code, name, summary, audience, occupations, handler, handler_org_id, fields,
                                    promise_days, sms_steps, link, sensitive, active, position, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
    )
    .bind(module)
    .bind(s.code)
    .bind(s.name)
    .bind(s.summary)
    .bind(s.audience.as_str())
    .bind(s.occupations)
    .bind(s.handler.as_str())
    .bind(s.handler_org_id)
    .bind(s.fields_json)
    .bind(s.promise_days)
    .bind(s.sms_steps)
    .bind(s.link)
    .bind(s.sensitive as i64)
    .bind(s.active as i64)
    .bind(position)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(Some(id))
}

/// Saves a service's new definition (its code stays). False when it or the module is gone.
pub async fn update_service(conn: &mut Conn, id: i64, s: &ServiceWrite<'_>, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE hall_services SET module_id = (SELECT id FROM hall_modules WHERE code = $1), name = $2, summary = $3,
                audience = $4, occupations = $5, handler = $6, handler_org_id = $7, fields = $8, promise_days = $9,
                sms_steps = $10, link = $11, sensitive = $12, active = $13, updated_at = $14
         WHERE id = $15 AND EXISTS (SELECT 1 FROM hall_modules WHERE code = $1)",
    )
    .bind(s.module_code)
    .bind(s.name)
    .bind(s.summary)
    .bind(s.audience.as_str())
    .bind(s.occupations)
    .bind(s.handler.as_str())
    .bind(s.handler_org_id)
    .bind(s.fields_json)
    .bind(s.promise_days)
    .bind(s.sms_steps)
    .bind(s.link)
    .bind(s.sensitive as i64)
    .bind(s.active as i64)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A member as a request needs them.
#[derive(Clone, Debug)]
pub struct Asker {
    pub member_id: i64,
    pub org_id: i64,
    pub occupation: Option<String>,
    pub name: String,
    pub phone: String,
    pub member_no: String,
}

/// A live member (not left), by id or by member number.
pub async fn asker(pool: &AnyPool, member_id: Option<i64>, member_no: Option<&str>) -> sqlx::Result<Option<Asker>> {
    let by = if member_id.is_some() { "m.id = $1" } else { "m.member_no = $2" };
    let row = sqlx::query(&format!(
        "SELECT m.id, m.org_id, a.occupation, a.name, a.phone, m.member_no FROM members m JOIN applications a ON a.id = m.application_id
         WHERE {by} AND $1 = $1 AND $2 = $2 AND m.left_at IS NULL AND m.status = 'active'"
    ))
    .bind(member_id.unwrap_or(-1))
    .bind(member_no.unwrap_or(""))
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        Ok(Asker {
            member_id: r.try_get("id")?,
            org_id: r.try_get("org_id")?,
            occupation: r.try_get("occupation")?,
            name: r.try_get("name")?,
            phone: r.try_get("phone")?,
            member_no: r.try_get("member_no")?,
        })
    })
    .transpose()
}

/// The nearest ancestor of `org` (itself included) of this kind, else the root.
pub async fn ancestor_of_kind(pool: &AnyPool, org: i64, kind: &str) -> sqlx::Result<i64> {
    let hit: Option<i64> = sqlx::query_scalar(
        "SELECT o.id FROM org_closure c JOIN orgs o ON o.id = c.ancestor_id WHERE c.descendant_id = $1 AND o.kind = $2
         ORDER BY c.distance LIMIT 1",
    )
    .bind(org)
    .bind(kind)
    .fetch_optional(pool)
    .await?;
    match hit {
        Some(id) => Ok(id),
        None => root_of(pool, org).await,
    }
}

pub async fn root_of(pool: &AnyPool, org: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT o.id FROM org_closure c JOIN orgs o ON o.id = c.ancestor_id WHERE c.descendant_id = $1 AND o.parent_id IS NULL",
    )
    .bind(org)
    .fetch_one(pool)
    .await
}

/// The city federation (the root of the tree).
pub async fn city(pool: &AnyPool) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1").fetch_optional(pool).await
}

pub struct NewRequest<'a> {
    pub service_id: i64,
    pub member_id: Option<i64>,
    pub org_id: i64,
    pub name_masked: &'a str,
    pub phone: Option<&'a str>,
    pub filed_by: Option<i64>,
    pub submission_key: &'a str,
    pub due_at: i64,
}

/// Inserts a request (answers sealed afterwards, with the id as associated data). None when
/// this form's key was used already (the same post twice).
pub async fn insert_request(conn: &mut Conn, r: &NewRequest<'_>, now: i64) -> sqlx::Result<Option<i64>> {
    let res = sqlx::query_scalar(
        "INSERT INTO hall_requests (service_id, member_id, org_id, status, answers, name_masked, phone, filed_by, submission_key,
                                    created_at, due_at, updated_at)
         VALUES ($1, $2, $3, 'received', '', $4, $5, $6, $7, $8, $9, $8) RETURNING id",
    )
    .bind(r.service_id)
    .bind(r.member_id)
    .bind(r.org_id)
    .bind(r.name_masked)
    .bind(r.phone)
    .bind(r.filed_by)
    .bind(r.submission_key)
    .bind(now)
    .bind(r.due_at)
    .fetch_one(conn)
    .await;
    match res {
        Ok(id) => Ok(Some(id)),
        Err(e) if crate::server::db::is_unique_violation(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The request a form key made, for the answer to a post sent twice.
pub async fn request_by_key(pool: &AnyPool, key: &str) -> sqlx::Result<Option<(i64, Option<i64>)>> {
    sqlx::query_as("SELECT id, member_id FROM hall_requests WHERE submission_key = $1").bind(key).fetch_optional(pool).await
}

pub async fn set_answers(conn: &mut Conn, id: i64, sealed: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE hall_requests SET answers = $1 WHERE id = $2").bind(sealed).bind(id).execute(conn).await?;
    Ok(())
}

pub async fn insert_step(conn: &mut Conn, request_id: i64, step: Step, note: &str, admin_id: Option<i64>, now: i64) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO hall_steps (request_id, status, note, admin_id, at) VALUES ($1, $2, $3, $4, $5)")
        .bind(request_id)
        .bind(step.as_str())
        .bind(note)
        .bind(admin_id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn insert_file(conn: &mut Conn, request_id: i64, field: &str, sha256: &str, mime: &str, size: i64, now: i64) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO hall_files (request_id, field, sha256, mime, size, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(request_id)
        .bind(field)
        .bind(sha256)
        .bind(mime)
        .bind(size)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Moves a request from `from` to `to` — one conditional write: of two officers pressing at
/// once, one wins. `due_at` is set anew when given (a supplement restarts the clock).
pub async fn advance(conn: &mut Conn, id: i64, from: Step, to: Step, now: i64, due_at: Option<i64>) -> sqlx::Result<bool> {
    let done =
        sqlx::query("UPDATE hall_requests SET status = $1, updated_at = $2, due_at = COALESCE($3, due_at) WHERE id = $4 AND status = $5")
            .bind(to.as_str())
            .bind(now)
            .bind(due_at)
            .bind(id)
            .bind(from.as_str())
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// A request as stored.
#[derive(Clone, Debug)]
pub struct Request {
    pub id: i64,
    pub service_id: i64,
    pub service_name: String,
    pub sensitive: bool,
    pub member_id: Option<i64>,
    pub org_id: i64,
    pub org_name: String,
    pub step: Step,
    pub answers: String,
    pub name_masked: String,
    pub phone: Option<String>,
    pub member_no: Option<String>,
    pub created_at: i64,
    pub due_at: i64,
    pub erased: bool,
}

const REQUEST_COLUMNS: &str = "r.id, r.service_id, s.name AS service_name, s.sensitive, r.member_id, r.org_id, o.name AS org_name,
    r.status, r.answers, r.name_masked, r.phone, m.member_no, r.created_at, r.due_at, r.erased_at";
const REQUEST_FROM: &str = "hall_requests r JOIN hall_services s ON s.id = r.service_id JOIN orgs o ON o.id = r.org_id
    LEFT JOIN members m ON m.id = r.member_id";

fn request_from_row(r: &sqlx::any::AnyRow) -> sqlx::Result<Request> {
    Ok(Request {
        id: r.try_get("id")?,
        service_id: r.try_get("service_id")?,
        service_name: r.try_get("service_name")?,
        sensitive: r.try_get::<i64, _>("sensitive")? != 0,
        member_id: r.try_get("member_id")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        step: Step::parse(&r.try_get::<String, _>("status")?).ok_or_else(|| sqlx::Error::Decode("hall_requests.status".into()))?,
        answers: r.try_get("answers")?,
        name_masked: r.try_get("name_masked")?,
        phone: r.try_get("phone")?,
        member_no: r.try_get("member_no")?,
        created_at: r.try_get("created_at")?,
        due_at: r.try_get("due_at")?,
        erased: r.try_get::<Option<i64>, _>("erased_at")?.is_some(),
    })
}

pub async fn request(pool: &AnyPool, id: i64) -> sqlx::Result<Option<Request>> {
    let row = sqlx::query(&format!("SELECT {REQUEST_COLUMNS} FROM {REQUEST_FROM} WHERE r.id = $1")).bind(id).fetch_optional(pool).await?;
    row.as_ref().map(request_from_row).transpose()
}

/// A member's requests, newest first.
pub async fn requests_of(pool: &AnyPool, member_id: i64) -> sqlx::Result<Vec<Request>> {
    let rows = sqlx::query(&format!("SELECT {REQUEST_COLUMNS} FROM {REQUEST_FROM} WHERE r.member_id = $1 ORDER BY r.id DESC LIMIT 200"))
        .bind(member_id)
        .fetch_all(pool)
        .await?;
    rows.iter().map(request_from_row).collect()
}

/// The requests handled inside `root`'s subtree, by the filters; the open ones first, the
/// nearest deadline first. With the total before the page limit.
pub async fn queue(pool: &AnyPool, root: i64, f: &QueueFilter, now: i64) -> sqlx::Result<(Vec<Request>, i64)> {
    let mut sql = format!("FROM {REQUEST_FROM} JOIN org_closure c ON c.descendant_id = r.org_id AND c.ancestor_id = $1 WHERE 1 = 1");
    let status = Step::parse(&f.status);
    let org: Option<i64> = f.org.trim().parse().ok();
    let service = (!f.service.trim().is_empty()).then(|| f.service.trim().to_string());
    let overdue = f.overdue == "1";
    match status {
        Some(_) => sql.push_str(" AND r.status = $2"),
        None if f.status == "all" => sql.push_str(" AND $2 = $2"),
        None => sql.push_str(" AND r.status IN ('received', 'accepted', 'in_progress', 'more_needed') AND $2 = $2"),
    }
    sql.push_str(" AND ($3 = 0 OR r.org_id = $3) AND ($4 = '' OR s.code = $4)");
    sql.push_str(" AND ($5 = 0 OR (r.due_at < $6 AND r.status IN ('received', 'accepted', 'in_progress')))");
    fn bind<'q>(
        q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
        p: &(i64, &'static str, i64, String, i64, i64),
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        q.bind(p.0).bind(p.1).bind(p.2).bind(p.3.clone()).bind(p.4).bind(p.5)
    }
    let params = (root, status.map(|s| s.as_str()).unwrap_or(""), org.unwrap_or(0), service.unwrap_or_default(), overdue as i64, now);
    let total_sql = format!("SELECT COUNT(*) AS n {sql}");
    let total: i64 = bind(sqlx::query(&total_sql), &params).fetch_one(pool).await?.try_get("n")?;
    let list_sql = format!(
        "SELECT {REQUEST_COLUMNS} {sql} ORDER BY CASE WHEN r.status IN ('received', 'accepted', 'in_progress') THEN 0 ELSE 1 END,
         r.due_at, r.id LIMIT 200"
    );
    let rows = bind(sqlx::query(&list_sql), &params).fetch_all(pool).await?;
    Ok((rows.iter().map(request_from_row).collect::<sqlx::Result<_>>()?, total))
}

/// Steps of a request with the union whose officer took each (None: the member).
pub async fn steps(pool: &AnyPool, request_id: i64) -> sqlx::Result<Vec<(Step, String, i64, Option<String>)>> {
    let rows = sqlx::query(
        "SELECT st.status, st.note, st.at, o.name AS org_name FROM hall_steps st LEFT JOIN admins a ON a.id = st.admin_id
         LEFT JOIN orgs o ON o.id = a.org_id WHERE st.request_id = $1 ORDER BY st.id",
    )
    .bind(request_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            let step = Step::parse(&r.try_get::<String, _>("status")?).ok_or_else(|| sqlx::Error::Decode("hall_steps.status".into()))?;
            Ok((step, r.try_get("note")?, r.try_get("at")?, r.try_get("org_name")?))
        })
        .collect()
}

/// A file of a request: (id, field, sha256, mime, size).
pub type FileRec = (i64, String, String, String, i64);

pub async fn files(pool: &AnyPool, request_id: i64) -> sqlx::Result<Vec<FileRec>> {
    sqlx::query_as("SELECT id, field, sha256, mime, size FROM hall_files WHERE request_id = $1 ORDER BY id")
        .bind(request_id)
        .fetch_all(pool)
        .await
}

/// Is any request (other than those erased) still pointing at this stored file?
pub async fn file_in_use(conn: &mut Conn, sha256: &str) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM hall_files WHERE sha256 = $1").bind(sha256).fetch_one(conn).await?;
    Ok(n > 0)
}

/// Open requests whose deadline is near or past, with the highest step recorded (-1: none).
pub async fn engine_candidates(pool: &AnyPool, until: i64) -> sqlx::Result<Vec<(i64, i64, i64, i64)>> {
    sqlx::query_as(
        "SELECT r.id, r.org_id, r.due_at, COALESCE((SELECT MAX(level) FROM hall_escalations e WHERE e.request_id = r.id), -1)
         FROM hall_requests r WHERE r.status IN ('received', 'accepted', 'in_progress') AND r.due_at <= $1",
    )
    .bind(until)
    .fetch_all(pool)
    .await
}

/// Records one engine step; false when another worker recorded it first.
pub async fn record_escalation(conn: &mut Conn, request_id: i64, level: i64, org_id: i64, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("INSERT INTO hall_escalations (request_id, level, org_id, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
        .bind(request_id)
        .bind(level)
        .bind(org_id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Requests of members who left, not yet erased.
pub async fn left_unerased(pool: &AnyPool) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT r.id FROM hall_requests r JOIN members m ON m.id = r.member_id WHERE m.left_at IS NOT NULL AND r.erased_at IS NULL LIMIT 500",
    )
    .fetch_all(pool)
    .await
}

/// Erases a request's personal content: answers, notes, files' rows, the phone. Returns the
/// hashes of the files it pointed at.
pub async fn erase(conn: &mut Conn, id: i64, now: i64) -> sqlx::Result<Vec<String>> {
    let hashes: Vec<String> =
        sqlx::query_scalar("SELECT sha256 FROM hall_files WHERE request_id = $1").bind(id).fetch_all(&mut *conn).await?;
    sqlx::query("DELETE FROM hall_files WHERE request_id = $1").bind(id).execute(&mut *conn).await?;
    sqlx::query("UPDATE hall_steps SET note = '' WHERE request_id = $1").bind(id).execute(&mut *conn).await?;
    sqlx::query("UPDATE hall_requests SET answers = '', phone = NULL, name_masked = '', erased_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(hashes)
}
