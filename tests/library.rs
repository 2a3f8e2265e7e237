//! The library alliance over HTTP, on SQLite and PostgreSQL: a book borrowed at one library and
//! returned at another by that library's admin (the loan closed, the copy now held there); an
//! admin outside a library's subtree refused (not found + audit) at its counter; one copy lent
//! twice at once (one loan); the reminders before and after the due day sent exactly once with
//! two instances ticking at the same moment; a member sees only their own loans; the e-card
//! code at the counter (current, expired, forged); figures per library.
mod common;

use common::*;
use ejia::server::sms::Template;

const LZH: &str = "龙子湖区职工书屋"; // demo library of 340302
const BS: &str = "蚌山区职工书屋"; // demo library of 340303

async fn library_id(app: &TestApp, name: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM libraries WHERE name = $1").bind(name).fetch_one(&app.state.db.pool).await.unwrap()
}

async fn member_no(app: &TestApp, member: i64) -> String {
    sqlx::query_scalar("SELECT member_no FROM members WHERE id = $1").bind(member).fetch_one(&app.state.db.pool).await.unwrap()
}

/// Members made directly (approved applications) at the union with `org_code`; returns their ids.
async fn members(app: &TestApp, n: usize, org_code: &str) -> Vec<i64> {
    let org = app.union_id(org_code).await;
    ejia::site::bench_claims::members(&app.state, n, org, None, wednesday_10am() - 86_400).await.unwrap()
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

/// Librarians: `a` at 龙子湖区 (manager and reviewer), `b` at 蚌山区 (reviewer only).
struct Desk {
    a: String,
    b: String,
    lib_a: i64,
    lib_b: i64,
}

async fn desk(app: &TestApp) -> Desk {
    app.admin("340302", "manager,reviewer", "lib_a").await;
    app.admin("340303", "reviewer", "lib_b").await;
    Desk { a: app.login("lib_a").await, b: app.login("lib_b").await, lib_a: library_id(app, LZH).await, lib_b: library_id(app, BS).await }
}

async fn lend(app: &TestApp, cookie: &str, library: i64, borrower: &str, barcode: &str) -> reqwest::Response {
    app.post_as(cookie, &format!("/admin/library/{library}/lend"), &[("borrower", borrower), ("barcode", barcode)]).await
}

async fn give_back(app: &TestApp, cookie: &str, library: i64, barcode: &str) -> reqwest::Response {
    app.post_as(cookie, &format!("/admin/library/{library}/return"), &[("return_barcode", barcode)]).await
}

async fn refusals(app: &TestApp, action: &str, target: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1 AND target = $2 AND outcome = 'not_found'")
        .bind(action)
        .bind(target)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

on_both_databases!(borrowed_at_a_returned_at_b_by_bs_admin, |app: TestApp| async move {
    let d = desk(&app).await;
    let member = app.approved_member("340302-DF", GOOD_ID, "13800138000").await;
    let no = member_no(&app, member).await;
    // Lent at A by A's admin, by member number: due today + 30 days.
    let res = lend(&app, &d.a, d.lib_a, &no, "lzh-0001").await;
    assert_eq!(res.status(), 303, "lent: {}", res.text().await.unwrap_or_default());
    let to = res.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with(&format!("/admin/library/{}?lent=", d.lib_a)), "{to}");
    let page = app.get_as(&d.a, &to).await.text().await.unwrap();
    assert!(page.contains("已借出《平凡的世界》（条码 LZH-0001），应还日期 2026-12-25"), "success line");
    assert!(page.contains("张*"), "the borrower masked in the open loans");
    assert!(!page.contains("13800138000"));
    // The member sees the loan with its due date.
    let me = app.member_session("13800138000").await;
    let mine = app.get_as(&me, "/library").await.text().await.unwrap();
    assert!(mine.contains("《平凡的世界》") && mine.contains("应还日期 2026-12-25") && mine.contains("借阅中"), "my loan");
    // Returned at B by B's admin (who has no rights at A).
    app.clock.advance(5 * 86_400);
    // Five days on, the admins' sessions have timed out: they sign in again.
    let d = Desk { a: app.login("lib_a").await, b: app.login("lib_b").await, ..d };
    let res = give_back(&app, &d.b, d.lib_b, "LZH-0001").await;
    assert_eq!(res.status(), 303, "returned: {}", res.text().await.unwrap_or_default());
    let page = app.get_as(&d.b, res.headers()["location"].to_str().unwrap()).await.text().await.unwrap();
    assert!(page.contains("已归还《平凡的世界》（条码 LZH-0001，借自龙子湖区职工书屋），现由本书屋收藏"), "return line");
    let (returned_at, at_lib): (Option<i64>, Option<i64>) =
        sqlx::query_as("SELECT returned_at, returned_library_id FROM loans").fetch_one(&app.state.db.pool).await.unwrap();
    assert!(returned_at.is_some(), "the loan is closed");
    assert_eq!(at_lib, Some(d.lib_b));
    let (held_at, origin, on_loan): (i64, i64, i64) =
        sqlx::query_as("SELECT library_id, origin_library_id, on_loan FROM book_copies WHERE barcode = 'LZH-0001'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!((held_at, origin, on_loan), (d.lib_b, d.lib_a, 0), "the copy is now held at B, its origin recorded");
    // A second return of the same copy: refused, nothing changes.
    let again = give_back(&app, &d.b, d.lib_b, "LZH-0001").await;
    assert_eq!(again.status(), 200);
    assert!(again.text().await.unwrap().contains("该册图书不在借出状态"));
    // A can no longer lend it (it is on B's shelf); B can.
    let res = lend(&app, &d.a, d.lib_a, &no, "LZH-0001").await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("该册图书不在本书屋"));
    // The member (signed in again: five days passed) sees it returned, where and when.
    assert!(!app.get_as(&me, "/library").await.text().await.unwrap().contains("aria-label=\"我的借阅\""), "the old session is gone");
    let me = session(&app, member).await;
    let mine = app.get_as(&me, "/library").await.text().await.unwrap();
    assert!(mine.contains("已归还") && mine.contains("2026-11-30 归还于蚌山区职工书屋"), "returned in my loans");
    // The figures: one loan at A, one return at B; the search shows the copy available at B.
    let a_page = app.get_as(&d.a, &format!("/admin/library/{}", d.lib_a)).await.text().await.unwrap();
    assert!(a_page.contains(r#"data-figure="loans_total">1<"#), "A lent one");
    let b_page = app.get_as(&d.b, &format!("/admin/library/{}", d.lib_b)).await.text().await.unwrap();
    assert!(b_page.contains(r#"data-figure="returns_total">1<"#), "B took one back");
    assert!(b_page.contains(r#"data-figure="loans_total">0<"#));
    let search = app.get("/library?q=%E5%B9%B3%E5%87%A1").await.text().await.unwrap();
    assert!(search.contains("蚌山区职工书屋：可借 2 册 / 共 2 册"), "both copies now on B's shelf");
    assert!(!search.contains("龙子湖区职工书屋：可借"), "none left at A");
    // Audited: the lend and the return, by whom.
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'lend' AND outcome = 'ok'").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'book_return' AND outcome = 'ok'").await, 1);
});

on_both_databases!(an_admin_outside_the_subtree_meets_not_found_and_an_audit_row, |app: TestApp| async move {
    let d = desk(&app).await;
    let member = members(&app, 1, "340302").await[0];
    let no = member_no(&app, member).await;
    let target = format!("library:{}", d.lib_b);
    // A's admin (龙子湖区) at B's (蚌山区) counter: every route is not found, each audited.
    let res = app.get_as(&d.a, &format!("/admin/library/{}", d.lib_b)).await;
    assert_eq!(res.status(), 404);
    assert_eq!(refusals(&app, "view", &target).await, 1);
    let res = lend(&app, &d.a, d.lib_b, &no, "BS-0001").await;
    assert_eq!(res.status(), 404);
    assert_eq!(refusals(&app, "lend", &target).await, 1);
    let res = app.post_as(&d.a, &format!("/admin/library/{}/copies", d.lib_b), &[("isbn", "9787020002207"), ("copy_barcode", "X-1")]).await;
    assert_eq!(res.status(), 404);
    assert_eq!(refusals(&app, "library_setup", &target).await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM loans").await, 0, "nothing lent");
    assert_eq!(app.count("SELECT COUNT(*) FROM book_copies WHERE barcode = 'X-1'").await, 0, "nothing added");
    // A copy of B lent at B, returned at A by... B's admin at A: not found too.
    assert_eq!(lend(&app, &d.b, d.lib_b, &no, "BS-0001").await.status(), 303);
    let res = give_back(&app, &d.b, d.lib_a, "BS-0001").await;
    assert_eq!(res.status(), 404);
    assert_eq!(refusals(&app, "book_return", &format!("library:{}", d.lib_a)).await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM loans WHERE returned_at IS NULL").await, 1, "still on loan");
    // An unknown library: the same answer.
    assert_eq!(app.get_as(&d.a, "/admin/library/999999").await.status(), 404);
    // The overview lists only the admin's own libraries; the city admin sees them all.
    let list = app.get_as(&d.a, "/admin/library").await.text().await.unwrap();
    assert!(list.contains(LZH) && !list.contains(BS));
    app.admin("340300", "city_admin", "lib_city").await;
    let city = app.login("lib_city").await;
    let list = app.get_as(&city, "/admin/library").await.text().await.unwrap();
    assert!(list.contains(LZH) && list.contains(BS) && list.contains("司机之家职工书屋"));
    // A leader is no librarian; nor is a member session.
    app.admin("340300", "leader", "lib_leader").await;
    let leader = app.login("lib_leader").await;
    assert_eq!(app.get_as(&leader, "/admin/library").await.status(), 404);
    // B (a reviewer, not a manager) may not open a library; A may, only in its subtree.
    let res = app.post_as(&d.b, "/admin/library", &[("name", "新书屋"), ("org", &app.union_id("340303").await.to_string())]).await;
    assert_eq!(res.status(), 200);
    let bs = app.union_id("340303").await.to_string();
    let res = app.post_as(&d.a, "/admin/library", &[("name", "越界书屋"), ("org", &bs)]).await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("请选择所属工会"));
    let df = app.union_id("340302-DF").await.to_string();
    let res = app.post_as(&d.a, "/admin/library", &[("name", "东风街道职工书屋"), ("org", &df), ("loan_days", "14")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.count("SELECT COUNT(*) FROM libraries WHERE name IN ('新书屋', '越界书屋')").await, 0);
    assert_eq!(app.count("SELECT loan_days FROM libraries WHERE name = '东风街道职工书屋'").await, 14);
});

on_both_databases!(one_copy_lent_ten_times_at_once_gives_one_loan, |app: TestApp| async move {
    let d = desk(&app).await;
    let ids = members(&app, 10, "340302").await;
    let mut nos = Vec::new();
    for id in &ids {
        nos.push(member_no(&app, *id).await);
    }
    let mut tasks = Vec::new();
    for no in nos {
        let (http, base, cookie, lib) = (app.http.clone(), app.base.clone(), d.a.clone(), d.lib_a);
        tasks.push(tokio::spawn(async move {
            let res = http
                .post(format!("{base}/admin/library/{lib}/lend"))
                .header("cookie", cookie)
                .header("origin", &base)
                .form(&[("borrower", no.as_str()), ("barcode", "LZH-0002")])
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            (status, res.text().await.unwrap())
        }));
    }
    let mut won = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            303 => won += 1,
            200 => assert!(body.contains("该册图书已借出"), "the others are told it is out"),
            other => panic!("a lend is answered, never {other}"),
        }
    }
    assert_eq!(won, 1, "exactly one lend wins");
    assert_eq!(app.count("SELECT COUNT(*) FROM loans").await, 1);
    assert_eq!(app.count("SELECT on_loan FROM book_copies WHERE barcode = 'LZH-0002'").await, 1);
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_lend_one_copy_once() {
    let app = spawn_app(ejia::server::db::Backend::Postgres).await;
    let second = spawn_second_instance(&app).await;
    let d = desk(&app).await;
    let ids = members(&app, 20, "340302").await;
    let mut tasks = Vec::new();
    for (k, id) in ids.iter().enumerate() {
        let no = member_no(&app, *id).await;
        let base = if k % 2 == 0 { app.base.clone() } else { second.base.clone() };
        let (http, cookie, lib) = (app.http.clone(), d.a.clone(), d.lib_a);
        tasks.push(tokio::spawn(async move {
            http.post(format!("{base}/admin/library/{lib}/lend"))
                .header("cookie", cookie)
                .header("origin", &base)
                .form(&[("borrower", no.as_str()), ("barcode", "LZH-0003")])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut won = 0;
    for t in tasks {
        let status = t.await.unwrap();
        assert!(status == 303 || status == 200, "{status}");
        won += (status == 303) as i64;
    }
    assert_eq!(won, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM loans").await, 1);
}

on_both_databases!(reminders_go_out_exactly_once_with_two_workers, |app: TestApp| async move {
    let second = common::spawn_second_instance(&app).await;
    let d = desk(&app).await;
    let ids = members(&app, 2, "340302").await;
    let (kept, back) = (ids[0], ids[1]);
    assert_eq!(lend(&app, &d.a, d.lib_a, &member_no(&app, kept).await, "LZH-0001").await.status(), 303);
    assert_eq!(lend(&app, &d.a, d.lib_a, &member_no(&app, back).await, "LZH-0002").await.status(), 303);
    let (phone, phone_back) = (phone_of(&app, kept).await, phone_of(&app, back).await);
    let tick = |s: &ejia::server::state::AppState| {
        let s = s.clone();
        async move { ejia::library::reminders::tick(&s).await.unwrap() }
    };
    // Nothing before the day: due 2026-12-25, the reminder from 12-23 09:00.
    assert_eq!(tick(&app.state).await, 0);
    let remind_at = ejia::calendar::local_to_unix(ejia::domain::Ymd::new(2026, 12, 23).unwrap(), 9, 0);
    app.clock.set(remind_at - 60);
    assert_eq!(tick(&app.state).await, 0, "not yet");
    app.clock.set(remind_at + 5);
    let (x, y) = tokio::join!(tick(&app.state), tick(&second.state));
    assert_eq!(x + y, 2, "one reminder per loan, from whichever worker got there first");
    assert_eq!(tick(&app.state).await + tick(&second.state).await, 0, "and never again");
    app.deliver().await;
    let sent = app.sms.messages(&phone, Template::LoanDueSoon);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].params["title"], "平凡的世界");
    assert_eq!(sent[0].params["due"], "2026-12-25");
    // One book comes back on time; the other is overdue from 12-26 09:00.
    let a = app.login("lib_a").await;
    let res = give_back(&app, &a, d.lib_a, "LZH-0002").await;
    assert!(res.headers()["location"].to_str().unwrap().contains("?returned="), "returned");
    let overdue_at = ejia::calendar::local_to_unix(ejia::domain::Ymd::new(2026, 12, 26).unwrap(), 9, 0);
    app.clock.set(overdue_at + 1);
    let (x, y) = tokio::join!(tick(&app.state), tick(&second.state));
    assert_eq!(x + y, 1, "one overdue message, for the book still out");
    app.clock.advance(86_400);
    assert_eq!(tick(&app.state).await + tick(&second.state).await, 0, "once, not daily");
    app.deliver().await;
    assert_eq!(app.sms.messages(&phone, Template::LoanOverdue).len(), 1);
    assert_eq!(app.sms.messages(&phone_back, Template::LoanOverdue).len(), 0, "a returned book is not chased");
    let overdue = &app.sms.messages(&phone, Template::LoanOverdue)[0];
    assert!(Template::LoanOverdue.render(&overdue.params).contains("《平凡的世界》已于2026-12-25到期"));
    // The member's page says overdue.
    let me = session(&app, kept).await;
    assert!(app.get_as(&me, "/library").await.text().await.unwrap().contains("已逾期"));
});

on_both_databases!(a_member_sees_only_their_own_loans, |app: TestApp| async move {
    let d = desk(&app).await;
    let ids = members(&app, 2, "340302").await;
    assert_eq!(lend(&app, &d.a, d.lib_a, &member_no(&app, ids[0]).await, "LZH-0001").await.status(), 303);
    assert_eq!(lend(&app, &d.a, d.lib_a, &member_no(&app, ids[1]).await, "LZH-0002").await.status(), 303);
    let first = app.get_as(&session(&app, ids[0]).await, "/library").await;
    assert_eq!(first.headers()["cache-control"], "no-store");
    let first = first.text().await.unwrap();
    let second = app.get_as(&session(&app, ids[1]).await, "/library").await.text().await.unwrap();
    let loans = |html: &str| html.split("aria-label=\"我的借阅\"").nth(1).unwrap().split("</ul>").next().unwrap().to_string();
    assert!(loans(&first).contains("平凡的世界") && !loans(&first).contains("活着"));
    assert!(loans(&second).contains("活着") && !loans(&second).contains("平凡的世界"));
    // Without a session: the catalogue, and no one's loans.
    let anyone = app.get("/library").await.text().await.unwrap();
    assert!(!anyone.contains("我的借阅\"") && anyone.contains("登录后查看我的借阅"));
    assert!(anyone.contains("《平凡的世界》") && anyone.contains("龙子湖区职工书屋：可借 0 册 / 共 1 册"));
    // The search by author.
    let by_author = app.get("/library?q=%E4%BD%99%E5%8D%8E").await.text().await.unwrap();
    assert!(by_author.contains("《活着》") && !by_author.contains("《红楼梦》"));
});

on_both_databases!(the_e_card_code_names_the_borrower_at_the_counter, |app: TestApp| async move {
    let d = desk(&app).await;
    let member = members(&app, 1, "340302").await[0];
    let me = session(&app, member).await;
    // The card page makes the card's secret id; its QR holds /v/{code}.
    let card = app.get_as(&me, "/me/card").await.text().await.unwrap();
    let check = card.split("data-check=\"").nth(1).expect("a code on the card").split('"').next().unwrap().to_string();
    let res = lend(&app, &d.a, d.lib_a, &format!("{}{check}", app.base), "LZH-0001").await;
    assert_eq!(res.status(), 303, "lent by the card's code");
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM loans WHERE member_id = {member}")).await, 1);
    // Three minutes on, the same code is dead; a forged one is nobody.
    app.clock.advance(180);
    let res = lend(&app, &d.a, d.lib_a, &check, "LZH-0002").await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("电子会员证码已过期"));
    let code = check.rsplit('/').next().unwrap();
    let forged = format!("{}{}", &code[..47], if code.ends_with('A') { 'B' } else { 'A' });
    let res = lend(&app, &d.a, d.lib_a, &forged, "LZH-0002").await;
    assert!(res.text().await.unwrap().contains("未找到该会员"));
    assert_eq!(app.count("SELECT COUNT(*) FROM loans").await, 1);
});

on_both_databases!(titles_and_copies_join_the_shared_catalogue, |app: TestApp| async move {
    let d = desk(&app).await;
    let copies = |fields: Vec<(&'static str, &'static str)>| {
        let (app, cookie, lib) = (&app, d.b.clone(), d.lib_b);
        async move { app.post_as(&cookie, &format!("/admin/library/{lib}/copies"), &fields).await }
    };
    // A new title needs its title and author; a wrong ISBN is named next to the field, input kept.
    let res = copies(vec![("isbn", "9787020002208"), ("title", "围城"), ("author", "钱钟书"), ("copy_barcode", "BS-0100")]).await;
    let html = res.text().await.unwrap();
    assert!(html.contains("ISBN 不正确") && html.contains("value=\"围城\""));
    let res = copies(vec![("isbn", "978-7-02-002475-9"), ("copy_barcode", "BS-0100")]).await;
    assert!(res.text().await.unwrap().contains("新书目请填写书名"));
    let res = copies(vec![("isbn", "978-7-02-002475-9"), ("title", "围城"), ("author", "钱钟书"), ("copy_barcode", "bs-0100")]).await;
    assert_eq!(res.status(), 303);
    // A known ISBN (an ISBN-10 of a title in the catalogue) adds a copy to the same title.
    let res = copies(vec![("isbn", "7-02-000220-X"), ("title", "别的书名"), ("copy_barcode", "BS-0101")]).await;
    assert_eq!(res.status(), 303);
    let page = app.get_as(&d.b, res.headers()["location"].to_str().unwrap()).await.text().await.unwrap();
    assert!(page.contains("已入库《红楼梦》，条码 BS-0101"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM book_copies c JOIN book_titles t ON t.id = c.title_id WHERE t.isbn = '9787020002207'").await,
        2
    );
    // A barcode is one copy's.
    let res = copies(vec![("isbn", "9787020002207"), ("copy_barcode", "LZH-0001")]).await;
    assert!(res.text().await.unwrap().contains("该条码已被使用"));
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'library_setup' AND outcome = 'ok'").await, 2);
});
