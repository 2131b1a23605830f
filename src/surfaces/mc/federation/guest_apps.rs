//! Apps developers onboard to a federation host (`/auth/federation/
//! consumer/app/{onboard,deboard,show}`): MC's `OnboardConsumerApp` and
//! friends, streamed as MC streams them. Onboarding sends the App's image
//! (as `image/create` does), an artefact (one component spec) and the
//! application to the host; the row is written first and undone, with the
//! artefact, when a later step fails (the images stay, as in MC).

use reqwest::Method;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use super::super::api::{ConsumerApp, ConsumerAppFilter, Result as Line};
use super::super::caller::McCaller;
use super::super::controllers::dns_label;
use super::super::errors::McError;
use super::super::partner::artefacts::{command_line_params, format_cpus};
use super::super::partner::errors::sorted;
use super::super::rbac::MANAGE;
use super::super::regional::Visible;
use super::super::regional::app::APP;
use super::super::regional::app_inst::APP_INSTS;
use super::super::regional::flavor::FLAVOR;
use super::super::regional::store::{self as regional_store, Listing};
use super::super::store::text;
use super::super::{Mc, change};
use super::guest_images::{self, Created, ImageRequest};
use super::guests::{self, API_ROOT};
use crate::db::entities::{mc_consumer_app, mc_federation_consumer};
use crate::wire::Stream;

type Steps = Stream<Line, McError>;

fn line(message: &str) -> Line {
    Line { message: Some(message.to_owned()), code: Some(200) }
}

/// `LookupRegionApp`: the App and its compute resources' flavor, if any.
async fn region_app(mc: &Mc, region: &str, org: &str, name: &str, version: &str) -> Result<Value, McError> {
    let key = APP.key_text(&json!({"key": {"organization": org, "name": name, "version": version}}));
    let listing = Listing { orgs: None, org: Some(org), key: Some(&key), key_ends_with: None };
    let app = regional_store::list(&mc.db, region, &APP, listing).await?.into_iter().next().map(|row| row.object);
    let Some(app) = app else { return Err(McError::bad_request("App not found")) };
    let flavor = app.pointer("/default_flavor/name").and_then(Value::as_str).unwrap_or("");
    if flavor.is_empty() && app.get("serverless_config").is_none() {
        return Err(McError::bad_request(
            "App has no default flavor and no serverless config to specify compute resources",
        ));
    }
    Ok(app)
}

/// The flavor of `app` (for its compute resources), `Null` when it has none.
async fn flavor_of(mc: &Mc, region: &str, app: &Value) -> Result<Value, McError> {
    let name = app.pointer("/default_flavor/name").and_then(Value::as_str).unwrap_or("");
    if name.is_empty() {
        return Ok(Value::Null);
    }
    let key = FLAVOR.key_text(&json!({"key": {"name": name}}));
    let listing = Listing { orgs: None, org: None, key: Some(&key), key_ends_with: None };
    let found = regional_store::list(&mc.db, region, &FLAVOR, listing).await?.into_iter().next();
    found.map(|row| row.object).ok_or_else(|| McError::bad_request(format!("App DefaultFlavor {name} not found")))
}

/// `getImagesForApp`: the App's one image, as `image/create` would send it.
fn image_of(app: &Value, organization: &str, federation: &str) -> Result<Option<ImageRequest>, McError> {
    let path = app.get("image_path").and_then(Value::as_str).unwrap_or("");
    if path.is_empty() {
        return Ok(None);
    }
    let kind = match app.get("image_type").and_then(Value::as_str).unwrap_or("") {
        "Docker" => "DOCKER",
        "Qcow" => "QCOW2",
        "Ova" => "OVA",
        "Helm" => return Err(McError::bad_request("federation does not support image type IMAGE_TYPE_HELM")),
        "Ovf" => return Err(McError::bad_request("federation does not support image type IMAGE_TYPE_OVF")),
        // MC prints the enum's number; every other name is listed above.
        _ => return Err(McError::bad_request("Unknown App ImageType 0")),
    };
    let md5sum = app.get("md5sum").and_then(Value::as_str).unwrap_or("");
    let (source_path, checksum) = match path.split_once("#md5:") {
        Some((source, sum)) => (source, sum),
        None => (path, md5sum),
    };
    let given = |field: &str| app.get(field).and_then(Value::as_str).is_some_and(|value| !value.is_empty());
    match app.get("deployment").and_then(Value::as_str).unwrap_or("") {
        "docker" if given("deployment_manifest") => {
            return Err(McError::bad_request("custom docker deployment manifest not supported yet"));
        }
        "kubernetes" if given("deployment_manifest") && !given("deployment_generator") => {
            return Err(McError::bad_request("custom kubernetes deployment manifest not supported yet"));
        }
        _ => {}
    }
    Ok(Some(ImageRequest {
        organization: organization.to_owned(),
        federation_name: federation.to_owned(),
        source_path: source_path.to_owned(),
        kind: kind.to_owned(),
        checksum: checksum.to_owned(),
    }))
}

/// The Controller's words as MC wraps them (Go errors start lower-case).
fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

/// The App's ports as GSMA interfaces (ranges expanded).
fn interfaces(app: &Value) -> Vec<Value> {
    let internal = app.get("internal_ports") == Some(&json!(true));
    let visibility = if internal { "VISIBILITY_INTERNAL" } else { "VISIBILITY_EXTERNAL" };
    let ports = app.get("access_ports").and_then(Value::as_str).unwrap_or("");
    let mut found = Vec::new();
    for port in ports.split(',').filter(|port| !port.is_empty()) {
        let Some((protocol, range)) = port.split_once(':') else { continue };
        let range = range.split(':').next().unwrap_or(range);
        let (first, last) = range.split_once('-').unwrap_or((range, range));
        let (Ok(first), Ok(last)) = (first.parse::<u64>(), last.parse::<u64>()) else { continue };
        let protocol = protocol.to_lowercase();
        for number in first..=last.min(first + 1000) {
            found.push(json!({"commPort": number, "commProtocol": protocol.to_uppercase(),
                              "interfaceId": format!("{protocol}-{number}"), "visibilityType": visibility}));
        }
    }
    found
}

/// `GenerateComponentSpec` (part:596-689).
fn component_spec(app: &Value, flavor: &Value, images: &[String]) -> Result<Value, McError> {
    let name = app.pointer("/key/name").and_then(Value::as_str).unwrap_or("");
    let instances = if app.get("scale_with_cluster") == Some(&json!(true)) { -1 } else { 1 };
    let profile = match app.get("serverless_config") {
        Some(config) => json!({"cpuArchType": "ISA_X86_64",
            "numCPU": format_cpus(config.get("vcpus").and_then(Value::as_f64).unwrap_or(0.0)),
            "memory": config.get("ram").and_then(Value::as_u64).unwrap_or(0)}),
        None if !flavor.is_null() => {
            let mut profile = json!({"cpuArchType": "ISA_X86_64",
                "numCPU": flavor.get("vcpus").and_then(Value::as_u64).unwrap_or(0).to_string(),
                "memory": flavor.get("ram").and_then(Value::as_u64).unwrap_or(0)});
            if let Some(disk) = flavor.get("disk").and_then(Value::as_u64).filter(|disk| *disk > 0) {
                profile["diskStorage"] = json!(disk);
            }
            profile
        }
        None => {
            return Err(McError::bad_request(
                "Cannot specify compute resource info, one of default flavor or serverless config must be set",
            ));
        }
    };
    let mut spec = json!({"componentName": name, "images": images, "numOfInstances": instances,
        "restartPolicy": "RESTART_POLICY_ALWAYS", "computeResourceProfile": profile});
    let ports = interfaces(app);
    if !ports.is_empty() {
        spec["exposedInterfaces"] = json!(ports);
    }
    if let Some(params) = command_line_params(app) {
        spec["commandLineParams"] = params;
    }
    Ok(spec)
}

/// `OnboardConsumerApp`: refusals before the first step are plain errors;
/// a failure after it ends the stream.
pub async fn onboard(mc: &Mc, caller: &McCaller, body: ConsumerApp) -> Result<Steps, McError> {
    for (value, missing) in [
        (&body.region, "Missing region"),
        (&body.app_name, "Missing App name"),
        (&body.app_org, "Missing App organization"),
        (&body.app_vers, "Missing App version"),
        (&body.federation_name, "Missing federation name"),
    ] {
        if text(value).is_empty() {
            return Err(McError::bad_request(missing));
        }
    }
    if !text(&body.id).is_empty() {
        return Err(McError::bad_request("ID cannot be specified"));
    }
    let org = text(&body.app_org);
    guest_images::authorized(mc, caller, org, MANAGE).await?;
    let guest = guests::lookup(&mc.db, None, text(&body.federation_name)).await?;
    let region = super::super::regional::region(mc, &body.region)
        .await
        .map_err(|e| McError::bad_request(format!("Failure looking up App: {}", lower_first(&e.message))))?;
    let app = region_app(mc, &region, org, text(&body.app_name), text(&body.app_vers)).await?;
    let flavor = flavor_of(mc, &region, &app).await?;
    let id = app.get("global_id").and_then(Value::as_str).unwrap_or("").to_owned();
    let row = mc_consumer_app::ActiveModel {
        id: Set(id.clone()),
        region: Set(region.clone()),
        app_name: Set(text(&body.app_name).to_owned()),
        app_org: Set(org.to_owned()),
        app_vers: Set(text(&body.app_vers).to_owned()),
        federation_name: Set(guest.name.clone()),
        image_ids: Set("null".to_owned()),
    };
    let txn = crate::db::begin_write(&mc.db).await?;
    guests::hold(&txn, &guest).await?;
    match row.insert(&txn).await {
        Ok(_) => {}
        Err(error) if crate::db::is_unique_violation(&error) => {
            return Err(McError::bad_request(format!("ConsumerApp {id} already exists")));
        }
        Err(error) => return Err(error.into()),
    }
    mc.audited.record(&txn, &change(caller.username(), "onboard federation app", &id)).await?;
    txn.commit().await?;
    let mut lines = vec![line("Creating images")];
    let mut artefact_sent = false;
    let outcome = send_app(mc, caller, &guest, &app, &flavor, &id, &mut lines, &mut artefact_sent).await;
    if let Err(error) = outcome {
        if artefact_sent && let Ok(partner) = guests::client(mc, &guest).await {
            let path = format!("{API_ROOT}/{}/artefact/{id}", guest.federation_context_id);
            if let Err(undo) = partner.send(Method::DELETE, &path, None).await {
                tracing::warn!(surface = "mc", error = %undo.message, "undoing a federation artefact failed");
            }
        }
        mc_consumer_app::Entity::delete_by_id((id, guest.name.clone())).exec(&mc.db).await?;
        return Ok(Stream { lines, failure: Some(error) });
    }
    lines.push(line("App created successfully"));
    Ok(Stream::lines(lines))
}

/// Onboarding's steps after the first line: images, artefact, app.
#[allow(clippy::too_many_arguments)]
async fn send_app(
    mc: &Mc,
    caller: &McCaller,
    guest: &mc_federation_consumer::Model,
    app: &Value,
    flavor: &Value,
    id: &str,
    lines: &mut Vec<Line>,
    artefact_sent: &mut bool,
) -> Result<(), McError> {
    let org = app.pointer("/key/organization").and_then(Value::as_str).unwrap_or("");
    let name = app.pointer("/key/name").and_then(Value::as_str).unwrap_or("");
    let version = app.pointer("/key/version").and_then(Value::as_str).unwrap_or("");
    let mut images = Vec::new();
    if let Some(request) = image_of(app, org, &guest.name)? {
        images.push(match guest_images::send(mc, caller, request).await? {
            Created::Image(id) | Created::Duplicate(id) => id,
        });
    }
    lines.push(line("Creating artefact"));
    mc_consumer_app::ActiveModel {
        id: Set(id.to_owned()),
        federation_name: Set(guest.name.clone()),
        image_ids: Set(json!(images).to_string()),
        ..Default::default()
    }
    .update(&mc.db)
    .await
    .map_err(|e| McError::bad_request(format!("database error, {e}")))?;
    let deployment = app.get("deployment").and_then(Value::as_str).unwrap_or("");
    let spec = component_spec(app, flavor, &images)
        .map_err(|e| McError::bad_request(format!("failed to create federation artefact for app: {}", e.message)))?;
    let fields = vec![
        ("artefactId", id.to_owned()),
        ("appProviderId", dns_label(org)),
        ("artefactName", name.to_owned()),
        ("artefactVersionInfo", version.to_owned()),
        ("artefactVirtType", if deployment == "vm" { "VM_TYPE" } else { "CONTAINER_TYPE" }.to_owned()),
        ("artefactDescriptorType", "COMPONENTSPEC".to_owned()),
        ("componentSpec", sorted(json!([spec])).to_string()),
    ];
    let partner = guests::client(mc, guest).await?;
    let root = format!("{API_ROOT}/{}", guest.federation_context_id);
    partner
        .post_form(&format!("{root}/artefact"), fields)
        .await
        .map_err(|e| McError::bad_request(format!("failed to create federation artefact for app: {}", e.message)))?;
    *artefact_sent = true;
    lines.push(line("Creating app"));
    let token = app.get("auth_public_key").and_then(Value::as_str).filter(|key| !key.is_empty());
    let onboarding = json!({
        "appId": id,
        "appProviderId": dns_label(org),
        "appMetaData": {"appName": name, "version": version,
                        "accessToken": token.unwrap_or("nonenonenonenonenonenonenonenone11")},
        "appQoSProfile": {"latencyConstraints": "NONE"},
        "appComponentSpecs": [{"artefactId": id}],
        "appStatusCallbackLink": format!("{}/operatorplatform/fedcallbacks/v1/onApplicationOnboardStatusEvent", mc.settings.federation_url),
    });
    partner.send(Method::POST, &format!("{root}/application/onboarding"), Some(&sorted(onboarding))).await?;
    Ok(())
}

/// A partner removal that may find the object gone already (MC reads its
/// client's failures, the token's too, the same way).
async fn remove_at_partner(
    mc: &Mc,
    guest: &mc_federation_consumer::Model,
    path: &str,
    what: &str,
) -> Result<(), McError> {
    let removed = match guests::client(mc, guest).await {
        Ok(partner) => partner.send(Method::DELETE, path, None).await,
        Err(error) => Err(error),
    };
    match removed {
        Ok(_) => Ok(()),
        Err(error) if error.message.to_lowercase().contains("not found") => Ok(()),
        Err(error) => Err(McError::bad_request(format!("failed to delete {what}, {}", error.message))),
    }
}

/// `DeboardConsumerApp`.
pub async fn deboard(mc: &Mc, caller: &McCaller, body: ConsumerApp, ignore_partner: bool) -> Result<Steps, McError> {
    let named = [&body.app_name, &body.app_org, &body.app_vers].iter().all(|value| !text(value).is_empty());
    if text(&body.id).is_empty() && !named {
        return Err(McError::bad_request(
            "Either appname, apporg, and appvers must be specified, or ID must be specified",
        ));
    }
    if text(&body.federation_name).is_empty() {
        return Err(McError::bad_request("Federation name must be specified"));
    }
    let rows = mc_consumer_app::Entity::find().order_by_asc(mc_consumer_app::Column::Id).all(&mc.db).await?;
    let found = rows.into_iter().find(|row| {
        super::same(&body.id, &row.id)
            && super::same_name(&body.federation_name, &row.federation_name)
            && super::same(&body.region, &row.region)
            && super::same(&body.app_name, &row.app_name)
            && super::same(&body.app_org, &row.app_org)
            && super::same(&body.app_vers, &row.app_vers)
    });
    let app = found.ok_or_else(|| McError::bad_request("ConsumerApp not found"))?;
    guest_images::authorized(mc, caller, &app.app_org, MANAGE).await?;
    let guest = guests::lookup(&mc.db, None, &app.federation_name).await?;
    let app_key = json!({"organization": app.app_org, "name": app.app_name, "version": app.app_vers});
    let instances: Vec<String> = regional_store::list(&mc.db, &app.region, &APP_INSTS, Listing::default())
        .await?
        .into_iter()
        .filter(|row| row.object.get("app_key") == Some(&app_key))
        .map(|row| row.key)
        .collect();
    if !instances.is_empty() {
        return Err(McError::bad_request(format!(
            "App still in use by {} AppInsts: {}",
            instances.len(),
            instances.join(", ")
        )));
    }
    let mut lines = Vec::new();
    if ignore_partner {
        lines.push(line("Skipping partner API calls"));
    } else {
        lines.push(line("Deleting App"));
        let root = format!("{API_ROOT}/{}", guest.federation_context_id);
        let path = format!("{root}/application/onboarding/app/{}", app.id);
        if let Err(error) = remove_at_partner(mc, &guest, &path, "app").await {
            return Ok(Stream { lines, failure: Some(error) });
        }
        lines.push(line("Deleting Artefact"));
        let path = format!("{root}/artefact/{}", app.id);
        if let Err(error) = remove_at_partner(mc, &guest, &path, "artefact for app").await {
            return Ok(Stream { lines, failure: Some(error) });
        }
    }
    let txn = crate::db::begin_write(&mc.db).await?;
    mc_consumer_app::Entity::delete_by_id((app.id.clone(), app.federation_name.clone())).exec(&txn).await?;
    mc.audited.record(&txn, &change(caller.username(), "deboard federation app", &app.id)).await?;
    txn.commit().await?;
    lines.push(line("Deleted App successfully"));
    Ok(Stream::lines(lines))
}

/// MC's `guestAppOnboarded`: whether the App (org, name, version) of
/// `region` is onboarded to the guest federation `federation`.
pub async fn app_onboarded(
    db: &impl sea_orm::ConnectionTrait,
    federation: &str,
    region: &str,
    app: (&str, &str, &str),
) -> Result<bool, McError> {
    Ok(onboarded_app(db, federation, region, app).await?.is_some())
}

/// The onboarding of the App (org, name, version) of `region` to the
/// guest federation `federation`, if it is onboarded.
pub(super) async fn onboarded_app(
    db: &impl sea_orm::ConnectionTrait,
    federation: &str,
    region: &str,
    (org, name, version): (&str, &str, &str),
) -> Result<Option<mc_consumer_app::Model>, McError> {
    let rows = mc_consumer_app::Entity::find()
        .filter(mc_consumer_app::Column::Region.eq(region))
        .filter(mc_consumer_app::Column::AppName.eq(name))
        .filter(mc_consumer_app::Column::AppVers.eq(version))
        .all(db)
        .await?;
    Ok(rows.into_iter().find(|row| row.app_org == org && row.federation_name.eq_ignore_ascii_case(federation)))
}

/// `ShowConsumerApp`: the onboarded apps of the caller's developer orgs
/// and of those granted the caller's cloudlet pools (MC's
/// `newShowAppAuthz` over every region; 403 to a caller with neither).
pub async fn show(mc: &Mc, caller: &McCaller, filter: Option<ConsumerAppFilter>) -> Result<Vec<ConsumerApp>, McError> {
    let filter = filter.unwrap_or_default();
    let visible = crate::surfaces::mc::regional::app::app_sight(mc, caller, None).await?;
    let sees = |org: &str| match &visible {
        Visible::All => true,
        Visible::Orgs(orgs) => orgs.contains(org),
    };
    let rows = mc_consumer_app::Entity::find()
        .filter(mc_consumer_app::Column::Id.ne(""))
        .order_by_asc(mc_consumer_app::Column::Id)
        .all(&mc.db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|row| sees(&row.app_org))
        .filter(|row| {
            super::same(&filter.id, &row.id)
                && super::same_name(&filter.federation_name, &row.federation_name)
                && super::same(&filter.region, &row.region)
                && super::same(&filter.app_name, &row.app_name)
                && super::same(&filter.app_org, &row.app_org)
                && super::same(&filter.app_vers, &row.app_vers)
                && super::same(&filter.status, "")
                && filter.image_ids.as_ref().is_none_or(|wanted| {
                    wanted.is_empty()
                        || serde_json::from_str::<Vec<String>>(&row.image_ids).ok().as_ref() == Some(wanted)
                })
        })
        .map(|row| ConsumerApp {
            image_ids: serde_json::from_str(&row.image_ids).ok().flatten(),
            id: Some(row.id),
            federation_name: Some(row.federation_name),
            region: Some(row.region),
            app_name: Some(row.app_name),
            app_org: Some(row.app_org),
            app_vers: Some(row.app_vers),
            status: Some(String::new()),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_become_interfaces_with_ranges_expanded() {
        let app = json!({"access_ports": "tcp:81,udp:10002-10003"});
        let ids: Vec<String> =
            interfaces(&app).iter().map(|i| i["interfaceId"].as_str().unwrap_or("").to_owned()).collect();
        assert_eq!(ids, ["tcp-81", "udp-10002", "udp-10003"]);
    }

    #[test]
    fn vm_images_take_their_checksum_from_the_path() {
        let app =
            json!({"image_path": "https://vm.example.com/org/vm.img#md5:abc", "image_type": "Qcow", "md5sum": "x"});
        let image = image_of(&app, "org", "fed").ok().flatten().map(|i| (i.source_path, i.kind, i.checksum));
        assert_eq!(image, Some(("https://vm.example.com/org/vm.img".into(), "QCOW2".into(), "abc".into())));
        let helm = json!({"image_path": "chart", "image_type": "Helm"});
        assert!(image_of(&helm, "org", "fed").is_err());
    }
}
