//! Operations to Rust: per operation a request struct, a success enum, a
//! reply type carrying the spec's documented responses, a handler-trait
//! method and a poem-openapi route that delegates to it.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::Error;
use crate::spec::{Binding, Document, JsonDecoding, Operation, Parameter, PathItem, RequestBody, Response};
use crate::types::{ident, rust_type, type_ident};

/// Everything generated for one operation, spliced into the surface's file.
pub struct OperationCode {
    pub items: TokenStream,
    pub trait_method: TokenStream,
    pub route: TokenStream,
}

struct Param<'a> {
    spec: &'a Parameter,
    field: proc_macro2::Ident,
    ty: TokenStream,
}

pub fn operation(
    document: &Document,
    path: &str,
    method: &str,
    item: &PathItem,
    op: &Operation,
) -> Result<OperationCode, Error> {
    let op_id = op.operation_id.as_deref().ok_or_else(|| Error::Missing(format!("operationId of {method} {path}")))?;
    let pascal = type_ident(op_id);
    let method_name = ident(op_id);
    let request_ty = format_ident!("{}Request", pascal);
    let response_ty = format_ident!("{}Response", pascal);
    let reply_ty = format_ident!("{}Reply", pascal);
    let error_ty: syn::Path = syn::parse_str(&document.binding.error)
        .map_err(|_| Error::Unsupported(format!("x-steward.error {}", document.binding.error)))?;

    let params = parameters(document, item, op, op_id)?;
    let body = match &op.request_body {
        Some(body) => Some(request_body(
            body.resolve("#/components/requestBodies/", &document.components.request_bodies)?,
            op_id,
            &document.binding,
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
    if op.raw_query {
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
        let (field, ty, name) = (&p.field, &p.ty, &p.spec.name);
        let wrapper = match p.spec.location.as_str() {
            "path" => quote!(poem_openapi::param::Path),
            "header" => quote!(poem_openapi::param::Header),
            "cookie" => quote!(poem_openapi::param::Cookie),
            _ => quote!(poem_openapi::param::Query),
        };
        quote!(#[oai(name = #name)] #field: #wrapper<#ty>,)
    });
    let body_param = body.as_ref().map(|b| {
        let ty = &b.extractor_ty;
        quote!(body: #ty,)
    });
    let raw_query_param = op.raw_query.then(|| quote!(raw_query: crate::wire::RawQuery,));
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
    if op.raw_query {
        init.push(quote!(raw_query));
    }
    let request_arg = has_request.then(|| quote!(#request_ty { #(#init),* },));
    let oai_path = path
        .split('/')
        .map(|segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(var) => format!(":{var}"),
            None => segment.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/");
    let route = quote! {
        #[oai(path = #oai_path, method = #method, operation_id = #op_id)]
        async fn #method_name(&self, #caller_param #(#route_params)* #body_param #raw_query_param) -> #reply_ty {
            #reply_ty(self.0.#method_name(#caller_arg #request_arg).await)
        }
    };

    Ok(OperationCode { items, trait_method, route })
}

fn parameters<'a>(
    document: &'a Document,
    item: &'a PathItem,
    op: &'a Operation,
    op_id: &str,
) -> Result<Vec<Param<'a>>, Error> {
    let mut resolved: Vec<&Parameter> = Vec::new();
    // Operation-level parameters override path-level ones of the same name.
    for reference in op.parameters.iter().chain(item.parameters.iter()) {
        let param = reference.resolve("#/components/parameters/", &document.components.parameters)?;
        if !resolved.iter().any(|p| p.name == param.name && p.location == param.location) {
            resolved.push(param);
        }
    }
    resolved
        .into_iter()
        .map(|spec| {
            if !matches!(spec.location.as_str(), "path" | "query" | "header" | "cookie") {
                return Err(Error::Unsupported(format!("{op_id}: parameter in {}", spec.location)));
            }
            let base = rust_type(&spec.schema, &format!("{op_id}.{}", spec.name))?;
            let ty = if spec.required || spec.location == "path" { base } else { quote!(Option<#base>) };
            Ok(Param { spec, field: ident(&spec.name), ty })
        })
        .collect()
}

struct Body {
    /// The type handlers see.
    field_ty: TokenStream,
    /// The poem-openapi payload type the route extracts.
    extractor_ty: TokenStream,
}

fn request_body(body: &RequestBody, op_id: &str, binding: &Binding) -> Result<Body, Error> {
    let (content_type, media) = match body.content.len() {
        1 => body.content.iter().next().ok_or_else(|| Error::Missing(format!("{op_id}: body content")))?,
        n => {
            return Err(Error::Unsupported(format!("{op_id}: {n} request content types (one is supported)")));
        }
    };
    let ty = rust_type(&media.schema, &format!("{op_id} request body"))?;
    let required = body.required;
    if let (true, Some(path)) = (content_type == "application/json", &binding.json_extractor) {
        let extractor: syn::Path =
            syn::parse_str(path).map_err(|_| Error::Unsupported(format!("x-steward.json-extractor {path}")))?;
        return Ok(if required {
            Body { field_ty: ty.clone(), extractor_ty: quote!(#extractor<#ty>) }
        } else {
            Body { field_ty: quote!(Option<#ty>), extractor_ty: quote!(#extractor<Option<#ty>>) }
        });
    }
    Ok(match (content_type.as_str(), binding.json, required) {
        ("application/json", JsonDecoding::Strict, true) => {
            Body { field_ty: ty.clone(), extractor_ty: quote!(poem_openapi::payload::Json<#ty>) }
        }
        ("application/json", JsonDecoding::Strict, false) => {
            Body { field_ty: quote!(Option<#ty>), extractor_ty: quote!(crate::wire::OptionalJson<#ty>) }
        }
        ("application/json", JsonDecoding::Lenient, true) => {
            Body { field_ty: ty.clone(), extractor_ty: quote!(crate::wire::LenientJson<#ty>) }
        }
        // Form semantics differ between the originals' frameworks (repeated
        // keys, case, unknown keys), so handlers get the pairs as sent; the
        // schema documents the fields.
        ("application/x-www-form-urlencoded", _, _) => {
            Body { field_ty: quote!(Vec<(String, String)>), extractor_ty: quote!(crate::wire::FormPairs) }
        }
        (other, _, _) => {
            let optional = if required { "" } else { "optional " };
            return Err(Error::Unsupported(format!("{op_id}: {optional}request content type {other}")));
        }
    })
}

fn caller(document: &Document, op: &Operation) -> Result<Option<syn::Path>, Error> {
    let requirements = op.security.as_ref().unwrap_or(&document.security);
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

fn responses(document: &Document, op: &Operation, op_id: &str) -> Result<Vec<DocumentedResponse>, Error> {
    op.responses
        .iter()
        .map(|(code, reference)| {
            let response: &Response = reference.resolve("#/components/responses/", &document.components.responses)?;
            let status = match code.as_str() {
                "default" => None,
                code => Some(
                    code.parse::<u16>().map_err(|_| Error::Unsupported(format!("{op_id}: response code {code}")))?,
                ),
            };
            let mut types = Vec::new();
            let mut media_meta = Vec::new();
            let mut typed: Vec<(&str, TokenStream)> = Vec::new();
            for (content_type, media) in &response.content {
                if media.schema == Value::Null {
                    continue;
                }
                let ty = rust_type(&media.schema, &format!("{op_id} {code} response"))?;
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
