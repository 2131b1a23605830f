//! Tenant documents and the index of their users. A tenant is written
//! whole (as ARGO replaces its document) together with its user index and
//! audit record, in one transaction. A rewrite of a tenant read earlier is
//! checked against the row as read, under the row's lock: a tenant changed
//! meanwhile is reported (`Put::Changed`, and the handler starts over from
//! a fresh read, so no update is lost), one deleted meanwhile too
//! (`Put::Gone`, the handler's not-found; never a resurrected row).

use poem_openapi::types::{ParseFromJSON, ToJSON};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::api::{StatusDetail, Tenant};
use super::auth::key_hash;
use super::errors::ArgoError;
use crate::db::audited::{Audited, Change};
use crate::db::entities::{argo_generation as generation, argo_tenant as tenant_row, argo_user as user_row};

pub struct Stored {
    pub tenant: Tenant,
    pub status: Option<StatusDetail>,
    pub created_at: time::OffsetDateTime,
    /// The row as read, to tell whether it changed before a rewrite.
    read: (String, Option<String>),
}

/// What became of a write.
#[derive(Debug, PartialEq)]
pub enum Put {
    Written,
    /// The tenant was changed by another writer since it was read.
    Changed,
    /// The tenant was deleted since it was read.
    Gone,
}

/// How many times a handler starts over when its tenant keeps changing.
pub const REWRITE_ATTEMPTS: usize = 8;

fn decode(row: tenant_row::Model) -> Result<Stored, ArgoError> {
    let read = (row.document.clone(), row.status.clone());
    let document = serde_json::from_str(&row.document).map_err(ArgoError::internal)?;
    let tenant = Tenant::parse_from_json(Some(document)).map_err(|e| ArgoError::internal(e.into_message()))?;
    let status = match row.status {
        Some(text) => {
            let value = serde_json::from_str(&text).map_err(ArgoError::internal)?;
            Some(StatusDetail::parse_from_json(Some(value)).map_err(|e| ArgoError::internal(e.into_message()))?)
        }
        None => None,
    };
    Ok(Stored { tenant, status, created_at: row.created_at, read })
}

#[derive(Clone)]
pub struct Store {
    writes: Audited,
}

/// What a write does to the tenant's stored status.
pub enum StatusChange {
    Drop,
    Set(StatusDetail),
}

impl Store {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { writes: Audited::new(db, "argo") }
    }

    fn db(&self) -> &DatabaseConnection {
        &self.writes.db
    }

    pub async fn all(&self) -> Result<Vec<Stored>, ArgoError> {
        let rows = tenant_row::Entity::find()
            .order_by_asc(tenant_row::Column::CreatedAt)
            .order_by_asc(tenant_row::Column::Id)
            .all(self.db())
            .await?;
        rows.into_iter().map(decode).collect()
    }

    pub async fn get(&self, id: &str) -> Result<Option<Stored>, ArgoError> {
        tenant_row::Entity::find_by_id(id.to_owned()).one(self.db()).await?.map(decode).transpose()
    }

    /// The tenants' current generation (see `argo_generation`).
    pub async fn generation(&self) -> Result<i64, ArgoError> {
        Ok(generation::Entity::find_by_id(1).one(self.db()).await?.map_or(0, |g| g.value))
    }

    pub async fn by_name(&self, name: &str) -> Result<Option<String>, ArgoError> {
        let row = tenant_row::Entity::find().filter(tenant_row::Column::Name.eq(name)).one(self.db()).await?;
        Ok(row.map(|r| r.id))
    }

    /// The tenant holding a user with this id.
    pub async fn tenant_of_user(&self, user_id: &str) -> Result<Option<String>, ArgoError> {
        Ok(user_row::Entity::find_by_id(user_id.to_owned()).one(self.db()).await?.map(|u| u.tenant_id))
    }

    /// Whether a tenant other than `tenant_id` has a user with this key.
    pub async fn key_used_elsewhere(&self, key: &str, tenant_id: &str) -> Result<bool, ArgoError> {
        let row = user_row::Entity::find().filter(user_row::Column::KeyHash.eq(key_hash(key))).one(self.db()).await?;
        Ok(row.is_some_and(|r| r.tenant_id != tenant_id))
    }

    /// Inserts a new tenant (`read` None) or rewrites the one read as
    /// `read`; a unique violation (name or user key raced by another
    /// writer) comes back as the database error.
    pub async fn put(
        &self,
        tenant: &Tenant,
        read: Option<&Stored>,
        status: StatusChange,
        change: Change<'_>,
    ) -> Result<Put, sea_orm::DbErr> {
        let id = tenant.id.clone().unwrap_or_default();
        let name = tenant.info.as_ref().and_then(|i| i.name.clone()).unwrap_or_default();
        let document = tenant.to_json().unwrap_or_default().to_string();
        let txn = crate::db::begin_write(self.db()).await?;
        let existing = tenant_row::Entity::find_by_id(id.clone()).lock_exclusive().one(&txn).await?;
        match (&existing, read) {
            (None, Some(_)) => return Ok(Put::Gone),
            (Some(row), Some(read)) if (&row.document, &row.status) != (&read.read.0, &read.read.1) => {
                return Ok(Put::Changed);
            }
            _ => {}
        }
        let created_at = read.map_or_else(time::OffsetDateTime::now_utc, |read| read.created_at);
        let status = match status {
            StatusChange::Drop => None,
            StatusChange::Set(detail) => Some(detail.to_json().unwrap_or_default().to_string()),
        };
        let row = tenant_row::ActiveModel {
            id: Set(id.clone()),
            name: Set(name),
            document: Set(document),
            status: Set(status),
            created_at: Set(created_at),
        };
        match existing {
            Some(_) => tenant_row::Entity::update(row).exec(&txn).await.map(|_| ())?,
            None => tenant_row::Entity::insert(row).exec(&txn).await.map(|_| ())?,
        }
        user_row::Entity::delete_many().filter(user_row::Column::TenantId.eq(id.as_str())).exec(&txn).await?;
        for user in tenant.users.iter().flatten() {
            let key = user.api_key.as_deref().filter(|k| !k.is_empty());
            let index = user_row::ActiveModel {
                user_id: Set(user.id.clone().unwrap_or_default()),
                tenant_id: Set(id.clone()),
                key_hash: Set(key.map(key_hash)),
            };
            user_row::Entity::insert(index).exec(&txn).await?;
        }
        bump_generation(&txn).await?;
        self.writes.record(&txn, &change).await?;
        txn.commit().await?;
        Ok(Put::Written)
    }

    pub async fn delete(&self, id: &str, change: Change<'_>) -> Result<bool, sea_orm::DbErr> {
        let txn = crate::db::begin_write(self.db()).await?;
        let deleted = tenant_row::Entity::delete_by_id(id.to_owned()).exec(&txn).await?.rows_affected > 0;
        if deleted {
            user_row::Entity::delete_many().filter(user_row::Column::TenantId.eq(id)).exec(&txn).await?;
            bump_generation(&txn).await?;
            self.writes.record(&txn, &change).await?;
        }
        txn.commit().await?;
        Ok(deleted)
    }
}

async fn bump_generation(txn: &sea_orm::DatabaseTransaction) -> Result<(), sea_orm::DbErr> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    generation::Entity::update_many()
        .col_expr(generation::Column::Value, Expr::col(generation::Column::Value).add(1))
        .filter(generation::Column::Id.eq(1))
        .exec(txn)
        .await
        .map(|_| ())
}
