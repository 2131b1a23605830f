//! Prometheus metrics at `/metrics` (or on `STEWARD_METRICS_LISTEN`):
//! requests by surface, operation and status, their latency, the password
//! hashing queue, the database pool, and the build.
//!
//! Every label is a `&'static str` (surface and operation names come from
//! the specs, statuses from a table made once), so recording allocates
//! nothing and the label sets stay bounded whatever clients send.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use poem::http::StatusCode;
use poem::http::header::CONTENT_TYPE;
use poem::{IntoResponse, Response, handler};
use sea_orm::{DatabaseBackend, DatabaseConnection};

const REQUESTS: &str = "steward_http_requests_total";
const DURATION: &str = "steward_http_request_duration_seconds";
const HASH_WAITING: &str = "steward_password_hash_waiting";
const HASH_RUNNING: &str = "steward_password_hash_running";
pub const HASH_REJECTED: &str = "steward_password_hash_rejected_total";
const POOL: &str = "steward_db_pool_connections";
const BUILD: &str = "steward_build_info";

/// From 0.5 ms to 10 s: a cached read to a queued argon2 login.
const LATENCY_BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder once (every server in a process
/// shares it, as metrics are per process) and returns its handle.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(DURATION.to_owned()), LATENCY_BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
            // Present (at 0) before the first rejection, so a rate is defined.
            metrics::counter!(HASH_REJECTED).absolute(0);
            metrics::gauge!(BUILD, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
            // Histograms keep raw samples until upkeep folds them into
            // buckets; without a scraper they would pile up.
            let upkeep = handle.clone();
            std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(Duration::from_secs(5));
                        upkeep.run_upkeep();
                    }
                })
                .ok()?;
            Some(handle)
        })
        .as_ref()
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(REQUESTS, "HTTP requests answered, by surface, operationId and status.");
    describe_histogram!(DURATION, Unit::Seconds, "Time to answer a request, by surface and operationId.");
    describe_gauge!(HASH_WAITING, "Requests waiting for a password-hashing slot.");
    describe_gauge!(HASH_RUNNING, "Password hashes being computed now.");
    describe_counter!(HASH_REJECTED, "Password hashes turned away (queue full or wait past its deadline).");
    describe_gauge!(POOL, "Database pool connections, by state (in_use, idle).");
    describe_gauge!(BUILD, "Always 1; the labels name the build.");
}

/// Records one answered request. `operation` is the spec's operationId, or
/// "none" for what no operation answered (probes, docs, unrouted paths).
pub fn record_request(surface: &'static str, operation: &'static str, status: StatusCode, elapsed: Duration) {
    metrics::counter!(REQUESTS, "surface" => surface, "operation" => operation, "status" => status_label(status))
        .increment(1);
    metrics::histogram!(DURATION, "surface" => surface, "operation" => operation).record(elapsed.as_secs_f64());
}

/// A status as a static label (`StatusCode::as_str` borrows the code).
fn status_label(status: StatusCode) -> &'static str {
    static LABELS: std::sync::LazyLock<Vec<String>> =
        std::sync::LazyLock::new(|| (0..1000u16).map(|code| code.to_string()).collect());
    LABELS.get(usize::from(status.as_u16())).map_or("other", String::as_str)
}

/// The scrape: gauges that are read rather than counted are sampled now.
#[handler]
pub fn scrape(db: poem::web::Data<&DatabaseConnection>) -> Response {
    let Some(handle) = install() else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    metrics::gauge!(HASH_WAITING).set(crate::auth::password::queue_depth() as f64);
    metrics::gauge!(HASH_RUNNING).set(crate::auth::password::running() as f64);
    let (size, idle) = pool_usage(db.0);
    metrics::gauge!(POOL, "state" => "in_use").set(size.saturating_sub(idle) as f64);
    metrics::gauge!(POOL, "state" => "idle").set(idle as f64);
    Response::builder().header(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8").body(handle.render())
}

/// (open connections, idle ones).
fn pool_usage(db: &DatabaseConnection) -> (usize, usize) {
    match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size() as usize, pool.num_idle())
        }
        DatabaseBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size() as usize, pool.num_idle())
        }
        _ => (0, 0),
    }
}
