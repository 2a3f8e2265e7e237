//! The figures `/metrics` shows, in Prometheus' text format. Counters and histograms are kept
//! as things happen (requests by route pattern — never a path with a token in it —, SMS
//! outcomes by provider and template, deadline-engine passes, open live streams); gauges that a
//! query answers (outbox backlog, pool use, overdue applications) are read at each scrape and
//! handed in as a `Snapshot`.
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SmsLabels {
    provider: String,
    template: String,
    result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EngineLabels {
    engine: String,
    result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: String,
}

/// What a scrape reads from the database and the pool at that moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Messages not yet final (pending, being sent, outcome unknown).
    pub outbox_backlog: i64,
    /// Seconds since the oldest of them was written (0 when there is none).
    pub outbox_oldest_age_secs: i64,
    /// Messages that gave up and wait for an admin.
    pub outbox_failed: i64,
    pub pool_size: i64,
    pub pool_idle: i64,
    pub pool_max: i64,
    /// Pending applications past their deadline.
    pub overdue_applications: i64,
    /// The database answered this scrape's queries (when not, the figures above are 0).
    pub db_up: bool,
    /// Joins written together (`server::group`) since the start: statements run, joins they wrote.
    pub join_group_statements: u64,
    pub join_group_rows: u64,
}

/// Latency buckets in seconds: 2.5 ms to ~10 s.
fn latency_histogram() -> Histogram {
    Histogram::new([0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0])
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    sms: Family<SmsLabels, Counter>,
    engine_runs: Family<EngineLabels, Counter>,
    streams: Gauge,
    outbox_backlog: Gauge,
    outbox_oldest: Gauge,
    outbox_failed: Gauge,
    pool: Family<PoolLabels, Gauge>,
    pool_max: Gauge,
    overdue: Gauge,
    db_up: Gauge,
    join_group_statements: Counter,
    join_group_rows: Counter,
    scrape: std::sync::Mutex<()>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("ejia");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests answered, by method, route pattern and status", requests.clone());
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register("http_request_duration_seconds", "Time to answer, by method and route pattern", latency.clone());
        let sms = Family::<SmsLabels, Counter>::default();
        registry.register("sms_results", "SMS send attempts by provider, template and result", sms.clone());
        let engine_runs = Family::<EngineLabels, Counter>::default();
        registry.register("engine_runs", "Passes of the background engines, by engine and result", engine_runs.clone());
        let streams = Gauge::default();
        registry.register("sse_streams_open", "Live (server-sent events) streams open now", streams.clone());
        let outbox_backlog = Gauge::default();
        registry.register("outbox_backlog", "Outbox messages not yet final (pending, sending, unknown)", outbox_backlog.clone());
        let outbox_oldest = Gauge::default();
        registry.register("outbox_oldest_age_seconds", "Age of the oldest outbox message not yet final", outbox_oldest.clone());
        let outbox_failed = Gauge::default();
        registry.register("outbox_failed", "Outbox messages that gave up and wait for an admin", outbox_failed.clone());
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register("db_pool_connections", "Database connections of this instance, by state (idle, in_use)", pool.clone());
        let pool_max = Gauge::default();
        registry.register("db_pool_max_connections", "The pool's configured maximum", pool_max.clone());
        let overdue = Gauge::default();
        registry.register("applications_overdue", "Pending applications past their one-working-day deadline", overdue.clone());
        let db_up = Gauge::default();
        registry.register("db_up", "1 when the database answered this scrape, 0 when not", db_up.clone());
        let join_group_statements = Counter::default();
        registry.register(
            "join_group_statements",
            "Statements that wrote joins posted together (PostgreSQL)",
            join_group_statements.clone(),
        );
        let join_group_rows = Counter::default();
        registry.register("join_group_rows", "Joins written by those statements", join_group_rows.clone());
        Metrics {
            db_up,
            join_group_statements,
            join_group_rows,
            registry,
            requests,
            latency,
            sms,
            engine_runs,
            streams,
            outbox_backlog,
            outbox_oldest,
            outbox_failed,
            pool,
            pool_max,
            overdue,
            scrape: std::sync::Mutex::new(()),
        }
    }

    /// One answered request: `route` is the pattern (`/s/{token}`), never the path.
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let (method, route) = (method.to_string(), route.to_string());
        self.requests.get_or_create(&RequestLabels { method: method.clone(), route: route.clone(), status: status.to_string() }).inc();
        self.latency.get_or_create(&RouteLabels { method, route }).observe(seconds);
    }

    /// One SMS attempt's result (`sent`, `rate_limited`, `failed`, `unknown`, or a
    /// reconciliation's `delivered`, `not_found`).
    pub fn sms_result(&self, provider: &str, template: &str, result: &str) {
        self.sms.get_or_create(&SmsLabels { provider: provider.into(), template: template.into(), result: result.into() }).inc();
    }

    /// One pass of a background engine.
    pub fn engine_run(&self, engine: &str, ok: bool) {
        let result = if ok { "ok" } else { "error" };
        self.engine_runs.get_or_create(&EngineLabels { engine: engine.into(), result: result.into() }).inc();
    }

    /// Counts a live stream as open until the returned guard is dropped.
    pub fn stream_opened(self: &std::sync::Arc<Self>) -> StreamGuard {
        self.streams.inc();
        StreamGuard(self.clone())
    }

    pub fn streams_open(&self) -> i64 {
        self.streams.get()
    }

    /// The text a scrape returns, with the gauges of this moment.
    pub fn encode(&self, now: &Snapshot) -> String {
        // Two scrapes at once must not interleave their gauges.
        let _one_at_a_time = self.scrape.lock().unwrap_or_else(|e| e.into_inner());
        self.outbox_backlog.set(now.outbox_backlog);
        self.outbox_oldest.set(now.outbox_oldest_age_secs);
        self.outbox_failed.set(now.outbox_failed);
        self.pool.get_or_create(&PoolLabels { state: "idle".into() }).set(now.pool_idle);
        self.pool.get_or_create(&PoolLabels { state: "in_use".into() }).set((now.pool_size - now.pool_idle).max(0));
        self.pool_max.set(now.pool_max);
        self.overdue.set(now.overdue_applications);
        self.db_up.set(i64::from(now.db_up));
        // The group counts by itself; the counters catch up with it.
        self.join_group_statements.inc_by(now.join_group_statements.saturating_sub(self.join_group_statements.get()));
        self.join_group_rows.inc_by(now.join_group_rows.saturating_sub(self.join_group_rows.get()));
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}

/// Keeps a live stream counted while it lives.
pub struct StreamGuard(std::sync::Arc<Metrics>);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.0.streams.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn the_text_names_routes_by_pattern_and_counts_what_happened() {
        let m = Arc::new(Metrics::new());
        m.request("GET", "/s/{token}", 200, 0.012);
        m.request("GET", "/s/{token}", 200, 0.3);
        m.sms_result("aliyun", "join_code", "sent");
        m.engine_run("review", true);
        let guard = m.stream_opened();
        let text = m.encode(&Snapshot {
            outbox_backlog: 3,
            outbox_oldest_age_secs: 42,
            pool_size: 4,
            pool_idle: 1,
            pool_max: 16,
            join_group_statements: 4,
            join_group_rows: 90,
            ..Default::default()
        });
        assert!(text.contains(r#"ejia_http_requests_total{method="GET",route="/s/{token}",status="200"} 2"#), "{text}");
        assert!(
            text.contains(r#"ejia_http_request_duration_seconds_bucket{le="0.025",method="GET",route="/s/{token}"} 1"#)
                || text.contains(r#"ejia_http_request_duration_seconds_bucket{method="GET",route="/s/{token}",le="0.025"} 1"#),
            "{text}"
        );
        assert!(text.contains(r#"ejia_sms_results_total{provider="aliyun",template="join_code",result="sent"} 1"#), "{text}");
        assert!(text.contains(r#"ejia_engine_runs_total{engine="review",result="ok"} 1"#), "{text}");
        assert!(text.contains("ejia_sse_streams_open 1"), "{text}");
        assert!(text.contains("ejia_outbox_backlog 3") && text.contains("ejia_outbox_oldest_age_seconds 42"), "{text}");
        assert!(text.contains(r#"ejia_db_pool_connections{state="in_use"} 3"#), "{text}");
        assert!(text.contains("ejia_join_group_statements_total 4") && text.contains("ejia_join_group_rows_total 90"), "{text}");
        drop(guard);
        assert!(m.encode(&Snapshot::default()).contains("ejia_sse_streams_open 0"));
    }
}
