//! User API keys: each holds a private role with the permissions it was
//! created with, all of which its creator held in the key's org at the
//! time. The secret is shown once; only its SHA-256 is kept.

use std::collections::BTreeSet;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::api::{ApiKey, ApiKeyRequest, RolePerm};
use super::caller::McCaller;
use super::errors::McError;
use super::store::text;
use super::{Mc, change, login, rbac, store};
use crate::db::entities::{mc_api_key, mc_api_key_perm, mc_role_grant, mc_user};

/// MC's `UserApiKeyCreateLimit`.
const KEYS_PER_USER: u64 = 10;

fn refuse_key_tokens(caller: &McCaller, verb: &str) -> Result<(), McError> {
    match caller.claims.is_api_key() {
        true => Err(McError::new(
            poem::http::StatusCode::FORBIDDEN,
            format!("ApiKey auth not allowed to {verb} API keys, please log in with user account"),
        )),
        false => Ok(()),
    }
}

fn too_many_keys() -> McError {
    McError::bad_request(format!(
        "User cannot create more than {KEYS_PER_USER} API keys, please delete existing keys to create new one"
    ))
}

async fn keys_held(db: &impl ConnectionTrait, owner: &str) -> Result<u64, sea_orm::DbErr> {
    mc_api_key::Entity::find().filter(mc_api_key::Column::Username.eq(owner)).count(db).await
}

pub async fn create(mc: &Mc, caller: &McCaller, body: ApiKeyRequest) -> Result<ApiKey, McError> {
    refuse_key_tokens(caller, "create")?;
    let owner = caller.username();
    if keys_held(&mc.db, owner).await? >= KEYS_PER_USER {
        return Err(too_many_keys());
    }
    let requested = body.permissions.clone().unwrap_or_default();
    if requested.is_empty() {
        return Err(McError::bad_request("No permissions specified"));
    }
    let rights = mc.rights(owner).await?;
    let admin = rights.is_admin_manager();
    let org = text(&body.org).to_owned();
    if !admin && org.is_empty() {
        return Err(McError::bad_request("Org not specified"));
    }
    if !org.is_empty() && store::org_by_name(&mc.db, &org).await?.is_none() {
        return Err(McError::bad_request("Invalid org specified"));
    }
    // What the creator holds: as an admin, the platform-wide grants; else
    // those in the key's org.
    let scope_org = if admin { "" } else { org.as_str() };
    let valid: BTreeSet<(String, String)> =
        rights.scopes.iter().filter(|s| s.org == scope_org).map(|s| (s.resource.clone(), s.action.clone())).collect();
    let mut granted = BTreeSet::new();
    for permission in &requested {
        let (resource, action) = (text(&permission.resource), text(&permission.action));
        if action != rbac::VIEW && action != rbac::MANAGE {
            return Err(McError::bad_request(format!("Invalid action {action}, valid actions are view, manage")));
        }
        if !valid.contains(&(resource.to_owned(), action.to_owned())) {
            let listed: Vec<String> = valid.iter().map(|(r, a)| format!("{r}:{a}")).collect();
            return Err(McError::bad_request(format!(
                "Invalid permission specified: [{resource}:{action}], valid permissions (resource:action) are [{}]",
                listed.join(" ")
            )));
        }
        granted.insert((resource.to_owned(), action.to_owned()));
        if action == rbac::MANAGE {
            granted.insert((resource.to_owned(), rbac::VIEW.to_owned()));
        }
    }
    let id = uuid::Uuid::new_v4().to_string();
    let secret = uuid::Uuid::new_v4().to_string();
    let now = store::now();
    let txn = crate::db::begin_write(&mc.db).await?;
    // The owner's row stays locked while the cap is counted and the key
    // added, so parallel creations cannot all pass the count.
    mc_user::Entity::find().filter(mc_user::Column::Name.eq(owner)).lock_exclusive().one(&txn).await?;
    if keys_held(&txn, owner).await? >= KEYS_PER_USER {
        return Err(too_many_keys());
    }
    let row = mc_api_key::ActiveModel {
        id: Set(id.clone()),
        description: Set(text(&body.description).to_owned()),
        org: Set(org.clone()),
        username: Set(owner.to_owned()),
        key_hash: Set(login::api_key_hash(&secret)),
        created_at: Set(now),
        updated_at: Set(now),
    };
    mc_api_key::Entity::insert(row).exec(&txn).await?;
    let perms = granted.into_iter().map(|(resource, action)| mc_api_key_perm::ActiveModel {
        key_id: Set(id.clone()),
        resource: Set(resource),
        action: Set(action),
    });
    mc_api_key_perm::Entity::insert_many(perms).exec(&txn).await?;
    let grant = mc_role_grant::ActiveModel {
        org: Set(org.clone()),
        subject: Set(rbac::key_subject(&id)),
        role: Set(rbac::key_role(&id)),
    };
    mc_role_grant::Entity::insert(grant).exec(&txn).await?;
    mc.audited.record(&txn, &change(owner, "create api key", &id)).await?;
    txn.commit().await?;
    // MC answers the request back with the id and secret filled in.
    Ok(ApiKey {
        id,
        description: text(&body.description).to_owned(),
        org,
        username: text(&body.username).to_owned(),
        api_key_hash: String::new(),
        salt: String::new(),
        iter: 0,
        created_at: store::ZERO_TIME.to_owned(),
        updated_at: store::ZERO_TIME.to_owned(),
        api_key: secret,
        permissions: Some(
            requested.into_iter().map(|p| RolePerm { role: Some(p.role.unwrap_or_default()), ..p }).collect(),
        ),
    })
}

pub async fn show(mc: &Mc, caller: &McCaller, filter: Option<ApiKeyRequest>) -> Result<Vec<ApiKey>, McError> {
    refuse_key_tokens(caller, "show")?;
    let id = filter.as_ref().map(|f| text(&f.id).to_lowercase()).unwrap_or_default();
    let mut query = mc_api_key::Entity::find().order_by_asc(mc_api_key::Column::CreatedAt);
    if !id.is_empty() {
        if mc_api_key::Entity::find_by_id(id.clone()).one(&mc.db).await?.is_none() {
            return Err(McError::bad_request("API key ID not found"));
        }
        query = query.filter(mc_api_key::Column::Id.eq(id));
    }
    let admin = mc.rights(&caller.subject()).await?.is_admin_viewer();
    if !admin {
        query = query.filter(mc_api_key::Column::Username.eq(caller.username()));
    }
    let mut shown = Vec::new();
    for key in query.all(&mc.db).await? {
        let perms =
            mc_api_key_perm::Entity::find().filter(mc_api_key_perm::Column::KeyId.eq(&key.id)).all(&mc.db).await?;
        shown.push(ApiKey {
            username: if admin { key.username.clone() } else { String::new() },
            api_key_hash: String::new(),
            salt: String::new(),
            iter: 0,
            created_at: store::go_time(Some(key.created_at)),
            updated_at: store::ZERO_TIME.to_owned(),
            api_key: String::new(),
            permissions: Some(
                perms
                    .into_iter()
                    .map(|p| RolePerm { role: Some(String::new()), resource: Some(p.resource), action: Some(p.action) })
                    .collect(),
            ),
            id: key.id,
            description: key.description,
            org: key.org,
        });
    }
    Ok(shown)
}

pub async fn delete(mc: &Mc, caller: &McCaller, body: ApiKeyRequest) -> Result<(), McError> {
    refuse_key_tokens(caller, "delete")?;
    let id = text(&body.id).to_lowercase();
    if id.is_empty() {
        return Err(McError::bad_request("Missing API key ID"));
    }
    let Some(key) = mc_api_key::Entity::find_by_id(id.clone()).one(&mc.db).await? else {
        return Err(McError::bad_request("API key ID not found"));
    };
    if key.username != caller.username() && !mc.rights(&caller.subject()).await?.is_admin_viewer() {
        return Err(McError::new(poem::http::StatusCode::FORBIDDEN, "Cannot delete other user's API key"));
    }
    let txn = crate::db::begin_write(&mc.db).await?;
    delete_key_rows(&txn, &key.id).await?;
    mc.audited.record(&txn, &change(caller.username(), "delete api key", &key.id)).await?;
    txn.commit().await?;
    Ok(())
}

/// Removes a key with its permissions and its role grant.
pub async fn delete_key_rows(txn: &impl ConnectionTrait, id: &str) -> Result<(), sea_orm::DbErr> {
    mc_api_key_perm::Entity::delete_many().filter(mc_api_key_perm::Column::KeyId.eq(id)).exec(txn).await?;
    mc_role_grant::Entity::delete_many()
        .filter(mc_role_grant::Column::Subject.eq(rbac::key_subject(id)))
        .exec(txn)
        .await?;
    mc_api_key::Entity::delete_by_id(id.to_owned()).exec(txn).await?;
    Ok(())
}
