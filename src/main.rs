//! The `ejia` server binary: serves the app (the default), or runs an operator command.
use ejia::server::db::Db;
use ejia::site::startup;
use leptos::config::get_configuration;

const USAGE: &str = "usage:
  ejia                                         serve (configuration from the environment)
  ejia channel add <union code> <name>         open a truck-driver join channel; prints its link
  ejia admin add <union code> <roles> <username>   create an admin (roles: reviewer,manager,city_admin,leader);
                                               the password is read from standard input
  ejia bench [--db sqlite|postgres] [--n N]    measure join throughput and latency (see README)";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()))
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    // cargo-leptos passes the site settings in the environment; run by hand, read Cargo.toml.
    let leptos_options = match get_configuration(None) {
        Ok(conf) => conf.leptos_options,
        Err(_) => get_configuration(Some("Cargo.toml"))?.leptos_options,
    };
    match args.first().map(String::as_str) {
        None | Some("serve") => serve(leptos_options).await,
        Some("channel") if args.get(1).map(String::as_str) == Some("add") && args.len() >= 4 => {
            let state = startup::from_env(leptos_options).await?;
            channel_add(&state.db, &args[2], &args[3..].join(" "), &state.config.public_url, state.now()).await
        }
        Some("admin") if args.get(1).map(String::as_str) == Some("add") && args.len() == 5 => {
            let state = startup::from_env(leptos_options).await?;
            admin_add(&state, &args[2], &args[3], &args[4]).await
        }
        Some("bench") => ejia::site::bench::run(leptos_options, &args[1..]).await,
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    }
}

async fn serve(leptos_options: leptos::config::LeptosOptions) -> anyhow::Result<()> {
    let addr = leptos_options.site_addr;
    let state = startup::from_env(leptos_options).await?;
    startup::spawn_workers(&state);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on http://{addr}");
    ejia::site::router::serve(listener, state).await?;
    Ok(())
}

async fn channel_add(db: &Db, org_code: &str, name: &str, public_url: &str, now: i64) -> anyhow::Result<()> {
    let org = ejia::org::repo::by_code(&db.pool, org_code).await?.ok_or_else(|| anyhow::anyhow!("no union with code {org_code}"))?;
    let code = ejia::channel::repo::new_code();
    let mut tx = db.begin_write().await?;
    ejia::channel::repo::insert(&mut tx, &code, org.id, name, ejia::channel::Occupation::TruckDriver, now).await?;
    tx.commit().await?;
    println!("{public_url}/j/{code}  (poster: {public_url}/j/{code}/poster)");
    Ok(())
}

async fn admin_add(state: &ejia::server::state::AppState, org_code: &str, roles: &str, username: &str) -> anyhow::Result<()> {
    use ejia::admin::{repo, Role};
    let org = ejia::org::repo::by_code(&state.db.pool, org_code).await?.ok_or_else(|| anyhow::anyhow!("no union with code {org_code}"))?;
    let roles = Role::parse_list(roles).ok_or_else(|| anyhow::anyhow!("roles: a comma list of reviewer, manager, city_admin, leader"))?;
    if roles.contains(&Role::CityAdmin) && org.parent_id.is_some() {
        anyhow::bail!("city_admin is bound to the city federation (the root of the tree)");
    }
    let mut password = String::new();
    std::io::stdin().read_line(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']);
    anyhow::ensure!(password.chars().count() >= 10, "the password needs at least 10 characters");
    let hash = ejia::admin::auth::hash_password(password)?;
    let username = username.trim().to_lowercase();
    let mut tx = state.db.begin_write().await?;
    let id = repo::insert(
        &mut tx,
        repo::NewAdmin { username: &username, display_name: &username, org_id: org.id, roles: &roles, password_hash: &hash, phone: None, created_by: None },
        state.now(),
    )
    .await?;
    ejia::server::audit::record(
        &mut tx,
        state.db.backend,
        state.now(),
        ejia::server::audit::Entry { admin_id: None, org_id: Some(org.id), action: "admin_create", target: &format!("admin:{id}"), ip: "cli", outcome: "ok", detail: &Role::join(&roles) },
    )
    .await?;
    tx.commit().await?;
    println!("admin {username} (#{id}) at {} with roles {}", org.name, Role::join(&roles));
    Ok(())
}
