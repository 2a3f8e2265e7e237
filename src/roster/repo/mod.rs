//! The SQL of rosters: the members list and the rows an export streams (keyset pages by id,
//! scoped by the admin's union through the closure table); export jobs with their lease in
//! `jobs`, import batches and the rows they make in `imports`. Anything outside the subtree does not exist here.
pub mod imports;
pub mod jobs;

use super::{ExportKind, MemberItem, PAGE_SIZE};
use crate::calendar::format_local;
use crate::domain::{PersonName, Phone};
use serde::{Deserialize, Serialize};
use sqlx::{AnyPool, Row};

/// A whole-value search, resolved: what is stored with a job (never an ID number in clear).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Found {
    #[default]
    Any,
    Phone(String),
    /// The blind index under each key of the ring (a job stored before rotation came in
    /// holds one, as a string).
    IdBlind(#[serde(deserialize_with = "one_or_more")] Vec<String>),
    Name(String),
    Nothing,
}

fn one_or_more<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMore {
        One(String),
        More(Vec<String>),
    }
    Ok(match OneOrMore::deserialize(d)? {
        OneOrMore::One(s) => vec![s],
        OneOrMore::More(v) => v,
    })
}

impl From<crate::review::repo::Search> for Found {
    fn from(s: crate::review::repo::Search) -> Found {
        use crate::review::repo::Search;
        match s {
            Search::Any => Found::Any,
            Search::Phone(p) => Found::Phone(p),
            Search::IdBlind(b) => Found::IdBlind(b),
            Search::Name(n) => Found::Name(n),
            Search::Nothing => Found::Nothing,
        }
    }
}

/// A screen's filter, parsed: what a list page or an export selects inside the subtree.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// A union inside the subtree (checked before), with its own subtree.
    pub org: Option<i64>,
    /// Members: in a pool or not.
    pub pool: Option<bool>,
    /// Unix bounds on the joined (members) or submitted (applications) time: from ≤ t < to.
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// Applications: one status (None: all).
    pub status: Option<String>,
    pub channel: Option<i64>,
    /// Applications: pending and due before this time.
    pub overdue_before: Option<i64>,
    pub search: Found,
}

enum Arg {
    I(i64),
    S(String),
}

/// The WHERE clauses of `scope` for rows aliased `a` (application) and `t` (the listed table,
/// members `m` or applications `a`), with their arguments after `$1` (the root).
fn clauses(kind: ExportKind, scope: &Scope, args: &mut Vec<Arg>) -> String {
    let mut out = Vec::new();
    let push = |args: &mut Vec<Arg>, a: Arg| {
        args.push(a);
        args.len()
    };
    let t = match kind {
        ExportKind::Members => "m",
        ExportKind::Applications => "a",
    };
    if let Some(org) = scope.org {
        let n = push(args, Arg::I(org));
        out.push(format!("{t}.org_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = ${n})"));
    }
    if let Some(pool) = scope.pool {
        out.push(format!("{t}.in_pool = {}", pool as i64));
    }
    let at = match kind {
        ExportKind::Members => "m.joined_at",
        ExportKind::Applications => "a.submitted_at",
    };
    if let Some(from) = scope.from {
        let n = push(args, Arg::I(from));
        out.push(format!("{at} >= ${n}"));
    }
    if let Some(to) = scope.to {
        let n = push(args, Arg::I(to));
        out.push(format!("{at} < ${n}"));
    }
    if let Some(status) = &scope.status {
        let n = push(args, Arg::S(status.clone()));
        out.push(format!("a.status = ${n}"));
    }
    if let Some(ch) = scope.channel {
        let n = push(args, Arg::I(ch));
        out.push(format!("a.channel_id = ${n}"));
    }
    if let Some(now) = scope.overdue_before {
        let n = push(args, Arg::I(now));
        out.push(format!("a.status = 'pending' AND a.due_at < ${n}"));
    }
    let exact = match &scope.search {
        Found::Any => None,
        Found::Phone(p) => Some(("a.phone", std::slice::from_ref(p))),
        Found::IdBlind(b) => Some(("a.id_blind", b.as_slice())),
        Found::Name(n) => Some(("a.name", std::slice::from_ref(n))),
        Found::Nothing => {
            out.push("1 = 0".into());
            None
        }
    };
    if let Some((column, values)) = exact {
        let marks: Vec<String> = values.iter().map(|v| format!("${}", push(args, Arg::S(v.clone())))).collect();
        out.push(if marks.is_empty() { "1 = 0".into() } else { format!("{column} IN ({})", marks.join(", ")) });
    }
    out.into_iter().map(|c| format!(" AND {c}")).collect()
}

/// The FROM part: the listed rows of `root`'s subtree. The subtree is a subquery, so a keyset
/// page walks the primary key instead of sorting the whole subtree.
fn from_part(kind: ExportKind) -> &'static str {
    match kind {
        ExportKind::Members => {
            "FROM members m JOIN applications a ON a.id = m.application_id JOIN orgs o ON o.id = m.org_id
             WHERE m.left_at IS NULL AND m.org_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $1)"
        }
        ExportKind::Applications => {
            "FROM applications a JOIN orgs o ON o.id = a.org_id LEFT JOIN channels ch ON ch.id = a.channel_id
             WHERE a.org_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $1)"
        }
    }
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    args: &[Arg],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for a in args {
        q = match a {
            Arg::I(i) => q.bind(*i),
            Arg::S(s) => q.bind(s.clone()),
        };
    }
    q
}

/// How many rows `scope` selects in `root`'s subtree.
pub async fn count(pool: &AnyPool, kind: ExportKind, root: i64, scope: &Scope) -> sqlx::Result<i64> {
    let mut args = vec![Arg::I(root)];
    let filter = clauses(kind, scope, &mut args);
    let sql = format!("SELECT COUNT(*) {}{filter}", from_part(kind));
    let row = bind_all(sqlx::query(&sql), &args).fetch_one(pool).await?;
    row.try_get(0)
}

/// A page of the members list (newest first), masked.
pub async fn members_page(pool: &AnyPool, root: i64, scope: &Scope, page: i64) -> sqlx::Result<Vec<MemberItem>> {
    let mut args = vec![Arg::I(root)];
    let filter = clauses(ExportKind::Members, scope, &mut args);
    let sql = format!(
        "SELECT m.id, m.member_no, a.name, a.id_masked, a.phone, o.name AS org_name, m.in_pool, m.joined_at
         {}{filter} ORDER BY m.id DESC LIMIT {PAGE_SIZE} OFFSET {}",
        from_part(ExportKind::Members),
        page.clamp(0, 100_000) * PAGE_SIZE
    );
    let rows = bind_all(sqlx::query(&sql), &args).fetch_all(pool).await?;
    rows.iter()
        .map(|r| {
            Ok(MemberItem {
                id: r.try_get("id")?,
                member_no: r.try_get("member_no")?,
                name_masked: PersonName::mask_stored(&r.try_get::<String, _>("name")?),
                id_masked: r.try_get("id_masked")?,
                phone_masked: Phone::mask_stored(&r.try_get::<String, _>("phone")?),
                org_name: r.try_get("org_name")?,
                in_pool: r.try_get::<i64, _>("in_pool")? != 0,
                joined_on: format_local(r.try_get("joined_at")?).chars().take(10).collect(),
            })
        })
        .collect()
}

/// One row of an export, as stored (the writer masks or opens it).
#[derive(Clone, Debug)]
pub struct ExportRow {
    pub id: i64,
    pub member_no: Option<String>,
    pub name: String,
    pub id_masked: String,
    pub phone: String,
    pub org_name: String,
    pub in_pool: bool,
    pub channel: Option<String>,
    pub status: Option<String>,
    pub at: i64,
    /// With full numbers: the sealed ID (key id, cipher, the submission key it is bound to).
    pub sealed: Option<(i64, Vec<u8>, String)>,
}

/// Up to `limit` rows after id `after`, in id order (a keyset page: never the whole set).
pub async fn export_page(
    pool: &AnyPool,
    kind: ExportKind,
    root: i64,
    scope: &Scope,
    reveal: bool,
    after: i64,
    limit: i64,
) -> sqlx::Result<Vec<ExportRow>> {
    let mut args = vec![Arg::I(root)];
    let filter = clauses(kind, scope, &mut args);
    args.push(Arg::I(after));
    let after_n = args.len();
    let sealed = if reveal { ", a.id_key_id, a.id_cipher, a.submission_key" } else { "" };
    let sql = match kind {
        ExportKind::Members => format!(
            "SELECT m.id, m.member_no, a.name, a.id_masked, a.phone, o.name AS org_name, m.in_pool, m.joined_at AS at{sealed}
             {}{filter} AND m.id > ${after_n} ORDER BY m.id LIMIT {limit}",
            from_part(kind)
        ),
        ExportKind::Applications => format!(
            "SELECT a.id, a.name, a.id_masked, a.phone, o.name AS org_name, a.in_pool, ch.name AS channel_name, a.status,
                    a.submitted_at AS at{sealed}
             {}{filter} AND a.id > ${after_n} ORDER BY a.id LIMIT {limit}",
            from_part(kind)
        ),
    };
    let rows = bind_all(sqlx::query(&sql), &args).fetch_all(pool).await?;
    rows.iter()
        .map(|r| {
            let members = kind == ExportKind::Members;
            Ok(ExportRow {
                id: r.try_get("id")?,
                member_no: if members { Some(r.try_get("member_no")?) } else { None },
                name: r.try_get("name")?,
                id_masked: r.try_get("id_masked")?,
                phone: r.try_get("phone")?,
                org_name: r.try_get("org_name")?,
                in_pool: r.try_get::<i64, _>("in_pool")? != 0,
                channel: if members { None } else { r.try_get("channel_name")? },
                status: if members { None } else { Some(r.try_get("status")?) },
                at: r.try_get("at")?,
                sealed: if reveal { Some((r.try_get("id_key_id")?, r.try_get("id_cipher")?, r.try_get("submission_key")?)) } else { None },
            })
        })
        .collect()
}
