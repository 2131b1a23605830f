//! A federation this MC is the guest of: its operator deploys on the zones
//! a host shares.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mc_federation_consumers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// Lower-cased name (citext in MC).
    #[sea_orm(unique)]
    pub name_key: String,
    pub operator_id: String,
    pub public: bool,
    pub partner_addr: String,
    pub partner_token_url: String,
    pub federation_context_id: String,
    /// JSON `Federator`.
    pub my_info: String,
    /// JSON `Federator` (the host's, once registered).
    pub partner_info: String,
    pub auto_register_zones: bool,
    pub auto_register_region: String,
    /// `Unregistered` or `Registered`.
    pub status: String,
    pub provider_client_id: String,
    /// The host's client key, sealed (crate::sealing); MC kept it in Vault.
    pub provider_key_sealed: String,
    pub notify_client_id: String,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
