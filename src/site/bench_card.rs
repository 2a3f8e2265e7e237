//! `ejia bench-card`: the e-member card's public check (`GET /v/{code}`) over HTTP — latency
//! p50/p95/p99 and throughput at a given concurrency — on a fresh database holding many members,
//! each scan a different member's fresh code. Production set-up otherwise (real clock, workers).
use super::bench::{bench_config, drop_database, fresh_database, insert_synthetic, percentile, run_concurrently, Synthetic};
use crate::server::clock::SystemClock;
use crate::server::crypto::random_token;
use anyhow::Context;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct Args {
    pub db: String,
    pub pg_url: String,
    pub members: usize,
    pub n: usize,
    pub concurrency: usize,
}

/// Members made directly (applications approved long ago), each with a card id.
async fn members(state: &crate::server::state::AppState, n: usize) -> anyhow::Result<Vec<String>> {
    let org = crate::org::repo::by_code(&state.db.pool, "340300-HY01-LY").await?.context("demo union")?.id;
    let (today, now) = (state.today(), state.now());
    let mut keys = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let mut tx = state.db.begin_write().await?;
        for &i in chunk {
            let phone = format!("136{i:08}");
            let person = Synthetic { i: 300_000 + i, name: "王师傅", phone: &phone, org_id: org, in_pool: false, due_at: now };
            let application = insert_synthetic(&mut tx, state, person, today, now)
                .await?
                .context("a generated person has an open application already")?;
            let card = crate::member::card::new_card_id();
            sqlx::query(
                "INSERT INTO members (application_id, org_id, member_no, in_pool, joined_at, card_key) VALUES ($1, $2, $3, 0, $4, $5)",
            )
            .bind(application)
            .bind(org)
            .bind(format!("B{i:09}"))
            .bind(now)
            .bind(&card)
            .execute(&mut *tx)
            .await?;
            keys.push(card);
        }
        tx.commit().await?;
    }
    Ok(keys)
}

pub async fn run(leptos_options: leptos::config::LeptosOptions, args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(args.members >= 1 && args.n >= 1 && args.concurrency >= 1, "--members, --n and --concurrency must be positive");
    let tmp = std::env::temp_dir().join(format!("ejia-bench-card-{}", random_token()));
    std::fs::create_dir_all(&tmp)?;
    let (database_url, pg_db) = fresh_database(&args.db, &args.pg_url, &tmp, "ejia_bench_card").await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let mut config = bench_config(database_url, format!("http://{addr}"), tmp.clone());
    // No code is sent here; the approval messages of set-up go to a local log.
    config.sms_provider = "log".into();
    let state = super::startup::build_state(config, leptos_options, Arc::new(SystemClock), None).await?;
    let workers = super::startup::spawn_workers(&state);
    tokio::spawn(super::router::serve(listener, state.clone()));
    let keys = members(&state, args.members).await?;
    let http = reqwest::Client::builder().pool_max_idle_per_host(args.concurrency).build()?;
    let base = format!("http://{addr}");

    // Each scan: another member's code of this minute (made by the client, as a phone shows it).
    let (h, b, st, keys) = (http.clone(), base.clone(), state.clone(), Arc::new(keys));
    let (mut lat, wall) = run_concurrently(args.n, args.concurrency, move |i| {
        let (h, b, st, keys) = (h.clone(), b.clone(), st.clone(), keys.clone());
        async move {
            let code = crate::member::card::code(&st.keys, &keys[i % keys.len()], crate::member::card::window_of(st.now()));
            let res = h.get(format!("{b}/v/{code}")).send().await?;
            anyhow::ensure!(res.status() == 200, "check {i} answered {}", res.status());
            let page = res.text().await?;
            anyhow::ensure!(page.contains("有效会员"), "check {i} did not say valid");
            Ok(())
        }
    })
    .await?;
    lat.sort();
    println!(
        "card check bench, {} — {} scans of {} members' fresh codes at {} concurrent over HTTP (GET /v/{{code}})",
        args.db, args.n, args.members, args.concurrency
    );
    println!("  throughput           {:>8.0} /s   ({:.2} s)", args.n as f64 / wall.as_secs_f64(), wall.as_secs_f64());
    println!(
        "  latency              p50 {:.1} ms   p95 {:.1} ms   p99 {:.1} ms   max {:.1} ms",
        percentile(&lat, 0.50),
        percentile(&lat, 0.95),
        percentile(&lat, 0.99),
        percentile(&lat, 1.0)
    );

    workers.abort().await;
    state.db.close().await;
    drop_database(&args.pg_url, pg_db).await;
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}
