//! Where a request hands the dispatcher of its own instance a message it wrote leased to it
//! (see `Prepared::handed_to`): an in-memory queue, open only while the dispatcher runs.
use super::dispatcher::Claimed;
use std::sync::Arc;
use tokio::sync::mpsc;

/// How many handed messages may wait for the dispatcher; beyond that a message is written
/// pending and claimed as usual.
const HANDOFF_QUEUE: usize = 256;

/// Where a request hands the messages it wrote leased to this instance's dispatcher. Open only
/// while the dispatcher runs (`Dispatcher::run`); closed, or full, it gives no lease.
#[derive(Clone, Default)]
pub struct Handoff(Arc<std::sync::Mutex<Option<Open>>>);

/// An open hand-off: the dispatcher's queue and its name on the leases.
type Open = (mpsc::Sender<Claimed>, Arc<str>);

/// A place in the dispatcher's queue, held from before the write until `Prepared::hand`; dropped
/// unused (the write failed) it frees the place.
pub struct Lease {
    permit: mpsc::OwnedPermit<Claimed>,
    pub(super) owner: Arc<str>,
    pub(super) at: i64,
}

impl Handoff {
    /// A lease from `now` for one message, when a dispatcher runs and has room.
    pub fn reserve(&self, now: i64) -> Option<Lease> {
        let open = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let (tx, owner) = open.as_ref()?;
        let permit = tx.clone().try_reserve_owned().ok()?;
        Some(Lease { permit, owner: owner.clone(), at: now })
    }

    /// Opens the hand-off to the dispatcher named `owner`; its queue.
    pub(super) fn open(&self, owner: &str) -> mpsc::Receiver<Claimed> {
        let (tx, rx) = mpsc::channel(HANDOFF_QUEUE);
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some((tx, Arc::from(owner)));
        rx
    }

    /// Gives no more leases (those given still deliver).
    pub(super) fn close(&self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

impl Lease {
    /// Hands the message over, once what wrote it has committed.
    pub(super) fn send(self, message: Claimed) {
        self.permit.send(message);
    }
}
