//! The Controller's `configureApp`, shared by create and update: the
//! defaults it fills in (deployment, image type, access type, image path,
//! manifest, serverless sizes) and its checks against other objects
//! (flavor, policies, Android package), in its order and words.

use serde_json::Value;

use super::super::api::{AccessType, App, Flavor, GpuType, ImageType, QosSessionProfile, VmAppOsType};
use super::super::errors::McError;
use super::super::store::text;
use super::app_manifest::{self, AppSpec, KUBERNETES_BASIC};
use super::app_rules::{self, ENV_CONFIG, HELM_CONFIG};
use super::autoprov_policy::AUTO_PROV_POLICY;
use super::flavor::FLAVOR;
use super::{app_ports, image_path, store};

const DEPLOYMENTS: [&str; 4] = ["kubernetes", "vm", "helm", "docker"];

fn refuse(message: impl Into<String>) -> McError {
    McError::bad_request(message.into())
}

/// `GetDefaultDeploymentType`.
fn default_deployment(image: ImageType) -> Result<&'static str, McError> {
    match image {
        ImageType::Docker => Ok("kubernetes"),
        ImageType::Qcow | ImageType::Ovf | ImageType::Ova => Ok("vm"),
        ImageType::Helm => Ok("helm"),
        ImageType::Unknown => Err(refuse("Unknown image type IMAGE_TYPE_UNKNOWN")),
    }
}

/// `GetImageTypeForDeployment`.
fn image_for(deployment: &str) -> ImageType {
    match deployment {
        "docker" | "kubernetes" => ImageType::Docker,
        "helm" => ImageType::Helm,
        _ => ImageType::Unknown,
    }
}

/// `IsValidDeploymentForImage`.
fn fits_image(image: ImageType, deployment: &str) -> bool {
    match image {
        ImageType::Docker => deployment == "kubernetes" || deployment == "docker",
        ImageType::Qcow | ImageType::Ovf | ImageType::Ova => deployment == "vm",
        ImageType::Helm => deployment == "helm",
        ImageType::Unknown => false,
    }
}

/// Manifests are never fetched: a remote one is refused as the
/// Controller refuses one it cannot reach.
fn inline_manifest(manifest: &str) -> Result<String, McError> {
    match manifest.starts_with("http://") || manifest.starts_with("https://") {
        true => Err(refuse(format!("Cannot get manifest from {manifest}, remote manifests are not fetched"))),
        false => Ok(manifest.to_owned()),
    }
}

/// `validateAppConfigsForDeployment`.
fn check_configs(app: &App, deployment: &str) -> Result<(), McError> {
    for config in app.configs.iter().flatten() {
        let kind = text(&config.kind);
        let invalid = match kind {
            HELM_CONFIG => {
                inline_manifest(text(&config.config))?;
                deployment != "helm"
            }
            ENV_CONFIG => deployment != "kubernetes",
            _ => false,
        };
        if invalid {
            return Err(refuse(format!("Invalid Config Kind({kind}) for deployment type({deployment})")));
        }
        if text(&config.config).is_empty() {
            return Err(refuse(format!("Empty config for config kind {kind}")));
        }
    }
    Ok(())
}

/// The image path's defaults and normalisation (no default registries are
/// configured, so an omitted path is refused where the Controller would
/// fall back on one).
fn configure_image_path(app: &mut App, image: ImageType, deployment: &str) -> Result<(), McError> {
    let no_registry =
        "No image path specified and no default registryFQDN to fall back upon. Please specify the image path";
    if text(&app.image_path).is_empty() {
        if image == ImageType::Docker && text(&app.deployment_manifest).is_empty() {
            return Err(refuse(no_registry));
        } else if image == ImageType::Qcow {
            if text(&app.md5sum).is_empty() {
                return Err(refuse("Md5sum should be provided if imagepath is not specified"));
            }
            return Err(refuse(
                "No image path specified and no default artifactoryFQDN to fall back upon. Please specify the image path",
            ));
        } else if deployment == "helm" {
            return Err(refuse(no_registry));
        }
    }
    let mut path = text(&app.image_path).to_owned();
    if image == ImageType::Docker {
        path = path.trim_start_matches("http://").to_owned();
        path = path.strip_prefix("https://").map(str::to_owned).unwrap_or(path);
    }
    if app.scale_with_cluster == Some(true) && deployment != "kubernetes" {
        return Err(refuse("App scaling is only supported for Kubernetes deployments"));
    }
    if app.vm_app_os_type.is_some_and(|os| os != VmAppOsType::Unknown) && deployment != "vm" {
        return Err(refuse("VM App OS Type is only supported for VM deployments"));
    }
    if image == ImageType::Docker && !path.is_empty() {
        path = image_path::docker_normalised(&path);
    }
    if matches!(image, ImageType::Qcow | ImageType::Ova | ImageType::Ovf) && !path.contains("://") {
        path = format!("https://{path}");
    }
    if matches!(image, ImageType::Qcow | ImageType::Ova) {
        image_path::check_vm_image(&path).map_err(|e| refuse(super::super::errors::capitalized(&e)))?;
    }
    if image == ImageType::Ovf && !path.contains(".ovf") {
        return Err(refuse(format!("Image path does not specify an OVF file {path}, <nil>")));
    }
    app.image_path = Some(path).filter(|p| !p.is_empty());
    Ok(())
}

/// `GetAppDeploymentManifest`: as given, or generated.
fn manifest(app: &mut App, deployment: &str) -> Result<String, McError> {
    let given = text(&app.deployment_manifest);
    if !given.is_empty() {
        return inline_manifest(given);
    }
    let generator = text(&app.deployment_generator).to_owned();
    if generator.is_empty() && deployment != "kubernetes" {
        return Ok(String::new());
    }
    if generator.is_empty() {
        app.deployment_generator = Some(KUBERNETES_BASIC.to_owned());
    } else if generator != KUBERNETES_BASIC {
        return Err(refuse(format!("Invalid deployment generator {generator}")));
    }
    let ports = app_ports::parse(text(&app.access_ports)).map_err(refuse)?;
    let args = app.command_args.clone().unwrap_or_default();
    let key = app.key.clone().unwrap_or_default();
    Ok(app_manifest::kubernetes_basic(&AppSpec {
        name: text(&key.name),
        version: text(&key.version),
        image_path: text(&app.image_path),
        command: text(&app.command),
        args: &args,
        ports: &ports,
        scale_with_cluster: app.scale_with_cluster == Some(true),
    }))
}

/// `GetFlavorForServerlessConfig`: the smallest flavor holding the
/// config's vCPUs and RAM (GPU flavors are never matched here).
async fn serverless_flavor(txn: &sea_orm::DatabaseTransaction, region: &str, app: &App) -> Result<String, McError> {
    let config = app.serverless_config.clone().unwrap_or_default();
    let gpu = config.gpu_config.and_then(|g| g.r#type).is_some_and(|t| t != GpuType::None);
    let mut flavors: Vec<Flavor> = store::list(txn, region, &FLAVOR, store::Listing::default())
        .await?
        .into_iter()
        .map(|row| super::from_json(row.object))
        .collect::<Result<_, _>>()?;
    if flavors.is_empty() {
        return Err(refuse(
            "DefaultFlavor not specified, and unable to get flavor for serverless config, no flavors specified",
        ));
    }
    flavors.sort_by_key(|f| (f.vcpus.unwrap_or(0), f.ram.unwrap_or(0), f.disk.unwrap_or(0)));
    let fits = |f: &&Flavor| {
        let has_gpu = f.opt_res_map.as_ref().is_some_and(|m| m.contains_key("gpu"));
        f.vcpus.unwrap_or(0) as f64 >= config.vcpus.unwrap_or(0.0)
            && f.ram.unwrap_or(0) >= config.ram.unwrap_or(0)
            && !gpu
            && !has_gpu
    };
    flavors.iter().find(fits).map(|f| text(&f.key.as_ref().and_then(|k| k.name.clone())).to_owned()).ok_or_else(|| {
        refuse("DefaultFlavor not specified, and unable to get flavor for serverless config, no matching flavor found")
    })
}

/// `configureApp` on the whole app, inside the caller's transaction.
pub async fn configure(
    txn: &sea_orm::DatabaseTransaction,
    region: &str,
    app: &mut App,
    revision: Option<String>,
) -> Result<(), McError> {
    let key = app.key.clone().unwrap_or_default();
    let package = text(&app.android_package_name).to_owned();
    if !package.is_empty() {
        let apps = store::list(txn, region, &super::app::APP, store::Listing::default()).await?;
        let conflict = apps.iter().any(|row| {
            let other = |at: &str| row.object.pointer(at).and_then(Value::as_str).unwrap_or_default().to_owned();
            other("/android_package_name") == package
                && (other("/key/organization") != text(&key.organization) || other("/key/name") != text(&key.name))
        });
        if conflict {
            return Err(refuse(format!("AndroidPackageName: {package} in use by another App")));
        }
    }
    let mut image = app.image_type.unwrap_or(ImageType::Unknown);
    let mut deployment = text(&app.deployment).to_owned();
    if deployment.is_empty() {
        deployment = default_deployment(image)?.to_owned();
    } else if image == ImageType::Unknown {
        image = image_for(&deployment);
    }
    app.deployment = Some(deployment.clone());
    app.image_type = Some(image);
    if deployment == "helm" && !text(&app.deployment_manifest).is_empty() {
        return Err(refuse("Manifest is not used for Helm deployments. Use config files for customizations"));
    }
    if !DEPLOYMENTS.contains(&deployment.as_str()) {
        return Err(refuse("Invalid deployment, must be one of [kubernetes vm helm docker]"));
    }
    if !fits_image(image, &deployment) {
        return Err(refuse("Deployment is not valid for image type"));
    }
    check_configs(app, &deployment)?;
    app_rules::outbound_connections(app.required_outbound_connections.get_or_insert_with(Vec::new))
        .map_err(|e| refuse(super::super::errors::capitalized(&e)))?;
    if app.access_type == Some(AccessType::Direct) {
        return Err(refuse("Access Type Direct no longer supported"));
    }
    app.access_type = Some(AccessType::LoadBalancer);
    if deployment == "vm" && !text(&app.command).is_empty() {
        return Err(refuse("Invalid argument, command is not supported for VM based deployments"));
    }
    configure_image_path(app, image, &deployment)?;
    let manifest = manifest(app, &deployment)?;
    if app.scale_with_cluster == Some(true) && !app_manifest::has_daemon_set(&manifest) {
        return Err(refuse("DaemonSet required in manifest when ScaleWithCluster set"));
    }
    let mut flavor_name = text(&app.default_flavor.as_ref().and_then(|f| f.name.clone())).to_owned();
    if flavor_name.is_empty() && app.serverless_config.is_none() {
        return Err(refuse("Default flavor or ServerlessConfig must be specified"));
    }
    if flavor_name.is_empty() {
        flavor_name = serverless_flavor(txn, region, app).await?;
        app.default_flavor = Some(super::super::api::FlavorKey { name: Some(flavor_name.clone()) });
    }
    let flavor: Flavor =
        super::from_json(super::referenced(txn, region, &FLAVOR, &serde_json::json!({"name": flavor_name})).await?)?;
    if app.allow_serverless == Some(true) {
        if deployment != "kubernetes" {
            return Err(refuse("Allow serverless only supported for deployment type Kubernetes"));
        }
        if app.scale_with_cluster == Some(true) {
            return Err(refuse("Allow serverless does not support scale with cluster"));
        }
        if text(&app.deployment_generator) != KUBERNETES_BASIC {
            return Err(refuse("Allow serverless only allowed for system generated manifests"));
        }
        let config = app.serverless_config.get_or_insert_with(Default::default);
        if config.vcpus.unwrap_or(0.0) == 0.0 {
            config.vcpus = Some(flavor.vcpus.unwrap_or(0) as f64);
        }
        if config.ram.unwrap_or(0) == 0 {
            config.ram = flavor.ram;
        }
        let millis = config.vcpus.unwrap_or(0.0) * 1000.0;
        if (millis - millis.round()).abs() > 1e-6 {
            return Err(refuse("Serverless config vcpus cannot have precision less than 0.001"));
        }
        if config.min_replicas.unwrap_or(0) == 0 {
            config.min_replicas = Some(1);
        }
    }
    let no_priority = app.qos_session_profile.is_none_or(|p| p == QosSessionProfile::NoPriority);
    if no_priority && !text(&app.qos_session_duration).is_empty() {
        let nanos = app_rules::parse_duration(text(&app.qos_session_duration)).map_err(refuse)?;
        if nanos > 0 {
            return Err(refuse("QosSessionDuration cannot be specified without setting QosSessionProfile"));
        }
    }
    if let Some(duration) = app.qos_session_duration.clone().filter(|d| !d.is_empty()) {
        let nanos = app_rules::parse_duration(&duration).map_err(refuse)?;
        app.qos_session_duration = (nanos > 0).then(|| app_rules::go_duration(nanos));
    }
    app.deployment_manifest = Some(manifest.clone()).filter(|m| !m.is_empty());
    app.revision = revision.filter(|r| !r.is_empty());
    let ports = app_ports::parse(text(&app.access_ports)).map_err(refuse)?;
    app_rules::skip_health_check_ports(text(&app.skip_hc_ports), &ports).map_err(refuse)?;
    if !manifest.is_empty() {
        app_manifest::check(&deployment, text(&app.command), &manifest, &ports)
            .map_err(|e| refuse(format!("Invalid deployment manifest, {manifest}, {e}")))?;
    }
    check_policies(txn, region, app).await
}

/// `validatePolicies` and `validateAlertPolicies`: the policies an app
/// names exist in its org.
pub async fn check_policies(txn: &sea_orm::DatabaseTransaction, region: &str, app: &App) -> Result<(), McError> {
    let org = text(&app.key.as_ref().and_then(|k| k.organization.clone())).to_owned();
    for name in app.auto_prov_policies.iter().flatten() {
        let key = serde_json::json!({"organization": org, "name": name});
        super::referenced(txn, region, &AUTO_PROV_POLICY, &key).await?;
    }
    let no_flavor = text(&app.default_flavor.as_ref().and_then(|f| f.name.clone())).is_empty();
    if app.auto_prov_policies.as_ref().is_some_and(|p| !p.is_empty()) && no_flavor {
        return Err(refuse(
            "For auto-provisioning or auto-clusters (no cluster specified), App must have default flavor defined",
        ));
    }
    // Alert policies have no operations here, so none can exist.
    if let Some(name) = app.alert_policies.iter().flatten().next() {
        let key = serde_json::json!({"organization": org, "name": name});
        return Err(refuse(format!("AlertPolicy key {} not found", super::object::without_zeros(&key))));
    }
    Ok(())
}
