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

/// Every stored file: (hash, path).
async fn stored(state: &AppState) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let Ok(mut top) = tokio::fs::read_dir(dir(state)).await else { return out };
    while let Ok(Some(sub)) = top.next_entry().await {
        let Ok(mut files) = tokio::fs::read_dir(sub.path()).await else { continue };
        while let Ok(Some(f)) = files.next_entry().await {
            let name = f.file_name().to_string_lossy().to_string();
            if let Some(path) = path_of(state, &name) {
                out.push((name, path));
            }
        }
    }
    out.sort();
    out
}

/// The key a stored file is sealed under, read from its first bytes (-1: too short to say);
/// `None` when it is gone.
async fn key_of(path: &std::path::Path) -> Option<i64> {
    use tokio::io::AsyncReadExt;
    let mut f = tokio::fs::File::open(path).await.ok()?;
    let mut head = [0u8; 8];
    Some(match f.read_exact(&mut head).await {
        Ok(_) => crate::server::crypto::bytes_key_id(&head).unwrap_or(-1),
        Err(_) => -1,
    })
}

/// Stored files by the key they are sealed under: (key id, count), -1 for a file too short
/// to say.
pub async fn counts(state: &AppState) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = Vec::new();
    for (_, path) in stored(state).await {
        let Some(key) = key_of(&path).await else { continue };
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some(e) => e.1 += 1,
            None => out.push((key, 1)),
        }
    }
    out.sort();
    out
}

/// What sealing the stored files again did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resealed {
    pub resealed: u64,
    /// Files that do not open under the ring: left as they are.
    pub failed: u64,
    /// Files erased while they were being sealed again: removed again.
    pub erased_meanwhile: u64,
    /// Files under another key still waiting (more than `limit` were found).
    pub remaining: u64,
}

/// Seals up to `limit` stored files that are under another key than the active one again:
/// written beside the old one with the old modification time (the orphan sweep's clock does
/// not restart) and renamed over it, so a reader sees the old file or the new one. A file the
/// hall erased meanwhile stays erased: one gone before the rename is not put back, and one
/// whose request was erased between the read and the rename is removed again after it.
pub async fn reseal(state: &AppState, limit: u64) -> std::io::Result<Resealed> {
    let mut out = Resealed::default();
    let active = state.keys.active_id();
    for (sha, path) in stored(state).await {
        // Only the first bytes of a file already under the active key are read.
        if key_of(&path).await.is_none_or(|k| k == active) {
            continue;
        }
        if out.resealed + out.failed + out.erased_meanwhile >= limit {
            out.remaining += 1;
            continue;
        }
        let Ok(sealed) = tokio::fs::read(&path).await else { continue };
        let in_use = |state: &AppState, sha: String| {
            let pool = state.db.pool.clone();
            async move {
                let mut conn = pool.acquire().await.map_err(std::io::Error::other)?;
                super::repo::file_in_use(&mut conn, &sha).await.map_err(std::io::Error::other)
            }
        };
        let used_before = in_use(state, sha.clone()).await?;
        let new = match state.keys.reseal_bytes(&sealed, &format!("hall_file:{sha}")) {
            Ok(Some(new)) => new,
            Ok(None) => continue,
            Err(_) => {
                tracing::warn!(file = %sha, "a stored file does not open under EJIA_DATA_KEY; left as it is");
                out.failed += 1;
                continue;
            }
        };
        let modified = tokio::fs::metadata(&path).await.and_then(|m| m.modified()).ok();
        let tmp = path.with_extension(format!("tmp{}", crate::server::crypto::random_token()));
        let written = tmp.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            std::fs::write(&written, &new)?;
            if let Some(t) = modified {
                std::fs::File::options().write(true).open(&written)?.set_modified(t)?;
            }
            Ok(())
        })
        .await
        .map_err(std::io::Error::other)??;
        if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
            let _ = tokio::fs::remove_file(&tmp).await;
            out.erased_meanwhile += 1;
            continue;
        }
        tokio::fs::rename(&tmp, &path).await?;
        if used_before && !in_use(state, sha.clone()).await? {
            remove(state, &sha).await;
            out.erased_meanwhile += 1;
            continue;
        }
        out.resealed += 1;
    }
    Ok(out)
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
    use subtle::ConstantTimeEq;
    // Under any key of the ring: a form sent again across a key change keeps its file.
    let holds = keys
        .macs(&["hall_kept", sha, code, size, owner])
        .iter()
        .fold(false, |any, full| any | bool::from(full.as_bytes()[..32].ct_eq(mac.as_bytes())));
    if !holds {
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
