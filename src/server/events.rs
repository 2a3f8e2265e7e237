//! Change notices for live screens: "something counted under union X changed". A notice carries
//! a union id and a kind — never personal data; a screen recounts what it shows when a notice
//! from its subtree arrives. In one process they travel over a broadcast channel; on
//! PostgreSQL every notice is also sent with NOTIFY and each instance relays what it hears on
//! LISTEN, so a dashboard on one instance sees a decision made on another.
//!
//! `publish` is called after the change committed. A notice lost in a crash between the two is
//! harmless: an open screen refreshes on the next one and every reconnect starts from a fresh
//! count. On PostgreSQL the notices of a short window (`NOTIFY_WINDOW`) leave together, each
//! (union, kind) once: every NOTIFY takes the database's one notification-queue lock at commit,
//! and at a campaign's peak one per join would queue the joins behind each other.
use super::db::{Backend, Db};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, OnceCell};

const CHANNEL: &str = "ejia_changes";
/// How long notices gather before one NOTIFY carries them (PostgreSQL).
const NOTIFY_WINDOW: std::time::Duration = std::time::Duration::from_millis(50);
/// A NOTIFY payload stays under PostgreSQL's 8000 bytes.
const PAYLOAD_MAX: usize = 7000;

/// What changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangeKind {
    Join,
    Decision,
    Transfer,
    Member,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The union the change is counted under (the application's or member's union).
    pub org_id: i64,
    pub kind: ChangeKind,
}

type Memo = HashMap<String, (u64, Arc<OnceCell<Arc<str>>>)>;

/// The notice hub of one process.
pub struct Events {
    tx: broadcast::Sender<Change>,
    /// Counts every notice seen; a memo computed at one generation serves every screen asking
    /// for the same key at that generation.
    generation: Arc<AtomicU64>,
    memo: Mutex<Memo>,
    relayed: bool,
    /// Notices waiting for the window's NOTIFY (PostgreSQL), each once.
    pending: Arc<Mutex<std::collections::BTreeSet<(char, i64)>>>,
}

impl Events {
    /// A hub for `db`: on PostgreSQL notices go through the database (and `relay` must run).
    pub fn new(db: &Db) -> Events {
        let (tx, _) = broadcast::channel(4096);
        Events {
            tx,
            generation: Arc::new(AtomicU64::new(0)),
            memo: Mutex::new(HashMap::new()),
            relayed: db.backend == Backend::Postgres,
            pending: Arc::default(),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.tx.subscribe()
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    fn deliver(&self, change: Change) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        // No receiver is fine: nobody is watching.
        let _ = self.tx.send(change);
    }

    /// Announces committed changes (one notice per union and kind).
    pub async fn publish(&self, db: &Db, changes: &[Change]) {
        if changes.is_empty() {
            return;
        }
        if !self.relayed {
            for c in changes {
                self.deliver(*c);
            }
            return;
        }
        let first = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            let was_empty = pending.is_empty();
            pending.extend(changes.iter().map(|c| (kind_code(c.kind), c.org_id)));
            was_empty
        };
        // The first notice of a window sends them all when it closes; the others only join.
        if first {
            let (pending, pool, tx, generation) = (self.pending.clone(), db.pool.clone(), self.tx.clone(), self.generation.clone());
            tokio::spawn(async move {
                tokio::time::sleep(NOTIFY_WINDOW).await;
                let batch = std::mem::take(&mut *pending.lock().unwrap_or_else(|p| p.into_inner()));
                for payload in payloads(&batch) {
                    if let Err(e) = sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(&payload).execute(&pool).await {
                        // The changes are committed; this instance's screens hear of them
                        // directly, the others' on the next notice.
                        tracing::warn!(error = %e, "change notice not sent");
                        for c in parse_payload(&payload) {
                            generation.fetch_add(1, Ordering::SeqCst);
                            let _ = tx.send(c);
                        }
                    }
                }
            });
        }
    }

    /// The value for `key` at the current generation, computed once however many screens ask
    /// at the same time.
    pub async fn memo<F, Fut, E>(&self, key: &str, compute: F) -> Result<Arc<str>, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<String, E>>,
    {
        let generation = self.generation();
        let cell = {
            let mut memo = self.memo.lock().unwrap_or_else(|p| p.into_inner());
            if memo.len() > 10_000 {
                memo.retain(|_, (g, _)| *g == generation);
            }
            let entry = memo.entry(key.to_string()).or_insert_with(|| (generation, Arc::new(OnceCell::new())));
            if entry.0 != generation {
                *entry = (generation, Arc::new(OnceCell::new()));
            }
            entry.1.clone()
        };
        cell.get_or_try_init(|| async { compute().await.map(Arc::from) }).await.cloned()
    }

    /// Relays the database's notices into this process until the process ends (PostgreSQL);
    /// reconnects after a dropped connection.
    pub async fn relay(self: Arc<Self>, database_url: String) {
        if !self.relayed {
            return;
        }
        loop {
            match sqlx::postgres::PgListener::connect(&database_url).await {
                Ok(mut listener) => {
                    if let Err(e) = listener.listen(CHANNEL).await {
                        tracing::warn!(error = %e, "LISTEN failed");
                    } else {
                        loop {
                            match listener.recv().await {
                                Ok(n) => {
                                    for c in parse_payload(n.payload()) {
                                        self.deliver(c);
                                    }
                                }
                                Err(e) => {
                                    tracing::warn!(error = %e, "change listener dropped");
                                    break;
                                }
                            }
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "change listener cannot connect"),
            }
            // Whatever was missed meanwhile: screens recount on the next notice.
            self.generation.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }
}

fn kind_code(k: ChangeKind) -> char {
    match k {
        ChangeKind::Join => 'j',
        ChangeKind::Decision => 'd',
        ChangeKind::Transfer => 't',
        ChangeKind::Member => 'm',
    }
}

/// The payloads that carry a window's notices (`j:5,d:7`), each under `PAYLOAD_MAX` bytes.
fn payloads(batch: &std::collections::BTreeSet<(char, i64)>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (kind, org) in batch {
        let part = format!("{kind}:{org}");
        match out.last_mut() {
            Some(last) if last.len() + 1 + part.len() <= PAYLOAD_MAX => {
                last.push(',');
                last.push_str(&part);
            }
            _ => out.push(part),
        }
    }
    out
}

fn parse_payload(payload: &str) -> Vec<Change> {
    payload
        .split(',')
        .filter_map(|part| {
            let (k, id) = part.split_once(':')?;
            let kind = match k {
                "j" => ChangeKind::Join,
                "d" => ChangeKind::Decision,
                "t" => ChangeKind::Transfer,
                "m" => ChangeKind::Member,
                _ => return None,
            };
            Some(Change { org_id: id.parse().ok()?, kind })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_of_notices_leaves_in_payloads_under_the_limit_each_once() {
        let mut batch = std::collections::BTreeSet::new();
        for org in 0..3000_i64 {
            batch.insert(('j', org));
            batch.insert(('j', org));
            batch.insert(('d', org));
        }
        let out = payloads(&batch);
        assert!(out.len() > 1 && out.iter().all(|p| p.len() <= PAYLOAD_MAX));
        let back: Vec<Change> = out.iter().flat_map(|p| parse_payload(p)).collect();
        assert_eq!(back.len(), 6000, "every (kind, union) once");
        assert!(payloads(&Default::default()).is_empty());
    }

    #[test]
    fn payload_round_trips_and_ignores_junk() {
        let c = parse_payload("j:5,d:7,x:1,t:nope,m:9");
        assert_eq!(
            c,
            vec![
                Change { org_id: 5, kind: ChangeKind::Join },
                Change { org_id: 7, kind: ChangeKind::Decision },
                Change { org_id: 9, kind: ChangeKind::Member }
            ]
        );
    }
}
