//! MC's regions (`/auth/controller/*`): the regional Controllers MC routes
//! a region's calls to. Steward serves every region's objects itself, so a
//! region is its row; the addresses are kept and shown as MC keeps them.
//! Registering, updating and deregistering need controllers:manage in the
//! empty org (AdminManager); anyone logged in may list the region names.

use super::api;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder};

use super::api::{Controller, ControllerFilter, ControllerInput};
use super::caller::McCaller;
use super::errors::McError;
use super::store::{self, text};
use super::{Mc, change, rbac};
use crate::db::entities::mc_controller;

/// MC's `DnsRegionLabelMaxLen`.
const DNS_LABEL_MAX: usize = 10;

/// The address a region registered by `STEWARD_MC_REGIONS` shows: its
/// objects are served in this process.
pub fn in_process_address(region: &str) -> String {
    format!("inprocess:{region}")
}

/// MC's `DNSSanitize`: lower-cased ASCII letters and digits; `-` and `_`
/// become `-` except first or last, where they are dropped; everything
/// else is dropped.
pub fn dns_label(region: &str) -> String {
    let last = region.chars().count().saturating_sub(1);
    region
        .chars()
        .enumerate()
        .filter_map(|(index, ch)| match ch {
            'a'..='z' | '0'..='9' => Some(ch),
            'A'..='Z' => Some(ch.to_ascii_lowercase()),
            '-' | '_' if index != 0 && index != last => Some('-'),
            _ => None,
        })
        .collect()
}

/// MC's `validateControllerObj`, in its order.
pub fn validate(region: &str, address: &str) -> Result<(), String> {
    if region.is_empty() {
        return Err("Controller Region not specified".into());
    }
    if region.contains('-') {
        return Err("Region cannot contain '-'".into());
    }
    if address.is_empty() {
        return Err("Controller Address not specified".into());
    }
    let label = dns_label(region);
    if label.len() > DNS_LABEL_MAX {
        return Err(format!(
            "DNS sanitized region label {label:?} derived from the region name {region:?} must be less than {DNS_LABEL_MAX} characters"
        ));
    }
    Ok(())
}

fn may_manage(rights: &rbac::Rights) -> bool {
    rights.allows("", rbac::CONTROLLERS, rbac::MANAGE)
}

/// Update's and delete's first checks, in MC's order: a region is named,
/// then the caller may manage controllers.
async fn named_and_managed<'a>(mc: &Mc, caller: &McCaller, body: &'a ControllerInput) -> Result<&'a str, McError> {
    let region = text(&body.region);
    if region.is_empty() {
        return Err(McError::bad_request("Controller Region not specified"));
    }
    if !may_manage(&mc.rights(&caller.subject()).await?) {
        return Err(McError::forbidden());
    }
    Ok(region)
}

/// MC answers a duplicate with its database's words (PostgreSQL's
/// constraint names for MC's table), except for the DNS label, which it
/// words itself.
fn conflict(existing: &mc_controller::Model, region: &str, address: &str, label: &str) -> McError {
    if existing.region == region {
        duplicate("controllers_pkey")
    } else if existing.address == address {
        duplicate("controllers_address_key")
    } else {
        McError::bad_request(format!(
            "DNS sanitized region name {label:?} conflicts with an existing DNS region name, please choose a different region name"
        ))
    }
}

fn duplicate(constraint: &str) -> McError {
    McError::bad_request(format!("Database error, pq: duplicate key value violates unique constraint \"{constraint}\""))
}

/// The registered row sharing the region, address or DNS label, if any.
async fn clashing(
    db: &impl sea_orm::ConnectionTrait,
    region: &str,
    address: &str,
    label: &str,
) -> Result<Option<mc_controller::Model>, sea_orm::DbErr> {
    use sea_orm::Condition;
    let any = Condition::any()
        .add(mc_controller::Column::Region.eq(region))
        .add(mc_controller::Column::Address.eq(address))
        .add(mc_controller::Column::DnsRegion.eq(label));
    let rows = mc_controller::Entity::find().filter(any).all(db).await?;
    // The primary key is checked first, then the address, as PostgreSQL
    // checks MC's constraints.
    Ok(rows
        .iter()
        .find(|row| row.region == region)
        .or_else(|| rows.iter().find(|row| row.address == address))
        .or_else(|| rows.first())
        .cloned())
}

/// A region's new row: its DNS label derived, the optional addresses as
/// given (empty when absent), created now.
fn new_row(region: &str, address: &str, body: &ControllerInput) -> mc_controller::ActiveModel {
    let now = store::now();
    mc_controller::ActiveModel {
        region: Set(region.to_owned()),
        address: Set(address.to_owned()),
        notify_addr: Set(text(&body.notify_addr).to_owned()),
        influx_db: Set(text(&body.influx_db).to_owned()),
        thanos_metrics: Set(text(&body.thanos_metrics).to_owned()),
        dns_region: Set(dns_label(region)),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

pub async fn create(mc: &Mc, caller: &McCaller, body: ControllerInput) -> Result<(), McError> {
    let (region, address) = (text(&body.region), text(&body.address));
    // MC checks the body before the caller's rights.
    validate(region, address).map_err(McError::bad_request)?;
    if !may_manage(&mc.rights(&caller.subject()).await?) {
        return Err(McError::forbidden());
    }
    let label = dns_label(region);
    let row = new_row(region, address, &body);
    let txn = crate::db::begin_write(&mc.db).await?;
    if let Some(existing) = clashing(&txn, region, address, &label).await? {
        return Err(conflict(&existing, region, address, &label));
    }
    if let Err(error) = mc_controller::Entity::insert(row).exec(&txn).await {
        // A registration that landed between the check and the insert
        // (PostgreSQL; SQLite's write lock serializes them): the same
        // region, most likely, and the transaction is no longer readable.
        return Err(match crate::db::is_unique_violation(&error) {
            true => duplicate("controllers_pkey"),
            false => error.into(),
        });
    }
    mc.audited.record(&txn, &change(caller.username(), "register controller", region)).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn update(mc: &Mc, caller: &McCaller, body: ControllerInput) -> Result<(), McError> {
    let region = named_and_managed(mc, caller, &body).await?;
    let txn = crate::db::begin_write(&mc.db).await?;
    let Some(stored) = mc_controller::Entity::find_by_id(region.to_owned()).one(&txn).await? else {
        return Err(McError::bad_request(format!("Region \"{region}\" not found")));
    };
    // Fields sent replace the stored ones; absent (or null) ones stay.
    let pick = |sent: &Option<String>, kept: &str| sent.clone().unwrap_or_else(|| kept.to_owned());
    let address = pick(&body.address, &stored.address);
    validate(region, &address).map_err(McError::bad_request)?;
    let taken = || duplicate("controllers_address_key");
    if address != stored.address
        && mc_controller::Entity::find().filter(mc_controller::Column::Address.eq(&address)).one(&txn).await?.is_some()
    {
        return Err(taken());
    }
    let mut row = stored.clone().into_active_model();
    row.address = Set(address);
    row.notify_addr = Set(pick(&body.notify_addr, &stored.notify_addr));
    row.influx_db = Set(pick(&body.influx_db, &stored.influx_db));
    row.thanos_metrics = Set(pick(&body.thanos_metrics, &stored.thanos_metrics));
    row.updated_at = Set(store::now());
    if let Err(error) = mc_controller::Entity::update(row).exec(&txn).await {
        // The address taken between the check and the update (PostgreSQL).
        return Err(if crate::db::is_unique_violation(&error) { taken() } else { error.into() });
    }
    mc.audited.record(&txn, &change(caller.username(), "update controller", region)).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn delete(mc: &Mc, caller: &McCaller, body: ControllerInput) -> Result<(), McError> {
    let region = named_and_managed(mc, caller, &body).await?;
    // As MC: deregistering a region that is not registered succeeds.
    let txn = crate::db::begin_write(&mc.db).await?;
    mc_controller::Entity::delete_by_id(region.to_owned()).exec(&txn).await?;
    mc.audited.record(&txn, &change(caller.username(), "deregister controller", region)).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn show(mc: &Mc, caller: &McCaller, filter: Option<ControllerFilter>) -> Result<Vec<Controller>, McError> {
    let filter = filter.unwrap_or_default();
    let admin = mc.rights(&caller.subject()).await?.allows("", rbac::CONTROLLERS, rbac::VIEW);
    let mut query = mc_controller::Entity::find().order_by_asc(mc_controller::Column::Region);
    if let Some(region) = &filter.region {
        query = query.filter(mc_controller::Column::Region.eq(region));
    }
    let rows = query.all(&mc.db).await?;
    Ok(rows
        .iter()
        // Only admins filter on more than the region, as in MC.
        .filter(|row| !admin || matches_filter(row, &filter))
        .map(|row| match admin {
            true => full(row),
            false => Controller {
                region: row.region.clone(),
                address: None,
                notify_addr: None,
                influx_db: None,
                thanos_metrics: None,
                dns_region: None,
                created_at: store::ZERO_TIME.to_owned(),
                updated_at: store::ZERO_TIME.to_owned(),
            },
        })
        .collect())
}

fn matches_filter(row: &mc_controller::Model, filter: &ControllerFilter) -> bool {
    let same = |wanted: &Option<String>, value: &str| wanted.as_deref().is_none_or(|w| w == value);
    same(&filter.address, &row.address)
        && same(&filter.notify_addr, &row.notify_addr)
        && same(&filter.influx_db, &row.influx_db)
        && same(&filter.thanos_metrics, &row.thanos_metrics)
        && same(&filter.dns_region, &row.dns_region)
        && same(&filter.created_at, &store::go_time(Some(row.created_at)))
        && same(&filter.updated_at, &store::go_time(Some(row.updated_at)))
}

/// MC's JSON: empty strings are left out, times always written.
fn full(row: &mc_controller::Model) -> Controller {
    let some = |value: &str| (!value.is_empty()).then(|| value.to_owned());
    Controller {
        region: row.region.clone(),
        address: some(&row.address),
        notify_addr: some(&row.notify_addr),
        influx_db: some(&row.influx_db),
        thanos_metrics: some(&row.thanos_metrics),
        dns_region: some(&row.dns_region),
        created_at: store::go_time(Some(row.created_at)),
        updated_at: store::go_time(Some(row.updated_at)),
    }
}

/// Registers the regions `STEWARD_MC_REGIONS` names (served in this
/// process) that are not registered yet.
pub async fn ensure_regions(db: &sea_orm::DatabaseConnection, regions: &[String]) -> Result<(), sea_orm::DbErr> {
    for region in regions {
        if mc_controller::Entity::find_by_id(region.clone()).one(db).await?.is_some() {
            continue;
        }
        let row = new_row(region, &in_process_address(region), &ControllerInput::default());
        mc_controller::Entity::insert(row).on_conflict_do_nothing_on([mc_controller::Column::Region]).exec(db).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl api::ControllerApi for Mc {
    async fn create_controller(
        &self,
        caller: McCaller,
        request: api::CreateControllerRequest,
    ) -> Result<api::CreateControllerResponse, McError> {
        super::controllers::create(self, &caller, request.body)
            .await
            .map(|()| api::CreateControllerResponse::Ok(super::message("Controller registered")))
    }

    async fn update_controller(
        &self,
        caller: McCaller,
        request: api::UpdateControllerRequest,
    ) -> Result<api::UpdateControllerResponse, McError> {
        super::controllers::update(self, &caller, request.body)
            .await
            .map(|()| api::UpdateControllerResponse::Ok(super::message("Controller updated")))
    }

    async fn delete_controller(
        &self,
        caller: McCaller,
        request: api::DeleteControllerRequest,
    ) -> Result<api::DeleteControllerResponse, McError> {
        super::controllers::delete(self, &caller, request.body)
            .await
            .map(|()| api::DeleteControllerResponse::Ok(super::message("Controller deregistered")))
    }

    async fn show_controller(
        &self,
        caller: McCaller,
        request: api::ShowControllerRequest,
    ) -> Result<api::ShowControllerResponse, McError> {
        super::controllers::show(self, &caller, request.body).await.map(api::ShowControllerResponse::Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_labels_follow_mcs_sanitizer() {
        assert_eq!(dns_label("US_West"), "us-west");
        assert_eq!(dns_label("_EU_"), "eu");
        assert_eq!(dns_label("a.b c!9"), "abc9");
        assert_eq!(dns_label(""), "");
    }

    #[test]
    fn validation_follows_mcs_order_and_words() {
        assert_eq!(validate("", ""), Err("Controller Region not specified".into()));
        assert_eq!(validate("US-West", ""), Err("Region cannot contain '-'".into()));
        assert_eq!(validate("EU", ""), Err("Controller Address not specified".into()));
        assert_eq!(validate("Tenletters", "a:1"), Ok(()));
        assert_eq!(
            validate("ElevenChars", "a:1"),
            Err(r#"DNS sanitized region label "elevenchars" derived from the region name "ElevenChars" must be less than 10 characters"#.into())
        );
    }
}
