//! MC developer policies (`/auth/ctrl/*AutoScalePolicy`,
//! `/auth/ctrl/*AutoProvPolicy*`), as MC and its Controller answer them.

use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::mc_client::*;
use crate::on_both_databases;

/// Admin; operator `tmus` (olga) with public cloudlet c1 and pooled c2;
/// developer `devco` (dave). Answers (admin, olga, dave).
pub async fn people_and_cloudlets(server: &TestServer) -> (String, String, String) {
    let admin = admin(server).await;
    create_org(server, &admin, "tmus", "operator").await;
    create_user(server, "olga").await;
    add_role(server, &admin, "tmus", "olga", "OperatorManager").await;
    let olga = login(server, "olga", STRONG).await;
    for (name, latitude) in [("c1", 31), ("c2", 32)] {
        let body = json!({"Region": "local", "Cloudlet": {"key": {"organization": "tmus", "name": name},
            "location": {"latitude": latitude, "longitude": -91}, "num_dynamic_ips": 10,
            "platform_type": "fakeedgebox", "physical_name": name}});
        assert_eq!(ctrl(server, "CreateCloudlet", &olga, &body).await.status, 200);
    }
    let pool = json!({"Region": "local", "CloudletPool": {"key": {"organization": "tmus", "name": "private"},
        "cloudlets": [{"organization": "tmus", "name": "c2"}]}});
    empty_result(&ctrl(server, "CreateCloudletPool", &olga, &pool).await);
    create_org(server, &admin, "devco", "developer").await;
    create_user(server, "dave").await;
    add_role(server, &admin, "devco", "dave", "DeveloperManager").await;
    let dave = login(server, "dave", STRONG).await;
    (admin, olga, dave)
}

fn scale(policy: Value) -> Value {
    json!({"Region": "local", "AutoScalePolicy": policy})
}

fn prov(policy: Value) -> Value {
    json!({"Region": "local", "AutoProvPolicy": policy})
}

on_both_databases!(mc_autoscale_policies_are_checked_stored_changed_and_removed, |server| {
    let (admin, olga, dave) = people_and_cloudlets(&server).await;
    let key = json!({"organization": "devco", "name": "scale1"});
    let created = scale(json!({"key": key, "min_nodes": 1, "max_nodes": 3, "target_cpu": 70}));
    empty_result(&ctrl(&server, "CreateAutoScalePolicy", &dave, &created).await);
    let shown = stream_data(&ctrl(&server, "ShowAutoScalePolicy", &dave, &scale(json!({}))).await);
    assert_eq!(
        shown,
        [json!({"key": key, "min_nodes": 1, "max_nodes": 3, "stabilization_window_sec": 300, "target_cpu": 70})]
    );
    let refused = |op: &'static str, body: Value| {
        let (server, dave) = (&server, dave.clone());
        async move { message(&ctrl(server, op, &dave, &body).await, 400) }
    };
    assert_eq!(
        refused("CreateAutoScalePolicy", created.clone()).await,
        "Key {\"organization\":\"devco\",\"name\":\"scale1\"} already exists"
    );
    let bad = |fields: Value| {
        let mut policy = fields;
        policy["key"] = json!({"organization": "devco", "name": "s2"});
        scale(policy)
    };
    assert_eq!(
        refused("CreateAutoScalePolicy", bad(json!({"min_nodes": 1, "max_nodes": 3}))).await,
        "One of target cpu or target mem or target active connections must be specified"
    );
    assert_eq!(
        refused("CreateAutoScalePolicy", bad(json!({"max_nodes": 11, "target_cpu": 50}))).await,
        "Max nodes cannot exceed 10"
    );
    assert_eq!(
        refused("CreateAutoScalePolicy", bad(json!({"min_nodes": 2, "max_nodes": 2, "target_mem": 50}))).await,
        "Max nodes must be greater than Min nodes"
    );
    assert_eq!(
        refused(
            "CreateAutoScalePolicy",
            scale(json!({"key": {"organization": "devco"}, "max_nodes": 2, "target_cpu": 5}))
        )
        .await,
        "Policy name cannot be empty"
    );
    assert_eq!(
        refused("CreateAutoScalePolicy", bad(json!({"max_nodes": 2, "target_cpu": 5, "delete_prepare": true}))).await,
        "Invalid field specified: DeletePrepare, this field is only for internal use"
    );
    // An update replaces the fields sent and checks the whole policy.
    empty_result(&ctrl(&server, "UpdateAutoScalePolicy", &dave, &scale(json!({"key": key, "max_nodes": 5}))).await);
    let shown = stream_data(&ctrl(&server, "ShowAutoScalePolicy", &dave, &scale(json!({"key": key}))).await);
    assert_eq!(shown[0]["max_nodes"], 5);
    assert_eq!(
        refused("UpdateAutoScalePolicy", scale(json!({"key": key, "min_nodes": 6}))).await,
        "Max nodes must be greater than Min nodes"
    );
    assert_eq!(
        refused("UpdateAutoScalePolicy", json!({"Region": "local"})).await,
        "Invalid object data for AutoScalePolicy"
    );
    // Operators hold no developerpolicy rights; other developers none here.
    assert_eq!(message(&ctrl(&server, "CreateAutoScalePolicy", &olga, &created).await, 403), "Forbidden");
    assert_eq!(message(&ctrl(&server, "ShowAutoScalePolicy", &olga, &scale(json!({}))).await, 403), "Forbidden");
    assert_eq!(stream_data(&ctrl(&server, "ShowAutoScalePolicy", &admin, &scale(json!({}))).await).len(), 1);
    for op in ["CreateAutoScalePolicy", "DeleteAutoScalePolicy", "UpdateAutoScalePolicy", "ShowAutoScalePolicy"] {
        refuses_bad_regional_calls(&server, &dave, op, scale(json!({"key": key, "max_nodes": 4}))).await;
    }
    // The developer org cannot go while it owns a policy.
    let org = json!({"Name": "devco"});
    let in_use = call(&server, "/auth/org/delete", Some(&admin), Some(&org)).await;
    assert_eq!(
        message(&in_use, 400),
        "Organization devco in use or check failed: region local: in use by some AutoScalePolicy"
    );
    empty_result(&ctrl(&server, "DeleteAutoScalePolicy", &dave, &scale(json!({"key": key}))).await);
    assert_eq!(
        refused("DeleteAutoScalePolicy", scale(json!({"key": key}))).await,
        "Policy key {\"organization\":\"devco\",\"name\":\"scale1\"} not found"
    );
});

on_both_databases!(mc_autoprov_policies_hold_cloudlets_the_org_may_use, |server| {
    let (_admin, olga, dave) = people_and_cloudlets(&server).await;
    let key = json!({"organization": "devco", "name": "prov1"});
    let c1 = json!({"organization": "tmus", "name": "c1"});
    let c2 = json!({"organization": "tmus", "name": "c2"});
    let created =
        prov(json!({"key": key, "deploy_client_count": 3, "min_active_instances": 1, "cloudlets": [{"key": c1}]}));
    empty_result(&ctrl(&server, "CreateAutoProvPolicy", &dave, &created).await);
    let shown = stream_data(&ctrl(&server, "ShowAutoProvPolicy", &dave, &prov(json!({}))).await);
    assert_eq!(
        shown,
        [
            json!({"key": key, "deploy_client_count": 3, "cloudlets": [{"key": c1, "loc": {"latitude": 31.0, "longitude": -91.0}}],
            "min_active_instances": 1})
        ]
    );
    let refused = |op: &'static str, body: Value| {
        let (server, dave) = (&server, dave.clone());
        async move { message(&ctrl(server, op, &dave, &body).await, 400) }
    };
    assert_eq!(
        refused("CreateAutoProvPolicy", created.clone()).await,
        "Policy key {\"organization\":\"devco\",\"name\":\"prov1\"} already exists"
    );
    let other = |policy: Value| {
        let mut body = prov(json!({"key": {"organization": "devco", "name": "prov2"}, "deploy_client_count": 1}));
        for (name, value) in policy.as_object().unwrap() {
            body["AutoProvPolicy"][name] = value.clone();
        }
        body
    };
    // The pooled cloudlet is private: devco was granted no pool.
    assert_eq!(
        refused("CreateAutoProvPolicy", other(json!({"cloudlets": [{"key": c2}]}))).await,
        "No permissions for Cloudlet {\"organization\":\"tmus\",\"name\":\"c2\"}"
    );
    assert_eq!(
        refused(
            "CreateAutoProvPolicy",
            other(json!({"cloudlets": [{"key": {"organization": "tmus", "name": "ghost"}}]}))
        )
        .await,
        "Cloudlet key {\"organization\":\"tmus\",\"name\":\"ghost\"} not found"
    );
    assert_eq!(
        refused("CreateAutoProvPolicy", other(json!({"min_active_instances": 1}))).await,
        "Minimum Active Instances cannot be larger than the number of Cloudlets"
    );
    assert_eq!(
        refused("CreateAutoProvPolicy", other(json!({"deploy_client_count": 0}))).await,
        "One of deploy client count and minimum active instances must be specified"
    );
    let member =
        |cloudlet: &Value| json!({"Region": "local", "AutoProvPolicyCloudlet": {"key": key, "cloudlet_key": cloudlet}});
    assert_eq!(refused("AddAutoProvPolicyCloudlet", member(&c1)).await, "Cloudlet already part of policy");
    assert_eq!(
        refused("AddAutoProvPolicyCloudlet", member(&c2)).await,
        "No permissions for Cloudlet {\"organization\":\"tmus\",\"name\":\"c2\"}"
    );
    // A cloudlet named by a policy cannot go.
    let delete_c1 = json!({"Region": "local", "Cloudlet": {"key": c1}});
    assert_eq!(
        message(&ctrl(&server, "DeleteCloudlet", &olga, &delete_c1).await, 400),
        "Cloudlet in use by AutoProvPolicy {\"organization\":\"devco\",\"name\":\"prov1\"}"
    );
    empty_result(&ctrl(&server, "UpdateAutoProvPolicy", &dave, &prov(json!({"key": key, "max_instances": 4}))).await);
    assert_eq!(
        refused("UpdateAutoProvPolicy", prov(json!({"key": key, "max_instances": 2, "min_active_instances": 5}))).await,
        "Minimum active instances cannot be larger than Maximum Instances"
    );
    empty_result(&ctrl(&server, "RemoveAutoProvPolicyCloudlet", &dave, &member(&c1)).await);
    empty_result(&ctrl(&server, "RemoveAutoProvPolicyCloudlet", &dave, &member(&c1)).await);
    let shown = stream_data(&ctrl(&server, "ShowAutoProvPolicy", &dave, &prov(json!({"key": key}))).await);
    assert_eq!(shown[0]["max_instances"], 4);
    assert!(shown[0].get("cloudlets").is_none(), "{}", shown[0]);
    assert_eq!(message(&ctrl(&server, "CreateAutoProvPolicy", &olga, &created).await, 403), "Forbidden");
    for op in ["CreateAutoProvPolicy", "DeleteAutoProvPolicy", "UpdateAutoProvPolicy", "ShowAutoProvPolicy"] {
        refuses_bad_regional_calls(&server, &dave, op, prov(json!({"key": key, "deploy_client_count": 2}))).await;
    }
    for op in ["AddAutoProvPolicyCloudlet", "RemoveAutoProvPolicyCloudlet"] {
        refuses_bad_regional_calls(&server, &dave, op, member(&c1)).await;
    }
    empty_result(&ctrl(&server, "DeleteAutoProvPolicy", &dave, &prov(json!({"key": key}))).await);
    assert_eq!(
        refused("DeleteAutoProvPolicy", prov(json!({"key": key}))).await,
        "Policy key {\"organization\":\"devco\",\"name\":\"prov1\"} not found"
    );
});

on_both_databases!(mc_a_cloudlet_delete_racing_a_policy_that_adds_it_leaves_no_dangling_reference, |server| {
    let (_admin, olga, dave) = people_and_cloudlets(&server).await;
    let key = json!({"organization": "devco", "name": "prov1"});
    empty_result(
        &ctrl(&server, "CreateAutoProvPolicy", &dave, &prov(json!({"key": key, "deploy_client_count": 1}))).await,
    );
    let c1 = json!({"organization": "tmus", "name": "c1"});
    let add = json!({"Region": "local", "AutoProvPolicyCloudlet": {"key": key, "cloudlet_key": c1}});
    let delete = json!({"Region": "local", "Cloudlet": {"key": c1}});
    let (added, deleted) = tokio::join!(
        ctrl(&server, "AddAutoProvPolicyCloudlet", &dave, &add),
        ctrl(&server, "DeleteCloudlet", &olga, &delete)
    );
    let shown = stream_data(&ctrl(&server, "ShowAutoProvPolicy", &dave, &prov(json!({}))).await);
    let cloudlets =
        stream_data(&ctrl(&server, "ShowCloudlet", &olga, &json!({"Region": "local", "Cloudlet": {"key": c1}})).await);
    match (added.status, deleted.status) {
        (200, 400) => {
            assert_eq!(shown[0]["cloudlets"][0]["key"], c1);
            assert_eq!(cloudlets.len(), 1);
        }
        (400, 200) => {
            assert!(shown[0].get("cloudlets").is_none());
            assert!(cloudlets.is_empty());
        }
        other => panic!("{other:?}: {} / {}", added.body, deleted.body),
    }
});
