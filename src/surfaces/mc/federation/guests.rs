//! MC's federation guests (`/auth/federation/consumer/{create,delete,
//! show}` and `zone/{show,register,deregister}`): an operator uses the
//! zones a host shares, registering with the host over its east-west API.
//! Calls to the host happen outside any transaction: what they decide is
//! written after, and a failed registration undoes what was written before.

use reqwest::Method;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::{Value, json};

use super::super::api::{
    ConsumerZone, ConsumerZoneFilter, FederatedZoneRegRequest, FederationConsumer, FederationConsumerFilter, Federator,
};
use super::super::caller::McCaller;
use super::super::errors::McError;
use super::super::regional::cloudlet::CLOUDLET;
use super::super::store::{self, text};
use super::super::{Mc, apikeys, change, login, orgs};
use super::client::PartnerClient;
use super::hosts::{DEFAULT_FEDERATION_ID, REGISTERED, StoredFederator, UNREGISTERED, check_mcc};
use super::{countries, fed_authorized};
use crate::db::entities::{mc_api_key, mc_consumer_zone, mc_federation_consumer, mc_org};

const KEY_DESCRIPTION: &str = "Federation Consumer access key";
pub(super) const API_ROOT: &str = "/operatorplatform/federation/v1";

/// The user the host's callbacks authenticate as (`GetFedApiKeyUser`).
fn api_key_user(id: i64) -> String {
    format!("consumer::{id}")
}

fn unseal(mc: &Mc, guest: &mc_federation_consumer::Model) -> Result<String, McError> {
    mc.settings
        .secrets
        .open(&guest.provider_key_sealed)
        .map_err(|e| McError::internal("Failed to read the host's key", e))
}

pub(super) async fn client(mc: &Mc, guest: &mc_federation_consumer::Model) -> Result<PartnerClient, McError> {
    let key = unseal(mc, guest)?;
    PartnerClient::connect(&guest.partner_addr, &guest.partner_token_url, &guest.provider_client_id, &key).await
}

/// `lookupFederationConsumer`: by ID, else by name (ignoring case).
pub async fn lookup(
    db: &impl ConnectionTrait,
    id: Option<i64>,
    name: &str,
) -> Result<mc_federation_consumer::Model, McError> {
    let id = id.unwrap_or(0);
    if id == 0 && name.is_empty() {
        return Err(McError::bad_request("missing federation consumer name or id"));
    }
    let mut query = mc_federation_consumer::Entity::find();
    if id != 0 {
        query = query.filter(mc_federation_consumer::Column::Id.eq(id));
    }
    if !name.is_empty() {
        query = query.filter(mc_federation_consumer::Column::NameKey.eq(store::name_key(name)));
    }
    query.one(db).await?.ok_or_else(|| McError::bad_request(format!("FederationConsumer {name:?} not found")))
}

pub async fn create(mc: &Mc, caller: &McCaller, body: FederationConsumer) -> Result<String, McError> {
    let operator = text(&body.operator_id);
    if operator.is_empty() {
        return Err(McError::bad_request("Missing operator id"));
    }
    let name = text(&body.name);
    if name.is_empty() {
        return Err(McError::bad_request("Please provide a name for this federation provider"));
    }
    let addr = text(&body.partner_addr).to_owned();
    if addr.is_empty() {
        return Err(McError::bad_request("Missing partner EWBI address"));
    }
    let client_id = text(&body.provider_client_id);
    if client_id.is_empty() {
        return Err(McError::bad_request("Missing OAuth Client Id for connecting to Provider"));
    }
    let client_key = text(&body.provider_client_key);
    if client_key.is_empty() {
        return Err(McError::bad_request("Missing OAuth Client key for connecting to Provider"));
    }
    fed_authorized(mc, caller, operator).await?;
    let given = body.my_info.clone().unwrap_or_default();
    let country = text(&given.country_code);
    if !country.is_empty() {
        countries::check(country).map_err(McError::bad_request)?;
    }
    let mcc = text(&given.mcc);
    if mcc.is_empty() {
        return Err(McError::bad_request("MCC must be specified"));
    }
    if given.mnc.as_ref().is_none_or(Vec::is_empty) {
        return Err(McError::bad_request("At least one MNC must be specified"));
    }
    check_mcc(mcc)?;
    let auto_region = text(&body.auto_register_region).to_owned();
    if body.auto_register_zones == Some(true) {
        if auto_region.is_empty() {
            return Err(McError::bad_request("please specify auto register region to use with auto register zones"));
        }
        super::super::regional::region(mc, &Some(auto_region.clone())).await?;
    }
    if !(8..=128).contains(&client_key.len()) {
        return Err(McError::bad_request("Invalid API key, valid length is 8 to 128 characters"));
    }
    let mut my_info = StoredFederator {
        federation_id: text(&given.federation_id).to_owned(),
        country_code: country.to_owned(),
        mcc: mcc.to_owned(),
        mnc: given.mnc.clone(),
        fixed_network_ids: given.fixed_network_ids.clone(),
        discovery_end_point: text(&given.discovery_end_point).to_owned(),
        initial_date: super::hosts::go_date(&given.initial_date)?,
    };
    if my_info.federation_id.is_empty() {
        my_info.federation_id = DEFAULT_FEDERATION_ID.to_owned();
    }
    let token_url = match text(&body.partner_token_url) {
        "" => format!("{addr}/oauth2/token"),
        given => given.to_owned(),
    };
    let sealed =
        mc.settings.secrets.seal(client_key).map_err(|e| McError::internal("Failed to store the host's key", e))?;
    let notify_id = uuid::Uuid::new_v4().to_string();
    let notify_secret = uuid::Uuid::new_v4().to_string();
    let now = store::now();

    let txn = crate::db::begin_write(&mc.db).await?;
    mc_org::Entity::find_by_id(operator.to_owned()).lock_exclusive().one(&txn).await?;
    let created = match store::check_name(name) {
        Ok(()) => orgs::create_in(&txn, mc, caller, name, orgs::OPERATOR, orgs::Details::default()).await,
        Err(invalid) => Err(McError::bad_request(invalid)),
    };
    created.map_err(|e| {
        McError::bad_request(format!(
            "failed to create operator org {name:?} base on consumer name to house partner zones: {}",
            e.message
        ))
    })?;
    let row = mc_federation_consumer::ActiveModel {
        id: sea_orm::ActiveValue::NotSet,
        name: Set(name.to_owned()),
        name_key: Set(store::name_key(name)),
        operator_id: Set(operator.to_owned()),
        public: Set(true),
        partner_addr: Set(addr.clone()),
        partner_token_url: Set(token_url),
        federation_context_id: Set(String::new()),
        my_info: Set(my_info.column()),
        partner_info: Set(StoredFederator::default().column()),
        auto_register_zones: Set(body.auto_register_zones == Some(true)),
        auto_register_region: Set(auto_region.clone()),
        status: Set(UNREGISTERED.to_owned()),
        provider_client_id: Set(client_id.to_owned()),
        provider_key_sealed: Set(sealed),
        notify_client_id: Set(notify_id.clone()),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let id = match mc_federation_consumer::Entity::insert(row).exec(&txn).await {
        Ok(inserted) => inserted.last_insert_id,
        Err(error) if crate::db::is_unique_violation(&error) => {
            return Err(McError::bad_request(format!("FederationConsumer with name {name:?} already exists")));
        }
        Err(error) => return Err(error.into()),
    };
    let key = mc_api_key::ActiveModel {
        id: Set(notify_id.clone()),
        description: Set(KEY_DESCRIPTION.to_owned()),
        org: Set(operator.to_owned()),
        username: Set(api_key_user(id)),
        key_hash: Set(login::api_key_hash(&notify_secret)),
        created_at: Set(now),
        updated_at: Set(now),
    };
    mc_api_key::Entity::insert(key).exec(&txn).await?;
    mc.audited.record(&txn, &change(caller.username(), "create federation guest", name)).await?;
    txn.commit().await?;

    let guest = lookup(&mc.db, Some(id), "").await?;
    if let Err(refused) = register(mc, &guest, &my_info, &notify_secret).await {
        undo_create(mc, caller, &guest).await?;
        return Err(refused);
    }
    if guest.auto_register_zones {
        let zones = zones_of(&mc.db, &guest).await?.into_iter().map(|zone| zone.zone_id).collect();
        if let Err(error) = register_zones(mc, caller, &guest.name, &auto_region, zones).await {
            tracing::info!(guest = %guest.name, reason = %error.message, "auto-registering zones failed");
        }
    }
    Ok(name.to_owned())
}

/// `registerFederationConsumer`: the east-west create at the host, then
/// what the host answered kept.
async fn register(
    mc: &Mc,
    guest: &mc_federation_consumer::Model,
    my_info: &StoredFederator,
    notify_secret: &str,
) -> Result<(), McError> {
    let partner = client(mc, guest).await?;
    let mut request = json!({
        "initialDate": store::go_time(Some(store::now())),
        "origOPFederationId": my_info.federation_id,
        "partnerStatusLink": format!("{}/operatorplatform/fedcallbacks/v1/onPartnerStatusEvent", mc.settings.federation_url),
        "partnerCallbackCredentials": {
            "tokenUrl": format!("{}/oauth2/token", mc.settings.public_url),
            "clientId": guest.notify_client_id,
            "clientSecret": notify_secret,
        },
    });
    // MC sent an empty country code, which hosts refuse; left out here.
    if !my_info.country_code.is_empty() {
        request["origOPCountryCode"] = json!(my_info.country_code);
    }
    if let Some(fixed) = my_info.fixed_network_ids.clone().filter(|ids| !ids.is_empty()) {
        request["origOPFixedNetworkCodes"] = json!(fixed);
    }
    request["origOPMobileNetworkCodes"] = json!({"mcc": my_info.mcc, "mncs": my_info.mnc});
    let answer = partner.send(Method::POST, &format!("{API_ROOT}/partner"), Some(&request)).await?;
    let field = |key: &str| answer.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
    let context = field("federationContextId");
    let host_id = field("partnerOPFederationId");
    if host_id.is_empty() {
        return Err(McError::bad_request("Invalid data from partner, partnerOPFederationId is required"));
    }
    if context.is_empty() {
        return Err(McError::bad_request("Invalid data from partner, federationContextId is required"));
    }
    // The IDs go into later requests' paths: GSMA's label pattern only.
    let offered = answer.get("offeredAvailabilityZones").and_then(Value::as_array).cloned().unwrap_or_default();
    let zone_ids = offered.iter().map(|zone| zone.get("zoneId").and_then(Value::as_str).unwrap_or(""));
    if let Some(bad) = std::iter::once(context.as_str()).chain(zone_ids).find(|id| !super::super::partner::is_label(id))
    {
        return Err(McError::bad_request(format!(
            "Invalid data from partner, {bad:?} does not match format ^[a-z0-9]([-a-z0-9]{{0,62}}[a-z0-9])?$"
        )));
    }
    let strings = |value: Option<&Value>| -> Option<Vec<String>> {
        value.and_then(Value::as_array).map(|items| items.iter().filter_map(Value::as_str).map(str::to_owned).collect())
    };
    let codes = answer.get("partnerOPMobileNetworkCodes");
    let partner_info = StoredFederator {
        federation_id: host_id,
        country_code: field("partnerOPCountryCode"),
        mcc: codes.and_then(|c| c.get("mcc")).and_then(Value::as_str).unwrap_or("").to_owned(),
        mnc: strings(codes.and_then(|c| c.get("mncs"))),
        fixed_network_ids: strings(answer.get("partnerOPFixedNetworkCodes")),
        discovery_end_point: String::new(),
        initial_date: store::ZERO_TIME.to_owned(),
    };
    let txn = crate::db::begin_write(&mc.db).await?;
    let mut row = guest.clone().into_active_model();
    row.federation_context_id = Set(context);
    row.partner_info = Set(partner_info.column());
    row.status = Set(REGISTERED.to_owned());
    row.updated_at = Set(store::now());
    row.update(&txn).await?;
    insert_zones(&txn, guest, &offered).await?;
    txn.commit().await?;
    Ok(())
}

/// `AddConsumerZones`' rows: each zone offered (GSMA `ZoneDetails`) kept
/// unregistered, one already known skipped; the zones new here.
pub async fn insert_zones(
    txn: &sea_orm::DatabaseTransaction,
    guest: &mc_federation_consumer::Model,
    zones: &[Value],
) -> Result<Vec<String>, McError> {
    let mut added = Vec::new();
    for zone in zones {
        let text = |key: &str| zone.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
        let row = mc_consumer_zone::ActiveModel {
            zone_id: Set(text("zoneId")),
            consumer_name: Set(guest.name.clone()),
            operator_id: Set(guest.operator_id.clone()),
            region: Set(String::new()),
            geo_location: Set(text("geolocation")),
            geography_details: Set(text("geographyDetails")),
            status: Set(UNREGISTERED.to_owned()),
        };
        let conflict = sea_orm::sea_query::OnConflict::columns([
            mc_consumer_zone::Column::ZoneId,
            mc_consumer_zone::Column::ConsumerName,
        ])
        .do_nothing()
        .to_owned();
        if mc_consumer_zone::Entity::insert(row).on_conflict(conflict).exec_without_returning(txn).await? == 1 {
            added.push(text("zoneId"));
        }
    }
    Ok(added)
}

/// The host's `ZONES` notification (`PartnerStatusEvent`): zones added
/// (registered at once with `AutoRegisterZones`), removed (deregistered
/// first), or set to exactly those given.
pub async fn zones_changed(
    mc: &Mc,
    caller: &McCaller,
    guest: &mc_federation_consumer::Model,
    operation: &str,
    add: &[Value],
    remove: &[String],
) -> Result<(), McError> {
    match operation {
        "ADD" => add_zones(mc, caller, guest, add).await,
        "REMOVE" => remove_zones(mc, caller, guest, remove.to_vec()).await,
        "UPDATE" => {
            let before = zones_of(&mc.db, guest).await?;
            add_zones(mc, caller, guest, add).await?;
            let kept: Vec<&str> = add.iter().filter_map(|zone| zone.get("zoneId").and_then(Value::as_str)).collect();
            let gone = before.into_iter().map(|zone| zone.zone_id).filter(|id| !kept.contains(&id.as_str())).collect();
            remove_zones(mc, caller, guest, gone).await
        }
        other => Err(McError::bad_request(format!("Unsupported operationtype {other:?}"))),
    }
}

async fn add_zones(
    mc: &Mc,
    caller: &McCaller,
    guest: &mc_federation_consumer::Model,
    add: &[Value],
) -> Result<(), McError> {
    let txn = crate::db::begin_write(&mc.db).await?;
    let added = insert_zones(&txn, guest, add).await?;
    txn.commit().await?;
    if guest.auto_register_zones && !added.is_empty() {
        // Registration needs the host; its failure is only logged (MC's).
        if let Err(error) = register_guest_zones(mc, caller, guest, &guest.auto_register_region, added).await {
            tracing::info!(guest = %guest.name, reason = %error.message, "auto-registering zones failed");
        }
    }
    Ok(())
}

/// `RemoveConsumerZones`: deregistered where registered, then forgotten.
async fn remove_zones(
    mc: &Mc,
    caller: &McCaller,
    guest: &mc_federation_consumer::Model,
    zones: Vec<String>,
) -> Result<(), McError> {
    if zones.is_empty() {
        return Ok(());
    }
    deregister_zones(mc, caller, guest, zones.clone(), false).await.map_err(|e| {
        McError::bad_request(format!(
            "Some zones are registered and could not be automatically deregistered: {}",
            e.message
        ))
    })?;
    mc_consumer_zone::Entity::delete_many()
        .filter(mc_consumer_zone::Column::ConsumerName.eq(&guest.name))
        .filter(mc_consumer_zone::Column::ZoneId.is_in(zones))
        .exec(&mc.db)
        .await?;
    Ok(())
}

/// What a failed registration leaves: nothing.
async fn undo_create(mc: &Mc, caller: &McCaller, guest: &mc_federation_consumer::Model) -> Result<(), McError> {
    let txn = crate::db::begin_write(&mc.db).await?;
    forget(mc, caller, &txn, guest).await?;
    txn.commit().await?;
    Ok(())
}

/// The guest's rows, its callback key and its org (kept if in use).
/// A guest goes after its developers' images and apps (MC's foreign keys
/// refused the delete with a database error).
async fn refuse_while_onboarded(
    db: &impl ConnectionTrait,
    guest: &mc_federation_consumer::Model,
) -> Result<(), McError> {
    use crate::db::entities::{mc_consumer_app, mc_consumer_image};
    use sea_orm::PaginatorTrait;
    let images =
        mc_consumer_image::Entity::find().filter(mc_consumer_image::Column::FederationName.eq(&guest.name)).count(db);
    let apps =
        mc_consumer_app::Entity::find().filter(mc_consumer_app::Column::FederationName.eq(&guest.name)).count(db);
    if images.await? > 0 || apps.await? > 0 {
        return Err(McError::bad_request(format!(
            "Cannot delete Guest {} while images or apps onboarded through it remain, please delete them first",
            guest.name
        )));
    }
    Ok(())
}

/// Holds the guest's row (shared) for the rest of `txn`, so that it cannot
/// go while something is added under it; `FederationConsumer` not found
/// when it went already.
pub(super) async fn hold(
    txn: &sea_orm::DatabaseTransaction,
    guest: &mc_federation_consumer::Model,
) -> Result<(), McError> {
    let held = mc_federation_consumer::Entity::find_by_id(guest.id).lock_shared().one(txn).await?;
    match held {
        Some(_) => Ok(()),
        None => Err(McError::bad_request(format!("FederationConsumer {:?} not found", guest.name))),
    }
}

async fn forget(
    mc: &Mc,
    caller: &McCaller,
    txn: &sea_orm::DatabaseTransaction,
    guest: &mc_federation_consumer::Model,
) -> Result<(), McError> {
    // Held first: an image or app added meanwhile is seen by the check.
    mc_federation_consumer::Entity::find_by_id(guest.id).lock_exclusive().one(txn).await?;
    refuse_while_onboarded(txn, guest).await?;
    mc_consumer_zone::Entity::delete_many()
        .filter(mc_consumer_zone::Column::ConsumerName.eq(&guest.name))
        .exec(txn)
        .await?;
    mc_federation_consumer::Entity::delete_by_id(guest.id).exec(txn).await?;
    apikeys::delete_key_rows(txn, &guest.notify_client_id).await?;
    if let Err(refused) = orgs::delete_in_as(txn, mc, caller, &guest.name).await {
        match refused.status {
            poem::http::StatusCode::BAD_REQUEST => {
                tracing::info!(org = %guest.name, reason = %refused.message, "kept a federation guest's operator org");
            }
            _ => return Err(refused),
        }
    }
    mc.audited.record(txn, &change(caller.username(), "delete federation guest", &guest.name)).await?;
    Ok(())
}

pub async fn delete(
    mc: &Mc,
    caller: &McCaller,
    body: FederationConsumer,
    ignore_partner: bool,
) -> Result<String, McError> {
    let guest = lookup(&mc.db, body.id, text(&body.name)).await?;
    fed_authorized(mc, caller, &guest.operator_id).await?;
    refuse_while_onboarded(&mc.db, &guest).await?;
    if guest.status == REGISTERED {
        let registered: Vec<String> = zones_of(&mc.db, &guest)
            .await?
            .into_iter()
            .filter(|zone| zone.status == REGISTERED)
            .map(|zone| zone.zone_id)
            .collect();
        if !registered.is_empty() {
            deregister_zones(mc, caller, &guest, registered, ignore_partner).await?;
        }
        if !ignore_partner {
            let partner = client(mc, &guest).await?;
            let path = format!("{API_ROOT}/{}/partner", guest.federation_context_id);
            partner.send(Method::DELETE, &path, None).await?;
        }
    }
    let txn = crate::db::begin_write(&mc.db).await?;
    forget(mc, caller, &txn, &guest).await?;
    txn.commit().await?;
    Ok(guest.name)
}

fn zero_federator() -> Federator {
    StoredFederator::default().shown()
}

fn shown(row: mc_federation_consumer::Model, full: bool) -> FederationConsumer {
    let zero = |value: String| if full { value } else { String::new() };
    FederationConsumer {
        id: Some(if full { row.id } else { 0 }),
        public: Some(full && row.public),
        partner_addr: Some(zero(row.partner_addr)),
        partner_token_url: Some(zero(row.partner_token_url)),
        federation_context_id: Some(zero(row.federation_context_id)),
        my_info: Some(if full { StoredFederator::parse(&row.my_info).shown() } else { zero_federator() }),
        partner_info: Some(if full { StoredFederator::parse(&row.partner_info).shown() } else { zero_federator() }),
        auto_register_zones: Some(full && row.auto_register_zones),
        auto_register_region: Some(zero(row.auto_register_region)),
        provider_client_id: Some(zero(row.provider_client_id)),
        // Write-only: MC kept it in Vault and blanked the column.
        provider_client_key: Some(String::new()),
        notify_client_id: Some(zero(row.notify_client_id)),
        created_at: Some(if full { store::go_time(Some(row.created_at)) } else { store::ZERO_TIME.to_owned() }),
        updated_at: Some(if full { store::go_time(Some(row.updated_at)) } else { store::ZERO_TIME.to_owned() }),
        name: Some(row.name),
        operator_id: Some(row.operator_id),
        status: Some(row.status),
    }
}

pub async fn show(
    mc: &Mc,
    caller: &McCaller,
    filter: Option<FederationConsumerFilter>,
) -> Result<Vec<FederationConsumer>, McError> {
    let filter = filter.unwrap_or_default();
    let visible = super::Visible::to(mc, caller).await?;
    let rows =
        mc_federation_consumer::Entity::find().order_by_asc(mc_federation_consumer::Column::Id).all(&mc.db).await?;
    Ok(rows
        .into_iter()
        .filter(|row| {
            filter.id.is_none_or(|id| id == 0 || id == row.id)
                && super::same_name(&filter.name, &row.name)
                && super::same(&filter.operator_id, &row.operator_id)
                && super::same(&filter.partner_addr, &row.partner_addr)
                && super::same(&filter.federation_context_id, &row.federation_context_id)
                && super::same(&filter.status, &row.status)
                && super::same(&filter.provider_client_id, &row.provider_client_id)
        })
        .filter_map(|row| {
            let full = visible.sees(&row.operator_id);
            (full || row.public).then(|| shown(row, full))
        })
        .collect())
}

async fn zones_of(
    db: &impl ConnectionTrait,
    guest: &mc_federation_consumer::Model,
) -> Result<Vec<mc_consumer_zone::Model>, McError> {
    Ok(mc_consumer_zone::Entity::find()
        .filter(mc_consumer_zone::Column::ConsumerName.eq(&guest.name))
        .order_by_asc(mc_consumer_zone::Column::ZoneId)
        .all(db)
        .await?)
}

pub async fn show_zones(
    mc: &Mc,
    caller: &McCaller,
    filter: Option<ConsumerZoneFilter>,
) -> Result<Vec<ConsumerZone>, McError> {
    let filter = filter.unwrap_or_default();
    let visible = super::Visible::to(mc, caller).await?;
    let rows = mc_consumer_zone::Entity::find()
        .order_by_asc(mc_consumer_zone::Column::ConsumerName)
        .order_by_asc(mc_consumer_zone::Column::ZoneId)
        .all(&mc.db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|row| visible.sees(&row.operator_id))
        .filter(|row| {
            super::same(&filter.zone_id, &row.zone_id)
                && super::same_name(&filter.consumer_name, &row.consumer_name)
                && super::same(&filter.operator_id, &row.operator_id)
                && super::same(&filter.region, &row.region)
                && super::same(&filter.geo_location, &row.geo_location)
                && super::same(&filter.geography_details, &row.geography_details)
                && super::same(&filter.status, &row.status)
        })
        .map(|row| ConsumerZone {
            zone_id: Some(row.zone_id),
            consumer_name: Some(row.consumer_name),
            operator_id: Some(row.operator_id),
            region: Some(row.region),
            geo_location: Some(row.geo_location),
            geography_details: Some(row.geography_details),
            status: Some(row.status),
        })
        .collect())
}

pub async fn register_zone_request(
    mc: &Mc,
    caller: &McCaller,
    request: FederatedZoneRegRequest,
) -> Result<(), McError> {
    let zones = request.zones.clone().unwrap_or_default();
    if zones.is_empty() {
        return Err(McError::bad_request("Must specify the zones to be registered"));
    }
    let region = text(&request.region);
    if region.is_empty() {
        return Err(McError::bad_request("Region in which to create cloudlets for zones must be specified"));
    }
    super::super::regional::region(mc, &request.region).await?;
    register_zones(mc, caller, text(&request.fed_guest), region, zones).await
}

/// `RegisterConsumerZones`: registered at the host, then each zone a
/// `federation` cloudlet in `region` with what the host said it offers.
async fn register_zones(
    mc: &Mc,
    caller: &McCaller,
    guest: &str,
    region: &str,
    zones: Vec<String>,
) -> Result<(), McError> {
    let guest = lookup(&mc.db, None, guest).await?;
    fed_authorized(mc, caller, &guest.operator_id).await?;
    register_guest_zones(mc, caller, &guest, region, zones).await
}

/// `RegisterConsumerZones` once the caller may: at the host, then here.
async fn register_guest_zones(
    mc: &Mc,
    caller: &McCaller,
    guest: &mc_federation_consumer::Model,
    region: &str,
    zones: Vec<String>,
) -> Result<(), McError> {
    let known = zones_of(&mc.db, guest).await?;
    let mut wanted = Vec::new();
    for zone_id in &zones {
        let Some(zone) = known.iter().find(|zone| &zone.zone_id == zone_id) else {
            return Err(McError::bad_request("Zone not found"));
        };
        if zone.status == REGISTERED {
            if zone.region != region {
                return Err(McError::bad_request(format!(
                    "zone already registered but under region {:?}, not region {region:?}",
                    zone.region
                )));
            }
            continue;
        }
        wanted.push(zone.clone());
    }
    if wanted.is_empty() {
        return Err(McError::bad_request("All zones already registered"));
    }
    let partner = client(mc, guest).await?;
    let body = json!({
        "acceptedAvailabilityZones": wanted.iter().map(|zone| zone.zone_id.clone()).collect::<Vec<_>>(),
        "availZoneNotifLink": format!("{}/operatorplatform/fedcallbacks/v1", mc.settings.federation_url),
    });
    let path = format!("{API_ROOT}/{}/zones", guest.federation_context_id);
    let answer = partner.send(Method::POST, &path, Some(&body)).await?;
    let accepted = answer.get("acceptedZoneResourceInfo").and_then(Value::as_array).cloned().unwrap_or_default();
    if accepted.is_empty() {
        return Err(McError::bad_request("Zone registration response missing accepted zone resource info"));
    }
    for info in &accepted {
        let zone_id = info.get("zoneId").and_then(Value::as_str).unwrap_or("");
        if zone_id.is_empty() {
            return Err(McError::bad_request("Zone registration response zone info missing ZoneId"));
        }
        for (list, what) in [
            ("reservedComputeResources", "reserved compute resources"),
            ("computeResourceQuotaLimits", "compute resource quota limits"),
            ("flavoursSupported", "flavours supported"),
        ] {
            if info.get(list).and_then(Value::as_array).is_none_or(Vec::is_empty) {
                return Err(McError::bad_request(format!(
                    "Zone registration response zone info for {zone_id} missing {what} data"
                )));
            }
        }
    }
    let txn = crate::db::begin_write(&mc.db).await?;
    for info in &accepted {
        let zone_id = info.get("zoneId").and_then(Value::as_str).unwrap_or("");
        let Some(zone) = wanted.iter().find(|zone| zone.zone_id == zone_id) else { continue };
        let cloudlet = federation_cloudlet(guest, zone, info)?;
        super::super::regional::insert_new(mc, &txn, caller, region, &CLOUDLET, &cloudlet).await?;
        let mut row = zone.clone().into_active_model();
        row.status = Set(REGISTERED.to_owned());
        row.region = Set(region.to_owned());
        row.update(&txn).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// `ParseGeoLocation`: `<lat>,<long>` in decimal, within bounds.
fn geo_location(text: &str) -> Result<(f64, f64), McError> {
    if text.is_empty() {
        return Err(McError::bad_request("Missing geo location"));
    }
    let Some((lat, long)) = text.split_once(',') else {
        return Err(McError::bad_request(format!(
            "Invalid geo location format {text:?}. Valid format: <LatInDecimal,LongInDecimal>"
        )));
    };
    let parse = |value: &str, what: &str| {
        value.trim().parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| {
            McError::bad_request(format!("Invalid {what} {:?}, must be a valid decimal number", value.trim()))
        })
    };
    let (latitude, longitude) = (parse(lat, "latitude")?, parse(long, "longitude")?);
    if !(-90.0..=90.0).contains(&latitude) || !(-180.0..=180.0).contains(&longitude) {
        return Err(McError::bad_request(format!("Latitude/Longitude out of bounds: {text:?}")));
    }
    Ok((latitude, longitude))
}

/// The cloudlet standing for a host's zone (`fz:483-560`).
fn federation_cloudlet(
    guest: &mc_federation_consumer::Model,
    zone: &mc_consumer_zone::Model,
    info: &Value,
) -> Result<Value, McError> {
    let (latitude, longitude) = geo_location(&zone.geo_location)?;
    let number = |value: &Value, key: &str| -> u64 {
        match value.get(key) {
            Some(Value::String(text)) => text.parse().unwrap_or(0),
            Some(other) => other.as_u64().unwrap_or(0),
            None => 0,
        }
    };
    let flavors: Vec<Value> = info
        .get("flavoursSupported")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|flavor| {
            json!({"name": flavor.get("flavourId").and_then(Value::as_str).unwrap_or(""),
                   "vcpus": number(flavor, "numCPU"), "ram": number(flavor, "memorySize"), "disk": number(flavor, "storageSize")})
        })
        .collect();
    let total = |key: &str| -> u64 {
        ["reservedComputeResources", "computeResourceQuotaLimits"]
            .iter()
            .filter_map(|list| info.get(*list).and_then(Value::as_array))
            .flatten()
            .map(|resources| number(resources, key))
            .sum()
    };
    let quotas: Vec<Value> = [("RAM", total("memory")), ("vCPUs", total("numCPU")), ("Disk", total("diskStorage"))]
        .into_iter()
        .filter(|(_, value)| *value > 0)
        .map(|(name, value)| json!({"name": name, "value": value}))
        .collect();
    Ok(json!({
        "key": {"organization": guest.name, "name": zone.zone_id, "federated_organization": guest.operator_id},
        "location": {"latitude": latitude, "longitude": longitude},
        "ip_support": "Dynamic",
        "num_dynamic_ips": 10,
        "platform_type": "federation",
        "state": "Ready",
        "created_at": store::go_time(Some(store::now())),
        "federation_config": {
            "federation_context_id": guest.federation_context_id,
            "partner_federation_addr": guest.partner_addr,
            "federation_db_id": guest.id,
            "federation_name": guest.name,
        },
        "infra_flavors": flavors,
        "resource_quotas": quotas,
    }))
}

pub async fn deregister_zone_request(
    mc: &Mc,
    caller: &McCaller,
    request: FederatedZoneRegRequest,
    ignore_partner: bool,
) -> Result<(), McError> {
    let zones = request.zones.clone().unwrap_or_default();
    if zones.is_empty() {
        return Err(McError::bad_request("Must specify zones to be deregistered"));
    }
    let guest = lookup(&mc.db, None, text(&request.fed_guest)).await?;
    fed_authorized(mc, caller, &guest.operator_id).await?;
    deregister_zones(mc, caller, &guest, zones, ignore_partner).await
}

/// `DeregisterConsumerZones`: each registered zone's cloudlet deleted, the
/// zone deregistered at the host, then marked so here.
async fn deregister_zones(
    mc: &Mc,
    caller: &McCaller,
    guest: &mc_federation_consumer::Model,
    zones: Vec<String>,
    ignore_partner: bool,
) -> Result<(), McError> {
    let known = zones_of(&mc.db, guest).await?;
    // Every zone is looked up before anything changes.
    let mut registered = Vec::new();
    for zone_id in &zones {
        let Some(zone) = known.iter().find(|zone| &zone.zone_id == zone_id) else {
            return Err(McError::bad_request("Zone not found"));
        };
        if zone.status == REGISTERED {
            registered.push(zone);
        }
    }
    let mut partner = None;
    for zone in registered {
        let key = json!({"key": {"organization": guest.name, "name": zone.zone_id, "federated_organization": guest.operator_id}});
        match super::super::regional::delete(mc, caller, &zone.region, &CLOUDLET, &key, |_| Ok(())).await {
            Ok(()) => {}
            Err(error) if error.message.ends_with("not found") => {}
            Err(error) => return Err(error),
        }
        if partner.is_none() && !ignore_partner {
            partner = Some(client(mc, guest).await?);
        }
        if let Some(partner) = &partner {
            let path = format!("{API_ROOT}/{}/zones/{}", guest.federation_context_id, zone.zone_id);
            partner.send(Method::DELETE, &path, None).await?;
        }
        let mut row = zone.clone().into_active_model();
        row.status = Set(UNREGISTERED.to_owned());
        row.region = Set(String::new());
        row.update(&mc.db).await?;
    }
    Ok(())
}

pub async fn update(mc: &Mc, caller: &McCaller, body: FederationConsumer) -> Result<String, McError> {
    let found = lookup(&mc.db, None, text(&body.name)).await?;
    fed_authorized(mc, caller, &found.operator_id).await?;
    // Only these may be sent (MC checks the body's keys).
    let refused = [
        ("ID", body.id.is_some()),
        ("FederationContextId", body.federation_context_id.is_some()),
        ("MyInfo.FederationId", body.my_info.as_ref().is_some_and(|my| my.federation_id.is_some())),
        ("PartnerInfo", body.partner_info.is_some()),
        ("Status", body.status.is_some()),
        ("ProviderClientId", body.provider_client_id.is_some()),
        ("ProviderClientKey", body.provider_client_key.is_some()),
        ("NotifyClientId", body.notify_client_id.is_some()),
        ("CreatedAt", body.created_at.is_some()),
        ("UpdatedAt", body.updated_at.is_some()),
    ];
    if let Some((field, _)) = refused.iter().find(|(_, sent)| *sent) {
        return Err(McError::bad_request(format!("Update {field} not allowed")));
    }
    let txn = crate::db::begin_write(&mc.db).await?;
    let guest = mc_federation_consumer::Entity::find_by_id(found.id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| McError::bad_request(format!("FederationConsumer {:?} not found", found.name)))?;
    let mut my_info = StoredFederator::parse(&guest.my_info);
    if let Some(given) = &body.my_info {
        for (value, target) in [
            (&given.country_code, &mut my_info.country_code),
            (&given.mcc, &mut my_info.mcc),
            (&given.discovery_end_point, &mut my_info.discovery_end_point),
        ] {
            if let Some(value) = value {
                *target = value.clone();
            }
        }
        if let Some(mnc) = &given.mnc {
            my_info.mnc = Some(mnc.clone());
        }
        if let Some(fixed) = &given.fixed_network_ids {
            my_info.fixed_network_ids = Some(fixed.clone());
        }
        if given.initial_date.is_some() {
            my_info.initial_date = super::hosts::go_date(&given.initial_date)?;
        }
    }
    let name = guest.name.clone();
    let mut row = guest.into_active_model();
    row.my_info = Set(my_info.column());
    if let Some(public) = body.public {
        row.public = Set(public);
    }
    if let Some(addr) = &body.partner_addr {
        row.partner_addr = Set(addr.clone());
    }
    if let Some(url) = &body.partner_token_url {
        row.partner_token_url = Set(url.clone());
    }
    if let Some(auto) = body.auto_register_zones {
        row.auto_register_zones = Set(auto);
    }
    if let Some(region) = &body.auto_register_region {
        row.auto_register_region = Set(region.clone());
    }
    row.updated_at = Set(store::now());
    row.update(&txn).await?;
    mc.audited.record(&txn, &change(caller.username(), "update federation guest", &name)).await?;
    txn.commit().await?;
    Ok(name)
}

pub async fn set_api_key(mc: &Mc, caller: &McCaller, body: FederationConsumer) -> Result<String, McError> {
    let operator = text(&body.operator_id);
    if operator.is_empty() {
        return Err(McError::bad_request("Missing operator ID"));
    }
    fed_authorized(mc, caller, operator).await?;
    let found = lookup(&mc.db, body.id, text(&body.name)).await?;
    // MC checked only the operator named; the guest must be that operator's.
    if found.operator_id != operator {
        return Err(McError::forbidden());
    }
    let (id, key) = (text(&body.provider_client_id), text(&body.provider_client_key));
    if id.is_empty() {
        return Err(McError::bad_request("Provider client id not specified"));
    }
    if key.is_empty() {
        return Err(McError::bad_request("Provider client key not specified"));
    }
    if !(8..=128).contains(&key.len()) {
        return Err(McError::bad_request("Invalid API key, valid length is 8 to 128 characters"));
    }
    let sealed = mc.settings.secrets.seal(key).map_err(|e| McError::internal("Failed to store the host's key", e))?;
    let txn = crate::db::begin_write(&mc.db).await?;
    let mut row = found.clone().into_active_model();
    row.provider_client_id = Set(id.to_owned());
    row.provider_key_sealed = Set(sealed);
    row.updated_at = Set(store::now());
    row.update(&txn).await?;
    mc.audited.record(&txn, &change(caller.username(), "set federation guest api key", &found.name)).await?;
    txn.commit().await?;
    Ok(found.name)
}
