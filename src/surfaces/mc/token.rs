//! MC's JWTs: HS512 over MC's claims (user name, email, key version `kid`,
//! auth type, issue and expiry times). Login, mailed and API-key tokens are
//! all signed with the one key; verification checks the signature in
//! constant time, then the expiry, as golang-jwt does.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha512;

/// The version of the signing key carried in every token (MC keeps it in
/// Vault and rotates it; Steward has one key).
pub const KEY_VERSION: i64 = 1;
const HEADER: &str = r#"{"alg":"HS512","typ":"JWT"}"#;

pub const PASSWORD_AUTH: &str = "passwordauth";
pub const API_KEY_AUTH: &str = "apikeyauth";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    #[serde(default, skip_serializing_if = "is_zero")]
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
}

fn is_zero(value: &i64) -> bool {
    *value == 0
}

impl Claims {
    pub fn is_api_key(&self) -> bool {
        self.authtype == API_KEY_AUTH
    }
}

#[derive(Debug, PartialEq)]
pub enum TokenError {
    /// Signed by us, but expired this many seconds ago.
    Expired(i64),
    Invalid,
}

#[derive(Clone)]
pub struct SigningKey(std::sync::Arc<Vec<u8>>);

impl SigningKey {
    pub fn new(secret: &[u8]) -> Self {
        Self(std::sync::Arc::new(secret.to_vec()))
    }

    fn mac(&self) -> Hmac<Sha512> {
        // HMAC takes keys of any length.
        <Hmac<Sha512> as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
    }

    pub fn sign(&self, claims: &Claims) -> String {
        let payload = serde_json::to_vec(claims).unwrap_or_default();
        let signed = format!("{}.{}", URL_SAFE_NO_PAD.encode(HEADER), URL_SAFE_NO_PAD.encode(payload));
        let mut mac = self.mac();
        mac.update(signed.as_bytes());
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }

    /// The claims of a token we signed that is still valid at `now`.
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Invalid);
        };
        let header: serde_json::Value = decode_part(header)?;
        if header.get("alg").and_then(|a| a.as_str()) != Some("HS512") {
            return Err(TokenError::Invalid);
        }
        let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| TokenError::Invalid)?;
        let mut mac = self.mac();
        mac.update(&token.as_bytes()[..header_and_payload_len(token)]);
        mac.verify_slice(&signature).map_err(|_| TokenError::Invalid)?;
        let claims: Claims = decode_part(payload)?;
        if claims.kid != KEY_VERSION {
            return Err(TokenError::Invalid);
        }
        if claims.exp != 0 && now > claims.exp {
            return Err(TokenError::Expired(now - claims.exp));
        }
        if claims.iat > now {
            return Err(TokenError::Invalid);
        }
        Ok(claims)
    }
}

fn header_and_payload_len(token: &str) -> usize {
    token.rfind('.').unwrap_or(0)
}

fn decode_part<T: serde::de::DeserializeOwned>(part: &str) -> Result<T, TokenError> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| TokenError::Invalid)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Invalid)
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
    fn durations_print_as_go_prints_them() {
        assert_eq!(go_duration(57), "57s");
        assert_eq!(go_duration(293), "4m53s");
        assert_eq!(go_duration(60), "1m0s");
        assert_eq!(go_duration(3605), "1h0m5s");
    }
}
