//! Starts a real Steward on a random loopback port over a fresh database:
//! a temporary SQLite file, or a throwaway PostgreSQL database that is
//! dropped when the server is (even when the test panics).

use std::net::SocketAddr;

use sea_orm::{ConnectionTrait, Database};
use steward::config::{ArgoConfig, Config, LighthouseConfig, MailConfig, McConfig, ScaleliteConfig, StorjConfig};
use tokio::sync::oneshot;

pub const SECRET: &str = "sha1-secret";
pub const SECOND_SECRET: &str = "second-secret";
pub const STORJ_TOKEN: &str = "storj-admin-token";
pub const ARGO_KEY: &str = "S3CR3T";
pub const MC_ADMIN: &str = "mexadmin";
pub const MC_ADMIN_PASSWORD: &str = "mexadminfastedgecloudinfra";
/// MC's pause after a failed login (3 s in production), shortened so tests
/// stay quick; it is also the shortest lockout.
pub const MC_BAD_AUTH_DELAY_MS: u64 = 100;
pub const LIGHTHOUSE_ADMIN: &str = "admin@lighthouse.local";
pub const LIGHTHOUSE_ADMIN_PASSWORD: &str = "lighthouse-admin-password";
const POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Copy)]
pub struct Options {
    pub multitenancy: bool,
    /// None: Steward generates one (see `TestServer::generated`).
    pub storj_token: Option<&'static str>,
    /// None: Steward generates one.
    pub argo_key: Option<&'static str>,
    pub mc_verify_email: bool,
    /// An SMTP server on loopback to send MC's mail to (else the
    /// development sender).
    pub smtp_port: Option<u16>,
    /// MC's rate limits (off by default: tests create users faster than
    /// MC's two per second per address).
    pub mc_rate_limit: bool,
    /// The federation partner API on an address of its own
    /// (`STEWARD_MC_FEDERATION_LISTEN`); see `TestServer::federation_addr`.
    pub mc_federation_listener: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            multitenancy: true,
            storj_token: Some(STORJ_TOKEN),
            argo_key: Some(ARGO_KEY),
            mc_verify_email: false,
            smtp_port: None,
            mc_rate_limit: false,
            mc_federation_listener: false,
        }
    }
}

pub struct TestServer {
    pub addr: SocketAddr,
    /// The federation partner API's own address, when it has one.
    pub federation_addr: Option<SocketAddr>,
    pub client: reqwest::Client,
    pub database_url: String,
    /// Mails the MC surface sent.
    pub outbox: steward::surfaces::mc::mail::DevMailer,
    /// Credentials this start generated: (Storj admin token, ARGO key).
    pub generated: (Option<String>, Option<String>),
    options: Options,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    cleanup: Cleanup,
}

enum Cleanup {
    /// Another server's database: its owner cleans up.
    Shared,
    // Held so the directory (and the database in it) lives as long as the server.
    File(#[allow(dead_code)] tempfile::TempDir),
    PostgresDatabase(String),
}

fn unique_name() -> String {
    format!("steward_test_{}", uuid::Uuid::new_v4().simple())
}

/// A fresh database URL, or `None` when PostgreSQL is absent and not required.
async fn fresh_database(backend: Backend) -> Option<(String, Cleanup)> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("steward.db").display());
            Some((url, Cleanup::File(dir)))
        }
        Backend::Postgres => {
            let admin = match Database::connect(POSTGRES_ADMIN_URL).await {
                Ok(admin) => admin,
                Err(error) if std::env::var("REQUIRE_POSTGRES").is_ok_and(|v| v == "1") => {
                    panic!("REQUIRE_POSTGRES=1 but PostgreSQL is unreachable: {error}")
                }
                Err(error) => {
                    eprintln!("skipping: PostgreSQL unreachable ({error})");
                    return None;
                }
            };
            let name = unique_name();
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
            admin.close().await.ok();
            Some((format!("postgres://postgres@127.0.0.1:5432/{name}"), Cleanup::PostgresDatabase(name)))
        }
    }
}

impl TestServer {
    pub async fn start(backend: Backend) -> Option<Self> {
        Self::start_with(backend, Options::default()).await
    }

    pub async fn start_with(backend: Backend, options: Options) -> Option<Self> {
        let (database_url, cleanup) = fresh_database(backend).await?;
        Some(Self::start_on(database_url, cleanup, options).await)
    }

    async fn start_on(database_url: String, cleanup: Cleanup, options: Options) -> Self {
        let config = Config {
            listen: "127.0.0.1:0".parse().expect("loopback"),
            database_url: database_url.clone(),
            metrics_listen: None,
            audit_retention: None,
            scalelite: ScaleliteConfig {
                secrets: vec![SECRET.to_owned(), SECOND_SECRET.to_owned()],
                multitenancy: options.multitenancy,
            },
            storj: StorjConfig { admin_token: options.storj_token.map(str::to_owned) },
            argo: ArgoConfig { admin_key: options.argo_key.map(str::to_owned) },
            mc: McConfig {
                admin_password: Some(MC_ADMIN_PASSWORD.to_owned()),
                verify_email: options.mc_verify_email,
                bad_auth_delay: std::time::Duration::from_millis(MC_BAD_AUTH_DELAY_MS),
                rate_limit: options.mc_rate_limit,
                ..McConfig::default()
            },
            lighthouse: LighthouseConfig {
                admin_password: Some(LIGHTHOUSE_ADMIN_PASSWORD.to_owned()),
                ..LighthouseConfig::default()
            },
            mail: MailConfig {
                smtp_url: options.smtp_port.map(|port| format!("smtp://127.0.0.1:{port}")),
                ..MailConfig::default()
            },
        };
        let (db, bootstrap) = steward::prepare(&config).await.expect("prepare");
        let generated = (bootstrap.storj_token_generated.clone(), bootstrap.argo_key_generated.clone());
        let bound = steward::bind(config.listen).await.expect("bind");
        let addr = bound.addr;
        let federation = match options.mc_federation_listener {
            true => Some(steward::bind("127.0.0.1:0".parse().expect("loopback")).await.expect("bind")),
            false => None,
        };
        let federation_addr = federation.as_ref().map(|bound| bound.addr);
        let app = steward::app(&config, db, &bootstrap, addr, federation_addr);
        let outbox = app.mc_outbox.clone();
        let (shutdown, signal) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            bound
                .serve_with(federation, app, async {
                    let _ = signal.await;
                })
                .await
                .expect("serve");
        });
        TestServer {
            addr,
            federation_addr,
            client: reqwest::Client::new(),
            database_url,
            outbox,
            generated,
            options,
            shutdown: Some(shutdown),
            task: Some(task),
            cleanup,
        }
    }

    /// A second Steward over the same database, as a replica would be.
    pub async fn replica(&self) -> Self {
        Self::start_on(self.database_url.clone(), Cleanup::Shared, self.options).await
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{path_and_query}", self.addr)
    }

    /// Stops serving and waits for in-flight requests.
    pub async fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        drop_database(&self.cleanup);
    }
}

/// Drops a throwaway PostgreSQL database (a SQLite file goes with its
/// directory).
fn drop_database(cleanup: &Cleanup) {
    if let Cleanup::PostgresDatabase(name) = cleanup {
        let name = name.clone();
        // A separate runtime: Drop may run while the test's runtime is
        // shutting down, or after a panic.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            runtime.block_on(async {
                if let Ok(admin) = Database::connect(POSTGRES_ADMIN_URL).await {
                    let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                }
            });
        })
        .join();
    }
}

/// A `steward serve` process of its own over a fresh database, its MC
/// superuser's password set, killed (and its database dropped) on drop.
pub struct Process {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    child: std::process::Child,
    cleanup: Cleanup,
}

impl Process {
    pub async fn spawn(backend: Backend) -> Option<Self> {
        let (database_url, cleanup) = fresh_database(backend).await?;
        // A free port: taken, noted, released for the process.
        let addr = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port");
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_steward"))
            .arg("serve")
            .env("STEWARD_LISTEN", addr.to_string())
            .env("STEWARD_DATABASE_URL", &database_url)
            .env("STEWARD_MC_ADMIN_PASSWORD", MC_ADMIN_PASSWORD)
            .env("STEWARD_MC_BAD_AUTH_DELAY_MS", MC_BAD_AUTH_DELAY_MS.to_string())
            .env("STEWARD_MC_RATE_LIMIT", "false")
            .env("STEWARD_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("steward serve");
        let process = Self { addr, client: reqwest::Client::new(), child, cleanup };
        for _ in 0..300 {
            let ready = process.client.get(process.url("/readyz")).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return Some(process);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("steward serve on {addr} did not become ready");
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{path_and_query}", self.addr)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        drop_database(&self.cleanup);
    }
}

/// Runs the same async test body on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both_databases {
    ($name:ident, $options:expr, |$server:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run(backend: $crate::harness::Backend) {
                let Some(mut $server) = $crate::harness::TestServer::start_with(backend, $options).await else {
                    return;
                };
                $body;
                $server.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::harness::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run($crate::harness::Backend::Postgres).await;
            }
        }
    };
    ($name:ident, |$server:ident| $body:block) => {
        $crate::on_both_databases!($name, $crate::harness::Options::default(), |$server| $body);
    };
}
