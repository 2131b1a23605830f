//! Application instances a partner deploys on a host
//! (`{federationContextId}/application/lcm`): MC's `InstallApp`,
//! `GetAppInstanceDetails` and `RemoveApp`, and the status callbacks the
//! host makes on the partner's `appInstCallbackLink`.

use poem::http::StatusCode;
use poem_openapi::types::ToJSON;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, IntoActiveModel, TransactionTrait};
use serde_json::{Value, json};

use super::super::Mc;
use super::super::api::{AppInst, AppInstKey, AppKey, CloudletKey, FedAppInstKey, LProto, TrackedState};
use super::super::caller::McCaller;
use super::super::federation::client::PartnerClient;
use super::super::federation::hosts::{NotifyKey, REGISTERED};
use super::super::federation::zones::callback_key;
use super::super::regional::app_inst;
use super::api::{AccessPointInfo, AppInstanceDetails, AppInstanceInstall, ServiceEndpoint};
use super::caller::PartnerCaller;
use super::errors::{FedError, echo_json};
use super::federation::{NOT_SUPPORTED, check_callback_link, lookup_provider};
use super::files::check_label;
use super::is_label;
use crate::db::entities::{
    mc_federation_provider, mc_provider_app, mc_provider_app_inst, mc_provider_artefact, mc_provider_zone,
    mc_provider_zone_base,
};
use crate::wire::Deferred;

/// How long callbacks wait for the install's reply to be on its way.
const CALLBACK_DELAY: std::time::Duration = std::time::Duration::from_millis(100);

/// `InstallAppRequest.Validate`, in its order.
fn validate(request: &AppInstanceInstall) -> Result<(), FedError> {
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    check_label("appInstanceId", &text(&request.app_instance_id))?;
    check_label("appId", &text(&request.app_id))?;
    if text(&request.app_version).is_empty() {
        return Err(FedError::bad_request("appVersion is required"));
    }
    check_label("appProviderId", &text(&request.app_provider_id))?;
    let zone = request.zone_info.clone().unwrap_or_default();
    check_label("zoneId", &text(&zone.zone_id))?;
    if text(&zone.flavour_id).is_empty() {
        return Err(FedError::bad_request("flavourId is required"));
    }
    if let Some(pool) = zone.res_pool.as_deref()
        && !is_label(pool)
    {
        return Err(FedError::bad_request(format!(
            "resPool {pool} does not match format ^[a-z0-9]([-a-z0-9]{{0,62}}[a-z0-9])?$"
        )));
    }
    Ok(())
}

fn not_found(text: String) -> FedError {
    FedError::new(StatusCode::NOT_FOUND, text)
}

/// Go's `%v` of a string slice.
fn go_list(items: &[String]) -> String {
    format!("[{}]", items.join(" "))
}

/// `InstallApp`: the checks, the instance row, the deployment in the
/// zone's region, then the callbacks (after the reply). `""` with 202.
pub async fn install(
    mc: &Mc,
    caller: &PartnerCaller,
    context_id: &str,
    body: Deferred<AppInstanceInstall>,
) -> Result<poem::Response, FedError> {
    let provider = lookup_provider(&mc.db, caller, context_id, false).await?;
    let request = body.map_err(FedError::from)?;
    let link = request.app_inst_callback_link.clone().filter(|link| !link.is_empty());
    let link = link.unwrap_or_else(|| NOT_SUPPORTED.to_owned());
    validate(&request)?;
    check_callback_link(&link)?;
    let zone_info = request.zone_info.clone().unwrap_or_default();
    let zone_id = zone_info.zone_id.clone().unwrap_or_default();
    let flavour = zone_info.flavour_id.clone().unwrap_or_default();
    let instance_id = request.app_instance_id.clone().unwrap_or_default();
    let app_id = request.app_id.clone().unwrap_or_default();

    let txn = crate::db::begin_write(&mc.db).await?;
    // The host's row held: the federation cannot go meanwhile.
    let provider = lookup_provider(&txn, caller, &provider.federation_context_id, true).await?;
    let base = mc_provider_zone_base::Entity::find_by_id(zone_id.clone())
        .one(&txn)
        .await?
        .filter(|base| base.operator_id == provider.operator_id)
        .ok_or_else(|| FedError::bad_request("Zone not found"))?;
    let cloudlets: Vec<String> = serde_json::from_str(&base.cloudlets).unwrap_or_default();
    let [cloudlet] = cloudlets.as_slice() else {
        return Err(FedError::bad_request(format!(
            "Provider base zone must only have 1 cloudlet but has {}",
            go_list(&cloudlets)
        )));
    };
    let zone = mc_provider_zone::Entity::find_by_id((zone_id.clone(), provider.name.clone()))
        .one(&txn)
        .await?
        .ok_or_else(|| not_found(format!("Zone {zone_id} not found")))?;
    if zone.status != REGISTERED {
        return Err(FedError::bad_request("Specified zone is not registered"));
    }
    let app = mc_provider_app::Entity::find_by_id((provider.name.clone(), app_id.clone()))
        .one(&txn)
        .await?
        .ok_or_else(|| not_found(format!("Application {app_id} not found")))?;
    let artefact_ids: Vec<String> = serde_json::from_str(&app.artefact_ids).unwrap_or_default();
    let [artefact_id] = artefact_ids.as_slice() else {
        return Err(FedError::bad_request(format!(
            "Invalid App configuration, must only have one Artefact but has {}",
            go_list(&artefact_ids)
        )));
    };
    let artefact = mc_provider_artefact::Entity::find_by_id((provider.name.clone(), artefact_id.clone()))
        .one(&txn)
        .await?
        .ok_or_else(|| not_found(format!("Artefact {artefact_id} not found")))?;
    let row = mc_provider_app_inst::ActiveModel {
        federation_name: Set(provider.name.clone()),
        app_inst_id: Set(instance_id.clone()),
        app_id: Set(app_id.clone()),
        app_name: Set(artefact.app_name.clone()),
        app_vers: Set(artefact.app_vers.clone()),
        region: Set(base.region.clone()),
        cloudlet: Set(cloudlet.clone()),
        cloudlet_org: Set(provider.operator_id.clone()),
        cloudlet_fed_org: Set(String::new()),
        app_inst_callback_link: Set(link.clone()),
        error: Set(String::new()),
    };
    let row = match row.insert(&txn).await {
        Ok(row) => row,
        Err(error) if crate::db::is_unique_violation(&error) => {
            return Err(FedError::bad_request(format!("AppInst with ID {instance_id} already exists")));
        }
        Err(error) => return Err(error.into()),
    };
    let what = format!("{instance_id} of {}", provider.name);
    mc.audited
        .record(&txn, &super::super::change(&caller.claims.apikeyusername, "install app instance", &what))
        .await?;

    // The region AppInst in the row's transaction (under a savepoint, so
    // a refused deployment leaves the row with its reason): nothing can
    // remove the row between them and leave the AppInst behind.
    let mut instance = AppInst {
        key: Some(instance_key(&row)),
        app_key: Some(AppKey {
            organization: Some(provider.name.clone()),
            name: Some(artefact.app_name.clone()),
            version: Some(artefact.app_vers.clone()),
        }),
        fed_key: Some(FedAppInstKey {
            federation_name: Some(provider.name.clone()),
            app_inst_id: Some(instance_id.clone()),
        }),
        cloudlet_flavor: Some(flavour).filter(|f| f != "NOT_SPECIFIED"),
        ..Default::default()
    };
    let acting = McCaller { claims: caller.claims.clone() };
    let deployment = txn.begin().await?;
    let (steps, outcome) = app_inst::create_for_partner(mc, &deployment, &acting, &base.region, &mut instance).await;
    let last = match outcome {
        Ok(()) => {
            deployment.commit().await?;
            Report::Ready(access_points(&instance))
        }
        Err(failure) => {
            deployment.rollback().await?;
            let mut failed = row.into_active_model();
            failed.error = Set(failure.message.clone());
            failed.update(&txn).await?;
            Report::Failed(failure.message)
        }
    };
    txn.commit().await?;
    if link != NOT_SUPPORTED
        && let Some(key) = callback_key(mc, &provider)
    {
        let event = json!({"appId": app_id, "appInstanceId": instance_id,
            "federationContextId": provider.federation_context_id, "zoneId": base.zone_id});
        tokio::spawn(async move {
            // The partner hears of the instance after the 202 (MC starts
            // them once the reply is written).
            tokio::time::sleep(CALLBACK_DELAY).await;
            send_callbacks(link, key, event, steps, last).await;
        });
    }
    Ok(echo_json(StatusCode::ACCEPTED, &json!("")))
}

/// The region AppInst of an instance (`ProviderAppInst.GetAppInstKey`).
fn instance_key(row: &mc_provider_app_inst::Model) -> AppInstKey {
    AppInstKey {
        name: Some(row.app_inst_id.clone()),
        organization: Some(row.federation_name.clone()),
        cloudlet_key: Some(CloudletKey {
            organization: Some(row.cloudlet_org.clone()),
            name: Some(row.cloudlet.clone()),
            ..Default::default()
        }),
    }
}

/// The stored key of an instance's region AppInst.
fn region_key(row: &mc_provider_app_inst::Model) -> String {
    app_inst::key_text(&AppInst { key: Some(instance_key(row)), ..Default::default() })
}

/// How a deployment ended, as the last callback reports it.
enum Report {
    Ready(Vec<AccessPointInfo>),
    Failed(String),
}

/// One `PENDING` callback per step, then `READY` with the access points or
/// `FAILED` with the reason; a refused callback is only logged, as MC logs it.
async fn send_callbacks(link: String, key: NotifyKey, event: Value, steps: Vec<String>, last: Report) {
    let partner = match PartnerClient::connect(&link, &key.tokenurl, &key.id, &key.key).await {
        Ok(partner) => partner,
        Err(refused) => {
            tracing::warn!(reason = %refused.message, "federation app instance callback not sent");
            return;
        }
    };
    let mut infos: Vec<Value> =
        steps.into_iter().map(|step| json!({"appInstanceState": "PENDING", "message": step})).collect();
    infos.push(match last {
        Report::Ready(points) => json!({"appInstanceState": "READY", "accesspointInfo": points.to_json()}),
        Report::Failed(reason) => json!({"appInstanceState": "FAILED", "message": reason}),
    });
    for info in infos {
        let mut body = event.clone();
        body["appInstanceInfo"] = info;
        body["modificationDate"] = json!(now_rfc3339());
        if let Err(refused) = partner.send(reqwest::Method::POST, "", Some(&super::errors::sorted(body))).await {
            tracing::warn!(reason = %refused.message, "federation app instance callback refused");
        }
    }
}

fn now_rfc3339() -> String {
    super::super::store::now().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// `getAppInstAccessPointInfo`: one access point per port of each range,
/// its fqdn the instance's URI followed by the port's prefix.
pub fn access_points(instance: &AppInst) -> Vec<AccessPointInfo> {
    let mut points = Vec::new();
    for port in instance.mapped_ports.iter().flatten() {
        let start = port.internal_port.unwrap_or(0);
        let end = port.end_port.filter(|end| *end != 0).unwrap_or(start);
        let proto = match port.proto {
            Some(LProto::Tcp) => "tcp",
            Some(LProto::Udp) => "udp",
            _ => "",
        };
        let fqdn = format!("{}{}", instance.uri.as_deref().unwrap_or(""), port.fqdn_prefix.as_deref().unwrap_or(""));
        for value in start..=end {
            points.push(AccessPointInfo {
                interface_id: Some(format!("{proto}-{value}")),
                access_points: Some(ServiceEndpoint {
                    port: Some(i64::from(port.public_port.unwrap_or(0))),
                    fqdn: Some(fqdn.clone()),
                    ..Default::default()
                }),
            });
        }
    }
    points
}

/// `getInstanceState`.
fn instance_state(state: Option<TrackedState>) -> Option<&'static str> {
    use TrackedState::*;
    match state? {
        CreateRequested | Creating | UpdateRequested | Updating => Some("PENDING"),
        DeleteRequested | Deleting | DeletePrepare => Some("TERMINATING"),
        CreateError | UpdateError | DeleteError => Some("FAILED"),
        Ready => Some("READY"),
        _ => None,
    }
}

async fn lookup(
    db: &impl ConnectionTrait,
    provider: &mc_federation_provider::Model,
    id: &str,
) -> Result<mc_provider_app_inst::Model, FedError> {
    mc_provider_app_inst::Entity::find_by_id((provider.name.clone(), id.to_owned()))
        .one(db)
        .await?
        .ok_or_else(|| not_found(format!("Application instance {id} not found")))
}

/// `GetAppInstanceDetails`: `PENDING` until the region has the instance
/// (`FAILED` with the recorded reason), else its state and access points.
pub async fn details(
    mc: &Mc,
    caller: &PartnerCaller,
    context_id: &str,
    id: &str,
) -> Result<AppInstanceDetails, FedError> {
    let provider = lookup_provider(&mc.db, caller, context_id, false).await?;
    let row = lookup(&mc.db, &provider, id).await?;
    let key = region_key(&row);
    let mut details = AppInstanceDetails { app_instance_state: Some("PENDING".to_owned()), ..Default::default() };
    if !row.error.is_empty() {
        details.app_instance_state = Some("FAILED".to_owned());
        details.state_description = Some(row.error.clone());
    }
    if let Some(instance) = app_inst::find(&mc.db, &row.region, &key).await? {
        details.app_instance_state = instance_state(instance.state).map(str::to_owned);
        let points = access_points(&instance);
        details.accesspoint_info = (!points.is_empty()).then_some(points);
    }
    Ok(details)
}

/// `RemoveApp`.
pub async fn remove(mc: &Mc, caller: &PartnerCaller, context_id: &str, id: &str) -> Result<(), FedError> {
    let txn = crate::db::begin_write(&mc.db).await?;
    let provider = lookup_provider(&txn, caller, context_id, true).await?;
    remove_internal(&txn, &provider, id).await?;
    let what = format!("{id} of {}", provider.name);
    mc.audited.record(&txn, &super::super::change(&caller.claims.apikeyusername, "remove app instance", &what)).await?;
    txn.commit().await?;
    Ok(())
}

/// `RemoveAppInstInternal` in the caller's transaction: the region's
/// AppInst (one already gone is no error), then the row.
pub async fn remove_internal(
    txn: &sea_orm::DatabaseTransaction,
    provider: &mc_federation_provider::Model,
    id: &str,
) -> Result<(), FedError> {
    let row = lookup(txn, provider, id).await?;
    let key = region_key(&row);
    app_inst::remove_in(txn, &row.region, &key).await?;
    mc_provider_app_inst::Entity::delete_by_id((row.federation_name, row.app_inst_id)).exec(txn).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::super::api::AppPort;
    use super::*;

    #[test]
    fn access_points_repeat_a_ranges_public_port_with_the_uri_first() {
        let instance = AppInst {
            uri: Some("shared.c1-op.local.example".into()),
            mapped_ports: Some(vec![
                AppPort {
                    proto: Some(LProto::Tcp),
                    internal_port: Some(81),
                    public_port: Some(81),
                    ..Default::default()
                },
                AppPort {
                    proto: Some(LProto::Udp),
                    internal_port: Some(10002),
                    end_port: Some(10003),
                    public_port: Some(10000),
                    fqdn_prefix: Some("-p".into()),
                    ..Default::default()
                },
            ]),
            ..Default::default()
        };
        let points = access_points(&instance).to_json().unwrap_or_default();
        assert_eq!(
            points,
            json!([
                {"interfaceId": "tcp-81", "accessPoints": {"port": 81, "fqdn": "shared.c1-op.local.example"}},
                {"interfaceId": "udp-10002", "accessPoints": {"port": 10000, "fqdn": "shared.c1-op.local.example-p"}},
                {"interfaceId": "udp-10003", "accessPoints": {"port": 10000, "fqdn": "shared.c1-op.local.example-p"}},
            ])
        );
    }

    #[test]
    fn states_map_as_mcs_get_instance_state() {
        assert_eq!(instance_state(Some(TrackedState::Creating)), Some("PENDING"));
        assert_eq!(instance_state(Some(TrackedState::Deleting)), Some("TERMINATING"));
        assert_eq!(instance_state(Some(TrackedState::CreateError)), Some("FAILED"));
        assert_eq!(instance_state(Some(TrackedState::Ready)), Some("READY"));
        assert_eq!(instance_state(Some(TrackedState::CreatingDependencies)), None);
    }
}
