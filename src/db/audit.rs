//! Records mutations in `audit_events`, inside the caller's transaction so
//! a change and its record commit or roll back together.
//!
//! A surface that keeps an event per request (MC's audit log) opens a
//! [`RequestEvent`] around the request with [`within`]: the first audited
//! write inside it fills the event's columns into its own row, in the
//! change's transaction, and [`finish`] completes that row with what only
//! the answer tells (status, response, duration), or writes the event on
//! its own when the request changed nothing.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
};
use time::OffsetDateTime;

use super::entities::{audit_event, audit_event_org};

pub struct AuditEntry<'a> {
    pub surface: &'a str,
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
}

/// One request's event, as far as it is known.
#[derive(Debug, Clone, Default)]
pub struct RequestEvent {
    pub name: String,
    /// `audit` or `event`.
    pub kind: String,
    /// When the request started, in microseconds since the epoch.
    pub at_us: i64,
    pub orgs: Vec<String>,
    pub region: Option<String>,
    pub error: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// The row an audited write filled in.
    row: Option<i64>,
}

impl RequestEvent {
    /// An `audit` event of a request that started at `at_us`.
    pub fn audit(name: String, at_us: i64, orgs: Vec<String>, tags: BTreeMap<String, String>) -> Self {
        Self { name, kind: "audit".to_owned(), at_us, orgs, tags, ..Default::default() }
    }
}

pub type SharedEvent = Arc<Mutex<RequestEvent>>;

tokio::task_local! {
    static REQUEST_EVENT: SharedEvent;
}

/// Runs `work` with `event` open for the audited writes it makes.
pub async fn within<F: std::future::Future>(event: SharedEvent, work: F) -> F::Output {
    REQUEST_EVENT.scope(event, work).await
}

fn lock(event: &SharedEvent) -> std::sync::MutexGuard<'_, RequestEvent> {
    event.lock().unwrap_or_else(PoisonError::into_inner)
}

/// When the current request started (microseconds), if it records an event:
/// what it creates can carry the event's own instant.
pub fn request_started() -> Option<i64> {
    REQUEST_EVENT.try_with(|event| lock(event).at_us).ok()
}

pub fn micros(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1000) as i64
}

pub fn from_micros(at_us: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(at_us) * 1000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub async fn record(db: &impl ConnectionTrait, entry: AuditEntry<'_>) -> Result<(), DbErr> {
    let open = REQUEST_EVENT.try_with(Arc::clone).ok();
    let event = open.as_ref().map(lock).filter(|event| event.row.is_none()).map(|event| event.clone());
    let mut row = audit_event::ActiveModel {
        at: Set(OffsetDateTime::now_utc()),
        surface: Set(entry.surface.to_owned()),
        actor: Set(entry.actor.to_owned()),
        action: Set(entry.action.to_owned()),
        target: Set(entry.target.to_owned()),
        ..Default::default()
    };
    if let Some(event) = &event {
        fill(&mut row, event);
    }
    let saved = row.insert(db).await?;
    if let (Some(shared), Some(event)) = (&open, &event) {
        insert_orgs(db, saved.id, event).await?;
        lock(shared).row = Some(saved.id);
    }
    Ok(())
}

/// PostgreSQL text holds no NUL; a request could otherwise keep its own
/// record out of the log by sending one.
fn without_nul(text: &str) -> String {
    text.replace('\0', "\u{fffd}")
}

fn fill(row: &mut audit_event::ActiveModel, event: &RequestEvent) {
    row.name = Set(Some(event.name.clone()));
    row.kind = Set(Some(event.kind.clone()));
    row.at_us = Set(Some(event.at_us));
    row.region = Set(event.region.clone());
    row.error = Set(event.error.as_deref().map(without_nul));
    row.orgs = Set(Some(serde_json::to_string(&event.orgs).unwrap_or_default()));
    row.tags = Set(Some(serde_json::to_string(&event.tags).unwrap_or_default()));
}

async fn insert_orgs(db: &impl ConnectionTrait, id: i64, event: &RequestEvent) -> Result<(), DbErr> {
    let mut orgs: Vec<&String> = event.orgs.iter().collect();
    orgs.sort();
    orgs.dedup();
    if orgs.is_empty() {
        return Ok(());
    }
    let rows = orgs.into_iter().map(|org| audit_event_org::ActiveModel {
        org: Set(without_nul(org)),
        at_us: Set(event.at_us),
        event_id: Set(id),
    });
    audit_event_org::Entity::insert_many(rows).exec(db).await.map(|_| ())
}

/// Completes the request's event: the row its change wrote, or a row of
/// its own (`actor` the caller, `action` the event's name).
pub async fn finish(db: &DatabaseConnection, surface: &str, actor: &str, event: &SharedEvent) -> Result<(), DbErr> {
    let event = lock(event).clone();
    if let Some(id) = event.row {
        // The change's transaction may have rolled back after its insert:
        // then no row has this id, name and instant, and the event is
        // written on its own below.
        let updated = audit_event::Entity::update_many()
            .col_expr(audit_event::Column::Tags, serde_json::to_string(&event.tags).unwrap_or_default().into())
            .col_expr(audit_event::Column::Error, event.error.as_deref().map(without_nul).into())
            .filter(audit_event::Column::Id.eq(id))
            .filter(audit_event::Column::AtUs.eq(event.at_us))
            .filter(audit_event::Column::Name.eq(event.name.clone()))
            .exec(db)
            .await?;
        if updated.rows_affected > 0 {
            return Ok(());
        }
    }
    let txn = super::begin_write(db).await?;
    let mut row = audit_event::ActiveModel {
        at: Set(from_micros(event.at_us)),
        surface: Set(surface.to_owned()),
        actor: Set(actor.to_owned()),
        action: Set(event.name.clone()),
        target: Set(String::new()),
        ..Default::default()
    };
    fill(&mut row, &event);
    let saved = row.insert(&txn).await?;
    insert_orgs(&txn, saved.id, &event).await?;
    txn.commit().await
}

/// Which audit rows `steward audit` prints.
pub struct Listing {
    pub surface: Option<String>,
    pub since: Option<OffsetDateTime>,
    pub limit: u64,
}

/// Audit rows newest first.
pub async fn list(db: &DatabaseConnection, listing: &Listing) -> Result<Vec<audit_event::Model>, DbErr> {
    use sea_orm::{QueryOrder, QuerySelect};
    let mut query = audit_event::Entity::find();
    if let Some(surface) = &listing.surface {
        query = query.filter(audit_event::Column::Surface.eq(surface.clone()));
    }
    if let Some(since) = listing.since {
        query = query.filter(audit_event::Column::At.gte(since));
    }
    query.order_by_desc(audit_event::Column::Id).limit(listing.limit).all(db).await
}

/// Rows deleted per statement while pruning: short write locks.
const PRUNE_BATCH: u64 = 5_000;

/// Deletes every surface's audit rows written before `before`, in
/// batches, and MC events' org rows from an hour earlier (a request's
/// event time precedes its row's by its duration, far less than that);
/// the number of audit rows deleted. Safe to run from several replicas.
pub async fn prune(db: &DatabaseConnection, before: OffsetDateTime) -> Result<u64, DbErr> {
    prune_in_batches(db, before, PRUNE_BATCH).await
}

/// `prune` with `batch` rows per statement.
pub async fn prune_in_batches(db: &DatabaseConnection, before: OffsetDateTime, batch: u64) -> Result<u64, DbErr> {
    use sea_orm::{QueryOrder, QuerySelect};
    let batch = batch.max(1);
    let mut deleted = 0;
    loop {
        let ids: Vec<i64> = audit_event::Entity::find()
            .select_only()
            .column(audit_event::Column::Id)
            .filter(audit_event::Column::At.lt(before))
            .order_by_asc(audit_event::Column::At)
            .limit(batch)
            .into_tuple()
            .all(db)
            .await?;
        let last_batch = (ids.len() as u64) < batch;
        if !ids.is_empty() {
            let done = audit_event::Entity::delete_many().filter(audit_event::Column::Id.is_in(ids)).exec(db).await?;
            deleted += done.rows_affected;
        }
        if last_batch {
            break;
        }
    }
    // The org rows in batches too: up to the batch's last time, then on.
    let orgs_before = micros(before - time::Duration::hours(1));
    loop {
        let bound: Option<i64> = audit_event_org::Entity::find()
            .select_only()
            .column(audit_event_org::Column::AtUs)
            .filter(audit_event_org::Column::AtUs.lt(orgs_before))
            .order_by_asc(audit_event_org::Column::AtUs)
            .offset(batch - 1)
            .limit(1)
            .into_tuple()
            .one(db)
            .await?;
        let upto = match bound {
            Some(at_us) => audit_event_org::Column::AtUs.lte(at_us),
            None => audit_event_org::Column::AtUs.lt(orgs_before),
        };
        audit_event_org::Entity::delete_many().filter(upto).exec(db).await?;
        if bound.is_none() {
            break;
        }
    }
    Ok(deleted)
}

/// One audit row as a JSON line: who, what, when; an event's name, type,
/// orgs, error and tags when it is one.
pub fn row_json(row: &audit_event::Model) -> serde_json::Value {
    let mut out = serde_json::json!({
        "at": row.at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        "surface": row.surface,
        "actor": row.actor,
        "action": row.action,
        "target": row.target,
    });
    let parsed =
        |text: &Option<String>| text.as_deref().and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok());
    let event = [
        ("name", row.name.clone().map(serde_json::Value::from)),
        ("type", row.kind.clone().map(serde_json::Value::from)),
        ("orgs", parsed(&row.orgs)),
        ("error", row.error.clone().map(serde_json::Value::from)),
        ("tags", parsed(&row.tags)),
    ];
    for (key, value) in event {
        if let Some(value) = value {
            out[key] = value;
        }
    }
    out
}
