//! The development provider: every message becomes one JSON line in a file (`to`, `text`,
//! `template`, `correlation_id`, and `code` for codes), which people and tests read.
use super::{DeliveryStatus, Outgoing, SendOutcome, SmsProvider, Template};
use async_trait::async_trait;
use std::path::PathBuf;
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

pub struct LogProvider {
    path: PathBuf,
    lock: Mutex<()>,
}

impl LogProvider {
    pub fn new(path: PathBuf) -> LogProvider {
        LogProvider { path, lock: Mutex::new(()) }
    }
}

#[async_trait]
impl SmsProvider for LogProvider {
    fn name(&self) -> &'static str {
        "log"
    }

    async fn send(&self, message: &Outgoing) -> SendOutcome {
        let mut line = serde_json::json!({
            "at": crate::server::db::now_unix(),
            "to": message.to,
            "template": message.template.as_str(),
            "text": message.template.render(&message.params),
            "correlation_id": message.correlation_id,
        });
        if matches!(message.template, Template::JoinCode | Template::SignInCode | Template::PhoneChangeCode) {
            line["code"] = message.params["code"].clone();
        }
        let _guard = self.lock.lock().await;
        let result = async {
            if let Some(dir) = self.path.parent() {
                tokio::fs::create_dir_all(dir).await?;
            }
            let mut file = tokio::fs::OpenOptions::new().create(true).append(true).open(&self.path).await?;
            file.write_all(format!("{line}\n").as_bytes()).await?;
            file.flush().await
        }
        .await;
        match result {
            Ok(()) => SendOutcome::Sent { provider_message_id: format!("log-{}", message.correlation_id) },
            Err(e) => SendOutcome::Failed { detail: format!("writing the SMS log: {e}") },
        }
    }

    async fn delivery_status(&self, correlation_id: &str) -> DeliveryStatus {
        let _guard = self.lock.lock().await;
        match tokio::fs::read_to_string(&self.path).await {
            Ok(text) if text.contains(&format!("\"correlation_id\":\"{correlation_id}\"")) => {
                DeliveryStatus::Delivered { provider_message_id: format!("log-{correlation_id}") }
            }
            Ok(_) => DeliveryStatus::NotFound,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => DeliveryStatus::NotFound,
            Err(_) => DeliveryStatus::Unknown,
        }
    }
}
