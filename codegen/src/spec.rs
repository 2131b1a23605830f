//! The subset of OpenAPI 3.0 that Steward's hand-written specs use, read
//! with serde. Schemas stay as JSON values: they are recursive and the
//! generator only needs a handful of their keywords.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::Error;

#[derive(Debug, Deserialize)]
pub struct Document {
    pub openapi: String,
    pub paths: BTreeMap<String, PathItem>,
    #[serde(default)]
    pub components: Components,
    #[serde(default)]
    pub security: Vec<BTreeMap<String, Vec<String>>>,
    /// How the surface binds to Rust: the handler trait's name and the
    /// hand-written types the generated code delegates to.
    #[serde(rename = "x-steward")]
    pub binding: Binding,
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

#[derive(Debug, Default, Deserialize)]
pub struct Components {
    #[serde(default)]
    pub schemas: BTreeMap<String, Value>,
    #[serde(default)]
    pub parameters: BTreeMap<String, Parameter>,
    #[serde(default)]
    pub responses: BTreeMap<String, Response>,
    #[serde(default, rename = "requestBodies")]
    pub request_bodies: BTreeMap<String, RequestBody>,
}

#[derive(Debug, Default, Deserialize)]
pub struct PathItem {
    pub get: Option<Operation>,
    pub put: Option<Operation>,
    pub post: Option<Operation>,
    pub delete: Option<Operation>,
    pub patch: Option<Operation>,
    #[serde(default)]
    pub parameters: Vec<Referable<Parameter>>,
}

impl PathItem {
    pub fn operations(&self) -> impl Iterator<Item = (&'static str, &Operation)> {
        [("get", &self.get), ("put", &self.put), ("post", &self.post), ("delete", &self.delete), ("patch", &self.patch)]
            .into_iter()
            .filter_map(|(method, op)| op.as_ref().map(|op| (method, op)))
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    pub operation_id: Option<String>,
    #[serde(default)]
    pub parameters: Vec<Referable<Parameter>>,
    pub request_body: Option<Referable<RequestBody>>,
    pub responses: BTreeMap<String, Referable<Response>>,
    pub security: Option<Vec<BTreeMap<String, Vec<String>>>>,
    /// The handler also gets the query string as sent, for originals that
    /// read parameters their own way (case-insensitive, unknown-key errors).
    #[serde(default, rename = "x-steward-raw-query")]
    pub raw_query: bool,
    #[serde(default)]
    pub tags: Vec<String>,
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
    /// refusal gives them, each at a JSON pointer into the body; a request
    /// giving one a non-zero value is refused before the permission check.
    #[serde(default, rename = "x-steward-internal-fields")]
    pub internal_fields: serde_json::Map<String, Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamLines {
    /// The line schema's property that carries the handler's items.
    pub field: String,
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

#[derive(Debug, Clone, Deserialize)]
pub struct Parameter {
    pub name: String,
    #[serde(rename = "in")]
    pub location: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub schema: Value,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RequestBody {
    #[serde(default)]
    pub required: bool,
    pub content: BTreeMap<String, MediaType>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Response {
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub content: BTreeMap<String, MediaType>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MediaType {
    #[serde(default)]
    pub schema: Value,
}

/// Either an inline object or a `$ref` to one under `components`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Referable<T> {
    Ref {
        #[serde(rename = "$ref")]
        reference: String,
    },
    Inline(T),
}

impl<T: Clone> Referable<T> {
    pub fn resolve<'a>(&'a self, prefix: &str, table: &'a BTreeMap<String, T>) -> Result<&'a T, Error> {
        match self {
            Referable::Inline(value) => Ok(value),
            Referable::Ref { reference } => reference
                .strip_prefix(prefix)
                .and_then(|name| table.get(name))
                .ok_or_else(|| Error::Unresolved(reference.clone())),
        }
    }
}

pub fn parse(yaml: &str) -> Result<Document, Error> {
    let document: Document = serde_yaml_ng::from_str(yaml).map_err(|e| Error::Parse(e.to_string()))?;
    if !document.openapi.starts_with("3.0") {
        return Err(Error::Unsupported(format!("openapi version {} (only 3.0.x)", document.openapi)));
    }
    Ok(document)
}

/// The spec as JSON, for serving beside the YAML without parsing at run time.
pub fn to_json(yaml: &str) -> Result<String, Error> {
    let value: Value = serde_yaml_ng::from_str(yaml).map_err(|e| Error::Parse(e.to_string()))?;
    serde_json::to_string_pretty(&value).map_err(|e| Error::Parse(e.to_string()))
}
