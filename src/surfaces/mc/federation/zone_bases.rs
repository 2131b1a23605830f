//! MC's host zone bases (`/auth/federation/provider/zonebase/*`): the
//! zones an operator builds on its cloudlets to share with federations,
//! checked in the order and words of MC's federation handlers.

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect};
use serde_json::Value;

use super::super::api::{ProviderZoneBase, ProviderZoneBaseFilter};
use super::super::caller::McCaller;
use super::super::errors::McError;
use super::super::regional::cloudlet::CLOUDLET;
use super::super::regional::store::{self as regional_store, Listing};
use super::super::store::text;
use super::super::{Mc, change};
use super::{countries, fed_authorized};
use crate::db::entities::{mc_provider_zone, mc_provider_zone_base};

/// MC's `federation.GeographyDetailsNone`.
const GEOGRAPHY_NONE: &str = "None";

/// `util.ValidDNSName`: an RFC 1123 label.
fn check_dns_name(name: &str) -> Result<(), String> {
    if name.len() > 63 {
        return Err(format!("invalid RFC1123 name {name:?}, cannot be longer than 63 characters"));
    }
    let last = name.chars().count().saturating_sub(1);
    for (index, c) in name.chars().enumerate() {
        match c {
            'a'..='z' | '0'..='9' => {}
            'A'..='Z' => return Err(format!("invalid RFC1123 name {name:?}, does not allow upper case characters")),
            '-' if index == 0 || index == last => {
                return Err(format!("invalid RFC1123 name {name:?}, cannot start or end with '-'"));
            }
            '-' => {}
            other => return Err(format!("invalid RFC1123 name {name:?}, does not allow {other:?}")),
        }
    }
    Ok(())
}

/// `GenGeoLocation`: four decimals, trailing zeros (and a bare point) dropped.
pub fn geo_location(latitude: f64, longitude: f64) -> String {
    let fixed = |value: f64| {
        let text = format!("{value:.4}");
        match text.contains('.') {
            true => text.trim_end_matches('0').trim_end_matches('.').to_owned(),
            false => text,
        }
    };
    format!("{},{}", fixed(latitude), fixed(longitude))
}

fn shown(row: mc_provider_zone_base::Model) -> ProviderZoneBase {
    ProviderZoneBase {
        zone_id: Some(row.zone_id),
        operator_id: Some(row.operator_id),
        country_code: Some(row.country_code),
        geo_location: Some(row.geo_location),
        geography_details: Some(row.geography_details),
        region: Some(row.region),
        cloudlets: serde_json::from_str(&row.cloudlets).ok(),
    }
}

pub async fn create(mc: &Mc, caller: &McCaller, zone: ProviderZoneBase) -> Result<(), McError> {
    let zone_id = text(&zone.zone_id);
    if zone_id.is_empty() {
        return Err(McError::bad_request("Missing zone ID"));
    }
    check_dns_name(zone_id).map_err(|e| McError::bad_request(format!("Invalid zone ID, {e}")))?;
    let operator = text(&zone.operator_id);
    if operator.is_empty() {
        return Err(McError::bad_request("Missing operator"));
    }
    if text(&zone.region).is_empty() {
        return Err(McError::bad_request("Missing region"));
    }
    let geography = match text(&zone.geography_details) {
        "" => GEOGRAPHY_NONE,
        given => given,
    };
    let cloudlets = zone.cloudlets.clone().unwrap_or_default();
    match cloudlets.len() {
        0 => return Err(McError::bad_request("Missing cloudlets")),
        1 => {}
        _ => return Err(McError::bad_request("Only one cloudlet supported for now")),
    }
    // A DNS label already matches MC's zone pattern; kept for its words.
    if !zone_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(McError::bad_request(format!("Invalid zone ID {zone_id:?}, valid format is ^[a-zA-Z0-9-]+$")));
    }
    let region = super::super::regional::region(mc, &zone.region).await?;
    let country = text(&zone.country_code);
    if !country.is_empty() {
        countries::check(country).map_err(McError::bad_request)?;
    }
    fed_authorized(mc, caller, operator).await?;
    if mc_provider_zone_base::Entity::find_by_id(zone_id.to_owned()).one(&mc.db).await?.is_some() {
        return Err(McError::bad_request(format!("Zone {zone_id:?} already exists")));
    }
    let listing = Listing { orgs: None, org: Some(operator), key: None, key_ends_with: None };
    let found = regional_store::list(&mc.db, &region, &CLOUDLET, listing).await?;
    let named = |name: &str| {
        found.iter().map(|stored| &stored.object).find(|object| {
            object.pointer("/key/name").and_then(Value::as_str) == Some(name)
                && object.pointer("/key/federated_organization").and_then(Value::as_str).unwrap_or("").is_empty()
        })
    };
    let (mut latitude, mut longitude) = (0.0, 0.0);
    for name in &cloudlets {
        let Some(cloudlet) = named(name) else {
            return Err(McError::bad_request(format!("cloudlet {name} not found")));
        };
        latitude += cloudlet.pointer("/location/latitude").and_then(Value::as_f64).unwrap_or(0.0);
        longitude += cloudlet.pointer("/location/longitude").and_then(Value::as_f64).unwrap_or(0.0);
    }
    let count = cloudlets.len() as f64;
    let row = mc_provider_zone_base::ActiveModel {
        zone_id: Set(zone_id.to_owned()),
        operator_id: Set(operator.to_owned()),
        country_code: Set(country.to_owned()),
        geo_location: Set(geo_location(latitude / count, longitude / count)),
        geography_details: Set(geography.to_owned()),
        region: Set(region),
        cloudlets: Set(serde_json::to_string(&cloudlets).unwrap_or_default()),
    };
    match mc.audited.insert(row, change(caller.username(), "create zone base", zone_id)).await {
        Ok(_) => Ok(()),
        // The primary key holds a zone ID against racing creates.
        Err(error) if crate::db::is_unique_violation(&error) => {
            Err(McError::bad_request(format!("Zone with same zone ID {zone_id:?} already exists")))
        }
        Err(error) => Err(error.into()),
    }
}

/// The zone and operator a delete or update names, each required.
fn identity(zone: &ProviderZoneBase) -> Result<(&str, &str), McError> {
    let zone_id = text(&zone.zone_id);
    if zone_id.is_empty() {
        return Err(McError::bad_request("Missing zone ID"));
    }
    let operator = text(&zone.operator_id);
    if operator.is_empty() {
        return Err(McError::bad_request("Missing operator ID"));
    }
    Ok((zone_id, operator))
}

async fn existing(mc: &Mc, zone_id: &str, operator: &str) -> Result<mc_provider_zone_base::Model, McError> {
    mc_provider_zone_base::Entity::find_by_id(zone_id.to_owned())
        .filter(mc_provider_zone_base::Column::OperatorId.eq(operator))
        .one(&mc.db)
        .await?
        .ok_or_else(|| McError::bad_request(format!("Zone {zone_id} does not exist")))
}

pub async fn delete(mc: &Mc, caller: &McCaller, zone: ProviderZoneBase) -> Result<(), McError> {
    let (zone_id, operator) = identity(&zone)?;
    fed_authorized(mc, caller, operator).await?;
    let txn = crate::db::begin_write(&mc.db).await?;
    // The base's row is held until the delete commits (SQLite's write
    // transactions are exclusive); a share takes the same lock first.
    let base = mc_provider_zone_base::Entity::find_by_id(zone_id.to_owned())
        .filter(mc_provider_zone_base::Column::OperatorId.eq(operator))
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| McError::bad_request(format!("Zone {zone_id} does not exist")))?;
    let shared = mc_provider_zone::Entity::find()
        .filter(mc_provider_zone::Column::ZoneId.eq(zone_id))
        .one(&txn)
        .await?
        .is_some();
    if shared {
        return Err(McError::bad_request(format!(
            "Cannot delete zone {zone_id:?} as it is shared as part of federation. Please unshare it before deleting it"
        )));
    }
    mc_provider_zone_base::Entity::delete_by_id(base.zone_id).exec(&txn).await?;
    mc.audited.record(&txn, &change(caller.username(), "delete zone base", zone_id)).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn update(mc: &Mc, caller: &McCaller, zone: ProviderZoneBase) -> Result<(), McError> {
    let (zone_id, operator) = identity(&zone)?;
    fed_authorized(mc, caller, operator).await?;
    let base = existing(mc, zone_id, operator).await?;
    // Only these may be sent (MC checks the body's keys).
    for (field, sent) in [("Region", zone.region.is_some()), ("Cloudlets", zone.cloudlets.is_some())] {
        if sent {
            return Err(McError::bad_request(format!("Update {field} not allowed")));
        }
    }
    let mut row = base.into_active_model();
    if let Some(value) = &zone.geography_details {
        row.geography_details = Set(value.clone());
    }
    if let Some(value) = &zone.country_code {
        row.country_code = Set(value.clone());
    }
    if let Some(value) = &zone.geo_location {
        row.geo_location = Set(value.clone());
    }
    mc.audited.update(row, change(caller.username(), "update zone base", zone_id)).await?;
    Ok(())
}

pub async fn show(
    mc: &Mc,
    caller: &McCaller,
    filter: Option<ProviderZoneBaseFilter>,
) -> Result<Vec<ProviderZoneBase>, McError> {
    let filter = filter.unwrap_or_default();
    let visible = super::Visible::to(mc, caller).await?;
    let rows =
        mc_provider_zone_base::Entity::find().order_by_asc(mc_provider_zone_base::Column::ZoneId).all(&mc.db).await?;
    Ok(rows
        .into_iter()
        .filter(|row| visible.sees(&row.operator_id))
        .filter(|row| {
            super::same(&filter.zone_id, &row.zone_id)
                && super::same(&filter.operator_id, &row.operator_id)
                && super::same(&filter.country_code, &row.country_code)
                && super::same(&filter.geo_location, &row.geo_location)
                && super::same(&filter.geography_details, &row.geography_details)
                && super::same(&filter.region, &row.region)
        })
        .map(shown)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geolocations_drop_trailing_zeros() {
        assert_eq!(geo_location(31.0, -91.0), "31,-91");
        assert_eq!(geo_location(31.5, -91.25), "31.5,-91.25");
        assert_eq!(geo_location(1.23456, 0.00001), "1.2346,0");
    }

    #[test]
    fn zone_ids_are_dns_labels() {
        assert!(check_dns_name("dmuuscloud1").is_ok());
        assert_eq!(
            check_dns_name("Zone").unwrap_err(),
            r#"invalid RFC1123 name "Zone", does not allow upper case characters"#
        );
        assert_eq!(check_dns_name("-z").unwrap_err(), r#"invalid RFC1123 name "-z", cannot start or end with '-'"#);
        assert_eq!(check_dns_name("a_b").unwrap_err(), r#"invalid RFC1123 name "a_b", does not allow '_'"#);
    }
}
