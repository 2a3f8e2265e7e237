//! `ejia keys new|rotate|status`: adding a data key, bringing every stored secret to the active
//! key, and saying when an old key may leave `EJIA_DATA_KEY`.
//!
//! Rotation walks what every area seals (the list below), a batch at a time, while the app
//! serves: each batch reads, seals again in memory and writes back in one short transaction
//! whose UPDATEs are conditional on the ciphertext that was read, so a concurrent writer's
//! value is never overwritten. It keeps no state of its own: what is left is what is still
//! under another key, so a rotation that was stopped (or killed) finishes when run again.
//!
//! - applications: the sealed ID number, and the blind index, re-keyed one person at a time
//!   (`join::repo::rekey`): lookups try every key of the ring meanwhile;
//! - the TEXT columns of `seal_text` values ([`TEXT_COLUMNS`]): outbox parameters, service
//!   requests' answers, import batches' rows, the kept audit keys of the data keys;
//! - the hall's stored files under `EJIA_DATA_DIR/files`.
//!
//! Not rotated, on purpose: the audit chain (append-only; each row records its key, and every
//! key's audit key is kept sealed in `data_keys`, so old rows stay verifiable after their data
//! key is retired) and stored MACs of one-time codes, picture checks, redemption codes and
//! event tickets (checked under every key of the ring; under a retired key they expire — they
//! live minutes, and a ticket is made anew each time it is shown).
use crate::server::crypto::alg::Alg;
use crate::server::crypto::reseal::SealedColumn;
use crate::server::crypto::{entry, store, Keyring};
use crate::server::state::AppState;
use std::fmt::Write as _;
use std::time::Instant;

/// Every TEXT column that holds `seal_text` values, from the area that owns it. A new sealed
/// column goes here: `tests/keys.rs` fails on any value left under an old key after a rotation.
pub const TEXT_COLUMNS: [SealedColumn; 4] =
    [crate::server::outbox::RESEALED, crate::hall::repo::RESEALED, crate::roster::repo::imports::RESEALED, store::RESEALED];

/// A fresh key to put first in `EJIA_DATA_KEY`: the next id after the ring's (`current`, when
/// set), or `id`.
pub fn new_entry(current: Option<&str>, alg: Alg, id: Option<i64>) -> anyhow::Result<String> {
    let taken: Vec<i64> = match current {
        Some(spec) => Keyring::parse(spec)?.ids().into_iter().map(|(id, _)| id).collect(),
        None => Vec::new(),
    };
    let id = match id {
        Some(id) if taken.contains(&id) => anyhow::bail!("key id {id} is in {} already; every key needs its own id", entry::VAR),
        Some(id) if id < 0 => anyhow::bail!("a key id is a whole number ≥ 0"),
        Some(id) => id,
        None => taken.iter().max().map_or(1, |m| m + 1),
    };
    Ok(entry::generate(id, alg))
}

/// How to rotate.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Rows (or files) per batch, each batch one short write transaction.
    pub batch: i64,
    /// Stop after this many batches (the rest waits for the next run).
    pub max_batches: Option<u64>,
}

impl Default for Options {
    fn default() -> Self {
        Options { batch: 500, max_batches: None }
    }
}

/// What a rotation did.
#[derive(Clone, Debug, Default)]
pub struct Rotated {
    pub batches: u64,
    /// Values sealed again under the active key (ID numbers, texts, files).
    pub resealed: u64,
    /// Applications whose blind index moved to the active key.
    pub reindexed: u64,
    /// Erased applications (nothing sealed) marked as under the active key.
    pub erased: u64,
    /// Changed by a writer between the read and the write, and left as the writer made it.
    pub changed_meanwhile: u64,
    /// Values that do not open under the ring: left as they are (their key stays in use).
    pub failed: u64,
    /// Stopped by `max_batches` before everything was done.
    pub stopped: bool,
    pub seconds: f64,
}

struct Walk<'a> {
    state: &'a AppState,
    opts: Options,
    done: Rotated,
}

impl Walk<'_> {
    /// Counts a batch; false when the limit says stop.
    fn may_run(&mut self) -> bool {
        if self.opts.max_batches.is_some_and(|m| self.done.batches >= m) {
            self.done.stopped = true;
            return false;
        }
        self.done.batches += 1;
        true
    }

    async fn applications(&mut self) -> anyhow::Result<()> {
        use crate::join::repo::rekey;
        let keys = &self.state.keys;
        let active = keys.active_id();
        let mut after = 0;
        loop {
            if !self.may_run() {
                return Ok(());
            }
            let stale = rekey::stale(&self.state.db.pool, active, after, self.opts.batch).await?;
            let Some(last) = stale.last().map(|s| s.id) else { return Ok(()) };
            // The crypto first, outside the write transaction.
            let mut work = Vec::with_capacity(stale.len());
            for s in &stale {
                if s.cipher.is_empty() && s.blind.is_empty() {
                    work.push((s, None));
                    continue;
                }
                match keys.reseal_id(s.key_id, &s.cipher, &format!("application:{}", s.submission_key)) {
                    Ok(r) => work.push((s, Some(r))),
                    Err(_) => {
                        tracing::warn!(
                            application = s.id,
                            key = s.key_id,
                            "a sealed ID number does not open under EJIA_DATA_KEY; left as it is"
                        );
                        self.done.failed += 1;
                    }
                }
            }
            let mut tx = self.state.db.begin_write().await?;
            for (s, r) in work {
                let Some(r) = r else {
                    rekey::mark_erased(&mut tx, s.id, active).await?;
                    self.done.erased += 1;
                    continue;
                };
                if let Some(cipher) = &r.cipher {
                    if rekey::store_cipher(&mut tx, s, active, cipher).await? {
                        self.done.resealed += 1;
                    } else {
                        self.done.changed_meanwhile += 1;
                    }
                }
                if s.blind_key != Some(active) && !s.blind.is_empty() {
                    // Every row of the person holding the old index moves at once.
                    self.done.reindexed += rekey::person(&mut tx, std::slice::from_ref(&s.blind), &r.blind, active).await?;
                }
            }
            tx.commit().await?;
            after = last;
        }
    }

    async fn text(&mut self, column: &SealedColumn) -> anyhow::Result<()> {
        let mut after = 0;
        loop {
            if !self.may_run() {
                return Ok(());
            }
            let b = column.batch(&self.state.db, &self.state.keys, after, self.opts.batch).await?;
            self.done.resealed += b.resealed;
            self.done.changed_meanwhile += b.changed_meanwhile;
            self.done.failed += b.failed;
            match b.last {
                Some(last) => after = last,
                None => return Ok(()),
            }
        }
    }

    async fn files(&mut self) -> anyhow::Result<()> {
        loop {
            if !self.may_run() {
                return Ok(());
            }
            let r = crate::hall::files::reseal(self.state, self.opts.batch.max(1) as u64).await?;
            self.done.resealed += r.resealed;
            self.done.changed_meanwhile += r.erased_meanwhile;
            self.done.failed += r.failed;
            if r.remaining == 0 {
                return Ok(());
            }
        }
    }
}

/// Brings every stored secret to the active key (see the module's comment); `progress` hears
/// a line per kind of value.
pub async fn rotate(state: &AppState, opts: Options, progress: &mut (dyn FnMut(&str) + Send)) -> anyhow::Result<Rotated> {
    let started = Instant::now();
    let mut walk = Walk { state, opts: Options { batch: opts.batch.clamp(1, 100_000), ..opts }, done: Rotated::default() };
    progress("applications: sealed ID numbers and blind indexes");
    walk.applications().await?;
    for column in &TEXT_COLUMNS {
        if walk.done.stopped {
            break;
        }
        progress(&column.name());
        walk.text(column).await?;
    }
    if !walk.done.stopped {
        progress("files: the service hall's attachments");
        walk.files().await?;
    }
    walk.done.seconds = started.elapsed().as_secs_f64();
    Ok(walk.done)
}

/// Where the stored secrets stand: what each key still holds.
#[derive(Clone, Debug)]
pub struct Status {
    /// The ring, active first.
    pub ring: Vec<(i64, Alg)>,
    /// Per kind of stored value: (name, [(key id, count)]); -1 for a value whose key cannot be read.
    pub values: Vec<(String, Vec<(i64, i64)>)>,
    /// Audit rows by the key that MAC'd them (not rotated; kept verifiable).
    pub audit: Vec<(i64, i64)>,
    /// Every key the database has seen: (id, suite, the key its kept audit key is sealed under).
    pub known: Vec<(i64, String, Option<i64>)>,
}

/// Reads the counts; a read only.
pub async fn status(state: &AppState) -> anyhow::Result<Status> {
    let keys = &state.keys;
    let legacy = keys.legacy_id();
    let (sealed, index) = crate::join::repo::rekey::counts(&state.db).await?;
    let mut values = vec![
        ("applications.id_cipher".to_string(), sealed),
        ("applications.id_blind".to_string(), index.into_iter().map(|(k, n)| (k.unwrap_or(legacy), n)).collect()),
    ];
    for column in &TEXT_COLUMNS {
        values.push((column.name(), column.counts(&state.db).await?));
    }
    values.push(("files (EJIA_DATA_DIR/files)".to_string(), crate::hall::files::counts(state).await));
    let audit = crate::server::audit::counts_by_key(&state.db.pool).await?.into_iter().map(|(k, n)| (k.unwrap_or(legacy), n)).collect();
    Ok(Status { ring: keys.ids(), values, audit, known: store::known(&state.db).await? })
}

impl Status {
    pub fn active(&self) -> i64 {
        self.ring[0].0
    }

    /// Stored values (the audit chain aside) under `key`.
    pub fn held_by(&self, key: i64) -> i64 {
        self.values.iter().flat_map(|(_, by)| by.iter()).filter(|(k, _)| *k == key).map(|(_, n)| n).sum()
    }

    /// Every key id that some stored value names, the ring's first.
    fn keys_seen(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self.ring.iter().map(|(id, _)| *id).collect();
        for (_, by) in &self.values {
            for (k, _) in by {
                if !ids.contains(k) {
                    ids.push(*k);
                }
            }
        }
        ids
    }

    /// Keys of the ring other than the active one that no stored value needs any more.
    pub fn retirable(&self) -> Vec<i64> {
        self.ring.iter().skip(1).map(|(id, _)| *id).filter(|id| self.held_by(*id) == 0 && self.known.iter().any(|k| k.0 == *id)).collect()
    }

    /// The closing verdict: which old keys may leave `EJIA_DATA_KEY`, and which may not yet.
    pub fn verdict(&self) -> String {
        let var = entry::VAR;
        let mut lines = Vec::new();
        for (id, _) in self.ring.iter().skip(1) {
            let held = self.held_by(*id);
            if self.retirable().contains(id) {
                lines.push(format!(
                    "key {id} is no longer used: it can be removed from {var} (keep it offline as long as backups taken before this rotation are kept)"
                ));
            } else {
                lines.push(format!("key {id} still holds {held} stored values: keep it in {var} and run `ejia keys rotate` (again)"));
            }
        }
        for id in self.keys_seen() {
            if id != -1 && !self.ring.iter().any(|(k, _)| *k == id) && self.held_by(id) > 0 {
                lines.push(format!(
                    "key {id} is not in {var} but {} stored values need it: they cannot be opened until it is put back",
                    self.held_by(id)
                ));
            }
        }
        if self.held_by(-1) > 0 {
            lines.push(format!("{} stored values carry no readable key id (damaged)", self.held_by(-1)));
        }
        if lines.is_empty() {
            lines.push(format!("{var} holds only the active key {}: nothing to retire", self.active()));
        }
        lines.join("\n")
    }

    /// A table of counts per key, then the verdict.
    pub fn render(&self) -> String {
        let mut ids = self.keys_seen();
        for (k, _) in &self.audit {
            if !ids.contains(k) {
                ids.push(*k);
            }
        }
        let mut out = String::new();
        let ring: Vec<String> = self.ring.iter().map(|(id, alg)| format!("{id} ({})", alg.name())).collect();
        let _ = writeln!(out, "{}: {} — the first one seals", entry::VAR, ring.join(", "));
        let _ = write!(out, "{:<36}", "stored values by key");
        for id in &ids {
            let _ = write!(out, "{:>12}", if *id == -1 { "unreadable".to_string() } else { format!("key {id}") });
        }
        out.push('\n');
        let mut row = |name: &str, by: &[(i64, i64)]| {
            let _ = write!(out, "{name:<36}");
            for id in &ids {
                let n: i64 = by.iter().filter(|(k, _)| k == id).map(|(_, n)| n).sum();
                let _ = write!(out, "{n:>12}");
            }
            out.push('\n');
        };
        for (name, by) in &self.values {
            row(name, by);
        }
        row("audit rows (kept, never rotated)", &self.audit);
        out.push_str(&self.verdict());
        out.push('\n');
        out
    }
}
