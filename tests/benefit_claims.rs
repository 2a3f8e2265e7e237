//! Claiming benefits over HTTP, on SQLite and PostgreSQL: stock exact under 1,000 concurrent
//! claims (and with two instances on one PostgreSQL), the per-member limit, the window, the
//! targets (subtree, occupation, new members), no claim without a session, a withdrawn member's
//! coupons void; the welcome pack granted once with one SMS; figures and their export.
mod common;

use common::benefit::*;
use common::*;
use ejia::server::sms::Template;

on_both_databases!(thousand_claims_on_stock_100_give_exactly_100, |app: TestApp| async move {
    let s = setup(&app).await;
    let c = campaign(&app, &s, &[s.fuel], 100, 1, &[]).await;
    let ids = members(&app, 1000, "340302", Some("货车司机"), wednesday_10am() - 86_400).await;
    let mut cookies = Vec::new();
    for id in &ids {
        cookies.push(session(&app, *id).await);
    }
    let started = std::time::Instant::now();
    let mut tasks = Vec::new();
    for cookie in cookies {
        let (http, base) = (app.http.clone(), app.base.clone());
        tasks.push(tokio::spawn(async move {
            let res =
                http.post(format!("{base}/me/benefits/{c}/claim")).header("cookie", cookie).header("origin", &base).send().await.unwrap();
            res.status().as_u16()
        }));
    }
    let mut redirected = 0;
    for t in tasks {
        let status = t.await.unwrap();
        assert!(status == 303 || status == 200, "a claim is answered, never 'busy': {status}");
        redirected += (status == 303) as i64;
    }
    eprintln!("1000 claims in {:?}", started.elapsed());
    assert_eq!(redirected, 100, "exactly 100 claims succeed");
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM coupons WHERE campaign_id = {c}")).await, 100);
    assert_eq!(app.count(&format!("SELECT claimed FROM campaigns WHERE id = {c}")).await, 100);
    // A late claim is told it is sold out, in Chinese.
    let late = session(&app, members(&app, 1, "340302", None, wednesday_10am()).await[0]).await;
    let page = claim(&app, &late, c).await.text().await.unwrap();
    assert!(page.contains("已领完"), "sold out answer");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_give_exactly_100() {
    let app = spawn_app(ejia::server::db::Backend::Postgres).await;
    let second = spawn_second_instance(&app).await;
    let s = setup(&app).await;
    let c = campaign(&app, &s, &[s.fuel], 100, 1, &[]).await;
    let ids = members(&app, 1000, "340302", None, wednesday_10am()).await;
    let mut tasks = Vec::new();
    for (k, id) in ids.iter().enumerate() {
        let cookie = session(&app, *id).await;
        let base = if k % 2 == 0 { app.base.clone() } else { second.base.clone() };
        let http = app.http.clone();
        tasks.push(tokio::spawn(async move {
            http.post(format!("{base}/me/benefits/{c}/claim"))
                .header("cookie", cookie)
                .header("origin", &base)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let status = t.await.unwrap();
        assert!(status == 303 || status == 200, "a claim is answered, never 'busy': {status}");
        ok += (status == 303) as i64;
    }
    assert_eq!(ok, 100);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM coupons WHERE campaign_id = {c}")).await, 100);
}

on_both_databases!(limit_window_and_targets, |app: TestApp| async move {
    let s = setup(&app).await;
    let now = wednesday_10am();
    let m = members(&app, 1, "340302-DF", Some("货车司机"), now - 3 * 86_400).await[0];
    let cookie = session(&app, m).await;
    // Two per member: a third is refused with the reason; two at once never make a third.
    let c = campaign(&app, &s, &[s.fuel], 50, 2, &[]).await;
    let (a, b) = tokio::join!(claim(&app, &cookie, c), claim(&app, &cookie, c));
    assert_eq!((a.status(), b.status()), (reqwest::StatusCode::SEE_OTHER, reqwest::StatusCode::SEE_OTHER));
    let third = claim(&app, &cookie, c).await;
    assert_eq!(third.status(), 200);
    assert!(third.text().await.unwrap().contains("每人限领"), "over the limit, said in Chinese");
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM coupons WHERE member_id = {m}")).await, 2);
    // Outside the window.
    let later = campaign(&app, &s, &[s.fuel], 50, 1, &[("claim_from", "2026-11-26")]).await;
    assert!(claim(&app, &cookie, later).await.text().await.unwrap().contains("不在领取时间内"));
    // Targets: the member's union inside the subtree (龙子湖区 holds 东风街道), not another county.
    let in_county = app.union_id("340302").await.to_string();
    let other_county = app.union_id("340303").await.to_string();
    let inside = campaign(&app, &s, &[s.fuel], 50, 1, &[("target_org", &in_county)]).await;
    let outside = campaign(&app, &s, &[s.fuel], 50, 1, &[("target_org", &other_county)]).await;
    assert_eq!(claim(&app, &cookie, inside).await.status(), 303);
    assert!(claim(&app, &cookie, outside).await.text().await.unwrap().contains("不在该活动的发放范围内"));
    // Occupation.
    let drivers = campaign(&app, &s, &[s.fuel], 50, 1, &[("occupation", "货车司机")]).await;
    let couriers = campaign(&app, &s, &[s.fuel], 50, 1, &[("occupation", "快递员")]).await;
    assert_eq!(claim(&app, &cookie, drivers).await.status(), 303);
    assert_eq!(claim(&app, &cookie, couriers).await.status(), 200);
    // New members of the last 7 days: joined 3 days ago yes; one who joined 30 days ago no.
    let fresh = campaign(&app, &s, &[s.fuel], 50, 1, &[("new_member_days", "7")]).await;
    assert_eq!(claim(&app, &cookie, fresh).await.status(), 303);
    let old = session(&app, members(&app, 1, "340302-DF", None, now - 30 * 86_400).await[0]).await;
    assert!(claim(&app, &old, fresh).await.text().await.unwrap().contains("不在该活动的发放范围内"));
    // The list shows only what is open to the member.
    let page = app.get_as(&old, "/me/benefits").await.text().await.unwrap();
    assert!(page.contains(&format!("data-campaign=\"{c}\"")) && !page.contains(&format!("data-campaign=\"{fresh}\"")));
});

on_both_databases!(no_session_no_claim, |app: TestApp| async move {
    let s = setup(&app).await;
    let c = campaign(&app, &s, &[s.fuel], 10, 1, &[]).await;
    let res = app.get("/me/benefits").await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/me/login?next=/me/benefits");
    let res = app.post_form(&format!("/me/benefits/{c}/claim"), &[]).await;
    assert_eq!(res.status(), 404);
    let forged = claim(&app, "ejia_member=AAAAAAAAAAAAAAAAAAAAAA", c).await;
    assert_eq!(forged.status(), 404);
    // An admin's session is not a member's.
    assert_eq!(claim(&app, &s.city, c).await.status(), 404);
    assert_eq!(app.count("SELECT COUNT(*) FROM coupons").await, 0);
});

on_both_databases!(withdrawn_member_cannot_claim_and_coupons_are_void, |app: TestApp| async move {
    let s = setup(&app).await;
    let c = campaign(&app, &s, &[s.fuel], 10, 2, &[]).await;
    let m = members(&app, 1, "340302", None, wednesday_10am()).await[0];
    let cookie = session(&app, m).await;
    assert_eq!(claim(&app, &cookie, c).await.status(), 303);
    let coupon = coupon_of(&app, m, c).await;
    let (digits, _) = show_code(&app, &cookie, coupon).await;
    sqlx::query("UPDATE members SET left_at = $1 WHERE id = $2").bind(wednesday_10am()).bind(m).execute(&app.state.db.pool).await.unwrap();
    // The code shown before leaving no longer redeems.
    assert!(look_up(&app, &s.fuel_staff, &digits).await.contains("该券不可核销"));
    assert_eq!(confirm(&app, &s.fuel_staff, &digits).await.status(), 200);
    assert_eq!(app.count("SELECT COUNT(*) FROM redemptions").await, 0);
    // Signed in or not, no claim; the coupon reads void (if the session still lives).
    let res = claim(&app, &cookie, c).await;
    assert!(res.status() == 404 || res.text().await.unwrap().contains("不在该活动的发放范围内"));
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM coupons WHERE member_id = {m}")).await, 1);
    let page = app.get_as(&cookie, "/me/benefits").await;
    if page.status() == 200 {
        assert!(page.text().await.unwrap().contains("已作废"));
    }
    let view = ejia::benefit::service::mine(&app.state, m).await.unwrap();
    assert_eq!(view.1[0].state, ejia::benefit::CouponState::Void);
});

on_both_databases!(welcome_pack_granted_once_with_one_sms, |app: TestApp| async move {
    let s = setup(&app).await;
    let w = campaign(&app, &s, &[s.food], 100, 1, &[("welcome", "1"), ("kind", "gift_pack"), ("title", "入会礼包")]).await;
    // A member approved through the review screens, after the campaign went live.
    app.clock.advance(10);
    let application = app.application_at("340302-DF", GOOD_ID, "13800000001").await;
    app.admin("340302", "reviewer", "rev").await;
    let rev = app.login("rev").await;
    assert_eq!(app.post_as(&rev, &format!("/admin/a/{application}/decide"), &[("action", "approve")]).await.status(), 303);
    // Inside the undo window nothing is granted.
    assert_eq!(ejia::benefit::welcome::run_once(&app.state).await.unwrap(), 0);
    app.clock.advance(ejia::benefit::welcome::SETTLE_SECS + 1);
    let second = spawn_second_instance(&app).await;
    let (a, b) = tokio::join!(ejia::benefit::welcome::run_once(&app.state), ejia::benefit::welcome::run_once(&second.state));
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(ejia::benefit::welcome::run_once(&app.state).await.unwrap(), 0);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM coupons WHERE campaign_id = {w}")).await, 1);
    assert_eq!(app.count(&format!("SELECT claimed FROM campaigns WHERE id = {w}")).await, 1);
    app.deliver().await;
    let sms = app.sms.messages("13800000001", Template::WelcomePack);
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].params["title"], "入会礼包");
    // A welcome pack is not claimable by hand.
    let m = members(&app, 1, "340302", None, wednesday_10am()).await[0];
    assert!(claim(&app, &session(&app, m).await, w).await.text().await.unwrap().contains("不在该活动的发放范围内"));
});

on_both_databases!(figures_and_export, |app: TestApp| async move {
    let s = setup(&app).await;
    let c = campaign(&app, &s, &[s.fuel, s.food], 20, 1, &[("title", "=HYPERLINK(\"x\")")]).await;
    let ids = members(&app, 3, "340302", None, wednesday_10am()).await;
    for (k, m) in ids.iter().enumerate() {
        let cookie = session(&app, *m).await;
        claim(&app, &cookie, c).await;
        if k < 2 {
            let (digits, _) = show_code(&app, &cookie, coupon_of(&app, *m, c).await).await;
            let staff = if k == 0 { &s.fuel_staff } else { &s.food_staff };
            assert_eq!(confirm(&app, staff, &digits).await.status(), 303);
        }
    }
    let page = app.get_as(&s.city, &format!("/admin/benefits/{c}")).await.text().await.unwrap();
    assert!(
        page.contains("data-figure=\"issued\">20<")
            && page.contains("data-figure=\"claimed\">3<")
            && page.contains("data-figure=\"redeemed\">2<")
    );
    let res = app.get_as(&s.city, &format!("/admin/benefits/{c}/export?format=csv")).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[0], "活动,日期,商户,发放总量,已领取,已核销");
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[1].starts_with("'=HYPERLINK") || lines[1].starts_with("\"'=HYPERLINK"), "formula neutralised: {}", lines[1]);
    assert!(lines[1].ends_with("2026-11-25,,20,3,0"));
    assert!(lines.iter().any(|l| l.ends_with("2026-11-25,中石化蚌埠加油站,20,0,1")));
    assert!(lines.iter().any(|l| l.ends_with("2026-11-25,淮河饭店,20,0,1")));
    // Only the city admin.
    assert_eq!(app.get_as(&s.fuel_manager, &format!("/admin/benefits/{c}/export")).await.status(), 404);
});
