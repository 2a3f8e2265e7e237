//! Alibaba Cloud SMS (dysmsapi, API version 2017-05-25): `SendSms`, and `QuerySendDetails` to
//! settle unknown outcomes. RPC style — the parameters in the query string, an empty body —
//! signed with ACS3-HMAC-SHA256 (see `signing`).
use super::signing::{acs3_sign, canonical_query, sha256_hex, Acs3Request};
use super::{
    env_var, http_client, parse_endpoint, required_env, transport_outcome, unreadable_answer, DeliveryStatus, HttpTimeouts, Outgoing,
    Secret, SendOutcome, SmsProvider, TemplateCodes, REPORT_GRACE_SECS,
};
use async_trait::async_trait;
use serde_json::Value;
use std::fmt;

pub const DEFAULT_ENDPOINT: &str = "https://dysmsapi.aliyuncs.com";
const VERSION: &str = "2017-05-25";
/// `QuerySendDetails` pages hold at most 50 records.
const PAGE_SIZE: u64 = 50;
/// Enough for any one phone's messages in a day; past it the answer stays unknown.
const MAX_PAGES: u64 = 10;
/// The provider keeps send records for 30 days.
const RETENTION_DAYS: i64 = 30;
/// Send dates are China dates (UTC+8).
const CHINA_OFFSET_SECS: i64 = 8 * 3600;

#[derive(Debug)]
pub struct AliyunSettings {
    pub access_key_id: String,
    pub access_key_secret: Secret,
    /// The approved signature (签名), e.g. 工会E家.
    pub sign_name: String,
    pub templates: TemplateCodes,
    /// `https://dysmsapi.aliyuncs.com`; tests point it at a local fake.
    pub endpoint: String,
    pub timeouts: HttpTimeouts,
}

impl AliyunSettings {
    pub fn from_env() -> anyhow::Result<AliyunSettings> {
        Ok(AliyunSettings {
            access_key_id: required_env("EJIA_ALIYUN_ACCESS_KEY_ID")?,
            access_key_secret: Secret(required_env("EJIA_ALIYUN_ACCESS_KEY_SECRET")?),
            sign_name: required_env("EJIA_SMS_SIGN_NAME")?,
            templates: TemplateCodes::from_env()?,
            endpoint: env_var("EJIA_ALIYUN_ENDPOINT").unwrap_or_else(|| DEFAULT_ENDPOINT.into()),
            timeouts: HttpTimeouts::default(),
        })
    }
}

pub struct AliyunSms {
    settings: AliyunSettings,
    client: reqwest::Client,
    base: reqwest::Url,
    host: String,
}

impl fmt::Debug for AliyunSms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AliyunSms").field("settings", &self.settings).finish()
    }
}

impl AliyunSms {
    pub fn new(settings: AliyunSettings) -> anyhow::Result<AliyunSms> {
        let (base, host) = parse_endpoint(&settings.endpoint)?;
        let client = http_client(settings.timeouts)?;
        Ok(AliyunSms { settings, client, base, host })
    }

    /// One signed call: the answer's HTTP status and body.
    async fn call(&self, action: &str, params: &[(String, String)]) -> Result<(u16, Vec<u8>), reqwest::Error> {
        let query = canonical_query(params);
        let hashed_payload = sha256_hex(b"");
        let date = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let nonce = hex::encode(rand::random::<[u8; 16]>());
        let headers = [
            ("host", self.host.as_str()),
            ("x-acs-action", action),
            ("x-acs-version", VERSION),
            ("x-acs-date", date.as_str()),
            ("x-acs-signature-nonce", nonce.as_str()),
            ("x-acs-content-sha256", hashed_payload.as_str()),
        ];
        let signature = acs3_sign(
            &self.settings.access_key_id,
            &self.settings.access_key_secret.0,
            &Acs3Request { method: "POST", canonical_uri: "/", query: params, headers: &headers, hashed_payload: &hashed_payload },
        );
        // The signed query string is sent as it is, so both sides see the same encoding.
        let mut url = self.base.clone();
        url.set_query(Some(&query));
        let mut request = self.client.post(url);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = request.header(reqwest::header::AUTHORIZATION, signature.authorization).send().await?;
        let status = response.status().as_u16();
        let body = response.bytes().await?;
        Ok((status, body.to_vec()))
    }

    /// Looks for our `OutId` among one page of a day's records for the phone.
    async fn find_on_page(&self, correlation_id: &str, to: &str, date: &str, page: u64) -> Result<Page, String> {
        let params = vec![
            ("PhoneNumber".to_string(), to.to_string()),
            ("SendDate".to_string(), date.to_string()),
            ("PageSize".to_string(), PAGE_SIZE.to_string()),
            ("CurrentPage".to_string(), page.to_string()),
        ];
        let (status, body) = self.call("QuerySendDetails", &params).await.map_err(|e| e.without_url().to_string())?;
        read_details(status, &body, correlation_id, page)
    }
}

#[async_trait]
impl SmsProvider for AliyunSms {
    fn name(&self) -> &'static str {
        "aliyun"
    }

    async fn send(&self, message: &Outgoing) -> SendOutcome {
        let values = match message.template.param_values(&message.params) {
            Ok(values) => values,
            Err(detail) => return SendOutcome::Failed { detail },
        };
        let template_param: serde_json::Map<String, Value> = values.into_iter().map(|(k, v)| (k.to_string(), Value::String(v))).collect();
        let params = vec![
            ("PhoneNumbers".to_string(), message.to.clone()),
            ("SignName".to_string(), self.settings.sign_name.clone()),
            ("TemplateCode".to_string(), self.settings.templates.get(message.template).to_string()),
            ("TemplateParam".to_string(), Value::Object(template_param).to_string()),
            // Our id on the provider's record: how an unknown outcome is found again.
            ("OutId".to_string(), message.correlation_id.clone()),
        ];
        match self.call("SendSms", &params).await {
            Ok((status, body)) => classify_send(status, &body),
            Err(e) => transport_outcome(e),
        }
    }

    /// Alibaba's records are searched by phone and date, which this call lacks.
    async fn delivery_status(&self, _correlation_id: &str) -> DeliveryStatus {
        DeliveryStatus::Unknown
    }

    /// Any record carrying our `OutId` — waiting for a receipt, delivered, or failed at the
    /// carrier — means the provider took the message, which is all we ask: sending it again
    /// would be a duplicate. No record on any day since `sent_after` means it never went out,
    /// once the records have had `REPORT_GRACE_SECS` to appear.
    async fn delivery_status_for(&self, correlation_id: &str, to: &str, sent_after: i64) -> DeliveryStatus {
        let now = chrono::Utc::now().timestamp();
        // A minute of slack for clocks; nothing older than the provider keeps.
        let from = (sent_after - 60).max(now - RETENTION_DAYS * 86400);
        for date in china_dates(from, now) {
            let mut page = 1;
            loop {
                match self.find_on_page(correlation_id, to, &date, page).await {
                    Ok(Page::Found(provider_message_id)) => return DeliveryStatus::Delivered { provider_message_id },
                    Ok(Page::Last) => break,
                    Ok(Page::More) if page < MAX_PAGES => page += 1,
                    Ok(Page::More) => return DeliveryStatus::Unknown,
                    Err(detail) => {
                        tracing::warn!(%correlation_id, %detail, "aliyun QuerySendDetails failed");
                        return DeliveryStatus::Unknown;
                    }
                }
            }
        }
        if now - sent_after >= REPORT_GRACE_SECS {
            DeliveryStatus::NotFound
        } else {
            DeliveryStatus::Unknown
        }
    }
}

/// Maps a `SendSms` answer. Only `Code == "OK"` is a send.
fn classify_send(status: u16, body: &[u8]) -> SendOutcome {
    let Ok(answer) = serde_json::from_slice::<Value>(body) else {
        return unreadable_answer(status);
    };
    let text = |k: &str| answer.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let (code, message) = (text("Code"), text("Message"));
    if code == "OK" {
        return SendOutcome::Sent { provider_message_id: text("BizId") };
    }
    if code.is_empty() {
        return unreadable_answer(status);
    }
    let detail = format!("{code}: {message}");
    match code.as_str() {
        // The per-phone limits (minute / hour / day); the message says which one tripped.
        "isv.BUSINESS_LIMIT_CONTROL" => SendOutcome::RateLimited { retry_after_secs: limit_window(&message), detail },
        // The account's daily volume.
        "isv.DAY_LIMIT_CONTROL" => SendOutcome::RateLimited { retry_after_secs: 86400, detail },
        // The API's own request-rate limit.
        c if c.starts_with("Throttling") => SendOutcome::RateLimited { retry_after_secs: 60, detail },
        // A server error may come after the message went out.
        _ if status >= 500 => SendOutcome::Unknown { detail },
        _ => SendOutcome::Failed { detail },
    }
}

/// How long a tripped per-phone limit lasts, read from the message ("触发分钟级流控",
/// "触发小时级流控", "触发天级流控"): a day, an hour, or else a minute.
fn limit_window(message: &str) -> i64 {
    if message.contains('天') {
        86400
    } else if message.contains("小时") {
        3600
    } else {
        60
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Page {
    /// Our record, with the provider's id when the record carries one (else empty).
    Found(String),
    /// Not on this page, and no further pages.
    Last,
    More,
}

fn read_details(status: u16, body: &[u8], correlation_id: &str, page: u64) -> Result<Page, String> {
    let answer: Value = serde_json::from_slice(body).map_err(|_| format!("HTTP {status} without a readable answer"))?;
    let code = answer.get("Code").and_then(Value::as_str).unwrap_or_default();
    if code != "OK" {
        let message = answer.get("Message").and_then(Value::as_str).unwrap_or_default();
        return Err(format!("HTTP {status} {code}: {message}"));
    }
    let empty = Vec::new();
    let records = answer.pointer("/SmsSendDetailDTOs/SmsSendDetailDTO").and_then(Value::as_array).unwrap_or(&empty);
    if let Some(record) = records.iter().find(|r| r.get("OutId").and_then(Value::as_str) == Some(correlation_id)) {
        let id = record.get("BizId").and_then(Value::as_str).unwrap_or_default();
        return Ok(Page::Found(id.to_string()));
    }
    // The total comes as a number or as a string.
    let total = match answer.get("TotalCount") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    let last = (records.len() as u64) < PAGE_SIZE || total.is_some_and(|t| page * PAGE_SIZE >= t);
    Ok(if last { Page::Last } else { Page::More })
}

/// The China dates (`yyyyMMdd`) from one instant to another, oldest first.
fn china_dates(from: i64, to: i64) -> Vec<String> {
    let day = |t: i64| (t + CHINA_OFFSET_SECS).div_euclid(86400);
    (day(from)..=day(to)).filter_map(|d| chrono::DateTime::from_timestamp(d * 86400, 0)).map(|t| t.format("%Y%m%d").to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_answers() {
        let ok = br#"{"Code":"OK","Message":"OK","BizId":"9006197469364984400","RequestId":"F655A8D5"}"#;
        assert_eq!(classify_send(200, ok), SendOutcome::Sent { provider_message_id: "9006197469364984400".into() });
        let minute = r#"{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"触发分钟级流控Permits:1"}"#;
        let hour = r#"{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"触发小时级流控Permits:5"}"#;
        let day = r#"{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"触发天级流控Permits:10"}"#;
        for (body, secs) in [(minute, 60), (hour, 3600), (day, 86400)] {
            let outcome = classify_send(200, body.as_bytes());
            assert!(matches!(outcome, SendOutcome::RateLimited { retry_after_secs, .. } if retry_after_secs == secs), "{body}");
        }
        let throttled = br#"{"Code":"Throttling.User","Message":"Request was denied due to user flow control."}"#;
        assert!(matches!(classify_send(400, throttled), SendOutcome::RateLimited { retry_after_secs: 60, .. }));
        let illegal = br#"{"Code":"isv.MOBILE_NUMBER_ILLEGAL","Message":"invalid mobile number"}"#;
        assert_eq!(classify_send(200, illegal), SendOutcome::Failed { detail: "isv.MOBILE_NUMBER_ILLEGAL: invalid mobile number".into() });
        let signature = br#"{"Code":"SignatureDoesNotMatch","Message":"Specified signature does not match our calculation."}"#;
        assert!(matches!(classify_send(400, signature), SendOutcome::Failed { .. }));
        assert!(matches!(classify_send(500, b"<html>oops"), SendOutcome::Unknown { .. }));
        assert!(matches!(classify_send(503, br#"{"Code":"ServiceUnavailable","Message":"x"}"#), SendOutcome::Unknown { .. }));
        assert!(matches!(classify_send(502, b""), SendOutcome::Unknown { .. }));
        assert!(matches!(classify_send(404, b"not found"), SendOutcome::Failed { .. }));
    }

    #[test]
    fn detail_pages() {
        let record = |out: &str| serde_json::json!({"OutId": out, "SendStatus": 2, "PhoneNum": "13800138000"});
        let body = |records: Vec<Value>, total: Value| {
            serde_json::json!({"Code": "OK", "TotalCount": total, "SmsSendDetailDTOs": {"SmsSendDetailDTO": records}}).to_string()
        };
        let found = body(vec![record("a"), record("ours")], 2.into());
        assert_eq!(read_details(200, found.as_bytes(), "ours", 1), Ok(Page::Found(String::new())));
        let none = body(vec![record("a")], 1.into());
        assert_eq!(read_details(200, none.as_bytes(), "ours", 1), Ok(Page::Last));
        let full = body((0..50).map(|i| record(&i.to_string())).collect(), "120".into());
        assert_eq!(read_details(200, full.as_bytes(), "ours", 2), Ok(Page::More));
        assert_eq!(read_details(200, full.as_bytes(), "ours", 3), Ok(Page::Last));
        let empty = serde_json::json!({"Code": "OK", "TotalCount": 0}).to_string();
        assert_eq!(read_details(200, empty.as_bytes(), "ours", 1), Ok(Page::Last));
        assert!(read_details(200, br#"{"Code":"isv.INVALID_PARAMETERS","Message":"x"}"#, "ours", 1).is_err());
        assert!(read_details(500, b"garbage", "ours", 1).is_err());
    }

    #[test]
    fn dates_are_china_dates() {
        // 2024-03-01T15:59:59Z is 23:59:59 in China; a second later it is the 2nd there.
        let t = chrono::DateTime::parse_from_rfc3339("2024-03-01T15:59:59Z").unwrap().timestamp();
        assert_eq!(china_dates(t, t), vec!["20240301"]);
        assert_eq!(china_dates(t, t + 1), vec!["20240301", "20240302"]);
        assert_eq!(china_dates(t - 86400, t + 1).len(), 3);
    }

    #[test]
    fn debug_hides_the_secret() {
        let settings = AliyunSettings {
            access_key_id: "id".into(),
            access_key_secret: "very-secret".into(),
            sign_name: "工会E家".into(),
            templates: TemplateCodes::new(super::super::Template::ALL.map(|t| (t, "SMS_1".to_string()))).unwrap(),
            endpoint: DEFAULT_ENDPOINT.into(),
            timeouts: HttpTimeouts::default(),
        };
        let sms = AliyunSms::new(settings).unwrap();
        assert!(!format!("{sms:?}").contains("very-secret"));
    }
}
