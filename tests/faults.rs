//! Faults survived with nothing lost, each printing what it measured:
//! - the only instance killed with -9 during 200 concurrent joins: every application that got
//!   its status page is there after the restart, none is there twice, every receipt SMS goes
//!   out once;
//! - the database away for 30 seconds (PostgreSQL): requests fail with a clear page, nothing is
//!   half-written, and the same process recovers without a restart.
//!
//! The first runs the real `ejia` binary (SQLite file, log SMS provider), as an operator would.
mod common;

use common::process::{free_port, id_number, join, phone, sms_lines, start, wait_ready, Outcome};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

async fn sqlite_pool(dir: &Path) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::AnyPool::connect(&format!("sqlite://{}/ejia.db", dir.display())).await.unwrap()
}

struct Dir(PathBuf);
impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_during_200_concurrent_joins_loses_no_acknowledged_application() {
    let dir = Dir(std::env::temp_dir().join(format!("ejia-kill9-{}", ejia::server::crypto::random_token())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let key = ejia::server::crypto::Keyring::generate_spec(1);
    let port = free_port();
    let mut first = start(&dir.0, port, &key);
    wait_ready(&first.base).await;
    let workplace: i64 = {
        let pool = sqlite_pool(&dir.0).await;
        let id = sqlx::query_scalar("SELECT id FROM orgs WHERE code = '340300-HY01-LY'").fetch_one(&pool).await.unwrap();
        pool.close().await;
        id
    };
    let workplace = workplace.to_string();

    // 200 drivers at once; the process is killed once a third of them are acknowledged.
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(Duration::from_secs(30)).build().unwrap();
    let keys: Vec<String> = (0..200).map(|_| ejia::server::crypto::random_token()).collect();
    let acked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for (n, key) in keys.iter().enumerate() {
        let (http, base, dir, workplace, key, acked) =
            (http.clone(), first.base.clone(), dir.0.clone(), workplace.clone(), key.clone(), acked.clone());
        tasks.push(tokio::spawn(async move {
            let outcome = join(&http, &base, &dir, n, &workplace, &key).await;
            if matches!(outcome, Outcome::Acknowledged(_)) {
                acked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            outcome
        }));
    }
    let started = Instant::now();
    while acked.load(std::sync::atomic::Ordering::SeqCst) < 66 && started.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.child.kill().unwrap(); // SIGKILL
    first.child.wait().unwrap();
    let killed_after = started.elapsed();
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    let acknowledged: HashMap<usize, String> = outcomes
        .iter()
        .enumerate()
        .filter_map(|(n, o)| if let Outcome::Acknowledged(s) = o { Some((n, s.clone())) } else { None })
        .collect();
    assert!(!acknowledged.is_empty() && acknowledged.len() < 200, "the kill fell in the middle: {} acknowledged", acknowledged.len());

    // Restart on the same file.
    let second = start(&dir.0, port, &key);
    let restart = Instant::now();
    wait_ready(&second.base).await;
    let ready_after = restart.elapsed();
    let client = reqwest::Client::new();
    for (n, status_path) in &acknowledged {
        let page = client.get(format!("{}{status_path}", second.base)).send().await.unwrap();
        assert_eq!(page.status(), 200, "driver {n}'s status page answers after the restart");
    }
    let pool = sqlite_pool(&dir.0).await;
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT id_blind, COUNT(*) FROM applications GROUP BY id_blind").fetch_all(&pool).await.unwrap();
    assert!(rows.iter().all(|(_, c)| *c == 1), "no application twice");
    let in_db = rows.len();
    assert!(in_db >= acknowledged.len(), "every acknowledged application is there ({in_db} ≥ {})", acknowledged.len());
    let phones: Vec<String> = sqlx::query_scalar("SELECT phone FROM applications").fetch_all(&pool).await.unwrap();

    // Every application's receipt goes out exactly once — a message caught mid-send is
    // reconciled with the provider's records when its lease runs out, never resent blindly.
    let wait = Instant::now();
    let receipts = loop {
        let lines = sms_lines(&dir.0);
        let receipts: Vec<&(String, String, String, String)> = lines.iter().filter(|l| l.1 == "received").collect();
        let per_phone: HashMap<&str, usize> = receipts.iter().fold(HashMap::new(), |mut m, l| {
            *m.entry(l.0.as_str()).or_insert(0) += 1;
            m
        });
        assert!(per_phone.values().all(|c| *c == 1), "no receipt twice: {per_phone:?}");
        let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status <> 'sent'").fetch_one(&pool).await.unwrap();
        if phones.iter().all(|p| per_phone.contains_key(p.as_str())) && pending == 0 {
            break receipts.len();
        }
        assert!(wait.elapsed() < Duration::from_secs(150), "receipts still missing after {:?} ({pending} not sent)", wait.elapsed());
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let distinct: HashSet<&str> = phones.iter().map(String::as_str).collect();
    assert_eq!(distinct.len(), phones.len());
    println!(
        "kill -9 after {} ms with {} of 200 joins acknowledged: {} applications after the restart (ready in {} ms), \
         none twice; {receipts} receipts, each once, all out {} ms after the restart",
        killed_after.as_millis(),
        acknowledged.len(),
        in_db,
        ready_after.as_millis(),
        wait.elapsed().as_millis() + ready_after.as_millis()
    );
    let mut second = second;
    second.child.kill().unwrap();
    second.child.wait().unwrap();
}

/// Cuts the test's PostgreSQL database away (no new connections, every open one terminated)
/// or lets it back.
async fn database_away(database_url: &str, away: bool) {
    use sqlx::Connection;
    let name = database_url.rsplit('/').next().unwrap();
    let mut admin = sqlx::PgConnection::connect(&common::pg_admin_url()).await.unwrap();
    sqlx::query(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS {}", !away)).execute(&mut admin).await.unwrap();
    if away {
        sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()")
            .bind(name)
            .execute(&mut admin)
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_database_away_for_30_seconds_fails_clearly_writes_nothing_half_and_recovers_without_restart() {
    let app = common::spawn_app(ejia::server::db::Backend::Postgres).await;
    let app = std::sync::Arc::new(app);
    let union = app.union_id("340300-HY01-LY").await.to_string();
    // Twenty drivers hold their codes and press 提交 at the moment the database goes.
    let mut drivers = Vec::new();
    for n in 0..20 {
        let code = app.code_for(&phone(n)).await;
        drivers.push((n, code, ejia::server::crypto::random_token()));
    }
    let submit = |n: usize, code: String, key: String| {
        let (app, union) = (app.clone(), union.clone());
        async move {
            let (id, phone) = (id_number(n), phone(n));
            let fields = [
                ("name", "王师傅"),
                ("id_number", id.as_str()),
                ("phone", phone.as_str()),
                ("code", code.as_str()),
                ("workplace", union.as_str()),
                ("consent", "yes"),
                ("submission", key.as_str()),
                ("intent", "submit"),
            ];
            let res = app.post_form("/join", &fields).await;
            let status = res.status().as_u16();
            (status, res.text().await.unwrap_or_default())
        }
    };
    let in_flight: Vec<_> = drivers.iter().map(|(n, c, k)| tokio::spawn(submit(*n, c.clone(), k.clone()))).collect();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let url = app.state.config.database_url.clone();
    database_away(&url, true).await;
    let cut = Instant::now();
    let mut acked = HashSet::new();
    let mut failed_clearly = 0;
    for (i, t) in in_flight.into_iter().enumerate() {
        let (status, body) = t.await.unwrap();
        match status {
            303 => {
                acked.insert(i);
            }
            500 | 503 => {
                assert!(body.contains("系统繁忙"), "a clear page, not a stack trace: {}", body.chars().take(200).collect::<String>());
                failed_clearly += 1;
            }
            other => panic!("driver {i}: {other}"),
        }
    }

    // While it is away: pages fail with the clear page, /readyz says why, /healthz still answers.
    let mut probes = 0;
    let mut slowest = Duration::ZERO;
    while cut.elapsed() < Duration::from_secs(30) {
        let asked = Instant::now();
        let res = app.get("/j/LY2608").await;
        slowest = slowest.max(asked.elapsed());
        assert_eq!(res.status(), 500);
        assert!(res.text().await.unwrap().contains("系统繁忙"));
        let ready = app.get("/readyz").await;
        assert_eq!(ready.status(), 503);
        assert_eq!(app.get("/healthz").await.status(), 200);
        probes += 1;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }

    // Back: the same process serves again without a restart.
    database_away(&url, false).await;
    let back = Instant::now();
    while app.get("/readyz").await.status() != 200 {
        assert!(back.elapsed() < Duration::from_secs(30), "recovers without a restart");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let recovered = back.elapsed();
    // Nothing half-written: an application exists exactly with its receipt, and only for
    // those acknowledged or resent.
    let apps = app.count("SELECT COUNT(*) FROM applications").await;
    let receipts = app.count("SELECT COUNT(*) FROM outbox WHERE template = 'received'").await;
    assert_eq!(apps, receipts, "every application with its receipt, no receipt without it");
    assert!(apps as usize >= acked.len());
    // The drivers whose press failed press again (same form, same key): each ends with one.
    for (n, code, key) in &drivers {
        if !acked.contains(n) {
            let (status, body) = submit(*n, code.clone(), key.clone()).await;
            assert_eq!(status, 303, "driver {n} again: {}", body.chars().take(300).collect::<String>());
        }
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, 20);
    assert_eq!(app.count("SELECT COUNT(DISTINCT id_blind) FROM applications").await, 20);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE template = 'received'").await, 20);
    println!(
        "database away 30 s: {} of 20 joins in flight acknowledged, {failed_clearly} failed with the clear page; \
         {probes} probes all answered 500 + 503 (slowest {} ms); ready again {} ms after it came back, no restart; \
         after pressing again 20 applications, 20 receipts",
        acked.len(),
        slowest.as_millis(),
        recovered.as_millis()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_during_joins_answers_what_it_took_hands_back_leases_and_restarts_with_nothing_lost() {
    let dir = Dir(std::env::temp_dir().join(format!("ejia-term-{}", ejia::server::crypto::random_token())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let key = ejia::server::crypto::Keyring::generate_spec(1);
    let port = free_port();
    let mut first = start(&dir.0, port, &key);
    wait_ready(&first.base).await;
    let workplace: i64 = {
        let pool = sqlite_pool(&dir.0).await;
        let id = sqlx::query_scalar("SELECT id FROM orgs WHERE code = '340300-HY01-LY'").fetch_one(&pool).await.unwrap();
        pool.close().await;
        id
    };
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(Duration::from_secs(30)).build().unwrap();
    let acked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for n in 300..400 {
        let (http, base, dir, workplace, acked) = (http.clone(), first.base.clone(), dir.0.clone(), workplace.to_string(), acked.clone());
        tasks.push(tokio::spawn(async move {
            let outcome = join(&http, &base, &dir, n, &workplace, &ejia::server::crypto::random_token()).await;
            if matches!(outcome, Outcome::Acknowledged(_)) {
                acked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            outcome
        }));
    }
    while acked.load(std::sync::atomic::Ordering::SeqCst) < 30 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let term = Instant::now();
    let status = Command::new("kill").args(["-TERM", &first.child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = loop {
        if let Some(code) = first.child.try_wait().unwrap() {
            break code;
        }
        assert!(term.elapsed() < Duration::from_secs(30), "the process stops within its grace period");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let stopped_in = term.elapsed();
    assert!(exit.success(), "a stop is a clean exit: {exit:?}");
    let mut acknowledged = 0;
    for t in tasks {
        if let Outcome::Acknowledged(_) = t.await.unwrap() {
            acknowledged += 1;
        }
    }
    // Nothing is left leased by the stopped process; every acknowledged join is there.
    let pool = sqlite_pool(&dir.0).await;
    let leased: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE lease_owner IS NOT NULL").fetch_one(&pool).await.unwrap();
    assert_eq!(leased, 0, "leases handed back at the stop");
    let in_db: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM applications").fetch_one(&pool).await.unwrap();
    assert!(in_db >= acknowledged, "{in_db} ≥ {acknowledged}");
    // The next start sends what is left at once (no lease to wait out).
    let second = start(&dir.0, port, &key);
    let restart = Instant::now();
    wait_ready(&second.base).await;
    loop {
        let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status <> 'sent'").fetch_one(&pool).await.unwrap();
        if pending == 0 {
            break;
        }
        assert!(restart.elapsed() < Duration::from_secs(20), "{pending} messages still wait");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let receipts = sms_lines(&dir.0).iter().filter(|l| l.1 == "received").count();
    assert_eq!(receipts as i64, in_db, "one receipt per application");
    println!(
        "SIGTERM with {acknowledged} of 100 joins acknowledged: exited 0 in {} ms, no lease left, {in_db} applications, \
         every receipt out {} ms after the restart",
        stopped_in.as_millis(),
        restart.elapsed().as_millis()
    );
    let mut second = second;
    second.child.kill().unwrap();
    second.child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_request_ids_and_never_a_token_code_or_number() {
    let dir = Dir(std::env::temp_dir().join(format!("ejia-logs-{}", ejia::server::crypto::random_token())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let key = ejia::server::crypto::Keyring::generate_spec(1);
    let port = free_port();
    // As talkative as an operator would make it while chasing a fault.
    let mut app = common::process::start_with(&dir.0, port, &key, &[("RUST_LOG", "debug,hyper=info,h2=info,reqwest=info")]);
    wait_ready(&app.base).await;
    let pool = sqlite_pool(&dir.0).await;
    let workplace: i64 = sqlx::query_scalar("SELECT id FROM orgs WHERE code = '340300-HY01-LY'").fetch_one(&pool).await.unwrap();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let Outcome::Acknowledged(status_path) =
        join(&http, &app.base, &dir.0, 700, &workplace.to_string(), &ejia::server::crypto::random_token()).await
    else {
        panic!("a join")
    };
    assert_eq!(http.get(format!("{}{status_path}", app.base)).send().await.unwrap().status(), 200);
    // A wrong code and a guessed status link add their own lines.
    let wrong = http
        .post(format!("{}/join", app.base))
        .header("origin", &app.base)
        .form(&[("phone", phone(701).as_str()), ("code", "000000"), ("id_number", id_number(701).as_str()), ("intent", "submit")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 200);
    let guessed = http.get(format!("{}/s/{}", app.base, "A".repeat(22))).send().await.unwrap();
    assert_eq!(guessed.status(), 404);
    let guessed_id = guessed.headers()["x-request-id"].to_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.child.kill().unwrap();
    app.child.wait().unwrap();

    let log = std::fs::read_to_string(dir.0.join(format!("log-{port}.jsonl"))).unwrap();
    let lines: Vec<serde_json::Value> =
        log.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("every line is JSON ({e}): {l}"))).collect();
    assert!(lines.len() > 5, "the run logged: {}", lines.len());
    let with_id = lines.iter().filter(|l| l["span"]["request_id"].is_string()).count();
    assert!(with_id > 0, "lines written while a request is handled carry its id");
    let answered = lines.iter().find(|l| l["span"]["request_id"] == guessed_id.as_str()).expect("the request's own line");
    assert_eq!(answered["span"]["route"], "/s/{token}", "the route by its pattern: {answered}");
    assert!(!log.contains(&"A".repeat(22)), "not the guessed token");
    let token = status_path.trim_start_matches("/s/");
    let code = sms_lines(&dir.0).into_iter().find(|l| l.1 == "join_code").unwrap().2;
    for (what, secret) in [
        ("status token", token),
        ("SMS code", code.as_str()),
        ("ID number", &id_number(700)),
        ("phone", &phone(700)),
        ("phone", &phone(701)),
    ] {
        assert!(!log.contains(secret), "the {what} {secret} is in the log");
    }
    println!("{} JSON log lines at debug, {with_id} with a request id; no token, code, ID number or phone", lines.len());
}
