//! Tencent Cloud SMS (API version 2021-01-11): `SendSms`, and `PullSmsSendStatusByPhoneNumber`
//! to settle unknown outcomes. JSON bodies signed with TC3-HMAC-SHA256 (see `signing`).
use super::signing::{tc3_sign, Tc3Request};
use super::{
    env_var, http_client, parse_endpoint, required_env, transport_outcome, unreadable_answer, DeliveryStatus, HttpTimeouts, Outgoing,
    Secret, SendOutcome, SmsProvider, TemplateCodes, REPORT_GRACE_SECS,
};
use async_trait::async_trait;
use serde_json::{json, Value};
use std::fmt;

pub const DEFAULT_ENDPOINT: &str = "https://sms.tencentcloudapi.com";
pub const DEFAULT_REGION: &str = "ap-guangzhou";
const VERSION: &str = "2021-01-11";
const SERVICE: &str = "sms";
const CONTENT_TYPE: &str = "application/json; charset=utf-8";
/// The most reports one pull returns; the API fixes `Offset` at 0, so there is no next page.
const PULL_LIMIT: usize = 100;

#[derive(Debug)]
pub struct TencentSettings {
    pub secret_id: String,
    pub secret_key: Secret,
    pub sdk_app_id: String,
    /// The approved signature (签名), e.g. 工会E家.
    pub sign_name: String,
    pub templates: TemplateCodes,
    pub region: String,
    /// `https://sms.tencentcloudapi.com`; tests point it at a local fake.
    pub endpoint: String,
    pub timeouts: HttpTimeouts,
}

impl TencentSettings {
    pub fn from_env() -> anyhow::Result<TencentSettings> {
        Ok(TencentSettings {
            secret_id: required_env("EJIA_TENCENT_SECRET_ID")?,
            secret_key: Secret(required_env("EJIA_TENCENT_SECRET_KEY")?),
            sdk_app_id: required_env("EJIA_TENCENT_SDK_APP_ID")?,
            sign_name: required_env("EJIA_SMS_SIGN_NAME")?,
            templates: TemplateCodes::from_env()?,
            region: env_var("EJIA_TENCENT_REGION").unwrap_or_else(|| DEFAULT_REGION.into()),
            endpoint: env_var("EJIA_TENCENT_ENDPOINT").unwrap_or_else(|| DEFAULT_ENDPOINT.into()),
            timeouts: HttpTimeouts::default(),
        })
    }
}

pub struct TencentSms {
    settings: TencentSettings,
    client: reqwest::Client,
    base: reqwest::Url,
    host: String,
}

impl fmt::Debug for TencentSms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TencentSms").field("settings", &self.settings).finish()
    }
}

impl TencentSms {
    pub fn new(settings: TencentSettings) -> anyhow::Result<TencentSms> {
        let (base, host) = parse_endpoint(&settings.endpoint)?;
        let client = http_client(settings.timeouts)?;
        Ok(TencentSms { settings, client, base, host })
    }

    /// One signed call: the answer's HTTP status and body.
    async fn call(&self, action: &str, body: &Value) -> Result<(u16, Vec<u8>), reqwest::Error> {
        // The bytes signed are the bytes sent.
        let payload = body.to_string().into_bytes();
        let timestamp = chrono::Utc::now().timestamp();
        let signature = tc3_sign(
            &self.settings.secret_id,
            &self.settings.secret_key.0,
            &Tc3Request {
                service: SERVICE,
                method: "POST",
                canonical_uri: "/",
                canonical_query: "",
                headers: &[("content-type", CONTENT_TYPE), ("host", self.host.as_str())],
                payload: &payload,
                timestamp,
            },
        );
        let response = self
            .client
            .post(self.base.clone())
            .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
            .header(reqwest::header::HOST, &self.host)
            .header("X-TC-Action", action)
            .header("X-TC-Version", VERSION)
            .header("X-TC-Timestamp", timestamp.to_string())
            .header("X-TC-Region", &self.settings.region)
            .header(reqwest::header::AUTHORIZATION, signature.authorization)
            .body(payload)
            .send()
            .await?;
        let status = response.status().as_u16();
        let body = response.bytes().await?;
        Ok((status, body.to_vec()))
    }
}

#[async_trait]
impl SmsProvider for TencentSms {
    fn name(&self) -> &'static str {
        "tencent"
    }

    async fn send(&self, message: &Outgoing) -> SendOutcome {
        let values = match message.template.param_values(&message.params) {
            Ok(values) => values,
            Err(detail) => return SendOutcome::Failed { detail },
        };
        let body = json!({
            "PhoneNumberSet": [e164(&message.to)],
            "SmsSdkAppId": self.settings.sdk_app_id,
            "SignName": self.settings.sign_name,
            "TemplateId": self.settings.templates.get(message.template),
            // Tencent's templates take their params by position.
            "TemplateParamSet": values.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
            // Our id on the provider's reports: how an unknown outcome is found again.
            "SessionContext": message.correlation_id,
        });
        match self.call("SendSms", &body).await {
            Ok((status, body)) => classify_send(status, &body),
            Err(e) => transport_outcome(e),
        }
    }

    /// Tencent's reports are searched by phone and time, which this call lacks.
    async fn delivery_status(&self, _correlation_id: &str) -> DeliveryStatus {
        DeliveryStatus::Unknown
    }

    /// A report carrying our `SessionContext` means the provider took the message, whatever
    /// the report says about the handset. Reports arrive only once the carrier answers, so
    /// finding none proves nothing until `REPORT_GRACE_SECS` have passed since `sent_after`.
    async fn delivery_status_for(&self, correlation_id: &str, to: &str, sent_after: i64) -> DeliveryStatus {
        let now = chrono::Utc::now().timestamp();
        let body = json!({
            // A minute of slack for clocks.
            "BeginTime": (sent_after - 60).max(0),
            "EndTime": now,
            "Offset": 0,
            "Limit": PULL_LIMIT,
            "PhoneNumber": e164(to),
            "SmsSdkAppId": self.settings.sdk_app_id,
        });
        let answer = match self.call("PullSmsSendStatusByPhoneNumber", &body).await {
            Ok((status, body)) => read_reports(status, &body, correlation_id),
            Err(e) => Err(e.without_url().to_string()),
        };
        match answer {
            Ok(Reports::Found(provider_message_id)) => DeliveryStatus::Delivered { provider_message_id },
            Ok(Reports::None) if now - sent_after >= REPORT_GRACE_SECS => DeliveryStatus::NotFound,
            // Too recent to conclude, or a full page that may have hidden ours.
            Ok(Reports::None | Reports::Truncated) => DeliveryStatus::Unknown,
            Err(detail) => {
                tracing::warn!(%correlation_id, %detail, "tencent PullSmsSendStatusByPhoneNumber failed");
                DeliveryStatus::Unknown
            }
        }
    }
}

/// Tencent wants E.164; phones on file are mainland numbers without a prefix.
fn e164(to: &str) -> String {
    let to = to.trim();
    if to.starts_with('+') {
        to.to_string()
    } else {
        format!("+86{to}")
    }
}

/// Maps a `SendSms` answer: a request-level `Response.Error`, or the one number's status.
fn classify_send(status: u16, body: &[u8]) -> SendOutcome {
    let Some(response) = serde_json::from_slice::<Value>(body).ok().and_then(|a| a.get("Response").cloned()) else {
        return unreadable_answer(status);
    };
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    if let Some(error) = response.get("Error") {
        let code = text(error, "Code");
        let detail = format!("{code}: {}", text(error, "Message"));
        return match rate_limit_secs(&code) {
            Some(retry_after_secs) => SendOutcome::RateLimited { retry_after_secs, detail },
            // Tencent's own send timed out: the message may have gone out. Every other
            // error (AuthFailure included) refused the request.
            None if code == "InternalError.Timeout" || status >= 500 => SendOutcome::Unknown { detail },
            None => SendOutcome::Failed { detail },
        };
    }
    let Some(first) = response.get("SendStatusSet").and_then(Value::as_array).and_then(|s| s.first()) else {
        return unreadable_answer(status);
    };
    let code = text(first, "Code");
    if code == "Ok" {
        return SendOutcome::Sent { provider_message_id: text(first, "SerialNo") };
    }
    let detail = format!("{code}: {}", text(first, "Message"));
    match rate_limit_secs(&code) {
        Some(retry_after_secs) => SendOutcome::RateLimited { retry_after_secs, detail },
        None => SendOutcome::Failed { detail },
    }
}

/// The provider's limits, and how long to wait: per-phone 30-second (waited as 60, the
/// outbox's floor), one-hour and daily limits, the app's daily quotas, the delivery-frequency
/// rule, and the API's request rate. `PhoneNumberCountLimit` (too many numbers in one request)
/// is a malformed request, not a limit.
fn rate_limit_secs(code: &str) -> Option<i64> {
    if code.starts_with("RequestLimitExceeded") {
        return Some(60);
    }
    let limit = code.strip_prefix("LimitExceeded.")?;
    if limit == "PhoneNumberCountLimit" {
        None
    } else if limit.contains("OneHour") {
        Some(3600)
    } else if limit.contains("Daily") {
        Some(86400)
    } else if limit.starts_with("PhoneNumber") || limit.contains("Frequency") {
        Some(60)
    } else {
        None
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Reports {
    Found(String),
    None,
    /// A full page without ours: more may exist that the API will not page to.
    Truncated,
}

fn read_reports(status: u16, body: &[u8], correlation_id: &str) -> Result<Reports, String> {
    let answer: Value = serde_json::from_slice(body).map_err(|_| format!("HTTP {status} without a readable answer"))?;
    let response = answer.get("Response").ok_or_else(|| format!("HTTP {status} without a Response"))?;
    if let Some(error) = response.get("Error") {
        return Err(format!("HTTP {status} {error}"));
    }
    let reports = response
        .get("PullSmsSendStatusSet")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("HTTP {status} without PullSmsSendStatusSet"))?;
    if let Some(report) = reports.iter().find(|r| r.get("SessionContext").and_then(Value::as_str) == Some(correlation_id)) {
        let serial = report.get("SerialNo").and_then(Value::as_str).unwrap_or_default();
        return Ok(Reports::Found(serial.to_string()));
    }
    Ok(if reports.len() >= PULL_LIMIT { Reports::Truncated } else { Reports::None })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_set(code: &str) -> Vec<u8> {
        json!({"Response": {"SendStatusSet": [{"SerialNo": "2028:f825e6b16e23f73f4123", "PhoneNumber": "+8613800138000",
            "Fee": 1, "SessionContext": "c1", "Code": code, "Message": "m", "IsoCode": "CN"}], "RequestId": "r"}})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn send_answers() {
        assert_eq!(classify_send(200, &status_set("Ok")), SendOutcome::Sent { provider_message_id: "2028:f825e6b16e23f73f4123".into() });
        for (code, secs) in [
            ("LimitExceeded.PhoneNumberThirtySecondLimit", 60),
            ("LimitExceeded.PhoneNumberOneHourLimit", 3600),
            ("LimitExceeded.PhoneNumberDailyLimit", 86400),
            ("LimitExceeded.PhoneNumberSameContentDailyLimit", 86400),
            ("LimitExceeded.DeliveryFrequencyLimit", 60),
        ] {
            let outcome = classify_send(200, &status_set(code));
            assert!(matches!(outcome, SendOutcome::RateLimited { retry_after_secs, .. } if retry_after_secs == secs), "{code}");
        }
        assert!(matches!(
            classify_send(200, &status_set("FailedOperation.TemplateParamSetNotMatchApprovedTemplate")),
            SendOutcome::Failed { .. }
        ));
        assert!(matches!(classify_send(200, &status_set("LimitExceeded.PhoneNumberCountLimit")), SendOutcome::Failed { .. }));
        let error = |code: &str| json!({"Response": {"Error": {"Code": code, "Message": "m"}, "RequestId": "r"}}).to_string();
        assert!(matches!(classify_send(200, error("AuthFailure.SignatureFailure").as_bytes()), SendOutcome::Failed { .. }));
        assert!(matches!(
            classify_send(200, error("RequestLimitExceeded").as_bytes()),
            SendOutcome::RateLimited { retry_after_secs: 60, .. }
        ));
        assert!(matches!(classify_send(200, error("InternalError.Timeout").as_bytes()), SendOutcome::Unknown { .. }));
        assert!(matches!(classify_send(500, b"garbage"), SendOutcome::Unknown { .. }));
        assert!(matches!(classify_send(200, br#"{"Response":{"RequestId":"r"}}"#), SendOutcome::Unknown { .. }));
    }

    #[test]
    fn reports() {
        let page = |contexts: &[&str]| {
            let set: Vec<Value> =
                contexts.iter().map(|c| json!({"SessionContext": c, "SerialNo": format!("s-{c}"), "ReportStatus": "FAIL"})).collect();
            json!({"Response": {"PullSmsSendStatusSet": set, "RequestId": "r"}}).to_string().into_bytes()
        };
        assert_eq!(read_reports(200, &page(&["x", "ours"]), "ours"), Ok(Reports::Found("s-ours".into())));
        assert_eq!(read_reports(200, &page(&["x"]), "ours"), Ok(Reports::None));
        let full: Vec<String> = (0..PULL_LIMIT).map(|i| i.to_string()).collect();
        let full: Vec<&str> = full.iter().map(String::as_str).collect();
        assert_eq!(read_reports(200, &page(&full), "ours"), Ok(Reports::Truncated));
        assert!(read_reports(200, br#"{"Response":{"Error":{"Code":"AuthFailure","Message":"m"}}}"#, "ours").is_err());
        assert!(read_reports(502, b"bad gateway", "ours").is_err());
    }

    #[test]
    fn phones_become_e164() {
        assert_eq!(e164("13800138000"), "+8613800138000");
        assert_eq!(e164("+8613800138000"), "+8613800138000");
    }

    #[test]
    fn debug_hides_the_secret() {
        let settings = TencentSettings {
            secret_id: "id".into(),
            secret_key: "very-secret".into(),
            sdk_app_id: "1400000000".into(),
            sign_name: "工会E家".into(),
            templates: TemplateCodes::new(super::super::Template::ALL.map(|t| (t, "1".to_string()))).unwrap(),
            region: DEFAULT_REGION.into(),
            endpoint: DEFAULT_ENDPOINT.into(),
            timeouts: HttpTimeouts::default(),
        };
        assert!(!format!("{:?}", TencentSms::new(settings).unwrap()).contains("very-secret"));
    }
}
