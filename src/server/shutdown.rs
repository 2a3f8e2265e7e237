//! The stop signal shared by the server, its live streams and its workers. On SIGTERM (or
//! Ctrl-C) the listener stops accepting, requests in flight finish within a bound, live streams
//! end (browsers reconnect to another instance), the outbox dispatcher finishes its pass and
//! hands back its leases.
use tokio::sync::watch;

#[derive(Clone)]
pub struct Shutdown {
    tx: std::sync::Arc<watch::Sender<bool>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown::new()
    }
}

impl Shutdown {
    pub fn new() -> Shutdown {
        Shutdown { tx: std::sync::Arc::new(watch::channel(false).0) }
    }

    /// Starts the stop; every waiter wakes.
    pub fn begin(&self) {
        self.tx.send_replace(true);
    }

    pub fn is_begun(&self) -> bool {
        *self.tx.borrow()
    }

    /// Resolves once the stop has begun (at once if it already has).
    pub async fn wait(&self) {
        let mut rx = self.tx.subscribe();
        // The sender lives in `self`, so this cannot fail while we wait.
        let _ = rx.wait_for(|stopping| *stopping).await;
    }

    /// Begins the stop on SIGTERM or Ctrl-C (SIGINT).
    pub fn on_signals(&self) {
        let me = self.clone();
        tokio::spawn(async move {
            let ctrl_c = tokio::signal::ctrl_c();
            #[cfg(unix)]
            {
                let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot listen for SIGTERM");
                        let _ = ctrl_c.await;
                        me.begin();
                        return;
                    }
                };
                tokio::select! {
                    _ = ctrl_c => tracing::info!("interrupted: stopping"),
                    _ = term.recv() => tracing::info!("SIGTERM: stopping"),
                }
            }
            #[cfg(not(unix))]
            {
                let _ = ctrl_c.await;
            }
            me.begin();
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_waiter_wakes_and_late_ones_at_once() {
        let s = Shutdown::new();
        let early = tokio::spawn({
            let s = s.clone();
            async move { s.wait().await }
        });
        assert!(!s.is_begun());
        s.begin();
        tokio::time::timeout(std::time::Duration::from_secs(1), early).await.unwrap().unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(1), s.wait()).await.unwrap();
        assert!(s.is_begun());
    }
}
