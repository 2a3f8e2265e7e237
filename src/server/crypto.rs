//! Keys for personal data. ID numbers are sealed with XChaCha20-Poly1305 (a random 192-bit
//! nonce per value, the row's identity as associated data) under the active key of a keyring;
//! each value stores its key id so keys can be rotated. Duplicates are found through a keyed
//! blind index (HMAC-SHA256), and one-time codes are kept only as MACs.
//!
//! `EJIA_DATA_KEY` is `id:base64(32 bytes)[,id:base64…]`; the first entry encrypts, all decrypt.
//! The blind-index and MAC keys derive from the entry with the lowest id — the original key,
//! kept in the ring after a rotation — so indexes stay stable across rotations.
use crate::domain::IdNumber;
use anyhow::{anyhow, bail, Context};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::path::Path;

type HmacSha256 = Hmac<Sha256>;

pub struct Keyring {
    keys: Vec<(i64, XChaCha20Poly1305)>,
    active: i64,
    index_key: [u8; 32],
    mac_key: [u8; 32],
    audit_key: [u8; 32],
}

fn derive(master: &[u8], label: &str) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(master).expect("any key length");
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

impl Keyring {
    pub fn parse(spec: &str) -> anyhow::Result<Keyring> {
        let mut entries = Vec::new();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (id, b64) = entry.split_once(':').context("each key entry is id:base64")?;
            let id: i64 = id.parse().context("key id must be a number")?;
            let bytes = STANDARD.decode(b64).context("key must be base64")?;
            if bytes.len() != 32 {
                bail!("key {id} must be 32 bytes, got {}", bytes.len());
            }
            entries.push((id, bytes));
        }
        let (active, _) = entries.first().cloned().ok_or_else(|| anyhow!("EJIA_DATA_KEY has no key"))?;
        let (_, original) = entries.iter().min_by_key(|(id, _)| *id).cloned().expect("non-empty");
        Ok(Keyring {
            keys: entries.iter().map(|(id, k)| (*id, XChaCha20Poly1305::new_from_slice(k).expect("32 bytes"))).collect(),
            active,
            index_key: derive(&original, "ejia/blind-index/v1"),
            mac_key: derive(&original, "ejia/mac/v1"),
            audit_key: derive(&original, "ejia/audit/v1"),
        })
    }

    /// A fresh random key in the `id:base64` form.
    pub fn generate_spec(id: i64) -> String {
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        format!("{id}:{}", STANDARD.encode(key))
    }

    /// The development key: read from `dir/dev-key`, created there on first use.
    pub fn load_or_create_dev(dir: &Path) -> anyhow::Result<Keyring> {
        let path = dir.join("dev-key");
        if let Ok(spec) = std::fs::read_to_string(&path) {
            return Keyring::parse(spec.trim());
        }
        std::fs::create_dir_all(dir)?;
        let spec = Keyring::generate_spec(1);
        std::fs::write(&path, &spec)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
        tracing::warn!(path = %path.display(), "EJIA_DATA_KEY not set: generated a development key; never use it in production");
        Keyring::parse(&spec)
    }

    /// Seals bytes under the active key, bound to `row_identity`: the key id and
    /// `nonce || ciphertext` (a random 192-bit nonce each time).
    fn seal(&self, plain: &[u8], row_identity: &str) -> (i64, Vec<u8>) {
        let (key_id, cipher) = self.keys.iter().find(|(k, _)| *k == self.active).expect("active key present");
        let mut nonce = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad: row_identity.as_bytes() })
            .expect("encryption of a short value cannot fail");
        let mut out = nonce.to_vec();
        out.extend(sealed);
        (*key_id, out)
    }

    /// Opens what `seal` made; fails on a wrong key, a wrong row or tampering.
    fn open(&self, key_id: i64, sealed: &[u8], row_identity: &str) -> anyhow::Result<String> {
        let (_, cipher) = self.keys.iter().find(|(k, _)| *k == key_id).ok_or_else(|| anyhow!("unknown key id {key_id}"))?;
        if sealed.len() < 24 {
            bail!("sealed value too short");
        }
        let plain = cipher
            .decrypt(XNonce::from_slice(&sealed[..24]), Payload { msg: &sealed[24..], aad: row_identity.as_bytes() })
            .map_err(|_| anyhow!("sealed value does not open"))?;
        Ok(String::from_utf8(plain)?)
    }

    /// Seals an ID number; returns the key id and `nonce || ciphertext`.
    pub fn seal_id(&self, id: &IdNumber, row_identity: &str) -> (i64, Vec<u8>) {
        self.seal(id.as_str().as_bytes(), row_identity)
    }

    /// Opens a sealed ID number; fails on a wrong key, a wrong row or tampering.
    pub fn open_id(&self, key_id: i64, sealed: &[u8], row_identity: &str) -> anyhow::Result<String> {
        self.open(key_id, sealed, row_identity)
    }

    /// Seals a short text (outbox parameters and the like) under the active key, bound to
    /// `row_identity`: `v1.<key id>.<base64url(nonce || ciphertext)>`, safe to keep in a TEXT column.
    pub fn seal_text(&self, plain: &str, row_identity: &str) -> String {
        let (key_id, sealed) = self.seal(plain.as_bytes(), row_identity);
        format!("{SEALED_TEXT_PREFIX}{key_id}.{}", URL_SAFE_NO_PAD.encode(sealed))
    }

    /// Opens what `seal_text` made; fails on a wrong key, a wrong row or tampering.
    pub fn open_text(&self, sealed: &str, row_identity: &str) -> anyhow::Result<String> {
        let rest = sealed.strip_prefix(SEALED_TEXT_PREFIX).ok_or_else(|| anyhow!("not a sealed value"))?;
        let (key_id, b64) = rest.split_once('.').ok_or_else(|| anyhow!("malformed sealed value"))?;
        let key_id: i64 = key_id.parse().context("malformed key id")?;
        let bytes = URL_SAFE_NO_PAD.decode(b64).context("malformed sealed value")?;
        self.open(key_id, &bytes, row_identity)
    }

    /// Seals bytes (a stored file) under the active key, bound to `identity`:
    /// `key id (8 bytes, big-endian) || nonce || ciphertext`.
    pub fn seal_bytes(&self, plain: &[u8], identity: &str) -> Vec<u8> {
        let (key_id, sealed) = self.seal(plain, identity);
        let mut out = key_id.to_be_bytes().to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens what `seal_bytes` made; fails on a wrong key, a wrong identity or tampering.
    pub fn open_bytes(&self, sealed: &[u8], identity: &str) -> anyhow::Result<Vec<u8>> {
        if sealed.len() < 8 {
            bail!("sealed value too short");
        }
        let key_id = i64::from_be_bytes(sealed[..8].try_into().expect("8 bytes"));
        let (_, cipher) = self.keys.iter().find(|(k, _)| *k == key_id).ok_or_else(|| anyhow!("unknown key id {key_id}"))?;
        let body = &sealed[8..];
        if body.len() < 24 {
            bail!("sealed value too short");
        }
        cipher
            .decrypt(XNonce::from_slice(&body[..24]), Payload { msg: &body[24..], aad: identity.as_bytes() })
            .map_err(|_| anyhow!("sealed value does not open"))
    }

    /// The keyed blind index of an ID number, for duplicate checks.
    pub fn blind_index(&self, id: &IdNumber) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.index_key).expect("32 bytes");
        mac.update(id.as_str().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// A MAC over `parts` (joined unambiguously), for one-time codes and picture checks.
    pub fn mac(&self, parts: &[&str]) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.mac_key).expect("32 bytes");
        for p in parts {
            mac.update(&(p.len() as u64).to_be_bytes());
            mac.update(p.as_bytes());
        }
        hex::encode(mac.finalize().into_bytes())
    }

    /// The key of the audit chain (derived from the original data key, never stored).
    pub fn audit_key(&self) -> &[u8; 32] {
        &self.audit_key
    }

    /// A MAC of the audit chain over `parts` (joined unambiguously), hex.
    pub fn audit_mac(&self, parts: &[&str]) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(self.audit_key()).expect("32 bytes");
        for p in parts {
            mac.update(&(p.len() as u64).to_be_bytes());
            mac.update(p.as_bytes());
        }
        hex::encode(mac.finalize().into_bytes())
    }

    /// Compares a MAC in constant time.
    pub fn mac_matches(&self, parts: &[&str], expected_hex: &str) -> bool {
        use subtle::ConstantTimeEq;
        let actual = self.mac(parts);
        actual.as_bytes().ct_eq(expected_hex.as_bytes()).into()
    }
}

/// How a value sealed by `Keyring::seal_text` begins.
pub const SEALED_TEXT_PREFIX: &str = "v1.";

/// A token of 128 random bits, URL-safe (22 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a token, hex: what is stored in place of a bearer token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Ymd;

    fn id() -> IdNumber {
        IdNumber::parse("11010519491231002X", Ymd::new(2026, 1, 1).unwrap()).unwrap()
    }

    #[test]
    fn seals_and_opens_bound_to_the_row() {
        let ring = Keyring::parse(&Keyring::generate_spec(1)).unwrap();
        let (kid, sealed) = ring.seal_id(&id(), "app:abc");
        assert!(!String::from_utf8_lossy(&sealed).contains("19491231"));
        assert_eq!(ring.open_id(kid, &sealed, "app:abc").unwrap(), "11010519491231002X");
        assert!(ring.open_id(kid, &sealed, "app:other").is_err());
    }

    #[test]
    fn rotation_keeps_old_values_and_the_index() {
        let old = Keyring::generate_spec(1);
        let ring1 = Keyring::parse(&old).unwrap();
        let (kid, sealed) = ring1.seal_id(&id(), "r");
        let ring2 = Keyring::parse(&format!("{},{old}", Keyring::generate_spec(2))).unwrap();
        assert_eq!(ring2.open_id(kid, &sealed, "r").unwrap(), "11010519491231002X");
        assert_eq!(ring2.seal_id(&id(), "r").0, 2);
        assert_eq!(ring1.blind_index(&id()), ring2.blind_index(&id()));
    }

    #[test]
    fn sealed_text_opens_only_for_its_row() {
        let ring = Keyring::parse(&Keyring::generate_spec(7)).unwrap();
        let sealed = ring.seal_text("{\"code\":\"123456\"}", "outbox:abc");
        assert!(sealed.starts_with("v1.7.") && !sealed.contains("123456"));
        assert_eq!(ring.open_text(&sealed, "outbox:abc").unwrap(), "{\"code\":\"123456\"}");
        assert!(ring.open_text(&sealed, "outbox:other").is_err());
        assert!(ring.open_text("{}", "outbox:abc").is_err());
    }

    #[test]
    fn tokens_are_128_bits() {
        let t = random_token();
        assert_eq!(URL_SAFE_NO_PAD.decode(&t).unwrap().len(), 16);
        assert_ne!(t, random_token());
    }

    #[test]
    fn bad_specs_are_refused() {
        assert!(Keyring::parse("").is_err());
        assert!(Keyring::parse("1:abc").is_err());
        assert!(Keyring::parse("x:AAAA").is_err());
    }
}
