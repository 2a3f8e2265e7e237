//! `ejia bench-export`: one export of every member to .xlsx and to .csv, through the real
//! worker (keyset pages from the database, the writer thread, the constant-memory spreadsheet),
//! on a fresh database filled with N synthetic members (bulk inserts, marked `source = 'bench'`,
//! the database dropped afterwards). Prints rows, seconds, the file's size and the peak memory
//! above idle (the kernel's high-water mark, reset before each export, and a sampler beside it).
use crate::calendar::OfficeHours;
use crate::roster::repo::{self as roster_repo, Scope};
use crate::roster::{ExportFormat, ExportKind};
use crate::server::clock::SystemClock;
use crate::server::config::{Config, Limits};
use crate::server::crypto::{random_token, Keyring};
use crate::server::state::AppState;
use anyhow::Context;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Args {
    /// sqlite or postgres.
    pub db: String,
    pub n: usize,
    pub pg_url: String,
    /// xlsx, csv, or both (one after the other in this process: the second's "above idle" then
    /// starts from what the allocator kept of the first).
    pub format: String,
}

/// Resident memory now and its high-water mark, in KiB (Linux; zeros elsewhere).
fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Resets the high-water mark to the current resident size (Linux ≥ 4.0).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Fills the database with `n` members spread over the unions that are not federations: the
/// rows are made by the database itself (a recursive series), 100,000 a transaction. Their ID
/// numbers are not real sealed values (the bench exports masked), their names and phones are.
async fn fill(state: &AppState, n: usize) -> anyhow::Result<()> {
    let have: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members").fetch_one(&state.db.pool).await?;
    let n = n.saturating_sub(have as usize) as i64;
    if n == 0 {
        return Ok(());
    }
    let root: i64 = sqlx::query_scalar("SELECT id FROM orgs WHERE parent_id IS NULL").fetch_one(&state.db.pool).await?;
    let unions: Vec<i64> = roster_repo::imports::import_targets(&state.db.pool, root).await?.into_iter().map(|o| o.id).collect();
    anyhow::ensure!(!unions.is_empty(), "no union to put members in");
    let org_case = format!(
        "CASE n % {} {} END",
        unions.len(),
        unions.iter().enumerate().map(|(i, id)| format!("WHEN {i} THEN {id}")).collect::<Vec<_>>().join(" ")
    );
    let now = state.now();
    let started = Instant::now();
    const CHUNK: i64 = 100_000;
    let mut from = have + 1;
    let last = have + n;
    while from <= last {
        let to = (from + CHUNK - 1).min(last);
        let sql = format!(
            "WITH RECURSIVE seq(n) AS (SELECT CAST({from} AS BIGINT) UNION ALL SELECT n + 1 FROM seq WHERE n < {to})
             INSERT INTO applications (submission_key, name, id_cipher, id_key_id, id_blind, id_masked, birth_date, sex, phone, org_id,
                 in_pool, status, open_key, consent_version, consent_at, consent_ip, submitted_at, due_at, due_provisional, clock_from,
                 decided_at, source)
             SELECT 'bench-' || CAST(n AS TEXT), SUBSTR('张王李赵刘陈杨黄周吴徐孙', 1 + CAST(n % 12 AS INTEGER), 1) || SUBSTR('伟芳强敏磊静', 1 + CAST(n % 6 AS INTEGER), 1),
                 $1, 1, 'bench-' || CAST(n AS TEXT), '34**************' || CAST(10 + n % 90 AS TEXT), '1985-01-01', 'M',
                 '1' || CAST(3 + n % 7 AS TEXT) || CAST(100000000 + n AS TEXT), {org_case},
                 0, 'approved', 'bench-' || CAST(n AS TEXT), 'bench', $2 - (n % 1000) * 86400, 'bench', $2, $2, 0, $2, $2, 'bench'
             FROM seq"
        );
        let mut tx = state.db.begin_write().await?;
        sqlx::query(&sql).bind(vec![0u8; 40]).bind(now).execute(&mut *tx).await?;
        tx.commit().await?;
        eprintln!("  {} / {n} applications ({:.0} s)", to - have, started.elapsed().as_secs_f64());
        from = to + 1;
    }
    let mut tx = state.db.begin_write().await?;
    sqlx::query(
        "INSERT INTO members (application_id, org_id, member_no, in_pool, joined_at)
         SELECT a.id, a.org_id, o.code || '-B' || CAST(a.id AS TEXT), 0, a.consent_at FROM applications a JOIN orgs o ON o.id = a.org_id
         WHERE a.source = 'bench' AND NOT EXISTS (SELECT 1 FROM members m WHERE m.application_id = a.id)",
    )
    .execute(&mut *tx)
    .await?;
    crate::org::tally::rebuild(&mut tx).await?;
    tx.commit().await?;
    sqlx::query("ANALYZE").execute(&state.db.pool).await?;
    eprintln!("  {n} members made in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Samples the resident size every 20 ms while an export runs; returns the highest, in KiB.
fn sampler(stop: Arc<AtomicBool>, peak: Arc<AtomicU64>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            peak.fetch_max(rss_kib().0, Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(20));
        }
    })
}

async fn one_export(state: &AppState, admin_id: i64, root: i64, format: ExportFormat) -> anyhow::Result<()> {
    let scope = Scope::default();
    let total = roster_repo::count(&state.db.pool, ExportKind::Members, root, &scope).await?;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let id = roster_repo::jobs::insert_job(
        &mut tx,
        roster_repo::jobs::NewJob {
            admin_id,
            org_id: root,
            kind: ExportKind::Members,
            scope: &scope,
            format,
            reveal: false,
            reason: None,
            rows_total: total,
            token_hash: "bench",
            now,
            expires_at: now + 3600,
        },
    )
    .await?;
    tx.commit().await?;
    // Settle, then measure from here.
    tokio::time::sleep(Duration::from_millis(300)).await;
    reset_peak();
    let (idle, _) = rss_kib();
    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(idle));
    let watcher = sampler(stop.clone(), peak.clone());
    let started = Instant::now();
    let ran = crate::roster::jobs::tick(state, "bench").await?;
    let secs = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let _ = watcher.join();
    let (_, hwm) = rss_kib();
    let job = roster_repo::jobs::job(&state.db.pool, id).await?.context("the job")?;
    anyhow::ensure!(ran == 1 && job.status == crate::roster::JobStatus::Done, "the export did not finish: {:?}", job.status);
    let file = crate::roster::jobs::export_dir(state).join(job.file_name.clone().unwrap_or_default());
    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    let above = hwm.max(peak.load(Ordering::Relaxed)).saturating_sub(idle);
    println!(
        "{:<5} {:>9} rows  {:>7.1} s  {:>9.0} rows/s  file {:>7.1} MiB  peak {:>6.1} MiB above idle ({:.1} MiB idle)",
        format.as_str(),
        job.rows_done,
        secs,
        job.rows_done as f64 / secs,
        size as f64 / 1_048_576.0,
        above as f64 / 1024.0,
        idle as f64 / 1024.0
    );
    let _ = std::fs::remove_file(file);
    Ok(())
}

pub async fn run(leptos_options: leptos::config::LeptosOptions, args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(args.n >= 1 && args.n <= 2_000_000, "--n must be between 1 and 2000000");
    let tmp = std::env::temp_dir().join(format!("ejia-bench-export-{}", random_token()));
    std::fs::create_dir_all(&tmp)?;
    let (database_url, pg_db) = match args.db.as_str() {
        "sqlite" => (format!("sqlite://{}/bench.db?mode=rwc", tmp.display()), None),
        "postgres" => {
            let name = format!("ejia_bench_{}", random_token().to_lowercase().replace(['-', '_'], ""));
            let pool = sqlx::PgPool::connect(&args.pg_url).await.context("connecting to PostgreSQL")?;
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await?;
            let base = args.pg_url.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(args.pg_url.clone());
            (format!("{base}/{name}"), Some((pool, name)))
        }
        other => anyhow::bail!("--db must be sqlite or postgres, not {other}"),
    };
    let config = Config {
        production: false,
        database_url,
        public_url: "http://127.0.0.1:0".into(),
        sms_provider: "log".into(),
        sms_log: tmp.join("sms.jsonl"),
        data_key: Some(Keyring::generate_spec(1)),
        data_dir: tmp.clone(),
        trusted_proxy_hops: 0,
        limits: Limits::default(),
        office_hours: OfficeHours::default(),
        seed_demo: true,
        max_connections: 4,
        ops: Default::default(),
    };
    let result = async {
        let state = super::startup::build_state(config, leptos_options, Arc::new(SystemClock), None).await?;
        println!("bench-export: {} members on {}", args.n, args.db);
        fill(&state, args.n).await?;
        let root: i64 = sqlx::query_scalar("SELECT id FROM orgs WHERE parent_id IS NULL").fetch_one(&state.db.pool).await?;
        let hash = crate::admin::auth::hash_password("bench-only-password")?;
        let mut tx = state.db.begin_write().await?;
        let admin_id = crate::admin::repo::insert(
            &mut tx,
            crate::admin::repo::NewAdmin {
                username: "bench_export",
                display_name: "bench",
                org_id: root,
                roles: &[crate::admin::Role::CityAdmin],
                password_hash: &hash,
                phone: None,
                created_by: None,
            },
            state.now(),
        )
        .await?;
        tx.commit().await?;
        let formats: Vec<ExportFormat> = match ExportFormat::parse(&args.format) {
            Some(f) => vec![f],
            None => vec![ExportFormat::Xlsx, ExportFormat::Csv],
        };
        for format in formats {
            one_export(&state, admin_id, root, format).await?;
        }
        state.db.close().await;
        anyhow::Ok(())
    }
    .await;
    let _ = std::fs::remove_dir_all(&tmp);
    if let Some((pool, name)) = pg_db {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&pool).await;
    }
    result
}
