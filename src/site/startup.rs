//! Start-up: configuration → keys → database (migrated, demo data on a fresh development
//! install) → calendar → SMS provider → state; then the outbox dispatcher in the background.
use crate::calendar::store::CalendarCell;
use crate::calendar::Calendar;
use crate::server::clock::{Clock, SystemClock};
use crate::server::config::Config;
use crate::server::crypto::Keyring;
use crate::server::db::{Backend, Db};
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
    let joins = crate::server::group::Group::new(
        db.clone(),
        match db.backend {
            Backend::Postgres => crate::server::group::Sql::AllRows(crate::join::repo::grouped::sql()),
            Backend::Sqlite => crate::server::group::Sql::EachRow(crate::join::repo::grouped::sqlite_row()),
        },
    );
    let state = AppState {
        leptos_options,
        joins,
        events,
        calendar: Arc::new(CalendarCell::new(Calendar::shipped(config.office_hours))),
        config: Arc::new(config),
        db,
        keys,
        clock,
        sms,
        outbox_notify: Arc::new(Notify::new()),
        outbox_handoff: Default::default(),
        metrics: Arc::new(crate::server::metrics::Metrics::new()),
        shutdown: crate::server::shutdown::Shutdown::new(),
    };
    state.reload_calendar().await?;
    Ok(state)
}

/// The production set-up from the environment, with the system clock.
pub async fn from_env(leptos_options: LeptosOptions) -> anyhow::Result<AppState> {
    build_state(Config::from_env()?, leptos_options, Arc::new(SystemClock), None).await
}

/// Starts the outbox dispatcher and the background engines (reviews, transfers, exports,
/// welcome packs, the hall, library loans, legal aid, SQLite's checkpoints) for this instance.
pub fn spawn_workers(state: &AppState) -> Workers {
    let owner = format!("{}-{}", std::process::id(), crate::server::crypto::random_token());
    let engines = vec![
        tokio::spawn(crate::review::engine::run(state.clone())),
        tokio::spawn(crate::transfer::engine::run(state.clone())),
        tokio::spawn(crate::roster::jobs::run(state.clone())),
        tokio::spawn(crate::benefit::welcome::run(state.clone())),
        tokio::spawn(crate::hall::engine::run(state.clone())),
        tokio::spawn(crate::library::reminders::run(state.clone())),
        tokio::spawn(crate::legal::reminder::run(state.clone())),
        tokio::spawn(state.db.clone().run_checkpoints(state.shutdown.clone())),
    ];
    let dispatcher = tokio::spawn(state.dispatcher(&owner).run());
    Workers { engines, dispatcher }
}

/// The running workers. Dropping them stops the engines at once; `stop` also lets the outbox
/// dispatcher finish its pass and hand back its leases (it watches the stop signal).
pub struct Workers {
    engines: Vec<tokio::task::JoinHandle<()>>,
    dispatcher: tokio::task::JoinHandle<()>,
}

impl Workers {
    /// After the stop signal: the engines end now (a pass cut short rolls back and is done
    /// again by the next instance to run), the dispatcher within `bound`.
    pub async fn stop(mut self, bound: std::time::Duration) {
        for engine in self.engines.drain(..) {
            engine.abort();
        }
        let dispatcher = std::mem::replace(&mut self.dispatcher, tokio::spawn(async {}));
        if tokio::time::timeout(bound, dispatcher).await.is_err() {
            tracing::warn!("the outbox dispatcher did not finish in time; its leases run out within a minute");
        }
    }
}

impl Workers {
    /// Stops every worker now and waits until each has ended (before its pool closes).
    pub async fn abort(mut self) {
        let mut all: Vec<_> = self.engines.drain(..).collect();
        all.push(std::mem::replace(&mut self.dispatcher, tokio::spawn(async {})));
        for worker in &all {
            worker.abort();
        }
        for worker in all {
            let _ = worker.await;
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for engine in &self.engines {
            engine.abort();
        }
        self.dispatcher.abort();
    }
}
