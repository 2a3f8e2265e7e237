//! The service hall over HTTP, on SQLite and PostgreSQL: the seeded catalogue (seven modules,
//! thirty services, search); a member's request with a photo through every step and its SMS;
//! bad input kept with its errors and nothing written; attachments judged by content and size,
//! kept across a failed post but only for their sender; the same post twice makes one request;
//! two officers at once, one step; hardship files sealed at rest, scoped, managers only and
//! every view audited; the deadline engine's reminder and 督办 once; the city admin's new
//! service used at once; a member who leaves is erased from their requests and files.
mod common;

use common::*;
use ejia::server::sms::Template;

const PHONE_A: &str = "13900002001";
const PHONE_B: &str = "13900002002";

/// A tiny real PNG (1×1).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63,
    0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60,
    0x82,
];

enum Part<'a> {
    Text(&'a str, String),
    File(&'a str, &'a str, Vec<u8>),
}

/// A multipart body as a browser sends it.
fn multipart(parts: &[Part]) -> (String, Vec<u8>) {
    let boundary = "----ejiaTestBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for p in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match p {
            Part::Text(name, value) => {
                body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes());
                body.extend_from_slice(value.as_bytes());
            }
            Part::File(name, filename, bytes) => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: image/jpeg\r\n\r\n")
                        .as_bytes(),
                );
                body.extend_from_slice(bytes);
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_multipart(app: &TestApp, cookie: &str, path: &str, parts: &[Part<'_>]) -> reqwest::Response {
    let (ct, body) = multipart(parts);
    app.post_body_as(cookie, path, ct, body).await
}

fn text<'a>(name: &'a str, value: &str) -> Part<'a> {
    Part::Text(name, value.to_string())
}

/// The form key a service's page hands out.
async fn submission_of(app: &TestApp, cookie: &str, code: &str) -> String {
    let page = app.get_as(cookie, &format!("/hall/{code}")).await.text().await.unwrap();
    let at = page.find("name=\"submission\" value=\"").expect("a form key") + "name=\"submission\" value=\"".len();
    page[at..].split('"').next().unwrap().to_string()
}

/// A medical-aid form filled right, with a photo of the bills.
fn medical_aid(submission: &str, bills: Part<'static>) -> Vec<Part<'static>> {
    vec![
        text("submission", submission),
        text("f_patient", "本人"),
        text("f_hospital", "蚌埠医学院第一附属医院"),
        text("f_diagnosis", "腰椎间盘突出"),
        text("f_admitted", "2026-11-20"),
        text("f_cost", "8,650.5"),
        bills,
    ]
}

fn photo() -> Part<'static> {
    Part::File("file_bills", "bills.jpg", PNG.to_vec())
}

async fn last_request(app: &TestApp) -> i64 {
    app.count("SELECT COALESCE(MAX(id), 0) FROM hall_requests").await
}

async fn progress_sms(app: &TestApp, phone: &str) -> Vec<String> {
    app.deliver().await;
    app.sms.messages(phone, Template::ServiceProgress).iter().map(|m| m.params["step"].as_str().unwrap().to_string()).collect()
}

on_both_databases!(the_catalogue_has_seven_modules_and_thirty_services, |app: TestApp| async move {
    let page = app.get("/hall").await.text().await.unwrap();
    for module in ["入会服务", "困难帮扶", "医疗互助", "法律援助", "技能提升", "文体活动", "劳模风采"] {
        assert!(page.contains(&format!(">{module}</h2>")), "module {module}");
    }
    let services = page.matches("class=\"service\"").count();
    assert!(services >= 30, "{services} services");
    for (name, href) in [("医疗救助", "/hall/medical_aid"), ("律师预约", "/legal"), ("职工书屋", "/library"), ("申请入会", "/join")]
    {
        assert!(page.contains(name) && page.contains(&format!("href=\"{href}\"")), "{name} leads to {href}");
    }
    let found = app.get("/hall?q=%E5%8A%A9%E5%AD%A6").await.text().await.unwrap(); // 助学
    assert!(found.contains("子女助学"));
    assert!(!found.contains("律师预约"), "a search shows only what matches");
    let module = app.get("/hall?m=legal").await.text().await.unwrap();
    assert!(module.contains("欠薪投诉") && !module.contains("医疗救助"));
    // A service with pages of its own sends the member there.
    let res = app.get("/hall/lawyer_booking").await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/legal");
});

on_both_databases!(a_member_asks_for_medical_aid_and_hears_of_each_step, |app: TestApp| async move {
    let member = app.approved_member("340302-DF", GOOD_ID, PHONE_A).await;
    let me = app.member_session(PHONE_A).await;
    let key = submission_of(&app, &me, "medical_aid").await;
    let res = post_multipart(&app, &me, "/hall/medical_aid", &medical_aid(&key, photo())).await;
    assert_eq!(res.status(), 303);
    let id = last_request(&app).await;
    assert_eq!(res.headers()["location"], format!("/me/requests/{id}?done=sent").as_str());
    // Handled by the county federation above the member's street union, due in ten working days.
    let county = app.union_id("340302").await;
    assert_eq!(app.count(&format!("SELECT org_id FROM hall_requests WHERE id = {id}")).await, county);
    assert_eq!(app.count(&format!("SELECT member_id FROM hall_requests WHERE id = {id}")).await, member);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM hall_files WHERE request_id = {id}")).await, 1);
    assert_eq!(progress_sms(&app, PHONE_A).await, vec!["已收到"]);
    let mine = app.get_as(&me, &format!("/me/requests/{id}")).await.text().await.unwrap();
    assert!(mine.contains("已收到") && mine.contains("8650.50") && mine.contains("龙子湖区总工会"), "{mine}");
    let file_href = format!("/me/requests/{id}/files/");
    assert!(mine.contains(&file_href));
    let file_id = app.count(&format!("SELECT id FROM hall_files WHERE request_id = {id}")).await;
    let file = app.get_as(&me, &format!("/me/requests/{id}/files/{file_id}")).await;
    assert_eq!(file.status(), 200);
    assert_eq!(file.headers()["content-type"], "image/png", "the type is the content's, not the name's");
    assert_eq!(file.bytes().await.unwrap().as_ref(), PNG);
    // The county's manager takes it on and completes it.
    app.admin("340302", "manager,reviewer", "lzh_mgr").await;
    let mgr = app.login("lzh_mgr").await;
    let queue = app.get_as(&mgr, "/admin/hall").await.text().await.unwrap();
    assert!(queue.contains("医疗救助") && queue.contains(&format!("FW{id:06}")));
    let res = app.post_as(&mgr, &format!("/admin/hall/{id}/step"), &[("step", "accepted"), ("note", ""), ("from", "received")]).await;
    assert_eq!(res.status(), 303);
    let res =
        app.post_as(&mgr, &format!("/admin/hall/{id}/step"), &[("step", "done"), ("note", "救助金已发放"), ("from", "accepted")]).await;
    assert_eq!(res.status(), 303);
    // Finished: no further step.
    let again = app.post_as(&mgr, &format!("/admin/hall/{id}/step"), &[("step", "declined"), ("note", "x"), ("from", "accepted")]).await;
    assert_eq!(again.status(), 200);
    assert!(again.text().await.unwrap().contains("刚刚已被处理"));
    assert_eq!(progress_sms(&app, PHONE_A).await, vec!["已收到", "已受理", "已办结"]);
    let mine = app.get_as(&me, &format!("/me/requests/{id}")).await.text().await.unwrap();
    assert!(mine.contains("已办结") && mine.contains("救助金已发放"));
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'service_step'").await, 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'service_ask'").await, 1);
    // Another member sees neither the request nor its file.
    app.approved_member("340302-DF", GOOD_ID_2, PHONE_B).await;
    let other = app.member_session(PHONE_B).await;
    assert_eq!(app.get_as(&other, &format!("/me/requests/{id}")).await.status(), 404);
    assert_eq!(app.get_as(&other, &format!("/me/requests/{id}/files/{file_id}")).await.status(), 404);
    assert!(!app.get_as(&other, "/me/requests").await.text().await.unwrap().contains("医疗救助"));
});

on_both_databases!(bad_input_is_kept_beside_its_errors_and_nothing_is_written, |app: TestApp| async move {
    app.approved_member("340302-DF", GOOD_ID, PHONE_A).await;
    let me = app.member_session(PHONE_A).await;
    let key = submission_of(&app, &me, "medical_aid").await;
    let mut parts = medical_aid(&key, Part::File("file_bills", "bills.jpg", b"MZ\x90\0 an exe named like a photo".to_vec()));
    parts[5] = text("f_cost", "8千");
    let res = post_multipart(&app, &me, "/hall/medical_aid", &parts).await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("请填写金额（元）"), "the amount's error");
    assert!(page.contains("只能上传照片"), "the file judged by its content");
    assert!(page.contains("蚌埠医学院第一附属医院") && page.contains("8千"), "input kept");
    assert_eq!(app.count("SELECT COUNT(*) FROM hall_requests").await, 0);
    // Too large: refused by size.
    let big = vec![0xFFu8, 0xD8, 0xFF].into_iter().chain(std::iter::repeat_n(0u8, 5 * 1024 * 1024)).collect::<Vec<u8>>();
    let res = post_multipart(&app, &me, "/hall/medical_aid", &medical_aid(&key, Part::File("file_bills", "big.jpg", big))).await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("文件太大"));
    // A good photo with a bad date: the photo is kept for the next post.
    let mut parts = medical_aid(&key, photo());
    parts[4] = text("f_admitted", "2026-13-01");
    let res = post_multipart(&app, &me, "/hall/medical_aid", &parts).await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("请按 年-月-日 填写日期"));
    let at = page.find("name=\"kept\" value=\"").expect("the photo is kept") + "name=\"kept\" value=\"".len();
    let kept = page[at..].split('"').next().unwrap().to_string();
    assert_eq!(app.count("SELECT COUNT(*) FROM hall_requests").await, 0);
    // Another member cannot use that kept photo.
    app.approved_member("340302-DF", GOOD_ID_2, PHONE_B).await;
    let other = app.member_session(PHONE_B).await;
    let other_key = submission_of(&app, &other, "medical_aid").await;
    let mut parts = medical_aid(&other_key, text("kept", &kept));
    parts.truncate(6);
    parts.push(text("kept", &kept));
    let res = post_multipart(&app, &other, "/hall/medical_aid", &parts).await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("请上传照片或PDF"));
    // Its owner sends the form again with the kept photo: made, with the file.
    let mut parts = medical_aid(&key, text("kept", &kept));
    parts.truncate(6);
    parts.push(text("kept", &kept));
    let res = post_multipart(&app, &me, "/hall/medical_aid", &parts).await;
    assert_eq!(res.status(), 303);
    let id = last_request(&app).await;
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM hall_files WHERE request_id = {id}")).await, 1);
    // The same post again (a double tap, a retry after a lost answer): still one request.
    let res = post_multipart(&app, &me, "/hall/medical_aid", &parts).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], format!("/me/requests/{id}?done=sent").as_str());
    assert_eq!(app.count("SELECT COUNT(*) FROM hall_requests").await, 1);
    // A form key that is not one we gave: the typed answers come back on a form that can be sent.
    let stale = medical_aid("short", photo());
    let res = post_multipart(&app, &me, "/hall/medical_aid", &stale).await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("表单已失效") && page.contains("蚌埠医学院第一附属医院"), "told, and the input kept");
    assert!(!page.contains("disabled"), "the form can be sent again");
    assert_eq!(app.count("SELECT COUNT(*) FROM hall_requests").await, 1);
    // Signed out: no request, and not a word of whether anything exists.
    let res = post_multipart(&app, "x=y", "/hall/medical_aid", &medical_aid("k".repeat(22).as_str(), photo())).await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("请先登录"));
});

on_both_databases!(two_officers_at_once_take_one_step, |app: TestApp| async move {
    app.approved_member("340302-DF", GOOD_ID, PHONE_A).await;
    let me = app.member_session(PHONE_A).await;
    let key = submission_of(&app, &me, "wage_arrears").await;
    let parts = vec![
        text("submission", &key),
        text("f_employer", "某物流公司"),
        text("f_owed", "12000"),
        text("f_months", "3"),
        text("f_contract", "否"),
    ];
    assert_eq!(post_multipart(&app, &me, "/hall/wage_arrears", &parts).await.status(), 303);
    let id = last_request(&app).await;
    app.admin("340302", "manager,reviewer", "a1").await;
    app.admin("340302", "reviewer", "a2").await;
    let (c1, c2) = (app.login("a1").await, app.login("a2").await);
    let path = format!("/admin/hall/{id}/step");
    let (r1, r2) = tokio::join!(
        app.post_as(&c1, &path, &[("step", "accepted"), ("note", ""), ("from", "received")]),
        app.post_as(&c2, &path, &[("step", "declined"), ("note", "不属于受理范围"), ("from", "received")])
    );
    let wins = [r1.status(), r2.status()].iter().filter(|s| s.as_u16() == 303).count();
    assert_eq!(wins, 1, "one step wins");
    assert_eq!(app.count("SELECT COUNT(*) FROM hall_steps WHERE status IN ('accepted', 'declined')").await, 1);
    assert_eq!(progress_sms(&app, PHONE_A).await.len(), 2, "received, and the one step");
    // Declining or asking for more needs a note for the member.
    if app.count(&format!("SELECT COUNT(*) FROM hall_requests WHERE id = {id} AND status = 'accepted'")).await == 1 {
        let res = app.post_as(&c1, &path, &[("step", "more_needed"), ("note", " "), ("from", "accepted")]).await;
        assert_eq!(res.status(), 200);
        assert!(res.text().await.unwrap().contains("请写明原因"));
        let res = app.post_as(&c1, &path, &[("step", "more_needed"), ("note", "请补充工资欠条照片"), ("from", "accepted")]).await;
        assert_eq!(res.status(), 303);
        // The member adds it; the request goes back to the union, accepted as before.
        let res = app.post_as(&me, &format!("/me/requests/{id}/supplement"), &[("text", "欠条已拍照，明天送到工会")]).await;
        assert_eq!(res.status(), 303);
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM hall_requests WHERE id = {id} AND status = 'accepted'")).await, 1);
        let seen = app.get_as(&c1, &format!("/admin/hall/{id}")).await.text().await.unwrap();
        assert!(seen.contains("欠条已拍照"));
    }
});

on_both_databases!(hardship_files_are_sealed_scoped_and_every_view_audited, |app: TestApp| async move {
    app.approved_member("340302-DF", GOOD_ID, PHONE_A).await;
    let me = app.member_session(PHONE_A).await;
    let key = submission_of(&app, &me, "hardship_file").await;
    let parts = vec![
        text("submission", &key),
        text("f_id_number", GOOD_ID_2),
        text("f_household", "4"),
        text("f_income", "2100"),
        text("f_cause", "本人或家属患病"),
        text("f_details", "妻子尿毒症透析，两个孩子上学"),
    ];
    assert_eq!(post_multipart(&app, &me, "/hall/hardship_file", &parts).await.status(), 303);
    let id = last_request(&app).await;
    // Sealed at rest: neither the ID number nor the family's story is in the row.
    let stored: String =
        sqlx::query_scalar("SELECT answers FROM hall_requests WHERE id = $1").bind(id).fetch_one(&app.state.db.pool).await.unwrap();
    assert!(!stored.contains(GOOD_ID_2) && !stored.contains("尿毒症") && !stored.contains("2100"));
    // A reviewer of the handling county sees that it exists, not what it says, and cannot act.
    app.admin("340302", "reviewer", "lzh_rev").await;
    let rev = app.login("lzh_rev").await;
    let page = app.get_as(&rev, &format!("/admin/hall/{id}")).await.text().await.unwrap();
    assert!(page.contains("仅经办工会负责人可查看") && !page.contains("尿毒症"));
    let res = app.post_as(&rev, &format!("/admin/hall/{id}/step"), &[("step", "accepted"), ("note", ""), ("from", "received")]).await;
    assert_eq!(res.status(), 404);
    // Its manager sees it (ID masked) and the view is on the record.
    app.admin("340302", "manager", "lzh_mgr").await;
    let mgr = app.login("lzh_mgr").await;
    let before = app
        .count(&format!("SELECT COUNT(*) FROM audit_log WHERE action = 'view' AND target = 'service_request:{id}' AND outcome = 'ok'"))
        .await;
    let page = app.get_as(&mgr, &format!("/admin/hall/{id}")).await.text().await.unwrap();
    assert!(page.contains("尿毒症") && page.contains("34**************37") && !page.contains(GOOD_ID_2));
    let after = app
        .count(&format!("SELECT COUNT(*) FROM audit_log WHERE action = 'view' AND target = 'service_request:{id}' AND outcome = 'ok'"))
        .await;
    assert_eq!(after, before + 1, "each view audited");
    // The full number needs a reason, and is audited.
    let page = app.post_as(&mgr, &format!("/admin/hall/{id}/reveal"), &[("reason", "核实身份")]).await.text().await.unwrap();
    assert!(page.contains(GOOD_ID_2));
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM audit_log WHERE action = 'reveal' AND target = 'service_request:{id}'")).await, 1);
    // A manager of another county: the one not-found page, and the attempt recorded.
    app.admin("340303", "manager", "bs_mgr").await;
    let other = app.login("bs_mgr").await;
    assert_eq!(app.get_as(&other, &format!("/admin/hall/{id}")).await.status(), 404);
    assert_eq!(app.post_as(&other, &format!("/admin/hall/{id}/step"), &[("step", "accepted"), ("from", "received")]).await.status(), 404);
    assert!(!app.get_as(&other, "/admin/hall").await.text().await.unwrap().contains(&format!("FW{id:06}")));
    assert!(
        app.count(&format!("SELECT COUNT(*) FROM audit_log WHERE target = 'service_request:{id}' AND outcome = 'not_found'")).await >= 2
    );
    // The city's manager (the subtree's top) may; a leader sees it exists only.
    app.admin("340300", "leader", "leader").await;
    let leader = app.login("leader").await;
    let page = app.get_as(&leader, &format!("/admin/hall/{id}")).await.text().await.unwrap();
    assert!(!page.contains("尿毒症"));
});

on_both_databases!(the_engine_reminds_and_escalates_once, |app: TestApp| async move {
    app.approved_member("340302-DF", GOOD_ID, PHONE_A).await;
    let me = app.member_session(PHONE_A).await;
    let key = submission_of(&app, &me, "injury_visit").await;
    let parts = vec![
        text("submission", &key),
        text("f_injured", "2026-11-20"),
        text("f_what", "装货时摔伤"),
        text("f_hospital", "蚌埠市第三人民医院"),
        text("f_certified", "否"),
    ];
    assert_eq!(post_multipart(&app, &me, "/hall/injury_visit", &parts).await.status(), 303);
    let id = last_request(&app).await;
    app.admin("340302-DF", "reviewer", "df_rev").await;
    app.set_phone("df_rev", "13900002100").await;
    app.admin("340302", "manager", "lzh_mgr").await;
    app.set_phone("lzh_mgr", "13900002200").await;
    // An hour of office time before the promise runs out: the union's reviewer is reminded.
    let due = app.count(&format!("SELECT due_at FROM hall_requests WHERE id = {id}")).await;
    app.clock.set(due - 3600);
    assert_eq!(ejia::hall::engine::tick(&app.state).await.unwrap(), 1);
    // Five calendar weeks later it is long overdue: 督办 up the tree.
    app.clock.advance(35 * 86_400);
    let second = spawn_second_instance(&app).await;
    let (a, b) = tokio::join!(ejia::hall::engine::tick(&app.state), ejia::hall::engine::tick(&second.state));
    let recorded = a.unwrap() + b.unwrap();
    let levels = app.count(&format!("SELECT COUNT(*) FROM hall_escalations WHERE request_id = {id}")).await;
    assert_eq!(recorded as i64 + 1, levels, "each step recorded once across two instances");
    assert!(levels >= 2, "a reminder and escalations");
    assert_eq!(ejia::hall::engine::tick(&app.state).await.unwrap(), 0, "nothing twice");
    app.deliver().await;
    assert_eq!(app.sms.messages("13900002100", Template::ServiceWaiting).len(), 1);
    assert!(!app.sms.messages("13900002200", Template::ServiceEscalation).is_empty(), "督办 to the county's manager");
    // The queue marks it overdue.
    let mgr = app.login("lzh_mgr").await;
    assert!(app.get_as(&mgr, "/admin/hall?overdue=1").await.text().await.unwrap().contains(&format!("FW{id:06}")));
});

on_both_databases!(the_city_admin_adds_a_service_and_a_member_uses_it_at_once, |app: TestApp| async move {
    app.admin("340300", "city_admin", "city").await;
    app.admin("340302", "manager", "lzh_mgr").await;
    let city = app.login("city").await;
    let mgr = app.login("lzh_mgr").await;
    assert_eq!(app.get_as(&mgr, "/admin/services").await.status(), 404, "the city admin's screen only");
    let fields = [
        ("module", "culture"),
        ("code", "cool_drinks"),
        ("name", "夏送清凉"),
        ("summary", "高温季节为一线司机送清凉用品"),
        ("audience", "member"),
        ("occupations", "truck_driver"),
        ("handler", "own"),
        ("handler_org", ""),
        ("promise_days", "3"),
        ("sms_steps", "received"),
        ("sms_steps", "done"),
        ("link", ""),
        ("active", "1"),
        ("fkey", ""),
        ("flabel", "收货地址"),
        ("fkind", "text"),
        ("frequired", "1"),
        ("foptions", ""),
        ("fhint", ""),
        ("fkey", ""),
        ("flabel", "份数"),
        ("fkind", "choice"),
        ("frequired", "1"),
        ("foptions", "1份、2份"),
        ("fhint", ""),
    ];
    // A bad promise comes back with the input kept.
    let mut bad = fields.to_vec();
    bad[8] = ("promise_days", "0");
    let res = app.post_as(&city, "/admin/services/new", &bad).await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("夏送清凉"));
    let res = app.post_as(&city, "/admin/services/new", &fields).await;
    assert_eq!(res.status(), 303);
    let again = app.post_as(&city, "/admin/services/new", &fields).await.text().await.unwrap();
    assert!(again.contains("该代码已被使用"), "a code once");
    assert!(app.get("/hall?m=culture").await.text().await.unwrap().contains("夏送清凉"));
    // A member (a driver: members who joined through the demo forms have no occupation, so set it).
    let member = app.approved_member("340302-DF", GOOD_ID, PHONE_A).await;
    let me = app.member_session(PHONE_A).await;
    let key = submission_of(&app, &me, "cool_drinks").await;
    let res =
        post_multipart(&app, &me, "/hall/cool_drinks", &[text("submission", &key), text("f_f1", "东风街道物流园3号"), text("f_f2", "2份")])
            .await;
    if app.count(&format!("SELECT COUNT(*) FROM members m JOIN applications a ON a.id = m.application_id WHERE m.id = {member} AND a.occupation = 'truck_driver'")).await == 0 {
        assert_eq!(res.status(), 200, "another occupation is refused");
        sqlx::query("UPDATE applications SET occupation = 'truck_driver' WHERE id = (SELECT application_id FROM members WHERE id = $1)")
            .bind(member)
            .execute(&app.state.db.pool)
            .await
            .unwrap();
        let res = post_multipart(&app, &me, "/hall/cool_drinks", &[text("submission", &key), text("f_f1", "东风街道物流园3号"), text("f_f2", "2份")]).await;
        assert_eq!(res.status(), 303);
    } else {
        assert_eq!(res.status(), 303);
    }
    let id = last_request(&app).await;
    let page = app.get_as(&me, &format!("/me/requests/{id}")).await.text().await.unwrap();
    assert!(page.contains("夏送清凉") && page.contains("2份"));
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'service_setup'").await, 1);
    // Hidden from the hall, it takes no more requests.
    let sid = app.count("SELECT id FROM hall_services WHERE code = 'cool_drinks'").await;
    let mut hide = fields.to_vec();
    hide.retain(|(k, _)| *k != "active" && *k != "code");
    assert_eq!(app.post_as(&city, &format!("/admin/services/{sid}"), &hide).await.status(), 303);
    assert!(!app.get("/hall").await.text().await.unwrap().contains("夏送清凉"));
    assert_eq!(app.get_as(&me, "/hall/cool_drinks").await.status(), 404);
});

on_both_databases!(an_admin_files_for_a_driver_and_a_walkin, |app: TestApp| async move {
    app.approved_member("340302-DF", GOOD_ID, PHONE_A).await;
    let member_no: String = sqlx::query_scalar("SELECT member_no FROM members LIMIT 1").fetch_one(&app.state.db.pool).await.unwrap();
    app.admin("340302", "reviewer", "lzh_rev").await;
    app.admin("340303", "reviewer", "bs_rev").await;
    let rev = app.login("lzh_rev").await;
    let other = app.login("bs_rev").await;
    let parts = |who: Part<'static>| {
        vec![
            who,
            text("submission", &"k".repeat(22)),
            text("f_employer", "某车队"),
            text("f_dispute", "扣押证件"),
            text("f_wish", "归还证件"),
        ]
    };
    // Outside the officer's subtree a member number is unknown.
    let res = post_multipart(&app, &other, "/admin/hall/file/mediation", &parts(text("member_no", &member_no))).await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("未找到该会员号"));
    let res = post_multipart(&app, &rev, "/admin/hall/file/mediation", &parts(text("member_no", &member_no))).await;
    assert_eq!(res.status(), 303);
    let id = last_request(&app).await;
    let filed_by = app.count(&format!("SELECT filed_by FROM hall_requests WHERE id = {id}")).await;
    assert!(filed_by > 0);
    // The member sees it in 我的 and got the SMS.
    let me = app.member_session(PHONE_A).await;
    assert!(app.get_as(&me, "/me/requests").await.text().await.unwrap().contains("劳动争议调解"));
    // A members-only service takes no walk-in.
    let walkin = vec![
        text("walkin_name", "王师傅"),
        text("walkin_phone", "13900002999"),
        text("submission", &"w".repeat(22)),
        text("f_employer", "某车队"),
        text("f_dispute", "扣押证件"),
        text("f_wish", "归还证件"),
    ];
    let res = post_multipart(&app, &rev, "/admin/hall/file/mediation", &walkin).await;
    assert_eq!(res.status(), 200);
});

on_both_databases!(leaving_erases_requests_and_their_files, |app: TestApp| async move {
    app.approved_member("340302-DF", GOOD_ID, PHONE_A).await;
    let me = app.member_session(PHONE_A).await;
    let key = submission_of(&app, &me, "medical_aid").await;
    assert_eq!(post_multipart(&app, &me, "/hall/medical_aid", &medical_aid(&key, photo())).await.status(), 303);
    let id = last_request(&app).await;
    let sha: String =
        sqlx::query_scalar("SELECT sha256 FROM hall_files WHERE request_id = $1").bind(id).fetch_one(&app.state.db.pool).await.unwrap();
    let path = app.state.config.data_dir.join("files").join(&sha[..2]).join(&sha);
    assert!(path.exists());
    let on_disk = std::fs::read(&path).unwrap();
    assert!(!on_disk.windows(PNG.len()).any(|w| w == PNG), "files are sealed on disk");
    let res = app.post_as(&me, "/me/leave", &[("confirm", "退出")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(ejia::hall::engine::erase_left(&app.state).await.unwrap(), 1);
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM hall_requests WHERE id = {id} AND answers = '' AND erased_at IS NOT NULL")).await,
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM hall_files").await, 0);
    assert!(!path.exists(), "the photo is gone from the disk");
    assert_eq!(ejia::hall::engine::erase_left(&app.state).await.unwrap(), 0);
});
