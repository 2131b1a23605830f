//! Scalelite's reads; writes go through the shared audited store.

use sea_orm::{DbErr, EntityTrait, QueryOrder};

use crate::db::audited::Audited;
pub use crate::db::audited::Change;
use crate::db::entities::{scalelite_server as server, scalelite_tenant as tenant};

#[derive(Clone)]
pub struct Store {
    pub writes: Audited,
}

impl Store {
    pub fn new(db: sea_orm::DatabaseConnection) -> Self {
        Self { writes: Audited::new(db, "scalelite") }
    }

    pub async fn servers(&self) -> Result<Vec<server::Model>, DbErr> {
        server::Entity::find()
            .order_by_asc(server::Column::CreatedAt)
            .order_by_asc(server::Column::Id)
            .all(&self.writes.db)
            .await
    }

    pub async fn server(&self, id: &str) -> Result<Option<server::Model>, DbErr> {
        server::Entity::find_by_id(id.to_owned()).one(&self.writes.db).await
    }

    pub async fn tenants(&self) -> Result<Vec<tenant::Model>, DbErr> {
        tenant::Entity::find()
            .order_by_asc(tenant::Column::CreatedAt)
            .order_by_asc(tenant::Column::Id)
            .all(&self.writes.db)
            .await
    }

    pub async fn tenant(&self, id: &str) -> Result<Option<tenant::Model>, DbErr> {
        tenant::Entity::find_by_id(id.to_owned()).one(&self.writes.db).await
    }
}
