//! Server operations: Scalelite's rules for adding, changing, panicking
//! and removing BigBlueButton servers.

use poem::http::StatusCode;
use sea_orm::ActiveValue::Set;
use sea_orm::IntoActiveModel;
use serde_json::json;

use super::Scalelite;
use super::api::{AddServerBody, OnlineStatus, Server, ServerFields, ServerState, SuccessBody, UpdateServerBody};
use super::auth::ChecksumCaller;
use super::errors::{ScaleliteError, param_missing_text};
use super::rails::{is_present, normalize};
use super::store::Change;
use crate::db::entities::scalelite_server as server;

pub fn to_wire(row: &server::Model) -> Server {
    let state = match row.state.as_str() {
        "enabled" => ServerState::Enabled,
        "cordoned" => ServerState::Cordoned,
        _ => ServerState::Disabled,
    };
    Server {
        id: row.id.clone(),
        url: row.url.clone(),
        secret: row.secret.clone(),
        tag: row.tag.clone().unwrap_or_default(),
        bbb_version: row.bbb_version.clone().unwrap_or_default(),
        state,
        load: row.load.map_or_else(|| json!("unavailable"), |load| json!(load)),
        load_multiplier: row.load_multiplier.clone(),
        online: if row.online { OnlineStatus::Online } else { OnlineStatus::Offline },
    }
}

fn not_found(id: &str) -> ScaleliteError {
    ScaleliteError::error(StatusCode::NOT_FOUND, format!("Couldn't find server with id={id}"))
}

pub async fn find(api: &Scalelite, id: &str) -> Result<server::Model, ScaleliteError> {
    api.store.server(id).await?.ok_or_else(|| not_found(id))
}

pub async fn list(api: &Scalelite) -> Result<Vec<Server>, ScaleliteError> {
    let rows = api.store.servers().await?;
    if rows.is_empty() {
        return Err(ScaleliteError::error(StatusCode::NOT_FOUND, "No servers are configured"));
    }
    Ok(rows.iter().map(to_wire).collect())
}

fn is_blank(text: &Option<String>) -> bool {
    text.as_deref().is_none_or(|t| t.trim().is_empty())
}

fn is_empty(fields: &ServerFields) -> bool {
    fields.url.is_none()
        && fields.secret.is_none()
        && fields.load_multiplier.is_none()
        && fields.tag.is_none()
        && fields.state.is_none()
}

/// The `server` parameters: the wrapper if sent, else the top-level keys
/// (Rails' parameter wrapping); `None` when there are none.
fn add_fields(body: Option<AddServerBody>) -> Option<ServerFields> {
    let body = body?;
    let fields = body.server.unwrap_or(ServerFields {
        url: body.url,
        secret: body.secret,
        load_multiplier: body.load_multiplier,
        tag: body.tag,
        state: None,
    });
    (!is_empty(&fields)).then_some(fields)
}

pub async fn add(
    api: &Scalelite,
    caller: &ChecksumCaller,
    body: Option<AddServerBody>,
) -> Result<Server, ScaleliteError> {
    let fields = add_fields(body).ok_or_else(|| ScaleliteError::param_missing("server"))?;
    if is_blank(&fields.url) || is_blank(&fields.secret) {
        return Err(ScaleliteError::error(StatusCode::BAD_REQUEST, "Server needs a URL and a secret"));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let row = server::ActiveModel {
        id: Set(id.clone()),
        url: Set(fields.url.unwrap_or_default()),
        secret: Set(fields.secret.unwrap_or_default()),
        tag: Set(fields.tag.filter(|t| !t.trim().is_empty())),
        bbb_version: Set(None),
        state: Set("disabled".into()),
        load: Set(None),
        load_multiplier: Set(fields.load_multiplier.as_ref().and_then(normalize).unwrap_or_else(|| "1.0".into())),
        online: Set(false),
        created_at: Set(time::OffsetDateTime::now_utc()),
    };
    let saved =
        api.store.writes.insert(row, Change { actor: &caller.actor(), action: "addServer", target: &id }).await?;
    Ok(to_wire(&saved))
}

fn update_fields(body: Option<UpdateServerBody>) -> Option<ServerFields> {
    let body = body?;
    let has_id = body.id.is_some();
    let fields = body.server.unwrap_or(ServerFields {
        url: None,
        secret: body.secret,
        load_multiplier: body.load_multiplier,
        tag: body.tag,
        state: body.state,
    });
    // A wrapped `{"id": …}` is a non-empty `server` that permits nothing.
    (has_id || !is_empty(&fields)).then_some(fields)
}

fn state_value(requested: &str) -> Result<&'static str, ScaleliteError> {
    match requested {
        "enable" => Ok("enabled"),
        "cordon" => Ok("cordoned"),
        "disable" => Ok("disabled"),
        other => Err(ScaleliteError::error(StatusCode::BAD_REQUEST, format!("Invalid state parameter: {other}"))),
    }
}

pub async fn update(
    api: &Scalelite,
    caller: &ChecksumCaller,
    row: server::Model,
    body: Option<UpdateServerBody>,
) -> Result<Server, ScaleliteError> {
    let fields = update_fields(body)
        .ok_or_else(|| ScaleliteError::error(StatusCode::BAD_REQUEST, param_missing_text("server")))?;
    let id = row.id.clone();
    let mut changed = row.into_active_model();
    // Validated in Scalelite's order; nothing is saved if any value is bad.
    if let Some(state) = fields.state.filter(|s| !s.trim().is_empty()) {
        let state = state_value(&state)?;
        changed.state = Set(state.to_owned());
        if state == "disabled" {
            changed.load = Set(None);
        }
    }
    if let Some(requested) = fields.load_multiplier.filter(is_present) {
        let multiplier = normalize(&requested).ok_or_else(|| {
            ScaleliteError::error(StatusCode::BAD_REQUEST, "Load-multiplier must be a non-zero number")
        })?;
        changed.load_multiplier = Set(multiplier);
    }
    if let Some(secret) = fields.secret.filter(|s| !s.trim().is_empty()) {
        changed.secret = Set(secret);
    }
    if let Some(tag) = fields.tag {
        changed.tag = Set(Some(tag).filter(|t| !t.trim().is_empty()));
    }
    let saved = match api
        .store
        .writes
        .update(changed, Change { actor: &caller.actor(), action: "updateServer", target: &id })
        .await
    {
        Err(error) if crate::db::is_gone(&error) => return Err(not_found(&id)),
        other => other?,
    };
    Ok(to_wire(&saved))
}

pub async fn delete(api: &Scalelite, caller: &ChecksumCaller, id: &str) -> Result<SuccessBody, ScaleliteError> {
    let change = Change { actor: &caller.actor(), action: "deleteServer", target: id };
    if !api.store.writes.delete::<server::Entity>(id.to_owned(), change).await? {
        return Err(not_found(id));
    }
    Ok(SuccessBody { success: format!("Server id={id} was destroyed") })
}

pub async fn panic(
    api: &Scalelite,
    caller: &ChecksumCaller,
    id: &str,
    keep_state: bool,
) -> Result<SuccessBody, ScaleliteError> {
    let row = find(api, id).await?;
    let mut changed = row.into_active_model();
    if !keep_state {
        changed.state = Set("disabled".into());
        changed.load = Set(None);
    }
    match api.store.writes.update(changed, Change { actor: &caller.actor(), action: "panicServer", target: id }).await {
        Err(error) if crate::db::is_gone(&error) => return Err(not_found(id)),
        other => other?,
    };
    Ok(SuccessBody { success: format!("Server id={id} has been disabled and the meetings have been destroyed") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwrapped_fields_are_read_as_the_server_object() {
        let body = AddServerBody {
            server: None,
            url: Some("u".into()),
            secret: Some("s".into()),
            load_multiplier: Some(serde_json::Value::from(2)),
            tag: None,
        };
        let fields = add_fields(Some(body)).unwrap();
        assert_eq!(fields.url.as_deref(), Some("u"));
        assert!(add_fields(None).is_none());
        let empty = AddServerBody { server: None, url: None, secret: None, load_multiplier: None, tag: None };
        assert!(add_fields(Some(empty)).is_none());
    }

    #[test]
    fn states_map_to_stored_values() {
        assert_eq!(state_value("cordon").unwrap(), "cordoned");
        assert!(
            matches!(state_value("paused"), Err(ScaleliteError::Error { message, .. }) if message == "Invalid state parameter: paused")
        );
    }
}
