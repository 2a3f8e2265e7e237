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
