//! The cloudlet operations beside create/update/delete/show: alliance
//! organizations, flavor matching, and the fake platform's properties.
//! Rules and messages are the Controller's (`cloudlet_api.go`,
//! `restagtable_api.go`, `vmspec_matcher.go`) and MC's
//! (`authz_cloudlet.go`); see docs/mc-regional-wire-cloudlet-aux.md.

use std::collections::BTreeSet;

use serde_json::Value;

use super::super::api::{self, Cloudlet, CloudletKey, Flavor, FlavorInfo, FlavorKey, FlavorMatch};
use super::super::caller::McCaller;
use super::super::errors::McError;
use super::super::store::text;
use super::super::{Mc, store as mc_store};
use super::cloudlet::{CLOUDLET, FAKE_PLATFORMS, Sight, key_text};
use super::flavor::{FLAVOR, valid_name};
use super::store;

fn no_alliance_org() -> McError {
    McError::bad_request("No alliance organization specified")
}

/// Adds (`add`) or removes an alliance org of a stored cloudlet.
pub async fn change_alliance_org(
    mc: &Mc,
    caller: &McCaller,
    body: api::RegionCloudletAllianceOrg,
    add: bool,
) -> Result<(), McError> {
    let request = body.cloudlet_alliance_org.unwrap_or_default();
    let org = text(&request.organization).to_owned();
    if add && !org.is_empty() {
        mc.check_reference_org(&org, "operator", "alliance org").await?;
    }
    let region = super::region(mc, &body.region).await?;
    if org.is_empty() {
        return Err(no_alliance_org());
    }
    let key = super::as_json(&Cloudlet { key: request.key.or_else(|| Some(Default::default())), ..Default::default() });
    let action = if add { "add an alliance org to" } else { "remove an alliance org from" };
    super::modify(mc, caller, &region, &CLOUDLET, &key, action, |stored| {
        let mut cloudlet: Cloudlet = super::from_json(stored.clone())?;
        let orgs = cloudlet.alliance_orgs.get_or_insert_with(Vec::new);
        if add {
            orgs.push(org);
            let own = text(&cloudlet.key.as_ref().and_then(|k| k.organization.clone())).to_owned();
            let mut seen = BTreeSet::new();
            for alliance in cloudlet.alliance_orgs.iter().flatten() {
                if *alliance == own {
                    return Err(McError::bad_request(format!(
                        "Cannot add cloudlet's own org \"{alliance}\" as alliance org"
                    )));
                }
                if !seen.insert(alliance) {
                    return Err(McError::bad_request(format!("Duplicate alliance org \"{alliance}\" specified")));
                }
            }
        } else if let Some(index) = orgs.iter().position(|o| *o == org) {
            orgs.remove(index);
        }
        *stored = super::as_json(&cloudlet);
        Ok(())
    })
    .await
}

/// The Controller's flavor matcher (`GetVMSpec`): the smallest of the
/// cloudlet's infrastructure flavors, by vCPUs, RAM and disk, that holds
/// `flavor`.
pub(super) fn match_flavor(cloudlet: &Cloudlet, flavor: &Flavor) -> Result<String, String> {
    let name = text(&flavor.key.as_ref().and_then(|k| k.name.clone())).to_owned();
    let cloudlet_name = text(&cloudlet.key.as_ref().and_then(|k| k.name.clone())).to_owned();
    let resources = flavor.opt_res_map.clone().unwrap_or_default();
    // No cloudlet served here maps resources (res_tag_map), so any
    // optional resource is one the cloudlet cannot give.
    if resources.contains_key("gpu") {
        return Err(format!("Cloudlet {cloudlet_name} doesn't support GPU"));
    }
    if flavor.opt_res_map.is_some() && !resources.is_empty() {
        return Err(format!("Optional resource requested by {name}, cloudlet {cloudlet_name} supports none"));
    }
    let mut infra: Vec<&FlavorInfo> = cloudlet.infra_flavors.iter().flatten().collect();
    infra.sort_by_key(|f| (f.vcpus.unwrap_or(0), f.ram.unwrap_or(0), f.disk.unwrap_or(0)));
    let (vcpus, ram, disk) = (flavor.vcpus.unwrap_or(0), flavor.ram.unwrap_or(0), flavor.disk.unwrap_or(0));
    infra
        .into_iter()
        .filter(|f| !text(&f.name).contains("gpu"))
        .find(|f| {
            let infra_disk = f.disk.unwrap_or(0);
            f.vcpus.unwrap_or(0) >= vcpus && f.ram.unwrap_or(0) >= ram && (infra_disk == 0 || infra_disk >= disk)
        })
        .map(|f| text(&f.name).to_owned())
        .ok_or_else(|| format!("No suitable platform flavor found for {name}, please try a smaller flavor"))
}

/// `FindFlavorMatch` succeeds for the cloudlet and flavor (a missing
/// flavor matches nowhere; a cloudlet listing no infrastructure flavors
/// takes any).
pub fn fits_flavor(cloudlet: &Cloudlet, flavor: Option<&Flavor>) -> bool {
    let Some(flavor) = flavor else { return false };
    cloudlet.infra_flavors.as_ref().is_none_or(Vec::is_empty) || match_flavor(cloudlet, flavor).is_ok()
}

pub async fn find_flavor_match(mc: &Mc, body: api::RegionFlavorMatch) -> Result<FlavorMatch, McError> {
    let region = super::region(mc, &body.region).await?;
    let mut request = body.flavor_match.unwrap_or_default();
    let key = request.key.clone().unwrap_or_default();
    let missing = || McError::bad_request(format!("Cloudlet key {} not found", key_text(&key)));
    let cloudlet_key = key_text(&key);
    let found =
        store::list(&mc.db, &region, &CLOUDLET, store::Listing { key: Some(&cloudlet_key), ..Default::default() })
            .await?;
    let Some(row) = found.into_iter().next() else { return Err(missing()) };
    let cloudlet: Cloudlet = super::from_json(row.object)?;
    let flavor_key = FLAVOR.key_text(&serde_json::json!({"key": {"name": text(&request.flavor_name)}}));
    let flavors =
        store::list(&mc.db, &region, &FLAVOR, store::Listing { key: Some(&flavor_key), ..Default::default() }).await?;
    let Some(flavor) = flavors.into_iter().next() else { return Err(missing()) };
    let flavor: Flavor = super::from_json(flavor.object)?;
    if cloudlet.infra_flavors.as_ref().is_none_or(Vec::is_empty) {
        return Ok(FlavorMatch { key: Some(key), ..request });
    }
    request.flavor_name = Some(match_flavor(&cloudlet, &flavor).map_err(McError::bad_request)?);
    request.availability_zone = None;
    request.key.get_or_insert_with(Default::default);
    Ok(request)
}

/// MC's requires-org check for a non-admin naming an org: hidden when
/// unknown (403), else `checkReferenceOrg`.
async fn require_operator_org(mc: &Mc, org: &str) -> Result<(), McError> {
    if mc_store::org_by_name(&mc.db, org).await?.is_none() {
        return Err(McError::forbidden());
    }
    mc.check_reference_org(org, "operator", "org").await
}

pub async fn show_flavors_for_cloudlet(
    mc: &Mc,
    caller: &McCaller,
    body: api::RegionCloudletKey,
) -> Result<Vec<FlavorKey>, McError> {
    let key = body.cloudlet_key.clone().unwrap_or_default();
    let sight = Sight::of(mc, caller).await?;
    let org = text(&key.organization).to_owned();
    if !sight.is_admin() && !org.is_empty() {
        require_operator_org(mc, &org).await?;
    }
    // MC reads the region's pools while authorizing.
    let region = super::region(mc, &body.region).await?;
    let sight = sight.in_region(mc, &region).await?;
    let probe = Cloudlet { key: Some(key.clone()), ..Default::default() };
    if sight.sees(probe).is_none() {
        return Err(McError::bad_request(format!("No permissions for Cloudlet {}", key_text(&key))));
    }
    // A valid key names one cloudlet; otherwise the key is a filter.
    let named = valid_name(&org) && valid_name(text(&key.name));
    let filter = super::as_json(&Cloudlet { key: Some(key.clone()), ..Default::default() });
    let cloudlets = super::show(mc, &region, &CLOUDLET, &filter, &super::Visible::All).await?;
    let cloudlets: Vec<Cloudlet> = cloudlets
        .into_iter()
        .map(super::from_json::<Cloudlet>)
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|c| !named || c.key.as_ref() == Some(&key) || c.key.as_ref().is_some_and(|k| same_key(k, &key)))
        .collect();
    let flavors = super::show(mc, &region, &FLAVOR, &Value::Object(Default::default()), &super::Visible::All).await?;
    let flavors: Vec<Flavor> = flavors.into_iter().map(super::from_json::<Flavor>).collect::<Result<_, _>>()?;
    let mut names = BTreeSet::new();
    for cloudlet in &cloudlets {
        for flavor in &flavors {
            if match_flavor(cloudlet, flavor).is_ok() {
                names.insert(text(&flavor.key.as_ref().and_then(|k| k.name.clone())).to_owned());
            }
        }
    }
    Ok(names.into_iter().map(|name| FlavorKey { name: Some(name) }).collect())
}

fn same_key(a: &CloudletKey, b: &CloudletKey) -> bool {
    text(&a.organization) == text(&b.organization)
        && text(&a.name) == text(&b.name)
        && text(&a.federated_organization) == text(&b.federated_organization)
}

fn served_platform(platform: &str) -> Result<(), McError> {
    match FAKE_PLATFORMS.contains(&platform) {
        true => Ok(()),
        false => Err(McError::bad_request(format!("Unknown platform {platform}"))),
    }
}

/// The fake platform's properties (`fake.go`).
pub fn cloudlet_props(body: api::RegionCloudletProps) -> Result<api::CloudletProps, McError> {
    served_platform(text(&body.cloudlet_props.unwrap_or_default().platform_type))?;
    let property = |name: &str, description: &str, secret: bool| api::PropertyInfo {
        name: Some(name.into()),
        description: Some(description.into()),
        value: None,
        secret: secret.then_some(true),
        mandatory: Some(true),
        ..Default::default()
    };
    let properties = [
        ("PROP_1".to_owned(), property("Property 1", "First Property", true)),
        ("PROP_2".to_owned(), property("Property 2", "Second Property", false)),
    ];
    Ok(api::CloudletProps { properties: Some(properties.into_iter().collect()), ..Default::default() })
}

/// The quota resources every platform has, then the fake platform's own.
pub fn cloudlet_resource_quota_props(
    body: api::RegionCloudletResourceQuotaProps,
) -> Result<api::CloudletResourceQuotaProps, McError> {
    served_platform(text(&body.cloudlet_resource_quota_props.unwrap_or_default().platform_type))?;
    let resources = [
        ("RAM", "Limit on RAM available (MB)"),
        ("vCPUs", "Limit on vCPUs available"),
        ("Disk", "Limit on disk available (GB)"),
        ("GPUs", "Limit on GPUs available"),
        ("External IPs", "Limit on external IPs available"),
        ("Instances", "Limit on number of instances that can be provisioned"),
    ];
    let properties = resources
        .iter()
        .map(|(name, description)| api::InfraResource {
            name: Some((*name).into()),
            description: Some((*description).into()),
            ..Default::default()
        })
        .collect();
    Ok(api::CloudletResourceQuotaProps { properties: Some(properties), ..Default::default() })
}

/// The original Controller's built-in platforms but the fake ones, sorted
/// by type, with the features each reports (`GetAllPlatformsFeatures`):
/// a fixed catalogue, kept as data.
pub fn platforms_features() -> Result<Vec<api::PlatformFeatures>, McError> {
    let catalogue: Value = serde_json::from_str(include_str!("platform_features.json"))
        .map_err(|e| McError::internal("Platform catalogue unreadable", e))?;
    super::from_json(catalogue)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_cloudlet() -> Cloudlet {
        Cloudlet {
            key: Some(CloudletKey { name: Some("c1".into()), ..Default::default() }),
            infra_flavors: Some(super::super::cloudlet::fake_infra_flavors()),
            ..Default::default()
        }
    }

    fn flavor(name: &str, vcpus: u64, ram: u64, disk: u64) -> Flavor {
        Flavor {
            key: Some(FlavorKey { name: Some(name.into()) }),
            vcpus: Some(vcpus),
            ram: Some(ram),
            disk: Some(disk),
            ..Default::default()
        }
    }

    #[test]
    fn the_platform_catalogue_lists_the_fifteen_real_platforms_in_order() {
        let platforms = platforms_features().unwrap_or_default();
        let types: Vec<&str> = platforms.iter().map(|p| text(&p.platform_type)).collect();
        let mut sorted = types.clone();
        sorted.sort_unstable();
        assert_eq!(types.len(), 15);
        assert_eq!(types, sorted);
        assert!(platforms.iter().all(|p| p.is_fake != Some(true)));
    }

    #[test]
    fn flavors_match_the_smallest_infra_flavor_that_holds_them() {
        let cloudlet = fake_cloudlet();
        assert_eq!(match_flavor(&cloudlet, &flavor("a", 1, 512, 10)), Ok("x1.tiny".into()));
        assert_eq!(match_flavor(&cloudlet, &flavor("b", 1, 2048, 10)), Ok("x1.small".into()));
        assert_eq!(
            match_flavor(&cloudlet, &flavor("c", 4, 512, 10)),
            Err("No suitable platform flavor found for c, please try a smaller flavor".into())
        );
        let mut gpu = flavor("g", 1, 512, 10);
        gpu.opt_res_map = Some([("gpu".to_owned(), "gpu:1".to_owned())].into());
        assert_eq!(match_flavor(&cloudlet, &gpu), Err("Cloudlet c1 doesn't support GPU".into()));
    }
}
