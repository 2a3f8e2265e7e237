//! The turnover pools: which pools an admin sees, where their members can be placed, and who waits.
use super::LIST_LIMIT;
use crate::domain::{PersonName, Phone};
use crate::org::OrgChoice;
use crate::transfer::PooledMember;
use sqlx::AnyPool;

/// The turnover pools inside `root`'s subtree (deepest first: the counties, then the city).
pub async fn pools_in(pool: &AnyPool, root: i64) -> sqlx::Result<Vec<(i64, String)>> {
    sqlx::query_as(
        "SELECT o.id, o.name FROM org_closure c JOIN orgs o ON o.id = c.descendant_id
         WHERE c.ancestor_id = $1 AND o.has_pool = 1 ORDER BY o.depth DESC, o.region_code, o.id",
    )
    .bind(root)
    .fetch_all(pool)
    .await
}

/// Grassroots unions inside a pool's subtree: where its members can be placed.
pub async fn placements(pool: &AnyPool, pool_org: i64) -> sqlx::Result<Vec<OrgChoice>> {
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT o.id, o.name, c.distance FROM org_closure c JOIN orgs o ON o.id = c.descendant_id
         WHERE c.ancestor_id = $1 AND o.kind NOT IN ('city', 'county') ORDER BY o.depth, o.code",
    )
    .bind(pool_org)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(id, name, depth)| OrgChoice { id, name, depth }).collect())
}

/// Pooled members of `root`'s subtree, longest waiting first; and how many there are.
pub async fn pooled(pool: &AnyPool, root: i64, now: i64) -> sqlx::Result<(Vec<PooledMember>, i64)> {
    let rows: Vec<(i64, String, String, String, i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT m.id, a.name, a.phone, m.member_no, m.org_id, COALESCE(m.pooled_since, m.joined_at) AS since,
                (SELECT COUNT(*) FROM transfers t WHERE t.member_id = m.id AND t.status = 'pending') AS pending
         FROM members m JOIN org_closure c ON c.descendant_id = m.org_id AND c.ancestor_id = $1
         JOIN applications a ON a.id = m.application_id
         WHERE m.in_pool = 1 AND m.status = 'active' AND m.left_at IS NULL ORDER BY since, m.id LIMIT {LIST_LIMIT}"
    ))
    .bind(root)
    .fetch_all(pool)
    .await?;
    let total: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM members m JOIN org_closure c ON c.descendant_id = m.org_id AND c.ancestor_id = $1
         WHERE m.in_pool = 1 AND m.status = 'active' AND m.left_at IS NULL",
    )
    .bind(root)
    .fetch_one(pool)
    .await?;
    let members = rows
        .into_iter()
        .map(|(member_id, name, phone, member_no, pool_id, since, pending)| PooledMember {
            member_id,
            name_masked: PersonName::mask_stored(&name),
            phone_masked: Phone::mask_stored(&phone),
            member_no,
            pool_id,
            days_in_pool: (now - since).max(0) / 86_400,
            pending: pending > 0,
        })
        .collect();
    Ok((members, total))
}
