//! SMS: the message templates (chosen only by the server), the provider interface every
//! adapter implements, and the providers. Delivery goes through `server::outbox`, never direct.
pub mod log;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// What a message says. The texts live here, on the server; clients never choose templates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Template {
    /// A one-time code for joining. Params: `code`.
    JoinCode,
    /// The application was received. Params: `name`, `due`, `link`.
    Received,
    /// Someone tried to apply again with an ID that has an open application. Params: `link`.
    StatusLinkAgain,
}

impl Template {
    pub fn as_str(self) -> &'static str {
        match self {
            Template::JoinCode => "join_code",
            Template::Received => "received",
            Template::StatusLinkAgain => "status_link_again",
        }
    }

    pub fn from_str(s: &str) -> Option<Template> {
        [Template::JoinCode, Template::Received, Template::StatusLinkAgain].into_iter().find(|t| t.as_str() == s)
    }

    /// The full text, as a provider's approved template would render it.
    pub fn render(self, params: &serde_json::Value) -> String {
        let p = |k: &str| params.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
        match self {
            Template::JoinCode => format!("【工会E家】您的入会验证码为{}，5分钟内有效。如非本人操作，请忽略本短信。", p("code")),
            Template::Received => format!(
                "【工会E家】{}，您的入会申请已收到，将于{}前完成审核，结果短信通知。查询进度：{}",
                p("name"),
                p("due"),
                p("link")
            ),
            Template::StatusLinkAgain => format!("【工会E家】您已有一份入会申请，无需重复提交。查询进度：{}", p("link")),
        }
    }
}

/// One message as handed to a provider.
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub correlation_id: String,
    pub to: String,
    pub template: Template,
    pub params: serde_json::Value,
}

/// What a provider said about one send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    Sent { provider_message_id: String },
    /// The provider's own limit: reschedule after the given seconds, never retry at once.
    RateLimited { retry_after_secs: i64, detail: String },
    /// Refused or failed before sending: safe to try again later.
    Failed { detail: String },
    /// We cannot tell whether it went out (timeout, broken connection): reconcile, never resend blindly.
    Unknown { detail: String },
}

/// What the provider's delivery records say about a correlation id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    Delivered { provider_message_id: String },
    /// The provider has no such message: it never went out.
    NotFound,
    Unknown,
}

#[async_trait]
pub trait SmsProvider: Send + Sync {
    fn name(&self) -> &'static str;
    async fn send(&self, message: &Outgoing) -> SendOutcome;
    async fn delivery_status(&self, correlation_id: &str) -> DeliveryStatus;
}

/// Builds the configured provider.
pub fn from_config(config: &crate::server::config::Config) -> anyhow::Result<std::sync::Arc<dyn SmsProvider>> {
    match config.sms_provider.as_str() {
        "log" => Ok(std::sync::Arc::new(log::LogProvider::new(config.sms_log.clone()))),
        other => anyhow::bail!("EJIA_SMS_PROVIDER={other} is not known (available: log)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_render_and_round_trip() {
        let text = Template::JoinCode.render(&serde_json::json!({"code": "123456"}));
        assert!(text.contains("123456") && text.starts_with("【工会E家】"));
        for t in [Template::JoinCode, Template::Received, Template::StatusLinkAgain] {
            assert_eq!(Template::from_str(t.as_str()), Some(t));
        }
    }
}
