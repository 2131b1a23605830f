//! ARGO's wire: the `{"status":{…},"errors":[…]}` envelope, indented as
//! Go's `json.MarshalIndent(v, "", " ")` writes it, and as Go's
//! `xml.MarshalIndent` writes it under `<root>` when the request's Accept
//! is exactly `application/xml` (`respond.MarshalContent`): every handler
//! error but 406 (always JSON) and 500 (ARGO's `Respond` re-renders those
//! as JSON).

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

    /// The tenant kept changing under a rewrite, attempt after attempt.
    pub fn busy() -> Self {
        Self::conflict("The tenant was changed by other requests meanwhile, please try again")
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

/// `xml.MarshalIndent(v, "", " ")` of the envelope under `<root>`: the
/// status, then each error under `<errors><error>` (empty fields omitted).
fn go_status_xml(body: &Value) -> String {
    let fields = |xml: &mut String, object: &Value, indent: &str| {
        for key in ["message", "code", "details"] {
            if let Some(text) = object[key].as_str().filter(|text| !text.is_empty()) {
                xml.push_str(&format!("\n{indent}<{key}>{}</{key}>", xml_escape(text, XmlQuotes::Numeric)));
            }
        }
    };
    let mut xml = String::from("<root>\n <status>");
    fields(&mut xml, &body["status"], "  ");
    xml.push_str("\n </status>");
    if let Some(errors) = body["errors"].as_array().filter(|errors| !errors.is_empty()) {
        xml.push_str("\n <errors>");
        for error in errors {
            xml.push_str("\n  <error>");
            fields(&mut xml, error, "   ");
            xml.push_str("\n  </error>");
        }
        xml.push_str("\n </errors>");
    }
    xml.push_str("\n</root>");
    xml
}

fn xml_response(status: StatusCode, body: &Value) -> Response {
    Response::builder().status(status).header(CONTENT_TYPE, "application/xml; charset=utf-8").body(go_status_xml(body))
}

/// Re-renders ARGO's JSON error envelopes as XML for `Accept:
/// application/xml`, wherever they came from (handlers, or body decoding
/// that fails before any handler runs).
pub async fn xml_when_asked<E: poem::Endpoint>(next: std::sync::Arc<E>, req: poem::Request) -> poem::Result<Response> {
    let xml = req.headers().get(poem::http::header::ACCEPT).is_some_and(|accept| accept == "application/xml");
    let response = next.call(req).await?.into_response();
    let status = response.status();
    let json = response.content_type().is_some_and(|t| t.starts_with("application/json"));
    let rendered_as_xml = status.is_client_error() && status != StatusCode::NOT_ACCEPTABLE;
    if !xml || !json || !rendered_as_xml {
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let bytes = body.into_bytes().await?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(envelope) if envelope.get("status").is_some() => Ok(xml_response(parts.status, &envelope)),
        _ => Ok(Response::from_parts(parts, poem::Body::from(bytes))),
    }
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
            return xml_response(self.status, &self.body);
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
        match crate::db::is_unstorable_text(&error) {
            true => with_errors(StatusCode::BAD_REQUEST, "Bad Request", crate::db::UNSTORABLE_TEXT),
            false => Self::internal(error),
        }
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
    fn handler_errors_in_xml_are_gos() {
        assert_eq!(
            go_status_xml(&ArgoError::not_found().body),
            "<root>\n <status>\n  <message>Not Found</message>\n  <code>404</code>\n </status>\n <errors>\n  <error>\n   <message>Not Found</message>\n   <code>404</code>\n   <details>item with the specific ID was not found on the server</details>\n  </error>\n </errors>\n</root>"
        );
        assert_eq!(
            go_status_xml(&ArgoError::user_not_found().body),
            "<root>\n <status>\n  <message>Not Found</message>\n  <code>404</code>\n  <details>item with the specific ID was not found on the server</details>\n </status>\n</root>"
        );
        assert_eq!(
            go_status_xml(&ArgoError::conflict("More than one users found using the key: <k&\"").body),
            "<root>\n <status>\n  <message>Conflict</message>\n  <code>409</code>\n </status>\n <errors>\n  <error>\n   <message>Conflict</message>\n   <code>409</code>\n   <details>More than one users found using the key: &lt;k&amp;&#34;</details>\n  </error>\n </errors>\n</root>"
        );
    }

    #[test]
    fn unauthorized_xml_is_gos() {
        assert_eq!(
            go_status_xml(&ArgoError::unauthorized(true).body),
            "<root>\n <status>\n  <message>Unauthorized</message>\n  <code>401</code>\n  <details>You need to provide a correct authentication token using the header &#39;x-api-key&#39;</details>\n </status>\n</root>"
        );
    }
}
