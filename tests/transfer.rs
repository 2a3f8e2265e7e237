//! The turnover pool and membership transfers over HTTP, on SQLite and PostgreSQL: placement
//! out of a pool and acceptance (number kept, history, totals, SMS, audit), a decline with its
//! reason, the subtree (no row, figure or move from outside it; refusals audited), two
//! decisions at once, one pending transfer per member, the deadline engine (reminder,
//! escalation up the tree, automatic acceptance after 30 days, nothing twice), out of the
//! city, and the command centre's counts.
mod common;

use common::*;
use ejia::calendar::local_to_unix;
use ejia::domain::Ymd;
use ejia::server::sms::Template;
use ejia::transfer::{engine, repo};

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
    local_to_unix(Ymd::new(y, m, d).unwrap(), h, min)
}

/// A valid ID number, different for each `n` (0–999).
fn id_number(n: u32) -> String {
    let first17 = format!("34030219900101{n:03}");
    let check = ejia::domain::id_number::check_char(first17.as_bytes()) as char;
    format!("{first17}{check}")
}

/// The member made by approving an application at a union (`Ok(code)`) or into a county's
/// pool (`Err(code)`); returns the member's id.
async fn member(app: &TestApp, place: Result<&str, &str>, n: u32, phone: &str) -> i64 {
    let application = match place {
        Ok(code) => app.application_at(code, &id_number(n), phone).await,
        Err(county) => {
            let code = app.code_for(phone).await;
            let county = app.union_id(county).await.to_string();
            let res = app
                .post_form(
                    "/join",
                    &[
                        ("name", "陈师傅"),
                        ("id_number", &id_number(n)),
                        ("phone", phone),
                        ("code", &code),
                        ("workplace", "none"),
                        ("county", &county),
                        ("consent", "yes"),
                        ("submission", &ejia::server::crypto::random_token()),
                        ("intent", "submit"),
                    ],
                )
                .await;
            assert_eq!(res.status(), 303, "applying into the pool of {county}");
            sqlx::query_scalar("SELECT id FROM applications ORDER BY id DESC LIMIT 1").fetch_one(&app.state.db.pool).await.unwrap()
        }
    };
    if app.count("SELECT COUNT(*) FROM admins WHERE username = 'approver'").await == 0 {
        app.admin("340300", "reviewer", "approver").await;
    }
    let cookie = app.login("approver").await;
    let res = app.post_as(&cookie, &format!("/admin/a/{application}/decide"), &[("action", "approve")]).await;
    assert_eq!(res.status(), 303);
    sqlx::query_scalar("SELECT id FROM members WHERE application_id = $1").bind(application).fetch_one(&app.state.db.pool).await.unwrap()
}

/// Managers with phones: the county (龙子湖区), its street union (东风街道), another county
/// (蚌山区) and its street union (天桥街道), and the city.
async fn staff(app: &TestApp) {
    for (org, user, phone) in [
        ("340302", "lzh_mgr", "13900000001"),
        ("340302-DF", "df_mgr", "13900000002"),
        ("340300", "city_mgr", "13900000003"),
        ("340303", "bs_mgr", "13900000004"),
        ("340303-TQ", "tq_mgr", "13900000005"),
    ] {
        app.admin(org, "manager,reviewer", user).await;
        app.set_phone(user, phone).await;
    }
}

async fn tally(app: &TestApp, code: &str) -> (i64, i64) {
    let org = app.union_id(code).await;
    sqlx::query_as("SELECT members, pooled FROM org_tallies WHERE org_id = $1")
        .bind(org)
        .fetch_optional(&app.state.db.pool)
        .await
        .unwrap()
        .unwrap_or((0, 0))
}

async fn sms(app: &TestApp, to: &str, t: Template) -> Vec<ejia::server::sms::Outgoing> {
    app.deliver().await;
    app.sms.messages(to, t)
}

async fn member_row(app: &TestApp, id: i64) -> (i64, i64, String, String) {
    sqlx::query_as("SELECT org_id, in_pool, member_no, status FROM members WHERE id = $1")
        .bind(id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

async fn pending_transfer(app: &TestApp, member: i64) -> i64 {
    sqlx::query_scalar("SELECT id FROM transfers WHERE member_id = $1 AND status = 'pending'")
        .bind(member)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

async fn place(app: &TestApp, cookie: &str, member: i64, to: &str) -> reqwest::Response {
    let to = app.union_id(to).await.to_string();
    app.post_as(cookie, "/admin/pool/place", &[("to", &to), ("member", &member.to_string())]).await
}

async fn propose(app: &TestApp, cookie: &str, member: i64, to: &str) -> reqwest::Response {
    let to = app.union_id(to).await.to_string();
    app.post_as(cookie, &format!("/admin/members/{member}/transfer"), &[("to", &to)]).await
}

async fn counts(app: &TestApp, codes: &[&str], month_start: i64) -> Vec<ejia::transfer::TransferCounts> {
    let mut ids = Vec::new();
    for c in codes {
        ids.push(app.union_id(c).await);
    }
    let got = repo::counts(&app.state.db.pool, &ids, month_start, app.state.now()).await.unwrap();
    ids.iter().map(|id| got[id]).collect()
}

on_both_databases!(placement_from_the_pool_and_acceptance, |app: TestApp| async move {
    staff(&app).await;
    let m = member(&app, Err("340302"), 1, "13800000001").await;
    let (_, in_pool, number, _) = member_row(&app, m).await;
    assert_eq!((in_pool, number.as_str()), (1, "340302-000001"));
    assert_eq!(tally(&app, "340302").await, (1, 1));
    // Three days later the county's manager sees the member waiting, and places them.
    app.clock.advance(3 * 86_400);
    let lzh = app.login("lzh_mgr").await;
    let pool = app.get_as(&lzh, "/admin/pool").await.text().await.unwrap();
    assert!(pool.contains("340302-000001") && pool.contains("在池 3 天") && pool.contains("陈*"), "{pool}");
    assert!(pool.contains("龙子湖区东风街道总工会") && !pool.contains("蚌山区天桥街道总工会"), "only unions of the county are offered");
    let res = place(&app, &lzh, m, "340302-DF").await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/admin/pool?done=proposed");
    let t = pending_transfer(&app, m).await;
    let (kind, due): (String, i64) =
        sqlx::query_as("SELECT kind, due_at FROM transfers WHERE id = $1").bind(t).fetch_one(&app.state.db.pool).await.unwrap();
    assert_eq!(kind, "pool");
    assert_eq!(due, app.state.calendar.get().working_days_after(app.state.now(), 5).due_at, "five working days");
    assert_eq!(sms(&app, "13900000002", Template::TransferWaiting).await.len(), 1, "the receiving union hears of it");
    let pool = app.get_as(&lzh, "/admin/pool").await.text().await.unwrap();
    assert!(pool.contains("接转中"), "the member shows as waiting");
    // The street union accepts.
    let df = app.login("df_mgr").await;
    let page = app.get_as(&df, "/admin/transfers").await.text().await.unwrap();
    assert!(page.contains("340302-000001") && page.contains("剩余 "), "{page}");
    let res = app.post_as(&df, &format!("/admin/transfers/{t}/accept"), &[]).await;
    assert_eq!(res.status(), 303);
    let (org, in_pool, number, status) = member_row(&app, m).await;
    assert_eq!((org, in_pool, number.as_str(), status.as_str()), (app.union_id("340302-DF").await, 0, "340302-000001", "active"));
    let history: Vec<(i64, i64, Option<i64>)> =
        sqlx::query_as("SELECT org_id, in_pool, until_at FROM member_unions WHERE member_id = $1 ORDER BY id")
            .bind(m)
            .fetch_all(&app.state.db.pool)
            .await
            .unwrap();
    let now = app.state.now();
    assert_eq!(history, vec![(app.union_id("340302").await, 1, Some(now)), (app.union_id("340302-DF").await, 0, None)]);
    // The command centre's totals moved: out of the pool, into the street union.
    assert_eq!(tally(&app, "340302").await, (1, 0));
    assert_eq!(tally(&app, "340302-DF").await, (1, 0));
    assert_eq!(tally(&app, "340300").await, (1, 0));
    // The member and both unions hear of it.
    let to_member = sms(&app, "13800000001", Template::TransferDone).await;
    assert_eq!(to_member.len(), 1);
    let text = Template::TransferDone.render(&to_member[0].params);
    assert!(text.contains("340302-000001") && text.contains("龙子湖区东风街道总工会") && text.contains("周转池"), "{text}");
    assert_eq!(sms(&app, "13900000001", Template::TransferDone).await.len(), 1, "the county");
    assert_eq!(sms(&app, "13900000002", Template::TransferDone).await.len(), 1, "the street union");
    assert_eq!(sms(&app, "13900000004", Template::TransferDone).await.len(), 0, "nobody else");
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'transfer_propose' AND outcome = 'ok'").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'transfer_accept' AND outcome = 'ok'").await, 1);
    let pool = app.get_as(&lzh, "/admin/pool").await.text().await.unwrap();
    assert!(!pool.contains("340302-000001"), "placed: out of the pool");
    let page = app.get_as(&df, &format!("/admin/members/{m}/transfer")).await.text().await.unwrap();
    assert!(page.contains("所在单位记录") && page.contains("龙子湖区总工会（周转池）"), "the history of unions");
    // Counted as placed (at the receiving side), and moved in for the street union only.
    let month = at(2026, 11, 1, 0, 0);
    let c = counts(&app, &["340302", "340302-DF", "340300", "340303"], month).await;
    assert_eq!((c[0].placed, c[0].transferred_in, c[0].transferred_out), (1, 0, 0), "inside the county: neither in nor out");
    assert_eq!((c[1].placed, c[1].transferred_in, c[1].transferred_out), (1, 1, 0));
    assert_eq!((c[2].placed, c[2].transferred_in, c[2].transferred_out), (1, 0, 0));
    assert_eq!(c[3], Default::default());
});

on_both_databases!(a_decline_needs_a_reason_and_keeps_the_member, |app: TestApp| async move {
    staff(&app).await;
    let m = member(&app, Ok("340302-DF"), 2, "13800000002").await;
    let df = app.login("df_mgr").await;
    // A job change to a union of another county, proposed by the sending union.
    let page = app.get_as(&df, &format!("/admin/members/{m}/transfer?q=天桥")).await.text().await.unwrap();
    assert!(page.contains("蚌山区天桥街道总工会"), "found by name across the city");
    assert_eq!(propose(&app, &df, m, "340303-TQ").await.status(), 303);
    let t = pending_transfer(&app, m).await;
    let tq = app.login("tq_mgr").await;
    let page = app.post_as(&tq, &format!("/admin/transfers/{t}/decline"), &[("reason", " ")]).await.text().await.unwrap();
    assert!(page.contains("不接收须填写理由"));
    let res = app.post_as(&tq, &format!("/admin/transfers/{t}/decline"), &[("reason", "未在本单位就业")]).await;
    assert_eq!(res.status(), 303);
    let (org, _, _, _) = member_row(&app, m).await;
    assert_eq!(org, app.union_id("340302-DF").await, "the member stays");
    assert_eq!(tally(&app, "340302-DF").await, (1, 0));
    assert_eq!(tally(&app, "340303-TQ").await, (0, 0));
    for to in ["13800000002", "13900000002"] {
        let m = sms(&app, to, Template::TransferDeclined).await;
        assert_eq!(m.len(), 1, "{to} hears of the decline");
        assert_eq!(m[0].params["reason"], "未在本单位就业");
    }
    assert!(sms(&app, "13900000005", Template::TransferDeclined).await.is_empty());
    assert_eq!(app.count("SELECT COUNT(*) FROM member_unions").await, 0, "no move, no history");
    // Settled: a second decision is answered, and a new proposal may follow.
    let page = app.post_as(&tq, &format!("/admin/transfers/{t}/accept"), &[]).await.text().await.unwrap();
    assert!(page.contains("该接转已被处理"));
    assert_eq!(propose(&app, &df, m, "340303-TQ").await.status(), 303);
});

on_both_databases!(nothing_from_outside_the_subtree, |app: TestApp| async move {
    staff(&app).await;
    app.admin("340302", "reviewer", "lzh_rev").await;
    let pooled = member(&app, Err("340302"), 3, "13800000003").await;
    let at_df = member(&app, Ok("340302-DF"), 4, "13800000004").await;
    let bs = app.login("bs_mgr").await;
    // Another county's manager sees no row.
    let pool = app.get_as(&bs, "/admin/pool").await.text().await.unwrap();
    assert!(!pool.contains("340302-000001") && !pool.contains("龙子湖区"), "{pool}");
    for m in [pooled, at_df] {
        assert_eq!(app.get_as(&bs, &format!("/admin/members/{m}/transfer")).await.status(), 404);
        assert_eq!(place(&app, &bs, m, "340303-TQ").await.status(), 404);
        assert_eq!(propose(&app, &bs, m, "340303-TQ").await.status(), 404);
        let outside = [("to", "outside"), ("outside_to", "合肥市")];
        assert_eq!(app.post_as(&bs, &format!("/admin/members/{m}/transfer"), &outside).await.status(), 404);
    }
    // Placing into a union outside the admin's subtree: not found; inside it but outside the
    // pool's county: refused.
    let lzh = app.login("lzh_mgr").await;
    assert_eq!(place(&app, &lzh, pooled, "340303-TQ").await.status(), 404);
    let city = app.login("city_mgr").await;
    let page = place(&app, &city, pooled, "340303-TQ").await.text().await.unwrap();
    assert!(page.contains("接收单位须为该县区内的基层工会"), "{page}");
    let page = place(&app, &city, pooled, "340302").await.text().await.unwrap();
    assert!(page.contains("接收单位不能是会员当前所在单位"), "not into the pool it waits in");
    assert_eq!(app.count("SELECT COUNT(*) FROM transfers").await, 0);
    // A reviewer may look but not place.
    let rev = app.login("lzh_rev").await;
    assert_eq!(app.get_as(&rev, "/admin/pool").await.status(), 200);
    assert_eq!(place(&app, &rev, pooled, "340302-DF").await.status(), 404);
    // A pending transfer into the street union: the other county neither sees nor touches it.
    assert_eq!(place(&app, &lzh, pooled, "340302-DF").await.status(), 303);
    let t = pending_transfer(&app, pooled).await;
    let page = app.get_as(&bs, "/admin/transfers").await.text().await.unwrap();
    assert!(!page.contains("340302-000001"), "no row from outside");
    for action in ["accept", "decline", "cancel"] {
        let res = app.post_as(&bs, &format!("/admin/transfers/{t}/{action}"), &[("reason", "x")]).await;
        assert_eq!(res.status(), 404, "{action}");
    }
    // The sending county may not answer for the receiving union's subtree either way round:
    // the street union cannot withdraw what the county sent.
    let df = app.login("df_mgr").await;
    assert_eq!(app.post_as(&df, &format!("/admin/transfers/{t}/cancel"), &[]).await.status(), 404);
    assert_eq!(app.status_of_transfer(t).await, "pending", "nothing changed");
    let c = counts(&app, &["340303", "340303-TQ"], at(2026, 11, 1, 0, 0)).await;
    assert!(c.iter().all(|c| *c == Default::default()), "no figure from outside: {c:?}");
    let c = counts(&app, &["340302-DF", "340302", "340300"], at(2026, 11, 1, 0, 0)).await;
    assert_eq!(c.iter().map(|c| c.waiting).collect::<Vec<_>>(), vec![1, 1, 1]);
    assert!(c[1].pool_oldest_since.is_some() && c[0].pool_oldest_since.is_none());
    // Every attempt from outside is audited: 2 members × (view + place + propose + out of
    // city), the placement outside the subtree, and 3 + 1 decisions on the transfer.
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE outcome = 'not_found'").await, 8 + 1 + 4);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'access' AND outcome = 'refused' AND detail = 'placer'").await,
        1,
        "the reviewer's placement"
    );
});

on_both_databases!(two_accepts_at_once_move_the_member_once, |app: TestApp| async move {
    staff(&app).await;
    let m = member(&app, Err("340302"), 5, "13800000005").await;
    let lzh = app.login("lzh_mgr").await;
    let lzh2 = app.login("lzh_mgr").await;
    // Two placements at once: one transfer.
    let (a, b) = tokio::join!(place(&app, &lzh, m, "340302-DF"), place(&app, &lzh2, m, "340302-ZH"));
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 303]);
    assert_eq!(app.count("SELECT COUNT(*) FROM transfers").await, 1);
    let t = pending_transfer(&app, m).await;
    let to: i64 = sqlx::query_scalar("SELECT to_org_id FROM transfers WHERE id = $1").bind(t).fetch_one(&app.state.db.pool).await.unwrap();
    let code = if to == app.union_id("340302-DF").await { "340302-DF" } else { "340302-ZH" };
    app.admin(code, "manager", "receiver").await;
    let (c1, c2) = (app.login("receiver").await, app.login("receiver").await);
    let path = format!("/admin/transfers/{t}/accept");
    let (a, b) = tokio::join!(app.post_as(&c1, &path, &[]), app.post_as(&c2, &path, &[]));
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 303], "one accepts, the other is told");
    assert_eq!(tally(&app, code).await, (1, 0), "moved once");
    assert_eq!(tally(&app, "340302").await, (1, 0));
    assert_eq!(app.count("SELECT COUNT(*) FROM member_unions").await, 2);
    assert_eq!(sms(&app, "13800000005", Template::TransferDone).await.len(), 1, "one SMS");
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'transfer_accept'").await, 1);
});

on_both_databases!(one_pending_transfer_per_member, |app: TestApp| async move {
    staff(&app).await;
    let m = member(&app, Ok("340302-DF"), 6, "13800000006").await;
    let df = app.login("df_mgr").await;
    assert_eq!(propose(&app, &df, m, "340302-ZH").await.status(), 303);
    let page = propose(&app, &df, m, "340303-TQ").await.text().await.unwrap();
    assert!(page.contains("该会员已有一份待接收的接转"), "{page}");
    let outside = [("to", "outside"), ("outside_to", "合肥市")];
    let page = app.post_as(&df, &format!("/admin/members/{m}/transfer"), &outside).await.text().await.unwrap();
    assert!(page.contains("该会员已有一份待接收的接转"), "not out of the city either");
    let page = propose(&app, &df, m, "340302-DF").await.text().await.unwrap();
    assert!(page.contains("已有一份待接收"), "the pending one is shown first");
    assert_eq!(app.count("SELECT COUNT(*) FROM transfers").await, 1);
    // Withdrawn, a new one may be proposed.
    let t = pending_transfer(&app, m).await;
    assert_eq!(app.post_as(&df, &format!("/admin/transfers/{t}/cancel"), &[]).await.status(), 303);
    assert_eq!(app.status_of_transfer(t).await, "cancelled");
    assert_eq!(propose(&app, &df, m, "340303-TQ").await.status(), 303);
    let page = propose(&app, &df, m, "340302-DF").await.text().await.unwrap();
    assert!(page.contains("已有一份待接收"));
});

on_both_databases!(the_deadline_engine_reminds_escalates_and_accepts, |app: TestApp| async move {
    staff(&app).await;
    let m = member(&app, Err("340302"), 7, "13800000007").await;
    // Proposed on Wednesday 2026-11-25 10:00: due next Wednesday 10:00.
    let lzh = app.login("lzh_mgr").await;
    assert_eq!(place(&app, &lzh, m, "340302-DF").await.status(), 303);
    let t = pending_transfer(&app, m).await;
    app.clock.set(at(2026, 11, 30, 10, 0));
    assert_eq!(engine::tick(&app.state).await.unwrap(), 0, "three working days in: nothing yet");
    app.clock.set(at(2026, 12, 1, 10, 0));
    assert_eq!(engine::tick(&app.state).await.unwrap(), 1);
    assert_eq!(sms(&app, "13900000002", Template::TransferWaiting).await.len(), 2, "the proposal, then the reminder");
    app.clock.set(at(2026, 12, 2, 10, 0));
    engine::tick(&app.state).await.unwrap();
    assert_eq!(sms(&app, "13900000001", Template::TransferEscalation).await.len(), 1, "the county is chased");
    assert_eq!(sms(&app, "13900000003", Template::TransferEscalation).await.len(), 0);
    app.clock.set(at(2026, 12, 3, 10, 0));
    engine::tick(&app.state).await.unwrap();
    assert_eq!(sms(&app, "13900000003", Template::TransferEscalation).await.len(), 1, "a working day later, the city");
    engine::tick(&app.state).await.unwrap();
    engine::tick(&app.state).await.unwrap();
    let steps: Vec<(i64, i64)> = sqlx::query_as("SELECT level, org_id FROM transfer_steps WHERE transfer_id = $1 ORDER BY level")
        .bind(t)
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(steps, vec![(0, app.union_id("340302-DF").await), (1, app.union_id("340302").await), (2, app.union_id("340300").await)]);
    assert_eq!(sms(&app, "13900000001", Template::TransferEscalation).await.len(), 1, "nothing twice");
    let df = app.login("df_mgr").await;
    assert!(app.get_as(&df, "/admin/transfers").await.text().await.unwrap().contains("逾期"));
    // Thirty days after the proposal it is accepted automatically, once.
    app.clock.set(at(2026, 12, 25, 9, 59));
    engine::tick(&app.state).await.unwrap();
    assert_eq!(app.status_of_transfer(t).await, "pending");
    app.clock.set(at(2026, 12, 25, 10, 0));
    let second = spawn_second_instance(&app).await;
    let (a, b) = tokio::join!(engine::tick(&app.state), engine::tick(&second.state));
    a.unwrap();
    b.unwrap();
    engine::tick(&app.state).await.unwrap();
    assert_eq!(app.status_of_transfer(t).await, "auto_accepted");
    let (org, in_pool, number, _) = member_row(&app, m).await;
    assert_eq!((org, in_pool, number.as_str()), (app.union_id("340302-DF").await, 0, "340302-000001"));
    assert_eq!(tally(&app, "340302-DF").await, (1, 0));
    assert_eq!(tally(&app, "340302").await, (1, 0));
    assert_eq!(sms(&app, "13800000007", Template::TransferDone).await.len(), 1, "the member hears of it once");
    assert_eq!(sms(&app, "13900000002", Template::TransferDone).await.len(), 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'transfer_auto_accept'").await, 1);
    // Every step recorded is audited once (the escalation kept climbing until the root).
    let steps = app.count("SELECT COUNT(*) FROM transfer_steps").await;
    assert!(steps > 3);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action IN ('reminder', 'escalation') AND target LIKE 'transfer:%'").await,
        steps
    );
});

on_both_databases!(out_of_the_city_is_recorded_at_once, |app: TestApp| async move {
    staff(&app).await;
    let m = member(&app, Ok("340302-DF"), 8, "13800000008").await;
    let df = app.login("df_mgr").await;
    let page =
        app.post_as(&df, &format!("/admin/members/{m}/transfer"), &[("to", "outside"), ("outside_to", " ")]).await.text().await.unwrap();
    assert!(page.contains("请填写转往的单位或地区"));
    let res =
        app.post_as(&df, &format!("/admin/members/{m}/transfer"), &[("to", "outside"), ("outside_to", "合肥市包河区物流公司工会")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/admin/transfers?done=out");
    let (org, _, number, status) = member_row(&app, m).await;
    assert_eq!((org, number.as_str(), status.as_str()), (app.union_id("340302-DF").await, "340302-DF-000001", "transferred_out"));
    let (kind, transfer_status, to, outside): (String, String, Option<i64>, String) =
        sqlx::query_as("SELECT kind, status, to_org_id, outside_to FROM transfers WHERE member_id = $1")
            .bind(m)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(
        (kind.as_str(), transfer_status.as_str(), to, outside.as_str()),
        ("out_of_city", "accepted", None, "合肥市包河区物流公司工会")
    );
    assert_eq!(tally(&app, "340302-DF").await, (0, 0));
    assert_eq!(tally(&app, "340300").await, (0, 0));
    let text = Template::TransferDone.render(&sms(&app, "13800000008", Template::TransferDone).await[0].params);
    assert!(text.contains("市外：合肥市包河区物流公司工会"), "{text}");
    let c = counts(&app, &["340302-DF", "340302", "340300"], at(2026, 11, 1, 0, 0)).await;
    assert_eq!(c.iter().map(|c| c.transferred_out).collect::<Vec<_>>(), vec![1, 1, 1]);
    let page = app.get_as(&df, "/admin/transfers").await.text().await.unwrap();
    assert!(page.contains("合肥市包河区物流公司工会") && page.contains("转出市外"));
    let page = propose(&app, &df, m, "340302-ZH").await.text().await.unwrap();
    assert!(page.contains("该会员已转出"), "a member who left cannot move again");
});

on_both_databases!(counts_aggregate_over_each_subtree, |app: TestApp| async move {
    staff(&app).await;
    let a = member(&app, Ok("340302-DF"), 9, "13800000009").await;
    let pooled = member(&app, Err("340303"), 10, "13800000010").await;
    let since: i64 =
        sqlx::query_scalar("SELECT pooled_since FROM members WHERE id = $1").bind(pooled).fetch_one(&app.state.db.pool).await.unwrap();
    let df = app.login("df_mgr").await;
    assert_eq!(propose(&app, &df, a, "340303-TQ").await.status(), 303);
    let codes = ["340302-DF", "340302", "340303-TQ", "340303", "340300", "340311"];
    let month = at(2026, 11, 1, 0, 0);
    let c = counts(&app, &codes, month).await;
    assert_eq!(c.iter().map(|c| c.waiting).collect::<Vec<_>>(), vec![0, 0, 1, 1, 1, 0]);
    assert_eq!(c[3].pool_oldest_since, Some(since));
    assert_eq!(c[4].pool_oldest_since, Some(since));
    assert_eq!(c[1].pool_oldest_since, None);
    let t = pending_transfer(&app, a).await;
    let tq = app.login("tq_mgr").await;
    assert_eq!(app.post_as(&tq, &format!("/admin/transfers/{t}/accept"), &[]).await.status(), 303);
    let c = counts(&app, &codes, month).await;
    let moves: Vec<(i64, i64, i64)> = c.iter().map(|c| (c.waiting, c.transferred_in, c.transferred_out)).collect();
    assert_eq!(moves, vec![(0, 0, 1), (0, 0, 1), (0, 1, 0), (0, 1, 0), (0, 0, 0), (0, 0, 0)], "inside the city: neither for the city");
    assert!(c.iter().all(|c| c.placed == 0), "a job change is no placement");
    // Next month starts from nothing.
    let c = counts(&app, &codes, at(2026, 12, 1, 0, 0)).await;
    assert!(c.iter().all(|c| c.transferred_in == 0 && c.transferred_out == 0));
    // Every union asked for answers, even one unknown.
    let got = repo::counts(&app.state.db.pool, &[999_999], month, app.state.now()).await.unwrap();
    assert_eq!(got[&999_999], Default::default());
});

trait TransferRows {
    async fn status_of_transfer(&self, id: i64) -> String;
}

impl TransferRows for TestApp {
    async fn status_of_transfer(&self, id: i64) -> String {
        sqlx::query_scalar("SELECT status FROM transfers WHERE id = $1").bind(id).fetch_one(&self.state.db.pool).await.unwrap()
    }
}

/// The command centre's figures at scale: thousands of unions, a million members (one in fifty
/// pooled), a hundred thousand transfers. Prints how long `counts` takes for every union at
/// once and for the handful a screen shows. Not a pass/fail test: `cargo test --features ssr
/// --test transfer -- --ignored --nocapture`.
async fn counts_at_scale(app: TestApp) {
    use ejia::org::repo::{insert, NewOrg};
    use ejia::org::OrgKind;
    const UNIONS: i64 = 3_000;
    const MEMBERS: i64 = 1_000_000;
    const TRANSFERS: i64 = 100_000;
    let db = &app.state.db;
    let counties: Vec<i64> = sqlx::query_scalar("SELECT id FROM orgs WHERE kind = 'county' ORDER BY id").fetch_all(&db.pool).await.unwrap();
    let started = std::time::Instant::now();
    let mut tx = db.begin_write().await.unwrap();
    let mut first = 0;
    for i in 0..UNIONS {
        let parent = counties[i as usize % counties.len()];
        let code = format!("SCALE-{i}");
        let org =
            NewOrg { code: &code, name: &code, kind: OrgKind::Enterprise, region_code: "340300", parent_id: Some(parent), has_pool: false };
        let id = insert(&mut tx, org, 0).await.unwrap();
        if i == 0 {
            first = id;
        }
    }
    tx.commit().await.unwrap();
    let admin = app.admin("340300", "manager", "scale_mgr").await;
    let (series, blob) = match app.backend {
        ejia::server::db::Backend::Sqlite => {
            ("(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) SELECT i FROM n) s", "x'00'")
        }
        ejia::server::db::Backend::Postgres => ("(SELECT generate_series(1, CAST($1 AS BIGINT)) AS i) s", "decode('00', 'hex')"),
    };
    let (c0, nc) = (counties[0], counties.len() as i64);
    let org_of = format!("CASE WHEN s.i % 50 = 0 THEN {c0} + s.i % {nc} ELSE {first} + s.i % {UNIONS} END");
    let mut tx = db.begin_write().await.unwrap();
    sqlx::query(&format!(
        "INSERT INTO applications (submission_key, name, id_cipher, id_key_id, id_blind, id_masked, birth_date, sex, phone, org_id, in_pool,
             status, consent_version, consent_at, consent_ip, submitted_at, due_at, due_provisional)
         SELECT 'k' || s.i, '张三', {blob}, 1, 'b' || s.i, '34**************1X', '1990-01-01', 'M', '13800000000', {org_of},
             CASE WHEN s.i % 50 = 0 THEN 1 ELSE 0 END, 'approved', 'v1', 0, '127.0.0.1', 0, 0, 0 FROM {series}"
    ))
    .bind(MEMBERS)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO members (application_id, org_id, member_no, in_pool, joined_at, pooled_since)
         SELECT id, org_id, 'M' || id, in_pool, 0, CASE WHEN in_pool = 1 THEN id ELSE NULL END FROM applications",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    let member0: i64 = sqlx::query_scalar("SELECT MIN(id) FROM members").fetch_one(&mut *tx).await.unwrap();
    let now = app.state.now();
    // Decided over the last six months; a few hundred still waiting.
    sqlx::query(&format!(
        "INSERT INTO transfers (member_id, kind, from_org_id, from_pool, to_org_id, to_pool, status, proposed_by, created_at, due_at, decided_at)
         SELECT {member0} + s.i * 7, CASE WHEN s.i % 3 = 0 THEN 'pool' ELSE 'job_change' END, {first} + s.i % {UNIONS}, 0,
             {first} + (s.i * 13) % {UNIONS}, 0, CASE WHEN s.i % 200 = 0 THEN 'pending' ELSE 'accepted' END, {admin},
             {now} - s.i * 150, {now}, CASE WHEN s.i % 200 = 0 THEN NULL ELSE {now} - s.i * 150 END FROM {series}"
    ))
    .bind(TRANSFERS)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    sqlx::query("ANALYZE").execute(&db.pool).await.unwrap();
    println!("{:?}: loaded {UNIONS} unions, {MEMBERS} members, {TRANSFERS} transfers in {:.1?}", app.backend, started.elapsed());
    let all: Vec<i64> = sqlx::query_scalar("SELECT id FROM orgs ORDER BY id").fetch_all(&db.pool).await.unwrap();
    let mut screen = vec![app.union_id("340300").await];
    screen.extend(&counties);
    let month = now - 30 * 86_400;
    for (what, ids) in [("a screen (the city and its counties)", &screen), ("every union", &all)] {
        let mut times = Vec::new();
        for _ in 0..5 {
            let t = std::time::Instant::now();
            let got = repo::counts(&db.pool, ids, month, now).await.unwrap();
            times.push(t.elapsed());
            assert_eq!(got.len(), ids.len());
        }
        times.sort();
        let city = repo::counts(&db.pool, &screen[..1], month, now).await.unwrap()[&screen[0]];
        println!(
            "{:?}: counts for {} ({} unions): median {:.1?}, best {:.1?}; the city: {city:?}",
            app.backend,
            what,
            ids.len(),
            times[2],
            times[0]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn counts_at_scale_sqlite() {
    counts_at_scale(spawn_app(ejia::server::db::Backend::Sqlite).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn counts_at_scale_postgres() {
    counts_at_scale(spawn_app(ejia::server::db::Backend::Postgres).await).await;
}
