//! MC's error wire: `{"message": text}` with the text's first letter
//! upper-cased (MC's error writer does this to every message), JSON as Go
//! writes it (markup escaped, `charset=UTF-8`).

use poem::http::StatusCode;
use poem::http::header::CONTENT_TYPE;
use poem::{IntoResponse, Response};
use serde_json::json;

use crate::wire::{Wire, escape_markup_in_json};

#[derive(Debug, thiserror::Error)]
#[error("{status}: {message}")]
pub struct McError {
    pub status: StatusCode,
    pub message: String,
}

impl McError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }

    /// MC answers a plain error with 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "Forbidden")
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported Media Type")
    }

    pub fn internal(what: &str, cause: impl std::fmt::Display) -> Self {
        tracing::error!(surface = "mc", %cause, "{what}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, what)
    }
}

/// MC's `{"message"}` body for an error or a success message.
pub fn message_body(message: &str) -> serde_json::Value {
    json!({ "message": capitalized(message) })
}

pub fn capitalized(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) if first.is_ascii_lowercase() => first.to_ascii_uppercase().to_string() + chars.as_str(),
        _ => message.to_owned(),
    }
}

/// JSON as echo writes it: compact, markup escaped, no trailing newline.
pub fn go_json(status: StatusCode, value: &serde_json::Value) -> Response {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "application/json; charset=UTF-8")
        .body(escape_markup_in_json(value.to_string()))
}

impl IntoResponse for McError {
    fn into_response(self) -> Response {
        go_json(self.status, &message_body(&self.message))
    }
}

impl poem::error::ResponseError for McError {
    fn status(&self) -> StatusCode {
        self.status
    }
}

impl Wire for McError {
    fn rejected(_operation_id: &'static str, error: poem::Error) -> Self {
        if error.is::<McError>() {
            return error.downcast::<McError>().unwrap_or_else(|e| Self::internal("request failed", e));
        }
        if error.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE {
            return Self::unsupported_media_type();
        }
        if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return Self::new(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large");
        }
        Self::bad_request(error.to_string())
    }

    fn encode(status: StatusCode, body: Option<serde_json::Value>) -> Response {
        match body {
            Some(value) => go_json(status, &value),
            None => Response::builder().status(status).body(""),
        }
    }

    fn missing_object(name: &'static str) -> Self {
        Self::bad_request(format!("Invalid object data for {name}"))
    }

    fn internal_only(field: &'static str) -> Self {
        Self::bad_request(format!("Invalid field specified: {field}, this field is only for internal use"))
    }

    /// The Controller's own words for the field, from the spec.
    fn constraint_failed(violation: crate::wire::Violation) -> Self {
        Self::bad_request(violation.message())
    }

    /// MC's `WriteStream`: `{"data":...}` lines under 200 and
    /// `application/json`, an error after the first line as a last
    /// `{"result":{"message","code"}}` line; an error before any line is a
    /// plain error, and no lines at all an empty 200.
    fn encode_stream(status: StatusCode, lines: Vec<serde_json::Value>, failure: Option<Self>) -> Response {
        if lines.is_empty() {
            return match failure {
                Some(error) => error.into_response(),
                None => Response::builder().status(status).body(""),
            };
        }
        let mut body = String::new();
        for line in lines {
            body.push_str(&escape_markup_in_json(json!({ "data": line }).to_string()));
            body.push('\n');
        }
        if let Some(error) = failure {
            let result = json!({ "result": { "message": capitalized(&error.message), "code": error.status.as_u16() } });
            body.push_str(&escape_markup_in_json(result.to_string()));
            body.push('\n');
        }
        Response::builder().status(status).header(CONTENT_TYPE, "application/json").body(body)
    }
}

impl From<sea_orm::DbErr> for McError {
    fn from(error: sea_orm::DbErr) -> Self {
        if crate::db::is_saturated(&error) {
            tracing::warn!(surface = "mc", "no database connection came free in time");
            return Self::new(StatusCode::SERVICE_UNAVAILABLE, "Service temporarily unavailable");
        }
        match crate::db::is_unstorable_text(&error) {
            true => Self::bad_request(format!("Invalid input, {}", crate::db::UNSTORABLE_TEXT)),
            false => Self::internal("Database error", error),
        }
    }
}

impl From<crate::auth::password::HashError> for McError {
    fn from(error: crate::auth::password::HashError) -> Self {
        match error {
            // MC's own words when it cannot serve for now (its rate
            // limiter's 503); the client may retry.
            crate::auth::password::HashError::Busy => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "Service temporarily unavailable")
            }
            error => Self::internal("Failed to hash password", error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn streams_write_data_lines_then_a_late_error_as_a_result_line() {
        let lines = vec![json!({"key": {"name": "a"}}), json!({"key": {"name": "b"}})];
        let response = McError::encode_stream(StatusCode::OK, lines, Some(McError::bad_request("lost <it>")));
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()), Some("application/json"));
        let body = response.into_body().into_string().await.unwrap();
        assert_eq!(
            body,
            "{\"data\":{\"key\":{\"name\":\"a\"}}}\n{\"data\":{\"key\":{\"name\":\"b\"}}}\n{\"result\":{\"message\":\"Lost \\u003cit\\u003e\",\"code\":400}}\n"
        );
        let early = McError::encode_stream(StatusCode::OK, vec![], Some(McError::bad_request("no")));
        assert_eq!(early.status(), StatusCode::BAD_REQUEST);
        let empty = McError::encode_stream(StatusCode::OK, vec![], None);
        assert_eq!((empty.status(), empty.into_body().into_string().await.unwrap()), (StatusCode::OK, String::new()));
    }

    #[test]
    fn messages_start_upper_case_as_mc_writes_them() {
        assert_eq!(message_body("user not found"), json!({"message": "User not found"}));
        assert_eq!(message_body("Already"), json!({"message": "Already"}));
        assert_eq!(message_body(""), json!({"message": ""}));
    }
}
