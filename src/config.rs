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
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Address to listen on (STEWARD_LISTEN), e.g. "127.0.0.1:8080".
    pub listen: Option<String>,
    /// Database URL (STEWARD_DATABASE_URL): sqlite://path?mode=rwc,
    /// sqlite::memory: or postgres://user@host/db.
    pub database_url: Option<String>,
    #[serde(default)]
    pub scalelite: ScaleliteFile,
    #[serde(default)]
    pub storj: StorjFile,
    #[serde(default)]
    pub argo: ArgoFile,
    #[serde(default)]
    pub mc: McFile,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
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
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArgoFile {
    /// An x-api-key made a super_admin at start (STEWARD_ARGO_ADMIN_KEY).
    pub admin_key: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StorjFile {
    /// The exact Authorization header value the Storj admin API accepts
    /// (STEWARD_STORJ_ADMIN_TOKEN). Unset: the surface refuses everything.
    pub admin_token: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScaleliteFile {
    /// Colon-separated shared secrets for checksums
    /// (STEWARD_SCALELITE_SECRET), like Scalelite's LOADBALANCER_SECRET.
    pub secret: Option<String>,
    /// Whether tenant operations are enabled
    /// (STEWARD_SCALELITE_MULTITENANCY).
    pub multitenancy: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub database_url: String,
    pub scalelite: ScaleliteConfig,
    pub storj: StorjConfig,
    pub argo: ArgoConfig,
    pub mc: McConfig,
}

pub const DEFAULT_MC_ADMIN_USER: &str = "mexadmin";

#[derive(Clone)]
pub struct McConfig {
    pub admin_user: String,
    pub admin_password: Option<String>,
    pub jwt_secret: Option<String>,
    pub verify_email: bool,
    pub bad_auth_delay: std::time::Duration,
}

impl Default for McConfig {
    fn default() -> Self {
        Self {
            admin_user: DEFAULT_MC_ADMIN_USER.to_owned(),
            admin_password: None,
            jwt_secret: None,
            verify_email: false,
            bad_auth_delay: std::time::Duration::from_secs(3),
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

#[derive(Debug, Clone, Default)]
pub struct ScaleliteConfig {
    /// Empty when unset: a secret is then generated and kept in the database.
    pub secrets: Vec<String>,
    pub multitenancy: bool,
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
            jwt_secret: var("STEWARD_MC_JWT_SECRET").or(file.mc.jwt_secret.filter(|k| !k.is_empty())),
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
        };

        Ok(Config {
            listen,
            mc,
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
    fn unknown_file_keys_are_refused() {
        assert!(toml::from_str::<FileConfig>("listn = \"x\"").is_err());
    }

    #[test]
    fn schema_names_the_keys() {
        let schema = file_schema().to_string();
        assert!(schema.contains("database_url") && schema.contains("multitenancy"));
    }
}
