//! Artefacts a partner creates on a host (`{federationContextId}/artefact`):
//! MC's `UploadArtefact`, `GetArtefact` and `RemoveArtefact`. An artefact
//! is one component spec on one uploaded image; as in MC, an App for it is
//! made in each of the host's regions (organization: the federation's
//! name), here in the same transaction as the artefact.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use super::super::Mc;
use super::super::caller::McCaller;
use super::super::regional::app::{self, APP};
use super::super::regional::store as regional_store;
use super::api::{ArtefactDetails, ComponentSpec};
use super::caller::PartnerCaller;
use super::errors::FedError;
use super::federation::lookup_provider;
use super::files::{check_label, check_name, go_unmarshal_error};
use crate::db::entities::{mc_federation_provider, mc_provider_app, mc_provider_artefact, mc_provider_image};
use crate::wire::MultipartParts;

const VIRT_TYPES: [&str; 2] = ["VM_TYPE", "CONTAINER_TYPE"];
const DESCRIPTOR_TYPES: [&str; 2] = ["HELM", "COMPONENTSPEC"];
const RESTART_POLICIES: [&str; 2] = ["RESTART_POLICY_ALWAYS", "RESTART_POLICY_NEVER"];
const PROTOCOLS: [&str; 3] = ["TCP", "UDP", "HTTP_HTTPS"];
const VISIBILITIES: [&str; 2] = ["VISIBILITY_EXTERNAL", "VISIBILITY_INTERNAL"];
const CPU_ARCHS: [&str; 2] = ["ISA_X86_64", "ISA_ARM_64"];

fn text<'a>(object: &'a Value, key: &str) -> &'a str {
    object.get(key).and_then(Value::as_str).unwrap_or("")
}

/// A required enum field of a GSMA model: `<field> is required`, or
/// `<Model> <field> value "<v>" is not a valid enum value`.
fn check_enum(model: &str, field: &str, value: &str, allowed: &[&str]) -> Result<(), FedError> {
    if value.is_empty() {
        return Err(FedError::bad_request(format!("{field} is required")));
    }
    if !allowed.contains(&value) {
        return Err(FedError::bad_request(format!("{model} {field} value {value:?} is not a valid enum value")));
    }
    Ok(())
}

/// `ComponentSpec.Validate`, as far as Steward reads a spec.
fn check_spec(spec: &Value) -> Result<(), FedError> {
    check_label("componentName", text(spec, "componentName"))?;
    check_enum("ComponentSpec", "restartPolicy", text(spec, "restartPolicy"), &RESTART_POLICIES)?;
    for interface in spec.get("exposedInterfaces").and_then(Value::as_array).into_iter().flatten() {
        check_label("interfaceId", text(interface, "interfaceId"))?;
        check_enum("InterfaceDetails", "commProtocol", text(interface, "commProtocol"), &PROTOCOLS)?;
        check_enum("InterfaceDetails", "visibilityType", text(interface, "visibilityType"), &VISIBILITIES)?;
    }
    let profile = spec.get("computeResourceProfile").cloned().unwrap_or(Value::Null);
    check_enum("ComputeResourceInfo", "cpuArchType", text(&profile, "cpuArchType"), &CPU_ARCHS)?;
    let cpus = text(&profile, "numCPU");
    if cpus.is_empty() {
        return Err(FedError::bad_request("numCPU is required"));
    }
    let cpu_format = cpus.strip_suffix('m').unwrap_or(cpus);
    let (whole, fraction) = cpu_format.split_once('.').unwrap_or((cpu_format, "0"));
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) || fraction.len() > 3 || (cpus.ends_with('m') && cpu_format != whole) {
        return Err(FedError::bad_request(format!("numCPU {cpus} does not match format ^\\d+((\\.\\d{{1,3}})|(m))?$")));
    }
    Ok(())
}

/// The App's access ports from the spec's interfaces (MC's rules: the
/// external ones, else the internal ones).
fn access_ports(spec: &Value) -> Result<(String, bool), FedError> {
    let mut external = Vec::new();
    let mut internal = Vec::new();
    for interface in spec.get("exposedInterfaces").and_then(Value::as_array).into_iter().flatten() {
        let port = interface.get("commPort").and_then(Value::as_u64).unwrap_or(0);
        let id = text(interface, "interfaceId");
        if port == 0 {
            return Err(FedError::bad_request(format!("ExposedInterface {id} missing CommPort")));
        }
        let protocol = match text(interface, "commProtocol") {
            "TCP" => "tcp",
            "UDP" => "udp",
            other => {
                return Err(FedError::bad_request(format!(
                    "Unsupported protocol {other:?} for exposed interface {port}"
                )));
            }
        };
        match text(interface, "visibilityType") {
            "VISIBILITY_INTERNAL" => internal.push(format!("{protocol}:{port}")),
            _ => external.push(format!("{protocol}:{port}")),
        }
    }
    Ok(match external.is_empty() {
        true => (internal.join(","), !internal.is_empty()),
        false => (external.join(","), false),
    })
}

/// The regional App standing for the artefact (part:156-363).
fn region_app(
    provider: &mc_federation_provider::Model,
    id: &str,
    version: &str,
    virt_type: &str,
    spec: &Value,
    image: &mc_provider_image::Model,
) -> Result<Value, FedError> {
    let (image_type, image_path) = match image.r#type.as_str() {
        "DOCKER" => ("Docker", image.path.clone()),
        "QCOW2" => ("Qcow", format!("{}#md5:{}", image.path, image.checksum)),
        _ => ("Ova", format!("{}#md5:{}", image.path, image.checksum)),
    };
    let deployment = match (virt_type, provider.default_container_deployment.as_str()) {
        ("VM_TYPE", _) => "vm",
        (_, "") => "docker",
        (_, chosen) => chosen,
    };
    let profile = spec.get("computeResourceProfile").cloned().unwrap_or(Value::Null);
    let cpus = text(&profile, "numCPU");
    // MC's ParseUdec64: digits, a point and decimals; no millicores.
    let vcpus = cpus.parse::<f64>().ok().filter(|_| !cpus.ends_with('m')).ok_or_else(|| {
        let whole = cpus.split('.').next().unwrap_or(cpus);
        FedError::bad_request(format!(
            "Failed to parse ComponentSpec ComputeResourceProfile NumCPU {cpus}, Parsing whole number {whole} failed, strconv.ParseUint: parsing {whole:?}: invalid syntax"
        ))
    })?;
    if vcpus <= 0.0 {
        return Err(FedError::bad_request("ComponentSpec computeResourceProfile num CPU must be greater than 0"));
    }
    let memory = profile.get("memory").and_then(Value::as_i64).unwrap_or(0);
    if memory < 0 {
        return Err(FedError::bad_request("ComponentSpec computeResourceProfile memory must be greater than 0"));
    }
    let (ports, internal) = access_ports(spec)?;
    let mut app = json!({
        "key": {"organization": provider.name, "name": id, "version": version},
        "image_path": image_path,
        "image_type": image_type,
        "deployment": deployment,
        "serverless_config": {"vcpus": vcpus, "ram": memory},
    });
    if !ports.is_empty() {
        app["access_ports"] = json!(ports);
    }
    if internal {
        app["internal_ports"] = json!(true);
    }
    if spec.get("numOfInstances").and_then(Value::as_i64) == Some(-1) {
        app["scale_with_cluster"] = json!(true);
    }
    // The command as MC applies it: joined for kubernetes, the one (and
    // only) command for docker.
    let command: Vec<&str> = spec
        .pointer("/commandLineParams/command")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    match (deployment, command.as_slice()) {
        (_, []) => {}
        ("docker", [one]) => app["command"] = json!(one),
        ("docker", _) => return Err(FedError::bad_request("Only one command supported")),
        (_, many) => app["command"] = json!(many.join(" ")),
    }
    if let Some(args) = spec.pointer("/commandLineParams/commandArgs").and_then(Value::as_array) {
        app["command_args"] = json!(args);
    }
    Ok(app)
}

/// `UploadArtefact`.
pub async fn upload(mc: &Mc, caller: &PartnerCaller, context_id: &str, form: MultipartParts) -> Result<(), FedError> {
    let provider = lookup_provider(&mc.db, caller, context_id, false).await?;
    if !form.value("artefactRepoLocation").is_empty() {
        return Err(FedError::bad_request("Artefact repo location not supported, only component spec is supported"));
    }
    if !form.value("artefactFile").is_empty() {
        return Err(FedError::bad_request("Artefact file not supported, only component spec is supported"));
    }
    let id = form.value("artefactId");
    check_label("artefactId", id)?;
    check_label("appProviderId", form.value("appProviderId"))?;
    check_name("artefactName", form.value("artefactName"))?;
    let version = form.value("artefactVersionInfo");
    if version.is_empty() {
        return Err(FedError::bad_request("artefactVersionInfo is required"));
    }
    let virt_type = form.value("artefactVirtType");
    check_enum("UploadArtefactRequest", "artefactVirtType", virt_type, &VIRT_TYPES)?;
    let descriptor = form.value("artefactDescriptorType");
    check_enum("UploadArtefactRequest", "artefactDescriptorType", descriptor, &DESCRIPTOR_TYPES)?;
    if descriptor == "HELM" {
        return Err(FedError::bad_request("artefactDescriptorType does not support HELM, only supports COMPONENTSPEC"));
    }
    let spec_text = form.value("componentSpec");
    if spec_text.is_empty() {
        return Err(FedError::bad_request("componentSpec not specified"));
    }
    let specs: Vec<Value> = serde_json::from_str(spec_text).map_err(|e| {
        FedError::bad_request(format!("failed to unmarshal component spec, {}", go_unmarshal_error(spec_text, &e)))
    })?;
    let spec = match specs.as_slice() {
        [] => return Err(FedError::bad_request("component specs cannot be empty array")),
        [spec] => spec,
        more => {
            return Err(FedError::bad_request(format!(
                "only one component spec is supported, but found {}",
                more.len()
            )));
        }
    };
    check_spec(spec)?;
    let images: Vec<String> = spec
        .get("images")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|image| image.as_str().unwrap_or("").to_owned())
        .collect();
    let image_id = match images.as_slice() {
        [] => return Err(FedError::bad_request("ComponentSpec missing at least 1 image")),
        [image] => image.clone(),
        more => {
            return Err(FedError::bad_request(format!(
                "only one image is supported for ComponentSpec, but it has {}",
                more.len()
            )));
        }
    };
    let txn = crate::db::begin_write(&mc.db).await?;
    // The host's row held: an image removal waits for this artefact.
    let provider = lookup_provider(&txn, caller, &provider.federation_context_id, true).await?;
    let image = mc_provider_image::Entity::find_by_id((provider.name.clone(), image_id.clone()))
        .one(&txn)
        .await?
        .ok_or_else(|| {
            FedError::bad_request(format!(
                "Image ID {image_id} in component spec not found, please ensure it has been created"
            ))
        })?;
    let consistent = match virt_type {
        "VM_TYPE" => image.r#type == "QCOW2" || image.r#type == "OVA",
        _ => image.r#type == "DOCKER",
    };
    if !consistent {
        return Err(FedError::bad_request(format!(
            "virtType is {virt_type} but image {image_id} type is {}, which is inconsistent",
            image.r#type
        )));
    }
    if virt_type == "VM_TYPE" && image.checksum.is_empty() {
        return Err(FedError::bad_request(format!("Checksum missing for VM image {image_id}")));
    }
    let app_object = region_app(&provider, id, version, virt_type, spec, &image)?;
    let row = mc_provider_artefact::ActiveModel {
        federation_name: Set(provider.name.clone()),
        artefact_id: Set(id.to_owned()),
        app_name: Set(id.to_owned()),
        app_vers: Set(version.to_owned()),
        app_provider_id: Set(form.value("appProviderId").to_owned()),
        artefact_name: Set(form.value("artefactName").to_owned()),
        artefact_version: Set(version.to_owned()),
        virt_type: Set(virt_type.to_owned()),
        desc_type: Set(descriptor.to_owned()),
        file_ids: Set(json!(images).to_string()),
    };
    match row.insert(&txn).await {
        Ok(_) => {}
        Err(error) if crate::db::is_unique_violation(&error) => {
            return Err(FedError::bad_request(format!("Artefact with ID {id} already exists")));
        }
        Err(error) => return Err(error.into()),
    }
    let app: super::super::api::App = poem_openapi::types::ParseFromJSON::parse_from_json(Some(app_object))
        .map_err(|e| FedError::internal("Failed to make the artefact's App", e.into_message()))?;
    let as_mc = McCaller { claims: caller.claims.clone() };
    for region in regions(&provider) {
        let created = async {
            super::super::regional::app_rules::validate(&app, true)
                .map_err(super::super::errors::McError::bad_request)?;
            app::create_in(mc, &txn, &as_mc, &region, app.clone()).await
        };
        if let Err(error) = created.await {
            return Err(FedError::bad_request(format!(
                "failed to create App for Artefact in region {region}: {}",
                error.message
            )));
        }
    }
    let what = format!("{id} of {}", provider.name);
    mc.audited.record(&txn, &super::super::change(&caller.claims.apikeyusername, "upload artefact", &what)).await?;
    txn.commit().await?;
    Ok(())
}

fn regions(provider: &mc_federation_provider::Model) -> Vec<String> {
    provider.regions.as_deref().and_then(|regions| serde_json::from_str(regions).ok()).unwrap_or_default()
}

async fn lookup(
    db: &impl ConnectionTrait,
    provider: &mc_federation_provider::Model,
    id: &str,
) -> Result<mc_provider_artefact::Model, FedError> {
    mc_provider_artefact::Entity::find_by_id((provider.name.clone(), id.to_owned()))
        .one(db)
        .await?
        .ok_or_else(|| FedError::new(poem::http::StatusCode::NOT_FOUND, format!("Artefact {id} not found")))
}

/// `GetArtefact`: the component spec rebuilt from the App of the host's
/// first region.
pub async fn view(mc: &Mc, caller: &PartnerCaller, context_id: &str, id: &str) -> Result<ArtefactDetails, FedError> {
    let provider = lookup_provider(&mc.db, caller, context_id, false).await?;
    let artefact = lookup(&mc.db, &provider, id).await?;
    let region = regions(&provider).into_iter().next().unwrap_or_default();
    let key = APP.key_text(
        &json!({"key": {"organization": provider.name, "name": artefact.app_name, "version": artefact.app_vers}}),
    );
    let listing =
        regional_store::Listing { orgs: None, org: Some(&provider.name), key: Some(&key), key_ends_with: None };
    let found = regional_store::list(&mc.db, &region, &APP, listing).await?;
    let Some(app) = found.into_iter().next().map(|stored| stored.object) else {
        return Err(FedError::new(poem::http::StatusCode::INTERNAL_SERVER_ERROR, "App not found"));
    };
    // MC finds the images by the App's path, which a VM App's `#md5:`
    // suffix keeps from matching.
    let path = text(&app, "image_path");
    let files: Vec<String> = mc_provider_image::Entity::find()
        .filter(mc_provider_image::Column::FederationName.eq(&provider.name))
        .filter(mc_provider_image::Column::Path.eq(path))
        .order_by_asc(mc_provider_image::Column::FileId)
        .all(&mc.db)
        .await?
        .into_iter()
        .map(|image| image.file_id)
        .collect();
    let interfaces: Vec<Value> = text(&app, "access_ports")
        .split(',')
        .filter_map(|port| port.split_once(':'))
        .map(|(protocol, port)| {
            json!({"commPort": port.parse::<u64>().unwrap_or(0), "commProtocol": protocol.to_uppercase(),
                   "interfaceId": format!("{protocol}-{port}"),
                   "visibilityType": if app.get("internal_ports") == Some(&json!(true)) { "VISIBILITY_INTERNAL" } else { "VISIBILITY_EXTERNAL" }})
        })
        .collect();
    let vcpus = app.pointer("/serverless_config/vcpus").and_then(Value::as_f64).unwrap_or(0.0);
    let ram = app.pointer("/serverless_config/ram").and_then(Value::as_u64).unwrap_or(0);
    let spec = ComponentSpec {
        component_name: Some(artefact.app_name.clone()),
        images: Some(files),
        num_of_instances: Some(if app.get("scale_with_cluster") == Some(&json!(true)) { -1 } else { 1 }),
        restart_policy: Some("RESTART_POLICY_ALWAYS".to_owned()),
        command_line_params: command_line_params(&app),
        exposed_interfaces: (!interfaces.is_empty()).then_some(interfaces),
        compute_resource_profile: Some(
            json!({"cpuArchType": "ISA_X86_64", "numCPU": format_cpus(vcpus), "memory": ram}),
        ),
        comp_env_params: None,
    };
    Ok(ArtefactDetails {
        app_provider_id: artefact.app_provider_id,
        artefact_descriptor_type: artefact.desc_type,
        artefact_id: artefact.artefact_id,
        artefact_name: artefact.artefact_name,
        artefact_version_info: artefact.artefact_version,
        artefact_virt_type: artefact.virt_type,
        component_spec: Some(vec![spec]),
    })
}

/// The App's command and arguments as a component spec's, if any (the
/// guest sends them so, the host answers them so).
pub fn command_line_params(app: &Value) -> Option<Value> {
    let command = text(app, "command");
    let args = app.get("command_args").filter(|args| args.as_array().is_some_and(|args| !args.is_empty()));
    if command.is_empty() && args.is_none() {
        return None;
    }
    let mut params = json!({"command": if command.is_empty() { Value::Null } else { json!([command]) }});
    if let Some(args) = args {
        params["commandArgs"] = args.clone();
    }
    Some(params)
}

/// Go's `DecString` of a CPU count: `1`, `0.5`, `1.25`.
pub fn format_cpus(vcpus: f64) -> String {
    let text = format!("{vcpus:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// `RemoveArtefact`.
pub async fn remove(mc: &Mc, caller: &PartnerCaller, context_id: &str, id: &str) -> Result<(), FedError> {
    let txn = crate::db::begin_write(&mc.db).await?;
    let provider = lookup_provider(&txn, caller, context_id, true).await?;
    remove_internal(mc, &txn, &McCaller { claims: caller.claims.clone() }, &provider, id).await?;
    let what = format!("{id} of {}", provider.name);
    mc.audited.record(&txn, &super::super::change(&caller.claims.apikeyusername, "remove artefact", &what)).await?;
    txn.commit().await?;
    Ok(())
}

/// `RemoveArtefactInternal` in the caller's transaction (holding the
/// host's row): refused while an onboarded app uses the artefact; its App
/// goes from every host region (one already gone is no error).
pub async fn remove_internal(
    mc: &Mc,
    txn: &sea_orm::DatabaseTransaction,
    caller: &McCaller,
    provider: &mc_federation_provider::Model,
    id: &str,
) -> Result<(), FedError> {
    let artefact = lookup(txn, provider, id).await?;
    let apps = mc_provider_app::Entity::find()
        .filter(mc_provider_app::Column::FederationName.eq(&provider.name))
        .order_by_asc(mc_provider_app::Column::AppId)
        .all(txn)
        .await?;
    for onboarded in apps {
        let artefacts: Vec<String> = serde_json::from_str(&onboarded.artefact_ids).unwrap_or_default();
        if artefacts.iter().any(|artefact| artefact == id) {
            return Err(FedError::bad_request(format!(
                "cannot delete Artefact {id} which is referenced by App {}",
                onboarded.app_id
            )));
        }
    }
    let key = json!({"organization": provider.name, "name": artefact.app_name, "version": artefact.app_vers});
    for region in regions(provider) {
        if let Err(error) = app::delete_in(mc, txn, caller, &region, &key).await {
            return Err(FedError::bad_request(format!(
                "failed to delete App for Artefact in region {region}: {}",
                error.message
            )));
        }
    }
    mc_provider_artefact::Entity::delete_by_id((provider.name.clone(), id.to_owned())).exec(txn).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_counts_are_written_as_go_writes_decimals() {
        assert_eq!(format_cpus(1.0), "1");
        assert_eq!(format_cpus(0.5), "0.5");
        assert_eq!(format_cpus(1.25), "1.25");
    }

    #[test]
    fn specs_are_checked_in_the_gsma_models_order() {
        let spec = json!({"componentName": "k8sapp", "restartPolicy": "RESTART_POLICY_ALWAYS",
            "computeResourceProfile": {"cpuArchType": "ISA_X86_64", "numCPU": "0.5"}});
        assert!(check_spec(&spec).is_ok());
        let refused = |spec: Value| match check_spec(&spec) {
            Err(FedError::Problem { message, .. }) => message,
            other => panic!("{other:?}"),
        };
        assert_eq!(refused(json!({})), "componentName is required");
        let mut bad = spec.clone();
        bad["computeResourceProfile"]["numCPU"] = json!("1.2345");
        assert_eq!(refused(bad), "numCPU 1.2345 does not match format ^\\d+((\\.\\d{1,3})|(m))?$");
    }

    #[test]
    fn ports_are_the_external_interfaces_else_the_internal_ones() {
        let interface = |port: u64, protocol: &str, visibility: &str| json!({"interfaceId": format!("i{port}"), "commPort": port, "commProtocol": protocol, "visibilityType": visibility});
        let spec = json!({"exposedInterfaces": [interface(80, "TCP", "VISIBILITY_EXTERNAL"), interface(53, "UDP", "VISIBILITY_INTERNAL")]});
        assert_eq!(access_ports(&spec).ok(), Some(("tcp:80".to_owned(), false)));
        let spec = json!({"exposedInterfaces": [interface(53, "UDP", "VISIBILITY_INTERNAL")]});
        assert_eq!(access_ports(&spec).ok(), Some(("udp:53".to_owned(), true)));
    }
}
