//! Projects: created for an existing owner, renamed, deleted once they
//! hold no API keys (Steward keeps no buckets or usage, so those never
//! block a deletion).

use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QuerySelect};

use super::api::{CreateProject, Project, ProjectCreated, RenameProject, UsageResult};
use super::auth::StorjAdmin;
use super::errors::StorjError;
use super::{Storj, go_time, ids, memory, now, partner_text};
use crate::db::audited::Change;
use crate::db::entities::{storj_api_key as api_key, storj_project as project, storj_user as user};

pub fn parse_id(text: &str) -> Result<uuid::Uuid, StorjError> {
    ids::from_path(text)
        .map_err(|detail| StorjError::new(poem::http::StatusCode::BAD_REQUEST, "invalid project-uuid", detail))
}

pub fn not_found() -> StorjError {
    StorjError::not_found("project with specified uuid does not exist")
}

/// The project with this path id, or Storj's 400/404.
pub async fn find(api: &Storj, id: &str) -> Result<project::Model, StorjError> {
    let id = parse_id(id)?;
    project::Entity::find_by_id(id).one(api.db()).await?.ok_or_else(not_found)
}

pub async fn create(api: &Storj, caller: &StorjAdmin, body: CreateProject) -> Result<ProjectCreated, StorjError> {
    let owner_id = match body.owner_id.as_deref() {
        Some(text) => ids::from_json(text).map_err(StorjError::unmarshal)?,
        None => uuid::Uuid::nil(),
    };
    if owner_id.is_nil() {
        return Err(StorjError::bad_request("OwnerID is not set"));
    }
    let name = body.project_name.unwrap_or_default();
    if name.is_empty() {
        return Err(StorjError::bad_request("ProjectName is not set"));
    }
    // The owner's row stays locked until the project is in, so a deletion
    // of the owner (which locks it too) sees the project. A deleted owner
    // is refused (the seed would give a deactivated account a project).
    let txn = crate::db::begin_write(api.db()).await?;
    let owner = user::Entity::find_by_id(owner_id).lock_exclusive().one(&txn).await?;
    if owner.is_none_or(|owner| owner.status != super::users::ACTIVE) {
        return Err(StorjError::not_found("user with specified uuid does not exist"));
    }
    let id = uuid::Uuid::new_v4();
    let row = project::ActiveModel {
        id: Set(id),
        name: Set(name),
        description: Set(String::new()),
        partner_id: Set(None),
        owner_id: Set(owner_id),
        rate_limit: Set(None),
        max_buckets: Set(None),
        usage_limit: Set(None),
        bandwidth_limit: Set(None),
        created_at: Set(now()),
    };
    let target = id.to_string();
    row.insert(&txn).await?;
    api.store.record(&txn, &Change { actor: caller.actor(), action: "createProject", target: &target }).await?;
    txn.commit().await?;
    Ok(ProjectCreated { project_id: target })
}

pub async fn get(api: &Storj, id: &str) -> Result<Project, StorjError> {
    let row = find(api, id).await?;
    Ok(Project {
        id: row.id.to_string(),
        name: row.name,
        description: row.description,
        partner_id: partner_text(row.partner_id),
        owner_id: row.owner_id.to_string(),
        rate_limit: row.rate_limit,
        max_buckets: row.max_buckets,
        created_at: go_time(row.created_at),
        member_count: 0,
        storage_limit: row.usage_limit.map(memory::format),
        bandwidth_limit: row.bandwidth_limit.map(memory::format),
    })
}

pub async fn rename(api: &Storj, caller: &StorjAdmin, id: &str, body: RenameProject) -> Result<(), StorjError> {
    let row = find(api, id).await?;
    let name = body.project_name.unwrap_or_default();
    if name.is_empty() {
        return Err(StorjError::bad_request("ProjectName is not set"));
    }
    let target = row.id.to_string();
    let mut changed = row.into_active_model();
    changed.name = Set(name);
    if let Some(description) = body.description.filter(|d| !d.is_empty()) {
        changed.description = Set(description);
    }
    match api.store.update(changed, Change { actor: caller.actor(), action: "updateProject", target: &target }).await {
        Err(error) if crate::db::is_gone(&error) => return Err(not_found()),
        other => other?,
    };
    Ok(())
}

/// One transaction holding the project's row: a key created meanwhile
/// (which locks the row too) is either counted here or refused after.
/// An unknown project is 404 (the seed answered 200 with nothing done).
pub async fn delete(api: &Storj, caller: &StorjAdmin, id: &str) -> Result<(), StorjError> {
    let id = parse_id(id)?;
    let txn = crate::db::begin_write(api.db()).await?;
    project::Entity::find_by_id(id).lock_exclusive().one(&txn).await?.ok_or_else(not_found)?;
    let keys = api_key::Entity::find().filter(api_key::Column::ProjectId.eq(id)).count(&txn).await?;
    if keys > 0 {
        return Err(StorjError::conflict("api-keys still exist", format!("count {keys}")));
    }
    project::Entity::delete_by_id(id).exec(&txn).await?;
    let target = id.to_string();
    api.store.record(&txn, &Change { actor: caller.actor(), action: "deleteProject", target: &target }).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn usage(api: &Storj, id: &str) -> Result<UsageResult, StorjError> {
    find(api, id).await?;
    Ok(UsageResult { result: "no project usage exist".into() })
}
