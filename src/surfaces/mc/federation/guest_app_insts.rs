//! A guest's app instances on federated cloudlets: the regional create and
//! delete of an instance on a federation's zone deploy it on the host
//! through its `application/lcm` API, as MC's federation platform does
//! (`pkg/platform/federation`). Calls to the host happen outside any
//! transaction; the caller writes what they decide.

use reqwest::Method;
use serde_json::{Value, json};

use super::super::Mc;
use super::super::api::{AppInst, FedAppInstKey};
use super::super::controllers::dns_label;
use super::super::errors::McError;
use super::super::partner::errors::sorted;
use super::super::partner::parse_interface_id;
use super::super::store::text;
use super::client::PartnerClient;
use super::guests::{self, API_ROOT};
use crate::db::entities::mc_federation_consumer;

/// How often the guest reads the host's instance, and for how long
/// before giving up (MC waited ten minutes for callbacks, reading every
/// 20 s; a Steward host answers READY at once).
const POLL_DELAY: std::time::Duration = std::time::Duration::from_secs(2);
const DEADLINE: std::time::Duration = std::time::Duration::from_secs(120);

/// `PartnerInstanceStatusEventPath`, under the guest's partner address.
const CALLBACK_PATH: &str = "/operatorplatform/fedcallbacks/v1/onInstanceStatusEvent/";

/// The host's side of one instance: the guest, its client, the paths.
struct AtHost {
    partner: PartnerClient,
    guest: mc_federation_consumer::Model,
    app_id: String,
    zone: String,
}

impl AtHost {
    async fn of(mc: &Mc, region: &str, instance: &AppInst) -> Result<Self, McError> {
        let key = instance.key.clone().unwrap_or_default();
        let cloudlet = key.cloudlet_key.unwrap_or_default();
        let guest = guests::lookup(&mc.db, None, text(&cloudlet.organization)).await?;
        let app = instance.app_key.clone().unwrap_or_default();
        let key = (text(&app.organization), text(&app.name), text(&app.version));
        let onboarded = super::guest_apps::onboarded_app(&mc.db, &guest.name, region, key)
            .await?
            .ok_or_else(|| McError::bad_request(format!("Consumer Application {} not found", text(&app.name))))?;
        let partner = guests::client(mc, &guest).await?;
        Ok(Self { partner, guest, app_id: onboarded.id, zone: text(&cloudlet.name).to_owned() })
    }

    fn instance_path(&self, id: &str) -> String {
        format!(
            "{API_ROOT}/{}/application/lcm/app/{}/instance/{id}/zone/{}",
            self.guest.federation_context_id, self.app_id, self.zone
        )
    }
}

/// MC's `FederationPlatform.CreateAppInst`: the install request, then the
/// host's instance read until it is `READY` (its access points become the
/// instance's ports and the URI goes) or `FAILED`. A failure after the host
/// accepted removes the instance there too.
pub async fn install_at_host(
    mc: &Mc,
    region: &str,
    instance: &mut AppInst,
    lines: &mut Vec<String>,
) -> Result<(), McError> {
    let failed = |why: String| McError::bad_request(format!("Create App Inst failed: {why}"));
    let host = AtHost::of(mc, region, instance).await.map_err(|e| failed(e.message))?;
    let key = instance.key.clone().unwrap_or_default();
    let app = instance.app_key.clone().unwrap_or_default();
    let id = dns_label(text(&key.name));
    let link = format!("{}{CALLBACK_PATH}{}", mc.settings.federation_url, text(&instance.unique_id));
    let request = json!({
        "appInstanceId": id,
        "appId": host.app_id,
        "appVersion": text(&app.version),
        "appProviderId": dns_label(text(&app.organization)),
        "zoneInfo": {"zoneId": host.zone, "flavourId": text(&instance.vm_flavor)},
        "appInstCallbackLink": link,
    });
    lines.push("Sending app instance create request to federation partner".to_owned());
    instance.fed_key =
        Some(FedAppInstKey { federation_name: Some(host.guest.name.clone()), app_inst_id: Some(id.clone()) });
    let install = format!("{API_ROOT}/{}/application/lcm", host.guest.federation_context_id);
    // A refusal is not undone at the host: the ID may be another
    // instance's there (MC's undo would remove that one).
    host.partner.send(Method::POST, &install, Some(&sorted(request))).await.map_err(|e| failed(e.message))?;
    lines.push(format!("Waiting for federation partner callbacks for FedAppInstId {id}"));
    let outcome = wait_until_ready(&host, &id).await;
    match outcome {
        Ok(points) => {
            apply_access_points(instance, &points);
            Ok(())
        }
        Err(why) => {
            if let Err(undone) = host.partner.send(Method::DELETE, &host.instance_path(&id), None).await {
                tracing::warn!(reason = %undone.message, "federated app instance left at the host");
            }
            Err(failed(why))
        }
    }
}

/// The host's access points once the instance is `READY`, or why not.
async fn wait_until_ready(host: &AtHost, id: &str) -> Result<Vec<Value>, String> {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let mut first = true;
    while tokio::time::Instant::now() < deadline {
        if !first {
            tokio::time::sleep(POLL_DELAY).await;
        }
        first = false;
        let path = host.instance_path(id);
        let read = host.partner.send(Method::GET, &path, None);
        let details = match tokio::time::timeout_at(deadline, read).await {
            Ok(Ok(details)) => details,
            Ok(Err(refused)) => {
                tracing::warn!(reason = %refused.message, "federated app instance not read");
                continue;
            }
            Err(_) => break,
        };
        let description = details.get("stateDescription").and_then(Value::as_str).unwrap_or("");
        match details.get("appInstanceState").and_then(Value::as_str).unwrap_or("") {
            "READY" => {
                return Ok(details.get("accesspointInfo").and_then(Value::as_array).cloned().unwrap_or_default());
            }
            "FAILED" if description.is_empty() => return Err("Create failed, no error message".to_owned()),
            "FAILED" => return Err(description.to_owned()),
            "TERMINATING" if description.is_empty() => return Err("Terminating".to_owned()),
            "TERMINATING" => return Err(format!("Terminating, {description}")),
            _ => {}
        }
    }
    Err("Timed out waiting for callback".to_owned())
}

/// `UpdateFromInfo`'s federated ports: each access point's fqdn and port
/// on the mapped port of its protocol and internal port; the URI goes
/// when any arrived (their fqdns are whole).
fn apply_access_points(instance: &mut AppInst, points: &[Value]) {
    if !points.is_empty() {
        instance.uri = None;
    }
    for point in points {
        let interface = point.get("interfaceId").and_then(Value::as_str).unwrap_or("");
        let Ok((proto, port)) = parse_interface_id(interface) else { continue };
        let Ok(port) = i32::try_from(port) else { continue };
        let endpoint = point.get("accessPoints").cloned().unwrap_or_default();
        let first = |key: &str| endpoint.get(key).and_then(Value::as_array).and_then(|a| a.first().cloned());
        let address =
            endpoint.get("fqdn").cloned().or_else(|| first("ipv4Addresses")).or_else(|| first("ipv6Addresses"));
        let Some(address) = address.as_ref().and_then(Value::as_str) else { continue };
        let public = endpoint.get("port").and_then(Value::as_i64).and_then(|p| i32::try_from(p).ok());
        let mapped = instance.mapped_ports.iter_mut().flatten();
        for mapped in mapped.filter(|m| m.proto == Some(proto) && m.internal_port == Some(port)) {
            mapped.fqdn_prefix = Some(address.to_owned());
            mapped.public_port = public;
        }
    }
}

/// MC's `FederationPlatform.DeleteAppInst`: the host's instance removed
/// (a host that no longer has it refuses, as in MC).
pub async fn remove_at_host(mc: &Mc, region: &str, instance: &AppInst) -> Result<(), McError> {
    let failed = |why: String| McError::bad_request(format!("Delete App Inst failed: {why}"));
    let id = instance.fed_key.as_ref().and_then(|key| key.app_inst_id.clone()).unwrap_or_default();
    if id.is_empty() {
        return Err(failed("Cannot delete AppInst with no federated appInstId".to_owned()));
    }
    let host = AtHost::of(mc, region, instance).await.map_err(|e| failed(e.message))?;
    host.partner.send(Method::DELETE, &host.instance_path(&id), None).await.map_err(|e| failed(e.message))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::super::api::{AppPort, LProto};
    use super::*;

    #[test]
    fn access_points_land_on_their_ports_and_the_uri_goes() {
        let mut instance = AppInst {
            uri: Some("reservable0.fed.local".into()),
            mapped_ports: Some(vec![
                AppPort {
                    proto: Some(LProto::Tcp),
                    internal_port: Some(80),
                    public_port: Some(80),
                    ..Default::default()
                },
                AppPort {
                    proto: Some(LProto::Udp),
                    internal_port: Some(80),
                    public_port: Some(80),
                    ..Default::default()
                },
            ]),
            ..Default::default()
        };
        let points = [json!({"interfaceId": "tcp-80", "accessPoints": {"fqdn": "shared.c1.host", "port": 10000}})];
        apply_access_points(&mut instance, &points);
        let ports = instance.mapped_ports.clone().unwrap_or_default();
        assert_eq!((ports[0].fqdn_prefix.as_deref(), ports[0].public_port), (Some("shared.c1.host"), Some(10000)));
        assert_eq!((ports[1].fqdn_prefix.as_deref(), ports[1].public_port), (None, Some(80)));
        assert_eq!(instance.uri, None);
    }
}
