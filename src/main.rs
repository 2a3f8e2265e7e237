//! The `ejia` server binary: serves the app (the default), or runs an operator command.
use clap::{Parser, Subcommand};
use ejia::server::db::Db;
use ejia::site::startup;
use leptos::config::get_configuration;

/// 工会E家 server and operator commands. With no command it serves the app.
#[derive(Debug, Parser)]
#[command(name = "ejia", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the app (the default); configuration comes from the environment.
    Serve,
    /// Join channels.
    Channel {
        #[command(subcommand)]
        command: ChannelCommand,
    },
    /// Admin accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Measure join throughput and latency, and time the review queue (see README).
    Bench(BenchArgs),
}

#[derive(Debug, Subcommand)]
enum ChannelCommand {
    /// Open a truck-driver join channel for a union; prints its link and poster link.
    Add {
        /// The union's code, e.g. 340302.
        #[arg(value_name = "UNION_CODE")]
        union_code: String,
        /// The channel's name (several words are joined with spaces).
        #[arg(value_name = "NAME", required = true, num_args = 1..)]
        name: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create an admin. The password (at least 10 characters) is read from standard input.
    Add {
        /// The union the admin belongs to, by its code, e.g. 340300.
        #[arg(value_name = "UNION_CODE")]
        union_code: String,
        /// A comma list of reviewer, manager, city_admin, leader.
        #[arg(value_name = "ROLES")]
        roles: String,
        /// The sign-in name (kept in lower case).
        #[arg(value_name = "USERNAME")]
        username: String,
    },
}

/// The bench's own flags; omitted ones keep the bench's defaults.
#[derive(Debug, clap::Args)]
struct BenchArgs {
    /// The database to measure [default: sqlite].
    #[arg(long, value_parser = ["sqlite", "postgres"])]
    db: Option<String>,
    /// Joins to make, 1 to 20000 [default: 2000].
    #[arg(long = "n", value_name = "N")]
    n: Option<usize>,
    /// Joins in flight at once [default: 50].
    #[arg(long, value_name = "C")]
    concurrency: Option<usize>,
    /// The PostgreSQL server for --db postgres [default: $EJIA_BENCH_PG_URL or postgres://postgres@127.0.0.1:5432/test].
    #[arg(long, value_name = "URL")]
    pg_url: Option<String>,
}

impl BenchArgs {
    /// The flags as `ejia::site::bench::run` reads them.
    fn to_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        let mut push = |flag: &str, value: Option<String>| {
            if let Some(v) = value {
                args.extend([flag.to_string(), v]);
            }
        };
        push("--db", self.db.clone());
        push("--n", self.n.map(|n| n.to_string()));
        push("--concurrency", self.concurrency.map(|c| c.to_string()));
        push("--pg-url", self.pg_url.clone());
        args
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // First, so `--help` and usage errors need no configuration (clap exits 0 or 2 itself).
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()))
        .init();
    // cargo-leptos passes the site settings in the environment; run by hand, read Cargo.toml.
    let leptos_options = match get_configuration(None) {
        Ok(conf) => conf.leptos_options,
        Err(_) => get_configuration(Some("Cargo.toml"))?.leptos_options,
    };
    match cli.command {
        None | Some(Command::Serve) => serve(leptos_options).await,
        Some(Command::Channel { command: ChannelCommand::Add { union_code, name } }) => {
            let state = startup::from_env(leptos_options).await?;
            channel_add(&state.db, &union_code, &name.join(" "), &state.config.public_url, state.now()).await
        }
        Some(Command::Admin { command: AdminCommand::Add { union_code, roles, username } }) => {
            let state = startup::from_env(leptos_options).await?;
            admin_add(&state, &union_code, &roles, &username).await
        }
        Some(Command::Bench(bench)) => ejia::site::bench::run(leptos_options, &bench.to_args()).await,
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
