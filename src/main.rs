//! The `steward` command.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use steward::config::{self, Config};

#[derive(Parser)]
#[command(name = "steward", version, about = "OpenAPI-first admin control plane")]
struct Cli {
    /// Configuration file (default: ./steward.toml if present).
    #[arg(long, global = true, env = "STEWARD_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database and serve every surface (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Print the OpenAPI document a surface serves.
    Openapi {
        /// Surface name, e.g. scalelite.
        surface: String,
        /// yaml (as written) or json.
        #[arg(long, default_value = "yaml")]
        format: String,
    },
    /// Print the JSON Schema of steward.toml.
    ConfigSchema,
    /// Print the audit trail, newest first, one JSON object per line: who
    /// changed what on every surface (MC's rows are its events).
    Audit {
        /// Only this surface's rows (scalelite, storj, argo, mc, lighthouse).
        #[arg(long)]
        surface: Option<String>,
        /// Only rows younger than this (a duration such as 48h or 30m).
        #[arg(long)]
        since: Option<String>,
        /// At most this many rows.
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
}

/// glibc's allocator raises its mmap threshold to the size of the largest
/// block freed (up to 32 MiB), so after the first argon2 hash (19 MiB of
/// blocks) those blocks come from per-thread heap arenas and are never
/// given back: a login storm or a large render left RSS near 1 GiB. A
/// fixed threshold keeps large blocks mmapped (returned on free), and two
/// arenas bound what small allocations can fragment.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    // SAFETY: mallopt only sets allocator parameters; it is called before
    // any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}

fn main() -> ExitCode {
    tune_allocator();
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Openapi { surface, format } => print_spec(&surface, &format),
        Command::ConfigSchema => {
            println!("{}", serde_json::to_string_pretty(&config::file_schema()).unwrap_or_default());
            ExitCode::SUCCESS
        }
        command => {
            let config = match Config::load(cli.config.as_deref(), &config::process_env) {
                Ok(config) => config,
                Err(error) => {
                    eprintln!("steward: {error}");
                    return ExitCode::from(2);
                }
            };
            // `audit` prints rows on stdout; its logs go to stderr.
            init_tracing(matches!(command, Command::Audit { .. }));
            let runtime = match tokio::runtime::Runtime::new() {
                Ok(runtime) => runtime,
                Err(error) => {
                    eprintln!("steward: cannot start the runtime: {error}");
                    return ExitCode::FAILURE;
                }
            };
            let result = runtime.block_on(async {
                match command {
                    Command::Migrate => migrate(&config).await,
                    Command::Audit { surface, since, limit } => audit(&config, surface, since, limit).await,
                    _ => serve(&config).await,
                }
            });
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("steward: {error:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn print_spec(surface: &str, format: &str) -> ExitCode {
    let Some(spec) = steward::surfaces::spec(surface) else {
        let names: Vec<_> = steward::surfaces::SPECS.iter().map(|s| s.name).collect();
        eprintln!("steward: unknown surface {surface:?} (one of: {})", names.join(", "));
        return ExitCode::from(2);
    };
    match format {
        "yaml" => print!("{}", spec.yaml),
        "json" => println!("{}", spec.json),
        other => {
            eprintln!("steward: unknown format {other:?} (yaml or json)");
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}

fn init_tracing(to_stderr: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("STEWARD_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("STEWARD_LOG_FORMAT").is_ok_and(|f| f == "json");
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    match (json, to_stderr) {
        (true, true) => builder.json().with_writer(std::io::stderr).init(),
        (true, false) => builder.json().init(),
        (false, true) => builder.compact().with_writer(std::io::stderr).init(),
        (false, false) => builder.compact().init(),
    }
}

async fn migrate(config: &Config) -> anyhow::Result<()> {
    let db = steward::db::connect(&config.database_url).await?;
    steward::db::migrate(&db).await?;
    println!("migrations applied to {}", redact(&config.database_url));
    Ok(())
}

async fn audit(config: &Config, surface: Option<String>, since: Option<String>, limit: u64) -> anyhow::Result<()> {
    let since = match since.as_deref().filter(|since| !since.is_empty()) {
        None => None,
        Some(text) => {
            let nanos = steward::surfaces::mc::regional::app_rules::parse_duration(text)
                .map_err(|_| anyhow::anyhow!("--since {text:?} is not a duration such as 48h or 30m"))?;
            let age = time::Duration::nanoseconds(i64::try_from(nanos).unwrap_or(i64::MAX));
            Some(time::OffsetDateTime::now_utc() - age)
        }
    };
    let db = steward::db::connect(&config.database_url).await?;
    steward::db::migrate(&db).await?;
    let filter = steward::db::audit::Listing { surface: surface.filter(|s| !s.is_empty()), since, limit };
    for row in steward::db::audit::list(&db, &filter).await? {
        println!("{}", steward::db::audit::row_json(&row));
    }
    Ok(())
}

async fn serve(config: &Config) -> anyhow::Result<()> {
    let (db, bootstrap) = steward::prepare(config).await?;
    let bound = steward::bind(config.listen).await?;
    // Bound before the banner, so what it announces answers at once.
    if let Some(addr) = config.metrics_listen {
        let metrics = steward::bind(addr).await?;
        let db = db.clone();
        tokio::spawn(async move {
            if let Err(error) = metrics.serve_metrics(db).await {
                tracing::error!(%error, "metrics listener stopped");
            }
        });
    }
    if let Some(retention) = config.audit_retention {
        tokio::spawn(prune_audit_rows(db.clone(), retention));
    }
    let federation = match config.mc.federation_listen {
        Some(addr) => Some(steward::bind(addr).await?),
        None => None,
    };
    let federation_addr = federation.as_ref().map(|bound| bound.addr);
    print_banner(config, &bootstrap, bound.addr);
    if let Some(addr) = federation_addr {
        println!(
            "  mc federation partner API: http://{addr}/operatorplatform/federation/v1 (STEWARD_MC_FEDERATION_LISTEN)"
        );
    }
    let app = steward::app(config, db, &bootstrap, bound.addr, federation_addr);
    bound.serve_with(federation, app, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Deletes audit rows older than `retention` at start, then hourly.
async fn prune_audit_rows(db: sea_orm::DatabaseConnection, retention: std::time::Duration) {
    let retention = time::Duration::try_from(retention).unwrap_or(time::Duration::MAX);
    loop {
        if let Some(before) = time::OffsetDateTime::now_utc().checked_sub(retention) {
            match steward::db::audit::prune(&db, before).await {
                Ok(0) => {}
                Ok(deleted) => tracing::info!(deleted, "audit rows past retention deleted"),
                Err(error) => tracing::warn!(%error, "audit rows not pruned"),
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    }
}

fn print_banner(config: &Config, bootstrap: &steward::Bootstrap, addr: std::net::SocketAddr) {
    println!("Steward {} listening on http://{addr}", env!("CARGO_PKG_VERSION"));
    println!("  docs:      http://{addr}/docs/");
    println!("  database:  {}", redact(&config.database_url));
    match config.metrics_listen {
        Some(metrics) => println!("  metrics:   http://{metrics}/metrics (STEWARD_METRICS_LISTEN)"),
        None => println!("  metrics:   http://{addr}/metrics"),
    }
    // Secrets are shown only by the start that generated them.
    match (bootstrap.scalelite_secret_generated, bootstrap.scalelite_secret_generated_now) {
        (true, true) => println!(
            "  scalelite: secret generated and kept in the database: {} (shown once)",
            bootstrap.scalelite_secrets.join(":")
        ),
        (true, false) => println!("  scalelite: secret kept in the database (shown at the start that generated it)"),
        (false, _) => println!("  scalelite: secret(s) configured (STEWARD_SCALELITE_SECRET)"),
    }
    println!("             multitenancy: {}", config.scalelite.multitenancy);
    match (&config.storj.admin_token, &bootstrap.storj_token_generated) {
        (Some(_), _) => println!("  storj:     Authorization token configured (STEWARD_STORJ_ADMIN_TOKEN)"),
        (None, Some(token)) => {
            println!("  storj:     Authorization token generated, kept hashed: {token} (shown once)")
        }
        (None, None) => {
            println!("  storj:     Authorization token as first printed (or set STEWARD_STORJ_ADMIN_TOKEN)")
        }
    }
    match (&config.argo.admin_key, &bootstrap.argo_key_generated) {
        (Some(_), _) => println!("  argo:      super_admin x-api-key configured (STEWARD_ARGO_ADMIN_KEY)"),
        (None, Some(key)) => println!("  argo:      super_admin x-api-key generated, kept hashed: {key} (shown once)"),
        (None, None) => println!("  argo:      super_admin x-api-key as first printed (or set STEWARD_ARGO_ADMIN_KEY)"),
    }
    let user = &config.mc.admin_user;
    match &bootstrap.mc_admin_password_generated {
        Some(password) => println!("  mc:        superuser {user} created with password {password} (shown once)"),
        None if config.mc.admin_password.is_some() => {
            println!("  mc:        superuser {user} (password from STEWARD_MC_ADMIN_PASSWORD)")
        }
        None => println!("  mc:        superuser {user} (password as first printed)"),
    }
    println!("             regions: {} (STEWARD_MC_REGIONS)", config.mc.regions.join(", "));
    println!(
        "             POST /api/v1/login; email verification {}",
        match config.mc.verify_email {
            true => "required",
            false => "off",
        }
    );
    let email = &config.lighthouse.admin_email;
    match &bootstrap.lighthouse_admin_password_generated {
        Some(password) => {
            println!("  lighthouse: user {email} (AuthLevel 10) created with password {password} (shown once)")
        }
        None if config.lighthouse.admin_password.is_some() => {
            println!("  lighthouse: user {email} (password from STEWARD_LIGHTHOUSE_ADMIN_PASSWORD)")
        }
        None => println!("  lighthouse: user {email} (password as first printed)"),
    }
    println!("             POST /api/v0.2/login sets the auth session cookie");
    if config.mail.log_bodies {
        println!("  mail:      STEWARD_MAIL_LOG_BODIES is on: mail bodies (reset links, one-time codes) go to the log");
    }
    match &config.mail.smtp_url {
        Some(url) => println!("  mail:      SMTP {}", steward::config::redact_url(url)),
        None => println!("  mail:      not delivered (development sender; set STEWARD_SMTP_URL)"),
    }
}

fn redact(url: &str) -> String {
    steward::config::redact_url(url)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
