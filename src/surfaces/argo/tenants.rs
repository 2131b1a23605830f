//! Tenants: listed and read as the caller's role may see them, created and
//! replaced whole, deleted; and their engine status.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use bytes::Bytes;
use poem::http::StatusCode;
use poem_openapi::types::ToJSON;

use super::api::ListTenantsResponse;
use super::api::{
    AmsDetail, AmsStatus, Created, CreatedRef, HdfsStatus, HdfsSync, Links, StatusDetail, StatusOnly, StatusView,
    Tenant, TenantInfo, TenantList, TenantStatus, TenantStatusList, TenantUser, Topology,
};
use super::auth::{ArgoCaller, Role};
use super::errors::{ArgoError, encoded_response, go_indented};
use super::store::{Put, REWRITE_ATTEMPTS, StatusChange, Stored};
use super::{Argo, envelope, new_api_key, new_id, now_text};
use crate::db::audited::Change;

const NAME_TAKEN: &str = "Tenant with same name already exists";

/// What a role sees of a tenant: restricted admins see no configuration or
/// users; UI admins see only the users with the `admin_ui` role.
fn view(tenant: &Tenant, role: Role) -> Tenant {
    match role {
        Role::SuperAdmin => tenant.clone(),
        Role::Restricted => Tenant { db_conf: None, users: None, ..tenant.clone() },
        Role::Ui => Tenant { db_conf: None, users: admin_ui_users(tenant), ..tenant.clone() },
    }
}

fn admin_ui_users(tenant: &Tenant) -> Option<Vec<TenantUser>> {
    let users: Vec<TenantUser> =
        tenant.users.iter().flatten().filter(|u| u.roles.iter().flatten().any(|r| r == "admin_ui")).cloned().collect();
    (!users.is_empty()).then_some(users)
}

/// Tenant lists as rendered for each role, with the generation of the
/// tenants they were rendered from. ARGO's list is unpaginated, so with
/// many tenants rendering dominates; the generation (bumped by every write,
/// in its transaction) says when a rendering is stale, on any replica.
/// Served as shared bytes (a clone is a reference count, never a copy of
/// the megabytes), and rendered one at a time: requests that miss together
/// wait for the one rendering instead of each building its own (a 10,000
/// tenant rendering holds tens of MiB while it is built).
#[derive(Default)]
pub struct ListCache {
    cached: Mutex<HashMap<Role, (i64, Bytes)>>,
    rendering: tokio::sync::Mutex<()>,
}

impl ListCache {
    fn get(&self, role: Role, generation: i64) -> Option<Bytes> {
        let cached = self.cached.lock().ok()?;
        cached.get(&role).filter(|(at, _)| *at == generation).map(|(_, body)| body.clone())
    }

    fn put(&self, role: Role, generation: i64, body: Bytes) {
        if let Ok(mut cached) = self.cached.lock() {
            cached.insert(role, (generation, body));
        }
    }
}

pub async fn list(api: &Argo, caller: &ArgoCaller) -> Result<ListTenantsResponse, ArgoError> {
    // Read before the tenants: a write in between only makes this rendering
    // newer than its label, so it is re-rendered, never served stale.
    let generation = api.store.generation().await?;
    if let Some(body) = api.lists.get(caller.role, generation) {
        return Ok(ListTenantsResponse::Prerendered(encoded_response(StatusCode::OK, body)));
    }
    let _rendering = api.lists.rendering.lock().await;
    // Another request may have rendered it while this one waited.
    let generation = api.store.generation().await?;
    if let Some(body) = api.lists.get(caller.role, generation) {
        return Ok(ListTenantsResponse::Prerendered(encoded_response(StatusCode::OK, body)));
    }
    let data = api
        .store
        .all()
        .await?
        .iter()
        .filter(|stored| caller.role != Role::Ui || admin_ui_users(&stored.tenant).is_some())
        .map(|stored| view(&stored.tenant, caller.role))
        .collect();
    let list = TenantList { status: envelope("Success", 200), data };
    let body = Bytes::from(go_indented(&list.to_json().unwrap_or_default()));
    api.lists.put(caller.role, generation, body.clone());
    Ok(ListTenantsResponse::Prerendered(encoded_response(StatusCode::OK, body)))
}

pub async fn find(api: &Argo, id: &str) -> Result<Stored, ArgoError> {
    api.store.get(id).await?.ok_or_else(ArgoError::not_found)
}

pub async fn get(api: &Argo, caller: &ArgoCaller, id: &str) -> Result<TenantList, ArgoError> {
    let stored = find(api, id).await?;
    if caller.role == Role::Ui && admin_ui_users(&stored.tenant).is_none() {
        return Err(ArgoError::not_found());
    }
    Ok(TenantList { status: envelope("Success", 200), data: vec![view(&stored.tenant, caller.role)] })
}

fn empty_info() -> TenantInfo {
    TenantInfo { name: None, email: None, description: None, image: None, website: None, created: None, updated: None }
}

/// Go's zero values for what a body left out.
fn normalized(mut tenant: Tenant) -> Tenant {
    let info = tenant.info.take().unwrap_or_else(empty_info);
    let text = |v: Option<String>| Some(v.unwrap_or_default());
    tenant.info = Some(TenantInfo {
        name: text(info.name),
        email: text(info.email),
        description: text(info.description),
        image: text(info.image),
        website: text(info.website),
        created: text(info.created),
        updated: text(info.updated),
    });
    let topology = tenant.topology.take().unwrap_or(Topology { r#type: None, feed: None });
    tenant.topology = Some(Topology { r#type: text(topology.r#type), feed: text(topology.feed) });
    tenant.db_conf = tenant.db_conf.filter(|c| !c.is_empty());
    tenant.users = tenant
        .users
        .filter(|u| !u.is_empty())
        .map(|users| users.into_iter().map(|u| TenantUser { roles: u.roles.filter(|r| !r.is_empty()), ..u }).collect());
    tenant
}

pub fn name_of(tenant: &Tenant) -> String {
    tenant.info.as_ref().and_then(|i| i.name.clone()).unwrap_or_default()
}

/// ARGO's check of user keys: no other tenant may hold one, and no key may
/// repeat within the tenant. The first offending key is named.
pub async fn check_user_keys(api: &Argo, tenant: &Tenant, tenant_id: &str) -> Result<(), ArgoError> {
    let mut seen = Vec::new();
    for key in tenant.users.iter().flatten().filter_map(|u| u.api_key.as_deref()).filter(|k| !k.is_empty()) {
        if api.store.key_used_elsewhere(key, tenant_id).await? || seen.contains(&key) {
            return Err(ArgoError::conflict(&format!("More than one users found using the key: {key}")));
        }
        seen.push(key);
    }
    Ok(())
}

/// A lost race on the name or a user key: the same 409 the checks give.
pub fn conflict_from(error: sea_orm::DbErr, tenant: &Tenant) -> ArgoError {
    if !crate::db::is_unique_violation(&error) {
        return ArgoError::from(error);
    }
    if error.to_string().contains("name") {
        return ArgoError::conflict(NAME_TAKEN);
    }
    let key = tenant.users.iter().flatten().filter_map(|u| u.api_key.clone()).next().unwrap_or_default();
    ArgoError::conflict(&format!("More than one users found using the key: {key}"))
}

pub fn created(caller: &ArgoCaller, path: &str, id: &str, message: &str) -> Created {
    Created {
        status: envelope(message, 201),
        data: CreatedRef { id: id.to_owned(), links: Links { self_: format!("https://{}{path}/{id}", caller.host) } },
    }
}

pub async fn create(api: &Argo, caller: &ArgoCaller, body: Tenant) -> Result<Created, ArgoError> {
    let mut tenant = normalized(body);
    let id = new_id();
    tenant.id = Some(id.clone());
    let stamp = now_text();
    if let Some(info) = tenant.info.as_mut() {
        info.created = Some(stamp.clone());
        info.updated = Some(stamp);
    }
    if let Some(users) = tenant.users.as_mut() {
        for user in users {
            user.id = Some(new_id());
            if user.api_key.as_deref().unwrap_or("").is_empty() {
                user.api_key = Some(new_api_key());
            }
        }
    }
    if api.store.by_name(&name_of(&tenant)).await?.is_some() {
        return Err(ArgoError::conflict(NAME_TAKEN));
    }
    check_user_keys(api, &tenant, "").await?;
    let change = Change { actor: caller.actor(), action: "createTenant", target: &id };
    api.store.put(&tenant, None, StatusChange::Drop, change).await.map_err(|e| conflict_from(e, &tenant))?;
    Ok(created(caller, "/api/v2/admin/tenants", &id, "Tenant was successfully created"))
}

pub async fn update(api: &Argo, caller: &ArgoCaller, id: &str, body: Tenant) -> Result<StatusOnly, ArgoError> {
    // Starts over from a fresh read while another writer changes the tenant.
    for _ in 0..REWRITE_ATTEMPTS {
        let stored = find(api, id).await?;
        let mut tenant = normalized(body.clone());
        tenant.id = Some(id.to_owned());
        let old = &stored.tenant;
        if let Some(info) = tenant.info.as_mut() {
            info.created = old.info.as_ref().and_then(|i| i.created.clone());
            info.updated = Some(now_text());
        }
        if let Some(users) = tenant.users.as_mut() {
            for user in users {
                let same_key = old.users.iter().flatten().find(|o| o.api_key.is_some() && o.api_key == user.api_key);
                user.id = Some(same_key.and_then(|o| o.id.clone()).unwrap_or_else(new_id));
                user.api_key = Some(user.api_key.clone().unwrap_or_default());
            }
        }
        check_user_keys(api, &tenant, id).await?;
        let name = name_of(&tenant);
        if name != name_of(old) && api.store.by_name(&name).await?.is_some() {
            return Err(ArgoError::conflict(NAME_TAKEN));
        }
        let change = Change { actor: caller.actor(), action: "updateTenant", target: id };
        let put = api.store.put(&tenant, Some(&stored), StatusChange::Drop, change).await;
        match put.map_err(|e| conflict_from(e, &tenant))? {
            Put::Written => return Ok(StatusOnly { status: envelope("Tenant successfully updated", 200) }),
            Put::Gone => return Err(ArgoError::not_found()),
            Put::Changed => continue,
        }
    }
    Err(ArgoError::busy())
}

pub async fn delete(api: &Argo, caller: &ArgoCaller, id: &str) -> Result<StatusOnly, ArgoError> {
    let change = Change { actor: caller.actor(), action: "deleteTenant", target: id };
    if !api.store.delete(id, change).await? {
        return Err(ArgoError::not_found());
    }
    Ok(StatusOnly { status: envelope("Tenant Successfully Deleted", 200) })
}

fn ams_detail(detail: Option<&AmsDetail>) -> AmsDetail {
    AmsDetail {
        ingestion: Some(detail.and_then(|d| d.ingestion).unwrap_or(false)),
        publishing: Some(detail.and_then(|d| d.publishing).unwrap_or(false)),
        status_streaming: Some(detail.and_then(|d| d.status_streaming).unwrap_or(false)),
        messages_arrived: Some(detail.and_then(|d| d.messages_arrived).unwrap_or(0)),
    }
}

fn hdfs_sync(sync: &HdfsSync) -> HdfsSync {
    let flag = |v: Option<bool>| Some(v.unwrap_or(false));
    HdfsSync {
        aggregation_profile: flag(sync.aggregation_profile),
        blank_recomputation: flag(sync.blank_recomputation),
        configuration_profile: flag(sync.configuration_profile),
        downtimes: flag(sync.downtimes),
        group_endpoints: flag(sync.group_endpoints),
        group_groups: flag(sync.group_groups),
        metric_profile: flag(sync.metric_profile),
        operations_profile: flag(sync.operations_profile),
        weights: flag(sync.weights),
    }
}

fn all_set(sync: &HdfsSync) -> bool {
    [
        sync.aggregation_profile,
        sync.blank_recomputation,
        sync.configuration_profile,
        sync.downtimes,
        sync.group_endpoints,
        sync.group_groups,
        sync.metric_profile,
        sync.operations_profile,
        sync.weights,
    ]
    .iter()
    .all(|flag| flag.unwrap_or(false))
}

/// The stored status with every value present and `total_status` true only
/// when every check is.
pub fn status_view(status: Option<&StatusDetail>) -> StatusView {
    let ams = status.and_then(|s| s.ams.as_ref());
    let (metric, sync) =
        (ams_detail(ams.and_then(|a| a.metric_data.as_ref())), ams_detail(ams.and_then(|a| a.sync_data.as_ref())));
    let hdfs = status.and_then(|s| s.hdfs.as_ref());
    let syncs: Option<BTreeMap<String, HdfsSync>> = hdfs
        .and_then(|h| h.sync_data.as_ref())
        .filter(|m| !m.is_empty())
        .map(|m| m.iter().map(|(name, sync)| (name.clone(), hdfs_sync(sync))).collect());
    let hdfs_metric = hdfs.and_then(|h| h.metric_data).unwrap_or(false);
    let engine_config = status.and_then(|s| s.engine_config).unwrap_or(false);
    let ams_ok = [&metric, &sync]
        .iter()
        .all(|d| d.ingestion.unwrap_or(false) && d.publishing.unwrap_or(false) && d.status_streaming.unwrap_or(false));
    let total = engine_config && ams_ok && hdfs_metric && syncs.iter().flatten().all(|(_, s)| all_set(s));
    StatusView {
        total_status: total,
        ams: AmsStatus { metric_data: Some(metric), sync_data: Some(sync) },
        hdfs: HdfsStatus { metric_data: Some(hdfs_metric), sync_data: syncs },
        engine_config,
        last_check: status.and_then(|s| s.last_check.clone()).unwrap_or_default(),
    }
}

pub async fn get_status(api: &Argo, id: &str) -> Result<TenantStatusList, ArgoError> {
    let stored = find(api, id).await?;
    let info = stored.tenant.info.clone().unwrap_or_else(empty_info);
    let data = TenantStatus { id: id.to_owned(), info, status: status_view(stored.status.as_ref()) };
    Ok(TenantStatusList { status: envelope("Success", 200), data: vec![data] })
}

pub async fn update_status(
    api: &Argo,
    caller: &ArgoCaller,
    id: &str,
    body: StatusDetail,
) -> Result<StatusOnly, ArgoError> {
    for _ in 0..REWRITE_ATTEMPTS {
        let stored = find(api, id).await?;
        let change = Change { actor: caller.actor(), action: "updateTenantStatus", target: id };
        match api.store.put(&stored.tenant, Some(&stored), StatusChange::Set(body.clone()), change).await? {
            Put::Written => return Ok(StatusOnly { status: envelope("Tenant successfully updated", 200) }),
            Put::Gone => return Err(ArgoError::not_found()),
            Put::Changed => continue,
        }
    }
    Err(ArgoError::busy())
}
