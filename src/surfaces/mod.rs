//! The admin APIs Steward serves, each at its original's paths. A surface
//! is its generated module (from `openapi/<name>.yaml`) plus hand-written
//! handlers, auth and error wire.

pub mod argo;
pub mod lighthouse;
pub mod mc;
pub mod scalelite;
pub mod storj;

use poem::{IntoResponse, Request, Response};

/// A served spec: `/openapi/<name>.yaml` and `.json`, listed in `/docs`.
pub struct Spec {
    pub name: &'static str,
    pub title: &'static str,
    pub yaml: &'static str,
    pub json: &'static str,
    /// The path prefixes the surface owns.
    pub prefixes: &'static [&'static str],
}

pub const SPECS: &[Spec] = &[
    Spec {
        name: "scalelite",
        title: "Scalelite admin API",
        yaml: scalelite::SPEC_YAML,
        json: scalelite::SPEC_JSON,
        prefixes: &[scalelite::PATH_PREFIX],
    },
    Spec {
        name: "storj",
        title: "Storj satellite admin API",
        yaml: storj::SPEC_YAML,
        json: storj::SPEC_JSON,
        prefixes: &storj::PATH_PREFIXES,
    },
    Spec {
        name: "argo",
        title: "ARGO web-api tenants admin",
        yaml: argo::SPEC_YAML,
        json: argo::SPEC_JSON,
        prefixes: &[argo::PATH_PREFIX],
    },
    Spec {
        name: "mc",
        title: "EdgeXR Master Controller API (identity)",
        yaml: mc::SPEC_YAML,
        json: mc::SPEC_JSON,
        prefixes: &[mc::PATH_PREFIX],
    },
    Spec {
        name: "mc_federation",
        title: "EdgeXR MC federation partner API (GSMA east-west)",
        yaml: mc::partner::SPEC_YAML,
        json: mc::partner::SPEC_JSON,
        prefixes: &mc::partner::PATH_PREFIXES,
    },
    Spec {
        name: "lighthouse",
        title: "Lighthouse API v0.2",
        yaml: lighthouse::SPEC_YAML,
        json: lighthouse::SPEC_JSON,
        prefixes: &[lighthouse::PATH_PREFIX],
    },
];

pub fn spec(name: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|spec| spec.name == name)
}

fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The surface owning a path, if any.
pub fn owner(path: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|spec| spec.prefixes.iter().any(|prefix| under(path, prefix)))
}

/// Adjusts a request before routing, as the original's framework would
/// read it (e.g. Rails' format suffixes and JSON synonyms).
pub fn prepare(req: &mut Request) {
    if under(req.uri().path(), scalelite::PATH_PREFIX) {
        scalelite::prepare(req);
    } else if under(req.uri().path(), lighthouse::PATH_PREFIX) {
        lighthouse::prepare(req);
    }
}

/// How a surface answers a path or method it does not route, decided
/// before routing (Storj authenticates first).
pub enum Unmatched {
    Scalelite,
    Storj(storj::auth::Credentials),
    /// ARGO checks keys per route, so an unrouted request is just gorilla/mux's
    /// 404 (a wrong method too), except the OPTIONS it answers on its tenant
    /// paths.
    Argo {
        options: bool,
    },
    /// Lighthouse's session middleware runs before its router, so only a
    /// live session gets this far (`lighthouse::session_edges`).
    Lighthouse,
    /// MC authenticates `/auth/` paths before echo's router answers.
    Mc {
        unauthenticated: Option<mc::errors::McError>,
    },
}

impl Unmatched {
    /// `owner` is the surface owning the request's path (`surfaces::owner`).
    pub fn for_request(req: &Request, owner: Option<&Spec>) -> Option<Self> {
        match owner?.name {
            "scalelite" => Some(Self::Scalelite),
            "storj" => Some(Self::Storj(storj::auth::Credentials::of(req))),
            "argo" => Some(Self::Argo { options: argo::answers_options(req.method(), req.uri().path()) }),
            "mc" => Some(Self::Mc { unauthenticated: mc::unmatched_auth(req) }),
            "lighthouse" => Some(Self::Lighthouse),
            _ => None,
        }
    }

    pub fn respond(self, method_not_allowed: bool) -> Response {
        match self {
            Self::Scalelite => scalelite::errors::ScaleliteError::unsupported_request().into_response(),
            Self::Storj(credentials) => storj::unmatched(credentials.check().err(), method_not_allowed),
            Self::Argo { options: true } if method_not_allowed => argo::options_response(),
            // gorilla/mux 1.8.1 (ARGO's) forgets a method mismatch when a
            // later route's matcher matches (gorilla/mux#751); ARGO's
            // router has such routes after the tenants, so a wrong method
            // on a tenant path is its plain 404, never a 405.
            Self::Argo { .. } => crate::wire::gorilla_unmatched(false),
            Self::Lighthouse => lighthouse::unmatched(),
            Self::Mc { unauthenticated: Some(error) } => error.into_response(),
            Self::Mc { unauthenticated: None } => mc::echo_unmatched(method_not_allowed),
        }
    }
}
