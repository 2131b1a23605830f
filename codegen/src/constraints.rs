//! The spec's field constraints (`minimum`, `maximum`, `minLength`,
//! `maxLength`, `pattern`) as checks on the generated types, made with the
//! `validator` crate's rules: each type's `wire::Constrained` impl answers
//! the first field that breaks one, in the document's field order, nested
//! objects included, with the property's `x-steward-invalid` message (the
//! original's words; `{value}` stands for the value given).

use openapiv3::{ReferenceOr, Schema, SchemaKind, Type};
use proc_macro2::TokenStream;
use quote::quote;
use serde::Deserialize;

use crate::Error;
use crate::spec::steward_extensions;
use crate::types::{Properties, ident, rust_field_type};

/// A property's own `x-steward-*` extensions.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PropertyExtensions {
    #[serde(default, rename = "x-steward-invalid")]
    invalid: Option<String>,
}

/// A literal of the Rust number type `ty` (`-90f64`).
fn number(value: impl std::fmt::Display, ty: &str) -> Result<TokenStream, Error> {
    format!("{value}{ty}").parse().map_err(|e| Error::Unsupported(format!("bound {value}: {e}")))
}

fn bound(value: Option<TokenStream>) -> TokenStream {
    match value {
        Some(value) => quote!(Some(#value)),
        None => quote!(None),
    }
}

/// The rule checks of one property, in `minimum`/`maximum`, then length,
/// then pattern order: `(rule name, condition that holds when valid)`.
fn rules(
    schema: &Schema,
    field: &TokenStream,
    field_ty: &TokenStream,
    context: &str,
) -> Result<Vec<(&'static str, TokenStream)>, Error> {
    let mut rules = Vec::new();
    let mut range = |ty: &str, min: Option<TokenStream>, max: Option<TokenStream>, exclusive: (bool, bool)| {
        let number_ty = proc_macro2::Ident::new(ty, proc_macro2::Span::call_site());
        let (min, exclusive_min) = if exclusive.0 { (None, min) } else { (min, None) };
        let (max, exclusive_max) = if exclusive.1 { (None, max) } else { (max, None) };
        if min.is_none() && max.is_none() && exclusive_min.is_none() && exclusive_max.is_none() {
            return;
        }
        let (min, max, exclusive_min, exclusive_max) =
            (bound(min), bound(max), bound(exclusive_min), bound(exclusive_max));
        rules.push((
            "range",
            quote! {
                <#field_ty as validator::ValidateRange<#number_ty>>::validate_range(
                    &#field, #min, #max, #exclusive_min, #exclusive_max)
            },
        ));
    };
    match &schema.schema_kind {
        SchemaKind::Type(Type::Integer(integer)) => {
            let ty = match &integer.format {
                openapiv3::VariantOrUnknownOrEmpty::Item(openapiv3::IntegerFormat::Int32) => "i32",
                openapiv3::VariantOrUnknownOrEmpty::Unknown(format) if format == "uint32" => "u32",
                openapiv3::VariantOrUnknownOrEmpty::Unknown(format) if format == "uint64" => "u64",
                _ => "i64",
            };
            let min = integer.minimum.map(|n| number(n, ty)).transpose()?;
            let max = integer.maximum.map(|n| number(n, ty)).transpose()?;
            range(ty, min, max, (integer.exclusive_minimum, integer.exclusive_maximum));
        }
        SchemaKind::Type(Type::Number(float)) => {
            let ty = match &float.format {
                openapiv3::VariantOrUnknownOrEmpty::Item(openapiv3::NumberFormat::Float) => "f32",
                _ => "f64",
            };
            let min = float.minimum.map(|n| number(n, ty)).transpose()?;
            let max = float.maximum.map(|n| number(n, ty)).transpose()?;
            range(ty, min, max, (float.exclusive_minimum, float.exclusive_maximum));
        }
        SchemaKind::Type(Type::String(string)) => {
            if string.min_length.is_some() || string.max_length.is_some() {
                let min = bound(string.min_length.map(|n| number(n, "u64")).transpose()?);
                let max = bound(string.max_length.map(|n| number(n, "u64")).transpose()?);
                rules.push((
                    "length",
                    quote!(<#field_ty as validator::ValidateLength<u64>>::validate_length(&#field, #min, #max, None)),
                ));
            }
            if let Some(pattern) = &string.pattern {
                // A pattern that does not compile fails closed.
                rules.push((
                    "pattern",
                    quote! {{
                        static PATTERN: std::sync::LazyLock<Option<regex::Regex>> =
                            std::sync::LazyLock::new(|| regex::Regex::new(#pattern).ok());
                        PATTERN.as_ref().is_some_and(|pattern| validator::ValidateRegex::validate_regex(&#field, pattern))
                    }},
                ));
            }
        }
        SchemaKind::Any(any)
            if any.minimum.is_some()
                || any.maximum.is_some()
                || any.min_length.is_some()
                || any.max_length.is_some()
                || any.pattern.is_some() =>
        {
            return Err(Error::Unsupported(format!("{context}: constraints on a schema without one type")));
        }
        _ => {}
    }
    Ok(rules)
}

/// `impl wire::Constrained` for the generated struct `ty`.
pub fn constrained(
    name: &str,
    ty: &proc_macro2::Ident,
    properties: &Properties,
    required: &[String],
) -> Result<TokenStream, Error> {
    let mut checks = Vec::new();
    for (wire, property) in properties {
        let field = ident(wire);
        let access = quote!(self.#field);
        let field_ty = rust_field_type(property, required.contains(wire), &format!("{name}.{wire}"))?;
        if let ReferenceOr::Item(schema) = property {
            let place = format!("schema {name} property {wire}");
            let extensions: PropertyExtensions = steward_extensions(&schema.schema_data.extensions, &place)?;
            let message = match &extensions.invalid {
                Some(text) => quote!(Some(#text)),
                None => quote!(None),
            };
            for (rule, holds) in rules(schema, &access, &field_ty, &place)? {
                checks.push(quote! {
                    if !(#holds) {
                        return Some(crate::wire::Violation::new(#wire, #rule, #message, crate::wire::ShownValue::shown(&#access)));
                    }
                });
            }
        }
        let nested = match property {
            ReferenceOr::Reference { .. } => true,
            ReferenceOr::Item(schema) => {
                matches!(schema.schema_kind, SchemaKind::Type(Type::Array(_)) | SchemaKind::Type(Type::Object(_)))
            }
        };
        if nested {
            checks.push(quote! {
                if let Some(violation) = crate::wire::Constrained::first_violation(&#access) {
                    return Some(violation.within(#wire));
                }
            });
        }
    }
    Ok(quote! {
        impl crate::wire::Constrained for #ty {
            fn first_violation(&self) -> Option<crate::wire::Violation> {
                #(#checks)*
                None
            }
        }
    })
}
