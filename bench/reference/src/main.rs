//! The yardstick for `make bench`: the least a poem-openapi + sea-orm
//! service does to serve one row from SQLite as JSON, and to insert one
//! row from a JSON body. Steward's single-row read and MC's CreateFlavor
//! are compared with these, on the same machine, in the same run.

use poem::{Route, Server, listener::TcpListener};
use poem_openapi::{ApiResponse, Object, OpenApi, OpenApiService, param::Query, payload::Json};
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, EntityTrait, Schema};

mod server {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "servers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub url: String,
        pub secret: String,
        pub state: String,
        pub load_multiplier: String,
        pub online: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod flavor {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "flavors")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub ram: i64,
        pub vcpus: i64,
        pub disk: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

#[derive(Object, Default)]
struct FlavorKey {
    name: Option<String>,
}

#[derive(Object)]
struct Flavor {
    key: Option<FlavorKey>,
    ram: Option<u64>,
    vcpus: Option<u64>,
    disk: Option<u64>,
}

/// The same envelope MC's CreateFlavor takes.
#[derive(Object)]
#[oai(rename_all = "PascalCase")]
struct RegionFlavor {
    region: Option<String>,
    flavor: Option<Flavor>,
}

#[derive(Object)]
struct Empty {}

#[derive(ApiResponse)]
enum CreateFlavor {
    #[oai(status = 200)]
    Ok(Json<Empty>),
    #[oai(status = 400)]
    Exists,
}

#[derive(Object)]
struct ServerBody {
    id: String,
    url: String,
    secret: String,
    state: String,
    load_multiplier: String,
    online: String,
}

#[derive(ApiResponse)]
enum GetServer {
    #[oai(status = 200)]
    Ok(Json<ServerBody>),
    #[oai(status = 404)]
    NotFound,
}

struct Api(DatabaseConnection);

#[OpenApi]
impl Api {
    #[oai(path = "/server", method = "get")]
    async fn get_server(&self, id: Query<String>) -> poem::Result<GetServer> {
        let row = server::Entity::find_by_id(id.0).one(&self.0).await.map_err(poem::error::InternalServerError)?;
        Ok(match row {
            Some(row) => GetServer::Ok(Json(ServerBody {
                id: row.id,
                url: row.url,
                secret: row.secret,
                state: row.state,
                load_multiplier: row.load_multiplier,
                online: if row.online { "online".into() } else { "offline".into() },
            })),
            None => GetServer::NotFound,
        })
    }
}

#[OpenApi]
impl FlavorApi {
    #[oai(path = "/flavor", method = "post")]
    async fn create_flavor(&self, body: Json<RegionFlavor>) -> poem::Result<CreateFlavor> {
        let Some(flavor) = body.0.flavor else { return Ok(CreateFlavor::Exists) };
        let size = |n: Option<u64>| i64::try_from(n.unwrap_or(0)).unwrap_or(i64::MAX);
        let row = flavor::ActiveModel {
            name: sea_orm::Set(flavor.key.unwrap_or_default().name.unwrap_or_default()),
            ram: sea_orm::Set(size(flavor.ram)),
            vcpus: sea_orm::Set(size(flavor.vcpus)),
            disk: sea_orm::Set(size(flavor.disk)),
        };
        Ok(match flavor::Entity::insert(row).exec(&self.0).await {
            Ok(_) => CreateFlavor::Ok(Json(Empty {})),
            Err(_) => CreateFlavor::Exists,
        })
    }
}

struct FlavorApi(DatabaseConnection);

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:18090".into());
    let url = args.next().unwrap_or_else(|| "sqlite::memory:".into());
    // Tuned as Steward's own pool is (db::connect): the same pool size and
    // SQLite settings, so the ratio compares the code, not the tuning.
    let mut options = ConnectOptions::new(url.clone());
    options.sqlx_logging(false).acquire_timeout(Duration::from_secs(10));
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    options.max_connections(if in_memory { 1 } else { 8 }).min_connections(1);
    options.map_sqlx_sqlite_opts(|o| {
        o.journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
    });
    let db = Database::connect(options).await?;
    let backend = db.get_database_backend();
    let create = Schema::new(backend).create_table_from_entity(server::Entity);
    db.execute(&create).await?;
    db.execute(&Schema::new(backend).create_table_from_entity(flavor::Entity)).await?;
    for n in 0..100 {
        let row = server::ActiveModel {
            id: sea_orm::Set(format!("server-{n}")),
            url: sea_orm::Set(format!("https://bbb{n}.example.com/bigbluebutton/api")),
            secret: sea_orm::Set("secret".into()),
            state: sea_orm::Set("enabled".into()),
            load_multiplier: sea_orm::Set("1.0".into()),
            online: sea_orm::Set(true),
        };
        server::Entity::insert(row).exec(&db).await?;
    }
    let service = OpenApiService::new((Api(db.clone()), FlavorApi(db)), "reference", "1");
    Server::new(TcpListener::bind(listen)).run(Route::new().nest("/", service)).await?;
    Ok(())
}
