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
#[derive(Clone, Copy)]
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

/// A JSON request body that may be absent (no Content-Type): poem-openapi
/// only has required payloads, and several originals accept a POST with
/// its parameters in the query alone.
pub struct OptionalJson<T>(pub Option<T>);

impl<'a, T: poem_openapi::types::ParseFromJSON> poem_openapi::ApiExtractor<'a> for OptionalJson<T> {
    const TYPES: &'static [poem_openapi::ApiExtractorType] = &[poem_openapi::ApiExtractorType::RequestObject];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut poem_openapi::registry::Registry) {
        <poem_openapi::payload::Json<T> as poem_openapi::payload::Payload>::register(registry);
    }

    fn request_meta() -> Option<poem_openapi::registry::MetaRequest> {
        json_request_meta::<T>(false)
    }

    async fn from_request(
        request: &'a poem::Request,
        body: &mut poem::RequestBody,
        _param_opts: poem_openapi::ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        use poem_openapi::payload::{Json, ParsePayload, Payload};
        match request.content_type() {
            None => Ok(Self(None)),
            Some(content_type) if <Json<T> as Payload>::check_content_type(content_type) => {
                let Json(value) = <Json<T> as ParsePayload>::from_request(request, body).await?;
                Ok(Self(Some(value)))
            }
            Some(content_type) => {
                Err(poem_openapi::error::ContentTypeError::NotSupported { content_type: content_type.to_owned() }
                    .into())
            }
        }
    }
}

/// Decodes JSON the way Go's encoding/json does before a generated type
/// parses it: object keys are renamed to the type's wire names (an exact
/// match first, else the first equal ignoring ASCII case; later duplicates
/// win), and a value of the wrong JSON kind is refused (poem-openapi would
/// quietly turn a number into a string). `null` is always accepted.
pub trait CanonicalKeys {
    fn canonicalize(_value: &mut serde_json::Value) -> Result<(), Mismatch> {
        Ok(())
    }
}

/// A value whose JSON kind does not fit its field, in Go's words.
#[derive(Debug, PartialEq)]
pub struct Mismatch {
    pub found: &'static str,
    pub expected: &'static str,
    /// `Type.field`, filled in by the enclosing object.
    pub field: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "json: cannot unmarshal {} into Go struct field {} of type {}", self.found, self.field, self.expected)
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

fn expect(value: &serde_json::Value, fits: bool, expected: &'static str) -> Result<(), Mismatch> {
    if fits || value.is_null() {
        Ok(())
    } else {
        Err(Mismatch { found: json_kind(value), expected, field: String::new() })
    }
}

impl CanonicalKeys for String {
    fn canonicalize(value: &mut serde_json::Value) -> Result<(), Mismatch> {
        expect(value, value.is_string(), "string")
    }
}

impl CanonicalKeys for bool {
    fn canonicalize(value: &mut serde_json::Value) -> Result<(), Mismatch> {
        expect(value, value.is_boolean(), "bool")
    }
}

macro_rules! integer_keys {
    ($($ty:ty => $go:literal),*) => {$(
        impl CanonicalKeys for $ty {
            fn canonicalize(value: &mut serde_json::Value) -> Result<(), Mismatch> {
                expect(value, value.is_i64() || value.is_u64(), $go)
            }
        }
    )*};
}
integer_keys!(i32 => "int32", i64 => "int64");

macro_rules! float_keys {
    ($($ty:ty => $go:literal),*) => {$(
        impl CanonicalKeys for $ty {
            fn canonicalize(value: &mut serde_json::Value) -> Result<(), Mismatch> {
                expect(value, value.is_number(), $go)
            }
        }
    )*};
}
float_keys!(f32 => "float32", f64 => "float64");

impl CanonicalKeys for serde_json::Value {}

impl<T: CanonicalKeys> CanonicalKeys for Vec<T> {
    fn canonicalize(value: &mut serde_json::Value) -> Result<(), Mismatch> {
        match value {
            serde_json::Value::Array(items) => items.iter_mut().try_for_each(T::canonicalize),
            other => expect(other, false, "array"),
        }
    }
}

impl<T: CanonicalKeys> CanonicalKeys for Option<T> {
    fn canonicalize(value: &mut serde_json::Value) -> Result<(), Mismatch> {
        T::canonicalize(value)
    }
}

impl<T: CanonicalKeys> CanonicalKeys for std::collections::BTreeMap<String, T> {
    fn canonicalize(value: &mut serde_json::Value) -> Result<(), Mismatch> {
        match value {
            serde_json::Value::Object(map) => map.values_mut().try_for_each(T::canonicalize),
            other => expect(other, false, "map"),
        }
    }
}

/// How one field's value is canonicalized.
pub type Canonicalizer = fn(&mut serde_json::Value) -> Result<(), Mismatch>;

/// A field's wire name and how to canonicalize its value.
pub type FieldKeys<'a> = (&'a str, Canonicalizer);

/// The object step of [`CanonicalKeys`] for a generated type named `type_name`.
pub fn canonicalize_keys(
    value: &mut serde_json::Value,
    type_name: &str,
    fields: &[FieldKeys<'_>],
) -> Result<(), Mismatch> {
    let map = match value {
        serde_json::Value::Object(map) => map,
        other => return expect(other, false, "object"),
    };
    let entries = std::mem::take(map);
    for (key, mut item) in entries {
        let field = fields
            .iter()
            .find(|(name, _)| *name == key)
            .or_else(|| fields.iter().find(|(name, _)| name.eq_ignore_ascii_case(&key)));
        match field {
            Some((name, nested)) => {
                nested(&mut item).map_err(|mut mismatch| {
                    mismatch.field = if mismatch.field.is_empty() {
                        format!("{type_name}.{name}")
                    } else {
                        format!("{type_name}.{name}.{}", mismatch.field.split_once('.').map_or("", |(_, f)| f))
                    };
                    mismatch
                })?;
                map.insert((*name).to_owned(), item);
            }
            None => {
                map.insert(key, item);
            }
        }
    }
    Ok(())
}

/// A JSON body decoded as Go's encoding/json decodes it: whatever the
/// Content-Type, keys matched case-insensitively, unknown keys ignored.
pub struct LenientJson<T>(pub T);

impl<'a, T: poem_openapi::types::ParseFromJSON + CanonicalKeys> poem_openapi::ApiExtractor<'a> for LenientJson<T> {
    const TYPES: &'static [poem_openapi::ApiExtractorType] = &[poem_openapi::ApiExtractorType::RequestObject];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut poem_openapi::registry::Registry) {
        <poem_openapi::payload::Json<T> as poem_openapi::payload::Payload>::register(registry);
    }

    fn request_meta() -> Option<poem_openapi::registry::MetaRequest> {
        json_request_meta::<T>(true)
    }

    async fn from_request(
        _request: &'a poem::Request,
        body: &mut poem::RequestBody,
        _param_opts: poem_openapi::ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let bytes = body.take()?.into_bytes().await?;
        let malformed = |reason: String| poem_openapi::error::ParseRequestPayloadError { reason };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(malformed("unexpected end of JSON input".to_owned()).into());
        }
        let mut value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| malformed(e.to_string()))?;
        T::canonicalize(&mut value).map_err(|mismatch| malformed(mismatch.to_string()))?;
        T::parse_from_json(Some(value)).map(Self).map_err(|e| malformed(e.into_message()).into())
    }
}

fn json_request_meta<T: poem_openapi::types::ParseFromJSON>(
    required: bool,
) -> Option<poem_openapi::registry::MetaRequest> {
    use poem_openapi::payload::{Json, Payload};
    Some(poem_openapi::registry::MetaRequest {
        description: None,
        content: vec![poem_openapi::registry::MetaMediaType {
            content_type: <Json<T> as Payload>::CONTENT_TYPE,
            schema: <Json<T> as Payload>::schema_ref(),
        }],
        required,
    })
}

/// An `application/x-www-form-urlencoded` body as the pairs sent, in order
/// (empty when there is no form body).
pub struct FormPairs(pub Vec<(String, String)>);

impl<'a> poem_openapi::ApiExtractor<'a> for FormPairs {
    const TYPES: &'static [poem_openapi::ApiExtractorType] = &[poem_openapi::ApiExtractorType::RequestObject];

    type ParamType = ();
    type ParamRawType = ();

    fn request_meta() -> Option<poem_openapi::registry::MetaRequest> {
        Some(poem_openapi::registry::MetaRequest {
            description: None,
            content: vec![poem_openapi::registry::MetaMediaType {
                content_type: "application/x-www-form-urlencoded",
                schema: poem_openapi::registry::MetaSchemaRef::Inline(Box::new(
                    poem_openapi::registry::MetaSchema::new("object"),
                )),
            }],
            required: false,
        })
    }

    async fn from_request(
        request: &'a poem::Request,
        body: &mut poem::RequestBody,
        _param_opts: poem_openapi::ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let is_form = request.content_type().is_some_and(|ct| {
            ct.split(';')
                .next()
                .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
        });
        if !is_form {
            return Ok(Self(Vec::new()));
        }
        let bytes = body.take()?.into_bytes().await?;
        Ok(Self(form_urlencoded_pairs(&bytes)))
    }
}

/// The query string exactly as sent.
#[derive(Debug, Clone)]
pub struct RawQuery(pub String);

impl RawQuery {
    pub fn pairs(&self) -> Vec<(String, String)> {
        form_urlencoded_pairs(self.0.as_bytes())
    }
}

impl<'a> poem::FromRequest<'a> for RawQuery {
    async fn from_request(request: &'a poem::Request, _body: &mut poem::RequestBody) -> poem::Result<Self> {
        Ok(Self(request.uri().query().unwrap_or("").to_owned()))
    }
}

fn form_urlencoded_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escape_covers_markup() {
        assert_eq!(xml_escape("a<b>&\"'", XmlQuotes::Named), "a&lt;b&gt;&amp;&quot;&apos;");
        assert_eq!(xml_escape("\"'", XmlQuotes::Numeric), "&#34;&#39;");
    }

    #[test]
    fn keys_match_like_go() {
        let fields: &[FieldKeys<'_>] = &[
            ("fullName", <String as CanonicalKeys>::canonicalize),
            ("email", <String as CanonicalKeys>::canonicalize),
            ("limit", <Option<i64> as CanonicalKeys>::canonicalize),
        ];
        let mut value = serde_json::json!({"FULLNAME": "a", "Email": "x", "email": "y", "other": 1, "limit": null});
        canonicalize_keys(&mut value, "CreateUser", fields).unwrap();
        assert_eq!(value, serde_json::json!({"fullName": "a", "email": "y", "other": 1, "limit": null}));
        let mut wrong = serde_json::json!({"email": 5});
        assert_eq!(
            canonicalize_keys(&mut wrong, "CreateUser", fields).unwrap_err().to_string(),
            "json: cannot unmarshal number into Go struct field CreateUser.email of type string"
        );
        let mut fraction = serde_json::json!({"limit": 2.5});
        assert!(canonicalize_keys(&mut fraction, "CreateUser", fields).is_err());
    }

    #[test]
    fn form_pairs_keep_order_and_decode() {
        assert_eq!(
            form_urlencoded_pairs(b"usage=1+TB&rate=100&usage=2GB"),
            vec![("usage".into(), "1 TB".into()), ("rate".into(), "100".into()), ("usage".into(), "2GB".into())]
        );
    }
}
