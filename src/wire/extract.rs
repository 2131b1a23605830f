//! Request extractors the generated routes use where poem-openapi's own
//! payloads do not read a request the way an original does.

use super::go_json::CanonicalKeys;

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
        decode_lenient(&bytes)
            .map(Self)
            .map_err(|reason| poem_openapi::error::ParseRequestPayloadError { reason }.into())
    }
}

/// A JSON body decoded, or how it is refused: the handler decides when a
/// malformed body is refused (after its own earlier checks).
pub type Deferred<T> = Result<T, Refused>;

/// How a surface's binder refuses a body: the status and the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    pub status: poem::http::StatusCode,
    pub message: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The extractor behind an operation's `x-steward-deferred-body` (unless
/// its surface names its own): decodes as `LenientJson` decodes, a
/// refusal being 400 with the decoder's reason; never refuses a body it
/// read, only one it could not read (over the limit).
pub struct DeferredJson<T>(pub Deferred<T>);

impl<'a, T: poem_openapi::types::ParseFromJSON + CanonicalKeys> poem_openapi::ApiExtractor<'a> for DeferredJson<T> {
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
        let refused = |message| Refused { status: poem::http::StatusCode::BAD_REQUEST, message };
        Ok(Self(decode_lenient(&bytes).map_err(refused)))
    }
}

/// Go's encoding/json reading of `bytes` into `T` (see `LenientJson`).
fn decode_lenient<T: poem_openapi::types::ParseFromJSON + CanonicalKeys>(bytes: &[u8]) -> Result<T, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("unexpected end of JSON input".to_owned());
    }
    let mut value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    T::canonicalize(&mut value).map_err(|mismatch| mismatch.to_string())?;
    T::parse_from_json(Some(value)).map_err(|e| e.into_message())
}

pub fn json_request_meta<T: poem_openapi::types::ParseFromJSON>(
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

/// A `multipart/form-data` body as its parts, in order: each part's name,
/// its file name when it carries one, and its content as text (empty when
/// there is no multipart body, or none that can be read, as Go's
/// `PostFormValue` reads one).
#[derive(Debug, Clone, Default)]
pub struct MultipartParts(pub Vec<MultipartPart>);

/// The extractor of a `multipart/form-data` body (see `MultipartParts`).
pub struct MultipartBody(pub MultipartParts);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultipartPart {
    pub name: String,
    pub file_name: Option<String>,
    pub value: String,
}

impl MultipartParts {
    /// The first non-file part of that name's content, or `""` (Go's
    /// `PostFormValue`).
    pub fn value(&self, name: &str) -> &str {
        self.0.iter().find(|part| part.name == name && part.file_name.is_none()).map_or("", |part| part.value.as_str())
    }

    /// Whether a file was sent in a part of that name (Go's `FormFile`).
    pub fn has_file(&self, name: &str) -> bool {
        self.0.iter().any(|part| part.name == name && part.file_name.is_some())
    }
}

impl<'a> poem_openapi::ApiExtractor<'a> for MultipartBody {
    const TYPES: &'static [poem_openapi::ApiExtractorType] = &[poem_openapi::ApiExtractorType::RequestObject];

    type ParamType = ();
    type ParamRawType = ();

    fn request_meta() -> Option<poem_openapi::registry::MetaRequest> {
        Some(poem_openapi::registry::MetaRequest {
            description: None,
            content: vec![poem_openapi::registry::MetaMediaType {
                content_type: "multipart/form-data",
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
        let is_multipart = request.content_type().is_some_and(|ct| {
            ct.split(';').next().is_some_and(|media| media.trim().eq_ignore_ascii_case("multipart/form-data"))
        });
        if !is_multipart {
            return Ok(Self(MultipartParts::default()));
        }
        // Go's ParseMultipartForm errors are ignored by its callers: what
        // was read stays, the rest is as if not sent.
        let mut parts = Vec::new();
        let Ok(mut multipart) = <poem::web::Multipart as poem::FromRequest>::from_request(request, body).await else {
            return Ok(Self(MultipartParts(parts)));
        };
        while let Ok(Some(field)) = multipart.next_field().await {
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let Ok(bytes) = field.bytes().await else { break };
            parts.push(MultipartPart { name, file_name, value: String::from_utf8_lossy(&bytes).into_owned() });
        }
        Ok(Self(MultipartParts(parts)))
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

pub fn form_urlencoded_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_pairs_keep_order_and_decode() {
        assert_eq!(
            form_urlencoded_pairs(b"usage=1+TB&rate=100&usage=2GB"),
            vec![("usage".into(), "1 TB".into()), ("rate".into(), "100".into()), ("usage".into(), "2GB".into())]
        );
    }
}
