//! Applications a partner onboards on a host
//! (`{federationContextId}/application/onboarding`): MC's
//! `OnboardApplication`, `ViewApplication` and `DeleteApp`.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use super::super::Mc;
use super::super::federation::hosts::REGISTERED;
use super::api::{AppComponentSpec, AppMetaData, AppQoSProfile, ApplicationDetails, ApplicationOnboarding};
use super::caller::PartnerCaller;
use super::errors::FedError;
use super::federation::{NOT_SUPPORTED, check_callback_link, lookup_provider};
use super::files::check_label;
use crate::db::entities::{
    mc_federation_provider, mc_provider_app, mc_provider_app_inst, mc_provider_artefact, mc_provider_zone,
};
use crate::wire::Deferred;

const LATENCIES: [&str; 3] = ["NONE", "LOW", "ULTRALOW"];

/// `OnboardApplicationRequest.Validate`, in its order.
fn validate(request: &ApplicationOnboarding) -> Result<(), FedError> {
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    check_label("appId", &text(&request.app_id))?;
    check_label("appProviderId", &text(&request.app_provider_id))?;
    let meta = request.app_meta_data.clone().unwrap_or_default();
    check_label("appName", &text(&meta.app_name))?;
    if text(&meta.version).is_empty() {
        return Err(FedError::bad_request("version is required"));
    }
    if text(&meta.access_token).is_empty() {
        return Err(FedError::bad_request("accessToken is required"));
    }
    let latency = request.app_qo_s_profile.clone().unwrap_or_default().latency_constraints.unwrap_or_default();
    if latency.is_empty() {
        return Err(FedError::bad_request("latencyConstraints is required"));
    }
    if !LATENCIES.contains(&latency.as_str()) {
        return Err(FedError::bad_request(format!(
            "AppQoSProfile latencyConstraints value {latency:?} is not a valid enum value"
        )));
    }
    for spec in request.app_component_specs.iter().flatten() {
        check_label("artefactId", &text(&spec.artefact_id))?;
    }
    Ok(())
}

/// `OnboardApplication`.
pub async fn onboard(
    mc: &Mc,
    caller: &PartnerCaller,
    context_id: &str,
    body: Deferred<ApplicationOnboarding>,
) -> Result<(), FedError> {
    let provider = lookup_provider(&mc.db, caller, context_id, false).await?;
    let request = body.map_err(FedError::from)?;
    let link = request.app_status_callback_link.clone().filter(|link| !link.is_empty());
    let link = link.unwrap_or_else(|| NOT_SUPPORTED.to_owned());
    validate(&request)?;
    let specs = request.app_component_specs.clone().unwrap_or_default();
    if specs.is_empty() {
        return Err(FedError::bad_request("Missing app component details"));
    }
    check_callback_link(&link)?;
    if specs.len() > 1 {
        return Err(FedError::bad_request(format!(
            "Only one component detail is supported, but {} are specified",
            specs.len()
        )));
    }
    let artefact_id = specs[0].artefact_id.clone().unwrap_or_default();
    let app_id = request.app_id.clone().unwrap_or_default();
    let zones = request.app_deployment_zones.clone().unwrap_or_default();
    let meta = request.app_meta_data.clone().unwrap_or_default();
    let txn = crate::db::begin_write(&mc.db).await?;
    // The host's row held: the artefact cannot go meanwhile.
    let provider = lookup_provider(&txn, caller, &provider.federation_context_id, true).await?;
    if mc_provider_artefact::Entity::find_by_id((provider.name.clone(), artefact_id.clone())).one(&txn).await?.is_none()
    {
        return Err(FedError::bad_request(format!("Artefact {artefact_id} not found")));
    }
    for zone_id in &zones {
        let zone = mc_provider_zone::Entity::find_by_id((zone_id.clone(), provider.name.clone())).one(&txn).await?;
        match zone {
            None => return Err(FedError::bad_request(format!("Deployment zone {zone_id} not found"))),
            Some(zone) if zone.status != REGISTERED => {
                return Err(FedError::bad_request(format!("Deployment zone {zone_id} is not registered")));
            }
            Some(_) => {}
        }
    }
    let row = mc_provider_app::ActiveModel {
        federation_name: Set(provider.name.clone()),
        app_id: Set(app_id.clone()),
        app_name: Set(meta.app_name.unwrap_or_default()),
        app_vers: Set(meta.version.unwrap_or_default()),
        app_provider_id: Set(request.app_provider_id.clone().unwrap_or_default()),
        artefact_ids: Set(json!([artefact_id]).to_string()),
        deployment_zones: Set(json!(zones).to_string()),
        app_status_callback_link: Set(link),
    };
    match row.insert(&txn).await {
        Ok(_) => {}
        Err(error) if crate::db::is_unique_violation(&error) => {
            return Err(FedError::bad_request(format!("Application with ID {app_id} already exists")));
        }
        Err(error) => return Err(error.into()),
    }
    let what = format!("{app_id} of {}", provider.name);
    mc.audited.record(&txn, &super::super::change(&caller.claims.apikeyusername, "onboard application", &what)).await?;
    txn.commit().await?;
    Ok(())
}

async fn lookup(
    db: &impl ConnectionTrait,
    provider: &mc_federation_provider::Model,
    id: &str,
) -> Result<mc_provider_app::Model, FedError> {
    mc_provider_app::Entity::find_by_id((provider.name.clone(), id.to_owned()))
        .one(db)
        .await?
        .ok_or_else(|| FedError::new(poem::http::StatusCode::NOT_FOUND, format!("Application {id} not found")))
}

/// `ViewApplication`.
pub async fn view(mc: &Mc, caller: &PartnerCaller, context_id: &str, id: &str) -> Result<ApplicationDetails, FedError> {
    let provider = lookup_provider(&mc.db, caller, context_id, false).await?;
    let app = lookup(&mc.db, &provider, id).await?;
    let artefacts: Vec<String> = serde_json::from_str(&app.artefact_ids).unwrap_or_default();
    let zones: Vec<String> = serde_json::from_str(&app.deployment_zones).unwrap_or_default();
    Ok(ApplicationDetails {
        app_component_specs: artefacts.into_iter().map(|id| AppComponentSpec { artefact_id: Some(id) }).collect(),
        app_deployment_zones: (!zones.is_empty()).then_some(zones),
        app_id: app.app_id,
        app_meta_data: AppMetaData {
            app_name: Some(app.app_name),
            version: Some(app.app_vers),
            access_token: Some(String::new()),
        },
        app_provider_id: app.app_provider_id,
        app_qo_s_profile: AppQoSProfile { latency_constraints: Some("NONE".to_owned()) },
    })
}

/// `DeleteApp`.
pub async fn delete(mc: &Mc, caller: &PartnerCaller, context_id: &str, id: &str) -> Result<(), FedError> {
    let txn = crate::db::begin_write(&mc.db).await?;
    let provider = lookup_provider(&txn, caller, context_id, true).await?;
    delete_internal(&txn, &provider, id).await?;
    let what = format!("{id} of {}", provider.name);
    mc.audited.record(&txn, &super::super::change(&caller.claims.apikeyusername, "delete application", &what)).await?;
    txn.commit().await?;
    Ok(())
}

/// `DeleteAppInternal` in the caller's transaction: failed instances go
/// with the app; others refuse it.
pub async fn delete_internal(
    db: &impl ConnectionTrait,
    provider: &mc_federation_provider::Model,
    id: &str,
) -> Result<(), FedError> {
    lookup(db, provider, id).await?;
    let instances = mc_provider_app_inst::Entity::find()
        .filter(mc_provider_app_inst::Column::FederationName.eq(&provider.name))
        .filter(mc_provider_app_inst::Column::AppId.eq(id))
        .order_by_asc(mc_provider_app_inst::Column::AppInstId)
        .all(db)
        .await?;
    let mut running = Vec::new();
    for instance in instances {
        match instance.error.is_empty() {
            true => running.push(instance.app_inst_id),
            false => {
                mc_provider_app_inst::Entity::delete_by_id((provider.name.clone(), instance.app_inst_id))
                    .exec(db)
                    .await?;
            }
        }
    }
    if !running.is_empty() {
        return Err(FedError::bad_request(format!(
            "Cannot delete app as it in use by app instances {}",
            running.join(", ")
        )));
    }
    mc_provider_app::Entity::delete_by_id((provider.name.clone(), id.to_owned())).exec(db).await?;
    Ok(())
}
