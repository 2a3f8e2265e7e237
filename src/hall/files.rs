//! Attachments: what a file is, judged by its first bytes (never by its name or the type the
//! browser claims); stored once per content under its SHA-256 in the data directory, sealed
//! with the data key (medical papers and pay slips are not left readable on disk); a kept-file
//! token lets a form that failed on another field keep its photo, bound to the one who sent it.
use crate::server::crypto::Keyring;
use crate::server::state::AppState;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// The types a request takes: photos and PDFs.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

fn dir(state: &AppState) -> PathBuf {
    state.config.data_dir.join("files")
}

fn path_of(state: &AppState, sha256: &str) -> Option<PathBuf> {
    // Only a hash as the stored name: nothing else can name a path.
    (sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
        .then(|| dir(state).join(&sha256[..2]).join(sha256))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Stores a file (once per content); returns its hash.
pub async fn store(state: &AppState, bytes: &[u8]) -> std::io::Result<String> {
    let sha = sha256_hex(bytes);
    let path = path_of(state, &sha).expect("a hash");
    if tokio::fs::try_exists(&path).await.unwrap_or(false) {
        return Ok(sha);
    }
    let sealed = state.keys.seal_bytes(bytes, &format!("hall_file:{sha}"));
    tokio::fs::create_dir_all(path.parent().expect("a folder")).await?;
    // Written under a temporary name and renamed: a reader never sees half a file.
    let tmp = path.with_extension(format!("tmp{}", crate::server::crypto::random_token()));
    tokio::fs::write(&tmp, &sealed).await?;
    tokio::fs::rename(&tmp, &path).await?;
    Ok(sha)
}

/// The file's bytes; None when it is not there (erased) or does not open.
pub async fn load(state: &AppState, sha256: &str) -> Option<Vec<u8>> {
    let sealed = tokio::fs::read(path_of(state, sha256)?).await.ok()?;
    state.keys.open_bytes(&sealed, &format!("hall_file:{sha256}")).ok()
}

pub async fn remove(state: &AppState, sha256: &str) {
    if let Some(path) = path_of(state, sha256) {
        let _ = tokio::fs::remove_file(path).await;
    }
}

/// Stored files no request points at, older than `min_age_secs` (kept for a form that was
/// never sent again): their hashes.
pub async fn unreferenced_candidates(state: &AppState, min_age_secs: u64) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(mut top) = tokio::fs::read_dir(dir(state)).await else { return out };
    while let Ok(Some(sub)) = top.next_entry().await {
        let Ok(mut files) = tokio::fs::read_dir(sub.path()).await else { continue };
        while let Ok(Some(f)) = files.next_entry().await {
            let old = f
                .metadata()
                .await
                .ok()
                .and_then(|m| m.modified().ok())
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() >= min_age_secs);
            let name = f.file_name().to_string_lossy().to_string();
            if old && path_of(state, &name).is_some() {
                out.push(name);
            }
        }
    }
    out
}

/// A kept file's token: `<sha256>.<mime code>.<size>.<mac>`, the MAC binding it to `owner`.
pub fn kept_token(keys: &Keyring, sha256: &str, mime: &str, size: usize, owner: &str) -> String {
    let code = mime_code(mime);
    let size = size.to_string();
    let mac = keys.mac(&["hall_kept", sha256, code, &size, owner]);
    format!("{sha256}.{code}.{size}.{}", &mac[..32])
}

/// (sha256, mime, size) of a kept-file token made for `owner`; None for anything else.
pub fn parse_kept(keys: &Keyring, token: &str, owner: &str) -> Option<(String, &'static str, usize)> {
    let mut parts = token.trim().split('.');
    let (sha, code, size, mac) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || sha.len() != 64 || mac.len() != 32 {
        return None;
    }
    let full = keys.mac(&["hall_kept", sha, code, size, owner]);
    use subtle::ConstantTimeEq;
    if !bool::from(full.as_bytes()[..32].ct_eq(mac.as_bytes())) {
        return None;
    }
    Some((sha.to_string(), mime_of_code(code)?, size.parse().ok()?))
}

fn mime_code(mime: &str) -> &'static str {
    match mime {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        _ => "pdf",
    }
}

fn mime_of_code(code: &str) -> Option<&'static str> {
    match code {
        "jpg" => Some("image/jpeg"),
        "png" => Some("image/png"),
        "webp" => Some("image/webp"),
        "pdf" => Some("application/pdf"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_by_content_not_name() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff(b"MZ\x90\0 an exe named photo.jpg"), None);
        assert_eq!(sniff(b"<html><script>"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn kept_tokens_are_bound_to_their_owner() {
        let keys = Keyring::parse(&Keyring::generate_spec(1)).unwrap();
        let sha = sha256_hex(b"x");
        let token = kept_token(&keys, &sha, "image/png", 123, "m:7");
        assert_eq!(parse_kept(&keys, &token, "m:7"), Some((sha.clone(), "image/png", 123)));
        assert_eq!(parse_kept(&keys, &token, "m:8"), None, "another member cannot use it");
        let forged = token.replacen(".123.", ".124.", 1);
        assert_eq!(parse_kept(&keys, &forged, "m:7"), None);
        assert_eq!(parse_kept(&keys, "../../etc/passwd", "m:7"), None);
    }
}
