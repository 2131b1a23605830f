//! The admin APIs Steward serves, each at its original's paths. A surface
//! is its generated module (from `openapi/<name>.yaml`) plus hand-written
//! handlers, auth and error wire.

pub mod scalelite;

use poem::{IntoResponse, Request, Response};

/// A served spec: `/openapi/<name>.yaml` and `.json`, listed in `/docs`.
pub struct Spec {
    pub name: &'static str,
    pub title: &'static str,
    pub yaml: &'static str,
    pub json: &'static str,
}

pub const SPECS: &[Spec] =
    &[Spec { name: "scalelite", title: "Scalelite admin API", yaml: scalelite::SPEC_YAML, json: scalelite::SPEC_JSON }];

pub fn spec(name: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|spec| spec.name == name)
}

fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Adjusts a request before routing, as the original's framework would
/// read it (e.g. Rails' format suffixes and JSON synonyms).
pub fn prepare(req: &mut Request) {
    if under(req.uri().path(), scalelite::PATH_PREFIX) {
        scalelite::prepare(req);
    }
}

/// The surface's own answer for a path or method it does not serve; `None`
/// outside every surface.
pub fn unmatched(path: &str) -> Option<Response> {
    under(path, scalelite::PATH_PREFIX)
        .then(|| scalelite::errors::ScaleliteError::unsupported_request().into_response())
}
