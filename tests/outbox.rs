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
