//! Regional request bodies, read as MC's `ReadConn` reads them: the raw
//! body decoded with Go's encoding/json whatever the Content-Type, an
//! empty body a syntax error, keys matched case-insensitively and unknown
//! keys ignored.

use poem_openapi::types::ParseFromJSON;

use super::super::body::{syntax_error, unmarshal_error_at};
use super::super::errors::McError;
use crate::wire::{CanonicalKeys, json_request_meta};

pub struct RegionalJson<T>(pub T);

impl<'a, T: ParseFromJSON + CanonicalKeys> poem_openapi::ApiExtractor<'a> for RegionalJson<T> {
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
        decode(body).await.map(Self).map_err(Into::into)
    }
}

async fn decode<T: ParseFromJSON + CanonicalKeys>(body: &mut poem::RequestBody) -> Result<T, McError> {
    let bytes = body.take().map_err(|e| McError::bad_request(e.to_string()))?.into_bytes().await.map_err(|e| {
        let error = poem::Error::from(e);
        McError::new(error.status(), error.to_string())
    })?;
    let mut value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| McError::bad_request(syntax_error(&bytes, &e)))?;
    // Go decodes `null` into a struct as nothing at all.
    if value.is_null() {
        value = serde_json::Value::Object(serde_json::Map::new());
    }
    T::canonicalize(&mut value).map_err(|mismatch| McError::bad_request(unmarshal_error_at(&bytes, &mismatch)))?;
    T::parse_from_json(Some(value))
        .map_err(|e| McError::bad_request(format!("Invalid JSON data: Unmarshal error: {}", e.into_message())))
}
