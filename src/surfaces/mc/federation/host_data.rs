//! What partners pushed to this MC's federation hosts, as the host's
//! operator sees it (`/auth/federation/provider/{image,...}/{show,
//! unsafedelete}`): shows to cloudlets:view in the host's developer org;
//! unsafe deletes, for a partner that cannot delete its own, run the
//! partner API's removals under cloudlets:manage in the operator org.

use sea_orm::{EntityTrait, QueryOrder};

use super::super::api::{
    ProviderApp, ProviderAppFilter, ProviderAppInst, ProviderAppInstFilter, ProviderArtefact, ProviderArtefactFilter,
    ProviderImage, ProviderImageFilter,
};
use super::super::caller::McCaller;
use super::super::errors::McError;
use super::super::partner::{artefacts, files, lcm, onboarding};
use super::super::store::text;
use super::super::{Mc, change};
use super::{fed_authorized, hosts};
use crate::db::entities::{
    mc_federation_provider, mc_provider_app, mc_provider_app_inst, mc_provider_artefact, mc_provider_image,
};

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

/// A list column (JSON array) as shown: `null` when never set.
fn list(column: &str) -> Option<Vec<String>> {
    serde_json::from_str(column).ok()
}

/// A show filter's list field: unset or empty matches everything, else equal.
fn same_list(wanted: &Option<Vec<String>>, column: &str) -> bool {
    wanted.as_ref().is_none_or(|wanted| wanted.is_empty() || list(column).as_ref() == Some(wanted))
}

pub async fn show_artefacts(
    mc: &Mc,
    caller: &McCaller,
    filter: Option<ProviderArtefactFilter>,
) -> Result<Vec<ProviderArtefact>, McError> {
    let filter = filter.unwrap_or_default();
    let visible = super::Visible::to(mc, caller).await?;
    let rows = mc_provider_artefact::Entity::find()
        .order_by_asc(mc_provider_artefact::Column::FederationName)
        .order_by_asc(mc_provider_artefact::Column::ArtefactId)
        .all(&mc.db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|row| visible.sees_name(&row.federation_name))
        .filter(|row| {
            super::same_name(&filter.federation_name, &row.federation_name)
                && super::same(&filter.artefact_id, &row.artefact_id)
                && super::same(&filter.app_name, &row.app_name)
                && super::same(&filter.app_vers, &row.app_vers)
                && super::same(&filter.app_provider_id, &row.app_provider_id)
                && super::same(&filter.artefact_name, &row.artefact_name)
                && super::same(&filter.artefact_version, &row.artefact_version)
                && super::same(&filter.virt_type, &row.virt_type)
                && super::same(&filter.desc_type, &row.desc_type)
                && same_list(&filter.file_ids, &row.file_ids)
        })
        .map(|row| ProviderArtefact {
            file_ids: list(&row.file_ids),
            federation_name: Some(row.federation_name),
            artefact_id: Some(row.artefact_id),
            app_name: Some(row.app_name),
            app_vers: Some(row.app_vers),
            app_provider_id: Some(row.app_provider_id),
            artefact_name: Some(row.artefact_name),
            artefact_version: Some(row.artefact_version),
            virt_type: Some(row.virt_type),
            desc_type: Some(row.desc_type),
        })
        .collect())
}

/// `UnsafeDeleteProviderArtefact`: the partner's `RemoveArtefact`, by the host.
pub async fn unsafe_delete_artefact(mc: &Mc, caller: &McCaller, body: ProviderArtefact) -> Result<(), McError> {
    let target = ("ArtefactID", text(&body.artefact_id));
    let (txn, provider) = unsafe_target(mc, caller, target, text(&body.federation_name)).await?;
    artefacts::remove_internal(mc, &txn, caller, &provider, target.1).await?;
    let what = format!("{} of {}", target.1, provider.name);
    mc.audited.record(&txn, &change(caller.username(), "unsafe delete federation artefact", &what)).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn show_apps(
    mc: &Mc,
    caller: &McCaller,
    filter: Option<ProviderAppFilter>,
) -> Result<Vec<ProviderApp>, McError> {
    let filter = filter.unwrap_or_default();
    let visible = super::Visible::to(mc, caller).await?;
    let rows = mc_provider_app::Entity::find()
        .order_by_asc(mc_provider_app::Column::FederationName)
        .order_by_asc(mc_provider_app::Column::AppId)
        .all(&mc.db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|row| visible.sees_name(&row.federation_name))
        .filter(|row| {
            super::same_name(&filter.federation_name, &row.federation_name)
                && super::same(&filter.app_id, &row.app_id)
                && super::same(&filter.app_name, &row.app_name)
                && super::same(&filter.app_vers, &row.app_vers)
                && super::same(&filter.app_provider_id, &row.app_provider_id)
                && super::same(&filter.app_status_callback_link, &row.app_status_callback_link)
                && same_list(&filter.artefact_ids, &row.artefact_ids)
                && same_list(&filter.deployment_zones, &row.deployment_zones)
        })
        .map(|row| ProviderApp {
            artefact_ids: list(&row.artefact_ids),
            deployment_zones: list(&row.deployment_zones),
            federation_name: Some(row.federation_name),
            app_id: Some(row.app_id),
            app_name: Some(row.app_name),
            app_vers: Some(row.app_vers),
            app_provider_id: Some(row.app_provider_id),
            app_status_callback_link: Some(row.app_status_callback_link),
        })
        .collect())
}

/// `UnsafeDeleteProviderApp`: the partner's `DeleteApp`, by the host.
pub async fn unsafe_delete_app(mc: &Mc, caller: &McCaller, body: ProviderApp) -> Result<(), McError> {
    let target = ("AppID", text(&body.app_id));
    let (txn, provider) = unsafe_target(mc, caller, target, text(&body.federation_name)).await?;
    onboarding::delete_internal(&txn, &provider, target.1).await?;
    let what = format!("{} of {}", target.1, provider.name);
    mc.audited.record(&txn, &change(caller.username(), "unsafe delete federation app", &what)).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn show_app_insts(
    mc: &Mc,
    caller: &McCaller,
    filter: Option<ProviderAppInstFilter>,
) -> Result<Vec<ProviderAppInst>, McError> {
    let filter = filter.unwrap_or_default();
    let visible = super::Visible::to(mc, caller).await?;
    let rows = mc_provider_app_inst::Entity::find()
        .order_by_asc(mc_provider_app_inst::Column::FederationName)
        .order_by_asc(mc_provider_app_inst::Column::AppInstId)
        .all(&mc.db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|row| visible.sees_name(&row.federation_name))
        .filter(|row| {
            super::same_name(&filter.federation_name, &row.federation_name)
                && super::same(&filter.app_inst_id, &row.app_inst_id)
                && super::same(&filter.app_id, &row.app_id)
                && super::same(&filter.app_name, &row.app_name)
                && super::same(&filter.app_vers, &row.app_vers)
                && super::same(&filter.region, &row.region)
                && super::same(&filter.cloudlet, &row.cloudlet)
                && super::same(&filter.cloudlet_org, &row.cloudlet_org)
                && super::same(&filter.cloudlet_fed_org, &row.cloudlet_fed_org)
                && super::same(&filter.app_inst_callback_link, &row.app_inst_callback_link)
                && super::same(&filter.error, &row.error)
        })
        .map(|row| ProviderAppInst {
            federation_name: Some(row.federation_name),
            app_inst_id: Some(row.app_inst_id),
            app_id: Some(row.app_id),
            app_name: Some(row.app_name),
            app_vers: Some(row.app_vers),
            region: Some(row.region),
            cloudlet: Some(row.cloudlet),
            cloudlet_org: Some(row.cloudlet_org),
            cloudlet_fed_org: Some(row.cloudlet_fed_org),
            app_inst_callback_link: Some(row.app_inst_callback_link),
            error: Some(row.error),
        })
        .collect())
}

/// `UnsafeDeleteProviderAppInst` (`RemoveAppInstInternal`): the instance
/// in its region (one already gone is no error), then the row.
pub async fn unsafe_delete_app_inst(mc: &Mc, caller: &McCaller, body: ProviderAppInst) -> Result<(), McError> {
    let target = ("AppInstID", text(&body.app_inst_id));
    let (txn, provider) = unsafe_target(mc, caller, target, text(&body.federation_name)).await?;
    lcm::remove_internal(&txn, &provider, target.1).await?;
    let what = format!("{} of {}", target.1, provider.name);
    mc.audited.record(&txn, &change(caller.username(), "unsafe delete federation app instance", &what)).await?;
    txn.commit().await?;
    Ok(())
}
