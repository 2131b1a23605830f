//! MC's JWTs: HS512 over MC's claims (user name, email, key version `kid`,
//! auth type, issue and expiry times), signed and verified by
//! `jsonwebtoken` with the algorithm pinned and `exp` required. Every token
//! says what it is for: login tokens and API-key tokens by MC's `authtype`,
//! mailed tokens (password reset, email verification) by a `purpose` no
//! login token has, so neither can stand in for the other. `gen` is the
//! user's token generation at issue; bumping it revokes the token.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation};
use serde::{Deserialize, Serialize};

/// The version of the signing key carried in every token (MC keeps it in
/// Vault and rotates it; Steward has one key).
pub const KEY_VERSION: i64 = 1;

const GO_HEADER: &str = r#"{"alg":"HS512","typ":"JWT"}"#;

pub const PASSWORD_AUTH: &str = "passwordauth";
pub const API_KEY_AUTH: &str = "apikeyauth";

/// Purposes of mailed tokens.
pub const RESET_PURPOSE: &str = "passwordreset";
pub const VERIFY_PURPOSE: &str = "verifyemail";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    #[serde(default)]
    pub exp: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub iat: i64,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub kid: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub firstiat: i64,
    #[serde(default)]
    pub authtype: String,
    #[serde(default)]
    pub apikeyusername: String,
    #[serde(default)]
    pub objectrestriction: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub purpose: String,
    #[serde(default)]
    #[serde(rename = "gen")]
    pub generation: i64,
}

fn is_zero(value: &i64) -> bool {
    *value == 0
}

impl Claims {
    pub fn is_api_key(&self) -> bool {
        self.authtype == API_KEY_AUTH
    }

    /// A login or API-key token: the only kinds that authenticate calls.
    pub fn is_session(&self) -> bool {
        self.purpose.is_empty() && (self.authtype == PASSWORD_AUTH || self.authtype == API_KEY_AUTH)
    }

    /// The user whose account the token acts for (an API key's owner).
    pub fn account(&self) -> &str {
        if self.is_api_key() { &self.apikeyusername } else { &self.username }
    }
}

#[derive(Debug, PartialEq)]
pub enum TokenError {
    /// Signed by us, but expired this many seconds ago.
    Expired(i64),
    Invalid,
}

#[derive(Clone)]
pub struct SigningKey(std::sync::Arc<Keys>);

struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl SigningKey {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS512);
        validation.set_required_spec_claims(&["exp"]);
        // Expiry is checked below against the caller's clock, so the answer
        // can say by how much (MC's "Token is expired by 1m5s").
        validation.validate_exp = false;
        validation.validate_aud = false;
        Self(std::sync::Arc::new(Keys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }))
    }

    /// Signs with the header bytes golang-jwt writes (`alg` before `typ`;
    /// jsonwebtoken's own header puts `typ` first).
    pub fn sign(&self, claims: &Claims) -> String {
        let payload = serde_json::to_vec(claims).unwrap_or_default();
        let message = format!("{}.{}", URL_SAFE_NO_PAD.encode(GO_HEADER), URL_SAFE_NO_PAD.encode(payload));
        // HMAC takes keys of any length, so signing cannot fail.
        let signature =
            jsonwebtoken::crypto::sign(message.as_bytes(), &self.0.encoding, Algorithm::HS512).unwrap_or_default();
        format!("{message}.{signature}")
    }

    /// The claims of a token we signed that is still valid at `now`.
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.0.decoding, &self.0.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired(0),
                _ => TokenError::Invalid,
            })?
            .claims;
        if claims.kid != KEY_VERSION || claims.exp == 0 || claims.iat > now {
            return Err(TokenError::Invalid);
        }
        if now > claims.exp {
            return Err(TokenError::Expired(now - claims.exp));
        }
        Ok(claims)
    }
}

/// Whole seconds as Go prints a `time.Duration`: `57s`, `4m53s`, `1h0m5s`.
pub fn go_duration(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s}s"),
        _ => format!("{h}h{m}m{s}s"),
    }
}

pub fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            exp,
            iat: 100,
            username: "alice".into(),
            kid: KEY_VERSION,
            authtype: PASSWORD_AUTH.into(),
            ..Default::default()
        }
    }

    #[test]
    fn tokens_round_trip_and_expire() {
        let key = SigningKey::new(b"secret");
        let token = key.sign(&claims(200));
        assert_eq!(key.verify(&token, 150), Ok(claims(200)));
        assert_eq!(key.verify(&token, 265), Err(TokenError::Expired(65)));
        assert_eq!(key.verify(&token, 50), Err(TokenError::Invalid), "issued in the future");
    }

    #[test]
    fn other_keys_algorithms_and_tampering_are_refused() {
        let key = SigningKey::new(b"secret");
        let token = key.sign(&claims(200));
        assert_eq!(SigningKey::new(b"other").verify(&token, 150), Err(TokenError::Invalid));
        let (head, rest) = token.split_once('.').unwrap();
        let none = format!("{}.{rest}", URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#));
        let hs256 = format!("{}.{rest}", URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#));
        assert_eq!(key.verify(&hs256, 150), Err(TokenError::Invalid));
        assert_eq!(key.verify(&none, 150), Err(TokenError::Invalid));
        let forged = format!(
            "{head}.{}.{}",
            URL_SAFE_NO_PAD.encode(r#"{"username":"root","kid":1}"#),
            token.rsplit('.').next().unwrap()
        );
        assert_eq!(key.verify(&forged, 150), Err(TokenError::Invalid));
        assert_eq!(key.verify("a.b", 150), Err(TokenError::Invalid));
    }

    #[test]
    fn tokens_without_expiry_are_refused() {
        let key = SigningKey::new(b"secret");
        let token = key.sign(&claims(0));
        assert_eq!(key.verify(&token, 150), Err(TokenError::Invalid));
    }

    #[test]
    fn only_login_and_api_key_tokens_are_sessions() {
        assert!(claims(200).is_session());
        let mailed = Claims { authtype: String::new(), purpose: RESET_PURPOSE.into(), ..claims(200) };
        assert!(!mailed.is_session());
        let mixed = Claims { purpose: VERIFY_PURPOSE.into(), ..claims(200) };
        assert!(!mixed.is_session(), "a purpose marks a mailed token whatever its authtype");
        assert!(!Claims { authtype: String::new(), ..claims(200) }.is_session());
    }

    #[test]
    fn durations_print_as_go_prints_them() {
        assert_eq!(go_duration(57), "57s");
        assert_eq!(go_duration(293), "4m53s");
        assert_eq!(go_duration(60), "1m0s");
        assert_eq!(go_duration(3605), "1h0m5s");
    }
}
