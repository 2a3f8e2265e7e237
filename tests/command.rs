//! The command centre over HTTP, on SQLite and PostgreSQL: figures exact after joins, decisions
//! and undos (and equal to a recount), scoping of the board, its live stream and the overdue
//! list to the viewer's subtree, 督办 at most once an hour, the live stream across instances,
//! and the generated city's totals.
mod common;

use common::*;
use ejia::command::Board;
use ejia::server::sms::Template;
use std::time::{Duration, Instant};

const IDS: [&str; 3] = [GOOD_ID, GOOD_ID_2, "340321198506154561"];

async fn board(app: &TestApp, top: &str, org: &str) -> Board {
    let (top, org) = (app.union_id(top).await, app.union_id(org).await);
    ejia::command::service::board(&app.state, top, org).await.unwrap().expect("inside the subtree")
}

/// Reads server-sent events until a `board` event arrives or `within` passes.
async fn next_board(res: &mut reqwest::Response, buf: &mut String, within: Duration) -> Option<Board> {
    let until = Instant::now() + within;
    loop {
        if let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            if event.lines().any(|l| l == "event: board") {
                let data: String = event.lines().filter_map(|l| l.strip_prefix("data: ")).collect();
                return Some(serde_json::from_str(&data).expect("a board"));
            }
            continue;
        }
        let left = until.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, res.chunk()).await {
            Ok(Ok(Some(bytes))) => buf.push_str(&String::from_utf8_lossy(&bytes)),
            Ok(_) => return None,
            Err(_) => return None,
        }
    }
}

on_both_databases!(figures_are_exact_and_follow_decisions, |app: TestApp| async move {
    let lzh = app.application_at("340302-DF", IDS[0], "13800000001").await;
    app.application_at("340303-TQ", IDS[1], "13800000002").await;
    app.admin("340302", "reviewer", "lzh_rev").await;
    let root = board(&app, "340300", "340300").await;
    assert_eq!((root.totals.pending, root.totals.members), (2, 0));
    let lzh_line = root.children.iter().find(|c| c.name == "龙子湖区总工会").expect("the county is a child of the city");
    assert_eq!(lzh_line.figures.pending, 1);
    assert!(lzh_line.has_children);

    let rev = app.login("lzh_rev").await;
    let res = app.post_as(&rev, &format!("/admin/a/{lzh}/decide"), &[("action", "approve")]).await;
    assert_eq!(res.status(), 303);
    let root = board(&app, "340300", "340300").await;
    let f = &root.totals;
    assert_eq!((f.members, f.pending, f.joined_today, f.joined_week, f.joined_month, f.decided_30, f.on_time_30), (1, 1, 1, 1, 1, 1, 1));
    assert_eq!(f.on_time_percent(), Some(100));
    assert_eq!(root.daily.len(), 30);
    assert_eq!(root.daily.last().unwrap().2, 1, "today's bar counts the join");
    let county = board(&app, "340300", "340302").await;
    assert_eq!(county.totals.members, 1);
    assert_eq!(county.crumbs.iter().map(|c| c.1.as_str()).collect::<Vec<_>>(), ["蚌埠市总工会", "龙子湖区总工会"]);
    let street = county.children.iter().find(|c| c.name == "龙子湖区东风街道总工会").unwrap();
    assert_eq!(street.figures.members, 1);
    assert_eq!(board(&app, "340300", "340303").await.totals.members, 0);

    // The running totals equal a recount from the rows.
    let before = board(&app, "340300", "340300").await;
    let mut tx = app.state.db.begin_write().await.unwrap();
    ejia::org::tally::rebuild(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    let after = board(&app, "340300", "340300").await;
    assert_eq!(before.totals, after.totals);
    assert_eq!(before.children, after.children);

    // An undo takes everything back.
    let res = app.post_as(&rev, &format!("/admin/a/{lzh}/undo"), &[]).await;
    assert!(res.status().is_success() || res.status().is_redirection());
    assert_eq!(app.count("SELECT COUNT(*) FROM decisions WHERE action = 'undo'").await, 1);
    let f = board(&app, "340300", "340300").await.totals;
    assert_eq!((f.members, f.pending, f.joined_today, f.decided_30), (0, 2, 0, 0));
});

on_both_databases!(board_and_stream_are_scoped_to_the_subtree, |app: TestApp| async move {
    app.application_at("340303-TQ", IDS[1], "13800000002").await;
    app.admin("340302", "leader", "lzh_lead").await;
    app.admin("340302", "reviewer", "lzh_rev").await;
    let bs = app.union_id("340303").await;
    let lead = app.login("lzh_lead").await;
    let page = app.get_as(&lead, "/admin/command").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("龙子湖区东风街道总工会"), "the county's own unions are listed");
    assert!(!html.contains("蚌山区"), "nothing of another county shows");
    assert!(html.contains("<svg"), "the chart is drawn on the server");
    for path in [format!("/admin/command?org={bs}"), format!("/admin/command/live?org={bs}")] {
        let res = app.get_as(&lead, &path).await;
        assert_eq!(res.status(), 404, "{path}");
    }
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM audit_log WHERE target = 'org:{bs}' AND outcome = 'not_found'")).await,
        2,
        "both attempts are audited"
    );
    // A reviewer has no command centre.
    let rev = app.login("lzh_rev").await;
    assert_eq!(app.get_as(&rev, "/admin/command").await.status(), 404);
    assert_eq!(app.get_as(&rev, "/admin/command/live").await.status(), 404);
});

on_both_databases!(the_stream_carries_changes_of_the_subtree_within_a_second, |app: TestApp| async move {
    app.admin("340302", "leader", "lzh_lead").await;
    let lead = app.login("lzh_lead").await;
    let mut res = app.get_as(&lead, "/admin/command/live").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut buf = String::new();
    let first = next_board(&mut res, &mut buf, Duration::from_secs(3)).await.expect("a snapshot at once");
    assert_eq!(first.totals.pending, 0);
    assert!(!buf.contains("身份证") && !first.children.is_empty());

    // A join in another county: nothing arrives.
    app.application_at("340303-TQ", IDS[1], "13800000002").await;
    assert!(next_board(&mut res, &mut buf, Duration::from_millis(700)).await.is_none(), "no event from outside the subtree");

    // A join inside: the new count arrives within a second.
    let union = app.union_id("340302-DF").await.to_string();
    let code = app.code_for("13800000001").await;
    let key = ejia::server::crypto::random_token();
    let started = Instant::now();
    let submitted = app
        .post_form(
            "/join",
            &[
                ("name", "张三"),
                ("id_number", IDS[0]),
                ("phone", "13800000001"),
                ("code", &code),
                ("workplace", &union),
                ("consent", "yes"),
                ("submission", &key),
                ("intent", "submit"),
            ],
        )
        .await;
    assert_eq!(submitted.status(), 303);
    let next = next_board(&mut res, &mut buf, Duration::from_secs(1)).await.expect("the join shows within a second");
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(next.totals.pending, 1);
    // Only counts travel: no name, phone or ID number.
    let json = serde_json::to_string(&next).unwrap();
    assert!(!json.contains("13800000001") && !json.contains(IDS[0]) && !json.contains("张"));

    // A reconnect starts from a fresh snapshot.
    drop(res);
    let mut again = app.get_as(&lead, "/admin/command/live").await;
    let mut buf = String::new();
    assert_eq!(next_board(&mut again, &mut buf, Duration::from_secs(3)).await.unwrap().totals.pending, 1);
});

/// On PostgreSQL a decision on one instance reaches a dashboard open on another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_crosses_instances_on_postgres() {
    let app = spawn_app(ejia::server::db::Backend::Postgres).await;
    let other = spawn_second_instance(&app).await;
    let application = app.application_at("340302-DF", IDS[0], "13800000001").await;
    app.admin("340300", "leader", "city_lead").await;
    app.admin("340302", "reviewer", "lzh_rev").await;
    let lead = other.login("city_lead").await;
    let mut res = other.get_as(&lead, "/admin/command/live").await;
    let mut buf = String::new();
    let first = next_board(&mut res, &mut buf, Duration::from_secs(3)).await.unwrap();
    assert_eq!((first.totals.pending, first.totals.members), (1, 0));
    let rev = app.login("lzh_rev").await;
    assert_eq!(app.post_as(&rev, &format!("/admin/a/{application}/decide"), &[("action", "approve")]).await.status(), 303);
    let next =
        next_board(&mut res, &mut buf, Duration::from_secs(1)).await.expect("the decision shows on the other instance within a second");
    assert_eq!((next.totals.pending, next.totals.members), (0, 1));
}

on_both_databases!(chasing_is_scoped_audited_and_once_an_hour, |app: TestApp| async move {
    let application = app.application_at("340302-DF", IDS[0], "13800000001").await;
    app.admin("340302-DF", "reviewer", "df_rev").await;
    app.set_phone("df_rev", "13900000009").await;
    app.admin("340302", "leader", "lzh_lead").await;
    app.admin("340303", "leader", "bs_lead").await;
    let lead = app.login("lzh_lead").await;

    // Not overdue yet: nothing to chase.
    assert_eq!(app.post_as(&lead, &format!("/admin/command/overdue/{application}/chase"), &[]).await.status(), 404);
    app.clock.advance(3 * 86_400);
    let lead = app.login("lzh_lead").await;
    let other = app.login("bs_lead").await;
    let list = app.get_as(&lead, "/admin/command/overdue").await.text().await.unwrap();
    assert!(list.contains("张*") && list.contains("龙子湖区东风街道总工会"), "the overdue list shows it, masked");
    assert!(!list.contains("张三"));
    let elsewhere = app.get_as(&other, "/admin/command/overdue").await.text().await.unwrap();
    assert!(!elsewhere.contains("龙子湖区东风街道总工会"), "another county's list does not");

    // Another county's leader cannot chase it: not found, audited, nothing sent.
    assert_eq!(app.post_as(&other, &format!("/admin/command/overdue/{application}/chase"), &[]).await.status(), 404);
    assert_eq!(app.count("SELECT COUNT(*) FROM chases").await, 0);

    // Two chases at once: one is recorded and sent.
    let path = format!("/admin/command/overdue/{application}/chase");
    let (a, b) = tokio::join!(app.post_as(&lead, &path, &[]), app.post_as(&lead, &path, &[]));
    let mut places: Vec<String> = [a, b].iter().map(|r| r.headers()["location"].to_str().unwrap().to_string()).collect();
    places.sort();
    assert_eq!(places, ["/admin/command/overdue?chased=1", "/admin/command/overdue?soon=1"]);
    assert_eq!(app.count("SELECT COUNT(*) FROM chases").await, 1);
    app.deliver().await;
    let sent = app.sms.messages("13900000009", Template::Chase);
    assert_eq!(sent.len(), 1);
    assert!(Template::Chase.render(&sent[0].params).contains("龙子湖区总工会督办龙子湖区东风街道总工会"));
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM audit_log WHERE action = 'chase' AND target = 'application:{application}'")).await,
        3,
        "the chase, the one before it was overdue and the one from outside are audited"
    );
    let list = app.get_as(&lead, "/admin/command/overdue").await.text().await.unwrap();
    assert!(list.contains("龙子湖区总工会督办"), "who chased shows on the list");

    // An hour later it may be chased again.
    app.clock.advance(3600);
    let lead = app.login("lzh_lead").await;
    assert_eq!(app.post_as(&lead, &path, &[]).await.headers()["location"], "/admin/command/overdue?chased=1");
    assert_eq!(app.count("SELECT COUNT(*) FROM chases").await, 2);
});

on_both_databases!(a_generated_city_has_exact_totals, |app: TestApp| async move {
    let sizes = ejia::site::generate::Sizes { counties: 3, streets: 6, workplaces: 30, members: 3000, applications: 400 };
    let made = ejia::site::generate::generate(&app.state, sizes).await.unwrap();
    assert_eq!(made.members, app.count("SELECT COUNT(*) FROM members").await as usize);
    assert!(made.members >= 3000);
    assert!(app.count("SELECT COUNT(*) FROM applications WHERE status = 'pending'").await > 0);
    assert!(app.count("SELECT COUNT(*) FROM applications WHERE status = 'rejected'").await > 0);
    // Every union's total equals a count over its subtree.
    let wrong = app
        .count(
            "SELECT COUNT(*) FROM org_tallies t WHERE t.members <> (SELECT COUNT(*) FROM members m
               JOIN org_closure c ON c.descendant_id = m.org_id WHERE c.ancestor_id = t.org_id)",
        )
        .await;
    assert_eq!(wrong, 0);
    let root = board(&app, "340300", "340300").await;
    assert_eq!(root.totals.members, made.members as i64);
    assert!(root.totals.pooled > 0, "some wait in a pool");
    // A second run refuses to add to a populated database.
    assert!(ejia::site::generate::generate(&app.state, sizes).await.is_err());
});

on_both_databases!(totals_stay_exact_under_concurrent_decisions, |app: TestApp| async move {
    // Eight applications across the county's unions, decided at once by two reviewers.
    let ids = [
        "340302199001011237",
        "11010519491231002X",
        "340321198506154561",
        "340303197703037893",
        "340302198801010016",
        "340302198202020025",
        "340302197503030037",
        "340302196904040041",
    ];
    let unions = ["340302-DF", "340302-ZH", "340302-DF-SQ1"];
    let mut apps = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        if ejia::domain::IdNumber::parse(id, app.state.today()).is_err() {
            continue;
        }
        apps.push(app.application_at(unions[i % unions.len()], id, &format!("1380000{:04}", i + 10)).await);
    }
    assert!(apps.len() >= 4, "enough valid numbers");
    app.admin("340302", "reviewer", "rev_a").await;
    app.admin("340300", "reviewer", "rev_b").await;
    let (a, b) = (app.login("rev_a").await, app.login("rev_b").await);
    let mut calls = Vec::new();
    for (i, id) in apps.iter().enumerate() {
        let cookie = if i % 2 == 0 { a.clone() } else { b.clone() };
        let action = if i % 3 == 2 { "reject" } else { "approve" };
        let path = format!("/admin/a/{id}/decide");
        let app = &app;
        calls.push(async move { app.post_as(&cookie, &path, &[("action", action), ("reason", "材料不全")]).await.status() });
    }
    for status in futures_util::future::join_all(calls).await {
        assert_eq!(status, 303);
    }
    let before = board(&app, "340300", "340300").await;
    let approved = app.count("SELECT COUNT(*) FROM members").await;
    assert_eq!(before.totals.members, approved);
    assert_eq!(before.totals.decided_30, apps.len() as i64);
    let mut tx = app.state.db.begin_write().await.unwrap();
    ejia::org::tally::rebuild(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    let after = board(&app, "340300", "340300").await;
    assert_eq!((before.totals, before.children), (after.totals, after.children), "the running totals equal a recount");
});
