//! The partner's zone registrations (`{federationContextId}/zones`): MC's
//! `ZoneSubscribe`, `GetZoneData` and `ZoneUnsubscribe`, with each zone's
//! resources as MC read them from its Controller.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
};
use serde_json::Value;

use super::super::Mc;
use super::super::federation::hosts::{REGISTERED, UNREGISTERED};
use super::super::regional::cloudlet::CLOUDLET;
use super::super::regional::cloudlet_resources::infra_max;
use super::super::regional::flavor::FLAVOR;
use super::super::regional::store::{self as regional_store, Listing};
use super::api::{
    ComputeResourceInfo, Flavour, OsType, ZoneRegisteredData, ZoneRegistrationRequestData, ZoneRegistrationResponseData,
};
use super::caller::PartnerCaller;
use super::errors::FedError;
use super::federation::{NOT_SUPPORTED, check_callback_link, lookup_provider};
use crate::db::entities::{mc_federation_provider, mc_provider_zone, mc_provider_zone_base};

/// GSMA's `CPUARCHTYPE_X86_64`.
const X86_64: &str = "ISA_X86_64";

/// `LookupProviderZone`: a zone shared with this host (404 otherwise).
async fn shared_zone(
    db: &impl ConnectionTrait,
    provider: &mc_federation_provider::Model,
    zone_id: &str,
) -> Result<mc_provider_zone::Model, FedError> {
    mc_provider_zone::Entity::find_by_id((zone_id.to_owned(), provider.name.clone()))
        .one(db)
        .await?
        .ok_or_else(|| FedError::new(poem::http::StatusCode::NOT_FOUND, format!("Zone {zone_id} not found")))
}

/// `getZoneRegisteredData`; any failure is MC's 500 for the zone.
async fn registered_data(
    db: &impl ConnectionTrait,
    provider: &mc_federation_provider::Model,
    zone_id: &str,
) -> Result<ZoneRegisteredData, FedError> {
    let base = mc_provider_zone_base::Entity::find_by_id(zone_id.to_owned())
        .filter(mc_provider_zone_base::Column::OperatorId.eq(&provider.operator_id))
        .one(db)
        .await?
        .ok_or_else(|| {
            FedError::new(
                poem::http::StatusCode::INTERNAL_SERVER_ERROR,
                format!("Zone {zone_id:?} shared but zone basis is missing, please contact support"),
            )
        })?;
    resources(db, &base).await?.ok_or_else(|| {
        FedError::new(
            poem::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("Failed to get details for zone {zone_id:?}"),
        )
    })
}

fn number(object: &Value, pointer: &str) -> u64 {
    object.pointer(pointer).and_then(Value::as_u64).unwrap_or(0)
}

fn flavour(name: &str, object: &Value) -> Flavour {
    Flavour {
        flavour_id: name.to_owned(),
        cpu_arch_type: X86_64.to_owned(),
        supported_os_types: vec![OsType {
            architecture: "x86".into(),
            distribution: "OTHER".into(),
            version: "OTHER".into(),
            license: "NOT_SPECIFIED".into(),
        }],
        num_cpu: number(object, "/vcpus") as i32,
        memory_size: number(object, "/ram") as i32,
        storage_size: number(object, "/disk") as i32,
    }
}

/// `getZoneResources`: the quota (the cloudlet's resource quotas, else its
/// infrastructure's limits), nothing reserved, and the flavors (the
/// cloudlet's, else the region's) by ID; `None` when no flavor is found.
async fn resources(
    db: &impl ConnectionTrait,
    base: &mc_provider_zone_base::Model,
) -> Result<Option<ZoneRegisteredData>, FedError> {
    let names: Vec<String> = serde_json::from_str(&base.cloudlets).unwrap_or_default();
    let listing = Listing { orgs: None, org: Some(&base.operator_id), key: None, key_ends_with: None };
    let cloudlets = regional_store::list(db, &base.region, &CLOUDLET, listing).await?;
    let mut total = [("RAM", 0u64), ("vCPUs", 0), ("Disk", 0)];
    let mut flavors = Vec::new();
    let mut first_info = true;
    for name in &names {
        let found = cloudlets.iter().map(|stored| &stored.object).find(|object| {
            object.pointer("/key/name").and_then(Value::as_str) == Some(name.as_str())
                && object.pointer("/key/federated_organization").and_then(Value::as_str).unwrap_or("").is_empty()
        });
        let Some(cloudlet) = found else { continue };
        let quotas = cloudlet.get("resource_quotas").and_then(Value::as_array).cloned().unwrap_or_default();
        for (resource, sum) in total.iter_mut() {
            let quota: u64 = quotas
                .iter()
                .filter(|quota| quota.get("name").and_then(Value::as_str) == Some(*resource))
                .map(|quota| number(quota, "/value"))
                .sum();
            *sum += if quota == 0 { infra_max(resource) } else { quota };
        }
        // The flavors of the first cloudlet's info only.
        if first_info {
            first_info = false;
            for flavor in cloudlet.get("infra_flavors").and_then(Value::as_array).into_iter().flatten() {
                let name = flavor.get("name").and_then(Value::as_str).unwrap_or("");
                flavors.push(flavour(name, flavor));
            }
        }
    }
    if flavors.is_empty() {
        let listing = Listing { orgs: None, org: None, key: None, key_ends_with: None };
        for stored in regional_store::list(db, &base.region, &FLAVOR, listing).await? {
            let name = stored.object.pointer("/key/name").and_then(Value::as_str).unwrap_or("").to_owned();
            flavors.push(flavour(&name, &stored.object));
        }
    }
    if flavors.is_empty() {
        return Ok(None);
    }
    flavors.sort_by(|a, b| a.flavour_id.cmp(&b.flavour_id));
    let [(_, ram), (_, vcpus), (_, disk)] = total;
    Ok(Some(ZoneRegisteredData {
        zone_id: base.zone_id.clone(),
        reserved_compute_resources: vec![ComputeResourceInfo {
            cpu_arch_type: X86_64.to_owned(),
            num_cpu: "0".to_owned(),
            memory: 0,
            disk_storage: Some(0),
        }],
        compute_resource_quota_limits: vec![ComputeResourceInfo {
            cpu_arch_type: X86_64.to_owned(),
            num_cpu: vcpus.to_string(),
            memory: ram as i64,
            disk_storage: (disk > 0).then_some(disk as i32),
        }],
        flavours_supported: flavors,
    }))
}

pub async fn subscribe(
    mc: &Mc,
    caller: &PartnerCaller,
    context_id: &str,
    request: crate::wire::Deferred<ZoneRegistrationRequestData>,
) -> Result<ZoneRegistrationResponseData, FedError> {
    lookup_provider(&mc.db, caller, context_id, false).await?;
    let request = request.map_err(FedError::from)?;
    let link = match request.avail_zone_notif_link.as_deref().unwrap_or("") {
        "" => NOT_SUPPORTED.to_owned(),
        given => given.to_owned(),
    };
    let zones = request.accepted_availability_zones.clone().unwrap_or_default();
    if zones.is_empty() {
        return Err(FedError::bad_request("Must specify accepted availability zones"));
    }
    check_callback_link(&link)?;
    let txn = crate::db::begin_write(&mc.db).await?;
    // The host's row: a share or unshare of its zones waits.
    let provider = lookup_provider(&txn, caller, context_id, true).await?;
    let mut accepted = Vec::new();
    for zone_id in &zones {
        let zone = shared_zone(&txn, &provider, zone_id).await?;
        accepted.push(registered_data(&txn, &provider, zone_id).await?);
        // Registered already: a no-op.
        if zone.status == UNREGISTERED {
            let mut row = zone.into_active_model();
            row.status = Set(REGISTERED.to_owned());
            row.partner_notify_zone_uri = Set(link.clone());
            row.update(&txn).await?;
        }
    }
    let what = format!("{} of {}", zones.join(","), provider.name);
    mc.audited.record(&txn, &super::super::change(&caller.claims.apikeyusername, "register zones", &what)).await?;
    txn.commit().await?;
    Ok(ZoneRegistrationResponseData { accepted_zone_resource_info: accepted })
}

pub async fn data(
    mc: &Mc,
    caller: &PartnerCaller,
    context_id: &str,
    zone_id: &str,
) -> Result<ZoneRegisteredData, FedError> {
    let provider = lookup_provider(&mc.db, caller, context_id, false).await?;
    shared_zone(&mc.db, &provider, zone_id).await?;
    registered_data(&mc.db, &provider, zone_id).await
}

pub async fn unsubscribe(mc: &Mc, caller: &PartnerCaller, context_id: &str, zone_id: &str) -> Result<(), FedError> {
    let txn = crate::db::begin_write(&mc.db).await?;
    let provider = lookup_provider(&txn, caller, context_id, true).await?;
    let zone = mc_provider_zone::Entity::find_by_id((zone_id.to_owned(), provider.name.clone()))
        .filter(mc_provider_zone::Column::OperatorId.eq(&provider.operator_id))
        .one(&txn)
        .await?;
    // A zone not shared is no error (MC lets the partner forget it).
    let Some(zone) = zone.filter(|zone| zone.status != UNREGISTERED) else { return Ok(()) };
    let mut row = zone.into_active_model();
    row.status = Set(UNREGISTERED.to_owned());
    row.partner_notify_zone_uri = Set(String::new());
    row.update(&txn).await?;
    let what = format!("{zone_id} of {}", provider.name);
    mc.audited.record(&txn, &super::super::change(&caller.claims.apikeyusername, "deregister zone", &what)).await?;
    txn.commit().await?;
    Ok(())
}
