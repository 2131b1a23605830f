//! Schemas to Rust: one type per named component, and the Rust type of any
//! schema that refers to components or is a primitive.

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use serde_json::Value;

use crate::Error;

const SCHEMA_PREFIX: &str = "#/components/schemas/";

pub fn ident(name: &str) -> Ident {
    let candidate = name.to_snake_case();
    let candidate = match candidate.as_str() {
        "" => "value".to_owned(),
        // Keywords that cannot be raw identifiers.
        "self" | "super" | "crate" => format!("{candidate}_"),
        _ => candidate,
    };
    if syn::parse_str::<Ident>(&candidate).is_ok() {
        Ident::new(&candidate, Span::call_site())
    } else {
        Ident::new_raw(&candidate, Span::call_site())
    }
}

pub fn type_ident(name: &str) -> Ident {
    Ident::new(&name.to_upper_camel_case(), Span::call_site())
}

fn is_nullable(schema: &Value) -> bool {
    schema.get("nullable").and_then(Value::as_bool).unwrap_or(false)
}

/// The Rust type of a schema used in a field, parameter or body. Objects and
/// enums must be named components so that every wire type has one name.
pub fn rust_type(schema: &Value, context: &str) -> Result<TokenStream, Error> {
    let inner = non_null_type(schema, context)?;
    Ok(if is_nullable(schema) { quote!(Option<#inner>) } else { inner })
}

fn non_null_type(schema: &Value, context: &str) -> Result<TokenStream, Error> {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.strip_prefix(SCHEMA_PREFIX).ok_or_else(|| Error::Unresolved(reference.to_owned()))?;
        let name = type_ident(name);
        return Ok(quote!(#name));
    }
    let kind = schema.get("type").and_then(Value::as_str);
    let format = schema.get("format").and_then(Value::as_str);
    // Alternatives (number or string, list or message) are carried as JSON
    // values: the handler builds whichever the wire needs.
    if ["oneOf", "anyOf"].iter().any(|k| schema.get(k).is_some()) {
        return Ok(quote!(serde_json::Value));
    }
    Ok(match (kind, format) {
        // No type at all (only a description, say): any JSON value.
        (None, _) if schema.get("properties").is_none() => quote!(serde_json::Value),
        (Some("string"), _) if schema.get("enum").is_some() => {
            return Err(Error::Unsupported(format!("{context}: inline enum; name it under components/schemas")));
        }
        (Some("string"), _) => quote!(String),
        (Some("integer"), Some("int32")) => quote!(i32),
        (Some("integer"), Some("uint32")) => quote!(u32),
        (Some("integer"), Some("uint64")) => quote!(u64),
        (Some("integer"), _) => quote!(i64),
        (Some("number"), Some("float")) => quote!(f32),
        (Some("number"), _) => quote!(f64),
        (Some("boolean"), _) => quote!(bool),
        (Some("array"), _) => {
            let items =
                schema.get("items").ok_or_else(|| Error::Unsupported(format!("{context}: array without items")))?;
            let item = rust_type(items, context)?;
            quote!(Vec<#item>)
        }
        (Some("object"), _) if schema.get("properties").is_none() => match schema.get("additionalProperties") {
            Some(Value::Object(values)) if !values.is_empty() => {
                let value = rust_type(&Value::Object(values.clone()), context)?;
                quote!(std::collections::BTreeMap<String, #value>)
            }
            _ => quote!(serde_json::Value),
        },
        _ => {
            return Err(Error::Unsupported(format!(
                "{context}: inline schema {schema}; name it under components/schemas"
            )));
        }
    })
}

/// The item for one named component: a struct for an object, an enum for a
/// string enumeration, a type alias for anything else.
pub fn component(name: &str, schema: &Value) -> Result<TokenStream, Error> {
    let ty = type_ident(name);
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return string_enum(name, &ty, values);
    }
    if schema.get("properties").is_some() {
        return object(name, &ty, schema);
    }
    let aliased = rust_type(schema, name)?;
    Ok(quote! { pub type #ty = #aliased; })
}

fn string_enum(name: &str, ty: &Ident, values: &[Value]) -> Result<TokenStream, Error> {
    let variants = values
        .iter()
        .map(|value| {
            let wire =
                value.as_str().ok_or_else(|| Error::Unsupported(format!("{name}: enum values must be strings")))?;
            let variant = type_ident(wire);
            Ok(quote! { #[oai(rename = #wire)] #variant })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(quote! {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum)]
        #[oai(rename = #name)]
        pub enum #ty { #(#variants),* }

        impl crate::wire::CanonicalKeys for #ty {
            fn canonicalize(value: &mut serde_json::Value) -> ::core::result::Result<(), crate::wire::Mismatch> {
                <String as crate::wire::CanonicalKeys>::canonicalize(value)
            }
        }
    })
}

fn object(name: &str, ty: &Ident, schema: &Value) -> Result<TokenStream, Error> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let properties = schema
        .get("properties")
        .and_then(Value::as_object)
        .ok_or_else(|| Error::Unsupported(format!("{name}: properties must be a map")))?;
    let fields = properties
        .iter()
        .map(|(wire, property)| {
            let field = ident(wire);
            let context = format!("{name}.{wire}");
            let is_required = required.contains(&wire.as_str());
            let base = rust_type(property, &context)?;
            Ok(if is_required {
                quote! { #[oai(rename = #wire)] pub #field: #base }
            } else if is_nullable(property) {
                // Optional and nullable: absent and null both read as None,
                // and None is written as an explicit null.
                quote! { #[oai(rename = #wire)] pub #field: #base }
            } else {
                quote! {
                    #[oai(rename = #wire, skip_serializing_if_is_none)]
                    pub #field: Option<#base>
                }
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    // Keys as Go's decoder matches them (exact first, else any case), for
    // surfaces that decode leniently; nested types canonicalize their own.
    let canonical = properties
        .iter()
        .map(|(wire, property)| {
            let field_ty = rust_type(property, name)?;
            Ok(quote! { (#wire, <#field_ty as crate::wire::CanonicalKeys>::canonicalize as crate::wire::Canonicalizer) })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    // `x-steward-refuse-unknown-keys: <object>`: a key naming no field is
    // refused (a filter over a database object, say), reported with the
    // object's name; other types ignore unknown keys as Go's decoder does.
    let unknown_key = schema.get("x-steward-refuse-unknown-keys").and_then(Value::as_str).map(|object| {
        let wires = properties.keys();
        quote! {
            fn unknown_key(value: &serde_json::Value) -> Option<(String, &'static str)> {
                const KNOWN: &[&str] = &[#(#wires),*];
                value.as_object()?.keys().find(|key| !KNOWN.contains(&key.as_str())).map(|key| (key.clone(), #object))
            }
        }
    });
    // With every field optional, "nothing given" is a value of the type.
    let default = required.is_empty().then(|| quote!(Default,));
    Ok(quote! {
        #[derive(Debug, Clone, PartialEq, #default poem_openapi::Object)]
        #[oai(rename = #name)]
        pub struct #ty { #(#fields),* }

        impl crate::wire::CanonicalKeys for #ty {
            fn canonicalize(value: &mut serde_json::Value) -> ::core::result::Result<(), crate::wire::Mismatch> {
                crate::wire::canonicalize_keys(value, #name, &[#(#canonical),*])
            }
            #unknown_key
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(tokens: TokenStream) -> String {
        tokens.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn primitives_map_to_rust_types() {
        let cases = [
            (json!({"type": "string"}), "String"),
            (json!({"type": "integer", "format": "int32"}), "i32"),
            (json!({"type": "integer"}), "i64"),
            (json!({"type": "number"}), "f64"),
            (json!({"type": "boolean"}), "bool"),
            (json!({"type": "string", "nullable": true}), "Option < String >"),
            (json!({"type": "array", "items": {"$ref": "#/components/schemas/server"}}), "Vec < Server >"),
            (json!({}), "serde_json :: Value"),
            (json!({"oneOf": [{"type": "number"}, {"type": "string"}]}), "serde_json :: Value"),
        ];
        for (schema, expected) in cases {
            assert_eq!(render(rust_type(&schema, "t").unwrap()), expected, "{schema}");
        }
    }

    #[test]
    fn inline_objects_and_enums_are_refused() {
        let inline = json!({"type": "object", "properties": {"a": {"type": "string"}}});
        assert!(matches!(rust_type(&inline, "x"), Err(Error::Unsupported(_))));
        let inline_enum = json!({"type": "string", "enum": ["a"]});
        assert!(matches!(rust_type(&inline_enum, "x"), Err(Error::Unsupported(_))));
    }

    #[test]
    fn object_fields_keep_wire_names_and_optionality() {
        let schema = json!({
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "string"},
                "loadMultiplier": {"type": "number"},
                "tag": {"type": "string", "nullable": true}
            }
        });
        let out = render(component("Server", &schema).unwrap());
        assert!(out.contains("# [oai (rename = \"id\")] pub id : String"), "{out}");
        assert!(
            out.contains("# [oai (rename = \"loadMultiplier\" , skip_serializing_if_is_none)] pub load_multiplier : Option < f64 >"),
            "{out}"
        );
        assert!(out.contains("pub tag : Option < String >"), "{out}");
    }

    #[test]
    fn string_enums_keep_wire_values() {
        let out = render(component("state", &json!({"type": "string", "enum": ["enabled", "cordoned"]})).unwrap());
        assert!(out.contains("pub enum State { # [oai (rename = \"enabled\")] Enabled"), "{out}");
    }

    #[test]
    fn reserved_words_become_raw_identifiers() {
        assert_eq!(ident("type").to_string(), "r#type");
        assert_eq!(ident("fullName").to_string(), "full_name");
        assert_eq!(ident("self").to_string(), "self_");
    }
}
