//! MC's regional half (`/api/v1/auth/ctrl/*`): the objects a region's
//! Controller keeps (flavors, operator codes, ...), served by Steward
//! itself from one generic table. One file per kind implements its tag's
//! handler trait with the kind's own rules; the generic steps (region,
//! create, delete, update, show) are here.
//!
//! Adding a kind: see `docs/ARCHITECTURE.md`, "Adding an MC regional kind".

pub mod access_key;
pub mod app;
pub mod app_config;
pub mod app_inst;
pub mod app_manifest;
pub mod app_ports;
pub mod app_rules;
pub mod authz;
pub mod autoprov_policy;
pub mod autoscale_policy;
pub mod body;
pub mod cloudlet;
pub mod cloudlet_access;
pub mod cloudlet_aux;
pub mod cloudlet_pool;
pub mod cloudlet_resources;
pub mod cluster_inst;
pub mod deploy_access;
pub mod flavor;
pub mod image_path;
pub mod network;
pub mod object;
pub mod operator_code;
pub mod progress;
pub mod store;
pub mod vm_pool;

use std::collections::BTreeSet;

use sea_orm::EntityTrait;
use serde_json::Value;

use super::caller::McCaller;
use super::errors::McError;
use super::{Mc, change};
use crate::db::entities::mc_controller;
use object::Kind;
use store::Stored;

/// The region a call names, registered: MC's `No region specified` and
/// `Region "<r>" not found`.
pub async fn region(mc: &Mc, region: &Option<String>) -> Result<String, McError> {
    let region = region.as_deref().unwrap_or_default();
    if region.is_empty() {
        return Err(McError::bad_request("No region specified"));
    }
    match mc_controller::Entity::find_by_id(region.to_owned()).one(&mc.db).await? {
        Some(_) => Ok(region.to_owned()),
        None => Err(McError::bad_request(format!("Region \"{region}\" not found"))),
    }
}

/// The Controller's `<Kind> key <key> not found`.
pub fn not_found(kind: &Kind, key: &str) -> McError {
    McError::bad_request(format!("{} key {key} not found", kind.noun))
}

/// The Controller's duplicate-key refusal. A kind keyed by one string is
/// stored under that bare string, and the store's own error names it so.
pub fn already_exists(kind: &Kind, key: &str) -> McError {
    match kind.key_form {
        object::KeyForm::Json => McError::bad_request(format!("{} key {key} already exists", kind.noun)),
        object::KeyForm::Text => McError::bad_request(format!("Key {key} already exists")),
    }
}

/// The wire object (typed, from the generated request) as JSON.
pub fn as_json<T: poem_openapi::types::ToJSON>(object: &T) -> Value {
    object.to_json().unwrap_or_default()
}

/// Stores a new object, refusing a key already taken in the region.
pub async fn create(mc: &Mc, caller: &McCaller, region: &str, kind: &Kind, object: &Value) -> Result<(), McError> {
    let txn = crate::db::begin_write(&mc.db).await?;
    insert_new(mc, &txn, caller, region, kind, object).await?;
    txn.commit().await?;
    Ok(())
}

/// `create`'s steps inside a caller's transaction (which checked more
/// first, holding what it read).
pub async fn insert_new(
    mc: &Mc,
    txn: &sea_orm::DatabaseTransaction,
    caller: &McCaller,
    region: &str,
    kind: &Kind,
    object: &Value,
) -> Result<(), McError> {
    insert_new_or(mc, txn, caller, region, kind, object, already_exists).await
}

/// `insert_new`, answering a taken key with `taken(kind, key)`.
pub async fn insert_new_or(
    mc: &Mc,
    txn: &sea_orm::DatabaseTransaction,
    caller: &McCaller,
    region: &str,
    kind: &Kind,
    object: &Value,
    taken: fn(&Kind, &str) -> McError,
) -> Result<(), McError> {
    let object = kind.stored(object);
    // The owning org exists while the object is added: its row is held
    // (shared) so that a racing org delete waits and then sees the object.
    // The platform's own org (its auto-clusters) is no MC organization.
    let org = kind.org_of(&object);
    let platform = org == cluster_inst::EDGE_CLOUD_ORG;
    if kind.org.is_some() && !org.is_empty() && !platform && store::lock_org(txn, &org).await?.is_none() {
        return Err(McError::bad_request(format!("Org {org} not found")));
    }
    if !store::insert(txn, region, kind, &object).await? {
        return Err(taken(kind, &kind.key_text(&object)));
    }
    audit(mc, txn, caller, "create", region, kind, &kind.key_text(&object)).await
}

/// Applies `change` to the stored object under `object`'s key, in one
/// transaction holding the row.
pub async fn modify(
    mc: &Mc,
    caller: &McCaller,
    region: &str,
    kind: &Kind,
    object: &Value,
    action: &str,
    change: impl FnOnce(&mut Value) -> Result<(), McError> + Send,
) -> Result<(), McError> {
    let key = kind.key_text(object);
    let txn = crate::db::begin_write(&mc.db).await?;
    let Some(Stored { object: mut stored, .. }) = store::find_for_update(&txn, region, kind, &key).await? else {
        return Err(not_found(kind, &key));
    };
    change(&mut stored)?;
    store::replace(&txn, region, kind, &key, &kind.stored(&stored)).await?;
    audit(mc, &txn, caller, action, region, kind, &key).await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes the object under `object`'s key once `check` (given the stored
/// object, inside the transaction holding its row) lets it go. (Kinds that
/// others refer to will check that here once those kinds are served.)
pub async fn delete(
    mc: &Mc,
    caller: &McCaller,
    region: &str,
    kind: &Kind,
    object: &Value,
    check: impl FnOnce(&Value) -> Result<(), McError> + Send,
) -> Result<(), McError> {
    let key = kind.key_text(object);
    let txn = crate::db::begin_write(&mc.db).await?;
    let Some(stored) = store::find_for_update(&txn, region, kind, &key).await? else {
        return Err(not_found(kind, &key));
    };
    check(&stored.object)?;
    for referrer in kind.in_use_by {
        let named = stored.object.pointer(referrer.names).cloned().unwrap_or_default();
        let rows = store::list(&txn, region, referrer.kind, store::Listing::default()).await?;
        let org = kind.org_of(&stored.object);
        let users: Vec<&str> = rows
            .iter()
            .filter(|row| !referrer.same_org || row.org == org)
            .filter(|row| match row.object.pointer(referrer.at) {
                Some(Value::Array(items)) => items.iter().any(|item| item.pointer(referrer.item) == Some(&named)),
                value => value == Some(&named),
            })
            .map(|row| row.key.as_str())
            .collect();
        let shown =
            if referrer.every { users.join(", ") } else { users.first().map(|u| u.to_string()).unwrap_or_default() };
        if let (Some(says), Some(first)) = (referrer.says, users.first()) {
            let object = rows.iter().find(|row| row.key == *first).map(|row| &row.object);
            return Err(McError::bad_request(says(object.unwrap_or(&Value::Null))));
        }
        if !users.is_empty() {
            return Err(McError::bad_request(format!("{} in use by {} {shown}", kind.noun, referrer.kind.name)));
        }
    }
    store::remove(&txn, region, kind, &key).await?;
    audit(mc, &txn, caller, "delete", region, kind, &key).await?;
    txn.commit().await?;
    Ok(())
}

/// An object another one names (`key`: its key as JSON), its row held for
/// the rest of the transaction: the Controller's `<Noun> key <k> not found`
/// and `<Noun> <k> is being deleted`.
pub async fn referenced(
    txn: &sea_orm::DatabaseTransaction,
    region: &str,
    kind: &Kind,
    key: &Value,
) -> Result<Value, McError> {
    let shown = kind.key_text(&serde_json::json!({ "key": key }));
    let Some(found) = store::find_for_update(txn, region, kind, &shown).await? else {
        return Err(not_found(kind, &shown));
    };
    if found.object.get("delete_prepare").and_then(Value::as_bool) == Some(true) {
        return Err(McError::bad_request(format!("{} {shown} is being deleted", kind.noun)));
    }
    Ok(found.object)
}

/// The stored object with the top-level fields an update sent (the keys
/// given, as MC lists them; never the key) put in their place.
pub fn with_sent_fields(stored: &Value, sent: &Value) -> Value {
    let mut merged = stored.clone();
    if let (Some(target), Some(given)) = (merged.as_object_mut(), sent.as_object()) {
        for (name, value) in given.iter().filter(|(name, value)| !value.is_null() && *name != "key") {
            target.insert(name.clone(), value.clone());
        }
    }
    merged
}

/// The Controller's refusal to delete an object already being deleted
/// (`<Noun> <key> is being deleted`), as a `delete` check.
pub fn refuse_being_deleted(kind: &'static Kind) -> impl FnOnce(&Value) -> Result<(), McError> + Send {
    move |stored| match stored.get("delete_prepare").and_then(Value::as_bool) == Some(true) {
        true => Err(McError::bad_request(format!("{} {} is being deleted", kind.noun, kind.key_text(stored)))),
        false => Ok(()),
    }
}

/// Who sees which objects of a show.
pub enum Visible {
    All,
    Orgs(BTreeSet<String>),
}

/// The orgs whose objects the caller may see with `resource`/`action`
/// (admins, holding it in the empty org, see all).
pub async fn visible(mc: &Mc, caller: &McCaller, resource: &str, action: &str) -> Result<Visible, McError> {
    let orgs = mc.rights(&caller.subject()).await?.orgs_with(resource, action);
    Ok(match orgs.contains("") {
        true => Visible::All,
        false => Visible::Orgs(orgs),
    })
}

/// The objects of a kind in a region that match `filter` (every non-zero
/// field equal) and that `visible` lets the caller see, by key.
pub async fn show(
    mc: &Mc,
    region: &str,
    kind: &Kind,
    filter: &Value,
    visible: &Visible,
) -> Result<Vec<Value>, McError> {
    let org = kind.org_of(filter);
    let listing = store::Listing {
        orgs: match visible {
            Visible::All => None,
            Visible::Orgs(orgs) => Some(orgs),
        },
        org: (!org.is_empty()).then_some(org.as_str()),
        key: None,
        key_ends_with: None,
    };
    let rows = store::list(&mc.db, region, kind, listing).await?;
    Ok(rows.into_iter().map(|row| row.object).filter(|object| object::matches(filter, object)).collect())
}

/// Reads a stored object back into its generated wire type.
pub fn from_json<T: poem_openapi::types::ParseFromJSON>(object: Value) -> Result<T, McError> {
    T::parse_from_json(Some(object)).map_err(|e| McError::internal("Stored object unreadable", e.into_message()))
}

pub async fn audit(
    mc: &Mc,
    txn: &sea_orm::DatabaseTransaction,
    caller: &McCaller,
    action: &str,
    region: &str,
    kind: &Kind,
    key: &str,
) -> Result<(), McError> {
    let action = format!("{action} {}", kind.name);
    let target = format!("{region} {key}");
    mc.audited.record(txn, &change(caller.username(), &action, &target)).await?;
    Ok(())
}
