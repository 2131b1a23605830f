//! Lighthouse's error wire: `{"Cause":"<package>","Message":"<text>"}`
//! (its `handlers.WriteError`), with the original's statuses, texts and
//! causes.

use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::error::ParseRequestPayloadError;

use crate::wire::Wire;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{cause}: {message} ({status})")]
pub struct LighthouseError {
    pub status: StatusCode,
    pub cause: &'static str,
    pub message: String,
}

pub const USER_ACCESS: &str = "User does not exist or current permission too low";
pub const USER_NOT_UPDATED: &str = "could not update user";
pub const BEACON_PARAMETERS: &str = "beacons: not enough or invalid parameters given";
pub const BEACON_PERMISSION: &str = "beacons: user not permitted to access token";
pub const BEACON_DUPLICATE: &str = "beacons: tried to add an beacon which already exists";
pub const NO_ROWS: &str = "databases: result was empty";
pub const NO_UPDATE: &str = "databases: no rows updated";
pub const KEY_EXISTS: &str = "databases: key already exists";
pub const APP_UNKNOWN: &str = "applications: unknown application ID";
pub const DEPLOYMENT_UNKNOWN: &str = "applications: unknown deployment ID";
pub const DEPLOYMENT_MISMATCH: &str = "applications: deployment does not belong to given application";
pub const NO_PREVIOUS: &str = "applications: no previous deployment to rollback to";
pub const APP_PARAMETERS: &str = "applications: not enough or invalid parameters given";
pub const APP_PERMISSION: &str = "applications: user not permitted to modify application";
pub const APP_EXISTS: &str = "applications: an application with that name already exists";
pub const INSTANCE_PERMISSION: &str = "applications: user not permitted to access instance";

impl LighthouseError {
    pub fn new(status: StatusCode, cause: &'static str, message: impl Into<String>) -> Self {
        Self { status, cause, message: message.into() }
    }

    pub fn not_logged_in() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "auth", "not logged in")
    }

    pub fn bad_login() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "auth", "email or password incorrect")
    }

    pub fn busy() -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "auth", "server busy, try again")
    }

    pub fn users(status: StatusCode, message: &str) -> Self {
        Self::new(status, "users", message)
    }

    pub fn beacons(status: StatusCode, message: impl Into<String>) -> Self {
        Self::new(status, "beacons", message)
    }

    pub fn applications(status: StatusCode, message: &str) -> Self {
        Self::new(status, "applications", message)
    }

    /// A failure of Steward's own (the database): logged, answered without
    /// details.
    pub fn internal(cause: &'static str, error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, cause, "lighthouse request failed");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, cause, "internal error")
    }

    /// A database error met while serving `cause`'s request.
    pub fn db(cause: &'static str, error: sea_orm::DbErr) -> Self {
        if crate::db::is_saturated(&error) {
            return Self::new(StatusCode::SERVICE_UNAVAILABLE, cause, "server busy, try again");
        }
        if crate::db::is_unstorable_text(&error) {
            return Self::new(StatusCode::BAD_REQUEST, cause, crate::db::UNSTORABLE_TEXT);
        }
        Self::internal(cause, error)
    }
}

impl poem::error::ResponseError for LighthouseError {
    fn status(&self) -> StatusCode {
        self.status
    }

    fn as_response(&self) -> Response {
        self.clone().into_response()
    }
}

/// JSON as Go's encoder writes it: `<`, `>` and `&` escaped.
pub fn go_json(value: &serde_json::Value) -> String {
    crate::wire::escape_markup_in_json(value.to_string())
}

fn go_json_response(status: StatusCode, value: &serde_json::Value) -> Response {
    Response::builder().status(status).header(poem::http::header::CONTENT_TYPE, "application/json").body(go_json(value))
}

impl IntoResponse for LighthouseError {
    fn into_response(self) -> Response {
        go_json_response(self.status, &serde_json::json!({"Cause": self.cause, "Message": self.message}))
    }
}

impl Wire for LighthouseError {
    /// What each operation's package answers when the request cannot be
    /// read: the login refuses (401), the others answer their package's
    /// bad-parameters error (the original answered some of these 500).
    fn rejected(operation_id: &'static str, error: poem::Error) -> Self {
        if error.is::<LighthouseError>() {
            return error.downcast::<LighthouseError>().unwrap_or_else(|e| Self::internal("lighthouse", e));
        }
        let reason = match error.downcast_ref::<ParseRequestPayloadError>() {
            Some(payload) => payload.reason.clone(),
            None => error.to_string(),
        };
        match operation_id {
            "login" => Self::bad_login(),
            "createUser" => Self::users(StatusCode::BAD_REQUEST, &reason),
            "updateUser" => Self::users(StatusCode::BAD_REQUEST, USER_NOT_UPDATED),
            "updateAlias" => Self::new(StatusCode::BAD_REQUEST, "aliases", reason),
            "createBeacon" | "updateBeaconToken" | "listBeaconInstances" | "refreshBeacon" => {
                Self::beacons(StatusCode::BAD_REQUEST, BEACON_PARAMETERS)
            }
            _ => Self::applications(StatusCode::BAD_REQUEST, APP_PARAMETERS),
        }
    }

    /// Successes without a body are empty; others compact JSON, escaped
    /// as Go escapes it.
    fn encode(status: StatusCode, body: Option<serde_json::Value>) -> Response {
        match body {
            Some(value) => go_json_response(status, &value),
            None => Response::builder().status(status).finish(),
        }
    }

    /// Each progress line as Go's `json.Encoder` writes it.
    fn encode_live_stream(
        status: StatusCode,
        lines: futures_util::stream::BoxStream<'static, serde_json::Value>,
    ) -> Response {
        crate::wire::json_lines_response(status, lines, go_json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_the_originals_cause_and_message() {
        let response = LighthouseError::not_logged_in().into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let rejected = LighthouseError::rejected("updateUser", poem::Error::from_status(StatusCode::BAD_REQUEST));
        assert_eq!((rejected.cause, rejected.message.as_str()), ("users", USER_NOT_UPDATED));
        let rejected = LighthouseError::rejected("login", poem::Error::from_status(StatusCode::BAD_REQUEST));
        assert_eq!(rejected, LighthouseError::bad_login());
        assert_eq!(go_json(&serde_json::json!({"Message": "<a&b>"})), r#"{"Message":"\u003ca\u0026b\u003e"}"#);
    }
}
