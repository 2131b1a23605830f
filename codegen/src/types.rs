//! Schemas to Rust: one type per named component, and the Rust type of any
//! schema that refers to components or is a primitive. Schemas are read as
//! openapiv3's typed `Schema`, through the few keywords `Shape` gathers.

use std::borrow::Borrow;

use heck::{ToSnakeCase, ToUpperCamelCase};
use openapiv3::{
    AdditionalProperties, AnySchema, IntegerFormat, NumberFormat, ReferenceOr, Schema, SchemaData, SchemaKind, Type,
    VariantOrUnknownOrEmpty,
};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use serde_json::Value;

use crate::Error;
use crate::spec::{SchemaExtensions, steward_extensions};

pub const SCHEMA_PREFIX: &str = "#/components/schemas/";

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

/// A reference is never nullable: OpenAPI 3.0 ignores a `$ref`'s siblings,
/// and openapiv3 drops them.
fn is_nullable<T: Borrow<Schema>>(schema: &ReferenceOr<T>) -> bool {
    matches!(schema, ReferenceOr::Item(schema) if schema.borrow().schema_data.nullable)
}

/// The keywords of a schema the generator reads, the same whether
/// openapiv3 recognised it as one `type` (`SchemaKind::Type`) or left it
/// loose (`SchemaKind::Any`: no type, or keywords of several types).
struct Shape<'a> {
    typ: Option<&'a str>,
    /// The format of an integer or a number.
    format: Option<&'a str>,
    /// The `enum` values, a non-string one as `None`; `None` without any.
    enumeration: Option<Vec<Option<&'a str>>>,
    /// `None` without any (openapiv3 reads `properties: {}` as none too).
    properties: Option<&'a Properties>,
    required: &'a [String],
    items: Option<&'a ReferenceOr<Box<Schema>>>,
    additional: Option<&'a AdditionalProperties>,
    /// `oneOf` or `anyOf`: alternatives.
    alternatives: bool,
}

pub type Properties = indexmap::IndexMap<String, ReferenceOr<Box<Schema>>>;

impl<'a> Shape<'a> {
    fn of(kind: &'a SchemaKind) -> Self {
        let bare = Shape {
            typ: None,
            format: None,
            enumeration: None,
            properties: None,
            required: &[],
            items: None,
            additional: None,
            alternatives: false,
        };
        // Values of other types than string only matter as "not strings".
        let not_strings = |n: usize| (n > 0).then(|| vec![None; n]);
        let properties = |p: &'a Properties| (!p.is_empty()).then_some(p);
        match kind {
            SchemaKind::Type(Type::String(string)) => Shape {
                typ: Some("string"),
                enumeration: (!string.enumeration.is_empty())
                    .then(|| string.enumeration.iter().map(Option::as_deref).collect()),
                ..bare
            },
            SchemaKind::Type(Type::Integer(integer)) => Shape {
                typ: Some("integer"),
                format: match &integer.format {
                    VariantOrUnknownOrEmpty::Item(IntegerFormat::Int32) => Some("int32"),
                    VariantOrUnknownOrEmpty::Item(IntegerFormat::Int64) => Some("int64"),
                    VariantOrUnknownOrEmpty::Unknown(format) => Some(format.as_str()),
                    VariantOrUnknownOrEmpty::Empty => None,
                },
                enumeration: not_strings(integer.enumeration.len()),
                ..bare
            },
            SchemaKind::Type(Type::Number(number)) => Shape {
                typ: Some("number"),
                format: match &number.format {
                    VariantOrUnknownOrEmpty::Item(NumberFormat::Float) => Some("float"),
                    VariantOrUnknownOrEmpty::Item(NumberFormat::Double) => Some("double"),
                    VariantOrUnknownOrEmpty::Unknown(format) => Some(format.as_str()),
                    VariantOrUnknownOrEmpty::Empty => None,
                },
                enumeration: not_strings(number.enumeration.len()),
                ..bare
            },
            SchemaKind::Type(Type::Boolean(boolean)) => {
                Shape { typ: Some("boolean"), enumeration: not_strings(boolean.enumeration.len()), ..bare }
            }
            SchemaKind::Type(Type::Object(object)) => Shape {
                typ: Some("object"),
                properties: properties(&object.properties),
                required: &object.required,
                additional: object.additional_properties.as_ref(),
                ..bare
            },
            SchemaKind::Type(Type::Array(array)) => Shape { typ: Some("array"), items: array.items.as_ref(), ..bare },
            SchemaKind::OneOf { .. } | SchemaKind::AnyOf { .. } => Shape { alternatives: true, ..bare },
            SchemaKind::AllOf { .. } | SchemaKind::Not { .. } => bare,
            SchemaKind::Any(any) => Shape {
                typ: any.typ.as_deref(),
                format: any.format.as_deref(),
                enumeration: (!any.enumeration.is_empty()).then(|| any.enumeration.iter().map(Value::as_str).collect()),
                properties: properties(&any.properties),
                required: &any.required,
                items: any.items.as_ref(),
                additional: any.additional_properties.as_ref(),
                alternatives: !any.one_of.is_empty() || !any.any_of.is_empty(),
            },
        }
    }
}

/// `{}`: a schema with no keyword at all.
fn is_empty_schema(schema: &ReferenceOr<Schema>) -> bool {
    let empty = Schema { schema_data: SchemaData::default(), schema_kind: SchemaKind::Any(AnySchema::default()) };
    matches!(schema, ReferenceOr::Item(schema) if *schema == empty)
}

/// The Rust type of a schema used in a field, parameter or body. Objects and
/// enums must be named components so that every wire type has one name.
pub fn rust_type<T: Borrow<Schema>>(schema: &ReferenceOr<T>, context: &str) -> Result<TokenStream, Error> {
    let inner = match schema {
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix(SCHEMA_PREFIX).ok_or_else(|| Error::Unresolved(reference.to_owned()))?;
            let name = type_ident(name);
            quote!(#name)
        }
        ReferenceOr::Item(schema) => non_null_type(schema.borrow(), context)?,
    };
    Ok(if is_nullable(schema) { quote!(Option<#inner>) } else { inner })
}

fn non_null_type(schema: &Schema, context: &str) -> Result<TokenStream, Error> {
    let shape = Shape::of(&schema.schema_kind);
    // Alternatives (number or string, list or message) are carried as JSON
    // values: the handler builds whichever the wire needs.
    if shape.alternatives {
        return Ok(quote!(serde_json::Value));
    }
    Ok(match (shape.typ, shape.format) {
        // No type at all (only a description, say): any JSON value.
        (None, _) if shape.properties.is_none() => quote!(serde_json::Value),
        (Some("string"), _) if shape.enumeration.is_some() => {
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
            let items = shape.items.ok_or_else(|| Error::Unsupported(format!("{context}: array without items")))?;
            let item = rust_type(items, context)?;
            quote!(Vec<#item>)
        }
        (Some("object"), _) if shape.properties.is_none() => match shape.additional {
            Some(AdditionalProperties::Schema(values)) if !is_empty_schema(values) => {
                let value = rust_type(values.as_ref(), context)?;
                quote!(std::collections::BTreeMap<String, #value>)
            }
            _ => quote!(serde_json::Value),
        },
        _ => {
            let schema = serde_json::to_string(schema).unwrap_or_default();
            return Err(Error::Unsupported(format!(
                "{context}: inline schema {schema}; name it under components/schemas"
            )));
        }
    })
}

/// The Rust type of an object's field: its schema's type, in an `Option`
/// when the field may be left out. Optional and nullable fields read absent
/// and null both as `None`, and write `None` as an explicit null.
pub fn rust_field_type(
    property: &ReferenceOr<Box<Schema>>,
    required: bool,
    context: &str,
) -> Result<TokenStream, Error> {
    let base = rust_type(property, context)?;
    Ok(if required || is_nullable(property) { base } else { quote!(Option<#base>) })
}

/// The schema of property `name` of a named schema, if it is an object
/// that has one.
pub fn property<'a>(schema: &'a ReferenceOr<Schema>, name: &str) -> Option<&'a ReferenceOr<Box<Schema>>> {
    Shape::of(&schema.as_item()?.schema_kind).properties?.get(name)
}

/// The item for one named component: a struct for an object, an enum for a
/// string enumeration, a type alias for anything else.
pub fn component(name: &str, schema: &ReferenceOr<Schema>) -> Result<TokenStream, Error> {
    let ty = type_ident(name);
    if let ReferenceOr::Item(item) = schema {
        let extensions: SchemaExtensions = steward_extensions(&item.schema_data.extensions, &format!("schema {name}"))?;
        let shape = Shape::of(&item.schema_kind);
        if let Some(values) = &shape.enumeration {
            refuse_unknown_keys_on_objects_only(name, &extensions)?;
            return string_enum(name, &ty, values, extensions.go_enum.as_ref());
        }
        if extensions.go_enum.is_some() {
            return Err(Error::Unsupported(format!("{name}: x-steward-go-enum on a schema without enum")));
        }
        if let Some(properties) = shape.properties {
            return object(name, &ty, properties, shape.required, extensions.refuse_unknown_keys.as_deref());
        }
        refuse_unknown_keys_on_objects_only(name, &extensions)?;
    }
    let aliased = rust_type(schema, name)?;
    Ok(quote! { pub type #ty = #aliased; })
}

/// Only a struct has keys to refuse: the extension elsewhere is a mistake.
fn refuse_unknown_keys_on_objects_only(name: &str, extensions: &SchemaExtensions) -> Result<(), Error> {
    match extensions.refuse_unknown_keys {
        Some(_) => {
            Err(Error::Unsupported(format!("{name}: x-steward-refuse-unknown-keys on a schema without properties")))
        }
        None => Ok(()),
    }
}

fn string_enum(
    name: &str,
    ty: &Ident,
    values: &[Option<&str>],
    go_enum: Option<&crate::spec::GoEnum>,
) -> Result<TokenStream, Error> {
    let variants = values
        .iter()
        .map(|value| {
            let wire = value.ok_or_else(|| Error::Unsupported(format!("{name}: enum values must be strings")))?;
            let variant = type_ident(wire);
            Ok(quote! { #[oai(rename = #wire)] #variant })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let canonicalize = match go_enum {
        Some(go) => {
            let names = values.iter().flatten();
            let prefix = &go.prefix;
            if !go.numbers.is_empty() && go.numbers.len() != values.len() {
                return Err(Error::Unsupported(format!("{name}: x-steward-go-enum numbers must number every value")));
            }
            let numbers = &go.numbers;
            quote! { crate::wire::go_enum(value, &crate::wire::GoEnum { name: #name, prefix: #prefix, names: &[#(#names),*], numbers: &[#(#numbers),*] }) }
        }
        None => quote! { <String as crate::wire::CanonicalKeys>::canonicalize(value) },
    };
    Ok(quote! {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum)]
        #[oai(rename = #name)]
        pub enum #ty { #(#variants),* }

        impl crate::wire::CanonicalKeys for #ty {
            fn canonicalize(value: &mut serde_json::Value) -> ::core::result::Result<(), crate::wire::Mismatch> {
                #canonicalize
            }
        }

        impl crate::wire::Constrained for #ty {}
    })
}

fn object(
    name: &str,
    ty: &Ident,
    properties: &Properties,
    required: &[String],
    refuse_unknown_keys: Option<&str>,
) -> Result<TokenStream, Error> {
    let fields = properties
        .iter()
        .map(|(wire, property)| {
            let field = ident(wire);
            let context = format!("{name}.{wire}");
            let is_required = required.contains(wire);
            let field_ty = rust_field_type(property, is_required, &context)?;
            Ok(if is_required || is_nullable(property) {
                quote! { #[oai(rename = #wire)] pub #field: #field_ty }
            } else {
                quote! {
                    #[oai(rename = #wire, skip_serializing_if_is_none)]
                    pub #field: #field_ty
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
    let unknown_key = refuse_unknown_keys.map(|object| {
        let wires = properties.keys();
        quote! {
            fn unknown_key(value: &serde_json::Value) -> Option<(String, &'static str)> {
                const KNOWN: &[&str] = &[#(#wires),*];
                value.as_object()?.keys().find(|key| !KNOWN.contains(&key.as_str())).map(|key| (key.clone(), #object))
            }
        }
    });
    let constrained = crate::constraints::constrained(name, ty, properties, required)?;
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

        #constrained
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(tokens: TokenStream) -> String {
        tokens.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn schema(value: Value) -> ReferenceOr<Schema> {
        serde_json::from_value(value).unwrap()
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
            assert_eq!(render(rust_type(&self::schema(schema.clone()), "t").unwrap()), expected, "{schema}");
        }
    }

    #[test]
    fn inline_objects_and_enums_are_refused() {
        let inline = json!({"type": "object", "properties": {"a": {"type": "string"}}});
        assert!(matches!(rust_type(&schema(inline), "x"), Err(Error::Unsupported(_))));
        let inline_enum = json!({"type": "string", "enum": ["a"]});
        assert!(matches!(rust_type(&schema(inline_enum), "x"), Err(Error::Unsupported(_))));
    }

    #[test]
    fn object_fields_keep_wire_names_and_optionality() {
        let server = schema(json!({
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "string"},
                "loadMultiplier": {"type": "number"},
                "tag": {"type": "string", "nullable": true}
            }
        }));
        let out = render(component("Server", &server).unwrap());
        assert!(out.contains("# [oai (rename = \"id\")] pub id : String"), "{out}");
        assert!(
            out.contains("# [oai (rename = \"loadMultiplier\" , skip_serializing_if_is_none)] pub load_multiplier : Option < f64 >"),
            "{out}"
        );
        assert!(out.contains("pub tag : Option < String >"), "{out}");
    }

    #[test]
    fn fields_keep_the_documents_order() {
        let record = schema(json!({
            "type": "object",
            "properties": {"zeta": {"type": "string"}, "alpha": {"type": "string"}, "mid": {"type": "string"}}
        }));
        let out = render(component("Record", &record).unwrap());
        let at = |field: &str| out.find(&format!("pub {field} :")).unwrap();
        assert!(at("zeta") < at("alpha") && at("alpha") < at("mid"), "{out}");
    }

    #[test]
    fn maps_loose_and_unsigned_schemas_as_before() {
        let cases = [
            (json!({"type": "integer", "format": "uint64"}), "u64"),
            (json!({"type": "integer", "format": "uint32"}), "u32"),
            (json!({"type": "number", "format": "float"}), "f32"),
            // Keywords of several types: openapiv3 leaves these loose.
            (json!({"type": "string", "minimum": 1}), "String"),
            (json!({"type": "object", "oneOf": [{"type": "object"}]}), "serde_json :: Value"),
            (
                json!({"type": "object", "additionalProperties": {"type": "string"}}),
                "std :: collections :: BTreeMap < String , String >",
            ),
            (json!({"type": "object", "additionalProperties": {}}), "serde_json :: Value"),
            (json!({"type": "object", "additionalProperties": true}), "serde_json :: Value"),
            (json!({"allOf": [{"$ref": "#/components/schemas/a"}]}), "serde_json :: Value"),
            (json!({"$ref": "#/components/schemas/a"}), "A"),
        ];
        for (schema, expected) in cases {
            assert_eq!(render(rust_type(&self::schema(schema.clone()), "t").unwrap()), expected, "{schema}");
        }
        let no_items = schema(json!({"type": "array"}));
        assert!(matches!(rust_type(&no_items, "x"), Err(Error::Unsupported(m)) if m.contains("without items")));
        let elsewhere = schema(json!({"$ref": "other.yaml#/a"}));
        assert!(matches!(rust_type(&elsewhere, "x"), Err(Error::Unresolved(r)) if r == "other.yaml#/a"));
        let numbers = schema(json!({"type": "integer", "enum": [1, 2]}));
        assert!(matches!(component("n", &numbers), Err(Error::Unsupported(m)) if m.contains("must be strings")));
    }

    #[test]
    fn string_enums_keep_wire_values() {
        let state = schema(json!({"type": "string", "enum": ["enabled", "cordoned"]}));
        let out = render(component("state", &state).unwrap());
        assert!(out.contains("pub enum State { # [oai (rename = \"enabled\")] Enabled"), "{out}");
    }

    #[test]
    fn go_enums_decode_through_the_wire_helper() {
        let ip = schema(
            json!({"type": "string", "x-steward-go-enum": {"prefix": "IpSupport"}, "enum": ["Unknown", "Dynamic"]}),
        );
        let out = render(component("IpSupport", &ip).unwrap());
        assert!(out.contains("crate :: wire :: go_enum (value , & crate :: wire :: GoEnum { name : \"IpSupport\" , prefix : \"IpSupport\" , names : & [\"Unknown\" , \"Dynamic\"] , numbers : & [] })"), "{out}");
        let typo = schema(json!({"type": "string", "x-steward-go-enum": {"prefx": "X"}, "enum": ["A"]}));
        assert!(component("T", &typo).is_err());
    }

    #[test]
    fn constraints_become_ordered_checks_with_the_specs_message() {
        let location = schema(json!({"type": "object", "properties": {
            "latitude": {"type": "number", "minimum": -90, "maximum": 90, "x-steward-invalid": "Invalid latitude value"},
            "name": {"type": "string", "maxLength": 8},
            "inner": {"$ref": "#/components/schemas/Inner"},
            "plain": {"type": "integer"}}}));
        let out = render(component("Location", &location).unwrap());
        let latitude = out.find("validator :: ValidateRange < f64 >> :: validate_range (& self . latitude , Some (- 90f64) , Some (90f64) , None , None)").unwrap_or(usize::MAX);
        let name = out
            .find("validator :: ValidateLength < u64 >> :: validate_length (& self . name , None , Some (8u64) , None)")
            .unwrap_or(usize::MAX);
        let inner = out.find("first_violation (& self . inner)").unwrap_or(usize::MAX);
        assert!(latitude < name && name < inner && inner < usize::MAX, "{out}");
        assert!(out.contains("Some (\"Invalid latitude value\")"), "{out}");
        assert!(!out.contains("self . plain"), "{out}");
        let typo = schema(json!({"type": "object", "properties": {"a": {"type": "integer", "x-steward-invlid": "x"}}}));
        assert!(component("T", &typo).is_err());
    }

    #[test]
    fn reserved_words_become_raw_identifiers() {
        assert_eq!(ident("type").to_string(), "r#type");
        assert_eq!(ident("fullName").to_string(), "full_name");
        assert_eq!(ident("self").to_string(), "self_");
    }
}
