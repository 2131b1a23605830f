//! ARGO's wire: the `{"status":{…},"errors":[…]}` envelope, indented as
//! Go's `json.MarshalIndent(v, "", " ")` writes it, and Go's XML for the
//! authentication failures when XML is asked for.

use poem::http::StatusCode;
use poem::http::header::CONTENT_TYPE;
use poem::{IntoResponse, Response};
use poem_openapi::error::ParseRequestPayloadError;
use serde::Serialize;
use serde_json::{Value, json};

use crate::wire::{Wire, XmlQuotes, escape_markup_in_json, xml_escape};

#[derive(Debug, thiserror::Error)]
#[error("{status}: {body}")]
pub struct ArgoError {
    pub status: StatusCode,
    pub body: Value,
    /// Render as XML (only 401/403 ever are, and only for `Accept: application/xml`).
    pub xml: bool,
}

fn status_only(status: StatusCode, message: &str, details: Option<&str>) -> ArgoError {
    let mut head = json!({ "message": message, "code": status.as_u16().to_string() });
    if let Some(details) = details {
        head["details"] = json!(details);
    }
    ArgoError { status, body: json!({ "status": head }), xml: false }
}

fn with_errors(status: StatusCode, message: &str, details: &str) -> ArgoError {
    let code = status.as_u16().to_string();
    ArgoError {
        status,
        body: json!({
            "status": { "message": message, "code": code },
            "errors": [{ "message": message, "code": code, "details": details }],
        }),
        xml: false,
    }
}

impl ArgoError {
    pub fn unauthorized(xml: bool) -> Self {
        let details = "You need to provide a correct authentication token using the header 'x-api-key'";
        Self { xml, ..status_only(StatusCode::UNAUTHORIZED, "Unauthorized", Some(details)) }
    }

    pub fn forbidden(xml: bool) -> Self {
        Self { xml, ..status_only(StatusCode::FORBIDDEN, "Access to the resource is Forbidden", None) }
    }

    pub fn not_acceptable() -> Self {
        let details = "Accept header provided did not contain any valid content types. Acceptable content types are 'application/xml' and 'application/json'";
        status_only(StatusCode::NOT_ACCEPTABLE, "Not Acceptable Content Type", Some(details))
    }

    /// A tenant (or a user looked up across tenants) that does not exist.
    pub fn not_found() -> Self {
        with_errors(StatusCode::NOT_FOUND, "Not Found", "item with the specific ID was not found on the server")
    }

    /// A user missing from an existing tenant.
    pub fn user_not_found() -> Self {
        status_only(StatusCode::NOT_FOUND, "Not Found", Some("item with the specific ID was not found on the server"))
    }

    pub fn bad_json() -> Self {
        with_errors(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            "Request Body contains malformed JSON, thus rendering the Request Bad",
        )
    }

    pub fn conflict(details: &str) -> Self {
        with_errors(StatusCode::CONFLICT, "Conflict", details)
    }

    /// A path ARGO does not route that poem's router still matched (it reads
    /// `users:byID` as `users` followed by a parameter): gorilla/mux's 404.
    pub fn unrouted() -> Self {
        Self { status: StatusCode::NOT_FOUND, body: Value::Null, xml: false }
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(surface = "argo", %cause, "request failed");
        with_errors(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error", "internal error")
    }
}

/// `json.MarshalIndent(v, "", " ")`: one-space indent, no trailing newline,
/// markup escaped.
pub fn go_indented(value: &Value) -> String {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b" ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    if value.serialize(&mut serializer).is_err() {
        return value.to_string();
    }
    escape_markup_in_json(String::from_utf8_lossy(&out).into_owned())
}

/// `xml.MarshalIndent` of the status envelope under `<root>`.
fn go_status_xml(body: &Value) -> String {
    let mut xml = String::from("<root>\n <status>");
    for key in ["message", "code", "details"] {
        if let Some(text) = body["status"][key].as_str() {
            xml.push_str(&format!("\n  <{key}>{}</{key}>", xml_escape(text, XmlQuotes::Numeric)));
        }
    }
    xml.push_str("\n </status>\n</root>");
    xml
}

pub fn json_response(status: StatusCode, value: &Value) -> Response {
    encoded_response(status, go_indented(value))
}

/// A body already in ARGO's encoding.
pub fn encoded_response(status: StatusCode, body: impl Into<poem::Body>) -> Response {
    Response::builder().status(status).header(CONTENT_TYPE, "application/json; charset=utf-8").body(body)
}

impl IntoResponse for ArgoError {
    fn into_response(self) -> Response {
        if self.body.is_null() {
            return crate::wire::gorilla_unmatched(false);
        }
        if self.xml {
            return Response::builder()
                .status(self.status)
                .header(CONTENT_TYPE, "application/xml; charset=utf-8")
                .body(go_status_xml(&self.body));
        }
        json_response(self.status, &self.body)
    }
}

impl poem::error::ResponseError for ArgoError {
    fn status(&self) -> StatusCode {
        self.status
    }
}

impl Wire for ArgoError {
    fn rejected(_operation_id: &'static str, error: poem::Error) -> Self {
        if error.is::<ArgoError>() {
            return error.downcast::<ArgoError>().unwrap_or_else(Self::internal);
        }
        if error.is::<ParseRequestPayloadError>() {
            return Self::bad_json();
        }
        Self::internal(error)
    }

    fn encode(status: StatusCode, body: Option<Value>) -> Response {
        json_response(status, &body.unwrap_or(Value::Null))
    }
}

impl From<sea_orm::DbErr> for ArgoError {
    fn from(error: sea_orm::DbErr) -> Self {
        Self::internal(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_match_argo_bytes() {
        assert_eq!(
            go_indented(&ArgoError::forbidden(false).body),
            "{\n \"status\": {\n  \"message\": \"Access to the resource is Forbidden\",\n  \"code\": \"403\"\n }\n}"
        );
        assert_eq!(
            go_indented(&ArgoError::not_found().body),
            "{\n \"status\": {\n  \"message\": \"Not Found\",\n  \"code\": \"404\"\n },\n \"errors\": [\n  {\n   \"message\": \"Not Found\",\n   \"code\": \"404\",\n   \"details\": \"item with the specific ID was not found on the server\"\n  }\n ]\n}"
        );
        assert_eq!(go_indented(&json!({"a": [], "b": "<&>"})), "{\n \"a\": [],\n \"b\": \"\\u003c\\u0026\\u003e\"\n}");
    }

    #[test]
    fn unauthorized_xml_is_gos() {
        assert_eq!(
            go_status_xml(&ArgoError::unauthorized(true).body),
            "<root>\n <status>\n  <message>Unauthorized</message>\n  <code>401</code>\n  <details>You need to provide a correct authentication token using the header &#39;x-api-key&#39;</details>\n </status>\n</root>"
        );
    }
}
