//! The member's side over HTTP, on SQLite and PostgreSQL: signing in by SMS code (wrong,
//! expired, too many tries, replayed, an unknown number answered alike, the limits), session
//! timeouts and sign-out, the e-member card and its public check (fresh, expired, forged,
//! another card's id, a member who left), my data (download, corrections, a new phone, a
//! transfer request) and withdrawal (every table scanned for the erased data, two at once).
mod common;

use common::*;
use ejia::server::sms::Template;

const PHONE: &str = "13800138000";

async fn body(res: reqwest::Response) -> String {
    res.text().await.unwrap()
}

async fn send_code(app: &TestApp, phone: &str) -> String {
    body(app.post_form("/me/login", &[("phone", phone), ("intent", "send_code")]).await).await
}

async fn sign_in(app: &TestApp, phone: &str, code: &str) -> reqwest::Response {
    app.post_form("/me/login", &[("phone", phone), ("code", code), ("intent", "sign_in"), ("next", "/me/card")]).await
}

/// A member at 东风街道 with `PHONE`, the clock past the join code's minute.
async fn member(app: &TestApp) -> i64 {
    let id = app.approved_member("340302-DF", GOOD_ID, PHONE).await;
    app.clock.advance(61);
    id
}

on_both_databases!(signs_in_with_a_code_and_out_again, |app: TestApp| async move {
    let member_id = member(&app).await;
    let page = send_code(&app, PHONE).await;
    assert!(page.contains("验证码已发送"), "{page}");
    app.deliver().await;
    let code = app.sms.last_code_of(PHONE, Template::SignInCode);
    assert!(Template::SignInCode.render(&serde_json::json!({ "code": code })).contains(&code));
    let res = sign_in(&app, PHONE, &code).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/me/card");
    let set = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(set.starts_with("ejia_member=") && set.contains("HttpOnly") && set.contains("SameSite=Lax"), "{set}");
    let cookie = set.split(';').next().unwrap().to_string();
    let stored: String = sqlx::query_scalar("SELECT token_hash FROM member_sessions WHERE member_id = $1")
        .bind(member_id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_ne!(stored, cookie["ejia_member=".len()..], "only a hash of the token is stored");
    let me = app.get_as(&cookie, "/me").await;
    assert_eq!(me.status(), 200);
    assert_eq!(me.headers()["cache-control"], "no-store");
    let me = body(me).await;
    assert!(me.contains("张*") && me.contains("东风街道") && me.contains("/me/benefits"), "{me}");
    assert!(!me.contains("张三"));
    // Sign-out ends the session on the server: the old cookie is dead.
    let res = app.post_as(&cookie, "/me/logout", &[]).await;
    assert_eq!(res.status(), 303);
    assert!(res.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    let res = app.get_as(&cookie, "/me").await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/me/login?next=/me");
    assert_eq!(app.post_as(&cookie, "/me/logout", &[]).await.status(), 303, "signing out twice is harmless");
    assert_eq!(app.count("SELECT COUNT(*) FROM member_sessions").await, 0);
});

on_both_databases!(an_unknown_number_gets_the_same_answer_and_no_sms, |app: TestApp| async move {
    member(&app).await;
    let known = send_code(&app, PHONE).await;
    let unknown = send_code(&app, "13900139000").await;
    let strip = |s: &str| s[s.find("<main").unwrap()..s.find("</main>").unwrap()].replace("13900139000", PHONE);
    assert_eq!(strip(&known), strip(&unknown), "same page for a member's number and any other");
    app.deliver().await;
    assert_eq!(app.sms.messages("13900139000", Template::SignInCode).len(), 0, "no SMS to a number that is no member's");
    // The attempt is counted all the same: the limits say nothing about membership.
    assert_eq!(app.count("SELECT COUNT(*) FROM sms_codes WHERE phone = '13900139000'").await, 1);
    let again_known = send_code(&app, PHONE).await;
    let again_unknown = send_code(&app, "13900139000").await;
    assert!(again_known.contains("发送太频繁") && again_unknown.contains("发送太频繁"));
    // A made-up code for the unknown number: the same "wrong code" a member would get.
    let res = body(sign_in(&app, "13900139000", "123456").await).await;
    assert!(res.contains("验证码不正确"), "{res}");
});

on_both_databases!(wrong_expired_exhausted_and_replayed_codes_do_not_sign_in, |app: TestApp| async move {
    member(&app).await;
    let code = app.sign_in_code(PHONE).await.unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let page = body(sign_in(&app, PHONE, wrong).await).await;
    assert!(page.contains("验证码不正确") && page.contains(PHONE), "error beside the field, input kept: {page}");
    assert!(page.contains("id=\"code-error\""));
    // Expired.
    app.clock.advance(301);
    assert!(body(sign_in(&app, PHONE, &code).await).await.contains("验证码已失效"));
    // Five wrong tries kill a code.
    app.clock.advance(61);
    let code = app.sign_in_code(PHONE).await.unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        sign_in(&app, PHONE, wrong).await;
    }
    assert!(body(sign_in(&app, PHONE, &code).await).await.contains("错误次数过多"));
    // A good code signs in once; replayed, it is spent.
    app.clock.advance(61);
    let code = app.sign_in_code(PHONE).await.unwrap();
    assert_eq!(sign_in(&app, PHONE, &code).await.status(), 303);
    let replay = sign_in(&app, PHONE, &code).await;
    assert_eq!(replay.status(), 200);
    assert!(body(replay).await.contains("请先点击"));
    // A join code does not sign in (the purpose is bound into the code).
    app.clock.advance(61);
    let join_code = app.code_for(PHONE).await;
    assert_eq!(sign_in(&app, PHONE, &join_code).await.status(), 200);
});

on_both_databases!(sessions_time_out_idle_and_absolute, |app: TestApp| async move {
    member(&app).await;
    let cookie = app.member_session(PHONE).await;
    app.clock.advance(ejia::member::auth::IDLE_SECS + 1);
    assert_eq!(app.get_as(&cookie, "/me").await.status(), 303, "idle too long");
    assert_eq!(app.post_as(&cookie, "/me/logout", &[]).await.status(), 303);
    let cookie = app.member_session(PHONE).await;
    // Used every 20 hours, the session still ends a week after sign-in.
    let mut used = 0;
    while used + 20 * 3600 <= ejia::member::auth::ABSOLUTE_SECS {
        app.clock.advance(20 * 3600);
        used += 20 * 3600;
        assert_eq!(app.get_as(&cookie, "/me").await.status(), 200, "after {used} s");
    }
    app.clock.advance(ejia::member::auth::ABSOLUTE_SECS - used + 1);
    assert_eq!(app.get_as(&cookie, "/me").await.status(), 303, "a week is the most");
});

async fn card_key(app: &TestApp, member_id: i64) -> String {
    sqlx::query_scalar("SELECT card_key FROM members WHERE id = $1").bind(member_id).fetch_one(&app.state.db.pool).await.unwrap()
}

fn card_code(app: &TestApp, key: &str, at: i64) -> String {
    ejia::member::card::code(&app.state.keys, key, ejia::member::card::window_of(at))
}

async fn check(app: &TestApp, code: &str) -> String {
    let res = app.get(&format!("/v/{code}")).await;
    assert_eq!(res.headers()["cache-control"], "no-store");
    body(res).await
}

on_both_databases!(the_card_rotates_and_anyone_can_check_it, |app: TestApp| async move {
    let member_id = member(&app).await;
    let member_no: String =
        sqlx::query_scalar("SELECT member_no FROM members WHERE id = $1").bind(member_id).fetch_one(&app.state.db.pool).await.unwrap();
    let cookie = app.member_session(PHONE).await;
    let res = app.get_as(&cookie, "/me/card").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let page = body(res).await;
    assert_eq!(page.matches("id=\"card-code-").count(), 11, "the current code and the next ten");
    assert_eq!(page.matches("<svg").count(), 11);
    assert!(page.contains("http-equiv=\"refresh\""), "reloads itself without JavaScript");
    let key = card_key(&app, member_id).await;
    assert_eq!(key.len(), 32, "16 random bytes");
    // Fresh: valid, the union and the masked name — nothing else.
    let now = app.clock.now_for_test();
    let code = card_code(&app, &key, now);
    let page = check(&app, &code).await;
    assert!(page.contains("有效会员") && page.contains("张*") && page.contains("东风街道"), "{page}");
    for secret in [PHONE, "138****8000", member_no.as_str(), "张三", GOOD_ID, "11**"] {
        assert!(!page.contains(secret), "the check page shows no {secret}");
    }
    // Good through the next minute, then expired.
    app.clock.advance(60);
    assert!(check(&app, &code).await.contains("有效会员"));
    app.clock.advance(61);
    let page = check(&app, &code).await;
    assert!(page.contains("不是有效会员码：已过期") && !page.contains("张*"), "{page}");
    // Forged: a flipped byte anywhere is unknown.
    use base64::Engine;
    let fresh = card_code(&app, &key, app.clock.now_for_test());
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&fresh).unwrap();
    for at in [0, 16, 20, 35] {
        let mut b = bytes.clone();
        b[at] ^= 0x01;
        let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&b);
        let page = check(&app, &forged).await;
        assert!(page.contains("无法识别") && !page.contains("张*"), "byte {at}");
    }
    // Another member's card id with this card's tag: unknown.
    let other = app.approved_member("340302-DF", &id_n(7), "13700137000").await;
    let other_cookie = app.member_session("13700137000").await;
    assert_eq!(app.get_as(&other_cookie, "/me/card").await.status(), 200);
    let other_key = card_key(&app, other).await;
    let mut b = bytes.clone();
    b[..16].copy_from_slice(&hex_bytes(&other_key));
    assert!(check(&app, &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&b)).await.contains("无法识别"));
    assert!(check(&app, "garbage").await.contains("无法识别"));
    // The card page needs a session.
    assert_eq!(app.get("/me/card").await.status(), 303);
});

fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// A valid ID number, different for each `n` (0–999).
fn id_n(n: u32) -> String {
    let first17 = format!("34030219900101{n:03}");
    let check = ejia::domain::id_number::check_char(first17.as_bytes()) as char;
    format!("{first17}{check}")
}

on_both_databases!(my_data_shows_downloads_and_corrects, |app: TestApp| async move {
    member(&app).await;
    let cookie = app.member_session(PHONE).await;
    let page = body(app.get_as(&cookie, "/me/data").await).await;
    assert!(page.contains("张三") && page.contains(PHONE) && page.contains("11**************2X"), "{page}");
    assert!(!page.contains(GOOD_ID));
    let res = app.get_as(&cookie, "/me/data.json").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let json: serde_json::Value = res.json().await.unwrap();
    assert_eq!(json["name"], "张三");
    assert_eq!(json["phone"], PHONE);
    assert_eq!(json["id_number_masked"], "11**************2X");
    assert!(json["union"].as_str().unwrap().contains("东风街道"));
    // In words a driver reads, not the stored codes.
    assert_eq!(json["member_status"], "在会");
    assert_eq!(json["source"], "线上申请入会");
    assert_eq!(json["applications"][0]["status"], "已通过");
    assert!(!json.to_string().contains(GOOD_ID));
    // A bad plate: the error beside the field, the input kept, nothing saved.
    let res = app.post_as(&cookie, "/me/data/correct", &[("name", "张小三"), ("plate", "XYZ")]).await;
    assert_eq!(res.status(), 200);
    let page = body(res).await;
    assert!(page.contains("value=\"XYZ\"") && page.contains("value=\"张小三\""), "input kept");
    let err = &page[page.find("id=\"plate-error\"").unwrap()..];
    assert!(!err[..err.find("</p>").unwrap()].contains("<!>"), "an error beside the plate: {err:.200}");
    assert_eq!(app.count("SELECT COUNT(*) FROM applications WHERE name = '张小三'").await, 0);
    let res = app.post_as(&cookie, "/me/data/correct", &[("name", "张小三"), ("plate", "皖C12345")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/me/data?done=corrected");
    let (name, plate): (String, Option<String>) =
        sqlx::query_as("SELECT name, plate FROM applications").fetch_one(&app.state.db.pool).await.unwrap();
    assert_eq!((name.as_str(), plate.as_deref()), ("张小三", Some("皖C12345")));
    // Another method without a session: not found.
    assert_eq!(app.post_form("/me/data/correct", &[("name", "李四")]).await.status(), 404);
});

on_both_databases!(a_new_phone_number_needs_its_code, |app: TestApp| async move {
    member(&app).await;
    app.approved_member("340302-DF", &id_n(8), "13700137000").await;
    let cookie = app.member_session(PHONE).await;
    // A second device of the same member (e.g. the old phone, lost).
    app.clock.advance(61);
    let other_device = app.member_session(PHONE).await;
    // Asking a code for a number says nothing about whose it is: the same answer as any number.
    let taken = body(app.post_as(&cookie, "/me/data/phone", &[("phone", "13700137000"), ("intent", "send_code")]).await).await;
    assert!(taken.contains("验证码已发送到新手机号") && !taken.contains("已被其他会员"), "no lookup of numbers: {taken:.200}");
    // Only whoever holds that number learns, with its code, that it is taken (and not by whom).
    app.deliver().await;
    let their_code = app.sms.last_code_of("13700137000", Template::PhoneChangeCode);
    let res = app.post_as(&cookie, "/me/data/phone", &[("phone", "13700137000"), ("code", &their_code), ("intent", "change")]).await;
    let page = body(res).await;
    assert!(page.contains("已被其他会员或入会申请使用") && !page.contains("陈"), "taken, not by whom");
    let res = app.post_as(&cookie, "/me/data/phone", &[("phone", "13600136000"), ("intent", "send_code")]).await;
    assert!(body(res).await.contains("验证码已发送到新手机号"));
    app.deliver().await;
    let code = app.sms.last_code_of("13600136000", Template::PhoneChangeCode);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let res = app.post_as(&cookie, "/me/data/phone", &[("phone", "13600136000"), ("code", wrong), ("intent", "change")]).await;
    assert!(body(res).await.contains("验证码不正确"));
    let res = app.post_as(&cookie, "/me/data/phone", &[("phone", "13600136000"), ("code", &code), ("intent", "change")]).await;
    assert_eq!(res.status(), 303);
    // Every earlier session ended (the lost phone's too); this device goes on with a new one.
    let set = res.headers()["set-cookie"].to_str().unwrap().to_string();
    let fresh = set.split(';').next().unwrap().to_string();
    assert_eq!(app.get_as(&other_device, "/me").await.status(), 303, "the other device is signed out");
    assert_eq!(app.get_as(&cookie, "/me").await.status(), 303, "the old session is gone");
    assert_eq!(app.get_as(&fresh, "/me").await.status(), 200, "this device goes on");
    // The old number's codes and messages are erased.
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM sms_codes WHERE phone = '{PHONE}'")).await, 0);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM outbox WHERE to_phone = '{PHONE}'")).await, 0);
    // The old number no longer signs in (no code is sent to it); the new one does.
    app.clock.advance(61);
    assert_eq!(app.sign_in_code(PHONE).await, None);
    app.clock.advance(61);
    let new_cookie = app.member_session("13600136000").await;
    assert_eq!(app.get_as(&new_cookie, "/me").await.status(), 200);
});

/// Every text of every table (as text), on either database.
async fn all_text(app: &TestApp) -> Vec<(String, String, String)> {
    use sqlx::Row;
    let pool = &app.state.db.pool;
    let mut found = Vec::new();
    for (t, c, _) in app.columns().await {
        // Blobs (the sealed ID) are not text; the file scan below covers their bytes.
        let not_blob =
            if app.backend == ejia::server::db::Backend::Sqlite { format!(" AND typeof(\"{c}\") <> 'blob'") } else { String::new() };
        let sql = format!("SELECT CAST(\"{c}\" AS TEXT) FROM \"{t}\" WHERE \"{c}\" IS NOT NULL{not_blob}");
        for row in sqlx::query(&sql).fetch_all(pool).await.unwrap() {
            if let Ok(v) = row.try_get::<String, _>(0) {
                found.push((t.clone(), c.clone(), v));
            }
        }
    }
    found
}

on_both_databases!(leaving_erases_the_person_everywhere, |app: TestApp| async move {
    let member_id = member(&app).await;
    let union = app.union_id("340302-DF").await;
    let tally = || async {
        sqlx::query_scalar::<_, i64>("SELECT members FROM org_tallies WHERE org_id = $1")
            .bind(union)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap()
    };
    let before = tally().await;
    let cookie = app.member_session(PHONE).await;
    assert_eq!(app.post_as(&cookie, "/me/data/correct", &[("name", "张三"), ("plate", "皖C12345")]).await.status(), 303);
    assert_eq!(app.get_as(&cookie, "/me/card").await.status(), 200);
    let key = card_key(&app, member_id).await;
    let code = card_code(&app, &key, app.clock.now_for_test());
    let found = all_text(&app).await;
    assert!(found.iter().any(|(_, _, v)| v.contains(PHONE)), "the scan sees the phone before");
    // A confirmation step: without the word, nothing happens.
    let page = app.get_as(&cookie, "/me/leave").await;
    assert_eq!(page.status(), 200);
    let res = app.post_as(&cookie, "/me/leave", &[("confirm", "好")]).await;
    assert_eq!(res.status(), 200);
    assert!(body(res).await.contains("请输入“退出”以确认"));
    assert_eq!(app.get_as(&cookie, "/me").await.status(), 200);
    let res = app.post_as(&cookie, "/me/leave", &[("confirm", "退出")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/me/left");
    assert!(res.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    assert!(body(app.get("/me/left").await).await.contains("已退出工会"));
    // The session is dead, the card is no member's, the count dropped by one.
    assert_eq!(app.get_as(&cookie, "/me").await.status(), 303);
    assert!(check(&app, &code).await.contains("已不是会员"));
    assert_eq!(tally().await, before - 1);
    // Nothing of the person is left in any table.
    for (t, c, v) in all_text(&app).await {
        for secret in [PHONE, "张三", GOOD_ID, "皖C12345", "11**************2X", "138****8000"] {
            assert!(!v.contains(secret), "{t}.{c} still holds {secret}: {v:.120}");
        }
    }
    // What the figures need stays.
    let (org, status, sex): (i64, String, String) =
        sqlx::query_as("SELECT a.org_id, a.status, a.sex FROM applications a JOIN members m ON m.application_id = a.id WHERE m.id = $1")
            .bind(member_id)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!((org, status.as_str(), sex.is_empty()), (union, "approved", false));
    // The audit trail: that it happened, not who.
    let (admin, ip, detail, target): (Option<i64>, String, String, String) =
        sqlx::query_as("SELECT admin_id, ip, detail, target FROM audit_log WHERE action = 'member_left'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!((admin, ip.as_str(), detail.as_str(), target), (None, "", "", format!("member:{member_id}")));
    // SQLite: the database files themselves no longer hold the bytes.
    if app.backend == ejia::server::db::Backend::Sqlite {
        let path = app.state.config.database_url.trim_start_matches("sqlite://").split('?').next().unwrap().to_string();
        for file in [path.clone(), format!("{path}-wal")] {
            let bytes = std::fs::read(&file).unwrap_or_default();
            for secret in [PHONE, "张三", "皖C12345"] {
                assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "{file} still holds {secret}");
            }
        }
    }
    // Could join again one day: the open key is gone.
    assert_eq!(app.count("SELECT COUNT(*) FROM applications WHERE open_key IS NOT NULL").await, 0);
});

on_both_databases!(two_withdrawals_at_once_one_wins, |app: TestApp| async move {
    member(&app).await;
    let union = app.union_id("340302-DF").await;
    let before: i64 =
        sqlx::query_scalar("SELECT members FROM org_tallies WHERE org_id = $1").bind(union).fetch_one(&app.state.db.pool).await.unwrap();
    let first = app.member_session(PHONE).await;
    app.clock.advance(61);
    let second = app.member_session(PHONE).await;
    let (a, b) =
        tokio::join!(app.post_as(&first, "/me/leave", &[("confirm", "退出")]), app.post_as(&second, "/me/leave", &[("confirm", "退出")]));
    let statuses = [a.status().as_u16(), b.status().as_u16()];
    assert!(statuses.contains(&303), "{statuses:?}");
    assert!(statuses.iter().all(|s| [303, 404].contains(s)), "the other: the same end or not found, {statuses:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'member_left'").await, 1);
    let after: i64 =
        sqlx::query_scalar("SELECT members FROM org_tallies WHERE org_id = $1").bind(union).fetch_one(&app.state.db.pool).await.unwrap();
    assert_eq!(after, before - 1, "counted down once");
});

on_both_databases!(a_transfer_request_goes_to_the_members_union, |app: TestApp| async move {
    let member_id = member(&app).await;
    let cookie = app.member_session(PHONE).await;
    let to = app.union_id("340303-TQ").await.to_string();
    let own = app.union_id("340302-DF").await.to_string();
    // The member's own union, no reason: errors beside the field, input kept.
    let res = app.post_as(&cookie, "/me/data/transfer", &[("to", &own), ("reason", "换了工作")]).await;
    assert_eq!(res.status(), 200);
    assert!(body(res).await.contains("接收单位不能是会员当前所在单位"));
    let res = app.post_as(&cookie, "/me/data/transfer", &[("to", &to), ("reason", "")]).await;
    let page = body(res).await;
    assert!(page.contains("请填写申请接转的原因") && page.contains(&format!("value=\"{to}\" selected")), "{page:.0}");
    let res = app.post_as(&cookie, "/me/data/transfer", &[("to", &to), ("reason", "换到天桥街道的车队")]).await;
    assert_eq!(res.status(), 303);
    let again = body(app.post_as(&cookie, "/me/data/transfer", &[("to", &to), ("reason", "再来一次")]).await).await;
    assert!(again.contains("已有一份接转申请"));
    assert!(body(app.get_as(&cookie, "/me").await).await.contains("待工会办理"));
    // The member's union sees it in its transfers list and proposes the transfer.
    app.admin("340302-DF", "manager,reviewer", "df_mgr").await;
    let admin = app.login("df_mgr").await;
    let list = body(app.get_as(&admin, "/admin/transfers").await).await;
    assert!(
        list.contains("会员申请接转")
            && list.contains("换到天桥街道的车队")
            && list.contains(&format!("/admin/members/{member_id}/transfer"))
    );
    assert!(!list.contains("张三"));
    let res = app.post_as(&admin, &format!("/admin/members/{member_id}/transfer"), &[("to", &to)]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.count("SELECT COUNT(*) FROM transfer_requests WHERE status = 'proposed'").await, 1);
    let me = body(app.get_as(&cookie, "/me").await).await;
    assert!(me.contains("已办理") && me.contains("待接收"), "{me:.0}");
    // Leaving cancels the pending transfer.
    assert_eq!(app.post_as(&cookie, "/me/leave", &[("confirm", "退出")]).await.status(), 303);
    assert_eq!(app.count("SELECT COUNT(*) FROM transfers WHERE status = 'pending'").await, 0);
});

on_both_databases!(an_approval_in_use_is_no_longer_undone, |app: TestApp| async move {
    // The application waits past the join code's minute; then the approval, and at once the new
    // member signs in — inside the reviewer's undo window.
    let application = app.application_at("340302-DF", GOOD_ID, PHONE).await;
    app.clock.advance(61);
    app.admin("340300", "reviewer", "quick_undo").await;
    let reviewer = app.login("quick_undo").await;
    let res = app.post_as(&reviewer, &format!("/admin/a/{application}/decide"), &[("action", "approve")]).await;
    assert_eq!(res.status(), 303);
    let member = app.member_session(PHONE).await;
    assert_eq!(app.get_as(&member, "/me").await.status(), 200, "signed in as the new member");
    // The undo is refused with the too-late answer; the membership and its session stand.
    let page = body(app.post_as(&reviewer, &format!("/admin/a/{application}/undo"), &[]).await).await;
    assert!(page.contains("已无法撤销"), "{page}");
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM members WHERE application_id = {application}")).await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM decisions WHERE action = 'undo'").await, 0);
    assert_eq!(app.get_as(&member, "/me").await.status(), 200);
});
