//! The `ejia` server binary: serves the app (the default), or runs an operator command.
use clap::{Parser, Subcommand};
use ejia::site::{cli, startup};
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
    /// Data keys (EJIA_DATA_KEY): add one, rotate every stored secret to the active one, see
    /// which keys are still in use (see README, "Keys").
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Measure join throughput and latency, and time the review queue (see README).
    Bench(BenchArgs),
    /// Time one export of every member to .xlsx and to .csv, with peak memory (see README).
    BenchExport(BenchExportArgs),
    /// Build a synthetic city for measuring in the database of DATABASE_URL (an empty one, or
    /// one holding only the demo tree): counties, streets and parks, workplaces, members and
    /// applications across states and dates.
    Seed(SeedArgs),
    /// Measure the command centre on a generated city: the board's time at the root and at a
    /// county, and decision-to-dashboard latency over many open live dashboards (see README).
    #[command(name = "bench-command")]
    BenchCentre(BenchCommandArgs),
    // member
    /// Measure the e-member card's public check over HTTP: latency p50/p95/p99 and throughput
    /// (see README).
    #[command(name = "bench-card")]
    BenchCard(BenchCardArgs),
    // benefits
    /// Measure claiming under load: 1,000 concurrent claims on a stock of 100 (exact count) and
    /// claims per second, on SQLite, PostgreSQL and two instances on one PostgreSQL (see README).
    #[command(name = "bench-claims")]
    BenchClaims(BenchClaimsArgs),
    /// Back up the database and the attachments into FILE, online (see README, Backups).
    ///
    /// Writes an online, consistent backup of the database of DATABASE_URL and of the sealed
    /// attachments under EJIA_DATA_DIR/files into FILE, a new tar file, while the app serves.
    /// The data key (EJIA_DATA_KEY) is not in it: keep the key, apart from the backups.
    Backup {
        /// The backup to write; an existing file is never overwritten.
        #[arg(value_name = "FILE")]
        file: std::path::PathBuf,
    },
    /// Restore a backup into an empty database, then migrate it (see README, Backups).
    ///
    /// Restores a backup written by `ejia backup` into the empty database of DATABASE_URL (and
    /// its attachments into EJIA_DATA_DIR/files), then migrates it to this build's schema.
    /// A database holding any row is refused, and so is a backup cut short or damaged.
    Restore {
        /// The backup to read; it is checked whole before anything is written.
        #[arg(value_name = "FILE")]
        file: std::path::PathBuf,
    },
}

// member
#[derive(Debug, clap::Args)]
struct BenchCardArgs {
    #[arg(long, default_value = "sqlite", value_parser = ["sqlite", "postgres"])]
    db: String,
    #[arg(long, value_name = "URL", default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pg_url: String,
    /// Members holding a card.
    #[arg(long, default_value_t = 10_000)]
    members: usize,
    /// Scans to time.
    #[arg(long = "n", value_name = "N", default_value_t = 20_000)]
    n: usize,
    #[arg(long, default_value_t = 50)]
    concurrency: usize,
}

/// The claims bench's flags.
#[derive(Debug, clap::Args)]
struct BenchClaimsArgs {
    /// Members claiming at once.
    #[arg(long = "n", value_name = "N", default_value_t = 1000)]
    n: usize,
    /// The PostgreSQL server [default: $EJIA_BENCH_PG_URL or postgres://postgres@127.0.0.1:5432/test].
    #[arg(long, value_name = "URL")]
    pg_url: Option<String>,
}

/// The export bench's flags.
#[derive(Debug, clap::Args)]
struct BenchExportArgs {
    /// The database to measure.
    #[arg(long, value_parser = ["sqlite", "postgres"], default_value = "sqlite")]
    db: String,
    /// Members to export, 1 to 2000000.
    #[arg(long = "n", value_name = "N", default_value_t = 1_000_000)]
    n: usize,
    /// The PostgreSQL server for --db postgres [default: $EJIA_BENCH_PG_URL or postgres://postgres@127.0.0.1:5432/test].
    #[arg(long, value_name = "URL")]
    pg_url: Option<String>,
    /// One format only (each alone in its process gives its own peak memory).
    #[arg(long, value_parser = ["xlsx", "csv", "both"], default_value = "both")]
    format: String,
}

#[derive(Debug, clap::Args)]
struct BenchCommandArgs {
    #[arg(long, default_value = "sqlite", value_parser = ["sqlite", "postgres"])]
    db: String,
    #[arg(long, value_name = "URL", default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pg_url: String,
    /// Where the generated city's SQLite file and key are kept between runs [default: the temp dir].
    #[arg(long, value_name = "DIR")]
    dir: Option<std::path::PathBuf>,
    #[arg(long, default_value_t = 1_000_000)]
    members: usize,
    #[arg(long, default_value_t = 50_000)]
    applications: usize,
    /// Live dashboards connected at once (half at the root, half at a county).
    #[arg(long, default_value_t = 200)]
    dashboards: usize,
    #[arg(long, default_value_t = 5)]
    decisions: usize,
}

#[derive(Debug, clap::Args)]
struct SeedArgs {
    #[arg(long, default_value_t = 7)]
    counties: usize,
    /// Streets and logistics parks, spread over the counties.
    #[arg(long, default_value_t = 120)]
    streets: usize,
    #[arg(long, default_value_t = 2000)]
    workplaces: usize,
    #[arg(long, default_value_t = 1_000_000)]
    members: usize,
    /// Recent applications (the last 60 days) across states; 70 % of them approved and counted
    /// among the members.
    #[arg(long, default_value_t = 50_000)]
    applications: usize,
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
enum KeysCommand {
    /// Print a fresh key entry (the next id after EJIA_DATA_KEY's) to put first in EJIA_DATA_KEY.
    New {
        /// xchacha: XChaCha20-Poly1305 with HMAC-SHA256; sm4: SM4-GCM with HMAC-SM3 (商用密码).
        #[arg(long, default_value = "xchacha", value_parser = ["xchacha", "sm4"])]
        alg: String,
        /// The new key's id [default: one more than the highest id in EJIA_DATA_KEY, or 1].
        #[arg(long)]
        id: Option<i64>,
    },
    /// Seal every stored secret again under the first key of EJIA_DATA_KEY and re-key the blind
    /// index, in batches, while the app serves; stopped or killed, it finishes when run again.
    Rotate {
        /// Rows (or files) per batch, each batch one short transaction.
        #[arg(long, default_value_t = 500)]
        batch: i64,
        /// Stop after this many batches (run again to go on).
        #[arg(long)]
        max_batches: Option<u64>,
    },
    /// Count the stored values each key holds and say which old keys can be removed.
    Status,
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
        /// The admin's mobile number, for reminders and escalations (督办) by SMS.
        #[arg(long, value_name = "PHONE")]
        phone: Option<String>,
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
    ejia::server::telemetry::init_logs();
    if let Some(Command::Keys { command: KeysCommand::New { alg, id } }) = &cli.command {
        // No database and no site settings: a key is made here and printed, nothing else.
        let alg = ejia::server::crypto::alg::Alg::parse(alg).expect("clap checked the value");
        let current = std::env::var("EJIA_DATA_KEY").ok().filter(|v| !v.trim().is_empty());
        let entry = ejia::site::keys::new_entry(current.as_deref(), alg, *id)?;
        println!("{entry}");
        eprintln!(
            "put it first: EJIA_DATA_KEY={},<the current entries>; restart the app (every instance), then run `ejia keys rotate`",
            entry.split(':').next().map(|id| format!("{id}:…")).unwrap_or_default()
        );
        return Ok(());
    }
    // Backups need the database and the data folder only, not the site's settings.
    let command = match cli.command {
        Some(Command::Backup { file }) => return cli::backup(&file).await,
        Some(Command::Restore { file }) => return cli::restore(&file).await,
        other => other,
    };
    // cargo-leptos passes the site settings in the environment; run by hand, read Cargo.toml.
    let leptos_options = match get_configuration(None) {
        Ok(conf) => conf.leptos_options,
        Err(_) => get_configuration(Some("Cargo.toml"))?.leptos_options,
    };
    match command {
        Some(Command::Backup { .. } | Command::Restore { .. }) => unreachable!("answered above"),
        None | Some(Command::Serve) => cli::serve(leptos_options).await,
        Some(Command::Channel { command: ChannelCommand::Add { union_code, name } }) => {
            let state = startup::from_env(leptos_options).await?;
            cli::channel_add(&state, &union_code, &name.join(" ")).await
        }
        Some(Command::Admin { command: AdminCommand::Add { union_code, roles, username, phone } }) => {
            let state = startup::from_env(leptos_options).await?;
            cli::admin_add(&state, &union_code, &roles, &username, phone.as_deref().unwrap_or("")).await
        }
        Some(Command::Keys { command: KeysCommand::New { .. } }) => unreachable!("handled above"),
        Some(Command::Keys { command: KeysCommand::Rotate { batch, max_batches } }) => {
            let state = startup::from_env(leptos_options).await?;
            let opts = ejia::site::keys::Options { batch, max_batches };
            let done = ejia::site::keys::rotate(&state, opts, &mut |step| eprintln!("rotating: {step}")).await?;
            println!(
                "{} values sealed again, {} blind indexes re-keyed, {} erased rows marked, {} changed meanwhile (left as written), {} not opening, in {} batches, {:.1} s ({:.0} values/s)",
                done.resealed,
                done.reindexed,
                done.erased,
                done.changed_meanwhile,
                done.failed,
                done.batches,
                done.seconds,
                (done.resealed + done.reindexed) as f64 / done.seconds.max(1e-6)
            );
            if done.stopped {
                println!("stopped after {} batches: run `ejia keys rotate` again to go on", done.batches);
            }
            print!("{}", ejia::site::keys::status(&state).await?.verdict());
            println!();
            Ok(())
        }
        Some(Command::Keys { command: KeysCommand::Status }) => {
            let state = startup::from_env(leptos_options).await?;
            print!("{}", ejia::site::keys::status(&state).await?.render());
            Ok(())
        }
        Some(Command::Seed(a)) => {
            let state = startup::from_env(leptos_options).await?;
            let sizes = ejia::site::generate::Sizes {
                counties: a.counties,
                streets: a.streets,
                workplaces: a.workplaces,
                members: a.members,
                applications: a.applications,
            };
            let made = ejia::site::generate::generate(&state, sizes).await?;
            println!(
                "seeded {} unions, {} members, {} applications in {:.1} s",
                made.unions, made.members, made.applications, made.seconds
            );
            Ok(())
        }
        Some(Command::BenchCentre(a)) => {
            let args = ejia::site::bench_command::Args {
                db: a.db,
                pg_url: a.pg_url,
                dir: a.dir.unwrap_or_else(|| std::env::temp_dir().join("ejia-bench-city")),
                members: a.members,
                applications: a.applications,
                dashboards: a.dashboards,
                decisions: a.decisions,
            };
            ejia::site::bench_command::run(leptos_options, args).await
        }
        Some(Command::Bench(bench)) => ejia::site::bench::run(leptos_options, &bench.to_args()).await,
        // member
        Some(Command::BenchCard(a)) => {
            let args = ejia::site::bench_card::Args { db: a.db, pg_url: a.pg_url, members: a.members, n: a.n, concurrency: a.concurrency };
            ejia::site::bench_card::run(leptos_options, args).await
        }
        // benefits
        Some(Command::BenchClaims(b)) => {
            let pg_url = b
                .pg_url
                .or_else(|| std::env::var("EJIA_BENCH_PG_URL").ok())
                .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".into());
            ejia::site::bench_claims::run(leptos_options, pg_url, b.n).await
        }
        Some(Command::BenchExport(b)) => {
            let pg_url = b
                .pg_url
                .or_else(|| std::env::var("EJIA_BENCH_PG_URL").ok())
                .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".into());
            ejia::site::bench_export::run(leptos_options, ejia::site::bench_export::Args { db: b.db, n: b.n, pg_url, format: b.format })
                .await
        }
    }
}
