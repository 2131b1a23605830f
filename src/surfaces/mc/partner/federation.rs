//! The partner's federation with a host (`operatorplatform/federation/v1/
//! partner`, `{federationContextId}/partner`): MC's `CreateFederation`,
//! `GetFederationDetails` and `DeleteFederationDetails`.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::super::Mc;
use super::super::federation::hosts::{self, NotifyKey, REGISTERED, StoredFederator, UNREGISTERED};
use super::super::store;
use super::api::{
    CallbackCredentials, FederationDetails, FederationRequestData, FederationResponseData, MobileNetworkIds,
    ServiceEndpoint, ZoneDetails,
};
use super::caller::PartnerCaller;
use super::errors::FedError;
use crate::db::entities::{mc_federation_provider, mc_provider_zone, mc_provider_zone_base};

/// MC's `federationmgmt.CallbackNotSupported`.
pub const NOT_SUPPORTED: &str = "NOT_SUPPORTED";

/// `lookupProvider`: the host whose API key the token is for; a context ID
/// in the path must be that host's.
pub async fn lookup_provider(
    db: &impl ConnectionTrait,
    caller: &PartnerCaller,
    context_id: &str,
    lock: bool,
) -> Result<mc_federation_provider::Model, FedError> {
    let user = caller.claims.apikeyusername.as_str();
    let id = caller.federation_id("provider")?;
    let mut query = mc_federation_provider::Entity::find_by_id(id);
    if lock {
        query = query.lock_exclusive();
    }
    let Some(provider) = query.one(db).await? else {
        return Err(FedError::new(poem::http::StatusCode::NOT_FOUND, format!("federation {user:?} not found")));
    };
    if !context_id.is_empty() && context_id != provider.federation_context_id {
        return Err(FedError::bad_request("mismatch between access token and federation context id"));
    }
    Ok(provider)
}

fn check_mobile_codes(codes: &Option<MobileNetworkIds>) -> Result<(), FedError> {
    if let Some(mcc) = codes.as_ref().and_then(|codes| codes.mcc.as_deref())
        && !(mcc.len() == 3 && mcc.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(FedError::bad_request(format!("mcc {mcc} does not match format ^\\d{{3}}$")));
    }
    Ok(())
}

/// `FederationRequestData.Validate`, in its order.
fn validate(request: &FederationRequestData) -> Result<(), FedError> {
    let id = request.orig_op_federation_id.as_deref().unwrap_or("");
    if id.is_empty() {
        return Err(FedError::bad_request("origOPFederationId is required"));
    }
    if !super::is_label(id) {
        return Err(FedError::bad_request(format!(
            "origOPFederationId {id} does not match format ^[a-z0-9]([-a-z0-9]{{0,62}}[a-z0-9])?$"
        )));
    }
    if let Some(country) = &request.orig_op_country_code
        && !(country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err(FedError::bad_request(format!("origOPCountryCode {country} does not match format ^[A-Z]{{2}}$")));
    }
    check_mobile_codes(&request.orig_op_mobile_network_codes)?;
    if let Some(credentials) = &request.partner_callback_credentials {
        check_credentials(credentials)?;
    }
    Ok(())
}

fn check_credentials(credentials: &CallbackCredentials) -> Result<(), FedError> {
    for (field, value) in [
        ("tokenUrl", &credentials.token_url),
        ("clientId", &credentials.client_id),
        ("clientSecret", &credentials.client_secret),
    ] {
        if value.as_deref().unwrap_or("").is_empty() {
            return Err(FedError::bad_request(format!("{field} is required")));
        }
    }
    Ok(())
}

/// `validateCallbackLink`: an https URL with a host. Plain http is allowed
/// to loopback addresses only, where MC allowed it only in its unit tests
/// (so two instances on one machine can federate).
pub fn check_callback_link(link: &str) -> Result<(), FedError> {
    if link.is_empty() || link == NOT_SUPPORTED {
        return Ok(());
    }
    let parsed = match reqwest::Url::parse(link) {
        Ok(url) => url,
        Err(_) if link.starts_with('/') => {
            return Err(FedError::bad_request(format!("Invalid scheme \"\" in callback link {link}, must be https")));
        }
        Err(_) => {
            return Err(FedError::bad_request(format!(
                "Invalid callback link {link}, parse {link:?}: invalid URI for request"
            )));
        }
    };
    let host = parsed.host_str().unwrap_or("");
    let loopback = host == "localhost"
        || host.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    let scheme = parsed.scheme();
    if scheme != "https" && !(scheme == "http" && loopback) {
        return Err(FedError::bad_request(format!("Invalid scheme {scheme:?} in callback link {link}, must be https")));
    }
    if host.is_empty() {
        return Err(FedError::bad_request(format!("No host in callback link {link}")));
    }
    Ok(())
}

/// `getAvailabilityZones`: every zone shared with the host, any status,
/// with its base's geography.
async fn offered_zones(
    db: &impl ConnectionTrait,
    provider: &mc_federation_provider::Model,
) -> Result<Vec<ZoneDetails>, FedError> {
    let shared = mc_provider_zone::Entity::find()
        .filter(mc_provider_zone::Column::ProviderName.eq(&provider.name))
        .filter(mc_provider_zone::Column::OperatorId.eq(&provider.operator_id))
        .order_by_asc(mc_provider_zone::Column::ZoneId)
        .all(db)
        .await?;
    let mut zones = Vec::new();
    for zone in shared {
        let Some(base) = mc_provider_zone_base::Entity::find_by_id(zone.zone_id.clone()).one(db).await? else {
            return Err(FedError::bad_request("database error, record not found"));
        };
        zones.push(ZoneDetails {
            zone_id: base.zone_id,
            geolocation: base.geo_location,
            geography_details: match base.geography_details.is_empty() {
                true => "None".to_owned(),
                false => base.geography_details,
            },
        });
    }
    Ok(zones)
}

fn mobile_codes(info: &StoredFederator) -> Option<MobileNetworkIds> {
    let mncs = info.mnc.clone().filter(|mncs| !mncs.is_empty());
    if info.mcc.is_empty() && mncs.is_none() {
        return None;
    }
    Some(MobileNetworkIds { mcc: (!info.mcc.is_empty()).then(|| info.mcc.clone()), mncs })
}

pub async fn create(
    mc: &Mc,
    caller: &PartnerCaller,
    request: crate::wire::Deferred<FederationRequestData>,
) -> Result<FederationResponseData, FedError> {
    lookup_provider(&mc.db, caller, "", false).await?;
    let request = request.map_err(FedError::from)?;
    let status_link = match request.partner_status_link.as_deref().unwrap_or("") {
        "" => NOT_SUPPORTED.to_owned(),
        given => given.to_owned(),
    };
    validate(&request)?;
    check_callback_link(&status_link)?;
    let initial_date = match &request.initial_date {
        None => store::ZERO_TIME.to_owned(),
        Some(given) => time::OffsetDateTime::parse(given, &time::format_description::well_known::Rfc3339)
            .map(|at| store::go_time(Some(at)))
            .map_err(|_| FedError::bad_request(format!("parsing time {given:?} as RFC 3339 failed")))?,
    };
    let key = match &request.partner_callback_credentials {
        Some(credentials) => NotifyKey {
            id: credentials.client_id.clone().unwrap_or_default(),
            key: credentials.client_secret.clone().unwrap_or_default(),
            tokenurl: credentials.token_url.clone().unwrap_or_default(),
        },
        // MC's sentinel: notifications cannot be sent.
        None => NotifyKey { id: "NO_CALLBACK_API_KEY".into(), key: "none".into(), tokenurl: NOT_SUPPORTED.into() },
    };
    let sealed = hosts::seal(mc, &key)?;
    let partner_id = request.orig_op_federation_id.clone().unwrap_or_default();
    let txn = crate::db::begin_write(&mc.db).await?;
    let provider = lookup_provider(&txn, caller, "", true).await?;
    let mut partner = StoredFederator::parse(&provider.partner_info);
    // Creating again is allowed, but only for the same partner.
    if !partner.federation_id.is_empty() && partner.federation_id != partner_id {
        return Err(FedError::bad_request("Federation provider already in use by another consumer"));
    }
    partner.federation_id = partner_id;
    partner.initial_date = initial_date;
    if let Some(country) = &request.orig_op_country_code {
        partner.country_code = country.clone();
    }
    if let Some(fixed) = &request.orig_op_fixed_network_codes {
        partner.fixed_network_ids = Some(fixed.clone());
    }
    if let Some(codes) = &request.orig_op_mobile_network_codes {
        if let Some(mcc) = &codes.mcc {
            partner.mcc = mcc.clone();
        }
        if let Some(mncs) = &codes.mncs {
            partner.mnc = Some(mncs.clone());
        }
    }
    let zones = offered_zones(&txn, &provider).await?;
    let mine = StoredFederator::parse(&provider.my_info);
    let answer = FederationResponseData {
        federation_context_id: provider.federation_context_id.clone(),
        offered_availability_zones: (!zones.is_empty()).then_some(zones),
        partner_op_country_code: (!mine.country_code.is_empty()).then(|| mine.country_code.clone()),
        partner_op_federation_id: mine.federation_id.clone(),
        partner_op_fixed_network_codes: mine.fixed_network_ids.clone().filter(|ids| !ids.is_empty()),
        partner_op_mobile_network_codes: mobile_codes(&mine),
        platform_caps: vec!["homeRouting".to_owned(), "Anchoring".to_owned()],
    };
    let name = provider.name.clone();
    let mut row = provider.into_active_model();
    row.partner_info = Set(partner.column());
    row.partner_notify_dest = Set(status_link);
    row.partner_notify_client_id = Set("***".to_owned());
    row.partner_notify_token_url = Set(key.tokenurl);
    row.partner_notify_key_sealed = Set(Some(sealed));
    row.status = Set(REGISTERED.to_owned());
    row.updated_at = Set(store::now());
    row.update(&txn).await?;
    mc.audited.record(&txn, &super::super::change(&caller.claims.apikeyusername, "create federation", &name)).await?;
    txn.commit().await?;
    Ok(answer)
}

pub async fn details(mc: &Mc, caller: &PartnerCaller, context_id: &str) -> Result<FederationDetails, FedError> {
    let provider = lookup_provider(&mc.db, caller, context_id, false).await?;
    let zones = offered_zones(&mc.db, &provider).await?;
    let mine = StoredFederator::parse(&provider.my_info);
    Ok(FederationDetails {
        allowed_fixed_network_ids: mine.fixed_network_ids.clone().filter(|ids| !ids.is_empty()),
        allowed_mobile_network_ids: mobile_codes(&mine).unwrap_or_default(),
        edge_discovery_service_end_point: ServiceEndpoint { port: Some(0), ..Default::default() },
        lcm_service_end_point: ServiceEndpoint { port: Some(0), ..Default::default() },
        offered_availability_zones: (!zones.is_empty()).then_some(zones),
    })
}

pub async fn delete(mc: &Mc, caller: &PartnerCaller, context_id: &str) -> Result<(), FedError> {
    let txn = crate::db::begin_write(&mc.db).await?;
    let provider = lookup_provider(&txn, caller, context_id, true).await?;
    let registered = mc_provider_zone::Entity::find()
        .filter(mc_provider_zone::Column::ProviderName.eq(&provider.name))
        .filter(mc_provider_zone::Column::Status.eq(REGISTERED))
        .order_by_asc(mc_provider_zone::Column::ZoneId)
        .one(&txn)
        .await?;
    if let Some(zone) = registered {
        return Err(FedError::bad_request(format!(
            "Cannot delete partner federation as zone {:?} of federation {:?} is registered by partner federator. Please deregister it before deleting the federation",
            zone.zone_id, provider.federation_context_id
        )));
    }
    let name = provider.name.clone();
    let mut row = provider.into_active_model();
    row.partner_info = Set(StoredFederator::default().column());
    row.partner_notify_dest = Set(String::new());
    row.partner_notify_token_url = Set(String::new());
    row.status = Set(UNREGISTERED.to_owned());
    row.updated_at = Set(store::now());
    row.update(&txn).await?;
    mc.audited.record(&txn, &super::super::change(&caller.claims.apikeyusername, "delete federation", &name)).await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn federation_ids_follow_the_gsma_pattern() {
        for good in ["085d364c07fb4fe0b09979127f7c3d68", "a", "a-b1"] {
            assert!(super::super::is_label(good), "{good}");
        }
        for bad in ["", "-a", "a-", "Abc", "a_b", &"a".repeat(65)] {
            assert!(!super::super::is_label(bad), "{bad}");
        }
    }

    #[test]
    fn callback_links_are_https_except_on_loopback() {
        assert!(check_callback_link("https://guest.example.com/cb").is_ok());
        assert!(check_callback_link("http://127.0.0.1:9801/cb").is_ok());
        assert!(check_callback_link(NOT_SUPPORTED).is_ok());
        let refused = |link: &str| match check_callback_link(link) {
            Err(FedError::Problem { message, .. }) => message,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            refused("http://guest.example.com/cb"),
            "Invalid scheme \"http\" in callback link http://guest.example.com/cb, must be https"
        );
        assert_eq!(refused("nolink"), "Invalid callback link nolink, parse \"nolink\": invalid URI for request");
    }
}
