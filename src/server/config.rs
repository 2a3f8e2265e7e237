//! Configuration from the environment, read once at start. Defaults give the embedded set-up:
//! a SQLite file under `data/`, the log-only SMS provider and a generated development key.
use crate::calendar::OfficeHours;
use anyhow::{bail, Context};
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
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse_var<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T> {
    match var(name) {
        None => Ok(default),
        Some(v) => v.trim().parse().ok().with_context(|| format!("{name}={v} is not a valid value")),
    }
}

impl Config {
    pub fn from_env() -> anyhow::Result<Config> {
        let production = var("EJIA_ENV").as_deref() == Some("production");
        let data_dir = PathBuf::from(var("EJIA_DATA_DIR").unwrap_or_else(|| "data".into()));
        let database_url = var("DATABASE_URL").unwrap_or_else(|| format!("sqlite://{}/ejia.db?mode=rwc", data_dir.display()));
        let site = var("LEPTOS_SITE_ADDR").unwrap_or_else(|| "127.0.0.1:3000".into());
        let public_url = var("EJIA_PUBLIC_URL").unwrap_or_else(|| format!("http://{site}"));
        let sms_provider = var("EJIA_SMS_PROVIDER").unwrap_or_else(|| "log".into());
        let sms_log = PathBuf::from(var("EJIA_SMS_LOG").unwrap_or_else(|| format!("{}/sms.jsonl", data_dir.display())));
        let defaults = Limits::default();
        let limits = Limits {
            phone_per_minute: parse_var("EJIA_LIMIT_PHONE_MINUTE", defaults.phone_per_minute)?,
            phone_per_hour: parse_var("EJIA_LIMIT_PHONE_HOUR", defaults.phone_per_hour)?,
            phone_per_day: parse_var("EJIA_LIMIT_PHONE_DAY", defaults.phone_per_day)?,
            ip_per_hour: parse_var("EJIA_LIMIT_IP_HOUR", defaults.ip_per_hour)?,
            ip_hard_per_hour: parse_var("EJIA_LIMIT_IP_HARD_HOUR", defaults.ip_hard_per_hour)?,
        };
        let office_hours = match var("EJIA_OFFICE_HOURS") {
            None => OfficeHours::default(),
            Some(v) => OfficeHours::parse(&v).with_context(|| format!("EJIA_OFFICE_HOURS={v}: expected HH:MM-HH:MM"))?,
        };
        let config = Config {
            production,
            database_url,
            public_url: public_url.trim_end_matches('/').to_string(),
            sms_provider,
            sms_log,
            data_key: var("EJIA_DATA_KEY"),
            data_dir,
            trusted_proxy_hops: parse_var("EJIA_TRUSTED_PROXY_HOPS", 0)?,
            limits,
            office_hours,
            seed_demo: parse_var("EJIA_SEED_DEMO", !production)?,
            max_connections: parse_var("EJIA_DB_MAX_CONNECTIONS", 16)?,
        };
        config.check()?;
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
}
