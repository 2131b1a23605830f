//! MC's federation hosts (`/auth/federation/provider/{create,update,
//! delete,show,generateapikey,setnotifykey}`): an operator lends the zones
//! of some regions to one partner operator, who calls back with the
//! credentials made here.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};

use super::super::api::{FederationProvider, FederationProviderFilter, FederationProviderInfo, Federator};
use super::super::caller::McCaller;
use super::super::errors::McError;
use super::super::store::{self, text};
use super::super::{Mc, apikeys, change, login, orgs};
use super::{countries, fed_authorized};
use crate::db::entities::{mc_api_key, mc_federation_consumer, mc_federation_provider, mc_org, mc_provider_zone};

/// MC's `setMyFedId` default, used until an operator names its own.
pub const DEFAULT_FEDERATION_ID: &str = "085d364c07fb4fe0b09979127f7c3d68";
pub const UNREGISTERED: &str = "Unregistered";
pub const REGISTERED: &str = "Registered";
const KEY_DESCRIPTION: &str = "Federation Provider access key";
const DEPLOYMENTS: [&str; 2] = ["docker", "kubernetes"];

/// The user an API key of this host is bound to (`GetFedApiKeyUser`): the
/// token it earns selects the federation, never the URL.
pub fn api_key_user(id: i64) -> String {
    format!("provider::{id}")
}

/// A `Federator` as kept in its JSON column, with every field Go prints.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StoredFederator {
    pub federation_id: String,
    pub country_code: String,
    #[serde(rename = "MCC")]
    pub mcc: String,
    #[serde(rename = "MNC")]
    pub mnc: Option<Vec<String>>,
    pub fixed_network_ids: Option<Vec<String>>,
    pub discovery_end_point: String,
    pub initial_date: String,
}

impl StoredFederator {
    fn from_request(given: &Federator) -> Result<Self, McError> {
        Ok(Self {
            federation_id: text(&given.federation_id).to_owned(),
            country_code: text(&given.country_code).to_owned(),
            mcc: text(&given.mcc).to_owned(),
            mnc: given.mnc.clone(),
            fixed_network_ids: given.fixed_network_ids.clone(),
            discovery_end_point: text(&given.discovery_end_point).to_owned(),
            initial_date: go_date(&given.initial_date)?,
        })
    }

    pub fn parse(column: &str) -> Self {
        serde_json::from_str(column).unwrap_or_default()
    }

    pub fn column(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn shown(self) -> Federator {
        Federator {
            federation_id: Some(self.federation_id),
            country_code: Some(self.country_code),
            mcc: Some(self.mcc),
            mnc: self.mnc,
            fixed_network_ids: self.fixed_network_ids,
            discovery_end_point: Some(self.discovery_end_point),
            initial_date: Some(match self.initial_date.is_empty() {
                true => store::ZERO_TIME.to_owned(),
                false => self.initial_date,
            }),
        }
    }
}

/// A Go `time.Time` from JSON (RFC 3339), as Go prints it back in UTC.
pub fn go_date(value: &Option<String>) -> Result<String, McError> {
    let Some(given) = value else { return Ok(store::ZERO_TIME.to_owned()) };
    time::OffsetDateTime::parse(given, &time::format_description::well_known::Rfc3339)
        .map(|at| store::go_time(Some(at)))
        .map_err(|_| {
            McError::bad_request(format!(
                r#"Invalid JSON data: Unmarshal time "{given}" failed, valid values are RFC3339 format, i.e. "2006-01-02T15:04:05Z", or "2006-01-02T15:04:05+07:00""#
            ))
        })
}

/// The partner's callback credentials, as MC kept them in Vault.
#[derive(Serialize, Deserialize)]
pub struct NotifyKey {
    pub id: String,
    pub key: String,
    pub tokenurl: String,
}

pub fn seal(mc: &Mc, key: &NotifyKey) -> Result<String, McError> {
    let plain = serde_json::to_string(key).unwrap_or_default();
    mc.settings.secrets.seal(&plain).map_err(|e| McError::internal("Failed to store the partner's key", e))
}

pub fn shown(row: mc_federation_provider::Model) -> FederationProvider {
    FederationProvider {
        id: Some(row.id),
        name: Some(row.name),
        operator_id: Some(row.operator_id),
        regions: row.regions.as_deref().and_then(|regions| serde_json::from_str(regions).ok()),
        federation_context_id: Some(row.federation_context_id),
        my_info: Some(StoredFederator::parse(&row.my_info).shown()),
        partner_info: Some(StoredFederator::parse(&row.partner_info).shown()),
        partner_notify_dest: Some(row.partner_notify_dest),
        partner_notify_token_url: Some(row.partner_notify_token_url),
        partner_notify_client_id: Some(row.partner_notify_client_id),
        // Write-only: MC kept it in Vault and blanked the column.
        partner_notify_client_key: Some(String::new()),
        default_container_deployment: Some(row.default_container_deployment),
        status: Some(row.status),
        provider_client_id: Some(row.provider_client_id),
        created_at: Some(store::go_time(Some(row.created_at))),
        updated_at: Some(store::go_time(Some(row.updated_at))),
    }
}

/// `ValidateApiKey`, without echoing the key (MC quoted it back).
fn check_notify_key(id: &str, key: &str) -> Result<(), McError> {
    if id.is_empty() {
        return Err(McError::bad_request("Partner notify client id not specified"));
    }
    if key.is_empty() {
        return Err(McError::bad_request("Partner notify client key not specified"));
    }
    if !(8..=128).contains(&key.len()) {
        return Err(McError::bad_request("Invalid API key, valid length is 8 to 128 characters"));
    }
    Ok(())
}

/// `fedewapi.MobileNetworkIds.Validate`: three ASCII digits.
pub fn check_mcc(mcc: &str) -> Result<(), McError> {
    match mcc.len() == 3 && mcc.bytes().all(|b| b.is_ascii_digit()) {
        true => Ok(()),
        false => Err(McError::bad_request(format!("Mcc {mcc} does not match format ^\\d{{3}}$"))),
    }
}

pub async fn create(mc: &Mc, caller: &McCaller, body: FederationProvider) -> Result<FederationProviderInfo, McError> {
    let operator = text(&body.operator_id);
    if operator.is_empty() {
        return Err(McError::bad_request("Missing operator organization"));
    }
    let name = text(&body.name);
    if name.is_empty() {
        return Err(McError::bad_request("Please provide a name for this federation provider"));
    }
    let mut my_info = StoredFederator::from_request(&body.my_info.clone().unwrap_or_default())?;
    if my_info.mcc.is_empty() {
        return Err(McError::bad_request("MCC must be specified"));
    }
    if my_info.mnc.as_ref().is_none_or(Vec::is_empty) {
        return Err(McError::bad_request("At least one MNC must be specified"));
    }
    check_mcc(&my_info.mcc)?;
    let deployment = match text(&body.default_container_deployment) {
        "" => "docker",
        given if DEPLOYMENTS.contains(&given) => given,
        _ => return Err(McError::bad_request("Default container deployment must be either docker or kubernetes")),
    };
    let regions = body.regions.clone().unwrap_or_default();
    if regions.is_empty() {
        return Err(McError::bad_request("Missing regions"));
    }
    for region in &regions {
        super::super::regional::region(mc, &Some(region.clone())).await?;
    }
    fed_authorized(mc, caller, operator).await?;
    if !my_info.country_code.is_empty() {
        countries::check(&my_info.country_code).map_err(McError::bad_request)?;
    }
    if my_info.federation_id.is_empty() {
        my_info.federation_id = DEFAULT_FEDERATION_ID.to_owned();
    }
    let (notify_id, notify_key) = (text(&body.partner_notify_client_id), text(&body.partner_notify_client_key));
    let sealed = match notify_id.is_empty() && notify_key.is_empty() {
        true => None,
        false => {
            check_notify_key(notify_id, notify_key)?;
            let key = NotifyKey {
                id: notify_id.to_owned(),
                key: notify_key.to_owned(),
                tokenurl: text(&body.partner_notify_token_url).to_owned(),
            };
            Some(seal(mc, &key)?)
        }
    };
    let partner_info = StoredFederator::from_request(&body.partner_info.clone().unwrap_or_default())?;
    let client_id = uuid::Uuid::new_v4().to_string();
    let secret = uuid::Uuid::new_v4().to_string();
    let now = store::now();
    let txn = crate::db::begin_write(&mc.db).await?;
    // The operator org stays until this commits (an org delete takes the
    // same lock, then finds it in use).
    mc_org::Entity::find_by_id(operator.to_owned()).lock_exclusive().one(&txn).await?;
    let created = match store::check_name(name) {
        Ok(()) => orgs::create_in(&txn, mc, caller, name, orgs::DEVELOPER, orgs::Details::default()).await,
        Err(invalid) => Err(McError::bad_request(invalid)),
    };
    created.map_err(|e| {
        McError::bad_request(format!(
            "failed to create developer org {name:?} based on provider name to house partner images and apps: {}",
            e.message
        ))
    })?;
    let row = mc_federation_provider::ActiveModel {
        id: sea_orm::ActiveValue::NotSet,
        name: Set(name.to_owned()),
        name_key: Set(store::name_key(name)),
        operator_id: Set(operator.to_owned()),
        regions: Set(Some(serde_json::to_string(&regions).unwrap_or_default())),
        federation_context_id: Set(uuid::Uuid::new_v4().to_string()),
        my_info: Set(my_info.column()),
        partner_info: Set(partner_info.column()),
        partner_notify_dest: Set(text(&body.partner_notify_dest).to_owned()),
        partner_notify_token_url: Set(text(&body.partner_notify_token_url).to_owned()),
        partner_notify_client_id: Set(notify_id.to_owned()),
        partner_notify_key_sealed: Set(sealed),
        default_container_deployment: Set(deployment.to_owned()),
        status: Set(UNREGISTERED.to_owned()),
        provider_client_id: Set(client_id.clone()),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let inserted = match mc_federation_provider::Entity::insert(row).exec(&txn).await {
        Ok(inserted) => inserted.last_insert_id,
        Err(error) if crate::db::is_unique_violation(&error) => {
            return Err(McError::bad_request(format!("FederationProvider with name {name:?} already exists")));
        }
        Err(error) => return Err(error.into()),
    };
    put_api_key(&txn, &client_id, operator, inserted, &secret).await?;
    mc.audited.record(&txn, &change(caller.username(), "create federation host", name)).await?;
    txn.commit().await?;
    Ok(FederationProviderInfo {
        client_id,
        client_key: secret,
        target_addr: mc.settings.federation_url.clone(),
        token_url: format!("{}/oauth2/token", mc.settings.public_url),
    })
}

/// The partner's API key (MC's `CreateApiKey`): a key row bound to the
/// host's user, holding only the SHA-256 of the secret; an existing key of
/// that ID is replaced.
async fn put_api_key(
    txn: &DatabaseTransaction,
    client_id: &str,
    operator: &str,
    host_id: i64,
    secret: &str,
) -> Result<(), McError> {
    apikeys::delete_key_rows(txn, client_id).await?;
    let now = store::now();
    let key = mc_api_key::ActiveModel {
        id: Set(client_id.to_owned()),
        description: Set(KEY_DESCRIPTION.to_owned()),
        org: Set(operator.to_owned()),
        username: Set(api_key_user(host_id)),
        key_hash: Set(login::api_key_hash(secret)),
        created_at: Set(now),
        updated_at: Set(now),
    };
    mc_api_key::Entity::insert(key).exec(txn).await?;
    Ok(())
}

/// `lookupFederationProvider`: by ID, else by name (ignoring case).
pub(super) async fn lookup(
    db: &impl ConnectionTrait,
    id: Option<i64>,
    name: &str,
    lock: bool,
) -> Result<mc_federation_provider::Model, McError> {
    let id = id.unwrap_or(0);
    if id == 0 && name.is_empty() {
        return Err(McError::bad_request("missing federation provider name or id"));
    }
    let mut query = mc_federation_provider::Entity::find();
    if id != 0 {
        query = query.filter(mc_federation_provider::Column::Id.eq(id));
    }
    if !name.is_empty() {
        query = query.filter(mc_federation_provider::Column::NameKey.eq(store::name_key(name)));
    }
    if lock {
        query = query.lock_exclusive();
    }
    query.one(db).await?.ok_or_else(|| McError::bad_request(format!("FederationProvider {name:?} not found")))
}

pub async fn update(mc: &Mc, caller: &McCaller, body: FederationProvider) -> Result<(), McError> {
    let provider = lookup(&mc.db, None, text(&body.name), false).await?;
    fed_authorized(mc, caller, &provider.operator_id).await?;
    // Only these may be sent (MC checks the body's keys); the rest are
    // read-only or set through their own operations.
    let refused = [
        ("ID", body.id.is_some()),
        ("Regions", body.regions.is_some()),
        ("FederationContextId", body.federation_context_id.is_some()),
        ("MyInfo.FederationId", body.my_info.as_ref().is_some_and(|my| my.federation_id.is_some())),
        ("PartnerInfo", body.partner_info.is_some()),
        ("PartnerNotifyTokenUrl", body.partner_notify_token_url.is_some()),
        ("PartnerNotifyClientId", body.partner_notify_client_id.is_some()),
        ("PartnerNotifyClientKey", body.partner_notify_client_key.is_some()),
        ("Status", body.status.is_some()),
        ("ProviderClientId", body.provider_client_id.is_some()),
        ("CreatedAt", body.created_at.is_some()),
        ("UpdatedAt", body.updated_at.is_some()),
    ];
    if let Some((field, _)) = refused.iter().find(|(_, sent)| *sent) {
        return Err(McError::bad_request(format!("Update {field} not allowed")));
    }
    let txn = crate::db::begin_write(&mc.db).await?;
    let provider = lookup(&txn, Some(provider.id), "", true).await?;
    let mut my_info = StoredFederator::parse(&provider.my_info);
    if let Some(given) = &body.my_info {
        if let Some(value) = &given.country_code {
            my_info.country_code = value.clone();
        }
        if let Some(value) = &given.mcc {
            my_info.mcc = value.clone();
        }
        if let Some(value) = &given.mnc {
            my_info.mnc = Some(value.clone());
        }
        if let Some(value) = &given.fixed_network_ids {
            my_info.fixed_network_ids = Some(value.clone());
        }
        if let Some(value) = &given.discovery_end_point {
            my_info.discovery_end_point = value.clone();
        }
        if given.initial_date.is_some() {
            my_info.initial_date = go_date(&given.initial_date)?;
        }
    }
    let name = provider.name.clone();
    let mut row = provider.into_active_model();
    row.my_info = Set(my_info.column());
    if let Some(value) = &body.default_container_deployment {
        row.default_container_deployment = Set(value.clone());
    }
    if let Some(value) = &body.partner_notify_dest {
        row.partner_notify_dest = Set(value.clone());
    }
    row.updated_at = Set(store::now());
    row.update(&txn).await?;
    mc.audited.record(&txn, &change(caller.username(), "update federation host", &name)).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn delete(
    mc: &Mc,
    caller: &McCaller,
    body: FederationProvider,
    ignore_partner: bool,
) -> Result<String, McError> {
    let provider = lookup(&mc.db, body.id, text(&body.name), false).await?;
    fed_authorized(mc, caller, &provider.operator_id).await?;
    let txn = crate::db::begin_write(&mc.db).await?;
    // Held until the host is gone: a zone share takes it first.
    let provider = lookup(&txn, Some(provider.id), "", true).await?;
    let zones = mc_provider_zone::Entity::find()
        .filter(mc_provider_zone::Column::ProviderName.eq(&provider.name))
        .filter(mc_provider_zone::Column::OperatorId.eq(&provider.operator_id))
        .order_by_asc(mc_provider_zone::Column::ZoneId)
        .all(&txn)
        .await?;
    let registered: Vec<&str> =
        zones.iter().filter(|zone| zone.status == REGISTERED).map(|zone| zone.zone_id.as_str()).collect();
    if !registered.is_empty() {
        return Err(McError::bad_request(format!(
            "Cannot delete Host when the following zones are still registered: {}",
            registered.join(", ")
        )));
    }
    if provider.status == REGISTERED && !ignore_partner {
        return Err(McError::bad_request("Cannot delete Host when it is still registered by Guest"));
    }
    // What a partner pushed goes first (its removals, or unsafe deletes):
    // MC's foreign keys refused the delete with a database error.
    if partner_data_remains(&txn, &provider.name).await? {
        return Err(McError::bad_request(
            "Cannot delete Host while partner images, artefacts, apps or app instances remain, please unsafe delete them first",
        ));
    }
    mc_provider_zone::Entity::delete_many()
        .filter(mc_provider_zone::Column::ProviderName.eq(&provider.name))
        .exec(&txn)
        .await?;
    mc_federation_provider::Entity::delete_by_id(provider.id).exec(&txn).await?;
    apikeys::delete_key_rows(&txn, &provider.provider_client_id).await?;
    // MC deleted the developer org too, as the caller (who may not be
    // allowed to), only logging why it could not.
    if let Err(refused) = orgs::delete_in_as(&txn, mc, caller, &provider.name).await {
        match refused.status {
            poem::http::StatusCode::BAD_REQUEST => {
                tracing::info!(org = %provider.name, reason = %refused.message, "kept a federation host's developer org");
            }
            _ => return Err(refused),
        }
    }
    mc.audited.record(&txn, &change(caller.username(), "delete federation host", &provider.name)).await?;
    txn.commit().await?;
    Ok(provider.name)
}

pub async fn show(
    mc: &Mc,
    caller: &McCaller,
    filter: Option<FederationProviderFilter>,
) -> Result<Vec<FederationProvider>, McError> {
    let filter = filter.unwrap_or_default();
    let visible = super::Visible::to(mc, caller).await?;
    let rows =
        mc_federation_provider::Entity::find().order_by_asc(mc_federation_provider::Column::Id).all(&mc.db).await?;
    Ok(rows
        .into_iter()
        .filter(|row| visible.sees(&row.operator_id))
        .map(shown)
        .filter(|host| matches(host, &filter))
        .collect())
}

/// The filter's set fields, each equal (MNC, arrays and times not
/// compared, as MC drops them).
fn matches(host: &FederationProvider, filter: &FederationProviderFilter) -> bool {
    let same = |wanted: &Option<String>, value: &Option<String>| super::same(wanted, value.as_deref().unwrap_or(""));
    let same_federator = |wanted: &Option<Federator>, value: &Option<Federator>| {
        let (Some(wanted), Some(value)) = (wanted, value) else { return true };
        same(&wanted.federation_id, &value.federation_id)
            && same(&wanted.country_code, &value.country_code)
            && same(&wanted.mcc, &value.mcc)
            && same(&wanted.discovery_end_point, &value.discovery_end_point)
    };
    filter.id.is_none_or(|id| id == 0 || Some(id) == host.id)
        && super::same_name(&filter.name, host.name.as_deref().unwrap_or(""))
        && same(&filter.operator_id, &host.operator_id)
        && same(&filter.federation_context_id, &host.federation_context_id)
        && same_federator(&filter.my_info, &host.my_info)
        && same_federator(&filter.partner_info, &host.partner_info)
        && same(&filter.partner_notify_dest, &host.partner_notify_dest)
        && same(&filter.partner_notify_token_url, &host.partner_notify_token_url)
        && same(&filter.partner_notify_client_id, &host.partner_notify_client_id)
        && same(&filter.default_container_deployment, &host.default_container_deployment)
        && same(&filter.status, &host.status)
        && same(&filter.provider_client_id, &host.provider_client_id)
}

pub async fn generate_api_key(
    mc: &Mc,
    caller: &McCaller,
    body: FederationProvider,
) -> Result<FederationProviderInfo, McError> {
    let provider = lookup(&mc.db, body.id, text(&body.name), false).await?;
    fed_authorized(mc, caller, &provider.operator_id).await?;
    let secret = uuid::Uuid::new_v4().to_string();
    let txn = crate::db::begin_write(&mc.db).await?;
    let provider = lookup(&txn, Some(provider.id), "", true).await?;
    // MC made up an ID when the host had none, without keeping it; a host
    // made here always has one.
    put_api_key(&txn, &provider.provider_client_id, &provider.operator_id, provider.id, &secret).await?;
    mc.audited.record(&txn, &change(caller.username(), "generate federation host api key", &provider.name)).await?;
    txn.commit().await?;
    Ok(FederationProviderInfo {
        client_id: provider.provider_client_id,
        client_key: secret,
        target_addr: mc.settings.public_url.clone(),
        token_url: String::new(),
    })
}

pub async fn set_notify_key(mc: &Mc, caller: &McCaller, body: FederationProvider) -> Result<(), McError> {
    let (id, key) = (text(&body.partner_notify_client_id), text(&body.partner_notify_client_key));
    if id.is_empty() {
        return Err(McError::bad_request("Must specify partner client id"));
    }
    if key.is_empty() {
        return Err(McError::bad_request("Must specify partner client key"));
    }
    let provider = lookup(&mc.db, body.id, text(&body.name), false).await?;
    fed_authorized(mc, caller, &provider.operator_id).await?;
    let txn = crate::db::begin_write(&mc.db).await?;
    let provider = lookup(&txn, Some(provider.id), "", true).await?;
    let token_url = match text(&body.partner_notify_token_url) {
        "" => provider.partner_notify_token_url.clone(),
        given => given.to_owned(),
    };
    if token_url.is_empty() {
        return Err(McError::bad_request("Must specify notify token url"));
    }
    let sealed = seal(mc, &NotifyKey { id: id.to_owned(), key: key.to_owned(), tokenurl: token_url.clone() })?;
    let name = provider.name.clone();
    let mut row = provider.into_active_model();
    row.partner_notify_token_url = Set(token_url);
    row.partner_notify_client_id = Set("***".to_owned());
    row.partner_notify_key_sealed = Set(Some(sealed));
    row.updated_at = Set(store::now());
    row.update(&txn).await?;
    mc.audited.record(&txn, &change(caller.username(), "set federation host notify key", &name)).await?;
    txn.commit().await?;
    Ok(())
}

/// MC's `orgInUseByFederatorCheck`, and the host's own developer org,
/// which MC's foreign key kept: why `org` cannot be deleted, if it cannot.
/// Whether the host `name` still holds anything a partner pushed.
async fn partner_data_remains(db: &impl ConnectionTrait, name: &str) -> Result<bool, McError> {
    use crate::db::entities::{mc_provider_app, mc_provider_app_inst, mc_provider_artefact, mc_provider_image};
    use sea_orm::PaginatorTrait;
    let counts = [
        mc_provider_image::Entity::find().filter(mc_provider_image::Column::FederationName.eq(name)).count(db).await?,
        mc_provider_artefact::Entity::find()
            .filter(mc_provider_artefact::Column::FederationName.eq(name))
            .count(db)
            .await?,
        mc_provider_app::Entity::find().filter(mc_provider_app::Column::FederationName.eq(name)).count(db).await?,
        mc_provider_app_inst::Entity::find()
            .filter(mc_provider_app_inst::Column::FederationName.eq(name))
            .count(db)
            .await?,
    ];
    Ok(counts.iter().any(|count| *count > 0))
}

pub async fn org_in_use(db: &impl ConnectionTrait, org: &str) -> Result<Option<String>, McError> {
    let hosting = mc_federation_provider::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(mc_federation_provider::Column::OperatorId.eq(org))
                .add(mc_federation_provider::Column::NameKey.eq(store::name_key(org))),
        )
        .one(db)
        .await?;
    if hosting.is_some() {
        return Ok(Some(format!("org {org} in use by FederationProvider")));
    }
    let guesting = mc_federation_consumer::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(mc_federation_consumer::Column::OperatorId.eq(org))
                .add(mc_federation_consumer::Column::NameKey.eq(store::name_key(org))),
        )
        .one(db)
        .await?;
    if guesting.is_some() {
        return Ok(Some(format!("org {org} in use by FederationConsumer")));
    }
    // MC's foreign key from an image sent to a host to its org.
    // (LIKE's wildcards may match other orgs' keys: the org is compared after.)
    let images = crate::db::entities::mc_consumer_image::Entity::find()
        .filter(
            crate::db::entities::mc_consumer_image::Column::ImageKey.starts_with(format!("{}\n", store::name_key(org))),
        )
        .all(db)
        .await?;
    let used = images.iter().any(|image| image.organization.eq_ignore_ascii_case(org));
    Ok(used.then(|| format!("org {org} in use by ConsumerImage")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mcc_is_three_ascii_digits() {
        assert!(check_mcc("123").is_ok());
        for bad in ["12", "1234", "12a", "١٢٣"] {
            assert_eq!(check_mcc(bad).unwrap_err().message, format!("Mcc {bad} does not match format ^\\d{{3}}$"));
        }
    }

    #[test]
    fn notify_keys_are_checked_without_echoing_them() {
        assert_eq!(check_notify_key("", "k").unwrap_err().message, "Partner notify client id not specified");
        assert_eq!(check_notify_key("i", "").unwrap_err().message, "Partner notify client key not specified");
        let short = check_notify_key("i", "short").unwrap_err().message;
        assert!(!short.contains("short"), "{short}");
        assert!(check_notify_key("i", &"k".repeat(129)).is_err());
        assert!(check_notify_key("i", "12345678").is_ok());
    }

    #[test]
    fn dates_print_as_go_prints_them() {
        assert_eq!(go_date(&None).unwrap(), "0001-01-01T00:00:00Z");
        assert_eq!(go_date(&Some("2023-01-02T03:04:05+02:00".into())).unwrap(), "2023-01-02T01:04:05Z");
        assert!(go_date(&Some("yesterday".into())).unwrap_err().message.contains("Unmarshal time \"yesterday\""));
    }

    #[test]
    fn federators_round_trip_their_column() {
        let stored = StoredFederator { mcc: "123".into(), mnc: Some(vec!["111".into()]), ..Default::default() };
        assert_eq!(StoredFederator::parse(&stored.column()), stored);
        let shown = StoredFederator::parse("").shown();
        assert_eq!((shown.mnc, shown.initial_date.as_deref()), (None, Some("0001-01-01T00:00:00Z")));
    }
}
