//! Typed configuration: `steward.toml` (optional) overlaid by `STEWARD_*`
//! environment variables, which win. Validated once at start; an invalid
//! value fails with one line naming its key.

use std::net::SocketAddr;
use std::path::Path;

use schemars::JsonSchema;
use serde::Deserialize;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://steward.db?mode=rwc";

/// The configuration file's shape. Every key is optional; the environment
/// variable named beside each key overrides it.
// No Debug: the file's values include secrets.
#[derive(Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Address to listen on (STEWARD_LISTEN), e.g. "127.0.0.1:8080".
    pub listen: Option<String>,
    /// Database URL (STEWARD_DATABASE_URL): sqlite://path?mode=rwc,
    /// sqlite::memory: or postgres://user@host/db.
    pub database_url: Option<String>,
    /// Serve `/metrics` (Prometheus text) on this address of its own
    /// instead of on `listen` (STEWARD_METRICS_LISTEN), e.g.
    /// "127.0.0.1:9090". Unset: `/metrics` is on `listen`, unauthenticated.
    pub metrics_listen: Option<String>,
    /// How many days every surface's audit rows (MC's events included)
    /// are kept (STEWARD_AUDIT_RETENTION_DAYS, 1 to 36500); older ones are
    /// deleted hourly. Unset: kept forever.
    pub audit_retention_days: Option<u64>,
    #[serde(default)]
    pub scalelite: ScaleliteFile,
    #[serde(default)]
    pub storj: StorjFile,
    #[serde(default)]
    pub argo: ArgoFile,
    #[serde(default)]
    pub mc: McFile,
    #[serde(default)]
    pub lighthouse: LighthouseFile,
    #[serde(default)]
    pub mail: MailFile,
}

// No Debug: the file's values include secrets.
#[derive(Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LighthouseFile {
    /// The Lighthouse user created at start with AuthLevel 10 if absent
    /// (STEWARD_LIGHTHOUSE_ADMIN_EMAIL, default "admin@lighthouse.local").
    pub admin_email: Option<String>,
    /// Its password (STEWARD_LIGHTHOUSE_ADMIN_PASSWORD); unset: one is
    /// generated and printed when the user is created.
    pub admin_password: Option<String>,
    /// How long a Lighthouse session lasts, in hours
    /// (STEWARD_LIGHTHOUSE_SESSION_HOURS, default 720: the original
    /// cookie's 30 days).
    pub session_hours: Option<u64>,
    /// The AES-256-GCM key beacon tokens are stored under, 64 hex digits
    /// (STEWARD_LIGHTHOUSE_TOKEN_KEY). Unset: one is generated and kept in
    /// the database, which protects tokens in logs and table exports but
    /// not in a whole-database copy; set it to keep the key elsewhere.
    pub token_key: Option<String>,
}

// No Debug: the SMTP URL may carry a password.
#[derive(Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MailFile {
    /// Where mail goes (STEWARD_SMTP_URL): smtp://host:port (plain),
    /// smtp://host?tls=opportunistic (STARTTLS when offered),
    /// smtp://host?tls=required (STARTTLS or fail), smtps://host (TLS from
    /// the start); user and password in the URL. Unset: the development sender, which logs that
    /// a mail was sent, to whom and its subject.
    pub smtp_url: Option<String>,
    /// The From address of every mail (STEWARD_MAIL_FROM, default
    /// "steward@localhost").
    pub from: Option<String>,
    /// Development only: the development sender also logs mail bodies,
    /// reset links and one-time codes included (STEWARD_MAIL_LOG_BODIES,
    /// default false; the start says so when it is on).
    pub log_bodies: Option<bool>,
}

// No Debug: the file's values include secrets.
#[derive(Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct McFile {
    /// The MC superuser created at start if absent (STEWARD_MC_ADMIN_USER,
    /// default "mexadmin").
    pub admin_user: Option<String>,
    /// Its password (STEWARD_MC_ADMIN_PASSWORD); unset: one is generated
    /// and printed when the superuser is created.
    pub admin_password: Option<String>,
    /// The HS512 key of MC's JWTs (STEWARD_MC_JWT_SECRET); unset: one is
    /// generated and kept in the database, so tokens survive restarts.
    pub jwt_secret: Option<String>,
    /// Whether new users must verify their email before logging in
    /// (STEWARD_MC_VERIFY_EMAIL, default false).
    pub verify_email: Option<bool>,
    /// How long a failed login waits before answering, in milliseconds
    /// (STEWARD_MC_BAD_AUTH_DELAY_MS, default 3000 as MC; it is also the
    /// shortest lockout).
    pub bad_auth_delay_ms: Option<u64>,
    /// MC's API rate limits (STEWARD_MC_RATE_LIMIT, default true; MC's
    /// DisableRateLimit): per instance, as MC keeps them.
    pub rate_limit: Option<bool>,
    /// Regions registered at start if absent, served in this process
    /// (STEWARD_MC_REGIONS, comma-separated, default "local"). Each must be
    /// a valid MC region: no '-', a DNS label of at most 10 characters.
    pub regions: Option<String>,
    /// The AES-256-GCM key federation partners' client keys and alert
    /// receivers' webhooks and PagerDuty keys are stored under, 64 hex
    /// digits (STEWARD_MC_SECRETS_KEY). Unset: one is generated and kept
    /// in the database; set it to keep the key elsewhere.
    pub secrets_key: Option<String>,
    /// The URL federation partners reach this server by, named in the
    /// credentials a federation host hands out (STEWARD_MC_PUBLIC_URL,
    /// default http://<the listen address>).
    pub public_url: Option<String>,
    /// Serve the federation partner API (`/operatorplatform/federation/v1`)
    /// on this address of its own, as MC's federation listener
    /// (STEWARD_MC_FEDERATION_LISTEN, e.g. "127.0.0.1:9801"). Unset: it is
    /// served on `listen`.
    pub federation_listen: Option<String>,
    /// The URL partners reach the federation partner API by
    /// (STEWARD_MC_FEDERATION_URL), e.g. behind a TLS proxy. Unset:
    /// http://<federation_listen> when that is set, else public_url.
    pub federation_url: Option<String>,
}

// No Debug: the file's values include secrets.
#[derive(Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArgoFile {
    /// An x-api-key made a super_admin at start (STEWARD_ARGO_ADMIN_KEY).
    /// Unset: one is generated at the first start, printed once, and kept
    /// as its SHA-256.
    pub admin_key: Option<String>,
}

// No Debug: the file's values include secrets.
#[derive(Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StorjFile {
    /// The exact Authorization header value the Storj admin API accepts
    /// (STEWARD_STORJ_ADMIN_TOKEN). Unset: one is generated at the first
    /// start, printed once, and kept as its SHA-256.
    pub admin_token: Option<String>,
}

// No Debug: the file's values include secrets.
#[derive(Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScaleliteFile {
    /// Colon-separated shared secrets for checksums
    /// (STEWARD_SCALELITE_SECRET), like Scalelite's LOADBALANCER_SECRET.
    pub secret: Option<String>,
    /// Whether tenant operations are enabled
    /// (STEWARD_SCALELITE_MULTITENANCY).
    pub multitenancy: Option<bool>,
}

#[derive(Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub database_url: String,
    pub metrics_listen: Option<SocketAddr>,
    /// How long audit rows are kept; `None`: forever.
    pub audit_retention: Option<std::time::Duration>,
    pub scalelite: ScaleliteConfig,
    pub storj: StorjConfig,
    pub argo: ArgoConfig,
    pub mc: McConfig,
    pub lighthouse: LighthouseConfig,
    pub mail: MailConfig,
}

/// Never prints a secret: the database password is masked.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("database_url", &redact_url(&self.database_url))
            .field("metrics_listen", &self.metrics_listen)
            .field("audit_retention", &self.audit_retention)
            .field("scalelite", &self.scalelite)
            .field("storj", &self.storj)
            .field("argo", &self.argo)
            .field("mc", &self.mc)
            .field("lighthouse", &self.lighthouse)
            .field("mail", &self.mail)
            .finish()
    }
}

/// A URL without its password (`scheme://user:***@host...`).
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

pub const DEFAULT_MAIL_FROM: &str = "steward@localhost";

#[derive(Clone)]
pub struct MailConfig {
    pub smtp_url: Option<String>,
    pub from: String,
    pub log_bodies: bool,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self { smtp_url: None, from: DEFAULT_MAIL_FROM.to_owned(), log_bodies: false }
    }
}

/// Never prints the SMTP password.
impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig")
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("from", &self.from)
            .field("log_bodies", &self.log_bodies)
            .finish()
    }
}

/// HS512 keys shorter than this are refused: a short key can be guessed
/// offline from any token.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

pub const DEFAULT_MC_ADMIN_USER: &str = "mexadmin";
pub const DEFAULT_MC_REGION: &str = "local";

#[derive(Clone)]
pub struct McConfig {
    pub admin_user: String,
    pub admin_password: Option<String>,
    pub jwt_secret: Option<String>,
    pub verify_email: bool,
    pub bad_auth_delay: std::time::Duration,
    pub rate_limit: bool,
    pub regions: Vec<String>,
    pub secrets_key: Option<[u8; 32]>,
    pub public_url: Option<String>,
    pub federation_listen: Option<SocketAddr>,
    pub federation_url: Option<String>,
}

impl Default for McConfig {
    fn default() -> Self {
        Self {
            admin_user: DEFAULT_MC_ADMIN_USER.to_owned(),
            admin_password: None,
            jwt_secret: None,
            verify_email: false,
            bad_auth_delay: std::time::Duration::from_secs(3),
            rate_limit: true,
            regions: vec![DEFAULT_MC_REGION.to_owned()],
            secrets_key: None,
            public_url: None,
            federation_listen: None,
            federation_url: None,
        }
    }
}

/// Never prints the password or the key.
impl std::fmt::Debug for McConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McConfig")
            .field("admin_user", &self.admin_user)
            .field("admin_password", &self.admin_password.as_ref().map(|_| "<set>"))
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "<set>"))
            .field("verify_email", &self.verify_email)
            .field("bad_auth_delay", &self.bad_auth_delay)
            .field("rate_limit", &self.rate_limit)
            .field("regions", &self.regions)
            .field("secrets_key", &self.secrets_key.as_ref().map(|_| "<set>"))
            .field("public_url", &self.public_url)
            .field("federation_listen", &self.federation_listen)
            .field("federation_url", &self.federation_url)
            .finish()
    }
}

pub const DEFAULT_LIGHTHOUSE_ADMIN_EMAIL: &str = "admin@lighthouse.local";

#[derive(Clone)]
pub struct LighthouseConfig {
    pub admin_email: String,
    pub admin_password: Option<String>,
    pub session_lifetime: std::time::Duration,
    pub token_key: Option<[u8; 32]>,
}

impl Default for LighthouseConfig {
    fn default() -> Self {
        Self {
            admin_email: DEFAULT_LIGHTHOUSE_ADMIN_EMAIL.to_owned(),
            admin_password: None,
            session_lifetime: std::time::Duration::from_secs(720 * 3600),
            token_key: None,
        }
    }
}

/// Never prints the password or the key.
impl std::fmt::Debug for LighthouseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LighthouseConfig")
            .field("admin_email", &self.admin_email)
            .field("admin_password", &self.admin_password.as_ref().map(|_| "<set>"))
            .field("session_lifetime", &self.session_lifetime)
            .field("token_key", &self.token_key.as_ref().map(|_| "<set>"))
            .finish()
    }
}

#[derive(Clone, Default)]
pub struct ArgoConfig {
    pub admin_key: Option<String>,
}

/// Never prints the key.
impl std::fmt::Debug for ArgoConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArgoConfig").field("admin_key", &self.admin_key.as_ref().map(|_| "<set>")).finish()
    }
}

#[derive(Clone, Default)]
pub struct StorjConfig {
    pub admin_token: Option<String>,
}

/// Never prints the token.
impl std::fmt::Debug for StorjConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StorjConfig").field("admin_token", &self.admin_token.as_ref().map(|_| "<set>")).finish()
    }
}

#[derive(Clone, Default)]
pub struct ScaleliteConfig {
    /// Empty when unset: a secret is then generated and kept in the database.
    pub secrets: Vec<String>,
    pub multitenancy: bool,
}

/// Never prints the secrets, only how many there are.
impl std::fmt::Debug for ScaleliteConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScaleliteConfig")
            .field("secrets", &format!("<{} set>", self.secrets.len()))
            .field("multitenancy", &self.multitenancy)
            .finish()
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("invalid configuration: {key}: {reason}")]
pub struct ConfigError {
    pub key: String,
    pub reason: String,
}

fn invalid(key: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError { key: key.to_owned(), reason: reason.into() }
}

/// Reads an environment variable; an empty value means unset.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl Config {
    /// Loads `path` if given (or `steward.toml` if it exists), then the
    /// environment.
    pub fn load(path: Option<&Path>, env: EnvLookup<'_>) -> Result<Self, ConfigError> {
        let file = match path {
            Some(path) => read_file(path)?,
            None if Path::new("steward.toml").exists() => read_file(Path::new("steward.toml"))?,
            None => FileConfig::default(),
        };
        Self::resolve(file, env)
    }

    pub fn resolve(file: FileConfig, env: EnvLookup<'_>) -> Result<Self, ConfigError> {
        let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());

        let listen_text = var("STEWARD_LISTEN").or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.into());
        let listen =
            listen_text.parse().map_err(|_| invalid("STEWARD_LISTEN", format!("{listen_text:?} is not host:port")))?;

        let database_url =
            var("STEWARD_DATABASE_URL").or(file.database_url).unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        if !["sqlite:", "postgres://", "postgresql://"].iter().any(|p| database_url.starts_with(p)) {
            return Err(invalid("STEWARD_DATABASE_URL", "must start with sqlite: or postgres://"));
        }

        let metrics_listen = match var("STEWARD_METRICS_LISTEN")
            .or(file.metrics_listen.filter(|l| !l.trim().is_empty()))
        {
            Some(text) => Some(
                text.parse().map_err(|_| invalid("STEWARD_METRICS_LISTEN", format!("{text:?} is not host:port")))?,
            ),
            None => None,
        };

        let retention_text = var("STEWARD_AUDIT_RETENTION_DAYS").or(file.audit_retention_days.map(|d| d.to_string()));
        let audit_retention = match retention_text {
            Some(text) => {
                Some(text.trim().parse::<u64>().ok().filter(|days| (1..=36_500).contains(days)).ok_or_else(|| {
                    invalid("STEWARD_AUDIT_RETENTION_DAYS", format!("{text:?} is not a number of days from 1 to 36500"))
                })?)
            }
            None => None,
        }
        .map(|days| std::time::Duration::from_secs(days * 86_400));

        let secrets = var("STEWARD_SCALELITE_SECRET")
            .or(file.scalelite.secret)
            .map(|joined| split_secrets(&joined))
            .transpose()?
            .unwrap_or_default();
        let multitenancy = match var("STEWARD_SCALELITE_MULTITENANCY") {
            Some(text) => parse_bool("STEWARD_SCALELITE_MULTITENANCY", &text)?,
            None => file.scalelite.multitenancy.unwrap_or(false),
        };

        let admin_token = var("STEWARD_STORJ_ADMIN_TOKEN").or(file.storj.admin_token.filter(|t| !t.trim().is_empty()));

        let mc = McConfig {
            admin_user: var("STEWARD_MC_ADMIN_USER")
                .or(file.mc.admin_user.filter(|u| !u.trim().is_empty()))
                .unwrap_or_else(|| DEFAULT_MC_ADMIN_USER.to_owned()),
            admin_password: var("STEWARD_MC_ADMIN_PASSWORD").or(file.mc.admin_password.filter(|p| !p.is_empty())),
            jwt_secret: match var("STEWARD_MC_JWT_SECRET").or(file.mc.jwt_secret.filter(|k| !k.is_empty())) {
                Some(secret) if secret.len() < MIN_JWT_SECRET_BYTES => {
                    return Err(invalid(
                        "STEWARD_MC_JWT_SECRET",
                        format!("must be at least {MIN_JWT_SECRET_BYTES} bytes, got {}", secret.len()),
                    ));
                }
                secret => secret,
            },
            verify_email: match var("STEWARD_MC_VERIFY_EMAIL") {
                Some(text) => parse_bool("STEWARD_MC_VERIFY_EMAIL", &text)?,
                None => file.mc.verify_email.unwrap_or(false),
            },
            bad_auth_delay: std::time::Duration::from_millis(match var("STEWARD_MC_BAD_AUTH_DELAY_MS") {
                Some(text) => text.trim().parse().map_err(|_| {
                    invalid("STEWARD_MC_BAD_AUTH_DELAY_MS", format!("{text:?} is not a number of milliseconds"))
                })?,
                None => file.mc.bad_auth_delay_ms.unwrap_or(3000),
            }),
            rate_limit: match var("STEWARD_MC_RATE_LIMIT") {
                Some(text) => parse_bool("STEWARD_MC_RATE_LIMIT", &text)?,
                None => file.mc.rate_limit.unwrap_or(true),
            },
            regions: match var("STEWARD_MC_REGIONS").or(file.mc.regions.filter(|r| !r.trim().is_empty())) {
                Some(joined) => split_regions(&joined)?,
                None => vec![DEFAULT_MC_REGION.to_owned()],
            },
            secrets_key: aes_key(
                "STEWARD_MC_SECRETS_KEY",
                var("STEWARD_MC_SECRETS_KEY").or(file.mc.secrets_key.filter(|k| !k.is_empty())),
            )?,
            public_url: http_url(
                "STEWARD_MC_PUBLIC_URL",
                var("STEWARD_MC_PUBLIC_URL").or(file.mc.public_url.filter(|u| !u.trim().is_empty())),
            )?,
            federation_url: http_url(
                "STEWARD_MC_FEDERATION_URL",
                var("STEWARD_MC_FEDERATION_URL").or(file.mc.federation_url.filter(|u| !u.trim().is_empty())),
            )?,
            federation_listen: match var("STEWARD_MC_FEDERATION_LISTEN")
                .or(file.mc.federation_listen.filter(|l| !l.trim().is_empty()))
            {
                Some(text) => Some(
                    text.parse()
                        .map_err(|_| invalid("STEWARD_MC_FEDERATION_LISTEN", format!("{text:?} is not host:port")))?,
                ),
                None => None,
            },
        };

        let lighthouse = LighthouseConfig {
            admin_email: var("STEWARD_LIGHTHOUSE_ADMIN_EMAIL")
                .or(file.lighthouse.admin_email.filter(|e| !e.trim().is_empty()))
                .unwrap_or_else(|| DEFAULT_LIGHTHOUSE_ADMIN_EMAIL.to_owned()),
            admin_password: var("STEWARD_LIGHTHOUSE_ADMIN_PASSWORD")
                .or(file.lighthouse.admin_password.filter(|p| !p.is_empty())),
            session_lifetime: match var("STEWARD_LIGHTHOUSE_SESSION_HOURS") {
                Some(text) => match text.trim().parse::<u64>() {
                    Ok(hours) if (1..=24 * 366).contains(&hours) => std::time::Duration::from_secs(hours * 3600),
                    _ => {
                        return Err(invalid(
                            "STEWARD_LIGHTHOUSE_SESSION_HOURS",
                            format!("{text:?} is not a number of hours from 1 to 8784"),
                        ));
                    }
                },
                None => std::time::Duration::from_secs(
                    file.lighthouse.session_hours.unwrap_or(720).clamp(1, 24 * 366) * 3600,
                ),
            },
            token_key: aes_key(
                "STEWARD_LIGHTHOUSE_TOKEN_KEY",
                var("STEWARD_LIGHTHOUSE_TOKEN_KEY").or(file.lighthouse.token_key.filter(|k| !k.is_empty())),
            )?,
        };

        let mail = MailConfig {
            smtp_url: match var("STEWARD_SMTP_URL").or(file.mail.smtp_url.filter(|u| !u.trim().is_empty())) {
                Some(url) if !url.starts_with("smtp://") && !url.starts_with("smtps://") => {
                    return Err(invalid("STEWARD_SMTP_URL", "must start with smtp:// or smtps://"));
                }
                url => url,
            },
            from: var("STEWARD_MAIL_FROM")
                .or(file.mail.from.filter(|f| !f.trim().is_empty()))
                .unwrap_or_else(|| DEFAULT_MAIL_FROM.to_owned()),
            log_bodies: match var("STEWARD_MAIL_LOG_BODIES") {
                Some(text) => parse_bool("STEWARD_MAIL_LOG_BODIES", &text)?,
                None => file.mail.log_bodies.unwrap_or(false),
            },
        };

        Ok(Config {
            listen,
            metrics_listen,
            audit_retention,
            mc,
            lighthouse,
            mail,
            database_url,
            scalelite: ScaleliteConfig { secrets, multitenancy },
            storj: StorjConfig { admin_token },
            argo: ArgoConfig {
                admin_key: var("STEWARD_ARGO_ADMIN_KEY").or(file.argo.admin_key.filter(|k| !k.trim().is_empty())),
            },
        })
    }
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| invalid("config file", format!("{}: {e}", path.display())))?;
    toml::from_str(&text).map_err(|e| {
        let reason = e.message().to_owned();
        invalid(&format!("{} (line {})", path.display(), line_of(&text, e.span())), reason)
    })
}

fn line_of(text: &str, span: Option<std::ops::Range<usize>>) -> usize {
    span.map(|s| text[..s.start.min(text.len())].lines().count().max(1)).unwrap_or(1)
}

/// Comma-separated MC regions, each checked as MC checks a registration.
fn split_regions(joined: &str) -> Result<Vec<String>, ConfigError> {
    let mut regions: Vec<String> = Vec::new();
    for region in joined.split(',').map(str::trim).filter(|r| !r.is_empty()) {
        crate::surfaces::mc::controllers::validate(region, "in-process")
            .map_err(|reason| invalid("STEWARD_MC_REGIONS", format!("{region:?}: {reason}")))?;
        if regions.iter().any(|known| known == region) {
            continue;
        }
        let label = crate::surfaces::mc::controllers::dns_label(region);
        if let Some(twin) = regions.iter().find(|known| crate::surfaces::mc::controllers::dns_label(known) == label) {
            return Err(invalid(
                "STEWARD_MC_REGIONS",
                format!("{region:?} and {twin:?} share the DNS label {label:?}"),
            ));
        }
        regions.push(region.to_owned());
    }
    if regions.is_empty() {
        return Err(invalid("STEWARD_MC_REGIONS", "no region between the commas"));
    }
    Ok(regions)
}

fn split_secrets(joined: &str) -> Result<Vec<String>, ConfigError> {
    let secrets: Vec<String> = joined.split(':').filter(|s| !s.is_empty()).map(str::to_owned).collect();
    if secrets.is_empty() {
        return Err(invalid("STEWARD_SCALELITE_SECRET", "no secret between the colons"));
    }
    Ok(secrets)
}

fn parse_bool(key: &str, text: &str) -> Result<bool, ConfigError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        other => Err(invalid(key, format!("{other:?} is not true or false"))),
    }
}

/// An http(s) URL, without its trailing slash.
fn http_url(key: &str, value: Option<String>) -> Result<Option<String>, ConfigError> {
    match value {
        Some(url) if !url.starts_with("http://") && !url.starts_with("https://") => {
            Err(invalid(key, "must start with http:// or https://"))
        }
        url => Ok(url.map(|url| url.trim().trim_end_matches('/').to_owned())),
    }
}

/// An AES-256 key given as 64 hex digits.
fn aes_key(key: &str, value: Option<String>) -> Result<Option<[u8; 32]>, ConfigError> {
    let Some(text) = value else { return Ok(None) };
    hex::decode(text.trim())
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .map(Some)
        .ok_or_else(|| invalid(key, "must be 64 hexadecimal digits"))
}

/// JSON Schema of the configuration file, for editors.
pub fn file_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(FileConfig)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let config = Config::resolve(FileConfig::default(), &env(&[])).unwrap();
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
        assert!(config.scalelite.secrets.is_empty());
        assert!(!config.scalelite.multitenancy);
        assert!(config.storj.admin_token.is_none());
    }

    #[test]
    fn mc_regions_default_to_local_and_are_checked_as_mc_checks_them() {
        let regions = |value: &str| {
            Config::resolve(FileConfig::default(), &env(&[("STEWARD_MC_REGIONS", value)])).map(|c| c.mc.regions)
        };
        assert_eq!(regions(""), Ok(vec!["local".to_owned()]));
        assert_eq!(regions(" EU, US ,EU,"), Ok(vec!["EU".to_owned(), "US".to_owned()]));
        let refused = regions("EU,US-West").unwrap_err();
        assert_eq!(refused.key, "STEWARD_MC_REGIONS");
        assert_eq!(refused.reason, r#""US-West": Region cannot contain '-'"#);
        assert_eq!(regions(",,").unwrap_err().reason, "no region between the commas");
        assert_eq!(regions("EU,eu").unwrap_err().reason, r#""eu" and "EU" share the DNS label "eu""#);
        assert!(regions("ElevenChars").is_err());
    }

    #[test]
    fn lighthouse_settings_are_checked_and_secrets_never_printed() {
        let resolve = |pairs: &[(&str, &str)]| Config::resolve(FileConfig::default(), &env(pairs));
        let defaults = resolve(&[]).unwrap().lighthouse;
        assert_eq!(defaults.admin_email, "admin@lighthouse.local");
        assert_eq!(defaults.session_lifetime, std::time::Duration::from_secs(720 * 3600));
        assert_eq!((defaults.admin_password, defaults.token_key), (None, None));
        let key = "0f".repeat(32);
        let config = resolve(&[
            ("STEWARD_LIGHTHOUSE_ADMIN_PASSWORD", "pa55word"),
            ("STEWARD_LIGHTHOUSE_SESSION_HOURS", "2"),
            ("STEWARD_LIGHTHOUSE_TOKEN_KEY", &key),
        ])
        .unwrap();
        assert_eq!(config.lighthouse.session_lifetime, std::time::Duration::from_secs(7200));
        assert_eq!(config.lighthouse.token_key, Some([0x0f; 32]));
        let printed = format!("{config:?}");
        assert!(!printed.contains("pa55word") && !printed.contains(&key), "{printed}");
        let refused = resolve(&[("STEWARD_LIGHTHOUSE_TOKEN_KEY", "short")]).unwrap_err();
        assert_eq!(
            (refused.key.as_str(), refused.reason.as_str()),
            ("STEWARD_LIGHTHOUSE_TOKEN_KEY", "must be 64 hexadecimal digits")
        );
        assert_eq!(
            resolve(&[("STEWARD_LIGHTHOUSE_SESSION_HOURS", "0")]).unwrap_err().key,
            "STEWARD_LIGHTHOUSE_SESSION_HOURS"
        );
    }

    #[test]
    fn audit_retention_is_a_number_of_days_or_forever() {
        let resolve = |pairs: &[(&str, &str)]| Config::resolve(FileConfig::default(), &env(pairs));
        assert_eq!(resolve(&[]).unwrap().audit_retention, None);
        assert_eq!(resolve(&[("STEWARD_AUDIT_RETENTION_DAYS", "")]).unwrap().audit_retention, None, "empty is unset");
        assert_eq!(
            resolve(&[("STEWARD_AUDIT_RETENTION_DAYS", "90")]).unwrap().audit_retention,
            Some(std::time::Duration::from_secs(90 * 86_400))
        );
        for bad in ["0", "-1", "36501", "90d"] {
            let error = resolve(&[("STEWARD_AUDIT_RETENTION_DAYS", bad)]).unwrap_err();
            assert_eq!(error.key, "STEWARD_AUDIT_RETENTION_DAYS", "{bad}");
        }
        let file = FileConfig { audit_retention_days: Some(30), ..FileConfig::default() };
        let from_file = Config::resolve(file, &env(&[])).unwrap();
        assert_eq!(from_file.audit_retention, Some(std::time::Duration::from_secs(30 * 86_400)));
        // A file's 0 is refused too, not read as one day.
        let file = FileConfig { audit_retention_days: Some(0), ..FileConfig::default() };
        assert_eq!(Config::resolve(file, &env(&[])).unwrap_err().key, "STEWARD_AUDIT_RETENTION_DAYS");
    }

    #[test]
    fn mc_secrets_key_is_checked_and_never_printed() {
        let resolve = |pairs: &[(&str, &str)]| Config::resolve(FileConfig::default(), &env(pairs));
        assert_eq!(resolve(&[]).unwrap().mc.secrets_key, None);
        assert_eq!(resolve(&[("STEWARD_MC_SECRETS_KEY", "")]).unwrap().mc.secrets_key, None, "empty means unset");
        let key = "a7".repeat(32);
        let config = resolve(&[("STEWARD_MC_SECRETS_KEY", &key)]).unwrap();
        assert_eq!(config.mc.secrets_key, Some([0xa7; 32]));
        assert!(!format!("{config:?}").contains(&key));
        assert_eq!(resolve(&[("STEWARD_MC_SECRETS_KEY", "a7")]).unwrap_err().key, "STEWARD_MC_SECRETS_KEY");
    }

    #[test]
    fn mc_public_url_is_an_http_url_without_trailing_slash() {
        let resolve = |pairs: &[(&str, &str)]| Config::resolve(FileConfig::default(), &env(pairs));
        assert_eq!(resolve(&[]).unwrap().mc.public_url, None);
        let given = resolve(&[("STEWARD_MC_PUBLIC_URL", "https://mc.example.com/")]).unwrap();
        assert_eq!(given.mc.public_url.as_deref(), Some("https://mc.example.com"));
        assert_eq!(resolve(&[("STEWARD_MC_PUBLIC_URL", "mc.example.com")]).unwrap_err().key, "STEWARD_MC_PUBLIC_URL");
        let federation = resolve(&[("STEWARD_MC_FEDERATION_URL", "https://fed.example.com:9801/")]).unwrap();
        assert_eq!(federation.mc.federation_url.as_deref(), Some("https://fed.example.com:9801"));
        assert_eq!(resolve(&[("STEWARD_MC_FEDERATION_URL", "x")]).unwrap_err().key, "STEWARD_MC_FEDERATION_URL");
    }

    #[test]
    fn mc_federation_listen_is_an_address() {
        let resolve = |pairs: &[(&str, &str)]| Config::resolve(FileConfig::default(), &env(pairs));
        assert_eq!(resolve(&[("STEWARD_MC_FEDERATION_LISTEN", "")]).unwrap().mc.federation_listen, None);
        let given = resolve(&[("STEWARD_MC_FEDERATION_LISTEN", "127.0.0.1:9801")]).unwrap();
        assert_eq!(given.mc.federation_listen, Some("127.0.0.1:9801".parse().unwrap()));
        let refused = resolve(&[("STEWARD_MC_FEDERATION_LISTEN", "nowhere")]).unwrap_err();
        assert_eq!(refused.key, "STEWARD_MC_FEDERATION_LISTEN");
    }

    #[test]
    fn storj_token_comes_from_env_and_is_not_debug_printed() {
        let config = Config::resolve(FileConfig::default(), &env(&[("STEWARD_STORJ_ADMIN_TOKEN", "t0ken")])).unwrap();
        assert_eq!(config.storj.admin_token.as_deref(), Some("t0ken"));
        assert!(!format!("{config:?}").contains("t0ken"));
    }

    #[test]
    fn environment_wins_over_file_and_empty_means_unset() {
        let file: FileConfig =
            toml::from_str("listen = \"127.0.0.1:9000\"\n[scalelite]\nsecret = \"a\"\nmultitenancy = true").unwrap();
        let config = Config::resolve(
            file,
            &env(&[
                ("STEWARD_LISTEN", ""),
                ("STEWARD_SCALELITE_SECRET", "x:y"),
                ("STEWARD_SCALELITE_MULTITENANCY", "false"),
            ]),
        )
        .unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:9000");
        assert_eq!(config.scalelite.secrets, vec!["x", "y"]);
        assert!(!config.scalelite.multitenancy);
    }

    #[test]
    fn bad_values_name_their_key() {
        let cases = [
            ("STEWARD_LISTEN", "nowhere"),
            ("STEWARD_DATABASE_URL", "mysql://x"),
            ("STEWARD_SCALELITE_MULTITENANCY", "maybe"),
            ("STEWARD_SCALELITE_SECRET", ":::"),
        ];
        for (key, value) in cases {
            let err = Config::resolve(FileConfig::default(), &env(&[(key, value)])).unwrap_err();
            assert_eq!(err.key, key);
            assert!(err.to_string().starts_with(&format!("invalid configuration: {key}: ")));
        }
    }

    #[test]
    fn debug_never_prints_a_secret() {
        let config = Config::resolve(
            FileConfig::default(),
            &env(&[
                ("STEWARD_SCALELITE_SECRET", "scalelite-s3cret:other-s3cret"),
                ("STEWARD_STORJ_ADMIN_TOKEN", "storj-s3cret"),
                ("STEWARD_ARGO_ADMIN_KEY", "argo-s3cret"),
                ("STEWARD_MC_ADMIN_PASSWORD", "mc-s3cret"),
                ("STEWARD_MC_JWT_SECRET", "jwt-s3cret-jwt-s3cret-jwt-s3cret-jwt"),
                ("STEWARD_DATABASE_URL", "postgres://steward:db-s3cret@db/steward"),
                ("STEWARD_SMTP_URL", "smtps://mailer:smtp-s3cret@mail.example.com"),
            ]),
        )
        .unwrap();
        let printed = format!("{config:?}");
        assert!(!printed.contains("s3cret"), "{printed}");
        assert!(printed.contains("postgres://steward:***@db/steward"), "{printed}");
    }

    #[test]
    fn short_jwt_secrets_are_refused() {
        let err = Config::resolve(FileConfig::default(), &env(&[("STEWARD_MC_JWT_SECRET", "short")])).unwrap_err();
        assert_eq!(err.to_string(), "invalid configuration: STEWARD_MC_JWT_SECRET: must be at least 32 bytes, got 5");
        let ok = Config::resolve(FileConfig::default(), &env(&[("STEWARD_MC_JWT_SECRET", &"k".repeat(32))]));
        assert!(ok.is_ok());
    }

    #[test]
    fn mail_settings_are_read_and_checked() {
        let config = Config::resolve(
            FileConfig::default(),
            &env(&[("STEWARD_SMTP_URL", "smtp://127.0.0.1:2525"), ("STEWARD_MAIL_FROM", "mc@example.com")]),
        )
        .unwrap();
        assert_eq!(config.mail.smtp_url.as_deref(), Some("smtp://127.0.0.1:2525"));
        assert_eq!(config.mail.from, "mc@example.com");
        assert!(!config.mail.log_bodies);
        let err = Config::resolve(FileConfig::default(), &env(&[("STEWARD_SMTP_URL", "http://x")])).unwrap_err();
        assert_eq!(err.key, "STEWARD_SMTP_URL");
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        assert!(toml::from_str::<FileConfig>("listn = \"x\"").is_err());
    }

    #[test]
    fn schema_names_the_keys() {
        let schema = file_schema().to_string();
        assert!(schema.contains("database_url") && schema.contains("multitenancy"));
    }
}
