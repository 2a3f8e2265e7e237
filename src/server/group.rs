//! Group commit: concurrent writes of one kind, each a row given as JSON, gathered into one
//! statement — one round trip and one transaction for all of them instead of one each. A
//! caller waits for its own row's outcome; rows that arrive while statements run wait for the
//! next one, so under load the groups grow by themselves and an idle system adds no delay.
//!
//! On PostgreSQL the statement (the area's SQL) takes the rows as a JSON array in `$1`. On
//! SQLite, whose writes take turns on one connection, the area gives a script for one row (its
//! JSON in `$1`), and the rows' scripts run one after another in one transaction: one commit
//! for all of them. Either returns a row for each one it wrote: the
//! row's key (text) first, then its ids (integers). A row it does not return wrote nothing;
//! the caller then writes it alone, the way that tells it why.
use super::db::Db;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// At most this many statements of one group run at once on PostgreSQL (the rest of the pool
/// serves everything else); rows that arrive meanwhile wait and go together. One on SQLite:
/// its writers take turns anyway.
const IN_FLIGHT: usize = 2;
/// At most this many rows go in one statement.
const MAX_ROWS: usize = 64;

/// What a group runs.
pub enum Sql {
    /// PostgreSQL: one statement for all the rows, a JSON array in `$1`.
    AllRows(String),
    /// SQLite: a script for one row, its JSON in `$1`; the rows' scripts run in one
    /// transaction, and a script yields a row only for a row it wrote.
    EachRow(String),
}

/// Runs after the commit with the row's ids, even when its caller stopped waiting (a message
/// handed to the dispatcher, say).
pub type After = Box<dyn FnOnce(&[i64]) + Send>;

/// One row to write.
pub struct Entry {
    /// The row's key: the statement returns it first, with the row's ids.
    pub key: String,
    /// What two rows of one statement must not share (a phone, a person, the key): a row that
    /// shares one with a row being written waits for the next statement.
    pub exclusive: Vec<String>,
    pub row: serde_json::Value,
    pub after: Option<After>,
}

/// Concurrent rows of one statement (see the module).
#[derive(Clone)]
pub struct Group {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    sql: Sql,
    queue: Mutex<Queue>,
    statements: AtomicU64,
    written: AtomicU64,
}

type Waiting = (Entry, oneshot::Sender<Option<Vec<i64>>>);

#[derive(Default)]
struct Queue {
    waiting: VecDeque<Waiting>,
    /// Statements running (or about to).
    running: usize,
    /// The exclusive values of the rows being written.
    held: HashSet<String>,
}

impl Queue {
    /// The next statement's rows: the oldest waiting rows that share nothing exclusive with each
    /// other or with the rows being written; their values are held until it ends.
    fn take(&mut self) -> Vec<Waiting> {
        let mut taken = Vec::new();
        let mut left = VecDeque::new();
        while let Some(w) = self.waiting.pop_front() {
            if taken.len() < MAX_ROWS && w.0.exclusive.iter().all(|x| !self.held.contains(x)) {
                self.held.extend(w.0.exclusive.iter().cloned());
                taken.push(w);
            } else {
                left.push_back(w);
            }
        }
        self.waiting = left;
        taken
    }
}

/// Counts a running statement slot and gives it back however its task ends (a panic drops the
/// waiters' senders: they write alone).
struct Slot(Arc<Inner>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.queue.lock().unwrap_or_else(|p| p.into_inner()).running -= 1;
    }
}

impl Group {
    pub fn new(db: Db, sql: Sql) -> Group {
        Group {
            inner: Arc::new(Inner {
                db,
                sql,
                queue: Mutex::new(Queue::default()),
                statements: AtomicU64::new(0),
                written: AtomicU64::new(0),
            }),
        }
    }

    /// Writes `entry` with whatever else is waiting; its ids, or `None` when the statement did
    /// not write it (a rule of the statement's, or the statement failed: logged).
    pub async fn write(&self, entry: Entry) -> Option<Vec<i64>> {
        let (tx, rx) = oneshot::channel();
        let start = {
            let mut q = self.inner.queue.lock().unwrap_or_else(|p| p.into_inner());
            q.waiting.push_back((entry, tx));
            let start = q.running < self.in_flight();
            if start {
                q.running += 1;
            }
            start
        };
        if start {
            // Its own task: a caller that stops waiting does not stop the others' statement.
            tokio::spawn(self.clone().drain(Slot(self.inner.clone())));
        }
        rx.await.ok().flatten()
    }

    fn in_flight(&self) -> usize {
        match self.inner.sql {
            Sql::AllRows(_) => IN_FLIGHT,
            Sql::EachRow(_) => 1,
        }
    }

    /// (statements run, rows written by them) so far.
    pub fn counts(&self) -> (u64, u64) {
        (self.inner.statements.load(Ordering::Relaxed), self.inner.written.load(Ordering::Relaxed))
    }

    /// Writes waiting rows, a statement at a time, until none can go.
    async fn drain(self, _slot: Slot) {
        loop {
            let mut batch = self.inner.queue.lock().unwrap_or_else(|p| p.into_inner()).take();
            if batch.is_empty() {
                return;
            }
            let rows: Vec<serde_json::Value> = batch.iter_mut().map(|(e, _)| e.row.take()).collect();
            let written = self.run(rows).await;
            {
                let mut q = self.inner.queue.lock().unwrap_or_else(|p| p.into_inner());
                for (entry, _) in &batch {
                    for x in &entry.exclusive {
                        q.held.remove(x);
                    }
                }
            }
            let mut written = written.unwrap_or_default();
            for (entry, tx) in batch {
                let ids = written.remove(&entry.key);
                if let (Some(ids), Some(after)) = (&ids, entry.after) {
                    after(ids);
                }
                let _ = tx.send(ids);
            }
        }
    }

    /// One statement (one transaction) for the rows: the ids of each row written, by key;
    /// `None` when it failed.
    async fn run(&self, rows: Vec<serde_json::Value>) -> Option<HashMap<String, Vec<i64>>> {
        use sqlx::Row;
        self.inner.statements.fetch_add(1, Ordering::Relaxed);
        let count = rows.len();
        let result = match &self.inner.sql {
            Sql::AllRows(sql) => sqlx::query(sql).bind(serde_json::Value::Array(rows).to_string()).fetch_all(&self.inner.db.pool).await,
            // Rolled back whole should a statement fail (`each_in_transaction`).
            Sql::EachRow(script) => match self.inner.db.write_once().await {
                Ok(mut conn) => conn.each_in_transaction(script, rows.iter().map(|r| r.to_string()).collect()).await,
                Err(e) => Err(e),
            },
        };
        let decoded = result.and_then(|rows| {
            rows.iter()
                .map(|row| {
                    let ids = (1..row.len()).map(|i| row.try_get::<i64, _>(i)).collect::<sqlx::Result<Vec<i64>>>()?;
                    Ok((row.try_get::<String, _>(0)?, ids))
                })
                .collect::<sqlx::Result<HashMap<_, _>>>()
        });
        match decoded {
            Ok(written) => {
                self.inner.written.fetch_add(written.len() as u64, Ordering::Relaxed);
                Some(written)
            }
            Err(e) => {
                // Nothing of it is taken as written: each row is written alone next, and one
                // that this statement did write is found there (its key).
                tracing::warn!(error = %e, rows = count, "a group statement failed; its rows are written one by one");
                None
            }
        }
    }
}
