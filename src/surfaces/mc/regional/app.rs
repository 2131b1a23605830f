//! Apps (`/auth/ctrl/*App*`): a developer org's application definitions.
//! Developers manage their orgs' apps (apps, declared in the spec). Rules
//! and messages are the Controller's (`app_api.go`, `App.Validate`) and
//! MC's (`authz_app.go`, `authz_show.go`); see
//! docs/mc-regional-wire-workloads.md, sections 2 and 4.

use std::collections::BTreeSet;

use serde_json::Value;

use super::super::api::{self, App, RegionApp};
use super::super::caller::McCaller;
use super::super::errors::McError;
use super::super::store::{self as mc_store, text};
use super::super::{Mc, rbac};
use super::app_inst::APP_INSTS;
use super::cloudlet::{CLOUDLET, Sight};
use super::flavor::FLAVOR;
use super::object::{KeyForm, Kind};
use super::progress::{dns_truncated, go_field_name};
use super::{app_config, app_rules, cloudlet_aux, image_path, store};
use crate::wire::Stream;

pub const APP: Kind = Kind {
    name: "App",
    noun: "App",
    key: "/key",
    key_form: KeyForm::Json,
    org: Some("/key/organization"),
    always: &["key", "default_flavor", "created_at", "updated_at", "required_outbound_connections"],
    in_use_by: &[],
};

/// `cloudcommon.AppFederatedIdMaxLen`.
const GLOBAL_ID_MAX: usize = 50;
/// The fields an update may never send while instances of the app exist.
const FIXED_WHILE_DEPLOYED: [(&str, &str); 4] = [
    ("access_ports", "Access Ports"),
    ("skip_hc_ports", "Skip Hc Ports"),
    ("deployment", "Deployment"),
    ("deployment_generator", "Deployment Generator"),
];

fn app_of(body: &RegionApp) -> App {
    let mut app = body.app.clone().unwrap_or_default();
    app.key.get_or_insert_with(Default::default);
    app.fields = None;
    app
}

/// An app as stored and shown: the fields Go always writes present.
fn shown(mut app: App) -> App {
    app.key.get_or_insert_with(Default::default);
    app.default_flavor.get_or_insert_with(Default::default);
    app.created_at.get_or_insert_with(String::new);
    app.updated_at.get_or_insert_with(String::new);
    if app.required_outbound_connections.as_ref().is_some_and(Vec::is_empty) {
        app.required_outbound_connections = None;
    }
    app
}

fn stored(app: &App) -> Value {
    APP.stored(&super::as_json(&shown(app.clone())))
}

/// `setGlobalId`: `<region>-<name><version><org>`, sanitized and cut to 50
/// characters, a counter appended while another app holds it.
fn global_id(region: &str, app: &App, taken: &BTreeSet<String>) -> Result<String, McError> {
    let key = app.key.clone().unwrap_or_default();
    let base = format!(
        "{}-{}{}{}",
        dns_truncated(region, 10),
        dns_truncated(text(&key.name), 30),
        dns_truncated(text(&key.version), 30),
        dns_truncated(text(&key.organization), 30)
    );
    let base = match base.len() > GLOBAL_ID_MAX {
        true => dns_truncated(&base, GLOBAL_ID_MAX),
        false => base,
    };
    (0..10)
        .map(|counter| {
            let suffix = if counter == 0 { String::new() } else { counter.to_string() };
            let keep = base.len().min(GLOBAL_ID_MAX - suffix.len());
            format!("{}{suffix}", &base[..keep])
        })
        .find(|id| !taken.contains(id))
        .ok_or_else(|| {
            McError::bad_request(format!(
                "Unable to generate unique global id from base label of \"{base}\", please change key values"
            ))
        })
}

/// The apps' objects of a region, with the instances of `key`'s app.
async fn instances_of(
    txn: &sea_orm::DatabaseTransaction,
    region: &str,
    app_key: &Value,
) -> Result<Vec<store::Stored>, McError> {
    let rows = store::list(txn, region, &APP_INSTS, store::Listing::default()).await?;
    Ok(rows.into_iter().filter(|row| row.object.get("app_key") == Some(app_key)).collect())
}

/// MC's image path check (its authorization step, before the region).
fn check_image_host(app: &App) -> Result<(), McError> {
    image_path::check_host(text(&app.image_path)).map_err(McError::bad_request)
}

/// `UpdateApp`'s refusals while instances of the app exist.
fn check_deployed_update(current: &App, fields: &BTreeSet<String>, sent: &App) -> Result<(), McError> {
    let deployment = text(&current.deployment);
    let always = |f: &&String| *f == "trusted" || *f == "vm_app_os_type";
    let vm_like = !["kubernetes", "docker", "helm"].contains(&deployment);
    if let Some(field) = fields.iter().find(|f| !always(f)).filter(|_| vm_like) {
        return Err(McError::bad_request(format!(
            "Update App field {} not supported for deployment: {deployment} when AppInsts exist",
            go_field_name(field)
        )));
    }
    if let Some((_, name)) = FIXED_WHILE_DEPLOYED.iter().find(|(field, _)| fields.contains(*field)) {
        return Err(McError::bad_request(format!("Cannot update {name} when AppInst exists")));
    }
    if deployment == "docker" {
        let kind = |manifest: &str| match manifest {
            "" => "docker",
            m if m.ends_with(".zip") => "docker-compose-zip",
            _ => "docker-compose",
        };
        let (from, to) = (kind(text(&current.deployment_manifest)), kind(text(&sent.deployment_manifest)));
        if from != to {
            return Err(McError::bad_request(format!(
                "Cannot change App manifest from : {from} to: {to} when AppInsts exist"
            )));
        }
    }
    Ok(())
}

/// The Controller's update revision: the time as `2006-01-02T150405`.
fn time_revision() -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour][minute][second]");
    mc_store::now().format(&format).unwrap_or_default()
}

/// Reads, changes (`change` may refuse or answer "no change") and stores
/// an app in one transaction, its row held.
async fn change_app(
    mc: &Mc,
    caller: &McCaller,
    region: &str,
    key: &Value,
    action: &str,
    change: impl FnOnce(&mut App, bool) -> Result<bool, McError>,
    configure: bool,
) -> Result<(), McError> {
    let key_text = APP.key_text(&serde_json::json!({ "key": key }));
    let txn = crate::db::begin_write(&mc.db).await?;
    let Some(found) = store::find_for_update(&txn, region, &APP, &key_text).await? else {
        return Err(super::not_found(&APP, &key_text));
    };
    let mut app: App = super::from_json(found.object)?;
    let deployed = !instances_of(&txn, region, key).await?.is_empty();
    if !change(&mut app, deployed)? {
        return Ok(());
    }
    if configure {
        let revision = app.revision.clone();
        app_config::configure(&txn, region, &mut app, revision).await?;
    } else {
        app_config::check_policies(&txn, region, &app).await?;
    }
    store::replace(&txn, region, &APP, &key_text, &stored(&app)).await?;
    super::audit(mc, &txn, caller, action, region, &APP, &key_text).await?;
    txn.commit().await?;
    Ok(())
}

/// Who sees which apps (MC's `newShowAppAuthz`): admins all; developers
/// their orgs'; operators the apps of developer orgs granted their pools in
/// the region named (in any region when none is, as for onboarded apps),
/// read before the region is (a caller with neither is refused even for an
/// unknown region).
pub async fn app_sight(mc: &Mc, caller: &McCaller, region: Option<&str>) -> Result<super::Visible, McError> {
    let rights = mc.rights(&caller.subject()).await?;
    let mut orgs = rights.orgs_with(rbac::APPS, rbac::VIEW);
    if orgs.contains("") {
        return Ok(super::Visible::All);
    }
    let pool_orgs = rights.orgs_with(rbac::CLOUDLET_POOLS, rbac::VIEW);
    if orgs.is_empty() && pool_orgs.is_empty() {
        return Err(McError::forbidden());
    }
    let granted = crate::surfaces::mc::pool_access::granted_orgs(&mc.db, region, &pool_orgs).await?;
    if orgs.is_empty() && granted.is_empty() {
        return Err(McError::forbidden());
    }
    orgs.extend(granted);
    Ok(super::Visible::Orgs(orgs))
}

/// Which of an app's policy lists a link operation changes.
#[derive(Clone, Copy, PartialEq)]
enum Policies {
    AutoProv,
    Alert,
}

/// Adds (`add`) or removes a policy name in an app's list, with the
/// Controller's refusals (`Add/RemoveApp{AutoProv,Alert}Policy`).
async fn change_link(
    mc: &Mc,
    caller: &McCaller,
    region: &Option<String>,
    app_key: Option<api::AppKey>,
    name: Option<String>,
    policies: Policies,
    add: bool,
) -> Result<(), McError> {
    let region = super::region(mc, region).await?;
    let key = super::as_json(&app_key.unwrap_or_default());
    let name = text(&name).to_owned();
    let action = match (add, policies) {
        (true, Policies::AutoProv) => "add auto-provisioning policy to",
        (false, Policies::AutoProv) => "remove auto-provisioning policy from",
        (true, Policies::Alert) => "add alert policy to",
        (false, Policies::Alert) => "remove alert policy from",
    };
    let change = |app: &mut App, _: bool| {
        let list = match policies {
            Policies::AutoProv => app.auto_prov_policies.get_or_insert_with(Vec::new),
            Policies::Alert => app.alert_policies.get_or_insert_with(Vec::new),
        };
        match (add, list.iter().position(|p| *p == name), policies) {
            (true, Some(_), Policies::AutoProv) => {
                Err(McError::bad_request(format!("AutoProvPolicy {name} already on App")))
            }
            (true, Some(_), Policies::Alert) => {
                Err(McError::bad_request(format!("Alert {name} already monitored on App")))
            }
            (true, None, _) => {
                list.push(name.clone());
                Ok(true)
            }
            (false, Some(at), _) => {
                list.remove(at);
                Ok(true)
            }
            (false, None, Policies::Alert) => Err(McError::bad_request("AlertPolicy key {} not found")),
            (false, None, Policies::AutoProv) => Ok(false),
        }
    };
    change_app(mc, caller, &region, &key, action, change, false).await
}

/// `CreateApp`'s store steps in the caller's transaction, for an App that
/// passed its checks: its key free, its configuration, its global ID.
pub async fn create_in(
    mc: &Mc,
    txn: &sea_orm::DatabaseTransaction,
    caller: &McCaller,
    region: &str,
    mut app: App,
) -> Result<(), McError> {
    let key = APP.key_text(&super::as_json(&app));
    if store::find_for_update(txn, region, &APP, &key).await?.is_some() {
        return Err(super::already_exists(&APP, &key));
    }
    let revision = app.revision.clone();
    app_config::configure(txn, region, &mut app, revision).await?;
    let rows = store::list(txn, region, &APP, store::Listing::default()).await?;
    let taken =
        rows.iter().filter_map(|row| row.object.get("global_id").and_then(Value::as_str)).map(str::to_owned).collect();
    app.global_id = Some(global_id(region, &app, &taken)?);
    app.created_at = Some(mc_store::go_time(Some(mc_store::now())));
    super::insert_new(mc, txn, caller, region, &APP, &stored(&app)).await
}

/// MC's `isProviderApp`: the App a federation partner's artefact made
/// (its org the host's name), which only the artefact's removal deletes.
async fn made_for_federation(db: &impl sea_orm::ConnectionTrait, app: &App) -> Result<bool, McError> {
    use crate::db::entities::mc_provider_artefact;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let key = app.key.clone().unwrap_or_default();
    let found = mc_provider_artefact::Entity::find()
        .filter(mc_provider_artefact::Column::AppName.eq(text(&key.name)))
        .filter(mc_provider_artefact::Column::AppVers.eq(text(&key.version)))
        .all(db)
        .await?;
    Ok(found.iter().any(|artefact| artefact.federation_name.eq_ignore_ascii_case(text(&key.organization))))
}

/// Deletes the App `app_key` (JSON) of `region` in the caller's
/// transaction, refused while instances of it exist; `false` when there is
/// no such App.
pub async fn delete_in(
    mc: &Mc,
    txn: &sea_orm::DatabaseTransaction,
    caller: &McCaller,
    region: &str,
    app_key: &Value,
) -> Result<bool, McError> {
    let key = APP.key_text(&serde_json::json!({ "key": app_key }));
    if store::find_for_update(txn, region, &APP, &key).await?.is_none() {
        return Ok(false);
    }
    if let Some(instance) = instances_of(txn, region, app_key).await?.first() {
        return Err(McError::bad_request(format!("Application in use by static AppInst {}", instance.key)));
    }
    store::remove(txn, region, &APP, &key).await?;
    super::audit(mc, txn, caller, "delete", region, &APP, &key).await?;
    Ok(true)
}

#[async_trait::async_trait]
impl api::AppApi for Mc {
    async fn create_app(
        &self,
        caller: McCaller,
        request: api::CreateAppRequest,
    ) -> Result<api::CreateAppResponse, McError> {
        let app = app_of(&request.body);
        check_image_host(&app)?;
        let region = super::region(self, &request.body.region).await?;
        app_rules::validate(&app, true).map_err(McError::bad_request)?;
        let txn = crate::db::begin_write(&self.db).await?;
        create_in(self, &txn, &caller, &region, app).await?;
        txn.commit().await?;
        Ok(api::CreateAppResponse::Ok(api::Result::default()))
    }

    async fn delete_app(
        &self,
        caller: McCaller,
        request: api::DeleteAppRequest,
    ) -> Result<api::DeleteAppResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let app = app_of(&request.body);
        if made_for_federation(&self.db, &app).await? {
            return Err(McError::bad_request(
                "Cannot delete App created via federation, use unsafe federation app delete instead",
            ));
        }
        let key_value = super::as_json(&app.key.clone().unwrap_or_default());
        let key = APP.key_text(&super::as_json(&app));
        let txn = crate::db::begin_write(&self.db).await?;
        let Some(found) = store::find_for_update(&txn, &region, &APP, &key).await? else {
            return Err(super::not_found(&APP, &key));
        };
        super::refuse_being_deleted(&APP)(&found.object)?;
        let auto_delete = found.object.get("del_opt").and_then(Value::as_str) == Some("AutoDelete");
        let instances = instances_of(&txn, &region, &key_value).await?;
        for instance in &instances {
            let liveness = instance.object.get("liveness").and_then(Value::as_str).unwrap_or_default();
            if !(auto_delete || liveness == "Dynamic" || liveness == "Autoprov") {
                return Err(McError::bad_request(format!("Application in use by static AppInst {}", instance.key)));
            }
        }
        for instance in &instances {
            store::remove(&txn, &region, &APP_INSTS, &instance.key).await?;
        }
        store::remove(&txn, &region, &APP, &key).await?;
        super::audit(self, &txn, &caller, "delete", &region, &APP, &key).await?;
        txn.commit().await?;
        Ok(api::DeleteAppResponse::Ok(api::Result::default()))
    }

    async fn update_app(
        &self,
        caller: McCaller,
        request: api::UpdateAppRequest,
    ) -> Result<api::UpdateAppResponse, McError> {
        let sent_app = app_of(&request.body);
        let sent = super::as_json(&sent_app);
        // MC lists the key among the fields sent, so an update naming only
        // the key reaches the Controller: a new revision, nothing else.
        let fields = super::progress::sent_fields(&sent);
        check_image_host(&sent_app)?;
        let region = super::region(self, &request.body.region).await?;
        app_rules::validate(&sent_app, fields.contains("access_ports")).map_err(McError::bad_request)?;
        let key = super::as_json(&sent_app.key.clone().unwrap_or_default());
        change_app(self, &caller, &region, &key, "update", |current, deployed| {
            if deployed {
                check_deployed_update(current, &fields, &sent_app)?;
            }
            let mut merged: App = super::from_json(super::with_sent_fields(&super::as_json(current), &sent))?;
            if fields.contains("deployment") && !fields.contains("deployment_manifest") {
                merged.deployment_manifest = None;
            }
            if fields.contains("deployment_manifest") {
                if !fields.contains("deployment_generator") {
                    merged.deployment_generator = None;
                }
            } else if fields.contains("access_ports")
                && text(&current.deployment) == "kubernetes"
                && text(&current.deployment_generator).is_empty()
            {
                return Err(McError::bad_request(
                    "kubernetes manifest which was previously specified must be provided again when changing access ports",
                ));
            }
            let no_priority = sent_app.qos_session_profile.is_none_or(|p| p == api::QosSessionProfile::NoPriority);
            if no_priority && !text(&sent_app.qos_session_duration).is_empty() {
                let nanos = app_rules::parse_duration(text(&sent_app.qos_session_duration)).map_err(McError::bad_request)?;
                if nanos > 0 {
                    return Err(McError::bad_request("QosSessionDuration cannot be specified without setting QosSessionProfile"));
                }
            }
            // The Controller zeroes the duration whenever the request's
            // profile is NoPriority, as it is when none is sent.
            if no_priority {
                merged.qos_session_duration = None;
            }
            if merged.allow_serverless != Some(true) {
                merged.serverless_config = None;
            }
            if !text(&merged.deployment_generator).is_empty() {
                merged.deployment_manifest = None;
            }
            let only_alerts = fields.len() == 1 && fields.contains("alert_policies");
            if text(&sent_app.revision).is_empty() {
                merged.revision = match only_alerts {
                    true => current.revision.clone(),
                    false => Some(time_revision()),
                };
            }
            merged.updated_at = Some(mc_store::go_time(Some(mc_store::now())));
            *current = merged;
            Ok(true)
        }, true)
        .await?;
        Ok(api::UpdateAppResponse::Ok(api::Result::default()))
    }

    async fn show_app(&self, caller: McCaller, request: api::ShowAppRequest) -> Result<api::ShowAppResponse, McError> {
        let visible = app_sight(self, &caller, Some(text(&request.body.region))).await?;
        let region = super::region(self, &request.body.region).await?;
        let filter = super::as_json(&request.body.app.clone().unwrap_or_default());
        let objects = super::show(self, &region, &APP, &filter, &visible).await?;
        let apps = objects.into_iter().map(super::from_json::<App>).collect::<Result<_, _>>()?;
        Ok(api::ShowAppResponse::Ok(Stream::lines(apps)))
    }

    async fn add_app_auto_prov_policy(
        &self,
        caller: McCaller,
        request: api::AddAppAutoProvPolicyRequest,
    ) -> Result<api::AddAppAutoProvPolicyResponse, McError> {
        let link = request.body.app_auto_prov_policy.unwrap_or_default();
        let (key, name) = (link.app_key, link.auto_prov_policy);
        change_link(self, &caller, &request.body.region, key, name, Policies::AutoProv, true).await?;
        Ok(api::AddAppAutoProvPolicyResponse::Ok(api::Result::default()))
    }

    async fn remove_app_auto_prov_policy(
        &self,
        caller: McCaller,
        request: api::RemoveAppAutoProvPolicyRequest,
    ) -> Result<api::RemoveAppAutoProvPolicyResponse, McError> {
        let link = request.body.app_auto_prov_policy.unwrap_or_default();
        let (key, name) = (link.app_key, link.auto_prov_policy);
        change_link(self, &caller, &request.body.region, key, name, Policies::AutoProv, false).await?;
        Ok(api::RemoveAppAutoProvPolicyResponse::Ok(api::Result::default()))
    }

    async fn add_app_alert_policy(
        &self,
        caller: McCaller,
        request: api::AddAppAlertPolicyRequest,
    ) -> Result<api::AddAppAlertPolicyResponse, McError> {
        let link = request.body.app_alert_policy.unwrap_or_default();
        let (key, name) = (link.app_key, link.alert_policy);
        change_link(self, &caller, &request.body.region, key, name, Policies::Alert, true).await?;
        Ok(api::AddAppAlertPolicyResponse::Ok(api::Result::default()))
    }

    async fn remove_app_alert_policy(
        &self,
        caller: McCaller,
        request: api::RemoveAppAlertPolicyRequest,
    ) -> Result<api::RemoveAppAlertPolicyResponse, McError> {
        let link = request.body.app_alert_policy.unwrap_or_default();
        let (key, name) = (link.app_key, link.alert_policy);
        change_link(self, &caller, &request.body.region, key, name, Policies::Alert, false).await?;
        Ok(api::RemoveAppAlertPolicyResponse::Ok(api::Result::default()))
    }

    async fn show_cloudlets_for_app_deployment(
        &self,
        caller: McCaller,
        request: api::ShowCloudletsForAppDeploymentRequest,
    ) -> Result<api::ShowCloudletsForAppDeploymentResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let query = request.body.deployment_cloudlet_request.unwrap_or_default();
        let app = query.app.unwrap_or_default();
        let flavor = text(&app.default_flavor.as_ref().and_then(|f| f.name.clone())).to_owned();
        if flavor.is_empty() {
            return Err(McError::bad_request("No flavor specified for App"));
        }
        let dry_run = query.dry_run_deploy == Some(true);
        if dry_run && text(&app.deployment).is_empty() {
            return Err(McError::bad_request("No deployment found on candidate App"));
        }
        let sight = Sight::of(self, &caller).await?.in_region(self, &region).await?;
        let flavor_key = FLAVOR.key_text(&serde_json::json!({"key": {"name": flavor}}));
        let listing = store::Listing { key: Some(&flavor_key), ..Default::default() };
        let flavor_object: Option<api::Flavor> = store::list(&self.db, &region, &FLAVOR, listing)
            .await?
            .into_iter()
            .next()
            .map(|row| super::from_json(row.object))
            .transpose()?;
        let mut keys = Vec::new();
        for row in store::list(&self.db, &region, &CLOUDLET, store::Listing::default()).await? {
            let cloudlet: api::Cloudlet = super::from_json(row.object)?;
            let Some(seen) = sight.sees(cloudlet.clone()) else { continue };
            if cloudlet_aux::fits_flavor(&cloudlet, flavor_object.as_ref()) {
                keys.push(seen.key.unwrap_or_default());
            }
        }
        if dry_run {
            // The original sends each passing cloudlet twice: once as the
            // dry run passes it, again with the rest.
            keys = keys.into_iter().flat_map(|key| [key.clone(), key]).collect();
        }
        Ok(api::ShowCloudletsForAppDeploymentResponse::Ok(Stream::lines(keys)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(org: &str, name: &str, version: &str) -> App {
        App {
            key: Some(api::AppKey {
                organization: Some(org.into()),
                name: Some(name.into()),
                version: Some(version.into()),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn global_ids_are_the_controllers() {
        let taken = BTreeSet::new();
        assert_eq!(global_id("local", &app("dev", "app1", "1.0"), &taken).ok(), Some("local-app110dev".into()));
        let taken: BTreeSet<String> = ["local-app110dev".to_owned()].into();
        assert_eq!(global_id("local", &app("dev", "app1", "1.0"), &taken).ok(), Some("local-app110dev1".into()));
        let long = "a".repeat(40);
        let id = global_id("local", &app(&long, &long, "1"), &BTreeSet::new()).unwrap_or_default();
        assert_eq!(id.len(), 50);
    }

    #[test]
    fn field_names_print_as_the_controllers() {
        assert_eq!(super::go_field_name("access_ports"), "Access Ports");
        assert_eq!(super::go_field_name("command"), "Command");
    }
}
