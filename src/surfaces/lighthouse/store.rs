//! Lighthouse's tables through sea-orm: users and grants, sessions,
//! beacons, instances and aliases, applications and deployments. Writes
//! take a transaction from the caller, so a change and its audit row
//! commit together.

use std::collections::BTreeMap;

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::db::audit::{self, AuditEntry};
use crate::db::entities::{
    lighthouse_alias as alias, lighthouse_application as application, lighthouse_beacon as beacon,
    lighthouse_deployment as deployment, lighthouse_grant as grant, lighthouse_instance as instance,
    lighthouse_user as user,
};

/// The original's permission fields: what a grant is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Beacons,
    Applications,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Beacons => "Beacons",
            Self::Applications => "Applications",
        }
    }
}

pub async fn audit(db: &impl ConnectionTrait, actor: &str, action: &str, target: &str) -> Result<(), DbErr> {
    audit::record(db, AuditEntry { surface: "lighthouse", actor, action, target }).await
}

pub async fn user(db: &impl ConnectionTrait, email: &str) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find().filter(user::Column::Email.eq(email)).one(db).await
}

/// These users, locked until the transaction ends (PostgreSQL; SQLite's
/// write transactions are exclusive already), always in email order, so
/// two requests locking the same pair cannot deadlock.
pub async fn users_for_update(db: &impl ConnectionTrait, emails: &[&str]) -> Result<Vec<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Email.is_in(emails.iter().copied()))
        .order_by_asc(user::Column::Email)
        .lock_exclusive()
        .all(db)
        .await
}

/// Every user, in creation order.
pub async fn users(db: &impl ConnectionTrait) -> Result<Vec<user::Model>, DbErr> {
    user::Entity::find().order_by_asc(user::Column::Seq).all(db).await
}

pub async fn insert_user(
    db: &impl ConnectionTrait,
    email: &str,
    password_hash: String,
    level: i64,
) -> Result<(), DbErr> {
    user::ActiveModel {
        email: Set(email.to_owned()),
        password_hash: Set(password_hash),
        auth_level: Set(level),
        ..Default::default()
    }
    .insert(db)
    .await
    .map(|_| ())
}

pub async fn set_user(
    db: &impl ConnectionTrait,
    row: user::Model,
    level: i64,
    hash: Option<String>,
) -> Result<(), DbErr> {
    let mut active: user::ActiveModel = row.into();
    active.auth_level = Set(level);
    if let Some(hash) = hash {
        active.password_hash = Set(hash);
    }
    active.update(db).await.map(|_| ())
}

/// A user's levels of one kind, by target.
pub async fn levels(db: &impl ConnectionTrait, email: &str, kind: Kind) -> Result<BTreeMap<String, i64>, DbErr> {
    let rows = grant::Entity::find()
        .filter(grant::Column::Email.eq(email))
        .filter(grant::Column::Kind.eq(kind.as_str()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|row| (row.target, row.level)).collect())
}

/// A user's level on one target, -1 without a grant (the original's
/// `GetAuthLevel`).
pub async fn level(db: &impl ConnectionTrait, email: &str, kind: Kind, target: &str) -> Result<i64, DbErr> {
    let row = grant::Entity::find()
        .filter(grant::Column::Email.eq(email))
        .filter(grant::Column::Kind.eq(kind.as_str()))
        .filter(grant::Column::Target.eq(target))
        .one(db)
        .await?;
    Ok(row.map_or(-1, |row| row.level))
}

/// Grants `level`, or removes the grant for a level below 0.
pub async fn set_level(
    db: &impl ConnectionTrait,
    email: &str,
    kind: Kind,
    target: &str,
    level: i64,
) -> Result<(), DbErr> {
    if level < 0 {
        grant::Entity::delete_many()
            .filter(grant::Column::Email.eq(email))
            .filter(grant::Column::Kind.eq(kind.as_str()))
            .filter(grant::Column::Target.eq(target))
            .exec(db)
            .await?;
        return Ok(());
    }
    let row = grant::ActiveModel {
        email: Set(email.to_owned()),
        kind: Set(kind.as_str().to_owned()),
        target: Set(target.to_owned()),
        level: Set(level),
        ..Default::default()
    };
    grant::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([grant::Column::Email, grant::Column::Kind, grant::Column::Target])
                .update_column(grant::Column::Level)
                .to_owned(),
        )
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn beacon(db: &impl ConnectionTrait, address: &str) -> Result<Option<beacon::Model>, DbErr> {
    beacon::Entity::find().filter(beacon::Column::Address.eq(address)).one(db).await
}

pub async fn beacons(db: &impl ConnectionTrait) -> Result<Vec<beacon::Model>, DbErr> {
    beacon::Entity::find().order_by_asc(beacon::Column::Seq).all(db).await
}

pub async fn insert_beacon(db: &impl ConnectionTrait, address: &str, token_sealed: String) -> Result<(), DbErr> {
    beacon::ActiveModel { address: Set(address.to_owned()), token_sealed: Set(token_sealed), ..Default::default() }
        .insert(db)
        .await
        .map(|_| ())
}

/// Whether a beacon had that address.
pub async fn set_beacon_token(db: &impl ConnectionTrait, address: &str, token_sealed: String) -> Result<bool, DbErr> {
    let result = beacon::Entity::update_many()
        .col_expr(beacon::Column::TokenSealed, sea_orm::sea_query::Expr::value(token_sealed))
        .filter(beacon::Column::Address.eq(address))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

pub async fn instance(db: &impl ConnectionTrait, address: &str) -> Result<Option<instance::Model>, DbErr> {
    instance::Entity::find().filter(instance::Column::InstanceAddress.eq(address)).one(db).await
}

pub async fn instances_of(db: &impl ConnectionTrait, beacon_address: &str) -> Result<Vec<instance::Model>, DbErr> {
    instance::Entity::find()
        .filter(instance::Column::BeaconAddress.eq(beacon_address))
        .order_by_asc(instance::Column::Seq)
        .all(db)
        .await
}

/// Records an instance, or updates the one with its address.
pub async fn upsert_instance(
    db: &impl ConnectionTrait,
    address: &str,
    name: &str,
    can_access_docker: bool,
    beacon_address: &str,
) -> Result<(), DbErr> {
    let row = instance::ActiveModel {
        instance_address: Set(address.to_owned()),
        name: Set(name.to_owned()),
        can_access_docker: Set(can_access_docker),
        beacon_address: Set(beacon_address.to_owned()),
        ..Default::default()
    };
    instance::Entity::insert(row)
        .on_conflict(
            OnConflict::column(instance::Column::InstanceAddress)
                .update_columns([
                    instance::Column::Name,
                    instance::Column::CanAccessDocker,
                    instance::Column::BeaconAddress,
                ])
                .to_owned(),
        )
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn alias_of(db: &impl ConnectionTrait, address: &str) -> Result<Option<String>, DbErr> {
    let row = alias::Entity::find().filter(alias::Column::Address.eq(address)).one(db).await?;
    Ok(row.map(|row| row.alias))
}

/// The address an alias names (the first one named so, when several are).
pub async fn address_of(db: &impl ConnectionTrait, name: &str) -> Result<Option<String>, DbErr> {
    let row =
        alias::Entity::find().filter(alias::Column::Alias.eq(name)).order_by_asc(alias::Column::Seq).one(db).await?;
    Ok(row.map(|row| row.address))
}

/// Names an address that has no alias yet (a unique violation otherwise).
pub async fn insert_alias(db: &impl ConnectionTrait, name: &str, address: &str) -> Result<(), DbErr> {
    alias::ActiveModel { alias: Set(name.to_owned()), address: Set(address.to_owned()), ..Default::default() }
        .insert(db)
        .await
        .map(|_| ())
}

pub async fn set_alias(db: &impl ConnectionTrait, name: &str, address: &str) -> Result<(), DbErr> {
    let row =
        alias::ActiveModel { alias: Set(name.to_owned()), address: Set(address.to_owned()), ..Default::default() };
    alias::Entity::insert(row)
        .on_conflict(OnConflict::column(alias::Column::Address).update_column(alias::Column::Alias).to_owned())
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn application(db: &impl ConnectionTrait, id: i64) -> Result<Option<application::Model>, DbErr> {
    application::Entity::find_by_id(id).one(db).await
}

/// The application, locked until the transaction ends.
pub async fn application_for_update(db: &impl ConnectionTrait, id: i64) -> Result<Option<application::Model>, DbErr> {
    application::Entity::find_by_id(id).lock_exclusive().one(db).await
}

/// Removes applications whose first deployment never finished (the
/// process stopped mid-stream) once `before` has passed since it began,
/// so their names come free again; how many.
pub async fn sweep_unfinished_applications(
    db: &impl ConnectionTrait,
    before: time::OffsetDateTime,
) -> Result<u64, DbErr> {
    let unfinished = application::Entity::find().filter(application::Column::CurrentDeployment.eq(-1)).all(db).await?;
    let mut removed = 0;
    for app in unfinished {
        let started = deployment::Entity::find().filter(deployment::Column::AppId.eq(app.id)).one(db).await?;
        if started.is_none_or(|first| first.date < before) {
            delete_application(db, app.id).await?;
            removed += 1;
        }
    }
    Ok(removed)
}

pub async fn application_named(db: &impl ConnectionTrait, name: &str) -> Result<Option<application::Model>, DbErr> {
    application::Entity::find().filter(application::Column::Name.eq(name)).one(db).await
}

pub async fn applications(db: &impl ConnectionTrait) -> Result<Vec<application::Model>, DbErr> {
    application::Entity::find().order_by_asc(application::Column::Id).all(db).await
}

pub async fn insert_application(
    db: &impl ConnectionTrait,
    name: &str,
    instances: &[String],
) -> Result<application::Model, DbErr> {
    application::ActiveModel {
        name: Set(name.to_owned()),
        current_deployment: Set(-1),
        instances: Set(serde_json::to_string(instances).unwrap_or_else(|_| "[]".to_owned())),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn set_application_instances(db: &impl ConnectionTrait, id: i64, instances: &[String]) -> Result<(), DbErr> {
    let text = serde_json::to_string(instances).unwrap_or_else(|_| "[]".to_owned());
    application::Entity::update_many()
        .col_expr(application::Column::Instances, sea_orm::sea_query::Expr::value(text))
        .filter(application::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn set_current_deployment(db: &impl ConnectionTrait, id: i64, deployment: i64) -> Result<(), DbErr> {
    application::Entity::update_many()
        .col_expr(application::Column::CurrentDeployment, sea_orm::sea_query::Expr::value(deployment))
        .filter(application::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn delete_application(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    deployment::Entity::delete_many().filter(deployment::Column::AppId.eq(id)).exec(db).await?;
    application::Entity::delete_by_id(id).exec(db).await.map(|_| ())
}

pub async fn insert_deployment(
    db: &impl ConnectionTrait,
    app: i64,
    command: &serde_json::Value,
    creator: &str,
) -> Result<deployment::Model, DbErr> {
    deployment::ActiveModel {
        app_id: Set(app),
        command: Set(command.to_string()),
        creator: Set(creator.to_owned()),
        date: Set(time::OffsetDateTime::now_utc()),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn deployment(db: &impl ConnectionTrait, id: i64) -> Result<Option<deployment::Model>, DbErr> {
    deployment::Entity::find_by_id(id).one(db).await
}

/// An application's deployments, newest first.
pub async fn deployments(db: &impl ConnectionTrait, app: i64) -> Result<Vec<deployment::Model>, DbErr> {
    deployment::Entity::find()
        .filter(deployment::Column::AppId.eq(app))
        .order_by_desc(deployment::Column::Id)
        .all(db)
        .await
}
