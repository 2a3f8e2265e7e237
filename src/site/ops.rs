//! The operator's endpoints. `/healthz`: the process answers. `/readyz`: this instance should
//! get traffic — the database answers, every migration of this build is applied, the outbox is
//! keeping up, and no stop has begun. `/metrics`: Prometheus text, only for the configured
//! addresses. None of them shows personal data.
use crate::server::metrics::Snapshot;
use crate::server::state::AppState;
use crate::server::web::ClientIp;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// How long a check waits for the database before calling it unreachable.
const DB_CHECK: Duration = Duration::from_secs(2);

fn plain(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut res = (status, body).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

pub async fn healthz() -> Response {
    plain(StatusCode::OK, "text/plain; charset=utf-8", "ok\n".into())
}

/// What `/readyz` found, as its JSON body says it.
#[derive(serde::Serialize)]
struct Readiness {
    ready: bool,
    /// Why not, in words an operator reads (empty when ready).
    problems: Vec<String>,
    database: &'static str,
    migrations_current: Option<bool>,
    outbox_backlog: Option<i64>,
    outbox_oldest_age_seconds: Option<i64>,
    outbox_failed: Option<i64>,
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    let ops = &state.config.ops;
    let mut r = Readiness {
        ready: true,
        problems: Vec::new(),
        database: "ok",
        migrations_current: None,
        outbox_backlog: None,
        outbox_oldest_age_seconds: None,
        outbox_failed: None,
    };
    if state.shutdown.is_begun() {
        r.problems.push("stopping".into());
    }
    match tokio::time::timeout(DB_CHECK, state.db.migrations_current()).await {
        Ok(Ok(current)) => {
            r.migrations_current = Some(current);
            if !current {
                r.problems.push("the database's migrations are not those of this build".into());
            }
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: the database does not answer");
            r.database = "unreachable";
            r.problems.push("the database does not answer".into());
        }
        Err(_) => {
            r.database = "unreachable";
            r.problems.push(format!("the database did not answer within {} s", DB_CHECK.as_secs()));
        }
    }
    if r.database == "ok" {
        match tokio::time::timeout(DB_CHECK, crate::server::outbox::backlog(&state.db)).await {
            Ok(Ok((backlog, oldest, failed))) => {
                let age = oldest.map(|t| (state.now() - t).max(0)).unwrap_or(0);
                (r.outbox_backlog, r.outbox_oldest_age_seconds, r.outbox_failed) = (Some(backlog), Some(age), Some(failed));
                if backlog > ops.ready_max_backlog {
                    r.problems.push(format!("{backlog} SMS wait in the outbox (more than {})", ops.ready_max_backlog));
                }
                if age > ops.ready_max_outbox_age_secs {
                    r.problems.push(format!("the oldest SMS has waited {age} s (more than {})", ops.ready_max_outbox_age_secs));
                }
            }
            _ => r.problems.push("the outbox could not be read".into()),
        }
    }
    r.ready = r.problems.is_empty();
    let status = if r.ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    plain(status, "application/json", serde_json::to_string(&r).expect("plain data") + "\n")
}

pub async fn metrics(State(state): State<AppState>, ClientIp(ip): ClientIp) -> Response {
    let allowed = ip.parse::<std::net::IpAddr>().is_ok_and(|ip| state.config.ops.metrics_allow.iter().any(|r| r.contains(&ip)));
    if !allowed {
        return plain(StatusCode::FORBIDDEN, "text/plain; charset=utf-8", "forbidden\n".into());
    }
    let (pool_size, pool_idle) = state.db.pool_use();
    let mut now = Snapshot { pool_size, pool_idle, pool_max: state.config.max_connections as i64, ..Default::default() };
    (now.join_group_statements, now.join_group_rows) = state.joins.counts();
    // A scrape while the database is away still answers, with what this process knows.
    if let Ok(Ok((backlog, oldest, failed))) = tokio::time::timeout(DB_CHECK, crate::server::outbox::backlog(&state.db)).await {
        now.outbox_backlog = backlog;
        now.outbox_oldest_age_secs = oldest.map(|t| (state.now() - t).max(0)).unwrap_or(0);
        now.outbox_failed = failed;
        now.db_up = true;
    }
    if let Ok(Ok(overdue)) = tokio::time::timeout(DB_CHECK, crate::review::repo::overdue_count(&state.db.pool, state.now())).await {
        now.overdue_applications = overdue;
    }
    plain(StatusCode::OK, "text/plain; version=0.0.4; charset=utf-8", state.metrics.encode(&now))
}
