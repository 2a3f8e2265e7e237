//! Configuration from the environment, read once at start. Defaults give the embedded set-up:
//! a SQLite file under `data/`, the log-only SMS provider and a generated development key.
use super::telemetry::LogFormat;
use crate::calendar::OfficeHours;
use anyhow::bail;
use std::net::IpAddr;
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct Limits {
    /// Codes per phone in a minute, an hour and a day (the providers' defaults).
    pub phone_per_minute: i64,
    pub phone_per_hour: i64,
    pub phone_per_day: i64,
    /// Codes per client IP in an hour before a picture check is asked.
    pub ip_per_hour: i64,
    /// Codes per client IP in an hour even with picture checks solved.
    pub ip_hard_per_hour: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { phone_per_minute: 1, phone_per_hour: 5, phone_per_day: 10, ip_per_hour: 30, ip_hard_per_hour: 300 }
    }
}

/// Running it: who may read `/metrics`, when `/readyz` says not ready, the log format and how
/// long a stop waits for requests in flight.
#[derive(Clone, Debug)]
pub struct Ops {
    /// Client addresses (or networks, `10.0.0.0/8`) that may read `/metrics`.
    pub metrics_allow: Vec<AddrRange>,
    /// `/readyz` fails when more outbox messages than this are not yet final…
    pub ready_max_backlog: i64,
    /// …or when the oldest of them is older than this.
    pub ready_max_outbox_age_secs: i64,
    pub log_format: LogFormat,
    /// After SIGTERM, how long requests in flight may take before the process ends anyway.
    pub shutdown_grace_secs: u64,
}

impl Default for Ops {
    fn default() -> Self {
        Ops {
            metrics_allow: vec![AddrRange::parse("127.0.0.1/8").expect("valid"), AddrRange::parse("::1").expect("valid")],
            ready_max_backlog: 500,
            ready_max_outbox_age_secs: 300,
            log_format: LogFormat::Text,
            shutdown_grace_secs: 20,
        }
    }
}

/// An address or a network (`address/prefix`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddrRange {
    net: IpAddr,
    prefix: u8,
}

impl AddrRange {
    pub fn parse(v: &str) -> Option<AddrRange> {
        let (addr, prefix) = match v.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (v.trim(), None),
        };
        let net: IpAddr = addr.parse().ok()?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(AddrRange { net, prefix })
    }

    pub fn contains(&self, ip: &IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(*ip),
            v4 => *v4,
        };
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - self.prefix as u32).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - self.prefix as u32).unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub production: bool,
    pub database_url: String,
    pub public_url: String,
    pub sms_provider: String,
    pub sms_log: PathBuf,
    /// `id:base64` / `id:sm4:base64` entries, the first one active; see `crypto::Keyring`.
    pub data_key: Option<String>,
    pub data_dir: PathBuf,
    /// How many reverse proxies in front of us append to X-Forwarded-For (0: none, use the peer).
    pub trusted_proxy_hops: usize,
    pub limits: Limits,
    pub office_hours: OfficeHours,
    pub seed_demo: bool,
    pub max_connections: u32,
    pub ops: Ops,
}

/// The environment being read, and the wrong values found in it, each named with what was
/// expected; start-up reports them all at once.
struct Env<'a> {
    get: &'a dyn Fn(&str) -> Option<String>,
    problems: Vec<String>,
}

impl Env<'_> {
    fn var(&self, name: &str) -> Option<String> {
        (self.get)(name).filter(|v| !v.trim().is_empty())
    }

    /// A number (or other `FromStr` value) in `range`, or the default when the variable is unset.
    fn number<T>(&mut self, name: &str, default: T, range: std::ops::RangeInclusive<T>) -> T
    where
        T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
    {
        match self.var(name) {
            None => default,
            Some(v) => match v.trim().parse::<T>() {
                Ok(n) if range.contains(&n) => n,
                _ => {
                    self.problems.push(format!("{name}={v}: expected a whole number from {} to {}", range.start(), range.end()));
                    default
                }
            },
        }
    }

    fn flag(&mut self, name: &str, default: bool) -> bool {
        match self.var(name).map(|v| v.trim().to_ascii_lowercase()) {
            None => default,
            Some(v) if ["true", "1", "yes"].contains(&v.as_str()) => true,
            Some(v) if ["false", "0", "no"].contains(&v.as_str()) => false,
            Some(v) => {
                self.problems.push(format!("{name}={v}: expected true or false"));
                default
            }
        }
    }
}

impl Config {
    pub fn from_env() -> anyhow::Result<Config> {
        Config::from_lookup(&|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `get` (the environment, or a test's map).
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Config> {
        let mut p = Env { get, problems: Vec::new() };
        let production = match p.var("EJIA_ENV").map(|v| v.trim().to_ascii_lowercase()) {
            None => false,
            Some(v) if v == "production" => true,
            Some(v) if v == "development" => false,
            Some(v) => {
                p.problems.push(format!("EJIA_ENV={v}: expected production or development"));
                false
            }
        };
        let data_dir = PathBuf::from(p.var("EJIA_DATA_DIR").unwrap_or_else(|| "data".into()));
        let database_url = p.var("DATABASE_URL").unwrap_or_else(|| format!("sqlite://{}/ejia.db?mode=rwc", data_dir.display()));
        if !["sqlite:", "postgres://", "postgresql://"].iter().any(|s| database_url.starts_with(s)) {
            p.problems.push(format!(
                "DATABASE_URL={}: expected sqlite://<file>?mode=rwc or postgres://user@host:port/database",
                super::db::redact(&database_url)
            ));
        }
        let site = p.var("LEPTOS_SITE_ADDR").unwrap_or_else(|| "127.0.0.1:3000".into());
        if site.parse::<std::net::SocketAddr>().is_err() {
            p.problems.push(format!("LEPTOS_SITE_ADDR={site}: expected an address and port to listen on, e.g. 0.0.0.0:3000"));
        }
        let public_url = p.var("EJIA_PUBLIC_URL").unwrap_or_else(|| format!("http://{site}"));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) || public_url.contains(char::is_whitespace) {
            p.problems.push(format!("EJIA_PUBLIC_URL={public_url}: expected the address users reach, e.g. https://ejia.example.cn"));
        }
        let sms_provider = p.var("EJIA_SMS_PROVIDER").unwrap_or_else(|| "log".into());
        if !["log", "aliyun", "tencent"].contains(&sms_provider.as_str()) {
            p.problems.push(format!("EJIA_SMS_PROVIDER={sms_provider}: expected log, aliyun or tencent"));
        }
        let sms_log = PathBuf::from(p.var("EJIA_SMS_LOG").unwrap_or_else(|| format!("{}/sms.jsonl", data_dir.display())));
        let data_key = p.var("EJIA_DATA_KEY");
        if let Some(spec) = &data_key {
            if let Err(e) = super::crypto::Keyring::parse(spec) {
                // The key itself is never echoed.
                let said = format!("{e:#}");
                p.problems.push(if said.starts_with("EJIA_DATA_KEY") { said } else { format!("EJIA_DATA_KEY: {said}") });
            }
        }
        let defaults = Limits::default();
        let limits = Limits {
            phone_per_minute: p.number("EJIA_LIMIT_PHONE_MINUTE", defaults.phone_per_minute, 1..=1_000_000),
            phone_per_hour: p.number("EJIA_LIMIT_PHONE_HOUR", defaults.phone_per_hour, 1..=1_000_000),
            phone_per_day: p.number("EJIA_LIMIT_PHONE_DAY", defaults.phone_per_day, 1..=1_000_000),
            ip_per_hour: p.number("EJIA_LIMIT_IP_HOUR", defaults.ip_per_hour, 1..=10_000_000),
            ip_hard_per_hour: p.number("EJIA_LIMIT_IP_HARD_HOUR", defaults.ip_hard_per_hour, 1..=10_000_000),
        };
        let office_hours = match p.var("EJIA_OFFICE_HOURS") {
            None => OfficeHours::default(),
            Some(v) => OfficeHours::parse(&v).unwrap_or_else(|| {
                p.problems.push(format!("EJIA_OFFICE_HOURS={v}: expected HH:MM-HH:MM, e.g. 08:30-17:30"));
                OfficeHours::default()
            }),
        };
        let ops_defaults = Ops::default();
        let metrics_allow = match p.var("EJIA_METRICS_ALLOW") {
            None => ops_defaults.metrics_allow.clone(),
            Some(v) => {
                let parsed: Vec<Option<AddrRange>> = v.split(',').map(AddrRange::parse).collect();
                if parsed.iter().any(Option::is_none) {
                    p.problems.push(format!(
                        "EJIA_METRICS_ALLOW={v}: expected addresses or networks separated by commas, e.g. 127.0.0.1,10.0.0.0/8"
                    ));
                }
                parsed.into_iter().flatten().collect()
            }
        };
        let log_format = match p.var("EJIA_LOG_FORMAT") {
            None => LogFormat::Text,
            Some(v) => LogFormat::parse(&v).unwrap_or_else(|| {
                p.problems.push(format!("EJIA_LOG_FORMAT={v}: expected text or json"));
                LogFormat::Text
            }),
        };
        let ops = Ops {
            metrics_allow,
            ready_max_backlog: p.number("EJIA_READY_MAX_BACKLOG", ops_defaults.ready_max_backlog, 1..=100_000_000),
            ready_max_outbox_age_secs: p.number("EJIA_READY_MAX_OUTBOX_AGE", ops_defaults.ready_max_outbox_age_secs, 1..=31_536_000),
            log_format,
            shutdown_grace_secs: p.number("EJIA_SHUTDOWN_GRACE", ops_defaults.shutdown_grace_secs, 0..=3600),
        };
        let config = Config {
            production,
            database_url,
            public_url: public_url.trim_end_matches('/').to_string(),
            sms_provider,
            sms_log,
            data_key,
            data_dir,
            trusted_proxy_hops: p.number("EJIA_TRUSTED_PROXY_HOPS", 0, 0..=10),
            limits,
            office_hours,
            seed_demo: p.flag("EJIA_SEED_DEMO", !production),
            max_connections: p.number("EJIA_DB_MAX_CONNECTIONS", default_max_connections(), 1..=1000),
            ops,
        };
        if let Err(e) = config.check() {
            p.problems.push(e.to_string());
        }
        if !p.problems.is_empty() {
            bail!("the configuration has {} wrong value(s):\n  - {}", p.problems.len(), p.problems.join("\n  - "));
        }
        Ok(config)
    }

    /// Production refuses to start on the development conveniences — and so does a deployment
    /// that forgot to say it is one (served over https without `EJIA_ENV=production`).
    pub fn check(&self) -> anyhow::Result<()> {
        if !self.production && self.public_url.starts_with("https://") && (self.data_key.is_none() || self.sms_provider == "log") {
            bail!(
                "EJIA_PUBLIC_URL is https (a deployment) but EJIA_ENV is not production: set EJIA_ENV=production, EJIA_DATA_KEY and EJIA_SMS_PROVIDER (the generated development key and the log SMS provider are for a development machine only)"
            );
        }
        if self.production {
            if self.data_key.is_none() {
                bail!("EJIA_ENV=production needs EJIA_DATA_KEY (the key for personal data)");
            }
            if self.sms_provider == "log" {
                bail!("EJIA_ENV=production cannot use the log SMS provider: set EJIA_SMS_PROVIDER");
            }
        }
        Ok(())
    }
}

/// The database pool's default size: four connections a core (eight on two cores), from 4 to
/// 32. More than the cores can serve only queue inside the database: on two cores 16
/// connections joined 10–20 % slower than 8 (`scripts/bench.sh`).
pub fn default_max_connections() -> u32 {
    let cores = std::thread::available_parallelism().map(|n| n.get() as u32).unwrap_or(2);
    (4 * cores).clamp(4, 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev() -> Config {
        Config {
            production: false,
            database_url: "sqlite://data/ejia.db?mode=rwc".into(),
            public_url: "http://127.0.0.1:3000".into(),
            sms_provider: "log".into(),
            sms_log: "data/sms.jsonl".into(),
            data_key: None,
            data_dir: "data".into(),
            trusted_proxy_hops: 0,
            limits: Limits::default(),
            office_hours: OfficeHours::default(),
            seed_demo: true,
            max_connections: 4,
            ops: Ops::default(),
        }
    }

    #[test]
    fn production_refuses_dev_conveniences() {
        assert!(dev().check().is_ok());
        let prod = Config { production: true, ..dev() };
        assert!(prod.check().unwrap_err().to_string().contains("EJIA_DATA_KEY"));
        let prod = Config { production: true, data_key: Some("1:x".into()), ..dev() };
        assert!(prod.check().unwrap_err().to_string().contains("log SMS provider"));
        let prod = Config { production: true, data_key: Some("1:x".into()), sms_provider: "aliyun".into(), ..dev() };
        assert!(prod.check().is_ok());
    }

    #[test]
    fn an_https_deployment_without_production_refuses_dev_conveniences() {
        let deployed = Config { public_url: "https://ejia.example".into(), ..dev() };
        assert!(deployed.check().unwrap_err().to_string().contains("EJIA_ENV=production"));
        let with_log = Config { data_key: Some("1:x".into()), ..deployed.clone() };
        assert!(with_log.check().is_err(), "the log provider on https");
        let proper = Config { data_key: Some("1:x".into()), sms_provider: "aliyun".into(), ..deployed };
        assert!(proper.check().is_ok());
    }

    fn from(pairs: &[(&str, &str)]) -> anyhow::Result<Config> {
        let map: std::collections::HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(&|name| map.get(name).cloned())
    }

    #[test]
    fn every_wrong_value_is_named_with_what_was_expected() {
        let err = from(&[
            ("EJIA_ENV", "prod"),
            ("DATABASE_URL", "mysql://root:secret@db/ejia"),
            ("EJIA_LIMIT_PHONE_HOUR", "five"),
            ("EJIA_DB_MAX_CONNECTIONS", "0"),
            ("EJIA_OFFICE_HOURS", "9-5"),
            ("EJIA_METRICS_ALLOW", "127.0.0.1,10.0.0.0/33"),
            ("EJIA_LOG_FORMAT", "xml"),
            ("EJIA_SMS_PROVIDER", "carrier-pigeon"),
            ("EJIA_SEED_DEMO", "maybe"),
            ("EJIA_DATA_KEY", "1:c2VjcmV0"),
            ("LEPTOS_SITE_ADDR", "localhost"),
        ])
        .unwrap_err()
        .to_string();
        for expected in [
            "11 wrong value",
            "EJIA_ENV=prod: expected production or development",
            "DATABASE_URL=",
            "EJIA_LIMIT_PHONE_HOUR=five: expected a whole number from 1 to 1000000",
            "EJIA_DB_MAX_CONNECTIONS=0: expected a whole number from 1 to 1000",
            "EJIA_OFFICE_HOURS=9-5: expected HH:MM-HH:MM",
            "EJIA_METRICS_ALLOW=127.0.0.1,10.0.0.0/33: expected addresses or networks",
            "EJIA_LOG_FORMAT=xml: expected text or json",
            "EJIA_SMS_PROVIDER=carrier-pigeon: expected log, aliyun or tencent",
            "EJIA_SEED_DEMO=maybe: expected true or false",
            "EJIA_DATA_KEY: key 1 (xchacha20poly1305) holds 6 bytes; expected 32",
            "LEPTOS_SITE_ADDR=localhost: expected an address and port",
        ] {
            assert!(err.contains(expected), "{expected:?} in:\n{err}");
        }
        assert!(!err.contains("secret") && !err.contains("c2VjcmV0"), "no password or key is echoed:\n{err}");
    }

    #[test]
    fn the_defaults_are_the_embedded_set_up() {
        let c = from(&[]).unwrap();
        assert!(c.database_url.starts_with("sqlite://data/ejia.db") && c.sms_provider == "log" && c.seed_demo);
        assert_eq!(c.ops.shutdown_grace_secs, 20);
        assert!(c.ops.metrics_allow.iter().any(|r| r.contains(&"127.0.0.1".parse().unwrap())));
        assert!(!c.ops.metrics_allow.iter().any(|r| r.contains(&"203.0.113.9".parse().unwrap())));
    }

    #[test]
    fn address_ranges() {
        let net = AddrRange::parse("10.1.0.0/16").unwrap();
        assert!(net.contains(&"10.1.200.3".parse().unwrap()));
        assert!(!net.contains(&"10.2.0.1".parse().unwrap()));
        assert!(net.contains(&"::ffff:10.1.0.9".parse().unwrap()), "an IPv4-mapped address is its IPv4");
        assert!(AddrRange::parse("::1").unwrap().contains(&"::1".parse().unwrap()));
        assert!(AddrRange::parse("0.0.0.0/0").unwrap().contains(&"8.8.8.8".parse().unwrap()));
        assert_eq!(AddrRange::parse("10.0.0.0/33"), None);
        assert_eq!(AddrRange::parse("nonsense"), None);
    }
}
