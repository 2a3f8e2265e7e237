//! The operator's commands behind the `ejia` binary: serve, open a join channel, create an
//! admin (through the same service as the registry page), back up and restore.
use super::startup;
use crate::server::state::AppState;

/// Serves until SIGTERM (or Ctrl-C): then stops accepting, lets requests in flight finish for
/// at most `EJIA_SHUTDOWN_GRACE` seconds, ends live streams, lets the outbox dispatcher finish
/// its pass and hand back its leases, and closes the database pool.
pub async fn serve(leptos_options: leptos::config::LeptosOptions) -> anyhow::Result<()> {
    let addr = leptos_options.site_addr;
    let state = startup::from_env(leptos_options).await?;
    let grace = std::time::Duration::from_secs(state.config.ops.shutdown_grace_secs);
    state.shutdown.on_signals();
    let workers = startup::spawn_workers(&state);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on http://{addr}");
    let server = super::router::serve(listener, state.clone());
    let overrun = async {
        state.shutdown.wait().await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        served = server => served?,
        _ = overrun => tracing::warn!(grace_secs = grace.as_secs(), "requests still in flight after the grace period; stopping anyway"),
    }
    workers.stop(grace.max(std::time::Duration::from_secs(1))).await;
    state.db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Opens a truck-driver join channel for a union; prints its link and its poster's.
pub async fn channel_add(state: &AppState, org_code: &str, name: &str) -> anyhow::Result<()> {
    let org = crate::org::repo::by_code(&state.db.pool, org_code).await?.ok_or_else(|| anyhow::anyhow!("no union with code {org_code}"))?;
    let code = crate::channel::repo::new_code();
    let mut tx = state.db.begin_write().await?;
    crate::channel::repo::insert(&mut tx, &code, org.id, name, crate::channel::Occupation::TruckDriver, state.now()).await?;
    tx.commit().await?;
    let public_url = &state.config.public_url;
    println!("{public_url}/j/{code}  (poster: {public_url}/j/{code}/poster)");
    Ok(())
}

/// Creates an admin; the password is read from standard input. The same rules as the registry
/// page, except that the operator may grant any role.
pub async fn admin_add(state: &AppState, org_code: &str, roles: &str, username: &str, phone: &str) -> anyhow::Result<()> {
    use crate::admin::service::{create_admin, Creator, NewAdminInput};
    use crate::admin::Role;
    let org = crate::org::repo::by_code(&state.db.pool, org_code).await?.ok_or_else(|| anyhow::anyhow!("no union with code {org_code}"))?;
    let roles = Role::parse_list(roles).ok_or_else(|| anyhow::anyhow!("roles: a comma list of reviewer, manager, city_admin, leader"))?;
    let mut password = String::new();
    std::io::stdin().read_line(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']).to_string();
    let input = NewAdminInput {
        username: username.to_string(),
        display_name: String::new(),
        phone: phone.to_string(),
        org_id: org.id,
        roles: roles.clone(),
        password,
    };
    match create_admin(state, Creator::Operator, "cli", input).await? {
        Ok(id) => {
            println!("admin {} (#{id}) at {} with roles {}", username.trim().to_lowercase(), org.name, Role::join(&roles));
            Ok(())
        }
        Err(refusal) => anyhow::bail!("{}", refusal.get(crate::i18n::Lang::En)),
    }
}

/// Backs up the database of DATABASE_URL and the attachments of EJIA_DATA_DIR into `file`.
pub async fn backup(file: &std::path::Path) -> anyhow::Result<()> {
    let config = crate::server::config::Config::from_env()?;
    let written = super::backup::backup(&config, file).await?;
    println!("{written}");
    Ok(())
}

/// Restores `file` into the empty database of DATABASE_URL and EJIA_DATA_DIR.
pub async fn restore(file: &std::path::Path) -> anyhow::Result<()> {
    let config = crate::server::config::Config::from_env()?;
    let restored = super::backup::restore(&config, file).await?;
    println!("{restored}");
    Ok(())
}
