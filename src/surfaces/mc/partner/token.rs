//! `POST /oauth2/token`: MC's go-oauth2 server, client credentials only.
//! The client is an MC API key (a federation host's partner key, or any
//! user's); the token is the MC JWT an API-key login gives.

use base64::Engine as _;
use poem::{FromRequest, Request, RequestBody};
use sea_orm::EntityTrait;
use serde_json::json;
use subtle::ConstantTimeEq;

use super::super::token::{self, Claims, now_unix};
use super::super::{API_KEY_TOKEN_HOURS, Mc, login};
use super::errors::{FedError, oauth_json};
use crate::db::entities::mc_api_key;

/// go-oauth2's `AccessTokenExp`, which MC set to 30 minutes (the JWT
/// itself lives as long as MC's API-key logins).
const EXPIRES_IN: i64 = 1800;

/// The HTTP Basic credentials the request carried, if any.
#[derive(Debug, Clone, Default)]
pub struct OAuthClient {
    pub basic: Option<(String, String)>,
}

impl<'a> FromRequest<'a> for OAuthClient {
    async fn from_request(request: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Ok(Self { basic: request.header("authorization").and_then(basic_credentials) })
    }
}

/// Go's `Request.BasicAuth`.
fn basic_credentials(header: &str) -> Option<(String, String)> {
    let encoded = header.get(..6).filter(|scheme| scheme.eq_ignore_ascii_case("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(&header[encoded.len()..]).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

fn form_value<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or("")
}

pub async fn token(mc: &Mc, client: OAuthClient, form: &[(String, String)]) -> Result<poem::Response, FedError> {
    let grant = form_value(form, "grant_type");
    if grant.is_empty() {
        return Err(FedError::unsupported_grant_type());
    }
    let (id, secret) = match client.basic {
        Some(basic) => basic,
        None => match form_value(form, "client_id") {
            "" => return Err(FedError::invalid_client()),
            id => (id.to_owned(), form_value(form, "client_secret").to_owned()),
        },
    };
    if grant != "client_credentials" {
        return Err(FedError::unauthorized_client());
    }
    let claims = match client_claims(mc, &id, &secret).await? {
        Some(claims) => claims,
        None => {
            mc.bad_auth_pause().await;
            return Err(FedError::invalid_client());
        }
    };
    let mut body = json!({
        "access_token": mc.sign(claims),
        "expires_in": EXPIRES_IN,
        "token_type": "Bearer",
    });
    let scope = form_value(form, "scope");
    if !scope.is_empty() {
        body["scope"] = json!(scope);
    }
    Ok(oauth_json(poem::http::StatusCode::OK, &body))
}

/// The claims of the API key `id` if `secret` is its secret.
async fn client_claims(mc: &Mc, id: &str, secret: &str) -> Result<Option<Claims>, FedError> {
    let Some(key) = mc_api_key::Entity::find_by_id(id.to_lowercase()).one(&mc.db).await? else {
        return Ok(None);
    };
    let matches: bool = login::api_key_hash(secret).as_bytes().ct_eq(key.key_hash.as_bytes()).into();
    if !matches {
        return Ok(None);
    }
    // A user's key: the token an API-key login gives (its account checked).
    if !key.username.contains("::") {
        // It pauses on a refusal itself.
        return login::api_key_login(mc, key, secret).await.map(Some).map_err(|_| FedError::invalid_client());
    }
    let now = now_unix();
    Ok(Some(Claims {
        exp: now + API_KEY_TOKEN_HOURS * 3600,
        iat: now,
        username: key.id,
        kid: token::KEY_VERSION,
        firstiat: now,
        authtype: token::API_KEY_AUTH.to_owned(),
        apikeyusername: key.username,
        ..Claims::default()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_read_as_go_reads_them() {
        let header = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("id:se:cret"));
        assert_eq!(basic_credentials(&header), Some(("id".into(), "se:cret".into())));
        assert_eq!(basic_credentials("Bearer abc"), None);
        assert_eq!(basic_credentials("Basic !!!"), None);
    }
}
