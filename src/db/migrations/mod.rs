//! Schema migrations, applied in order at start (`steward migrate` too).

mod m0001_platform;
mod m0002_scalelite;
mod m0003_storj;
mod m0004_argo;

use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_platform::Migration),
            Box::new(m0002_scalelite::Migration),
            Box::new(m0003_storj::Migration),
            Box::new(m0004_argo::Migration),
        ]
    }
}
