//! Rosters out and in over HTTP, on SQLite and PostgreSQL: hostile uploads refused with nothing
//! written; an import's row-by-row report, its confirmation in one go, idempotent (again, and
//! twice at once); exports masked by default (read back with the spreadsheet and CSV readers),
//! full numbers only for a role that may reveal with a reason, audited; downloads for the
//! requester only and only within the hour; nothing from outside the subtree.
mod common;

use common::*;
use std::io::Write;

/// The i-th of a series of distinct valid ID numbers (adults born in the 1980s).
fn id(i: usize) -> String {
    let body = format!("3403021985{:02}{:02}{:03}", 1 + i % 12, 1 + (i / 12) % 28, 100 + i / 336);
    let check = ejia::domain::id_number::check_char(body.as_bytes()) as char;
    format!("{body}{check}")
}

fn phone(i: usize) -> String {
    format!("1390000{:04}", i)
}

const HEADER: &str = "姓名,身份证号,手机号,入会日期(可选),车牌号(可选)";

/// A CSV of `good` valid rows (people `from`..) and three bad ones at data rows 2, 4 and 6
/// (file rows 3, 5 and 7): a wrong check character, a short phone, a repeated ID.
fn csv_with_three_bad(from: usize, good: usize) -> (String, Vec<i64>) {
    let mut lines = vec![HEADER.to_string()];
    let mut bad_rows = Vec::new();
    let mut k = from;
    let mut good_left = good;
    let mut data_row = 0;
    while good_left > 0 || bad_rows.len() < 3 {
        data_row += 1;
        let file_row = data_row as i64 + 1;
        if matches!(data_row, 2 | 4 | 6) && bad_rows.len() < 3 {
            let line = match data_row {
                2 => {
                    let good_id = id(900 + from);
                    let last = if good_id.ends_with('0') { '1' } else { '0' };
                    format!("错号码,{}{last},13900009901,,", &good_id[..17])
                }
                4 => "短手机,110105194912310021,1390000,,".replace("110105194912310021", &id(901 + from)),
                _ => format!("重复人,{},13900009903,,", id(from)),
            };
            lines.push(line);
            bad_rows.push(file_row);
        } else {
            lines.push(format!("会员{},{},{},2024-05-01,", ["甲", "乙", "丙", "丁", "戊", "己", "庚", "辛"][k % 8], id(k), phone(k)));
            k += 1;
            good_left -= 1;
        }
    }
    (lines.join("\r\n") + "\r\n", bad_rows)
}

impl TestApp {
    /// Posts a multipart upload (the union and one file) as a browser would.
    async fn upload(&self, cookie: &str, org: i64, file_name: &str, bytes: &[u8]) -> reqwest::Response {
        let boundary = "----ejiaTestBoundary7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        write!(body, "--{boundary}\r\nContent-Disposition: form-data; name=\"org\"\r\n\r\n{org}\r\n").unwrap();
        write!(
            body,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .unwrap();
        body.extend_from_slice(bytes);
        write!(body, "\r\n--{boundary}--\r\n").unwrap();
        self.http
            .post(format!("{}/admin/import", self.base))
            .header("cookie", cookie)
            .header("origin", &self.base)
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// Uploads and follows to the report; returns the batch id and the report page.
    async fn upload_ok(&self, cookie: &str, org: i64, file_name: &str, bytes: &[u8]) -> (i64, String) {
        let res = self.upload(cookie, org, file_name, bytes).await;
        assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
        let to = res.headers()["location"].to_str().unwrap().to_string();
        let id: i64 = to.rsplit('/').next().unwrap().parse().unwrap();
        let page = self.get_as(cookie, &to).await.text().await.unwrap();
        (id, page)
    }

    async fn export(&self, cookie: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.post_as(cookie, "/admin/exports", fields).await
    }

    /// Asks for an export, runs the worker, and downloads the file: (job page path, bytes).
    async fn export_file(&self, cookie: &str, fields: &[(&str, &str)]) -> (String, Vec<u8>) {
        let res = self.export(cookie, fields).await;
        assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
        let job = res.headers()["location"].to_str().unwrap().to_string();
        ejia::roster::jobs::tick(&self.state, "test").await.unwrap();
        let page = self.get_as(cookie, &job).await.text().await.unwrap();
        assert!(page.contains("<progress"), "the job page shows a progress bar");
        let href = page.split("href=\"").find(|s| s.starts_with("/admin/exports/") && s.contains("/download?t=")).expect("a download link");
        let href = href.split('"').next().unwrap().replace("&amp;", "&");
        let res = self.get_as(cookie, &href).await;
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
        (job, res.bytes().await.unwrap().to_vec())
    }
}

fn xlsx_rows(bytes: &[u8]) -> Vec<Vec<calamine::Data>> {
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let body = bytes.strip_prefix("\u{feff}".as_bytes()).expect("a BOM for spreadsheet programs");
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(body);
    r.records().map(|rec| rec.unwrap().iter().map(str::to_string).collect()).collect()
}

async fn nothing_written(app: &TestApp) {
    assert_eq!(app.count("SELECT COUNT(*) FROM import_batches").await, 0, "no batch");
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, 0, "no application");
    assert_eq!(app.count("SELECT COUNT(*) FROM members").await, 0, "no member");
}

on_both_databases!(hostile_files_get_a_clear_error_and_nothing_is_written, |app: TestApp| async move {
    app.admin("340300-HY01-LY", "manager,reviewer", "ly_mgr").await;
    let cookie = app.login("ly_mgr").await;
    let ly = app.union_id("340300-HY01-LY").await;
    let refused = |res: reqwest::Response, words: &'static str| async move {
        assert_eq!(res.status(), 400);
        let page = res.text().await.unwrap();
        assert!(page.contains(words), "expected {words:?} in the page");
    };
    // Not a zip at all, though it says .xlsx.
    refused(app.upload(&cookie, ly, "roster.xlsx", b"this is not a spreadsheet").await, "无法读取该文件").await;
    // A zip bomb: 60 MiB of zeros in a few dozen KB.
    let mut bomb = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut bomb);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..60 {
            zip.write_all(&zeros).unwrap();
        }
        zip.finish().unwrap();
    }
    let bomb = bomb.into_inner();
    assert!(bomb.len() < 1 << 20, "the bomb is small: {}", bomb.len());
    refused(app.upload(&cookie, ly, "roster.xlsx", &bomb).await, "解压后过大").await;
    // Over the size limit.
    let mut big = HEADER.as_bytes().to_vec();
    big.resize(6 * 1024 * 1024, b' ');
    refused(app.upload(&cookie, ly, "roster.csv", &big).await, "超过5 MB").await;
    // Too many rows.
    let mut many = format!("{HEADER}\n");
    for i in 0..20_001 {
        many.push_str(&format!("张三,{},{},,\n", id(i), phone(i)));
    }
    refused(app.upload(&cookie, ly, "roster.csv", many.as_bytes()).await, "超过20000行").await;
    // Wrong headers.
    let wrong = format!("name,id,phone\n张三,{},{}\n", id(1), phone(1));
    refused(app.upload(&cookie, ly, "roster.csv", wrong.as_bytes()).await, "表头与模板不符").await;
    // A spreadsheet whose first sheet is not the template.
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet().write_string(0, 0, "随便").unwrap();
    refused(app.upload(&cookie, ly, "roster.xlsx", &book.save_to_buffer().unwrap()).await, "表头与模板不符").await;
    // Binary junk called .csv.
    refused(app.upload(&cookie, ly, "roster.csv", &[0u8, 159, 146, 150, 0, 1]).await, "无法读取该文件").await;
    nothing_written(&app).await;
});

on_both_databases!(an_import_reports_exactly_its_bad_rows_and_imports_once, |app: TestApp| async move {
    app.admin("340300-HY01-LY", "manager,reviewer", "ly_mgr").await;
    let cookie = app.login("ly_mgr").await;
    let ly = app.union_id("340300-HY01-LY").await;
    let (csv, bad_rows) = csv_with_three_bad(0, 5);
    let (batch, page) = app.upload_ok(&cookie, ly, "roster.csv", csv.as_bytes()).await;
    let shown: Vec<i64> = page.split("data-row=\"").skip(1).map(|s| s.split('"').next().unwrap().parse().unwrap()).collect();
    assert_eq!(shown, bad_rows, "exactly the three bad rows, by their row in the file");
    assert!(page.contains("校验位") && page.contains("11位") && page.contains("身份证号重复"), "each with its reason in Chinese");
    assert!(page.contains("共 8 行：可导入 5 行，有问题 3 行"));
    assert!(!page.contains(&id(0)), "no ID number in clear on the report");
    // Nothing is imported before the confirmation, and no clear ID number is at rest.
    assert_eq!(app.count("SELECT COUNT(*) FROM members").await, 0);
    let sealed: String = sqlx::query_scalar("SELECT rows_sealed FROM import_batches").fetch_one(&app.state.db.pool).await.unwrap();
    assert!(!sealed.contains(&id(0)) && !sealed.contains(&phone(0)));
    // The report as .xlsx.
    let report = app.get_as(&cookie, &format!("/admin/import/{batch}/report.xlsx")).await;
    assert_eq!(report.status(), 200);
    let rows = xlsx_rows(&report.bytes().await.unwrap());
    assert_eq!(rows.len(), 9, "a header and every row");
    let bad_in_report: Vec<i64> = rows[1..]
        .iter()
        .filter(|r| r[2] != "可导入")
        .map(|r| match &r[0] {
            calamine::Data::Float(f) => *f as i64,
            other => panic!("row number {other:?}"),
        })
        .collect();
    assert_eq!(bad_in_report, bad_rows);
    // Confirm: the five valid rows, in one go.
    let res = app.post_as(&cookie, &format!("/admin/import/{batch}/confirm"), &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.count("SELECT COUNT(*) FROM members").await, 5);
    assert_eq!(app.count("SELECT COUNT(*) FROM applications WHERE source = 'import' AND status = 'approved'").await, 5);
    assert_eq!(app.count(&format!("SELECT members FROM org_tallies WHERE org_id = {ly}")).await, 5, "the command centre's totals move");
    let first_no: String =
        sqlx::query_scalar("SELECT member_no FROM members ORDER BY id LIMIT 1").fetch_one(&app.state.db.pool).await.unwrap();
    assert_eq!(first_no, "340300-HY01-LY-000001");
    let page = app.get_as(&cookie, &format!("/admin/import/{batch}")).await.text().await.unwrap();
    assert!(page.contains("已导入 5 人"));
    // The same confirmation again, and the same file again: nothing changes.
    app.post_as(&cookie, &format!("/admin/import/{batch}/confirm"), &[]).await;
    let (again, page) = app.upload_ok(&cookie, ly, "roster.csv", csv.as_bytes()).await;
    assert!(page.contains("可导入 0 行") && page.contains("已是会员"), "everyone is a member already");
    app.post_as(&cookie, &format!("/admin/import/{again}/confirm"), &[]).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM members").await, 5);
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, 5);
    assert_eq!(app.count(&format!("SELECT members FROM org_tallies WHERE org_id = {ly}")).await, 5);
    // Audited: two validations, two confirmations.
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'import' AND outcome = 'ok'").await, 4);
    // Another admin cannot see or confirm the batch.
    app.admin("340300-HY01-LY", "manager", "ly_other").await;
    let other = app.login("ly_other").await;
    assert_eq!(app.get_as(&other, &format!("/admin/import/{batch}")).await.status(), 404);
    assert_eq!(app.post_as(&other, &format!("/admin/import/{again}/confirm"), &[]).await.status(), 404);
});

on_both_databases!(two_confirmations_at_once_import_once, |app: TestApp| async move {
    app.admin("340300-HY01-LY", "manager,reviewer", "ly_mgr").await;
    let cookie = app.login("ly_mgr").await;
    let ly = app.union_id("340300-HY01-LY").await;
    let (csv, _) = csv_with_three_bad(100, 6);
    let (batch, _) = app.upload_ok(&cookie, ly, "roster.csv", csv.as_bytes()).await;
    let path = format!("/admin/import/{batch}/confirm");
    let (a, b) = tokio::join!(app.post_as(&cookie, &path, &[]), app.post_as(&cookie, &path, &[]));
    assert_eq!((a.status(), b.status()), (reqwest::StatusCode::SEE_OTHER, reqwest::StatusCode::SEE_OTHER));
    assert_eq!(app.count("SELECT COUNT(*) FROM members").await, 6);
    assert_eq!(app.count(&format!("SELECT members FROM org_tallies WHERE org_id = {ly}")).await, 6);
    // Two uploads of the same people confirmed at once: each person once.
    let (csv, _) = csv_with_three_bad(200, 4);
    let (b1, _) = app.upload_ok(&cookie, ly, "a.csv", csv.as_bytes()).await;
    let (b2, _) = app.upload_ok(&cookie, ly, "b.csv", csv.as_bytes()).await;
    let (p1, p2) = (format!("/admin/import/{b1}/confirm"), format!("/admin/import/{b2}/confirm"));
    tokio::join!(app.post_as(&cookie, &p1, &[]), app.post_as(&cookie, &p2, &[]));
    assert_eq!(app.count("SELECT COUNT(*) FROM members").await, 10);
});

/// Imports members: five at the enterprise union (by its manager), two at a street union of
/// another district (by the city admin). Returns (city cookie, LY manager cookie).
async fn two_rosters(app: &TestApp) -> (String, String) {
    app.admin("340300", "city_admin,manager,reviewer", "city").await;
    app.admin("340300-HY01-LY", "manager,reviewer", "ly_mgr").await;
    let city = app.login("city").await;
    let ly_cookie = app.login("ly_mgr").await;
    let ly = app.union_id("340300-HY01-LY").await;
    let tq = app.union_id("340303-TQ").await;
    let (csv, _) = csv_with_three_bad(0, 5);
    let (b, _) = app.upload_ok(&ly_cookie, ly, "ly.csv", csv.as_bytes()).await;
    app.post_as(&ly_cookie, &format!("/admin/import/{b}/confirm"), &[]).await;
    let other = format!("{HEADER}\n外区甲,{},{},,\n外区乙,{},{},,\n", id(50), phone(50), id(51), phone(51));
    let (b, _) = app.upload_ok(&city, tq, "tq.csv", other.as_bytes()).await;
    app.post_as(&city, &format!("/admin/import/{b}/confirm"), &[]).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM members").await, 7);
    (city, ly_cookie)
}

on_both_databases!(exports_are_masked_text_and_scoped, |app: TestApp| async move {
    let (city, ly) = two_rosters(&app).await;
    // The members list: masked, scoped, with a transfer link per member.
    let page = app.get_as(&ly, "/admin/members").await.text().await.unwrap();
    assert_eq!(page.matches("class=\"member\"").count(), 5);
    assert!(page.contains("/transfer\"") && page.contains("转会"));
    assert!(!page.contains(&id(0)) && !page.contains(&phone(0)) && page.contains("139****0000"));
    assert!(!page.contains("外区"), "nothing from outside the subtree");
    // xlsx: the header, masks, every cell a string.
    let (_, bytes) = app.export_file(&ly, &[("kind", "members"), ("format", "xlsx")]).await;
    assert!(bytes.starts_with(b"PK"));
    let rows = xlsx_rows(&bytes);
    assert_eq!(rows.len(), 6, "a header and the five members of the union, nobody else");
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(header, ["会员编号", "姓名", "身份证号", "手机号", "所属工会", "周转池", "入会日期"]);
    for r in &rows[1..] {
        assert!(r.iter().all(|c| matches!(c, calamine::Data::String(_))), "every cell is text: {r:?}");
        let (name, idm, ph) = (r[1].to_string(), r[2].to_string(), r[3].to_string());
        assert!(name.ends_with('*') && name.chars().count() == 3, "{name}");
        assert!(idm.starts_with("34") && idm[2..16].chars().all(|c| c == '*'), "{idm}");
        assert!(ph.starts_with("139****"), "{ph}");
        assert_eq!(r[6].to_string(), "2024-05-01");
        assert_eq!(r[4].to_string(), "蚌埠市力源港务集团公司工会");
    }
    // csv: the same.
    let (_, bytes) = app.export_file(&ly, &[("kind", "members"), ("format", "csv")]).await;
    let rows = csv_rows(&bytes);
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[1][2].len(), 18);
    assert!(rows[1..].iter().all(|r| r[3].contains("****")));
    // The city sees both unions; a filter by union narrows it.
    let (_, bytes) = app.export_file(&city, &[("kind", "members"), ("format", "csv")]).await;
    assert_eq!(csv_rows(&bytes).len(), 8);
    let tq = app.union_id("340303-TQ").await.to_string();
    let (_, bytes) = app.export_file(&city, &[("kind", "members"), ("format", "csv"), ("org", &tq)]).await;
    assert_eq!(csv_rows(&bytes).len(), 3);
    // A search by a whole phone.
    let (_, bytes) = app.export_file(&city, &[("kind", "members"), ("format", "csv"), ("q", &phone(50))]).await;
    assert_eq!(csv_rows(&bytes).len(), 2);
    // Applications from the queue's filters (all statuses): the subtree's only.
    let (_, bytes) = app.export_file(&ly, &[("kind", "applications"), ("format", "xlsx"), ("status", "all")]).await;
    assert_eq!(xlsx_rows(&bytes).len(), 6);
    // A union outside the subtree: not found, audited, no job.
    let jobs = app.count("SELECT COUNT(*) FROM export_jobs").await;
    assert_eq!(app.export(&ly, &[("kind", "members"), ("format", "csv"), ("org", &tq)]).await.status(), 404);
    assert_eq!(app.get_as(&ly, &format!("/admin/members?org={tq}")).await.status(), 404);
    assert_eq!(app.count("SELECT COUNT(*) FROM export_jobs").await, jobs);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE outcome = 'not_found'").await, 2);
    // Every export is audited when asked for and when written, with its row count.
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'export' AND ip = 'worker'").await, jobs);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'export' AND detail LIKE 'members xlsx masked rows 5%'").await, 2);
});

on_both_databases!(full_numbers_need_the_role_and_a_reason_and_are_audited, |app: TestApp| async move {
    let (_, ly) = two_rosters(&app).await;
    // A name a spreadsheet would take for a formula.
    sqlx::query("UPDATE applications SET name = '=HYPERLINK(\"http://evil.example\",\"x\")' WHERE phone = $1")
        .bind(phone(0))
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    // A reviewer may not reveal: not found, audited, nothing asked.
    app.admin("340300-HY01-LY", "reviewer", "ly_rev").await;
    let rev = app.login("ly_rev").await;
    let res = app.export(&rev, &[("kind", "members"), ("format", "csv"), ("reveal", "1"), ("reason", "核对")]).await;
    assert_eq!(res.status(), 404);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'reveal' AND outcome = 'forbidden'").await, 1);
    // A manager needs a reason.
    let res = app.export(&ly, &[("kind", "members"), ("format", "csv"), ("reveal", "1"), ("reason", "  ")]).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("须填写理由"));
    assert_eq!(app.count("SELECT COUNT(*) FROM export_jobs").await, 0);
    // With a reason: full numbers, the formula neutralised, audited like a reveal.
    let (_, bytes) = app.export_file(&ly, &[("kind", "members"), ("format", "csv"), ("reveal", "1"), ("reason", "会员证制作")]).await;
    let rows = csv_rows(&bytes);
    let hit = rows.iter().find(|r| r[3] == phone(0)).expect("the full phone");
    assert_eq!(hit[2], id(0), "the full ID number");
    assert_eq!(hit[1], "'=HYPERLINK(\"http://evil.example\",\"x\")", "a formula becomes text");
    let (_, bytes) = app.export_file(&ly, &[("kind", "members"), ("format", "xlsx"), ("reveal", "1"), ("reason", "会员证制作")]).await;
    let rows = xlsx_rows(&bytes);
    let hit = rows.iter().find(|r| r[3].to_string() == phone(0)).expect("the full phone");
    assert_eq!(hit[1], calamine::Data::String("'=HYPERLINK(\"http://evil.example\",\"x\")".into()));
    assert_eq!(hit[2], calamine::Data::String(id(0)), "an ID number stays text");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'reveal' AND outcome = 'ok' AND detail LIKE '会员证制作%'").await,
        2
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'export' AND detail LIKE '%full numbers rows 5'").await, 2);
});

on_both_databases!(only_the_requester_downloads_and_only_within_the_hour, |app: TestApp| async move {
    let (city, ly) = two_rosters(&app).await;
    let res = app.export(&ly, &[("kind", "members"), ("format", "xlsx")]).await;
    let job = res.headers()["location"].to_str().unwrap().to_string();
    let (path, token) = job.split_once("?t=").unwrap();
    // Before the worker: queued, the page refreshes itself, no link.
    let res = app.get_as(&ly, &job).await;
    assert_eq!(res.headers()["refresh"], "2");
    let page = res.text().await.unwrap();
    assert!(page.contains("http-equiv=\"refresh\"") && !page.contains("/download?t="));
    ejia::roster::jobs::tick(&app.state, "test").await.unwrap();
    let download = format!("{path}/download?t={token}");
    // Another admin, even with the link, and the requester with a wrong token: not found.
    assert_eq!(app.get_as(&city, &download).await.status(), 404);
    assert_eq!(app.get_as(&city, &job).await.status(), 404);
    assert_eq!(app.get_as(&ly, &format!("{path}/download?t=AAAAAAAAAAAAAAAAAAAAAA")).await.status(), 404);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE outcome = 'not_found' AND target LIKE 'export:%'").await, 3);
    let res = app.get_as(&ly, &download).await;
    assert_eq!(res.status(), 200);
    assert!(res.bytes().await.unwrap().starts_with(b"PK"));
    // An hour later: refused, and the sweep deletes the file.
    app.clock.advance(3601);
    let ly = app.login("ly_mgr").await; // the session itself timed out meanwhile
    assert_eq!(app.get_as(&ly, &download).await.status(), 404);
    let dir = app.state.config.data_dir.join("exports");
    let files = || std::fs::read_dir(&dir).unwrap().filter(|e| e.as_ref().unwrap().path().is_file()).count();
    assert_eq!(files(), 1);
    ejia::roster::jobs::sweep(&app.state).await.unwrap();
    assert_eq!(files(), 0, "the file is gone");
    assert!(app.get_as(&ly, &job).await.text().await.unwrap().contains("已过期"));
});
