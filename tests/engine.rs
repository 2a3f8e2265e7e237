//! The one-working-day engine with a hand-set clock, on SQLite and PostgreSQL: the reminder,
//! escalation up the tree across a holiday and a 调休 day, and no duplicates with two workers;
//! and two server instances on one PostgreSQL database.
mod common;

use common::*;
use ejia::calendar::local_to_unix;
use ejia::domain::Ymd;
use ejia::review::engine;
use ejia::server::sms::Template;

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
    local_to_unix(Ymd::new(y, m, d).unwrap(), h, min)
}

async fn staff(app: &TestApp) {
    app.admin("340302-DF", "reviewer", "df_rev").await;
    app.set_phone("df_rev", "13900000001").await;
    app.admin("340302", "manager,reviewer", "lzh_mgr").await;
    app.set_phone("lzh_mgr", "13900000002").await;
    app.admin("340300", "manager,reviewer", "city_mgr").await;
    app.set_phone("city_mgr", "13900000003").await;
}

async fn sms_count(app: &TestApp, to: &str, t: Template) -> usize {
    app.deliver().await;
    app.sms.messages(to, t).len()
}

on_both_databases!(reminder_then_escalation_two_levels_up, |app: TestApp| async move {
    staff(&app).await;
    // Wednesday 10:00 → due Thursday 10:00.
    let a = app.application_at("340302-DF", GOOD_ID, "13800000001").await;
    app.clock.set(at(2026, 11, 25, 11, 0));
    assert_eq!(engine::tick(&app.state).await.unwrap(), 0);
    app.clock.set(at(2026, 11, 26, 8, 0)); // 1.5 working hours left
    assert_eq!(engine::tick(&app.state).await.unwrap(), 1);
    assert_eq!(sms_count(&app, "13900000001", Template::Reminder).await, 1, "the reviewer is reminded");
    app.clock.set(at(2026, 11, 26, 10, 0));
    engine::tick(&app.state).await.unwrap();
    assert_eq!(sms_count(&app, "13900000002", Template::Escalation).await, 1, "the county's manager is chased");
    assert_eq!(sms_count(&app, "13900000003", Template::Escalation).await, 0);
    app.clock.set(at(2026, 11, 27, 10, 0));
    engine::tick(&app.state).await.unwrap();
    assert_eq!(sms_count(&app, "13900000003", Template::Escalation).await, 1, "a working day later, the city");
    // Ticking again records and sends nothing more.
    engine::tick(&app.state).await.unwrap();
    engine::tick(&app.state).await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM escalations").await, 3);
    assert_eq!(sms_count(&app, "13900000002", Template::Escalation).await, 1);
    let levels: Vec<(i64, i64)> = sqlx::query_as("SELECT level, org_id FROM escalations WHERE application_id = $1 ORDER BY level")
        .bind(a)
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(levels, vec![(0, app.union_id("340302-DF").await), (1, app.union_id("340302").await), (2, app.union_id("340300").await)]);
    // The console shows it: the county manager's queue marks the escalation.
    let cookie = app.login("lzh_mgr").await;
    assert!(app.get_as(&cookie, "/admin").await.text().await.unwrap().contains("督办"));
});

on_both_databases!(escalation_across_a_holiday_and_a_tiaoxiu_day, |app: TestApp| async move {
    staff(&app).await;
    app.clock.set(at(2025, 9, 30, 10, 0)); // due 2025-10-09 10:00, after the National Day break
    app.application_at("340302-DF", GOOD_ID, "13800000001").await;
    app.clock.set(at(2025, 9, 30, 16, 30)); // 1 h today + 1.5 h on 10-09: the break does not count
    engine::tick(&app.state).await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM escalations").await, 0);
    app.clock.set(at(2025, 9, 30, 17, 0)); // 0.5 h + 1.5 h: two working hours remain
    engine::tick(&app.state).await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM escalations WHERE level = 0").await, 1, "the reminder");
    app.clock.set(at(2025, 10, 8, 12, 0));
    engine::tick(&app.state).await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM escalations").await, 1, "no escalation during the holiday");
    app.clock.set(at(2025, 10, 9, 10, 0));
    engine::tick(&app.state).await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM escalations WHERE level = 1").await, 1);
    app.clock.set(at(2025, 10, 10, 10, 0));
    engine::tick(&app.state).await.unwrap();
    assert_eq!(app.count("SELECT MAX(level) FROM escalations").await, 2);
    app.clock.set(at(2025, 10, 11, 10, 0)); // a Saturday worked in exchange
    engine::tick(&app.state).await.unwrap();
    assert_eq!(app.count("SELECT MAX(level) FROM escalations").await, 3);
});

on_both_databases!(two_workers_never_escalate_twice, |app: TestApp| async move {
    staff(&app).await;
    for (i, id) in [GOOD_ID, GOOD_ID_2, "340321198506154561"].iter().enumerate() {
        app.application_at("340302-DF", id, &format!("1380000000{i}")).await;
    }
    let second = spawn_second_instance(&app).await;
    app.clock.set(at(2026, 11, 26, 10, 0));
    let (a, b) = tokio::join!(engine::tick(&app.state), engine::tick(&second.state));
    assert_eq!(a.unwrap() + b.unwrap(), 3, "3 escalations, each recorded once");
    let (da, db) = (app.state.dispatcher("a"), second.state.dispatcher("b"));
    let (x, y) = tokio::join!(da.tick(), db.tick());
    x.unwrap();
    y.unwrap();
    let escalations = app.sms.messages("13900000002", Template::Escalation);
    assert_eq!(escalations.len(), 1, "one SMS for the batch, sent once");
    assert_eq!(escalations[0].params["count"], "3");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgresql() {
    let a = spawn_app(ejia::server::db::Backend::Postgres).await;
    let b = spawn_second_instance(&a).await;
    a.admin("340302", "reviewer", "lzh_rev").await;
    // Join on one instance, review on the other with a session made on the first.
    let application = a.application_at("340302-DF", GOOD_ID, "13800000001").await;
    let cookie = a.login("lzh_rev").await;
    assert_eq!(b.get_as(&cookie, "/admin").await.status(), 200, "a session works on both instances");
    assert_eq!(b.post_as(&cookie, &format!("/admin/a/{application}/decide"), &[("action", "approve")]).await.status(), 303);
    a.clock.advance(11);
    // Both dispatchers race for the same outbox: every message is sent exactly once.
    for _ in 0..3 {
        let (da, db) = (a.state.dispatcher("a"), b.state.dispatcher("b"));
        let (x, y) = tokio::join!(da.tick(), db.tick());
        x.unwrap();
        y.unwrap();
    }
    let sent = a.sms.sent.lock().unwrap().clone();
    let mut ids: Vec<_> = sent.iter().map(|m| m.correlation_id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), sent.len(), "no message sent twice");
    assert_eq!(a.sms.messages("13800000001", Template::Approved).len(), 1);
    // Logging out on one instance ends the session on the other.
    a.post_as(&cookie, "/admin/logout", &[]).await;
    assert_eq!(b.get_as(&cookie, "/admin").await.status(), 303);
}

on_both_databases!(calendar_change_moves_open_deadlines_and_on_time_rate, |app: TestApp| async move {
    let a = app.application_at("340302-DF", GOOD_ID, "13800000001").await; // Wed 10:00 → Thu 10:00
    let b = app.application_at("340302-DF", GOOD_ID_2, "13800000002").await;
    app.admin("340300", "city_admin,reviewer", "city").await;
    let cookie = app.login("city").await;
    // Thursday becomes a day off: both open deadlines move to Friday.
    let page = app
        .post_as(&cookie, "/admin/calendar/override", &[("day", "2026-11-26"), ("kind", "off"), ("note", "临时休假")])
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("重新计算的截止时间： 2"), "{page}");
    let due: i64 = sqlx::query_scalar("SELECT due_at FROM applications WHERE id = $1").bind(a).fetch_one(&app.state.db.pool).await.unwrap();
    assert_eq!(ejia::calendar::format_local(due), "2026-11-27 10:00");
    // Office hours change too.
    let page = app.post_as(&cookie, "/admin/calendar/hours", &[("hours", "9:00-17:00")]).await.text().await.unwrap();
    assert!(page.contains("09:00-17:00"));
    let bad = app.post_as(&cookie, "/admin/calendar/hours", &[("hours", "17:00-9:00")]).await.text().await.unwrap();
    assert!(bad.contains("办公时间格式应为"));
    // One decided in time, one late: 50 %.
    app.post_as(&cookie, &format!("/admin/a/{a}/decide"), &[("action", "approve")]).await;
    app.clock.set(at(2026, 11, 30, 9, 0));
    let cookie = app.login("city").await; // the old session idled out over the weekend
    app.post_as(&cookie, &format!("/admin/a/{b}/decide"), &[("action", "approve")]).await;
    let stats = app.get_as(&cookie, "/admin/stats").await.text().await.unwrap();
    assert!(stats.contains("龙子湖区东风街道总工会") && stats.contains("50.0%"), "{stats}");
    // A newly published year: its days entered, then marked published — no longer provisional.
    app.clock.set(at(2026, 12, 31, 18, 0));
    let cookie = app.login("city").await;
    let late = app.application_at("340302-DF", "340321198506154561", "13800000003").await;
    let provisional: i64 = sqlx::query_scalar("SELECT due_provisional FROM applications WHERE id = $1")
        .bind(late)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(provisional, 1, "2027 is not published in the shipped data");
    app.post_as(&cookie, "/admin/calendar/override", &[("day", "2027-01-01"), ("kind", "off"), ("note", "元旦")]).await;
    app.post_as(&cookie, "/admin/calendar/override", &[("day", "2027-01-04"), ("kind", "off"), ("note", "元旦调休")]).await;
    let page = app.post_as(&cookie, "/admin/calendar/publish", &[("year", "2027")]).await.text().await.unwrap();
    assert!(page.contains("重新计算的截止时间"));
    let (due, provisional): (i64, i64) = sqlx::query_as("SELECT due_at, due_provisional FROM applications WHERE id = $1")
        .bind(late)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!((ejia::calendar::format_local(due).as_str(), provisional), ("2027-01-05 17:00", 0));
    // Only the city admin edits the calendar.
    app.admin("340302", "manager,reviewer", "lzh_mgr").await;
    let mgr = app.login("lzh_mgr").await;
    assert_eq!(app.post_as(&mgr, "/admin/calendar/override", &[("day", "2026-12-01"), ("kind", "off")]).await.status(), 404);
});
