//! Events over HTTP, on SQLite and PostgreSQL: capacity exact under 100 concurrent sign-ups
//! (the rest waiting in order); a cancel moves the first waiting member up with exactly one
//! SMS; two cancels at once neither promote one member twice nor overfill; no double sign-up;
//! the audience; tickets checked in once, a replaced or cancelled ticket refused, a ticket of
//! another event refused, the GET changing nothing; an admin of another county gets the
//! not-found page and an audit row.
mod common;

use common::*;
use ejia::server::sms::Template;

/// Members made directly in the database at the union with `org_code`; returns their ids.
async fn members(app: &TestApp, n: usize, org_code: &str) -> Vec<i64> {
    let org = app.union_id(org_code).await;
    ejia::site::bench_claims::members(&app.state, n, org, Some("货车司机"), wednesday_10am() - 86_400).await.unwrap()
}

async fn session(app: &TestApp, member_id: i64) -> String {
    ejia::site::bench_claims::session(&app.state, member_id).await.unwrap()
}

async fn phone_of(app: &TestApp, member_id: i64) -> String {
    sqlx::query_scalar("SELECT a.phone FROM members m JOIN applications a ON a.id = m.application_id WHERE m.id = $1")
        .bind(member_id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

/// A manager of 龙子湖区 (340302) signed in; creates an event of that union with this capacity
/// (5 December 2026, sign-up until the 4th; the clock stands at 25 November). Returns its id.
async fn event(app: &TestApp, cookie: &str, capacity: i64, audience: &str) -> i64 {
    let cap = capacity.to_string();
    let res = app
        .post_as(
            cookie,
            "/admin/events",
            &[
                ("org", ""),
                ("kind", "training"),
                ("title", "货车司机安全驾驶培训"),
                ("description", "冬季道路安全"),
                ("place", "龙子湖区职工服务中心"),
                ("starts_at", "2026-12-05T09:00"),
                ("ends_at", "2026-12-05T11:30"),
                ("signup_until", "2026-12-04T18:00"),
                ("capacity", &cap),
                ("audience", audience),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "event made: {}", res.text().await.unwrap_or_default());
    app.count("SELECT MAX(id) FROM events").await
}

async fn county_manager(app: &TestApp) -> String {
    app.admin("340302", "manager", "lzh_manager").await;
    app.login("lzh_manager").await
}

async fn sign_up(app: &TestApp, cookie: &str, event: i64) -> reqwest::Response {
    app.post_as(cookie, &format!("/events/{event}/signup"), &[]).await
}

async fn status(app: &TestApp, event: i64, member: i64) -> Option<String> {
    sqlx::query_scalar("SELECT status FROM event_signups WHERE event_id = $1 AND member_id = $2 AND status <> 'cancelled'")
        .bind(event)
        .bind(member)
        .fetch_optional(&app.state.db.pool)
        .await
        .unwrap()
}

async fn confirmed_count(app: &TestApp, event: i64) -> (i64, i64, i64) {
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM event_signups WHERE event_id = $1 AND status = 'confirmed'")
        .bind(event)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let waiting: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM event_signups WHERE event_id = $1 AND status = 'waiting'")
        .bind(event)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let counter: i64 =
        sqlx::query_scalar("SELECT confirmed FROM events WHERE id = $1").bind(event).fetch_one(&app.state.db.pool).await.unwrap();
    (rows, waiting, counter)
}

on_both_databases!(hundred_concurrent_sign_ups_fill_exactly_the_capacity, |app: TestApp| async move {
    let manager = county_manager(&app).await;
    let e = event(&app, &manager, 10, "subtree").await;
    // Seven places go first, one by one: the 100 then race for the last three.
    let early = members(&app, 7, "340302-DF").await;
    for m in &early {
        let c = session(&app, *m).await;
        assert_eq!(sign_up(&app, &c, e).await.status(), 303);
    }
    let ids = members(&app, 100, "340302-DF-SQ1").await;
    let mut cookies = Vec::new();
    for m in &ids {
        cookies.push(session(&app, *m).await);
    }
    let mut tasks = Vec::new();
    for c in cookies.clone() {
        let (http, base) = (app.http.clone(), app.base.clone());
        tasks.push(tokio::spawn(async move {
            let res = http.post(format!("{base}/events/{e}/signup")).header("cookie", c).header("origin", &base).send().await.unwrap();
            (res.status().as_u16(), res.headers().get("location").map(|l| l.to_str().unwrap().to_string()))
        }));
    }
    let mut confirmed = 0;
    let mut waiting = 0;
    for t in tasks {
        match t.await.unwrap() {
            (303, Some(l)) if l.ends_with("done=signed") => confirmed += 1,
            (303, Some(l)) if l.ends_with("done=waiting") => waiting += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!((confirmed, waiting), (3, 97));
    assert_eq!(confirmed_count(&app, e).await, (10, 97, 10));
    // The waiting list is in order, numbers 1..=97 without a gap or a repeat.
    let numbers: Vec<i64> =
        sqlx::query_scalar("SELECT queue_no FROM event_signups WHERE event_id = $1 AND status = 'waiting' ORDER BY queue_no")
            .bind(e)
            .fetch_all(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(numbers, (1..=97).collect::<Vec<i64>>());
    // A member sees their place on the list.
    let first_waiting: i64 = sqlx::query_scalar("SELECT member_id FROM event_signups WHERE event_id = $1 AND queue_no = 5")
        .bind(e)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let c = session(&app, first_waiting).await;
    let html = app.get_as(&c, &format!("/events/{e}")).await.text().await.unwrap();
    assert!(html.contains("候补第5位"), "position shown");
    // Signing up twice is refused, in Chinese, and changes nothing.
    let res = sign_up(&app, &c, e).await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("无需重复报名"));
    assert_eq!(confirmed_count(&app, e).await, (10, 97, 10));
});

on_both_databases!(cancel_moves_the_first_waiting_up_with_one_sms, |app: TestApp| async move {
    let manager = county_manager(&app).await;
    let e = event(&app, &manager, 2, "subtree").await;
    let ids = members(&app, 5, "340302").await;
    let mut cookies = Vec::new();
    for m in &ids {
        let c = session(&app, *m).await;
        assert_eq!(sign_up(&app, &c, e).await.status(), 303);
        cookies.push(c);
    }
    assert_eq!(status(&app, e, ids[2]).await.as_deref(), Some("waiting"));
    // A waiting member leaving the list moves nobody up and sends nothing.
    let res = app.post_as(&cookies[3], &format!("/events/{e}/cancel"), &[]).await;
    assert_eq!(res.status(), 303);
    app.deliver().await;
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE template = 'event_promoted'").await, 0);
    assert_eq!(confirmed_count(&app, e).await, (2, 2, 2));
    // A confirmed member cancels: the first waiting (ids[2]) moves up, with one SMS.
    let res = app.post_as(&cookies[0], &format!("/events/{e}/cancel"), &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(status(&app, e, ids[0]).await, None);
    assert_eq!(status(&app, e, ids[2]).await.as_deref(), Some("confirmed"));
    assert_eq!(status(&app, e, ids[4]).await.as_deref(), Some("waiting"));
    assert_eq!(confirmed_count(&app, e).await, (2, 1, 2));
    app.deliver().await;
    let phone = phone_of(&app, ids[2]).await;
    let sms = app.sms.messages(&phone, Template::EventPromoted);
    assert_eq!(sms.len(), 1, "exactly one SMS to the member who moved up");
    assert!(sms[0].params["link"].as_str().unwrap().ends_with(&format!("/events/{e}")));
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE template = 'event_promoted'").await, 1);
    // Cancelling again finds nothing; the last waiting member moves up when the next one goes.
    let res = app.post_as(&cookies[0], &format!("/events/{e}/cancel"), &[]).await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("没有可以取消的报名"));
    assert_eq!(app.post_as(&cookies[1], &format!("/events/{e}/cancel"), &[]).await.status(), 303);
    assert_eq!(status(&app, e, ids[4]).await.as_deref(), Some("confirmed"));
    // With no one waiting, a cancel gives the place back; signing up again takes it.
    assert_eq!(app.post_as(&cookies[2], &format!("/events/{e}/cancel"), &[]).await.status(), 303);
    assert_eq!(confirmed_count(&app, e).await, (1, 0, 1));
    let res = sign_up(&app, &cookies[0], e).await;
    assert_eq!(res.headers()["location"], format!("/events/{e}?done=signed"));
    assert_eq!(confirmed_count(&app, e).await, (2, 0, 2));
});

on_both_databases!(two_cancels_at_once_promote_two_different_members, |app: TestApp| async move {
    let manager = county_manager(&app).await;
    let e = event(&app, &manager, 4, "subtree").await;
    let ids = members(&app, 16, "340302").await;
    let mut cookies = std::collections::HashMap::new();
    for m in &ids {
        let c = session(&app, *m).await;
        assert_eq!(sign_up(&app, &c, e).await.status(), 303);
        cookies.insert(*m, c);
    }
    assert_eq!(confirmed_count(&app, e).await, (4, 12, 4));
    for _ in 0..3 {
        // Two confirmed members cancel at once.
        let confirmed: Vec<i64> =
            sqlx::query_scalar("SELECT member_id FROM event_signups WHERE event_id = $1 AND status = 'confirmed' ORDER BY id LIMIT 2")
                .bind(e)
                .fetch_all(&app.state.db.pool)
                .await
                .unwrap();
        let (ca, cb) = (cookies[&confirmed[0]].clone(), cookies[&confirmed[1]].clone());
        let url = format!("{}/events/{e}/cancel", app.base);
        let (ra, rb) = tokio::join!(
            app.http.post(&url).header("cookie", ca).header("origin", &app.base).send(),
            app.http.post(&url).header("cookie", cb).header("origin", &app.base).send()
        );
        assert_eq!((ra.unwrap().status().as_u16(), rb.unwrap().status().as_u16()), (303, 303));
        let (rows, _, counter) = confirmed_count(&app, e).await;
        assert_eq!((rows, counter), (4, 4), "never overfilled; the counter and the rows agree");
        // No member holds two live sign-ups.
        let dup = app
            .count(&format!(
                "SELECT COUNT(*) FROM (SELECT member_id FROM event_signups WHERE event_id = {e} AND status <> 'cancelled'
                 GROUP BY member_id HAVING COUNT(*) > 1) d"
            ))
            .await;
        assert_eq!(dup, 0);
    }
    // The first six on the waiting list moved up, in order.
    let promoted: Vec<i64> =
        sqlx::query_scalar("SELECT queue_no FROM event_signups WHERE event_id = $1 AND promoted = 1 ORDER BY queue_no")
            .bind(e)
            .fetch_all(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(promoted, vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(confirmed_count(&app, e).await, (4, 6, 4));
    app.deliver().await;
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE template = 'event_promoted'").await, 6, "one SMS per promotion");
});

on_both_databases!(audience_and_deadline, |app: TestApp| async move {
    let manager = county_manager(&app).await;
    let e = event(&app, &manager, 5, "subtree").await;
    let inside = members(&app, 1, "340302-ZH").await[0];
    let outside = members(&app, 1, "340303").await[0];
    let c_out = session(&app, outside).await;
    let res = sign_up(&app, &c_out, e).await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("仅限主办工会及下级工会会员"));
    // The list leaves it out for that member; anyone not signed in sees it.
    assert!(!app.get_as(&c_out, "/events?kind=training").await.text().await.unwrap().contains("货车司机安全驾驶培训"));
    assert!(app.get("/events?kind=training").await.text().await.unwrap().contains("货车司机安全驾驶培训"));
    assert!(!app.get("/events?kind=trip").await.text().await.unwrap().contains("货车司机安全驾驶培训"));
    // No session: no sign-up.
    assert_eq!(app.post_form(&format!("/events/{e}/signup"), &[]).await.status(), 404);
    // After the deadline: closed.
    app.clock.advance(10 * 86_400);
    let c_in = session(&app, inside).await;
    let res = sign_up(&app, &c_in, e).await;
    assert!(res.text().await.unwrap().contains("报名已截止"));
    assert_eq!(confirmed_count(&app, e).await, (0, 0, 0));
    // An event open to all takes the other county's member.
    app.clock.advance(-10 * 86_400);
    let all = event(&app, &manager, 5, "all").await;
    let c_out = session(&app, outside).await;
    assert_eq!(sign_up(&app, &c_out, all).await.status(), 303);
});

/// Shows the member's ticket; returns the token from the link written under the QR.
async fn ticket(app: &TestApp, cookie: &str, event: i64) -> String {
    let res = app.post_as(cookie, &format!("/events/{event}/ticket"), &[]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    assert!(html.contains("<svg"), "the QR is drawn");
    let link = html.split("data-ticket-link=\"").nth(1).expect("ticket link shown").split('"').next().unwrap();
    link.rsplit('/').next().unwrap().to_string()
}

async fn checked_in(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM event_signups WHERE checked_in_at IS NOT NULL").await
}

on_both_databases!(check_in_once_replay_refused_get_changes_nothing, |app: TestApp| async move {
    let manager = county_manager(&app).await;
    let e = event(&app, &manager, 2, "subtree").await;
    let other = event(&app, &manager, 2, "subtree").await;
    let ids = members(&app, 3, "340302").await;
    let mut cookies = Vec::new();
    for m in &ids {
        let c = session(&app, *m).await;
        sign_up(&app, &c, e).await;
        cookies.push(c);
    }
    assert_eq!(sign_up(&app, &cookies[0], other).await.status(), 303);
    // Only a confirmed member has a ticket.
    let res = app.post_as(&cookies[2], &format!("/events/{e}/ticket"), &[]).await;
    assert!(res.text().await.unwrap().contains("只有报名成功"));
    let old = ticket(&app, &cookies[0], e).await;
    let token = ticket(&app, &cookies[0], e).await;
    assert!(token.len() >= 22 && token != old);
    // Stored only as a MAC.
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM event_signups WHERE ticket_mac LIKE '%{token}%'")).await, 0);
    app.admin("340302", "reviewer", "door").await;
    let door = app.login("door").await;
    let path = format!("/admin/events/ticket/{token}");
    // No door chosen: the page asks to choose; the GETs change nothing.
    for _ in 0..3 {
        let res = app.get_as(&door, &path).await;
        assert_eq!(res.status(), 200);
        assert!(res.text().await.unwrap().contains("尚未选定签到的活动"));
    }
    assert_eq!(app.post_as(&door, &path, &[]).await.status(), 200);
    assert_eq!(checked_in(&app).await, 0, "no check-in without a door");
    // The door is the other event: this ticket is refused there.
    let res = app.post_as(&door, &format!("/admin/events/{other}/door"), &[]).await;
    assert_eq!(res.status(), 303);
    let door_cookie = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let at_other = format!("{door}; {door_cookie}");
    let res = app.post_as(&at_other, &path, &[]).await;
    assert!(res.text().await.unwrap().contains("不属于本机正在签到的活动"));
    assert_eq!(checked_in(&app).await, 0);
    // At the right door: the GET shows the masked name and the button, and changes nothing.
    let res = app.post_as(&door, &format!("/admin/events/{e}/door"), &[("ticket", &token)]).await;
    assert_eq!(res.headers()["location"], path);
    let door_cookie = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let at_e = format!("{door}; {door_cookie}");
    for _ in 0..2 {
        let html = app.get_as(&at_e, &path).await.text().await.unwrap();
        assert!(html.contains("张*") && html.contains("入场券有效"));
        assert!(!html.contains("张三"), "the name is masked");
    }
    assert_eq!(checked_in(&app).await, 0, "a GET checks nobody in");
    // The replaced ticket is refused; two check-ins at once: one wins.
    assert_eq!(app.post_as(&at_e, &format!("/admin/events/ticket/{old}"), &[]).await.status(), 404);
    let url = format!("{}{path}", app.base);
    let (a, b) = tokio::join!(
        app.http.post(&url).header("cookie", &at_e).header("origin", &app.base).send(),
        app.http.post(&url).header("cookie", &at_e).header("origin", &app.base).send()
    );
    let texts = [a.unwrap().text().await.unwrap(), b.unwrap().text().await.unwrap()];
    assert_eq!(texts.iter().filter(|t| t.contains("签到成功")).count(), 1);
    assert_eq!(texts.iter().filter(|t| t.contains("不能重复签到")).count(), 1);
    assert_eq!(checked_in(&app).await, 1);
    // Replaying the spent token says so, and changes nothing.
    let html = app.post_as(&at_e, &path, &[]).await.text().await.unwrap();
    assert!(html.contains("不能重复签到"));
    assert_eq!(checked_in(&app).await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'event_check_in' AND outcome = 'ok'").await, 1);
    // A checked-in member cannot cancel; a guessed token is not found.
    let res = app.post_as(&cookies[0], &format!("/events/{e}/cancel"), &[]).await;
    assert!(res.text().await.unwrap().contains("不能取消"));
    assert_eq!(app.get_as(&at_e, &format!("/admin/events/ticket/{}", ejia::server::crypto::random_token())).await.status(), 404);
    // A cancelled sign-up's ticket is refused.
    let t1 = ticket(&app, &cookies[1], e).await;
    assert_eq!(app.post_as(&cookies[1], &format!("/events/{e}/cancel"), &[]).await.status(), 303);
    let html = app.post_as(&at_e, &format!("/admin/events/ticket/{t1}"), &[]).await.text().await.unwrap();
    assert!(html.contains("入场券无效"));
    assert_eq!(checked_in(&app).await, 1);
    // Figures: 2 confirmed (ids[0] and ids[2] who moved up), 1 checked in, 50%.
    let html = app.get_as(&door, &format!("/admin/events/{e}")).await.text().await.unwrap();
    assert!(html.contains(r#"data-figure="confirmed">2<"#), "{html}");
    assert!(html.contains(r#"data-figure="checked_in">1<"#));
    assert!(html.contains(r#"data-figure="rate">50.0%<"#));
    app.clock.advance(11 * 86_400);
    let door = app.login("door").await; // the session timed out meanwhile
    let html = app.get_as(&door, &format!("/admin/events/{e}")).await.text().await.unwrap();
    assert!(html.contains(r#"data-figure="no_shows">1<"#));
});

on_both_databases!(admin_of_another_county_gets_not_found_and_an_audit_row, |app: TestApp| async move {
    let manager = county_manager(&app).await;
    let e = event(&app, &manager, 2, "subtree").await;
    let m = members(&app, 1, "340302").await[0];
    let c = session(&app, m).await;
    sign_up(&app, &c, e).await;
    let token = ticket(&app, &c, e).await;
    app.admin("340303", "manager", "bs_manager").await;
    let other = app.login("bs_manager").await;
    let before = app.count("SELECT COUNT(*) FROM audit_log WHERE outcome = 'not_found'").await;
    assert_eq!(app.get_as(&other, &format!("/admin/events/{e}")).await.status(), 404);
    assert_eq!(app.post_as(&other, &format!("/admin/events/{e}/door"), &[]).await.status(), 404);
    assert_eq!(app.get_as(&other, &format!("/admin/events/ticket/{token}")).await.status(), 404);
    assert_eq!(app.post_as(&other, &format!("/admin/events/ticket/{token}"), &[]).await.status(), 404);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE outcome = 'not_found'").await, before + 4);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM audit_log WHERE target = 'event:{e}' AND outcome = 'not_found'")).await, 4);
    assert_eq!(checked_in(&app).await, 0);
    // Their list does not show it; the city admin's does; a leader may look but not check in.
    assert!(!app.get_as(&other, "/admin/events").await.text().await.unwrap().contains("货车司机安全驾驶培训"));
    app.admin("340300", "city_admin", "city").await;
    let city = app.login("city").await;
    assert!(app.get_as(&city, "/admin/events").await.text().await.unwrap().contains("货车司机安全驾驶培训"));
    app.admin("340302", "leader", "lzh_leader").await;
    let leader = app.login("lzh_leader").await;
    assert_eq!(app.get_as(&leader, &format!("/admin/events/{e}")).await.status(), 200);
    assert_eq!(app.get_as(&leader, &format!("/admin/events/ticket/{token}")).await.status(), 404);
    // Creating an event for a union outside the subtree is refused; a reviewer may not create.
    let bs = app.union_id("340302").await.to_string();
    let res = app.post_as(&other, "/admin/events", &[("org", &bs), ("kind", "event"), ("title", "x")]).await;
    assert_eq!(res.status(), 200);
    app.admin("340302", "reviewer", "lzh_reviewer").await;
    let reviewer = app.login("lzh_reviewer").await;
    assert_eq!(app.post_as(&reviewer, "/admin/events", &[("kind", "event")]).await.status(), 404);
    assert_eq!(app.count("SELECT COUNT(*) FROM events WHERE created_by IS NOT NULL").await, 1);
});
