//! What partners pushed to this MC's federation hosts, as the host's
//! operator sees it (`/auth/federation/provider/{image,...}/{show,
//! unsafedelete}`): shows to cloudlets:view in the host's developer org;
//! unsafe deletes, for a partner that cannot delete its own, run the
//! partner API's removals under cloudlets:manage in the operator org.

use sea_orm::{EntityTrait, QueryOrder};

use super::super::api::{ProviderImage, ProviderImageFilter};
use super::super::caller::McCaller;
use super::super::errors::McError;
use super::super::partner::files;
use super::super::store::text;
use super::super::{Mc, change};
use super::{fed_authorized, hosts};
use crate::db::entities::{mc_federation_provider, mc_provider_image};

/// The unsafe delete's checks (`<key> must be specified`, the host, the
/// operator's right), then the host locked in a new transaction.
async fn unsafe_target(
    mc: &Mc,
    caller: &McCaller,
    (key, id): (&str, &str),
    federation: &str,
) -> Result<(sea_orm::DatabaseTransaction, mc_federation_provider::Model), McError> {
    if id.is_empty() {
        return Err(McError::bad_request(format!("{key} must be specified")));
    }
    if federation.is_empty() {
        return Err(McError::bad_request("Federation name must be specified"));
    }
    let provider = hosts::lookup(&mc.db, None, federation, false).await?;
    fed_authorized(mc, caller, &provider.operator_id).await?;
    let txn = crate::db::begin_write(&mc.db).await?;
    let provider = hosts::lookup(&txn, Some(provider.id), "", true).await?;
    Ok((txn, provider))
}

pub async fn show_images(
    mc: &Mc,
    caller: &McCaller,
    filter: Option<ProviderImageFilter>,
) -> Result<Vec<ProviderImage>, McError> {
    let filter = filter.unwrap_or_default();
    let visible = super::Visible::to(mc, caller).await?;
    let rows = mc_provider_image::Entity::find()
        .order_by_asc(mc_provider_image::Column::FederationName)
        .order_by_asc(mc_provider_image::Column::FileId)
        .all(&mc.db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|row| visible.sees_name(&row.federation_name))
        .filter(|row| {
            super::same_name(&filter.federation_name, &row.federation_name)
                && super::same(&filter.file_id, &row.file_id)
                && super::same(&filter.path, &row.path)
                && super::same(&filter.name, &row.name)
                && super::same(&filter.description, &row.description)
                && super::same(&filter.version, &row.version)
                && super::same(&filter.r#type, &row.r#type)
                && super::same(&filter.app_provider_id, &row.app_provider_id)
                && super::same(&filter.checksum, &row.checksum)
                && super::same(&filter.status, &row.status)
        })
        .map(|row| ProviderImage {
            federation_name: Some(row.federation_name),
            file_id: Some(row.file_id),
            path: Some(row.path),
            name: Some(row.name),
            description: Some(row.description),
            version: Some(row.version),
            r#type: Some(row.r#type),
            app_provider_id: Some(row.app_provider_id),
            checksum: Some(row.checksum),
            status: Some(row.status),
        })
        .collect())
}

/// `UnsafeDeleteProviderImage`: the partner's `RemoveFile`, by the host.
pub async fn unsafe_delete_image(mc: &Mc, caller: &McCaller, body: ProviderImage) -> Result<(), McError> {
    let target = ("FileID", text(&body.file_id));
    let (txn, provider) = unsafe_target(mc, caller, target, text(&body.federation_name)).await?;
    files::remove_internal(&txn, &provider, target.1).await?;
    let what = format!("{} of {}", target.1, provider.name);
    mc.audited.record(&txn, &change(caller.username(), "unsafe delete federation image", &what)).await?;
    txn.commit().await?;
    Ok(())
}
