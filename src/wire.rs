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

/// Escapes text for an XML element body.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
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

/// Renames an object's keys to the wire names of a generated type the way
/// Go's encoding/json matches them: an exact match first, else the first
/// field equal ignoring ASCII case. Later duplicates overwrite earlier ones,
/// as in Go. Generated types implement it; primitives do nothing.
pub trait CanonicalKeys {
    fn canonicalize(_value: &mut serde_json::Value) {}
}

macro_rules! no_keys {
    ($($ty:ty),*) => { $(impl CanonicalKeys for $ty {})* };
}
no_keys!(String, bool, i32, i64, f32, f64, serde_json::Value);

impl<T: CanonicalKeys> CanonicalKeys for Vec<T> {
    fn canonicalize(value: &mut serde_json::Value) {
        if let serde_json::Value::Array(items) = value {
            items.iter_mut().for_each(T::canonicalize);
        }
    }
}

impl<T: CanonicalKeys> CanonicalKeys for Option<T> {
    fn canonicalize(value: &mut serde_json::Value) {
        T::canonicalize(value);
    }
}

impl<T: CanonicalKeys> CanonicalKeys for std::collections::BTreeMap<String, T> {
    fn canonicalize(value: &mut serde_json::Value) {
        if let serde_json::Value::Object(map) = value {
            map.values_mut().for_each(T::canonicalize);
        }
    }
}

/// A field's wire name and how to canonicalize its value.
pub type FieldKeys<'a> = (&'a str, fn(&mut serde_json::Value));

pub fn canonicalize_keys(value: &mut serde_json::Value, fields: &[FieldKeys<'_>]) {
    let serde_json::Value::Object(map) = value else { return };
    let entries = std::mem::take(map);
    for (key, mut item) in entries {
        let field = fields
            .iter()
            .find(|(name, _)| *name == key)
            .or_else(|| fields.iter().find(|(name, _)| name.eq_ignore_ascii_case(&key)));
        match field {
            Some((name, nested)) => {
                nested(&mut item);
                map.insert((*name).to_owned(), item);
            }
            None => {
                map.insert(key, item);
            }
        }
    }
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
        let mut value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| malformed(e.to_string()))?;
        T::canonicalize(&mut value);
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
        assert_eq!(xml_escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
    }

    #[test]
    fn keys_match_like_go() {
        let fields: &[FieldKeys<'_>] = &[
            ("fullName", <String as CanonicalKeys>::canonicalize),
            ("email", <String as CanonicalKeys>::canonicalize),
        ];
        let mut value = serde_json::json!({"FULLNAME": "a", "Email": "x", "email": "y", "other": 1});
        canonicalize_keys(&mut value, fields);
        assert_eq!(value, serde_json::json!({"fullName": "a", "email": "y", "other": 1}));
    }

    #[test]
    fn form_pairs_keep_order_and_decode() {
        assert_eq!(
            form_urlencoded_pairs(b"usage=1+TB&rate=100&usage=2GB"),
            vec![("usage".into(), "1 TB".into()), ("rate".into(), "100".into()), ("usage".into(), "2GB".into())]
        );
    }
}
