//! A tenant's users: listed, read, added (with a new key), changed,
//! removed, re-keyed; and looked up by id across tenants. Every change
//! rewrites the tenant document, as ARGO does (which also clears its
//! stored status).

use serde_json::Value;

use super::api::{ApiKeyRenewed, Created, RenewedKey, StatusOnly, Tenant, TenantUser, UserList};
use super::auth::ArgoCaller;
use super::errors::ArgoError;
use super::store::{Put, REWRITE_ATTEMPTS, StatusChange};
use super::tenants::{check_user_keys, conflict_from, created, find};
use super::{Argo, envelope, new_api_key, new_id, now_text};
use crate::db::audited::Change;

pub async fn list(api: &Argo, id: &str) -> Result<UserList, ArgoError> {
    let stored = find(api, id).await?;
    Ok(UserList { status: envelope("Success", 200), data: stored.tenant.users })
}

fn position(tenant: &Tenant, user_id: &str) -> Result<usize, ArgoError> {
    tenant.users.iter().flatten().position(|u| u.id.as_deref() == Some(user_id)).ok_or_else(ArgoError::user_not_found)
}

pub async fn get(api: &Argo, id: &str, user_id: &str) -> Result<UserList, ArgoError> {
    let stored = find(api, id).await?;
    let index = position(&stored.tenant, user_id)?;
    let user = stored.tenant.users.iter().flatten().nth(index).cloned();
    Ok(UserList { status: envelope("Success", 200), data: user.map(|u| vec![u]) })
}

/// Writes the tenant back with `edit` applied to its users, starting over
/// from a fresh read while another writer changes the tenant meanwhile.
async fn rewrite(
    api: &Argo,
    caller: &ArgoCaller,
    id: &str,
    action: &str,
    edit: impl Fn(&mut Vec<TenantUser>) -> Result<(), ArgoError>,
) -> Result<(), ArgoError> {
    for _ in 0..REWRITE_ATTEMPTS {
        let stored = find(api, id).await?;
        let mut tenant = stored.tenant.clone();
        let mut users = tenant.users.take().unwrap_or_default();
        edit(&mut users)?;
        tenant.users = (!users.is_empty()).then_some(users);
        if let Some(info) = tenant.info.as_mut() {
            info.updated = Some(now_text());
        }
        check_user_keys(api, &tenant, id).await?;
        let change = Change { actor: caller.actor(), action, target: id };
        let put = api.store.put(&tenant, Some(&stored), StatusChange::Drop, change).await;
        match put.map_err(|e| conflict_from(e, &tenant))? {
            Put::Written => return Ok(()),
            Put::Gone => return Err(ArgoError::not_found()),
            Put::Changed => continue,
        }
    }
    Err(ArgoError::busy())
}

pub async fn create(api: &Argo, caller: &ArgoCaller, id: &str, body: TenantUser) -> Result<Created, ArgoError> {
    let user_id = new_id();
    let user = TenantUser {
        id: Some(user_id.clone()),
        name: Some(body.name.unwrap_or_default()),
        email: Some(body.email.unwrap_or_default()),
        api_key: Some(new_api_key()),
        roles: body.roles.filter(|r| !r.is_empty()),
    };
    rewrite(api, caller, id, "createTenantUser", |users| {
        users.push(user.clone());
        Ok(())
    })
    .await?;
    Ok(created(caller, &format!("/api/v2/admin/tenants/{id}/users"), &user_id, "User was successfully created"))
}

pub async fn update(
    api: &Argo,
    caller: &ArgoCaller,
    id: &str,
    user_id: &str,
    body: TenantUser,
) -> Result<StatusOnly, ArgoError> {
    rewrite(api, caller, id, "updateTenantUser", |users| {
        let user = users.iter_mut().find(|u| u.id.as_deref() == Some(user_id)).ok_or_else(ArgoError::user_not_found)?;
        let present = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.is_empty());
        if present(&body.name) {
            user.name = body.name.clone();
        }
        if present(&body.email) {
            user.email = body.email.clone();
        }
        if let Some(roles) = body.roles.clone().filter(|r| !r.is_empty()) {
            user.roles = Some(roles);
        }
        if present(&body.api_key) {
            user.api_key = body.api_key.clone();
        }
        Ok(())
    })
    .await?;
    Ok(StatusOnly { status: envelope("User succesfully updated", 200) })
}

pub async fn delete(api: &Argo, caller: &ArgoCaller, id: &str, user_id: &str) -> Result<StatusOnly, ArgoError> {
    rewrite(api, caller, id, "deleteTenantUser", |users| {
        let index =
            users.iter().position(|u| u.id.as_deref() == Some(user_id)).ok_or_else(ArgoError::user_not_found)?;
        users.remove(index);
        Ok(())
    })
    .await?;
    Ok(StatusOnly { status: envelope("User succesfully deleted", 200) })
}

pub async fn renew_key(api: &Argo, caller: &ArgoCaller, id: &str, user_id: &str) -> Result<ApiKeyRenewed, ArgoError> {
    let key = new_api_key();
    rewrite(api, caller, id, "renewTenantUserApiKey", |users| {
        let user = users.iter_mut().find(|u| u.id.as_deref() == Some(user_id)).ok_or_else(ArgoError::user_not_found)?;
        user.api_key = Some(key.clone());
        Ok(())
    })
    .await?;
    Ok(ApiKeyRenewed { status: envelope("User api key succesfully renewed", 200), data: RenewedKey { api_key: key } })
}

pub async fn by_id(api: &Argo, user_id: &str, export: Option<&str>) -> Result<Value, ArgoError> {
    use poem_openapi::types::ToJSON;
    let tenant_id = api.store.tenant_of_user(user_id).await?.ok_or_else(ArgoError::not_found)?;
    let stored = find(api, &tenant_id).await?;
    let user = stored
        .tenant
        .users
        .into_iter()
        .flatten()
        .find(|u| u.id.as_deref() == Some(user_id))
        .ok_or_else(ArgoError::not_found)?;
    Ok(if export == Some("flat") {
        user.to_json().unwrap_or_default()
    } else {
        UserList { status: envelope("User was successfully retrieved", 200), data: Some(vec![user]) }
            .to_json()
            .unwrap_or_default()
    })
}
