//! Cluster instances (`/auth/ctrl/*ClusterInst*`): a developer org's
//! clusters on cloudlets, made, changed and removed at once by the fake
//! platform, with the progress lines its CRM would stream. Rules and
//! messages are the Controller's (`clusterinst_api.go`, the fake platform's
//! `fake.go`) and MC's (`authz_cloudlet.go`, `authz_show.go`); see
//! docs/mc-regional-wire-workloads.md, sections 2 and 5.

use std::collections::BTreeSet;

use serde_json::Value;

use super::super::api::{self, ClusterInst, InfraResources, IpAccess, Liveness, RegionClusterInst, VmInfo};
use super::super::caller::McCaller;
use super::super::controllers::dns_label;
use super::super::errors::McError;
use super::super::store::{self as mc_store, text};
use super::super::{Mc, rbac};
use super::app::APP;
use super::app_inst::APP_INSTS;
use super::autoscale_policy::AUTO_SCALE_POLICY;
use super::cloudlet::{APP_DNS_ROOT, CLOUDLET, key_text as cloudlet_key_text};
use super::deploy_access::DeployAccess;
use super::flavor::{FLAVOR, valid_name};
use super::object::{KeyForm, Kind};
use super::progress::{ended, message, messages};
use super::{cloudlet_aux, store};
use crate::wire::Stream;

pub const CLUSTER_INSTS: Kind = Kind {
    name: "ClusterInst",
    noun: "ClusterInst",
    key: "/key",
    key_form: KeyForm::Json,
    org: Some("/key/cluster_key/organization"),
    always: &["key", "flavor", "resources", "created_at", "updated_at", "reservation_ended_at"],
    in_use_by: &[],
};

/// The Controller's refusal to delete a cloudlet a cluster is on.
pub fn holding_cloudlet(cluster: &Value) -> String {
    let at = |pointer: &str| cluster.pointer(pointer).and_then(Value::as_str).unwrap_or_default().to_owned();
    let name = at("/key/cluster_key/name");
    match (cluster.get("reservable").and_then(Value::as_bool), at("/reserved_by")) {
        (Some(true), reserved_by) if !reserved_by.is_empty() => {
            format!("Cloudlet in use by ClusterInst name {name}, reserved by Organization {reserved_by}")
        }
        _ => format!("Cloudlet in use by ClusterInst name {name} Organization {}", at("/key/cluster_key/organization")),
    }
}

/// The org of the platform's own clusters (`edgeproto.OrganizationEdgeCloud`).
pub const EDGE_CLOUD_ORG: &str = "edgecloudorg";
/// Operators whose fake cloudlets give every service its own IP.
const PER_SERVICE_IP_OPERATORS: [&str; 3] = ["gcp", "azure", "aws"];
const MAX_NAME: usize = 40;
const DEDICATED_LB_FLAVOR: &str = "x1.small";

fn refuse(text: impl Into<String>) -> McError {
    McError::bad_request(text.into())
}

fn cluster_of(body: &RegionClusterInst) -> ClusterInst {
    let mut cluster = body.cluster_inst.clone().unwrap_or_default();
    let key = cluster.key.get_or_insert_with(Default::default);
    key.cluster_key.get_or_insert_with(Default::default);
    key.cloudlet_key.get_or_insert_with(Default::default);
    cluster.fields = None;
    cluster
}

/// A cluster as stored and shown: the fields Go always writes present.
fn shown(mut cluster: ClusterInst) -> ClusterInst {
    cluster.flavor.get_or_insert_with(Default::default);
    cluster.resources.get_or_insert_with(Default::default);
    cluster.created_at.get_or_insert_with(String::new);
    cluster.updated_at.get_or_insert_with(String::new);
    cluster.reservation_ended_at.get_or_insert_with(String::new);
    cluster
}

fn stored(cluster: &ClusterInst) -> Value {
    CLUSTER_INSTS.stored(&super::as_json(&shown(cluster.clone())))
}

fn key_text(cluster: &ClusterInst) -> String {
    CLUSTER_INSTS.key_text(&super::as_json(cluster))
}

fn cluster_org(cluster: &ClusterInst) -> String {
    let key = cluster.key.clone().unwrap_or_default().cluster_key.unwrap_or_default();
    text(&key.organization).to_owned()
}

/// `util.ValidKubernetesName`.
fn valid_kubernetes_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || "-.".contains(c))
}

/// The create's checks of the cluster alone, in the Controller's order.
fn check_new(cluster: &mut ClusterInst) -> Result<(), String> {
    let key = cluster.key.clone().unwrap_or_default();
    let cluster_key = key.cluster_key.unwrap_or_default();
    let name = text(&cluster_key.name);
    if name.strip_prefix("reservable").is_some_and(|digits| digits.chars().all(|c| c.is_ascii_digit())) {
        return Err("Invalid cluster name, format \"reservable[digits]\" is reserved for internal use".into());
    }
    if name == "defaultclust" {
        return Err("Invalid cluster name, defaultclust is reserved for internal use".into());
    }
    cluster.auto = None;
    if !valid_kubernetes_name(name) {
        return Err("Invalid cluster name".into());
    }
    if !valid_name(text(&cluster_key.organization)) {
        return Err("Invalid cluster organization".into());
    }
    let cloudlet = key.cloudlet_key.unwrap_or_default();
    if !valid_name(text(&cloudlet.organization)) {
        return Err(format!("Invalid cloudlet organization name {}", text(&cloudlet.organization)));
    }
    if !valid_name(text(&cloudlet.name)) {
        return Err("Invalid cloudlet name".into());
    }
    let platform_org = text(&cluster_key.organization) == EDGE_CLOUD_ORG;
    if cluster.reservable == Some(true) && !platform_org {
        return Err(format!("Only {EDGE_CLOUD_ORG} ClusterInsts may be reservable"));
    }
    if cluster.multi_tenant == Some(true) && !platform_org {
        return Err(format!("Only {EDGE_CLOUD_ORG} ClusterInsts may be multi-tenant"));
    }
    let deployment = match text(&cluster.deployment) {
        "" | "helm" => "kubernetes",
        other => other,
    }
    .to_owned();
    match deployment.as_str() {
        "vm" => return Err("ClusterInst is not needed for deployment type vm, just create an AppInst directly".into()),
        _ if cluster.multi_tenant == Some(true) && deployment != "kubernetes" => {
            return Err("Multi-tenant clusters must be of deployment type Kubernetes".into());
        }
        "kubernetes" => match cluster.num_masters.unwrap_or(0) {
            0 => cluster.num_masters = Some(1),
            1 => {}
            _ => return Err("NumMasters cannot be greater than 1".into()),
        },
        "docker" => {
            if cluster.num_masters.unwrap_or(0) != 0 || cluster.num_nodes.unwrap_or(0) != 0 {
                return Err("NumMasters and NumNodes not applicable for deployment type docker".into());
            }
            if cluster.shared_volume_size.unwrap_or(0) != 0 {
                return Err("SharedVolumeSize not supported for deployment type docker".into());
            }
        }
        other => return Err(format!("Invalid deployment type {other} for ClusterInst")),
    }
    cluster.deployment = Some(deployment);
    if name.len() > MAX_NAME {
        return Err(format!("Cluster name limited to {MAX_NAME} characters"));
    }
    Ok(())
}

/// The cloudlet a cluster goes on, ready for it (`cloudletinfo_api.go`
/// `checkCloudletReady`, then the being-deleted check), its row held.
async fn ready_cloudlet(
    txn: &sea_orm::DatabaseTransaction,
    region: &str,
    cluster: &ClusterInst,
) -> Result<api::Cloudlet, McError> {
    let key = cluster.key.clone().unwrap_or_default().cloudlet_key.unwrap_or_default();
    let shown_key = cloudlet_key_text(&key);
    let Some(found) = store::find_for_update(txn, region, &CLOUDLET, &shown_key).await? else {
        return Err(super::not_found(&CLOUDLET, &shown_key));
    };
    let cloudlet: api::Cloudlet = super::from_json(found.object)?;
    if !matches!(text(&cloudlet.maintenance_state), "" | "NormalOperation") {
        return Err(refuse("Cloudlet under maintenance, please try again later"));
    }
    Ok(cloudlet)
}

/// The auto-scale policy's bounds, the node count clamped into them.
async fn clamp_to_policy(
    txn: &sea_orm::DatabaseTransaction,
    region: &str,
    cluster: &mut ClusterInst,
) -> Result<(), McError> {
    let name = text(&cluster.auto_scale_policy).to_owned();
    if name.is_empty() {
        return Ok(());
    }
    let key = serde_json::json!({"organization": cluster_org(cluster), "name": name});
    let policy = super::referenced(txn, region, &AUTO_SCALE_POLICY, &key).await?;
    let bound = |at: &str| policy.get(at).and_then(Value::as_u64).unwrap_or(0) as u32;
    let nodes = cluster.num_nodes.unwrap_or(0).clamp(bound("min_nodes"), bound("max_nodes").max(bound("min_nodes")));
    cluster.num_nodes = Some(nodes).filter(|n| *n > 0);
    Ok(())
}

/// The node and master flavors matched from the cloudlet's.
async fn match_flavors(
    txn: &sea_orm::DatabaseTransaction,
    region: &str,
    cloudlet: &api::Cloudlet,
    cluster: &mut ClusterInst,
) -> Result<(), McError> {
    let name = text(&cluster.flavor.as_ref().and_then(|f| f.name.clone())).to_owned();
    if name.is_empty() {
        return Err(refuse("No Flavor specified"));
    }
    let key = FLAVOR.key_text(&serde_json::json!({"key": {"name": name}}));
    let Some(found) = store::find_for_update(txn, region, &FLAVOR, &key).await? else {
        return Err(refuse(format!("flavor {name} not found")));
    };
    if found.object.get("delete_prepare").and_then(Value::as_bool) == Some(true) {
        return Err(refuse(format!("Flavor {key} is being deleted")));
    }
    let flavor: api::Flavor = super::from_json(found.object)?;
    let node_flavor = match cloudlet.infra_flavors.as_ref().is_none_or(Vec::is_empty) {
        true => name,
        false => cloudlet_aux::match_flavor(cloudlet, &flavor).map_err(refuse)?,
    };
    cluster.node_flavor = Some(node_flavor.clone());
    // Only kubernetes clusters have masters.
    cluster.master_node_flavor = (text(&cluster.deployment) == "kubernetes").then_some(node_flavor);
    Ok(())
}

/// The IP access default, and the line the Controller streams for it.
fn default_ip_access(cluster: &mut ClusterInst, operator: &str) -> Result<Option<&'static str>, McError> {
    let deployment = text(&cluster.deployment).to_owned();
    let given = cluster.ip_access.filter(|a| *a != IpAccess::Unknown);
    if PER_SERVICE_IP_OPERATORS.contains(&operator) {
        return match given {
            None => {
                cluster.ip_access = Some(IpAccess::Dedicated);
                Ok(Some("Defaulting IpAccess to IpAccessDedicated for platform: fake"))
            }
            Some(IpAccess::Shared) => Err(refuse("IpAccessShared not supported for platform: fake")),
            Some(_) => Ok(None),
        };
    }
    if given.is_some() {
        return Ok(None);
    }
    // The docker default says Dedicated and sets Shared, as the original does.
    cluster.ip_access = Some(IpAccess::Shared);
    Ok(Some(match deployment.as_str() {
        "docker" => "Defaulting IpAccess to IpAccessDedicated for deployment docker",
        _ => "Defaulting IpAccess to IpAccessShared for deployment kubernetes",
    }))
}

/// The objects of `kind` on a cloudlet (`cloudlet` its key as JSON), which
/// the key of clusters and app instances ends with: read by that suffix,
/// not by every object of the region.
pub async fn on_cloudlet(
    txn: &sea_orm::DatabaseTransaction,
    region: &str,
    kind: &Kind,
    cloudlet: &Value,
) -> Result<Vec<store::Stored>, McError> {
    let suffix = format!("\"cloudlet_key\":{}}}", super::object::without_zeros(cloudlet));
    let listing = store::Listing { key_ends_with: Some(&suffix), ..Default::default() };
    let rows = store::list(txn, region, kind, listing).await?;
    let wanted = super::object::without_zeros(cloudlet);
    Ok(rows
        .into_iter()
        .filter(|row| row.object.pointer("/key/cloudlet_key").map(super::object::without_zeros) == Some(wanted.clone()))
        .collect())
}

/// The DNS labels clusters and app instances hold on a cloudlet (one
/// namespace, as the Controller's `dnsLabelStore` keeps it).
pub async fn dns_labels_on(
    txn: &sea_orm::DatabaseTransaction,
    region: &str,
    cloudlet: &Value,
) -> Result<BTreeSet<String>, McError> {
    let mut taken = BTreeSet::new();
    for kind in [&CLUSTER_INSTS, &APP_INSTS] {
        for row in on_cloudlet(txn, region, kind, cloudlet).await? {
            taken.extend(row.object.get("dns_label").and_then(Value::as_str).map(str::to_owned));
        }
    }
    Ok(taken)
}

/// The DNS label: `<name>-<org>` sanitized (40 and 20 characters), a digit
/// appended while another cluster on the cloudlet holds it.
fn cluster_dns_label(cluster: &ClusterInst, taken: &BTreeSet<String>) -> Result<String, McError> {
    let key = cluster.key.clone().unwrap_or_default().cluster_key.unwrap_or_default();
    let name: String = dns_label(text(&key.name)).chars().take(40).collect();
    let org: String = dns_label(text(&key.organization)).chars().take(20).collect();
    let base = format!("{name}-{org}");
    let free = |label: &String| !taken.contains(label) && label != "shared";
    std::iter::once(base.clone()).chain((1..=9).map(|n| format!("{base}{n}"))).find(free).ok_or_else(|| {
        refuse(format!("Unable to compute unique DNS label from base label of \"{base}\", please change key values"))
    })
}

/// `k8smgmt.GetK8sNodeNameSuffix`.
fn vm_suffix(cluster: &ClusterInst) -> String {
    let key = cluster.key.clone().unwrap_or_default();
    let (cloudlet, cluster_key) = (key.cloudlet_key.unwrap_or_default(), key.cluster_key.unwrap_or_default());
    let org = text(&cluster_key.organization);
    let joined = match org.is_empty() {
        true => format!("{}-{}", text(&cloudlet.name), text(&cluster_key.name)),
        false => format!("{}-{}-{org}", text(&cloudlet.name), text(&cluster_key.name)),
    };
    joined
        .chars()
        .filter(|c| !" &,!".contains(*c))
        .map(|c| if c == '_' { '-' } else { c })
        .collect::<String>()
        .to_lowercase()
}

fn vm(name: String, kind: &str, flavor: &str) -> VmInfo {
    VmInfo {
        name: Some(name),
        r#type: Some(kind.to_owned()),
        status: Some("ACTIVE".into()),
        infra_flavor: Some(flavor.to_owned()).filter(|f| !f.is_empty()),
        ipaddresses: None,
        containers: None,
    }
}

/// The fake platform's VMs after a create or an update: those kept, then
/// the nodes and masters added.
fn fake_vms(cluster: &ClusterInst, before: &[VmInfo]) -> Vec<VmInfo> {
    let suffix = vm_suffix(cluster);
    let wanted = |prefix: &str, count: u32| -> Vec<String> {
        (1..=count).map(|i| format!("fake-{prefix}-{i}-{suffix}")).collect()
    };
    let masters = wanted("master", cluster.num_masters.unwrap_or(0));
    let nodes = wanted("node", cluster.num_nodes.unwrap_or(0));
    let name = |vm: &VmInfo| text(&vm.name).to_owned();
    let mut vms: Vec<VmInfo> = before
        .iter()
        .filter(|vm| match text(&vm.r#type) {
            "k8s-cluster-master" => masters.contains(&name(vm)),
            "k8s-cluster-node" => nodes.contains(&name(vm)),
            _ => true,
        })
        .cloned()
        .collect();
    let kept: BTreeSet<String> = vms.iter().map(name).collect();
    let master_flavor = text(&cluster.master_node_flavor).to_owned();
    let node_flavor = text(&cluster.node_flavor).to_owned();
    vms.extend(masters.into_iter().filter(|n| !kept.contains(n)).map(|n| vm(n, "k8s-cluster-master", &master_flavor)));
    vms.extend(nodes.into_iter().filter(|n| !kept.contains(n)).map(|n| vm(n, "k8s-cluster-node", &node_flavor)));
    if before.is_empty() && cluster.ip_access == Some(IpAccess::Dedicated) {
        vms.push(vm(text(&cluster.fqdn).to_owned(), "dedicatedrootlb", DEDICATED_LB_FLAVOR));
    }
    vms
}

/// Everything the create does once the first line may have been sent.
async fn bring_up(
    mc: &Mc,
    caller: &McCaller,
    region: &str,
    cluster: &mut ClusterInst,
    lines: &mut Vec<api::Result>,
) -> Result<(), McError> {
    let txn = crate::db::begin_write(&mc.db).await?;
    create_in(mc, &txn, caller, region, cluster, lines).await?;
    txn.commit().await?;
    Ok(())
}

/// The Controller's `createClusterInstInternal` inside the caller's
/// transaction (an app instance makes its auto-cluster this way): the
/// cluster stored `Ready`, the fake platform's lines added.
pub async fn create_in(
    mc: &Mc,
    txn: &sea_orm::DatabaseTransaction,
    caller: &McCaller,
    region: &str,
    cluster: &mut ClusterInst,
    lines: &mut Vec<api::Result>,
) -> Result<(), McError> {
    let cloudlet = ready_cloudlet(txn, region, cluster).await?;
    let key = key_text(cluster);
    if store::find_for_update(txn, region, &CLUSTER_INSTS, &key).await?.is_some() {
        return Err(super::already_exists(&CLUSTER_INSTS, &key));
    }
    cluster.liveness.get_or_insert(Liveness::Static);
    if cloudlet.delete_prepare == Some(true) {
        return Err(refuse(format!(
            "Cloudlet {} is being deleted",
            cloudlet_key_text(&cloudlet.key.clone().unwrap_or_default())
        )));
    }
    clamp_to_policy(txn, region, cluster).await?;
    if cluster.multi_tenant == Some(true) {
        return Err(refuse("Cloudlet does not support multi-tenant Clusters"));
    }
    match_flavors(txn, region, &cloudlet, cluster).await?;
    let operator = text(&cloudlet.key.as_ref().and_then(|k| k.organization.clone())).to_owned();
    lines.extend(default_ip_access(cluster, &operator)?.map(message));
    if cluster.ip_access == Some(IpAccess::Dedicated) {
        cluster.allocated_ip = Some("dynamic".into());
    }
    let cloudlet_key = cluster.key.clone().unwrap_or_default().cloudlet_key.unwrap_or_default();
    let taken = dns_labels_on(txn, region, &super::as_json(&cloudlet_key)).await?;
    let label = cluster_dns_label(cluster, &taken)?;
    cluster.fqdn = Some(format!(
        "{label}.{}.{}.{APP_DNS_ROOT}",
        text(&cloudlet.dns_label),
        dns_label(region).chars().take(63).collect::<String>()
    ));
    cluster.dns_label = Some(label);
    cluster.created_at = Some(mc_store::go_time(Some(mc_store::now())));
    if cluster.reservable == Some(true) {
        cluster.reservation_ended_at = cluster.created_at.clone();
    }
    let ignore_crm = super::progress::ignores_crm(cluster.crm_override);
    if !ignore_crm {
        cluster.resources = Some(InfraResources { vms: Some(fake_vms(cluster, &[])) });
    }
    cluster.state = Some(api::TrackedState::Ready);
    super::insert_new(mc, txn, caller, region, &CLUSTER_INSTS, &stored(cluster)).await?;
    if !ignore_crm {
        lines.extend(messages(&[
            "Creating",
            "First Create Task",
            "Second Create Task",
            "Getting Cluster Infra Resources",
            "Ready",
            "Created ClusterInst successfully",
        ]));
    }
    Ok(())
}

/// The updatable fields (`UpdateClusterInstFieldsMap`).
const UPDATABLE: [&str; 5] =
    ["crm_override", "num_nodes", "auto_scale_policy", "skip_crm_cleanup_on_failure", "multi_tenant"];

/// Who sees which clusters (MC's `newShowPoolAuthz`): admins all, the
/// clusters of the caller's orgs, and those on their pools' cloudlets.
pub struct InstanceSight {
    all: bool,
    orgs: BTreeSet<String>,
    pool_cloudlets: BTreeSet<String>,
}

impl InstanceSight {
    pub async fn of(mc: &Mc, caller: &McCaller, region: &str, resource: &str) -> Result<Self, McError> {
        let rights = mc.rights(&caller.subject()).await?;
        let orgs = rights.orgs_with(resource, rbac::VIEW);
        if orgs.contains("") {
            return Ok(Self { all: true, orgs, pool_cloudlets: BTreeSet::new() });
        }
        let pool_orgs = rights.orgs_with(rbac::CLOUDLET_POOLS, rbac::VIEW);
        let pool_cloudlets = super::cloudlet_pool::cloudlets_of_pools(&mc.db, region, &pool_orgs).await?;
        if orgs.is_empty() && pool_cloudlets.is_empty() {
            return Err(McError::forbidden());
        }
        Ok(Self { all: false, orgs, pool_cloudlets })
    }

    /// Whether the instance owned by `org` on `cloudlet` (its key) shows.
    pub fn sees(&self, org: &str, cloudlet: &Value) -> bool {
        self.all
            || self.orgs.contains(org)
            || self.pool_cloudlets.contains(&CLOUDLET.key_text(&serde_json::json!({ "key": cloudlet })))
    }
}

/// MC's instance shows: the region, the caller's sight in it, then the
/// objects of `kind` matching `filter` that the sight lets them see.
pub async fn show_placed<T: poem_openapi::types::ParseFromJSON>(
    mc: &Mc,
    caller: &McCaller,
    region: &Option<String>,
    kind: &Kind,
    resource: &str,
    filter: &Value,
) -> Result<Vec<T>, McError> {
    let region = super::region(mc, region).await?;
    let sight = InstanceSight::of(mc, caller, &region, resource).await?;
    let objects = super::show(mc, &region, kind, filter, &super::Visible::All).await?;
    objects
        .into_iter()
        .filter(|o| sight.sees(&kind.org_of(o), o.pointer("/key/cloudlet_key").unwrap_or(&Value::Null)))
        .map(super::from_json::<T>)
        .collect()
}

#[async_trait::async_trait]
impl api::ClusterInstApi for Mc {
    async fn create_cluster_inst(
        &self,
        caller: McCaller,
        request: api::CreateClusterInstRequest,
    ) -> Result<api::CreateClusterInstResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let mut cluster = cluster_of(&request.body);
        let access = DeployAccess::of(self, &caller, &region, &cluster_org(&cluster), rbac::CLUSTER_INSTS).await?;
        if !access.allows(&cluster.key.clone().unwrap_or_default().cloudlet_key.unwrap_or_default()) {
            return Err(McError::forbidden());
        }
        check_new(&mut cluster).map_err(refuse)?;
        let mut lines = Vec::new();
        let outcome = bring_up(self, &caller, &region, &mut cluster, &mut lines).await;
        Ok(api::CreateClusterInstResponse::Ok(ended(lines, outcome)?))
    }

    async fn delete_cluster_inst(
        &self,
        caller: McCaller,
        request: api::DeleteClusterInstRequest,
    ) -> Result<api::DeleteClusterInstResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let cluster = cluster_of(&request.body);
        let key = key_text(&cluster);
        let key_value = super::as_json(&cluster.key.clone().unwrap_or_default());
        let txn = crate::db::begin_write(&self.db).await?;
        let Some(found) = store::find_for_update(&txn, &region, &CLUSTER_INSTS, &key).await? else {
            return Err(super::not_found(&CLUSTER_INSTS, &key));
        };
        super::refuse_being_deleted(&CLUSTER_INSTS)(&found.object)?;
        let stored_cluster: ClusterInst = super::from_json(found.object)?;
        let cluster_key =
            super::as_json(&stored_cluster.key.clone().unwrap_or_default().cluster_key.unwrap_or_default());
        let cloudlet = key_value.get("cloudlet_key").cloned().unwrap_or_default();
        let on_it: Vec<store::Stored> = on_cloudlet(&txn, &region, &APP_INSTS, &cloudlet)
            .await?
            .into_iter()
            .filter(|row| row.object.get("cluster_key") == Some(&cluster_key))
            .collect();
        // Instances the platform made, or of apps deleted with their last
        // instance, go with the cluster (`isAutoDeleteAppInstOk`).
        let mut out = Vec::new();
        for instance in &on_it {
            let app_key = APP.key_text(&serde_json::json!({"key": instance.object.get("app_key")}));
            let app = store::find_for_update(&txn, &region, &APP, &app_key).await?;
            let auto_delete =
                app.is_some_and(|a| a.object.get("del_opt").and_then(Value::as_str) == Some("AutoDelete"));
            if !auto_delete && instance.object.get("liveness").and_then(Value::as_str) != Some("Dynamic") {
                return Err(refuse(format!("ClusterInst in use by AppInst {}", instance.key)));
            }
            let name = instance.object.pointer("/key/name").and_then(Value::as_str).unwrap_or_default();
            out.push(message(&format!("Autodeleting AppInst {name}")));
            out.extend(super::progress::app_inst_deleted(cluster.crm_override));
            store::remove(&txn, &region, &APP_INSTS, &instance.key).await?;
        }
        store::remove(&txn, &region, &CLUSTER_INSTS, &key).await?;
        super::audit(self, &txn, &caller, "delete", &region, &CLUSTER_INSTS, &key).await?;
        txn.commit().await?;
        if !super::progress::ignores_crm(cluster.crm_override) {
            out.extend(messages(&[
                "Deleting",
                "First Delete Task",
                "Second Delete Task",
                "DeleteDone",
                "NotPresent",
                "Deleted ClusterInst successfully",
            ]));
        }
        Ok(api::DeleteClusterInstResponse::Ok(Stream::lines(out)))
    }

    async fn update_cluster_inst(
        &self,
        caller: McCaller,
        request: api::UpdateClusterInstRequest,
    ) -> Result<api::UpdateClusterInstResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let sent = cluster_of(&request.body);
        let sent_json = super::as_json(&request.body.cluster_inst.clone().unwrap_or_default());
        // MC lists the key among the fields sent, so an update naming only
        // the key reaches the Controller and changes nothing.
        let fields = super::progress::sent_fields(&sent_json);
        super::progress::refuse_fixed_fields(&sent_json, &UPDATABLE)?;
        let key = key_text(&sent);
        let txn = crate::db::begin_write(&self.db).await?;
        let Some(found) = store::find_for_update(&txn, &region, &CLUSTER_INSTS, &key).await? else {
            return Err(super::not_found(&CLUSTER_INSTS, &key));
        };
        let mut cluster: ClusterInst = super::from_json(found.object.clone())?;
        if cluster.num_masters.unwrap_or(0) == 0 {
            return Err(refuse("Cannot modify single node clusters"));
        }
        if fields.contains("auto_scale_policy")
            && !text(&sent.auto_scale_policy).is_empty()
            && text(&cluster.deployment) != "kubernetes"
        {
            return Err(refuse("Cannot add auto scale policy to non-kubernetes ClusterInst"));
        }
        ready_cloudlet(&txn, &region, &cluster).await?;
        let before = stored(&cluster);
        let mut object = super::as_json(&cluster);
        for field in &fields {
            if let (Some(target), Some(value)) = (object.as_object_mut(), sent_json.get(field)) {
                target.insert(field.clone(), value.clone());
            }
        }
        cluster = super::from_json(object)?;
        clamp_to_policy(&txn, &region, &mut cluster).await?;
        if stored(&cluster) == before {
            return Ok(api::UpdateClusterInstResponse::Ok(Stream::lines(Vec::new())));
        }
        let vms = cluster.resources.clone().unwrap_or_default().vms.unwrap_or_default();
        cluster.resources = Some(InfraResources { vms: Some(fake_vms(&cluster, &vms)) });
        cluster.updated_at = Some(mc_store::go_time(Some(mc_store::now())));
        store::replace(&txn, &region, &CLUSTER_INSTS, &key, &stored(&cluster)).await?;
        super::audit(self, &txn, &caller, "update", &region, &CLUSTER_INSTS, &key).await?;
        txn.commit().await?;
        Ok(api::UpdateClusterInstResponse::Ok(Stream::lines(messages(&[
            "Updating",
            "Updating Cluster Inst",
            "Getting Cluster Infra Resources",
            "Ready",
            "Updated ClusterInst successfully",
        ]))))
    }

    async fn show_cluster_inst(
        &self,
        caller: McCaller,
        request: api::ShowClusterInstRequest,
    ) -> Result<api::ShowClusterInstResponse, McError> {
        let filter = super::as_json(&request.body.cluster_inst.clone().unwrap_or_default());
        let region = &request.body.region;
        let clusters = show_placed(self, &caller, region, &CLUSTER_INSTS, rbac::CLUSTER_INSTS, &filter).await?;
        Ok(api::ShowClusterInstResponse::Ok(Stream::lines(clusters)))
    }

    async fn delete_idle_reservable_cluster_insts(
        &self,
        caller: McCaller,
        request: api::DeleteIdleReservableClusterInstsRequest,
    ) -> Result<api::DeleteIdleReservableClusterInstsResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let idle = request.body.idle_reservable_cluster_insts.and_then(|i| i.idle_time).unwrap_or_default();
        let idle = match idle.is_empty() {
            true => 0,
            false => super::app_rules::parse_duration(&idle).map_err(refuse)?,
        };
        let cutoff = mc_store::now() - time::Duration::nanoseconds(i64::try_from(idle).unwrap_or(i64::MAX));
        let txn = crate::db::begin_write(&self.db).await?;
        for row in store::list(&txn, &region, &CLUSTER_INSTS, store::Listing::default()).await? {
            let cluster: ClusterInst = super::from_json(row.object)?;
            let ended = text(&cluster.reservation_ended_at);
            let idle_since = time::OffsetDateTime::parse(ended, &time::format_description::well_known::Rfc3339).ok();
            let idle_long = idle_since.is_some_and(|at| at < cutoff);
            if cluster.auto == Some(true)
                && cluster.reservable == Some(true)
                && text(&cluster.reserved_by).is_empty()
                && idle_long
            {
                store::remove(&txn, &region, &CLUSTER_INSTS, &row.key).await?;
                super::audit(self, &txn, &caller, "delete idle", &region, &CLUSTER_INSTS, &row.key).await?;
            }
        }
        txn.commit().await?;
        Ok(api::DeleteIdleReservableClusterInstsResponse::Ok(message("Delete done")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(name: &str, org: &str) -> ClusterInst {
        ClusterInst {
            key: Some(api::ClusterInstKey {
                cluster_key: Some(api::ClusterKey { name: Some(name.into()), organization: Some(org.into()) }),
                cloudlet_key: Some(api::CloudletKey {
                    organization: Some("op".into()),
                    name: Some("cl1".into()),
                    ..Default::default()
                }),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn new_clusters_are_checked_and_defaulted_in_the_controllers_order() {
        let mut c = cluster("c1", "dev");
        assert_eq!(check_new(&mut c), Ok(()));
        assert_eq!((c.deployment.as_deref(), c.num_masters), (Some("kubernetes"), Some(1)));
        let refused = |name: &str, org: &str| check_new(&mut cluster(name, org)).err();
        assert_eq!(
            refused("reservable7", "dev").as_deref(),
            Some("Invalid cluster name, format \"reservable[digits]\" is reserved for internal use")
        );
        assert_eq!(
            refused("defaultclust", "dev").as_deref(),
            Some("Invalid cluster name, defaultclust is reserved for internal use")
        );
        assert_eq!(refused("c_1", "dev").as_deref(), Some("Invalid cluster name"));
        assert_eq!(refused("c1", "").as_deref(), Some("Invalid cluster organization"));
        assert_eq!(refused(&"c".repeat(41), "dev").as_deref(), Some("Cluster name limited to 40 characters"));
        let mut docker = cluster("c1", "dev");
        docker.deployment = Some("docker".into());
        docker.num_nodes = Some(1);
        assert_eq!(
            check_new(&mut docker).err().as_deref(),
            Some("NumMasters and NumNodes not applicable for deployment type docker")
        );
        let mut reservable = cluster("c1", "dev");
        reservable.reservable = Some(true);
        assert_eq!(
            check_new(&mut reservable).err().as_deref(),
            Some("Only edgecloudorg ClusterInsts may be reservable")
        );
    }

    #[test]
    fn fake_vms_follow_the_node_count() {
        let mut c = cluster("c1", "Dev_Org");
        c.num_masters = Some(1);
        c.num_nodes = Some(2);
        c.node_flavor = Some("x1.small".into());
        c.master_node_flavor = Some("x1.small".into());
        let vms = fake_vms(&c, &[]);
        let names: Vec<String> = vms.iter().map(|v| text(&v.name).to_owned()).collect();
        assert_eq!(names, ["fake-master-1-cl1-c1-dev-org", "fake-node-1-cl1-c1-dev-org", "fake-node-2-cl1-c1-dev-org"]);
        c.num_nodes = Some(3);
        let grown: Vec<String> = fake_vms(&c, &vms).iter().map(|v| text(&v.name).to_owned()).collect();
        assert_eq!(grown.last().map(String::as_str), Some("fake-node-3-cl1-c1-dev-org"));
        c.num_nodes = Some(1);
        assert_eq!(fake_vms(&c, &vms).len(), 2);
    }
}
