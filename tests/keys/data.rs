//! What the rotation tests act on: something sealed in every place that seals (seeded through
//! the app as users would), and the checks that read it back — every ID opening, nothing left
//! under another key, the columns that hold sealed values.
use crate::common::*;
use ejia::server::crypto::alg::Alg;
pub const PHONE_M: &str = "13900003001";
pub const PHONE_2: &str = "13900003002";
pub const PHONE_3: &str = "13900003003";
pub const PHONE_4: &str = "13900003004";

/// A valid ID number, one per `i`.
pub fn id(i: usize) -> String {
    let body = format!("3403021986{:02}{:02}{:03}", 1 + i % 12, 1 + (i / 12) % 28, 100 + i / 336);
    let check = ejia::domain::id_number::check_char(body.as_bytes()) as char;
    format!("{body}{check}")
}

/// The suite rotation moves to: the other one than the harness's.
pub fn other_alg() -> Alg {
    match test_key_alg() {
        Alg::XChaCha => Alg::Sm4,
        Alg::Sm4 => Alg::XChaCha,
    }
}

pub fn old_key(app: &TestApp) -> String {
    app.state.config.data_key.clone().unwrap()
}

/// A multipart body as a browser sends it: text fields and one PNG file.
pub fn multipart(fields: &[(&str, &str)], file: (&str, &[u8])) -> (String, Vec<u8>) {
    let boundary = "----ejiaKeysBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"f.png\"\r\nContent-Type: image/png\r\n\r\n",
            file.0
        )
        .as_bytes(),
    );
    body.extend_from_slice(file.1);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A tiny real PNG (1×1), with a tail of its own so every run stores a new file.
pub fn png(tail: &str) -> Vec<u8> {
    let mut p = vec![
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
        0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63,
        0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60,
        0x82,
    ];
    p.extend_from_slice(tail.as_bytes());
    p
}

/// A member's medical-aid request with a photo: its id.
pub async fn hall_request(app: &TestApp, phone: &str) -> i64 {
    let me = app.member_session(phone).await;
    let page = app.get_as(&me, "/hall/medical_aid").await.text().await.unwrap();
    let at = page.find("name=\"submission\" value=\"").expect("a form key") + "name=\"submission\" value=\"".len();
    let key = page[at..].split('"').next().unwrap().to_string();
    let fields = [
        ("submission", key.as_str()),
        ("f_patient", "本人"),
        ("f_hospital", "蚌埠医学院第一附属医院"),
        ("f_diagnosis", "腰椎间盘突出"),
        ("f_admitted", "2026-11-20"),
        ("f_cost", "8,650.5"),
    ];
    let (ct, body) = multipart(&fields, ("file_bills", &png(phone)));
    let res = app.post_body_as(&me, "/hall/medical_aid", ct, body).await;
    assert_eq!(res.status(), 303, "the request is made");
    app.count("SELECT MAX(id) FROM hall_requests").await
}

/// An import batch of two people, validated and waiting for its confirmation: (id, cookie).
pub async fn import_batch(app: &TestApp) -> (i64, String) {
    app.admin("340300-HY01-LY", "manager,reviewer", "ly_keys").await;
    let cookie = app.login("ly_keys").await;
    let ly = app.union_id("340300-HY01-LY").await;
    let csv = format!(
        "姓名,身份证号,手机号,入会日期(可选),车牌号(可选)\r\n会员甲,{},13900003101,,\r\n会员乙,{},13900003102,,\r\n",
        id(101),
        id(102)
    );
    let boundary = "----ejiaKeysImport";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"org\"\r\n\r\n{ly}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    let res = app.post_body_as(&cookie, "/admin/import", format!("multipart/form-data; boundary={boundary}"), body.into_bytes()).await;
    assert_eq!(res.status(), 303, "the roster is validated");
    let batch: i64 = res.headers()["location"].to_str().unwrap().rsplit('/').next().unwrap().parse().unwrap();
    (batch, cookie)
}

/// What the seed made.
pub struct Seeded {
    pub hall: i64,
    pub batch: i64,
    pub ly_cookie: String,
    /// Application ids with the ID number each holds.
    pub people: Vec<(i64, String)>,
}

/// Something sealed in every place that seals: a member (application, audit rows, messages),
/// a rejected and a pending application, a service request with answers and a photo, an
/// import batch waiting, a member who left (an erased application) and a message not yet sent.
pub async fn seed(app: &TestApp) -> Seeded {
    let m = app.approved_member("340302-DF", &id(1), PHONE_M).await;
    let m_app: i64 =
        sqlx::query_scalar("SELECT application_id FROM members WHERE id = $1").bind(m).fetch_one(&app.state.db.pool).await.unwrap();
    let hall = hall_request(app, PHONE_M).await;
    app.clock.advance(61);
    let rejected = app.application_at("340302-DF", &id(2), PHONE_2).await;
    sqlx::query("UPDATE applications SET status = 'rejected', open_key = NULL WHERE id = $1")
        .bind(rejected)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let pending = app.application_at("340302-DF", &id(3), PHONE_3).await;
    // A member who leaves: their application is erased (nothing sealed is left in it).
    app.approved_member("340302-DF", &id(4), PHONE_4).await;
    let cookie = app.member_session(PHONE_4).await;
    assert_eq!(app.post_as(&cookie, "/me/leave", &[("confirm", "退出")]).await.status(), 303);
    let (batch, ly_cookie) = import_batch(app).await;
    // A code asked for and not used: its message waits in the outbox with sealed parameters.
    app.clock.advance(61);
    assert_eq!(app.post_form("/join", &[("phone", "13900003005"), ("intent", "send_code")]).await.status(), 200);
    // Held back (as after a provider's refusal), so it is still sealed when rotation comes.
    sqlx::query("UPDATE outbox SET next_attempt_at = $1 WHERE to_phone = '13900003005'")
        .bind(app.clock.now_for_test() + 30 * 86_400)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    Seeded { hall, batch, ly_cookie, people: vec![(m_app, id(1)), (rejected, id(2)), (pending, id(3))] }
}

/// Every stored value that still names a key other than `active`, wherever it is: sealed text
/// in any text column, key-id columns, stored files. Binary columns must be known ones.
pub async fn left_under_other_keys(app: &TestApp, active: i64) -> Vec<String> {
    let pool = &app.state.db.pool;
    let mut found = Vec::new();
    for (t, c, ty) in app.columns().await {
        if ty.contains("blob") || ty.contains("bytea") {
            assert_eq!((t.as_str(), c.as_str()), ("applications", "id_cipher"), "a binary column rotation does not know: {t}.{c}");
            continue;
        }
        if ty.contains("text") || ty.contains("char") {
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM \"{t}\" WHERE \"{c}\" LIKE 'v1.%' AND \"{c}\" NOT LIKE $1"))
                .bind(format!("v1.{active}.%"))
                .fetch_one(pool)
                .await
                .unwrap();
            if n > 0 {
                found.push(format!("{n} sealed values in {t}.{c}"));
            }
        }
        // Columns that say which key made a value (the audit chain's are history, kept).
        let history = matches!((t.as_str(), c.as_str()), ("audit_log", "key_id") | ("audit_head", "key_id") | ("data_keys", "key_id"));
        if (c.ends_with("key_id") || c == "id_blind_key") && !history && !(ty.contains("text") || ty.contains("char")) {
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM \"{t}\" WHERE \"{c}\" IS NULL OR \"{c}\" <> $1"))
                .bind(active)
                .fetch_one(pool)
                .await
                .unwrap();
            if n > 0 {
                found.push(format!("{n} rows of {t}.{c} under another key"));
            }
        }
    }
    for (key, n) in ejia::hall::files::counts(&app.state).await {
        if key != active {
            found.push(format!("{n} files under key {key}"));
        }
    }
    found
}

/// Every application's ID number opens for its own row — and not for another's.
pub async fn every_id_opens(app: &TestApp, people: &[(i64, String)]) {
    let rows: Vec<(i64, String, i64, Vec<u8>)> =
        sqlx::query_as("SELECT id, submission_key, id_key_id, id_cipher FROM applications WHERE length(id_cipher) > 0 ORDER BY id")
            .fetch_all(&app.state.db.pool)
            .await
            .unwrap();
    let keys = &app.state.keys;
    for (id, key, kid, cipher) in &rows {
        let plain = keys.open_id(*kid, cipher, &format!("application:{key}")).unwrap_or_else(|e| panic!("application {id}: {e}"));
        if let Some((_, expected)) = people.iter().find(|(p, _)| p == id) {
            assert_eq!(&plain, expected);
        }
    }
    // Hostile: one row's sealed ID presented as another row's.
    let (a, b) = (&rows[0], &rows[1]);
    assert!(keys.open_id(a.2, &a.3, &format!("application:{}", b.1)).is_err(), "a value sealed for one row opens for another");
}

pub async fn apply_page(app: &TestApp, id_number: &str, phone: &str) -> (u16, String) {
    let union = app.union_id("340302-DF").await.to_string();
    let res = app.apply(id_number, phone, &union).await;
    (res.status().as_u16(), res.text().await.unwrap_or_default())
}
