//! Hostile tests of the join channel, on SQLite and PostgreSQL: a script guessing the picture
//! check, a network rotating IPv6 addresses or racing its sends, secrets left readable in the
//! database, one code raced into two applications, and a replayed submission key.
mod common;

use common::join::*;
use common::*;
use ejia::server::config::Limits;
use ejia::server::db::Backend;
use ejia::server::sms::{SendOutcome, Template};

async fn all_outbox_params(app: &TestApp) -> Vec<(String, String)> {
    sqlx::query_as("SELECT status, params FROM outbox ORDER BY id").fetch_all(&app.state.db.pool).await.unwrap()
}

async fn all_status_token_rows(app: &TestApp) -> Vec<String> {
    let rows: Vec<(String, i64, i64)> =
        sqlx::query_as("SELECT token_hash, application_id, created_at FROM status_tokens").fetch_all(&app.state.db.pool).await.unwrap();
    rows.into_iter().map(|(h, a, c)| format!("{h} {a} {c}")).collect()
}

// 5a — the picture check.

on_both_databases!(picture_check_cannot_be_guessed, |app: TestApp| async move {
    let now = app.clock.now_for_test();
    let mut tx = app.state.db.begin_write().await.unwrap();
    let mut ten_passed = 0;
    let mut ids = Vec::new();
    for _ in 0..200 {
        let c = ejia::join::captcha::create(&mut tx, &app.state.keys, "203.0.113.9", now).await.unwrap();
        assert!(c.svg.starts_with("<svg") && !c.svg.contains("<text"));
        if ejia::join::captcha::solve(&mut tx, &app.state.keys, &c.id, "10", now).await.unwrap() {
            ten_passed += 1;
        }
        ids.push(c.id);
    }
    tx.commit().await.unwrap();
    assert_eq!(ten_passed, 0, "the old scheme's best guess (\"10\", right 1 in 9) no longer passes");
    // Every answer has five digits: 100,000 possible answers.
    for id in ids.iter().take(3) {
        let mac: String =
            sqlx::query_scalar("SELECT answer_mac FROM captchas WHERE id = $1").bind(id).fetch_one(&app.state.db.pool).await.unwrap();
        let answer = (0..100_000).map(|n| format!("{n:05}")).find(|a| app.state.keys.mac_matches(&["captcha", id, a], &mac));
        assert!(answer.is_some_and(|a| a.len() >= 5), "the answer of {id} is a number of at least five digits");
    }
});

// 6 — per-network sending limits.

on_both_with!(
    rotating_ipv6_inside_one_64_still_meets_the_picture_check,
    |b| spawn_app_behind_proxy(b, Limits::default()),
    |app: TestApp| async move {
        for i in 0..30 {
            let phone = format!("1380000{:04}", i);
            let ip = format!("2001:db8:42:7:{:x}::{:x}", i * 7 + 1, i + 1);
            let html = app.post_form_from(&ip, "/join", &[("phone", &phone), ("intent", "send_code")]).await.text().await.unwrap();
            assert!(html.contains("验证码已发送"), "code {i} from {ip}");
        }
        let html = app
            .post_form_from("2001:db8:42:7:ffff:ffff:ffff:fffe", "/join", &[("phone", "13900000000"), ("intent", "send_code")])
            .await
            .text()
            .await
            .unwrap();
        assert!(html.contains("请先完成图形校验"), "the 31st code from the same /64 needs a picture check");
        // Another /64 is another network.
        let html = app
            .post_form_from("2001:db8:42:8::1", "/join", &[("phone", "13900000001"), ("intent", "send_code")])
            .await
            .text()
            .await
            .unwrap();
        assert!(html.contains("验证码已发送"));
    }
);

on_both_with!(
    ipv4_mapped_ipv6_counts_as_its_ipv4,
    |b| spawn_app_behind_proxy(b, Limits { ip_per_hour: 2, ip_hard_per_hour: 2, ..Limits::default() }),
    |app: TestApp| async move {
        for (i, ip) in ["198.51.100.7", "::ffff:198.51.100.7"].into_iter().enumerate() {
            let phone = format!("1380000{:04}", i);
            let html = app.post_form_from(ip, "/join", &[("phone", &phone), ("intent", "send_code")]).await.text().await.unwrap();
            assert!(html.contains("验证码已发送"), "code {i}");
        }
        let html = app
            .post_form_from("::ffff:198.51.100.7", "/join", &[("phone", "13900000000"), ("intent", "send_code")])
            .await
            .text()
            .await
            .unwrap();
        assert!(!html.contains("验证码已发送"), "the mapped address is the same network");
    }
);

on_both_with!(
    concurrent_sends_from_one_network_hold_the_cap,
    |b| spawn_app_with(b, Limits { ip_per_hour: 5, ip_hard_per_hour: 5, ..Limits::default() }),
    |app: TestApp| async move {
        let phones: Vec<String> = (0..20).map(|i| format!("1370000{:04}", i)).collect();
        let forms: Vec<Vec<(&str, &str)>> = phones.iter().map(|p| vec![("phone", p.as_str()), ("intent", "send_code")]).collect();
        let sends = forms.iter().map(|f| app.post_form("/join", f));
        let pages = futures_join_all(sends).await;
        let mut sent = 0;
        for res in pages {
            assert_eq!(res.status(), 200);
            if res.text().await.unwrap().contains("验证码已发送") {
                sent += 1;
            }
        }
        assert_eq!(sent, 5, "exactly the cap is sent");
        assert_eq!(app.count("SELECT COUNT(*) FROM sms_codes").await, 5);
        assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, 5);
    }
);

// 7 — secrets at rest.

on_both_databases!(outbox_and_status_tokens_hold_no_readable_secret, |app: TestApp| async move {
    let union = app.union_id("340300-HY01-LY").await.to_string();
    let res = app.post_form("/join", &[("phone", "13800138000"), ("intent", "send_code")]).await;
    assert_eq!(res.status(), 200);
    let before_code_sent = all_outbox_params(&app).await;
    app.deliver().await;
    let code = app.sms.last_code("13800138000");
    for (_, params) in &before_code_sent {
        assert!(!params.contains(&code), "the code is readable in the outbox before delivery: {params}");
    }
    let res = app.post_form("/join", &join_fields(GOOD_ID, "13800138000", &code, &union, "secrets-at-rest-key-01")).await;
    assert_eq!(res.status(), 303);
    let token = res.headers()["location"].to_str().unwrap().trim_start_matches("/s/").to_string();
    assert_eq!(token.len(), 22);
    let check = |rows: &[(String, String)], tokens: &[String], when: &str| {
        for (status, params) in rows {
            assert!(!params.contains(&token), "the status link is readable in a {status} outbox row {when}: {params}");
            assert!(!params.contains(&code), "the code is readable in a {status} outbox row {when}: {params}");
        }
        for t in tokens {
            assert!(!t.contains(&token), "a status token is stored readable {when}");
        }
    };
    check(&all_outbox_params(&app).await, &all_status_token_rows(&app).await, "before delivery");
    app.deliver().await;
    let receipt = app.sms.messages("13800138000", Template::Received).pop().expect("the receipt was sent");
    assert!(receipt.params["link"].as_str().unwrap().ends_with(&format!("/s/{token}")), "the dispatcher opens what it sends");
    let rows = all_outbox_params(&app).await;
    assert!(rows.iter().all(|(s, _)| s == "sent"));
    check(&rows, &all_status_token_rows(&app).await, "after delivery");
});

on_both_databases!(cancelled_and_failed_messages_keep_no_code, |app: TestApp| async move {
    // A message cancelled before it went out.
    app.post_form("/join", &[("phone", "13800138000"), ("intent", "send_code")]).await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM outbox").fetch_one(&app.state.db.pool).await.unwrap();
    let mut tx = app.state.db.begin_write().await.unwrap();
    assert!(ejia::server::outbox::cancel(&mut tx, id).await.unwrap());
    tx.commit().await.unwrap();
    // A message the provider refuses until the outbox gives up.
    for _ in 0..ejia::server::outbox::MAX_ATTEMPTS {
        app.sms.script.lock().unwrap().push_back(SendOutcome::Failed { detail: "500".into() });
    }
    app.post_form("/join", &[("phone", "13900139000"), ("intent", "send_code")]).await;
    for _ in 0..ejia::server::outbox::MAX_ATTEMPTS {
        app.deliver().await;
        app.clock.advance(3600);
    }
    let rows = all_outbox_params(&app).await;
    assert_eq!(rows.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>(), ["cancelled", "failed"]);
    for (status, params) in rows {
        let readable: serde_json::Value = serde_json::from_str(&params).unwrap_or_default();
        assert!(readable.get("code").is_none() && !params.contains("code"), "a {status} message holds its code: {params}");
    }
});

on_both_databases!(status_links_expire_90_days_after_the_decision, |app: TestApp| async move {
    let union = app.union_id("340300-HY01-LY").await.to_string();
    let decided = app.apply(GOOD_ID, "13800138000", &union).await;
    assert_eq!(decided.status(), 303);
    let decided = decided.headers()["location"].to_str().unwrap().to_string();
    let pending = app.apply(GOOD_ID_2, "13900139000", &union).await;
    assert_eq!(pending.status(), 303);
    let pending = pending.headers()["location"].to_str().unwrap().to_string();
    // The first application is decided now (as a reviewer's approval would record it).
    let decided_at = app.clock.now_for_test();
    sqlx::query("UPDATE applications SET status = 'approved', decided_at = $1 WHERE id = (SELECT MIN(id) FROM applications)")
        .bind(decided_at)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let day = 86_400;
    app.clock.set(decided_at + 89 * day);
    let res = app.get(&decided).await;
    assert_eq!(res.status(), 200, "89 days after the decision the link works");
    let html = res.text().await.unwrap();
    assert!(html.contains("已通过") && html.contains("11**************2X"));

    app.clock.set(decided_at + 91 * day);
    let res = app.get(&decided).await;
    assert!(res.status() == 410 || res.status() == 404, "91 days after the decision: {}", res.status());
    let html = res.text().await.unwrap();
    assert!(html.contains("审核结束90天后"), "the page says the link has expired");
    for data in ["11**************2X", "138****8000", "张*", "已通过", "蚌埠市力源港务集团公司工会"] {
        assert!(!html.contains(data), "an expired link shows no data ({data})");
    }
    let res = app.post_form(&decided, &[("name", "张三丰")]).await;
    assert!(res.status().is_client_error(), "an expired link takes no correction");

    // A pending application's link keeps working, however long it waits.
    let res = app.get(&pending).await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("待审核"));
});

// 8 — one code, one application.

on_both_databases!(one_code_races_into_one_application, |app: TestApp| async move {
    let union = app.union_id("340300-HY01-LY").await.to_string();
    let code = app.code_for("13800138000").await;
    let ids: Vec<String> = (0..20).map(id_number).collect();
    let keys: Vec<String> = (0..20).map(|i| format!("race-submission-key-{i:04}")).collect();
    let forms: Vec<_> = (0..20).map(|i| join_fields(&ids[i], "13800138000", &code, &union, &keys[i])).collect();
    let posts = forms.iter().map(|f| app.post_form("/join", f));
    let responses = futures_join_all(posts).await;
    let created = responses.iter().filter(|r| r.status() == 303).count();
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, 1, "one valid code makes exactly one application");
    assert_eq!(created, 1);
});

on_both_databases!(one_person_from_ten_phones_at_once_makes_one_application, |app: TestApp| async move {
    // The open-application rule under a race: the same person, ten phones, ten good codes, all
    // at once. One application; every other post is told one exists, its code spent, and the
    // link goes again to the phone on file, once a post.
    let union = app.union_id("340300-HY01-LY").await.to_string();
    let ten = TenPhones::new(&app, 7, "one-person-ten-phones").await;
    let forms = ten.forms(&union);
    let responses = futures_join_all(forms.iter().map(|f| app.post_form("/join", f))).await;
    let created = responses.iter().filter(|r| r.status() == 303).count();
    let mut told = 0;
    for r in responses.into_iter().filter(|r| r.status() == 200) {
        told += r.text().await.unwrap().contains("已有申请") as usize;
    }
    assert_eq!((created, told), (1, 9), "one application, nine told that one exists");
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM sms_codes WHERE purpose = 'join' AND used_at IS NULL").await, 0, "every code spent");
    app.deliver().await;
    let on_file: String = sqlx::query_scalar("SELECT phone FROM applications").fetch_one(&app.state.db.pool).await.unwrap();
    assert_eq!(app.sms.messages(&on_file, Template::StatusLinkAgain).len(), 9);
    assert_eq!(app.sms.messages(&on_file, Template::Received).len(), 1);
});

on_both_databases!(raced_wrong_guesses_count_at_most_five, |app: TestApp| async move {
    let union = app.union_id("340300-HY01-LY").await.to_string();
    let code = app.code_for("13800138000").await;
    let wrong: Vec<String> = (0..20).map(|i| format!("{:06}", (code.parse::<u32>().unwrap() + 1 + i) % 1_000_000)).collect();
    let keys: Vec<String> = (0..20).map(|i| format!("guess-submission-key-{i:04}")).collect();
    let forms: Vec<_> = (0..20).map(|i| join_fields(GOOD_ID, "13800138000", &wrong[i], &union, &keys[i])).collect();
    let posts = forms.iter().map(|f| app.post_form("/join", f));
    let mut judged = 0;
    for res in futures_join_all(posts).await {
        if res.text().await.unwrap().contains("验证码不正确") {
            judged += 1;
        }
    }
    assert!(judged <= 4, "{judged} guesses were answered \"wrong\" (at most four, the fifth kills the code)");
    let tries = app.count("SELECT MAX(wrong_tries) FROM sms_codes").await;
    assert!(tries <= 5, "{tries} tries were counted");
    let html = app
        .post_form("/join", &join_fields(GOOD_ID, "13800138000", &code, &union, "guess-submission-key-last"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("验证码错误次数过多"), "the code is dead afterwards");
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, 0);
});

// 9 — a replayed submission key.

/// The notices of a re-rendered join page, without the per-render random parts.
fn notices(html: &str) -> Vec<String> {
    html.split("role=\"alert\"").skip(1).map(|s| s.split('<').next().unwrap_or("").trim_start_matches('>').to_string()).collect()
}

on_both_databases!(a_replayed_submission_key_is_no_password, |app: TestApp| async move {
    let union = app.union_id("340300-HY01-LY").await.to_string();
    let key = "victim-submission-key-0001";
    let code = app.code_for("13800138000").await;
    let res = app.post_form("/join", &join_fields(GOOD_ID, "13800138000", &code, &union, key)).await;
    assert_eq!(res.status(), 303);
    app.deliver().await;
    let sms_before = app.sms.sent.lock().unwrap().len();

    // Junk with the known key: another person, another phone, a made-up code.
    let other = id_number(3);
    for (id, phone, guess) in
        [(other.as_str(), "13900139000", "123456"), (GOOD_ID, "13800138000", "000000"), (GOOD_ID, "13900139000", "654321")]
    {
        let replay = app.post_form("/join", &join_fields(id, phone, guess, &union, key)).await;
        let fresh = app.post_form("/join", &join_fields(id, phone, guess, &union, "an-unknown-submission-key")).await;
        assert_eq!(replay.status(), 200, "a replayed key with junk gets no status link ({id}, {phone})");
        assert!(replay.headers().get("location").is_none());
        assert_eq!(replay.status(), fresh.status());
        let (replay, fresh) = (replay.text().await.unwrap(), fresh.text().await.unwrap());
        assert!(!replay.contains("/s/") && !replay.contains("已有申请"));
        assert_eq!(notices(&replay), notices(&fresh), "the same answer as any invalid submission");
        assert!(!notices(&replay).is_empty());
    }
    app.deliver().await;
    assert_eq!(app.sms.sent.lock().unwrap().len(), sms_before, "no SMS for a replay");
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, 1);
});

on_both_databases!(a_genuine_double_submit_still_finds_its_application, |app: TestApp| async move {
    let union = app.union_id("340300-HY01-LY").await.to_string();
    // Twice in a row (a retry after a lost answer).
    let code = app.code_for("13800138000").await;
    let fields = join_fields(GOOD_ID, "13800138000", &code, &union, "twin-submission-key-0001");
    let first = app.post_form("/join", &fields).await;
    let second = app.post_form("/join", &fields).await;
    assert_eq!((first.status().as_u16(), second.status().as_u16()), (303, 303));
    let second = second.headers()["location"].to_str().unwrap().to_string();
    let html = app.get(&second).await.text().await.unwrap();
    assert!(html.contains("11**************2X"), "the twin's link shows the same application");
    // At the same moment (a double tap).
    let code = app.code_for("13900139000").await;
    let fields = join_fields(GOOD_ID_2, "13900139000", &code, &union, "twin-submission-key-0002");
    let (a, b) = tokio::join!(app.post_form("/join", &fields), app.post_form("/join", &fields));
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (303, 303));
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, 2);
});

// 12 — leftovers: expired picture checks do not pile up.
on_both_databases!(expired_picture_checks_are_purged, |app: TestApp| async move {
    let now = app.clock.now_for_test();
    let mut tx = app.state.db.begin_write().await.unwrap();
    for _ in 0..3 {
        ejia::join::captcha::create(&mut tx, &app.state.keys, "203.0.113.7", now).await.unwrap();
    }
    tx.commit().await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM captchas").await, 3);
    let later = now + 3600;
    let mut tx = app.state.db.begin_write().await.unwrap();
    let fresh = ejia::join::captcha::create(&mut tx, &app.state.keys, "203.0.113.7", later).await.unwrap();
    tx.commit().await.unwrap();
    let left: Vec<String> = sqlx::query_scalar("SELECT id FROM captchas").fetch_all(&app.state.db.pool).await.unwrap();
    assert_eq!(left, vec![fresh.id], "only the live check is kept");
});

on_both_databases!(a_join_cut_off_at_any_moment_leaves_nothing_half_written, |app: TestApp| async move {
    // The caller stops waiting (a client gone, a timeout) at every moment of a join in turn:
    // before, during and after its one round trip. Whatever was written is whole — an
    // application has its code spent, its status link and its receipt — and the writers'
    // connection is never left inside a transaction: the next join goes through.
    let union = app.union_id("340300-HY01-LY").await.to_string();
    for n in 0..16u32 {
        let phone = format!("1390001{n:04}");
        let code = app.code_for(&phone).await;
        let form = ejia::join::types::JoinForm {
            name: "张三".into(),
            id_number: id_number(n % 28),
            phone: phone.clone(),
            code,
            workplace: union.clone(),
            consent: "yes".into(),
            intent: "submit".into(),
            submission: format!("cut-off-submission-{n:04}"),
            ..Default::default()
        };
        let cut = std::time::Duration::from_micros(150 * u64::from(n));
        let _ = tokio::time::timeout(cut, ejia::join::service::submit(&app.state, &form, "127.0.0.1")).await;
        // A statement already sent runs to its end on the server (PostgreSQL): its end awaited.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        // Whatever the cut left, the writers work.
        let tx = app.state.db.begin_write().await.expect("the writers' connection is free");
        tx.commit().await.unwrap();
        let apps = app.count("SELECT COUNT(*) FROM applications").await;
        let whole = app
            .count(
                "SELECT COUNT(*) FROM applications a
                 WHERE EXISTS (SELECT 1 FROM sms_codes c WHERE c.id = a.join_code_id AND c.used_at IS NOT NULL)
                   AND EXISTS (SELECT 1 FROM status_tokens t WHERE t.application_id = a.id)
                   AND EXISTS (SELECT 1 FROM outbox o WHERE o.template = 'received' AND o.to_phone = a.phone)",
            )
            .await;
        assert_eq!(apps, whole, "cut after {cut:?}: every application whole");
        let spent = app.count("SELECT COUNT(*) FROM sms_codes WHERE purpose = 'join' AND used_at IS NOT NULL").await;
        assert_eq!(spent, apps, "cut after {cut:?}: a code is spent only with its application");
    }
    // Afterwards a join through the front door works as ever.
    let res = app.apply(GOOD_ID, "13800138000", &union).await;
    assert_eq!(res.status(), 303);
});
