//! Test support: `spawn_app` starts the whole server on a random port over a fresh database
//! (a new SQLite file, or a new PostgreSQL database), a hand-set clock and a fake SMS provider
//! that records messages and can be told to fail.
#![allow(dead_code)]
use async_trait::async_trait;
use ejia::calendar::{local_to_unix, OfficeHours};
use ejia::domain::Ymd;
use ejia::server::clock::ManualClock;
use ejia::server::config::{Config, Limits};
use ejia::server::db::Backend;
use ejia::server::sms::{DeliveryStatus, Outgoing, SendOutcome, SmsProvider, Template};
use ejia::server::state::AppState;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

pub const GOOD_ID: &str = "11010519491231002X";
pub const GOOD_ID_2: &str = "340302199001011237";

/// A fake provider: every send is recorded; queued outcomes are returned first.
#[derive(Default)]
pub struct FakeSms {
    pub sent: Mutex<Vec<Outgoing>>,
    pub script: Mutex<VecDeque<SendOutcome>>,
    pub statuses: Mutex<Vec<(String, DeliveryStatus)>>,
}

#[async_trait]
impl SmsProvider for FakeSms {
    fn name(&self) -> &'static str {
        "fake"
    }
    async fn send(&self, m: &Outgoing) -> SendOutcome {
        let scripted = self.script.lock().unwrap().pop_front();
        match scripted {
            Some(o @ SendOutcome::Sent { .. }) | Some(o @ SendOutcome::Unknown { .. }) => {
                self.sent.lock().unwrap().push(m.clone());
                o
            }
            Some(o) => o,
            None => {
                self.sent.lock().unwrap().push(m.clone());
                SendOutcome::Sent { provider_message_id: format!("fake-{}", m.correlation_id) }
            }
        }
    }
    async fn delivery_status(&self, correlation_id: &str) -> DeliveryStatus {
        self.statuses.lock().unwrap().iter().find(|(c, _)| c == correlation_id).map(|(_, s)| s.clone()).unwrap_or(DeliveryStatus::Unknown)
    }
}

impl FakeSms {
    pub fn messages(&self, to: &str, template: Template) -> Vec<Outgoing> {
        self.sent.lock().unwrap().iter().filter(|m| m.to == to && m.template == template).cloned().collect()
    }
    pub fn last_code(&self, to: &str) -> String {
        self.last_code_of(to, Template::JoinCode)
    }
    /// The code in the last message of this template to `to`.
    pub fn last_code_of(&self, to: &str, template: Template) -> String {
        let m = self.messages(to, template).pop().expect("a code was sent");
        m.params["code"].as_str().unwrap().to_string()
    }
}

pub mod benefit;
pub mod join;
pub mod process;

pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub clock: ManualClock,
    pub sms: Arc<FakeSms>,
    pub http: reqwest::Client,
    pub backend: Backend,
    _tmp: TempDir,
}

pub struct TempDir(pub std::path::PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Wednesday 2026-11-25 10:00 in China: inside office hours on a working day.
pub fn wednesday_10am() -> i64 {
    local_to_unix(Ymd::new(2026, 11, 25).unwrap(), 10, 0)
}

/// The suite of the keys the tests start with: `EJIA_TEST_KEY_ALG=sm4` runs a suite on SM4-GCM
/// and HMAC-SM3 (商用密码), unset or `xchacha` on XChaCha20-Poly1305 and HMAC-SHA256.
pub fn test_key_alg() -> ejia::server::crypto::alg::Alg {
    match std::env::var("EJIA_TEST_KEY_ALG") {
        Ok(v) if !v.trim().is_empty() => ejia::server::crypto::alg::Alg::parse(&v).expect("EJIA_TEST_KEY_ALG is xchacha or sm4"),
        _ => ejia::server::crypto::alg::Alg::XChaCha,
    }
}

/// A fresh key entry of the tests' suite.
pub fn test_key_spec(id: i64) -> String {
    ejia::server::crypto::entry::generate(id, test_key_alg())
}

/// The `n`-th valid mainland ID number under `prefix` (region and birth year and month, 12
/// digits): day `n % 28 + 1`, sequence `100 + n`, and its GB 11643 check character.
pub fn valid_id_number(prefix: &str, n: usize) -> String {
    let body = format!("{prefix}{:02}{:03}", n % 28 + 1, 100 + n);
    let check = ejia::domain::id_number::check_char(body.as_bytes()) as char;
    format!("{body}{check}")
}

pub fn pg_admin_url() -> String {
    std::env::var("EJIA_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A new, empty database: a SQLite file in `tmp`, or a new PostgreSQL database.
pub async fn fresh_database(backend: Backend, tmp: &std::path::Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}/ejia.db?mode=rwc", tmp.display()),
        Backend::Postgres => {
            use sqlx::Connection;
            let admin = pg_admin_url();
            let name = format!("ejia_t_{}", ejia::server::crypto::random_token().to_lowercase().replace(['-', '_'], ""));
            let mut conn = sqlx::PgConnection::connect(&admin).await.expect("PostgreSQL must run on 127.0.0.1:5432 (see README)");
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
            // A test's commits need not wait for the disk: the server is never crashed under
            // them (the fault tests stop the app, or refuse its connections).
            sqlx::query(&format!("ALTER DATABASE {name} SET synchronous_commit = off")).execute(&mut conn).await.unwrap();
            let base = admin.rsplit_once('/').unwrap().0;
            format!("{base}/{name}")
        }
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, Limits::default()).await
}

pub async fn spawn_app_with(backend: Backend, limits: Limits) -> TestApp {
    spawn_instance(backend, limits, None, |_| {}).await
}

/// An app whose configuration the test adjusts (e.g. `production = true`).
pub async fn spawn_app_configured(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
    spawn_instance(backend, Limits::default(), None, adjust).await
}

/// An instance behind one trusted reverse proxy: tests set the client address in X-Forwarded-For.
pub async fn spawn_app_behind_proxy(backend: Backend, limits: Limits) -> TestApp {
    spawn_instance(backend, limits, None, |c| c.trusted_proxy_hops = 1).await
}

/// A second server process on the same database, key, clock time and SMS provider — as a
/// second instance behind a load balancer would be.
pub async fn spawn_second_instance(first: &TestApp) -> TestApp {
    let hops = first.state.config.trusted_proxy_hops;
    spawn_instance(first.backend, first.state.config.limits.clone(), Some(first), move |c| c.trusted_proxy_hops = hops).await
}

/// The app started again on the same database and data directory with another
/// `EJIA_DATA_KEY`, as an operator restarts it after changing the key.
pub async fn restart_with_key(first: &TestApp, spec: &str) -> TestApp {
    let (dir, spec) = (first.state.config.data_dir.clone(), spec.to_string());
    let hops = first.state.config.trusted_proxy_hops;
    spawn_instance(first.backend, first.state.config.limits.clone(), Some(first), move |c| {
        c.data_key = Some(spec);
        c.data_dir = dir;
        c.trusted_proxy_hops = hops;
    })
    .await
}

/// What start-up says with another `EJIA_DATA_KEY` on the same database (nothing is served).
pub async fn start_with_key(first: &TestApp, spec: &str) -> anyhow::Result<AppState> {
    let mut config = (*first.state.config).clone();
    config.data_key = Some(spec.to_string());
    let options = leptos::config::LeptosOptions::builder().output_name("ejia").site_root("target/site").build();
    ejia::site::startup::build_state(config, options, Arc::new(first.clock.clone()), Some(first.sms.clone())).await
}

async fn spawn_instance(backend: Backend, limits: Limits, share: Option<&TestApp>, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let tmp = std::env::temp_dir().join(format!("ejia-test-{}", ejia::server::crypto::random_token()));
    std::fs::create_dir_all(&tmp).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let database_url = match share {
        Some(first) => first.state.config.database_url.clone(),
        None => fresh_database(backend, &tmp).await,
    };
    let mut config = Config {
        production: false,
        database_url,
        public_url: format!("http://{addr}"),
        sms_provider: "fake".into(),
        sms_log: tmp.join("sms.jsonl"),
        data_key: Some(share.and_then(|f| f.state.config.data_key.clone()).unwrap_or_else(|| test_key_spec(1))),
        data_dir: tmp.clone(),
        trusted_proxy_hops: 0,
        limits,
        office_hours: OfficeHours::default(),
        seed_demo: true,
        max_connections: 5,
        ops: Default::default(),
    };
    adjust(&mut config);
    let options = leptos::config::LeptosOptions::builder().output_name("ejia").site_root("target/site").build();
    let clock = share.map(|f| f.clock.clone()).unwrap_or_else(|| ManualClock::new(wednesday_10am()));
    let sms = share.map(|f| f.sms.clone()).unwrap_or_default();
    let state = ejia::site::startup::build_state(config, options, Arc::new(clock.clone()), Some(sms.clone())).await.expect("app state");
    tokio::spawn(ejia::site::router::serve(listener, state.clone()));
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    TestApp { base: format!("http://{addr}"), state, clock, sms, http, backend, _tmp: TempDir(tmp) }
}

/// Runs one test body on SQLite and on PostgreSQL, each on its own fresh database.
#[macro_export]
macro_rules! on_both_databases {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = common::spawn_app(ejia::server::db::Backend::Sqlite).await;
                ($body)(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = common::spawn_app(ejia::server::db::Backend::Postgres).await;
                ($body)(app).await;
            }
        }
    };
}

impl TestApp {
    /// Posts the join form as a browser without JavaScript would.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.http.post(format!("{}{path}", self.base)).header("origin", &self.base).form(fields).send().await.unwrap()
    }

    /// Posts a form as a client at `client_ip` (set in X-Forwarded-For; needs a proxy hop).
    pub async fn post_form_from(&self, client_ip: &str, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header("origin", &self.base)
            .header("x-forwarded-for", client_ip)
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.base)).send().await.unwrap()
    }

    /// Delivers what the outbox holds now.
    pub async fn deliver(&self) -> usize {
        self.state.dispatcher("test").tick().await.unwrap()
    }

    /// Asks for a code for `phone` and returns it, as read from the (fake) SMS.
    pub async fn code_for(&self, phone: &str) -> String {
        let res = self.post_form("/join", &[("phone", phone), ("intent", "send_code")]).await;
        assert_eq!(res.status(), 200, "sending a code to {phone}");
        self.deliver().await;
        self.sms.last_code(phone)
    }

    pub async fn union_id(&self, code: &str) -> i64 {
        ejia::org::repo::by_code(&self.state.db.pool, code).await.unwrap().unwrap().id
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.state.db.pool).await.unwrap()
    }

    /// A complete application without JavaScript; returns the response to the final post.
    pub async fn apply(&self, id: &str, phone: &str, workplace: &str) -> reqwest::Response {
        let code = self.code_for(phone).await;
        self.post_form(
            "/join",
            &[
                ("name", "张三"),
                ("id_number", id),
                ("phone", phone),
                ("code", &code),
                ("workplace", workplace),
                ("consent", "yes"),
                ("submission", &ejia::server::crypto::random_token()),
                ("intent", "submit"),
            ],
        )
        .await
    }
}

impl TestApp {
    /// Creates an admin directly (as `ejia admin add` would); password = username + "-password".
    pub async fn admin(&self, org_code: &str, roles: &str, username: &str) -> i64 {
        use ejia::admin::{repo, Role};
        let org = self.union_id(org_code).await;
        let hash = ejia::admin::auth::hash_password(&format!("{username}-password")).unwrap();
        let roles = Role::parse_list(roles).unwrap();
        let mut tx = self.state.db.begin_write().await.unwrap();
        let id = repo::insert(
            &mut tx,
            repo::NewAdmin {
                username,
                display_name: username,
                org_id: org,
                roles: &roles,
                password_hash: &hash,
                phone: None,
                created_by: None,
            },
            self.clock.now_for_test(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        id
    }

    /// Signs in through the login form; returns the Cookie header value.
    pub async fn login(&self, username: &str) -> String {
        let res = self
            .post_form("/admin/login", &[("username", username), ("password", &format!("{username}-password")), ("next", "/admin")])
            .await;
        assert_eq!(res.status(), 303, "{username} signs in");
        let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
        cookie.split(';').next().unwrap().to_string()
    }

    pub async fn get_as(&self, cookie: &str, path: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.base)).header("cookie", cookie).send().await.unwrap()
    }

    pub async fn post_as(&self, cookie: &str, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .header("origin", &self.base)
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// A POST of a body already encoded (multipart, say) as the holder of `cookie`.
    pub async fn post_body_as(&self, cookie: &str, path: &str, content_type: String, body: Vec<u8>) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .header("origin", &self.base)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// Every column of every table: (table, column, declared type in lower case).
    pub async fn columns(&self) -> Vec<(String, String, String)> {
        use sqlx::Row;
        let pool = &self.state.db.pool;
        match self.backend {
            Backend::Sqlite => {
                let tables: Vec<String> =
                    sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
                        .fetch_all(pool)
                        .await
                        .unwrap();
                let mut out = Vec::new();
                for t in tables {
                    for row in sqlx::query(&format!("SELECT name, type FROM pragma_table_info('{t}')")).fetch_all(pool).await.unwrap() {
                        out.push((t.clone(), row.get::<String, _>(0), row.get::<String, _>(1).to_lowercase()));
                    }
                }
                out
            }
            Backend::Postgres => sqlx::query_as(
                "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns WHERE table_schema = 'public'",
            )
            .fetch_all(pool)
            .await
            .unwrap(),
        }
    }

    /// A pending application at the union with this code; returns its id.
    pub async fn application_at(&self, org_code: &str, id_number: &str, phone: &str) -> i64 {
        let union = self.union_id(org_code).await.to_string();
        let res = self.apply(id_number, phone, &union).await;
        assert_eq!(res.status(), 303);
        sqlx::query_scalar("SELECT id FROM applications ORDER BY id DESC LIMIT 1").fetch_one(&self.state.db.pool).await.unwrap()
    }

    pub async fn set_phone(&self, username: &str, phone: &str) {
        sqlx::query("UPDATE admins SET phone = $1 WHERE username = $2")
            .bind(phone)
            .bind(username)
            .execute(&self.state.db.pool)
            .await
            .unwrap();
    }

    pub async fn status_of(&self, application: i64) -> String {
        sqlx::query_scalar("SELECT status FROM applications WHERE id = $1").bind(application).fetch_one(&self.state.db.pool).await.unwrap()
    }
}

// member
impl TestApp {
    /// A member: an application at the union with this code, approved by a reviewer of the
    /// city; returns the member's id.
    pub async fn approved_member(&self, org_code: &str, id_number: &str, phone: &str) -> i64 {
        let application = self.application_at(org_code, id_number, phone).await;
        if self.count("SELECT COUNT(*) FROM admins WHERE username = 'member_approver'").await == 0 {
            self.admin("340300", "reviewer", "member_approver").await;
        }
        let cookie = self.login("member_approver").await;
        let res = self.post_as(&cookie, &format!("/admin/a/{application}/decide"), &[("action", "approve")]).await;
        assert_eq!(res.status(), 303, "approving application {application}");
        sqlx::query_scalar("SELECT id FROM members WHERE application_id = $1")
            .bind(application)
            .fetch_one(&self.state.db.pool)
            .await
            .unwrap()
    }

    /// Asks for a sign-in code for `phone` as a browser without JavaScript would; returns the
    /// code as read from the (fake) SMS, if one was sent.
    pub async fn sign_in_code(&self, phone: &str) -> Option<String> {
        let before = self.sms.messages(phone, Template::SignInCode).len();
        let res = self.post_form("/me/login", &[("phone", phone), ("intent", "send_code")]).await;
        assert_eq!(res.status(), 200, "asking a sign-in code for {phone}");
        self.deliver().await;
        let sent = self.sms.messages(phone, Template::SignInCode);
        (sent.len() > before).then(|| sent.last().unwrap().params["code"].as_str().unwrap().to_string())
    }

    /// Signs the member with this phone in through the real SMS-code flow; returns the Cookie
    /// header value of the member session.
    pub async fn member_session(&self, phone: &str) -> String {
        // One code a minute per phone, whatever it is for: the clock moves past the join code.
        let recent = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM sms_codes WHERE phone = $1 AND created_at > $2")
            .bind(phone)
            .bind(self.clock.now_for_test() - 60)
            .fetch_one(&self.state.db.pool)
            .await
            .unwrap();
        if recent > 0 {
            self.clock.advance(61);
        }
        let code = self.sign_in_code(phone).await.expect("a member's number gets a code");
        let res = self.post_form("/me/login", &[("phone", phone), ("code", &code), ("intent", "sign_in"), ("next", "/me")]).await;
        assert_eq!(res.status(), 303, "{phone} signs in");
        let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
        cookie.split(';').next().unwrap().to_string()
    }
}
