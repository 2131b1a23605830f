//! Black-box tests over HTTP against a real Steward, each on SQLite and
//! PostgreSQL.

mod argo;
mod cli;
mod harness;
mod mc_access;
mod mc_authz;
mod mc_client;
mod mc_cloudlet_pools;
mod mc_cloudlets;
mod mc_controllers;
mod mc_flavors;
mod mc_login;
mod mc_mail;
mod mc_operator_codes;
mod mc_races;
mod mc_sessions;
mod mc_users;
mod mc_vm_pools;
mod platform;
mod races;
mod scalelite_auth;
mod scalelite_client;
mod scalelite_servers;
mod scalelite_tenants;
mod spec_drift;
mod storj;
