//! MC's shared zones (`/auth/federation/provider/zone/{share,unshare,
//! show}`): the zone bases a host offers its partner.

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::super::api::{FederatedZoneShareRequest, ProviderZone, ProviderZoneFilter};
use super::super::caller::McCaller;
use super::super::errors::McError;
use super::super::store::text;
use super::super::{Mc, change};
use super::fed_authorized;
use super::hosts::{self, REGISTERED, UNREGISTERED};
use crate::db::entities::{mc_provider_zone, mc_provider_zone_base};

/// What MC's database said when a zone was shared twice (MC meant to let
/// it pass, but its check was inverted).
const ALREADY_SHARED: &str =
    "database error, pq: duplicate key value violates unique constraint \"provider_zones_pkey\"";

fn zones_of(request: &FederatedZoneShareRequest, verb: &str) -> Result<Vec<String>, McError> {
    match request.zones.clone().unwrap_or_default() {
        zones if zones.is_empty() => Err(McError::bad_request(format!("Must specify the zones to be {verb}"))),
        zones => Ok(zones),
    }
}

pub async fn share(mc: &Mc, caller: &McCaller, request: FederatedZoneShareRequest) -> Result<String, McError> {
    let zones = zones_of(&request, "shared")?;
    let provider = hosts::lookup(&mc.db, None, text(&request.fed_host), false).await?;
    fed_authorized(mc, caller, &provider.operator_id).await?;
    let txn = crate::db::begin_write(&mc.db).await?;
    // The host's row, then each base's, held until the zones are in: a
    // host delete or a base delete waits, then sees them.
    let provider = hosts::lookup(&txn, Some(provider.id), "", true).await?;
    let regions: Vec<String> =
        provider.regions.as_deref().and_then(|regions| serde_json::from_str(regions).ok()).unwrap_or_default();
    for zone_id in &zones {
        let base = mc_provider_zone_base::Entity::find_by_id(zone_id.clone())
            .filter(mc_provider_zone_base::Column::OperatorId.eq(&provider.operator_id))
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or_else(|| {
                McError::bad_request(format!(
                    "Provider zone base id {zone_id:?} not found for operatorID {:?}",
                    provider.operator_id
                ))
            })?;
        if !regions.contains(&base.region) {
            return Err(McError::bad_request(format!("Provider is not sharing resources from region {}", base.region)));
        }
        let shared = mc_provider_zone::ActiveModel {
            zone_id: Set(base.zone_id),
            provider_name: Set(provider.name.clone()),
            operator_id: Set(provider.operator_id.clone()),
            status: Set(UNREGISTERED.to_owned()),
            partner_notify_zone_uri: Set(String::new()),
        };
        match mc_provider_zone::Entity::insert(shared).exec(&txn).await {
            Ok(_) => {}
            Err(error) if crate::db::is_unique_violation(&error) => return Err(McError::bad_request(ALREADY_SHARED)),
            Err(error) => return Err(error.into()),
        }
    }
    let what = format!("{} to {}", zones.join(","), provider.name);
    mc.audited.record(&txn, &change(caller.username(), "share zones", &what)).await?;
    txn.commit().await?;
    Ok(provider.name)
}

pub async fn unshare(mc: &Mc, caller: &McCaller, request: FederatedZoneShareRequest) -> Result<String, McError> {
    let zones = zones_of(&request, "unshared")?;
    let provider = hosts::lookup(&mc.db, None, text(&request.fed_host), false).await?;
    fed_authorized(mc, caller, &provider.operator_id).await?;
    let txn = crate::db::begin_write(&mc.db).await?;
    let provider = hosts::lookup(&txn, Some(provider.id), "", true).await?;
    let mut registered = Vec::new();
    for zone_id in &zones {
        let zone = mc_provider_zone::Entity::find_by_id((zone_id.clone(), provider.name.clone()))
            .filter(mc_provider_zone::Column::OperatorId.eq(&provider.operator_id))
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or_else(|| McError::bad_request(format!("Host Zone {zone_id} not found")))?;
        if zone.status == REGISTERED {
            registered.push(zone.zone_id);
        }
    }
    if !registered.is_empty() {
        return Err(McError::bad_request(format!(
            "Cannot unshare registered zones {}, please ask consumer to deregister it",
            registered.join(",")
        )));
    }
    mc_provider_zone::Entity::delete_many()
        .filter(mc_provider_zone::Column::ProviderName.eq(&provider.name))
        .filter(mc_provider_zone::Column::ZoneId.is_in(zones.iter().cloned()))
        .exec(&txn)
        .await?;
    let what = format!("{} from {}", zones.join(","), provider.name);
    mc.audited.record(&txn, &change(caller.username(), "unshare zones", &what)).await?;
    txn.commit().await?;
    Ok(provider.name)
}

pub async fn show(
    mc: &Mc,
    caller: &McCaller,
    filter: Option<ProviderZoneFilter>,
) -> Result<Vec<ProviderZone>, McError> {
    let filter = filter.unwrap_or_default();
    let allowed = mc.rights(&caller.subject()).await?.orgs_with("cloudlets", super::super::rbac::VIEW);
    let admin = allowed.contains("");
    let rows = mc_provider_zone::Entity::find()
        .order_by_asc(mc_provider_zone::Column::ProviderName)
        .order_by_asc(mc_provider_zone::Column::ZoneId)
        .all(&mc.db)
        .await?;
    let same = |wanted: &Option<String>, value: &str| wanted.as_deref().is_none_or(|w| w.is_empty() || w == value);
    Ok(rows
        .into_iter()
        .filter(|row| admin || allowed.contains(&row.operator_id))
        .filter(|row| {
            same(&filter.zone_id, &row.zone_id)
                && filter
                    .provider_name
                    .as_deref()
                    .is_none_or(|w| w.is_empty() || w.eq_ignore_ascii_case(&row.provider_name))
                && same(&filter.operator_id, &row.operator_id)
                && same(&filter.status, &row.status)
                && same(&filter.partner_notify_zone_uri, &row.partner_notify_zone_uri)
        })
        .map(|row| ProviderZone {
            zone_id: Some(row.zone_id),
            provider_name: Some(row.provider_name),
            operator_id: Some(row.operator_id),
            status: Some(row.status),
            partner_notify_zone_uri: Some(row.partner_notify_zone_uri),
        })
        .collect())
}
