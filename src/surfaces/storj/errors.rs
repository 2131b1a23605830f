//! Storj's error wire: `{"error","detail"}` with the status its handlers
//! use, JSON as Go's encoder writes it.

use poem::http::StatusCode;
use poem::http::header::CONTENT_TYPE;
use poem::{IntoResponse, Response};
use poem_openapi::error::ParseRequestPayloadError;
use serde_json::json;

use crate::wire::{Wire, escape_markup_in_json};

#[derive(Debug, thiserror::Error)]
#[error("{status}: {error}: {detail}")]
pub struct StorjError {
    pub status: StatusCode,
    pub error: String,
    pub detail: String,
}

impl StorjError {
    pub fn new(status: StatusCode, error: impl Into<String>, detail: impl Into<String>) -> Self {
        Self { status, error: error.into(), detail: detail.into() }
    }

    pub fn bad_request(error: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, "")
    }

    pub fn not_found(error: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, error, "")
    }

    pub fn conflict(error: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, error, detail)
    }

    pub fn forbidden(error: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, error, "")
    }

    pub fn unmarshal(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "failed to unmarshal request", detail)
    }

    pub fn internal(error: &str, cause: impl std::fmt::Display) -> Self {
        tracing::error!(surface = "storj", %cause, "{error}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, error, "")
    }
}

/// Go's `json.Marshal`: compact, markup escaped.
pub fn go_json(status: StatusCode, value: &serde_json::Value) -> Response {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "application/json")
        .body(escape_markup_in_json(value.to_string()))
}

impl IntoResponse for StorjError {
    fn into_response(self) -> Response {
        go_json(self.status, &json!({ "error": self.error, "detail": self.detail }))
    }
}

impl poem::error::ResponseError for StorjError {
    fn status(&self) -> StatusCode {
        self.status
    }
}

impl Wire for StorjError {
    fn rejected(_operation_id: &'static str, error: poem::Error) -> Self {
        if error.is::<StorjError>() {
            return error.downcast::<StorjError>().unwrap_or_else(|e| Self::internal("request failed", e));
        }
        if let Some(payload) = error.downcast_ref::<ParseRequestPayloadError>() {
            return Self::unmarshal(payload.reason.clone());
        }
        Self::new(error.status(), "invalid request", error.to_string())
    }

    fn encode(status: StatusCode, body: Option<serde_json::Value>) -> Response {
        match body {
            Some(value) => go_json(status, &value),
            // Go writes no Content-Type for an empty 200.
            None => Response::builder().status(status).body(""),
        }
    }
}

impl From<sea_orm::DbErr> for StorjError {
    fn from(error: sea_orm::DbErr) -> Self {
        match crate::db::is_unstorable_text(&error) {
            true => Self::new(StatusCode::BAD_REQUEST, "invalid input", crate::db::UNSTORABLE_TEXT),
            false => Self::internal("database error", error),
        }
    }
}

impl From<crate::auth::password::HashError> for StorjError {
    fn from(error: crate::auth::password::HashError) -> Self {
        match error {
            crate::auth::password::HashError::Busy => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "service temporarily unavailable", "try again later")
            }
            error => Self::internal("unable to save password hash", error),
        }
    }
}
