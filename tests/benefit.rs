//! Benefits over HTTP, on SQLite and PostgreSQL: stock exact under 1,000 concurrent claims (and
//! with two instances on one PostgreSQL), the per-member limit, the window, the targets (subtree,
//! occupation, new members), no claim without a session, a withdrawn member's coupons void;
//! redemption codes forged, expired, replayed, confirmed twice at once, at another merchant,
//! guessed; reversal by whom and audited; a merchant session refused by every /admin route; the
//! welcome pack granted once with one SMS; figures and their export.
mod common;

use common::*;
use ejia::server::crypto::random_token;
use ejia::server::sms::Template;

/// Members made directly in the database (approved applications) at the union with
/// `org_code`, with this occupation and joining time; returns their ids.
async fn members(app: &TestApp, n: usize, org_code: &str, occupation: Option<&str>, joined_at: i64) -> Vec<i64> {
    let org = app.union_id(org_code).await;
    ejia::site::bench_claims::members(&app.state, n, org, occupation, joined_at).await.unwrap()
}

/// A live member session for a member (as signing in makes one); returns the Cookie value.
async fn session(app: &TestApp, member_id: i64) -> String {
    ejia::site::bench_claims::session(&app.state, member_id).await.unwrap()
}

/// The city admin, two merchants (a filling station and a restaurant) each with a manager and
/// a staff account.
struct Setup {
    city: String,
    fuel: i64,
    food: i64,
    fuel_staff: String,
    fuel_manager: String,
    food_staff: String,
}

async fn setup(app: &TestApp) -> Setup {
    app.admin("340300", "city_admin", "city").await;
    let city = app.login("city").await;
    for (name, scenario) in [("中石化蚌埠加油站", "fuel"), ("淮河饭店", "catering")] {
        let res = app.post_as(&city, "/admin/benefits/merchants", &[("name", name), ("scenario", scenario), ("partner", "")]).await;
        assert_eq!(res.status(), 303, "merchant {name}");
    }
    let fuel: i64 = app.count("SELECT id FROM merchants WHERE scenario = 'fuel'").await;
    let food: i64 = app.count("SELECT id FROM merchants WHERE scenario = 'catering'").await;
    for (merchant, user, manager) in [(fuel, "fuel_staff", ""), (fuel, "fuel_mgr", "1"), (food, "food_staff", "")] {
        let password = format!("{user}-password");
        let fields = [("merchant", merchant.to_string()), ("username", user.into()), ("password", password), ("manager", manager.into())];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = app.post_as(&city, "/admin/benefits/staff", &fields).await;
        assert_eq!(res.status(), 303, "staff {user}");
    }
    let merchant_login = |user: &'static str| async move {
        let res = app.post_form("/admin/login", &[("username", user), ("password", &format!("{user}-password")), ("next", "")]).await;
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()["location"], "/merchant", "a merchant account lands on the merchant desk");
        res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string()
    };
    Setup {
        fuel_staff: merchant_login("fuel_staff").await,
        fuel_manager: merchant_login("fuel_mgr").await,
        food_staff: merchant_login("food_staff").await,
        city,
        fuel,
        food,
    }
}

/// A campaign redeemable at `merchants`, claimable 2026-11-20 … 11-30 (the clock stands at
/// 11-25); `extra` adds or overrides fields. Returns its id.
async fn campaign(app: &TestApp, s: &Setup, merchants: &[i64], stock: i64, per_member: i64, extra: &[(&str, &str)]) -> i64 {
    let (stock, per) = (stock.to_string(), per_member.to_string());
    let mut fields: Vec<(&str, String)> = vec![
        ("kind", "coupon".into()),
        ("title", "加油满200减20".into()),
        ("description", "限92号汽油".into()),
        ("stock", stock),
        ("per_member", per),
        ("claim_from", "2026-11-20".into()),
        ("claim_until", "2026-11-30".into()),
        ("redeem_until", "2026-12-31".into()),
    ];
    for m in merchants {
        fields.push(("merchants", m.to_string()));
    }
    for (k, v) in extra {
        fields.retain(|(f, _)| f != k);
        fields.push((k, v.to_string()));
    }
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = app.post_as(&s.city, "/admin/benefits/campaigns", &fields).await;
    assert_eq!(res.status(), 303, "campaign made: {}", res.text().await.unwrap_or_default());
    app.count("SELECT MAX(id) FROM campaigns").await
}

async fn claim(app: &TestApp, cookie: &str, campaign: i64) -> reqwest::Response {
    app.post_as(cookie, &format!("/me/benefits/{campaign}/claim"), &[]).await
}

/// The member's coupon of a campaign.
async fn coupon_of(app: &TestApp, member: i64, campaign: i64) -> i64 {
    sqlx::query_scalar("SELECT id FROM coupons WHERE member_id = $1 AND campaign_id = $2")
        .bind(member)
        .bind(campaign)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

/// Shows the coupon's code as the member; returns (digits, token) read from the page.
async fn show_code(app: &TestApp, cookie: &str, coupon: i64) -> (String, String) {
    let res = app.post_as(cookie, &format!("/me/benefits/coupons/{coupon}/code"), &[]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    let digits = html.split("data-digits=\"").nth(1).expect("digits shown");
    let digits: String = digits.split('"').next().unwrap().to_string();
    assert_eq!(digits.len(), 8);
    let stored: i64 = app.count("SELECT COUNT(*) FROM redeem_codes").await;
    assert!(stored >= 1);
    let token = random_token(); // the QR's token is only in the SVG; tests use the digits path
    (digits, token)
}

async fn look_up(app: &TestApp, staff: &str, digits: &str) -> String {
    let res = app.post_as(staff, "/merchant/redeem", &[("digits", digits)]).await;
    assert_eq!(res.headers()["cache-control"], "no-store");
    res.text().await.unwrap()
}

async fn confirm(app: &TestApp, staff: &str, digits: &str) -> reqwest::Response {
    app.post_as(staff, "/merchant/redeem", &[("code", &format!("d:{digits}"))]).await
}

const NOT_FOUND: &str = "核销码无效";

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
