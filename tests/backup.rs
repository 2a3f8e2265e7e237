//! `ejia backup` and `ejia restore` through the binary, on SQLite and PostgreSQL: a backup
//! taken while 20 tasks keep joining holds every application acknowledged before it began and
//! none that never existed; it restores into a fresh empty database that the same key opens,
//! with its attachments. Refused: overwriting a backup, restoring into a database with rows,
//! and a cut-short or damaged backup. Prints what it measured.
mod common;

use common::{TempDir, TestApp};
use ejia::server::config::Limits;
use ejia::server::db::Backend;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const JOINERS: usize = 20;

fn unlimited() -> Limits {
    let n = 1_000_000;
    Limits { phone_per_minute: n, phone_per_hour: n, phone_per_day: n, ip_per_hour: n, ip_hard_per_hour: n }
}

/// The i-th of distinct valid ID numbers (GB 11643 check digit).
fn id_number(i: usize) -> String {
    let birth = ejia::domain::Ymd::new(1975, 1, 1).unwrap().add_days((i % 7000) as i64);
    let body = format!("340302{:04}{:02}{:02}{:03}", birth.year(), birth.month(), birth.day(), 100 + i / 7000);
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.chars().zip(weights).map(|(c, w)| c.to_digit(10).unwrap() * w).sum();
    format!("{body}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

fn phone(i: usize) -> String {
    format!("139{i:08}")
}

/// Where a command's database and data folder are.
#[derive(Clone)]
struct Target {
    url: String,
    data_dir: PathBuf,
    key: String,
}

/// Runs the `ejia` binary on a target, off the async threads.
async fn ejia(args: &[&str], target: &Target) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ejia"));
    c.args(args)
        .env("DATABASE_URL", &target.url)
        .env("EJIA_DATA_DIR", &target.data_dir)
        .env("EJIA_DATA_KEY", &target.key)
        .env("RUST_LOG", "warn")
        .env_remove("EJIA_ENV")
        .env_remove("EJIA_PUBLIC_URL");
    tokio::task::spawn_blocking(move || c.output().expect("the ejia binary runs")).await.unwrap()
}

fn said(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// A fresh, empty database and data folder under `dir`, with `key`.
async fn fresh_target(backend: Backend, dir: &Path, key: &str) -> Target {
    let data_dir = dir.join(format!("data-{}", ejia::server::crypto::random_token()));
    std::fs::create_dir_all(&data_dir).unwrap();
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}/restored.db?mode=rwc", data_dir.display()),
        Backend::Postgres => common::fresh_database(Backend::Postgres, &data_dir).await,
    };
    Target { url, data_dir, key: key.to_string() }
}

/// The tables of a database that hold rows (the same question restore asks).
async fn tables_with_rows(url: &str) -> Vec<(String, i64)> {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let backend = if url.starts_with("sqlite:") { Backend::Sqlite } else { Backend::Postgres };
    if backend == Backend::Sqlite && !ejia::server::db::sqlite_path(url).unwrap().exists() {
        return Vec::new();
    }
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    ejia::server::db::tables_with_rows(&mut conn, backend).await.unwrap()
}

/// A whole join without JavaScript, as `TestApp::apply` makes it, but waiting for the code:
/// with 20 joiners, another one's delivery run may be the one sending it.
async fn join(app: &TestApp, i: usize, union: &str) -> reqwest::Response {
    let phone = phone(i);
    let res = app.post_form("/join", &[("phone", &phone), ("intent", "send_code")]).await;
    assert_eq!(res.status(), 200, "sending a code to {phone}");
    let waited = Instant::now();
    let code = loop {
        app.deliver().await;
        if let Some(m) = app.sms.messages(&phone, ejia::server::sms::Template::JoinCode).pop() {
            break m.params["code"].as_str().unwrap().to_string();
        }
        assert!(waited.elapsed() < Duration::from_secs(30), "no code for {phone}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let id = id_number(i);
    let submission = ejia::server::crypto::random_token();
    let fields = [
        ("name", "张三"),
        ("id_number", id.as_str()),
        ("phone", phone.as_str()),
        ("code", code.as_str()),
        ("workplace", union),
        ("consent", "yes"),
        ("submission", submission.as_str()),
        ("intent", "submit"),
    ];
    app.post_form("/join", &fields).await
}

/// One acknowledged join: its number, when its form was sent and when the answer came.
struct Join {
    i: usize,
    sent: Instant,
    acked: Instant,
}

async fn round_trip_under_load(backend: Backend) {
    let app = Arc::new(common::spawn_app_with(backend, unlimited()).await);
    let key = app.state.config.data_key.clone().unwrap();
    let work = TempDir(std::env::temp_dir().join(format!("ejia-backup-test-{}", ejia::server::crypto::random_token())));
    std::fs::create_dir_all(&work.0).unwrap();
    let live = Target { url: app.state.config.database_url.clone(), data_dir: app.state.config.data_dir.clone(), key: key.clone() };

    // The hall's uploads: sealed files under EJIA_DATA_DIR/files.
    let mut attachments = Vec::new();
    for n in 0..3u8 {
        let mut bytes = b"%PDF-1.7\n".to_vec();
        bytes.extend(std::iter::repeat_n(n, 20_000 + n as usize));
        let sha = ejia::hall::files::store(&app.state, &bytes).await.unwrap();
        attachments.push((sha, bytes));
    }

    // The load: JOINERS tasks joining until told to stop.
    let union = app.union_id("340300-HY01-LY").await.to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicUsize::new(0));
    let acked_count = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..JOINERS {
        let (app, union, stop, next, acked_count) = (app.clone(), union.clone(), stop.clone(), next.clone(), acked_count.clone());
        tasks.push(tokio::spawn(async move {
            let mut joins = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let sent = Instant::now();
                let res = join(&app, i, &union).await;
                assert_eq!(res.status(), 303, "join {i} is acknowledged");
                joins.push(Join { i, sent, acked: Instant::now() });
                acked_count.fetch_add(1, Ordering::Relaxed);
            }
            joins
        }));
    }
    let warm = Instant::now();
    while acked_count.load(Ordering::Relaxed) < 60 && warm.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let file = work.0.join("ejia.backup");
    let file_arg = file.to_str().unwrap().to_string();
    let backup_began = Instant::now();
    let out = ejia(&["backup", &file_arg], &live).await;
    let backup_ended = Instant::now();
    let backup_seconds = (backup_ended - backup_began).as_secs_f64();
    assert!(out.status.success(), "backup: {}", said(&out));
    let backup_said = said(&out);
    assert!(
        backup_said.contains("applications") && backup_said.contains("schema") && backup_said.contains("EJIA_DATA_KEY"),
        "{backup_said}"
    );
    assert!(!backup_said.contains(&key), "the key is never printed");

    // Some load after the backup too, then stop it.
    let after = acked_count.load(Ordering::Relaxed);
    let t = Instant::now();
    while acked_count.load(Ordering::Relaxed) < after + 2 * JOINERS + 5 && t.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let mut joins = Vec::new();
    for task in tasks {
        joins.extend(task.await.unwrap());
    }
    let bytes = std::fs::metadata(&file).unwrap().len();

    // Never over an existing file.
    let again = ejia(&["backup", &file_arg], &live).await;
    assert!(!again.status.success() && said(&again).contains("exists"), "{}", said(&again));
    assert_eq!(std::fs::metadata(&file).unwrap().len(), bytes, "the first backup is untouched");

    // Never into a database with rows: it names what it found.
    let refused = ejia(&["restore", &file_arg], &live).await;
    assert!(!refused.status.success(), "{}", said(&refused));
    assert!(said(&refused).contains("not empty") && said(&refused).contains("applications ("), "{}", said(&refused));

    // The round trip.
    let target = fresh_target(backend, &work.0, &key).await;
    let restore_began = Instant::now();
    let out = ejia(&["restore", &file_arg], &target).await;
    let restore_seconds = restore_began.elapsed().as_secs_f64();
    assert!(out.status.success(), "restore: {}", said(&out));
    let restore_said = said(&out);
    assert!(restore_said.contains("opens the restored data"), "{restore_said}");

    // Opened as the app opens it, on the same key (its start runs the migrations again).
    let (url, data_dir, data_key) = (target.url.clone(), target.data_dir.clone(), key.clone());
    let restored = common::spawn_app_configured(backend, move |c| {
        c.database_url = url;
        c.data_dir = data_dir;
        c.data_key = Some(data_key);
    })
    .await;
    let in_copy: HashMap<String, (i64, String)> =
        sqlx::query_as::<_, (i64, String, String)>("SELECT id, phone, submission_key FROM applications")
            .fetch_all(&restored.state.db.pool)
            .await
            .unwrap()
            .into_iter()
            .map(|(id, phone, key)| (phone, (id, key)))
            .collect();
    let in_live: HashMap<String, (i64, String)> =
        sqlx::query_as::<_, (i64, String, String)>("SELECT id, phone, submission_key FROM applications")
            .fetch_all(&app.state.db.pool)
            .await
            .unwrap()
            .into_iter()
            .map(|(id, phone, key)| (phone, (id, key)))
            .collect();
    let acked_before: Vec<&Join> = joins.iter().filter(|j| j.acked < backup_began).collect();
    let during = joins.iter().filter(|j| j.sent < backup_ended && j.acked > backup_began).count();
    assert!(!acked_before.is_empty() && during > 0, "the backup was taken under load");
    for j in &acked_before {
        assert!(in_copy.contains_key(&phone(j.i)), "join {} was acknowledged before the backup began, and is missing from it", j.i);
    }
    let sent_by_phone: HashMap<String, Instant> = joins.iter().map(|j| (phone(j.i), j.sent)).collect();
    for (phone, row) in &in_copy {
        assert_eq!(in_live.get(phone), Some(row), "application of {phone} in the copy is the live one");
        if let Some(sent) = sent_by_phone.get(phone) {
            assert!(*sent < backup_ended, "application of {phone} was sent after the backup ended");
        }
    }
    let joined: HashSet<String> = joins.iter().map(|j| phone(j.i)).collect();
    let in_copy_from_load = in_copy.keys().filter(|p| joined.contains(*p)).count();
    assert!(in_copy_from_load < joins.len(), "joins acknowledged after the backup are not in it");

    // The same key opens a sealed ID number, and the attachments come back.
    let j = acked_before[acked_before.len() / 2];
    let mut conn = restored.state.db.pool.acquire().await.unwrap();
    let sealed = ejia::review::repo::sealed_id(&mut conn, in_copy[&phone(j.i)].0).await.unwrap();
    drop(conn);
    let opened = restored.state.keys.open_id(sealed.key_id, &sealed.cipher, &format!("application:{}", sealed.submission_key)).unwrap();
    assert_eq!(opened, id_number(j.i));
    for (sha, bytes) in &attachments {
        assert_eq!(ejia::hall::files::load(&restored.state, sha).await.as_deref(), Some(bytes.as_slice()), "attachment {sha}");
    }

    // A cut-short and a damaged backup are refused, and the target stays empty.
    let whole = std::fs::read(&file).unwrap();
    let cut = work.0.join("cut.backup");
    std::fs::write(&cut, &whole[..whole.len() * 2 / 3]).unwrap();
    let mut flipped = whole.clone();
    flipped[512 + 100] ^= 0x40; // inside the database, the first entry
    let bad = work.0.join("flipped.backup");
    std::fs::write(&bad, &flipped).unwrap();
    let garbage = work.0.join("garbage.backup");
    std::fs::write(&garbage, b"not a backup at all").unwrap();
    for broken in [&cut, &bad, &garbage] {
        let empty = fresh_target(backend, &work.0, &key).await;
        let out = ejia(&["restore", broken.to_str().unwrap()], &empty).await;
        assert!(!out.status.success(), "{}: {}", broken.display(), said(&out));
        assert!(said(&out).contains("not a complete ejia backup") && said(&out).contains("Nothing was restored"), "{}", said(&out));
        assert!(tables_with_rows(&empty.url).await.is_empty(), "a refused restore leaves {} empty", empty.url);
    }

    let in_backup = in_copy.len();
    println!(
        "backup round trip on {backend:?} under {JOINERS} joiners: {} joins acknowledged ({} before the backup began, {during} in \
         flight during it), {in_backup} applications in the backup; backup {bytes} bytes in {backup_seconds:.2} s, restore in \
         {restore_seconds:.2} s, {} attachments back",
        joins.len(),
        acked_before.len(),
        attachments.len()
    );
    println!("{backup_said}\n{restore_said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_round_trip_under_load() {
    round_trip_under_load(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_round_trip_under_load() {
    round_trip_under_load(Backend::Postgres).await;
}

/// A database the app was started on, even with no demo data, is not empty (the migrations
/// write rows of their own): restore names what it found. A backup of one kind of database
/// does not restore into the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_wants_a_new_database_of_the_same_kind() {
    let source = common::spawn_app(Backend::Postgres).await;
    let key = source.state.config.data_key.clone().unwrap();
    source.application_at("340300-HY01-LY", common::GOOD_ID, "13800138000").await;
    let work = TempDir(std::env::temp_dir().join(format!("ejia-backup-test-{}", ejia::server::crypto::random_token())));
    std::fs::create_dir_all(&work.0).unwrap();
    let live = Target { url: source.state.config.database_url.clone(), data_dir: source.state.config.data_dir.clone(), key: key.clone() };
    let file = work.0.join("pg.backup");
    let out = ejia(&["backup", file.to_str().unwrap()], &live).await;
    assert!(out.status.success(), "{}", said(&out));

    for backend in [Backend::Postgres, Backend::Sqlite] {
        let target = fresh_target(backend, &work.0, &key).await;
        let db = ejia::server::db::Db::connect(&target.url, 1).await.unwrap();
        db.migrate().await.unwrap();
        db.close().await;
        let out = ejia(&["restore", file.to_str().unwrap()], &target).await;
        let said = said(&out);
        assert!(!out.status.success(), "{said}");
        match backend {
            Backend::Postgres => assert!(said.contains("not empty") && said.contains("schema_migrations ("), "{said}"),
            Backend::Sqlite => assert!(said.contains("a backup of a postgres database"), "{said}"),
        }
    }
}
