//! Scalelite's error wire: BigBlueButton-style XML failures answered with
//! HTTP 200, JSON `{"error"}`/`{"message"}` bodies with real statuses, and
//! Rails' empty 400 for a body that is not JSON.

use poem::http::StatusCode;
use poem::http::header::CONTENT_TYPE;
use poem::{IntoResponse, Response};
use poem_openapi::error::{ContentTypeError, ParseRequestPayloadError};
use serde_json::json;

use crate::wire::{Wire, XmlQuotes, escape_markup_in_json, xml_escape, xml_response};

#[derive(Debug, thiserror::Error)]
pub enum ScaleliteError {
    /// `<response><returncode>FAILED</returncode>…` with HTTP 200.
    #[error("{key}: {message}")]
    Bbb { key: &'static str, message: String },
    /// `{"error": message}` with the given status.
    #[error("{message}")]
    Error { status: StatusCode, message: String },
    /// `{"message": message}` with the given status.
    #[error("{message}")]
    Message { status: StatusCode, message: String },
    /// The body is not JSON: Rails answers 400 with an empty body.
    #[error("malformed JSON body")]
    MalformedJson,
    #[error("internal error: {0}")]
    Internal(String),
}

impl ScaleliteError {
    pub fn checksum() -> Self {
        Self::Bbb { key: "checksumError", message: "You did not pass the checksum security check".into() }
    }

    pub fn unsupported_content_type() -> Self {
        Self::Bbb {
            key: "unsupportedContentType",
            message: "POST request Content-Type is missing or unsupported".into(),
        }
    }

    pub fn unsupported_request() -> Self {
        Self::Bbb { key: "unsupportedRequest", message: "This request is not supported.".into() }
    }

    /// Rails' ParameterMissing, which Scalelite answers as an internalError.
    pub fn param_missing(name: &str) -> Self {
        Self::Bbb { key: "internalError", message: param_missing_text(name) }
    }

    pub fn error(status: StatusCode, message: impl Into<String>) -> Self {
        Self::Error { status, message: message.into() }
    }

    pub fn message(status: StatusCode, message: impl Into<String>) -> Self {
        Self::Message { status, message: message.into() }
    }

    pub fn multitenancy_disabled() -> Self {
        Self::message(StatusCode::PRECONDITION_FAILED, "Multitenancy is disabled")
    }
}

pub fn param_missing_text(name: &str) -> String {
    format!("param is missing or the value is empty: {name}")
}

impl From<sea_orm::DbErr> for ScaleliteError {
    fn from(error: sea_orm::DbErr) -> Self {
        match crate::db::is_unstorable_text(&error) {
            // Rails' own words for such a string, as Scalelite's
            // internalError failure.
            true => Self::Bbb { key: "internalError", message: "string contains null byte".into() },
            false => Self::Internal(error.to_string()),
        }
    }
}

/// Lets the checksum extractor fail with a Scalelite error that
/// [`Wire::rejected`] recovers intact.
impl poem::error::ResponseError for ScaleliteError {
    fn status(&self) -> StatusCode {
        StatusCode::OK
    }
}

/// The XML document Scalelite renders for a failure, byte for byte.
pub fn bbb_failure_xml(key: &str, message: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<response>\n  <returncode>FAILED</returncode>\n  <messageKey>{}</messageKey>\n  <message>{}</message>\n</response>\n",
        xml_escape(key, XmlQuotes::Named),
        xml_escape(message, XmlQuotes::Named)
    )
}

impl IntoResponse for ScaleliteError {
    fn into_response(self) -> Response {
        match self {
            Self::Bbb { key, message } => xml_response(StatusCode::OK, bbb_failure_xml(key, &message)),
            Self::Error { status, message } => rails_json(status, &json!({ "error": message })),
            Self::Message { status, message } => rails_json(status, &json!({ "message": message })),
            Self::MalformedJson => empty_html(StatusCode::BAD_REQUEST),
            Self::Internal(detail) => {
                tracing::error!(surface = "scalelite", %detail, "request failed");
                empty_html(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }
}

fn empty_html(status: StatusCode) -> Response {
    Response::builder().status(status).header(CONTENT_TYPE, "text/html; charset=utf-8").body("")
}

/// JSON as Rails renders it: `&`, `<`, `>` and the line/paragraph
/// separators escaped as `\uXXXX`. They can only occur inside strings, so
/// escaping the serialized text is exact.
pub fn rails_json(status: StatusCode, value: &serde_json::Value) -> Response {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "application/json; charset=utf-8")
        .body(escape_markup_in_json(value.to_string()))
}

impl Wire for ScaleliteError {
    fn rejected(_operation_id: &'static str, error: poem::Error) -> Self {
        if error.is::<ScaleliteError>() {
            return error.downcast::<ScaleliteError>().unwrap_or_else(|e| Self::Internal(e.to_string()));
        }
        if error.is::<ContentTypeError>() {
            return Self::unsupported_content_type();
        }
        if error.is::<ParseRequestPayloadError>() {
            return Self::MalformedJson;
        }
        Self::Internal(error.to_string())
    }

    fn encode(status: StatusCode, body: Option<serde_json::Value>) -> Response {
        match body {
            Some(value) => rails_json(status, &value),
            None => Response::builder().status(status).finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_xml_matches_scalelite_layout() {
        assert_eq!(
            bbb_failure_xml("checksumError", "You did not pass the checksum security check"),
            "<?xml version=\"1.0\"?>\n<response>\n  <returncode>FAILED</returncode>\n  <messageKey>checksumError</messageKey>\n  <message>You did not pass the checksum security check</message>\n</response>\n"
        );
    }

    #[tokio::test]
    async fn json_escapes_markup_like_rails() {
        let response = rails_json(StatusCode::OK, &json!({"tag": "<a&b>\u{2028}"}));
        let body = response.into_body().into_string().await.unwrap();
        assert_eq!(body, r#"{"tag":"\u003ca\u0026b\u003e\u2028"}"#);
    }

    #[test]
    fn rejections_keep_scalelite_errors_and_map_payload_errors() {
        let err = poem::Error::from(ScaleliteError::checksum());
        assert!(matches!(
            ScaleliteError::rejected("getServers", err),
            ScaleliteError::Bbb { key: "checksumError", .. }
        ));
        let err = poem::Error::from(ParseRequestPayloadError { reason: "x".into() });
        assert!(matches!(ScaleliteError::rejected("addServer", err), ScaleliteError::MalformedJson));
    }
}
