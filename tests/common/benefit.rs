//! What the benefit tests share: members and sessions made directly, the city admin with two
//! merchants and their staff, a campaign, a claim, a coupon's one-time code, and the till's
//! look-up and confirmation.
use super::*;
use ejia::server::crypto::random_token;

/// Members made directly in the database (approved applications) at the union with
/// `org_code`, with this occupation and joining time; returns their ids.
pub async fn members(app: &TestApp, n: usize, org_code: &str, occupation: Option<&str>, joined_at: i64) -> Vec<i64> {
    let org = app.union_id(org_code).await;
    ejia::site::bench_claims::members(&app.state, n, org, occupation, joined_at).await.unwrap()
}

/// A live member session for a member (as signing in makes one); returns the Cookie value.
pub async fn session(app: &TestApp, member_id: i64) -> String {
    ejia::site::bench_claims::session(&app.state, member_id).await.unwrap()
}

/// The city admin, two merchants (a filling station and a restaurant) each with a manager and
/// a staff account.
pub struct Setup {
    pub city: String,
    pub fuel: i64,
    pub food: i64,
    pub fuel_staff: String,
    pub fuel_manager: String,
    pub food_staff: String,
}

pub async fn setup(app: &TestApp) -> Setup {
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
pub async fn campaign(app: &TestApp, s: &Setup, merchants: &[i64], stock: i64, per_member: i64, extra: &[(&str, &str)]) -> i64 {
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

pub async fn claim(app: &TestApp, cookie: &str, campaign: i64) -> reqwest::Response {
    app.post_as(cookie, &format!("/me/benefits/{campaign}/claim"), &[]).await
}

/// The member's coupon of a campaign.
pub async fn coupon_of(app: &TestApp, member: i64, campaign: i64) -> i64 {
    sqlx::query_scalar("SELECT id FROM coupons WHERE member_id = $1 AND campaign_id = $2")
        .bind(member)
        .bind(campaign)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

/// Shows the coupon's code as the member; returns (digits, token) read from the page.
pub async fn show_code(app: &TestApp, cookie: &str, coupon: i64) -> (String, String) {
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

pub async fn look_up(app: &TestApp, staff: &str, digits: &str) -> String {
    let res = app.post_as(staff, "/merchant/redeem", &[("digits", digits)]).await;
    assert_eq!(res.headers()["cache-control"], "no-store");
    res.text().await.unwrap()
}

pub async fn confirm(app: &TestApp, staff: &str, digits: &str) -> reqwest::Response {
    app.post_as(staff, "/merchant/redeem", &[("code", &format!("d:{digits}"))]).await
}

pub const NOT_FOUND: &str = "核销码无效";
