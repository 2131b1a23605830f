//! Cloudlets (`/auth/ctrl/*Cloudlet`): operators' edge sites. Steward
//! plays the regional Controller and the original's fake platforms, whose
//! CRM reports the cloudlet `Ready` at once; the steps stream as the fake
//! CRM reports them. Rules and messages are the Controller's
//! (`cloudlet_api.go`, `edgeproto.Cloudlet.Validate`) and MC's
//! (`authz_cloudlet.go`); see docs/mc-regional-wire-cloudlet.md.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::super::api::{self, Cloudlet, CloudletKey, FlavorInfo, FlavorKey, IpSupport, RegionCloudlet, TrackedState};
use super::super::caller::McCaller;
use super::super::errors::McError;
use super::super::store::text;
use super::super::{Mc, controllers, rbac, store as mc_store};
use super::autoprov_policy::AUTO_PROV_POLICY;
use super::cloudlet_aux as aux;
use super::cloudlet_pool::{CLOUDLET_POOL, pooled_cloudlets};
use super::cluster_inst::{self, CLUSTER_INSTS};
use super::flavor::{FLAVOR, valid_name};
use super::network::NETWORK;
use super::object::{KeyForm, Kind, Referrer};
use super::progress::message;
use super::store::{self, Listing};
use super::{cloudlet_access as access, cloudlet_resources as resources};
use crate::wire::{Constrained, Stream};

pub const CLOUDLET: Kind = Kind {
    name: "Cloudlet",
    noun: "Cloudlet",
    key: "/key",
    key_form: KeyForm::Json,
    org: Some("/key/organization"),
    always: &["key", "location"],
    in_use_by: &[
        Referrer {
            kind: &CLUSTER_INSTS,
            at: "/key/cloudlet_key",
            item: "",
            names: "/key",
            every: false,
            same_org: false,
            says: Some(cluster_inst::holding_cloudlet),
        },
        Referrer {
            kind: &AUTO_PROV_POLICY,
            at: "/cloudlets",
            item: "/key",
            names: "/key",
            every: true,
            same_org: false,
            says: None,
        },
        Referrer {
            kind: &CLOUDLET_POOL,
            at: "/cloudlets",
            item: "",
            names: "/key",
            every: true,
            same_org: false,
            says: None,
        },
        Referrer {
            kind: &NETWORK,
            at: "/key/cloudlet_key",
            item: "",
            names: "/key",
            every: false,
            same_org: false,
            says: None,
        },
    ],
};

/// The original's fake platforms, the only ones this Controller serves.
pub const FAKE_PLATFORMS: [&str; 3] = ["fake", "fakesinglecluster", "fakeedgebox"];
const EDGEBOX_PLATFORM: &str = "fakeedgebox";
/// The Controller's default platform flavor.
pub const DEFAULT_PLATFORM_FLAVOR: &str = "DefaultPlatformFlavor";
/// The Controller's defaults for a CRM's notify addresses.
const DEFAULT_NOTIFY_ADDRESS: &str = "127.0.0.1:0";
const DEFAULT_ALERT_THRESHOLD: i32 = 80;
/// The Controller's `-appDNSRoot` default.
pub const APP_DNS_ROOT: &str = "appdnsroot.net";
/// What the fake CRM reports while a cloudlet comes up.
const CREATE_STEPS: [&str; 6] = [
    "Creating Cloudlet",
    "Starting CRMServer",
    "Initializing platform",
    "Done initializing fake platform",
    "Gathering Cloudlet Info",
    "Created Cloudlet successfully",
];
/// The fields an update may change (`UpdateCloudletFieldsMap`), as paths
/// of the keys sent.
const UPDATABLE: [&str; 24] = [
    "location.latitude",
    "location.longitude",
    "location.altitude",
    "ip_support",
    "static_ips",
    "num_dynamic_ips",
    "time_limits",
    "crm_override",
    "notify_srv_addr",
    "env_var",
    "access_vars",
    "maintenance_state",
    "trust_policy",
    "resource_quotas",
    "default_resource_alert_threshold",
    "kafka_cluster",
    "kafka_user",
    "kafka_password",
    "gpu_config",
    "enable_default_serverless_cluster",
    "alliance_orgs",
    "single_kubernetes_cluster_owner",
    "platform_high_availability",
    "secondary_notify_srv_addr",
];
/// The quota names the fake platform knows.
const QUOTA_NAMES: [&str; 6] = ["Disk", "External IPs", "GPUs", "Instances", "RAM", "vCPUs"];

fn cloudlet_of(body: &RegionCloudlet) -> Cloudlet {
    let mut cloudlet = body.cloudlet.clone().unwrap_or_default();
    cloudlet.key.get_or_insert_with(Default::default);
    cloudlet
}

/// A cloudlet key as the Controller prints it (and stores it).
pub fn key_text(key: &CloudletKey) -> String {
    CLOUDLET.key_text(&serde_json::json!({ "key": super::as_json(key) }))
}

/// The fake platform's infrastructure flavors (`fake.go`).
pub(super) fn fake_infra_flavors() -> Vec<FlavorInfo> {
    let flavor = |name: &str, vcpus, ram, disk| FlavorInfo {
        name: Some(name.into()),
        vcpus: Some(vcpus),
        ram: Some(ram),
        disk: Some(disk),
        prop_map: None,
    };
    vec![flavor("x1.tiny", 1, 1024, 20), flavor("x1.small", 2, 4096, 40)]
}

/// `CloudletKey.ValidateKey`.
fn validate_key(cloudlet: &Cloudlet) -> Result<(), String> {
    let key = cloudlet.key.clone().unwrap_or_default();
    if !valid_name(text(&key.organization)) {
        return Err(format!("Invalid cloudlet organization name {}", text(&key.organization)));
    }
    if !valid_name(text(&key.name)) {
        return Err("Invalid cloudlet name".into());
    }
    Ok(())
}

/// `Cloudlet.Validate` for the fields given (`all`: every field). The
/// ranges of the location and the alert threshold are the spec's
/// constraints; a field not given is not there to break them.
fn validate(cloudlet: &Cloudlet, fields: &BTreeSet<String>, all: bool) -> Result<(), String> {
    validate_key(cloudlet)?;
    let given = |field: &str| all || fields.contains(field);
    if let Some(violation) = cloudlet.first_violation() {
        return Err(violation.message());
    }
    if given("maintenance_state")
        && !matches!(
            text(&cloudlet.maintenance_state),
            "" | "NormalOperation" | "MaintenanceStart" | "MaintenanceStartNoFailover"
        )
    {
        return Err("Invalid maintenance state, only normal operation and maintenance start states are allowed".into());
    }
    for quota in cloudlet.resource_quotas.iter().flatten() {
        let threshold = quota.alert_threshold.unwrap_or(0);
        if !(0..=100).contains(&threshold) {
            return Err(format!(
                "Invalid resource quota alert threshold {threshold} specified for {}, valid threshold is in the range of 0 to 100",
                text(&quota.name)
            ));
        }
    }
    Ok(())
}

fn validate_quota_names(cloudlet: &Cloudlet) -> Result<(), String> {
    for quota in cloudlet.resource_quotas.iter().flatten() {
        if !QUOTA_NAMES.contains(&text(&quota.name)) {
            return Err(format!(
                "Invalid quota name: {}, valid names are {}",
                text(&quota.name),
                QUOTA_NAMES.join(", ")
            ));
        }
    }
    Ok(())
}

/// The Controller's checks before the stream starts, in its order, with
/// its defaults filled in.
fn prepare_new(cloudlet: &mut Cloudlet, org_edgebox_only: bool) -> Result<(), String> {
    match cloudlet.ip_support {
        None | Some(IpSupport::Unknown) => cloudlet.ip_support = Some(IpSupport::Dynamic),
        Some(IpSupport::Dynamic) => {}
        Some(IpSupport::Static) => return Err("Only dynamic IPs are supported currently".into()),
    }
    if cloudlet.num_dynamic_ips.unwrap_or(0) < 1 {
        return Err("Must specify at least one dynamic public IP available".into());
    }
    let location = cloudlet.location.clone().unwrap_or_default();
    if location.latitude.unwrap_or(0.0) == 0.0 && location.longitude.unwrap_or(0.0) == 0.0 {
        return Err("Location is missing; 0,0 is not a valid location".into());
    }
    for address in [&mut cloudlet.notify_srv_addr, &mut cloudlet.secondary_notify_srv_addr] {
        if text(address).is_empty() {
            *address = Some(DEFAULT_NOTIFY_ADDRESS.into());
        }
    }
    if cloudlet.default_resource_alert_threshold.unwrap_or(0) == 0 {
        cloudlet.default_resource_alert_threshold = Some(DEFAULT_ALERT_THRESHOLD);
    }
    if cloudlet.deployment_local == Some(true) {
        return Err("Deployment type is not supported for local deployment".into());
    }
    match text(&cloudlet.deployment) {
        "" => cloudlet.deployment = Some("docker".into()),
        "docker" | "kubernetes" => {}
        _ => return Err("Invalid deployment, must be one of [docker kubernetes]".into()),
    }
    let driver = cloudlet.gpu_config.as_ref().and_then(|gpu| gpu.driver.as_ref()).map(|d| text(&d.name).to_owned());
    if driver.unwrap_or_default().is_empty() {
        cloudlet.gpu_config = None;
    }
    let platform = text(&cloudlet.platform_type).to_owned();
    if platform.is_empty() {
        return Err("Cloudlet platform type not specified".into());
    }
    if !FAKE_PLATFORMS.contains(&platform.as_str()) {
        return Err(format!("Failed to get features for platform: unknown platform {platform}"));
    }
    if org_edgebox_only {
        cloudlet.edgebox_only = Some(true);
    }
    if cloudlet.edgebox_only == Some(true) && platform != EDGEBOX_PLATFORM {
        return Err(format!("Cloudlet is restricted to edgebox only platforms; {platform} is not an edgebox platform"));
    }
    let own = text(&cloudlet.key.as_ref().and_then(|k| k.organization.clone())).to_owned();
    let mut seen = BTreeSet::new();
    for org in cloudlet.alliance_orgs.iter().flatten() {
        if *org == own {
            return Err(format!("Cannot add cloudlet's own org \"{org}\" as alliance org"));
        }
        if !seen.insert(org.clone()) {
            return Err(format!("Duplicate alliance org \"{org}\" specified"));
        }
    }
    Ok(())
}

/// The cloudlet's DNS label: `<name>-<org>` sanitized (40 and 20
/// characters), a digit appended while another cloudlet holds it.
fn dns_label(cloudlet: &Cloudlet, taken: &BTreeSet<String>) -> Result<String, String> {
    let key = cloudlet.key.clone().unwrap_or_default();
    let name: String = controllers::dns_label(text(&key.name)).chars().take(40).collect();
    let org: String = controllers::dns_label(text(&key.organization)).chars().take(20).collect();
    let base = format!("{name}-{org}");
    let free = |label: &String| !taken.contains(label) && label != "shared";
    std::iter::once(base.clone()).chain((1..=9).map(|n| format!("{base}{n}"))).find(free).ok_or_else(|| {
        format!("Unable to compute unique DNS label from base label of \"{base}\", please change key values")
    })
}

/// A cloudlet as MC shows it: the fields Go always writes present.
fn shown(mut cloudlet: Cloudlet) -> Cloudlet {
    cloudlet.key.get_or_insert_with(Default::default);
    cloudlet.location.get_or_insert_with(Default::default);
    cloudlet.time_limits.get_or_insert_with(Default::default);
    cloudlet.flavor.get_or_insert_with(Default::default);
    cloudlet.config.get_or_insert_with(|| Value::Object(Map::new()));
    cloudlet.infra_config.get_or_insert_with(Default::default);
    cloudlet.created_at.get_or_insert_with(String::new);
    cloudlet.updated_at.get_or_insert_with(String::new);
    if cloudlet.resource_quotas.as_ref().is_some_and(Vec::is_empty) {
        cloudlet.resource_quotas = None;
    }
    cloudlet.gpu_config.get_or_insert_with(Default::default).driver.get_or_insert_with(Default::default);
    cloudlet.federation_config.get_or_insert_with(Default::default);
    cloudlet.chef_client_key = None;
    cloudlet
}

/// What a developer sees of a public cloudlet (`AuthzCloudlet.Filter`).
fn reduced(cloudlet: Cloudlet) -> Cloudlet {
    Cloudlet {
        key: cloudlet.key,
        location: cloudlet.location,
        state: cloudlet.state,
        ip_support: cloudlet.ip_support,
        num_dynamic_ips: cloudlet.num_dynamic_ips,
        maintenance_state: cloudlet.maintenance_state,
        platform_type: cloudlet.platform_type,
        res_tag_map: cloudlet.res_tag_map,
        trust_policy: cloudlet.trust_policy,
        trust_policy_state: cloudlet.trust_policy_state,
        gpu_config: cloudlet.gpu_config,
        infra_flavors: cloudlet.infra_flavors,
        ..Default::default()
    }
}

/// The paths of the keys an update sends (MC's field list): nested
/// objects by their leaves (`location.latitude`), others whole.
fn sent_fields(sent: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (name, value) in sent.as_object().into_iter().flatten() {
        match value {
            Value::Null => {}
            Value::Object(inner) if name == "location" && !inner.is_empty() => {
                out.extend(inner.iter().filter(|(_, v)| !v.is_null()).map(|(leaf, _)| format!("{name}.{leaf}")));
            }
            _ => {
                out.insert(name.clone());
            }
        }
    }
    out
}

/// MC's display name of a field path: `location.horizontal_accuracy` is
/// `Location Horizontal Accuracy`.
fn display_name(path: &str) -> String {
    path.split(['.', '_'])
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// An update's field checks before the stream, in the Controller's order.
fn check_update(sent: &Cloudlet, fields: &BTreeSet<String>) -> Result<(), String> {
    let changes: Vec<&String> = fields.iter().filter(|f| *f != "key").collect();
    if fields.is_empty() {
        return Err("Nothing specified to update".into());
    }
    let fixed: Vec<String> =
        changes.iter().filter(|f| !UPDATABLE.contains(&f.as_str())).map(|f| display_name(f)).collect();
    if !fixed.is_empty() {
        return Err(format!("Specified field(s) {} cannot be modified", fixed.join(",")));
    }
    if fields.contains("num_dynamic_ips")
        && sent.num_dynamic_ips.unwrap_or(0) < 1
        && !(fields.contains("ip_support") && sent.ip_support == Some(IpSupport::Static))
    {
        return Err("Cannot specify less than one dynamic IP unless Ip Support Static is specified".into());
    }
    validate(sent, fields, false)?;
    if fields.contains("single_kubernetes_cluster_owner") {
        return Err("Changing the single kubernetes cluster owner is not supported yet".into());
    }
    Ok(())
}

/// Who sees which cloudlets, and how much of them (`authz_cloudlet.go`).
pub struct Sight {
    all: bool,
    full: BTreeSet<String>,
    developer: bool,
    /// Cloudlets in some pool (keys as stored): private to the developers
    /// a pool is shared with.
    pooled: BTreeSet<String>,
    /// The caller's developer orgs, and the pooled cloudlets granted them.
    developer_orgs: BTreeSet<String>,
    granted: BTreeSet<String>,
}

impl Sight {
    pub async fn of(mc: &Mc, caller: &McCaller) -> Result<Self, McError> {
        let rights = mc.rights(&caller.subject()).await?;
        let orgs = rights.orgs_with(rbac::CLOUDLETS, rbac::VIEW);
        let mut full = orgs.clone();
        full.extend(rights.orgs_with(rbac::CLOUDLET_POOLS, rbac::VIEW));
        let developer_orgs = rights.orgs_with(rbac::APPS, rbac::VIEW);
        let developer = !developer_orgs.is_empty();
        Ok(Self {
            all: orgs.contains(""),
            full,
            developer,
            pooled: BTreeSet::new(),
            developer_orgs,
            granted: BTreeSet::new(),
        })
    }

    /// Learns which cloudlets of `region` are in pools.
    pub async fn in_region(mut self, mc: &Mc, region: &str) -> Result<Self, McError> {
        self.pooled = pooled_cloudlets(&mc.db, region).await?;
        self.granted = super::deploy_access::granted_cloudlets(mc, region, &self.developer_orgs).await?;
        Ok(self)
    }

    /// The cloudlet as this caller sees it, if at all. (No cloudlet pools
    /// are served yet, so every cloudlet is public to developers.)
    pub fn is_admin(&self) -> bool {
        self.all
    }

    pub fn sees(&self, cloudlet: Cloudlet) -> Option<Cloudlet> {
        let key = cloudlet.key.clone().unwrap_or_default();
        let owned = |org: &Option<String>| !text(org).is_empty() && self.full.contains(text(org));
        if self.all || owned(&key.organization) || owned(&key.federated_organization) {
            return Some(shown(cloudlet));
        }
        let shown_key = key_text(&key);
        let open = !self.pooled.contains(&shown_key) || self.granted.contains(&shown_key);
        (self.developer && open).then(|| shown(reduced(cloudlet)))
    }
}

#[async_trait::async_trait]
impl api::CloudletApi for Mc {
    async fn create_cloudlet(
        &self,
        caller: McCaller,
        request: api::CreateCloudletRequest,
    ) -> Result<api::CreateCloudletResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let mut cloudlet = cloudlet_of(&request.body);
        let org = text(&cloudlet.key.as_ref().and_then(|k| k.organization.clone())).to_owned();
        let edgebox_only = mc_store::org_by_name(&self.db, &org).await?.is_some_and(|o| o.edgebox_only);
        prepare_new(&mut cloudlet, edgebox_only).map_err(McError::bad_request)?;
        let mut lines = Vec::new();
        if text(&cloudlet.physical_name).is_empty() {
            cloudlet.physical_name = cloudlet.key.as_ref().and_then(|k| k.name.clone());
            lines.push(message("Setting physicalname to match cloudlet name"));
        }
        // From here on an error ends the stream after its lines.
        match bring_up(self, &caller, &region, cloudlet).await {
            Ok(()) => {
                lines.extend(CREATE_STEPS.iter().map(|step| message(step)));
                Ok(api::CreateCloudletResponse::Ok(Stream::lines(lines)))
            }
            Err(error) if lines.is_empty() => Err(error),
            Err(error) => Ok(api::CreateCloudletResponse::Ok(Stream { lines, failure: Some(error) })),
        }
    }

    async fn delete_cloudlet(
        &self,
        caller: McCaller,
        request: api::DeleteCloudletRequest,
    ) -> Result<api::DeleteCloudletResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let cloudlet = cloudlet_of(&request.body);
        let object = super::as_json(&cloudlet);
        super::delete(self, &caller, &region, &CLOUDLET, &object, super::refuse_being_deleted(&CLOUDLET)).await?;
        let ignore_crm = matches!(
            cloudlet.crm_override,
            Some(api::CrmOverride::IgnoreCrm | api::CrmOverride::IgnoreCrmAndTransientState)
        );
        let steps: &[&str] = match ignore_crm {
            true => &["Deleted Cloudlet successfully"],
            false => &["Deleting Cloudlet", "Stopping CRMServer", "Deleted Cloudlet successfully"],
        };
        Ok(api::DeleteCloudletResponse::Ok(Stream::lines(steps.iter().map(|s| message(s)).collect())))
    }

    async fn update_cloudlet(
        &self,
        caller: McCaller,
        request: api::UpdateCloudletRequest,
    ) -> Result<api::UpdateCloudletResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let sent = cloudlet_of(&request.body);
        let sent_json = super::as_json(&request.body.cloudlet.clone().unwrap_or_default());
        let fields = sent_fields(&sent_json);
        check_update(&sent, &fields).map_err(McError::bad_request)?;
        let mut steps = Vec::new();
        let key = super::as_json(&Cloudlet { key: sent.key.clone(), ..Default::default() });
        let trust_policy = text(&sent.trust_policy).to_owned();
        super::modify(self, &caller, &region, &CLOUDLET, &key, "update", |stored| {
            let mut current: Cloudlet = super::from_json(stored.clone())?;
            if fields.contains("trust_policy") && !trust_policy.is_empty() {
                let org = text(&current.key.as_ref().and_then(|k| k.organization.clone())).to_owned();
                return Err(McError::bad_request(format!(
                    "Policy key {{\"organization\":\"{org}\",\"name\":\"{trust_policy}\"}} not found"
                )));
            }
            if let Some(driver) = gpu_driver(&sent).filter(|_| fields.contains("gpu_config")) {
                return Err(McError::bad_request(missing_gpu_driver(&current, &driver, true)));
            }
            validate_quota_names(&sent).map_err(McError::bad_request)?;
            let mut object = super::as_json(&current);
            for field in &fields {
                copy_field(&mut object, &sent_json, field);
            }
            current = super::from_json(object)?;
            if fields.contains("gpu_config") {
                // No driver: the GPU configuration is cleared.
                current.gpu_config = None;
                current.license_config_storage_path = None;
            }
            current.kafka_password = None;
            current.access_vars = None;
            if fields.contains("maintenance_state") {
                steps.extend(maintenance_steps(&mut current));
            }
            current.updated_at = Some(mc_store::go_time(Some(mc_store::now())));
            *stored = super::as_json(&current);
            Ok(())
        })
        .await?;
        steps.push("Cloudlet updated successfully");
        Ok(api::UpdateCloudletResponse::Ok(Stream::lines(steps.iter().map(|s| message(s)).collect())))
    }

    async fn show_cloudlet(
        &self,
        caller: McCaller,
        request: api::ShowCloudletRequest,
    ) -> Result<api::ShowCloudletResponse, McError> {
        let sight = Sight::of(self, &caller).await?;
        let region = super::region(self, &request.body.region).await?;
        let sight = sight.in_region(self, &region).await?;
        let filter = super::as_json(&request.body.cloudlet.clone().unwrap_or_default());
        let objects = super::show(self, &region, &CLOUDLET, &filter, &super::Visible::All).await?;
        let mut cloudlets = Vec::new();
        for object in objects {
            if let Some(cloudlet) = sight.sees(super::from_json::<Cloudlet>(object)?) {
                cloudlets.push(cloudlet);
            }
        }
        Ok(api::ShowCloudletResponse::Ok(Stream::lines(cloudlets)))
    }

    async fn add_cloudlet_alliance_org(
        &self,
        caller: McCaller,
        request: api::AddCloudletAllianceOrgRequest,
    ) -> Result<api::AddCloudletAllianceOrgResponse, McError> {
        aux::change_alliance_org(self, &caller, request.body, true).await?;
        Ok(api::AddCloudletAllianceOrgResponse::Ok(api::Result::default()))
    }

    async fn remove_cloudlet_alliance_org(
        &self,
        caller: McCaller,
        request: api::RemoveCloudletAllianceOrgRequest,
    ) -> Result<api::RemoveCloudletAllianceOrgResponse, McError> {
        aux::change_alliance_org(self, &caller, request.body, false).await?;
        Ok(api::RemoveCloudletAllianceOrgResponse::Ok(api::Result::default()))
    }

    async fn find_flavor_match(
        &self,
        _caller: McCaller,
        request: api::FindFlavorMatchRequest,
    ) -> Result<api::FindFlavorMatchResponse, McError> {
        aux::find_flavor_match(self, request.body).await.map(api::FindFlavorMatchResponse::Ok)
    }

    async fn show_flavors_for_cloudlet(
        &self,
        caller: McCaller,
        request: api::ShowFlavorsForCloudletRequest,
    ) -> Result<api::ShowFlavorsForCloudletResponse, McError> {
        let names = aux::show_flavors_for_cloudlet(self, &caller, request.body).await?;
        Ok(api::ShowFlavorsForCloudletResponse::Ok(Stream::lines(names)))
    }

    async fn get_cloudlet_props(
        &self,
        _caller: McCaller,
        request: api::GetCloudletPropsRequest,
    ) -> Result<api::GetCloudletPropsResponse, McError> {
        super::region(self, &request.body.region).await?;
        aux::cloudlet_props(request.body).map(api::GetCloudletPropsResponse::Ok)
    }

    async fn get_cloudlet_resource_quota_props(
        &self,
        _caller: McCaller,
        request: api::GetCloudletResourceQuotaPropsRequest,
    ) -> Result<api::GetCloudletResourceQuotaPropsResponse, McError> {
        super::region(self, &request.body.region).await?;
        aux::cloudlet_resource_quota_props(request.body).map(api::GetCloudletResourceQuotaPropsResponse::Ok)
    }
    async fn add_cloudlet_res_mapping(
        &self,
        caller: McCaller,
        request: api::AddCloudletResMappingRequest,
    ) -> Result<api::AddCloudletResMappingResponse, McError> {
        resources::change_res_mapping(self, &caller, request.body, true).await?;
        Ok(api::AddCloudletResMappingResponse::Ok(api::Result::default()))
    }

    async fn remove_cloudlet_res_mapping(
        &self,
        caller: McCaller,
        request: api::RemoveCloudletResMappingRequest,
    ) -> Result<api::RemoveCloudletResMappingResponse, McError> {
        resources::change_res_mapping(self, &caller, request.body, false).await?;
        Ok(api::RemoveCloudletResMappingResponse::Ok(api::Result::default()))
    }

    async fn generate_access_key(
        &self,
        caller: McCaller,
        request: api::GenerateAccessKeyRequest,
    ) -> Result<api::GenerateAccessKeyResponse, McError> {
        let private_pem = access::generate_access_key(self, &caller, request.body).await?;
        Ok(api::GenerateAccessKeyResponse::Ok(message(&private_pem)))
    }

    async fn revoke_access_key(
        &self,
        caller: McCaller,
        request: api::RevokeAccessKeyRequest,
    ) -> Result<api::RevokeAccessKeyResponse, McError> {
        access::revoke_access_key(self, &caller, request.body).await?;
        Ok(api::RevokeAccessKeyResponse::Ok(api::Result::default()))
    }

    async fn get_cloudlet_manifest(
        &self,
        caller: McCaller,
        request: api::GetCloudletManifestRequest,
    ) -> Result<api::GetCloudletManifestResponse, McError> {
        access::cloudlet_manifest(self, &caller, request.body).await.map(api::GetCloudletManifestResponse::Ok)
    }

    async fn get_cloudlet_resource_usage(
        &self,
        _caller: McCaller,
        request: api::GetCloudletResourceUsageRequest,
    ) -> Result<api::GetCloudletResourceUsageResponse, McError> {
        resources::cloudlet_resource_usage(self, request.body).await.map(api::GetCloudletResourceUsageResponse::Ok)
    }

    async fn get_cloudlet_gpu_driver_license_config(
        &self,
        _caller: McCaller,
        request: api::GetCloudletGpuDriverLicenseConfigRequest,
    ) -> Result<api::GetCloudletGpuDriverLicenseConfigResponse, McError> {
        resources::gpu_driver_license_config(self, request.body)
            .await
            .map(api::GetCloudletGpuDriverLicenseConfigResponse::Ok)
    }

    async fn get_organizations_on_cloudlet(
        &self,
        _caller: McCaller,
        request: api::GetOrganizationsOnCloudletRequest,
    ) -> Result<api::GetOrganizationsOnCloudletResponse, McError> {
        let orgs = resources::organizations_on_cloudlet(self, request.body).await?;
        Ok(api::GetOrganizationsOnCloudletResponse::Ok(Stream::lines(orgs)))
    }

    async fn show_platforms_features(
        &self,
        _caller: McCaller,
        request: api::ShowPlatformsFeaturesRequest,
    ) -> Result<api::ShowPlatformsFeaturesResponse, McError> {
        super::region(self, &request.body.region).await?;
        Ok(api::ShowPlatformsFeaturesResponse::Ok(Stream::lines(aux::platforms_features()?)))
    }
}

/// The GPU driver a cloudlet names, if any.
fn gpu_driver(cloudlet: &Cloudlet) -> Option<api::GpuDriverKey> {
    let driver = cloudlet.gpu_config.as_ref()?.driver.clone()?;
    (!text(&driver.name).is_empty()).then_some(driver)
}

/// The refusal of a GPU driver: Steward serves none (the seed has no
/// operation that makes one), so one named is another org's or missing.
/// An update prints the key as protobuf text, a create as JSON.
fn missing_gpu_driver(cloudlet: &Cloudlet, driver: &api::GpuDriverKey, update: bool) -> String {
    let own = text(&cloudlet.key.as_ref().and_then(|k| k.organization.clone())).to_owned();
    let org = text(&driver.organization);
    if !org.is_empty() && org != own {
        return format!("Can only use {own} or '' org gpu drivers");
    }
    match update {
        true => {
            let org = if org.is_empty() { String::new() } else { format!("organization:{org:?} ") };
            format!("GPU driver name:{:?} {org} not found", text(&driver.name))
        }
        false => format!("GPUDriver key {} not found", super::as_json(driver)),
    }
}

/// Copies one sent field (a top-level name or `location.<leaf>`) into the
/// stored object.
fn copy_field(object: &mut Value, sent: &Value, field: &str) {
    let (parent, leaf) = match field.split_once('.') {
        Some((parent, leaf)) => (Some(parent), leaf),
        None => (None, field),
    };
    let Some(value) = (match parent {
        Some(parent) => sent.get(parent).and_then(|p| p.get(leaf)),
        None => sent.get(leaf),
    }) else {
        return;
    };
    let Some(target) = object.as_object_mut() else { return };
    let target = match parent {
        Some(parent) => {
            let entry = target.entry(parent).or_insert_with(|| Value::Object(Map::new()));
            match entry.as_object_mut() {
                Some(inner) => inner,
                None => return,
            }
        }
        None => target,
    };
    target.insert(leaf.to_owned(), value.clone());
}

/// The fake CRM's maintenance steps (no auto-provisioning failover).
fn maintenance_steps(cloudlet: &mut Cloudlet) -> Vec<&'static str> {
    match text(&cloudlet.maintenance_state) {
        "MaintenanceStart" | "MaintenanceStartNoFailover" => {
            cloudlet.maintenance_state = Some("UnderMaintenance".into());
            vec!["Starting CRM maintenance", "CRM maintenance started", "Cloudlet is in maintenance"]
        }
        _ => {
            cloudlet.maintenance_state = None;
            vec!["Cloudlet is back to normal operation"]
        }
    }
}

/// Stores a new cloudlet as the fake CRM leaves it: `Ready`, its flavors
/// reported, its DNS names derived. One transaction: the flavor it names
/// is held, the key must be free.
async fn bring_up(mc: &Mc, caller: &McCaller, region: &str, mut cloudlet: Cloudlet) -> Result<(), McError> {
    let flavor = text(&cloudlet.flavor.as_ref().and_then(|f| f.name.clone())).to_owned();
    let flavor = if flavor.is_empty() { DEFAULT_PLATFORM_FLAVOR.to_owned() } else { flavor };
    cloudlet.flavor = Some(FlavorKey { name: Some(flavor.clone()) });
    let object = super::as_json(&cloudlet);
    let key = CLOUDLET.key_text(&object);
    let txn = crate::db::begin_write(&mc.db).await?;
    if store::find_for_update(&txn, region, &CLOUDLET, &key).await?.is_some() {
        return Err(McError::bad_request(format!("Cloudlet key {key} already exists")));
    }
    if flavor != DEFAULT_PLATFORM_FLAVOR {
        let flavor_key = FLAVOR.key_text(&serde_json::json!({"key": {"name": flavor}}));
        if store::find_for_update(&txn, region, &FLAVOR, &flavor_key).await?.is_none() {
            return Err(McError::bad_request(format!("Flavor key {flavor_key} not found")));
        }
    }
    if let Some(driver) = gpu_driver(&cloudlet) {
        return Err(McError::bad_request(missing_gpu_driver(&cloudlet, &driver, false)));
    }
    validate(&cloudlet, &BTreeSet::new(), true).map_err(McError::bad_request)?;
    validate_quota_names(&cloudlet).map_err(McError::bad_request)?;
    let labels: BTreeSet<String> = store::list(&txn, region, &CLOUDLET, Listing::default())
        .await?
        .iter()
        .filter_map(|row| row.object.get("dns_label").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let label = dns_label(&cloudlet, &labels).map_err(McError::bad_request)?;
    cloudlet.root_lb_fqdn = Some(format!("shared.{label}.{}.{APP_DNS_ROOT}", controllers::dns_label(region)));
    cloudlet.dns_label = Some(label);
    cloudlet.host_controller = Some(controllers::in_process_address(region));
    cloudlet.created_at = Some(mc_store::go_time(Some(mc_store::now())));
    cloudlet.state = Some(TrackedState::Ready);
    cloudlet.trust_policy_state = Some(TrackedState::NotPresent);
    cloudlet.infra_flavors = Some(fake_infra_flavors());
    access::keys_for_new(&mut cloudlet)?;
    cloudlet.kafka_password = None;
    cloudlet.access_vars = None;
    super::insert_new(mc, &txn, caller, region, &CLOUDLET, &super::as_json(&cloudlet)).await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_follow_mcs() {
        assert_eq!(display_name("platform_type"), "Platform Type");
        assert_eq!(display_name("location.horizontal_accuracy"), "Location Horizontal Accuracy");
        assert_eq!(display_name("vm_image_version"), "Vm Image Version");
    }

    #[test]
    fn dns_labels_take_a_digit_while_taken() {
        let cloudlet = Cloudlet {
            key: Some(api::CloudletKey {
                organization: Some("T-Mobile".into()),
                name: Some("Cell 1".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(dns_label(&cloudlet, &BTreeSet::new()), Ok("cell1-t-mobile".into()));
        let taken: BTreeSet<String> = ["cell1-t-mobile".to_owned()].into();
        assert_eq!(dns_label(&cloudlet, &taken), Ok("cell1-t-mobile1".into()));
    }

    #[test]
    fn update_fields_are_checked_in_mcs_order() {
        let fields = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        let none = Cloudlet::default();
        assert_eq!(check_update(&none, &fields(&[])), Err("Nothing specified to update".into()));
        assert_eq!(
            check_update(&none, &fields(&["key", "platform_type"])),
            Err("Specified field(s) Platform Type cannot be modified".into())
        );
        assert_eq!(
            check_update(&none, &fields(&["key", "num_dynamic_ips"])),
            Err("Cannot specify less than one dynamic IP unless Ip Support Static is specified".into())
        );
    }
}
