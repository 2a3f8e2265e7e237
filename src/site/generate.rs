//! `ejia seed`: builds a realistic city for measuring — counties, streets and logistics parks,
//! workplaces, a million members and tens of thousands of applications across states and dates —
//! on whichever database `DATABASE_URL` names. Every person is synthetic: valid-looking ID
//! numbers (right check character) and phone numbers that are not real subscribers' (the 12x
//! range is not assigned to mobiles). ID numbers are sealed and blind-indexed like a join's.
//! The running totals are rebuilt at the end, so the command centre is exact at once.
use crate::domain::{IdNumber, Ymd};
use crate::org::repo::{self as org_repo, NewOrg};
use crate::org::OrgKind;
use crate::server::db::{Backend, Db};
use crate::server::state::AppState;
use anyhow::Context;
use std::time::Instant;

#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    pub counties: usize,
    pub streets: usize,
    pub workplaces: usize,
    pub members: usize,
    pub applications: usize,
}

impl Default for Sizes {
    fn default() -> Sizes {
        Sizes { counties: 7, streets: 120, workplaces: 2000, members: 1_000_000, applications: 50_000 }
    }
}

/// What was made.
#[derive(Debug, Default)]
pub struct Made {
    pub unions: usize,
    pub members: usize,
    pub applications: usize,
    pub seconds: f64,
}

const COUNTY_NAMES: [&str; 7] = ["龙子湖区", "蚌山区", "禹会区", "淮上区", "怀远县", "五河县", "固镇县"];
const PLACE: [&str; 24] = [
    "东风",
    "治淮",
    "天桥",
    "黄庄",
    "大庆",
    "涂山",
    "梅桥",
    "曹老集",
    "长淮",
    "燕山",
    "朝阳",
    "解放",
    "淮河",
    "双墩",
    "湖滨",
    "新城",
    "马城",
    "荆山",
    "城关",
    "临北",
    "小溪",
    "沱湖",
    "湖沟",
    "连城",
];
const FIRM: [&str; 20] = [
    "顺达", "安通", "恒运", "鑫源", "远航", "诚信", "华宇", "宏图", "金盛", "通达", "佳运", "广源", "捷安", "汇通", "润丰", "德胜", "长兴",
    "万通", "永顺", "联运",
];
const TRADE: [&str; 5] = ["物流有限公司", "运输有限公司", "货运有限公司", "供应链有限公司", "汽车运输队"];
const SURNAMES: [&str; 20] =
    ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗"];
const GIVEN: [&str; 24] = [
    "伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "鹏", "华", "飞", "鑫", "波", "斌", "宇", "浩", "凯", "健",
    "俊", "峰",
];

/// A small deterministic generator (the same sizes give the same city).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The i-th synthetic person's ID number in `region`.
fn id_number(i: usize, region: &str, today: Ymd) -> IdNumber {
    let birth = Ymd::new(1966, 1, 1).expect("date").add_days((i % 13_000) as i64);
    let body = format!("{region}{:04}{:02}{:02}{:03}", birth.year(), birth.month(), birth.day(), i / 13_000);
    let check = crate::domain::id_number::check_char(body.as_bytes()) as char;
    IdNumber::parse(&format!("{body}{check}"), today).expect("valid by construction")
}

fn name(r: &mut Rng) -> String {
    let mut n = SURNAMES[r.below(SURNAMES.len())].to_string();
    n.push_str(GIVEN[r.below(GIVEN.len())]);
    if r.below(3) > 0 {
        n.push_str(GIVEN[r.below(GIVEN.len())]);
    }
    n
}

struct Workplace {
    id: i64,
    code: String,
    county: usize,
}

struct County {
    id: i64,
    code: String,
    region: String,
}

/// One application row to write (and its member, when approved).
struct Row {
    id: i64,
    key: String,
    name: String,
    id_number: IdNumber,
    phone: String,
    org_id: i64,
    org_code: String,
    in_pool: bool,
    status: &'static str,
    submitted_at: i64,
    due_at: i64,
    decided_at: Option<i64>,
}

const APP_COLUMNS: usize = 23;

async fn write_batch(state: &AppState, rows: &[Row], counters: &mut std::collections::HashMap<String, (i64, i64)>) -> anyhow::Result<()> {
    let mut tx = state.db.begin_write().await?;
    if state.db.backend == Backend::Sqlite {
        // Random keys (blind indexes, open keys) go into big indexes: a larger page cache for
        // this connection keeps their pages in memory.
        sqlx::query("PRAGMA cache_size = -262144").execute(&mut *tx).await?;
    }
    let values: Vec<String> = (0..rows.len())
        .map(|r| format!("({})", (1..=APP_COLUMNS).map(|c| format!("${}", r * APP_COLUMNS + c)).collect::<Vec<_>>().join(", ")))
        .collect();
    let sql = format!(
        "INSERT INTO applications (id, submission_key, name, id_cipher, id_key_id, id_blind, id_masked, birth_date, sex, phone,
            org_id, in_pool, status, open_key, consent_version, consent_at, consent_ip, submitted_at, due_at, decided_at, due_provisional, clock_from,
            id_blind_key)
         VALUES {}",
        values.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for row in rows {
        let (key_id, cipher) = state.keys.seal_id(&row.id_number, &format!("application:{}", row.key));
        let blind = state.keys.blind_index(&row.id_number);
        let open = (row.status != "rejected").then(|| blind.clone());
        q = q
            .bind(row.id)
            .bind(row.key.clone())
            .bind(row.name.clone())
            .bind(cipher)
            .bind(key_id)
            .bind(blind)
            .bind(row.id_number.masked())
            .bind(row.id_number.birth_date().to_string())
            .bind(row.id_number.sex().code())
            .bind(row.phone.clone())
            .bind(row.org_id)
            .bind(row.in_pool as i64)
            .bind(row.status)
            .bind(open)
            .bind(crate::join::types::CONSENT_VERSION)
            .bind(row.submitted_at)
            .bind("seed")
            .bind(row.submitted_at)
            .bind(row.due_at)
            .bind(row.decided_at)
            .bind(0_i64)
            .bind(row.submitted_at)
            .bind(state.keys.active_id());
    }
    q.execute(&mut *tx).await?;
    let members: Vec<&Row> = rows.iter().filter(|r| r.status == "approved").collect();
    if !members.is_empty() {
        let values: Vec<String> = (0..members.len())
            .map(|r| format!("(${}, ${}, ${}, ${}, ${})", r * 5 + 1, r * 5 + 2, r * 5 + 3, r * 5 + 4, r * 5 + 5))
            .collect();
        let sql = format!("INSERT INTO members (application_id, org_id, member_no, in_pool, joined_at) VALUES {}", values.join(", "));
        let mut q = sqlx::query(&sql);
        for m in members {
            let c = counters.entry(m.org_code.clone()).or_insert((m.org_id, 0));
            c.1 += 1;
            q = q
                .bind(m.id)
                .bind(m.org_id)
                .bind(format!("{}-{:06}", m.org_code, c.1))
                .bind(m.in_pool as i64)
                .bind(m.decided_at.unwrap_or(m.submitted_at));
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Builds the city into the database of `state` (whose tree may hold the demo unions: the
/// generated ones are added under its root). Refuses a database that already holds members.
pub async fn generate(state: &AppState, sizes: Sizes) -> anyhow::Result<Made> {
    let started = Instant::now();
    let db: &Db = &state.db;
    let now = state.now();
    let today = state.today();
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members").fetch_one(&db.pool).await?;
    anyhow::ensure!(existing == 0, "this database already holds {existing} members: seed a fresh one");
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);

    // The tree: the root, counties, streets and parks, workplaces.
    let mut tx = db.begin_write().await?;
    let root: Option<i64> =
        sqlx::query_scalar("SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1").fetch_optional(&mut *tx).await?;
    let root = match root {
        Some(id) => id,
        None => {
            org_repo::insert(
                &mut tx,
                NewOrg {
                    code: "340300",
                    name: "蚌埠市总工会",
                    kind: OrgKind::City,
                    region_code: "340300",
                    parent_id: None,
                    has_pool: true,
                },
                now,
            )
            .await?
        }
    };
    let mut unions = 0;
    let mut counties = Vec::new();
    for c in 0..sizes.counties {
        let base = COUNTY_NAMES[c % COUNTY_NAMES.len()];
        let round = c / COUNTY_NAMES.len();
        let name = if round == 0 { format!("{base}总工会（测）") } else { format!("{base}{}片区总工会（测）", round + 1) };
        let code = format!("G{c:02}");
        let region = format!("3403{:02}", 2 + c % 90);
        let id = org_repo::insert(
            &mut tx,
            NewOrg { code: &code, name: &name, kind: OrgKind::County, region_code: &region, parent_id: Some(root), has_pool: true },
            now,
        )
        .await?;
        counties.push(County { id, code, region });
        unions += 1;
    }
    let mut streets: Vec<(i64, String, usize, String)> = Vec::new();
    for s in 0..sizes.streets {
        let county = s % counties.len().max(1);
        let c = &counties[county];
        let place = PLACE[r.below(PLACE.len())];
        let (name, kind) = if s % 6 == 5 {
            (format!("{place}物流园区工会联合会（{s}）"), OrgKind::Industry)
        } else {
            (format!("{place}街道总工会（{s}）"), OrgKind::Street)
        };
        let code = format!("{}-S{s:03}", c.code);
        let id = org_repo::insert(
            &mut tx,
            NewOrg { code: &code, name: &name, kind, region_code: &c.region, parent_id: Some(c.id), has_pool: false },
            now,
        )
        .await?;
        streets.push((id, code, county, c.region.clone()));
        unions += 1;
    }
    let mut workplaces = Vec::new();
    for w in 0..sizes.workplaces {
        let (street_id, street_code, county, region) = &streets[w % streets.len().max(1)];
        let name = format!("蚌埠{}{}工会（{w}）", FIRM[r.below(FIRM.len())], TRADE[r.below(TRADE.len())]);
        let code = format!("{street_code}-W{w:04}");
        let kind = if w % 40 == 39 { OrgKind::Platform } else { OrgKind::Enterprise };
        let id = org_repo::insert(
            &mut tx,
            NewOrg { code: &code, name: &name, kind, region_code: region, parent_id: Some(*street_id), has_pool: false },
            now,
        )
        .await?;
        workplaces.push(Workplace { id, code, county: *county });
        unions += 1;
    }
    tx.commit().await?;
    anyhow::ensure!(!workplaces.is_empty() && !counties.is_empty(), "a city needs at least one county, street and workplace");

    // People. Ids are given explicitly (and the sequences moved on afterwards on PostgreSQL).
    let first_app: i64 =
        sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(id) FROM applications").fetch_one(&db.pool).await?.unwrap_or(0) + 1;
    let cal = state.calendar.get();
    // Of the recent applications, this share was approved (and so is among the members).
    let recent_approved = sizes.applications * 70 / 100;
    let old_members = sizes.members.saturating_sub(recent_approved);
    let batch = if db.backend == Backend::Sqlite { 1000 } else { 2500 };
    let mut counters = std::collections::HashMap::new();
    let mut rows = Vec::with_capacity(batch);
    let mut made = Made { unions, ..Made::default() };
    for i in 0..old_members + sizes.applications {
        let recent = i >= old_members;
        // Bigger workplaces get more members (a skewed pick); one in a hundred waits in a pool.
        let w = &workplaces[((r.unit().powf(1.6)) * workplaces.len() as f64) as usize % workplaces.len()];
        let pooled = r.below(100) == 0;
        let (org_id, org_code, region) = if pooled {
            let c = &counties[w.county];
            (c.id, c.code.clone(), c.region.clone())
        } else {
            (w.id, w.code.clone(), counties[w.county].region.clone())
        };
        let (status, submitted_at, decided_at) = if !recent {
            // Joined over the last three years.
            let at = now - 86_400 * 3 - r.below(3 * 365 * 86_400) as i64;
            ("approved", at, Some(at + 3600 + r.below(20 * 3600) as i64))
        } else {
            let j = i - old_members;
            let at = now - r.below(60 * 86_400) as i64;
            let due = cal.deadline(at).due_at;
            if j < recent_approved {
                let decided = (at + 600 + r.below(30 * 3600) as i64).min(now);
                ("approved", at, Some(decided))
            } else if now < due || r.below(3) == 0 {
                // Waiting: within the working day, or past it (overdue).
                ("pending", at, None)
            } else {
                let decided = (at + 600 + r.below(30 * 3600) as i64).min(now);
                (if r.below(3) == 0 { "returned" } else { "rejected" }, at, Some(decided))
            }
        };
        rows.push(Row {
            id: first_app + i as i64,
            key: format!("seed-{}", first_app + i as i64),
            name: name(&mut r),
            id_number: id_number(i, &region, today),
            phone: format!("12{:09}", i),
            org_id,
            org_code,
            in_pool: pooled,
            status,
            submitted_at,
            due_at: cal.deadline(submitted_at).due_at,
            decided_at,
        });
        made.applications += 1;
        made.members += (status == "approved") as usize;
        if rows.len() == batch {
            write_batch(state, &rows, &mut counters).await.context("writing a batch")?;
            rows.clear();
            if made.applications % 100_000 < batch {
                tracing::info!(written = made.applications, "seeding");
            }
        }
    }
    if !rows.is_empty() {
        write_batch(state, &rows, &mut counters).await?;
    }

    let mut tx = db.begin_write().await?;
    for (org_id, n) in counters.values() {
        sqlx::query(
            "INSERT INTO member_counters (org_id, last_no) VALUES ($1, $2)
             ON CONFLICT (org_id) DO UPDATE SET last_no = CASE WHEN member_counters.last_no > $2 THEN member_counters.last_no ELSE $2 END",
        )
        .bind(*org_id)
        .bind(*n)
        .execute(&mut *tx)
        .await?;
    }
    if db.backend == Backend::Postgres {
        for table in ["applications", "members"] {
            sqlx::query(&format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"))
                .execute(&mut *tx)
                .await?;
        }
    }
    crate::org::tally::rebuild(&mut tx).await?;
    tx.commit().await?;
    // Fresh planner statistics for the new sizes.
    sqlx::query("ANALYZE").execute(&db.pool).await?;
    made.seconds = started.elapsed().as_secs_f64();
    Ok(made)
}
