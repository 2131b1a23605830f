//! Schema migrations, applied in order at start (`steward migrate` too).

mod m0001_platform;
mod m0002_scalelite;
mod m0003_storj;
mod m0004_argo;
mod m0005_mc;
mod m0006_mc_sessions;
mod m0007_mc_controllers;
mod m0008_mc_regional_objects;
mod m0009_mc_org_cloudlet_pools;
mod m0010_lighthouse;
mod m0011_mc_events_receivers;
mod m0012_mc_federation_zones;
mod m0013_mc_federation_providers;
mod m0014_mc_federation_consumers;
mod m0015_mc_federation_apps;
mod m0016_audit_retention;

use sea_orm_migration::prelude::*;

pub struct Migrator;

/// Creates an index (if absent) on `columns` of `table`, in that order.
async fn index<T, C>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    columns: impl IntoIterator<Item = C>,
    unique: bool,
) -> Result<(), DbErr>
where
    T: IntoIden + 'static,
    C: IntoIden + 'static,
{
    let mut statement = Index::create();
    statement.name(name).table(table).if_not_exists();
    for column in columns {
        statement.col(column);
    }
    if unique {
        statement.unique();
    }
    manager.create_index(statement.to_owned()).await
}

/// Drops `tables` in the order given (dependents first).
async fn drop_tables(manager: &SchemaManager<'_>, tables: impl IntoIterator<Item = DynIden>) -> Result<(), DbErr> {
    for table in tables {
        manager.drop_table(Table::drop().table(table).to_owned()).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_platform::Migration),
            Box::new(m0002_scalelite::Migration),
            Box::new(m0003_storj::Migration),
            Box::new(m0004_argo::Migration),
            Box::new(m0005_mc::Migration),
            Box::new(m0006_mc_sessions::Migration),
            Box::new(m0007_mc_controllers::Migration),
            Box::new(m0008_mc_regional_objects::Migration),
            Box::new(m0009_mc_org_cloudlet_pools::Migration),
            Box::new(m0010_lighthouse::Migration),
            Box::new(m0011_mc_events_receivers::Migration),
            Box::new(m0012_mc_federation_zones::Migration),
            Box::new(m0013_mc_federation_providers::Migration),
            Box::new(m0014_mc_federation_consumers::Migration),
            Box::new(m0015_mc_federation_apps::Migration),
            Box::new(m0016_audit_retention::Migration),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn migrations_roll_back_and_forward_again() {
        let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
        Migrator::up(&db, None).await.unwrap();
        Migrator::down(&db, None).await.unwrap();
        Migrator::up(&db, None).await.unwrap();
    }
}
