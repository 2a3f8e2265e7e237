//! Keys for personal data. Values are sealed with an AEAD (a random nonce per value, the row's
//! identity as associated data) under the active key of a keyring; each value stores its key
//! id, and the key's entry says its algorithm suite (see `alg`): XChaCha20-Poly1305 with
//! HMAC-SHA256 by default, SM4-GCM with HMAC-SM3 for an `sm4` entry. Duplicates are found
//! through a keyed blind index, one-time codes are kept only as MACs, and the audit chain is
//! an HMAC chain.
//!
//! `EJIA_DATA_KEY` is `id:base64[,id:sm4:base64…]`; the first entry seals, all open. Every key
//! derives its own blind-index, MAC and audit keys (HMAC of its suite over a label):
//! - the blind index is made under the active key and each row records which key made it
//!   (`applications.id_blind_key`); lookups try every key of the ring, and `ejia keys rotate`
//!   re-keys the stored indexes, one person at a time (see `site::keys`);
//! - MACs are made under the active key and checked against every key of the ring: what they
//!   protect lives minutes (codes, picture checks, redemption codes, card codes) or is made
//!   anew when shown (event tickets), so values under a retired key simply expire;
//! - the audit chain's rows record the key that MAC'd them (`audit_log.key_id`); the audit
//!   key of every data key is kept in the database, sealed (`store`), so rows stay
//!   verifiable after their data key has left `EJIA_DATA_KEY`.
//!
//! Values stored before keys were recorded per row (a NULL key id) were made by the key with
//! the lowest id, as every earlier version did; `store` remembers which key that was.
pub mod alg;
pub mod entry;
pub mod reseal;
pub mod store;

use crate::domain::IdNumber;
use alg::{Alg, Cipher};
use anyhow::{anyhow, Context};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::path::Path;

/// One data key of the ring, with the keys derived from it.
struct DataKey {
    id: i64,
    alg: Alg,
    cipher: Cipher,
    index_key: [u8; 32],
    mac_key: [u8; 32],
    audit_key: [u8; 32],
}

/// The audit key of a data key that is no longer in the ring (read back from the database).
struct RetiredAudit {
    id: i64,
    alg: Alg,
    key: [u8; 32],
}

pub struct Keyring {
    /// In the order of `EJIA_DATA_KEY`: the first seals.
    keys: Vec<DataKey>,
    retired: Vec<RetiredAudit>,
    /// The key that made values stored without a key id.
    legacy: i64,
}

const INDEX_LABEL: &str = "ejia/blind-index/v1";
const MAC_LABEL: &str = "ejia/mac/v1";
const AUDIT_LABEL: &str = "ejia/audit/v1";

/// A MAC over `parts` joined unambiguously (each part after its length, 8 bytes big-endian), hex.
fn mac_hex(alg: Alg, key: &[u8; 32], parts: &[&str]) -> String {
    let mut msg = Vec::with_capacity(parts.iter().map(|p| p.len() + 8).sum());
    for p in parts {
        msg.extend((p.len() as u64).to_be_bytes());
        msg.extend(p.as_bytes());
    }
    hex::encode(alg.hmac(key, &[&msg]))
}

impl Keyring {
    /// Reads `EJIA_DATA_KEY` (see `entry`); the error names the variable and what was expected.
    pub fn parse(spec: &str) -> anyhow::Result<Keyring> {
        let entries = entry::parse_all(spec)?;
        let legacy = entries.iter().map(|e| e.id).min().expect("at least one entry");
        let keys = entries
            .iter()
            .map(|e| DataKey {
                id: e.id,
                alg: e.alg,
                cipher: Cipher::new(e.alg, &e.bytes),
                index_key: e.alg.derive(&e.bytes, INDEX_LABEL),
                mac_key: e.alg.derive(&e.bytes, MAC_LABEL),
                audit_key: e.alg.derive(&e.bytes, AUDIT_LABEL),
            })
            .collect();
        Ok(Keyring { keys, retired: Vec::new(), legacy })
    }

    /// A fresh random key in the default form (`id:base64`).
    pub fn generate_spec(id: i64) -> String {
        entry::generate(id, Alg::XChaCha)
    }

    /// The development key: read from `dir/dev-key`, created there on first use.
    pub fn load_or_create_dev(dir: &Path) -> anyhow::Result<Keyring> {
        let path = dir.join("dev-key");
        if let Ok(spec) = std::fs::read_to_string(&path) {
            return Keyring::parse(spec.trim()).with_context(|| format!("the development key in {}", path.display()));
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

    fn active(&self) -> &DataKey {
        &self.keys[0]
    }

    fn key(&self, id: i64) -> anyhow::Result<&DataKey> {
        self.keys.iter().find(|k| k.id == id).ok_or_else(|| anyhow!("key {id} is not in EJIA_DATA_KEY"))
    }

    /// The id of the key that seals, indexes and MACs now.
    pub fn active_id(&self) -> i64 {
        self.active().id
    }

    /// The keys of the ring, active first: (id, suite).
    pub fn ids(&self) -> Vec<(i64, Alg)> {
        self.keys.iter().map(|k| (k.id, k.alg)).collect()
    }

    /// The key that made values stored without a key id.
    pub fn legacy_id(&self) -> i64 {
        self.legacy
    }

    /// Seals bytes under the active key, bound to `row_identity`: the key id and
    /// `nonce || ciphertext`.
    fn seal(&self, plain: &[u8], row_identity: &str) -> (i64, Vec<u8>) {
        let k = self.active();
        (k.id, k.cipher.seal(plain, row_identity.as_bytes()))
    }

    /// Opens what `seal` made; fails on a wrong key, a wrong row or tampering.
    fn open(&self, key_id: i64, sealed: &[u8], row_identity: &str) -> anyhow::Result<Vec<u8>> {
        self.key(key_id)?.cipher.open(sealed, row_identity.as_bytes()).ok_or_else(|| anyhow!("sealed value does not open"))
    }

    /// Seals an ID number; returns the key id and `nonce || ciphertext`.
    pub fn seal_id(&self, id: &IdNumber, row_identity: &str) -> (i64, Vec<u8>) {
        self.seal(id.as_str().as_bytes(), row_identity)
    }

    /// Opens a sealed ID number; fails on a wrong key, a wrong row or tampering.
    pub fn open_id(&self, key_id: i64, sealed: &[u8], row_identity: &str) -> anyhow::Result<String> {
        Ok(String::from_utf8(self.open(key_id, sealed, row_identity)?)?)
    }

    /// Seals a short text (outbox parameters and the like) under the active key, bound to
    /// `row_identity`: `v1.<key id>.<base64url(nonce || ciphertext)>`, safe to keep in a TEXT column.
    pub fn seal_text(&self, plain: &str, row_identity: &str) -> String {
        let (key_id, sealed) = self.seal(plain.as_bytes(), row_identity);
        format!("{SEALED_TEXT_PREFIX}{key_id}.{}", URL_SAFE_NO_PAD.encode(sealed))
    }

    /// Opens what `seal_text` made; fails on a wrong key, a wrong row or tampering.
    pub fn open_text(&self, sealed: &str, row_identity: &str) -> anyhow::Result<String> {
        let key_id = text_key_id(sealed).ok_or_else(|| anyhow!("not a sealed value"))?;
        let b64 = sealed.splitn(3, '.').nth(2).ok_or_else(|| anyhow!("malformed sealed value"))?;
        let bytes = URL_SAFE_NO_PAD.decode(b64).context("malformed sealed value")?;
        Ok(String::from_utf8(self.open(key_id, &bytes, row_identity)?)?)
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
        let key_id = bytes_key_id(sealed).ok_or_else(|| anyhow!("sealed value too short"))?;
        self.open(key_id, &sealed[8..], identity)
    }

    /// A value sealed by `seal_text` under another key, sealed again under the active key
    /// (`None`: it is under the active key already). Fails when it does not open.
    pub fn reseal_text(&self, sealed: &str, row_identity: &str) -> anyhow::Result<Option<String>> {
        if text_key_id(sealed) == Some(self.active_id()) {
            return Ok(None);
        }
        Ok(Some(self.seal_text(&self.open_text(sealed, row_identity)?, row_identity)))
    }

    /// The same for `seal_bytes`.
    pub fn reseal_bytes(&self, sealed: &[u8], identity: &str) -> anyhow::Result<Option<Vec<u8>>> {
        if bytes_key_id(sealed) == Some(self.active_id()) {
            return Ok(None);
        }
        Ok(Some(self.seal_bytes(&self.open_bytes(sealed, identity)?, identity)))
    }

    /// A sealed ID number brought to the active key: the value sealed again (`None` when it is
    /// under the active key already) and its blind index under the active key.
    pub fn reseal_id(&self, key_id: i64, sealed: &[u8], row_identity: &str) -> anyhow::Result<ResealedId> {
        let plain = self.open(key_id, sealed, row_identity)?;
        let blind = self.index_with(self.active(), &plain);
        let cipher = (key_id != self.active_id()).then(|| self.seal(&plain, row_identity).1);
        Ok(ResealedId { cipher, blind })
    }

    fn index_with(&self, key: &DataKey, id_number: &[u8]) -> String {
        hex::encode(key.alg.hmac(&key.index_key, &[id_number]))
    }

    /// The keyed blind index of an ID number under the active key (what is stored, with
    /// `active_id` as its key), for duplicate checks.
    pub fn blind_index(&self, id: &IdNumber) -> String {
        self.index_with(self.active(), id.as_str().as_bytes())
    }

    /// The blind index under every key of the ring, active first: what a lookup tries while
    /// stored indexes are being re-keyed.
    pub fn blind_indexes(&self, id: &IdNumber) -> Vec<String> {
        self.keys.iter().map(|k| self.index_with(k, id.as_str().as_bytes())).collect()
    }

    /// A MAC over `parts` (joined unambiguously) under the active key, for one-time codes,
    /// picture checks, tickets and card codes.
    pub fn mac(&self, parts: &[&str]) -> String {
        let k = self.active();
        mac_hex(k.alg, &k.mac_key, parts)
    }

    /// The MAC over `parts` under every key of the ring, active first: what a lookup of a
    /// stored MAC tries, so a value made just before a key change still counts.
    pub fn macs(&self, parts: &[&str]) -> Vec<String> {
        self.keys.iter().map(|k| mac_hex(k.alg, &k.mac_key, parts)).collect()
    }

    /// Whether `expected_hex` is the MAC over `parts` under a key of the ring (each compared in
    /// constant time).
    pub fn mac_matches(&self, parts: &[&str], expected_hex: &str) -> bool {
        use subtle::ConstantTimeEq;
        self.macs(parts).iter().fold(false, |any, m| any | bool::from(m.as_bytes().ct_eq(expected_hex.as_bytes())))
    }

    /// The id of the key the audit chain's new rows are MAC'd with (recorded on each row).
    pub fn audit_key_id(&self) -> i64 {
        self.active_id()
    }

    /// A MAC of the audit chain over `parts` (joined unambiguously) under the active key, hex.
    pub fn audit_mac(&self, parts: &[&str]) -> String {
        let k = self.active();
        mac_hex(k.alg, &k.audit_key, parts)
    }

    /// The audit MAC under the key a row records (`None`: the legacy key); `None` when that
    /// key's audit key is neither in the ring nor kept in the database.
    pub fn audit_mac_under(&self, key_id: Option<i64>, parts: &[&str]) -> Option<String> {
        let id = key_id.unwrap_or(self.legacy);
        if let Some(k) = self.keys.iter().find(|k| k.id == id) {
            return Some(mac_hex(k.alg, &k.audit_key, parts));
        }
        self.retired.iter().find(|r| r.id == id).map(|r| mac_hex(r.alg, &r.key, parts))
    }
}

/// An ID number brought to the active key by `Keyring::reseal_id`.
pub struct ResealedId {
    pub cipher: Option<Vec<u8>>,
    pub blind: String,
}

/// How a value sealed by `Keyring::seal_text` begins.
pub const SEALED_TEXT_PREFIX: &str = "v1.";

/// The key id of a value sealed by `seal_text`, if it is one.
pub fn text_key_id(sealed: &str) -> Option<i64> {
    let rest = sealed.strip_prefix(SEALED_TEXT_PREFIX)?;
    let (id, _) = rest.split_once('.')?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

/// The key id of a value sealed by `seal_bytes`, if it is long enough to be one.
pub fn bytes_key_id(sealed: &[u8]) -> Option<i64> {
    Some(i64::from_be_bytes(sealed.get(..8)?.try_into().ok()?))
}

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
mod tests;
