//! The SMS outbox on SQLite and PostgreSQL: retries with back-off after failures, rate limits
//! rescheduled, unknown outcomes reconciled through the provider, never resent blindly.
mod common;

use common::*;
use ejia::server::sms::{DeliveryStatus, SendOutcome, Template};

async fn outbox_row(app: &TestApp) -> (String, i64, i64) {
    sqlx::query_as("SELECT status, attempts, next_attempt_at FROM outbox ORDER BY id DESC LIMIT 1")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

on_both_databases!(retries_after_a_failing_provider, |app: TestApp| async move {
    {
        let mut script = app.sms.script.lock().unwrap();
        script.push_back(SendOutcome::Failed { detail: "503".into() });
        script.push_back(SendOutcome::Failed { detail: "503".into() });
    }
    let res = app.post_form("/join", &[("phone", "13800138000"), ("intent", "send_code")]).await;
    assert_eq!(res.status(), 200);
    let now = app.clock.now_for_test();
    app.deliver().await;
    assert_eq!(outbox_row(&app).await, ("pending".into(), 1, now + 10));
    app.deliver().await;
    assert_eq!(outbox_row(&app).await.1, 1, "not before its time");
    app.clock.advance(10);
    app.deliver().await;
    assert_eq!(outbox_row(&app).await, ("pending".into(), 2, now + 10 + 20));
    app.clock.advance(20);
    app.deliver().await;
    assert_eq!(outbox_row(&app).await.0, "sent");
    assert_eq!(app.sms.messages("13800138000", Template::JoinCode).len(), 1, "delivered exactly once");
    let params: String = sqlx::query_scalar("SELECT params FROM outbox").fetch_one(&app.state.db.pool).await.unwrap();
    assert_eq!(params, "{}", "a sent code is scrubbed from the outbox");
});

on_both_databases!(rate_limited_sends_are_rescheduled, |app: TestApp| async move {
    app.sms
        .script
        .lock()
        .unwrap()
        .push_back(SendOutcome::RateLimited { retry_after_secs: 60, detail: "isv.BUSINESS_LIMIT_CONTROL".into() });
    app.post_form("/join", &[("phone", "13800138000"), ("intent", "send_code")]).await;
    let now = app.clock.now_for_test();
    app.deliver().await;
    assert_eq!(outbox_row(&app).await, ("pending".into(), 0, now + 60));
    app.clock.advance(30);
    app.deliver().await;
    assert!(app.sms.messages("13800138000", Template::JoinCode).is_empty(), "never retried at once");
    app.clock.advance(30);
    app.deliver().await;
    assert_eq!(outbox_row(&app).await.0, "sent");
});

on_both_databases!(unknown_outcomes_are_reconciled_not_resent, |app: TestApp| async move {
    app.sms.script.lock().unwrap().push_back(SendOutcome::Unknown { detail: "timeout".into() });
    app.post_form("/join", &[("phone", "13800138000"), ("intent", "send_code")]).await;
    app.deliver().await;
    assert_eq!(outbox_row(&app).await.0, "unknown");
    let correlation: String = sqlx::query_scalar("SELECT correlation_id FROM outbox").fetch_one(&app.state.db.pool).await.unwrap();
    // The provider cannot tell yet: it stays unknown and nothing is sent again.
    app.deliver().await;
    app.clock.advance(301);
    app.deliver().await;
    assert_eq!(outbox_row(&app).await.0, "unknown");
    assert_eq!(app.sms.sent.lock().unwrap().len(), 1);
    // The provider's records show it was delivered: marked sent, still one message.
    app.sms.statuses.lock().unwrap().push((correlation, DeliveryStatus::Delivered { provider_message_id: "p-1".into() }));
    app.clock.advance(301);
    app.deliver().await;
    let (status, provider_id): (String, String) =
        sqlx::query_as("SELECT status, provider_message_id FROM outbox").fetch_one(&app.state.db.pool).await.unwrap();
    assert_eq!((status.as_str(), provider_id.as_str()), ("sent", "p-1"));
    assert_eq!(app.sms.sent.lock().unwrap().len(), 1);
});

on_both_databases!(a_send_cut_off_by_a_crash_is_reconciled, |app: TestApp| async move {
    app.post_form("/join", &[("phone", "13800138000"), ("intent", "send_code")]).await;
    // A crash between claiming and marking leaves the row `sending` under a lease.
    sqlx::query("UPDATE outbox SET status = 'sending', lease_owner = 'dead', lease_until = $1, attempts = 1")
        .bind(app.clock.now_for_test() + 60)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    app.deliver().await;
    assert_eq!(outbox_row(&app).await.0, "sending", "a live lease is respected");
    let correlation: String = sqlx::query_scalar("SELECT correlation_id FROM outbox").fetch_one(&app.state.db.pool).await.unwrap();
    app.sms.statuses.lock().unwrap().push((correlation, DeliveryStatus::NotFound));
    app.clock.advance(61);
    app.deliver().await;
    assert_eq!(outbox_row(&app).await.0, "sent", "the provider never had it, so it is sent now");
    assert_eq!(app.sms.sent.lock().unwrap().len(), 1);
});

// A join's receipt is handed to the running dispatcher in memory, written already leased to it:
// no claim, sent once; at a stop the dispatcher sends what it holds and keeps no lease.

fn id_number(n: usize) -> String {
    common::process::id_number(n)
}

/// Codes for drivers `0..n`, delivered before the dispatcher runs.
async fn codes(app: &TestApp, n: usize) -> Vec<String> {
    let mut codes = Vec::new();
    for i in 0..n {
        codes.push(app.code_for(&common::process::phone(i)).await);
    }
    codes
}

/// The drivers' joins, all at once; the statuses answered.
async fn join_all(app: &TestApp, codes: &[String]) -> Vec<u16> {
    let union = app.union_id("340300-HY01-LY").await.to_string();
    let forms: Vec<Vec<(String, String)>> = (0..codes.len())
        .map(|i| {
            [
                ("name", "张三".to_string()),
                ("id_number", id_number(i)),
                ("phone", common::process::phone(i)),
                ("code", codes[i].clone()),
                ("workplace", union.clone()),
                ("consent", "yes".into()),
                ("submission", ejia::server::crypto::random_token()),
                ("intent", "submit".into()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
        })
        .collect();
    let posts = forms.iter().map(|f| {
        let fields: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        async move { app.post_form("/join", &fields).await.status().as_u16() }
    });
    futures_util::future::join_all(posts).await
}

/// Starts the instance's dispatcher as a server runs it, with a stop of its own (the server
/// keeps serving); returns once it takes hand-offs.
async fn running_dispatcher(app: &TestApp) -> (tokio::task::JoinHandle<()>, ejia::server::shutdown::Shutdown) {
    let stop = ejia::server::shutdown::Shutdown::new();
    let task = tokio::spawn(ejia::server::outbox::Dispatcher { shutdown: stop.clone(), ..app.state.dispatcher("live") }.run());
    while app.state.outbox_handoff.reserve(app.clock.now_for_test()).is_none() {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    (task, stop)
}

async fn receipts(app: &TestApp) -> Vec<(String, i64, Option<String>, i64, Option<i64>)> {
    sqlx::query_as("SELECT status, attempts, lease_owner, created_at, last_attempt_at FROM outbox WHERE template = 'received'")
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap()
}

on_both_databases!(a_joins_receipt_is_handed_to_the_running_dispatcher_and_sent_once, |app: TestApp| async move {
    let codes = codes(&app, 12).await;
    let (dispatcher, stop) = running_dispatcher(&app).await;
    assert!(join_all(&app, &codes).await.iter().all(|s| *s == 303), "every driver is acknowledged");
    // A later claim would stamp its attempt with the clock of then; a hand-off's attempt began
    // when the receipt was written.
    app.clock.advance(5);
    let wait = std::time::Instant::now();
    while receipts(&app).await.iter().any(|r| r.0 != "sent") {
        assert!(wait.elapsed() < std::time::Duration::from_secs(20), "receipts still wait: {:?}", receipts(&app).await);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    for (i, (status, attempts, lease, created, attempted)) in receipts(&app).await.into_iter().enumerate() {
        assert_eq!((status.as_str(), attempts, lease), ("sent", 1, None), "receipt {i}: sent at the first attempt, no lease left");
        assert_eq!(attempted, Some(created), "receipt {i} was written leased, not claimed afterwards");
    }
    for i in 0..codes.len() {
        assert_eq!(app.sms.messages(&common::process::phone(i), Template::Received).len(), 1, "driver {i}: one receipt");
    }
    stop.begin();
    dispatcher.await.unwrap();
});

on_both_databases!(a_stopping_dispatcher_sends_what_it_was_handed_and_keeps_no_lease, |app: TestApp| async move {
    let codes = codes(&app, 12).await;
    let (dispatcher, stop) = running_dispatcher(&app).await;
    // The stop comes while the drivers' joins are still being written.
    let stopping = async {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        stop.begin();
    };
    let (answers, _) = tokio::join!(join_all(&app, &codes), stopping);
    dispatcher.await.unwrap();
    let acknowledged = answers.iter().filter(|s| **s == 303).count();
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, acknowledged as i64);
    let rows = receipts(&app).await;
    assert_eq!(rows.len(), acknowledged, "one receipt per application");
    assert!(rows.iter().all(|r| r.2.is_none() && (r.0 == "sent" || r.0 == "pending")), "sent, or pending for the next start: {rows:?}");
    assert!(app.state.outbox_handoff.reserve(app.clock.now_for_test()).is_none(), "a stopped dispatcher takes no hand-off");
    // What was written after the stop is sent by the next dispatcher, once.
    app.deliver().await;
    assert!(receipts(&app).await.iter().all(|r| r.0 == "sent"));
    for (i, answer) in answers.iter().enumerate() {
        let expected = usize::from(*answer == 303);
        assert_eq!(app.sms.messages(&common::process::phone(i), Template::Received).len(), expected, "driver {i}");
    }
});
