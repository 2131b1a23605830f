//! What the generated code asks of each surface: how its successes are
//! encoded and how a request poem-openapi rejected (bad auth, bad body,
//! wrong content type) is answered in the surface's own error shape.

use poem::Response;
use poem::http::StatusCode;
use poem::http::header::CONTENT_TYPE;

pub trait Wire: poem::IntoResponse + Send + Sized {
    /// The surface's answer to a request that failed extraction before its
    /// handler ran. `operation_id` says which operation it was aimed at.
    fn rejected(operation_id: &'static str, error: poem::Error) -> Self;

    /// Encodes a successful body; compact JSON unless a surface says otherwise.
    fn encode(status: StatusCode, body: Option<serde_json::Value>) -> Response {
        match body {
            Some(value) => json_response(status, &value),
            None => Response::builder().status(status).finish(),
        }
    }

    /// The answer to a request that set a field only the original's own
    /// services may set (an operation's `x-steward-internal-fields`).
    fn internal_only(field: &'static str) -> Self {
        Self::rejected("", poem::Error::from_string(format!("{field} is internal"), StatusCode::BAD_REQUEST))
    }

    /// The answer to an update without the object it must carry (an
    /// operation's `x-steward-required-object`).
    fn missing_object(name: &'static str) -> Self {
        Self::rejected("", poem::Error::from_string(format!("no {name} given"), StatusCode::BAD_REQUEST))
    }

    /// The answer to a request whose field breaks a constraint of the spec
    /// (`wire::check`, where the handler checks its fields).
    fn constraint_failed(violation: Violation) -> Self {
        Self::rejected("", poem::Error::from_string(violation.message(), StatusCode::BAD_REQUEST))
    }

    /// Encodes a streamed answer: the lines the handler produced, then the
    /// error that ended it after them, if any. Surfaces that stream say how
    /// (MC: `{"data":...}` lines, a final `{"result":...}` line); without
    /// streams, the lines go out as one JSON array.
    fn encode_stream(status: StatusCode, lines: Vec<serde_json::Value>, failure: Option<Self>) -> Response {
        match failure {
            Some(error) => error.into_response(),
            None => json_response(status, &serde_json::Value::Array(lines)),
        }
    }

    /// Encodes a live stream: each line as compact JSON and a newline (Go's
    /// `json.Encoder`), flushed as it comes, under `application/json`.
    fn encode_live_stream(
        status: StatusCode,
        lines: futures_util::stream::BoxStream<'static, serde_json::Value>,
    ) -> Response {
        json_lines_response(status, lines, serde_json::Value::to_string)
    }
}

/// A streamed answer sent as it is produced (an operation marked
/// `x-steward-stream: {live: true}`): the handler has accepted the request
/// and hands over its lines, typically from a task that keeps working
/// whether or not the client stays to read them.
pub struct LiveStream<T>(pub futures_util::stream::BoxStream<'static, T>);

impl<T> std::fmt::Debug for LiveStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LiveStream")
    }
}

impl<T: poem_openapi::types::ToJSON + Send + 'static> LiveStream<T> {
    pub fn into_json_lines(self) -> futures_util::stream::BoxStream<'static, serde_json::Value> {
        use futures_util::StreamExt;
        self.0.map(|line| line.to_json().unwrap_or_default()).boxed()
    }
}

/// A streamed answer (an operation marked `x-steward-stream`): its lines in
/// order, then the error that cut it short after them, if one did. An
/// error before any line is the handler's plain `Err`.
#[derive(Debug)]
pub struct Stream<T, E> {
    pub lines: Vec<T>,
    pub failure: Option<E>,
}

impl<T, E> Stream<T, E> {
    pub fn lines(lines: Vec<T>) -> Self {
        Self { lines, failure: None }
    }
}

/// What an operation's `x-steward-permission` declares: the generated
/// route asks the surface's [`Authorize`] before the handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// The caller needs `action` on `resource` in the org read from the
    /// request body at `org` (a JSON pointer; empty means the empty org,
    /// where only admins hold rights). `requires_org` names the kind of org
    /// the operation applies to (MC: `operator` or `developer`), if any.
    Grant { resource: &'static str, action: &'static str, org: &'static str, requires_org: Option<&'static str> },
    /// A show: the caller needs `action` on `resource` in some org; the
    /// handler shows them what the `visible` rule lets them see.
    Show { resource: &'static str, action: &'static str, visible: &'static str },
    /// Any authenticated caller may call; the handler shows them what the
    /// named rule lets them see.
    Visibility(&'static str),
}

/// A surface's check of declared permissions, called by generated routes
/// with the request body as JSON (absent for body-less operations).
#[async_trait::async_trait]
pub trait Authorize<C, E> {
    async fn authorize(&self, caller: &C, permission: &Permission, body: Option<&serde_json::Value>) -> Result<(), E>;
}

/// A cookie's value among the request's `Cookie` headers (read directly:
/// poem's cookie jar needs a middleware the surfaces do not use).
pub fn cookie(request: &poem::Request, name: &str) -> Option<String> {
    request
        .headers()
        .get_all(poem::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"').to_owned())
}

/// A chunked `application/json` body of `lines`, each written by `write`
/// and a newline as it comes.
pub fn json_lines_response(
    status: StatusCode,
    lines: futures_util::stream::BoxStream<'static, serde_json::Value>,
    write: fn(&serde_json::Value) -> String,
) -> Response {
    use futures_util::StreamExt;
    let chunks = lines.map(move |line| Ok::<_, std::io::Error>(bytes::Bytes::from(write(&line) + "\n")));
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "application/json")
        .body(poem::Body::from_bytes_stream(chunks))
}

pub fn json_response(status: StatusCode, value: &serde_json::Value) -> Response {
    Response::builder().status(status).header(CONTENT_TYPE, "application/json; charset=utf-8").body(value.to_string())
}

pub fn xml_response(status: StatusCode, xml: String) -> Response {
    Response::builder().status(status).header(CONTENT_TYPE, "application/xml; charset=utf-8").body(xml)
}

/// How an XML encoder writes quotes in text: Rails' Builder uses named
/// entities, Go's encoding/xml numeric ones.
#[derive(Clone, Copy, PartialEq)]
pub enum XmlQuotes {
    Named,
    Numeric,
}

/// Escapes text for an XML element body.
pub fn xml_escape(text: &str, quotes: XmlQuotes) -> String {
    let (apostrophe, quote) = match quotes {
        XmlQuotes::Named => ("&apos;", "&quot;"),
        XmlQuotes::Numeric => ("&#39;", "&#34;"),
    };
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str(quote),
            '\'' => out.push_str(apostrophe),
            // Go's EscapeString also escapes these, and replaces characters
            // XML cannot carry.
            '\t' if quotes == XmlQuotes::Numeric => out.push_str("&#x9;"),
            '\n' if quotes == XmlQuotes::Numeric => out.push_str("&#xA;"),
            '\r' if quotes == XmlQuotes::Numeric => out.push_str("&#xD;"),
            c if quotes == XmlQuotes::Numeric && (c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}') => {
                out.push('\u{FFFD}')
            }
            c => out.push(c),
        }
    }
    out
}

/// Escapes `<`, `>`, `&` and U+2028/2029 in serialized JSON as `\uXXXX`,
/// as Go's encoder and Rails do. They only occur inside strings, so
/// escaping the text is exact.
pub fn escape_markup_in_json(text: String) -> String {
    if !text.contains(['&', '<', '>', '\u{2028}', '\u{2029}']) {
        return text;
    }
    text.replace('&', "\\u0026")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// What Go's gorilla/mux answers for a path it does not route (a plain
/// 404 page) or a method it does not (an empty 405).
pub fn gorilla_unmatched(method_not_allowed: bool) -> Response {
    if method_not_allowed {
        return Response::builder().status(StatusCode::METHOD_NOT_ALLOWED).finish();
    }
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .header(CONTENT_TYPE, "text/plain; charset=utf-8")
        .header("x-content-type-options", "nosniff")
        .body("404 page not found\n")
}

mod constraints;
mod extract;
mod go_json;

pub use constraints::{Constrained, ShownValue, Violation, check};
pub use extract::{
    Deferred, DeferredJson, FormPairs, LenientJson, MultipartBody, MultipartPart, MultipartParts, OptionalJson,
    RawQuery, Refused, form_urlencoded_pairs, json_request_meta,
};
pub use go_json::{
    CanonicalKeys, Canonicalizer, FieldKeys, GoEnum, Mismatch, canonicalize_keys, go_camel_case, go_enum, go_sets,
    is_zero,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escape_covers_markup() {
        assert_eq!(xml_escape("a<b>&\"'", XmlQuotes::Named), "a&lt;b&gt;&amp;&quot;&apos;");
        assert_eq!(xml_escape("\"'", XmlQuotes::Numeric), "&#34;&#39;");
        assert_eq!(xml_escape("a\tb\nc\rd\u{1}", XmlQuotes::Numeric), "a&#x9;b&#xA;c&#xD;d\u{FFFD}");
    }
}
