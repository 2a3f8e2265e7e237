//! The site as a whole: where `next=` may send a browser, the headers every page carries
//! (Content-Security-Policy with a nonce for the islands, HSTS in production, no-store on admin
//! pages), one not-found page for every refusal, and error pages instead of bare text.
mod common;

use ejia::server::db::Backend;

async fn app() -> common::TestApp {
    common::spawn_app(Backend::Sqlite).await
}

fn location(res: &reqwest::Response) -> String {
    res.headers().get("location").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn language_switch_goes_only_to_pages_of_this_site() {
    let app = app().await;
    for next in [
        "/%09/evil.example",
        "//evil.example",
        "https://evil.example/",
        "/%5Cevil.example",
        "/%0d%0aSet-Cookie:%20x=1",
        "/a/%2e%2e/%2e%2e/x",
    ] {
        let res = app.get(&format!("/lang/zh?next={next}")).await;
        assert_eq!(res.status(), 303, "next={next}");
        assert_eq!(location(&res), "/", "next={next} must not leave the site");
    }
    let res = app.get("/lang/en?next=/join").await;
    assert_eq!(location(&res), "/join");
    assert!(res.headers()["set-cookie"].to_str().unwrap().starts_with("ejia_lang=en"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_goes_back_only_inside_the_admin_screens() {
    let app = app().await;
    app.admin("340302", "reviewer", "lzh").await;
    for next in ["/admin\r\nSet-Cookie: x=1", "/admin/\t/evil.example", "//evil.example", "/join", "/administrator"] {
        let res = app.post_form("/admin/login", &[("username", "lzh"), ("password", "lzh-password"), ("next", next)]).await;
        assert_eq!(res.status(), 303, "next={next:?}");
        assert_eq!(location(&res), "/admin", "next={next:?}");
    }
    let res = app.post_form("/admin/login", &[("username", "lzh"), ("password", "lzh-password"), ("next", "/admin/stats")]).await;
    assert_eq!(location(&res), "/admin/stats");
    let page = app.get("/admin/login?next=//evil.example").await.text().await.unwrap();
    assert!(page.contains(r#"name="next" value="/admin""#), "the form carries a safe next");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_not_found_is_the_one_not_found_page() {
    let app = app().await;
    for (method, path) in
        [("GET", "/no-such-page"), ("GET", "/j/ZZZZ/poster"), ("GET", "/s/not-a-token"), ("POST", "/s/AAAAAAAAAAAAAAAAAAAAAA")]
    {
        let res = match method {
            "GET" => app.get(path).await,
            _ => app.post_form(path, &[("name", "张三")]).await,
        };
        assert_eq!(res.status(), 404, "{method} {path}");
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"), "{method} {path} is a page");
        let body = res.text().await.unwrap();
        assert!(body.contains("<!DOCTYPE html>") && body.contains("返回首页"), "{method} {path}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_that_does_not_reach_a_route_gets_not_found_and_is_audited() {
    let app = app().await;
    app.admin("340302", "leader", "boss").await;
    let cookie = app.login("boss").await;
    let before = app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'access' AND outcome = 'refused'").await;
    for path in ["/admin/admins", "/admin/audit", "/admin/calendar"] {
        let res = app.get_as(&cookie, path).await;
        assert_eq!(res.status(), 404, "{path}");
        assert!(res.text().await.unwrap().contains("页面不存在"));
    }
    let res = app.post_as(&cookie, "/admin/calendar/hours", &[("hours", "09:00-17:00")]).await;
    assert_eq!(res.status(), 404);
    let after = app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'access' AND outcome = 'refused'").await;
    assert_eq!(after - before, 4, "each refusal is one audit row");
    let hours = app.count("SELECT COUNT(*) FROM settings WHERE key = 'office_hours'").await;
    assert_eq!(hours, 0, "nothing changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_request_gets_a_page_with_a_clear_message() {
    let app = app().await;
    let big = "x".repeat(20_000);
    let res = app.post_form("/join", &[("name", big.as_str())]).await;
    assert_eq!(res.status(), 400);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(res.text().await.unwrap().contains("表单内容过长"));
}

fn nonce_of(csp: &str) -> String {
    let at = csp.find("'nonce-").expect("a nonce in the policy") + "'nonce-".len();
    csp[at..].split('\'').next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_a_content_security_policy_the_islands_work_under() {
    let app = app().await;
    let res = app.get("/join").await;
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("default-src 'self'") && csp.contains("object-src 'none'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let nonce = nonce_of(&csp);
    assert!(nonce.len() >= 22, "128 random bits");
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!(r#"<script type="module" nonce="{nonce}">"#)), "the start-up script carries the nonce");
    let again = app.get("/join").await.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert_ne!(nonce_of(&again), nonce, "a fresh nonce per response");
    let poster = app.get("/j/LY2608/poster").await;
    assert!(poster.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'self'"));
    // Responses that are not pages get the default policy, without a nonce.
    let redirect = app.get("/lang/en?next=/").await;
    assert!(redirect.headers()["content-security-policy"].to_str().unwrap().contains("script-src 'self'"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_pages_are_never_stored_and_production_asks_for_https_only() {
    let app = app().await;
    app.admin("340302", "reviewer", "lzh").await;
    let cookie = app.login("lzh").await;
    for path in ["/admin/login", "/admin", "/admin/stats"] {
        let res = app.get_as(&cookie, path).await;
        assert_eq!(res.headers()["cache-control"], "no-store", "{path}");
        assert!(res.headers().get("strict-transport-security").is_none(), "not in development");
    }
    let prod = common::spawn_app_configured(Backend::Sqlite, |c| c.production = true).await;
    let res = prod.get("/").await;
    assert_eq!(res.headers()["strict-transport-security"], "max-age=31536000; includeSubDomains");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_logs_never_carry_a_status_token() {
    assert_eq!(ejia::server::web::loggable_path("/s/AbCdEfGhIjKlMnOpQrStUv"), "/s/…");
    assert_eq!(ejia::server::web::loggable_path("/admin/a/3"), "/admin/a/3");
}
