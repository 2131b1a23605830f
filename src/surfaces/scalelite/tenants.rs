//! Tenant operations of a multitenant Scalelite.

use poem::http::StatusCode;
use sea_orm::ActiveValue::Set;
use sea_orm::IntoActiveModel;
use serde_json::json;

use super::Scalelite;
use super::api::{
    AddTenantBody, SuccessBody, Tenant, TenantEnvelope, TenantFields, TenantInfo, TenantsOrMessage, UpdateTenantBody,
};
use super::auth::ChecksumCaller;
use super::errors::ScaleliteError;
use super::store::Change;
use crate::db::entities::scalelite_tenant as tenant;

pub fn to_wire(row: &tenant::Model) -> TenantInfo {
    TenantInfo {
        new_record: false,
        destroyed: false,
        name: row.name.clone(),
        secrets: row.secrets.clone(),
        id: row.id.clone(),
    }
}

fn not_found(id: &str) -> ScaleliteError {
    ScaleliteError::error(StatusCode::NOT_FOUND, format!("Couldn't find Tenant with id={id}"))
}

pub async fn find(api: &Scalelite, id: &str) -> Result<tenant::Model, ScaleliteError> {
    api.store.tenant(id).await?.ok_or_else(|| not_found(id))
}

pub async fn list(api: &Scalelite) -> Result<TenantsOrMessage, ScaleliteError> {
    let rows = api.store.tenants().await?;
    if rows.is_empty() {
        return Ok(json!({ "message": "No tenants exist" }));
    }
    let tenants: Vec<Tenant> =
        rows.into_iter().map(|row| Tenant { id: row.id, name: row.name, secrets: row.secrets }).collect();
    Ok(poem_openapi::types::ToJSON::to_json(&tenants).unwrap_or_default())
}

fn present(text: Option<String>) -> Option<String> {
    text.filter(|t| !t.trim().is_empty())
}

/// The `tenant` parameters: the wrapper if sent, else the top-level keys.
fn fields(wrapped: Option<TenantFields>, name: Option<String>, secrets: Option<String>) -> Option<TenantFields> {
    let fields = wrapped.unwrap_or(TenantFields { name, secrets });
    (fields.name.is_some() || fields.secrets.is_some()).then_some(fields)
}

pub async fn add(
    api: &Scalelite,
    caller: &ChecksumCaller,
    body: Option<AddTenantBody>,
) -> Result<TenantEnvelope, ScaleliteError> {
    let fields = body
        .and_then(|b| fields(b.tenant, b.name, b.secrets))
        .ok_or_else(|| ScaleliteError::param_missing("tenant"))?;
    let (Some(name), Some(secrets)) = (present(fields.name), present(fields.secrets)) else {
        return Err(ScaleliteError::message(
            StatusCode::BAD_REQUEST,
            "Error: both name and secrets are required to create a Tenant",
        ));
    };
    let id = uuid::Uuid::new_v4().to_string();
    let row = tenant::ActiveModel {
        id: Set(id.clone()),
        name: Set(name),
        secrets: Set(secrets),
        created_at: Set(time::OffsetDateTime::now_utc()),
    };
    let saved =
        api.store.writes.insert(row, Change { actor: &caller.actor(), action: "addTenant", target: &id }).await?;
    Ok(TenantEnvelope { tenant: to_wire(&saved) })
}

pub async fn update(
    api: &Scalelite,
    caller: &ChecksumCaller,
    row: tenant::Model,
    body: Option<UpdateTenantBody>,
) -> Result<TenantEnvelope, ScaleliteError> {
    let fields = body
        .and_then(|b| fields(b.tenant, b.name, b.secrets))
        .ok_or_else(|| ScaleliteError::param_missing("tenant"))?;
    let id = row.id.clone();
    let mut changed = row.into_active_model();
    if let Some(name) = present(fields.name) {
        changed.name = Set(name);
    }
    if let Some(secrets) = present(fields.secrets) {
        changed.secrets = Set(secrets);
    }
    let saved = match api
        .store
        .writes
        .update(changed, Change { actor: &caller.actor(), action: "updateTenant", target: &id })
        .await
    {
        Err(error) if crate::db::is_gone(&error) => return Err(not_found(&id)),
        other => other?,
    };
    Ok(TenantEnvelope { tenant: to_wire(&saved) })
}

pub async fn delete(api: &Scalelite, caller: &ChecksumCaller, id: &str) -> Result<SuccessBody, ScaleliteError> {
    let change = Change { actor: &caller.actor(), action: "deleteTenant", target: id };
    if !api.store.writes.delete::<tenant::Entity>(id.to_owned(), change).await? {
        return Err(not_found(id));
    }
    Ok(SuccessBody { success: format!("Tenant id={id} was destroyed") })
}
