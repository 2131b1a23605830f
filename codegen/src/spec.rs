//! Steward's hand-written OpenAPI 3.0 documents, read through `openapiv3`'s
//! typed model (utoipa's is 3.1 and cannot read 3.0's `nullable` or keep
//! extensions faithfully). What the model leaves as JSON, the `x-steward*`
//! extensions, is read here into typed structs, so a misspelt or malformed
//! extension is refused rather than silently ignored.

use indexmap::IndexMap;
use openapiv3::{Components, OpenAPI, PathItem, ReferenceOr, SecurityRequirement};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Error;

/// A document as the generator walks it.
pub struct Document {
    /// Paths in lexical order, so the generated file does not depend on how
    /// the document happens to order them.
    pub paths: Vec<(String, PathItem)>,
    pub components: Components,
    /// The document-wide security requirements (none if absent).
    pub security: Vec<SecurityRequirement>,
    /// How the surface binds to Rust: the handler trait's name and the
    /// hand-written types the generated code delegates to.
    pub binding: Binding,
}

/// The document's `x-steward` extension.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentExtensions {
    #[serde(rename = "x-steward")]
    binding: Binding,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Binding {
    /// Name of the generated handler trait, e.g. `ScaleliteApi`.
    #[serde(rename = "trait")]
    pub trait_name: String,
    /// Path of the surface's error type; it implements `crate::wire::Wire`.
    pub error: String,
    /// Path of the `poem::FromRequest` type that authenticates a caller of
    /// an operation with a security requirement.
    pub caller: Option<String>,
    /// How JSON bodies are decoded: `strict` (poem-openapi's own: the
    /// Content-Type must be JSON, keys match exactly) or `lenient` (as Go's
    /// encoding/json: any Content-Type, keys match case-insensitively).
    #[serde(default)]
    pub json: JsonDecoding,
    /// A surface's own extractor for JSON bodies (`Extractor<T>`, or
    /// `Extractor<Option<T>>` for an optional body), where neither mode
    /// reads a request as the original's framework does.
    #[serde(default, rename = "json-extractor")]
    pub json_extractor: Option<String>,
    /// A surface's own extractor for `x-steward-deferred-body` bodies
    /// (`Extractor<T>`, holding a `crate::wire::Deferred<T>`), where the
    /// default `crate::wire::DeferredJson` does not refuse as the
    /// original's framework does.
    #[serde(default, rename = "deferred-extractor")]
    pub deferred_extractor: Option<String>,
    /// `per-tag`: one handler trait per tag (`<Tag>Api`), which the trait
    /// named above combines, so each resource's file implements its own.
    #[serde(default)]
    pub traits: TraitLayout,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TraitLayout {
    #[default]
    One,
    PerTag,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JsonDecoding {
    #[default]
    Strict,
    Lenient,
}

/// One operation of a path, with its `x-steward-*` extensions read.
pub struct Operation<'a> {
    pub method: &'static str,
    pub spec: &'a openapiv3::Operation,
    pub steward: OperationExtensions,
}

/// An operation's `x-steward-*` extensions.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationExtensions {
    /// The handler also gets the query string as sent, for originals that
    /// read parameters their own way (case-insensitive, unknown-key errors).
    #[serde(default, rename = "x-steward-raw-query")]
    pub raw_query: bool,
    /// The 200 answer is a stream of lines, each an instance of the 200
    /// schema; the handler yields the type of the named property per line.
    #[serde(default, rename = "x-steward-stream")]
    pub stream: Option<StreamLines>,
    /// What the caller needs, checked by the generated route before the
    /// handler runs.
    #[serde(default, rename = "x-steward-permission")]
    pub permission: Option<PermissionSpec>,
    /// This operation's own extractor for its JSON body, overriding the
    /// document's `json-extractor`.
    #[serde(default, rename = "x-steward-json-extractor")]
    pub json_extractor: Option<String>,
    /// Fields only the original's own services may set, by the name the
    /// refusal gives them, each at a JSON pointer into the body (or `{at,
    /// zero}` for an enum, whose zero is its first name); a request setting
    /// one (Go's sense) is refused before the permission check.
    #[serde(default, rename = "x-steward-internal-fields")]
    pub internal_fields: serde_json::Map<String, Value>,
    /// A JSON pointer to the object an update must carry (MC's
    /// `SetRegionObjFields`: `Invalid object data for <Kind>`), checked first.
    #[serde(default, rename = "x-steward-required-object")]
    pub required_object: Option<String>,
    /// The JSON body reaches the handler as `wire::Deferred<T>` (decoded,
    /// or why not), for originals that look things up before they read
    /// the body, so a lookup's refusal comes before a malformed body's.
    #[serde(default, rename = "x-steward-deferred-body")]
    pub deferred_body: bool,
    /// JSON pointers into the body naming the orgs the operation's audit
    /// event concerns. The generator only checks them; surfaces that record
    /// events (MC) read them from the served spec.
    #[serde(default, rename = "x-steward-event-orgs")]
    pub event_orgs: Vec<String>,
    /// The audit event's name where the original's handler is named
    /// otherwise than the operation (read by the surface, like event-orgs).
    #[serde(default, rename = "x-steward-event-name")]
    pub event_name: Option<String>,
    /// This operation's own caller type, overriding the document's, passed
    /// to the handler whatever the security requirement (for credentials
    /// the handler checks itself, such as an OAuth client's optional Basic
    /// authentication).
    #[serde(default, rename = "x-steward-caller")]
    pub caller: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamLines {
    /// The line schema's property that carries the handler's items; none:
    /// each line is an item.
    #[serde(default)]
    pub field: Option<String>,
    /// Lines go out as the handler produces them (`wire::LiveStream`),
    /// not collected first (`wire::Stream`).
    #[serde(default)]
    pub live: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, untagged)]
pub enum PermissionSpec {
    Grant {
        resource: String,
        action: String,
        /// JSON pointer into the request body, or "" for the empty org.
        org: String,
        #[serde(default, rename = "requires-org")]
        requires_org: Option<String>,
    },
    /// A show: the caller needs the permission in some org and sees the
    /// objects the named rule lets them see.
    Show {
        resource: String,
        action: String,
        visible: String,
    },
    Visibility {
        visibility: String,
    },
}

/// A named schema's `x-steward-*` extensions.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaExtensions {
    /// A key naming no field is refused, reported with this object's name.
    #[serde(default, rename = "x-steward-refuse-unknown-keys")]
    pub refuse_unknown_keys: Option<String>,
    /// A string enum decoded as Go's generated protobuf enums decode: by
    /// name in any case or spelling (with or without the common prefix),
    /// or by number (the value's position in `enum`).
    #[serde(default, rename = "x-steward-go-enum")]
    pub go_enum: Option<GoEnum>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoEnum {
    /// The prefix the original's names carry and the wire's leave out
    /// (`IpSupport` of `IpSupportDynamic`).
    #[serde(default)]
    pub prefix: String,
    /// The values' numbers, where they are not their positions (Go's
    /// `IpAccess` skips 2).
    #[serde(default)]
    pub numbers: Vec<i32>,
}

/// The `x-steward` extensions among an object's `x-` extensions, read as
/// `T`; other vendors' extensions are left alone. `place` names the object
/// in the error.
pub fn steward_extensions<T: DeserializeOwned>(extensions: &IndexMap<String, Value>, place: &str) -> Result<T, Error> {
    let ours: serde_json::Map<String, Value> = extensions
        .iter()
        .filter(|(key, _)| *key == "x-steward" || key.starts_with("x-steward-"))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    serde_json::from_value(Value::Object(ours)).map_err(|e| Error::Parse(format!("{place}: {e}")))
}

/// The operations of one path, in the order get, put, post, delete, patch.
pub fn operations<'a>(path: &str, item: &'a PathItem) -> Result<Vec<Operation<'a>>, Error> {
    let unsupported = [("options", &item.options), ("head", &item.head), ("trace", &item.trace)];
    if let Some((method, _)) = unsupported.iter().find(|(_, op)| op.is_some()) {
        return Err(Error::Unsupported(format!("{method} {path} (only get, put, post, delete and patch)")));
    }
    [("get", &item.get), ("put", &item.put), ("post", &item.post), ("delete", &item.delete), ("patch", &item.patch)]
        .into_iter()
        .filter_map(|(method, op)| op.as_ref().map(|op| (method, op)))
        .map(|(method, spec)| {
            let steward = steward_extensions(&spec.extensions, &format!("{method} {path}"))?;
            Ok(Operation { method, spec, steward })
        })
        .collect()
}

/// The object a `ReferenceOr` stands for: itself, or the entry of `table`
/// (a `components` map) its `$ref` names under `prefix`, following
/// references between components.
pub fn resolve<'a, T>(
    item: &'a ReferenceOr<T>,
    prefix: &str,
    table: &'a IndexMap<String, ReferenceOr<T>>,
) -> Result<&'a T, Error> {
    let mut current = item;
    // Each hop lands on a distinct entry unless the references loop.
    for _ in 0..=table.len() {
        match current {
            ReferenceOr::Item(value) => return Ok(value),
            ReferenceOr::Reference { reference } => {
                current = reference
                    .strip_prefix(prefix)
                    .and_then(|name| table.get(name))
                    .ok_or_else(|| Error::Unresolved(reference.clone()))?;
            }
        }
    }
    Err(Error::Unsupported(format!("a cycle of references under {prefix}")))
}

pub fn parse(yaml: &str) -> Result<Document, Error> {
    // Through a JSON value, as `to_json` reads the document: openapiv3's
    // model is written for JSON's data model (string keys).
    let value: Value = serde_yaml_ng::from_str(yaml).map_err(|e| Error::Parse(e.to_string()))?;
    // The version first: a 3.1 document may not even read as 3.0.
    if let Some(version) = value.get("openapi").and_then(Value::as_str)
        && !version.starts_with("3.0")
    {
        return Err(Error::Unsupported(format!("openapi version {version} (only 3.0.x)")));
    }
    let api: OpenAPI = serde_json::from_value(value).map_err(|e| Error::Parse(e.to_string()))?;
    let DocumentExtensions { binding } = steward_extensions(&api.extensions, "the document")?;
    let mut paths = Vec::with_capacity(api.paths.paths.len());
    for (path, item) in api.paths.paths {
        match item {
            ReferenceOr::Item(item) => paths.push((path, item)),
            ReferenceOr::Reference { reference } => {
                return Err(Error::Unsupported(format!("path item {path} by reference ({reference})")));
            }
        }
    }
    paths.sort_by(|(a, _), (b, _)| a.cmp(b));
    Ok(Document {
        paths,
        components: api.components.unwrap_or_default(),
        security: api.security.unwrap_or_default(),
        binding,
    })
}

/// The spec as JSON, for serving beside the YAML without parsing at run time.
/// Straight from the YAML, not through the typed model, which would drop or
/// reorder what it does not model.
pub fn to_json(yaml: &str) -> Result<String, Error> {
    let value: Value = serde_yaml_ng::from_str(yaml).map_err(|e| Error::Parse(e.to_string()))?;
    serde_json::to_string_pretty(&value).map_err(|e| Error::Parse(e.to_string()))
}
