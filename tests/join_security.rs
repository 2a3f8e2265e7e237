//! Hostile tests of the join channel, on SQLite and PostgreSQL: a script guessing the picture
//! check, a network rotating IPv6 addresses or racing its sends, secrets left readable in the
//! database, one code raced into two applications, and a replayed submission key.
mod common;

use common::*;
use ejia::server::config::Limits;
use ejia::server::db::Backend;
use ejia::server::sms::{SendOutcome, Template};

/// Runs a body on both databases with an app built by `$spawn(backend)`.
macro_rules! on_both_with {
    ($name:ident, $spawn:expr, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = ($spawn)(Backend::Sqlite).await;
                ($body)(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = ($spawn)(Backend::Postgres).await;
                ($body)(app).await;
            }
        }
    };
}

/// A valid mainland ID number (GB 11643 check digit) for person `n` (0..28).
fn id_number(n: u32) -> String {
    let body = format!("110105198001{:02}{:03}", n % 28 + 1, 100 + n);
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.chars().zip(weights).map(|(c, w)| c.to_digit(10).unwrap() * w).sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{body}{check}")
}

fn join_fields<'a>(id: &'a str, phone: &'a str, code: &'a str, union: &'a str, key: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", "张三"),
        ("id_number", id),
        ("phone", phone),
        ("code", code),
        ("workplace", union),
        ("consent", "yes"),
        ("submission", key),
        ("intent", "submit"),
    ]
}

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

/// Runs futures concurrently (tokio tasks would need 'static).
async fn futures_join_all<F: std::future::Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    let mut pending: Vec<(usize, std::pin::Pin<Box<F>>)> = futures.into_iter().enumerate().collect();
    std::future::poll_fn(|cx| {
        pending.retain_mut(|(i, f)| match f.as_mut().poll(cx) {
            std::task::Poll::Ready(v) => {
                out[*i] = Some(v);
                false
            }
            std::task::Poll::Pending => true,
        });
        if pending.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    out.into_iter().map(|o| o.unwrap()).collect()
}

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

/// One person (`id_number(person)`) with ten phones, each with a good code.
struct TenPhones {
    id: String,
    phones: Vec<String>,
    codes: Vec<String>,
    keys: Vec<String>,
}

impl TenPhones {
    async fn new(app: &TestApp, person: u32, key_prefix: &str) -> TenPhones {
        let phones: Vec<String> = (0..10).map(|i| format!("1390000{i:04}")).collect();
        let mut codes = Vec::new();
        for p in &phones {
            codes.push(app.code_for(p).await);
        }
        let keys = (0..10).map(|i| format!("{key_prefix}-{i:04}")).collect();
        TenPhones { id: id_number(person), phones, codes, keys }
    }

    /// The ten join forms, one a phone.
    fn forms<'a>(&'a self, union: &'a str) -> Vec<Vec<(&'a str, &'a str)>> {
        (0..10).map(|i| join_fields(&self.id, &self.phones[i], &self.codes[i], union, &self.keys[i])).collect()
    }
}

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

// 8b — joins posted together. On PostgreSQL the joins that arrive at the same time are written
// in one statement (`server::group`); each must still be judged as if it came alone.

/// An app whose one network may ask for many codes (the tests below post from one address).
async fn roomy(backend: Backend) -> TestApp {
    spawn_app_with(backend, Limits { ip_per_hour: 1000, ip_hard_per_hour: 1000, ..Limits::default() }).await
}

/// The application a status link (`/s/<token>`) opens.
async fn application_of_link(app: &TestApp, location: &str) -> i64 {
    let token = location.trim_start_matches("/s/");
    let hash = ejia::join::StatusToken::parse(token).expect("a status link").hash();
    sqlx::query_scalar("SELECT application_id FROM status_tokens WHERE token_hash = $1")
        .bind(hash)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

on_both_with!(joins_posted_together_are_each_judged_on_their_own, roomy, |app: TestApp| async move {
    let union = app.union_id("340300-HY01-LY").await.to_string();
    // Four people who have an open application already.
    for i in 0..4u32 {
        assert_eq!(app.apply(&id_number(20 + i), &format!("1360000{i:04}"), &union).await.status(), 303);
    }
    let (good, wrong, again): (Vec<String>, Vec<String>, Vec<String>) = (
        (0..12).map(|i| format!("1390000{i:04}")).collect(),
        (0..4).map(|i| format!("1370000{i:04}")).collect(),
        (0..4).map(|i| format!("1350000{i:04}")).collect(),
    );
    let mut codes = std::collections::HashMap::new();
    for p in good.iter().chain(&wrong).chain(&again) {
        codes.insert(p.clone(), app.code_for(p).await);
    }
    let mistyped: Vec<String> = wrong.iter().map(|p| format!("{:06}", (codes[p].parse::<u32>().unwrap() + 1) % 1_000_000)).collect();
    let ids: Vec<String> = (0..12).map(id_number).collect();
    let again_ids: Vec<String> = (0..4).map(|i| id_number(20 + i)).collect();
    let keys: Vec<String> = (0..20).map(|i| format!("posted-together-key-{i:04}")).collect();
    let mut forms: Vec<Vec<(&str, &str)>> = Vec::new();
    for i in 0..12 {
        forms.push(join_fields(&ids[i], &good[i], &codes[&good[i]], &union, &keys[i]));
    }
    for i in 0..4 {
        forms.push(join_fields(&ids[i], &wrong[i], &mistyped[i], &union, &keys[12 + i]));
        forms.push(join_fields(&again_ids[i], &again[i], &codes[&again[i]], &union, &keys[16 + i]));
    }
    // Three of the good forms sent twice at once (a double tap).
    for i in 0..3 {
        forms.push(join_fields(&ids[i], &good[i], &codes[&good[i]], &union, &keys[i]));
    }
    let responses = futures_join_all(forms.iter().map(|f| app.post_form("/join", f))).await;
    let mut links = Vec::new();
    for (i, res) in responses.into_iter().enumerate() {
        let status = res.status();
        if status == 303 {
            links.push((i, res.headers()["location"].to_str().unwrap().to_string()));
            continue;
        }
        let html = res.text().await.unwrap();
        match i {
            12..=19 if (i - 12) % 2 == 0 => assert!(html.contains("验证码不正确"), "post {i}: a mistyped code is judged wrong"),
            12..=19 => assert!(html.contains("已有申请"), "post {i}: the person is told an application exists"),
            _ => panic!("post {i} answered {status}"),
        }
    }
    assert_eq!(links.len(), 15, "twelve good posts and their three twins are received");
    let mut made = std::collections::HashMap::new();
    for (i, location) in &links {
        // Posts 20, 21 and 22 are the twins of posts 0, 1 and 2.
        let first = if *i >= 20 { i - 20 } else { *i };
        made.entry(first).or_insert_with(Vec::new).push(application_of_link(&app, location).await);
    }
    let mut distinct: Vec<i64> = made.values().flatten().copied().collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 12, "twelve applications: {made:?}");
    assert!(made.values().all(|apps| apps.iter().all(|a| *a == apps[0])), "a twin opens its first post's application: {made:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, 16);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sms_codes WHERE wrong_tries = 1 AND used_at IS NULL AND phone LIKE '1370000%'").await,
        4,
        "each mistyped code counts one wrong try and stays usable"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM sms_codes WHERE purpose = 'join' AND used_at IS NULL").await, 4, "every other code spent");
    app.deliver().await;
    for p in &good {
        assert_eq!(app.sms.messages(p, Template::Received).len(), 1, "one receipt to {p}");
    }
    for i in 0..4u32 {
        assert_eq!(app.sms.messages(&format!("1360000{i:04}"), Template::StatusLinkAgain).len(), 1, "the link again to the phone on file");
    }
    if let Some(group) = &app.state.joins {
        let (statements, written) = group.counts();
        println!("{written} joins written in {statements} statements");
        assert_eq!(written, 16, "every join that keeps the rules is written by a group statement");
        let text = app.get("/metrics").await.text().await.unwrap();
        assert!(text.contains(&format!("ejia_join_group_rows_total {written}")), "{text}");
        assert!(text.contains(&format!("ejia_join_group_statements_total {statements}")), "{text}");
    }
});

/// Posts `forms` at the same time, alternately to `a` and `b`.
async fn post_to_both(a: &TestApp, b: &TestApp, forms: &[Vec<(&str, &str)>]) -> Vec<reqwest::Response> {
    futures_join_all(forms.iter().enumerate().map(|(i, f)| if i % 2 == 0 { a.post_form("/join", f) } else { b.post_form("/join", f) }))
        .await
}

on_both_with!(joins_raced_across_two_instances_make_one_application_each, roomy, |a: TestApp| async move {
    let b = spawn_second_instance(&a).await;
    let union = a.union_id("340300-HY01-LY").await.to_string();
    // One code posted for twenty people, half to each instance.
    let code = a.code_for("13800138000").await;
    let ids: Vec<String> = (0..20).map(id_number).collect();
    let keys: Vec<String> = (0..20).map(|i| format!("two-instances-code-{i:04}")).collect();
    let forms: Vec<_> = (0..20).map(|i| join_fields(&ids[i], "13800138000", &code, &union, &keys[i])).collect();
    let created = post_to_both(&a, &b, &forms).await.iter().filter(|r| r.status() == 303).count();
    assert_eq!((created, a.count("SELECT COUNT(*) FROM applications").await), (1, 1), "one code, one application");
    // One person from ten phones, half to each instance.
    let ten = TenPhones::new(&a, 25, "two-instances-person").await;
    let forms = ten.forms(&union);
    let created = post_to_both(&a, &b, &forms).await.iter().filter(|r| r.status() == 303).count();
    assert_eq!(created, 1, "one person, one application");
    assert_eq!(a.count("SELECT COUNT(*) FROM applications").await, 2);
    assert_eq!(a.count("SELECT COUNT(*) FROM sms_codes WHERE purpose = 'join' AND used_at IS NULL").await, 0, "every code spent");
});

/// Posts a join form to `path` from a task of its own (it goes on while the test holds a lock).
fn post_in_background(app: &TestApp, path: &str, form: Vec<(&str, &str)>) -> tokio::task::JoinHandle<reqwest::StatusCode> {
    let (http, url, origin) = (app.http.clone(), format!("{}{path}", app.base), app.base.clone());
    let form: Vec<(String, String)> = form.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    tokio::spawn(async move { http.post(url).header("origin", origin).form(&form).send().await.unwrap().status() })
}

/// Both of an app's group statements held waiting (PostgreSQL): two joins posted one after the
/// other, each its own statement, wait on their code rows, which a transaction of the test's
/// holds locked; posts made meanwhile pile up and go together when `release` lets them on.
struct BusyGroup {
    lock: sqlx::Transaction<'static, sqlx::Any>,
    held: Vec<tokio::task::JoinHandle<reqwest::StatusCode>>,
}

impl BusyGroup {
    async fn new(app: &TestApp, union: &str) -> BusyGroup {
        let fillers = ["13600000001", "13600000002"];
        let mut codes = Vec::new();
        for p in fillers {
            codes.push(app.code_for(p).await);
        }
        let mut lock = app.state.db.pool.begin().await.unwrap();
        sqlx::query("SELECT id FROM sms_codes WHERE phone IN ($1, $2) FOR UPDATE")
            .bind(fillers[0])
            .bind(fillers[1])
            .fetch_all(&mut *lock)
            .await
            .unwrap();
        let blocked =
            "SELECT CAST(COUNT(*) AS BIGINT) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()";
        let mut held = Vec::new();
        for i in 0..2 {
            let (id, key) = (id_number(26 + i as u32), format!("busy-group-held-{i}"));
            held.push(post_in_background(app, "/join", join_fields(&id, fillers[i], &codes[i], union, &key)));
            let waited = std::time::Instant::now();
            while app.count(blocked).await < i as i64 + 1 {
                assert!(waited.elapsed() < std::time::Duration::from_secs(10), "the held post's statement waits on its code");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
        BusyGroup { lock, held }
    }

    /// After the posts made meanwhile have had time to reach the group: lets everything on.
    async fn release(self) {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        self.lock.commit().await.unwrap();
        for h in self.held {
            assert_eq!(h.await.unwrap(), 303, "the held posts go through");
        }
    }
}

/// The statuses of posts made from tasks of their own.
async fn statuses(posts: Vec<tokio::task::JoinHandle<reqwest::StatusCode>>) -> Vec<u16> {
    let mut out = Vec::new();
    for p in posts {
        out.push(p.await.unwrap().as_u16());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_one_code_posted_while_the_group_is_busy_makes_one_application() {
    // Twenty posts of one code are all waiting when the next statement is put together: it
    // must still never hold two of them.
    let app = roomy(Backend::Postgres).await;
    let union = app.union_id("340300-HY01-LY").await.to_string();
    let code = app.code_for("13800138000").await;
    let busy = BusyGroup::new(&app, &union).await;
    let (ids, keys): (Vec<String>, Vec<String>) =
        ((0..20).map(id_number).collect(), (0..20).map(|i| format!("busy-group-{i:04}")).collect());
    let posts = (0..20).map(|i| post_in_background(&app, "/join", join_fields(&ids[i], "13800138000", &code, &union, &keys[i]))).collect();
    busy.release().await;
    let statuses = statuses(posts).await;
    assert_eq!(statuses.iter().filter(|s| **s == 303).count(), 1, "one of twenty posts of one code is received: {statuses:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM applications WHERE phone = '13800138000'").await, 1, "one code, one application");
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_channel_counts_every_join_of_a_group() {
    let app = roomy(Backend::Postgres).await;
    let union = app.union_id("340300-HY01-LY").await.to_string();
    let phones: Vec<String> = (0..6).map(|i| format!("1390000{i:04}")).collect();
    let mut codes = Vec::new();
    for p in &phones {
        codes.push(app.code_for(p).await);
    }
    let busy = BusyGroup::new(&app, &union).await;
    let ids: Vec<String> = (0..6).map(id_number).collect();
    let posts = (0..6)
        .map(|i| {
            let form = vec![
                ("name", "张三"),
                ("id_number", &ids[i]),
                ("phone", &phones[i]),
                ("code", &codes[i]),
                ("consent", "yes"),
                ("intent", "submit"),
            ];
            post_in_background(&app, "/j/LY2608", form)
        })
        .collect();
    busy.release().await;
    assert_eq!(statuses(posts).await, [303; 6]);
    let (statements, written) = app.state.joins.as_ref().expect("PostgreSQL writes joins together").counts();
    assert_eq!((statements, written), (3, 8), "the two held joins, then the six of the channel in one statement");
    let (_, completed) = ejia::channel::repo::counts(&app.state.db.pool, "LY2608").await.unwrap().unwrap();
    assert_eq!(completed, 6, "each of the six is counted");
}

// 8c — the group commit itself (PostgreSQL), on a table of its own.

/// A PostgreSQL database with a table `t (k TEXT PRIMARY KEY, n BIGINT, txid BIGINT)`, and a
/// group whose statement writes rows `{"k": …, "n": …}` once the gate is open (`Gate`),
/// failing when an `n` is negative.
async fn scratch_group() -> (ejia::server::db::Db, ejia::server::group::Group, TempDir) {
    let tmp = TempDir(std::env::temp_dir().join(format!("ejia-group-{}", ejia::server::crypto::random_token())));
    std::fs::create_dir_all(&tmp.0).unwrap();
    let url = fresh_database(Backend::Postgres, &tmp.0).await;
    let db = ejia::server::db::Db::connect(&url, 8).await.unwrap();
    sqlx::query("CREATE TABLE t (k TEXT PRIMARY KEY, n BIGINT NOT NULL, txid BIGINT NOT NULL)").execute(&db.pool).await.unwrap();
    let sql = "WITH r AS (SELECT * FROM json_to_recordset(CAST($1 AS json)) AS x(k text, n bigint)),
         gate AS (SELECT pg_advisory_xact_lock_shared(4242)),
         w AS (INSERT INTO t (k, n, txid)
               SELECT r.k, CAST(CASE WHEN r.n < 0 THEN 'not a number' ELSE CAST(r.n AS text) END AS BIGINT), txid_current()
               FROM r, gate ON CONFLICT DO NOTHING RETURNING k, n)
         SELECT k, n FROM w";
    let group = ejia::server::group::Group::new(db.clone(), sql.to_string());
    (db, group, tmp)
}

/// The scratch group's gate, held shut by a transaction of the test's until `open`.
struct Gate(sqlx::Transaction<'static, sqlx::Any>, ejia::server::db::Db);

impl Gate {
    async fn shut(db: &ejia::server::db::Db) -> Gate {
        let mut tx = db.pool.begin().await.unwrap();
        sqlx::query("SELECT pg_advisory_xact_lock(4242)").execute(&mut *tx).await.unwrap();
        Gate(tx, db.clone())
    }

    /// Waits until `n` statements wait at the gate.
    async fn until_waiting(&self, n: i64) {
        let waited = std::time::Instant::now();
        loop {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
            )
            .fetch_one(&self.1.pool)
            .await
            .unwrap();
            if waiting >= n {
                return;
            }
            assert!(waited.elapsed() < std::time::Duration::from_secs(10), "{n} statements wait at the gate");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    async fn open(self) {
        self.0.commit().await.unwrap();
    }
}

fn entry(k: &str, n: i64, exclusive: &str) -> ejia::server::group::Entry {
    ejia::server::group::Entry { key: k.into(), exclusive: vec![exclusive.into()], row: serde_json::json!({ "k": k, "n": n }), after: None }
}

/// Writes an entry from a task of its own.
fn write_in_background(group: &ejia::server::group::Group, e: ejia::server::group::Entry) -> tokio::task::JoinHandle<Option<Vec<i64>>> {
    let group = group.clone();
    tokio::spawn(async move { group.write(e).await })
}

/// Writes `entries` from tasks of their own while both of the group's statements wait at the
/// shut gate (one held row each), so that they gather; then opens the gate. Their outcomes.
async fn behind_a_busy_group(
    db: &ejia::server::db::Db,
    group: &ejia::server::group::Group,
    entries: Vec<ejia::server::group::Entry>,
) -> Vec<Option<Vec<i64>>> {
    let gate = Gate::shut(db).await;
    let mut held = Vec::new();
    for i in 0..2 {
        held.push(write_in_background(group, entry(&format!("held-{i}"), 1000 + i, &format!("held-{i}"))));
        gate.until_waiting(i + 1).await;
    }
    let writes: Vec<_> = entries.into_iter().map(|e| write_in_background(group, e)).collect();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    gate.open().await;
    for h in held {
        assert!(h.await.unwrap().is_some(), "the held rows are written");
    }
    let mut out = Vec::new();
    for w in writes {
        out.push(w.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_group_writes_rows_together_but_never_two_that_share_a_value() {
    let (db, group, _tmp) = scratch_group().await;
    // Rows i and i + 30 share a value.
    let entries = (0..60).map(|i| entry(&format!("row-{i}"), i, &format!("shared-{}", i % 30))).collect();
    for (i, written) in behind_a_busy_group(&db, &group, entries).await.into_iter().enumerate() {
        assert_eq!(written, Some(vec![i as i64]), "row {i} is written and its ids come back");
    }
    let (statements, written) = group.counts();
    println!("62 rows in {statements} statements");
    assert_eq!(written, 62);
    assert_eq!(statements, 4, "the two held rows, then the sixty in two statements (a shared value waits for the next)");
    let shared: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM t a JOIN t b ON a.txid = b.txid AND a.n + 30 = b.n")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(shared, 0, "two rows sharing a value never went in one statement");
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_group_statement_that_fails_writes_nothing_and_the_group_goes_on() {
    let (db, group, _tmp) = scratch_group().await;
    // Three rows, one of them bad: their statement fails.
    let entries = vec![entry("good", 2, "b"), entry("bad", -1, "c"), entry("also-good", 3, "d")];
    for written in behind_a_busy_group(&db, &group, entries).await {
        assert_eq!(written, None, "a failed statement reports none of its rows written");
    }
    assert_eq!(group.counts(), (3, 2));
    let keys: Vec<String> = sqlx::query_scalar("SELECT k FROM t ORDER BY k").fetch_all(&db.pool).await.unwrap();
    assert_eq!(keys, ["held-0", "held-1"], "nothing of the failed statement is kept");
    // The group goes on: the good rows are written next time.
    let again = futures_join_all([entry("good", 2, "b"), entry("also-good", 3, "d")].map(|e| group.write(e))).await;
    assert_eq!(again, [Some(vec![2]), Some(vec![3])]);
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_group_row_of_a_caller_that_stopped_waiting_is_written_and_its_follow_up_runs() {
    let (db, group, _tmp) = scratch_group().await;
    let gate = Gate::shut(&db).await;
    let (tx, rx) = std::sync::mpsc::channel();
    let mut e = entry("abandoned", 7, "a");
    e.after = Some(Box::new(move |ids: &[i64]| tx.send(ids.to_vec()).unwrap()));
    // The caller gives up while its statement waits (a client gone).
    let gave_up = tokio::time::timeout(std::time::Duration::from_millis(100), group.write(e)).await;
    assert!(gave_up.is_err());
    gate.open().await;
    let ids = tokio::task::spawn_blocking(move || rx.recv_timeout(std::time::Duration::from_secs(10))).await.unwrap();
    assert_eq!(ids.unwrap(), [7], "the follow-up ran after the commit");
    assert_eq!(sqlx::query_scalar::<_, i64>("SELECT n FROM t").fetch_one(&db.pool).await.unwrap(), 7);
    db.close().await;
}

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
