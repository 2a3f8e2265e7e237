//! Request signing for the cloud SMS providers: Alibaba Cloud's ACS3-HMAC-SHA256 and Tencent
//! Cloud's TC3-HMAC-SHA256. Pure functions of their inputs (no clock, no randomness), so the
//! documented vectors test them byte for byte and a fake provider can recompute them.
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC takes a key of any length, so this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// RFC 3986 percent-encoding of UTF-8 bytes: only `A-Z a-z 0-9 - _ . ~` stay as they are, hex
/// is upper-case, so a space is `%20` and `*` is `%2A` (not the form encoding's `+`).
pub fn rfc3986_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The query string both providers sign: encoded `name=value` pairs sorted by encoded name
/// (then value, so repeated names stay deterministic), joined by `&`. Alibaba's RPC calls also
/// send exactly this string, so what is signed is what goes on the wire.
pub fn canonical_query(params: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> = params.iter().map(|(k, v)| (rfc3986_encode(k), rfc3986_encode(v))).collect();
    pairs.sort();
    pairs.into_iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// Canonical headers (`name:value\n` each, names lower-cased and sorted, values trimmed and
/// optionally lower-cased) and the `;`-joined signed header names.
fn canonical_headers(headers: &[(&str, &str)], lowercase_values: bool) -> (String, String) {
    let mut hs: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| {
            let v = v.trim();
            (n.trim().to_ascii_lowercase(), if lowercase_values { v.to_ascii_lowercase() } else { v.to_string() })
        })
        .collect();
    hs.sort();
    let canonical = hs.iter().map(|(n, v)| format!("{n}:{v}\n")).collect::<String>();
    let signed = hs.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(";");
    (canonical, signed)
}

/// One ACS3-HMAC-SHA256 request to sign. `headers` are the ones to sign: `host`, every
/// `x-acs-*` header, and `content-type` when one is sent.
pub struct Acs3Request<'a> {
    pub method: &'a str,
    pub canonical_uri: &'a str,
    pub query: &'a [(String, String)],
    pub headers: &'a [(&'a str, &'a str)],
    /// Hex SHA-256 of the body (also sent as `x-acs-content-sha256`).
    pub hashed_payload: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acs3Signature {
    pub canonical_request: String,
    pub hashed_canonical_request: String,
    pub signed_headers: String,
    pub signature: String,
    /// The whole `Authorization` header value.
    pub authorization: String,
}

pub fn acs3_sign(access_key_id: &str, access_key_secret: &str, req: &Acs3Request<'_>) -> Acs3Signature {
    let (headers, signed_headers) = canonical_headers(req.headers, false);
    let canonical_request = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        req.canonical_uri,
        canonical_query(req.query),
        headers,
        signed_headers,
        req.hashed_payload
    );
    let hashed_canonical_request = sha256_hex(canonical_request.as_bytes());
    let string_to_sign = format!("ACS3-HMAC-SHA256\n{hashed_canonical_request}");
    let signature = hex::encode(hmac_sha256(access_key_secret.as_bytes(), string_to_sign.as_bytes()));
    let authorization = format!("ACS3-HMAC-SHA256 Credential={access_key_id},SignedHeaders={signed_headers},Signature={signature}");
    Acs3Signature { canonical_request, hashed_canonical_request, signed_headers, signature, authorization }
}

/// One TC3-HMAC-SHA256 request to sign. `headers` are the ones to sign (at least
/// `content-type` and `host`); their values are lower-cased as the algorithm requires.
pub struct Tc3Request<'a> {
    pub service: &'a str,
    pub method: &'a str,
    pub canonical_uri: &'a str,
    /// Empty for POST.
    pub canonical_query: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub payload: &'a [u8],
    /// Unix seconds, sent as `X-TC-Timestamp`; the credential date is its UTC date.
    pub timestamp: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tc3Signature {
    pub date: String,
    pub hashed_payload: String,
    pub canonical_request: String,
    pub hashed_canonical_request: String,
    pub string_to_sign: String,
    pub secret_date: [u8; 32],
    pub secret_signing: [u8; 32],
    pub signature: String,
    /// The whole `Authorization` header value.
    pub authorization: String,
}

/// The credential date: the timestamp's UTC date (`None` only for timestamps chrono cannot hold).
pub fn tc3_date(timestamp: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(timestamp, 0).map(|t| t.format("%Y-%m-%d").to_string())
}

pub fn tc3_sign(secret_id: &str, secret_key: &str, req: &Tc3Request<'_>) -> Tc3Signature {
    // An out-of-range timestamp gives an empty date and so a signature the provider refuses.
    let date = tc3_date(req.timestamp).unwrap_or_default();
    let hashed_payload = sha256_hex(req.payload);
    let (headers, signed_headers) = canonical_headers(req.headers, true);
    let canonical_request =
        format!("{}\n{}\n{}\n{}\n{}\n{}", req.method, req.canonical_uri, req.canonical_query, headers, signed_headers, hashed_payload);
    let hashed_canonical_request = sha256_hex(canonical_request.as_bytes());
    let scope = format!("{date}/{}/tc3_request", req.service);
    let string_to_sign = format!("TC3-HMAC-SHA256\n{}\n{scope}\n{hashed_canonical_request}", req.timestamp);
    let secret_date = hmac_sha256(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let secret_service = hmac_sha256(&secret_date, req.service.as_bytes());
    let secret_signing = hmac_sha256(&secret_service, b"tc3_request");
    let signature = hex::encode(hmac_sha256(&secret_signing, string_to_sign.as_bytes()));
    let authorization = format!("TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders={signed_headers}, Signature={signature}");
    Tc3Signature {
        date,
        hashed_payload,
        canonical_request,
        hashed_canonical_request,
        string_to_sign,
        secret_date,
        secret_signing,
        signature,
        authorization,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3986_encoding() {
        assert_eq!(rfc3986_encode("a b*c~d-e_f.g"), "a%20b%2Ac~d-e_f.g");
        assert_eq!(rfc3986_encode("+/=&"), "%2B%2F%3D%26");
        assert_eq!(rfc3986_encode("工"), "%E5%B7%A5");
        let q = canonical_query(&[("b".into(), "2 3".into()), ("a".into(), "1".into())]);
        assert_eq!(q, "a=1&b=2%203");
    }

    /// Alibaba Cloud's documented ACS3-HMAC-SHA256 example (ECS RunInstances).
    #[test]
    fn acs3_documented_vector() {
        let empty = sha256_hex(b"");
        assert_eq!(empty, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        let query = vec![
            ("ImageId".to_string(), "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd".to_string()),
            ("RegionId".to_string(), "cn-shanghai".to_string()),
        ];
        let headers = [
            ("host", "ecs.cn-shanghai.aliyuncs.com"),
            ("x-acs-action", "RunInstances"),
            ("x-acs-version", "2014-05-26"),
            ("x-acs-date", "2023-10-26T10:22:32Z"),
            ("x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d"),
            ("x-acs-content-sha256", empty.as_str()),
        ];
        let sig = acs3_sign(
            "YourAccessKeyId",
            "YourAccessKeySecret",
            &Acs3Request { method: "POST", canonical_uri: "/", query: &query, headers: &headers, hashed_payload: &empty },
        );
        assert_eq!(sig.hashed_canonical_request, "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259");
        assert_eq!(sig.signature, "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0");
        assert_eq!(
            sig.authorization,
            "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;\
             x-acs-date;x-acs-signature-nonce;x-acs-version,\
             Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
        );
    }

    const TC3_PAYLOAD: &str = r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;

    /// Tencent Cloud's documented TC3-HMAC-SHA256 example (CVM DescribeInstances).
    #[test]
    fn tc3_documented_vector() {
        assert_eq!(TC3_PAYLOAD.len(), 86);
        let headers = [("Content-Type", "application/json; charset=utf-8"), ("Host", "cvm.tencentcloudapi.com")];
        let sig = tc3_sign(
            "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
            "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
            &Tc3Request {
                service: "cvm",
                method: "POST",
                canonical_uri: "/",
                canonical_query: "",
                headers: &headers,
                payload: TC3_PAYLOAD.as_bytes(),
                timestamp: 1551113065,
            },
        );
        assert_eq!(sig.date, "2019-02-25");
        assert_eq!(sig.hashed_payload, "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064");
        assert_eq!(sig.hashed_canonical_request, "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031");
        assert_eq!(sig.signature, "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
        assert_eq!(
            sig.authorization,
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, \
             SignedHeaders=content-type;host, \
             Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
    }

    /// The newer version of the same document: `x-tc-action` is signed too, its value lower-cased.
    #[test]
    fn tc3_documented_vector_with_action() {
        let headers = [
            ("content-type", "application/json; charset=utf-8"),
            ("host", "cvm.tencentcloudapi.com"),
            ("x-tc-action", "DescribeInstances"),
        ];
        let secret_key = "*".repeat(32);
        let sig = tc3_sign(
            "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
            &secret_key,
            &Tc3Request {
                service: "cvm",
                method: "POST",
                canonical_uri: "/",
                canonical_query: "",
                headers: &headers,
                payload: TC3_PAYLOAD.as_bytes(),
                timestamp: 1551113065,
            },
        );
        assert!(sig.canonical_request.contains("x-tc-action:describeinstances\n"));
        assert_eq!(sig.hashed_canonical_request, "7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84");
        assert_eq!(hex::encode(sig.secret_date), "da98fb70dcf6b112dc21038d1eeeb3a95c74b4dcb12c1131f864f6066bd02be0");
        assert_eq!(hex::encode(sig.secret_signing), "b596b923aad85185e2d1f6659d2a062e0a86731226e021e61bfe06f7ed05f5af");
        assert_eq!(sig.signature, "10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f");
        assert!(sig.authorization.contains("SignedHeaders=content-type;host;x-tc-action, Signature=10b1a37a"));
    }
}
