//! Scalelite's data access. Every change commits together with its audit
//! record; handlers never see SQL.

use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel, PrimaryKeyTrait,
    QueryOrder, TransactionTrait, TryIntoModel,
};

use crate::db::audit::{self, AuditEntry};
use crate::db::entities::{scalelite_server as server, scalelite_tenant as tenant};

#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
}

/// Who is changing what, for the audit trail.
pub struct Change<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
}

enum Write<A> {
    Insert(A),
    Update(A),
}

impl Store {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    pub async fn servers(&self) -> Result<Vec<server::Model>, DbErr> {
        server::Entity::find()
            .order_by_asc(server::Column::CreatedAt)
            .order_by_asc(server::Column::Id)
            .all(&self.db)
            .await
    }

    pub async fn server(&self, id: &str) -> Result<Option<server::Model>, DbErr> {
        server::Entity::find_by_id(id.to_owned()).one(&self.db).await
    }

    pub async fn tenants(&self) -> Result<Vec<tenant::Model>, DbErr> {
        tenant::Entity::find()
            .order_by_asc(tenant::Column::CreatedAt)
            .order_by_asc(tenant::Column::Id)
            .all(&self.db)
            .await
    }

    pub async fn tenant(&self, id: &str) -> Result<Option<tenant::Model>, DbErr> {
        tenant::Entity::find_by_id(id.to_owned()).one(&self.db).await
    }

    pub async fn insert<A>(&self, row: A, change: Change<'_>) -> Result<<A::Entity as EntityTrait>::Model, DbErr>
    where
        A: ActiveModelTrait + ActiveModelBehavior + Send + TryIntoModel<<A::Entity as EntityTrait>::Model>,
        <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    {
        self.write(Write::Insert(row), change).await
    }

    pub async fn update<A>(&self, row: A, change: Change<'_>) -> Result<<A::Entity as EntityTrait>::Model, DbErr>
    where
        A: ActiveModelTrait + ActiveModelBehavior + Send + TryIntoModel<<A::Entity as EntityTrait>::Model>,
        <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    {
        self.write(Write::Update(row), change).await
    }

    async fn write<A>(&self, write: Write<A>, change: Change<'_>) -> Result<<A::Entity as EntityTrait>::Model, DbErr>
    where
        A: ActiveModelTrait + ActiveModelBehavior + Send + TryIntoModel<<A::Entity as EntityTrait>::Model>,
        <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    {
        let txn = self.db.begin().await?;
        let saved = match write {
            Write::Insert(row) => row.insert(&txn).await?,
            // A no-op update (Scalelite accepts one) still leaves its record.
            Write::Update(row) if !row.is_changed() => row.try_into_model()?,
            Write::Update(row) => row.update(&txn).await?,
        };
        record(&txn, &change).await?;
        txn.commit().await?;
        Ok(saved)
    }

    /// Deletes the row with this id; whether there was one.
    pub async fn delete<E>(&self, id: &str, change: Change<'_>) -> Result<bool, DbErr>
    where
        E: EntityTrait,
        <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<String>,
    {
        let txn = self.db.begin().await?;
        let deleted = E::delete_by_id(id.to_owned()).exec(&txn).await?.rows_affected > 0;
        if deleted {
            record(&txn, &change).await?;
        }
        txn.commit().await?;
        Ok(deleted)
    }
}

async fn record(txn: &sea_orm::DatabaseTransaction, change: &Change<'_>) -> Result<(), DbErr> {
    audit::record(
        txn,
        AuditEntry { surface: "scalelite", actor: change.actor, action: change.action, target: change.target },
    )
    .await
}
