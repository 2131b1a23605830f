//! MC's shared zones (`/auth/federation/provider/zone/{share,unshare,
//! show}`): the zone bases a host offers its partner.

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::super::api::{FederatedZoneShareRequest, ProviderZone, ProviderZoneFilter};
use super::super::caller::McCaller;
use super::super::errors::McError;
use super::super::store::{self, text};
use super::super::{Mc, change};
use super::client::PartnerClient;
use super::fed_authorized;
use super::hosts::{self, NotifyKey, REGISTERED, UNREGISTERED};
use crate::db::entities::{mc_federation_provider, mc_provider_zone, mc_provider_zone_base};
use serde_json::{Value, json};

/// What MC's database said when a zone was shared twice (MC meant to let
/// it pass, but its check was inverted).
/// MC's sentinels: no status link, no callback key given.
const NOT_SUPPORTED: &str = "NOT_SUPPORTED";
const NO_CALLBACK_API_KEY: &str = "NO_CALLBACK_API_KEY";

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
    let mut details = Vec::new();
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
        details.push(json!({"geographyDetails": match base.geography_details.is_empty() {
            true => "None".to_owned(),
            false => base.geography_details.clone(),
        }, "geolocation": base.geo_location, "zoneId": base.zone_id}));
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
    // A registered partner hears of them, or they are not shared.
    let notice = json!({"addZones": details, "objectType": "ZONES", "operationType": "ADD"});
    if let Err(refused) = notify_partner(mc, &provider, notice).await {
        let txn = crate::db::begin_write(&mc.db).await?;
        mc_provider_zone::Entity::delete_many()
            .filter(mc_provider_zone::Column::ProviderName.eq(&provider.name))
            .filter(mc_provider_zone::Column::ZoneId.is_in(zones.iter().cloned()))
            .exec(&txn)
            .await?;
        mc.audited.record(&txn, &change(caller.username(), "unshare zones", &what)).await?;
        txn.commit().await?;
        return Err(refused);
    }
    Ok(provider.name)
}

/// MC's partner notification of a host's change: sent to a registered
/// partner that gave a status link, with the callback key it gave.
async fn notify_partner(mc: &Mc, provider: &mc_federation_provider::Model, mut notice: Value) -> Result<(), McError> {
    if provider.status != REGISTERED || provider.partner_notify_dest == NOT_SUPPORTED {
        return Ok(());
    }
    notice["federationContextId"] = json!(provider.federation_context_id);
    notice["modificationDate"] = json!(store::ZERO_TIME);
    let failed = |why: String| McError::bad_request(format!("failed to notify partner: {why}"));
    let Some(key) = callback_key(mc, provider) else {
        return Err(failed("no callback API key".to_owned()));
    };
    let partner = PartnerClient::connect(&provider.partner_notify_dest, &key.tokenurl, &key.id, &key.key)
        .await
        .map_err(|e| failed(e.message))?;
    partner.send(reqwest::Method::POST, "", Some(&notice)).await.map_err(|e| failed(e.message))?;
    Ok(())
}

/// The callback key the host's partner gave (`ProviderFedKey`), if any.
pub fn callback_key(mc: &Mc, provider: &mc_federation_provider::Model) -> Option<NotifyKey> {
    let sealed = provider.partner_notify_key_sealed.as_deref().unwrap_or("");
    let key: Option<NotifyKey> =
        mc.settings.secrets.open(sealed).ok().and_then(|plain| serde_json::from_str(&plain).ok());
    key.filter(|key| key.id != NO_CALLBACK_API_KEY)
}

pub async fn unshare(
    mc: &Mc,
    caller: &McCaller,
    request: FederatedZoneShareRequest,
    ignore_partner: bool,
) -> Result<String, McError> {
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
    if !registered.is_empty() && !ignore_partner {
        return Err(McError::bad_request(format!(
            "Cannot unshare registered zones {}, please ask consumer to deregister it",
            registered.join(",")
        )));
    }
    // The partner hears first (MC's order): not outside the transaction,
    // as the checks and the delete must see the same zones.
    let notice = json!({"objectType": "ZONES", "operationType": "REMOVE", "removeZones": zones});
    if !ignore_partner {
        notify_partner(mc, &provider, notice).await?;
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
    let visible = super::Visible::to(mc, caller).await?;
    let rows = mc_provider_zone::Entity::find()
        .order_by_asc(mc_provider_zone::Column::ProviderName)
        .order_by_asc(mc_provider_zone::Column::ZoneId)
        .all(&mc.db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|row| visible.sees(&row.operator_id))
        .filter(|row| {
            super::same(&filter.zone_id, &row.zone_id)
                && super::same_name(&filter.provider_name, &row.provider_name)
                && super::same(&filter.operator_id, &row.operator_id)
                && super::same(&filter.status, &row.status)
                && super::same(&filter.partner_notify_zone_uri, &row.partner_notify_zone_uri)
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
