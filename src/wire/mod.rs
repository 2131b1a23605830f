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

mod extract;
mod go_json;

pub use extract::{FormPairs, LenientJson, OptionalJson, RawQuery, form_urlencoded_pairs, json_request_meta};
pub use go_json::{CanonicalKeys, Canonicalizer, FieldKeys, Mismatch, canonicalize_keys};

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
