//! MC's organizations: anyone logged in may create one (and becomes its
//! manager); showing, updating and deleting follow the caller's roles.

use super::api;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::api::{Organization, OrganizationFilter, OrganizationInput};
use super::caller::McCaller;
use super::errors::McError;
use super::store::text;
use super::{Mc, change, rbac, store};
use crate::db::entities::{mc_org, mc_role_grant};

pub const DEVELOPER: &str = "developer";
pub const OPERATOR: &str = "operator";
/// Names only an AdminManager may take (compared ignoring case).
const RESERVED: [&str; 4] = ["edgecloudorg", "openXedge", "MobiledgeX", "EdgeBox"];

pub async fn create(mc: &Mc, caller: &McCaller, body: OrganizationInput) -> Result<(), McError> {
    let name = text(&body.name);
    if name.is_empty() {
        return Err(McError::bad_request("Name not specified"));
    }
    store::check_name(name).map_err(McError::bad_request)?;
    let org_type = text(&body.r#type);
    if org_type != DEVELOPER && org_type != OPERATOR {
        return Err(McError::bad_request("Organization type must be developer, or operator"));
    }
    let details = Details {
        address: text(&body.address),
        phone: text(&body.phone),
        public_images: body.public_images.unwrap_or(false),
        // MC makes operator orgs edgebox-only until an admin says otherwise.
        edgebox_only: org_type == OPERATOR,
    };
    let txn = crate::db::begin_write(&mc.db).await?;
    create_in(&txn, mc, caller, name, org_type, details).await?;
    txn.commit().await?;
    Ok(())
}

/// What a new org holds besides its name and type.
#[derive(Default)]
pub struct Details<'a> {
    pub address: &'a str,
    pub phone: &'a str,
    pub public_images: bool,
    pub edgebox_only: bool,
}

/// MC's `CreateOrgObj` once the name is valid: the caller becomes the
/// org's manager. Runs in the caller's transaction, so an org created as a
/// side effect (a federation's) goes away with a failed request.
pub async fn create_in(
    txn: &DatabaseTransaction,
    mc: &Mc,
    caller: &McCaller,
    name: &str,
    org_type: &str,
    details: Details<'_>,
) -> Result<(), McError> {
    if RESERVED.iter().any(|reserved| reserved.eq_ignore_ascii_case(name))
        && !mc.rights(&caller.subject()).await?.manages_all_users()
    {
        return Err(McError::bad_request(format!("Not authorized to create reserved org {name}")));
    }
    if store::user_by_name(txn, name).await?.is_some() {
        return Err(McError::bad_request("Org name cannot be same as existing user name"));
    }
    let taken = || McError::bad_request(format!("Organization with name {name} (case-insensitive) already exists"));
    if store::org_by_name(txn, name).await?.is_some() {
        return Err(taken());
    }
    // The org exists from its CreateOrg event on, so that event stays
    // visible to the org's members.
    let now = crate::db::audit::request_started().map(crate::db::audit::from_micros).unwrap_or_else(store::now);
    let row = mc_org::ActiveModel {
        name: Set(name.to_owned()),
        name_key: Set(store::name_key(name)),
        org_type: Set(org_type.to_owned()),
        address: Set(details.address.to_owned()),
        phone: Set(details.phone.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        public_images: Set(details.public_images),
        delete_in_progress: Set(false),
        parent: Set(String::new()),
        edgebox_only: Set(details.edgebox_only),
    };
    let manager = if org_type == DEVELOPER { rbac::DEVELOPER_MANAGER } else { rbac::OPERATOR_MANAGER };
    let grant = mc_role_grant::ActiveModel {
        org: Set(name.to_owned()),
        subject: Set(caller.subject()),
        role: Set(manager.to_owned()),
    };
    if let Err(e) = mc_org::Entity::insert(row).exec(txn).await {
        return Err(if crate::db::is_unique_violation(&e) { taken() } else { e.into() });
    }
    mc_role_grant::Entity::insert(grant).exec(txn).await?;
    mc.audited.record(txn, &change(caller.username(), "create org", name)).await?;
    Ok(())
}

pub async fn show(
    mc: &Mc,
    caller: &McCaller,
    filter: Option<OrganizationFilter>,
) -> Result<Vec<Organization>, McError> {
    let filter = filter.unwrap_or_default();
    let rights = mc.rights(&caller.subject()).await?;
    let member_of: Vec<String> =
        store::grants_of(&mc.db, &caller.subject()).await?.into_iter().map(|g| g.org).collect();
    let orgs = mc_org::Entity::find().order_by_asc(mc_org::Column::Name).all(&mc.db).await?;
    Ok(orgs
        .iter()
        .filter(|org| rights.is_admin_viewer() || member_of.contains(&org.name))
        .filter(|org| matches_filter(org, &filter))
        .map(store::org_json)
        .collect())
}

fn matches_filter(org: &mc_org::Model, filter: &OrganizationFilter) -> bool {
    let same = |wanted: &Option<String>, value: &str| wanted.as_deref().is_none_or(|w| w == value);
    let flag = |wanted: Option<bool>, value: bool| wanted.is_none_or(|w| w == value);
    filter.name.as_deref().is_none_or(|n| n.eq_ignore_ascii_case(&org.name))
        && same(&filter.r#type, &org.org_type)
        && same(&filter.address, &org.address)
        && same(&filter.phone, &org.phone)
        && same(&filter.parent, &org.parent)
        && flag(filter.public_images, org.public_images)
        && flag(filter.delete_in_progress, org.delete_in_progress)
        && flag(filter.edgebox_only, org.edgebox_only)
}

pub async fn update(mc: &Mc, caller: &McCaller, body: OrganizationInput) -> Result<(), McError> {
    let name = text(&body.name);
    if name.is_empty() {
        return Err(McError::bad_request("Organization name not specified"));
    }
    let Some(org) = store::org_by_name(&mc.db, name).await? else {
        return Err(McError::bad_request("Organization not found"));
    };
    if !mc.rights(&caller.subject()).await?.allows(&org.name, rbac::USERS, rbac::MANAGE) {
        return Err(McError::forbidden());
    }
    let differs = |sent: &Option<String>, stored: &str| sent.as_deref().is_some_and(|s| s != stored);
    if differs(&body.r#type, &org.org_type) {
        return Err(McError::bad_request("Cannot change Organization type"));
    }
    if differs(&body.created_at, &store::go_time(Some(org.created_at))) {
        return Err(McError::bad_request("Cannot update created at"));
    }
    if body.edgebox_only.is_some_and(|e| e != org.edgebox_only) {
        return Err(McError::bad_request("Cannot update edgeboxonly field for Organization"));
    }
    if differs(&body.parent, &org.parent) {
        return Err(McError::bad_request("Cannot update parent"));
    }
    let mut row = org.clone().into_active_model();
    if let Some(address) = &body.address {
        row.address = Set(address.clone());
    }
    if let Some(phone) = &body.phone {
        row.phone = Set(phone.clone());
    }
    if let Some(public) = body.public_images {
        row.public_images = Set(public);
    }
    if let Some(deleting) = body.delete_in_progress {
        row.delete_in_progress = Set(deleting);
    }
    row.updated_at = Set(store::now());
    mc.audited.update(row, change(caller.username(), "update org", &org.name)).await?;
    Ok(())
}

pub async fn delete(mc: &Mc, caller: &McCaller, body: OrganizationInput) -> Result<(), McError> {
    let name = text(&body.name);
    if name.is_empty() {
        return Err(McError::bad_request("Organization name not specified"));
    }
    if !mc.rights(&caller.subject()).await?.allows(name, rbac::USERS, rbac::MANAGE) {
        return Err(McError::forbidden());
    }
    let Some(org) = store::org_by_name(&mc.db, name).await? else {
        return Err(McError::bad_request(format!("Org {name} not found")));
    };
    if org.name != name {
        return Err(McError::bad_request(format!("Lookup {name} but found {}", org.name)));
    }
    if org.delete_in_progress {
        return Err(McError::bad_request("Org already being deleted"));
    }
    let txn = crate::db::begin_write(&mc.db).await?;
    delete_in(&txn, mc, caller, &org.name).await?;
    txn.commit().await?;
    Ok(())
}

/// [`delete_in`] where the caller may delete orgs (users:manage there):
/// MC's `DeleteOrgObj` for an org made as a side effect.
pub async fn delete_in_as(txn: &DatabaseTransaction, mc: &Mc, caller: &McCaller, name: &str) -> Result<(), McError> {
    if !mc.rights(&caller.subject()).await?.allows(name, rbac::USERS, rbac::MANAGE) {
        return Err(McError::bad_request(format!("Not allowed to delete org {name}")));
    }
    delete_in(txn, mc, caller, name).await
}

/// Deletes the org `name` (as stored) in the caller's transaction, unless
/// something still uses it (400, nothing changed).
pub async fn delete_in(txn: &DatabaseTransaction, mc: &Mc, caller: &McCaller, name: &str) -> Result<(), McError> {
    // Held until the org is gone: a regional create for it waits, then
    // finds no org (see regional::create).
    mc_org::Entity::find_by_id(name.to_owned()).lock_exclusive().one(txn).await?;
    let owned = super::regional::store::kinds_owned_by(txn, name).await?;
    if !owned.is_empty() {
        return Err(McError::bad_request(in_use(name, &owned)));
    }
    if let Some(reason) = super::federation::org_in_use(txn, name).await? {
        return Err(McError::bad_request(reason));
    }
    if super::pool_access::names_org(txn, name).await? {
        return Err(McError::bad_request(
            "Cannot delete organization because it is referenced by some cloudletpool invitation or response",
        ));
    }
    mc_role_grant::Entity::delete_many().filter(mc_role_grant::Column::Org.eq(name)).exec(txn).await?;
    mc_org::Entity::delete_by_id(name.to_owned()).exec(txn).await?;
    mc.audited.record(txn, &change(caller.username(), "delete org", name)).await?;
    Ok(())
}

/// MC's `orgInUse`: per region (sorted), the kinds of object the org
/// still owns there (sorted).
fn in_use(org: &str, owned: &[(String, String)]) -> String {
    let mut regions: Vec<(&str, Vec<&str>)> = Vec::new();
    for (region, kind) in owned {
        match regions.last_mut() {
            Some((last, kinds)) if last == region => kinds.push(kind),
            _ => regions.push((region, vec![kind])),
        }
    }
    let uses: Vec<String> =
        regions.iter().map(|(region, kinds)| format!("region {region}: in use by some {}", kinds.join(", "))).collect();
    format!("Organization {org} in use or check failed: {}", uses.join("; "))
}

#[async_trait::async_trait]
impl api::OrgApi for Mc {
    async fn create_org(
        &self,
        caller: McCaller,
        request: api::CreateOrgRequest,
    ) -> Result<api::CreateOrgResponse, McError> {
        super::orgs::create(self, &caller, request.body)
            .await
            .map(|()| api::CreateOrgResponse::Ok(super::message("Organization created")))
    }

    async fn show_org(&self, caller: McCaller, request: api::ShowOrgRequest) -> Result<api::ShowOrgResponse, McError> {
        super::orgs::show(self, &caller, request.body).await.map(api::ShowOrgResponse::Ok)
    }

    async fn update_org(
        &self,
        caller: McCaller,
        request: api::UpdateOrgRequest,
    ) -> Result<api::UpdateOrgResponse, McError> {
        super::orgs::update(self, &caller, request.body).await.map(|()| api::UpdateOrgResponse::Ok)
    }

    async fn delete_org(
        &self,
        caller: McCaller,
        request: api::DeleteOrgRequest,
    ) -> Result<api::DeleteOrgResponse, McError> {
        super::orgs::delete(self, &caller, request.body)
            .await
            .map(|()| api::DeleteOrgResponse::Ok(super::message("Organization deleted")))
    }
}
