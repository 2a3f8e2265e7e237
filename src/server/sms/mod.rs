//! SMS: the message templates (chosen only by the server), the provider interface every
//! adapter implements, and the providers. Delivery goes through `server::outbox`, never direct.
pub mod aliyun;
pub mod log;
pub mod signing;
pub mod tencent;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A provider credential: printed as `<redacted>`, so settings can derive `Debug` safely.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret(s.to_string())
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Secret {
        Secret(s)
    }
}

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
    /// The application was approved. Params: `name`, `member_no`, `link`.
    Approved,
    /// The application was not approved. Params: `name`, `reason`, `link`.
    Rejected,
    /// The application was returned for correction (退回补充). Params: `name`, `reason`, `link`.
    Returned,
    /// To reviewers: applications waiting for them. Params: `count`, `due`.
    Reminder,
    /// To a parent union's managers: overdue applications at a union (督办). Params: `count`, `org`.
    Escalation,
    /// To a receiving union's reviewers and managers: membership transfers waiting for them
    /// (sent when one is proposed, and as the reminder). Params: `count`, `due`.
    TransferWaiting,
    /// To a parent union's managers: transfers a union left unanswered (督办). Params: `count`, `org`.
    TransferEscalation,
    /// To the member and both unions: a transfer took effect. Params: `name`, `member_no`, `from`, `to`.
    TransferDone,
    /// To the member and the sending union: the receiving union declined. Params: `name`,
    /// `member_no`, `to`, `reason`.
    TransferDeclined,
    /// To a union's reviewers: a leader chased an overdue application by hand (督办). Params:
    /// `by` (the chasing union), `org` (the reviewing union).
    Chase,
    // member
    /// A one-time code for a member signing in. Params: `code`.
    SignInCode,
    /// A one-time code sent to a member's new phone number. Params: `code`.
    PhoneChangeCode,
    // benefits
    /// To a new member: a welcome pack was granted. Params: `title`, `link`.
    WelcomePack,
    // service hall
    /// To the asker: their service request reached a step. Params: `service`, `no`, `step`, `link`.
    ServiceProgress,
    /// To a handling union's officers: service requests waiting for them. Params: `count`, `due`.
    ServiceWaiting,
    /// To a parent union's managers: overdue service requests at a union (督办). Params: `count`, `org`.
    ServiceEscalation,
    // events
    /// To a member on an event's waiting list: a place came free and is theirs. Params:
    /// `title`, `start`, `link`.
    EventPromoted,
    // library
    /// To a borrower, two days before the due day. Params: `title`, `due`.
    LoanDueSoon,
    /// To a borrower, the day after the due day. Params: `title`, `due`.
    LoanOverdue,
    // legal aid
    /// To a member: a lawyer appointment was booked. Params: `place`, `time`, `link`.
    LegalBooked,
    /// To a member, the day before: the appointment is tomorrow. Params: `place`, `time`.
    LegalReminder,
    /// To a member: a lawyer answered the written question. Params: `link`.
    LegalAnswered,
}

impl Template {
    pub const ALL: [Template; 25] = [
        Template::JoinCode,
        Template::Received,
        Template::StatusLinkAgain,
        Template::Approved,
        Template::Rejected,
        Template::Returned,
        Template::Reminder,
        Template::Escalation,
        Template::TransferWaiting,
        Template::TransferEscalation,
        Template::TransferDone,
        Template::TransferDeclined,
        Template::Chase,
        // member
        Template::SignInCode,
        Template::PhoneChangeCode,
        // benefits
        Template::WelcomePack,
        // service hall
        Template::ServiceProgress,
        Template::ServiceWaiting,
        Template::ServiceEscalation,
        // events
        Template::EventPromoted,
        // library
        Template::LoanDueSoon,
        Template::LoanOverdue,
        // legal aid
        Template::LegalBooked,
        Template::LegalReminder,
        Template::LegalAnswered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Template::JoinCode => "join_code",
            Template::Received => "received",
            Template::StatusLinkAgain => "status_link_again",
            Template::Approved => "approved",
            Template::Rejected => "rejected",
            Template::Returned => "returned",
            Template::Reminder => "reminder",
            Template::Escalation => "escalation",
            Template::TransferWaiting => "transfer_waiting",
            Template::TransferEscalation => "transfer_escalation",
            Template::TransferDone => "transfer_done",
            Template::TransferDeclined => "transfer_declined",
            Template::Chase => "chase",
            // member
            Template::SignInCode => "sign_in_code",
            Template::PhoneChangeCode => "phone_change_code",
            // benefits
            Template::WelcomePack => "welcome_pack",
            // service hall
            Template::ServiceProgress => "service_progress",
            Template::ServiceWaiting => "service_waiting",
            Template::ServiceEscalation => "service_escalation",
            // events
            Template::EventPromoted => "event_promoted",
            // library
            Template::LoanDueSoon => "loan_due_soon",
            Template::LoanOverdue => "loan_overdue",
            // legal aid
            Template::LegalBooked => "legal_booked",
            Template::LegalReminder => "legal_reminder",
            Template::LegalAnswered => "legal_answered",
        }
    }

    pub fn from_name(s: &str) -> Option<Template> {
        Template::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The params in the order of the provider's approved template: Tencent takes them by
    /// position, Alibaba as a JSON object under these names.
    pub fn param_names(self) -> &'static [&'static str] {
        match self {
            Template::JoinCode | Template::SignInCode | Template::PhoneChangeCode => &["code"],
            Template::Received => &["name", "due", "link"],
            Template::StatusLinkAgain => &["link"],
            Template::Approved => &["name", "member_no", "link"],
            Template::Rejected | Template::Returned => &["name", "reason", "link"],
            Template::Reminder => &["count", "due"],
            Template::Escalation => &["count", "org"],
            Template::TransferWaiting => &["count", "due"],
            Template::TransferEscalation => &["count", "org"],
            Template::TransferDone => &["name", "member_no", "from", "to"],
            Template::TransferDeclined => &["name", "member_no", "to", "reason"],
            Template::Chase => &["by", "org"],
            // benefits
            Template::WelcomePack => &["title", "link"],
            // service hall
            Template::ServiceProgress => &["service", "no", "step", "link"],
            Template::ServiceWaiting => &["count", "due"],
            Template::ServiceEscalation => &["count", "org"],
            // events
            Template::EventPromoted => &["title", "start", "link"],
            // library
            Template::LoanDueSoon | Template::LoanOverdue => &["title", "due"],
            // legal aid
            Template::LegalBooked => &["place", "time", "link"],
            Template::LegalReminder => &["place", "time"],
            Template::LegalAnswered => &["link"],
        }
    }

    /// The params as the provider takes them, in `param_names` order. A missing one is an error
    /// rather than an empty value: the provider would refuse it or send a broken text.
    pub fn param_values(self, params: &serde_json::Value) -> Result<Vec<(&'static str, String)>, String> {
        let value =
            |k: &'static str| param_text(params, k).map(|v| (k, v)).ok_or_else(|| format!("template {} lacks param {k}", self.as_str()));
        self.param_names().iter().map(|&k| value(k)).collect()
    }

    /// The full text, as a provider's approved template would render it.
    pub fn render(self, params: &serde_json::Value) -> String {
        let p = |k: &str| param_text(params, k).unwrap_or_default();
        match self {
            Template::JoinCode => format!("【工会E家】您的入会验证码为{}，5分钟内有效。如非本人操作，请忽略本短信。", p("code")),
            Template::Received => {
                format!("【工会E家】{}，您的入会申请已收到，将于{}前完成审核，结果短信通知。查询进度：{}", p("name"), p("due"), p("link"))
            }
            Template::StatusLinkAgain => format!("【工会E家】您已有一份入会申请，无需重复提交。查询进度：{}", p("link")),
            Template::Approved => {
                format!("【工会E家】{}，您的入会申请已审核通过，会员号{}。查看详情：{}", p("name"), p("member_no"), p("link"))
            }
            Template::Rejected => {
                format!("【工会E家】{}，您的入会申请未通过审核，原因：{}。查看详情：{}", p("name"), p("reason"), p("link"))
            }
            Template::Returned => {
                format!("【工会E家】{}，您的入会申请已退回补充，需补充：{}。请点击修改：{}", p("name"), p("reason"), p("link"))
            }
            Template::Reminder => {
                format!("【工会E家】您有{}份入会申请待审核，请于{}前完成审核。", p("count"), p("due"))
            }
            Template::Escalation => format!("【工会E家】督办提醒：{}有{}份入会申请已超期未审核，请督促办理。", p("org"), p("count")),
            Template::TransferWaiting => {
                format!("【工会E家】您有{}份会籍接转待接收，请于{}前办理。", p("count"), p("due"))
            }
            Template::TransferEscalation => {
                format!("【工会E家】督办提醒：{}有{}份会籍接转已超期未办理，请督促办理。", p("org"), p("count"))
            }
            Template::TransferDone => {
                format!("【工会E家】{}（会员号{}）的会籍已由{}转入{}，会员号不变。", p("name"), p("member_no"), p("from"), p("to"))
            }
            Template::TransferDeclined => format!(
                "【工会E家】{}未接收{}（会员号{}）的会籍转入，原因：{}。会籍保持不变。",
                p("to"),
                p("name"),
                p("member_no"),
                p("reason")
            ),
            Template::Chase => format!("【工会E家】督办：{}督办{}超期未审核的入会申请，请立即登录办理。", p("by"), p("org")),
            // member
            Template::SignInCode => format!("【工会E家】您的登录验证码为{}，5分钟内有效。请勿告诉他人。", p("code")),
            Template::PhoneChangeCode => {
                format!("【工会E家】您正在把会员手机号更换为本号码，验证码为{}，5分钟内有效。如非本人操作，请忽略本短信。", p("code"))
            }
            // benefits
            Template::WelcomePack => format!("【工会E家】欢迎入会！您已获得入会礼包：{}。查看与使用：{}", p("title"), p("link")),
            // service hall
            Template::ServiceProgress => {
                format!("【工会E家】您申请的{}（编号{}）{}。查看详情：{}", p("service"), p("no"), p("step"), p("link"))
            }
            Template::ServiceWaiting => format!("【工会E家】您有{}件服务申请待办理，请于{}前办理。", p("count"), p("due")),
            Template::ServiceEscalation => {
                format!("【工会E家】督办提醒：{}有{}件服务申请已超期未办理，请督促办理。", p("org"), p("count"))
            }
            // events
            Template::EventPromoted => {
                format!("【工会E家】您报名的「{}」已由候补转为报名成功，活动时间{}。查看入场券：{}", p("title"), p("start"), p("link"))
            }
            // library
            Template::LoanDueSoon => {
                format!("【工会E家】您借阅的《{}》将于{}到期，请按时归还，联盟内任一职工书屋均可归还。", p("title"), p("due"))
            }
            Template::LoanOverdue => {
                format!("【工会E家】您借阅的《{}》已于{}到期，请尽快归还至联盟内任一职工书屋。", p("title"), p("due"))
            }
            // legal aid
            Template::LegalBooked => {
                format!("【工会E家】您已预约{}的律师咨询，时间{}，请准时到场。查看或取消：{}", p("place"), p("time"), p("link"))
            }
            Template::LegalReminder => format!("【工会E家】提醒：您预约的{}律师咨询在明天{}，请准时到场。", p("place"), p("time")),
            Template::LegalAnswered => format!("【工会E家】您的法律咨询已有律师书面答复，请登录查看：{}", p("link")),
        }
    }
}

/// A param as text: strings as they are, numbers and booleans written out (a count may come
/// as a JSON number), anything else absent.
fn param_text(params: &serde_json::Value, key: &str) -> Option<String> {
    match params.get(key)? {
        serde_json::Value::String(s) => Some(s.clone()),
        v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_)) => Some(v.to_string()),
        _ => None,
    }
}

/// The provider's code for each template (approved in its console), e.g. `SMS_123` or `1234567`.
#[derive(Clone, Debug)]
pub struct TemplateCodes(Vec<(Template, String)>);

impl TemplateCodes {
    /// Every template needs a code: a missing one would only show as failures at send time.
    pub fn new(codes: impl IntoIterator<Item = (Template, String)>) -> anyhow::Result<TemplateCodes> {
        let codes: Vec<(Template, String)> = codes.into_iter().filter(|(_, c)| !c.trim().is_empty()).collect();
        let missing: Vec<&str> = Template::ALL.iter().filter(|t| !codes.iter().any(|(c, _)| c == *t)).map(|t| t.as_str()).collect();
        if !missing.is_empty() {
            anyhow::bail!("no provider template code for: {}", missing.join(", "));
        }
        Ok(TemplateCodes(codes))
    }

    /// `EJIA_SMS_TEMPLATE_<NAME>` for each template, e.g. `EJIA_SMS_TEMPLATE_JOIN_CODE=SMS_123`.
    pub fn from_env() -> anyhow::Result<TemplateCodes> {
        let mut codes = Vec::new();
        let mut missing = Vec::new();
        for t in Template::ALL {
            let name = Self::env_name(t);
            match env_var(&name) {
                Some(code) => codes.push((t, code.trim().to_string())),
                None => missing.push(name),
            }
        }
        if !missing.is_empty() {
            anyhow::bail!("the SMS provider needs a template code in each of: {}", missing.join(", "));
        }
        TemplateCodes::new(codes)
    }

    pub fn env_name(t: Template) -> String {
        format!("EJIA_SMS_TEMPLATE_{}", t.as_str().to_ascii_uppercase())
    }

    pub fn get(&self, t: Template) -> &str {
        // `new` checked every template has a code.
        self.0.iter().find(|(c, _)| *c == t).map(|(_, code)| code.as_str()).unwrap_or_default()
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
    Sent {
        provider_message_id: String,
    },
    /// The provider's own limit: reschedule after the given seconds, never retry at once.
    RateLimited {
        retry_after_secs: i64,
        detail: String,
    },
    /// Refused or failed before sending: safe to try again later.
    Failed {
        detail: String,
    },
    /// We cannot tell whether it went out (timeout, broken connection): reconcile, never resend blindly.
    Unknown {
        detail: String,
    },
}

/// What the provider's delivery records say about a correlation id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    Delivered {
        provider_message_id: String,
    },
    /// The provider has no such message: it never went out.
    NotFound,
    Unknown,
}

#[async_trait]
pub trait SmsProvider: Send + Sync {
    fn name(&self) -> &'static str;
    async fn send(&self, message: &Outgoing) -> SendOutcome;
    async fn delivery_status(&self, correlation_id: &str) -> DeliveryStatus;

    /// Like `delivery_status`, for providers whose records are searched by phone number and
    /// time (the cloud ones): `to` is the message's recipient and `sent_after` (Unix seconds)
    /// when the attempt whose outcome is unknown began. Records are searched from a minute
    /// before it, and `REPORT_GRACE_SECS` count from it: pass the attempt's own time, not the
    /// message's creation, or a lagging record could be taken for a message never sent.
    async fn delivery_status_for(&self, correlation_id: &str, to: &str, sent_after: i64) -> DeliveryStatus {
        let _ = (to, sent_after);
        self.delivery_status(correlation_id).await
    }
}

/// How long the cloud providers' records may lag a send: before this, finding nothing proves
/// nothing, so the answer stays `Unknown` rather than `NotFound` (which would cause a resend).
pub const REPORT_GRACE_SECS: i64 = 600;

/// Timeouts for the cloud providers' HTTP calls.
#[derive(Clone, Copy, Debug)]
pub struct HttpTimeouts {
    pub connect: Duration,
    pub total: Duration,
}

impl Default for HttpTimeouts {
    fn default() -> Self {
        HttpTimeouts { connect: Duration::from_secs(5), total: Duration::from_secs(10) }
    }
}

fn http_client(timeouts: HttpTimeouts) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder().connect_timeout(timeouts.connect).timeout(timeouts.total).build()?)
}

/// A provider endpoint: the base URL (no path, so the signed URI is `/`) and its `Host` value.
fn parse_endpoint(endpoint: &str) -> anyhow::Result<(reqwest::Url, String)> {
    let url = reqwest::Url::parse(endpoint.trim()).map_err(|e| anyhow::anyhow!("SMS endpoint {endpoint}: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.path() != "/" || url.query().is_some() {
        anyhow::bail!("SMS endpoint {endpoint}: expected scheme://host[:port] with no path");
    }
    let host = url.host_str().ok_or_else(|| anyhow::anyhow!("SMS endpoint {endpoint} has no host"))?;
    // The same value the HTTP client would send: the port only when it is not the default.
    let host = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    };
    Ok((url, host))
}

/// A transport failure as a send outcome. Failing to connect means nothing was sent; anything
/// later (a timeout, a dropped connection) may come after the provider took the message.
fn transport_outcome(e: reqwest::Error) -> SendOutcome {
    // The URL carries the phone number and the template params (a join code): never keep it.
    let connect = e.is_connect() || e.is_builder();
    let detail = e.without_url().to_string();
    if connect {
        SendOutcome::Failed { detail: format!("could not reach the provider: {detail}") }
    } else {
        SendOutcome::Unknown { detail: format!("no answer from the provider: {detail}") }
    }
}

/// An answer whose body says nothing usable: a server error or a garbled success may come after
/// the message went out; a client error means the request was refused.
fn unreadable_answer(status: u16) -> SendOutcome {
    let detail = format!("HTTP {status} without a readable answer");
    if status >= 500 || (200..300).contains(&status) {
        SendOutcome::Unknown { detail }
    } else {
        SendOutcome::Failed { detail }
    }
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn required_env(name: &str) -> anyhow::Result<String> {
    env_var(name).ok_or_else(|| anyhow::anyhow!("the SMS provider needs {name}"))
}

/// Builds the configured provider; the cloud ones read their settings from the environment.
pub fn from_config(config: &crate::server::config::Config) -> anyhow::Result<std::sync::Arc<dyn SmsProvider>> {
    match config.sms_provider.as_str() {
        "log" => Ok(std::sync::Arc::new(log::LogProvider::new(config.sms_log.clone()))),
        "aliyun" => Ok(std::sync::Arc::new(aliyun::AliyunSms::new(aliyun::AliyunSettings::from_env()?)?)),
        "tencent" => Ok(std::sync::Arc::new(tencent::TencentSms::new(tencent::TencentSettings::from_env()?)?)),
        other => anyhow::bail!("EJIA_SMS_PROVIDER={other} is not known (available: log, aliyun, tencent)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_render_and_round_trip() {
        let text = Template::JoinCode.render(&serde_json::json!({"code": "123456"}));
        assert!(text.contains("123456") && text.starts_with("【工会E家】"));
        for t in Template::ALL {
            assert_eq!(Template::from_name(t.as_str()), Some(t));
            assert!(t.render(&serde_json::json!({})).starts_with("【工会E家】"), "{t:?}");
        }
        assert_eq!(Template::from_name("nonsense"), None);
    }

    #[test]
    fn existing_texts_are_unchanged() {
        let p = serde_json::json!({"name": "张三", "due": "6月3日", "link": "https://x/s/t"});
        assert_eq!(
            Template::Received.render(&p),
            "【工会E家】张三，您的入会申请已收到，将于6月3日前完成审核，结果短信通知。查询进度：https://x/s/t"
        );
        assert_eq!(Template::StatusLinkAgain.render(&p), "【工会E家】您已有一份入会申请，无需重复提交。查询进度：https://x/s/t");
        assert_eq!(Template::Received.as_str(), "received");
        assert_eq!(Template::StatusLinkAgain.as_str(), "status_link_again");
    }

    #[test]
    fn every_param_appears_in_the_text_in_order() {
        for t in Template::ALL {
            let params: serde_json::Map<String, serde_json::Value> =
                t.param_names().iter().map(|k| (k.to_string(), serde_json::Value::from(format!("<{k}>")))).collect();
            let params = serde_json::Value::Object(params);
            let text = t.render(&params);
            for k in t.param_names() {
                assert!(text.contains(&format!("<{k}>")), "{t:?} shows {k}");
            }
            let values = t.param_values(&params).expect("all params given");
            assert_eq!(values.iter().map(|(k, _)| *k).collect::<Vec<_>>(), t.param_names());
        }
    }

    #[test]
    fn param_values_accept_numbers_and_refuse_gaps() {
        let values = Template::Reminder.param_values(&serde_json::json!({"count": 3, "due": "明天"})).unwrap();
        assert_eq!(values, vec![("count", "3".to_string()), ("due", "明天".to_string())]);
        assert!(Template::Escalation.render(&serde_json::json!({"count": 2, "org": "某区工会"})).contains("某区工会有2份"));
        let err = Template::Approved.param_values(&serde_json::json!({"name": "张三"})).unwrap_err();
        assert!(err.contains("member_no"), "{err}");
    }

    #[test]
    fn template_codes_must_be_complete() {
        let all = Template::ALL.map(|t| (t, format!("SMS_{}", t.as_str())));
        let codes = TemplateCodes::new(all.clone()).unwrap();
        assert_eq!(codes.get(Template::Returned), "SMS_returned");
        let err = TemplateCodes::new(all.into_iter().filter(|(t, _)| *t != Template::Escalation)).unwrap_err();
        assert!(err.to_string().contains("escalation"), "{err}");
        assert_eq!(TemplateCodes::env_name(Template::JoinCode), "EJIA_SMS_TEMPLATE_JOIN_CODE");
        assert_eq!(TemplateCodes::env_name(Template::StatusLinkAgain), "EJIA_SMS_TEMPLATE_STATUS_LINK_AGAIN");
    }

    #[test]
    fn endpoints_and_unreadable_answers() {
        let (url, host) = parse_endpoint("https://dysmsapi.aliyuncs.com").unwrap();
        assert_eq!((url.as_str(), host.as_str()), ("https://dysmsapi.aliyuncs.com/", "dysmsapi.aliyuncs.com"));
        let (_, host) = parse_endpoint("http://127.0.0.1:8123/").unwrap();
        assert_eq!(host, "127.0.0.1:8123");
        assert!(parse_endpoint("https://example.com/sms").is_err());
        assert!(parse_endpoint("not a url").is_err());
        assert!(matches!(unreadable_answer(500), SendOutcome::Unknown { .. }));
        assert!(matches!(unreadable_answer(200), SendOutcome::Unknown { .. }));
        assert!(matches!(unreadable_answer(403), SendOutcome::Failed { .. }));
    }
}
