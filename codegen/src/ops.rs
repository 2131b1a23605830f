//! Operations to Rust: per operation a request struct, a success enum, a
//! reply type carrying the spec's documented responses, a handler-trait
//! method and a poem-openapi route that delegates to it.

use openapiv3::{Parameter, ParameterSchemaOrContent, PathItem, ReferenceOr, RequestBody, StatusCode};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::Error;
use crate::spec::{Document, JsonDecoding, Operation, PermissionSpec, resolve};
use crate::types::{SCHEMA_PREFIX, ident, property, rust_type, type_ident};

/// Everything generated for one operation, spliced into the surface's file.
pub struct OperationCode {
    pub items: TokenStream,
    pub trait_method: TokenStream,
    pub route: TokenStream,
    /// The operation's first tag (its handler trait under `per-tag`).
    pub tag: Option<String>,
    pub checks_permission: bool,
}

struct Param<'a> {
    name: &'a str,
    location: Location,
    field: proc_macro2::Ident,
    ty: TokenStream,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Location {
    Path,
    Query,
    Header,
    Cookie,
}

impl Location {
    fn of(parameter: &Parameter) -> Self {
        match parameter {
            Parameter::Path { .. } => Location::Path,
            Parameter::Query { .. } => Location::Query,
            Parameter::Header { .. } => Location::Header,
            Parameter::Cookie { .. } => Location::Cookie,
        }
    }
}

pub fn operation(document: &Document, path: &str, item: &PathItem, op: &Operation) -> Result<OperationCode, Error> {
    let method = op.method;
    let op_id =
        op.spec.operation_id.as_deref().ok_or_else(|| Error::Missing(format!("operationId of {method} {path}")))?;
    let pascal = type_ident(op_id);
    let method_name = ident(op_id);
    let request_ty = format_ident!("{}Request", pascal);
    let response_ty = format_ident!("{}Response", pascal);
    let reply_ty = format_ident!("{}Reply", pascal);
    let error_ty: syn::Path = syn::parse_str(&document.binding.error)
        .map_err(|_| Error::Unsupported(format!("x-steward.error {}", document.binding.error)))?;

    let params = parameters(document, item, op, op_id)?;
    let body = match &op.spec.request_body {
        Some(body) => Some(request_body(
            resolve(body, "#/components/requestBodies/", &document.components.request_bodies)?,
            op_id,
            document.binding.json,
            op.steward.json_extractor.as_ref().or(document.binding.json_extractor.as_ref()),
            op.steward.deferred_body.then_some(document.binding.deferred_extractor.as_deref()),
        )?),
        None => None,
    };
    let caller_ty = caller(document, op)?;

    // Request struct: parameters then body, named as on the wire.
    let mut request_fields: Vec<TokenStream> = params
        .iter()
        .map(|p| {
            let (field, ty) = (&p.field, &p.ty);
            quote!(pub #field: #ty)
        })
        .collect();
    if let Some(body) = &body {
        let ty = &body.field_ty;
        request_fields.push(quote!(pub body: #ty));
    }
    if op.steward.raw_query {
        request_fields.push(quote!(pub raw_query: crate::wire::RawQuery));
    }
    let has_request = !request_fields.is_empty();
    let request_struct = has_request.then(|| {
        quote! {
            #[derive(Debug, Clone)]
            pub struct #request_ty { #(#request_fields),* }
        }
    });

    let responses = responses(document, op, op_id)?;
    // A 2xx documented only in another encoding (Scalelite's XML failures
    // answered with 200) is an error shape: the surface's error type sends
    // it, so it gets no success variant.
    let success = responses
        .iter()
        .filter(|r| (200..300).contains(&r.status.unwrap_or(0)))
        .filter(|r| r.payload.is_none() || r.has_json);
    let mut variants = Vec::new();
    let mut encode_arms = Vec::new();
    for response in success {
        let status = response.status.unwrap_or(200);
        let variant = status_variant(status);
        if let (200, Some(stream)) = (status, &op.steward.stream)
            && stream.live
        {
            let line = stream_item_type(document, op, op_id, stream.field.as_deref())?;
            variants.push(quote!(#variant(crate::wire::LiveStream<#line>)));
            encode_arms.push(quote! {
                Ok(#response_ty::#variant(stream)) => <#error_ty as crate::wire::Wire>::encode_live_stream(
                    poem::http::StatusCode::OK,
                    stream.into_json_lines(),
                )
            });
            continue;
        }
        if let (200, Some(stream)) = (status, &op.steward.stream) {
            let line = stream_item_type(document, op, op_id, stream.field.as_deref())?;
            variants.push(quote!(#variant(crate::wire::Stream<#line, #error_ty>)));
            encode_arms.push(quote! {
                Ok(#response_ty::#variant(stream)) => <#error_ty as crate::wire::Wire>::encode_stream(
                    poem::http::StatusCode::OK,
                    stream
                        .lines
                        .iter()
                        .map(|line| poem_openapi::types::ToJSON::to_json(line).unwrap_or_default())
                        .collect(),
                    stream.failure,
                )
            });
            continue;
        }
        match &response.payload {
            Some(ty) => {
                variants.push(quote!(#variant(#ty)));
                encode_arms.push(quote! {
                    Ok(#response_ty::#variant(body)) => <#error_ty as crate::wire::Wire>::encode(
                        poem::http::StatusCode::from_u16(#status).unwrap_or(poem::http::StatusCode::OK),
                        poem_openapi::types::ToJSON::to_json(&body),
                    )
                });
            }
            None => {
                variants.push(quote!(#variant));
                encode_arms.push(quote! {
                    Ok(#response_ty::#variant) => <#error_ty as crate::wire::Wire>::encode(
                        poem::http::StatusCode::from_u16(#status).unwrap_or(poem::http::StatusCode::OK),
                        None,
                    )
                });
            }
        }
    }
    if variants.is_empty() {
        return Err(Error::Missing(format!("a 2xx response for {op_id}")));
    }

    let meta = responses.iter().map(|r| r.meta.clone());
    let registered: Vec<&TokenStream> = responses.iter().flat_map(|r| r.types.iter()).collect();

    let items = quote! {
        #request_struct

        #[derive(Debug)]
        pub enum #response_ty {
            #(#variants,)*
            /// A success the handler already encoded (e.g. served from a
            /// cache); it must match one of the documented successes.
            Prerendered(poem::Response),
        }

        /// A handler's outcome as sent: success or the surface's error.
        pub struct #reply_ty(pub ::core::result::Result<#response_ty, #error_ty>);

        impl poem_openapi::ApiResponse for #reply_ty {
            const BAD_REQUEST_HANDLER: bool = true;

            fn meta() -> poem_openapi::registry::MetaResponses {
                poem_openapi::registry::MetaResponses { responses: vec![#(#meta),*] }
            }

            // An operation whose answers carry no schema registers nothing.
            #[allow(unused_variables)]
            fn register(registry: &mut poem_openapi::registry::Registry) {
                #(<#registered as poem_openapi::types::Type>::register(registry);)*
            }

            fn from_parse_request_error(err: poem::Error) -> Self {
                Self(Err(<#error_ty as crate::wire::Wire>::rejected(#op_id, err)))
            }
        }

        impl poem::IntoResponse for #reply_ty {
            fn into_response(self) -> poem::Response {
                match self.0 {
                    #(#encode_arms,)*
                    Ok(#response_ty::Prerendered(response)) => response,
                    Err(error) => poem::IntoResponse::into_response(error),
                }
            }
        }
    };

    let caller_param = caller_ty.as_ref().map(|ty| quote!(caller: #ty,));
    let caller_arg = caller_ty.as_ref().map(|_| quote!(caller,));
    let request_param = has_request.then(|| quote!(request: #request_ty,));
    let trait_method = quote! {
        async fn #method_name(&self, #caller_param #request_param) -> ::core::result::Result<#response_ty, #error_ty>;
    };

    let route_params = params.iter().map(|p| {
        let (field, ty, name) = (&p.field, &p.ty, p.name);
        let wrapper = match p.location {
            Location::Path => quote!(poem_openapi::param::Path),
            Location::Header => quote!(poem_openapi::param::Header),
            Location::Cookie => quote!(poem_openapi::param::Cookie),
            Location::Query => quote!(poem_openapi::param::Query),
        };
        quote!(#[oai(name = #name)] #field: #wrapper<#ty>,)
    });
    let body_param = body.as_ref().map(|b| {
        let ty = &b.extractor_ty;
        quote!(body: #ty,)
    });
    let raw_query_param = op.steward.raw_query.then(|| quote!(raw_query: crate::wire::RawQuery,));
    let mut init: Vec<TokenStream> = params
        .iter()
        .map(|p| {
            let field = &p.field;
            quote!(#field: #field.0)
        })
        .collect();
    if body.is_some() {
        init.push(quote!(body: body.0));
    }
    if op.steward.raw_query {
        init.push(quote!(raw_query));
    }
    let request_value = has_request.then(|| quote!(#request_ty { #(#init),* }));
    let request_arg = has_request.then(|| quote!(request,));
    let oai_path = path
        .split('/')
        .map(|segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(var) => format!(":{var}"),
            None => segment.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/");
    let bind_request = request_value.map(|value| quote!(let request = #value;));
    let json_body = body.as_ref().is_some_and(|b| b.is_json);
    let required = required_object_check(op, op_id, json_body, &error_ty, &reply_ty)?;
    if op.steward.event_orgs.iter().any(|pointer| !pointer.starts_with('/') || !json_body) {
        return Err(Error::Unsupported(format!("{op_id}: x-steward-event-orgs needs a JSON body and pointers")));
    }
    if op.steward.event_name.as_deref().is_some_and(|name| !name.starts_with(|c: char| c.is_ascii_uppercase())) {
        return Err(Error::Unsupported(format!("{op_id}: x-steward-event-name is a handler's name (PascalCase)")));
    }
    let internal = internal_fields_check(op, op_id, json_body, &error_ty, &reply_ty)?;
    let check = match &op.steward.permission {
        Some(permission) => Some(permission_check(
            permission,
            op_id,
            caller_ty.as_ref(),
            body.as_ref().is_some_and(|b| b.is_json),
            &error_ty,
            &reply_ty,
        )?),
        None => None,
    };
    // The body as JSON, for the checks that read it.
    let sent = (required.is_some() || internal.is_some() || check.is_some()).then(|| {
        match body.as_ref().is_some_and(|b| b.is_json) {
            true => quote!(let sent: Option<serde_json::Value> = poem_openapi::types::ToJSON::to_json(&request.body);),
            false => quote!(let sent: Option<serde_json::Value> = None;),
        }
    });
    let route = quote! {
        #[oai(path = #oai_path, method = #method, operation_id = #op_id)]
        async fn #method_name(&self, #caller_param #(#route_params)* #body_param #raw_query_param) -> #reply_ty {
            #bind_request
            #sent
            #required
            #internal
            #check
            #reply_ty(self.0.#method_name(#caller_arg #request_arg).await)
        }
    };

    Ok(OperationCode {
        items,
        trait_method,
        route,
        tag: op.spec.tags.first().cloned(),
        checks_permission: op.steward.permission.is_some(),
    })
}

fn parameters<'a>(
    document: &'a Document,
    item: &'a PathItem,
    op: &'a Operation,
    op_id: &str,
) -> Result<Vec<Param<'a>>, Error> {
    let mut resolved: Vec<&Parameter> = Vec::new();
    // Operation-level parameters override path-level ones of the same name.
    for reference in op.spec.parameters.iter().chain(item.parameters.iter()) {
        let param = resolve(reference, "#/components/parameters/", &document.components.parameters)?;
        let same = |p: &&Parameter| {
            p.parameter_data_ref().name == param.parameter_data_ref().name && Location::of(p) == Location::of(param)
        };
        if !resolved.iter().any(same) {
            resolved.push(param);
        }
    }
    resolved
        .into_iter()
        .map(|spec| {
            let (data, location) = (spec.parameter_data_ref(), Location::of(spec));
            let schema = match &data.format {
                ParameterSchemaOrContent::Schema(schema) => schema,
                ParameterSchemaOrContent::Content(_) => {
                    return Err(Error::Unsupported(format!(
                        "{op_id}: parameter {} described by content (give it a schema)",
                        data.name
                    )));
                }
            };
            let base = rust_type(schema, &format!("{op_id}.{}", data.name))?;
            let ty = if data.required || location == Location::Path { base } else { quote!(Option<#base>) };
            Ok(Param { name: &data.name, location, field: ident(&data.name), ty })
        })
        .collect()
}

/// The generated check of an operation's `x-steward-permission`, run after
/// the request is read (so malformed bodies are refused first, as the
/// originals do) and before the handler.
fn permission_check(
    permission: &PermissionSpec,
    op_id: &str,
    caller: Option<&syn::Path>,
    json_body: bool,
    error_ty: &syn::Path,
    reply_ty: &proc_macro2::Ident,
) -> Result<TokenStream, Error> {
    let caller =
        caller.ok_or_else(|| Error::Unsupported(format!("{op_id}: x-steward-permission on an unsecured operation")))?;
    let value = match permission {
        PermissionSpec::Grant { resource, action, org, requires_org } => {
            if !org.is_empty() && !json_body {
                return Err(Error::Unsupported(format!("{op_id}: a permission's org read from a non-JSON body")));
            }
            let requires = match requires_org {
                Some(kind) => quote!(Some(#kind)),
                None => quote!(None),
            };
            quote!(crate::wire::Permission::Grant { resource: #resource, action: #action, org: #org, requires_org: #requires })
        }
        PermissionSpec::Show { resource, action, visible } => {
            quote!(crate::wire::Permission::Show { resource: #resource, action: #action, visible: #visible })
        }
        PermissionSpec::Visibility { visibility } => quote!(crate::wire::Permission::Visibility(#visibility)),
    };
    Ok(quote! {
        const PERMISSION: crate::wire::Permission = #value;
        if let Err(error) = crate::wire::Authorize::<#caller, #error_ty>::authorize(&*self.0, &caller, &PERMISSION, sent.as_ref()).await {
            return #reply_ty(Err(error));
        }
    })
}

/// The generated refusal of internal-only fields set in the body.
fn internal_fields_check(
    op: &Operation,
    op_id: &str,
    json_body: bool,
    error_ty: &syn::Path,
    reply_ty: &proc_macro2::Ident,
) -> Result<Option<TokenStream>, Error> {
    if op.steward.internal_fields.is_empty() {
        return Ok(None);
    }
    if !json_body {
        return Err(Error::Unsupported(format!("{op_id}: x-steward-internal-fields without a JSON body")));
    }
    let fields = op
        .steward
        .internal_fields
        .iter()
        .map(|(name, place)| {
            let bad =
                || Error::Unsupported(format!("{op_id}: internal field {name} needs a JSON pointer (or {{at, zero}})"));
            let (pointer, zero) = match place {
                serde_json::Value::String(pointer) => (pointer.as_str(), None),
                serde_json::Value::Object(fields) => (
                    fields.get("at").and_then(serde_json::Value::as_str).ok_or_else(bad)?,
                    Some(fields.get("zero").and_then(serde_json::Value::as_str).ok_or_else(bad)?),
                ),
                _ => return Err(bad()),
            };
            if !pointer.starts_with('/') {
                return Err(bad());
            }
            let zero = match zero {
                Some(zero) => quote!(Some(#zero)),
                None => quote!(None),
            };
            Ok(quote!((#name, #pointer, #zero)))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(Some(quote! {
        const INTERNAL_FIELDS: &[(&str, &str, Option<&str>)] = &[#(#fields),*];
        let internal = INTERNAL_FIELDS.iter().find(|(_, pointer, zero)| {
            sent.as_ref().and_then(|body| body.pointer(pointer)).is_some_and(|value| crate::wire::go_sets(value, *zero))
        });
        if let Some((name, _, _)) = internal {
            return #reply_ty(Err(<#error_ty as crate::wire::Wire>::internal_only(name)));
        }
    }))
}

/// The generated refusal of an update without its object.
fn required_object_check(
    op: &Operation,
    op_id: &str,
    json_body: bool,
    error_ty: &syn::Path,
    reply_ty: &proc_macro2::Ident,
) -> Result<Option<TokenStream>, Error> {
    let Some(pointer) = &op.steward.required_object else { return Ok(None) };
    let name = pointer.rsplit('/').next().filter(|name| !name.is_empty() && json_body).ok_or_else(|| {
        Error::Unsupported(format!("{op_id}: x-steward-required-object needs a JSON body and a pointer"))
    })?;
    Ok(Some(quote! {
        if !sent.as_ref().and_then(|body| body.pointer(#pointer)).is_some_and(serde_json::Value::is_object) {
            return #reply_ty(Err(<#error_ty as crate::wire::Wire>::missing_object(#name)));
        }
    }))
}

/// The Rust type of the items a streamed operation's handler yields: the
/// `field` property of its 200 line schema (a component), or the line
/// schema itself.
fn stream_item_type(
    document: &Document,
    op: &Operation,
    op_id: &str,
    field: Option<&str>,
) -> Result<TokenStream, Error> {
    let missing = || {
        let property = field.map(|field| format!(" with property {field}")).unwrap_or_default();
        Error::Missing(format!("{op_id}: a 200 line schema{property} for x-steward-stream"))
    };
    let response = op.spec.responses.responses.get(&StatusCode::Code(200)).ok_or_else(missing)?;
    let response = resolve(response, "#/components/responses/", &document.components.responses)?;
    let schema = response.content.get("application/json").and_then(|media| media.schema.as_ref());
    let name = match schema {
        Some(ReferenceOr::Reference { reference }) => reference.strip_prefix(SCHEMA_PREFIX),
        _ => None,
    }
    .ok_or_else(missing)?;
    let line = document.components.schemas.get(name).ok_or_else(|| Error::Unresolved(name.to_owned()))?;
    let Some(field) = field else {
        let ident = type_ident(name);
        return Ok(quote!(#ident));
    };
    let property = property(line, field).ok_or_else(missing)?;
    rust_type(property, &format!("{op_id} stream line"))
}

struct Body {
    /// The type handlers see.
    field_ty: TokenStream,
    /// The poem-openapi payload type the route extracts.
    extractor_ty: TokenStream,
    is_json: bool,
}

fn request_body(
    body: &RequestBody,
    op_id: &str,
    json: JsonDecoding,
    json_extractor: Option<&String>,
    // `Some` for a deferred body: the surface's extractor, if it has one.
    deferred: Option<Option<&str>>,
) -> Result<Body, Error> {
    let (content_type, media) = match body.content.len() {
        1 => body.content.iter().next().ok_or_else(|| Error::Missing(format!("{op_id}: body content")))?,
        n => {
            return Err(Error::Unsupported(format!("{op_id}: {n} request content types (one is supported)")));
        }
    };
    // No schema: any JSON value.
    let ty = match &media.schema {
        Some(schema) => rust_type(schema, &format!("{op_id} request body"))?,
        None => quote!(serde_json::Value),
    };
    let required = body.required;
    if let Some(extractor) = deferred {
        if content_type != "application/json" || !required {
            return Err(Error::Unsupported(format!("{op_id}: x-steward-deferred-body needs a required JSON body")));
        }
        let extractor: syn::Path = syn::parse_str(extractor.unwrap_or("crate::wire::DeferredJson"))
            .map_err(|_| Error::Unsupported(format!("x-steward deferred-extractor {extractor:?}")))?;
        // Not JSON to the generated checks: there may be no value to read.
        return Ok(Body {
            field_ty: quote!(crate::wire::Deferred<#ty>),
            extractor_ty: quote!(#extractor<#ty>),
            is_json: false,
        });
    }
    if let (true, Some(path)) = (content_type == "application/json", json_extractor) {
        let extractor: syn::Path =
            syn::parse_str(path).map_err(|_| Error::Unsupported(format!("x-steward json-extractor {path}")))?;
        return Ok(if required {
            Body { field_ty: ty.clone(), extractor_ty: quote!(#extractor<#ty>), is_json: true }
        } else {
            Body { field_ty: quote!(Option<#ty>), extractor_ty: quote!(#extractor<Option<#ty>>), is_json: true }
        });
    }
    Ok(match (content_type.as_str(), json, required) {
        ("application/json", JsonDecoding::Strict, true) => {
            Body { field_ty: ty.clone(), extractor_ty: quote!(poem_openapi::payload::Json<#ty>), is_json: true }
        }
        ("application/json", JsonDecoding::Strict, false) => {
            Body { field_ty: quote!(Option<#ty>), extractor_ty: quote!(crate::wire::OptionalJson<#ty>), is_json: true }
        }
        ("application/json", JsonDecoding::Lenient, true) => {
            Body { field_ty: ty.clone(), extractor_ty: quote!(crate::wire::LenientJson<#ty>), is_json: true }
        }
        // Form semantics differ between the originals' frameworks (repeated
        // keys, case, unknown keys), so handlers get the pairs as sent; the
        // schema documents the fields.
        ("application/x-www-form-urlencoded", _, _) => Body {
            field_ty: quote!(Vec<(String, String)>),
            extractor_ty: quote!(crate::wire::FormPairs),
            is_json: false,
        },
        // Multipart parts as sent, for the same reason (Go's FormValue and
        // FormFile semantics).
        ("multipart/form-data", _, _) => Body {
            field_ty: quote!(crate::wire::MultipartParts),
            extractor_ty: quote!(crate::wire::MultipartBody),
            is_json: false,
        },
        (other, _, _) => {
            let optional = if required { "" } else { "optional " };
            return Err(Error::Unsupported(format!("{op_id}: {optional}request content type {other}")));
        }
    })
}

fn caller(document: &Document, op: &Operation) -> Result<Option<syn::Path>, Error> {
    if let Some(path) = &op.steward.caller {
        return syn::parse_str(path).map(Some).map_err(|_| Error::Unsupported(format!("x-steward-caller {path}")));
    }
    let requirements = op.spec.security.as_deref().unwrap_or(&document.security);
    // An empty requirement object ({}) in the list makes authentication optional.
    let secured = !requirements.is_empty() && requirements.iter().all(|r| !r.is_empty());
    if !secured {
        return Ok(None);
    }
    let path = document
        .binding
        .caller
        .as_deref()
        .ok_or_else(|| Error::Missing("x-steward.caller for a secured operation".to_owned()))?;
    syn::parse_str(path).map(Some).map_err(|_| Error::Unsupported(format!("x-steward.caller {path}")))
}

struct DocumentedResponse {
    status: Option<u16>,
    /// Rust type of the JSON (else first) media type's schema, if any.
    payload: Option<TokenStream>,
    has_json: bool,
    types: Vec<TokenStream>,
    meta: TokenStream,
}

/// The operation's responses in the order of their codes as text (the
/// statuses, then `default`), and each response's media types in the order
/// of their names: the generated code does not depend on the document's.
fn responses(document: &Document, op: &Operation, op_id: &str) -> Result<Vec<DocumentedResponse>, Error> {
    let answers = &op.spec.responses;
    let mut documented = answers
        .responses
        .iter()
        .map(|(code, reference)| match code {
            StatusCode::Code(status) => Ok((code.to_string(), Some(*status), reference)),
            StatusCode::Range(_) => Err(Error::Unsupported(format!("{op_id}: response code {code}"))),
        })
        .chain(answers.default.iter().map(|reference| Ok(("default".to_owned(), None, reference))))
        .collect::<Result<Vec<_>, Error>>()?;
    documented.sort_by(|(a, _, _), (b, _, _)| a.cmp(b));
    documented
        .into_iter()
        .map(|(code, status, reference)| {
            let response = resolve(reference, "#/components/responses/", &document.components.responses)?;
            let mut types = Vec::new();
            let mut media_meta = Vec::new();
            let mut typed: Vec<(&str, TokenStream)> = Vec::new();
            let mut content: Vec<_> = response.content.iter().collect();
            content.sort_by_key(|(content_type, _)| *content_type);
            for (content_type, media) in content {
                // A media type without a schema documents no payload.
                let Some(schema) = &media.schema else { continue };
                let ty = rust_type(schema, &format!("{op_id} {code} response"))?;
                media_meta.push(quote! {
                    poem_openapi::registry::MetaMediaType {
                        content_type: #content_type,
                        schema: <#ty as poem_openapi::types::Type>::schema_ref(),
                    }
                });
                typed.push((content_type.as_str(), ty.clone()));
                types.push(ty);
            }
            let description = response.description.as_str();
            let status_tokens = match status {
                Some(s) => quote!(Some(#s)),
                None => quote!(None),
            };
            let meta = quote! {
                poem_openapi::registry::MetaResponse {
                    description: #description,
                    status: #status_tokens,
                    status_range: None,
                    content: vec![#(#media_meta),*],
                    headers: vec![],
                }
            };
            // A status shared by a JSON success and another encoding (an XML
            // error answered with 200) carries the JSON type in its variant.
            let payload = typed
                .iter()
                .find(|(content_type, _)| *content_type == "application/json")
                .or_else(|| typed.first())
                .map(|(_, ty)| ty.clone());
            let has_json = typed.iter().any(|(content_type, _)| *content_type == "application/json");
            Ok(DocumentedResponse { status, payload, has_json, types, meta })
        })
        .collect()
}

fn status_variant(status: u16) -> proc_macro2::Ident {
    match status {
        200 => format_ident!("Ok"),
        201 => format_ident!("Created"),
        202 => format_ident!("Accepted"),
        204 => format_ident!("NoContent"),
        other => format_ident!("Status{}", other),
    }
}
