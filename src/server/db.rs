//! The database: one pool over SQLite (embedded default, WAL) or PostgreSQL (several instances),
//! the same SQL on both through sqlx's `Any` driver, and a small migration runner for the one
//! portable script set in `migrations/`.
use anyhow::Context;
use sqlx::any::AnyPoolOptions;
use sqlx::AnyConnection;
use sqlx::{Any, AnyPool, Connection, Executor, Transaction};
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    /// SQLite has one writer at a time. Queuing writers here, in order, instead of letting
    /// them poll SQLite's busy handler (which sleeps in growing steps) keeps the tail latency
    /// low; SQLite serves one process, so an in-process gate is the whole story.
    write_gate: Arc<tokio::sync::Mutex<()>>,
    /// SQLite: the one connection write transactions use (see `connect`).
    writer: Option<AnyPool>,
    /// The keyring write transactions carry, so the outbox seals what it stores.
    keys: Option<Arc<super::crypto::Keyring>>,
}

/// How often `run_checkpoints` folds SQLite's log into the file. Often, so each fold is small:
/// while one runs, the writer's appends to the log can wait for its flush. Measured, 6,000
/// joins at 50 concurrent: p99 29 ms folding every 50 ms, 36 ms every 100, 47 every 250, 70
/// every second. An idle database costs one statement each time, with nothing to fold.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(50);
/// The log size (4 KiB pages) at which SQLite's writer folds it in itself: far beyond what a
/// second of writing adds, so only when background checkpoints do not run.
const WRITER_AUTOCHECKPOINT_PAGES: u32 = 16_384;

/// A connection for one writing statement, which commits on its own (no BEGIN, no COMMIT: one
/// round trip); on SQLite it also holds the write gate until dropped.
pub struct OneWrite {
    conn: sqlx::pool::PoolConnection<Any>,
    _gate: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// A transaction of scripts is under way (`each_in_transaction`).
    in_script: bool,
}

impl Drop for OneWrite {
    /// Dropped in the middle of a script (its caller cancelled, a client gone): SQLite's worker
    /// stops at the next statement and the transaction stays open, so the connection is closed
    /// instead of going back to the pool; closing it rolls the transaction back.
    fn drop(&mut self) {
        if self.in_script {
            self.conn.close_on_drop();
        }
    }
}

impl OneWrite {
    /// SQLite: runs `script` once for each parameter in `each`, all in one transaction (`BEGIN
    /// IMMEDIATE` … `COMMIT`); returns every row the runs yield. The script's text stays the
    /// same, so the connection prepares it once. Should a statement fail, the transaction is
    /// rolled back here, and a connection that cannot roll back is not used again; should the
    /// caller stop waiting, the connection is closed (see `Drop`).
    pub async fn each_in_transaction(&mut self, script: &str, each: Vec<String>) -> sqlx::Result<Vec<sqlx::any::AnyRow>> {
        self.in_script = true;
        let result = async {
            sqlx::query("BEGIN IMMEDIATE").execute(&mut *self.conn).await?;
            let mut rows = Vec::new();
            for param in each {
                rows.extend(sqlx::query(script).bind(param).fetch_all(&mut *self.conn).await?);
            }
            sqlx::query("COMMIT").execute(&mut *self.conn).await?;
            Ok(rows)
        }
        .await;
        if result.is_err() {
            self.roll_back().await;
        }
        self.in_script = false;
        result
    }

    /// After a failed statement of a transaction: rolls it back, or keeps the connection from
    /// being used again when it cannot.
    async fn roll_back(&mut self) {
        // "No transaction is active" when the failing statement was the COMMIT's.
        if let Err(rollback) = sqlx::query("ROLLBACK").execute(&mut *self.conn).await {
            if !rollback.to_string().contains("no transaction is active") {
                tracing::error!(error = %rollback, "rollback after a failed script failed; the connection is closed");
                self.conn.close_on_drop();
            }
        }
    }
}

impl std::ops::Deref for OneWrite {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for OneWrite {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }
}

/// A write transaction; on SQLite it also holds the write gate until commit or drop.
pub struct WriteTx {
    tx: Transaction<'static, Any>,
    _gate: Option<tokio::sync::OwnedMutexGuard<()>>,
    keys: Option<Arc<super::crypto::Keyring>>,
}

impl WriteTx {
    /// The keyring of the database handle this transaction came from (see `Db::with_keys`).
    pub fn keys(&self) -> Option<&super::crypto::Keyring> {
        self.keys.as_deref()
    }

    pub async fn commit(self) -> sqlx::Result<()> {
        self.tx.commit().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

/// The migrations, in order, compiled in.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "foundation", include_str!("../../migrations/0001_foundation.sql")),
    (2, "review", include_str!("../../migrations/0002_review.sql")),
    (3, "engine", include_str!("../../migrations/0003_engine.sql")),
    (4, "calendar", include_str!("../../migrations/0004_calendar.sql")),
    (5, "join_security", include_str!("../../migrations/0005_join_security.sql")),
    (6, "review_security", include_str!("../../migrations/0006_review_security.sql")),
    (7, "command", include_str!("../../migrations/0007_command.sql")),
    (8, "transfers", include_str!("../../migrations/0008_transfers.sql")),
    (9, "rosters", include_str!("../../migrations/0009_rosters.sql")),
    // member
    (10, "members", include_str!("../../migrations/0010_members.sql")),
    (11, "benefits", include_str!("../../migrations/0011_benefits.sql")),
    (12, "hall", include_str!("../../migrations/0012_hall.sql")),
    // legal aid
    (13, "legal", include_str!("../../migrations/0013_legal.sql")),
    // events
    (14, "events", include_str!("../../migrations/0014_events.sql")),
    // library
    (15, "library", include_str!("../../migrations/0015_library.sql")),
    // keys
    (16, "keys", include_str!("../../migrations/0016_keys.sql")),
    (17, "outbox_queue", include_str!("../../migrations/0017_outbox_queue.sql")),
];

/// A script's lines after this marker run on PostgreSQL only (e.g. a trigger function).
const POSTGRES_ONLY: &str = "-- postgres-only";

impl Db {
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") { Backend::Sqlite } else { Backend::Postgres };
        if backend == Backend::Sqlite {
            if let Some(dir) = sqlite_dir(url) {
                std::fs::create_dir_all(dir).with_context(|| format!("creating {dir}"))?;
            }
        }
        let options = |max: u32, writer: bool| {
            AnyPoolOptions::new().max_connections(max).acquire_timeout(Duration::from_secs(10)).after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // The busy timeout first: every later statement, on this connection
                        // too, waits for a lock instead of failing at once.
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        // Deleted and overwritten content is zeroed in the file, so erased
                        // personal data does not linger in free pages (see `checkpoint`).
                        conn.execute("PRAGMA secure_delete = ON").await?;
                        if writer {
                            // The writer does not stop to fold the log into the file (two
                            // fsyncs, every 1,000 pages by default): `run_checkpoints` does it
                            // beside it. This far-off automatic one only bounds the log when
                            // nothing runs them (a command-line tool).
                            conn.execute(format!("PRAGMA wal_autocheckpoint = {WRITER_AUTOCHECKPOINT_PAGES}").as_str()).await?;
                        }
                    }
                    Ok(())
                })
            })
        };
        let connecting = || format!("connecting to the database ({})", redact(url));
        let pool = options(max_connections, false).connect(url).await.with_context(connecting)?;
        let mut writer = None;
        if backend == Backend::Sqlite {
            // WAL is a property of the database file: set once here, not by every new
            // connection (switching while others open the file is a race of its own).
            sqlx::query("PRAGMA journal_mode = WAL").execute(&pool).await?;
            // Write transactions take turns on one connection of their own: its page cache
            // stays valid from one to the next (a write through another connection would
            // make the next writer read its pages again).
            // (Not for an in-memory database: a second pool would open another one.)
            if sqlite_path(url).is_some() && !url.contains("mode=memory") {
                writer = Some(options(1, true).min_connections(1).connect(url).await.with_context(connecting)?);
            }
        }
        Ok(Db { pool, writer, backend, write_gate: Arc::new(tokio::sync::Mutex::new(())), keys: None })
    }

    /// Closes every connection (the pool's and SQLite's writer).
    pub async fn close(&self) {
        self.pool.close().await;
        if let Some(writer) = &self.writer {
            writer.close().await;
        }
    }

    /// Hands the keyring to this handle's write transactions (the outbox seals with it).
    pub fn with_keys(mut self, keys: Arc<super::crypto::Keyring>) -> Db {
        self.keys = Some(keys);
        self
    }

    pub fn keys(&self) -> Option<&super::crypto::Keyring> {
        self.keys.as_deref()
    }

    /// A transaction that will write. On SQLite it takes the write lock up front (`BEGIN
    /// IMMEDIATE`), so a read-then-write never fails on a lock upgrade but waits its turn.
    pub async fn begin_write(&self) -> sqlx::Result<WriteTx> {
        match self.backend {
            Backend::Sqlite => {
                let gate = self.write_gate.clone().lock_owned().await;
                // A fresh connection can fail to open the database files for a moment
                // (SQLITE_CANTOPEN, seen rarely while other connections of the process open or
                // close them). Nothing has happened yet, so trying again is safe.
                let mut tries = 0;
                let tx = loop {
                    match self.writer.as_ref().unwrap_or(&self.pool).begin_with("BEGIN IMMEDIATE").await {
                        Err(e) if tries < 3 && is_cant_open(&e) => {
                            tries += 1;
                            tracing::warn!(tries, "SQLite could not open the database file; trying again");
                            tokio::time::sleep(Duration::from_millis(25 * tries)).await;
                        }
                        other => break other?,
                    }
                };
                Ok(WriteTx { tx, _gate: Some(gate), keys: self.keys.clone() })
            }
            Backend::Postgres => Ok(WriteTx { tx: self.pool.begin().await?, _gate: None, keys: self.keys.clone() }),
        }
    }

    /// A connection for a single writing statement (see `OneWrite`): the statement is its own
    /// transaction, so it needs no BEGIN and COMMIT; on SQLite it takes its turn at the write
    /// gate on the writers' connection like `begin_write`.
    pub async fn write_once(&self) -> sqlx::Result<OneWrite> {
        match self.backend {
            Backend::Sqlite => {
                let gate = self.write_gate.clone().lock_owned().await;
                Ok(OneWrite { conn: self.writer.as_ref().unwrap_or(&self.pool).acquire().await?, _gate: Some(gate), in_script: false })
            }
            Backend::Postgres => Ok(OneWrite { conn: self.pool.acquire().await?, _gate: None, in_script: false }),
        }
    }

    /// `begin_write` that also holds PostgreSQL advisory locks on (class, value) pairs, taken
    /// in the order given, from its first statement: one round trip for both. On SQLite the
    /// write gate serialises writers already.
    pub async fn begin_write_locked(&self, locks: &[(&str, &str)]) -> sqlx::Result<WriteTx> {
        match self.backend {
            Backend::Sqlite => self.begin_write().await,
            Backend::Postgres if locks.is_empty() => self.begin_write().await,
            Backend::Postgres => {
                // Integers only: the values never reach the SQL text.
                let sql = format!("BEGIN; SELECT {}", advisory_calls(locks));
                Ok(WriteTx { tx: self.pool.begin_with(sql).await?, _gate: None, keys: self.keys.clone() })
            }
        }
    }

    /// After an erasure on SQLite: copies the WAL into the database file and truncates it, so
    /// the erased bytes are gone from both files (with `secure_delete`). Nothing on PostgreSQL,
    /// whose dead tuples go at the next vacuum.
    pub async fn checkpoint(&self) -> sqlx::Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.pool).await?;
        }
        Ok(())
    }

    /// SQLite: folds the write-ahead log into the database file every `CHECKPOINT_EVERY`, beside
    /// the writer instead of in its way (`PASSIVE`: it waits for no writer and no reader; the
    /// log starts over once all of it is folded in). Until the stop. Nothing on PostgreSQL.
    pub async fn run_checkpoints(self, shutdown: super::shutdown::Shutdown) {
        if self.backend != Backend::Sqlite || self.writer.is_none() {
            return;
        }
        loop {
            tokio::select! {
                _ = tokio::time::sleep(CHECKPOINT_EVERY) => {}
                _ = shutdown.wait() => return,
            }
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&self.pool).await {
                tracing::warn!(error = %e, "background checkpoint failed; the next one will try again");
            }
        }
    }

    /// Reachable and answering (for health checks).
    pub async fn ping(&self) -> sqlx::Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ())
    }

    /// Whether every migration this build knows has been applied (an instance of an older
    /// build, or a database restored from an older backup, is not current).
    pub async fn migrations_current(&self) -> sqlx::Result<bool> {
        let latest = MIGRATIONS.iter().map(|m| m.0).max().unwrap_or(0);
        let applied: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations").fetch_one(&self.pool).await?;
        Ok(applied == Some(latest))
    }

    /// Connections of this instance's pool: (open, idle).
    pub fn pool_use(&self) -> (i64, i64) {
        (self.pool.size() as i64, self.pool.num_idle() as i64)
    }

    /// `FOR UPDATE SKIP LOCKED` where the database has it; SQLite serialises writers anyway.
    pub fn skip_locked(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        let mut conn = self.pool.acquire().await?;
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .await?;
        for (version, name, script) in MIGRATIONS {
            let mut tx = match self.backend {
                Backend::Sqlite => conn.begin_with("BEGIN IMMEDIATE").await?,
                Backend::Postgres => {
                    let mut tx = conn.begin().await?;
                    // Two instances starting together: one migrates, the other waits.
                    sqlx::query("SELECT pg_advisory_xact_lock(4242)").execute(&mut *tx).await?;
                    tx
                }
            };
            let done: Option<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(version)
                .fetch_optional(&mut *tx)
                .await?;
            if done.is_some() {
                continue;
            }
            let (portable, postgres_only) = match script.split_once(POSTGRES_ONLY) {
                Some((portable, rest)) => (portable, Some(rest)),
                None => (*script, None),
            };
            let mut sql = self.dialect(portable);
            if let (Backend::Postgres, Some(rest)) = (self.backend, postgres_only) {
                sql.push_str(rest);
            }
            for statement in split_statements(&sql) {
                (&mut *tx).execute(statement).await.with_context(|| format!("migration {version} {name}: {statement}"))?;
            }
            sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
                .bind(version)
                .bind(*name)
                .bind(now_unix())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            tracing::info!(version, name, "migration applied");
        }
        Ok(())
    }

    fn dialect(&self, script: &str) -> String {
        let (id, blob) = match self.backend {
            Backend::Sqlite => ("INTEGER PRIMARY KEY AUTOINCREMENT", "BLOB"),
            Backend::Postgres => ("BIGSERIAL PRIMARY KEY", "BYTEA"),
        };
        script.replace("@ID@", id).replace("@BLOB@", blob)
    }
}

/// Splits a script on `;` at line ends (not inside a `$$`-quoted function body), dropping
/// comment-only pieces.
fn split_statements(sql: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (at, _) in sql.match_indices(";\n") {
        let piece = &sql[start..at];
        if piece.matches("$$").count().is_multiple_of(2) {
            out.push(piece.trim());
            start = at + 2;
        }
    }
    out.push(sql[start..].trim());
    out.into_iter().filter(|s| s.lines().any(|l| !l.trim().is_empty() && !l.trim_start().starts_with("--"))).collect()
}

fn sqlite_dir(url: &str) -> Option<&str> {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let path = path.split('?').next()?;
    let dir = std::path::Path::new(path).parent()?.to_str()?;
    (!dir.is_empty() && path != ":memory:").then_some(dir)
}

/// The file of a SQLite URL (`sqlite://data/ejia.db?mode=rwc` → `data/ejia.db`); None for
/// another database or an in-memory one.
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(path))
}

/// The newest schema version this build knows (its last migration).
pub fn known_schema_version() -> i64 {
    MIGRATIONS.last().map(|(v, _, _)| *v).unwrap_or(0)
}

/// The schema version a database is at (its newest applied migration); None when it has no
/// `schema_migrations` table (not one of ours, or never started).
pub async fn schema_version(conn: &mut AnyConnection) -> sqlx::Result<Option<i64>> {
    match sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(version) FROM schema_migrations").fetch_one(&mut *conn).await {
        Ok(v) => Ok(v),
        Err(sqlx::Error::Database(e)) if e.message().contains("schema_migrations") => Ok(None),
        Err(e) => Err(e),
    }
}

/// The tables of the database's own schema that hold rows, by name, each with its row count
/// (counted up to 10,001, so a huge table costs no full scan). Empty for an empty database.
pub async fn tables_with_rows(conn: &mut AnyConnection, backend: Backend) -> sqlx::Result<Vec<(String, i64)>> {
    let list = match backend {
        Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        Backend::Postgres => "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename",
    };
    let tables: Vec<String> = sqlx::query_scalar(list).fetch_all(&mut *conn).await?;
    let mut out = Vec::new();
    for table in tables {
        let quoted = format!("\"{}\"", table.replace('"', "\"\""));
        let rows: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM (SELECT 1 FROM {quoted} LIMIT 10001) AS t")).fetch_one(&mut *conn).await?;
        if rows > 0 {
            out.push((table, rows));
        }
    }
    Ok(out)
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://…@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}

/// The key of a PostgreSQL advisory lock on (class, value): two 32-bit integers from SHA-256,
/// the same on every instance.
pub fn advisory_key(class: &str, value: &str) -> (i32, i32) {
    use sha2::{Digest, Sha256};
    let half = |s: &str| {
        let d = Sha256::digest(s.as_bytes());
        i32::from_be_bytes([d[0], d[1], d[2], d[3]])
    };
    (half(class), half(value))
}

/// `pg_advisory_xact_lock(…), …` for the pairs, in their order (a SELECT list).
pub fn advisory_calls(locks: &[(&str, &str)]) -> String {
    let calls: Vec<String> = locks
        .iter()
        .map(|(class, value)| {
            let (c, v) = advisory_key(class, value);
            format!("pg_advisory_xact_lock({c}, {v})")
        })
        .collect();
    calls.join(", ")
}

/// SQLite's "unable to open database file" (SQLITE_CANTOPEN, 14, or an extended code of it).
fn is_cant_open(e: &sqlx::Error) -> bool {
    e.as_database_error().and_then(|d| d.code()).and_then(|c| c.parse::<i32>().ok()).is_some_and(|c| c & 0xff == 14)
}

pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.is_unique_violation())
}

/// A row still referenced elsewhere (SQLite reports "FOREIGN KEY constraint failed").
pub fn is_foreign_key_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.is_foreign_key_violation())
}

pub fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// A plain connection, for code that takes `&mut AnyConnection`.
pub type Conn = AnyConnection;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_the_migration_script() {
        let parts = split_statements("-- a comment\nCREATE TABLE a (x BIGINT);\n\n-- why\nCREATE INDEX i ON a (x);\n");
        assert_eq!(parts.len(), 2);
        assert!(parts[1].ends_with("CREATE INDEX i ON a (x)"));
        let body =
            "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    RAISE EXCEPTION 'no';\nEND;\n$$;\nCREATE TRIGGER t;\n";
        let parts = split_statements(body);
        assert_eq!(parts.len(), 2);
        assert!(parts[0].ends_with("END;\n$$"));
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://…@h/db");
        assert_eq!(sqlite_dir("sqlite://data/ejia.db?mode=rwc"), Some("data"));
        assert_eq!(sqlite_path("sqlite://data/ejia.db?mode=rwc"), Some("data/ejia.db".into()));
        assert_eq!(sqlite_path("sqlite:///var/lib/ejia/ejia.db"), Some("/var/lib/ejia/ejia.db".into()));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://u@h/db"), None);
    }
}
