//! Hostile tests of review and admin management, on SQLite and PostgreSQL: what a viewer can
//! rebuild of an ID number, what search leaks, racing decisions, sign-in bursts, admin
//! management rules and tampering with the audit trail.
mod common;

use common::*;
use ejia::server::db::Backend;
use ejia::server::sms::Template;

const IDS: [&str; 4] = [GOOD_ID, GOOD_ID_2, "340321198506154561", "340303197703037893"];

async fn admin_id(app: &TestApp, username: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM admins WHERE username = $1").bind(username).fetch_one(&app.state.db.pool).await.unwrap()
}

/// The visible characters of the first 18-character masked ID on a page that starts with `prefix`.
fn mask_on_page(page: &str, prefix: &str) -> String {
    let at = page.find(prefix).unwrap_or_else(|| panic!("a masked ID starting {prefix} on the page"));
    page[at..].chars().take(18).collect()
}

// Hole 1: no birth date, no exact age, a mask of four visible characters — detail, queue, status.
on_both_databases!(no_page_lets_a_viewer_rebuild_the_id_number, |app: TestApp| async move {
    let union = app.union_id("340302-DF").await.to_string();
    let res = app.apply(IDS[0], "13800000001", &union).await;
    assert_eq!(res.status(), 303);
    let status_path = res.headers()["location"].to_str().unwrap().to_string();
    let a: i64 = sqlx::query_scalar("SELECT id FROM applications").fetch_one(&app.state.db.pool).await.unwrap();
    app.admin("340302", "reviewer", "lzh_rev").await;
    app.admin("340300", "leader", "city_leader").await;
    for who in ["lzh_rev", "city_leader"] {
        let cookie = app.login(who).await;
        let detail = app.get_as(&cookie, &format!("/admin/a/{a}")).await.text().await.unwrap();
        let queue = app.get_as(&cookie, "/admin").await.text().await.unwrap();
        for (name, page) in [("detail", &detail), ("queue", &queue)] {
            assert_eq!(mask_on_page(page, "11*"), "11**************2X", "{who} {name}: two first and two last characters");
            assert!(!page.contains("1101*") && !page.contains("002X"), "{who} {name}: no longer mask");
            assert!(!page.contains("1949") && !page.contains("12-31") && !page.contains("1231"), "{who} {name}: no birth date");
        }
        assert!(!detail.contains("年龄：76") && !detail.contains("76岁"), "{who}: no exact age");
        assert!(detail.contains("年满16周岁 ✓") && detail.contains("70–79岁"), "{who}: the age rule and a ten-year band");
    }
    let status = app.get(&status_path).await.text().await.unwrap();
    assert_eq!(mask_on_page(&status, "11*"), "11**************2X");
    assert!(!status.contains("1949") && !status.contains("1101*"));
});

// Hole 2: search by full phone, full ID or full name only; every search audited, masked.
on_both_databases!(search_needs_a_whole_value_and_is_audited, |app: TestApp| async move {
    let lzh = app.application_at("340302-DF", IDS[0], "13800000001").await;
    let bs = app.application_at("340303-TQ", IDS[1], "13800000002").await;
    app.admin("340300", "leader", "city_leader").await;
    let cookie = app.login("city_leader").await;
    let hits = |page: &str| (page.contains(&format!("/admin/a/{lzh}\"")), page.contains(&format!("/admin/a/{bs}\"")));
    let mut searches = 0;
    for partial in ["0000", "00000002", "1380000000", "3800000000", "张", "三", "3403", "340302199001", "34030219900101123"] {
        let page = app.get_as(&cookie, &format!("/admin?q={partial}")).await.text().await.unwrap();
        searches += 1;
        assert_eq!(hits(&page), (false, false), "partial {partial} finds nothing");
    }
    let page = app.get_as(&cookie, "/admin?q=13800000002").await.text().await.unwrap();
    assert_eq!(hits(&page), (false, true), "a whole phone number");
    assert!(
        page.contains("138****0002") && page.matches("13800000002").count() == page.matches("value=\"13800000002\"").count(),
        "results stay masked (the number is only in what the admin typed: the search box and the export form's filters)"
    );
    let page = app.get_as(&cookie, &format!("/admin?q={}", IDS[1])).await.text().await.unwrap();
    assert_eq!(hits(&page), (false, true), "a whole ID number");
    let page = app.get_as(&cookie, "/admin?q=%E5%BC%A0%E4%B8%89").await.text().await.unwrap();
    assert_eq!(hits(&page), (true, true), "a whole name");
    searches += 3;
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'search'").await, searches, "one audit row per search");
    let details: Vec<String> =
        sqlx::query_scalar("SELECT detail FROM audit_log WHERE action = 'search' ORDER BY id").fetch_all(&app.state.db.pool).await.unwrap();
    for d in &details {
        assert!(
            !d.contains("13800000002") && !d.contains(IDS[1]) && !d.contains("张三") && !d.contains("00000002"),
            "never the value in clear: {d}"
        );
    }
    assert_eq!(details[details.len() - 3], "phone 138****0002");
    assert_eq!(details[details.len() - 2], "id 34**************37");
    assert_eq!(details[details.len() - 1], "name 张*");
    // No search, no audit row.
    app.get_as(&cookie, "/admin").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'search'").await, searches);
});

// Hole 4: opposite decisions at once; exactly one wins.
async fn race(app: &TestApp, bulk: bool) {
    let a = app.application_at("340302-DF", IDS[0], "13800000001").await;
    let mut cookies = Vec::new();
    for i in 0..4 {
        let who = format!("rev{i}");
        app.admin("340302", "reviewer", &who).await;
        cookies.push(app.login(&who).await);
    }
    let mut tasks = Vec::new();
    for i in 0..50 {
        let (base, http, cookie) = (app.base.clone(), app.http.clone(), cookies[i % cookies.len()].clone());
        tasks.push(tokio::spawn(async move {
            let approve = i % 2 == 0;
            let (path, fields): (String, Vec<(&str, String)>) = if approve && bulk {
                ("/admin/bulk-approve".into(), vec![("ids", a.to_string())])
            } else if approve {
                (format!("/admin/a/{a}/decide"), vec![("action", "approve".into())])
            } else {
                (format!("/admin/a/{a}/decide"), vec![("action", "reject".into()), ("reason", "不属于本单位职工".into())])
            };
            let res =
                http.post(format!("{base}{path}")).header("cookie", cookie).header("origin", &base).form(&fields).send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.text().await.unwrap())
        }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM decisions").await, 1, "exactly one decision");
    let status = app.status_of(a).await;
    assert!(status == "approved" || status == "rejected", "{status}");
    assert_eq!(app.count("SELECT COUNT(*) FROM members").await, i64::from(status == "approved"), "a member iff approved");
    app.clock.advance(11);
    app.deliver().await;
    let sent = app.sms.messages("13800000001", Template::Approved).len() + app.sms.messages("13800000001", Template::Rejected).len();
    assert_eq!(sent, 1, "one SMS");
    if !bulk {
        assert_eq!(outcomes.iter().filter(|(s, _)| *s == 303).count(), 1, "one decision succeeded");
        let already = outcomes.iter().filter(|(s, page)| *s == 200 && page.contains("该申请已被处理")).count();
        assert_eq!(already, 49, "the others are told it was already decided");
    } else {
        let rejects_won = outcomes.iter().filter(|(s, _)| *s == 303).count();
        assert_eq!(rejects_won, usize::from(status == "rejected"));
    }
}

on_both_databases!(fifty_opposite_decisions_at_once_make_one, |app: TestApp| async move {
    race(&app, false).await;
});

on_both_databases!(bulk_approval_racing_rejections_makes_one_decision, |app: TestApp| async move {
    race(&app, true).await;
});

// Hole 5b: a burst of wrong passwords counts in full; then a hard stop, not a picture check.
async fn wrong_burst(app: &TestApp, usernames: Vec<String>) -> Vec<String> {
    let mut tasks = Vec::new();
    for u in usernames {
        let (base, http) = (app.base.clone(), app.http.clone());
        tasks.push(tokio::spawn(async move {
            let res = http
                .post(format!("{base}/admin/login"))
                .header("origin", &base)
                .form(&[("username", u.as_str()), ("password", "wrong-password")])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            res.text().await.unwrap()
        }));
    }
    let mut pages = Vec::new();
    for t in tasks {
        pages.push(t.await.unwrap());
    }
    pages
}

on_both_databases!(a_burst_of_wrong_passwords_meets_a_hard_stop, |app: TestApp| async move {
    app.admin("340302", "reviewer", "lzh_rev").await;
    let pages = wrong_burst(&app, vec!["lzh_rev".to_string(); 30]).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM login_failures WHERE username = 'lzh_rev'").await, 5, "only five were tried");
    assert_eq!(pages.iter().filter(|p| p.contains("用户名或密码不正确")).count(), 5);
    assert_eq!(pages.iter().filter(|p| p.contains("尝试次数过多")).count(), 25);
    // The right password right after: refused with the time it may be tried again.
    let page = app.post_form("/admin/login", &[("username", "lzh_rev"), ("password", "lzh_rev-password")]).await.text().await.unwrap();
    assert!(page.contains("尝试次数过多，请于 10:15 后再试"), "{page}");
    assert!(!page.contains("<svg"), "a hard stop, not a picture check");
    assert_eq!(app.count("SELECT COUNT(*) FROM login_failures").await, 5, "refused without a try");
    app.clock.advance(14 * 60);
    let page = app.post_form("/admin/login", &[("username", "lzh_rev"), ("password", "lzh_rev-password")]).await.text().await.unwrap();
    assert!(page.contains("尝试次数过多"), "still stopped");
    app.clock.advance(60);
    app.login("lzh_rev").await;
});

on_both_databases!(a_burst_from_one_address_meets_a_hard_stop_and_does_not_flood_the_audit, |app: TestApp| async move {
    app.admin("340302", "reviewer", "lzh_rev").await;
    let long = "x".repeat(300);
    let names: Vec<String> = (0..30).map(|i| format!("{i:02}{long}")).collect();
    let pages = wrong_burst(&app, names).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM login_failures").await, 20, "twenty tries from one address");
    assert_eq!(pages.iter().filter(|p| p.contains("尝试次数过多")).count(), 10);
    // An unknown user's page is the same as a wrong password's.
    let page = app.post_form("/admin/login", &[("username", "lzh_rev"), ("password", "lzh_rev-password")]).await.text().await.unwrap();
    assert!(page.contains("尝试次数过多"), "the address is stopped");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'login' AND outcome IN ('refused', 'stopped')").await,
        20,
        "listed one by one up to the cap"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'login' AND outcome = 'throttled'").await, 1, "one summary row");
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log").await, 21, "nothing else");
    assert_eq!(app.count("SELECT CAST(MAX(LENGTH(target)) AS BIGINT) FROM audit_log").await, 6 + 64, "usernames are cut");
    assert_eq!(app.count("SELECT CAST(MAX(LENGTH(username)) AS BIGINT) FROM login_failures").await, 64);
});

// Hole 10: admin management.
async fn create(app: &TestApp, cookie: &str, org: &str, roles: &[&str], user: &str, phone: &str, password: &str) -> String {
    let org = app.union_id(org).await.to_string();
    let mut fields = vec![("username", user), ("display_name", "王审核"), ("org", org.as_str()), ("phone", phone), ("password", password)];
    for r in roles {
        fields.push(("roles", r));
    }
    app.post_as(cookie, "/admin/admins", &fields).await.text().await.unwrap()
}

on_both_databases!(creating_admins_follows_one_set_of_rules, |app: TestApp| async move {
    app.admin("340300", "city_admin,manager,reviewer", "city").await;
    app.admin("340302", "manager,reviewer", "lzh_mgr").await;
    let city = app.login("city").await;
    let mgr = app.login("lzh_mgr").await;
    let pw = "long-enough-password";
    assert!(
        create(&app, &city, "340302", &["city_admin"], "lzh_city", "", pw).await.contains("市级管理员只能设在市总工会"),
        "city_admin only at the root"
    );
    assert!(create(&app, &city, "340300", &["city_admin"], "city2", "", pw).await.contains("管理员已创建"));
    let page = create(&app, &city, "340302", &["reviewer"], "bad_phone", "1380000", pw).await;
    assert!(page.contains("请填写11位中国大陆手机号"), "an invalid phone is a field error, not dropped");
    assert!(create(&app, &city, "340302", &["reviewer"], "ok_phone", "13800000009", pw).await.contains("管理员已创建"));
    let phone: Option<String> =
        sqlx::query_scalar("SELECT phone FROM admins WHERE username = 'ok_phone'").fetch_one(&app.state.db.pool).await.unwrap();
    assert_eq!(phone.as_deref(), Some("13800000009"));
    assert!(create(&app, &mgr, "340302-DF", &["leader"], "df_leader", "", pw).await.contains("无权进行该操作"), "only roles held");
    assert!(create(&app, &mgr, "340303", &["reviewer"], "bs_rev", "", pw).await.contains("无权进行该操作"), "only inside the subtree");
    assert!(create(&app, &mgr, "340302-DF", &["reviewer"], "x", "", pw).await.contains("用户名"), "username rules");
    assert!(create(&app, &mgr, "340302-DF", &["reviewer"], "df_short", "", "short").await.contains("密码至少10位"));
    assert_eq!(app.count("SELECT COUNT(*) FROM admins").await, 4, "city, lzh_mgr, city2, ok_phone");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'admin_create' AND outcome = 'refused'").await,
        6,
        "every refusal audited"
    );
    // The operator's command (ejia admin add) goes through the same service.
    use ejia::admin::service::{create_admin, Creator, NewAdminInput};
    use ejia::admin::Role;
    let lzh = app.union_id("340302").await;
    let root = app.union_id("340300").await;
    let input = |username: &'static str, org_id: i64, roles: Vec<Role>, password: &'static str| NewAdminInput {
        username: username.into(),
        display_name: String::new(),
        phone: String::new(),
        org_id,
        roles,
        password: password.into(),
    };
    let op = |i| create_admin(&app.state, Creator::Operator, "cli", i);
    assert!(op(input("cli_city", lzh, vec![Role::CityAdmin], pw)).await.unwrap().is_err(), "city_admin at the root, for the operator too");
    assert!(op(input("Bad Name!", lzh, vec![Role::Reviewer], pw)).await.unwrap().is_err(), "the same username rules");
    assert!(op(input("cli_short", lzh, vec![Role::Reviewer], "short")).await.unwrap().is_err());
    assert!(op(input("cli_root", root, vec![Role::CityAdmin, Role::Leader], pw)).await.unwrap().is_ok(), "the operator may grant any role");
});

on_both_databases!(managers_manage_only_admins_strictly_below_with_roles_they_hold, |app: TestApp| async move {
    app.admin("340300", "city_admin", "city").await;
    app.admin("340300", "city_admin", "city2").await;
    app.admin("340300", "manager,reviewer", "root_mgr").await;
    app.admin("340302", "manager,reviewer", "lzh_mgr").await;
    app.admin("340302", "manager,reviewer", "lzh_mgr2").await;
    app.admin("340302-DF", "reviewer", "df_rev").await;
    app.admin("340302-DF", "leader", "df_leader").await;
    let root_mgr = app.login("root_mgr").await;
    let lzh_mgr = app.login("lzh_mgr").await;
    let city = app.login("city").await;
    let disable = |cookie: String, who: &'static str| {
        let app = &app;
        async move {
            let id = admin_id(app, who).await;
            app.post_as(&cookie, &format!("/admin/admins/{id}/disable"), &[]).await.status().as_u16()
        }
    };
    let enable = |cookie: String, who: &'static str| {
        let app = &app;
        async move {
            let id = admin_id(app, who).await;
            app.post_as(&cookie, &format!("/admin/admins/{id}/enable"), &[]).await.status().as_u16()
        }
    };
    let disabled = |who: &'static str| {
        let app = &app;
        async move { app.count(&format!("SELECT disabled FROM admins WHERE username = '{who}'")).await }
    };
    // Refused: the city admin (roles the manager lacks), a peer, an admin with a role it lacks, itself.
    assert_eq!(disable(root_mgr.clone(), "city").await, 404);
    assert_eq!(disable(lzh_mgr.clone(), "lzh_mgr2").await, 404, "a peer in the same union");
    assert_eq!(disable(lzh_mgr.clone(), "df_leader").await, 404, "holds a role the manager lacks");
    assert_eq!(disable(lzh_mgr.clone(), "lzh_mgr").await, 404, "itself");
    assert_eq!(disable(city.clone(), "city").await, 404, "the city admin, itself");
    for who in ["city", "lzh_mgr2", "df_leader", "lzh_mgr"] {
        assert_eq!(disabled(who).await, 0, "{who} untouched");
    }
    // Allowed: strictly below with roles it holds; the city admin anyone else.
    assert_eq!(disable(lzh_mgr.clone(), "df_rev").await, 303);
    assert_eq!(disabled("df_rev").await, 1);
    assert_eq!(disable(city.clone(), "city2").await, 303);
    assert_eq!(disable(city.clone(), "lzh_mgr2").await, 303);
    // Re-enable, under the same rules, from a button in the registry.
    let page = app.get_as(&lzh_mgr, "/admin/admins").await.text().await.unwrap();
    assert!(page.contains(&format!("/admin/admins/{}/enable", admin_id(&app, "df_rev").await)));
    assert_eq!(enable(lzh_mgr.clone(), "lzh_mgr2").await, 404, "a peer, not re-enabled by the manager");
    assert_eq!(disabled("lzh_mgr2").await, 1);
    assert_eq!(enable(lzh_mgr.clone(), "df_rev").await, 303);
    assert_eq!(disabled("df_rev").await, 0);
    app.login("df_rev").await;
    assert_eq!(enable(city.clone(), "lzh_mgr2").await, 303);
    assert_eq!(disabled("lzh_mgr2").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action IN ('admin_disable', 'admin_enable') AND outcome = 'refused'").await,
        6,
        "every refusal audited"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action IN ('admin_disable', 'admin_enable') AND outcome = 'ok'").await, 5);
});

// Hole 11: a keyed chain with a signed head; PostgreSQL refuses changes to the table.
async fn some_audit(app: &TestApp) -> String {
    let a = app.application_at("340302-DF", IDS[0], "13800000001").await;
    app.admin("340300", "city_admin,reviewer", "city").await;
    let cookie = app.login("city").await;
    app.post_as(&cookie, &format!("/admin/a/{a}/decide"), &[("action", "approve")]).await;
    app.get_as(&cookie, "/admin/a/999999").await;
    assert_eq!(ejia::server::audit::verify(&app.state).await.unwrap(), Ok(3));
    cookie
}

/// On PostgreSQL the table refuses changes; an attacker with the owner's rights turns that off.
async fn as_table_owner(app: &TestApp, sql: &str) {
    if app.backend == Backend::Postgres {
        let refused = sqlx::query(sql).execute(&app.state.db.pool).await;
        assert!(refused.is_err(), "PostgreSQL refuses {sql}");
        sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER USER").execute(&app.state.db.pool).await.unwrap();
    }
    sqlx::query(sql).execute(&app.state.db.pool).await.unwrap();
}

on_both_databases!(deleting_the_newest_audit_rows_is_detected, |app: TestApp| async move {
    let cookie = some_audit(&app).await;
    let last: i64 = sqlx::query_scalar("SELECT MAX(id) FROM audit_log").fetch_one(&app.state.db.pool).await.unwrap();
    as_table_owner(&app, &format!("DELETE FROM audit_log WHERE id = {last}")).await;
    assert_eq!(ejia::server::audit::verify(&app.state).await.unwrap(), Err(last));
    assert!(app.get_as(&cookie, "/admin/audit").await.text().await.unwrap().contains("审计链在此处被篡改"));
});

on_both_databases!(a_rewritten_and_rehashed_audit_row_is_detected, |app: TestApp| async move {
    some_audit(&app).await;
    let (id, at, admin_id, org_id, action, target, ip, detail, prev): (
        i64,
        i64,
        Option<i64>,
        Option<i64>,
        String,
        String,
        String,
        String,
        String,
    ) = sqlx::query_as("SELECT id, at, admin_id, org_id, action, target, ip, detail, prev_hash FROM audit_log ORDER BY id DESC LIMIT 1")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    use sha2::Digest;
    let canonical = serde_json::json!([prev, at, admin_id, org_id, action, target, ip, "ok", detail]).to_string();
    let rehashed = hex::encode(sha2::Sha256::digest(canonical.as_bytes()));
    as_table_owner(&app, &format!("UPDATE audit_log SET outcome = 'ok', hash = '{rehashed}' WHERE id = {id}")).await;
    assert_eq!(ejia::server::audit::verify(&app.state).await.unwrap(), Err(id));
});
