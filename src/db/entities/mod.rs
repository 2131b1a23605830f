//! sea-orm entities, one module per table.

pub mod argo_admin;
pub mod argo_generation;
pub mod argo_tenant;
pub mod argo_user;
pub mod audit_event;
pub mod mc_api_key;
pub mod mc_api_key_perm;
pub mod mc_controller;
pub mod mc_org;
pub mod mc_org_cloudlet_pool;
pub mod mc_regional_object;
pub mod mc_role_grant;
pub mod mc_token;
pub mod mc_user;
pub mod scalelite_server;
pub mod scalelite_tenant;
pub mod setting;
pub mod storj_api_key;
pub mod storj_coupon;
pub mod storj_project;
pub mod storj_user;
