//! Steward's code generator: one hand-written OpenAPI 3.0 document in, the
//! Rust of its surface out (wire types, per-operation request/response
//! types, one handler trait and the poem-openapi routes that call it).
//!
//! Nothing here knows any particular surface: what binds a document to
//! hand-written Rust is its `x-steward` extension.

mod constraints;
mod ops;
mod spec;
mod types;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use spec::TraitLayout;
pub use spec::to_json;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum Error {
    #[error("cannot read the document: {0}")]
    Parse(String),
    #[error("unresolved reference {0}")]
    Unresolved(String),
    #[error("unsupported construct: {0}")]
    Unsupported(String),
    #[error("missing {0}")]
    Missing(String),
}

/// Generates the formatted Rust source for one surface's document.
pub fn generate(yaml: &str) -> Result<String, Error> {
    let tokens = generate_tokens(yaml)?;
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| Error::Unsupported(format!("generated code does not parse: {e}")))?;
    Ok(prettyplease::unparse(&file))
}

fn generate_tokens(yaml: &str) -> Result<TokenStream, Error> {
    let document = spec::parse(yaml)?;
    // Components in the order of their names, whatever the document's.
    let mut schemas: Vec<_> = document.components.schemas.iter().collect();
    schemas.sort_by_key(|(name, _)| *name);
    let components =
        schemas.into_iter().map(|(name, schema)| types::component(name, schema)).collect::<Result<Vec<_>, _>>()?;

    let mut items = Vec::new();
    let mut methods: Vec<(Option<String>, TokenStream)> = Vec::new();
    let mut routes = Vec::new();
    let mut checks_permissions = false;
    for (path, item) in &document.paths {
        for op in spec::operations(path, item)? {
            let code = ops::operation(&document, path, item, &op)?;
            items.push(code.items);
            methods.push((code.tag, code.trait_method));
            routes.push(code.route);
            checks_permissions |= code.checks_permission;
        }
    }

    let binding = &document.binding;
    let trait_ident = format_ident!("{}", binding.trait_name);
    let routes_ident = format_ident!("{}Routes", binding.trait_name);
    // Declared permissions are checked by the surface's `Authorize`.
    let authorize = match checks_permissions {
        true => {
            let parse = |path: &str| {
                syn::parse_str::<syn::Path>(path).map_err(|_| Error::Unsupported(format!("x-steward path {path}")))
            };
            let caller = parse(binding.caller.as_deref().ok_or_else(|| {
                Error::Missing("x-steward.caller for operations with x-steward-permission".to_owned())
            })?)?;
            let error = parse(&binding.error)?;
            Some(quote!(crate::wire::Authorize<#caller, #error>))
        }
        false => None,
    };
    let handler_traits = match binding.traits {
        TraitLayout::One => {
            let methods = methods.iter().map(|(_, method)| method);
            let supertrait = authorize.map(|bound| quote!(#bound +));
            quote! {
                /// One method per operation of the document; the surface implements it.
                #[async_trait::async_trait]
                pub trait #trait_ident: #supertrait Send + Sync + 'static {
                    #(#methods)*
                }
            }
        }
        TraitLayout::PerTag => per_tag_traits(&trait_ident, methods, authorize)?,
    };
    Ok(quote! {
        #(#components)*

        #(#items)*

        #handler_traits

        /// The document's operations served by poem-openapi, each delegating
        /// to the handler trait.
        pub struct #routes_ident(pub std::sync::Arc<dyn #trait_ident>);

        #[poem_openapi::OpenApi]
        impl #routes_ident {
            #(#routes)*
        }
    })
}

/// One trait per tag (`<Tag>Api`, in the tags' first-use order), and the
/// document's trait as their sum, implemented for whatever implements them
/// all.
fn per_tag_traits(
    trait_ident: &proc_macro2::Ident,
    methods: Vec<(Option<String>, TokenStream)>,
    authorize: Option<TokenStream>,
) -> Result<TokenStream, Error> {
    let mut tags: Vec<(String, Vec<TokenStream>)> = Vec::new();
    for (tag, method) in methods {
        let tag = tag.ok_or_else(|| Error::Missing("a tag on every operation (x-steward.traits: per-tag)".into()))?;
        match tags.iter_mut().find(|(name, _)| *name == tag) {
            Some((_, methods)) => methods.push(method),
            None => tags.push((tag, vec![method])),
        }
    }
    let idents: Vec<proc_macro2::Ident> =
        tags.iter().map(|(tag, _)| format_ident!("{}Api", types::type_ident(tag))).collect();
    let traits = tags.iter().zip(&idents).map(|((tag, methods), ident)| {
        let doc = format!(" The operations tagged `{tag}`.");
        quote! {
            #[doc = #doc]
            #[async_trait::async_trait]
            pub trait #ident: Send + Sync + 'static {
                #(#methods)*
            }
        }
    });
    let bounds: Vec<TokenStream> = idents.iter().map(|ident| quote!(#ident)).chain(authorize).collect();
    Ok(quote! {
        #(#traits)*

        /// Every operation of the document: the sum of its tags' traits.
        pub trait #trait_ident: #(#bounds +)* Send + Sync + 'static {}

        impl<T: #(#bounds +)* Send + Sync + 'static> #trait_ident for T {}
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r##"
openapi: 3.0.3
info: {title: t, version: "1"}
x-steward: {trait: PetsApi, error: crate::PetError, caller: crate::Caller}
security: [{key: []}]
paths:
  /pets/{petId}:
    get:
      operationId: getPet
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string}}
        - {name: verbose, in: query, schema: {type: boolean}}
      responses:
        "200":
          description: the pet
          content: {application/json: {schema: {$ref: "#/components/schemas/Pet"}}}
        "404": {$ref: "#/components/responses/NotFound"}
        "202":
          description: an XML failure answered with a success status
          content: {application/xml: {schema: {$ref: "#/components/schemas/Problem"}}}
  /pets:
    post:
      operationId: addPet
      security: []
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: "#/components/schemas/Pet"}}}
      responses:
        "204": {description: added}
components:
  responses:
    NotFound:
      description: no such pet
      content: {application/json: {schema: {$ref: "#/components/schemas/Problem"}}}
  schemas:
    Pet:
      type: object
      required: [name]
      properties: {name: {type: string}}
    Problem:
      type: object
      properties: {error: {type: string}}
"##;

    fn flat(code: &str) -> String {
        code.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn generates_trait_routes_and_reply_types() {
        let code = flat(&generate(MINIMAL).unwrap());
        assert!(code.contains("pub trait PetsApi: Send + Sync + 'static"), "{code}");
        assert!(
            code.contains("async fn get_pet( &self, caller: crate::Caller, request: GetPetRequest, ) -> ::core::result::Result<GetPetResponse, crate::PetError>;"),
            "{code}"
        );
        // An operation with `security: []` takes no caller.
        assert!(
            code.contains(
                "async fn add_pet( &self, request: AddPetRequest, ) -> ::core::result::Result<AddPetResponse, crate::PetError>;"
            ),
            "{code}"
        );
        assert!(
            code.contains("#[oai(path = \"/pets/:petId\", method = \"get\", operation_id = \"getPet\")]"),
            "{code}"
        );
        // The XML-only 202 is an error shape: no success variant for it.
        assert!(
            code.contains("pub enum GetPetResponse { Ok(Pet), /// A success the handler already encoded"),
            "{code}"
        );
        assert!(code.contains("pub enum AddPetResponse { NoContent, /// A success"), "{code}");
        assert!(code.contains("Prerendered(poem::Response), }"), "{code}");
        assert!(code.contains("pub verbose: Option<bool>"), "{code}");
        // The 404 documented by reference is part of the runtime metadata.
        assert!(code.contains("description : \"no such pet\", status : Some(404u16)"), "{code}");
    }

    #[test]
    fn refuses_an_operation_without_operation_id() {
        let doc = MINIMAL.replace("operationId: addPet", "summary: nameless");
        assert!(matches!(generate(&doc), Err(Error::Missing(m)) if m.contains("operationId of post /pets")));
    }

    #[test]
    fn refuses_unresolved_references() {
        let doc = MINIMAL.replace("#/components/responses/NotFound", "#/components/responses/Gone");
        assert_eq!(generate(&doc), Err(Error::Unresolved("#/components/responses/Gone".into())));
    }

    #[test]
    fn secured_operation_needs_a_caller_binding() {
        let doc = MINIMAL.replace(", caller: crate::Caller", "");
        assert!(matches!(generate(&doc), Err(Error::Missing(m)) if m.contains("x-steward.caller")));
    }

    #[test]
    fn refuses_openapi_31() {
        let doc = MINIMAL.replace("openapi: 3.0.3", "openapi: 3.1.0");
        assert!(matches!(generate(&doc), Err(Error::Unsupported(_))));
    }

    #[test]
    fn lenient_documents_decode_bodies_leniently() {
        let doc = MINIMAL.replace("caller: crate::Caller}", "caller: crate::Caller, json: lenient}");
        let code = flat(&generate(&doc).unwrap());
        assert!(code.contains("body: crate::wire::LenientJson<Pet>"), "{code}");
        assert!(code.contains("impl crate::wire::CanonicalKeys for Pet"), "{code}");
    }

    #[test]
    fn only_marked_objects_refuse_unknown_keys() {
        let code = flat(&generate(MINIMAL).unwrap());
        assert!(!code.contains("fn unknown_key"), "{code}");
        let doc = MINIMAL.replace("    Problem:\n", "    Problem:\n      x-steward-refuse-unknown-keys: ProblemRow\n");
        let code = flat(&generate(&doc).unwrap());
        assert!(code.contains("const KNOWN: &[&str] = &[\"error\"];"), "{code}");
        assert!(code.contains("(key.clone(), \"ProblemRow\")"), "{code}");
    }

    #[test]
    fn a_surface_extractor_reads_json_bodies_optional_or_not() {
        let doc = MINIMAL.replace("caller: crate::Caller}", "caller: crate::Caller, json-extractor: crate::Echo}");
        let code = flat(&generate(&doc).unwrap());
        assert!(code.contains("body: crate::Echo<Pet>"), "{code}");
        let optional = doc.replace("required: true", "required: false");
        let code = flat(&generate(&optional).unwrap());
        assert!(code.contains("body: crate::Echo<Option<Pet>>"), "{code}");
    }

    #[test]
    fn raw_query_and_form_bodies_reach_the_handler_as_sent() {
        let doc = MINIMAL
            .replace("      security: []\n", "      security: []\n      x-steward-raw-query: true\n")
            .replace("content: {application/json: {schema: {$ref: \"#/components/schemas/Pet\"}}}\n      responses:\n        \"204\"", "content: {application/x-www-form-urlencoded: {schema: {$ref: \"#/components/schemas/Pet\"}}}\n      responses:\n        \"204\"");
        let code = flat(&generate(&doc).unwrap());
        assert!(
            code.contains(
                "pub struct AddPetRequest { pub body: Vec<(String, String)>, pub raw_query: crate::wire::RawQuery, }"
            ),
            "{code}"
        );
        assert!(code.contains("body: crate::wire::FormPairs, raw_query: crate::wire::RawQuery,"), "{code}");
    }

    #[test]
    fn misspelt_or_malformed_steward_extensions_are_refused() {
        let parse_error = |doc: &str| match generate(doc) {
            Err(Error::Parse(message)) => message,
            other => panic!("{other:?}"),
        };
        let misspelt = MINIMAL.replace("      security: []\n", "      security: []\n      x-steward-raw-qurey: true\n");
        assert!(parse_error(&misspelt).contains("x-steward-raw-qurey"));
        let malformed =
            MINIMAL.replace("      security: []\n", "      security: []\n      x-steward-raw-query: yes please\n");
        assert!(parse_error(&malformed).contains("post /pets"));
        let unknown_binding = MINIMAL.replace("caller: crate::Caller}", "caller: crate::Caller, trait-name: X}");
        assert!(parse_error(&unknown_binding).contains("trait-name"));
        let missing_binding =
            MINIMAL.replace("x-steward: {trait: PetsApi, error: crate::PetError, caller: crate::Caller}\n", "");
        assert!(parse_error(&missing_binding).contains("x-steward"));
        // Other vendors' extensions are none of the generator's business.
        let foreign = MINIMAL.replace("      security: []\n", "      security: []\n      x-codegen-hint: anything\n");
        assert!(generate(&foreign).is_ok());
    }

    #[test]
    fn refuse_unknown_keys_names_an_object() {
        let not_a_name = MINIMAL.replace("    Problem:\n", "    Problem:\n      x-steward-refuse-unknown-keys: true\n");
        assert!(matches!(generate(&not_a_name), Err(Error::Parse(m)) if m.contains("schema Problem")));
        let not_an_object = MINIMAL.replace(
            "    Problem:\n",
            "    Tag:\n      type: string\n      x-steward-refuse-unknown-keys: Tag\n    Problem:\n",
        );
        assert!(matches!(generate(&not_an_object), Err(Error::Unsupported(m)) if m.contains("Tag")));
    }

    #[test]
    fn refuses_what_it_would_otherwise_drop() {
        let head = MINIMAL.replace("  /pets:\n    post:", "  /pets:\n    head:\n      operationId: headPets\n      responses: {\"200\": {description: ok}}\n    post:");
        assert!(matches!(generate(&head), Err(Error::Unsupported(m)) if m.contains("head /pets")));
        let content_param = MINIMAL.replace(
            "{name: verbose, in: query, schema: {type: boolean}}",
            "{name: verbose, in: query, content: {application/json: {schema: {type: boolean}}}}",
        );
        assert!(matches!(generate(&content_param), Err(Error::Unsupported(m)) if m.contains("parameter verbose")));
        let range = MINIMAL.replace("\"202\":", "\"2XX\":");
        assert!(matches!(generate(&range), Err(Error::Unsupported(m)) if m.contains("response code 2XX")));
    }

    #[test]
    fn references_between_components_are_followed_but_not_in_circles() {
        let chained = MINIMAL.replace(
            "  responses:\n    NotFound:\n",
            "  responses:\n    Missing: {$ref: \"#/components/responses/NotFound\"}\n    NotFound:\n",
        );
        let chained = chained.replace(
            "$ref: \"#/components/responses/NotFound\"}\n        \"202\"",
            "$ref: \"#/components/responses/Missing\"}\n        \"202\"",
        );
        assert!(flat(&generate(&chained).unwrap()).contains("description : \"no such pet\", status : Some(404u16)"));
        let circle = chained.replace(
            "    NotFound:\n      description: no such pet\n      content: {application/json: {schema: {$ref: \"#/components/schemas/Problem\"}}}\n",
            "    NotFound: {$ref: \"#/components/responses/Missing\"}\n",
        );
        assert!(matches!(generate(&circle), Err(Error::Unsupported(m)) if m.contains("cycle")));
    }

    /// `doc` with the adjacent blocks starting at `first` and at `second`
    /// (the latter running up to `end`, or the end of `doc`) swapped.
    fn swap_blocks(doc: &str, first: &str, second: &str, end: &str) -> String {
        let (i, j) = (doc.find(first).unwrap(), doc.find(second).unwrap());
        let k = doc[j..].find(end).map_or(doc.len(), |k| j + k);
        format!("{}{}{}{}", &doc[..i], &doc[j..k], &doc[i..j], &doc[k..])
    }

    #[test]
    fn output_does_not_depend_on_the_documents_order() {
        let reordered = swap_blocks(MINIMAL, "  /pets/{petId}:\n", "  /pets:\n", "components:\n");
        let reordered = swap_blocks(&reordered, "        \"404\"", "        \"202\":", "components:\n");
        let reordered = swap_blocks(&reordered, "    Pet:\n", "    Problem:\n", "\"##");
        assert!(reordered.find("/pets:") < reordered.find("/pets/{petId}:"), "{reordered}");
        assert!(reordered.find("\"202\":") < reordered.find("\"404\":"), "{reordered}");
        assert!(reordered.find("Problem:\n") < reordered.find("Pet:\n"), "{reordered}");
        assert_eq!(generate(&reordered).unwrap(), generate(MINIMAL).unwrap());
    }

    const REGIONAL: &str = r##"
openapi: 3.0.3
info: {title: t, version: "1"}
x-steward: {trait: ZooApi, error: crate::ZooError, caller: crate::Caller, traits: per-tag}
security: [{key: []}]
paths:
  /pets/show:
    post:
      operationId: showPets
      tags: [Pet]
      x-steward-stream: {field: data}
      x-steward-permission: {visibility: own-orgs}
      requestBody:
        content: {application/json: {schema: {$ref: "#/components/schemas/Pet"}}}
      responses:
        "200":
          description: one line per pet
          content: {application/json: {schema: {$ref: "#/components/schemas/PetLine"}}}
  /pets/create:
    post:
      operationId: createPet
      tags: [Pet]
      x-steward-json-extractor: crate::Raw
      x-steward-internal-fields: {Secret: /secret, Mood: {at: /mood, zero: Calm}}
      x-steward-required-object: /pet
      x-steward-permission: {resource: pets, action: manage, org: /owner, requires-org: keeper}
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: "#/components/schemas/Pet"}}}
      responses:
        "200": {description: created}
  /keepers/show:
    post:
      operationId: showKeepers
      tags: [Keeper]
      responses:
        "200": {description: keepers}
components:
  schemas:
    Pet:
      type: object
      properties:
        owner: {type: string}
        secret: {type: boolean}
        weight: {type: integer, format: uint64}
    PetLine:
      type: object
      properties:
        data: {$ref: "#/components/schemas/Pet"}
"##;

    #[test]
    fn per_tag_traits_sum_into_the_documents_trait() {
        let code = flat(&generate(REGIONAL).unwrap());
        assert!(code.contains("pub trait PetApi: Send + Sync + 'static {"), "{code}");
        assert!(code.contains("pub trait KeeperApi: Send + Sync + 'static {"), "{code}");
        let code = code.replace("< ", "<").replace(" >", ">");
        assert!(
            code.contains("pub trait ZooApi: KeeperApi + PetApi + crate::wire::Authorize<crate::Caller, crate::ZooError,> + Send + Sync + 'static {}"),
            "{code}"
        );
        assert!(code.contains("pub weight: Option<u64>"), "{code}");
        let untagged = REGIONAL.replace("      tags: [Keeper]\n", "");
        assert!(matches!(generate(&untagged), Err(Error::Missing(m)) if m.contains("a tag on every operation")));
    }

    #[test]
    fn streamed_operations_yield_their_line_field() {
        let code = flat(&generate(REGIONAL).unwrap());
        assert!(code.contains("pub enum ShowPetsResponse { Ok(crate::wire::Stream<Pet, crate::ZooError>),"), "{code}");
        assert!(code.contains("as crate::wire::Wire>::encode_stream("), "{code}");
        let wrong = REGIONAL.replace("{field: data}", "{field: rows}");
        assert!(matches!(generate(&wrong), Err(Error::Missing(m)) if m.contains("property rows")));
    }

    #[test]
    fn deferred_bodies_reach_the_handler_decoded_or_not() {
        let deferred =
            REGIONAL.replace("      x-steward-json-extractor: crate::Raw\n", "      x-steward-deferred-body: true\n");
        let deferred =
            deferred.replace("      x-steward-internal-fields: {Secret: /secret, Mood: {at: /mood, zero: Calm}}\n", "");
        let deferred = deferred.replace("      x-steward-required-object: /pet\n", "");
        let deferred = deferred
            .replace("{resource: pets, action: manage, org: /owner, requires-org: keeper}", "{visibility: keepers}");
        let code = flat(&generate(&deferred).unwrap()).replace("< ", "<").replace(" >", ">");
        assert!(code.contains("pub body: crate::wire::Deferred<Pet>"), "{code}");
        assert!(code.contains("body: crate::wire::DeferredJson<Pet>"), "{code}");
        // A surface's own deferred extractor.
        let own = deferred.replace("traits: per-tag}", "traits: per-tag, deferred-extractor: crate::EchoLater}");
        assert_ne!(own, deferred, "the document's x-steward was changed");
        let code = flat(&generate(&own).unwrap()).replace("< ", "<").replace(" >", ">");
        assert!(code.contains("pub body: crate::wire::Deferred<Pet>"), "{code}");
        assert!(code.contains("body: crate::EchoLater<Pet>"), "{code}");
    }

    #[test]
    fn live_streams_yield_whole_lines_as_they_come() {
        let live = REGIONAL.replace("x-steward-stream: {field: data}", "x-steward-stream: {live: true}");
        let code = flat(&generate(&live).unwrap());
        assert!(code.contains("pub enum ShowPetsResponse { Ok(crate::wire::LiveStream<PetLine>),"), "{code}");
        assert!(code.contains("as crate::wire::Wire>::encode_live_stream("), "{code}");
        assert!(!code.contains("encode_stream("), "{code}");
    }

    #[test]
    fn declared_permissions_and_internal_fields_are_checked_before_the_handler() {
        let code = flat(&generate(REGIONAL).unwrap()).replace("( ", "(").replace(", )", ")").replace(", }", " }");
        assert!(code.contains("body: crate::Raw<Pet>"), "{code}");
        assert!(
            code.contains("crate::wire::Permission::Grant { resource: \"pets\", action: \"manage\", org: \"/owner\", requires_org: Some(\"keeper\") }"),
            "{code}"
        );
        assert!(code.contains("crate::wire::Permission::Visibility(\"own-orgs\")"), "{code}");
        assert!(code.contains("const INTERNAL_FIELDS: &[(&str, &str, Option<&str>)] = &["), "{code}");
        assert!(code.contains("(\"Secret\", \"/secret\", None)"), "{code}");
        assert!(code.contains("(\"Mood\", \"/mood\", Some(\"Calm\"))"), "{code}");
        assert!(code.contains("missing_object(\"pet\")"), "{code}");
        let required = code.find("missing_object").unwrap();
        // The internal-field refusal comes first, then the permission, then the handler.
        let internal = code.find("let internal = INTERNAL_FIELDS").unwrap();
        let permission = code.find("PERMISSION, sent.as_ref()").unwrap();
        let handler = code.find("self.0.create_pet(caller, request)").expect("the handler call");
        assert!(required < internal && internal < permission && permission < handler, "{code}");
        let unsecured = REGIONAL.replace("security: [{key: []}]", "security: []");
        assert!(matches!(generate(&unsecured), Err(Error::Unsupported(m)) if m.contains("unsecured")));
    }
}
