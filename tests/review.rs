//! Review over HTTP, on SQLite and PostgreSQL: the access matrix (role × union × action),
//! decisions with their SMS and undo, bulk approval, admin creation rules, sign-in, sessions and
//! the audit chain.
mod common;

use common::*;
use ejia::server::sms::Template;

const IDS: [&str; 4] = [GOOD_ID, GOOD_ID_2, "340321198506154561", "340303197703037893"];

on_both_databases!(access_matrix_role_union_action, |app: TestApp| async move {
    // Two applications: one in 龙子湖区 (under its street union), one in 蚌山区.
    let lzh = app.application_at("340302-DF", IDS[0], "13800000001").await;
    let bs = app.application_at("340303-TQ", IDS[1], "13800000002").await;
    app.admin("340300", "reviewer", "city_rev").await;
    app.admin("340302", "reviewer", "lzh_rev").await;
    app.admin("340303", "reviewer", "bs_rev").await;
    app.admin("340300", "leader", "city_leader").await;
    app.admin("340302-DF", "reviewer", "df_rev").await;
    // (admin, application, may see, may decide)
    let cases = [
        ("city_rev", lzh, true, true),
        ("city_rev", bs, true, true),
        ("lzh_rev", lzh, true, true),
        ("lzh_rev", bs, false, false),
        ("bs_rev", lzh, false, false),
        ("bs_rev", bs, true, true),
        ("city_leader", lzh, true, false),
        ("city_leader", bs, true, false),
        ("df_rev", lzh, true, true),
        ("df_rev", bs, false, false),
    ];
    for (who, application, see, decide) in cases {
        let cookie = app.login(who).await;
        let res = app.get_as(&cookie, &format!("/admin/a/{application}")).await;
        assert_eq!(res.status() == 200, see, "{who} viewing {application}");
        let queue = app.get_as(&cookie, "/admin").await.text().await.unwrap();
        assert_eq!(queue.contains(&format!("/admin/a/{application}\"")), see, "{who}'s queue listing {application}");
        if !decide {
            for action in ["approve", "reject", "return"] {
                let res = app.post_as(&cookie, &format!("/admin/a/{application}/decide"), &[("action", action), ("reason", "x")]).await;
                assert_eq!(res.status(), 404, "{who} {action} {application}");
                assert_eq!(app.status_of(application).await, "pending", "nothing changed");
            }
            let res = app.post_as(&cookie, "/admin/bulk-approve", &[("ids", &application.to_string())]).await;
            // A read-only role does not reach the route at all; a reviewer elsewhere gets its queue back.
            assert_eq!(res.status(), if who == "city_leader" { 404 } else { 200 }, "{who} bulk approving {application}");
            assert_eq!(app.status_of(application).await, "pending", "bulk approve outside the subtree changes nothing");
        }
    }
    // Outside the subtree: three pairs × (view + three decisions + bulk); the leader: two
    // applications × (three decisions + bulk), refused for want of the right.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE outcome = 'not_found'").await,
        15,
        "every attempt outside the subtree is audited"
    );
    // The leader's decisions and bulk approvals never reach the handler: the role requirement
    // refuses them, each with one audit row.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'access' AND outcome = 'refused' AND detail = 'decider'").await,
        8,
        "every refused decision is audited"
    );
    // Filters: by union inside the subtree, by channel, by name or phone.
    let city = app.login("city_rev").await;
    let df = app.union_id("340302-DF").await;
    let only_df = app.get_as(&city, &format!("/admin?org={df}")).await.text().await.unwrap();
    assert!(only_df.contains(&format!("/admin/a/{lzh}\"")) && !only_df.contains(&format!("/admin/a/{bs}\"")));
    let by_phone = app.get_as(&city, "/admin?q=13800000002").await.text().await.unwrap();
    assert!(by_phone.contains(&format!("/admin/a/{bs}\"")) && !by_phone.contains(&format!("/admin/a/{lzh}\"")));
    assert!(
        by_phone.contains("138****0002") && by_phone.matches("13800000002").count() == by_phone.matches("value=\"13800000002\"").count(),
        "search results are masked (the number is only in what the admin typed: the search box and the export form's filters)"
    );
    let channel: i64 = sqlx::query_scalar("SELECT id FROM channels WHERE code = 'LY2608'").fetch_one(&app.state.db.pool).await.unwrap();
    let by_channel = app.get_as(&city, &format!("/admin?channel={channel}")).await.text().await.unwrap();
    assert!(!by_channel.contains(&format!("/admin/a/{lzh}\"")), "neither came through that channel");
    // The decisions that are allowed work.
    let cookie = app.login("lzh_rev").await;
    let res = app.post_as(&cookie, &format!("/admin/a/{lzh}/decide"), &[("action", "approve")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.status_of(lzh).await, "approved");
});

on_both_databases!(approve_holds_the_sms_for_undo_then_sends, |app: TestApp| async move {
    let a = app.application_at("340302-DF", IDS[0], "13800000001").await;
    app.admin("340302", "reviewer", "lzh_rev").await;
    let cookie = app.login("lzh_rev").await;
    app.deliver().await;
    let res = app.post_as(&cookie, &format!("/admin/a/{a}/decide"), &[("action", "approve")]).await;
    assert_eq!(res.status(), 303);
    let member_no: String =
        sqlx::query_scalar("SELECT member_no FROM members WHERE application_id = $1").bind(a).fetch_one(&app.state.db.pool).await.unwrap();
    assert_eq!(member_no, "340302-DF-000001");
    app.deliver().await;
    assert!(app.sms.messages("13800000001", Template::Approved).is_empty(), "the SMS waits for the undo window");
    // Undo: a compensating change; the SMS is cancelled and the member gone.
    let page = app.post_as(&cookie, &format!("/admin/a/{a}/undo"), &[]).await.text().await.unwrap();
    assert!(page.contains("已撤销"));
    assert_eq!(app.status_of(a).await, "pending");
    assert_eq!(app.count("SELECT COUNT(*) FROM members").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE status = 'cancelled'").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM decisions WHERE action = 'undo'").await, 1);
    // Decide again and let the window pass: the SMS goes, and undo is refused.
    app.post_as(&cookie, &format!("/admin/a/{a}/decide"), &[("action", "approve")]).await;
    app.clock.advance(11);
    app.deliver().await;
    let sms = app.sms.messages("13800000001", Template::Approved);
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].params["member_no"], "340302-DF-000002");
    let page = app.post_as(&cookie, &format!("/admin/a/{a}/undo"), &[]).await.text().await.unwrap();
    assert!(page.contains("已无法撤销"));
    assert_eq!(app.status_of(a).await, "approved");
    // The driver's status page shows the result.
    let link = sms[0].params["link"].as_str().unwrap().to_string();
    let path = link.trim_start_matches(&app.base);
    assert!(app.get(path).await.text().await.unwrap().contains("已通过"));
});

on_both_databases!(reject_needs_a_reason_and_frees_the_person, |app: TestApp| async move {
    let a = app.application_at("340303-TQ", IDS[0], "13800000001").await;
    app.admin("340303", "reviewer", "bs_rev").await;
    let cookie = app.login("bs_rev").await;
    let page = app.post_as(&cookie, &format!("/admin/a/{a}/decide"), &[("action", "reject")]).await.text().await.unwrap();
    assert!(page.contains("驳回或退回须填写理由"));
    assert_eq!(app.status_of(a).await, "pending");
    let res = app.post_as(&cookie, &format!("/admin/a/{a}/decide"), &[("action", "reject"), ("preset", "不属于本单位职工")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.status_of(a).await, "rejected");
    app.clock.advance(11);
    app.deliver().await;
    let sms = app.sms.messages("13800000001", Template::Rejected);
    assert_eq!(sms[0].params["reason"], "不属于本单位职工");
    app.clock.advance(60);
    app.application_at("340303-TQ", IDS[0], "13800000001").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, 2, "after a rejection a new application is allowed");
});

on_both_databases!(bulk_approve_from_the_list, |app: TestApp| async move {
    let mut ids = Vec::new();
    for (i, id) in IDS.iter().enumerate() {
        ids.push(app.application_at("340300-HY01-LY", id, &format!("1380000000{i}")).await);
    }
    app.admin("340300-HY01", "reviewer", "hy_rev").await;
    let cookie = app.login("hy_rev").await;
    let fields: Vec<(&str, String)> = ids[..3].iter().map(|i| ("ids", i.to_string())).collect();
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = app.post_as(&cookie, "/admin/bulk-approve", &fields).await.text().await.unwrap();
    assert!(page.contains("批量通过"));
    assert_eq!(app.count("SELECT COUNT(*) FROM applications WHERE status = 'approved'").await, 3);
    assert_eq!(app.status_of(ids[3]).await, "pending");
    assert_eq!(app.count("SELECT COUNT(*) FROM members").await, 3);
});

on_both_databases!(managers_create_admins_only_within_their_rights, |app: TestApp| async move {
    app.admin("340302", "manager,reviewer", "lzh_mgr").await;
    let cookie = app.login("lzh_mgr").await;
    let df = app.union_id("340302-DF").await.to_string();
    let bs = app.union_id("340303").await.to_string();
    let create = |org: String, role: &'static str, user: &'static str| {
        let (app, cookie) = (&app, cookie.clone());
        async move {
            let password = format!("{user}-password");
            app.post_as(
                &cookie,
                "/admin/admins",
                &[("username", user), ("display_name", "王审核"), ("org", &org), ("roles", role), ("password", &password)],
            )
            .await
            .text()
            .await
            .unwrap()
        }
    };
    assert!(create(df.clone(), "reviewer", "df_new").await.contains("管理员已创建"));
    assert!(create(df.clone(), "city_admin", "df_city").await.contains("无权进行该操作"), "cannot grant a role not held");
    assert!(create(bs.clone(), "reviewer", "bs_new").await.contains("无权进行该操作"), "cannot create outside the subtree");
    assert_eq!(app.count("SELECT COUNT(*) FROM admins WHERE username IN ('df_city', 'bs_new')").await, 0);
    // A reviewer-only account manages nobody.
    app.admin("340302", "reviewer", "plain_rev").await;
    let rev = app.login("plain_rev").await;
    assert_eq!(app.get_as(&rev, "/admin/admins").await.status(), 404);
    // Nor disable one outside the subtree.
    app.admin("340303", "reviewer", "bs_rev").await;
    let bs_id: i64 = sqlx::query_scalar("SELECT id FROM admins WHERE username = 'bs_rev'").fetch_one(&app.state.db.pool).await.unwrap();
    assert_eq!(app.post_as(&cookie, &format!("/admin/admins/{bs_id}/disable"), &[]).await.status(), 404);
    assert_eq!(app.count("SELECT disabled FROM admins WHERE username = 'bs_rev'").await, 0);
    // Disabling an account ends its sessions.
    let new_cookie = app.login("df_new").await;
    assert_eq!(app.get_as(&new_cookie, "/admin").await.status(), 200);
    let id: i64 = sqlx::query_scalar("SELECT id FROM admins WHERE username = 'df_new'").fetch_one(&app.state.db.pool).await.unwrap();
    assert_eq!(app.post_as(&cookie, &format!("/admin/admins/{id}/disable"), &[]).await.status(), 303);
    assert_eq!(app.get_as(&new_cookie, "/admin").await.status(), 303, "a disabled admin's session is gone");
});

on_both_databases!(sign_in_sessions_and_throttling, |app: TestApp| async move {
    app.admin("340302", "reviewer", "lzh_rev").await;
    let wrong = app.post_form("/admin/login", &[("username", "lzh_rev"), ("password", "nope")]).await.text().await.unwrap();
    let unknown = app.post_form("/admin/login", &[("username", "nobody"), ("password", "nope")]).await.text().await.unwrap();
    assert!(wrong.contains("用户名或密码不正确") && unknown.contains("用户名或密码不正确"), "one answer for both");
    let res = app.post_form("/admin/login", &[("username", "lzh_rev"), ("password", "lzh_rev-password")]).await;
    let cookie_header = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie_header.contains("HttpOnly") && cookie_header.contains("SameSite=Lax"));
    let first = cookie_header.split(';').next().unwrap().to_string();
    let second = app.login("lzh_rev").await;
    assert_ne!(first, second, "a new session id at every login");
    // Idle timeout.
    app.clock.advance(31 * 60);
    assert_eq!(app.get_as(&second, "/admin").await.status(), 303);
    // Logout ends the session.
    let third = app.login("lzh_rev").await;
    app.post_as(&third, "/admin/logout", &[]).await;
    assert_eq!(app.get_as(&third, "/admin").await.status(), 303);
    // Repeated failures then meet a hard stop for a while, even with the right password.
    for _ in 0..5 {
        app.post_form("/admin/login", &[("username", "lzh_rev"), ("password", "nope")]).await;
    }
    let page = app.post_form("/admin/login", &[("username", "lzh_rev"), ("password", "lzh_rev-password")]).await.text().await.unwrap();
    assert!(page.contains("尝试次数过多") && !page.contains("<svg"), "{page}");
    // Not a permanent lock-out: after the window the password works again.
    app.clock.advance(16 * 60);
    app.login("lzh_rev").await;
});

on_both_databases!(audit_chain_detects_tampering, |app: TestApp| async move {
    let a = app.application_at("340302-DF", IDS[0], "13800000001").await;
    app.admin("340300", "city_admin,reviewer", "city").await;
    let cookie = app.login("city").await;
    app.post_as(&cookie, &format!("/admin/a/{a}/decide"), &[("action", "approve")]).await;
    let page = app.get_as(&cookie, "/admin/audit").await.text().await.unwrap();
    assert!(page.contains("审计链完整"), "{page}");
    assert_eq!(ejia::server::audit::verify(&app.state).await.unwrap(), Ok(2), "the sign-in and the approval");
    let first: i64 = sqlx::query_scalar("SELECT MIN(id) FROM audit_log").fetch_one(&app.state.db.pool).await.unwrap();
    if app.backend == ejia::server::db::Backend::Postgres {
        // PostgreSQL refuses the change; the table's owner can switch that off.
        assert!(sqlx::query("UPDATE audit_log SET outcome = 'refused' WHERE id = $1")
            .bind(first)
            .execute(&app.state.db.pool)
            .await
            .is_err());
        sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER USER").execute(&app.state.db.pool).await.unwrap();
    }
    sqlx::query("UPDATE audit_log SET outcome = 'refused' WHERE id = $1").bind(first).execute(&app.state.db.pool).await.unwrap();
    assert_eq!(ejia::server::audit::verify(&app.state).await.unwrap(), Err(first));
    assert!(app.get_as(&cookie, "/admin/audit").await.text().await.unwrap().contains("审计链在此处被篡改"));
    // Only the city admin reads the trail.
    app.admin("340302", "reviewer", "lzh_rev").await;
    let rev = app.login("lzh_rev").await;
    assert_eq!(app.get_as(&rev, "/admin/audit").await.status(), 404);
});

on_both_databases!(returned_applications_are_corrected_through_the_status_link, |app: TestApp| async move {
    let a = app.application_at("340302-DF", IDS[0], "13800000001").await;
    app.admin("340302", "reviewer", "lzh_rev").await;
    let cookie = app.login("lzh_rev").await;
    let res = app.post_as(&cookie, &format!("/admin/a/{a}/decide"), &[("action", "return"), ("reason", "姓名与身份证不一致")]).await;
    assert_eq!(res.status(), 303);
    app.clock.advance(11);
    app.deliver().await;
    let sms = app.sms.messages("13800000001", Template::Returned).pop().expect("returned SMS");
    let path = sms.params["link"].as_str().unwrap().trim_start_matches(&app.base).to_string();
    let page = app.get(&path).await.text().await.unwrap();
    assert!(page.contains("退回补充") && page.contains("姓名与身份证不一致") && page.contains("重新提交"));
    // The clock stopped: a returned application is never overdue, nor escalated.
    app.clock.advance(3 * 86_400);
    ejia::review::engine::tick(&app.state).await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM escalations").await, 0);
    // Protected fields are refused whole.
    for field in ["status", "org_id", "id_number", "phone"] {
        let res = app.post_form(&path, &[("name", "张三丰"), (field, "x")]).await;
        assert_eq!(res.status(), 400, "{field} is not the applicant's to change");
    }
    assert_eq!(app.status_of(a).await, "returned");
    let page = app.post_form(&path, &[("name", "张"), ("plate", "")]).await.text().await.unwrap();
    assert!(page.contains("姓名应为2至30个字"));
    let res = app.post_form(&path, &[("name", "张三丰"), ("plate", "皖C12345")]).await;
    assert_eq!(res.status(), 303);
    let (status, name, due, clock_from): (String, String, i64, i64) =
        sqlx::query_as("SELECT status, name, due_at, clock_from FROM applications WHERE id = $1")
            .bind(a)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), name.as_str()), ("pending", "张三丰"));
    assert_eq!(clock_from, app.clock.now_for_test());
    assert_eq!(due, app.state.deadline(clock_from).due_at, "a fresh working day");
    assert!(due > app.clock.now_for_test());
});

on_both_databases!(revealing_a_full_number_needs_a_permission_and_a_reason, |app: TestApp| async move {
    let a = app.application_at("340302-DF", IDS[0], "13800000001").await;
    app.admin("340302", "reviewer", "lzh_rev").await;
    app.admin("340302", "manager,reviewer", "lzh_mgr").await;
    app.admin("340303", "manager,reviewer", "bs_mgr").await;
    let rev = app.login("lzh_rev").await;
    assert_eq!(app.post_as(&rev, &format!("/admin/a/{a}/reveal"), &[("reason", "核对")]).await.status(), 404);
    let detail = app.get_as(&rev, &format!("/admin/a/{a}")).await.text().await.unwrap();
    assert!(!detail.contains(IDS[0]) && detail.contains("11**************2X"), "masked by default");
    let mgr = app.login("lzh_mgr").await;
    let page = app.post_as(&mgr, &format!("/admin/a/{a}/reveal"), &[("reason", "")]).await.text().await.unwrap();
    assert!(page.contains("查看完整号码须填写理由") && !page.contains(IDS[0]));
    let page = app.post_as(&mgr, &format!("/admin/a/{a}/reveal"), &[("reason", "电话核实身份")]).await.text().await.unwrap();
    assert!(page.contains(IDS[0]) && page.contains("13800000001"));
    let other = app.login("bs_mgr").await;
    assert_eq!(app.post_as(&other, &format!("/admin/a/{a}/reveal"), &[("reason", "x")]).await.status(), 404, "outside the subtree");
    let (detail, outcome): (String, String) =
        sqlx::query_as("SELECT detail, outcome FROM audit_log WHERE action = 'reveal' AND outcome = 'ok'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!((detail.as_str(), outcome.as_str()), ("电话核实身份", "ok"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'reveal' AND outcome = 'not_found'").await,
        1,
        "outside the subtree"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'access' AND outcome = 'refused' AND detail = 'revealer'").await,
        1,
        "a reviewer may not reveal"
    );
});
