//! Cloudlet pools (`/auth/ctrl/*CloudletPool*`): an operator's groups of
//! its own cloudlets, which make them private to the developers a pool is
//! shared with. Operators manage their org's pools (cloudletpools:manage,
//! declared in the spec). Rules and messages are the Controller's
//! (`cloudletpool_api.go`) and MC's (`authz_cloudletpool.go`); no
//! invitations are served yet, so no developer is granted a pool.

use serde_json::Value;

use super::super::api::{self, CloudletKey, CloudletPool, CloudletPoolKey, RegionCloudletPool};
use super::super::caller::McCaller;
use super::super::errors::McError;
use super::super::store::text;
use super::super::{Mc, rbac, store as mc_store};
use super::cloudlet::{self, CLOUDLET};
use super::flavor::valid_name;
use super::object::{KeyForm, Kind};
use super::store;
use crate::wire::Stream;

pub const CLOUDLET_POOL: Kind = Kind {
    name: "CloudletPool",
    noun: "CloudletPool",
    key: "/key",
    key_form: KeyForm::Json,
    org: Some("/key/organization"),
    always: &["key"],
    in_use_by: &[],
};

/// `CloudletPoolKey.ValidateKey`.
fn validate_key(key: &Option<CloudletPoolKey>) -> Result<(), McError> {
    let key = key.clone().unwrap_or_default();
    if !valid_name(text(&key.organization)) {
        return Err(McError::bad_request("Invalid cloudlet pool organization"));
    }
    if !valid_name(text(&key.name)) {
        return Err(McError::bad_request("Invalid cloudlet pool name"));
    }
    Ok(())
}

/// MC's member check: each cloudlet's name is a valid name.
fn check_member_names(cloudlets: &[CloudletKey]) -> Result<(), McError> {
    match cloudlets.iter().find(|c| !valid_name(text(&c.name))) {
        Some(bad) => Err(McError::bad_request(format!("Invalid Cloudlet name {:?}", text(&bad.name)))),
        None => Ok(()),
    }
}

/// Members belong to the pool's org (the Controller forces it).
fn in_pool_org(pool: &CloudletPoolKey, cloudlets: &mut [CloudletKey]) {
    for cloudlet in cloudlets {
        cloudlet.organization = pool.organization.clone();
    }
}

/// `checkCloudletsExist`: every member is a cloudlet of the region (one
/// being deleted is named at once; missing ones are listed together).
async fn check_cloudlets_exist(
    db: &impl sea_orm::ConnectionTrait,
    region: &str,
    cloudlets: &[CloudletKey],
) -> Result<(), McError> {
    let mut missing = Vec::new();
    for cloudlet in cloudlets {
        let key = cloudlet::key_text(cloudlet);
        let found =
            store::list(db, region, &CLOUDLET, store::Listing { key: Some(&key), ..Default::default() }).await?;
        match found.first() {
            Some(row) if row.object.get("delete_prepare").and_then(Value::as_bool) == Some(true) => {
                return Err(McError::bad_request(format!("Cloudlet {key} is being deleted")));
            }
            Some(_) => {}
            None => missing.push(key),
        }
    }
    match missing.is_empty() {
        true => Ok(()),
        false => Err(McError::bad_request(format!("Cloudlets {} not found", missing.join(", ")))),
    }
}

/// A pool as MC shows it: key, members (null when none) and both times
/// always written.
fn shown(mut pool: CloudletPool) -> CloudletPool {
    pool.key.get_or_insert_with(Default::default);
    if pool.cloudlets.as_ref().is_some_and(Vec::is_empty) {
        pool.cloudlets = None;
    }
    pool.created_at.get_or_insert_with(String::new);
    pool.updated_at.get_or_insert_with(String::new);
    pool
}

fn pool_of(body: &RegionCloudletPool) -> CloudletPool {
    let mut pool = body.cloudlet_pool.clone().unwrap_or_default();
    pool.key.get_or_insert_with(Default::default);
    pool
}

/// Changes a stored pool in its row's transaction; the members it ends
/// with must exist.
async fn change_pool(
    mc: &Mc,
    caller: &McCaller,
    region: &str,
    key: &CloudletPoolKey,
    action: &str,
    change: impl FnOnce(&mut CloudletPool) -> Result<bool, McError> + Send,
) -> Result<(), McError> {
    let object = super::as_json(&CloudletPool { key: Some(key.clone()), ..Default::default() });
    let txn = crate::db::begin_write(&mc.db).await?;
    let stored_key = CLOUDLET_POOL.key_text(&object);
    let Some(stored) = store::find_for_update(&txn, region, &CLOUDLET_POOL, &stored_key).await? else {
        return Err(super::not_found(&CLOUDLET_POOL, &stored_key));
    };
    let mut pool: CloudletPool = super::from_json(stored.object)?;
    if !change(&mut pool)? {
        return Ok(());
    }
    check_cloudlets_exist(&txn, region, pool.cloudlets.as_deref().unwrap_or_default()).await?;
    store::replace(&txn, region, &CLOUDLET_POOL, &stored_key, &CLOUDLET_POOL.stored(&super::as_json(&pool))).await?;
    super::audit(mc, &txn, caller, action, region, &CLOUDLET_POOL, &stored_key).await?;
    txn.commit().await?;
    Ok(())
}

#[async_trait::async_trait]
impl api::CloudletPoolApi for Mc {
    async fn create_cloudlet_pool(
        &self,
        caller: McCaller,
        request: api::CreateCloudletPoolRequest,
    ) -> Result<api::CreateCloudletPoolResponse, McError> {
        let mut pool = pool_of(&request.body);
        check_member_names(pool.cloudlets.as_deref().unwrap_or_default())?;
        let region = super::region(self, &request.body.region).await?;
        validate_key(&pool.key)?;
        let key = pool.key.clone().unwrap_or_default();
        in_pool_org(&key, pool.cloudlets.as_deref_mut().unwrap_or_default());
        pool.created_at = Some(mc_store::go_time(Some(mc_store::now())));
        pool.updated_at = None;
        let txn = crate::db::begin_write(&self.db).await?;
        let object = super::as_json(&pool);
        if store::find_for_update(&txn, &region, &CLOUDLET_POOL, &CLOUDLET_POOL.key_text(&object)).await?.is_some() {
            return Err(super::already_exists(&CLOUDLET_POOL, &CLOUDLET_POOL.key_text(&object)));
        }
        check_cloudlets_exist(&txn, &region, pool.cloudlets.as_deref().unwrap_or_default()).await?;
        super::insert_new(self, &txn, &caller, &region, &CLOUDLET_POOL, &object).await?;
        txn.commit().await?;
        Ok(api::CreateCloudletPoolResponse::Ok(api::Result::default()))
    }

    async fn delete_cloudlet_pool(
        &self,
        caller: McCaller,
        request: api::DeleteCloudletPoolRequest,
    ) -> Result<api::DeleteCloudletPoolResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let pool = pool_of(&request.body);
        let key = pool.key.clone().unwrap_or_default();
        crate::surfaces::mc::pool_access::refuse_referenced_pool(
            &self.db,
            &region,
            text(&key.organization),
            text(&key.name),
        )
        .await?;
        let object = super::as_json(&pool);
        super::delete(self, &caller, &region, &CLOUDLET_POOL, &object, |_| Ok(())).await?;
        Ok(api::DeleteCloudletPoolResponse::Ok(api::Result::default()))
    }

    async fn update_cloudlet_pool(
        &self,
        caller: McCaller,
        request: api::UpdateCloudletPoolRequest,
    ) -> Result<api::UpdateCloudletPoolResponse, McError> {
        let sent = pool_of(&request.body);
        validate_key(&sent.key)?;
        let region = super::region(self, &request.body.region).await?;
        let key = sent.key.clone().unwrap_or_default();
        let replace = request.body.cloudlet_pool.as_ref().is_some_and(|p| p.cloudlets.is_some());
        let mut members = sent.cloudlets.clone().unwrap_or_default();
        in_pool_org(&key, &mut members);
        change_pool(self, &caller, &region, &key, "update", move |pool| {
            if !replace {
                return Ok(false);
            }
            pool.cloudlets = Some(members);
            pool.updated_at = Some(mc_store::go_time(Some(mc_store::now())));
            Ok(true)
        })
        .await?;
        Ok(api::UpdateCloudletPoolResponse::Ok(api::Result::default()))
    }

    async fn show_cloudlet_pool(
        &self,
        caller: McCaller,
        request: api::ShowCloudletPoolRequest,
    ) -> Result<api::ShowCloudletPoolResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let visible = super::visible(self, &caller, rbac::CLOUDLET_POOLS, rbac::VIEW).await?;
        let mut filter = request.body.cloudlet_pool.clone().unwrap_or_default();
        // Members filter as a subset (below); times are not compared.
        let members = filter.cloudlets.take().unwrap_or_default();
        filter.created_at = None;
        filter.updated_at = None;
        let objects = super::show(self, &region, &CLOUDLET_POOL, &super::as_json(&filter), &visible).await?;
        let mut pools = Vec::new();
        for object in objects {
            let pool: CloudletPool = super::from_json(object)?;
            let has = pool.cloudlets.clone().unwrap_or_default();
            let wanted =
                |m: &CloudletKey| has.iter().any(|c| super::object::matches(&super::as_json(m), &super::as_json(c)));
            if members.iter().all(wanted) {
                pools.push(shown(pool));
            }
        }
        Ok(api::ShowCloudletPoolResponse::Ok(Stream::lines(pools)))
    }

    async fn add_cloudlet_pool_member(
        &self,
        caller: McCaller,
        request: api::AddCloudletPoolMemberRequest,
    ) -> Result<api::AddCloudletPoolMemberResponse, McError> {
        let member = request.body.cloudlet_pool_member.clone().unwrap_or_default();
        let mut cloudlet = member.cloudlet.clone().unwrap_or_default();
        if !valid_name(text(&cloudlet.name)) {
            return Err(McError::bad_request("Invalid Cloudlet name"));
        }
        validate_key(&member.key)?;
        let region = super::region(self, &request.body.region).await?;
        let key = member.key.clone().unwrap_or_default();
        cloudlet.organization = key.organization.clone();
        change_pool(self, &caller, &region, &key, "add a cloudlet to", move |pool| {
            let members = pool.cloudlets.get_or_insert_with(Vec::new);
            if members.contains(&cloudlet) {
                return Err(McError::bad_request("Cloudlet already part of pool"));
            }
            members.push(cloudlet);
            Ok(true)
        })
        .await?;
        Ok(api::AddCloudletPoolMemberResponse::Ok(api::Result::default()))
    }

    async fn remove_cloudlet_pool_member(
        &self,
        caller: McCaller,
        request: api::RemoveCloudletPoolMemberRequest,
    ) -> Result<api::RemoveCloudletPoolMemberResponse, McError> {
        let member = request.body.cloudlet_pool_member.clone().unwrap_or_default();
        let region = super::region(self, &request.body.region).await?;
        let key = member.key.clone().unwrap_or_default();
        let mut cloudlet = member.cloudlet.clone().unwrap_or_default();
        cloudlet.organization = key.organization.clone();
        change_pool(self, &caller, &region, &key, "remove a cloudlet from", move |pool| {
            let Some(members) = pool.cloudlets.as_mut() else { return Ok(false) };
            match members.iter().position(|c| *c == cloudlet) {
                Some(index) => {
                    members.remove(index);
                    Ok(true)
                }
                None => Ok(false),
            }
        })
        .await?;
        Ok(api::RemoveCloudletPoolMemberResponse::Ok(api::Result::default()))
    }
}

/// The keys (as stored) of the cloudlets in the pools of `orgs`.
pub async fn cloudlets_of_pools(
    db: &impl sea_orm::ConnectionTrait,
    region: &str,
    orgs: &std::collections::BTreeSet<String>,
) -> Result<std::collections::BTreeSet<String>, sea_orm::DbErr> {
    let pools = store::list(db, region, &CLOUDLET_POOL, store::Listing::default()).await?;
    Ok(pools
        .iter()
        .filter(|pool| orgs.contains(&pool.org))
        .flat_map(|pool| pool.object.get("cloudlets").and_then(Value::as_array).cloned().unwrap_or_default())
        .map(|member| CLOUDLET.key_text(&serde_json::json!({ "key": member })))
        .collect())
}

/// The keys (as stored) of the cloudlets in the pools named, as (pool
/// org, pool name).
pub async fn cloudlets_of_named_pools(
    db: &impl sea_orm::ConnectionTrait,
    region: &str,
    pools: &std::collections::BTreeSet<(String, String)>,
) -> Result<std::collections::BTreeSet<String>, sea_orm::DbErr> {
    let rows = store::list(db, region, &CLOUDLET_POOL, store::Listing::default()).await?;
    Ok(rows
        .iter()
        .filter(|pool| {
            let name = pool.object.pointer("/key/name").and_then(Value::as_str).unwrap_or_default();
            pools.contains(&(pool.org.clone(), name.to_owned()))
        })
        .flat_map(|pool| pool.object.get("cloudlets").and_then(Value::as_array).cloned().unwrap_or_default())
        .map(|member| CLOUDLET.key_text(&serde_json::json!({ "key": member })))
        .collect())
}

/// The keys (as stored) of every cloudlet in some pool of the region.
pub async fn pooled_cloudlets(
    db: &impl sea_orm::ConnectionTrait,
    region: &str,
) -> Result<std::collections::BTreeSet<String>, sea_orm::DbErr> {
    let pools = store::list(db, region, &CLOUDLET_POOL, store::Listing::default()).await?;
    Ok(pools
        .iter()
        .flat_map(|pool| pool.object.get("cloudlets").and_then(Value::as_array).cloned().unwrap_or_default())
        .map(|member| CLOUDLET.key_text(&serde_json::json!({ "key": member })))
        .collect())
}
