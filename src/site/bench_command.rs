//! `ejia bench-command`: the command centre at city scale. On a generated city (kept between
//! runs: building a million members takes minutes) it prints the board's server time at the
//! root and at a county, over HTTP and inside the server, and the time from a decision to its
//! new figures arriving in every one of many connected live dashboards.
use super::bench::{bench_config, percentile};
use crate::server::clock::SystemClock;
use crate::server::crypto::Keyring;
use anyhow::Context;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct Args {
    pub db: String,
    pub pg_url: String,
    pub dir: std::path::PathBuf,
    pub members: usize,
    pub applications: usize,
    pub dashboards: usize,
    pub decisions: usize,
}

/// The city's database: reused when it already holds the members asked for.
async fn city_database(args: &Args) -> anyhow::Result<(String, bool)> {
    match args.db.as_str() {
        "sqlite" => {
            let path = args.dir.join(format!("city-{}.db", args.members));
            Ok((format!("sqlite://{}?mode=rwc", path.display()), path.exists()))
        }
        "postgres" => {
            use sqlx::Connection;
            let name = format!("ejia_bench_city_{}", args.members);
            let mut admin = sqlx::PgConnection::connect(&args.pg_url).await.context("connecting to PostgreSQL")?;
            let exists: Option<i32> =
                sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1").bind(&name).fetch_optional(&mut admin).await?;
            if exists.is_none() {
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await?;
            }
            let base = args.pg_url.rsplit_once('/').context("PostgreSQL URL has a database")?.0;
            Ok((format!("{base}/{name}"), exists.is_some()))
        }
        other => anyhow::bail!("--db {other}: use sqlite or postgres"),
    }
}

async fn sign_in(http: &reqwest::Client, base: &str, username: &str) -> anyhow::Result<String> {
    let res = http.post(format!("{base}/admin/login")).form(&[("username", username), ("password", "bench-password")]).send().await?;
    res.headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
        .context("session cookie")
}

async fn ensure_admin(state: &crate::server::state::AppState, username: &str, org_id: i64, role: crate::admin::Role) -> anyhow::Result<()> {
    let known: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM admins WHERE username = $1").bind(username).fetch_one(&state.db.pool).await?;
    if known > 0 {
        return Ok(());
    }
    let hash = crate::admin::auth::hash_password("bench-password")?;
    let mut tx = state.db.begin_write().await?;
    crate::admin::repo::insert(
        &mut tx,
        crate::admin::repo::NewAdmin {
            username,
            display_name: username,
            org_id,
            roles: &[role],
            password_hash: &hash,
            phone: None,
            created_by: None,
        },
        state.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Reads a live stream's `board` events and hands each board's member total to `seen`.
async fn watch(mut res: reqwest::Response, seen: impl Fn(i64)) -> anyhow::Result<()> {
    let mut buf = String::new();
    while let Some(chunk) = res.chunk().await? {
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            if event.lines().any(|l| l == "event: board") {
                let data: String = event.lines().filter_map(|l| l.strip_prefix("data: ")).collect();
                let board: crate::command::Board = serde_json::from_str(&data)?;
                seen(board.totals.members);
            }
        }
    }
    Ok(())
}

pub async fn run(leptos_options: leptos::config::LeptosOptions, args: Args) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.dir)?;
    let (database_url, reused) = city_database(&args).await?;
    let key_file = args.dir.join(format!("city-{}-{}.key", args.db, args.members));
    let key = match std::fs::read_to_string(&key_file) {
        Ok(k) if reused => k,
        _ => {
            let k = Keyring::generate_spec(1);
            std::fs::write(&key_file, &k)?;
            k
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let mut config = bench_config(database_url, format!("http://{addr}"), args.dir.clone());
    config.data_key = Some(key);
    config.seed_demo = false;
    config.sms_provider = "log".into();
    let state = super::startup::build_state(config, leptos_options, Arc::new(SystemClock), None).await?;
    let members: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members").fetch_one(&state.db.pool).await?;
    if (members as usize) < args.members {
        let sizes = super::generate::Sizes { members: args.members, applications: args.applications, ..Default::default() };
        println!("building the city ({} members, {} applications) on {} …", args.members, args.applications, args.db);
        let made = super::generate::generate(&state, sizes).await?;
        println!("  built {} unions, {} members, {} applications in {:.0} s", made.unions, made.members, made.applications, made.seconds);
    }
    tokio::spawn(super::router::serve(listener, state.clone()));
    let base = format!("http://{addr}");
    let pool = &state.db.pool;
    let root: i64 = sqlx::query_scalar("SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1").fetch_one(pool).await?;
    let county: i64 = sqlx::query_scalar("SELECT id FROM orgs WHERE code = 'G00'").fetch_one(pool).await.context("a generated county")?;
    ensure_admin(&state, "bench_leader", root, crate::admin::Role::Leader).await?;
    ensure_admin(&state, "bench_rev", root, crate::admin::Role::Reviewer).await?;
    let http =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).pool_max_idle_per_host(args.dashboards + 8).build()?;
    let leader = sign_in(&http, &base, "bench_leader").await?;
    let reviewer = sign_in(&http, &base, "bench_rev").await?;
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members").fetch_one(pool).await?;
    let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM applications WHERE status = 'pending'").fetch_one(pool).await?;
    println!("command centre bench, {} — {total} members, {pending} pending applications", args.db);

    // The board's time: the whole page over HTTP, and the counting alone.
    for (label, org) in [("root (city)", root), ("a county", county)] {
        let mut page = Vec::new();
        let mut inside = Vec::new();
        for _ in 0..30 {
            let t = Instant::now();
            let res = http.get(format!("{base}/admin/command?org={org}")).header("cookie", &leader).send().await?;
            anyhow::ensure!(res.status() == 200, "the board answered {}", res.status());
            res.bytes().await?;
            page.push(t.elapsed());
            let t = Instant::now();
            crate::command::service::board(&state, root, org).await?.context("board")?;
            inside.push(t.elapsed());
        }
        page.sort();
        inside.sort();
        println!(
            "  board at {label:<12} page over HTTP p50 {:.1} ms  p95 {:.1} ms   counting alone p50 {:.1} ms  p95 {:.1} ms",
            percentile(&page, 0.5),
            percentile(&page, 0.95),
            percentile(&inside, 0.5),
            percentile(&inside, 0.95)
        );
    }

    // Live: dashboards open at the root and at the county; each decision in the county must
    // reach all of them.
    let started: Arc<Mutex<Vec<(i64, Instant)>>> = Arc::new(Mutex::new(Vec::new()));
    let latencies: Arc<Mutex<Vec<Duration>>> = Arc::new(Mutex::new(Vec::new()));
    let ready = Arc::new(tokio::sync::Semaphore::new(0));
    let mut watchers = Vec::new();
    for i in 0..args.dashboards {
        let org = if i % 2 == 0 { root } else { county };
        let res = http.get(format!("{base}/admin/command/live?org={org}")).header("cookie", &leader).send().await?;
        anyhow::ensure!(res.status() == 200, "the stream answered {}", res.status());
        let (started, latencies, ready) = (started.clone(), latencies.clone(), ready.clone());
        let first = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let last = Arc::new(std::sync::atomic::AtomicI64::new(-1));
        watchers.push(tokio::spawn(watch(res, move |members| {
            if first.swap(false, std::sync::atomic::Ordering::SeqCst) {
                ready.add_permits(1);
            }
            let before = last.swap(members, std::sync::atomic::Ordering::SeqCst);
            if before >= 0 && members != before {
                let arrived = Instant::now();
                // The decision that made this total (root and county totals both grow by one).
                let sent = started.lock().expect("lock").iter().rev().find(|(k, _)| *k <= members).map(|(_, t)| *t);
                if let Some(t) = sent {
                    latencies.lock().expect("lock").push(arrived - t);
                }
            }
        })));
    }
    let _all_ready = tokio::time::timeout(Duration::from_secs(60), ready.acquire_many(args.dashboards as u32))
        .await
        .context("dashboards connected")??;
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT a.id FROM applications a JOIN org_closure c ON c.descendant_id = a.org_id AND c.ancestor_id = $1
         WHERE a.status = 'pending' ORDER BY a.id LIMIT $2",
    )
    .bind(county)
    .bind(args.decisions as i64)
    .fetch_all(pool)
    .await?;
    anyhow::ensure!(ids.len() == args.decisions, "the county has too few pending applications");
    let mut decide_times = Vec::new();
    for (k, id) in ids.iter().enumerate() {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        // Any total at or above this one's marks the decision's arrival at that dashboard.
        let county_after: i64 = crate::command::service::board(&state, root, county).await?.context("board")?.totals.members + 1;
        let root_after: i64 = crate::command::service::board(&state, root, root).await?.context("board")?.totals.members + 1;
        let t = Instant::now();
        {
            let mut s = started.lock().expect("lock");
            s.push((county_after, t));
            s.push((root_after, t));
            s.sort_by_key(|x| x.0);
        }
        let res = http
            .post(format!("{base}/admin/a/{id}/decide"))
            .header("cookie", &reviewer)
            .header("origin", &base)
            .form(&[("action", "approve")])
            .send()
            .await?;
        anyhow::ensure!(res.status() == 303, "decision {k} answered {}", res.status());
        decide_times.push(t.elapsed());
    }
    let want = args.dashboards * args.decisions;
    let wait = Instant::now();
    while latencies.lock().expect("lock").len() < want && wait.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for w in &watchers {
        w.abort();
    }
    let mut lat = latencies.lock().expect("lock").clone();
    lat.sort();
    decide_times.sort();
    anyhow::ensure!(!lat.is_empty(), "no decision reached a dashboard");
    println!(
        "  decision → new figures on {} open dashboards ({} decisions): arrived {}/{}   p50 {:.0} ms  p95 {:.0} ms  max {:.0} ms   (the decision itself p50 {:.0} ms)",
        args.dashboards,
        args.decisions,
        lat.len(),
        want,
        percentile(&lat, 0.5),
        percentile(&lat, 0.95),
        lat.last().map(|d| d.as_secs_f64() * 1000.0).unwrap_or_default(),
        percentile(&decide_times, 0.5)
    );
    Ok(())
}
