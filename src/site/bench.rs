//! `ejia bench`: join throughput and latency at a given concurrency over real HTTP (the no-JS
//! POST, the heaviest path), beside the raw ceiling measured in the same run — the same
//! application insert, one row per transaction, through the same pool at the same concurrency,
//! without HTTP, on a quiet system (every SMS sent, SQLite's log folded in), three times, the
//! median counting. Rate limits are raised for the run; everything else is the production
//! set-up (outbox dispatcher running, SMS to a provider that only records).
use crate::calendar::OfficeHours;
use crate::domain::{IdNumber, Ymd};
use crate::server::clock::SystemClock;
use crate::server::config::{Config, Limits};
use crate::server::crypto::{random_token, Keyring};
use crate::server::sms::{DeliveryStatus, Outgoing, SendOutcome, SmsProvider, Template};
use anyhow::Context;
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Records the codes it is asked to send; sends nothing.
#[derive(Default)]
struct CaptureSms {
    codes: Mutex<HashMap<String, String>>,
}

#[async_trait]
impl SmsProvider for CaptureSms {
    fn name(&self) -> &'static str {
        "bench"
    }
    async fn send(&self, m: &Outgoing) -> SendOutcome {
        if m.template == Template::JoinCode {
            let code = m.params["code"].as_str().unwrap_or_default().to_string();
            self.codes.lock().expect("codes lock").insert(m.to.clone(), code);
        }
        SendOutcome::Sent { provider_message_id: m.correlation_id.clone() }
    }
    async fn delivery_status(&self, _: &str) -> DeliveryStatus {
        DeliveryStatus::Unknown
    }
}

struct Args {
    db: String,
    n: usize,
    concurrency: usize,
    pg_url: String,
}

fn parse_args(args: &[String]) -> anyhow::Result<Args> {
    let mut a = Args {
        db: "sqlite".into(),
        n: 2000,
        concurrency: 50,
        pg_url: std::env::var("EJIA_BENCH_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into()),
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--db" => a.db = value.clone(),
            "--n" => a.n = value.parse()?,
            "--concurrency" => a.concurrency = value.parse()?,
            "--pg-url" => a.pg_url = value.clone(),
            other => anyhow::bail!("unknown flag {other}"),
        }
    }
    anyhow::ensure!(a.n >= 1 && a.n <= 20_000, "--n must be between 1 and 20000");
    Ok(a)
}

/// The i-th of a series of distinct valid ID numbers.
pub(super) fn id_number(i: usize, today: Ymd) -> IdNumber {
    let birth = Ymd::new(1970, 1, 1).expect("date").add_days(i as i64 % 10_000);
    let body = format!("340302{:04}{:02}{:02}{:03}", birth.year(), birth.month(), birth.day(), 100 + i / 10_000);
    let check = crate::domain::id_number::check_char(body.as_bytes()) as char;
    IdNumber::parse(&format!("{body}{check}"), today).expect("valid by construction")
}

/// A generated applicant: the `i`-th person of `id_number`, and where the application goes.
pub(super) struct Synthetic<'a> {
    pub i: usize,
    pub name: &'a str,
    pub phone: &'a str,
    pub org_id: i64,
    pub in_pool: bool,
    pub due_at: i64,
}

/// Writes a generated application as a join does (the ID sealed, its blind index, its masked
/// copy); its id, or `None` when the person has an open application already.
pub(super) async fn insert_synthetic(
    tx: &mut crate::server::db::WriteTx,
    st: &crate::server::state::AppState,
    s: Synthetic<'_>,
    today: Ymd,
    now: i64,
) -> sqlx::Result<Option<i64>> {
    let id = id_number(s.i, today);
    let key = random_token();
    let (key_id, cipher) = st.keys.seal_id(&id, &format!("application:{key}"));
    crate::join::repo::insert(
        tx,
        crate::join::repo::NewApplication {
            submission_key: &key,
            name: s.name,
            id_cipher: cipher,
            id_key_id: key_id,
            id_blind: &st.keys.blind_index(&id),
            id_blind_key: st.keys.active_id(),
            id_masked: &id.masked(),
            birth_date: id.birth_date().to_string(),
            sex: id.sex(),
            phone: s.phone,
            org_id: s.org_id,
            in_pool: s.in_pool,
            channel_id: None,
            occupation: None,
            plate: None,
            consent_ip: "127.0.0.1",
            now,
            due_at: s.due_at,
            due_provisional: false,
            join_code_id: None,
        },
    )
    .await
}

/// Runs `n` jobs over `concurrency` tasks; returns each job's latency and the wall time.
pub(super) async fn run_concurrently<F, Fut>(n: usize, concurrency: usize, job: F) -> anyhow::Result<(Vec<Duration>, Duration)>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let job = Arc::new(job);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (job, next) = (job.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return Ok::<_, anyhow::Error>(latencies);
                }
                let t = Instant::now();
                job(i).await?;
                latencies.push(t.elapsed());
            }
        }));
    }
    let mut all = Vec::with_capacity(n);
    for t in tasks {
        all.extend(t.await??);
    }
    Ok((all, started.elapsed()))
}

pub(super) fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

/// One row of the raw ceiling: the join's application insert, alone in its transaction.
async fn raw_insert(st: crate::server::state::AppState, i: usize, today: Ymd) -> anyhow::Result<()> {
    let now = st.now();
    let mut tx = st.db.begin_write().await?;
    let person = Synthetic { i, name: "张三", phone: "13900000000", org_id: 1, in_pool: false, due_at: now + 86_400 };
    insert_synthetic(&mut tx, &st, person, today, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Waits until the outbox has sent everything due (the joins' receipts), then folds SQLite's
/// write-ahead log into the database, or has PostgreSQL write its dirty pages out (a
/// checkpoint, when the bench's role may ask for one): what comes next is measured on a quiet
/// system, not across a checkpoint that the writes before it caused.
async fn settle(state: &crate::server::state::AppState) -> anyhow::Result<()> {
    let wait = Instant::now();
    while crate::server::outbox::backlog(&state.db).await?.0 > 0 {
        anyhow::ensure!(wait.elapsed() < Duration::from_secs(120), "the outbox did not drain in time");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    match state.db.backend {
        crate::server::db::Backend::Sqlite => state.db.checkpoint().await?,
        crate::server::db::Backend::Postgres => {
            if let Err(e) = sqlx::query("CHECKPOINT").execute(&state.db.pool).await {
                tracing::warn!(error = %e, "no checkpoint before measuring (the role may not ask for one)");
            }
        }
    }
    Ok(())
}

/// The review side at scale: 10,000 pending applications in a reviewer's subtree; the queue's
/// server time over HTTP, and a bulk approval of 100.
async fn review_bench(
    state: &crate::server::state::AppState,
    http: &reqwest::Client,
    base: &str,
    args: &Args,
    today: Ymd,
) -> anyhow::Result<()> {
    const PENDING: usize = 10_000;
    let org: i64 = crate::org::repo::by_code(&state.db.pool, "340302").await?.context("demo county")?.id;
    let now = state.now();
    // Raw inserts in transactions of 500, spread over the county's deadlines.
    for chunk in 0..PENDING / 500 {
        let mut tx = state.db.begin_write().await?;
        for j in 0..500 {
            let i = 200_000 + chunk * 500 + j;
            let phone = format!("137{:08}", i);
            let due_at = now + (i as i64 % 5000) * 60;
            let person = Synthetic { i, name: "李四", phone: &phone, org_id: org, in_pool: true, due_at };
            insert_synthetic(&mut tx, state, person, today, now).await?;
        }
        tx.commit().await?;
    }
    let hash = crate::admin::auth::hash_password("bench-password")?;
    let mut tx = state.db.begin_write().await?;
    crate::admin::repo::insert(
        &mut tx,
        crate::admin::repo::NewAdmin {
            username: "bench_rev",
            display_name: "bench",
            org_id: org,
            roles: &[crate::admin::Role::Reviewer],
            password_hash: &hash,
            phone: None,
            created_by: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    let res = http.post(format!("{base}/admin/login")).form(&[("username", "bench_rev"), ("password", "bench-password")]).send().await?;
    let cookie = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .context("session cookie")?
        .to_string();
    let mut times = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        let res = http.get(format!("{base}/admin")).header("cookie", &cookie).send().await?;
        anyhow::ensure!(res.status() == 200, "queue answered {}", res.status());
        res.bytes().await?;
        times.push(t.elapsed());
    }
    times.sort();
    let mut filtered = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let res = http.get(format!("{base}/admin?overdue=1&q=13700000042")).header("cookie", &cookie).send().await?;
        res.bytes().await?;
        filtered.push(t.elapsed());
    }
    filtered.sort();
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM applications WHERE org_id = $1 AND status = 'pending' ORDER BY due_at LIMIT 100")
            .bind(org)
            .fetch_all(&state.db.pool)
            .await?;
    let form: Vec<(&str, String)> = ids.iter().map(|i| ("ids", i.to_string())).collect();
    let t = Instant::now();
    let res = http.post(format!("{base}/admin/bulk-approve")).header("cookie", &cookie).form(&form).send().await?;
    anyhow::ensure!(res.status() == 200, "bulk approve answered {}", res.status());
    res.bytes().await?;
    let bulk = t.elapsed();
    let approved: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM applications WHERE org_id = $1 AND status = 'approved'")
        .bind(org)
        .fetch_one(&state.db.pool)
        .await?;
    println!("review bench, {} — {PENDING} pending in the reviewer's subtree", args.db);
    println!(
        "  queue page (GET /admin, first 50 by deadline + total)   p50 {:.1} ms   p95 {:.1} ms",
        percentile(&times, 0.5),
        percentile(&times, 0.95)
    );
    println!("  filtered queue (overdue + whole-phone search, audited)  p50 {:.1} ms", percentile(&filtered, 0.5));
    println!("  bulk approve of 100 (one POST)                          {:.0} ms   ({approved} approved)", bulk.as_secs_f64() * 1000.0);
    Ok(())
}

/// The production set-up for a bench run: no sending limits, SMS recorded only, a fresh key.
pub(super) fn bench_config(database_url: String, public_url: String, dir: std::path::PathBuf) -> Config {
    let unlimited = 1_000_000;
    Config {
        production: false,
        database_url,
        public_url,
        sms_provider: "bench".into(),
        sms_log: dir.join("sms.jsonl"),
        data_key: Some(Keyring::generate_spec(1)),
        data_dir: dir,
        trusted_proxy_hops: 0,
        limits: Limits {
            phone_per_minute: unlimited,
            phone_per_hour: unlimited,
            phone_per_day: unlimited,
            ip_per_hour: unlimited,
            ip_hard_per_hour: unlimited,
        },
        office_hours: OfficeHours::default(),
        seed_demo: true,
        max_connections: std::env::var("EJIA_DB_MAX_CONNECTIONS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(crate::server::config::default_max_connections),
        ops: Default::default(),
    }
}

/// A fresh database for one run: a SQLite file in `tmp`, or a new PostgreSQL database named
/// `<prefix>_<random>` (returned, to drop afterwards).
pub(super) async fn fresh_database(
    db: &str,
    pg_url: &str,
    tmp: &std::path::Path,
    prefix: &str,
) -> anyhow::Result<(String, Option<String>)> {
    match db {
        "sqlite" => Ok((format!("sqlite://{}/bench.db?mode=rwc", tmp.display()), None)),
        "postgres" => {
            use sqlx::Connection;
            let name = format!("{prefix}_{}", random_token().to_lowercase().replace(['-', '_'], ""));
            let mut admin = sqlx::PgConnection::connect(pg_url).await.context("connecting to PostgreSQL")?;
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await?;
            let base = pg_url.rsplit_once('/').context("PostgreSQL URL has a database")?.0;
            Ok((format!("{base}/{name}"), Some(name)))
        }
        other => anyhow::bail!("--db {other}: use sqlite or postgres"),
    }
}

/// Drops what `fresh_database` made on PostgreSQL (best effort: the run's figures are printed).
pub(super) async fn drop_database(pg_url: &str, name: Option<String>) {
    if let Some(name) = name {
        use sqlx::Connection;
        if let Ok(mut admin) = sqlx::PgConnection::connect(pg_url).await {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await;
        }
    }
}

pub async fn run(leptos_options: leptos::config::LeptosOptions, args: &[String]) -> anyhow::Result<()> {
    let args = parse_args(args)?;
    let tmp = std::env::temp_dir().join(format!("ejia-bench-{}", random_token()));
    std::fs::create_dir_all(&tmp)?;
    let (database_url, pg_db) = fresh_database(&args.db, &args.pg_url, &tmp, "ejia_bench").await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let config = bench_config(database_url, format!("http://{addr}"), tmp.clone());
    let sms = Arc::new(CaptureSms::default());
    let state = super::startup::build_state(config, leptos_options, Arc::new(SystemClock), Some(sms.clone())).await?;
    let workers = super::startup::spawn_workers(&state);
    tokio::spawn(super::router::serve(listener, state.clone()));
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).pool_max_idle_per_host(args.concurrency).build()?;
    let base = format!("http://{addr}");
    let union = crate::org::repo::by_code(&state.db.pool, "340300-HY01-LY").await?.context("demo union")?.id.to_string();
    let today = state.today();
    let phone = |i: usize| format!("13{:09}", i);

    // Set-up, not measured: one code per driver, delivered by the outbox.
    let (h, b) = (http.clone(), base.clone());
    run_concurrently(args.n, args.concurrency, move |i| {
        let (h, b) = (h.clone(), b.clone());
        async move {
            let res = h.post(format!("{b}/join")).form(&[("phone", phone(i).as_str()), ("intent", "send_code")]).send().await?;
            anyhow::ensure!(res.status() == 200, "code request answered {}", res.status());
            Ok(())
        }
    })
    .await?;
    let wait = Instant::now();
    while sms.codes.lock().expect("codes lock").len() < args.n {
        anyhow::ensure!(wait.elapsed() < Duration::from_secs(120), "codes were not delivered in time");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let codes = Arc::new(sms.codes.lock().expect("codes lock").clone());
    settle(&state).await?;
    // On stderr, for a profiler to start on: the measured part begins.
    eprintln!("join bench: {} codes delivered; measuring the joins", codes.len());

    // Measured: the joins.
    let (h, b, u) = (http.clone(), base.clone(), union.clone());
    let (mut lat, wall) = run_concurrently(args.n, args.concurrency, move |i| {
        let (h, b, u, codes) = (h.clone(), b.clone(), u.clone(), codes.clone());
        async move {
            let p = phone(i);
            let id = id_number(i, today);
            let form = [
                ("name", "张三"),
                ("id_number", id.as_str()),
                ("phone", &p),
                ("code", &codes[&p]),
                ("workplace", &u),
                ("consent", "yes"),
                ("submission", &random_token()),
                ("intent", "submit"),
            ];
            let res = h.post(format!("{b}/join")).form(&form).send().await?;
            anyhow::ensure!(res.status() == 303, "join {i} answered {}", res.status());
            Ok(())
        }
    })
    .await?;
    lat.sort();
    let join_rate = args.n as f64 / wall.as_secs_f64();

    // The raw ceiling: the same insert, one row per transaction, same pool and concurrency,
    // measured on a quiet system (the joins' receipts sent, SQLite's log folded in), three
    // times; the median counts.
    settle(&state).await?;
    let mut raw_rates = Vec::new();
    for run in 0..3 {
        let st = state.clone();
        let first = 100_000 + run * args.n;
        let (_, raw_wall) = run_concurrently(args.n, args.concurrency, move |i| raw_insert(st.clone(), first + i, today)).await?;
        raw_rates.push(args.n as f64 / raw_wall.as_secs_f64());
        settle(&state).await?;
    }
    let mut sorted = raw_rates.clone();
    sorted.sort_by(f64::total_cmp);
    let raw_rate = sorted[1];

    println!("join bench, {} — {} joins at {} concurrent over HTTP (POST /join, no-JS path)", args.db, args.n, args.concurrency);
    println!("  join throughput      {:>8.0} /s   ({:.2} s)", join_rate, wall.as_secs_f64());
    println!(
        "  join latency         p50 {:.1} ms   p99 {:.1} ms   max {:.1} ms",
        percentile(&lat, 0.50),
        percentile(&lat, 0.99),
        percentile(&lat, 1.0)
    );
    println!(
        "  raw insert ceiling   {:>8.0} /s   (same insert, 1 row/transaction, same pool, no HTTP; median of {:.0}, {:.0}, {:.0})",
        raw_rate, raw_rates[0], raw_rates[1], raw_rates[2]
    );
    println!("  join / ceiling       {:>8.1} %", 100.0 * join_rate / raw_rate);
    let (statements, written) = state.joins.counts();
    println!(
        "  grouped              {written} joins in {statements} statements ({:.1} a statement; the rest took the full path)",
        written as f64 / statements.max(1) as f64
    );

    review_bench(&state, &http, &base, &args, today).await?;

    workers.abort().await; // stopped before its pool closes
    state.db.close().await;
    drop_database(&args.pg_url, pg_db).await;
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}
