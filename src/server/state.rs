//! The application state: built once at start (or by a test, with its own database, clock and
//! SMS provider) and handed to handlers and server functions through axum state and Leptos
//! context — never a global.
use super::clock::Clock;
use super::config::Config;
use super::crypto::Keyring;
use super::db::Db;
use super::outbox::Dispatcher;
use super::sms::SmsProvider;
use crate::calendar::store::CalendarCell;
use crate::calendar::Deadline;
use crate::domain::Ymd;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;
use tokio::sync::Notify;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    pub db: Db,
    pub keys: Arc<Keyring>,
    pub clock: Arc<dyn Clock>,
    pub calendar: Arc<CalendarCell>,
    pub sms: Arc<dyn SmsProvider>,
    /// Wakes the outbox dispatcher when a message is enqueued.
    pub outbox_notify: Arc<Notify>,
    /// Where a request hands the dispatcher a message it wrote leased to it.
    pub outbox_handoff: super::outbox::Handoff,
    /// Concurrent joins written together: a statement for many on PostgreSQL, a transaction for
    /// many on SQLite's writer.
    pub joins: super::group::Group,
    /// Change notices for live screens (counts only).
    pub events: Arc<super::events::Events>,
    /// What `/metrics` shows.
    pub metrics: Arc<super::metrics::Metrics>,
    /// The stop signal (SIGTERM): live streams end and workers finish on it.
    pub shutdown: super::shutdown::Shutdown,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl AppState {
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Today in China (UTC+8), the date ages are judged on.
    pub fn today(&self) -> Ymd {
        crate::calendar::local_date(self.now())
    }

    pub fn deadline(&self, made_at: i64) -> Deadline {
        self.calendar.get().deadline(made_at)
    }

    pub fn dispatcher(&self, owner: &str) -> Dispatcher {
        Dispatcher {
            db: self.db.clone(),
            provider: self.sms.clone(),
            clock: self.clock.clone(),
            notify: self.outbox_notify.clone(),
            owner: owner.to_string(),
            metrics: self.metrics.clone(),
            shutdown: self.shutdown.clone(),
            reconciled_at: Arc::new(std::sync::atomic::AtomicI64::new(i64::MIN)),
            handoff: self.outbox_handoff.clone(),
        }
    }

    /// Loads the admin's calendar settings from the database onto the shipped schedules.
    pub async fn reload_calendar(&self) -> sqlx::Result<()> {
        self.calendar.set(crate::calendar::store::load(&self.db.pool, self.config.office_hours).await?);
        Ok(())
    }

    pub fn status_url(&self, token: &str) -> String {
        format!("{}/s/{token}", self.config.public_url)
    }
}
