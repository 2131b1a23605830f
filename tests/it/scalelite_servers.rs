//! Scalelite server operations, with the statuses and bodies Scalelite's
//! request specs assert.

use serde_json::json;

use crate::on_both_databases;
use crate::scalelite_client::{add_server, get, post};

on_both_databases!(get_servers_lists_every_server_with_scalelite_fields, |server| {
    let first = add_server(&server, "https://one.example/bigbluebutton/api").await;
    add_server(&server, "https://two.example/bigbluebutton/api").await;
    let reply = get(&server, "getServers", "").await;
    assert_eq!(reply.status, 200);
    assert!(reply.content_type.starts_with("application/json"));
    let servers = reply.json();
    assert_eq!(servers.as_array().map(Vec::len), Some(2));
    assert_eq!(
        servers[0],
        json!({
            "id": first, "url": "https://one.example/bigbluebutton/api", "secret": "bbb-secret",
            "tag": "", "bbb_version": "", "state": "disabled", "load": "unavailable",
            "load_multiplier": "1.0", "online": "offline"
        })
    );
    // Field order as Scalelite renders it.
    assert!(reply.body.starts_with(&format!("[{{\"id\":\"{first}\",\"url\":")), "{}", reply.body);
});

on_both_databases!(get_servers_with_none_is_404, |server| {
    let reply = get(&server, "getServers", "").await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json(), json!({"error": "No servers are configured"}));
});

on_both_databases!(get_server_info_finds_by_id_or_404s, |server| {
    let id = add_server(&server, "https://one.example/api").await;
    let reply = get(&server, "getServerInfo", &format!("id={id}")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["url"], "https://one.example/api");
    let missing = get(&server, "getServerInfo", "id=nonexistent-id").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json(), json!({"error": "Couldn't find server with id=nonexistent-id"}));
    let no_id = get(&server, "getServerInfo", "").await;
    assert_eq!(no_id.status, 404);
    assert_eq!(no_id.json(), json!({"error": "Couldn't find server with id="}));
});

on_both_databases!(add_server_creates_a_disabled_offline_server, |server| {
    let body =
        json!({"server": {"url": "https://a.example/api", "secret": "s", "load_multiplier": "2.50", "tag": "east"}});
    let reply = post(&server, "addServer", "", &body).await;
    assert_eq!(reply.status, 201);
    let created = reply.json();
    assert_eq!(created["state"], "disabled");
    assert_eq!(created["online"], "offline");
    assert_eq!(created["load"], "unavailable");
    assert_eq!(created["load_multiplier"], "2.5");
    assert_eq!(created["tag"], "east");
    assert_eq!(uuid::Uuid::parse_str(created["id"].as_str().unwrap()).map(|u| u.get_version_num()).ok(), Some(4));
    let stored = get(&server, "getServerInfo", &format!("id={}", created["id"].as_str().unwrap())).await;
    assert_eq!(stored.json(), created);
});

on_both_databases!(add_server_defaults_and_reads_unwrapped_parameters, |server| {
    for (multiplier, expected) in
        [(json!(null), "1.0"), (json!(0), "1.0"), (json!("abc"), "1.0"), (json!(2), "2.0"), (json!(""), "1.0")]
    {
        let body = json!({"url": "https://b.example/api", "secret": "s", "load_multiplier": multiplier});
        let reply = post(&server, "addServer", "", &body).await;
        assert_eq!(reply.status, 201, "{multiplier}: {}", reply.body);
        assert_eq!(reply.json()["load_multiplier"], expected, "{multiplier}");
    }
});

on_both_databases!(add_server_without_url_or_secret_is_400, |server| {
    for body in [
        json!({"server": {"url": "https://a/api"}}),
        json!({"server": {"secret": "s"}}),
        json!({"server": {"url": " ", "secret": "s"}}),
    ] {
        let reply = post(&server, "addServer", "", &body).await;
        assert_eq!(reply.status, 400, "{body}");
        assert_eq!(reply.json(), json!({"error": "Server needs a URL and a secret"}));
    }
    let missing = post(&server, "addServer", "", &json!({})).await;
    assert_eq!(missing.failure_key(), "internalError");
    assert!(missing.body.contains("<message>param is missing or the value is empty: server</message>"));
    assert_eq!(get(&server, "getServers", "").await.status, 404, "nothing was written");
});

on_both_databases!(update_server_changes_state_multiplier_secret_and_tag, |server| {
    let id = add_server(&server, "https://a.example/api").await;
    for (requested, stored) in [("enable", "enabled"), ("cordon", "cordoned"), ("disable", "disabled")] {
        let reply = post(&server, "updateServer", "", &json!({"id": id, "server": {"state": requested}})).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.json()["state"], stored);
        assert_eq!(reply.json()["id"], id.as_str());
    }
    let reply = post(
        &server,
        "updateServer",
        "",
        &json!({"id": id, "server": {"load_multiplier": "2.5", "secret": "new", "tag": "test-tag"}}),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        (reply.json()["load_multiplier"].clone(), reply.json()["secret"].clone(), reply.json()["tag"].clone()),
        (json!("2.5"), json!("new"), json!("test-tag"))
    );
    let cleared = post(&server, "updateServer", "", &json!({"id": id, "server": {"tag": "", "secret": ""}})).await;
    assert_eq!(cleared.json()["tag"], "");
    assert_eq!(cleared.json()["secret"], "new", "an empty secret is ignored");
    // The id in the query wins over the body's.
    let query_wins =
        post(&server, "updateServer", &format!("id={id}"), &json!({"id": "other", "server": {"state": "enable"}}))
            .await;
    assert_eq!(query_wins.json()["state"], "enabled");
});

on_both_databases!(update_server_rejects_bad_values_and_saves_nothing, |server| {
    let id = add_server(&server, "https://a.example/api").await;
    let invalid_state = post(
        &server,
        "updateServer",
        "",
        &json!({"id": id, "server": {"state": "invalid_state", "secret": "changed"}}),
    )
    .await;
    assert_eq!(invalid_state.status, 400);
    assert_eq!(invalid_state.json(), json!({"error": "Invalid state parameter: invalid_state"}));
    for multiplier in [json!(0), json!("abc")] {
        let reply = post(
            &server,
            "updateServer",
            "",
            &json!({"id": id, "server": {"load_multiplier": multiplier, "secret": "changed"}}),
        )
        .await;
        assert_eq!(reply.status, 400);
        assert_eq!(reply.json(), json!({"error": "Load-multiplier must be a non-zero number"}));
    }
    let stored = get(&server, "getServerInfo", &format!("id={id}")).await.json();
    assert_eq!(stored["secret"], "bbb-secret");
    let unknown =
        post(&server, "updateServer", "", &json!({"id": "nonexistent-id", "server": {"state": "enable"}})).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json(), json!({"error": "Couldn't find server with id=nonexistent-id"}));
    let no_params = crate::scalelite_client::send(
        server.client.post(server.url(&crate::scalelite_client::signed("updateServer", &format!("id={id}")))),
    )
    .await;
    assert_eq!(no_params.status, 400);
    assert_eq!(no_params.json(), json!({"error": "param is missing or the value is empty: server"}));
});

on_both_databases!(delete_server_destroys_or_404s, |server| {
    let id = add_server(&server, "https://a.example/api").await;
    let reply = post(&server, "deleteServer", "", &json!({"id": id})).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), json!({"success": format!("Server id={id} was destroyed")}));
    assert_eq!(get(&server, "getServerInfo", &format!("id={id}")).await.status, 404);
    let again = post(&server, "deleteServer", "", &json!({"id": "nonexistent-id"})).await;
    assert_eq!(again.status, 404);
    assert_eq!(again.json(), json!({"error": "Couldn't find server with id=nonexistent-id"}));
});

on_both_databases!(panic_server_disables_unless_keep_state, |server| {
    let id = add_server(&server, "https://a.example/api").await;
    let enable = json!({"id": id, "server": {"state": "enable"}});
    post(&server, "updateServer", "", &enable).await;
    let kept = post(&server, "panicServer", "", &json!({"id": id, "keep_state": true})).await;
    assert_eq!(kept.status, 200);
    assert_eq!(
        kept.json(),
        json!({"success": format!("Server id={id} has been disabled and the meetings have been destroyed")})
    );
    assert_eq!(get(&server, "getServerInfo", &format!("id={id}")).await.json()["state"], "enabled");
    // As in Scalelite, `server.keep_state` is not read: the state goes.
    post(&server, "panicServer", "", &json!({"id": id, "server": {"keep_state": true}})).await;
    assert_eq!(get(&server, "getServerInfo", &format!("id={id}")).await.json()["state"], "disabled");
    post(&server, "updateServer", "", &enable).await;
    let by_query = post(&server, "panicServer", &format!("id={id}&keep_state=false"), &json!({})).await;
    assert_eq!(by_query.status, 200);
    assert_eq!(
        get(&server, "getServerInfo", &format!("id={id}")).await.json()["state"],
        "enabled",
        "any non-blank value keeps"
    );
    let unknown = post(&server, "panicServer", "", &json!({"id": "nonexistent_id"})).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json(), json!({"error": "Couldn't find server with id=nonexistent_id"}));
});

on_both_databases!(changes_are_audited, |server| {
    use sea_orm::{EntityTrait, QueryOrder};
    let id = add_server(&server, "https://a.example/api").await;
    post(&server, "deleteServer", "", &json!({"id": id})).await;
    let db = sea_orm::Database::connect(&server.database_url).await.unwrap();
    use sea_orm::{ColumnTrait, QueryFilter};
    let events = steward::db::entities::audit_event::Entity::find()
        .filter(steward::db::entities::audit_event::Column::Surface.eq("scalelite"))
        .order_by_asc(steward::db::entities::audit_event::Column::Id)
        .all(&db)
        .await
        .unwrap();
    let actions: Vec<_> = events.iter().map(|e| (e.action.as_str(), e.target.as_str(), e.actor.as_str())).collect();
    assert_eq!(actions, vec![("addServer", id.as_str(), "secret#1"), ("deleteServer", id.as_str(), "secret#1")]);
    db.close().await.ok();
});
