//! The EdgeXR Master Controller API's identity half (`/api/v1`): login
//! and tokens, users, roles and their permissions, organizations and user
//! API keys.

pub mod body;
pub mod caller;
pub mod errors;
pub mod mail;
pub mod rbac;
pub mod strength;
pub mod token;
pub mod totp;

/// Generated from `openapi/mc.yaml` by build.rs.
#[allow(clippy::large_enum_variant, clippy::too_many_arguments)]
pub mod api {
    include!(concat!(env!("OUT_DIR"), "/mc.rs"));
}

pub const SPEC_YAML: &str = include_str!("../../../openapi/mc.yaml");
pub const SPEC_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/mc.json"));
pub const PATH_PREFIX: &str = "/api/v1";
