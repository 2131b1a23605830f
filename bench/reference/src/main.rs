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

mod event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub surface: String,
        pub name: String,
        pub kind: String,
        #[sea_orm(indexed)]
        pub at_us: i64,
        pub region: Option<String>,
        pub error: Option<String>,
        pub orgs: String,
        pub tags: String,
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

#[derive(Object)]
struct EventData {
    name: String,
    org: Vec<String>,
    #[oai(rename = "type")]
    kind: String,
    region: Option<String>,
    timestamp: String,
    error: Option<String>,
    mtags: std::collections::BTreeMap<String, String>,
}

#[derive(Object)]
struct Bucket {
    key: String,
    count: i64,
}

#[derive(Object)]
struct Terms {
    names: Vec<Bucket>,
    orgs: Vec<Bucket>,
    types: Vec<Bucket>,
    regions: Vec<Bucket>,
    tagkeys: Vec<Bucket>,
}

/// The last 48 hours, in microseconds, as MC's default event window.
fn window() -> (i64, i64) {
    let now = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000) as i64;
    (now - 48 * 3_600_000_000, now)
}

/// MC's events over the same table Steward keeps them in: the newest ten
/// of the window, and each field's counts (SQL's own aggregation).
struct EventsApi(DatabaseConnection);

#[OpenApi]
impl EventsApi {
    #[oai(path = "/events/show", method = "post")]
    async fn show_events(&self, _body: Json<serde_json::Value>) -> poem::Result<Json<Vec<EventData>>> {
        use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
        let (start, end) = window();
        let rows = event::Entity::find()
            .filter(event::Column::Surface.eq("mc"))
            .filter(event::Column::AtUs.gte(start))
            .filter(event::Column::AtUs.lt(end))
            .order_by_desc(event::Column::AtUs)
            .limit(10)
            .all(&self.0)
            .await
            .map_err(poem::error::InternalServerError)?;
        Ok(Json(
            rows.into_iter()
                .map(|row| EventData {
                    name: row.name,
                    org: serde_json::from_str(&row.orgs).unwrap_or_default(),
                    kind: row.kind,
                    region: row.region,
                    timestamp: row.at_us.to_string(),
                    error: row.error,
                    mtags: serde_json::from_str(&row.tags).unwrap_or_default(),
                })
                .collect(),
        ))
    }

    #[oai(path = "/events/terms", method = "post")]
    async fn event_terms(&self, _body: Json<serde_json::Value>) -> poem::Result<Json<Terms>> {
        let (start, end) = window();
        let counts = |select: &str| {
            format!(
                "SELECT {select}, count(*) AS n FROM events {{}} WHERE surface = 'mc' AND at_us >= {start} AND at_us < {end} GROUP BY 1 ORDER BY n DESC, 1 LIMIT 100"
            )
        };
        let queries = [
            counts("name").replace("{}", ""),
            counts("j.value").replace("{}", ", json_each(events.orgs) j"),
            counts("kind").replace("{}", ""),
            counts("region").replace("{}", "").replace("GROUP BY", "AND region IS NOT NULL GROUP BY"),
            counts("j.key").replace("{}", ", json_each(events.tags) j").replace("LIMIT 100", "LIMIT 200"),
        ];
        let mut fields = Vec::new();
        for sql in queries {
            let rows = self
                .0
                .query_all_raw(sea_orm::Statement::from_string(self.0.get_database_backend(), sql))
                .await
                .map_err(poem::error::InternalServerError)?;
            let buckets = rows
                .into_iter()
                .filter_map(|row| {
                    Some(Bucket { key: row.try_get_by_index(0).ok()?, count: row.try_get_by_index(1).ok()? })
                })
                .collect::<Vec<_>>();
            fields.push(buckets);
        }
        let [names, orgs, types, regions, tagkeys] = <[Vec<Bucket>; 5]>::try_from(fields).unwrap_or_default();
        Ok(Json(Terms { names, orgs, types, regions, tagkeys }))
    }
}

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
    db.execute(&Schema::new(backend).create_table_from_entity(event::Entity)).await?;
    for index in Schema::new(backend).create_index_from_entity(event::Entity) {
        db.execute(&index).await?;
    }
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
    let service = OpenApiService::new((Api(db.clone()), FlavorApi(db.clone()), EventsApi(db)), "reference", "1");
    Server::new(TcpListener::bind(listen)).run(Route::new().nest("/", service)).await?;
    Ok(())
}
