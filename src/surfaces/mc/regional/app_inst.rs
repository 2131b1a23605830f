//! App instances (`/auth/ctrl/*AppInst`): a developer org's apps deployed
//! to cloudlets, made, refreshed and removed at once by the fake platform,
//! with the progress lines its CRM would stream; auto-clusters reserved or
//! made for them. Rules and messages are the Controller's
//! (`appinst_api.go`, the fake platform's `fake.go`) and MC's
//! (`authz_cloudlet.go`, `authz_show.go`); see
//! docs/mc-regional-wire-workloads.md, sections 2 and 6.

use std::collections::BTreeSet;

use serde_json::Value;

use super::super::api::{self, App, AppInst, AppPort, ClusterInst, ClusterKey, LProto, RegionAppInst};
use super::super::caller::McCaller;
use super::super::controllers::dns_label;
use super::super::errors::McError;
use super::super::federation::guest_app_insts;
use super::super::store::{self as mc_store, text};
use super::super::{Mc, rbac};
use super::app::APP;
use super::cloudlet::{CLOUDLET, key_text as cloudlet_key_text};
use super::cluster_inst::{self, CLUSTER_INSTS, EDGE_CLOUD_ORG};
use super::deploy_access::DeployAccess;
use super::flavor::{FLAVOR, valid_name};
use super::object::{KeyForm, Kind};
use super::progress::dns_truncated;
use super::progress::{ended, message, messages};
use super::{app_ports, cloudlet_aux, store};
use crate::wire::Stream;

pub const APP_INSTS: Kind = Kind {
    name: "AppInst",
    noun: "AppInst",
    key: "/key",
    key_form: KeyForm::Json,
    org: Some("/key/organization"),
    always: &[
        "key",
        "app_key",
        "cluster_key",
        "cloudlet_loc",
        "mapped_ports",
        "flavor",
        "runtime_info",
        "created_at",
        "updated_at",
        "fed_key",
        "virtual_cluster_key",
    ],
    in_use_by: &[],
};

/// Where shared load balancers hand out ports a taken one moves to
/// (`RootLBSharedPortBegin`), and the ports they keep for themselves.
const SHARED_PORT_BEGIN: i32 = 10000;
const SHARED_PORT_END: i32 = 65000;
const LB_OWN_PORTS: [i32; 2] = [22, 65121];
/// Reservable auto-clusters per cloudlet.
const MAX_AUTO_CLUSTERS: u32 = 64;

fn refuse(text: impl Into<String>) -> McError {
    McError::bad_request(text.into())
}

fn instance_of(body: &RegionAppInst) -> AppInst {
    let mut instance = body.app_inst.clone().unwrap_or_default();
    instance.key.get_or_insert_with(Default::default).cloudlet_key.get_or_insert_with(Default::default);
    instance.fields = None;
    instance
}

/// An instance as stored and shown: the fields Go always writes present.
fn shown(mut instance: AppInst) -> AppInst {
    instance.app_key.get_or_insert_with(Default::default);
    instance.cluster_key.get_or_insert_with(Default::default);
    instance.cloudlet_loc.get_or_insert_with(Default::default);
    instance.flavor.get_or_insert_with(Default::default);
    instance.runtime_info.get_or_insert_with(Default::default);
    instance.created_at.get_or_insert_with(String::new);
    instance.updated_at.get_or_insert_with(String::new);
    instance.fed_key.get_or_insert_with(Default::default);
    instance.virtual_cluster_key.get_or_insert_with(Default::default);
    if instance.mapped_ports.as_ref().is_some_and(Vec::is_empty) {
        instance.mapped_ports = None;
    }
    instance
}

fn stored(instance: &AppInst) -> Value {
    APP_INSTS.stored(&super::as_json(&shown(instance.clone())))
}

/// The stored key of an instance (`AppInstKey`'s order).
pub fn key_text(instance: &AppInst) -> String {
    APP_INSTS.key_text(&super::as_json(instance))
}

fn org_of(instance: &AppInst) -> String {
    text(&instance.key.as_ref().and_then(|k| k.organization.clone())).to_owned()
}

fn cloudlet_key(instance: &AppInst) -> api::CloudletKey {
    instance.key.clone().unwrap_or_default().cloudlet_key.unwrap_or_default()
}

/// `AppInstKey.ValidateKey`.
fn validate_key(instance: &AppInst) -> Result<(), String> {
    let key = instance.key.clone().unwrap_or_default();
    if !valid_name(text(&key.name)) {
        return Err("Invalid app instance name".into());
    }
    if !valid_name(text(&key.organization)) {
        return Err("Invalid app instance organization".into());
    }
    let cloudlet = key.cloudlet_key.unwrap_or_default();
    if !valid_name(text(&cloudlet.organization)) {
        return Err(format!("Invalid cloudlet organization name {}", text(&cloudlet.organization)));
    }
    if !valid_name(text(&cloudlet.name)) {
        return Err("Invalid cloudlet name".into());
    }
    Ok(())
}

/// The create's checks of the request alone: both keys, the configs' kinds.
fn validate_new(instance: &AppInst) -> Result<(), String> {
    validate_key(instance)?;
    super::app_rules::validate_key(&instance.app_key.clone().unwrap_or_default())?;
    super::app_rules::check_config_kinds(instance.configs.as_deref().unwrap_or_default())
}

/// The cluster the instance runs in, the key it is stored under.
fn cluster_inst_key(instance: &AppInst) -> Value {
    serde_json::json!({
        "cluster_key": super::as_json(&instance.cluster_key.clone().unwrap_or_default()),
        "cloudlet_key": super::as_json(&cloudlet_key(instance)),
    })
}

/// The app an instance deploys, refused when missing or being deleted.
async fn app_of(txn: &sea_orm::DatabaseTransaction, region: &str, instance: &AppInst) -> Result<App, McError> {
    let key = super::as_json(&instance.app_key.clone().unwrap_or_default());
    super::from_json(super::referenced(txn, region, &APP, &key).await?)
}

/// A free reservable cluster of the platform on the cloudlet fitting the
/// app, else the name of a new one (`reservable<N>`), with the line the
/// Controller streams for its choice.
async fn choose_auto_cluster(
    txn: &sea_orm::DatabaseTransaction,
    region: &str,
    instance: &AppInst,
    deployment: &str,
) -> Result<(Option<ClusterInst>, String, String), McError> {
    let cloudlet = super::as_json(&cloudlet_key(instance));
    let clusters: Vec<ClusterInst> = store::list(txn, region, &CLUSTER_INSTS, store::Listing::default())
        .await?
        .into_iter()
        .filter(|row| row.object.pointer("/key/cloudlet_key") == Some(&cloudlet))
        .map(|row| super::from_json(row.object))
        .collect::<Result<_, _>>()?;
    let flavor = text(&instance.flavor.as_ref().and_then(|f| f.name.clone())).to_owned();
    let name_of =
        |c: &ClusterInst| text(&c.key.clone().unwrap_or_default().cluster_key.unwrap_or_default().name).to_owned();
    let free = clusters.iter().find(|c| {
        c.reservable == Some(true)
            && text(&c.reserved_by).is_empty()
            && text(&c.flavor.as_ref().and_then(|f| f.name.clone())) == flavor
            && text(&c.deployment) == deployment
    });
    if let Some(found) = free {
        let name = name_of(found);
        return Ok((
            Some(found.clone()),
            name.clone(),
            format!("Chose reservable ClusterInst {name} to deploy AppInst"),
        ));
    }
    let taken: BTreeSet<String> = clusters.iter().filter(|c| c.reservable == Some(true)).map(name_of).collect();
    let name = (0..MAX_AUTO_CLUSTERS)
        .map(|id| format!("reservable{id}"))
        .find(|name| !taken.contains(name))
        .ok_or_else(|| refuse("Requested new reservable autocluster but maximum number reached"))?;
    let line = format!("Creating new auto-cluster named {name} to deploy AppInst");
    Ok((None, name, line))
}

/// The ports on the cloudlet's shared load balancer, by number, with the
/// protocols using them.
async fn shared_lb_ports(
    txn: &sea_orm::DatabaseTransaction,
    region: &str,
    instance: &AppInst,
    shared_uri: &str,
) -> Result<BTreeSet<(i32, bool)>, McError> {
    let cloudlet = super::as_json(&cloudlet_key(instance));
    let mut used = BTreeSet::new();
    for row in cluster_inst::on_cloudlet(txn, region, &APP_INSTS, &cloudlet).await? {
        if row.object.get("uri").and_then(Value::as_str) != Some(shared_uri) {
            continue;
        }
        let other: AppInst = super::from_json(row.object)?;
        for port in other.mapped_ports.iter().flatten() {
            used.insert((port.public_port.unwrap_or(0), port.proto == Some(LProto::Udp)));
        }
    }
    Ok(used)
}

/// The app's ports with their public numbers, and the instance's URI.
async fn map_ports(
    txn: &sea_orm::DatabaseTransaction,
    region: &str,
    instance: &AppInst,
    app: &App,
    cloudlet: &api::Cloudlet,
    cluster: Option<&ClusterInst>,
) -> Result<(Vec<AppPort>, String), McError> {
    let parsed = app_ports::parse(text(&app.access_ports)).map_err(refuse)?;
    let mut ports: Vec<AppPort> = parsed
        .iter()
        .map(|p| AppPort {
            proto: Some(if p.proto == "udp" { LProto::Udp } else { LProto::Tcp }),
            internal_port: Some(p.port as i32),
            public_port: Some(p.port as i32),
            end_port: Some(p.end as i32).filter(|e| *e != 0),
            tls: p.tls.then_some(true),
            nginx: p.nginx.then_some(true),
            max_pkt_size: Some(p.max_packet).filter(|m| *m != 0),
            fqdn_prefix: None,
        })
        .collect();
    let region_label: String = dns_label(region).chars().take(63).collect();
    let mut uri = format!(
        "{}.{}.{region_label}.{}",
        text(&instance.dns_label),
        text(&cloudlet.dns_label),
        super::cloudlet::APP_DNS_ROOT
    );
    let shared = cluster.is_some_and(|c| c.ip_access == Some(api::IpAccess::Shared));
    if let Some(cluster) = cluster.filter(|_| instance.dedicated_ip != Some(true)) {
        if shared && app.internal_ports != Some(true) {
            uri = text(&cloudlet.root_lb_fqdn).to_owned();
            let mut used = shared_lb_ports(txn, region, instance, &uri).await?;
            for port in &mut ports {
                if port.end_port.is_some() {
                    return Err(refuse("Shared IP access with port range not allowed"));
                }
                let proto = port.proto == Some(LProto::Udp);
                let wanted = port.internal_port.unwrap_or(0);
                let free = |n: i32| !used.contains(&(n, proto));
                let public = match free(wanted) && !LB_OWN_PORTS.contains(&wanted) {
                    true => wanted,
                    false => (SHARED_PORT_BEGIN..SHARED_PORT_END)
                        .find(|n| free(*n))
                        .ok_or_else(|| refuse("no free external ports"))?,
                };
                port.public_port = Some(public);
                used.insert((public, proto));
            }
        } else if !shared {
            uri = text(&cluster.fqdn).to_owned();
        }
    }
    if app.internal_ports == Some(true) || ports.is_empty() {
        uri = String::new();
    }
    Ok((ports, uri))
}

/// The instance's DNS label and unique id, free on its cloudlet.
fn names(
    instance: &AppInst,
    taken_labels: &BTreeSet<String>,
    taken_ids: &BTreeSet<String>,
) -> Result<(String, String), McError> {
    let key = instance.key.clone().unwrap_or_default();
    let cloudlet = cloudlet_key(instance);
    let (name, org) = (text(&key.name), text(&key.organization));
    let mut base = format!("{}-{}", dns_truncated(name, 60), dns_truncated(org, 60));
    if base.len() > 63 {
        base = format!("{}-{}", dns_truncated(name, 32), dns_truncated(org, 60));
    }
    let label = (0..10)
        .map(|n| {
            let suffix = if n == 0 { String::new() } else { n.to_string() };
            format!("{}{suffix}", &base[..base.len().min(63 - suffix.len())])
        })
        .find(|l| !taken_labels.contains(l) && l != "shared")
        .ok_or_else(|| {
            refuse(format!(
                "Unable to compute unique DNS label from base label of \"{base}\", please change key values"
            ))
        })?;
    let parts =
        [dns_label(org), dns_label(name), dns_label(text(&cloudlet.name)), dns_label(text(&cloudlet.organization))];
    let id = (0..10)
        .map(|salt| match salt {
            0 => parts.join("-"),
            n => format!("{}-{n}", parts.join("-")),
        })
        .find(|id| !taken_ids.contains(id))
        .ok_or_else(|| refuse("Unable to compute unique AppInstId, please change AppInst key values"))?;
    Ok((label, id))
}

/// The create once its first line may have been sent.
async fn deploy(
    mc: &Mc,
    caller: &McCaller,
    region: &str,
    instance: &mut AppInst,
    lines: &mut Vec<api::Result>,
    federated: bool,
) -> Result<String, McError> {
    let txn = crate::db::begin_write(&mc.db).await?;
    let deployment = deploy_in(mc, &txn, caller, region, instance, lines, federated).await?;
    txn.commit().await?;
    Ok(deployment)
}

/// The create in the caller's transaction; the lines it streams. The
/// App's deployment type.
async fn deploy_in(
    mc: &Mc,
    txn: &sea_orm::DatabaseTransaction,
    caller: &McCaller,
    region: &str,
    instance: &mut AppInst,
    lines: &mut Vec<api::Result>,
    federated: bool,
) -> Result<String, McError> {
    let app = app_of(txn, region, instance).await?;
    let deployment = text(&app.deployment).to_owned();
    let needs_cluster = deployment != "vm";
    let cluster_key = instance.cluster_key.clone().unwrap_or_default();
    if !needs_cluster {
        if !text(&cluster_key.name).is_empty() {
            return Err(refuse(format!("Cluster name must be blank for App deployment type {deployment}")));
        }
        if !text(&cluster_key.organization).is_empty() {
            return Err(refuse(format!("Cluster organization must be blank for App deployment type {deployment}")));
        }
    }
    let specified = !text(&cluster_key.name).is_empty();
    if specified && text(&cluster_key.organization).is_empty() {
        return Err(refuse("Must specify cluster organization if cluster name is specified"));
    }
    if text(&instance.flavor.as_ref().and_then(|f| f.name.clone())).is_empty() {
        instance.flavor = app.default_flavor.clone();
    }
    let cloudlet_shown = cloudlet_key_text(&cloudlet_key(instance));
    let Some(cloudlet_row) = store::find_for_update(txn, region, &CLOUDLET, &cloudlet_shown).await? else {
        return Err(refuse("Specified Cloudlet not found"));
    };
    let cloudlet: api::Cloudlet = super::from_json(cloudlet_row.object)?;
    if cloudlet.delete_prepare == Some(true) {
        return Err(refuse(format!("Cloudlet {cloudlet_shown} is being deleted")));
    }
    if instance.dedicated_ip == Some(true) {
        return Err(refuse("Target cloudlet platform does not support a per-AppInst dedicated IP"));
    }
    let key = key_text(instance);
    if store::find_for_update(txn, region, &APP_INSTS, &key).await?.is_some() {
        return Err(super::already_exists(&APP_INSTS, &key));
    }
    if !matches!(text(&cloudlet.maintenance_state), "" | "NormalOperation") {
        return Err(refuse("Cloudlet under maintenance, please try again later"));
    }
    let cluster_deployment = if deployment == "helm" { "kubernetes".to_owned() } else { deployment.clone() };
    let mut new_cluster = None;
    let mut cluster: Option<ClusterInst> = None;
    if needs_cluster && !specified {
        let (free, name, line) = choose_auto_cluster(txn, region, instance, &cluster_deployment).await?;
        lines.push(message(&line));
        instance.cluster_key = Some(ClusterKey { name: Some(name.clone()), organization: Some(EDGE_CLOUD_ORG.into()) });
        match free {
            Some(mut found) => {
                found.reserved_by = Some(org_of(instance));
                cluster = Some(found);
            }
            None => new_cluster = Some(name),
        }
    } else if needs_cluster {
        let found = super::referenced(txn, region, &CLUSTER_INSTS, &cluster_inst_key(instance)).await?;
        let mut found: ClusterInst = super::from_json(found)?;
        if found.reservable == Some(true) {
            let reason = if text(&found.flavor.as_ref().and_then(|f| f.name.clone()))
                != text(&instance.flavor.as_ref().and_then(|f| f.name.clone()))
            {
                Some("flavor mismatch between AppInst and reservable ClusterInst")
            } else if !text(&found.reserved_by).is_empty() {
                Some("ClusterInst already reserved")
            } else if text(&found.deployment) != cluster_deployment {
                Some("deployment type mismatch between App and reservable ClusterInst")
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(refuse(format!("Failed to reserve specified reservable ClusterInst, {reason}")));
            }
            found.reserved_by = Some(org_of(instance));
        }
        cluster = Some(found);
    }
    if !text(&cloudlet.trust_policy).is_empty() {
        return Err(refuse(match app.trusted == Some(true) {
            true => "Trust Policy for cloudlet not found",
            false => "Cannot start non trusted App on trusted cloudlet",
        }));
    }
    let flavor_name = text(&instance.flavor.as_ref().and_then(|f| f.name.clone())).to_owned();
    let flavor: api::Flavor =
        super::from_json(super::referenced(txn, region, &FLAVOR, &serde_json::json!({"name": flavor_name})).await?)?;
    let vm_flavor = match cloudlet.infra_flavors.as_ref().is_none_or(Vec::is_empty) {
        true => flavor_name.clone(),
        false => cloudlet_aux::match_flavor(&cloudlet, &flavor).map_err(refuse)?,
    };
    instance.vm_flavor = Some(vm_flavor.clone());
    instance.revision = app.revision.clone();
    instance.liveness.get_or_insert(api::Liveness::Static);
    instance.compatibility_version = Some(1);
    // Unique ids name the cloudlet, so only its instances can clash.
    let siblings = cluster_inst::on_cloudlet(txn, region, &APP_INSTS, &super::as_json(&cloudlet_key(instance))).await?;
    let labels = cluster_inst::dns_labels_on(txn, region, &super::as_json(&cloudlet_key(instance))).await?;
    let ids = siblings
        .iter()
        .filter_map(|row| row.object.get("unique_id").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let (label, id) = names(instance, &labels, &ids)?;
    instance.dns_label = Some(label);
    instance.unique_id = Some(id);
    if let Some(name) = new_cluster {
        let mut auto = ClusterInst {
            key: Some(api::ClusterInstKey {
                cluster_key: Some(ClusterKey { name: Some(name), organization: Some(EDGE_CLOUD_ORG.into()) }),
                cloudlet_key: Some(cloudlet_key(instance)),
            }),
            flavor: instance.flavor.clone(),
            node_flavor: Some(vm_flavor.clone()),
            master_node_flavor: Some(vm_flavor.clone()),
            deployment: Some(cluster_deployment.clone()),
            num_masters: (cluster_deployment == "kubernetes").then_some(1),
            // A federation platform has no clusters of its own (MC's NoClusterSupport).
            num_nodes: (cluster_deployment == "kubernetes").then_some(if federated { 0 } else { 1 }),
            liveness: Some(api::Liveness::Dynamic),
            auto: Some(true),
            reservable: Some(true),
            reserved_by: Some(org_of(instance)),
            crm_override: instance.crm_override,
            ..Default::default()
        };
        cluster_inst::create_in(mc, txn, caller, region, &mut auto, lines).await?;
        cluster = Some(auto);
    } else if let Some(reserved) = cluster.as_ref().filter(|c| c.reservable == Some(true)) {
        let shown = CLUSTER_INSTS
            .key_text(&serde_json::json!({ "key": super::as_json(&reserved.key.clone().unwrap_or_default()) }));
        store::replace(txn, region, &CLUSTER_INSTS, &shown, &CLUSTER_INSTS.stored(&super::as_json(reserved))).await?;
    }
    if let Some(other) = cluster.as_ref().map(|c| text(&c.deployment)).filter(|d| *d != cluster_deployment) {
        return Err(refuse(format!("Cannot deploy {deployment} App into {other} ClusterInst")));
    }
    instance.cloudlet_loc = cloudlet.location.clone();
    let (ports, uri) = map_ports(txn, region, instance, &app, &cloudlet, cluster.as_ref()).await?;
    instance.mapped_ports = Some(ports);
    instance.uri = Some(uri).filter(|u| !u.is_empty());
    instance.created_at = Some(mc_store::go_time(Some(mc_store::now())));
    instance.health_check = Some(api::HealthCheck::Ok);
    instance.power_state = Some(api::PowerState::PowerOn);
    if federated {
        // Ready once the host says so (`deploy_at_host`).
        instance.state = Some(api::TrackedState::Creating);
        instance.runtime_info = Some(api::AppInstRuntime::default());
    } else {
        instance.state = Some(api::TrackedState::Ready);
        let nodes = cluster.as_ref().and_then(|c| c.num_nodes).unwrap_or(0);
        let containers =
            (deployment == "kubernetes").then(|| (0..nodes).map(|n| format!("appOnClusterNode{n}")).collect());
        instance.runtime_info = Some(api::AppInstRuntime { container_ids: containers });
    }
    super::insert_new(mc, txn, caller, region, &APP_INSTS, &stored(instance)).await?;
    lines.extend(match (federated, super::progress::ignores_crm(instance.crm_override)) {
        (true, _) => messages(&["Creating"]),
        (false, true) => messages(&["Created AppInst successfully"]),
        (false, false) => messages(&["Creating", "Creating App Inst", "Ready", "Created AppInst successfully"]),
    });
    Ok(deployment)
}

/// A new instance on a federated cloudlet, deployed on the host: Ready
/// with the host's access points, or undone (as MC's Controller undoes a
/// create its platform failed) with the failure as MC reports it.
async fn deploy_at_host(
    mc: &Mc,
    region: &str,
    instance: &mut AppInst,
    deployment: &str,
    lines: &mut Vec<api::Result>,
) -> Result<(), McError> {
    let mut steps = Vec::new();
    let outcome = match deployment {
        "helm" => Err(refuse("Create App Inst failed: Helm deployment not supported yet")),
        _ => guest_app_insts::install_at_host(mc, region, instance, &mut steps).await,
    };
    lines.extend(steps.iter().map(|step| message(step)));
    let key = key_text(instance);
    let txn = crate::db::begin_write(&mc.db).await?;
    let outcome = match outcome {
        Ok(()) if store::find_for_update(&txn, region, &APP_INSTS, &key).await?.is_none() => {
            // Deleted meanwhile: nothing here holds the host's instance.
            if let Err(left) = guest_app_insts::remove_at_host(mc, region, instance).await {
                tracing::warn!(reason = %left.message, "federated app instance left at the host");
            }
            Err(refuse(format!("AppInst {key} removed while it was being created")))
        }
        other => other,
    };
    if let Err(failed) = outcome {
        lines.push(message("Deleting AppInst due to failure"));
        remove_in(&txn, region, &key).await?;
        txn.commit().await?;
        return Err(refuse(format!("Encountered failures: {}", failed.message)));
    }
    instance.state = Some(api::TrackedState::Ready);
    store::replace(&txn, region, &APP_INSTS, &key, &stored(instance)).await?;
    txn.commit().await?;
    lines.extend(messages(&["Ready", "Created AppInst successfully"]));
    Ok(())
}

/// A stored instance on a federated cloudlet removed at the host first
/// (skipped under `IgnoreCrm`, its failure ignored under
/// `IgnoreCrmErrors`). A failure leaves the instance in DeleteError and
/// is the stream's end, as MC's Controller reports its platform's.
async fn remove_at_host(
    mc: &Mc,
    region: &str,
    key: &str,
    crm_override: Option<api::CrmOverride>,
) -> Result<Option<Stream<api::Result, McError>>, McError> {
    let Some(mut stored_instance) = find(&mc.db, region, key).await? else { return Ok(None) };
    if super::progress::ignores_crm(crm_override) {
        return Ok(None);
    }
    let Err(failed) = guest_app_insts::remove_at_host(mc, region, &stored_instance).await else { return Ok(None) };
    if crm_override == Some(api::CrmOverride::IgnoreCrmErrors) {
        return Ok(None);
    }
    let txn = crate::db::begin_write(&mc.db).await?;
    if store::find_for_update(&txn, region, &APP_INSTS, key).await?.is_some() {
        stored_instance.state = Some(api::TrackedState::DeleteError);
        store::replace(&txn, region, &APP_INSTS, key, &stored(&stored_instance)).await?;
    }
    txn.commit().await?;
    let failure = refuse(format!("Encountered failures: {}", failed.message));
    Ok(Some(Stream { lines: messages(&["Deleting"]), failure: Some(failure) }))
}

/// Removes the instance stored under `key` in the caller's transaction,
/// ending its reservation of a reservable cluster; the instance removed,
/// `None` when there was none.
pub async fn remove_in(
    txn: &sea_orm::DatabaseTransaction,
    region: &str,
    key: &str,
) -> Result<Option<AppInst>, McError> {
    let Some(found) = store::find_for_update(txn, region, &APP_INSTS, key).await? else {
        return Ok(None);
    };
    let stored_instance: AppInst = super::from_json(found.object)?;
    let cluster = cluster_inst_key(&stored_instance);
    let cluster_shown = CLUSTER_INSTS.key_text(&serde_json::json!({ "key": cluster }));
    if let Some(row) = store::find_for_update(txn, region, &CLUSTER_INSTS, &cluster_shown).await? {
        let mut held: ClusterInst = super::from_json(row.object)?;
        if held.reservable == Some(true) && text(&held.reserved_by) == org_of(&stored_instance) {
            held.reserved_by = None;
            held.reservation_ended_at = Some(mc_store::go_time(Some(mc_store::now())));
            let stored_cluster = CLUSTER_INSTS.stored(&super::as_json(&held));
            store::replace(txn, region, &CLUSTER_INSTS, &cluster_shown, &stored_cluster).await?;
        }
    }
    store::remove(txn, region, &APP_INSTS, key).await?;
    Ok(Some(stored_instance))
}

/// Whether a federation partner installed the instance (MC's
/// `isProviderAppInst`): one of a host's `application/lcm` instances.
async fn made_for_partner(db: &impl sea_orm::ConnectionTrait, instance: &AppInst) -> Result<bool, McError> {
    use crate::db::entities::mc_provider_app_inst;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let key = instance.key.clone().unwrap_or_default();
    let cloudlet = cloudlet_key(instance);
    let found = mc_provider_app_inst::Entity::find()
        .filter(mc_provider_app_inst::Column::AppInstId.eq(text(&key.name)))
        .filter(mc_provider_app_inst::Column::Cloudlet.eq(text(&cloudlet.name)))
        .filter(mc_provider_app_inst::Column::CloudletOrg.eq(text(&cloudlet.organization)))
        .all(db)
        .await?;
    Ok(found.iter().any(|row| row.federation_name.eq_ignore_ascii_case(text(&key.organization))))
}

/// The instance stored under `key`, if any.
pub async fn find(db: &impl sea_orm::ConnectionTrait, region: &str, key: &str) -> Result<Option<AppInst>, McError> {
    match store::find(db, region, &APP_INSTS, key).await? {
        Some(row) => Ok(Some(super::from_json(row.object)?)),
        None => Ok(None),
    }
}

/// A create made by this MC for a federation partner (`ctrlclient`'s
/// CreateAppInst with authorization skipped), in the caller's
/// transaction: the request's checks, the deployment; the messages it
/// streamed, or why it failed.
pub async fn create_for_partner(
    mc: &Mc,
    txn: &sea_orm::DatabaseTransaction,
    caller: &McCaller,
    region: &str,
    instance: &mut AppInst,
) -> (Vec<String>, Result<(), McError>) {
    let mut lines = Vec::new();
    let outcome = match validate_new(instance).map_err(refuse) {
        Ok(()) => deploy_in(mc, txn, caller, region, instance, &mut lines, false).await.map(|_| ()),
        Err(refused) => Err(refused),
    };
    let messages = lines.into_iter().filter_map(|line| line.message).collect();
    (messages, outcome)
}

/// Refreshes one stored instance to its app's revision (`refreshAppInstInternal`).
fn refresh_one(instance: &mut AppInst, app: &App, force: bool) -> Result<Vec<&'static str>, McError> {
    if !matches!(instance.state, Some(api::TrackedState::Ready | api::TrackedState::UpdateError)) {
        return Err(refuse("AppInst is not ready or update_error"));
    }
    if instance.revision == app.revision && !force {
        return Ok(vec!["Skipped updating AppInst"]);
    }
    instance.revision = app.revision.clone();
    Ok(vec!["Updating", "fake appInst updated", "Ready", "Successfully updated AppInst"])
}

/// The updatable fields (`UpdateAppInstFieldsMap`).
const UPDATABLE: [&str; 6] =
    ["crm_override", "configs", "power_state", "real_cluster_name", "dedicated_ip", "cloudlet_flavor"];

#[async_trait::async_trait]
impl api::AppInstApi for Mc {
    async fn create_app_inst(
        &self,
        caller: McCaller,
        request: api::CreateAppInstRequest,
    ) -> Result<api::CreateAppInstResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let mut instance = instance_of(&request.body);
        let org = org_of(&instance);
        let access = DeployAccess::of(self, &caller, &region, &org, rbac::APP_INSTS).await?;
        if !access.allows(&cloudlet_key(&instance)) {
            return Err(McError::forbidden());
        }
        let cluster_org = text(&instance.cluster_key.as_ref().and_then(|k| k.organization.clone())).to_owned();
        if !cluster_org.is_empty() && cluster_org != org && cluster_org != EDGE_CLOUD_ORG && org != EDGE_CLOUD_ORG {
            return Err(McError::forbidden());
        }
        let cloudlet = cloudlet_key(&instance);
        if !text(&cloudlet.federated_organization).is_empty() {
            // A federated cloudlet takes only apps onboarded to its federation.
            let federation = text(&cloudlet.organization);
            let app = instance.app_key.clone().unwrap_or_default();
            let app = (text(&app.organization), text(&app.name), text(&app.version));
            if !crate::surfaces::mc::federation::app_onboarded(&self.db, federation, &region, app).await? {
                return Err(McError::bad_request(format!(
                    "App must be onboarded to federation {federation:?} before it can be deployed to federated cloudlet {:?}",
                    text(&cloudlet.name)
                )));
            }
        }
        validate_new(&instance).map_err(refuse)?;
        let federated = !text(&cloudlet.federated_organization).is_empty();
        let mut lines = Vec::new();
        let outcome = match deploy(self, &caller, &region, &mut instance, &mut lines, federated).await {
            Ok(deployment) if federated => deploy_at_host(self, &region, &mut instance, &deployment, &mut lines).await,
            deployed => deployed.map(|_| ()),
        };
        Ok(api::CreateAppInstResponse::Ok(ended(lines, outcome)?))
    }

    async fn delete_app_inst(
        &self,
        caller: McCaller,
        request: api::DeleteAppInstRequest,
    ) -> Result<api::DeleteAppInstResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let instance = instance_of(&request.body);
        if made_for_partner(&self.db, &instance).await? {
            return Err(refuse(
                "Cannot delete AppInst created via federation, use unsafe federation appInst delete instead",
            ));
        }
        validate_key(&instance).map_err(refuse)?;
        let key = key_text(&instance);
        // An instance on a federated cloudlet goes at the host first.
        if !text(&cloudlet_key(&instance).federated_organization).is_empty()
            && let Some(failed) = remove_at_host(self, &region, &key, instance.crm_override).await?
        {
            return Ok(api::DeleteAppInstResponse::Ok(failed));
        }
        let txn = crate::db::begin_write(&self.db).await?;
        if remove_in(&txn, &region, &key).await?.is_none() {
            return Err(super::not_found(&APP_INSTS, &key));
        }
        super::audit(self, &txn, &caller, "delete", &region, &APP_INSTS, &key).await?;
        txn.commit().await?;
        Ok(api::DeleteAppInstResponse::Ok(Stream::lines(super::progress::app_inst_deleted(instance.crm_override))))
    }

    async fn refresh_app_inst(
        &self,
        caller: McCaller,
        request: api::RefreshAppInstRequest,
    ) -> Result<api::RefreshAppInstResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let filter = instance_of(&request.body);
        let force = filter.force_update == Some(true);
        let txn = crate::db::begin_write(&self.db).await?;
        let mut out = Vec::new();
        if filter.update_multiple != Some(true) {
            validate_key(&filter)
                .map_err(|e| refuse(format!("cluster key needed without updatemultiple option: {e}")))?;
            let key = key_text(&filter);
            let Some(found) = store::find_for_update(&txn, &region, &APP_INSTS, &key).await? else {
                return Err(super::not_found(&APP_INSTS, &key));
            };
            let mut instance: AppInst = super::from_json(found.object)?;
            let app = app_of(&txn, &region, &instance).await?;
            out.extend(refresh_one(&mut instance, &app, force)?);
            store::replace(&txn, &region, &APP_INSTS, &key, &stored(&instance)).await?;
            super::audit(self, &txn, &caller, "refresh", &region, &APP_INSTS, &key).await?;
        } else {
            super::app_rules::validate_key(&filter.app_key.clone().unwrap_or_default()).map_err(refuse)?;
            let app = app_of(&txn, &region, &filter).await?;
            let mut matching = Vec::new();
            let mut pattern = super::as_json(&filter);
            if let Some(fields) = pattern.as_object_mut() {
                fields.remove("force_update");
                fields.remove("update_multiple");
            }
            for row in store::list(&txn, &region, &APP_INSTS, store::Listing::default()).await? {
                if super::object::matches(&pattern, &row.object) {
                    matching.push(row);
                }
            }
            if matching.is_empty() {
                return Err(super::not_found(&APP_INSTS, &key_text(&filter)));
            }
            let total = matching.len();
            let mut lines = vec![format!("Updating: {total} AppInsts")];
            let (mut updated, mut skipped, mut failed) = (0, 0, 0);
            for row in matching {
                let mut instance: AppInst = super::from_json(row.object)?;
                match refresh_one(&mut instance, &app, force) {
                    Ok(steps) if steps.len() == 1 => skipped += 1,
                    Ok(_) => {
                        updated += 1;
                        store::replace(&txn, &region, &APP_INSTS, &row.key, &stored(&instance)).await?;
                    }
                    Err(error) => {
                        failed += 1;
                        let key = instance.key.clone().unwrap_or_default();
                        let cloudlet = key.cloudlet_key.unwrap_or_default();
                        lines.push(format!(
                            "Failed for AppInst {}[{}], cloudlet {}[{}]: {}",
                            text(&key.name),
                            text(&key.organization),
                            text(&cloudlet.name),
                            text(&cloudlet.organization),
                            error.message
                        ));
                    }
                }
            }
            lines.push(format!(
                "Completed: {total} of {total} AppInsts.  Updated: {updated} Skipped: {skipped} Failed: {failed}"
            ));
            super::audit(
                self,
                &txn,
                &caller,
                "refresh",
                &region,
                &APP_INSTS,
                &APP.key_text(&serde_json::json!({"key": super::as_json(&filter.app_key.clone().unwrap_or_default())})),
            )
            .await?;
            txn.commit().await?;
            return Ok(api::RefreshAppInstResponse::Ok(Stream::lines(lines.iter().map(|l| message(l)).collect())));
        }
        txn.commit().await?;
        Ok(api::RefreshAppInstResponse::Ok(Stream::lines(messages(&out))))
    }

    async fn update_app_inst(
        &self,
        caller: McCaller,
        request: api::UpdateAppInstRequest,
    ) -> Result<api::UpdateAppInstResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let sent = instance_of(&request.body);
        let sent_json = super::as_json(&request.body.app_inst.clone().unwrap_or_default());
        // MC lists the key among the fields sent, so an update naming only
        // the key reaches the Controller and changes nothing.
        let fields = super::progress::sent_fields(&sent_json);
        super::progress::refuse_fixed_fields(&sent_json, &UPDATABLE)?;
        validate_key(&sent).map_err(refuse)?;
        if fields.contains("power_state") {
            if fields.len() > 1 {
                return Err(refuse("If powerstate is to be updated, then no other fields can be modified"));
            }
            if !matches!(
                sent.power_state,
                Some(api::PowerState::PowerOn | api::PowerState::PowerOff | api::PowerState::Reboot)
            ) {
                return Err(refuse("Invalid power state specified"));
            }
        }
        let key = key_text(&sent);
        let txn = crate::db::begin_write(&self.db).await?;
        let Some(found) = store::find_for_update(&txn, &region, &APP_INSTS, &key).await? else {
            return Err(super::not_found(&APP_INSTS, &key));
        };
        let before = found.object.clone();
        let mut object = found.object;
        for field in &fields {
            if let (Some(target), Some(value)) = (object.as_object_mut(), sent_json.get(field)) {
                target.insert(field.clone(), value.clone());
            }
        }
        let mut instance: AppInst = super::from_json(object)?;
        if stored(&instance) == APP_INSTS.stored(&before) {
            return Ok(api::UpdateAppInstResponse::Ok(Stream::lines(Vec::new())));
        }
        let app = app_of(&txn, &region, &instance).await?;
        if fields.contains("power_state") && text(&app.deployment) != "vm" {
            return Err(refuse("Updating powerstate is only supported for VM deployment"));
        }
        instance.updated_at = Some(mc_store::go_time(Some(mc_store::now())));
        let steps = refresh_one(&mut instance, &app, true)?;
        store::replace(&txn, &region, &APP_INSTS, &key, &stored(&instance)).await?;
        super::audit(self, &txn, &caller, "update", &region, &APP_INSTS, &key).await?;
        txn.commit().await?;
        Ok(api::UpdateAppInstResponse::Ok(Stream::lines(messages(&steps))))
    }

    async fn show_app_inst(
        &self,
        caller: McCaller,
        request: api::ShowAppInstRequest,
    ) -> Result<api::ShowAppInstResponse, McError> {
        let filter = super::as_json(&request.body.app_inst.clone().unwrap_or_default());
        let region = &request.body.region;
        let instances = cluster_inst::show_placed(self, &caller, region, &APP_INSTS, rbac::APP_INSTS, &filter).await?;
        Ok(api::ShowAppInstResponse::Ok(Stream::lines(instances)))
    }
}
