//! MC cloudlet pools (`/auth/ctrl/*CloudletPool*`): operators group their
//! cloudlets; pooled cloudlets are private to developers.

use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::mc_client::*;
use crate::on_both_databases;

fn pool(name: &str, cloudlets: Value) -> Value {
    json!({"Region": "local", "CloudletPool": {"key": {"organization": "tmus", "name": name}, "cloudlets": cloudlets}})
}

fn member(pool: &str, cloudlet: &str) -> Value {
    json!({"Region": "local", "CloudletPoolMember": {"key": {"organization": "tmus", "name": pool}, "cloudlet": {"name": cloudlet}}})
}

async fn pools(server: &TestServer, token: &str) -> Vec<Value> {
    stream_data(&ctrl(server, "ShowCloudletPool", token, &json!({"Region": "local", "CloudletPool": {}})).await)
}

/// `tmus` with a manager and two fake edge-box cloudlets.
async fn operator_with_cloudlets(server: &TestServer, admin: &str) -> String {
    create_org(server, admin, "tmus", "operator").await;
    create_user(server, "olga").await;
    add_role(server, admin, "tmus", "olga", "OperatorManager").await;
    let olga = login(server, "olga", STRONG).await;
    for name in ["c1", "c2"] {
        let body = json!({"Region": "local", "Cloudlet": {"key": {"organization": "tmus", "name": name},
            "location": {"latitude": 31, "longitude": -91}, "num_dynamic_ips": 10, "platform_type": "fakeedgebox", "physical_name": name}});
        let reply = ctrl(server, "CreateCloudlet", &olga, &body).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    olga
}

on_both_databases!(mc_cloudlet_pools_group_an_operators_cloudlets, |server| {
    let admin = admin(&server).await;
    let olga = operator_with_cloudlets(&server, &admin).await;
    create_org(&server, &admin, "devco", "developer").await;
    create_user(&server, "dave").await;
    add_role(&server, &admin, "devco", "dave", "DeveloperViewer").await;
    let dave = login(&server, "dave", STRONG).await;
    let public = |_: &TestServer, token: String| {
        let server = &server;
        async move {
            let shown = stream_data(&ctrl(server, "ShowCloudlet", &token, &json!({"Region": "local"})).await);
            shown.iter().map(|c| c["key"]["name"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    assert_eq!(public(&server, dave.clone()).await, ["c1", "c2"]);

    // Members are forced into the pool's org.
    empty_result(
        &ctrl(&server, "CreateCloudletPool", &olga, &pool("p1", json!([{"organization": "other", "name": "c1"}])))
            .await,
    );
    let shown = pools(&server, &olga).await;
    assert_eq!(shown[0]["cloudlets"], json!([{"organization": "tmus", "name": "c1"}]));
    assert_eq!(shown[0]["updated_at"], "");
    assert!(shown[0]["created_at"].as_str().unwrap().starts_with("20"));
    // A pooled cloudlet is private: the developer (not invited) sees c2 only.
    assert_eq!(public(&server, dave.clone()).await, ["c2"]);

    empty_result(&ctrl(&server, "AddCloudletPoolMember", &olga, &member("p1", "c2")).await);
    assert_eq!(
        message(&ctrl(&server, "AddCloudletPoolMember", &olga, &member("p1", "c2")).await, 400),
        "Cloudlet already part of pool"
    );
    assert_eq!(
        message(&ctrl(&server, "AddCloudletPoolMember", &olga, &member("p1", "c9")).await, 400),
        "Cloudlets {\"organization\":\"tmus\",\"name\":\"c9\"} not found"
    );
    assert!(public(&server, dave.clone()).await.is_empty());
    // A pooled cloudlet cannot be deleted.
    let c1 = json!({"Region": "local", "Cloudlet": {"key": {"organization": "tmus", "name": "c1"}}});
    assert_eq!(
        message(&ctrl(&server, "DeleteCloudlet", &olga, &c1).await, 400),
        "Cloudlet in use by CloudletPool {\"organization\":\"tmus\",\"name\":\"p1\"}"
    );
    empty_result(&ctrl(&server, "RemoveCloudletPoolMember", &olga, &member("p1", "c1")).await);
    empty_result(&ctrl(&server, "RemoveCloudletPoolMember", &olga, &member("p1", "c1")).await);
    // Update replaces the members.
    empty_result(&ctrl(&server, "UpdateCloudletPool", &olga, &pool("p1", json!([{"name": "c1"}]))).await);
    let shown = pools(&server, &olga).await;
    assert_eq!(shown[0]["cloudlets"], json!([{"organization": "tmus", "name": "c1"}]));
    assert!(shown[0]["updated_at"].as_str().unwrap().starts_with("20"));
    empty_result(&ctrl(&server, "UpdateCloudletPool", &olga, &pool("p1", json!([]))).await);
    assert_eq!(pools(&server, &olga).await[0]["cloudlets"], Value::Null);
    // Developers may not see pools.
    assert_eq!(message(&ctrl(&server, "ShowCloudletPool", &dave, &json!({"Region": "local"})).await, 403), "Forbidden");
    empty_result(&ctrl(&server, "DeleteCloudletPool", &olga, &pool("p1", Value::Null)).await);
    assert!(pools(&server, &olga).await.is_empty());
});

on_both_databases!(mc_cloudlet_pools_refuse_bad_input_in_the_originals_order_and_words, |server| {
    let admin = admin(&server).await;
    let olga = operator_with_cloudlets(&server, &admin).await;
    let refused = |op: &'static str, body: Value| {
        let (server, olga) = (&server, olga.clone());
        async move { message(&ctrl(server, op, &olga, &body).await, 400) }
    };
    assert_eq!(refused("CreateCloudletPool", pool("p", json!([{"name": ""}]))).await, "Invalid Cloudlet name \"\"");
    assert_eq!(refused("CreateCloudletPool", pool("bad/name", json!([]))).await, "Invalid cloudlet pool name");
    assert_eq!(
        refused("CreateCloudletPool", pool("p", json!([{"name": "c8"}, {"name": "c9"}]))).await,
        "Cloudlets {\"organization\":\"tmus\",\"name\":\"c8\"}, {\"organization\":\"tmus\",\"name\":\"c9\"} not found"
    );
    let mut timed = pool("p", json!([]));
    timed["CloudletPool"]["created_at"] = json!("2026-01-01T00:00:00Z");
    assert_eq!(
        refused("CreateCloudletPool", timed).await,
        "Invalid field specified: CreatedAt.Seconds, this field is only for internal use"
    );
    empty_result(&ctrl(&server, "CreateCloudletPool", &olga, &pool("p", json!([]))).await);
    assert_eq!(
        refused("CreateCloudletPool", pool("p", json!([]))).await,
        "CloudletPool key {\"organization\":\"tmus\",\"name\":\"p\"} already exists"
    );
    assert_eq!(
        refused("DeleteCloudletPool", pool("nope", Value::Null)).await,
        "CloudletPool key {\"organization\":\"tmus\",\"name\":\"nope\"} not found"
    );
    assert_eq!(refused("UpdateCloudletPool", json!({"Region": "local"})).await, "Invalid object data for CloudletPool");
    assert_eq!(refused("AddCloudletPoolMember", member("p", "bad/name")).await, "Invalid Cloudlet name");
    // Another operator may not manage this org's pools.
    create_org(&server, &admin, "att", "operator").await;
    create_user(&server, "otto").await;
    add_role(&server, &admin, "att", "otto", "OperatorManager").await;
    let otto = login(&server, "otto", STRONG).await;
    assert_eq!(message(&ctrl(&server, "DeleteCloudletPool", &otto, &pool("p", Value::Null)).await, 403), "Forbidden");
    assert!(stream_data(&ctrl(&server, "ShowCloudletPool", &otto, &json!({"Region": "local"})).await).is_empty());
});

on_both_databases!(mc_cloudlet_pool_members_added_in_parallel_all_land, |server| {
    let admin = admin(&server).await;
    let olga = operator_with_cloudlets(&server, &admin).await;
    empty_result(&ctrl(&server, "CreateCloudletPool", &olga, &pool("p", json!([]))).await);
    let adds = ["c1", "c2"].map(|name| {
        let (server, olga) = (&server, olga.clone());
        async move { ctrl(server, "AddCloudletPoolMember", &olga, &member("p", name)).await }
    });
    for reply in futures_util::future::join_all(adds).await {
        empty_result(&reply);
    }
    assert_eq!(pools(&server, &olga).await[0]["cloudlets"].as_array().unwrap().len(), 2);
});
