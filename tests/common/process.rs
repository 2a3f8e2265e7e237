//! The real `ejia` binary as an operator runs it, and drivers joining it over HTTP: for the
//! tests that kill, stop and restart processes, or put a proxy in front of them.
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A valid mainland ID number (GB 11643 check digit) for driver `n` (0..900).
pub fn id_number(n: usize) -> String {
    super::valid_id_number("110105198003", n)
}

pub fn phone(n: usize) -> String {
    format!("1370000{:04}", n)
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub struct Instance {
    pub child: Child,
    pub base: String,
}

/// Starts the binary on `port` over the SQLite file in `dir` (the key and the SMS log there too).
pub fn start(dir: &Path, port: u16, key: &str) -> Instance {
    start_with(dir, port, key, &[])
}

/// `start`, with more settings (e.g. `RUST_LOG`) over the defaults.
pub fn start_with(dir: &Path, port: u16, key: &str, settings: &[(&str, &str)]) -> Instance {
    let child = Command::new(env!("CARGO_BIN_EXE_ejia"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_OUTPUT_NAME", "ejia")
        .env("EJIA_DATA_DIR", dir)
        .env("EJIA_DATA_KEY", key)
        .env("EJIA_SMS_LOG", dir.join("sms.jsonl"))
        .env("EJIA_LIMIT_IP_HOUR", "100000")
        .env("EJIA_LIMIT_IP_HARD_HOUR", "100000")
        .env("EJIA_LOG_FORMAT", "json")
        .env("RUST_LOG", "warn")
        .envs(settings.iter().copied())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join(format!("log-{port}.jsonl"))).unwrap())
        .spawn()
        .expect("the ejia binary starts");
    Instance { child, base: format!("http://127.0.0.1:{port}") }
}

pub async fn wait_ready(base: &str) {
    let http = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await {
            if r.status() == 200 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{base} did not become ready");
}

/// The SMS log's lines: (to, template, code, correlation id).
pub fn sms_lines(dir: &Path) -> Vec<(String, String, String, String)> {
    let text = std::fs::read_to_string(dir.join("sms.jsonl")).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            (s("to"), s("template"), s("code"), s("correlation_id"))
        })
        .collect()
}

pub async fn code_for(dir: &Path, phone: &str) -> Option<String> {
    for _ in 0..200 {
        if let Some(line) = sms_lines(dir).into_iter().rev().find(|l| l.0 == phone && l.1 == "join_code") {
            return Some(line.2);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

pub enum Outcome {
    /// The status page's address came back: the application is acknowledged.
    Acknowledged(String),
    /// No answer (the process died under it).
    Lost,
}

/// One driver's whole join: ask for a code, read it, submit with a fixed submission key.
pub async fn join(http: &reqwest::Client, base: &str, dir: &Path, n: usize, workplace: &str, key: &str) -> Outcome {
    join_from(http, base, dir, n, workplace, key, None).await
}

/// `join`, with an X-Forwarded-For header the client writes itself (a lie a proxy must not pass on).
pub async fn join_from(
    http: &reqwest::Client,
    base: &str,
    dir: &Path,
    n: usize,
    workplace: &str,
    key: &str,
    forwarded: Option<&str>,
) -> Outcome {
    let form = |fields: &[(&str, &str)]| {
        let req = http.post(format!("{base}/join")).header("origin", base);
        let req = match forwarded {
            Some(f) => req.header("x-forwarded-for", f),
            None => req,
        };
        req.form(&fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>()).send()
    };
    let phone = phone(n);
    match form(&[("phone", &phone), ("intent", "send_code")]).await {
        Ok(r) if r.status() == 200 => {}
        _ => return Outcome::Lost,
    }
    let Some(code) = code_for(dir, &phone).await else { return Outcome::Lost };
    let id = id_number(n);
    let fields = [
        ("name", "王师傅"),
        ("id_number", id.as_str()),
        ("phone", phone.as_str()),
        ("code", code.as_str()),
        ("workplace", workplace),
        ("consent", "yes"),
        ("submission", key),
        ("intent", "submit"),
    ];
    match form(&fields).await {
        Ok(r) if r.status() == 303 => Outcome::Acknowledged(r.headers()["location"].to_str().unwrap().to_string()),
        Ok(r) => panic!("driver {n}: {} {}", r.status(), r.text().await.unwrap_or_default().chars().take(300).collect::<String>()),
        Err(_) => Outcome::Lost,
    }
}
