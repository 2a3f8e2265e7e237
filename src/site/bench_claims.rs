//! `ejia bench-claims`: claiming under load over real HTTP. 1,000 members with live sessions
//! claim one campaign at once: with a stock of 100 exactly 100 must succeed; with a stock of
//! 1,000 all of them, and the claims per second are printed. On SQLite, on PostgreSQL, and with
//! two app instances on one PostgreSQL database (the claims split between them).
use super::bench::{bench_config, percentile};
use crate::server::clock::SystemClock;
use crate::server::crypto::{random_token, token_hash};
use crate::server::state::AppState;
use anyhow::Context;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Members made directly as approved applications (synthetic: no ID number in clear, a phone of
/// the unassigned 12x range) at union `org_id`; returns their ids. Used by the tests too.
pub async fn members(state: &AppState, n: usize, org_id: i64, occupation: Option<&str>, joined_at: i64) -> anyhow::Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(n);
    let mut tx = state.db.begin_write().await?;
    for _ in 0..n {
        let key = random_token();
        let phone = format!("12{:09}", rand::random::<u32>() % 1_000_000_000);
        let application: i64 = sqlx::query_scalar(
            "INSERT INTO applications (submission_key, name, id_cipher, id_key_id, id_blind, id_masked, birth_date, sex, phone, org_id,
                                       in_pool, occupation, status, consent_version, consent_at, consent_ip, submitted_at, due_at,
                                       due_provisional, decided_at)
             VALUES ($1, '张三', $2, 1, $1, '34**************3X', '1990-01-01', 'M', $3, $4, 0, $5, 'approved', '1', $6, '127.0.0.1',
                     $6, $6, 0, $6) RETURNING id",
        )
        .bind(&key)
        .bind(vec![0u8; 8])
        .bind(&phone)
        .bind(org_id)
        .bind(occupation)
        .bind(joined_at)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO members (application_id, org_id, member_no, in_pool, joined_at) VALUES ($1, $2, $3, 0, $4) RETURNING id",
        )
        .bind(application)
        .bind(org_id)
        .bind(format!("B{key}"))
        .bind(joined_at)
        .fetch_one(&mut *tx)
        .await?;
        ids.push(id);
    }
    tx.commit().await?;
    Ok(ids)
}

/// A live member session, as signing in makes one; returns the Cookie header value.
pub async fn session(state: &AppState, member_id: i64) -> anyhow::Result<String> {
    let token = random_token();
    let now = state.now();
    sqlx::query("INSERT INTO member_sessions (token_hash, member_id, created_at, last_seen_at, ip) VALUES ($1, $2, $3, $3, '127.0.0.1')")
        .bind(token_hash(&token))
        .bind(member_id)
        .bind(now)
        .execute(&state.db.pool)
        .await?;
    Ok(format!("ejia_member={token}"))
}

/// A merchant and a campaign with this stock, open now, one per member; returns its id.
async fn campaign(state: &AppState, stock: i64) -> anyhow::Result<i64> {
    use crate::benefit::repo;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let name = format!("bench-{}", random_token());
    let merchant = repo::insert_merchant(&mut tx, &name, crate::benefit::Scenario::Fuel, None, now).await?.context("merchant")?;
    let c = repo::NewCampaign {
        kind: crate::benefit::CampaignKind::Coupon,
        title: "bench",
        description: "",
        stock,
        per_member: 1,
        claim_from: now - 60,
        claim_until: now + 86_400,
        redeem_until: now + 86_400,
        target_org_id: None,
        target_occupation: None,
        new_member_days: None,
        welcome: false,
        created_by: None,
    };
    let id = repo::insert_campaign(&mut tx, &c, &[merchant], now).await?;
    tx.commit().await?;
    Ok(id)
}

/// One round: every cookie claims at once, spread over the instances; (successes, answers "busy"
/// (a 5xx: no database connection free in time), time, latencies).
async fn round(
    http: &reqwest::Client,
    bases: &[String],
    cookies: &[String],
    campaign: i64,
) -> anyhow::Result<(usize, usize, Duration, Vec<Duration>)> {
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(cookies.len());
    for (k, cookie) in cookies.iter().enumerate() {
        let (http, base, cookie) = (http.clone(), bases[k % bases.len()].clone(), cookie.clone());
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let res =
                http.post(format!("{base}/me/benefits/{campaign}/claim")).header("cookie", cookie).header("origin", &base).send().await?;
            let (ok, busy) = (res.status() == 303, res.status().is_server_error());
            res.bytes().await?;
            anyhow::Ok((ok, busy, t.elapsed()))
        }));
    }
    let (mut ok, mut busy, mut lat) = (0, 0, Vec::new());
    for t in tasks {
        let (good, refused, d) = t.await??;
        ok += good as usize;
        busy += refused as usize;
        lat.push(d);
    }
    let took = started.elapsed();
    lat.sort();
    Ok((ok, busy, took, lat))
}

async fn instance(
    database_url: &str,
    dir: &std::path::Path,
    key: &str,
    options: &leptos::config::LeptosOptions,
) -> anyhow::Result<(AppState, String)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let mut config = bench_config(database_url.to_string(), format!("http://{addr}"), dir.to_path_buf());
    config.data_key = Some(key.to_string());
    config.seed_demo = true;
    config.sms_provider = "log".into();
    config.max_connections = 20;
    let state = super::startup::build_state(config, options.clone(), Arc::new(SystemClock), None).await?;
    tokio::spawn(super::router::serve(listener, state.clone()));
    Ok((state, format!("http://{addr}")))
}

pub async fn run(leptos_options: leptos::config::LeptosOptions, pg_url: String, n: usize) -> anyhow::Result<()> {
    println!("claims bench: {n} members claim one campaign at once over HTTP (one per member)");
    for (label, instances) in [("sqlite", 1), ("postgres", 1), ("postgres, 2 instances", 2)] {
        let dir = std::env::temp_dir().join(format!("ejia-bench-claims-{}", random_token()));
        std::fs::create_dir_all(&dir)?;
        let (database_url, pg_name) = if label == "sqlite" {
            (format!("sqlite://{}/claims.db?mode=rwc", dir.display()), None)
        } else {
            use sqlx::Connection;
            let name = format!("ejia_bench_claims_{}", random_token().to_lowercase().replace(['-', '_'], ""));
            let mut admin = sqlx::PgConnection::connect(&pg_url).await.context("connecting to PostgreSQL")?;
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await?;
            let base = pg_url.rsplit_once('/').context("PostgreSQL URL has a database")?.0;
            (format!("{base}/{name}"), Some(name))
        };
        let key = crate::server::crypto::Keyring::generate_spec(1);
        let mut bases = Vec::new();
        let mut states = Vec::new();
        for _ in 0..instances {
            let (state, base) = instance(&database_url, &dir, &key, &leptos_options).await?;
            states.push(state);
            bases.push(base);
        }
        let state = &states[0];
        let org: i64 =
            sqlx::query_scalar("SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1").fetch_one(&state.db.pool).await?;
        let ids = members(state, n, org, None, state.now()).await?;
        let mut cookies = Vec::with_capacity(n);
        for id in &ids {
            cookies.push(session(state, *id).await?);
        }
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).pool_max_idle_per_host(n).build()?;
        let scarce = campaign(state, 100).await?;
        let (ok, busy, took, _) = round(&http, &bases, &cookies, scarce).await?;
        let stored: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM coupons WHERE campaign_id = $1").bind(scarce).fetch_one(&state.db.pool).await?;
        let plenty = campaign(state, n as i64).await?;
        let (all, busy_all, took_all, lat) = round(&http, &bases, &cookies, plenty).await?;
        println!(
            "  {label:<22} stock 100: {ok} claimed, {stored} coupons stored ({}), {busy} answered busy, in {:.2} s   stock {n}: {all} claimed ({busy_all} busy), {:.0} claims/s, p50 {:.0} ms p95 {:.0} ms",
            if ok == 100 && stored == 100 { "exact" } else { "WRONG" },
            took.as_secs_f64(),
            all as f64 / took_all.as_secs_f64(),
            percentile(&lat, 0.5),
            percentile(&lat, 0.95),
        );
        drop(states);
        let _ = std::fs::remove_dir_all(&dir);
        if let Some(name) = pg_name {
            use sqlx::Connection;
            let mut admin = sqlx::PgConnection::connect(&pg_url).await?;
            let _ = sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut admin).await;
        }
    }
    Ok(())
}
