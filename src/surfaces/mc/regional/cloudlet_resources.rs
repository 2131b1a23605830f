//! What a cloudlet's resources hold: its optional resource mapping
//! (`Add/RemoveCloudletResMapping`), its resource usage, its GPU driver's
//! license, and the organizations running instances on it. Rules and
//! messages are the Controller's (`cloudlet_api.go`, `restagtable_api.go`);
//! see docs/mc-regional-wire-cloudlet-aux.md.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::super::Mc;
use super::super::api::{self, Cloudlet, CloudletKey, FlavorInfo, InfraResource};
use super::super::caller::McCaller;
use super::super::errors::McError;
use super::super::store::text;
use super::app_inst::APP_INSTS;
use super::cloudlet::{CLOUDLET, key_text};
use super::cluster_inst::CLUSTER_INSTS;
use super::object::{Kind, matches, without_zeros};
use super::store::{self, Listing};

/// The optional resources a flavor can ask for (`edgeproto.OptResNames`).
const OPTIONAL_RESOURCES: [&str; 3] = ["gpu", "nas", "nic"];

/// `ResTagTableApi.ValidateResName`.
fn valid_resource_name(name: &str) -> Result<(), McError> {
    match OPTIONAL_RESOURCES.contains(&name.to_lowercase().as_str()) {
        true => Ok(()),
        false => Err(McError::bad_request(format!(
            "Invalid resource name {name} found, must be one of [{}] ",
            OPTIONAL_RESOURCES.join(" ")
        ))),
    }
}

/// Maps (`add`) or unmaps a cloudlet's optional resources.
pub async fn change_res_mapping(
    mc: &Mc,
    caller: &McCaller,
    body: api::RegionCloudletResMap,
    add: bool,
) -> Result<(), McError> {
    let region = super::region(mc, &body.region).await?;
    let request = body.cloudlet_res_map.unwrap_or_default();
    let key = super::as_json(&Cloudlet { key: Some(request.key.unwrap_or_default()), ..Default::default() });
    let mapping: BTreeMap<String, String> = request.mapping.unwrap_or_default().into_iter().collect();
    let action = if add { "map resources of" } else { "unmap resources of" };
    super::modify(mc, caller, &region, &CLOUDLET, &key, action, |stored| {
        if !add {
            if let Some(Value::Object(map)) = stored.get_mut("res_tag_map") {
                mapping.keys().for_each(|name| drop(map.remove(name)));
            }
            return Ok(());
        }
        if stored.get("delete_prepare").and_then(Value::as_bool) == Some(true) {
            return Err(McError::bad_request(format!("Cloudlet {} is being deleted", CLOUDLET.key_text(stored))));
        }
        let org = CLOUDLET.org_of(stored);
        // Steward serves no resource tag tables (the seed has no operation
        // that makes one), so the first table named is missing.
        match mapping.iter().next() {
            Some((name, table)) => {
                valid_resource_name(name)?;
                let table_key = without_zeros(&serde_json::json!({"name": table, "organization": org}));
                Err(McError::bad_request(format!("ResTagTable key {table_key} not found")))
            }
            None => Ok(()),
        }
    })
    .await
}

/// A cloudlet, read (not held), or `missing` when there is none.
async fn stored_cloudlet(mc: &Mc, region: &str, key: &CloudletKey, missing: McError) -> Result<Cloudlet, McError> {
    let key = key_text(key);
    let found = store::list(&mc.db, region, &CLOUDLET, Listing { key: Some(&key), ..Default::default() }).await?;
    match found.into_iter().next() {
        Some(row) => super::from_json(row.object),
        None => Err(missing),
    }
}

pub async fn gpu_driver_license_config(mc: &Mc, body: api::RegionCloudletKey) -> Result<api::Result, McError> {
    let region = super::region(mc, &body.region).await?;
    let key = body.cloudlet_key.unwrap_or_default();
    let missing = super::not_found(&CLOUDLET, &key_text(&key));
    let cloudlet = stored_cloudlet(mc, &region, &key, missing).await?;
    let driver = cloudlet.gpu_config.and_then(|gpu| gpu.driver).unwrap_or_default();
    if text(&driver.name).is_empty() {
        return Err(McError::bad_request("Cloudlet is not associated with any GPU driver"));
    }
    if text(&cloudlet.license_config_storage_path).is_empty() {
        return Err(McError::bad_request("Cloudlet license config storage path is empty"));
    }
    // A cloudlet can only name a GPU driver that exists, and Steward
    // serves none (the seed has no operation that makes one).
    let driver_key = without_zeros(&serde_json::json!({"name": driver.name, "organization": driver.organization}));
    Err(McError::bad_request(format!("GPUDriver key {driver_key} not found")))
}

/// A VM the cloudlet runs, as resource usage counts it.
struct Vm {
    flavor: FlavorInfo,
    /// Load balancer and platform VMs each hold an external IP.
    external_ip: bool,
}

/// The fake CRM's own VMs (`GetCloudletInfraResources`): the platform VM
/// and the dedicated root LB, both `x1.small`.
fn platform_vms(cloudlet: &Cloudlet) -> Vec<Vm> {
    let small = cloudlet.infra_flavors.iter().flatten().find(|f| text(&f.name) == "x1.small").cloned();
    small
        .into_iter()
        .flat_map(|flavor| [Vm { flavor: flavor.clone(), external_ip: true }, Vm { flavor, external_ip: true }])
        .collect()
}

/// The fake infrastructure's report (`GetCloudletInfraResources`): its
/// limits (`UpdateResourcesMax`) and what its VMs use.
fn infra_snapshot(vms: &[Vm]) -> Vec<InfraResource> {
    let sum = |of: fn(&FlavorInfo) -> u64| vms.iter().map(|vm| of(&vm.flavor)).sum::<u64>();
    let resource = |name: &str, value: u64, max: u64, units: &str| InfraResource {
        name: Some(name.into()),
        value: Some(value),
        infra_max_value: Some(max),
        units: Some(units.into()),
        ..Default::default()
    };
    vec![
        resource("RAM", sum(|f| f.ram.unwrap_or(0)), 40960, "MB"),
        resource("vCPUs", sum(|f| f.vcpus.unwrap_or(0)), 50, ""),
        // The fake CRM counts one address for its two platform VMs.
        resource("External IPs", 1, 30, ""),
        resource("Instances", vms.len() as u64, 0, ""),
    ]
}

/// The fake infrastructure's limit on a resource (`InfraMaxValue`; 0 when
/// it reports none).
pub fn infra_max(name: &str) -> u64 {
    infra_snapshot(&[]).into_iter().find(|r| text(&r.name) == name).and_then(|r| r.infra_max_value).unwrap_or(0)
}

/// The limits a cloudlet sets on a resource: its quota, and the alert
/// threshold (the quota's, else the cloudlet's default).
fn limits(cloudlet: &Cloudlet, name: &str) -> (u64, i32) {
    let quota = cloudlet.resource_quotas.iter().flatten().find(|q| text(&q.name) == name);
    let max = quota.and_then(|q| q.value).unwrap_or(0);
    let threshold = quota.and_then(|q| q.alert_threshold).filter(|t| *t > 0);
    (max, threshold.unwrap_or(cloudlet.default_resource_alert_threshold.unwrap_or(0)))
}

/// What `vms` use (`GetCloudletResourceInfo`), each resource carrying the
/// infrastructure's and the quota's limits.
fn used_by(
    cloudlet: &Cloudlet,
    vms: &[Vm],
    infra: &BTreeMap<String, InfraResource>,
) -> BTreeMap<String, InfraResource> {
    let counted: [(&str, &str, u64); 6] = [
        ("RAM", "MB", vms.iter().map(|vm| vm.flavor.ram.unwrap_or(0)).sum()),
        ("vCPUs", "", vms.iter().map(|vm| vm.flavor.vcpus.unwrap_or(0)).sum()),
        ("Disk", "", vms.iter().map(|vm| vm.flavor.disk.unwrap_or(0)).sum()),
        // A VM uses a GPU through the cloudlet's resource tag tables, and
        // Steward serves none (the seed has no operation that makes one).
        ("GPUs", "", 0),
        ("External IPs", "", vms.iter().filter(|vm| vm.external_ip).count() as u64),
        // The fake platform's own resource (`GetClusterAdditionalResources`).
        ("Instances", "", vms.len() as u64),
    ];
    counted
        .into_iter()
        .map(|(name, units, value)| {
            let (quota, threshold) = limits(cloudlet, name);
            let infra_max = infra.get(name).and_then(|r| r.infra_max_value).unwrap_or(0);
            let resource = InfraResource {
                name: Some(name.into()),
                value: Some(value),
                infra_max_value: Some(infra_max),
                quota_max_value: Some(quota),
                units: Some(units.into()),
                alert_threshold: Some(threshold),
                ..Default::default()
            };
            (name.to_owned(), resource)
        })
        .collect()
}

/// `GetResourceUsage`: the infrastructure's report (its values kept only
/// for `infra_usage`) plus what `vms` use, sorted by name.
fn resource_usage(cloudlet: &Cloudlet, infra: Vec<InfraResource>, vms: &[Vm], infra_usage: bool) -> Vec<InfraResource> {
    let mut merged: BTreeMap<String, InfraResource> = infra
        .into_iter()
        .map(|mut resource| {
            let name = text(&resource.name).to_owned();
            let (quota, threshold) = limits(cloudlet, &name);
            if quota > 0 {
                resource.quota_max_value = Some(quota);
            }
            if !infra_usage {
                resource.value = None;
            }
            resource.alert_threshold = Some(threshold);
            (name, resource)
        })
        .collect();
    for (name, used) in used_by(cloudlet, vms, &merged) {
        match merged.get_mut(&name) {
            Some(resource) => resource.value = Some(resource.value.unwrap_or(0) + used.value.unwrap_or(0)),
            None => drop(merged.insert(name, used)),
        }
    }
    merged.into_values().map(omit_zeros).collect()
}

fn omit_zeros(resource: InfraResource) -> InfraResource {
    let number = |n: Option<u64>| n.filter(|n| *n != 0);
    InfraResource {
        value: number(resource.value),
        infra_max_value: number(resource.infra_max_value),
        quota_max_value: number(resource.quota_max_value),
        units: resource.units.filter(|u| !u.is_empty()),
        description: resource.description.filter(|d| !d.is_empty()),
        alert_threshold: resource.alert_threshold.filter(|t| *t != 0),
        ..resource
    }
}

pub async fn cloudlet_resource_usage(
    mc: &Mc,
    body: api::RegionCloudletResourceUsage,
) -> Result<api::CloudletResourceUsage, McError> {
    let region = super::region(mc, &body.region).await?;
    let request = body.cloudlet_resource_usage.unwrap_or_default();
    let key = request.key.unwrap_or_default();
    let missing = McError::bad_request("Specified Cloudlet not found");
    let cloudlet = stored_cloudlet(mc, &region, &key, missing).await?;
    let infra_usage = request.infra_usage == Some(true);
    // The fake CRM reports every VM the cloudlet runs: in infra mode
    // nothing is left for the Controller to add.
    let vms = platform_vms(&cloudlet);
    let counted: &[Vm] = if infra_usage { &[] } else { &vms };
    let info = resource_usage(&cloudlet, infra_snapshot(&vms), counted, infra_usage);
    Ok(api::CloudletResourceUsage { key: Some(key), infra_usage: infra_usage.then_some(true), info: Some(info) })
}

/// Where instances sit: their kind as stored, where their cloudlet key
/// and their owning org are.
const INSTANCE_PLACES: [(&Kind, &str); 2] =
    [(&APP_INSTS, "/key/organization"), (&CLUSTER_INSTS, "/key/cluster_key/organization")];

/// The orgs owning instances on the cloudlets the key's non-empty fields
/// match, sorted.
pub async fn organizations_on_cloudlet(
    mc: &Mc,
    body: api::RegionCloudletKey,
) -> Result<Vec<api::OrganizationName>, McError> {
    let region = super::region(mc, &body.region).await?;
    let filter = super::as_json(&body.cloudlet_key.unwrap_or_default());
    let mut orgs = BTreeSet::new();
    for (kind, org_at) in INSTANCE_PLACES {
        for row in store::list(&mc.db, &region, kind, Listing::default()).await? {
            let on = row.object.pointer("/key/cloudlet_key").cloned().unwrap_or(Value::Null);
            if matches(&filter, &on) {
                orgs.insert(row.object.pointer(org_at).and_then(Value::as_str).unwrap_or_default().to_owned());
            }
        }
    }
    Ok(orgs.into_iter().map(|name| api::OrganizationName { name: Some(name).filter(|n| !n.is_empty()) }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_cloudlet() -> Cloudlet {
        Cloudlet {
            infra_flavors: Some(super::super::cloudlet::fake_infra_flavors()),
            default_resource_alert_threshold: Some(80),
            ..Default::default()
        }
    }

    fn shown(resources: &[InfraResource]) -> Value {
        Value::Array(resources.iter().map(super::super::as_json).collect())
    }

    #[test]
    fn usage_counts_the_platform_vms_as_the_original_does() {
        let cloudlet = fake_cloudlet();
        let vms = platform_vms(&cloudlet);
        let usage = resource_usage(&cloudlet, infra_snapshot(&vms), &vms, false);
        assert_eq!(
            shown(&usage),
            serde_json::json!([
                {"name": "Disk", "value": 80, "alert_threshold": 80},
                {"name": "External IPs", "value": 2, "infra_max_value": 30, "alert_threshold": 80},
                {"name": "GPUs", "alert_threshold": 80},
                {"name": "Instances", "value": 2, "alert_threshold": 80},
                {"name": "RAM", "value": 8192, "infra_max_value": 40960, "units": "MB", "alert_threshold": 80},
                {"name": "vCPUs", "value": 4, "infra_max_value": 50, "alert_threshold": 80}
            ])
        );
        let infra = resource_usage(&cloudlet, infra_snapshot(&vms), &[], true);
        assert_eq!(
            shown(&infra),
            serde_json::json!([
                {"name": "Disk", "alert_threshold": 80},
                {"name": "External IPs", "value": 1, "infra_max_value": 30, "alert_threshold": 80},
                {"name": "GPUs", "alert_threshold": 80},
                {"name": "Instances", "value": 2, "alert_threshold": 80},
                {"name": "RAM", "value": 8192, "infra_max_value": 40960, "units": "MB", "alert_threshold": 80},
                {"name": "vCPUs", "value": 4, "infra_max_value": 50, "alert_threshold": 80}
            ])
        );
    }

    #[test]
    fn quotas_set_the_limit_and_their_own_threshold() {
        let mut cloudlet = fake_cloudlet();
        cloudlet.resource_quotas =
            Some(vec![api::ResourceQuota { name: Some("RAM".into()), value: Some(20480), alert_threshold: Some(50) }]);
        let vms = platform_vms(&cloudlet);
        let usage = resource_usage(&cloudlet, infra_snapshot(&vms), &vms, false);
        let ram = usage.iter().find(|r| text(&r.name) == "RAM").cloned().unwrap_or_default();
        assert_eq!((ram.quota_max_value, ram.alert_threshold), (Some(20480), Some(50)));
    }

    #[test]
    fn resource_names_are_the_optional_resources_in_any_case() {
        assert!(valid_resource_name("GPU").is_ok());
        assert!(valid_resource_name("nic").is_ok());
        assert!(valid_resource_name("disk").is_err());
    }
}
