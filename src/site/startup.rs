//! Start-up: configuration → keys → database (migrated, demo data on a fresh development
//! install) → calendar → SMS provider → state; then the outbox dispatcher in the background.
use crate::calendar::store::CalendarCell;
use crate::calendar::Calendar;
use crate::server::clock::{Clock, SystemClock};
use crate::server::config::Config;
use crate::server::crypto::Keyring;
use crate::server::db::Db;
use crate::server::sms::SmsProvider;
use crate::server::state::AppState;
use leptos::config::LeptosOptions;
use std::sync::Arc;
use tokio::sync::Notify;

pub async fn build_state(
    config: Config,
    leptos_options: LeptosOptions,
    clock: Arc<dyn Clock>,
    sms: Option<Arc<dyn SmsProvider>>,
) -> anyhow::Result<AppState> {
    let mut keys = match &config.data_key {
        Some(spec) => Keyring::parse(spec)?,
        None => Keyring::load_or_create_dev(&config.data_dir)?,
    };
    let db = Db::connect(&config.database_url, config.max_connections).await?;
    db.migrate().await?;
    // The ring's keys recorded, and what the database keeps for retired ones read back.
    crate::server::crypto::store::attach(&db, &mut keys, clock.now()).await?;
    let keys = Arc::new(keys);
    let db = db.with_keys(keys.clone());
    if config.seed_demo {
        super::seed::seed_demo_if_empty(&db, clock.now()).await?;
    }
    let sms = match sms {
        Some(s) => s,
        None => crate::server::sms::from_config(&config)?,
    };
    let events = Arc::new(crate::server::events::Events::new(&db));
    // On PostgreSQL the notices of every instance arrive through LISTEN.
    tokio::spawn(events.clone().relay(config.database_url.clone()));
    let state = AppState {
        leptos_options,
        events,
        calendar: Arc::new(CalendarCell::new(Calendar::shipped(config.office_hours))),
        config: Arc::new(config),
        db,
        keys,
        clock,
        sms,
        outbox_notify: Arc::new(Notify::new()),
    };
    state.reload_calendar().await?;
    Ok(state)
}

/// The production set-up from the environment, with the system clock.
pub async fn from_env(leptos_options: LeptosOptions) -> anyhow::Result<AppState> {
    build_state(Config::from_env()?, leptos_options, Arc::new(SystemClock), None).await
}

/// Starts the outbox dispatcher and the deadline engines (reviews, transfers) for this
/// instance; the handle stops them.
pub fn spawn_workers(state: &AppState) -> tokio::task::JoinHandle<()> {
    let owner = format!("{}-{}", std::process::id(), crate::server::crypto::random_token());
    let engine = tokio::spawn(crate::review::engine::run(state.clone()));
    let transfers = tokio::spawn(crate::transfer::engine::run(state.clone()));
    let exports = tokio::spawn(crate::roster::jobs::run(state.clone()));
    // benefits
    let welcome = tokio::spawn(crate::benefit::welcome::run(state.clone()));
    let hall = tokio::spawn(crate::hall::engine::run(state.clone()));
    // library
    let loan_reminders = tokio::spawn(crate::library::reminders::run(state.clone()));
    // legal aid
    let legal = tokio::spawn(crate::legal::reminder::run(state.clone()));
    let dispatcher = state.dispatcher(&owner);
    tokio::spawn(async move {
        // Stopping this handle stops every worker.
        let _stop_engine_with_us = AbortOnDrop(engine);
        let _stop_transfers_with_us = AbortOnDrop(transfers);
        let _stop_exports_with_us = AbortOnDrop(exports);
        let _stop_welcome_with_us = AbortOnDrop(welcome);
        let _stop_hall_with_us = AbortOnDrop(hall);
        let _stop_loan_reminders_with_us = AbortOnDrop(loan_reminders);
        let _stop_legal_with_us = AbortOnDrop(legal);
        dispatcher.run().await
    })
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
