//! The `ejia` server binary: serves the app (the default), or runs an operator command.
use ejia::server::{db::Db, startup};
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
        Some("bench") => ejia::server::bench::run(leptos_options, &args[1..]).await,
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
    ejia::server::http::serve(listener, state).await?;
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
    use ejia::admin::service::{create_admin, Creator, NewAdminInput};
    use ejia::admin::Role;
    let org = ejia::org::repo::by_code(&state.db.pool, org_code).await?.ok_or_else(|| anyhow::anyhow!("no union with code {org_code}"))?;
    let roles = Role::parse_list(roles).ok_or_else(|| anyhow::anyhow!("roles: a comma list of reviewer, manager, city_admin, leader"))?;
    let mut password = String::new();
    std::io::stdin().read_line(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']).to_string();
    // The same rules as the registry page (the operator may grant any role).
    let input = NewAdminInput { username: username.to_string(), display_name: String::new(), phone: String::new(), org_id: org.id, roles: roles.clone(), password };
    match create_admin(state, Creator::Operator, "cli", input).await? {
        Ok(id) => {
            println!("admin {} (#{id}) at {} with roles {}", username.trim().to_lowercase(), org.name, Role::join(&roles));
            Ok(())
        }
        Err(refusal) => anyhow::bail!("{}", refusal.get(ejia::i18n::Lang::En)),
    }
}
