//! Read-modify-writes that race: no update is lost, and a row deleted
//! meanwhile gives the original's not-found, never a 500 or a row brought
//! back.

use serde_json::json;

use crate::argo::call as argo;
use crate::harness::TestServer;
use crate::on_both_databases;
use crate::scalelite_client::{add_server, post};

async fn argo_tenant(server: &TestServer, name: &str) -> String {
    let body = format!(r#"{{"info":{{"name":"{name}"}}}}"#);
    let created = argo(server, "POST", "/api/v2/admin/tenants", Some(&body)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    created.json()["data"]["id"].as_str().unwrap().to_owned()
}

on_both_databases!(argo_parallel_user_additions_are_all_kept, |server| {
    let tenant = argo_tenant(&server, "RACE").await;
    let path = format!("/api/v2/admin/tenants/{tenant}/users");
    let additions = (0..6).map(|n| {
        let (server, path) = (&server, path.clone());
        async move {
            let body = format!(r#"{{"name":"user{n}","email":"u{n}@example.org","roles":["admin"]}}"#);
            argo(server, "POST", &path, Some(&body)).await
        }
    });
    for reply in futures_util::future::join_all(additions).await {
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    let users = argo(&server, "GET", &path, None).await;
    assert_eq!(users.json()["data"].as_array().map(Vec::len), Some(6), "{}", users.body);
});

on_both_databases!(argo_a_tenant_deleted_under_a_rewrite_stays_deleted, |server| {
    for round in 0..4 {
        let tenant = argo_tenant(&server, &format!("GONE{round}")).await;
        let users = format!("/api/v2/admin/tenants/{tenant}/users");
        let path = format!("/api/v2/admin/tenants/{tenant}");
        let (added, deleted) = tokio::join!(
            argo(&server, "POST", &users, Some(r#"{"name":"late","roles":["admin"]}"#)),
            argo(&server, "DELETE", &path, None)
        );
        assert!(added.status < 500 && deleted.status == 200, "{} / {}", added.body, deleted.body);
        assert!(added.status == 201 || added.status == 404, "{}", added.body);
        let after = argo(&server, "GET", &path, None).await;
        assert_eq!(after.status, 404, "round {round}: the deleted tenant came back: {}", after.body);
    }
});

on_both_databases!(scalelite_a_server_deleted_under_an_update_is_not_found, |server| {
    for round in 0..4 {
        let id = add_server(&server, &format!("https://race{round}.example.com/bigbluebutton/api")).await;
        let (update, delete) = (json!({"id": id, "server": {"state": "enable"}}), json!({"id": id}));
        let (updated, deleted) =
            tokio::join!(post(&server, "updateServer", "", &update), post(&server, "deleteServer", "", &delete));
        assert!(updated.status < 500 && deleted.status < 500, "{} / {}", updated.body, deleted.body);
        assert!(updated.status == 200 || updated.status == 404, "{}", updated.body);
    }
});
