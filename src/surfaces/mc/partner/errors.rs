//! The federation listener's error wire: `{"detail": text}` (GSMA's
//! ProblemDetails, the text's first letter upper-cased as MC's error
//! handler does), 400 unless the error says otherwise; the token
//! endpoint's OAuth errors. Bodies end with a newline (echo's encoder).

use poem::http::StatusCode;
use poem::http::header::{CACHE_CONTROL, CONTENT_TYPE, PRAGMA};
use poem::{IntoResponse, Response};
use serde_json::{Value, json};

use super::super::errors::{McError, capitalized};
use crate::wire::Wire;

#[derive(Debug)]
pub enum FedError {
    Problem {
        status: StatusCode,
        message: String,
    },
    /// go-oauth2's error answer: OAuth's code and description.
    OAuth {
        status: StatusCode,
        error: &'static str,
        description: &'static str,
    },
}

impl FedError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::Problem { status: StatusCode::BAD_REQUEST, message: message.into() }
    }

    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self::Problem { status, message: message.into() }
    }

    pub fn internal(what: &str, cause: impl std::fmt::Display) -> Self {
        tracing::error!(surface = "mc_federation", %cause, "{what}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, what)
    }

    pub fn unsupported_grant_type() -> Self {
        Self::OAuth {
            status: StatusCode::UNAUTHORIZED,
            error: "unsupported_grant_type",
            description: "The authorization grant type is not supported by the authorization server",
        }
    }

    pub fn invalid_client() -> Self {
        Self::OAuth {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: "Client authentication failed",
        }
    }

    pub fn unauthorized_client() -> Self {
        Self::OAuth {
            status: StatusCode::UNAUTHORIZED,
            error: "unauthorized_client",
            description: "The client is not authorized to request an authorization code using this method",
        }
    }
}

/// Keys sorted at every level, as the original's generated models marshal
/// themselves (through maps).
pub fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// `c.JSON` on the federation listener: compact, a trailing newline.
pub fn echo_json(status: StatusCode, value: &Value) -> Response {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "application/json; charset=UTF-8")
        .body(format!("{}\n", crate::wire::escape_markup_in_json(sorted(value.clone()).to_string())))
}

/// go-oauth2's token answers: its own content type and no caching.
pub fn oauth_json(status: StatusCode, value: &Value) -> Response {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "application/json;charset=UTF-8")
        .header(CACHE_CONTROL, "no-store")
        .header(PRAGMA, "no-cache")
        .body(format!("{}\n", crate::wire::escape_markup_in_json(sorted(value.clone()).to_string())))
}

impl IntoResponse for FedError {
    fn into_response(self) -> Response {
        match self {
            Self::Problem { status, message } => echo_json(status, &json!({ "detail": capitalized(&message) })),
            Self::OAuth { status, error, description } => {
                oauth_json(status, &json!({ "error": error, "error_description": description }))
            }
        }
    }
}

impl poem::error::ResponseError for FedError {
    fn status(&self) -> StatusCode {
        match self {
            Self::Problem { status, .. } | Self::OAuth { status, .. } => *status,
        }
    }
}

impl std::fmt::Display for FedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Problem { status, message } => write!(f, "{status}: {message}"),
            Self::OAuth { status, error, .. } => write!(f, "{status}: {error}"),
        }
    }
}

impl std::error::Error for FedError {}

/// A partner-side failure answered on MC's own API (unsafe deletes run the
/// partner's removals): same status, MC's envelope.
impl From<FedError> for McError {
    fn from(error: FedError) -> Self {
        match error {
            FedError::Problem { status, message } => McError::new(status, message),
            FedError::OAuth { status, description, .. } => McError::new(status, description),
        }
    }
}

impl From<crate::wire::Refused> for FedError {
    fn from(refused: crate::wire::Refused) -> Self {
        FedError::new(refused.status, refused.message)
    }
}

impl From<McError> for FedError {
    fn from(error: McError) -> Self {
        Self::Problem { status: error.status, message: error.message }
    }
}

impl From<sea_orm::DbErr> for FedError {
    fn from(error: sea_orm::DbErr) -> Self {
        McError::from(error).into()
    }
}

impl Wire for FedError {
    fn rejected(_operation_id: &'static str, error: poem::Error) -> Self {
        if error.is::<FedError>() {
            return error.downcast::<FedError>().unwrap_or_else(|e| Self::internal("request failed", e));
        }
        if error.is::<McError>() {
            return error.downcast::<McError>().map(Self::from).unwrap_or_else(|e| Self::internal("request failed", e));
        }
        match error.status() {
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported Media Type")
            }
            StatusCode::PAYLOAD_TOO_LARGE => Self::new(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large"),
            _ => Self::bad_request(error.to_string()),
        }
    }

    fn encode(status: StatusCode, body: Option<Value>) -> Response {
        match body {
            Some(value) => echo_json(status, &value),
            None => Response::builder().status(status).body(""),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_at_every_level() {
        let value = json!({"b": 1, "a": {"d": [{"z": 1, "y": 2}], "c": 3}});
        assert_eq!(sorted(value).to_string(), r#"{"a":{"c":3,"d":[{"y":2,"z":1}]},"b":1}"#);
    }

    #[tokio::test]
    async fn problems_and_oauth_errors_keep_their_wires() {
        let problem = FedError::bad_request("zone not found").into_response();
        assert_eq!(problem.status(), StatusCode::BAD_REQUEST);
        assert_eq!(problem.into_body().into_string().await.unwrap(), "{\"detail\":\"Zone not found\"}\n");
        let oauth = FedError::invalid_client().into_response();
        assert_eq!(oauth.headers()[CACHE_CONTROL], "no-store");
        assert_eq!(
            oauth.into_body().into_string().await.unwrap(),
            "{\"error\":\"invalid_client\",\"error_description\":\"Client authentication failed\"}\n"
        );
    }
}
