//! The SQL of the organisation tree.
use super::{OrgKind, OrgOption};
use crate::server::db::Conn;
use sqlx::{AnyPool, Row};

#[derive(Clone, Debug)]
pub struct Org {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: OrgKind,
    pub parent_id: Option<i64>,
    pub has_pool: bool,
}

pub struct NewOrg<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub kind: OrgKind,
    pub region_code: &'a str,
    pub parent_id: Option<i64>,
    pub has_pool: bool,
}

/// Inserts a union under its parent and records it in the closure table.
pub async fn insert(conn: &mut Conn, org: NewOrg<'_>, now: i64) -> sqlx::Result<i64> {
    let depth: i64 = match org.parent_id {
        Some(p) => sqlx::query_scalar::<_, i64>("SELECT depth FROM orgs WHERE id = $1").bind(p).fetch_one(&mut *conn).await? + 1,
        None => 0,
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO orgs (code, name, kind, region_code, parent_id, depth, has_pool, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(org.code)
    .bind(org.name)
    .bind(org.kind.as_str())
    .bind(org.region_code)
    .bind(org.parent_id)
    .bind(depth)
    .bind(org.has_pool as i64)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("INSERT INTO org_closure (ancestor_id, descendant_id, distance) VALUES ($1, $1, 0)").bind(id).execute(&mut *conn).await?;
    if let Some(parent) = org.parent_id {
        sqlx::query(
            "INSERT INTO org_closure (ancestor_id, descendant_id, distance)
             SELECT ancestor_id, $1, distance + 1 FROM org_closure WHERE descendant_id = $2",
        )
        .bind(id)
        .bind(parent)
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

/// Is `node` inside the subtree of `root` (the root itself included)? One primary-key lookup.
pub async fn is_within(pool: &AnyPool, node: i64, root: i64) -> sqlx::Result<bool> {
    let hit: Option<i64> = sqlx::query_scalar("SELECT distance FROM org_closure WHERE ancestor_id = $1 AND descendant_id = $2")
        .bind(root)
        .bind(node)
        .fetch_optional(pool)
        .await?;
    Ok(hit.is_some())
}

fn org_from_row(r: &sqlx::any::AnyRow) -> sqlx::Result<Org> {
    let kind: String = r.try_get("kind")?;
    Ok(Org {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        kind: OrgKind::parse(&kind).unwrap_or(OrgKind::Enterprise),
        parent_id: r.try_get("parent_id")?,
        has_pool: r.try_get::<i64, _>("has_pool")? != 0,
    })
}

const ORG_COLUMNS: &str = "id, code, name, kind, parent_id, has_pool";

pub async fn get(pool: &AnyPool, id: i64) -> sqlx::Result<Option<Org>> {
    let row = sqlx::query(&format!("SELECT {ORG_COLUMNS} FROM orgs WHERE id = $1")).bind(id).fetch_optional(pool).await?;
    row.as_ref().map(org_from_row).transpose()
}

pub async fn by_code(pool: &AnyPool, code: &str) -> sqlx::Result<Option<Org>> {
    let row = sqlx::query(&format!("SELECT {ORG_COLUMNS} FROM orgs WHERE code = $1")).bind(code).fetch_optional(pool).await?;
    row.as_ref().map(org_from_row).transpose()
}

fn option_from_row(r: &sqlx::any::AnyRow) -> sqlx::Result<OrgOption> {
    Ok(OrgOption { id: r.try_get("id")?, name: r.try_get("name")?, parent: r.try_get("parent_name")? })
}

/// Workplaces whose name contains `query`: every union but the federations.
pub async fn search_workplaces(pool: &AnyPool, query: &str, limit: i64) -> sqlx::Result<Vec<OrgOption>> {
    let query = query.trim();
    if query.is_empty() {
        return Ok(Vec::new());
    }
    let pattern = format!("%{}%", query.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    let rows = sqlx::query(
        "SELECT o.id, o.name, p.name AS parent_name FROM orgs o LEFT JOIN orgs p ON p.id = o.parent_id
         WHERE o.name LIKE $1 ESCAPE '\\' AND o.kind NOT IN ('city', 'county')
         ORDER BY o.depth, o.name LIMIT $2",
    )
    .bind(pattern)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(option_from_row).collect()
}

/// The county federations running a turnover pool, in region order, then the city's pool.
pub async fn pools(pool: &AnyPool) -> sqlx::Result<Vec<(OrgOption, OrgKind)>> {
    let rows = sqlx::query(
        "SELECT o.id, o.name, o.kind, p.name AS parent_name FROM orgs o LEFT JOIN orgs p ON p.id = o.parent_id
         WHERE o.has_pool = 1 ORDER BY o.depth DESC, o.region_code",
    )
    .fetch_all(pool)
    .await?;
    rows.iter().map(|r| Ok((option_from_row(r)?, OrgKind::parse(&r.try_get::<String, _>("kind")?).unwrap_or(OrgKind::County)))).collect()
}

/// Unions of `root`'s subtree (itself first), for filters and forms.
pub async fn subtree(pool: &AnyPool, root: i64) -> sqlx::Result<Vec<super::OrgChoice>> {
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT o.id, o.name, c.distance FROM org_closure c JOIN orgs o ON o.id = c.descendant_id
         WHERE c.ancestor_id = $1 ORDER BY o.depth, o.code",
    )
    .bind(root)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(id, name, depth)| super::OrgChoice { id, name, depth }).collect())
}

/// How many levels `descendant` lies below `ancestor` (0: the same union); `None` when it is
/// not inside that subtree.
pub async fn distance(pool: &AnyPool, ancestor: i64, descendant: i64) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT distance FROM org_closure WHERE ancestor_id = $1 AND descendant_id = $2")
        .bind(ancestor)
        .bind(descendant)
        .fetch_optional(pool)
        .await
}
