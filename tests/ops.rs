//! Running it: `/healthz`, `/readyz`, `/metrics` (who may read it, what it counts, that it
//! never names a token), the request id on a fault page, the SMS provider away for ten minutes
//! (nothing lost, nothing sent twice, the backlog visible meanwhile), and a stop that ends live
//! streams and hands back the outbox's leases.
mod common;

use common::{TestApp, GOOD_ID, GOOD_ID_2};
use ejia::server::db::Backend;
use ejia::server::sms::{SendOutcome, Template};

async fn readyz(app: &TestApp) -> (u16, serde_json::Value) {
    let res = app.get("/readyz").await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

async fn metrics(app: &TestApp) -> String {
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 200, "metrics from 127.0.0.1");
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    res.text().await.unwrap()
}

/// The value of one sample line (`name{labels} value`), 0 when the line is absent.
fn sample(text: &str, line_start: &str) -> f64 {
    text.lines().find(|l| l.starts_with(line_start)).and_then(|l| l.rsplit(' ').next()).and_then(|v| v.parse().ok()).unwrap_or(0.0)
}

on_both_databases!(health_readiness_and_metrics, |app: TestApp| async move {
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("x-request-id"), "every answer carries its request id");
    let (status, ready) = readyz(&app).await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["ready"], true);
    assert_eq!(ready["migrations_current"], true);
    assert_eq!(ready["outbox_backlog"], 0);

    let union = app.union_id("340300-HY01-LY").await.to_string();
    let res = app.apply(GOOD_ID, "13800138000", &union).await;
    assert_eq!(res.status(), 303);
    let status_link = res.headers()["location"].to_str().unwrap().to_string();
    let token = status_link.rsplit('/').next().unwrap().to_string();
    assert_eq!(app.get(&format!("/s/{token}")).await.status(), 200);
    let text = metrics(&app).await;
    assert!(text.contains(r#"route="/s/{token}""#), "the status page is counted by its pattern:\n{text}");
    assert!(sample(&text, r#"ejia_http_requests_total{method="POST",route="/join",status="303"}"#) >= 1.0, "{text}");
    assert!(!text.contains(&token), "a status token never reaches the metrics");
    for private in [GOOD_ID, "13800138000", "张三"] {
        assert!(!text.contains(private), "no personal data in the metrics");
    }
    assert_eq!(sample(&text, r#"ejia_sms_results_total{provider="fake",template="join_code",result="sent"}"#), 1.0, "{text}");
    assert_eq!(sample(&text, "ejia_outbox_backlog "), 1.0, "the receipt waits in the outbox:\n{text}");
    assert_eq!(sample(&text, "ejia_db_up "), 1.0);
    assert_eq!(sample(&text, "ejia_applications_overdue "), 0.0);
    assert_eq!(sample(&text, "ejia_db_pool_max_connections "), 5.0);
    assert!(text.contains(r#"ejia_http_request_duration_seconds_bucket{"#), "latency histograms:\n{text}");

    // Two days later the application is overdue.
    app.clock.advance(2 * 86_400);
    // Invented methods and paths do not grow the label sets.
    for i in 0..20 {
        let method = reqwest::Method::from_bytes(format!("X{i}").as_bytes()).unwrap();
        app.http.request(method, format!("{}/nowhere/{i}", app.base)).send().await.unwrap();
    }
    let text = metrics(&app).await;
    assert_eq!(sample(&text, "ejia_applications_overdue "), 1.0, "{text}");
    assert!(!text.contains("X19") && !text.contains("/nowhere"), "{text}");
    assert!(text.contains(r#"method="OTHER""#), "{text}");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_refused_outside_the_allowed_addresses_even_through_a_proxy() {
    use ejia::server::config::AddrRange;
    let app = common::spawn_app_configured(Backend::Sqlite, |c| c.trusted_proxy_hops = 1).await;
    let from = |ip: &'static str| app.http.get(format!("{}/metrics", app.base)).header("x-forwarded-for", ip).send();
    assert_eq!(from("203.0.113.9").await.unwrap().status(), 403, "a client outside through our proxy");
    assert_eq!(from("127.0.0.1, 203.0.113.9").await.unwrap().status(), 403, "a client writing 127.0.0.1 itself is not believed");
    assert_eq!(from("127.0.0.1").await.unwrap().status(), 200, "the proxy's own host");
    let body = from("203.0.113.9").await.unwrap().text().await.unwrap();
    assert!(!body.contains("ejia_"), "a refusal shows nothing");

    let app = common::spawn_app_configured(Backend::Sqlite, |c| {
        c.trusted_proxy_hops = 1;
        c.ops.metrics_allow = vec![AddrRange::parse("10.8.0.0/16").unwrap()];
    })
    .await;
    let from = |ip: &'static str| app.http.get(format!("{}/metrics", app.base)).header("x-forwarded-for", ip).send();
    assert_eq!(from("10.8.3.4").await.unwrap().status(), 200, "the monitoring network");
    assert_eq!(from("127.0.0.1").await.unwrap().status(), 403, "only what is configured");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_page_names_the_request_id_of_its_log_lines() {
    let app = common::spawn_app(Backend::Sqlite).await;
    // The database goes away under the running server.
    app.state.db.close().await;
    let res = app.get("/j/LY2608").await;
    assert_eq!(res.status(), 500);
    let id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 16);
    let page = res.text().await.unwrap();
    assert!(page.contains("系统繁忙") && page.contains(&id), "the page says what happened and gives the reference:\n{page}");
    assert!(!page.contains("pool") && !page.contains("sqlx"), "no cause reaches the browser");
    assert_eq!(app.get("/healthz").await.status(), 200, "the process itself is alive");
    let (status, ready) = readyz(&app).await;
    assert_eq!(status, 503);
    assert_eq!(ready["database"], "unreachable", "{ready}");
    let text = metrics(&app).await;
    assert_eq!(sample(&text, "ejia_db_up "), 0.0, "{text}");
    assert!(sample(&text, r#"ejia_http_requests_total{method="GET",route="/j/{code}",status="500"}"#) >= 1.0, "{text}");
}

/// The fake provider refuses everything for ten minutes (by the app's clock), then works
/// again: every receipt goes out exactly once, and the backlog shows on /readyz and /metrics
/// meanwhile.
async fn provider_away_for_ten_minutes(app: TestApp) {
    let union = app.union_id("340300-HY01-LY").await.to_string();
    let people = [(GOOD_ID, "13800138000"), (GOOD_ID_2, "13900139000")];
    for (i, (id, phone)) in people.into_iter().enumerate() {
        if i > 0 {
            // The provider is already failing when the next driver's code goes out (which
            // it does): the first receipt, sent in the same pass just before it, is refused.
            app.sms.script.lock().unwrap().push_back(SendOutcome::Failed { detail: "provider refused: 503".into() });
        }
        assert_eq!(app.apply(id, phone, &union).await.status(), 303);
    }
    app.sms.script.lock().unwrap().extend((0..1000).map(|i| {
        if i % 3 == 0 {
            SendOutcome::RateLimited { retry_after_secs: 60, detail: "quota".into() }
        } else {
            SendOutcome::Failed { detail: "provider refused: 503".into() }
        }
    }));
    let mut worst_backlog = 0;
    let mut saw_not_ready = false;
    for _ in 0..20 {
        app.clock.advance(30);
        app.deliver().await;
        let (status, ready) = readyz(&app).await;
        worst_backlog = worst_backlog.max(ready["outbox_backlog"].as_i64().unwrap());
        if status == 503 {
            saw_not_ready = true;
            assert!(ready["problems"][0].as_str().unwrap().contains("oldest SMS has waited"), "{ready}");
        }
    }
    let text = metrics(&app).await;
    let refused = sample(&text, r#"ejia_sms_results_total{provider="fake",template="received",result="failed"}"#);
    let limited = sample(&text, r#"ejia_sms_results_total{provider="fake",template="received",result="rate_limited"}"#);
    assert_eq!(sample(&text, "ejia_outbox_backlog "), 2.0, "{text}");
    assert!(sample(&text, "ejia_outbox_oldest_age_seconds ") >= 600.0, "{text}");
    assert!(refused >= 2.0, "{text}");
    assert!(saw_not_ready, "/readyz reports the stuck outbox");
    for (_, phone) in people {
        assert!(app.sms.messages(phone, Template::Received).is_empty(), "nothing went out meanwhile");
    }

    // The provider is back.
    app.sms.script.lock().unwrap().clear();
    let mut waited = 0;
    while app.count("SELECT COUNT(*) FROM outbox WHERE status <> 'sent'").await > 0 && waited < 7200 {
        app.clock.advance(60);
        waited += 60;
        app.deliver().await;
    }
    for (_, phone) in people {
        assert_eq!(app.sms.messages(phone, Template::Received).len(), 1, "each receipt exactly once");
    }
    let (status, ready) = readyz(&app).await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["outbox_backlog"], 0);
    println!(
        "provider away 600 s: backlog peaked at {worst_backlog}, {refused} refusals and {limited} rate limits counted, \
         all {} receipts sent once {waited} s after it came back",
        people.len()
    );
}

on_both_databases!(the_sms_provider_away_for_ten_minutes_loses_nothing_and_sends_nothing_twice, provider_away_for_ten_minutes);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_ends_live_streams_and_stops_accepting() {
    let app = common::spawn_app(Backend::Sqlite).await;
    app.admin("340300", "leader", "boss").await;
    let cookie = app.login("boss").await;
    let mut live = app.get_as(&cookie, "/admin/command/live").await;
    assert_eq!(live.status(), 200);
    let first = live.chunk().await.unwrap().expect("a first snapshot");
    assert!(String::from_utf8_lossy(&first).contains("event: board"));
    assert!(sample(&metrics(&app).await, "ejia_sse_streams_open ") >= 1.0);

    let began = std::time::Instant::now();
    app.state.shutdown.begin();
    // The stream ends (keep-alive comments aside) well before its planned end.
    let ended = tokio::time::timeout(std::time::Duration::from_secs(5), async { while let Ok(Some(_)) = live.chunk().await {} }).await;
    assert!(ended.is_ok(), "the live stream ends on the stop");
    println!("live stream closed {} ms after the stop began", began.elapsed().as_millis());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let fresh = reqwest::Client::new();
    assert!(fresh.get(format!("{}/healthz", app.base)).send().await.is_err(), "no new connection is taken");
}

on_both_databases!(a_stop_hands_back_the_outbox_leases, |app: TestApp| async move {
    let union = app.union_id("340300-HY01-LY").await.to_string();
    assert_eq!(app.apply(GOOD_ID, "13800138000", &union).await.status(), 303);
    // This instance was sending the receipt when it was told to stop.
    let now = app.clock.now_for_test();
    sqlx::query("UPDATE outbox SET status = 'sending', lease_owner = 'stopping-1', lease_until = $1 WHERE template = 'received'")
        .bind(now + 60)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let handed_back = app.state.dispatcher("stopping-1").release().await.unwrap();
    assert_eq!(handed_back, 1);
    let (status, owner): (String, Option<String>) =
        sqlx::query_as("SELECT status, lease_owner FROM outbox WHERE template = 'received'").fetch_one(&app.state.db.pool).await.unwrap();
    assert_eq!((status.as_str(), owner), ("unknown", None), "it may have gone out: reconciled, never resent blindly");
    // Another instance settles it at once (the provider has no record: it never went out).
    let correlation: String =
        sqlx::query_scalar("SELECT correlation_id FROM outbox WHERE template = 'received'").fetch_one(&app.state.db.pool).await.unwrap();
    app.sms.statuses.lock().unwrap().push((correlation, ejia::server::sms::DeliveryStatus::NotFound));
    app.deliver().await;
    app.deliver().await;
    assert_eq!(app.sms.messages("13800138000", Template::Received).len(), 1);
});
