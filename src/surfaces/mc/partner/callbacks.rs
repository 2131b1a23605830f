//! What a host calls on its guest (`operatorplatform/fedcallbacks/v1`):
//! MC's `PartnerStatusEvent`, checked in the GSMA model's order, the guest
//! found from the token's callback key (`consumer::<ID>`).

use serde_json::Value;

use super::super::Mc;
use super::super::api::LProto;
use super::super::caller::McCaller;
use super::super::federation::guests;
use super::api::{AppInstanceStatusEvent, PartnerPostRequest};
use super::caller::PartnerCaller;
use super::errors::FedError;
use crate::db::entities::{mc_consumer_app, mc_federation_consumer};
use sea_orm::EntityTrait;

const OBJECT_TYPES: [&str; 6] =
    ["FEDERATION", "ZONES", "EDGE_DISCOVERY_SERVICE", "LCM_SERVICE", "MOBILE_NETWORK_CODES", "FIXED_NETWORK_CODES"];
const OPERATION_TYPES: [&str; 4] = ["STATUS", "UPDATE", "ADD", "REMOVE"];

/// `^[a-z0-9]([-a-z0-9]{0,62}[a-z0-9])?$`, which context IDs and zone IDs follow.
pub fn is_label(id: &str) -> bool {
    let bytes = id.as_bytes();
    let inner = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    !bytes.is_empty()
        && bytes.len() <= 64
        && bytes.first().is_some_and(inner)
        && bytes.last().is_some_and(inner)
        && bytes.iter().all(|b| inner(b) || *b == b'-')
}

/// `^[-+]?[\d]{1,2}(\.[\d]{1,4})?,\s*[-+]?[\d]{1,3}(\.[\d]{1,4})?$`.
fn is_geolocation(text: &str) -> bool {
    let number = |part: &str, whole: usize| {
        let part = part.strip_prefix(['-', '+']).unwrap_or(part);
        let (int, fraction) = part.split_once('.').unwrap_or((part, "1"));
        (1..=whole).contains(&int.len())
            && int.bytes().all(|b| b.is_ascii_digit())
            && (1..=4).contains(&fraction.len())
            && fraction.bytes().all(|b| b.is_ascii_digit())
    };
    text.split_once(',').is_some_and(|(lat, long)| number(lat, 2) && number(long.trim_start(), 3))
}

/// `PartnerPostRequest.Validate`, in its order (zones: `ZoneDetails`').
fn validate(request: &PartnerPostRequest) -> Result<(), FedError> {
    let context = request.federation_context_id.as_deref().unwrap_or("");
    if context.is_empty() {
        return Err(FedError::bad_request("federationContextId is required"));
    }
    if !is_label(context) {
        return Err(FedError::bad_request(format!(
            "federationContextId {context} does not match format ^[a-z0-9]([-a-z0-9]{{0,62}}[a-z0-9])?$"
        )));
    }
    for (field, value, allowed) in [
        ("objectType", &request.object_type, &OBJECT_TYPES[..]),
        ("operationType", &request.operation_type, &OPERATION_TYPES[..]),
    ] {
        let value = value.as_deref().unwrap_or("");
        if value.is_empty() {
            return Err(FedError::bad_request(format!("{field} is required")));
        }
        if !allowed.contains(&value) {
            return Err(FedError::bad_request(format!(
                "PartnerPostRequest {field} value {value:?} is not a valid enum value"
            )));
        }
    }
    for zone in request.add_zones.iter().flatten() {
        if zone.zone_id.is_empty() {
            return Err(FedError::bad_request("zoneId is required"));
        }
        if !is_label(&zone.zone_id) {
            return Err(FedError::bad_request(format!(
                "zoneId {} does not match format ^[a-z0-9]([-a-z0-9]{{0,62}}[a-z0-9])?$",
                zone.zone_id
            )));
        }
        if zone.geolocation.is_empty() {
            return Err(FedError::bad_request("geolocation is required"));
        }
        if !is_geolocation(&zone.geolocation) {
            return Err(FedError::bad_request(format!(
                "geolocation {} does not match format ^[-+]?[\\d]{{1,2}}(\\.[\\d]{{1,4}})?,\\s*[-+]?[\\d]{{1,3}}(\\.[\\d]{{1,4}})?$",
                zone.geolocation
            )));
        }
        if zone.geography_details.is_empty() {
            return Err(FedError::bad_request("geographyDetails is required"));
        }
    }
    Ok(())
}

/// `lookupConsumer`: the guest whose callback key the token is for.
pub(super) async fn lookup_consumer(
    mc: &Mc,
    caller: &PartnerCaller,
    context_id: &str,
) -> Result<mc_federation_consumer::Model, FedError> {
    let user = caller.claims.apikeyusername.as_str();
    let id = caller.federation_id("consumer")?;
    let Some(guest) = mc_federation_consumer::Entity::find_by_id(id).one(&mc.db).await? else {
        return Err(FedError::bad_request(format!("federation consumer {user:?} not found")));
    };
    if !context_id.is_empty() && context_id != guest.federation_context_id {
        return Err(FedError::bad_request("mismatch between access token and federation context id"));
    }
    Ok(guest)
}

pub async fn partner_status_event(mc: &Mc, caller: PartnerCaller, request: PartnerPostRequest) -> Result<(), FedError> {
    validate(&request)?;
    let guest = lookup_consumer(mc, &caller, request.federation_context_id.as_deref().unwrap_or("")).await?;
    let add: Vec<Value> = request
        .add_zones
        .iter()
        .flatten()
        .map(|zone| {
            serde_json::json!({"zoneId": zone.zone_id, "geolocation": zone.geolocation, "geographyDetails": zone.geography_details})
        })
        .collect();
    let remove = request.remove_zones.clone().unwrap_or_default();
    // The host acts through the guest's own writes, audited as its key.
    let acting = McCaller { claims: caller.claims };
    let operation = request.operation_type.as_deref().unwrap_or("");
    guests::zones_changed(mc, &acting, &guest, operation, &add, &remove).await.map_err(FedError::from)
}

const INSTANCE_STATES: [&str; 4] = ["PENDING", "READY", "FAILED", "TERMINATING"];

/// MC's `ParseInterfaceId`: `<tcp|udp>-<port>`, its protocol and port.
pub fn parse_interface_id(id: &str) -> Result<(LProto, i64), String> {
    let parts: Vec<&str> = id.split('-').collect();
    let [proto, port] = parts.as_slice() else {
        return Err(format!("Invalid interface id {id}, expected proto-port format"));
    };
    let proto = match proto.to_ascii_lowercase().as_str() {
        "tcp" => LProto::Tcp,
        "udp" => LProto::Udp,
        _ => {
            return Err(format!("Failed to parse proto {proto} in interface id {id}, Unsupported protocol: {proto}"));
        }
    };
    match port.parse::<i64>() {
        Ok(port) => Ok((proto, port)),
        Err(error) => {
            let why = match error.kind() {
                std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => "value out of range",
                _ => "invalid syntax",
            };
            Err(format!(
                "Failed to parse port value {port} in interface id {id}, strconv.Atoi: parsing {port:?}: {why}"
            ))
        }
    }
}

/// `PartnerInstanceStatusEvent`: the guest's callback for an instance it
/// deploys on the host. The event is checked as MC converts it; the
/// guest's create reads the instance's state from the host itself, so an
/// event changes nothing here (MC's too is dropped unless a create waits).
pub async fn instance_status_event(
    mc: &Mc,
    caller: PartnerCaller,
    request: AppInstanceStatusEvent,
) -> Result<(), FedError> {
    let info = request.app_instance_info.clone().unwrap_or_default();
    if let Some(state) = info.app_instance_state.as_deref()
        && !INSTANCE_STATES.contains(&state)
    {
        return Err(FedError::bad_request(format!("Invalid JSON data: {state} is not a valid InstanceState")));
    }
    let guest = lookup_consumer(mc, &caller, request.federation_context_id.as_deref().unwrap_or("")).await?;
    let app_id = request.app_id.clone().unwrap_or_default();
    let onboarded = mc_consumer_app::Entity::find_by_id((app_id.clone(), guest.name.clone())).one(&mc.db).await?;
    if onboarded.is_none() {
        return Err(FedError::bad_request(format!("Consumer Application {app_id} not found")));
    }
    for point in info.accesspoint_info.iter().flatten() {
        let id = point.interface_id.clone().unwrap_or_default();
        parse_interface_id(&id).map_err(FedError::bad_request)?;
        let endpoint = point.access_points.clone().unwrap_or_default();
        let addressed = endpoint.fqdn.is_some()
            || endpoint.ipv4_addresses.as_ref().is_some_and(|a| !a.is_empty())
            || endpoint.ipv6_addresses.as_ref().is_some_and(|a| !a.is_empty());
        if !addressed {
            return Err(FedError::bad_request(format!("No valid fqdn or ip address for interfaceId {id}")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_ids_are_parsed_as_mc_parses_them() {
        assert_eq!(parse_interface_id("tcp-81"), Ok((LProto::Tcp, 81)));
        assert_eq!(parse_interface_id("UDP-10002"), Ok((LProto::Udp, 10002)));
        assert_eq!(parse_interface_id("tcp81"), Err("Invalid interface id tcp81, expected proto-port format".into()));
        assert_eq!(
            parse_interface_id("http-80"),
            Err("Failed to parse proto http in interface id http-80, Unsupported protocol: http".into())
        );
        assert_eq!(
            parse_interface_id("tcp-x"),
            Err("Failed to parse port value x in interface id tcp-x, strconv.Atoi: parsing \"x\": invalid syntax"
                .into())
        );
    }

    #[test]
    fn geolocations_follow_the_gsma_pattern() {
        for good in ["31,-91", "31.5,-91.25", "-1.1234, +179.9"] {
            assert!(is_geolocation(good), "{good}");
        }
        for bad in ["", "31", "123,1", "1.12345,1", "a,b", "1,1234"] {
            assert!(!is_geolocation(bad), "{bad}");
        }
    }
}
