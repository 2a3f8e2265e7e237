//! Legal aid over HTTP, on SQLite and PostgreSQL: 100 members racing for the last seat (one
//! wins, one SMS, the others told it is full); no double booking by one member; cancelling
//! frees the seat; a lawyer's account refused by every union and merchant screen; a union
//! admin outside the workstation's subtree refused its rota (404 and an audit row); the
//! day-before reminder sent once by two workers; a question answered by the lawyer, seen by
//! its member with an SMS, and by no other member.
mod common;

use common::*;
use ejia::calendar::local_to_unix;
use ejia::domain::Ymd;
use ejia::server::sms::Template;

/// Thursday 2026-11-26 (the clock stands at Wednesday 2026-11-25 10:00).
fn thursday(h: u32, m: u32) -> i64 {
    local_to_unix(Ymd::new(2026, 11, 26).unwrap(), h, m)
}

fn friday(h: u32, m: u32) -> i64 {
    local_to_unix(Ymd::new(2026, 11, 27).unwrap(), h, m)
}

struct Setup {
    station: i64,
    manager: String,
    lawyer: String,
    lawyer_id: i64,
}

/// The city admin opens a workstation at the freight industry federation; its manager adds a
/// lawyer (王律师) and puts them on duty Monday to Friday with `slots`.
async fn setup(app: &TestApp, slots: &str) -> Setup {
    app.admin("340300", "city_admin", "city").await;
    let city = app.login("city").await;
    let hy = app.union_id("340300-HY01").await.to_string();
    let res = app.post_as(&city, "/admin/legal/stations", &[("org", &hy), ("name", "货运行业法律援助工作站")]).await;
    assert_eq!(res.status(), 303, "workstation opened");
    let station = app.count("SELECT id FROM legal_stations").await;
    app.admin("340300-HY01", "manager", "hy_mgr").await;
    let manager = app.login("hy_mgr").await;
    let fields = [("display_name", "王律师"), ("username", "lawyer_wang"), ("phone", ""), ("password", "lawyer_wang-password")];
    let res = app.post_as(&manager, &format!("/admin/legal/{station}/lawyers"), &fields).await;
    assert_eq!(res.status(), 303, "lawyer added");
    let lawyer_id = app.count("SELECT id FROM admins WHERE username = 'lawyer_wang'").await;
    for weekday in 1..=5 {
        let (w, l) = (weekday.to_string(), lawyer_id.to_string());
        let res =
            app.post_as(&manager, &format!("/admin/legal/{station}/rota"), &[("weekday", &w), ("lawyer", &l), ("slots", slots)]).await;
        assert_eq!(res.status(), 303, "rota weekday {weekday}");
    }
    let res = app.post_form("/admin/login", &[("username", "lawyer_wang"), ("password", "lawyer_wang-password"), ("next", "")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/lawyer", "a lawyer lands on the lawyer's desk");
    let lawyer = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    Setup { station, manager, lawyer, lawyer_id }
}

async fn members(app: &TestApp, n: usize) -> Vec<i64> {
    let org = app.union_id("340300-HY01-LY").await;
    ejia::site::bench_claims::members(&app.state, n, org, Some("货车司机"), wednesday_10am() - 86_400).await.unwrap()
}

async fn session(app: &TestApp, member: i64) -> String {
    ejia::site::bench_claims::session(&app.state, member).await.unwrap()
}

async fn phone_of(app: &TestApp, member: i64) -> String {
    sqlx::query_scalar("SELECT a.phone FROM members m JOIN applications a ON a.id = m.application_id WHERE m.id = $1")
        .bind(member)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

fn key(station: i64, at: i64) -> String {
    format!("{station}-{at}")
}

async fn book(app: &TestApp, cookie: &str, slot: &str, topic: &str) -> reqwest::Response {
    app.post_as(cookie, "/legal", &[("slot", slot), ("topic", topic)]).await
}

on_both_databases!(hundred_members_race_for_the_last_seat, |app: TestApp| async move {
    let s = setup(&app, "09:00*2, 10:00").await;
    let slot = key(s.station, thursday(9, 0));
    let ids = members(&app, 101).await;
    let first = session(&app, ids[0]).await;
    let page = app.get_as(&first, "/legal").await.text().await.unwrap();
    assert!(page.contains(&slot) && page.contains("王律师") && page.contains("余2位"), "the slot is offered with its seats");
    assert_eq!(book(&app, &first, &slot, "拖欠运费").await.status(), 303, "the first seat");
    let mut cookies = Vec::new();
    for id in &ids[1..] {
        cookies.push(session(&app, *id).await);
    }
    let mut tasks = Vec::new();
    for cookie in cookies {
        let (http, base, slot) = (app.http.clone(), app.base.clone(), slot.clone());
        tasks.push(tokio::spawn(async move {
            let res = http
                .post(format!("{base}/legal"))
                .header("cookie", cookie)
                .header("origin", &base)
                .form(&[("slot", slot.as_str()), ("topic", "交通事故")])
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            (status, res.text().await.unwrap())
        }));
    }
    let (mut won, mut refused) = (0, 0);
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            303 => won += 1,
            200 => {
                assert!(body.contains("该时段已约满"), "a clear refusal beside the slot");
                refused += 1;
            }
            other => panic!("a booking is answered, never {other}: {body}"),
        }
    }
    assert_eq!((won, refused), (1, 99), "exactly one of 100 gets the last seat");
    assert_eq!(app.count("SELECT booked FROM legal_slots").await, 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM legal_bookings WHERE status = 'booked'").await, 2);
    app.deliver().await;
    let winner: i64 =
        app.count("SELECT member_id FROM legal_bookings WHERE member_id <> (SELECT MIN(member_id) FROM legal_bookings)").await;
    assert_eq!(app.sms.messages(&phone_of(&app, winner).await, Template::LegalBooked).len(), 1, "the winner's SMS");
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE template = 'legal_booked'").await, 2, "one SMS per seat, no more");
    // The full slot is shown as such; the page keeps offering the 10:00 one.
    let late = session(&app, members(&app, 1).await[0]).await;
    let page = app.get_as(&late, "/legal").await.text().await.unwrap();
    assert!(page.contains("已约满") && page.contains(&key(s.station, thursday(10, 0))));
});

on_both_databases!(one_member_cannot_book_a_slot_twice_and_cancelling_frees_the_seat, |app: TestApp| async move {
    let s = setup(&app, "09:00*3").await;
    let slot = key(s.station, thursday(9, 0));
    let ids = members(&app, 2).await;
    let (me, other) = (session(&app, ids[0]).await, session(&app, ids[1]).await);
    assert_eq!(book(&app, &me, &slot, "合同纠纷").await.status(), 303);
    let again = book(&app, &me, &slot, "合同纠纷").await;
    assert_eq!(again.status(), 200);
    let page = again.text().await.unwrap();
    assert!(page.contains("您已预约该时段"), "told beside the slot");
    assert!(page.contains("合同纠纷"), "the input is kept");
    // Two at once from the same member: still one booking.
    let fri = key(s.station, friday(9, 0));
    let (a, b) = tokio::join!(book(&app, &me, &fri, "工伤"), book(&app, &me, &fri, "工伤"));
    assert_eq!([a.status().as_u16(), b.status().as_u16()].iter().filter(|s| **s == 303).count(), 1);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM legal_bookings WHERE member_id = {}", ids[0])).await, 2);
    assert_eq!(app.count(&format!("SELECT booked FROM legal_slots WHERE starts_at = {}", friday(9, 0))).await, 1);
    // A topic is needed; a slot not on the rota, in the past or made up is refused.
    let page = book(&app, &other, &slot, "").await.text().await.unwrap();
    assert!(page.contains("请填写咨询事项"));
    for bad in [key(s.station, thursday(9, 30)), key(s.station, wednesday_10am() - 3600), "x".into(), key(s.station + 9, thursday(9, 0))] {
        let page = book(&app, &other, &bad, "欠薪").await.text().await.unwrap();
        assert!(page.contains("该时段不可预约"), "{bad}");
    }
    // Saturday is not on the rota; a holiday (2027-01-01, a Friday) is not a working day.
    let new_year = local_to_unix(Ymd::new(2027, 1, 1).unwrap(), 9, 0);
    assert!(book(&app, &other, &key(s.station, new_year), "欠薪").await.text().await.unwrap().contains("该时段不可预约"));
    // Cancelling: another member's booking does not exist for them; one's own frees the seat.
    let mine: i64 = app.count(&format!("SELECT MIN(id) FROM legal_bookings WHERE member_id = {}", ids[0])).await;
    assert_eq!(app.post_as(&other, &format!("/legal/bookings/{mine}/cancel"), &[]).await.status(), 404);
    assert_eq!(app.post_as(&me, &format!("/legal/bookings/{mine}/cancel"), &[]).await.status(), 303);
    assert_eq!(app.post_as(&me, &format!("/legal/bookings/{mine}/cancel"), &[]).await.status(), 404, "once");
    assert_eq!(app.count(&format!("SELECT booked FROM legal_slots WHERE starts_at = {}", thursday(9, 0))).await, 0);
    assert_eq!(book(&app, &me, &slot, "合同纠纷").await.status(), 303, "booked again after cancelling");
    // No session, no booking.
    let res = app.post_form("/legal", &[("slot", slot.as_str()), ("topic", "欠薪")]).await;
    assert_eq!(res.status(), 404);
    let _ = s.manager;
});

on_both_databases!(a_lawyer_account_reaches_only_the_lawyer_desk, |app: TestApp| async move {
    let s = setup(&app, "09:00").await;
    assert_eq!(app.get_as(&s.lawyer, "/lawyer").await.status(), 200);
    for path in [
        "/admin",
        "/admin/members",
        "/admin/admins",
        "/admin/legal",
        &format!("/admin/legal/{}", s.station),
        "/merchant",
        "/merchant/redeem",
        "/admin/pool",
    ] {
        assert_eq!(app.get_as(&s.lawyer, path).await.status(), 404, "{path}");
    }
    let res = app.post_as(&s.lawyer, &format!("/admin/legal/{}/rota", s.station), &[("weekday", "1"), ("lawyer", ""), ("slots", "")]).await;
    assert_eq!(res.status(), 404);
    let refused = app
        .count(&format!("SELECT COUNT(*) FROM audit_log WHERE admin_id = {} AND action = 'access' AND outcome = 'refused'", s.lawyer_id))
        .await;
    assert!(refused >= 9, "each refusal audited: {refused}");
    // And union admins do not reach the lawyer's desk.
    assert_eq!(app.get_as(&s.manager, "/lawyer").await.status(), 404);
    // The rota still stands.
    assert_eq!(app.count("SELECT COUNT(*) FROM legal_rota").await, 5);
});

on_both_databases!(an_admin_outside_the_subtree_cannot_manage_the_rota, |app: TestApp| async move {
    let s = setup(&app, "09:00").await;
    app.admin("340302", "manager", "lzh_mgr").await;
    let outsider = app.login("lzh_mgr").await;
    let lzh_id = app.count("SELECT id FROM admins WHERE username = 'lzh_mgr'").await;
    let res = app.post_as(&outsider, &format!("/admin/legal/{}/rota", s.station), &[("weekday", "1"), ("lawyer", ""), ("slots", "")]).await;
    assert_eq!(res.status(), 404);
    let res = app
        .post_as(
            &outsider,
            &format!("/admin/legal/{}/lawyers", s.station),
            &[("display_name", "李"), ("username", "lawyer_li"), ("password", "0123456789ab")],
        )
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(app.get_as(&outsider, &format!("/admin/legal/{}", s.station)).await.status(), 404);
    let audited = app
        .count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE admin_id = {lzh_id} AND target = 'legal_station:{}' AND outcome = 'not_found'",
            s.station
        ))
        .await;
    assert_eq!(audited, 3, "each attempt audited");
    assert_eq!(app.count("SELECT COUNT(*) FROM legal_rota WHERE weekday = 1").await, 1, "the rota is unchanged");
    assert_eq!(app.count("SELECT COUNT(*) FROM admins WHERE username = 'lawyer_li'").await, 0);
    // Its own list does not show the workstation; the city's manager sees it.
    let page = app.get_as(&outsider, "/admin/legal").await.text().await.unwrap();
    assert!(!page.contains("货运行业法律援助工作站"));
    assert!(app.get_as(&s.manager, "/admin/legal").await.text().await.unwrap().contains("货运行业法律援助工作站"));
});

on_both_databases!(the_reminder_goes_once_the_day_before_with_two_workers, |app: TestApp| async move {
    let s = setup(&app, "09:00, 15:00").await;
    let ids = members(&app, 2).await;
    let (a, b) = (session(&app, ids[0]).await, session(&app, ids[1]).await);
    // Booked on Wednesday at 10:00 for Thursday: inside the window; the booking's SMS says it all.
    assert_eq!(book(&app, &a, &key(s.station, thursday(9, 0)), "欠薪").await.status(), 303);
    // For Friday: reminded on Thursday from 10:00.
    assert_eq!(book(&app, &b, &key(s.station, friday(15, 0)), "交通事故").await.status(), 303);
    let second = spawn_second_instance(&app).await;
    assert_eq!(ejia::legal::reminder::tick(&app.state).await.unwrap(), 0, "nothing due on Wednesday");
    app.clock.set(thursday(9, 59));
    assert_eq!(ejia::legal::reminder::tick(&app.state).await.unwrap(), 0, "not before 10:00 the day before");
    app.clock.set(thursday(10, 5));
    let (x, y) = tokio::join!(ejia::legal::reminder::tick(&app.state), ejia::legal::reminder::tick(&second.state));
    assert_eq!(x.unwrap() + y.unwrap(), 1, "one reminder between the two workers");
    assert_eq!(ejia::legal::reminder::tick(&second.state).await.unwrap(), 0);
    app.deliver().await;
    let sent = app.sms.messages(&phone_of(&app, ids[1]).await, Template::LegalReminder);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].params["time"], "15:00");
    assert!(app.sms.messages(&phone_of(&app, ids[0]).await, Template::LegalReminder).is_empty());
    // A cancelled appointment is not reminded.
    app.clock.set(thursday(8, 0));
    assert_eq!(book(&app, &a, &key(s.station, friday(9, 0)), "欠薪").await.status(), 303);
    let id: i64 = app.count(&format!("SELECT MAX(id) FROM legal_bookings WHERE member_id = {}", ids[0])).await;
    assert_eq!(app.post_as(&a, &format!("/legal/bookings/{id}/cancel"), &[]).await.status(), 303);
    app.clock.set(thursday(11, 0));
    assert_eq!(ejia::legal::reminder::tick(&app.state).await.unwrap(), 0);
});

on_both_databases!(a_question_is_answered_and_seen_only_by_its_member, |app: TestApp| async move {
    let s = setup(&app, "09:00").await;
    let ids = members(&app, 2).await;
    let (me, other) = (session(&app, ids[0]).await, session(&app, ids[1]).await);
    let text = "车队老板拖欠我三个月运费，没有书面合同，怎么维权？";
    // Errors beside the field, input kept.
    let res = app.post_as(&me, "/legal/ask", &[("station", ""), ("category", "wages"), ("question", "太短")]).await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("请写下您的问题") && page.contains("太短"));
    let res = app.post_as(&me, "/legal/ask", &[("station", ""), ("category", "wages"), ("question", text)]).await;
    assert_eq!(res.status(), 303);
    let q = app.count("SELECT id FROM legal_questions").await;
    assert_eq!(app.count("SELECT lawyer_id FROM legal_questions").await, s.lawyer_id, "to the lawyer on duty");
    // The lawyer sees it on the desk and opens it (audited), then answers.
    assert!(app.get_as(&s.lawyer, "/lawyer").await.text().await.unwrap().contains(&format!("/lawyer/questions/{q}")));
    let page = app.get_as(&s.lawyer, &format!("/lawyer/questions/{q}")).await.text().await.unwrap();
    assert!(page.contains(text) && page.contains("张*"), "the question, the asker masked");
    let answer = "可先收集运单、转账记录和聊天记录作为证据，向劳动监察大队投诉或申请劳动仲裁。";
    let res = app.post_as(&s.lawyer, &format!("/lawyer/questions/{q}"), &[("answer", answer)]).await;
    assert_eq!(res.status(), 303);
    let res = app.post_as(&s.lawyer, &format!("/lawyer/questions/{q}"), &[("answer", "第二次答复")]).await;
    assert!(res.text().await.unwrap().contains("该咨询已答复"), "answered once");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE target = 'legal_question:{q}' AND action = 'legal_answer' AND outcome = 'ok'"
        ))
        .await,
        1
    );
    assert!(app.count(&format!("SELECT COUNT(*) FROM audit_log WHERE target = 'legal_question:{q}' AND action = 'view'")).await >= 1);
    // The member sees it and gets an SMS.
    app.deliver().await;
    assert_eq!(app.sms.messages(&phone_of(&app, ids[0]).await, Template::LegalAnswered).len(), 1);
    assert!(app.get_as(&me, "/legal").await.text().await.unwrap().contains(answer));
    let mine = app.get_as(&me, &format!("/legal/questions/{q}")).await;
    assert_eq!(mine.status(), 200);
    assert!(mine.text().await.unwrap().contains(answer));
    // Nobody else does.
    assert_eq!(app.get_as(&other, &format!("/legal/questions/{q}")).await.status(), 404);
    assert!(!app.get_as(&other, "/legal").await.text().await.unwrap().contains(text));
    assert_eq!(app.get_as(&s.manager, &format!("/lawyer/questions/{q}")).await.status(), 404);
    // A lawyer of another workstation: not found, audited.
    app.admin("340300", "city_admin", "city2").await;
    let city2 = app.login("city2").await;
    let wy = app.union_id("340300-HY01-WY").await.to_string();
    assert_eq!(app.post_as(&city2, "/admin/legal/stations", &[("org", &wy), ("name", "五源工作站")]).await.status(), 303);
    let st2 = app.count("SELECT MAX(id) FROM legal_stations").await;
    let fields = [("display_name", "赵律师"), ("username", "lawyer_zhao"), ("phone", ""), ("password", "lawyer_zhao-password")];
    assert_eq!(app.post_as(&city2, &format!("/admin/legal/{st2}/lawyers"), &fields).await.status(), 303);
    let zhao = app.login("lawyer_zhao").await;
    assert_eq!(app.get_as(&zhao, &format!("/lawyer/questions/{q}")).await.status(), 404);
    assert_eq!(app.post_as(&zhao, &format!("/lawyer/questions/{q}"), &[("answer", "越权答复")]).await.status(), 404);
    let zhao_id = app.count("SELECT id FROM admins WHERE username = 'lawyer_zhao'").await;
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM audit_log WHERE admin_id = {zhao_id} AND outcome = 'not_found'")).await, 2);
});
