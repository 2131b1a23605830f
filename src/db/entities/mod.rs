//! sea-orm entities, one module per table.

pub mod audit_event;
pub mod scalelite_server;
pub mod scalelite_tenant;
pub mod setting;
