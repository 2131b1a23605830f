//! The regional objects' table: create, read, replace, delete and list one
//! kind's objects in one region. Knows rows and JSON, not the wire: callers
//! turn its outcomes into the original's messages.

use std::collections::BTreeSet;

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::Value;

use super::object::Kind;
use crate::db::entities::mc_regional_object::{self as row, Column};

/// One stored object.
#[derive(Debug, Clone)]
pub struct Stored {
    pub key: String,
    pub org: String,
    pub object: Value,
}

impl Stored {
    fn from_row(model: row::Model) -> Result<Self, DbErr> {
        let object = serde_json::from_str(&model.document)
            .map_err(|e| DbErr::Custom(format!("stored {} {} is not JSON: {e}", model.kind, model.object_key)))?;
        Ok(Self { key: model.object_key, org: model.org, object })
    }
}

/// Adds `object` unless its key is taken; false when it was.
pub async fn insert(db: &impl ConnectionTrait, region: &str, kind: &Kind, object: &Value) -> Result<bool, DbErr> {
    let now = crate::surfaces::mc::store::now();
    let model = row::ActiveModel {
        region: Set(region.to_owned()),
        kind: Set(kind.name.to_owned()),
        object_key: Set(kind.key_text(object)),
        org: Set(kind.org_of(object)),
        document: Set(object.to_string()),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let on_conflict = OnConflict::columns([Column::Region, Column::Kind, Column::ObjectKey]).do_nothing().to_owned();
    let inserted = row::Entity::insert(model).on_conflict(on_conflict).exec_without_returning(db).await?;
    Ok(inserted == 1)
}

/// The object under `key`, locked for the rest of the transaction where
/// the database locks rows (SQLite's write transactions lock it all).
pub async fn find_for_update(
    db: &impl ConnectionTrait,
    region: &str,
    kind: &Kind,
    key: &str,
) -> Result<Option<Stored>, DbErr> {
    let found = row::Entity::find_by_id((region.to_owned(), kind.name.to_owned(), key.to_owned()))
        .lock_exclusive()
        .one(db)
        .await?;
    found.map(Stored::from_row).transpose()
}

/// The object under `key`, read without a lock.
pub async fn find(db: &impl ConnectionTrait, region: &str, kind: &Kind, key: &str) -> Result<Option<Stored>, DbErr> {
    let found = row::Entity::find_by_id((region.to_owned(), kind.name.to_owned(), key.to_owned())).one(db).await?;
    found.map(Stored::from_row).transpose()
}

/// Replaces the stored object under `key` (its key and org unchanged).
pub async fn replace(
    db: &impl ConnectionTrait,
    region: &str,
    kind: &Kind,
    key: &str,
    object: &Value,
) -> Result<(), DbErr> {
    row::Entity::update_many()
        .col_expr(Column::Document, object.to_string().into())
        .col_expr(Column::UpdatedAt, crate::surfaces::mc::store::now().into())
        .filter(Column::Region.eq(region))
        .filter(Column::Kind.eq(kind.name))
        .filter(Column::ObjectKey.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes the object under `key`; false when there was none.
pub async fn remove(db: &impl ConnectionTrait, region: &str, kind: &Kind, key: &str) -> Result<bool, DbErr> {
    let deleted = row::Entity::delete_by_id((region.to_owned(), kind.name.to_owned(), key.to_owned())).exec(db).await?;
    Ok(deleted.rows_affected == 1)
}

/// Which objects a show lists: the owning orgs it may see, and the one org
/// or key the filter names, narrowed in SQL.
#[derive(Debug, Default)]
pub struct Listing<'a> {
    /// `None`: every org.
    pub orgs: Option<&'a BTreeSet<String>>,
    pub org: Option<&'a str>,
    pub key: Option<&'a str>,
    /// Keys ending so (`LIKE`, so `_` in it may match more: callers check
    /// what they read).
    pub key_ends_with: Option<&'a str>,
}

/// One kind's objects in a region, by key.
pub async fn list(
    db: &impl ConnectionTrait,
    region: &str,
    kind: &Kind,
    listing: Listing<'_>,
) -> Result<Vec<Stored>, DbErr> {
    let mut query = row::Entity::find()
        .filter(Column::Region.eq(region))
        .filter(Column::Kind.eq(kind.name))
        .order_by_asc(Column::ObjectKey);
    if let Some(orgs) = listing.orgs {
        query = query.filter(Column::Org.is_in(orgs.iter().cloned()));
    }
    if let Some(org) = listing.org {
        query = query.filter(Column::Org.eq(org));
    }
    if let Some(key) = listing.key {
        query = query.filter(Column::ObjectKey.eq(key));
    }
    if let Some(suffix) = listing.key_ends_with {
        query = query.filter(Column::ObjectKey.ends_with(suffix));
    }
    query.all(db).await?.into_iter().map(Stored::from_row).collect()
}

/// The org named, held (shared) until the transaction ends; `None` when
/// there is none.
pub async fn lock_org(db: &impl ConnectionTrait, org: &str) -> Result<Option<String>, DbErr> {
    use crate::db::entities::mc_org;
    let found = mc_org::Entity::find_by_id(org.to_owned()).lock_shared().one(db).await?;
    Ok(found.map(|org| org.name))
}

/// The kinds of object `org` owns, per region (for refusing its deletion).
pub async fn kinds_owned_by(db: &impl ConnectionTrait, org: &str) -> Result<Vec<(String, String)>, DbErr> {
    row::Entity::find()
        .select_only()
        .column(Column::Region)
        .column(Column::Kind)
        .distinct()
        .filter(Column::Org.eq(org))
        .order_by_asc(Column::Region)
        .order_by_asc(Column::Kind)
        .into_tuple()
        .all(db)
        .await
}
