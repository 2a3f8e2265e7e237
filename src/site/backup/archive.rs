//! The backup file: one tar holding the database snapshot (`database.sqlite` or
//! `database.pgdump`), the sealed attachments as they lie on disk (`files/<2 hex>/<SHA-256>`),
//! and last a manifest (`manifest.json`) with the SHA-256 of both. A reader trusts nothing
//! before it has reached the manifest and checked every byte against it, so a file cut short
//! (a copy still running, a full disk) or damaged is refused before anything is restored.
use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

pub const FORMAT: &str = "ejia-backup";
pub const VERSION: u32 = 1;
const MANIFEST: &str = "manifest.json";
const FILES: &str = "files/";
/// A manifest is a few hundred bytes; anything much larger is not one.
const MANIFEST_LIMIT: u64 = 1 << 20;

/// What a backup holds, written last into it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    /// `sqlite` or `postgres`: a backup restores into the same kind of database.
    pub backend: String,
    pub created_at: i64,
    pub schema_version: i64,
    /// Rows of a few key tables in the snapshot, for the operator's eye.
    pub rows: Vec<(String, i64)>,
    pub database: Part,
    pub files: Part,
}

/// One part of a backup: its entry name (the database's) or count (files), size and SHA-256.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    pub count: u64,
    pub bytes: u64,
    pub sha256: String,
}

/// The entry name of the database snapshot of a backend.
pub fn database_entry(backend: &str) -> &'static str {
    if backend == "sqlite" {
        "database.sqlite"
    } else {
        "database.pgdump"
    }
}

/// A stored attachment's path under `files/`: `<2 hex>/<64 hex>`, the hash's first two
/// characters as its folder. Nothing else is taken from or put into a backup.
fn attachment_name(relative: &str) -> Option<&str> {
    let (dir, name) = relative.split_once('/')?;
    let hex = |s: &str| s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    (dir.len() == 2 && name.len() == 64 && hex(dir) && hex(name) && name.starts_with(dir)).then_some(relative)
}

/// Hashes what passes through it, and counts it.
struct Hashing<R> {
    inner: R,
    hash: Sha256,
    bytes: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// The files digest: every attachment's name, length and sealed bytes, in archive order.
fn add_to_digest(digest: &mut Sha256, name: &str, bytes: &[u8]) {
    digest.update(name.as_bytes());
    digest.update([0]);
    digest.update((bytes.len() as u64).to_be_bytes());
    digest.update(bytes);
}

fn header(size: u64, mtime: i64) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_size(size);
    h.set_mode(0o600);
    h.set_mtime(mtime.max(0) as u64);
    h.set_entry_type(tar::EntryType::Regular);
    h
}

/// Creates a file only its owner may read: a backup holds personal data.
pub fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Writes the backup to `out` (a new file): the snapshot at `snapshot`, every attachment
/// under `files_dir`, then the manifest completed with their sizes and digests. Attachments
/// erased while the backup runs are simply not in it.
pub fn write(out: &Path, snapshot: &Path, files_dir: &Path, mut manifest: Manifest) -> anyhow::Result<Manifest> {
    let file = create_private(out).with_context(|| format!("creating {}", out.display()))?;
    let mut tar = tar::Builder::new(std::io::BufWriter::with_capacity(1 << 20, file));
    let mtime = manifest.created_at;

    let name = database_entry(&manifest.backend);
    let db = std::fs::File::open(snapshot).with_context(|| format!("opening the snapshot {}", snapshot.display()))?;
    let size = db.metadata()?.len();
    let mut reader = Hashing { inner: std::io::BufReader::new(db), hash: Sha256::new(), bytes: 0 };
    tar.append_data(&mut header(size, mtime), name, &mut reader)?;
    anyhow::ensure!(reader.bytes == size, "the snapshot changed size while it was being written");
    manifest.database = Part { name: name.into(), count: 1, bytes: size, sha256: hex::encode(reader.hash.finalize()) };

    let mut digest = Sha256::new();
    let mut files = Part { name: FILES.trim_end_matches('/').into(), ..Part::default() };
    for relative in list_attachments(files_dir)? {
        // Stored files are written once and renamed into place, so a read sees a whole file.
        let bytes = match std::fs::read(files_dir.join(&relative)) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("reading {}", files_dir.join(&relative).display())),
        };
        let name = format!("{FILES}{relative}");
        add_to_digest(&mut digest, &name, &bytes);
        tar.append_data(&mut header(bytes.len() as u64, mtime), &name, bytes.as_slice())?;
        files.count += 1;
        files.bytes += bytes.len() as u64;
    }
    files.sha256 = hex::encode(digest.finalize());
    manifest.files = files;

    let json = serde_json::to_vec_pretty(&manifest)?;
    tar.append_data(&mut header(json.len() as u64, mtime), MANIFEST, json.as_slice())?;
    let mut buffered = tar.into_inner()?;
    buffered.flush()?;
    let file = buffered.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok(manifest)
}

/// The attachments under `dir` (`<2 hex>/<64 hex>`, sorted); none when it does not exist.
/// Half-written files (`*.tmp…`) and anything else are left out.
fn list_attachments(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    let top = match std::fs::read_dir(dir) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e).with_context(|| format!("listing {}", dir.display())),
    };
    for sub in top {
        let sub = sub?;
        if !sub.file_type()?.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(sub.path())? {
            let f = f?;
            let relative = format!("{}/{}", sub.file_name().to_string_lossy(), f.file_name().to_string_lossy());
            if f.file_type()?.is_file() && attachment_name(&relative).is_some() {
                out.push(relative);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Why a file is not a backup that can be restored; said to the operator as it is.
fn damaged(path: &Path, why: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{} is not a complete ejia backup: {why}. Nothing was restored.", path.display())
}

/// Reads the whole backup and checks it against its manifest; the manifest when every byte
/// is there and matches. Nothing is written.
pub fn verify(path: &Path) -> anyhow::Result<Manifest> {
    read(path, None)
}

/// Where `extract` puts what it reads.
pub struct Targets<'a> {
    pub snapshot: &'a Path,
    pub files_dir: &'a Path,
}

/// How many attachments `extract` wrote, and how many were already there.
#[derive(Debug, Default)]
pub struct Extracted {
    pub written: u64,
    pub present: u64,
}

/// Writes the snapshot to `into.snapshot` (a new file) and the attachments missing under
/// `into.files_dir`, checking everything against the manifest again on the way.
pub fn extract(path: &Path, into: Targets<'_>) -> anyhow::Result<(Manifest, Extracted)> {
    let mut extracted = Extracted::default();
    let manifest = read(path, Some((&into, &mut extracted)))?;
    Ok((manifest, extracted))
}

fn read(path: &Path, mut into: Option<(&Targets<'_>, &mut Extracted)>) -> anyhow::Result<Manifest> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut archive = tar::Archive::new(std::io::BufReader::with_capacity(1 << 20, file));
    let mut database: Option<Part> = None;
    let mut digest = Sha256::new();
    let mut files = Part { name: FILES.trim_end_matches('/').into(), ..Part::default() };
    let mut manifest: Option<Manifest> = None;
    let entries = archive.entries().map_err(|e| damaged(path, format!("not a tar archive ({e})")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| damaged(path, format!("it is cut short or damaged ({e})")))?;
        let name = entry.path().map_err(|e| damaged(path, e))?.to_string_lossy().to_string();
        let size = entry.header().size().map_err(|e| damaged(path, e))?;
        if manifest.is_some() {
            return Err(damaged(path, format!("{name} follows the manifest")));
        }
        if name == MANIFEST {
            if size > MANIFEST_LIMIT {
                return Err(damaged(path, "its manifest is too large"));
            }
            let mut json = Vec::new();
            entry.read_to_end(&mut json).map_err(|e| damaged(path, format!("its manifest is cut short ({e})")))?;
            let m: Manifest = serde_json::from_slice(&json).map_err(|e| damaged(path, format!("its manifest does not read ({e})")))?;
            if m.format != FORMAT || m.version != VERSION {
                bail!("{} is a backup of format {} {}; this build reads {FORMAT} {VERSION}", path.display(), m.format, m.version);
            }
            manifest = Some(m);
        } else if name == "database.sqlite" || name == "database.pgdump" {
            if database.is_some() {
                return Err(damaged(path, "it holds two databases"));
            }
            let mut reader = Hashing { inner: &mut entry, hash: Sha256::new(), bytes: 0 };
            match into.as_ref() {
                Some((into, _)) => {
                    let out = create_private(into.snapshot).with_context(|| format!("creating {}", into.snapshot.display()))?;
                    let mut out = std::io::BufWriter::with_capacity(1 << 20, out);
                    std::io::copy(&mut reader, &mut out).map_err(|e| damaged(path, format!("its database is cut short ({e})")))?;
                    let out = out.into_inner().map_err(|e| e.into_error())?;
                    out.sync_all()?;
                }
                None => {
                    std::io::copy(&mut reader, &mut std::io::sink())
                        .map_err(|e| damaged(path, format!("its database is cut short ({e})")))?;
                }
            }
            if reader.bytes != size {
                return Err(damaged(path, "its database is cut short"));
            }
            database = Some(Part { name: name.clone(), count: 1, bytes: size, sha256: hex::encode(reader.hash.finalize()) });
        } else if let Some(relative) = name.strip_prefix(FILES).and_then(attachment_name) {
            let mut bytes = Vec::with_capacity(size.min(64 << 20) as usize);
            entry.read_to_end(&mut bytes).map_err(|e| damaged(path, format!("{name} is cut short ({e})")))?;
            if bytes.len() as u64 != size {
                return Err(damaged(path, format!("{name} is cut short")));
            }
            add_to_digest(&mut digest, &name, &bytes);
            files.count += 1;
            files.bytes += size;
            if let Some((into, extracted)) = into.as_mut() {
                if write_attachment(into.files_dir, relative, &bytes)? {
                    extracted.written += 1;
                } else {
                    extracted.present += 1;
                }
            }
        } else {
            return Err(damaged(path, format!("it holds an entry {name:?} no ejia backup has")));
        }
    }
    let Some(manifest) = manifest else {
        return Err(damaged(path, "it ends before its manifest (cut short, or a copy still being written)"));
    };
    let database = database.ok_or_else(|| damaged(path, "it holds no database"))?;
    if database != manifest.database {
        return Err(damaged(path, "its database does not match the manifest's size and SHA-256"));
    }
    files.sha256 = hex::encode(digest.finalize());
    if files != manifest.files {
        return Err(damaged(path, "its attachments do not match the manifest's count, size and SHA-256"));
    }
    Ok(manifest)
}

/// Writes one attachment unless a file of that name is there (names are content hashes);
/// whether it wrote it.
fn write_attachment(files_dir: &Path, relative: &str, bytes: &[u8]) -> anyhow::Result<bool> {
    let target: PathBuf = files_dir.join(relative);
    if target.exists() {
        return Ok(false);
    }
    let dir = target.parent().expect("a folder");
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    // Under a temporary name and renamed, as the app stores them: never half a file in place.
    let tmp = target.with_extension(format!("tmp{}", crate::server::crypto::random_token()));
    let mut f = create_private(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, &target)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ejia-archive-{}", crate::server::crypto::random_token()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn manifest() -> Manifest {
        Manifest {
            format: FORMAT.into(),
            version: VERSION,
            backend: "sqlite".into(),
            created_at: 1_800_000_000,
            schema_version: 15,
            rows: vec![("applications".into(), 2)],
            database: Part::default(),
            files: Part::default(),
        }
    }

    #[test]
    fn only_attachment_names_pass() {
        let sha = "ab".to_string() + &"0".repeat(62);
        assert!(attachment_name(&format!("ab/{sha}")).is_some());
        assert!(attachment_name(&format!("cd/{sha}")).is_none(), "the folder is the hash's start");
        assert!(attachment_name("../../etc/passwd").is_none());
        assert!(attachment_name(&format!("ab/{sha}.tmpXYZ")).is_none());
        assert!(attachment_name(&format!("ab/{}", sha.to_uppercase())).is_none());
    }

    #[test]
    fn a_backup_reads_back_and_a_cut_or_changed_one_does_not() {
        let dir = scratch();
        let snapshot = dir.join("snap");
        std::fs::write(&snapshot, vec![7u8; 10_000]).unwrap();
        let files = dir.join("files");
        let sha = "ab".to_string() + &"1".repeat(62);
        std::fs::create_dir_all(files.join("ab")).unwrap();
        std::fs::write(files.join("ab").join(&sha), b"sealed bytes").unwrap();
        std::fs::write(files.join("ab").join(format!("{sha}.tmp1")), b"half").unwrap();
        let out = dir.join("backup.tar");
        let written = write(&out, &snapshot, &files, manifest()).unwrap();
        assert_eq!((written.files.count, written.database.bytes), (1, 10_000));
        assert!(write(&out, &snapshot, &files, manifest()).is_err(), "never over an existing file");

        let read = verify(&out).unwrap();
        assert_eq!(read.database, written.database);

        let restored = dir.join("restored");
        let (_, extracted) = extract(&out, Targets { snapshot: &dir.join("snap2"), files_dir: &restored }).unwrap();
        assert_eq!((extracted.written, extracted.present), (1, 0));
        assert_eq!(std::fs::read(dir.join("snap2")).unwrap(), vec![7u8; 10_000]);
        assert_eq!(std::fs::read(restored.join("ab").join(&sha)).unwrap(), b"sealed bytes");

        let whole = std::fs::read(&out).unwrap();
        for cut in [whole.len() / 2, whole.len() - 1400, 512, 3, 0] {
            let short = dir.join(format!("short-{cut}.tar"));
            std::fs::write(&short, &whole[..cut]).unwrap();
            let e = verify(&short).unwrap_err().to_string();
            assert!(e.contains("not a complete ejia backup"), "cut at {cut}: {e}");
        }
        let mut flipped = whole.clone();
        flipped[512 + 5000] ^= 1;
        let bad = dir.join("flipped.tar");
        std::fs::write(&bad, &flipped).unwrap();
        assert!(verify(&bad).unwrap_err().to_string().contains("does not match"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
