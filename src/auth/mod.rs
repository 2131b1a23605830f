//! Credential primitives shared by surfaces.

pub mod password;
