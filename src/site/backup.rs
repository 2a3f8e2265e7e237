//! `ejia backup` and `ejia restore`: an online, consistent copy of the database of
//! DATABASE_URL and of the sealed attachments under EJIA_DATA_DIR/files, in one file, while
//! the app serves; and its restore into an empty database, migrated to this build's schema.
//!
//! The backup is a tar (see `archive`): SQLite's `VACUUM INTO` (one read transaction: a
//! consistent snapshot of a WAL database with writers running, compacted, erased rows not left
//! in free pages) or PostgreSQL's `pg_dump --format=custom` (one repeatable-read snapshot),
//! then the attachments, then a manifest. Attachments are stored before the row that names
//! them commits, so every attachment the snapshot names is copied unless it was erased in
//! between. The data key is never in a backup: without it the backup opens nothing.
mod archive;
mod postgres;

use crate::server::config::Config;
use crate::server::crypto::Keyring;
use crate::server::db::{self, Backend, Db};
use anyhow::{bail, ensure, Context};
use sqlx::{AnyConnection, Connection};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The tables whose rows a backup and a restore report.
const KEY_TABLES: [&str; 3] = ["applications", "members", "outbox"];

/// What `backup` wrote.
pub struct Written {
    pub path: PathBuf,
    pub bytes: u64,
    pub seconds: f64,
    pub source: String,
    pub files_dir: PathBuf,
    manifest: archive::Manifest,
}

/// What `restore` did.
pub struct Restored {
    pub seconds: f64,
    pub target: String,
    pub files_dir: PathBuf,
    pub schema_before: i64,
    pub schema_after: i64,
    pub rows: Vec<(String, i64)>,
    pub files_written: u64,
    pub files_present: u64,
    pub key: KeyCheck,
    created_at: i64,
}

/// Whether the data key at hand opens the restored data.
pub enum KeyCheck {
    /// It opened the sealed ID number of this application.
    Opens(i64),
    /// It did not open the sealed ID number of this application.
    DoesNotOpen(i64),
    /// No key is configured (EJIA_DATA_KEY unset, no development key in EJIA_DATA_DIR).
    NoKey,
    /// No application to try it on.
    NothingSealed,
}

fn backend_of(url: &str) -> Backend {
    if url.starts_with("sqlite:") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    }
}

fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

/// Writes a backup of the database of `config` and its attachments to `target`, a file that
/// must not exist yet. The app may be serving meanwhile.
pub async fn backup(config: &Config, target: &Path) -> anyhow::Result<Written> {
    let started = Instant::now();
    let target = std::path::absolute(target)?;
    if target.symlink_metadata().is_ok() {
        bail!("{} exists: a backup never overwrites a file; give a new name", target.display());
    }
    let dir = target.parent().context("the backup needs a file name")?;
    ensure!(dir.is_dir(), "the folder {} does not exist", dir.display());
    let scratch = Scratch::new(dir, &target);
    let snapshot = scratch.path("snapshot");
    let url = &config.database_url;
    let backend = backend_of(url);
    let (schema_version, rows) = match backend {
        Backend::Sqlite => sqlite_snapshot(url, &snapshot).await?,
        Backend::Postgres => postgres_snapshot(url, &snapshot).await?,
    };
    let manifest = archive::Manifest {
        format: archive::FORMAT.into(),
        version: archive::VERSION,
        backend: backend_name(backend).into(),
        created_at: db::now_unix(),
        schema_version,
        rows,
        database: archive::Part::default(),
        files: archive::Part::default(),
    };
    let files_dir = config.data_dir.join("files");
    let partial = scratch.path("tar");
    let manifest = {
        let (partial, files_dir) = (partial.clone(), files_dir.clone());
        tokio::task::spawn_blocking(move || archive::write(&partial, &snapshot, &files_dir, manifest)).await??
    };
    publish(&partial, &target)?;
    let bytes = std::fs::metadata(&target)?.len();
    Ok(Written { path: target, bytes, seconds: started.elapsed().as_secs_f64(), source: db::redact(url), files_dir, manifest })
}

/// Moves the finished backup to its name, unless a file took that name meanwhile.
fn publish(partial: &Path, target: &Path) -> anyhow::Result<()> {
    match std::fs::hard_link(partial, target) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!("{} appeared while the backup was written: a backup never overwrites a file", target.display())
        }
        // A file system without hard links: the name was free a moment ago.
        Err(_) if target.symlink_metadata().is_err() => std::fs::rename(partial, target)?,
        Err(e) => return Err(e).with_context(|| format!("naming the backup {}", target.display())),
    }
    if let Some(dir) = target.parent() {
        // The new name itself is durable too.
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    Ok(())
}

/// The schema version and the key tables' rows of a database (or of a snapshot, inside its
/// transaction).
async fn contents(conn: &mut AnyConnection) -> anyhow::Result<(i64, Vec<(String, i64)>)> {
    let version = db::schema_version(conn)
        .await?
        .context("the database has no schema_migrations table: not an ejia database, or the app never started on it")?;
    let mut rows = Vec::new();
    for table in KEY_TABLES {
        // A table a build of the time did not have yet is left out.
        if let Ok(n) = sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&mut *conn).await {
            rows.push((table.to_string(), n));
        }
    }
    Ok((version, rows))
}

/// `VACUUM INTO` a new file: one read transaction, so a consistent snapshot of a WAL
/// database while others write. The copy is then made a single self-contained file (no WAL).
async fn sqlite_snapshot(url: &str, out: &Path) -> anyhow::Result<(i64, Vec<(String, i64)>)> {
    let path = db::sqlite_path(url).context("DATABASE_URL names no SQLite file")?;
    ensure!(path.is_file(), "there is no database at {} (DATABASE_URL)", path.display());
    let out_name = out.to_str().context("the backup's folder must have a UTF-8 name")?;
    sqlx::any::install_default_drivers();
    let mut live = AnyConnection::connect(url).await.with_context(|| format!("opening {}", path.display()))?;
    sqlx::query("PRAGMA busy_timeout = 10000").execute(&mut live).await?;
    sqlx::query(&format!("VACUUM INTO '{}'", out_name.replace('\'', "''"))).execute(&mut live).await.context("VACUUM INTO")?;
    live.close().await?;
    let mut copy = AnyConnection::connect(&format!("sqlite://{out_name}?mode=rw")).await?;
    sqlx::query("PRAGMA journal_mode = DELETE").execute(&mut copy).await?;
    let found = contents(&mut copy).await?;
    copy.close().await?;
    Ok(found)
}

/// `pg_dump` inside a snapshot our transaction exports, so the rows counted here are the rows
/// dumped.
async fn postgres_snapshot(url: &str, out: &Path) -> anyhow::Result<(i64, Vec<(String, i64)>)> {
    let tools = postgres::PgTarget::new(url)?;
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect(url).await.with_context(|| format!("connecting to {}", db::redact(url)))?;
    let mut tx = conn.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
    let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()").fetch_one(&mut *tx).await?;
    let found = contents(&mut tx).await?;
    tools.dump(&snapshot, out).await?;
    tx.rollback().await?;
    Ok(found)
}

/// Restores the backup `file` into the empty database of `config` and its attachments into
/// EJIA_DATA_DIR/files, then runs the app's migrations on it (a backup from an older build is
/// brought forward). Refuses, before changing anything, a file that is not a whole backup, a
/// backup of the other kind of database or of a newer build, and a database holding rows.
pub async fn restore(config: &Config, file: &Path) -> anyhow::Result<Restored> {
    let started = Instant::now();
    let url = &config.database_url;
    let backend = backend_of(url);
    let manifest = {
        let file = file.to_path_buf();
        tokio::task::spawn_blocking(move || archive::verify(&file)).await??
    };
    ensure!(
        manifest.backend == backend_name(backend),
        "{} is a backup of a {} database and DATABASE_URL ({}) is {}: a backup restores into the kind of database it came from",
        file.display(),
        manifest.backend,
        db::redact(url),
        backend_name(backend)
    );
    let known = db::known_schema_version();
    ensure!(
        manifest.schema_version <= known,
        "{} is at schema version {}, from a newer build than this one (which knows up to {known}): restore it with that build",
        file.display(),
        manifest.schema_version
    );

    // Where the snapshot is unpacked: beside the SQLite file it becomes (one file system, so
    // it can be renamed into place), or in the temp folder for pg_restore to read.
    let (staging, sqlite_file) = match backend {
        Backend::Sqlite => {
            let path = std::path::absolute(db::sqlite_path(url).context("DATABASE_URL names no SQLite file")?)?;
            refuse_used_sqlite(&path).await?;
            let dir = path.parent().context("a folder")?;
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            (Scratch::new(dir, &path), Some(path))
        }
        Backend::Postgres => {
            refuse_used_postgres(url).await?;
            (Scratch::new(&std::env::temp_dir(), Path::new("ejia-restore")), None)
        }
    };
    let snapshot = staging.path("snapshot");
    let files_dir = config.data_dir.join("files");
    // Attachments first: writing them twice is harmless, restoring the database is not.
    let (manifest, extracted) = {
        let (file, snapshot, files_dir) = (file.to_path_buf(), snapshot.clone(), files_dir.clone());
        tokio::task::spawn_blocking(move || archive::extract(&file, archive::Targets { snapshot: &snapshot, files_dir: &files_dir }))
            .await??
    };
    match &sqlite_file {
        Some(path) => place_sqlite(&snapshot, path)?,
        None => postgres::PgTarget::new(url)?.restore(&snapshot).await?,
    }

    // The app's own start-up migrations, now rather than at its next start.
    let db = Db::connect(url, 2).await?;
    db.migrate().await.context("migrating the restored database")?;
    let mut conn = db.pool.acquire().await?;
    let (schema_after, rows) = contents(&mut conn).await?;
    let key = key_check(config, &mut conn).await?;
    drop(conn);
    db.close().await;
    Ok(Restored {
        seconds: started.elapsed().as_secs_f64(),
        target: db::redact(url),
        files_dir,
        schema_before: manifest.schema_version,
        schema_after,
        rows,
        files_written: extracted.written,
        files_present: extracted.present,
        key,
        created_at: manifest.created_at,
    })
}

/// "applications (25 rows), orgs (40 rows) …"
fn name_tables(found: &[(String, i64)]) -> String {
    let mut names: Vec<String> =
        found.iter().take(8).map(|(t, n)| if *n > 10_000 { format!("{t} (over 10000 rows)") } else { format!("{t} ({n} rows)") }).collect();
    if found.len() > 8 {
        names.push(format!("and {} more", found.len() - 8));
    }
    names.join(", ")
}

/// A SQLite target must not exist or be empty (0 bytes), with no write-ahead log beside it.
async fn refuse_used_sqlite(path: &Path) -> anyhow::Result<()> {
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    let used = |p: &Path| std::fs::metadata(p).map(|m| m.len() > 0).unwrap_or(false);
    if !used(path) && !used(&wal) {
        return Ok(());
    }
    sqlx::any::install_default_drivers();
    let found = match AnyConnection::connect(&format!("sqlite://{}?mode=ro", path.display())).await {
        Ok(mut c) => db::tables_with_rows(&mut c, Backend::Sqlite).await.unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    if found.is_empty() {
        bail!(
            "{} exists and is not empty (a schema, or a file that is not a database): restore only into a new database; remove it, with its -wal and -shm, first",
            path.display()
        );
    }
    bail!("the database {} is not empty: it holds {}. Restore only into a new, empty database", path.display(), name_tables(&found))
}

/// A PostgreSQL target must hold no row in any table of its schema.
async fn refuse_used_postgres(url: &str) -> anyhow::Result<()> {
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect(url).await.with_context(|| format!("connecting to {}", db::redact(url)))?;
    let found = db::tables_with_rows(&mut conn, Backend::Postgres).await?;
    conn.close().await?;
    if !found.is_empty() {
        bail!("the database {} is not empty: it holds {}. Restore only into a new, empty database", db::redact(url), name_tables(&found));
    }
    Ok(())
}

/// Puts the unpacked snapshot in place: under a free name without ever replacing a file,
/// or over an empty (0 byte) one.
fn place_sqlite(snapshot: &Path, path: &Path) -> anyhow::Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if m.len() == 0 => std::fs::rename(snapshot, path)?,
        Ok(_) => bail!("{} was written to while restoring; nothing was replaced", path.display()),
        Err(_) => publish(snapshot, path)?,
    }
    Ok(())
}

/// Opens the sealed ID number of the first application with the key of `config` (or the
/// development key lying in EJIA_DATA_DIR), as the app would.
async fn key_check(config: &Config, conn: &mut AnyConnection) -> anyhow::Result<KeyCheck> {
    let keys = match &config.data_key {
        Some(spec) => Keyring::parse(spec)?,
        None => match std::fs::read_to_string(config.data_dir.join("dev-key")) {
            Ok(spec) => Keyring::parse(spec.trim())?,
            Err(_) => return Ok(KeyCheck::NoKey),
        },
    };
    let Some(first): Option<i64> = sqlx::query_scalar("SELECT MIN(id) FROM applications").fetch_one(&mut *conn).await? else {
        return Ok(KeyCheck::NothingSealed);
    };
    let sealed = crate::review::repo::sealed_id(conn, first).await?;
    Ok(match keys.open_id(sealed.key_id, &sealed.cipher, &format!("application:{}", sealed.submission_key)) {
        Ok(_) => KeyCheck::Opens(first),
        Err(_) => KeyCheck::DoesNotOpen(first),
    })
}

/// Files of one run beside `target` (`.<name>.partial-<random>.<part>`), removed when it ends,
/// whether it succeeded or not.
struct Scratch {
    dir: PathBuf,
    stem: String,
    made: std::sync::Mutex<Vec<PathBuf>>,
}

impl Scratch {
    fn new(dir: &Path, target: &Path) -> Scratch {
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "ejia".into());
        Scratch {
            dir: dir.to_path_buf(),
            stem: format!(".{name}.partial-{}", crate::server::crypto::random_token()),
            made: Default::default(),
        }
    }

    fn path(&self, part: &str) -> PathBuf {
        let p = self.dir.join(format!("{}.{part}", self.stem));
        self.made.lock().expect("scratch list").push(p.clone());
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for p in self.made.lock().expect("scratch list").iter() {
            let _ = std::fs::remove_file(p);
            for suffix in ["-journal", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
            }
        }
    }
}

fn mib(bytes: u64) -> String {
    format!("{bytes} bytes ({:.1} MiB)", bytes as f64 / (1024.0 * 1024.0))
}

fn rows_line(rows: &[(String, i64)]) -> String {
    rows.iter().map(|(t, n)| format!("{t} {n}")).collect::<Vec<_>>().join(", ")
}

fn when(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0).map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string()).unwrap_or_else(|| unix.to_string())
}

/// Said of every backup, at the end of both commands.
const KEY_NOTE: &str = "the data key (EJIA_DATA_KEY) is NOT in the backup, on purpose: without it the sealed ID numbers and attachments open for no one. Keep the key, and keep it apart from the backups";

impl std::fmt::Display for Written {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = &self.manifest;
        let how = if m.backend == "sqlite" { "SQLite snapshot (VACUUM INTO)" } else { "PostgreSQL dump (pg_dump --format=custom)" };
        writeln!(f, "backup written: {} — {} in {:.2} s", self.path.display(), mib(self.bytes), self.seconds)?;
        writeln!(f, "  database  {how} of {}: {}", self.source, mib(m.database.bytes))?;
        writeln!(f, "  schema    version {}", m.schema_version)?;
        writeln!(f, "  rows      {}", rows_line(&m.rows))?;
        writeln!(f, "  files     {} sealed attachments from {}: {}", m.files.count, self.files_dir.display(), mib(m.files.bytes))?;
        write!(f, "  not in it {KEY_NOTE}")
    }
}

impl std::fmt::Display for Restored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "restored into {} in {:.2} s (the backup was taken {})", self.target, self.seconds, when(self.created_at))?;
        if self.schema_before == self.schema_after {
            writeln!(f, "  schema    version {}, this build's", self.schema_after)?;
        } else {
            writeln!(f, "  schema    version {} → {} (migrated forward to this build's)", self.schema_before, self.schema_after)?;
        }
        writeln!(f, "  rows      {}", rows_line(&self.rows))?;
        writeln!(
            f,
            "  files     {} sealed attachments written to {} ({} already there)",
            self.files_written,
            self.files_dir.display(),
            self.files_present
        )?;
        match self.key {
            KeyCheck::Opens(id) => writeln!(f, "  key       the configured data key opens the restored data (application #{id}'s ID number)")?,
            KeyCheck::DoesNotOpen(id) => writeln!(
                f,
                "  key       WARNING: the configured data key does NOT open the restored data (application #{id}): start the app with the key the backup was made under"
            )?,
            KeyCheck::NoKey => writeln!(f, "  key       no data key configured to check with: set EJIA_DATA_KEY to the key the backup was made under")?,
            KeyCheck::NothingSealed => writeln!(f, "  key       no application to check the data key on")?,
        }
        write!(f, "  note      {KEY_NOTE}")
    }
}
