//! The join channel over HTTP, on SQLite and PostgreSQL: the whole flow without JavaScript and
//! through the server function, duplicates, codes, sending limits, routing and deadlines.
mod common;

use common::*;
use ejia::calendar::{format_local, local_to_unix};
use ejia::domain::Ymd;
use ejia::server::sms::Template;

async fn status_path(res: reqwest::Response) -> String {
    assert_eq!(res.status(), 303, "a submitted form answers 303 to its status page");
    let loc = res.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.starts_with("/s/") && loc.len() == 3 + 22, "status link {loc}");
    loc
}

on_both_databases!(join_end_to_end_without_javascript, |app: TestApp| async move {
    let page = app.get("/join").await.text().await.unwrap();
    for label in ["姓名", "身份证号", "手机号", "验证码", "工作单位", "车牌号", "获取验证码", "提交申请"] {
        assert!(page.contains(label), "the form shows {label}");
    }
    let union = app.union_id("340300-HY01-LY").await;
    let loc = status_path(app.apply(GOOD_ID, "13800138000", &union.to_string()).await).await;

    // One application, pending, routed to the chosen union, due the next working day.
    let (status, org, due, provisional): (String, i64, i64, i64) =
        sqlx::query_as("SELECT status, org_id, due_at, due_provisional FROM applications").fetch_one(&app.state.db.pool).await.unwrap();
    assert_eq!((status.as_str(), org, provisional), ("pending", union, 0));
    assert_eq!(format_local(due), "2026-11-26 10:00");

    // The receipt SMS carries the status link; the status page shows masked data only.
    app.deliver().await;
    let receipt = app.sms.messages("13800138000", Template::Received).pop().expect("receipt SMS");
    assert!(receipt.params["link"].as_str().unwrap().contains("/s/"));
    let status_page = app.get(&loc).await;
    assert_eq!(status_page.headers()["cache-control"], "no-store");
    let html = status_page.text().await.unwrap();
    assert!(html.contains("11**************2X") && html.contains("138****8000") && html.contains("张*"));
    assert!(!html.contains(GOOD_ID) && !html.contains("13800138000") && !html.contains("张三"));
    assert!(html.contains("待审核") && html.contains("蚌埠市力源港务集团公司工会"));

    // No ID number in the clear anywhere in the applications table.
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT name, id_masked, id_blind FROM applications").fetch_all(&app.state.db.pool).await.unwrap();
    for (a, b, c) in rows {
        for v in [a, b, c] {
            assert!(!v.contains("19491231002"), "plain ID found: {v}");
        }
    }
    let cipher: Vec<u8> = sqlx::query_scalar("SELECT id_cipher FROM applications").fetch_one(&app.state.db.pool).await.unwrap();
    assert!(!String::from_utf8_lossy(&cipher).contains("19491231"));
    if app.backend == ejia::server::db::Backend::Sqlite {
        // The whole database file, as a dump would show it, holds no ID number.
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&app.state.db.pool).await.unwrap();
        let url = &app.state.config.database_url;
        let path = url.trim_start_matches("sqlite://").split('?').next().unwrap();
        let bytes = std::fs::read(path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(GOOD_ID) && !text.contains("110105194912310"), "no ID number in the database file");
    }
});

on_both_databases!(join_through_the_server_function, |app: TestApp| async move {
    let code = app.code_for("13900139000").await;
    let county = app.union_id("340303").await;
    let res = app
        .http
        .post(format!("{}/api/join_step", app.base))
        .header("origin", &app.base)
        .json(&serde_json::json!({ "form": {
            "name": "李四", "id_number": GOOD_ID_2, "phone": "139 0013 9000", "code": code,
            "workplace": "none", "county": county.to_string(), "consent": "yes",
            "submission": "abcdefghijklmnopqrstuv", "intent": "submit" }}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let outcome: serde_json::Value = res.json().await.unwrap();
    assert!(outcome["Submitted"]["status_path"].as_str().unwrap().starts_with("/s/"), "{outcome}");
    let (org, in_pool): (i64, i64) =
        sqlx::query_as("SELECT org_id, in_pool FROM applications").fetch_one(&app.state.db.pool).await.unwrap();
    assert_eq!((org, in_pool), (county, 1), "暂无固定单位 goes to the county's turnover pool");
});

on_both_databases!(invalid_input_is_shown_beside_fields_and_kept, |app: TestApp| async move {
    let res =
        app.post_form("/join", &[("name", "王五"), ("id_number", "110105194912310021"), ("phone", "12345"), ("intent", "submit")]).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("身份证号校验位不对"), "bad check digit explained");
    assert!(html.contains("请填写11位中国大陆手机号"));
    assert!(html.contains("请阅读并勾选同意个人信息处理"), "consent is required");
    assert!(html.contains("value=\"110105194912310021\"") && html.contains("value=\"王五\""), "input kept");
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, 0);
});

on_both_databases!(duplicate_id_is_told_only_that_an_application_exists, |app: TestApp| async move {
    let union = app.union_id("340300-HY01-WY").await.to_string();
    status_path(app.apply(GOOD_ID, "13800138000", &union).await).await;
    let res = app.apply(GOOD_ID, "13700137000", &union).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("已有申请"));
    assert!(!html.contains("138****8000"), "the page does not reveal the phone on file");
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, 1);
    app.deliver().await;
    let again = app.sms.messages("13800138000", Template::StatusLinkAgain);
    assert_eq!(again.len(), 1, "the status link went to the phone on file");
    assert!(app.sms.messages("13700137000", Template::StatusLinkAgain).is_empty());
    // After a rejection a new application is allowed.
    sqlx::query("UPDATE applications SET status = 'rejected', open_key = NULL").execute(&app.state.db.pool).await.unwrap();
    app.clock.advance(120);
    status_path(app.apply(GOOD_ID, "13700137000", &union).await).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, 2);
});

/// The join form of GOOD_ID on 13800138000, complete and valid, under submission key `key`.
fn good_form<'a>(code: &'a str, union: &'a str, key: &'a str) -> [(&'static str, &'a str); 8] {
    [
        ("name", "张三"),
        ("id_number", GOOD_ID),
        ("phone", "13800138000"),
        ("code", code),
        ("workplace", union),
        ("consent", "yes"),
        ("submission", key),
        ("intent", "submit"),
    ]
}

on_both_databases!(a_double_submit_makes_one_application, |app: TestApp| async move {
    let code = app.code_for("13800138000").await;
    let union = app.union_id("340300-HY01-LY").await.to_string();
    let fields = good_form(&code, &union, "double-submit-key-0001");
    let (a, b) = tokio::join!(app.post_form("/join", &fields), app.post_form("/join", &fields));
    status_path(a).await;
    status_path(b).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, 1);
});

on_both_databases!(wrong_expired_and_reused_codes, |app: TestApp| async move {
    let union = app.union_id("340300-HY01-LY").await.to_string();
    let submit = |code: String, id: &'static str| {
        let union = union.clone();
        let app = &app;
        async move {
            app.post_form(
                "/join",
                &[
                    ("name", "张三"),
                    ("id_number", id),
                    ("phone", "13800138000"),
                    ("code", &code),
                    ("workplace", &union),
                    ("consent", "yes"),
                    ("intent", "submit"),
                ],
            )
            .await
        }
    };
    let code = app.code_for("13800138000").await;
    let wrong = if code == "000000" { "111111" } else { "000000" }.to_string();
    let html = submit(wrong.clone(), GOOD_ID).await.text().await.unwrap();
    assert!(html.contains("验证码不正确"));
    for _ in 0..4 {
        submit(wrong.clone(), GOOD_ID).await;
    }
    let html = submit(code.clone(), GOOD_ID).await.text().await.unwrap();
    assert!(html.contains("验证码错误次数过多"), "five wrong tries kill the code");

    app.clock.advance(61);
    let code = app.code_for("13800138000").await;
    app.clock.advance(301);
    let html = submit(code, GOOD_ID).await.text().await.unwrap();
    assert!(html.contains("验证码已失效"), "a code lives five minutes");

    app.clock.advance(61);
    let code = app.code_for("13800138000").await;
    status_path(submit(code.clone(), GOOD_ID).await).await;
    let html = submit(code, GOOD_ID_2).await.text().await.unwrap();
    assert!(html.contains("请先点击“获取验证码”"), "a used code does not work again");
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, 1);
});

on_both_databases!(sms_sending_limits_per_phone, |app: TestApp| async move {
    let send = |phone: &'static str| {
        let app = &app;
        async move { app.post_form("/join", &[("phone", phone), ("intent", "send_code")]).await }
    };
    assert!(send("13800138000").await.text().await.unwrap().contains("验证码已发送"));
    let html = send("13800138000").await.text().await.unwrap();
    assert!(html.contains("发送太频繁"), "one a minute");
    // A number never seen gets exactly the same kind of answer.
    assert!(send("13600136000").await.text().await.unwrap().contains("验证码已发送"));
    for _ in 0..4 {
        app.clock.advance(61);
        assert!(send("13800138000").await.text().await.unwrap().contains("验证码已发送"));
    }
    app.clock.advance(61);
    assert!(send("13800138000").await.text().await.unwrap().contains("1小时内获取验证码次数过多"), "five an hour");
    for _ in 0..5 {
        app.clock.advance(3601);
        send("13800138000").await;
    }
    app.clock.advance(3601);
    let html = send("13800138000").await.text().await.unwrap();
    assert!(html.contains("今天获取验证码次数已达上限"), "ten a day");
    let codes = app.count("SELECT COUNT(*) FROM outbox WHERE to_phone = '13800138000'").await;
    assert_eq!(codes, 10, "refused sends never reach the outbox");
});

on_both_databases!(busy_network_needs_a_picture_check, |app: TestApp| async move {
    // 30 codes an hour from one IP; then a picture check; a solved check lets one more through.
    for i in 0..30 {
        let phone = format!("1380000{:04}", i);
        let html = app.post_form("/join", &[("phone", &phone), ("intent", "send_code")]).await.text().await.unwrap();
        assert!(html.contains("验证码已发送"), "code {i}");
    }
    let html = app.post_form("/join", &[("phone", "13900000000"), ("intent", "send_code")]).await.text().await.unwrap();
    assert!(html.contains("请先完成图形校验") && html.contains("<svg"));
    let (id, mac): (String, String) = sqlx::query_as("SELECT id, answer_mac FROM captchas").fetch_one(&app.state.db.pool).await.unwrap();
    let solve = |id: &str, mac: &str| {
        (0..100_000).map(|n| format!("{n:05}")).find(|a| app.state.keys.mac_matches(&["captcha", id, a], mac)).unwrap()
    };
    let answer = solve(&id, &mac);
    let wrong = format!("{:05}", (answer.parse::<i32>().unwrap() + 1) % 100_000);
    let html = app
        .post_form("/join", &[("phone", "13900000000"), ("intent", "send_code"), ("captcha_id", &id), ("captcha_answer", &wrong)])
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("图形校验答案不正确"));
    let html = app
        .post_form("/join", &[("phone", "13900000000"), ("intent", "send_code"), ("captcha_id", &id), ("captcha_answer", &answer)])
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("图形校验答案不正确"), "a check is single use, even with the right answer afterwards");
    let (id2, mac2): (String, String) =
        sqlx::query_as("SELECT id, answer_mac FROM captchas WHERE solved_at IS NULL").fetch_one(&app.state.db.pool).await.unwrap();
    let answer2 = solve(&id2, &mac2);
    let html = app
        .post_form("/join", &[("phone", "13900000000"), ("intent", "send_code"), ("captcha_id", &id2), ("captcha_answer", &answer2)])
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("验证码已发送"));
});

async fn deadline_of_application_made_at(app: &TestApp, at: i64, id: &str, phone: &str) -> (String, i64) {
    app.clock.set(at);
    let union = app.union_id("340300-HY01-LY").await.to_string();
    status_path(app.apply(id, phone, &union).await).await;
    sqlx::query_as::<_, (i64, i64)>("SELECT due_at, due_provisional FROM applications ORDER BY id DESC LIMIT 1")
        .fetch_one(&app.state.db.pool)
        .await
        .map(|(d, p)| (format_local(d), p))
        .unwrap()
}

on_both_databases!(deadlines_across_weekend_holiday_and_tiaoxiu, |app: TestApp| async move {
    let at = |y, m, d, h, min| local_to_unix(Ymd::new(y, m, d).unwrap(), h, min);
    // Friday afternoon → Monday, same time.
    let (due, prov) = deadline_of_application_made_at(&app, at(2026, 11, 27, 16, 0), GOOD_ID, "13800138000").await;
    assert_eq!((due.as_str(), prov), ("2026-11-30 16:00", 0));
    // The day before the National Day holiday → the first working day after it.
    let (due, _) = deadline_of_application_made_at(&app, at(2025, 9, 30, 10, 0), GOOD_ID_2, "13800138001").await;
    assert_eq!(due, "2025-10-09 10:00");
    // Friday → the Saturday worked in exchange (调休).
    let (due, _) = deadline_of_application_made_at(&app, at(2025, 10, 10, 9, 0), "340321198506154561", "13800138002").await;
    assert_eq!(due, "2025-10-11 09:00");
    // A Saturday → close of Monday; a year not yet published is provisional.
    let (due, prov) = deadline_of_application_made_at(&app, at(2027, 3, 6, 11, 0), "340303197703037893", "13800138003").await;
    assert_eq!((due.as_str(), prov), ("2027-03-08 17:30", 1));
});

on_both_databases!(channel_fixes_union_and_occupation_and_counts, |app: TestApp| async move {
    let page = app.get("/j/ly2608").await.text().await.unwrap();
    assert!(page.contains("蚌埠市力源港务集团公司工会") && page.contains("货车司机"));
    let code = app.code_for("13800138000").await;
    let res = app
        .post_form(
            "/j/LY2608",
            &[
                ("name", "张三"),
                ("id_number", GOOD_ID),
                ("phone", "13800138000"),
                ("code", &code),
                ("plate", "皖C12345"),
                ("consent", "yes"),
                ("intent", "submit"),
            ],
        )
        .await;
    status_path(res).await;
    let (org, occupation, plate): (i64, String, String) =
        sqlx::query_as("SELECT org_id, occupation, plate FROM applications").fetch_one(&app.state.db.pool).await.unwrap();
    assert_eq!(org, app.union_id("340300-HY01-LY").await);
    assert_eq!((occupation.as_str(), plate.as_str()), ("truck_driver", "皖C12345"));
    let (scans, completed) = ejia::channel::repo::counts(&app.state.db.pool, "LY2608").await.unwrap().unwrap();
    assert_eq!((scans, completed), (1, 1));
    let poster = app.get("/j/LY2608/poster").await.text().await.unwrap();
    assert!(poster.contains("<svg") && poster.contains("/j/LY2608"));
    assert_eq!(app.get("/j/NOPE99").await.status(), 404);
});

on_both_databases!(workplace_search_and_subtree, |app: TestApp| async move {
    let html = app.post_form("/join", &[("workplace_query", "力源"), ("intent", "search")]).await.text().await.unwrap();
    assert!(html.contains("蚌埠市力源港务集团公司工会"));
    assert!(!html.contains(">蚌埠市总工会<"), "federations are no one's workplace");
    let city = app.union_id("340300").await;
    let group = app.union_id("340300-HY01-LY-G1").await;
    let county = app.union_id("340302").await;
    assert!(ejia::org::repo::is_within(&app.state.db.pool, group, city).await.unwrap());
    assert!(!ejia::org::repo::is_within(&app.state.db.pool, group, county).await.unwrap());
});

on_both_databases!(hostile_requests_are_refused_cleanly, |app: TestApp| async move {
    let res = app
        .http
        .post(format!("{}/join", app.base))
        .header("origin", "https://evil.example")
        .form(&[("phone", "13800138000"), ("intent", "send_code")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "cross-site posts are refused");
    let big = "x".repeat(40_000);
    let res = app.post_form("/join", &[("name", big.as_str())]).await;
    assert_eq!(res.status(), 400);
    let res = app
        .http
        .post(format!("{}/join", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![0xff, 0xfe, b'=', 0x00])
        .send()
        .await
        .unwrap();
    assert!(!res.status().is_server_error(), "garbage is no fault of ours, got {}", res.status());
    assert!(res.text().await.unwrap().contains("请填写姓名"), "garbage gets the form back with its messages");
    let long_name = "张".repeat(500);
    let res = app.post_form("/join", &[("name", long_name.as_str()), ("intent", "submit")]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, 0);
    assert_eq!(app.get("/s/AAAAAAAAAAAAAAAAAAAAAA").await.status(), 404);
});

on_both_databases!(a_union_that_is_no_workplace_is_refused_and_the_code_kept, |app: TestApp| async move {
    let code = app.code_for("13800138000").await;
    let city = app.union_id("340300").await.to_string();
    let union = app.union_id("340300-HY01-LY").await.to_string();
    let app = &app;
    let post = |workplace: String, county: String| {
        let code = code.clone();
        async move {
            let fields = [
                ("name", "张三"),
                ("id_number", GOOD_ID),
                ("phone", "13800138000"),
                ("code", &code),
                ("workplace", &workplace),
                ("county", &county),
                ("consent", "yes"),
                ("submission", "no-workplace-key-00001"),
                ("intent", "submit"),
            ];
            app.post_form("/join", &fields).await
        }
    };
    // A federation, a union that does not exist, a pool where the union runs none.
    for (workplace, county, said) in
        [(city.as_str(), "", "请选择工作单位"), ("99999999", "", "请选择工作单位"), ("none", union.as_str(), "请选择所在县区")]
    {
        let res = post(workplace.to_string(), county.to_string()).await;
        assert_eq!(res.status(), 200, "{workplace}/{county} is a field error, not a fault");
        let html = res.text().await.unwrap();
        assert!(html.contains(said), "{workplace}/{county} says {said}");
        assert!(html.contains("value=\"张三\""), "the input is kept");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, 0, "nothing written");
    assert_eq!(app.count("SELECT COUNT(*) FROM sms_codes WHERE used_at IS NULL").await, 1, "the code is still good");
    // The same code with a real workplace goes through.
    status_path(post(union.clone(), String::new()).await).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, 1);
});

on_both_databases!(a_join_whose_write_fails_midway_leaves_nothing_and_the_next_one_goes_through, |app: TestApp| async move {
    // The one-round-trip join fails at its third write (the status link's table is away):
    // nothing of it stays — no application, the code unspent — and the writers' connection is
    // not left inside a transaction: the same form goes through once the table is back.
    let code = app.code_for("13800138000").await;
    let union = app.union_id("340300-HY01-LY").await.to_string();
    let fields = good_form(&code, &union, "midway-failure-key-0001");
    let mut tx = app.state.db.begin_write().await.unwrap();
    sqlx::query("ALTER TABLE status_tokens RENAME TO status_tokens_away").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    let res = app.post_form("/join", &fields).await;
    assert_ne!(res.status(), 303, "not acknowledged");
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, 0, "no application");
    assert_eq!(app.count("SELECT COUNT(*) FROM sms_codes WHERE used_at IS NOT NULL").await, 0, "the code unspent");
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE template = 'received'").await, 0, "no receipt");
    let mut tx = app.state.db.begin_write().await.unwrap();
    sqlx::query("ALTER TABLE status_tokens_away RENAME TO status_tokens").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    let res = app.post_form("/join", &fields).await;
    assert_eq!(res.status(), 303, "the same form goes through");
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM status_tokens").await, 1);
});
