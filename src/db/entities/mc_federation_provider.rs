//! A federation this MC hosts: a partner operator (the guest) deploys on
//! the zones shared with it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mc_federation_providers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// Lower-cased name (citext in MC).
    #[sea_orm(unique)]
    pub name_key: String,
    pub operator_id: String,
    /// JSON array of region names (`null` when never set).
    pub regions: Option<String>,
    #[sea_orm(unique)]
    pub federation_context_id: String,
    /// JSON `Federator` (this operator's identity, sent to the partner).
    pub my_info: String,
    /// JSON `Federator` (the partner's, once it registered).
    pub partner_info: String,
    pub partner_notify_dest: String,
    pub partner_notify_token_url: String,
    /// As shown: `***` once a key is set.
    pub partner_notify_client_id: String,
    /// The partner's callback credentials `{"id","key","tokenurl"}`, sealed
    /// (crate::sealing); MC kept them in Vault.
    pub partner_notify_key_sealed: Option<String>,
    pub default_container_deployment: String,
    /// `Unregistered` or `Registered`.
    pub status: String,
    pub provider_client_id: String,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
