//! Flavors (`/auth/ctrl/*Flavor*`): a region's hardware sizes. Admins
//! manage them (flavors:manage in the empty org, declared in the spec);
//! anyone logged in lists them. Rules and messages are the Controller's
//! (`cmd/controller/flavor_api.go`, `edgeproto.Flavor.Validate`).

use std::collections::BTreeMap;

use serde_json::Value;

use super::super::Mc;
use super::super::api::{self, Flavor, RegionFlavor};
use super::super::caller::McCaller;
use super::super::errors::McError;
use super::app::APP;
use super::cloudlet::CLOUDLET;
use super::cluster_inst::CLUSTER_INSTS;
use super::object::{KeyForm, Kind, Referrer};
use crate::wire::Stream;

pub const FLAVOR: Kind = Kind {
    name: "Flavor",
    noun: "Flavor",
    key: "/key",
    key_form: KeyForm::Json,
    org: None,
    always: &["key"],
    in_use_by: &[
        Referrer {
            kind: &CLUSTER_INSTS,
            at: "/flavor/name",
            item: "",
            names: "/key/name",
            every: false,
            same_org: false,
            says: None,
        },
        Referrer {
            kind: &APP,
            at: "/default_flavor/name",
            item: "",
            names: "/key/name",
            every: false,
            same_org: false,
            says: None,
        },
        Referrer {
            kind: &CLOUDLET,
            at: "/flavor/name",
            item: "",
            names: "/key/name",
            every: false,
            same_org: false,
            says: None,
        },
    ],
};

/// The optional resources a flavor may name (`edgeproto.OptResNames`).
const RESOURCE_NAMES: [&str; 3] = ["gpu", "nas", "nic"];

/// MC's `util.ValidName`: `^[0-9a-zA-Z][-_0-9a-zA-Z .&,!]*$`.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|first| first.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || "-_ .&,!".contains(c))
}

/// `edgeproto.Flavor.Validate` with every field, then the optional
/// resources (`ValidateOptResMapValues`).
fn validate_new(flavor: &Flavor) -> Result<(), String> {
    let name = flavor.key.as_ref().and_then(|key| key.name.as_deref()).unwrap_or_default();
    if !valid_name(name) {
        return Err("Invalid flavor name".into());
    }
    for (size, what) in [(flavor.ram, "Ram"), (flavor.vcpus, "Vcpus"), (flavor.disk, "Disk")] {
        if size.unwrap_or(0) == 0 {
            return Err(format!("{what} cannot be 0"));
        }
    }
    for (name, value) in flavor.opt_res_map.iter().flatten() {
        if name != "gpu" {
            return Err(format!(
                "Only GPU resources currently supported, use optresmap=gpu=$resource:[$specifier:]$count found {name}"
            ));
        }
        gpu_resource(value)?;
    }
    Ok(())
}

/// MC's `ParseGPUResource`: `<type>:<count>` or `<type>:<spec>:<count>`.
/// (Its non-numeric message names the second part, whichever is the count.)
fn gpu_resource(text: &str) -> Result<(), String> {
    let parts: Vec<&str> = text.split(':').collect();
    let count = match parts.as_slice() {
        [_] => return Err("Missing manditory resource count, ex: optresmap=gpu=gpu:1".into()),
        [_, count] | [_, _, count] => count,
        _ => return Err("Invalid optresmap syntax encountered: ex: optresmap=gpu=gpu:1".into()),
    };
    match count.parse::<i64>() {
        Ok(_) => Ok(()),
        Err(_) => Err(format!("Non-numeric resource count encountered, found {}", parts[1])),
    }
}

/// The resource names AddFlavorRes accepts (any case), in MC's words.
fn check_resource_names(resources: &BTreeMap<String, String>) -> Result<(), McError> {
    match resources.keys().find(|name| !RESOURCE_NAMES.contains(&name.to_ascii_lowercase().as_str())) {
        Some(name) => Err(McError::bad_request(format!(
            "Invalid resource name {name} found, must be one of [{}] ",
            RESOURCE_NAMES.join(" ")
        ))),
        None => Ok(()),
    }
}

/// The flavor an envelope carries, keyed as sent (an absent key is `{}`).
fn flavor_of(body: &RegionFlavor) -> Flavor {
    let mut flavor = body.flavor.clone().unwrap_or_default();
    flavor.key.get_or_insert_with(Default::default);
    flavor
}

/// The stored flavor's optional resources, created empty when it has none.
fn resource_map(object: &mut Value) -> Option<&mut serde_json::Map<String, Value>> {
    let entry = object.as_object_mut()?.entry("opt_res_map").or_insert_with(|| Value::Object(Default::default()));
    if !entry.is_object() {
        *entry = Value::Object(Default::default());
    }
    entry.as_object_mut()
}

#[async_trait::async_trait]
impl api::FlavorApi for Mc {
    async fn create_flavor(
        &self,
        caller: McCaller,
        request: api::CreateFlavorRequest,
    ) -> Result<api::CreateFlavorResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let flavor = flavor_of(&request.body);
        validate_new(&flavor).map_err(McError::bad_request)?;
        super::create(self, &caller, &region, &FLAVOR, &super::as_json(&flavor)).await?;
        Ok(api::CreateFlavorResponse::Ok(api::Result::default()))
    }

    async fn delete_flavor(
        &self,
        caller: McCaller,
        request: api::DeleteFlavorRequest,
    ) -> Result<api::DeleteFlavorResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let flavor = flavor_of(&request.body);
        super::delete(self, &caller, &region, &FLAVOR, &super::as_json(&flavor), |_| Ok(())).await?;
        Ok(api::DeleteFlavorResponse::Ok(api::Result::default()))
    }

    async fn update_flavor(
        &self,
        _caller: McCaller,
        request: api::UpdateFlavorRequest,
    ) -> Result<api::UpdateFlavorResponse, McError> {
        // A body without `Flavor` was refused by the generated route.
        super::region(self, &request.body.region).await?;
        Err(McError::bad_request("Update Flavor not supported"))
    }

    async fn show_flavor(
        &self,
        _caller: McCaller,
        request: api::ShowFlavorRequest,
    ) -> Result<api::ShowFlavorResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let filter = super::as_json(&request.body.flavor.clone().unwrap_or_default());
        let objects = super::show(self, &region, &FLAVOR, &filter, &super::Visible::All).await?;
        let flavors = objects.into_iter().map(super::from_json::<Flavor>).collect::<Result<Vec<_>, _>>()?;
        Ok(api::ShowFlavorResponse::Ok(Stream::lines(flavors)))
    }

    async fn add_flavor_res(
        &self,
        caller: McCaller,
        request: api::AddFlavorResRequest,
    ) -> Result<api::AddFlavorResResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let flavor = flavor_of(&request.body);
        let added = flavor.opt_res_map.clone().unwrap_or_default();
        super::modify(self, &caller, &region, &FLAVOR, &super::as_json(&flavor), "add resources to", |stored| {
            check_resource_names(&added)?;
            if let Some(map) = resource_map(stored) {
                map.extend(added.into_iter().map(|(name, value)| (name, Value::String(value))));
            }
            Ok(())
        })
        .await?;
        Ok(api::AddFlavorResResponse::Ok(api::Result::default()))
    }

    async fn remove_flavor_res(
        &self,
        caller: McCaller,
        request: api::RemoveFlavorResRequest,
    ) -> Result<api::RemoveFlavorResResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let flavor = flavor_of(&request.body);
        let removed = flavor.opt_res_map.clone().unwrap_or_default();
        super::modify(self, &caller, &region, &FLAVOR, &super::as_json(&flavor), "remove resources from", |stored| {
            if let Some(map) = resource_map(stored) {
                removed.keys().for_each(|name| {
                    map.remove(name);
                });
            }
            Ok(())
        })
        .await?;
        Ok(api::RemoveFlavorResResponse::Ok(api::Result::default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_mcs_valid_name() {
        assert!(valid_name("m4.small"));
        assert!(valid_name("x1 Large & Co, v2!"));
        assert!(!valid_name(""));
        assert!(!valid_name("-lead"));
        assert!(!valid_name("slash/no"));
    }

    #[test]
    fn gpu_resources_read_as_mc_parses_them() {
        assert_eq!(gpu_resource("gpu:1"), Ok(()));
        assert_eq!(gpu_resource("pci:T4:2"), Ok(()));
        assert_eq!(gpu_resource("gpu"), Err("Missing manditory resource count, ex: optresmap=gpu=gpu:1".into()));
        assert_eq!(
            gpu_resource("a:b:c:d"),
            Err("Invalid optresmap syntax encountered: ex: optresmap=gpu=gpu:1".into())
        );
        assert_eq!(gpu_resource("vgpu:x"), Err("Non-numeric resource count encountered, found x".into()));
        // MC names the second part even when the count is the third.
        assert_eq!(gpu_resource("pci:T4:two"), Err("Non-numeric resource count encountered, found T4".into()));
    }

    #[test]
    fn sizes_are_checked_in_mcs_order() {
        let flavor = |ram, vcpus, disk| Flavor {
            key: Some(api::FlavorKey { name: Some("f".into()) }),
            ram: Some(ram),
            vcpus: Some(vcpus),
            disk: Some(disk),
            ..Default::default()
        };
        assert_eq!(validate_new(&flavor(0, 0, 0)), Err("Ram cannot be 0".into()));
        assert_eq!(validate_new(&flavor(1, 0, 0)), Err("Vcpus cannot be 0".into()));
        assert_eq!(validate_new(&flavor(1, 1, 0)), Err("Disk cannot be 0".into()));
        assert_eq!(validate_new(&flavor(1, 1, 1)), Ok(()));
    }
}
