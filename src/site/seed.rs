//! The Bengbu demo tree from the domain notes, with two join channels, seeded on the first
//! start of a development install (names to be checked before production use).
use crate::org::repo::{self, NewOrg};
use crate::org::OrgKind::{self, *};
use crate::server::db::Db;

/// (code, name, kind, region, parent code, runs a turnover pool)
type SeedOrg = (&'static str, &'static str, OrgKind, &'static str, Option<&'static str>, bool);

const TREE: &[SeedOrg] = &[
    ("340300", "蚌埠市总工会", City, "340300", None, true),
    ("340302", "龙子湖区总工会", County, "340302", Some("340300"), true),
    ("340303", "蚌山区总工会", County, "340303", Some("340300"), true),
    ("340304", "禹会区总工会", County, "340304", Some("340300"), true),
    ("340311", "淮上区总工会", County, "340311", Some("340300"), true),
    ("340321", "怀远县总工会", County, "340321", Some("340300"), true),
    ("340322", "五河县总工会", County, "340322", Some("340300"), true),
    ("340323", "固镇县总工会", County, "340323", Some("340300"), true),
    ("340300-HY01", "蚌埠市道路货物运输行业工会联合会", Industry, "340300", Some("340300"), false),
    ("340302-DF", "龙子湖区东风街道总工会", Street, "340302", Some("340302"), false),
    ("340302-ZH", "龙子湖区治淮街道总工会", Street, "340302", Some("340302"), false),
    ("340303-TQ", "蚌山区天桥街道总工会", Street, "340303", Some("340303"), false),
    ("340303-HZ", "蚌山区黄庄街道总工会", Street, "340303", Some("340303"), false),
    ("340304-DQ", "禹会区大庆街道总工会", Street, "340304", Some("340304"), false),
    ("340304-TS", "禹会区涂山街道总工会", Street, "340304", Some("340304"), false),
    ("340311-XBB", "淮上区小蚌埠镇总工会", Street, "340311", Some("340311"), false),
    ("340311-MQ", "淮上区梅桥镇总工会", Street, "340311", Some("340311"), false),
    ("340302-DF-SQ1", "东风街道新城社区工会", Community, "340302", Some("340302-DF"), false),
    ("340300-HY01-LY", "蚌埠市力源港务集团公司工会", Enterprise, "340300", Some("340300-HY01"), false),
    ("340300-HY01-WY", "徽商五源物流港工会", Enterprise, "340311", Some("340300-HY01"), false),
    ("340300-HY01-PT", "蚌埠市网络货运平台企业联合工会", Platform, "340300", Some("340300-HY01"), false),
    ("340300-HY01-LY-G1", "力源港务货运车队一组", Group, "340300", Some("340300-HY01-LY"), false),
];

/// (channel code, union code, name)
const CHANNELS: &[(&str, &str, &str)] = &[
    ("LY2608", "340300-HY01-LY", "力源港务 货车司机 集中入会 2026-08"),
    ("WY2608", "340300-HY01-WY", "徽商五源物流港 货车司机 入会 2026-08"),
];

/// (union code, kind, title, place, capacity, audience)
const EVENTS: &[(&str, crate::event::EventKind, &str, &str, i64, crate::event::Audience)] = &[
    ("340302", crate::event::EventKind::Training, "货车司机冬季安全驾驶培训", "龙子湖区职工服务中心", 30, crate::event::Audience::Subtree),
    (
        "340300",
        crate::event::EventKind::Checkup,
        "新就业形态劳动者免费健康体检",
        "蚌埠市第一人民医院体检中心",
        100,
        crate::event::Audience::All,
    ),
];

// library
/// Demo libraries of the alliance: (union code, name, address).
const LIBRARIES: &[(&str, &str, &str)] = &[
    ("340302", "龙子湖区职工书屋", "龙子湖区东风街道"),
    ("340303", "蚌山区职工书屋", "蚌山区天桥街道"),
    ("340300-HY01", "司机之家职工书屋", "蚌埠市道路货物运输行业工会联合会"),
];

/// Demo books of the shared catalogue: (ISBN, title, author, copies as (library index, barcode)).
type SeedBook = (&'static str, &'static str, &'static str, &'static [(usize, &'static str)]);

const BOOKS: &[SeedBook] = &[
    ("9787530212004", "平凡的世界", "路遥", &[(0, "LZH-0001"), (1, "BS-0001"), (2, "SJZJ-0001")]),
    ("9787506365437", "活着", "余华", &[(0, "LZH-0002"), (2, "SJZJ-0002")]),
    ("9787020002207", "红楼梦", "曹雪芹", &[(1, "BS-0002")]),
    ("9787111345671", "货车驾驶员安全行车手册", "蚌埠市道路运输协会", &[(2, "SJZJ-0003"), (2, "SJZJ-0004")]),
    ("9787544600019", "劳动法律知识问答", "安徽省总工会法律部", &[(0, "LZH-0003"), (1, "BS-0003")]),
];

/// Seeds the demo data when the tree is empty; returns whether it did.
pub async fn seed_demo_if_empty(db: &Db, now: i64) -> anyhow::Result<bool> {
    let mut tx = db.begin_write().await?;
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orgs").fetch_one(&mut *tx).await?;
    if count > 0 {
        return Ok(false);
    }
    let mut ids = std::collections::HashMap::new();
    for (code, name, kind, region, parent, pool) in TREE {
        let parent_id = parent.map(|p| ids[p]);
        let id = repo::insert(&mut tx, NewOrg { code, name, kind: *kind, region_code: region, parent_id, has_pool: *pool }, now).await?;
        ids.insert(*code, id);
    }
    for (code, org, name) in CHANNELS {
        let code = crate::channel::ChannelCode::parse(code).expect("the demo channel codes are valid");
        crate::channel::repo::insert(&mut tx, &code, ids[org], name, crate::channel::Occupation::TruckDriver, now).await?;
    }
    // Two events to sign up for, two weeks ahead (sign-up closes the evening before).
    for (org, kind, title, place, capacity, audience) in EVENTS {
        let starts_at = now + 14 * 86_400;
        let e = crate::event::repo::NewEvent {
            org_id: ids[org],
            kind: *kind,
            title,
            description: "",
            place,
            starts_at,
            ends_at: starts_at + 3 * 3600,
            signup_until: starts_at - 15 * 3600,
            capacity: *capacity,
            audience: *audience,
            created_by: None,
        };
        crate::event::repo::insert_event(&mut tx, &e, now).await?;
    }
    // library
    let mut libraries = Vec::new();
    for (org, name, address) in LIBRARIES {
        let id = crate::library::repo::insert_library(&mut tx, ids[org], name, address, crate::library::DEFAULT_LOAN_DAYS, now).await?;
        libraries.push(id.ok_or_else(|| anyhow::anyhow!("demo library {name} exists"))?);
    }
    for (isbn, title, author, copies) in BOOKS {
        let title_id = crate::library::repo::insert_title(&mut tx, isbn, title, author, now).await?;
        let title_id = title_id.ok_or_else(|| anyhow::anyhow!("demo title {isbn} exists"))?;
        for (library, barcode) in *copies {
            crate::library::repo::insert_copy(&mut tx, title_id, barcode, libraries[*library], now).await?;
        }
    }
    tx.commit().await?;
    tracing::info!(unions = TREE.len(), channels = CHANNELS.len(), libraries = LIBRARIES.len(), "seeded the Bengbu demo tree");
    Ok(true)
}
