//! The Alibaba Cloud and Tencent Cloud SMS adapters against fake providers on 127.0.0.1: each
//! fake checks the signature it receives and answers as scripted (sent, rate-limited, refused,
//! broken, too slow, delivery records), and the tests check the outcome and what was sent.
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use ejia::server::sms::aliyun::{AliyunSettings, AliyunSms};
use ejia::server::sms::signing::{acs3_sign, canonical_query, sha256_hex, tc3_sign, Acs3Request, Tc3Request};
use ejia::server::sms::tencent::{TencentSettings, TencentSms};
use ejia::server::sms::{DeliveryStatus, HttpTimeouts, Outgoing, SendOutcome, SmsProvider, Template, TemplateCodes};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ALIYUN_ID: &str = "LTAI-test-id";
const ALIYUN_SECRET: &str = "aliyun-test-secret";
const TENCENT_ID: &str = "AKID-test-id";
const TENCENT_KEY: &str = "tencent-test-key";
const APP_ID: &str = "1400123456";
const PHONE: &str = "13800138000";

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Ok,
    Limited,
    Refused,
    Broken,
    Slow,
}

/// One request as the fake saw it.
#[derive(Clone, Debug)]
struct Seen {
    action: String,
    /// Alibaba: the query parameters; Tencent: the JSON body.
    params: Value,
    signature_ok: bool,
}

#[derive(Clone)]
struct Fake {
    mode: Arc<Mutex<Mode>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Correlation ids the provider has records for.
    records: Arc<Mutex<Vec<String>>>,
}

impl Fake {
    fn new(mode: Mode) -> Fake {
        Fake { mode: Arc::new(Mutex::new(mode)), seen: Arc::default(), records: Arc::default() }
    }
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
    fn record(&self, correlation_id: &str) {
        self.records.lock().unwrap().push(correlation_id.to_string());
    }
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

fn answer(status: StatusCode, body: String) -> (StatusCode, [(&'static str, &'static str); 1], String) {
    (status, [("content-type", "application/json")], body)
}

fn codes() -> TemplateCodes {
    TemplateCodes::new(Template::ALL.map(|t| (t, format!("SMS_{}", t.as_str().to_uppercase())))).unwrap()
}

fn timeouts(total_ms: u64) -> HttpTimeouts {
    HttpTimeouts { connect: Duration::from_millis(total_ms), total: Duration::from_millis(total_ms) }
}

fn join_code(correlation_id: &str) -> Outgoing {
    Outgoing { correlation_id: correlation_id.into(), to: PHONE.into(), template: Template::JoinCode, params: json!({"code": "123456"}) }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

// ---------------------------------------------------------------- Alibaba Cloud

/// Recomputes the ACS3 signature from what arrived: the decoded query, the signed headers'
/// values and the body. Also insists every `x-acs-*` header and `host` are signed, and that the
/// query arrived in its canonical encoding.
fn aliyun_signature_ok(headers: &HeaderMap, params: &[(String, String)], raw_query: &str, body: &[u8]) -> bool {
    let auth = header(headers, "authorization");
    let Some(rest) = auth.strip_prefix("ACS3-HMAC-SHA256 ") else { return false };
    let mut fields = std::collections::HashMap::new();
    for part in rest.split(',') {
        let Some((k, v)) = part.split_once('=') else { return false };
        fields.insert(k.trim(), v.trim());
    }
    let (Some(&id), Some(&signed)) = (fields.get("Credential"), fields.get("SignedHeaders")) else { return false };
    let signed: Vec<&str> = signed.split(';').collect();
    if !signed.contains(&"host") || headers.keys().any(|n| n.as_str().starts_with("x-acs-") && !signed.contains(&n.as_str())) {
        return false;
    }
    let hashed = sha256_hex(body);
    if header(headers, "x-acs-content-sha256") != hashed {
        return false;
    }
    let values: Vec<(&str, &str)> = signed.iter().map(|n| (*n, header(headers, n))).collect();
    let expected = acs3_sign(
        ALIYUN_ID,
        ALIYUN_SECRET,
        &Acs3Request { method: "POST", canonical_uri: "/", query: params, headers: &values, hashed_payload: &hashed },
    );
    id == ALIYUN_ID && expected.authorization == auth && canonical_query(params) == raw_query
}

async fn aliyun_fake(
    State(fake): State<Fake>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> impl axum::response::IntoResponse {
    let raw = query.unwrap_or_default();
    let params: Vec<(String, String)> = serde_urlencoded::from_str(&raw).unwrap_or_default();
    let signature_ok = aliyun_signature_ok(&headers, &params, &raw, &body);
    let action = header(&headers, "x-acs-action").to_string();
    let as_json: serde_json::Map<String, Value> = params.iter().map(|(k, v)| (k.clone(), Value::from(v.clone()))).collect();
    fake.seen.lock().unwrap().push(Seen { action: action.clone(), params: Value::Object(as_json.clone()), signature_ok });
    if !signature_ok || header(&headers, "x-acs-version") != "2017-05-25" {
        let body = json!({"Code": "SignatureDoesNotMatch", "Message": "Specified signature does not match our calculation."});
        return answer(StatusCode::BAD_REQUEST, body.to_string());
    }
    if action == "QuerySendDetails" {
        let records: Vec<Value> = std::iter::once("someone-else".to_string())
            .chain(fake.records.lock().unwrap().iter().cloned())
            .map(|out| {
                let phone = as_json.get("PhoneNumber").cloned();
                json!({"OutId": out, "SendStatus": 3, "ErrCode": "DELIVERED", "PhoneNum": phone})
            })
            .collect();
        let body = json!({
            "Code": "OK", "Message": "OK", "TotalCount": records.len(),
            "SmsSendDetailDTOs": {"SmsSendDetailDTO": records},
        });
        return answer(StatusCode::OK, body.to_string());
    }
    let mode = *fake.mode.lock().unwrap();
    match mode {
        Mode::Ok => {
            answer(StatusCode::OK, json!({"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "r"}).to_string())
        }
        Mode::Limited => answer(
            StatusCode::OK,
            json!({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发小时级流控Permits:5", "RequestId": "r"}).to_string(),
        ),
        Mode::Refused => {
            answer(StatusCode::OK, json!({"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号", "RequestId": "r"}).to_string())
        }
        Mode::Broken => answer(StatusCode::INTERNAL_SERVER_ERROR, "<html>upstream exploded".into()),
        Mode::Slow => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            answer(StatusCode::OK, json!({"Code": "OK", "BizId": "late"}).to_string())
        }
    }
}

async fn aliyun(mode: Mode, secret: &str, total_ms: u64) -> (AliyunSms, Fake) {
    let fake = Fake::new(mode);
    let endpoint = serve(Router::new().route("/", post(aliyun_fake)).with_state(fake.clone())).await;
    let sms = AliyunSms::new(AliyunSettings {
        access_key_id: ALIYUN_ID.into(),
        access_key_secret: secret.into(),
        sign_name: "工会E家".into(),
        templates: codes(),
        endpoint,
        timeouts: timeouts(total_ms),
    })
    .unwrap();
    (sms, fake)
}

#[tokio::test]
async fn aliyun_sends_with_signed_params() {
    let (sms, fake) = aliyun(Mode::Ok, ALIYUN_SECRET, 5000).await;
    let outcome = sms.send(&join_code("corr-1")).await;
    assert_eq!(outcome, SendOutcome::Sent { provider_message_id: "900619746936498440^0".into() });
    let seen = fake.seen();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].signature_ok);
    assert_eq!(seen[0].action, "SendSms");
    let p = &seen[0].params;
    assert_eq!(p["PhoneNumbers"], PHONE);
    assert_eq!(p["SignName"], "工会E家");
    assert_eq!(p["TemplateCode"], "SMS_JOIN_CODE");
    assert_eq!(p["OutId"], "corr-1");
    let template_param: Value = serde_json::from_str(p["TemplateParam"].as_str().unwrap()).unwrap();
    assert_eq!(template_param, json!({"code": "123456"}));
}

#[tokio::test]
async fn aliyun_sends_every_param_by_name() {
    let (sms, fake) = aliyun(Mode::Ok, ALIYUN_SECRET, 5000).await;
    let message = Outgoing {
        correlation_id: "corr-2".into(),
        to: PHONE.into(),
        template: Template::Returned,
        params: json!({"name": "张三", "reason": "身份证照片不清晰 * 请重拍", "link": "https://e.example/s/abc~1"}),
    };
    assert!(matches!(sms.send(&message).await, SendOutcome::Sent { .. }));
    let seen = fake.seen();
    assert!(seen[0].signature_ok, "spaces, *, ~ and Chinese survive signing");
    assert_eq!(seen[0].params["TemplateCode"], "SMS_RETURNED");
    let template_param: Value = serde_json::from_str(seen[0].params["TemplateParam"].as_str().unwrap()).unwrap();
    assert_eq!(template_param, message.params);
}

#[tokio::test]
async fn aliyun_rate_limit_is_not_a_failure() {
    let (sms, _fake) = aliyun(Mode::Limited, ALIYUN_SECRET, 5000).await;
    match sms.send(&join_code("corr-3")).await {
        SendOutcome::RateLimited { retry_after_secs, detail } => {
            assert_eq!(retry_after_secs, 3600, "an hour-level limit");
            assert!(detail.contains("isv.BUSINESS_LIMIT_CONTROL"));
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
}

#[tokio::test]
async fn aliyun_business_error_fails() {
    let (sms, _fake) = aliyun(Mode::Refused, ALIYUN_SECRET, 5000).await;
    match sms.send(&join_code("corr-4")).await {
        SendOutcome::Failed { detail } => assert!(detail.starts_with("isv.MOBILE_NUMBER_ILLEGAL"), "{detail}"),
        other => panic!("expected Failed, got {other:?}"),
    }
}

#[tokio::test]
async fn aliyun_wrong_secret_is_refused_by_the_fake() {
    let (sms, fake) = aliyun(Mode::Ok, "not-the-secret", 5000).await;
    match sms.send(&join_code("corr-5")).await {
        SendOutcome::Failed { detail } => assert!(detail.starts_with("SignatureDoesNotMatch"), "{detail}"),
        other => panic!("expected Failed, got {other:?}"),
    }
    assert!(!fake.seen()[0].signature_ok);
}

#[tokio::test]
async fn aliyun_server_error_is_unknown() {
    let (sms, _fake) = aliyun(Mode::Broken, ALIYUN_SECRET, 5000).await;
    assert!(matches!(sms.send(&join_code("corr-6")).await, SendOutcome::Unknown { .. }));
}

#[tokio::test]
async fn aliyun_timeout_is_unknown_and_leaks_nothing() {
    let (sms, fake) = aliyun(Mode::Slow, ALIYUN_SECRET, 300).await;
    let started = std::time::Instant::now();
    match sms.send(&join_code("corr-7")).await {
        SendOutcome::Unknown { detail } => {
            assert!(!detail.contains(PHONE) && !detail.contains("123456"), "no phone or code in {detail}");
        }
        other => panic!("expected Unknown, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(fake.seen().len(), 1, "the provider did get the request: it may have sent it");
}

#[tokio::test]
async fn aliyun_delivery_records() {
    let (sms, fake) = aliyun(Mode::Ok, ALIYUN_SECRET, 5000).await;
    fake.record("corr-8");
    let an_hour_ago = now() - 3600;
    assert_eq!(
        sms.delivery_status_for("corr-8", PHONE, an_hour_ago).await,
        DeliveryStatus::Delivered { provider_message_id: String::new() }
    );
    let query = fake.seen()[0].clone();
    assert!(query.signature_ok);
    assert_eq!(query.action, "QuerySendDetails");
    assert_eq!(query.params["PhoneNumber"], PHONE);
    assert_eq!(query.params["PageSize"], "50");
    assert_eq!(query.params["CurrentPage"], "1");
    assert_eq!(query.params["SendDate"].as_str().unwrap().len(), 8);

    let before = fake.seen().len();
    assert_eq!(sms.delivery_status_for("corr-unsent", PHONE, an_hour_ago).await, DeliveryStatus::NotFound);
    let dates: Vec<String> = fake.seen()[before..].iter().map(|s| s.params["SendDate"].as_str().unwrap().to_string()).collect();
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).format("%Y%m%d").to_string();
    assert_eq!(dates.last(), Some(&today), "looked up to today's China date: {dates:?}");
    // Records may lag a fresh send: finding nothing yet proves nothing.
    assert_eq!(sms.delivery_status_for("corr-unsent", PHONE, now() - 30).await, DeliveryStatus::Unknown);
    assert_eq!(sms.delivery_status("corr-8").await, DeliveryStatus::Unknown, "needs the phone: use delivery_status_for");
}

#[tokio::test]
async fn aliyun_unreachable_is_a_failure() {
    // A port that was just free: the connection is refused, so nothing was sent.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let sms = AliyunSms::new(AliyunSettings {
        access_key_id: ALIYUN_ID.into(),
        access_key_secret: ALIYUN_SECRET.into(),
        sign_name: "工会E家".into(),
        templates: codes(),
        endpoint,
        timeouts: timeouts(1000),
    })
    .unwrap();
    assert!(matches!(sms.send(&join_code("corr-9")).await, SendOutcome::Failed { .. }));
    assert_eq!(sms.delivery_status_for("corr-9", PHONE, now() - 3600).await, DeliveryStatus::Unknown);
}

// ---------------------------------------------------------------- Tencent Cloud

/// Recomputes the TC3 signature from what arrived: the signed headers' values, the timestamp
/// and the exact body bytes.
fn tencent_signature_ok(headers: &HeaderMap, body: &[u8]) -> bool {
    let auth = header(headers, "authorization");
    let Some(rest) = auth.strip_prefix("TC3-HMAC-SHA256 ") else { return false };
    let mut fields = std::collections::HashMap::new();
    for part in rest.split(", ") {
        let Some((k, v)) = part.split_once('=') else { return false };
        fields.insert(k, v);
    }
    let (Some(&credential), Some(&signed)) = (fields.get("Credential"), fields.get("SignedHeaders")) else {
        return false;
    };
    let scope: Vec<&str> = credential.split('/').collect();
    let signed: Vec<&str> = signed.split(';').collect();
    if scope.len() != 4 || scope[0] != TENCENT_ID || scope[2] != "sms" || !signed.contains(&"content-type") || !signed.contains(&"host") {
        return false;
    }
    let Ok(timestamp) = header(headers, "x-tc-timestamp").parse::<i64>() else { return false };
    if (now() - timestamp).abs() > 300 {
        return false;
    }
    let values: Vec<(&str, &str)> = signed.iter().map(|n| (*n, header(headers, n))).collect();
    let expected = tc3_sign(
        TENCENT_ID,
        TENCENT_KEY,
        &Tc3Request { service: "sms", method: "POST", canonical_uri: "/", canonical_query: "", headers: &values, payload: body, timestamp },
    );
    expected.authorization == auth && scope[1] == expected.date
}

async fn tencent_fake(State(fake): State<Fake>, headers: HeaderMap, body: Bytes) -> impl axum::response::IntoResponse {
    let signature_ok = tencent_signature_ok(&headers, &body)
        && header(&headers, "x-tc-version") == "2021-01-11"
        && header(&headers, "x-tc-region") == "ap-guangzhou"
        && header(&headers, "content-type") == "application/json; charset=utf-8";
    let action = header(&headers, "x-tc-action").to_string();
    let params: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    fake.seen.lock().unwrap().push(Seen { action: action.clone(), params: params.clone(), signature_ok });
    let respond = |response: Value| answer(StatusCode::OK, json!({ "Response": response }).to_string());
    if !signature_ok {
        let message = "The provided credentials could not be validated.";
        return respond(json!({"Error": {"Code": "AuthFailure.SignatureFailure", "Message": message}, "RequestId": "r"}));
    }
    if action == "PullSmsSendStatusByPhoneNumber" {
        let reports: Vec<Value> = std::iter::once("someone-else".to_string())
            .chain(fake.records.lock().unwrap().iter().cloned())
            .map(|c| {
                let phone = params["PhoneNumber"].clone();
                json!({"SessionContext": c, "SerialNo": format!("serial-{c}"), "PhoneNumber": phone, "ReportStatus": "SUCCESS"})
            })
            .collect();
        return respond(json!({"PullSmsSendStatusSet": reports, "RequestId": "r"}));
    }
    let status = |code: &str, message: &str| {
        let set = json!([{
            "SerialNo": "2028:4236a4f8", "PhoneNumber": params["PhoneNumberSet"][0].clone(), "Fee": 1,
            "SessionContext": params["SessionContext"].clone(), "Code": code, "Message": message, "IsoCode": "CN",
        }]);
        respond(json!({"SendStatusSet": set, "RequestId": "r"}))
    };
    let mode = *fake.mode.lock().unwrap();
    match mode {
        Mode::Ok => status("Ok", "send success"),
        Mode::Limited => status("LimitExceeded.PhoneNumberOneHourLimit", "单个手机号1小时内下发短信条数超过设定的上限"),
        Mode::Refused => status("FailedOperation.TemplateParamSetNotMatchApprovedTemplate", "请求内容与审核通过的模板内容不匹配"),
        Mode::Broken => answer(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error".into()),
        Mode::Slow => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            status("Ok", "send success")
        }
    }
}

async fn tencent(mode: Mode, key: &str, total_ms: u64) -> (TencentSms, Fake) {
    let fake = Fake::new(mode);
    let endpoint = serve(Router::new().route("/", post(tencent_fake)).with_state(fake.clone())).await;
    let sms = TencentSms::new(TencentSettings {
        secret_id: TENCENT_ID.into(),
        secret_key: key.into(),
        sdk_app_id: APP_ID.into(),
        sign_name: "工会E家".into(),
        templates: codes(),
        region: "ap-guangzhou".into(),
        endpoint,
        timeouts: timeouts(total_ms),
    })
    .unwrap();
    (sms, fake)
}

#[tokio::test]
async fn tencent_sends_with_positional_params() {
    let (sms, fake) = tencent(Mode::Ok, TENCENT_KEY, 5000).await;
    let message = Outgoing {
        correlation_id: "corr-t1".into(),
        to: PHONE.into(),
        template: Template::Approved,
        params: json!({"link": "https://e.example/s/x", "member_no": "GH2026000123", "name": "李四"}),
    };
    assert_eq!(sms.send(&message).await, SendOutcome::Sent { provider_message_id: "2028:4236a4f8".into() });
    let seen = fake.seen();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].signature_ok);
    assert_eq!(seen[0].action, "SendSms");
    assert_eq!(
        seen[0].params,
        json!({
            "PhoneNumberSet": ["+8613800138000"],
            "SmsSdkAppId": APP_ID,
            "SignName": "工会E家",
            "TemplateId": "SMS_APPROVED",
            "TemplateParamSet": ["李四", "GH2026000123", "https://e.example/s/x"],
            "SessionContext": "corr-t1",
        })
    );
}

#[tokio::test]
async fn tencent_rate_limit_is_not_a_failure() {
    let (sms, _fake) = tencent(Mode::Limited, TENCENT_KEY, 5000).await;
    match sms.send(&join_code("corr-t2")).await {
        SendOutcome::RateLimited { retry_after_secs, detail } => {
            assert_eq!(retry_after_secs, 3600);
            assert!(detail.starts_with("LimitExceeded.PhoneNumberOneHourLimit"), "{detail}");
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
}

#[tokio::test]
async fn tencent_business_error_fails() {
    let (sms, _fake) = tencent(Mode::Refused, TENCENT_KEY, 5000).await;
    match sms.send(&join_code("corr-t3")).await {
        SendOutcome::Failed { detail } => {
            assert!(detail.starts_with("FailedOperation.TemplateParamSetNotMatch"), "{detail}")
        }
        other => panic!("expected Failed, got {other:?}"),
    }
}

#[tokio::test]
async fn tencent_wrong_key_is_refused_by_the_fake() {
    let (sms, fake) = tencent(Mode::Ok, "not-the-key", 5000).await;
    match sms.send(&join_code("corr-t4")).await {
        SendOutcome::Failed { detail } => assert!(detail.starts_with("AuthFailure.SignatureFailure"), "{detail}"),
        other => panic!("expected Failed, got {other:?}"),
    }
    assert!(!fake.seen()[0].signature_ok);
}

#[tokio::test]
async fn tencent_server_error_is_unknown() {
    let (sms, _fake) = tencent(Mode::Broken, TENCENT_KEY, 5000).await;
    assert!(matches!(sms.send(&join_code("corr-t5")).await, SendOutcome::Unknown { .. }));
}

#[tokio::test]
async fn tencent_timeout_is_unknown() {
    let (sms, fake) = tencent(Mode::Slow, TENCENT_KEY, 300).await;
    let started = std::time::Instant::now();
    assert!(matches!(sms.send(&join_code("corr-t6")).await, SendOutcome::Unknown { .. }));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(fake.seen().len(), 1, "the provider did get the request: it may have sent it");
}

#[tokio::test]
async fn tencent_delivery_reports() {
    let (sms, fake) = tencent(Mode::Ok, TENCENT_KEY, 5000).await;
    fake.record("corr-t7");
    let an_hour_ago = now() - 3600;
    assert_eq!(
        sms.delivery_status_for("corr-t7", PHONE, an_hour_ago).await,
        DeliveryStatus::Delivered { provider_message_id: "serial-corr-t7".into() }
    );
    let query = fake.seen()[0].clone();
    assert!(query.signature_ok);
    assert_eq!(query.action, "PullSmsSendStatusByPhoneNumber");
    assert_eq!(query.params["PhoneNumber"], "+8613800138000");
    assert_eq!(query.params["SmsSdkAppId"], APP_ID);
    assert_eq!(query.params["BeginTime"], an_hour_ago - 60);
    assert_eq!(query.params["Offset"], 0);
    assert_eq!(query.params["Limit"], 100);
    assert!((query.params["EndTime"].as_i64().unwrap() - now()).abs() < 5);

    assert_eq!(sms.delivery_status_for("corr-unsent", PHONE, an_hour_ago).await, DeliveryStatus::NotFound);
    // Reports lag: ten minutes must pass before "none" means "never sent".
    assert_eq!(sms.delivery_status_for("corr-unsent", PHONE, now() - 60).await, DeliveryStatus::Unknown);
    assert_eq!(sms.delivery_status("corr-t7").await, DeliveryStatus::Unknown, "needs the phone: use delivery_status_for");
}
