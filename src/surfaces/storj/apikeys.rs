//! API keys: created per project under a unique name, shown once,
//! deleted by their serialized form or by project and name.

use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::api::{ApiKeyCreated, CreateApiKey};
use super::auth::StorjAdmin;
use super::errors::StorjError;
use super::{Storj, apikey, ids, now, projects};
use crate::db::audited::Change;
use crate::db::entities::{storj_api_key as api_key, storj_project as project};

fn duplicate() -> StorjError {
    StorjError::conflict("api-key with given name already exists", "")
}

pub async fn create(
    api: &Storj,
    caller: &StorjAdmin,
    project: &str,
    body: CreateApiKey,
) -> Result<ApiKeyCreated, StorjError> {
    let project_id = projects::parse_id(project)?;
    let partner = match body.partner_id.as_deref() {
        Some(text) => Some(ids::from_json(text).map_err(StorjError::unmarshal)?),
        None => None,
    };
    let name = body.name.unwrap_or_default();
    if name.is_empty() {
        return Err(StorjError::bad_request("Name is not set"));
    }
    // The project's row stays locked until the key is in, so a deletion of
    // the project (which locks it too) sees the key.
    let txn = crate::db::begin_write(api.db()).await?;
    project::Entity::find_by_id(project_id).lock_exclusive().one(&txn).await?.ok_or_else(projects::not_found)?;
    let taken = api_key::Entity::find()
        .filter(api_key::Column::ProjectId.eq(project_id))
        .filter(api_key::Column::Name.eq(name.as_str()))
        .one(&txn)
        .await?;
    if taken.is_some() {
        return Err(duplicate());
    }
    let key = apikey::generate();
    let id = uuid::Uuid::new_v4();
    let row = api_key::ActiveModel {
        id: Set(id),
        project_id: Set(project_id),
        name: Set(name),
        head_hash: Set(key.head_hash),
        partner_id: Set(partner.filter(|p| !p.is_nil())),
        created_at: Set(now()),
    };
    let target = id.to_string();
    let inserted = async {
        row.insert(&txn).await?;
        api.store.record(&txn, &Change { actor: caller.actor(), action: "createApiKey", target: &target }).await?;
        txn.commit().await
    };
    match inserted.await {
        Ok(()) => Ok(ApiKeyCreated { apikey: key.serialized }),
        Err(error) if crate::db::is_unique_violation(&error) => Err(duplicate()),
        Err(error) => Err(error.into()),
    }
}

async fn remove(api: &Storj, caller: &StorjAdmin, row: api_key::Model) -> Result<(), StorjError> {
    let target = row.id.to_string();
    api.store
        .delete::<api_key::Entity>(row.id, Change { actor: caller.actor(), action: "deleteApiKey", target: &target })
        .await?;
    Ok(())
}

pub async fn delete(api: &Storj, caller: &StorjAdmin, serialized: &str) -> Result<(), StorjError> {
    let head = apikey::parse_head(serialized)
        .map_err(|detail| StorjError::new(poem::http::StatusCode::BAD_REQUEST, "invalid apikey format", detail))?;
    let row = api_key::Entity::find()
        .filter(api_key::Column::HeadHash.eq(apikey::head_hash(&head)))
        .one(api.db())
        .await?
        .ok_or_else(|| StorjError::not_found("API key does not exist"))?;
    remove(api, caller, row).await
}

pub async fn delete_by_name(api: &Storj, caller: &StorjAdmin, project: &str, name: &str) -> Result<(), StorjError> {
    let project_id = projects::parse_id(project)?;
    let row = api_key::Entity::find()
        .filter(api_key::Column::ProjectId.eq(project_id))
        .filter(api_key::Column::Name.eq(name))
        .one(api.db())
        .await?
        .ok_or_else(|| StorjError::not_found("API key with specified name does not exist"))?;
    remove(api, caller, row).await
}
