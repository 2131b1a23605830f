//! Applications (`handlers/applications`): create, list, history, start,
//! stop, revert and update. Checks and database writes that must precede a
//! deployment happen before the answer starts (an error is a plain error);
//! the deployment itself runs in a task of its own that streams its lines
//! and records its outcome whether or not the client stays to read them.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use poem::http::StatusCode;
use serde_json::Value;
use tokio::sync::mpsc;

use super::Lighthouse;
use super::api::*;
use super::deploy::{self, Processor, Target, Unroutable};
use super::errors::{self, LighthouseError};
use super::rules;
use super::session::LighthouseCaller;
use super::store::{self, Kind};
use crate::db::entities::{lighthouse_application as application, lighthouse_deployment as deployment};
use crate::wire::LiveStream;

fn db(error: sea_orm::DbErr) -> LighthouseError {
    LighthouseError::db("applications", error)
}

fn fail(status: StatusCode, message: &str) -> LighthouseError {
    LighthouseError::applications(status, message)
}

fn parameters() -> LighthouseError {
    fail(StatusCode::BAD_REQUEST, errors::APP_PARAMETERS)
}

/// One deployment at a time per application (a start racing a stop would
/// interleave their Docker calls), within this process.
#[derive(Default)]
pub struct Running(std::sync::Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>);

impl Running {
    fn of(&self, app: i64) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        locks.entry(app).or_default().clone()
    }
}

fn instances_of(app: &application::Model) -> Vec<String> {
    serde_json::from_str(&app.instances).unwrap_or_default()
}

/// An application by id, or by name when the identifier is not a number
/// (`getAppIdByIdentifier`).
async fn find(lighthouse: &Lighthouse, identifier: &str) -> Result<application::Model, LighthouseError> {
    let found = match identifier.parse::<i64>() {
        Ok(id) => store::application(&lighthouse.db, id).await,
        Err(_) => store::application_named(&lighthouse.db, identifier).await,
    };
    found.map_err(db)?.ok_or_else(|| fail(StatusCode::NOT_FOUND, errors::APP_UNKNOWN))
}

async fn level(lighthouse: &Lighthouse, caller: &LighthouseCaller, app: &str) -> Result<i64, LighthouseError> {
    store::level(&lighthouse.db, &caller.email, Kind::Applications, app).await.map_err(db)
}

async fn modifiable(
    lighthouse: &Lighthouse,
    caller: &LighthouseCaller,
    identifier: &str,
) -> Result<application::Model, LighthouseError> {
    let app = find(lighthouse, identifier).await?;
    if level(lighthouse, caller, &app.name).await? < rules::MODIFY {
        return Err(fail(StatusCode::FORBIDDEN, errors::APP_PERMISSION));
    }
    Ok(app)
}

/// New instances must be served by beacons the caller has a level on: the
/// original also sent Docker calls straight to any address given.
async fn check_instances(
    lighthouse: &Lighthouse,
    caller: &LighthouseCaller,
    instances: &[String],
) -> Result<(), LighthouseError> {
    for address in instances {
        let instance = store::instance(&lighthouse.db, address).await.map_err(db)?.ok_or_else(parameters)?;
        let held =
            store::level(&lighthouse.db, &caller.email, Kind::Beacons, &instance.beacon_address).await.map_err(db)?;
        if held < rules::ACCESS {
            return Err(fail(StatusCode::FORBIDDEN, errors::INSTANCE_PERMISSION));
        }
    }
    Ok(())
}

/// How each instance is reached, with the acting user's rights.
async fn targets(lighthouse: &Lighthouse, email: &str, instances: &[String]) -> Result<Vec<Target>, sea_orm::DbErr> {
    let mut out = Vec::new();
    for address in instances {
        let route = match store::instance(&lighthouse.db, address).await? {
            None => Err(Unroutable::Unknown),
            Some(instance) => match store::beacon(&lighthouse.db, &instance.beacon_address).await? {
                None => Err(Unroutable::Unknown),
                Some(_)
                    if store::level(&lighthouse.db, email, Kind::Beacons, &instance.beacon_address).await?
                        < rules::ACCESS =>
                {
                    Err(Unroutable::NoAccess)
                }
                Some(beacon) => match lighthouse.sealer.open(&beacon.token_sealed) {
                    Ok(token) => Ok((beacon.address, token)),
                    Err(error) => {
                        tracing::error!(%error, beacon = %beacon.address, "a sealed beacon token could not be opened");
                        Err(Unroutable::Unknown)
                    }
                },
            },
        };
        out.push(Target { instance: address.clone(), route });
    }
    Ok(out)
}

type Sender = mpsc::UnboundedSender<ProgressUpdate>;

/// A processor over `instances`, reached with `email`'s rights; none (and
/// the reason logged) when they cannot be read.
async fn processor(lighthouse: &Lighthouse, email: &str, instances: &[String], out: Sender) -> Option<Processor> {
    match targets(lighthouse, email, instances).await {
        Ok(targets) => Some(Processor::new(lighthouse.http.clone(), targets, out)),
        Err(error) => {
            tracing::error!(%error, "reading an application's instances");
            None
        }
    }
}

/// Runs `work` in its own task, one per application at a time, and answers
/// its lines as they come, ending with `Finalized`.
fn stream<F, Fut>(lighthouse: &Lighthouse, app: i64, work: F) -> LiveStream<ProgressUpdate>
where
    F: FnOnce(Lighthouse, Sender) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (sender, receiver) = mpsc::unbounded_channel();
    let lock = lighthouse.running.of(app);
    let lighthouse = lighthouse.clone();
    tokio::spawn(async move {
        let _one_at_a_time = lock.lock_owned().await;
        work(lighthouse, sender.clone()).await;
        let _ = sender.send(deploy::finalized());
    });
    let lines = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|line| (line, receiver))
    });
    LiveStream(Box::pin(lines))
}

fn command_object(command: Option<Value>) -> Option<Value> {
    command.filter(|c| c.as_object().is_some_and(|fields| !fields.is_empty()))
}

pub async fn create(
    lighthouse: &Lighthouse,
    caller: &LighthouseCaller,
    start: bool,
    pull: bool,
    new: NewApplication,
) -> Result<LiveStream<ProgressUpdate>, LighthouseError> {
    let name = new.name.unwrap_or_default();
    let instances = new.instances.unwrap_or_default();
    let command = command_object(new.command).ok_or_else(parameters)?;
    if !deploy::is_container_name(&name) || instances.is_empty() || (pull && deploy::image_of(&command).is_none()) {
        return Err(parameters());
    }
    check_instances(lighthouse, caller, &instances).await?;
    let txn = crate::db::begin_write(&lighthouse.db).await.map_err(db)?;
    let app = match store::insert_application(&txn, &name, &instances).await {
        Err(error) if crate::db::is_unique_violation(&error) => {
            return Err(fail(StatusCode::CONFLICT, errors::APP_EXISTS));
        }
        other => other.map_err(db)?,
    };
    let first = store::insert_deployment(&txn, app.id, &command, &caller.email).await.map_err(db)?;
    store::audit(&txn, &caller.email, "createApplication", &name).await.map_err(db)?;
    txn.commit().await.map_err(db)?;
    let email = caller.email.clone();
    Ok(stream(lighthouse, app.id, move |lighthouse, out| async move {
        let landed = match processor(&lighthouse, &email, &instances, out).await {
            Some(mut processor) => deploy::deploy(&mut processor, &name, &command, start, pull).await,
            None => false,
        };
        if let Err(error) = finish_create(&lighthouse, &app, first.id, &email, landed).await {
            tracing::error!(%error, application = %name, "recording a deployment's outcome");
        }
    }))
}

/// A deployed application becomes its creator's; one that failed is
/// removed again, history and all, as the original removes it.
async fn finish_create(
    lighthouse: &Lighthouse,
    app: &application::Model,
    deployment: i64,
    email: &str,
    landed: bool,
) -> Result<(), sea_orm::DbErr> {
    let txn = crate::db::begin_write(&lighthouse.db).await?;
    if landed {
        store::set_current_deployment(&txn, app.id, deployment).await?;
        store::set_level(&txn, email, Kind::Applications, &app.name, rules::OWNER).await?;
        store::audit(&txn, email, "deployApplication", &app.name).await?;
    } else {
        store::delete_application(&txn, app.id).await?;
        store::audit(&txn, email, "removeFailedApplication", &app.name).await?;
    }
    txn.commit().await
}

pub async fn list(lighthouse: &Lighthouse, caller: &LighthouseCaller) -> Result<ApplicationList, LighthouseError> {
    let held = store::levels(&lighthouse.db, &caller.email, Kind::Applications).await.map_err(db)?;
    Ok(store::applications(&lighthouse.db)
        .await
        .map_err(db)?
        .into_iter()
        .filter(|app| rules::level_on(&held, &app.name) >= rules::ACCESS)
        .map(|app| Application {
            instances: instances_of(&app),
            id: app.id,
            current_deployment: app.current_deployment,
            name: app.name,
        })
        .collect())
}

/// Go's `time.Time` in JSON: RFC 3339 with the fraction's trailing zeros
/// dropped.
fn go_time(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let mut text = at.format(&format).unwrap_or_default();
    let nanos = at.nanosecond();
    if nanos > 0 {
        let fraction = format!("{nanos:09}");
        text.push('.');
        text.push_str(fraction.trim_end_matches('0'));
    }
    text.push('Z');
    text
}

/// Keys in sorted order at every depth, as Go writes a decoded map.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(fields) => {
            let mut fields: Vec<(String, Value)> = fields.into_iter().collect();
            fields.sort_by(|(a, _), (b, _)| a.cmp(b));
            Value::Object(fields.into_iter().map(|(key, value)| (key, sorted(value))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

fn history_entry(row: deployment::Model, version: usize) -> Deployment {
    let command = sorted(serde_json::from_str(&row.command).unwrap_or(Value::Object(Default::default())));
    let image = command.get("Image").and_then(Value::as_str).map(str::to_owned);
    Deployment { command, creator: row.creator, date: go_time(row.date), id: row.id, image, version: version as i64 }
}

pub async fn history(
    lighthouse: &Lighthouse,
    caller: &LighthouseCaller,
    identifier: &str,
    count: i64,
) -> Result<DeploymentList, LighthouseError> {
    if count < 0 {
        return Err(parameters());
    }
    let app = find(lighthouse, identifier).await?;
    if level(lighthouse, caller, &app.name).await? < rules::ACCESS {
        return Ok(Vec::new());
    }
    let rows = store::deployments(&lighthouse.db, app.id).await.map_err(db)?;
    let total = rows.len();
    Ok(rows
        .into_iter()
        .enumerate()
        .take(usize::try_from(count).unwrap_or(usize::MAX))
        .map(|(i, row)| history_entry(row, total - i))
        .collect())
}

pub async fn set_state(
    lighthouse: &Lighthouse,
    caller: &LighthouseCaller,
    identifier: &str,
    running: bool,
) -> Result<LiveStream<ProgressUpdate>, LighthouseError> {
    let app = modifiable(lighthouse, caller, identifier).await?;
    let email = caller.email.clone();
    Ok(stream(lighthouse, app.id, move |lighthouse, out| async move {
        if let Some(mut processor) = processor(&lighthouse, &email, &instances_of(&app), out).await {
            deploy::set_state(&mut processor, &app.name, running).await;
        }
    }))
}

/// The deployment a revert goes back to (`getRevertDeployment`): by id, or
/// `-target` deployments back from the newest.
async fn revert_target(lighthouse: &Lighthouse, app: i64, target: i64) -> Result<deployment::Model, LighthouseError> {
    if target >= 0 {
        let found = store::deployment(&lighthouse.db, target).await.map_err(db)?;
        let found = found.ok_or_else(|| fail(StatusCode::NOT_FOUND, errors::DEPLOYMENT_UNKNOWN))?;
        if found.app_id != app {
            return Err(fail(StatusCode::BAD_REQUEST, errors::DEPLOYMENT_MISMATCH));
        }
        return Ok(found);
    }
    let rows = store::deployments(&lighthouse.db, app).await.map_err(db)?;
    if rows.is_empty() {
        return Err(fail(StatusCode::NOT_FOUND, errors::APP_UNKNOWN));
    }
    let back = usize::try_from(target.unsigned_abs()).unwrap_or(usize::MAX);
    rows.into_iter().nth(back).ok_or_else(|| fail(StatusCode::BAD_REQUEST, errors::NO_PREVIOUS))
}

pub async fn revert(
    lighthouse: &Lighthouse,
    caller: &LighthouseCaller,
    identifier: &str,
    target: i64,
    pull: bool,
) -> Result<LiveStream<ProgressUpdate>, LighthouseError> {
    let app = modifiable(lighthouse, caller, identifier).await?;
    let chosen = revert_target(lighthouse, app.id, target).await?;
    let command: Value = serde_json::from_str(&chosen.command).unwrap_or(Value::Null);
    let email = caller.email.clone();
    Ok(stream(lighthouse, app.id, move |lighthouse, out| async move {
        // As the original: a pull without an image deploys nothing.
        if pull && deploy::image_of(&command).is_none() {
            return;
        }
        redeploy(&lighthouse, &email, &app, &instances_of(&app), chosen.id, &command, false, pull, out).await;
    }))
}

/// Deploys `command` to `instances` and, if it landed, makes `deployment`
/// the application's current one.
#[allow(clippy::too_many_arguments)]
async fn redeploy(
    lighthouse: &Lighthouse,
    email: &str,
    app: &application::Model,
    instances: &[String],
    deployment: i64,
    command: &Value,
    start: bool,
    pull: bool,
    out: Sender,
) {
    let Some(mut processor) = processor(lighthouse, email, instances, out).await else { return };
    if !deploy::deploy(&mut processor, &app.name, command, start, pull).await {
        return;
    }
    let recorded = async {
        let txn = crate::db::begin_write(&lighthouse.db).await?;
        store::set_current_deployment(&txn, app.id, deployment).await?;
        store::audit(&txn, email, "deployApplication", &app.name).await?;
        txn.commit().await
    };
    if let Err(error) = recorded.await {
        tracing::error!(%error, application = %app.name, "recording a deployment");
    }
}

pub async fn update(
    lighthouse: &Lighthouse,
    caller: &LighthouseCaller,
    identifier: &str,
    restart: bool,
    change: crate::wire::Deferred<ApplicationUpdate>,
) -> Result<LiveStream<ProgressUpdate>, LighthouseError> {
    let app = modifiable(lighthouse, caller, identifier).await?;
    // Read only now, as the original reads it: a 404 or 403 comes first.
    let change = change.map_err(|_| parameters())?;
    let add = change.add.unwrap_or_default();
    let remove = change.remove.unwrap_or_default();
    let command = command_object(change.command);
    check_instances(lighthouse, caller, &add).await?;
    let current = store::deployment(&lighthouse.db, app.current_deployment).await.map_err(db)?;
    let current = current.ok_or_else(|| fail(StatusCode::NOT_FOUND, errors::DEPLOYMENT_UNKNOWN))?;
    let txn = crate::db::begin_write(&lighthouse.db).await.map_err(db)?;
    // Read again under a lock: a concurrent update's instances are kept.
    let app = store::application_for_update(&txn, app.id)
        .await
        .map_err(db)?
        .ok_or_else(|| fail(StatusCode::NOT_FOUND, errors::APP_UNKNOWN))?;
    let mut instances = instances_of(&app);
    if !add.is_empty() || !remove.is_empty() {
        let removed: BTreeSet<&String> = remove.iter().collect();
        let kept: BTreeSet<String> =
            instances.iter().filter(|i| !removed.contains(i)).cloned().chain(add.iter().cloned()).collect();
        instances = kept.into_iter().collect();
        store::set_application_instances(&txn, app.id, &instances).await.map_err(db)?;
    }
    let (deployment, command) = match command {
        Some(command) => {
            (store::insert_deployment(&txn, app.id, &command, &caller.email).await.map_err(db)?.id, command)
        }
        None => (current.id, serde_json::from_str(&current.command).unwrap_or(Value::Null)),
    };
    store::audit(&txn, &caller.email, "updateApplication", &app.name).await.map_err(db)?;
    txn.commit().await.map_err(db)?;
    let new_command = deployment != current.id;
    let (deploy_to, will_deploy) = match (restart || new_command, add.is_empty()) {
        (true, _) => (instances, true),
        // Only additions: the current deployment goes to the new instances.
        (false, false) => (add, true),
        (false, true) => (Vec::new(), false),
    };
    let email = caller.email.clone();
    Ok(stream(lighthouse, app.id, move |lighthouse, out| async move {
        if !remove.is_empty()
            && let Some(mut removal) = processor(&lighthouse, &email, &remove, out.clone()).await
        {
            removal.delete_containers(&app.name, false).await;
        }
        // The original always pulls here; a command without an image then deploys nothing.
        if will_deploy && deploy::image_of(&command).is_some() {
            redeploy(&lighthouse, &email, &app, &deploy_to, deployment, &command, restart, true, out).await;
        }
    }))
}
