//! Request bodies read as MC's echo binder reads them: an empty body is
//! refused (or, for show operations, means "no filter"), JSON or a
//! urlencoded form only (else 415), keys matched as Go's encoding/json
//! matches them, and Go's decode errors in MC's words.

use poem_openapi::types::ParseFromJSON;

use super::errors::McError;
use crate::wire::{CanonicalKeys, Deferred, Mismatch, Refused, form_urlencoded_pairs, json_request_meta};

/// A body of type `T`; `EchoJson<Option<T>>` for optional bodies.
pub struct EchoJson<T>(pub T);

impl<'a, T: ParseFromJSON + CanonicalKeys> poem_openapi::ApiExtractor<'a> for EchoJson<T> {
    const TYPES: &'static [poem_openapi::ApiExtractorType] = &[poem_openapi::ApiExtractorType::RequestObject];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut poem_openapi::registry::Registry) {
        <poem_openapi::payload::Json<T> as poem_openapi::payload::Payload>::register(registry);
    }

    fn request_meta() -> Option<poem_openapi::registry::MetaRequest> {
        json_request_meta::<T>(T::IS_REQUIRED)
    }

    async fn from_request(
        request: &'a poem::Request,
        body: &mut poem::RequestBody,
        _param_opts: poem_openapi::ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        decode(request, body).await.map(Self).map_err(Into::into)
    }
}

/// A body bound as `EchoJson` binds it, its refusal kept for the handler
/// (`x-steward-deferred-body`: MC's federation handlers find the partner
/// before they bind).
pub struct EchoDeferred<T>(pub Deferred<T>);

impl<'a, T: ParseFromJSON + CanonicalKeys> poem_openapi::ApiExtractor<'a> for EchoDeferred<T> {
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
        request: &'a poem::Request,
        body: &mut poem::RequestBody,
        _param_opts: poem_openapi::ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let bound = decode(request, body).await;
        Ok(Self(bound.map_err(|refused| Refused { status: refused.status, message: refused.message })))
    }
}

/// Go's net/http: a request without Content-Length or chunked encoding
/// has an empty body.
fn declares_empty_body(request: &poem::Request) -> bool {
    let length = request.header("content-length").map(str::trim);
    match length {
        Some(length) => length == "0",
        None => request.header("transfer-encoding").is_none(),
    }
}

async fn decode<T: ParseFromJSON + CanonicalKeys>(
    request: &poem::Request,
    body: &mut poem::RequestBody,
) -> Result<T, McError> {
    if declares_empty_body(request) {
        // Show operations skip binding an empty body: no filter.
        return match T::IS_REQUIRED {
            true => Err(McError::bad_request("Request body can't be empty")),
            false => T::parse_from_json(None).map_err(|e| McError::bad_request(e.into_message())),
        };
    }
    let content_type = request.content_type().unwrap_or("");
    let bytes = body.take().map_err(|e| McError::bad_request(e.to_string()))?.into_bytes().await.map_err(|e| {
        let error = poem::Error::from(e);
        McError::new(error.status(), error.to_string())
    })?;
    let json = content_type.starts_with("application/json");
    let mut value = if json {
        serde_json::from_slice(&bytes).map_err(|e| McError::bad_request(syntax_error(&bytes, &e)))?
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        let fields = form_urlencoded_pairs(&bytes).into_iter().map(|(k, v)| (k, serde_json::Value::String(v)));
        serde_json::Value::Object(fields.collect())
    } else {
        return Err(McError::unsupported_media_type());
    };
    T::canonicalize(&mut value).map_err(|mismatch| match json {
        true => McError::bad_request(unmarshal_error_at(&bytes, &mismatch)),
        false => McError::bad_request(unmarshal_error(&mismatch, None)),
    })?;
    if let Some((key, object)) = T::unknown_key(&value) {
        // MC's show filters map keys onto database columns.
        return Err(McError::bad_request(format!(
            "Failed to parse input data: JSON field {key} not found in database object {object}"
        )));
    }
    T::parse_from_json(Some(value))
        .map_err(|e| McError::bad_request(format!("Invalid JSON data: Unmarshal error: {}", e.into_message())))
}

/// `Invalid JSON data: Syntax error at offset N, <Go's message>`, where
/// Go's offset counts the bytes read up to and including the bad one.
pub fn syntax_error(bytes: &[u8], error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    if error.classify() == Category::Eof {
        return format!("Invalid JSON data: Syntax error at offset {}, unexpected end of JSON input", bytes.len());
    }
    let index = byte_index(bytes, error.line(), error.column());
    let found = bytes.get(index).map(|&b| b as char).unwrap_or(' ');
    let text = error.to_string();
    let context = if text.starts_with("key must be a string") {
        "looking for beginning of object key string"
    } else if text.starts_with("expected `:`") {
        "after object key"
    } else if text.starts_with("expected `,` or `}`") {
        "after object key:value pair"
    } else if text.starts_with("expected `,` or `]`") {
        "after array element"
    } else if text.starts_with("trailing characters") {
        "after top-level value"
    } else {
        "looking for beginning of value"
    };
    format!("Invalid JSON data: Syntax error at offset {}, invalid character '{found}' {context}", index + 1)
}

/// serde_json's 1-based line and column as a byte index.
fn byte_index(bytes: &[u8], line: usize, column: usize) -> usize {
    let line_start: usize = bytes.split(|&b| b == b'\n').take(line.saturating_sub(1)).map(|l| l.len() + 1).sum();
    (line_start + column.saturating_sub(1)).min(bytes.len().saturating_sub(1))
}

/// Go's kind-mismatch message for a JSON body.
pub fn unmarshal_error_at(bytes: &[u8], mismatch: &Mismatch) -> String {
    unmarshal_error(mismatch, offset_after(bytes, &mismatch.field))
}

/// Where Go's decoder stood when it refused the top-level `Type.Field`:
/// just past a literal value, just inside an array or object. `None` for
/// nested fields.
fn offset_after(bytes: &[u8], field: &str) -> Option<usize> {
    let (_, name) = field.split_once('.').filter(|(_, name)| !name.contains('.'))?;
    let fields: std::collections::BTreeMap<String, &serde_json::value::RawValue> =
        serde_json::from_slice(bytes).ok()?;
    let raw =
        fields.get(name).or_else(|| fields.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, v)| v))?;
    let text = raw.get();
    let start = (text.as_ptr() as usize).checked_sub(bytes.as_ptr() as usize)?;
    Some(match text.as_bytes().first() {
        Some(b'[' | b'{') => start + 1,
        _ => start + text.len(),
    })
}

/// `Invalid JSON data: Unmarshal error: expected <Go kind>, but got <JSON
/// kind> for field "<Field>"[ at offset N]<help>`.
fn unmarshal_error(mismatch: &Mismatch, offset: Option<usize>) -> String {
    // An enum's own decoder failed: Go passes its error up without the
    // field or the offset, and MC adds the enum's values as help.
    if let Some(go) = mismatch.enumeration {
        let names = go.names;
        let numbers: Vec<String> = (0..names.len()).map(|n| go.number(n).to_string()).collect();
        return format!(
            "Invalid JSON data: Unmarshal error: expected {}, but got {} for field \"\", valid values are one of {}, or {}",
            mismatch.expected,
            mismatch.found,
            names.join(", "),
            numbers.join(", ")
        );
    }
    let field = mismatch.field.rsplit('.').next().unwrap_or(&mismatch.field);
    let (kind, help) = match mismatch.expected {
        "bool" => ("bool", ", valid values are true, false"),
        "int64" | "int32" => ("int", ""),
        "array" => ("slice", ""),
        "object" => ("struct", ""),
        other => (other, ""),
    };
    let at = offset.filter(|&n| n != 0).map(|n| format!(" at offset {n}")).unwrap_or_default();
    format!(
        "Invalid JSON data: Unmarshal error: expected {kind}, but got {} for field \"{field}\"{at}{help}",
        mismatch.found
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syntax(text: &str) -> String {
        let error = serde_json::from_str::<serde_json::Value>(text).unwrap_err();
        syntax_error(text.as_bytes(), &error)
    }

    #[test]
    fn syntax_errors_read_as_go_writes_them() {
        assert_eq!(
            syntax("{bad"),
            "Invalid JSON data: Syntax error at offset 2, invalid character 'b' looking for beginning of object key string"
        );
        assert_eq!(syntax("{\"a\":1"), "Invalid JSON data: Syntax error at offset 6, unexpected end of JSON input");
        assert_eq!(
            syntax("{\"a\":1}x"),
            "Invalid JSON data: Syntax error at offset 8, invalid character 'x' after top-level value"
        );
    }

    #[test]
    fn kind_mismatches_name_the_field() {
        let mismatch = Mismatch {
            found: "string".into(),
            expected: "bool",
            field: "CreateUser.EnableTOTP".into(),
            enumeration: None,
        };
        let body = br#"{"EnableTOTP":"yes"}"#;
        assert_eq!(offset_after(body, "CreateUser.EnableTOTP"), Some(19));
        assert_eq!(
            unmarshal_error(&mismatch, offset_after(body, "CreateUser.EnableTOTP")),
            "Invalid JSON data: Unmarshal error: expected bool, but got string for field \"EnableTOTP\" at offset 19, valid values are true, false"
        );
        assert_eq!(offset_after(br#"{"a": 1, "enabletotp": [true]}"#, "CreateUser.EnableTOTP"), Some(24));
        assert_eq!(offset_after(body, "CreateUser.verify.email"), None);
        assert_eq!(
            unmarshal_error(&mismatch, None),
            "Invalid JSON data: Unmarshal error: expected bool, but got string for field \"EnableTOTP\", valid values are true, false"
        );
    }
}
