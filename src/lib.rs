//! Steward: one binary serving the admin APIs of several systems, each
//! wire-compatible at its native paths, each generated from a hand-written
//! OpenAPI document in `openapi/`.

pub mod auth;
pub mod config;
pub mod db;
pub mod egress;
pub mod metrics;
pub mod sealing;
pub mod server;
pub mod surfaces;
pub mod swagger;
pub mod wire;

use std::net::SocketAddr;
use std::time::Duration;

use poem::listener::{Acceptor, Listener, TcpListener};
use sea_orm::DatabaseConnection;

use config::Config;
use surfaces::scalelite;

/// Credentials Steward generated because none were configured, so `make
/// run` can print them. No Debug: it holds secrets.
#[derive(Clone)]
pub struct Bootstrap {
    pub scalelite_secrets: Vec<String>,
    /// The Scalelite secret was generated (none configured).
    pub scalelite_secret_generated: bool,
    /// ... by this very start, which alone shows it.
    pub scalelite_secret_generated_now: bool,
    /// The Storj admin token's SHA-256 (configured, or generated and kept
    /// as its hash).
    pub storj_token_digest: [u8; 32],
    /// The Storj admin token, when this very start generated it.
    pub storj_token_generated: Option<String>,
    /// The ARGO super_admin key, when this very start generated it.
    pub argo_key_generated: Option<String>,
    /// The MC JWT signing key (configured, or generated and kept).
    pub mc_jwt_secret: String,
    /// The MC superuser's password, when Steward generated it just now.
    pub mc_admin_password_generated: Option<String>,
    /// The Lighthouse bootstrap user's password, when Steward generated it
    /// just now.
    pub lighthouse_admin_password_generated: Option<String>,
    /// The key beacon tokens are sealed under (configured, or generated
    /// and kept).
    pub lighthouse_token_key: [u8; 32],
    /// The key MC's partner credentials are sealed under (configured, or
    /// generated and kept).
    pub mc_secrets_key: [u8; 32],
    /// The SMTP sender, when STEWARD_SMTP_URL is set.
    pub mc_smtp: Option<std::sync::Arc<surfaces::mc::mail::SmtpMailer>>,
}

/// Connects, migrates, and fills in generated credentials.
pub async fn prepare(config: &Config) -> anyhow::Result<(DatabaseConnection, Bootstrap)> {
    let db = db::connect(&config.database_url).await?;
    db::migrate(&db).await?;
    let generated = config.scalelite.secrets.is_empty();
    let (scalelite_secrets, scalelite_secret_generated_now) = if generated {
        let secret = db::settings::get_or_create(&db, "scalelite.secret", random_secret).await?;
        (vec![secret.value], secret.created_now)
    } else {
        (config.scalelite.secrets.clone(), false)
    };
    let (storj_token_digest, storj_token_generated) = match &config.storj.admin_token {
        Some(token) => (surfaces::storj::auth::token_digest(token), None),
        None => {
            let token = random_secret();
            let digest = surfaces::storj::auth::token_digest(&token);
            let kept = db::settings::get_or_create(&db, "storj.admin_token_sha256", || hex::encode(digest)).await?;
            let kept_digest = hex::decode(&kept.value)
                .ok()
                .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                .ok_or_else(|| anyhow::anyhow!("settings: storj.admin_token_sha256 is not a SHA-256"))?;
            (kept_digest, kept.created_now.then_some(token))
        }
    };
    let argo_key_generated = match &config.argo.admin_key {
        Some(key) => {
            surfaces::argo::ensure_admin(&db, key).await?;
            None
        }
        None => {
            let key = random_secret();
            let hash = surfaces::argo::auth::key_hash(&key);
            let kept = db::settings::get_or_create(&db, "argo.admin_key_sha256", || hash.clone()).await?;
            // Also when kept from an earlier start: a start that stopped
            // between the two writes leaves the key usable at the next.
            surfaces::argo::ensure_admin_hash(&db, &kept.value).await?;
            kept.created_now.then_some(key)
        }
    };
    let mc_jwt_secret = match &config.mc.jwt_secret {
        Some(secret) => secret.clone(),
        None => db::settings::get_or_create(&db, "mc.jwt_secret", random_secret).await?.value,
    };
    let (mc_password, mc_password_generated) = match &config.mc.admin_password {
        Some(password) => (password.clone(), false),
        None => (random_secret(), true),
    };
    let mc_smtp =
        surfaces::mc::mail::SmtpMailer::new(&config.mail).map_err(anyhow::Error::msg)?.map(std::sync::Arc::new);
    surfaces::mc::controllers::ensure_regions(&db, &config.mc.regions).await?;
    let created = surfaces::mc::ensure_superuser(&db, &config.mc.admin_user, &mc_password)
        .await
        .map_err(|e| anyhow::anyhow!("creating the MC superuser: {e}"))?;
    let (lighthouse_password, lighthouse_password_generated) = match &config.lighthouse.admin_password {
        Some(password) => (password.clone(), false),
        None => (random_secret(), true),
    };
    let lighthouse_created =
        surfaces::lighthouse::users::ensure_admin(&db, &config.lighthouse.admin_email, &lighthouse_password)
            .await
            .map_err(|e| anyhow::anyhow!("creating the Lighthouse admin: {e}"))?;
    let swept = surfaces::lighthouse::sweep_unfinished_applications(&db).await?;
    if swept > 0 {
        tracing::info!(swept, "removed Lighthouse applications whose first deployment never finished");
    }
    let lighthouse_token_key = sealing_key(&db, config.lighthouse.token_key, "lighthouse.token_key").await?;
    let mc_secrets_key = sealing_key(&db, config.mc.secrets_key, "mc.secrets_key").await?;
    Ok((
        db,
        Bootstrap {
            lighthouse_admin_password_generated: (lighthouse_created && lighthouse_password_generated)
                .then_some(lighthouse_password),
            lighthouse_token_key,
            scalelite_secrets,
            scalelite_secret_generated: generated,
            scalelite_secret_generated_now,
            storj_token_digest,
            storj_token_generated,
            argo_key_generated,
            mc_jwt_secret,
            mc_admin_password_generated: (created && mc_password_generated).then_some(mc_password),
            mc_secrets_key,
            mc_smtp,
        },
    ))
}

/// A configured sealing key, else the one kept under `setting` (generated
/// by the first start).
async fn sealing_key(db: &DatabaseConnection, configured: Option<[u8; 32]>, setting: &str) -> anyhow::Result<[u8; 32]> {
    if let Some(key) = configured {
        return Ok(key);
    }
    let kept = db::settings::get_or_create(db, setting, random_secret).await?;
    hex::decode(&kept.value)
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or_else(|| anyhow::anyhow!("settings: {setting} is not 32 bytes of hex"))
}

fn random_secret() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

/// The app serving on `addr` (the bound address, which the MC surface
/// names to federation partners unless STEWARD_MC_PUBLIC_URL says
/// otherwise), with the partner API on `federation_addr` if it has its own.
pub fn app(
    config: &Config,
    db: DatabaseConnection,
    bootstrap: &Bootstrap,
    addr: SocketAddr,
    federation_addr: Option<SocketAddr>,
) -> server::App {
    let public_url = config.mc.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
    let mc_key = surfaces::mc::token::SigningKey::new(bootstrap.mc_jwt_secret.as_bytes());
    let mc_outbox = surfaces::mc::mail::DevMailer::new(config.mail.log_bodies);
    let mc_mailer: std::sync::Arc<dyn surfaces::mc::mail::Mailer> = match &bootstrap.mc_smtp {
        Some(smtp) => smtp.clone(),
        None => std::sync::Arc::new(mc_outbox.clone()),
    };
    let lighthouse_sessions =
        surfaces::lighthouse::session::Sessions { db: db.clone(), lifetime: config.lighthouse.session_lifetime };
    server::App {
        scalelite: scalelite::Scalelite::new(db.clone(), config.scalelite.multitenancy),
        scalelite_secrets: scalelite::auth::Secrets(std::sync::Arc::new(bootstrap.scalelite_secrets.clone())),
        storj: surfaces::storj::Storj::new(db.clone()),
        argo: surfaces::argo::Argo::new(db.clone()),
        storj_token: surfaces::storj::auth::AdminToken(bootstrap.storj_token_digest),
        mc: surfaces::mc::Mc::new(
            db.clone(),
            mc_key.clone(),
            surfaces::mc::Settings {
                verify_email: config.mc.verify_email,
                bad_auth_delay: config.mc.bad_auth_delay,
                superuser: config.mc.admin_user.clone(),
                secrets: sealing::Sealer::new(&bootstrap.mc_secrets_key),
                federation_url: match (&config.mc.federation_url, federation_addr) {
                    (Some(url), _) => url.clone(),
                    (None, Some(at)) => format!("http://{at}"),
                    (None, None) => public_url.clone(),
                },
                public_url,
            },
            mc_mailer.clone(),
        ),
        mc_keys: surfaces::mc::caller::Keys { key: mc_key, db: db.clone() },
        lighthouse: surfaces::lighthouse::Lighthouse::new(
            lighthouse_sessions.clone(),
            sealing::Sealer::new(&bootstrap.lighthouse_token_key),
        ),
        lighthouse_sessions,
        mc_rate_limits: config
            .mc
            .rate_limit
            .then(|| surfaces::mc::RateLimits(std::sync::Arc::new(surfaces::mc::ratelimit::Limiter::default()))),
        mc_outbox,
        metrics_here: config.metrics_listen.is_none(),
        db,
    }
}

/// A server bound to its address, not yet serving.
pub struct Bound {
    pub addr: SocketAddr,
    acceptor: poem::listener::TcpAcceptor,
}

pub async fn bind(addr: SocketAddr) -> std::io::Result<Bound> {
    let acceptor = TcpListener::bind(addr).into_acceptor().await?;
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .ok_or_else(|| std::io::Error::other("listener has no socket address"))?;
    Ok(Bound { addr, acceptor })
}

impl Bound {
    /// Serves only `/metrics`, on an address of its own.
    pub async fn serve_metrics(self, db: DatabaseConnection) -> std::io::Result<()> {
        use poem::EndpointExt;
        metrics::install();
        let route = poem::Route::new().at("/metrics", poem::get(metrics::scrape)).data(db);
        poem::Server::new_with_acceptor(self.acceptor).run(route).await
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests
    /// finish (up to 30 s).
    pub async fn serve(self, app: server::App, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
        self.serve_with(None, app, shutdown).await
    }

    /// [`Bound::serve`], with the federation partner API on `federation`
    /// when it has an address of its own.
    pub async fn serve_with(
        self,
        federation: Option<Bound>,
        app: server::App,
        shutdown: impl Future<Output = ()>,
    ) -> std::io::Result<()> {
        let grace = Some(Duration::from_secs(30));
        let Some(federation) = federation else {
            return poem::Server::new_with_acceptor(self.acceptor)
                .run_with_graceful_shutdown(server::endpoint(app), shutdown, grace)
                .await;
        };
        let application = std::sync::Arc::new(server::endpoint(app));
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let signal = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        };
        let main = poem::Server::new_with_acceptor(self.acceptor).run_with_graceful_shutdown(
            server::Listener { application: application.clone(), federation: false },
            signal(stopped.clone()),
            grace,
        );
        let partner = poem::Server::new_with_acceptor(federation.acceptor).run_with_graceful_shutdown(
            server::Listener { application, federation: true },
            signal(stopped),
            grace,
        );
        let trigger = async move {
            shutdown.await;
            let _ = stop.send(true);
            Ok(())
        };
        tokio::try_join!(main, partner, trigger).map(|_| ())
    }
}
