//! Writes that commit together with their audit record. Every surface's
//! store uses these, so no change lands without saying who made it.

use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    IntoActiveModel, PrimaryKeyTrait, TryIntoModel,
};

use super::audit::{self, AuditEntry};

/// Who is changing what.
pub struct Change<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
}

#[derive(Clone)]
pub struct Audited {
    pub db: DatabaseConnection,
    surface: &'static str,
}

enum Write<A> {
    Insert(A),
    Update(A),
}

impl Audited {
    pub fn new(db: DatabaseConnection, surface: &'static str) -> Self {
        Self { db, surface }
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
        let txn = crate::db::begin_write(&self.db).await?;
        let saved = match write {
            Write::Insert(row) => row.insert(&txn).await?,
            // A no-op update (some originals accept one) still leaves its record.
            Write::Update(row) if !row.is_changed() => row.try_into_model()?,
            Write::Update(row) => row.update(&txn).await?,
        };
        self.record(&txn, &change).await?;
        txn.commit().await?;
        Ok(saved)
    }

    /// Deletes the row with this primary key; whether there was one.
    pub async fn delete<E>(
        &self,
        id: <E::PrimaryKey as PrimaryKeyTrait>::ValueType,
        change: Change<'_>,
    ) -> Result<bool, DbErr>
    where
        E: EntityTrait,
    {
        let txn = crate::db::begin_write(&self.db).await?;
        let deleted = E::delete_by_id(id).exec(&txn).await?.rows_affected > 0;
        if deleted {
            self.record(&txn, &change).await?;
        }
        txn.commit().await?;
        Ok(deleted)
    }

    pub async fn record(&self, txn: &DatabaseTransaction, change: &Change<'_>) -> Result<(), DbErr> {
        let entry =
            AuditEntry { surface: self.surface, actor: change.actor, action: change.action, target: change.target };
        audit::record(txn, entry).await
    }
}
