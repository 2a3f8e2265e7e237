//! Redeeming benefits over HTTP, on SQLite and PostgreSQL: redemption codes forged, expired,
//! replayed, confirmed twice at once, at another merchant, guessed; a QR link's GET writes
//! nothing; wrong digits limited; reversal by whom and audited; merchant staff reach no manager
//! action and a merchant session no /admin route; stored states parsed, not guessed; one coupon
//! read on its own; the worker's sweep of dead codes.
mod common;

use common::benefit::*;
use common::*;
use ejia::server::crypto::random_token;

on_both_databases!(redemption_codes_forged_expired_replayed_and_elsewhere, |app: TestApp| async move {
    let s = setup(&app).await;
    let c = campaign(&app, &s, &[s.fuel], 10, 3, &[]).await;
    let m = members(&app, 1, "340302", None, wednesday_10am()).await[0];
    let cookie = session(&app, m).await;
    for _ in 0..3 {
        assert_eq!(claim(&app, &cookie, c).await.status(), 303);
    }
    let coupons: Vec<i64> = sqlx::query_scalar("SELECT id FROM coupons ORDER BY id").fetch_all(&app.state.db.pool).await.unwrap();
    // Only MACs are stored.
    let (digits, _) = show_code(&app, &cookie, coupons[0]).await;
    let stored: Vec<(String, String)> =
        sqlx::query_as("SELECT digits_mac, token_mac FROM redeem_codes").fetch_all(&app.state.db.pool).await.unwrap();
    assert!(stored.iter().all(|(d, t)| !d.contains(&digits) && t.len() == 64));
    // Forged digits: not found. Another merchant (not in the campaign): the very same answer.
    assert!(look_up(&app, &s.fuel_staff, "00000000").await.contains(NOT_FOUND));
    let elsewhere = look_up(&app, &s.food_staff, &digits).await;
    assert!(elsewhere.contains(NOT_FOUND) && !elsewhere.contains("张"));
    assert_eq!(confirm(&app, &s.food_staff, &digits).await.status(), 200);
    assert_eq!(app.count("SELECT COUNT(*) FROM redemptions").await, 0);
    // The right merchant sees the campaign and the masked name only.
    let page = look_up(&app, &s.fuel_staff, &digits).await;
    let phone: String = sqlx::query_scalar("SELECT a.phone FROM members m JOIN applications a ON a.id = m.application_id WHERE m.id = $1")
        .bind(m)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert!(page.contains("加油满200减20") && page.contains("张*") && !page.contains("张三") && !page.contains(&phone));
    // A new code replaces the old one.
    let (digits2, _) = show_code(&app, &cookie, coupons[0]).await;
    assert!(look_up(&app, &s.fuel_staff, &digits).await.contains(NOT_FOUND) || digits == digits2);
    // Confirmed once: the second confirm (a replay) is refused, and nothing changes.
    let res = confirm(&app, &s.fuel_staff, &digits2).await;
    assert_eq!(res.status(), 303);
    let landed = res.headers()["location"].to_str().unwrap().to_string();
    let done = app.get_as(&s.fuel_staff, &landed).await.text().await.unwrap();
    assert!(done.contains("核销成功"), "the till is told it went through: {done}");
    let again = confirm(&app, &s.fuel_staff, &digits2).await.text().await.unwrap();
    assert!(again.contains(NOT_FOUND));
    assert_eq!(app.count("SELECT COUNT(*) FROM redemptions").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'redeem' AND outcome = 'ok'").await, 1);
    // A used coupon gets no new code.
    let page = app.post_as(&cookie, &format!("/me/benefits/coupons/{}/code", coupons[0]), &[]).await.text().await.unwrap();
    assert!(!page.contains("data-digits"));
    // Expired: five minutes later the code answers "expired".
    let (digits3, _) = show_code(&app, &cookie, coupons[1]).await;
    app.clock.advance(5 * 60 + 1);
    assert!(look_up(&app, &s.fuel_staff, &digits3).await.contains("已过期"));
    assert_eq!(confirm(&app, &s.fuel_staff, &digits3).await.status(), 200);
    // Two confirms at once: exactly one wins.
    let (digits4, _) = show_code(&app, &cookie, coupons[2]).await;
    let (a, b) = tokio::join!(confirm(&app, &s.fuel_staff, &digits4), confirm(&app, &s.fuel_manager, &digits4));
    assert_eq!([a.status().as_u16(), b.status().as_u16()].iter().filter(|s| **s == 303).count(), 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM redemptions").await, 2);
    // The member sees it redeemed.
    let mine = app.get_as(&cookie, "/me/benefits").await.text().await.unwrap();
    assert!(mine.contains("已核销"));
});

on_both_databases!(wrong_digits_are_limited, |app: TestApp| async move {
    let s = setup(&app).await;
    let c = campaign(&app, &s, &[s.fuel], 10, 1, &[]).await;
    let m = members(&app, 1, "340302", None, wednesday_10am()).await[0];
    let cookie = session(&app, m).await;
    claim(&app, &cookie, c).await;
    let (digits, _) = show_code(&app, &cookie, coupon_of(&app, m, c).await).await;
    for k in 0..10 {
        let wrong = format!("{:08}", 10_000_000 + k);
        assert!(look_up(&app, &s.fuel_staff, &wrong).await.contains(NOT_FOUND));
    }
    // Now even the right code waits, for this staff account.
    assert!(look_up(&app, &s.fuel_staff, &digits).await.contains("错误次数过多"));
    assert_eq!(confirm(&app, &s.fuel_staff, &digits).await.status(), 200);
    assert_eq!(app.count("SELECT COUNT(*) FROM redemptions").await, 0);
    // Ten minutes on, typing works again.
    app.clock.advance(4 * 60);
    let (digits, _) = show_code(&app, &cookie, coupon_of(&app, m, c).await).await;
    app.clock.advance(6 * 60 + 1);
    assert!(!look_up(&app, &s.fuel_staff, &digits).await.contains("错误次数过多"));
});

on_both_databases!(opening_a_qr_link_writes_nothing, |app: TestApp| async move {
    let s = setup(&app).await;
    let c = campaign(&app, &s, &[s.fuel], 10, 1, &[]).await;
    let m = members(&app, 1, "340302", None, wednesday_10am()).await[0];
    let cookie = session(&app, m).await;
    assert_eq!(claim(&app, &cookie, c).await.status(), 303);
    let coupon = coupon_of(&app, m, c).await;
    // The code as the member's page makes it (the token is only in the QR's SVG).
    let code = ejia::benefit::redeem::new_code(&app.state, m, coupon).await.unwrap().expect("a code");
    let audit = || app.count("SELECT COUNT(*) FROM audit_log");
    let audit_before = audit().await;
    // A camera, a link preview or a guesser opens 40 bogus links: each a neutral answer.
    for k in 0..40 {
        let t = if k % 4 == 3 { "short".to_string() } else { random_token() };
        let res = app.get_as(&s.fuel_staff, &format!("/merchant/redeem?t={t}")).await;
        assert_eq!(res.status(), 200);
        assert!(res.text().await.unwrap().contains(NOT_FOUND), "a bogus token is not valid");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM redeem_failures").await, 0, "a GET counts no wrong code");
    assert_eq!(audit().await, audit_before, "a GET writes no audit row");
    // The till is not stopped: the typed digits of the real code still look up.
    let page = look_up(&app, &s.fuel_staff, &code.digits).await;
    assert!(page.contains("加油满200减20") && !page.contains("错误次数过多"), "{page}");
    // The real link shows the coupon to confirm, as often as it is opened, and redeems nothing.
    let link = format!("/merchant/redeem?t={}", code.token);
    for _ in 0..3 {
        let res = app.get_as(&s.fuel_staff, &link).await;
        assert_eq!(res.headers()["cache-control"], "no-store");
        let page = res.text().await.unwrap();
        assert!(page.contains("加油满200减20") && page.contains("张*"), "{page}");
        assert!(page.contains(&format!("value=\"t:{}\"", code.token)), "the confirm form carries the code");
    }
    // At another merchant the real link does not exist, and nothing is written there either.
    assert!(app.get_as(&s.food_staff, &link).await.text().await.unwrap().contains(NOT_FOUND));
    assert_eq!(app.count("SELECT COUNT(*) FROM redeem_failures").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM redemptions").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM redeem_codes").await, 1, "the code is still live");
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM coupons WHERE id = {coupon} AND status = 'unused'")).await, 1);
    assert_eq!(audit().await, audit_before);
    // Redeeming takes the confirm POST; a forged token posted there does count.
    let res = app.post_as(&s.fuel_staff, "/merchant/redeem", &[("code", &format!("t:{}", random_token()))]).await;
    assert!(res.text().await.unwrap().contains(NOT_FOUND));
    assert_eq!(app.count("SELECT COUNT(*) FROM redeem_failures").await, 1, "the confirm POST counts a wrong code");
    let res = app.post_as(&s.fuel_staff, "/merchant/redeem", &[("code", &format!("t:{}", code.token))]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.count("SELECT COUNT(*) FROM redemptions").await, 1);
    // Opened again afterwards, the link is simply not valid.
    assert!(app.get_as(&s.fuel_staff, &link).await.text().await.unwrap().contains(NOT_FOUND));
});

on_both_databases!(merchant_staff_reach_no_manager_action, |app: TestApp| async move {
    let s = setup(&app).await;
    let c = campaign(&app, &s, &[s.fuel], 10, 1, &[]).await;
    let m = members(&app, 1, "340302", None, wednesday_10am()).await[0];
    let cookie = session(&app, m).await;
    claim(&app, &cookie, c).await;
    let coupon = coupon_of(&app, m, c).await;
    let (digits, _) = show_code(&app, &cookie, coupon).await;
    assert_eq!(confirm(&app, &s.fuel_staff, &digits).await.status(), 303);
    let r = app.count("SELECT id FROM redemptions").await;
    let reverse = format!("/merchant/redemptions/{r}/reverse");
    let admins = || app.count("SELECT COUNT(*) FROM admins");
    let before = admins().await;
    // A staff account: adding staff and reversing do not exist for it; nothing changes.
    let res = app.post_as(&s.fuel_staff, "/merchant/staff", &[("username", "fuel_staff2"), ("password", "fuel_staff2-password")]).await;
    assert_eq!(res.status(), 404);
    assert_eq!(app.post_as(&s.fuel_staff, &reverse, &[("reason", "误操作")]).await.status(), 404);
    assert_eq!(admins().await, before, "no account added");
    assert_eq!(app.count("SELECT COUNT(*) FROM redemptions WHERE reversed_at IS NOT NULL").await, 0);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM coupons WHERE id = {coupon} AND status = 'redeemed'")).await, 1);
    let refused = "SELECT COUNT(*) FROM audit_log WHERE action = 'access' AND outcome = 'refused' AND detail = 'merchant_manager'";
    assert_eq!(app.count(refused).await, 2, "both refusals at the door, audited");
    // Nor does the staff's desk offer them.
    let desk = app.get_as(&s.fuel_staff, "/merchant").await.text().await.unwrap();
    assert!(!desk.contains("/merchant/staff") && !desk.contains("/reverse"));
    // The manager can do both.
    let res = app.post_as(&s.fuel_manager, "/merchant/staff", &[("username", "fuel_staff2"), ("password", "fuel_staff2-password")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(admins().await, before + 1);
    let roles: String =
        sqlx::query_scalar("SELECT roles FROM admins WHERE username = 'fuel_staff2'").fetch_one(&app.state.db.pool).await.unwrap();
    assert!(roles.contains("merchant_staff") && !roles.contains("merchant_manager"), "a manager adds staff, not managers: {roles}");
    assert_eq!(app.post_as(&s.fuel_manager, &reverse, &[("reason", "误操作")]).await.status(), 303);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM coupons WHERE id = {coupon} AND status = 'unused'")).await, 1);
});

on_both_databases!(reversal_by_manager_or_city_admin_with_reason_audited, |app: TestApp| async move {
    let s = setup(&app).await;
    let c = campaign(&app, &s, &[s.fuel, s.food], 10, 2, &[]).await;
    let m = members(&app, 1, "340302", None, wednesday_10am()).await[0];
    let cookie = session(&app, m).await;
    claim(&app, &cookie, c).await;
    let coupon = coupon_of(&app, m, c).await;
    let (digits, _) = show_code(&app, &cookie, coupon).await;
    assert_eq!(confirm(&app, &s.fuel_staff, &digits).await.status(), 303);
    let r = app.count("SELECT id FROM redemptions").await;
    let path = format!("/merchant/redemptions/{r}/reverse");
    // Staff may not; another merchant's account finds nothing; a manager needs a reason.
    assert_eq!(app.post_as(&s.fuel_staff, &path, &[("reason", "误操作")]).await.status(), 404);
    assert_eq!(app.post_as(&s.food_staff, &path, &[("reason", "误操作")]).await.status(), 404);
    assert!(app.post_as(&s.fuel_manager, &path, &[("reason", " ")]).await.text().await.unwrap().contains("须填写原因"));
    assert_eq!(app.post_as(&s.fuel_manager, &path, &[("reason", "误操作")]).await.status(), 303);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM coupons WHERE id = {coupon} AND status = 'unused'")).await, 1);
    // Twice is refused.
    assert_eq!(app.post_as(&s.fuel_manager, &path, &[("reason", "误操作")]).await.status(), 404);
    // Redeemed again, then reversed by the city admin.
    let (digits, _) = show_code(&app, &cookie, coupon).await;
    assert_eq!(confirm(&app, &s.fuel_staff, &digits).await.status(), 303);
    let r2 = app.count("SELECT MAX(id) FROM redemptions").await;
    let res = app.post_as(&s.city, &format!("/admin/benefits/redemptions/{r2}/reverse"), &[("reason", "会员投诉")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'redeem_reverse' AND outcome = 'ok'").await, 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'redeem_reverse' AND outcome = 'not_found'").await, 1);
    assert!(ejia::server::audit::verify(&app.state).await.unwrap().is_ok());
});

on_both_databases!(reversal_goes_back_to_its_own_campaign_whatever_the_form_says, |app: TestApp| async move {
    let s = setup(&app).await;
    let c = campaign(&app, &s, &[s.fuel], 10, 1, &[]).await;
    let other = campaign(&app, &s, &[s.fuel], 10, 1, &[("title", "洗车八折")]).await;
    let m = members(&app, 1, "340302", None, wednesday_10am()).await[0];
    let cookie = session(&app, m).await;
    claim(&app, &cookie, c).await;
    let coupon = coupon_of(&app, m, c).await;
    // The campaign page's reversal form names no campaign.
    let (digits, _) = show_code(&app, &cookie, coupon).await;
    assert_eq!(confirm(&app, &s.fuel_staff, &digits).await.status(), 303);
    let page = app.get_as(&s.city, &format!("/admin/benefits/{c}")).await.text().await.unwrap();
    assert!(page.contains("/reverse\"") && !page.contains("name=\"campaign\""), "no campaign field in the form");
    let landing = format!("/admin/benefits/{c}?done=reversed");
    // A forged campaign field, another campaign's id, a junk one, or none: the redemption's own.
    for forged in [Some(other.to_string()), Some("x".to_string()), None] {
        let r = app.count("SELECT MAX(id) FROM redemptions").await;
        let path = format!("/admin/benefits/redemptions/{r}/reverse");
        // Without a reason: the redemption's campaign page again, with the reason asked for.
        let mut fields = vec![("reason", " ")];
        if let Some(f) = &forged {
            fields.push(("campaign", f.as_str()));
        }
        let page = app.post_as(&s.city, &path, &fields).await.text().await.unwrap();
        assert!(page.contains("须填写原因") && page.contains("加油满200减20") && !page.contains("洗车八折"), "{page}");
        fields[0] = ("reason", "会员投诉");
        let res = app.post_as(&s.city, &path, &fields).await;
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()["location"], landing.as_str(), "forged: {forged:?}");
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM redemptions WHERE id = {r} AND reversed_at IS NOT NULL")).await, 1);
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM coupons WHERE id = {coupon} AND status = 'unused'")).await, 1);
        // Redeemed again for the next round.
        let (digits, _) = show_code(&app, &cookie, coupon).await;
        assert_eq!(confirm(&app, &s.fuel_staff, &digits).await.status(), 303);
    }
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM redemptions WHERE campaign_id = {other}")).await, 0);
});

on_both_databases!(unknown_stored_status_or_kind_is_an_error_not_a_guess, |app: TestApp| async move {
    let s = setup(&app).await;
    let c = campaign(&app, &s, &[s.fuel], 10, 1, &[]).await;
    let m = members(&app, 1, "340302", None, wednesday_10am()).await[0];
    let cookie = session(&app, m).await;
    claim(&app, &cookie, c).await;
    let coupon = coupon_of(&app, m, c).await;
    let (digits, _) = show_code(&app, &cookie, coupon).await;
    let pool = app.state.db.pool.clone();
    let set = move |sql: String| {
        let pool = pool.clone();
        async move { sqlx::query(&sql).execute(&pool).await.unwrap() }
    };
    // A kind the code does not know (a bad row, a newer version's value): the till shows no
    // guessed coupon and redeems nothing.
    set(format!("UPDATE campaigns SET kind = 'lottery' WHERE id = {c}")).await;
    let res = app.post_as(&s.fuel_staff, "/merchant/redeem", &[("digits", &digits)]).await;
    assert_eq!(res.status(), 500);
    assert!(!res.text().await.unwrap().contains("加油满200减20"));
    assert_eq!(confirm(&app, &s.fuel_staff, &digits).await.status(), 500);
    set(format!("UPDATE campaigns SET kind = 'coupon' WHERE id = {c}")).await;
    // A status it does not know: an error too, at the till and on the member's page.
    set(format!("UPDATE coupons SET status = 'lost' WHERE id = {coupon}")).await;
    assert_eq!(app.post_as(&s.fuel_staff, "/merchant/redeem", &[("digits", &digits)]).await.status(), 500);
    assert_eq!(confirm(&app, &s.fuel_staff, &digits).await.status(), 500);
    assert_eq!(app.get_as(&cookie, &format!("/me/benefits/coupons/{coupon}")).await.status(), 500);
    assert_eq!(app.count("SELECT COUNT(*) FROM redemptions").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM redeem_failures").await, 0, "an error is not a wrong code");
    // Set right again, the same code works.
    set(format!("UPDATE coupons SET status = 'unused' WHERE id = {coupon}")).await;
    assert_eq!(confirm(&app, &s.fuel_staff, &digits).await.status(), 303);
});

on_both_databases!(a_coupon_is_read_on_its_own_however_many_the_member_holds, |app: TestApp| async move {
    let s = setup(&app).await;
    let c = campaign(&app, &s, &[s.fuel], 1000, 1, &[]).await;
    let ids = members(&app, 2, "340302", None, wednesday_10am()).await;
    let (m, other) = (ids[0], ids[1]);
    let cookie = session(&app, m).await;
    assert_eq!(claim(&app, &cookie, c).await.status(), 303);
    let oldest = coupon_of(&app, m, c).await;
    // 250 newer coupons (welcome packs over the years, say): more than the list shows.
    for _ in 0..250 {
        sqlx::query(
            "INSERT INTO coupons (campaign_id, member_id, welcome, status, claimed_at, claim_day) VALUES ($1, $2, 0, 'redeemed', $3, 0)",
        )
        .bind(c)
        .bind(m)
        .bind(wednesday_10am())
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    }
    // The oldest coupon still opens and still makes a code.
    let res = app.get_as(&cookie, &format!("/me/benefits/coupons/{oldest}")).await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("加油满200减20"));
    let (digits, _) = show_code(&app, &cookie, oldest).await;
    assert_eq!(confirm(&app, &s.fuel_staff, &digits).await.status(), 303);
    // Another member's coupon does not exist for them, by page or by code.
    let theirs = session(&app, other).await;
    assert_eq!(app.get_as(&theirs, &format!("/me/benefits/coupons/{oldest}")).await.status(), 404);
    assert_eq!(app.post_as(&theirs, &format!("/me/benefits/coupons/{oldest}/code"), &[]).await.status(), 404);
    assert_eq!(app.get_as(&cookie, "/me/benefits/coupons/999999").await.status(), 404);
});

/// Every /admin route the router names, with a sample id.
fn admin_routes() -> Vec<(String, bool, bool)> {
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/site/router.rs")).unwrap();
    let mut routes = Vec::new();
    for piece in source.split(".route(").skip(1) {
        let Some(path) = piece.trim_start().strip_prefix('"').and_then(|p| p.split('"').next()) else { continue };
        if !path.starts_with("/admin") || path == "/admin/login" || path == "/admin/logout" {
            continue;
        }
        let body = piece.split(".route(").next().unwrap();
        let get = body.contains("get(");
        let post = body.contains("post(");
        let path = path.split('/').map(|seg| if seg.starts_with('{') { "1" } else { seg }).collect::<Vec<_>>().join("/");
        routes.push((path, get, post));
    }
    routes
}

on_both_databases!(merchant_session_is_refused_by_every_admin_route, |app: TestApp| async move {
    let s = setup(&app).await;
    let c = campaign(&app, &s, &[s.fuel], 10, 1, &[]).await;
    assert!(c > 0);
    let snapshot = || async {
        let mut counts = Vec::new();
        for table in [
            "admins",
            "merchants",
            "partners",
            "campaigns",
            "coupons",
            "redemptions",
            "applications",
            "members",
            "transfers",
            "export_jobs",
            "import_batches",
            "calendar_overrides",
            "chases",
            "sessions",
        ] {
            counts.push(app.count(&format!("SELECT COUNT(*) FROM {table}")).await);
        }
        counts.push(app.count("SELECT COUNT(*) FROM admins WHERE disabled = 1").await);
        counts
    };
    let before = snapshot().await;
    let routes = admin_routes();
    assert!(routes.len() > 40, "the router's /admin routes were read");
    for cookie in [&s.fuel_staff, &s.fuel_manager] {
        for (path, get, post) in &routes {
            if *get {
                let res = app.get_as(cookie, path).await;
                assert_eq!(res.status(), 404, "GET {path}");
            }
            if *post {
                let res = app.post_as(cookie, path, &[("action", "approve"), ("reason", "x"), ("name", "x"), ("merchant", "1")]).await;
                assert_eq!(res.status(), 404, "POST {path}");
            }
        }
    }
    assert_eq!(snapshot().await, before, "nothing changed");
    // And a union admin reaches no merchant screen.
    assert_eq!(app.get_as(&s.city, "/merchant/redeem").await.status(), 404);
    assert_eq!(app.get_as(&s.city, "/merchant").await.status(), 404);
    // Without a session the merchant desk asks to sign in.
    assert_eq!(app.get("/merchant/redeem").await.headers()["location"], "/admin/login?next=/merchant/redeem");
});

on_both_databases!(worker_tick_sweeps_dead_codes_and_old_wrong_codes, |app: TestApp| async move {
    use ejia::benefit::welcome::tick;
    let s = setup(&app).await;
    let c = campaign(&app, &s, &[s.fuel], 10, 1, &[]).await;
    let ids = members(&app, 2, "340302", None, wednesday_10am()).await;
    let (stays, leaves) = (ids[0], ids[1]);
    let mut codes = Vec::new();
    for m in [stays, leaves] {
        assert_eq!(claim(&app, &session(&app, m).await, c).await.status(), 303);
        codes.push(ejia::benefit::redeem::new_code(&app.state, m, coupon_of(&app, m, c).await).await.unwrap().expect("a code"));
    }
    for k in 0..3 {
        assert!(look_up(&app, &s.fuel_staff, &format!("{:08}", 20_000_000 + k)).await.contains(NOT_FOUND));
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM redeem_failures").await, 3);
    sqlx::query("UPDATE members SET left_at = $1 WHERE id = $2")
        .bind(wednesday_10am())
        .bind(leaves)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let app_ref = &app;
    let codes_of = move |m: i64| {
        let sql = format!("SELECT COUNT(*) FROM redeem_codes rc JOIN coupons k ON k.id = rc.coupon_id WHERE k.member_id = {m}");
        async move { app_ref.count(&sql).await }
    };
    // Now: the leaver's code goes; the live code and the fresh wrong codes stay.
    let (granted, swept) = tick(&app.state).await;
    assert_eq!(granted.unwrap(), 0);
    let swept = swept.unwrap();
    assert_eq!((swept.expired_codes, swept.codes_of_leavers, swept.failures), (0, 1, 0));
    assert_eq!((codes_of(stays).await, codes_of(leaves).await), (1, 0));
    assert_eq!(app.count("SELECT COUNT(*) FROM redeem_failures").await, 3);
    // Five minutes on the live code has expired and goes; one more wrong code is typed.
    app.clock.advance(5 * 60 + 1);
    assert!(look_up(&app, &s.fuel_staff, "29999999").await.contains(NOT_FOUND));
    tick(&app.state).await.1.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM redeem_codes").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM redeem_failures").await, 4, "inside the window they still count");
    // Past the window the first three go; the later one, still counted, stays.
    app.clock.advance(5 * 60);
    let swept = tick(&app.state).await.1.unwrap();
    assert_eq!(swept.failures, 3);
    assert_eq!(app.count("SELECT COUNT(*) FROM redeem_failures").await, 1);
    assert!(look_up(&app, &s.fuel_staff, &codes[0].digits).await.contains(NOT_FOUND), "an expired, swept code is not valid");
});
