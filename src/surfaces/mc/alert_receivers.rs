//! MC's alert receivers (`/auth/alertreceiver/*`). MC kept them in its
//! Alertmanager's configuration through a sidecar; Steward keeps them in a
//! table with the sidecar's identity (name, user, severity, type), its
//! creation order and its refusals, worded as MC wrapped them.

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, SqlErr};
use serde_json::Value;

use super::api::{self, AlertReceiver, AppInstKey, AppKey, CloudletKey, ClusterKey};
use super::caller::McCaller;
use super::errors::McError;
use super::regional::flavor::valid_name;
use super::store::{self, text};
use super::{Mc, change, rbac};
use crate::db::entities::mc_alert_receiver;

const ALERT: &str = "alert";
const SEVERITIES: [&str; 3] = ["info", "warning", "error"];
const PAGERDUTY_KEY_LEN: usize = 32;
/// How MC shows a write-only value.
const HIDDEN: &str = "<hidden>";

/// MC's `GetOrgAndScopeForReceiver`: the first org the keys name.
fn receiver_org(receiver: &AlertReceiver) -> &str {
    let app_inst = receiver.app_inst_key.as_ref();
    [
        app_inst.and_then(|key| key.organization.as_deref()),
        receiver.app_key.as_ref().and_then(|key| key.organization.as_deref()),
        receiver.cluster_key.as_ref().and_then(|key| key.organization.as_deref()),
        app_inst.and_then(|key| key.cloudlet_key.as_ref()).and_then(|key| key.organization.as_deref()),
    ]
    .into_iter()
    .flatten()
    .find(|org| !org.is_empty())
    .unwrap_or_default()
}

/// Whether only the cloudlet org is named (a cloudlet-scoped receiver).
fn cloudlet_scoped(receiver: &AlertReceiver) -> bool {
    let app_inst = receiver.app_inst_key.as_ref();
    let set = |org: Option<&Option<String>>| org.is_some_and(|org| !text(org).is_empty());
    !set(app_inst.map(|key| &key.organization))
        && !set(receiver.app_key.as_ref().map(|key| &key.organization))
        && !set(receiver.cluster_key.as_ref().map(|key| &key.organization))
        && set(app_inst.and_then(|key| key.cloudlet_key.as_ref()).map(|key| &key.organization))
}

fn cloudlet_scope_refusal(receiver: &AlertReceiver) -> Option<&'static str> {
    let app_inst = receiver.app_inst_key.as_ref();
    let app = receiver.app_key.as_ref();
    if app_inst.is_some_and(|key| !text(&key.name).is_empty()) {
        return Some("AppInst details cannot be specified without AppInst, App, or Cluster organization");
    }
    if app.is_some_and(|key| !text(&key.name).is_empty() || !text(&key.version).is_empty()) {
        return Some("App details cannot be specified without AppInst, App, or Cluster organization");
    }
    if receiver.cluster_key.as_ref().is_some_and(|key| !text(&key.name).is_empty()) {
        return Some("ClusterInst details cannot be specified without AppInst, App, or Cluster organization");
    }
    None
}

/// A receiver's settings for its type, checked in MC's order (the handler's
/// checks, then its sidecar client's).
struct Settings {
    email: String,
    slack_channel: String,
    slack_webhook: String,
    pagerduty_key: String,
    pagerduty_version: String,
}

fn settings(caller: &McCaller, receiver: &AlertReceiver) -> Result<Settings, McError> {
    let mut out = Settings {
        email: String::new(),
        slack_channel: String::new(),
        slack_webhook: String::new(),
        pagerduty_key: String::new(),
        pagerduty_version: String::new(),
    };
    let unable = |why: &str| McError::bad_request(format!("Unable to create a receiver - {why}"));
    match text(&receiver.r#type) {
        "email" => {
            out.email = match text(&receiver.email) {
                "" => caller.claims.email.clone(),
                email if store::valid_email(email) => email.to_owned(),
                _ => return Err(McError::bad_request("Receiver email is invalid")),
            };
        }
        "slack" => {
            let (webhook, channel) = (text(&receiver.slack_webhook), text(&receiver.slack_channel));
            if webhook.is_empty() || channel.is_empty() {
                return Err(McError::bad_request("Both slack URL and slack channel must be specified"));
            }
            out.slack_channel = match channel.starts_with('#') {
                true => channel.to_owned(),
                false => format!("#{channel}"),
            };
            if !slack_url_accepted(webhook) {
                return Err(unable("Invalid Slack api URL"));
            }
            out.slack_webhook = webhook.to_owned();
        }
        "pagerduty" => {
            let key = text(&receiver.pager_duty_integration_key);
            if key.is_empty() {
                return Err(McError::bad_request("PagerDuty Integration Key must be present"));
            }
            if key.len() != PAGERDUTY_KEY_LEN {
                return Err(McError::bad_request("PagerDuty Integration Key must contain 32 characters"));
            }
            out.pagerduty_version = match text(&receiver.pager_duty_api_version) {
                "" | "v2" => "v2".to_owned(),
                "v1" => "v1".to_owned(),
                _ => {
                    return Err(unable(
                        r#"PagerDuty Integration Api version must be "v1" or "v2"("v2" will be used if not specified)"#,
                    ));
                }
            };
            out.pagerduty_key = key.to_owned();
        }
        _ => return Err(McError::bad_request("Receiver type invalid")),
    }
    Ok(out)
}

/// MC's check of a Slack webhook: Go's `url.Parse` succeeds (no control
/// characters, a well-formed scheme) and the scheme starts with `http`.
fn slack_url_accepted(webhook: &str) -> bool {
    if webhook.chars().any(|c| c.is_ascii_control()) {
        return false;
    }
    let Some((scheme, _)) = webhook.split_once(':') else { return false };
    let mut chars = scheme.chars();
    let well_formed = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    well_formed && scheme.to_ascii_lowercase().starts_with("http")
}

/// A key as MC's route labels keep it: only the fields set.
fn key_json<T: poem_openapi::types::ToJSON>(key: &Option<T>) -> String {
    let sent = key.as_ref().and_then(|key| key.to_json()).unwrap_or(Value::Object(Default::default()));
    super::regional::object::without_zeros(&sent).to_string()
}

pub async fn create(mc: &Mc, caller: &McCaller, receiver: AlertReceiver) -> Result<(), McError> {
    let name = text(&receiver.name);
    if name.is_empty() {
        return Err(McError::bad_request("Receiver name has to be specified"));
    }
    if !valid_name(name) {
        return Err(McError::bad_request("Receiver name is invalid"));
    }
    let severity = text(&receiver.severity);
    if !SEVERITIES.contains(&severity) {
        return Err(McError::bad_request(r#"Alert severity has to be one of "info", "warning", "error""#));
    }
    if !text(&receiver.user).is_empty() {
        return Err(McError::bad_request("User is not specifiable, current logged in user will be used"));
    }
    let rights = mc.rights(&caller.subject()).await?;
    let org = receiver_org(&receiver);
    if org.is_empty() && !rights.is_admin_viewer() {
        return Err(McError::bad_request(
            "Either cloudlet, cluster, app, or app instance organization must be specified",
        ));
    }
    if !rights.allows(org, ALERT, rbac::VIEW) {
        return Err(McError::forbidden());
    }
    if cloudlet_scoped(&receiver)
        && let Some(refusal) = cloudlet_scope_refusal(&receiver)
    {
        return Err(McError::bad_request(refusal));
    }
    let settings = settings(caller, &receiver)?;
    // A sender must present these, so they cannot be hashed: sealed at
    // rest (and never shown).
    let seal = |secret: String| match secret.is_empty() {
        true => Ok(secret),
        false => mc.settings.secrets.seal(&secret).map_err(|e| McError::internal("Failed to store the receiver", e)),
    };
    let row = mc_alert_receiver::ActiveModel {
        name: Set(name.to_owned()),
        username: Set(caller.username().to_owned()),
        severity: Set(severity.to_owned()),
        kind: Set(text(&receiver.r#type).to_owned()),
        region: Set(text(&receiver.region).to_owned()),
        org: Set(org.to_owned()),
        email: Set(settings.email),
        slack_channel: Set(settings.slack_channel),
        slack_webhook: Set(seal(settings.slack_webhook)?),
        pagerduty_key: Set(seal(settings.pagerduty_key)?),
        pagerduty_version: Set(settings.pagerduty_version),
        app_inst_key: Set(key_json(&receiver.app_inst_key)),
        app_key: Set(key_json(&receiver.app_key)),
        cluster_key: Set(key_json(&receiver.cluster_key)),
        ..Default::default()
    };
    let target = identity(name, caller.username(), severity, text(&receiver.r#type));
    match mc.audited.insert(row, change(caller.username(), "create alert receiver", &target)).await {
        Ok(_) => Ok(()),
        // The identity's unique index holds it against racing creates.
        Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            Err(McError::bad_request(
                "Unable to create a receiver - bad response status 409 Conflict[Receiver Exists - delete it first]",
            ))
        }
        Err(error) => Err(error.into()),
    }
}

/// The sidecar's receiver name.
fn identity(name: &str, user: &str, severity: &str, kind: &str) -> String {
    format!("{name}::{user}::{severity}::{kind}")
}

pub async fn delete(mc: &Mc, caller: &McCaller, receiver: AlertReceiver) -> Result<(), McError> {
    let org = receiver_org(&receiver);
    let rights = mc.rights(&caller.subject()).await?;
    let user = match text(&receiver.user) {
        user if !user.is_empty() && user != caller.username() => {
            if org.is_empty() {
                return Err(McError::bad_request("Org details must be present to manage a specific receiver"));
            }
            if !rights.allows(org, rbac::USERS, rbac::MANAGE) {
                return Err(McError::forbidden());
            }
            if !rbac::Rights::load(&mc.db, user).await?.allows(org, ALERT, rbac::VIEW) {
                return Err(McError::forbidden());
            }
            user
        }
        _ => caller.username(),
    };
    if !org.is_empty() && !rights.allows(org, ALERT, rbac::VIEW) {
        return Err(McError::forbidden());
    }
    let (name, severity, kind) = (text(&receiver.name), text(&receiver.severity), text(&receiver.r#type));
    if name.contains(':') {
        return Err(McError::bad_request(r#"Unable to delete a receiver - Receiver name cannot contain colons(":")"#));
    }
    let found = mc_alert_receiver::Entity::find()
        .filter(mc_alert_receiver::Column::Name.eq(name))
        .filter(mc_alert_receiver::Column::Username.eq(user))
        .filter(mc_alert_receiver::Column::Severity.eq(severity))
        .filter(mc_alert_receiver::Column::Kind.eq(kind))
        .one(&mc.db)
        .await?;
    let target = identity(name, user, severity, kind);
    let deleted = match found {
        Some(row) => {
            mc.audited
                .delete::<mc_alert_receiver::Entity>(
                    row.id,
                    change(caller.username(), "delete alert receiver", &target),
                )
                .await?
        }
        None => false,
    };
    match deleted {
        true => Ok(()),
        false => Err(McError::bad_request(format!(
            r#"Unable to delete a receiver - bad response status 404 Not Found[No receiver "{name}" of type {kind} and severity {severity} for user "{user}"]"#
        ))),
    }
}

pub async fn show(mc: &Mc, caller: &McCaller, filter: Option<AlertReceiver>) -> Result<Vec<AlertReceiver>, McError> {
    let mut filter = filter.unwrap_or_default();
    if !text(&filter.slack_webhook).is_empty() {
        return Err(McError::bad_request("Slack URL is not specifiable as a filter"));
    }
    let rights = mc.rights(&caller.subject()).await?;
    let allowed = rights.orgs_with(ALERT, rbac::VIEW);
    if allowed.is_empty() {
        return Err(McError::forbidden());
    }
    let admin = allowed.contains("");
    if !admin {
        match text(&filter.user) {
            user if !user.is_empty() && user != caller.username() => {
                let org = receiver_org(&filter);
                if org.is_empty() {
                    return Err(McError::bad_request("Org details must be present to see receivers"));
                }
                if !rights.allows(org, rbac::USERS, rbac::MANAGE) {
                    return Err(McError::forbidden());
                }
            }
            _ => filter.user = Some(caller.username().to_owned()),
        }
    }
    let rows = mc_alert_receiver::Entity::find().order_by_asc(mc_alert_receiver::Column::Id).all(&mc.db).await?;
    Ok(rows
        .into_iter()
        .filter(|row| admin || allowed.contains(&row.org))
        .map(shown)
        .filter(|receiver| matches(&filter, receiver))
        .collect())
}

/// MC's `alertReceiverMatchesFilter`: the filter's set fields are equal;
/// the keys match on the filter's set fields.
fn matches(filter: &AlertReceiver, receiver: &AlertReceiver) -> bool {
    let same = |wanted: &Option<String>, have: &Option<String>| text(wanted).is_empty() || wanted == have;
    same(&filter.name, &receiver.name)
        && same(&filter.email, &receiver.email)
        && same(&filter.severity, &receiver.severity)
        && same(&filter.r#type, &receiver.r#type)
        && same(&filter.user, &receiver.user)
        && same(&filter.region, &receiver.region)
        && same(&filter.slack_channel, &receiver.slack_channel)
        && key_matches(&filter.app_inst_key, &receiver.app_inst_key)
        && key_matches(&filter.app_key, &receiver.app_key)
        && key_matches(&filter.cluster_key, &receiver.cluster_key)
}

fn key_matches<T: poem_openapi::types::ToJSON>(filter: &Option<T>, key: &Option<T>) -> bool {
    let as_json = |key: &Option<T>| key.as_ref().and_then(|key| key.to_json()).unwrap_or(Value::Null);
    super::regional::object::matches(&as_json(filter), &as_json(key))
}

fn parsed<T: poem_openapi::types::ParseFromJSON + Default>(stored: &str) -> T {
    serde_json::from_str::<Value>(stored)
        .ok()
        .and_then(|value| T::parse_from_json(Some(value)).ok())
        .unwrap_or_default()
}

fn set(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

/// A stored receiver as MC shows it: secrets hidden, keys always present.
fn shown(row: mc_alert_receiver::Model) -> AlertReceiver {
    let mut app_inst: AppInstKey = parsed(&row.app_inst_key);
    app_inst.cloudlet_key.get_or_insert_with(CloudletKey::default);
    let (webhook, pagerduty) = match row.kind.as_str() {
        "slack" => (Some(HIDDEN.to_owned()), None),
        "pagerduty" => (None, Some(HIDDEN.to_owned())),
        _ => (None, None),
    };
    AlertReceiver {
        name: Some(row.name),
        r#type: Some(row.kind),
        severity: Some(row.severity),
        region: set(row.region),
        user: set(row.username),
        email: set(row.email),
        slack_channel: set(row.slack_channel),
        slack_webhook: webhook,
        pager_duty_integration_key: pagerduty,
        pager_duty_api_version: set(row.pagerduty_version),
        app_inst_key: Some(app_inst),
        app_key: Some(parsed::<AppKey>(&row.app_key)),
        cluster_key: Some(parsed::<ClusterKey>(&row.cluster_key)),
    }
}

#[async_trait::async_trait]
impl api::AlertReceiverApi for Mc {
    async fn create_alert_receiver(
        &self,
        caller: McCaller,
        request: api::CreateAlertReceiverRequest,
    ) -> Result<api::CreateAlertReceiverResponse, McError> {
        create(self, &caller, request.body)
            .await
            .map(|()| api::CreateAlertReceiverResponse::Ok(super::message("Alert receiver created successfully")))
    }

    async fn delete_alert_receiver(
        &self,
        caller: McCaller,
        request: api::DeleteAlertReceiverRequest,
    ) -> Result<api::DeleteAlertReceiverResponse, McError> {
        delete(self, &caller, request.body)
            .await
            .map(|()| api::DeleteAlertReceiverResponse::Ok(super::message("Alert receiver deleted successfully")))
    }

    async fn show_alert_receiver(
        &self,
        caller: McCaller,
        request: api::ShowAlertReceiverRequest,
    ) -> Result<api::ShowAlertReceiverResponse, McError> {
        show(self, &caller, request.body).await.map(api::ShowAlertReceiverResponse::Ok)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn slack_urls_are_read_as_go_parses_them() {
        for accepted in ["https://hooks.slack.com/services/T0/B0/x", "http:", "HTTP://x", "httpx://x"] {
            assert!(super::slack_url_accepted(accepted), "{accepted}");
        }
        for refused in ["ftp://x", "hooks.slack.com/x", " http://x", "http://x\n", "1http://x", ""] {
            assert!(!super::slack_url_accepted(refused), "{refused}");
        }
    }
}
