//! A developer's day on MC, end to end through HTTP only, as a developer's
//! script would walk it: an operator offers a pooled edge cloudlet, a
//! developer deploys an app there, changes it, and tears it all down in the
//! order the original requires, each refused step answered as it answers.

use serde_json::{Value, json};

use crate::mc_client::*;
use crate::on_both_databases;

fn regional(kind: &str, object: Value) -> Value {
    json!({"Region": "local", kind: object})
}

on_both_databases!(mc_a_developers_day_from_pooled_cloudlet_to_teardown, |server| {
    let admin = admin(&server).await;
    // The operator: an org, its manager, a fakeedgebox cloudlet in a pool.
    create_org(&server, &admin, "tmus", "operator").await;
    create_user(&server, "olga").await;
    add_role(&server, &admin, "tmus", "olga", "OperatorManager").await;
    let olga = login(&server, "olga", STRONG).await;
    let cloudlet_key = json!({"organization": "tmus", "name": "edge1"});
    let cloudlet = regional(
        "Cloudlet",
        json!({"key": cloudlet_key, "location": {"latitude": 47.6, "longitude": -122.3},
        "num_dynamic_ips": 10, "platform_type": "fakeedgebox"}),
    );
    let lines = stream_data(&ctrl(&server, "CreateCloudlet", &olga, &cloudlet).await);
    assert_eq!(lines.last().map(|l| l["message"].clone()), Some(json!("Created Cloudlet successfully")));
    let flavor = regional("Flavor", json!({"key": {"name": "x1.small"}, "ram": 4096, "vcpus": 2, "disk": 40}));
    empty_result(&ctrl(&server, "CreateFlavor", &admin, &flavor).await);
    let pool = regional(
        "CloudletPool",
        json!({"key": {"organization": "tmus", "name": "edgepool"}, "cloudlets": [cloudlet_key]}),
    );
    empty_result(&ctrl(&server, "CreateCloudletPool", &olga, &pool).await);

    // The developer: an org and its manager; the pooled cloudlet is hidden.
    create_org(&server, &admin, "devco", "developer").await;
    create_user(&server, "dave").await;
    add_role(&server, &admin, "devco", "dave", "DeveloperManager").await;
    let dave = login(&server, "dave", STRONG).await;
    assert!(stream_data(&ctrl(&server, "ShowCloudlet", &dave, &regional("Cloudlet", json!({}))).await).is_empty());
    let access = json!({"Org": "devco", "Region": "local", "CloudletPool": "edgepool", "CloudletPoolOrg": "tmus"});
    let invited = call(&server, "/auth/cloudletpoolaccessinvitation/create", Some(&olga), Some(&access)).await;
    assert_eq!(invited.json(), json!({"message": "Invitation created"}));
    let mut accept = access.clone();
    accept["Decision"] = json!("accept");
    let accepted = call(&server, "/auth/cloudletpoolaccessresponse/create", Some(&dave), Some(&accept)).await;
    assert_eq!(accepted.json(), json!({"message": "Response created"}));
    let visible = stream_data(&ctrl(&server, "ShowCloudlet", &dave, &regional("Cloudlet", json!({}))).await);
    assert_eq!((visible.len(), &visible[0]["key"]), (1, &cloudlet_key));

    // Policies, the app, a cluster on the pooled cloudlet, an instance.
    let scale_key = json!({"organization": "devco", "name": "scale1"});
    let scale =
        regional("AutoScalePolicy", json!({"key": scale_key, "min_nodes": 1, "max_nodes": 4, "target_cpu": 60}));
    empty_result(&ctrl(&server, "CreateAutoScalePolicy", &dave, &scale).await);
    let prov = regional(
        "AutoProvPolicy",
        json!({"key": {"organization": "devco", "name": "prov1"},
        "deploy_client_count": 2, "cloudlets": [{"key": cloudlet_key}]}),
    );
    empty_result(&ctrl(&server, "CreateAutoProvPolicy", &dave, &prov).await);
    let app_key = json!({"organization": "devco", "name": "web", "version": "1.0"});
    let app = regional(
        "App",
        json!({"key": app_key, "image_type": "Docker", "image_path": "docker.io/library/nginx:1.27",
        "access_ports": "tcp:80,tcp:443", "default_flavor": {"name": "x1.small"}}),
    );
    empty_result(&ctrl(&server, "CreateApp", &dave, &app).await);
    let cluster_key =
        json!({"cluster_key": {"name": "webcluster", "organization": "devco"}, "cloudlet_key": cloudlet_key});
    let cluster = regional(
        "ClusterInst",
        json!({"key": cluster_key, "flavor": {"name": "x1.small"}, "num_nodes": 2,
        "auto_scale_policy": "scale1"}),
    );
    let lines = stream_data(&ctrl(&server, "CreateClusterInst", &dave, &cluster).await);
    assert_eq!(lines.last().map(|l| l["message"].clone()), Some(json!("Created ClusterInst successfully")));
    let inst_key = json!({"name": "web1", "organization": "devco", "cloudlet_key": cloudlet_key});
    let inst =
        regional("AppInst", json!({"key": inst_key, "app_key": app_key, "cluster_key": cluster_key["cluster_key"]}));
    let lines = stream_data(&ctrl(&server, "CreateAppInst", &dave, &inst).await);
    assert_eq!(lines.last().map(|l| l["message"].clone()), Some(json!("Created AppInst successfully")));

    // Read back through shows with filters.
    let apps = stream_data(&ctrl(&server, "ShowApp", &dave, &regional("App", json!({"key": {"name": "web"}}))).await);
    assert_eq!((apps.len(), apps[0]["deployment"].as_str()), (1, Some("kubernetes")));
    let filter = regional("ClusterInst", json!({"key": {"cloudlet_key": {"name": "edge1"}}, "state": "Ready"}));
    let clusters = stream_data(&ctrl(&server, "ShowClusterInst", &dave, &filter).await);
    assert_eq!((clusters.len(), clusters[0]["num_nodes"].as_u64()), (1, Some(2)));
    let insts =
        stream_data(&ctrl(&server, "ShowAppInst", &dave, &regional("AppInst", json!({"app_key": app_key}))).await);
    assert_eq!(insts.len(), 1);
    assert_eq!(insts[0]["uri"], "shared.edge1-tmus.local.appdnsroot.net");
    assert_eq!(insts[0]["mapped_ports"].as_array().map(Vec::len), Some(2));
    // The operator sees what runs on its pool's cloudlet, and the app.
    assert_eq!(stream_data(&ctrl(&server, "ShowAppInst", &olga, &regional("AppInst", json!({}))).await).len(), 1);
    assert_eq!(stream_data(&ctrl(&server, "ShowApp", &olga, &regional("App", json!({}))).await).len(), 1);

    // Change the app's policy links and the cluster's node count.
    let link = regional("AppAutoProvPolicy", json!({"app_key": app_key, "auto_prov_policy": "prov1"}));
    empty_result(&ctrl(&server, "AddAppAutoProvPolicy", &dave, &link).await);
    let apps = stream_data(&ctrl(&server, "ShowApp", &dave, &regional("App", json!({"key": app_key}))).await);
    assert_eq!(apps[0]["auto_prov_policies"], json!(["prov1"]));
    let grow = regional("ClusterInst", json!({"key": cluster_key, "num_nodes": 6}));
    let lines = stream_data(&ctrl(&server, "UpdateClusterInst", &dave, &grow).await);
    assert_eq!(lines.last().map(|l| l["message"].clone()), Some(json!("Updated ClusterInst successfully")));
    let clusters = stream_data(
        &ctrl(&server, "ShowClusterInst", &dave, &regional("ClusterInst", json!({"key": cluster_key}))).await,
    );
    assert_eq!(clusters[0]["num_nodes"], 4, "clamped into the auto-scale policy");

    // Teardown, each early step refused as the original refuses it.
    let refused = |op: &'static str, body: Value| {
        let (server, dave) = (&server, dave.clone());
        async move { message(&ctrl(server, op, &dave, &body).await, 400) }
    };
    assert_eq!(
        refused("DeleteClusterInst", regional("ClusterInst", json!({"key": cluster_key}))).await,
        "ClusterInst in use by AppInst {\"name\":\"web1\",\"organization\":\"devco\",\"cloudlet_key\":{\"organization\":\"tmus\",\"name\":\"edge1\"}}"
    );
    assert_eq!(
        refused("DeleteApp", regional("App", json!({"key": app_key}))).await,
        "Application in use by static AppInst {\"name\":\"web1\",\"organization\":\"devco\",\"cloudlet_key\":{\"organization\":\"tmus\",\"name\":\"edge1\"}}"
    );
    assert_eq!(
        refused("DeleteAutoProvPolicy", prov.clone()).await,
        "Policy in use by App {\"organization\":\"devco\",\"name\":\"web\",\"version\":\"1.0\"}"
    );
    let deleted =
        stream_data(&ctrl(&server, "DeleteAppInst", &dave, &regional("AppInst", json!({"key": inst_key}))).await);
    assert_eq!(deleted.last().map(|l| l["message"].clone()), Some(json!("Deleted AppInst successfully")));
    assert_eq!(
        refused("DeleteAutoScalePolicy", scale.clone()).await,
        "Policy in use by ClusterInst {\"cluster_key\":{\"name\":\"webcluster\",\"organization\":\"devco\"},\"cloudlet_key\":{\"organization\":\"tmus\",\"name\":\"edge1\"}}"
    );
    let deleted = stream_data(
        &ctrl(&server, "DeleteClusterInst", &dave, &regional("ClusterInst", json!({"key": cluster_key}))).await,
    );
    assert_eq!(deleted.last().map(|l| l["message"].clone()), Some(json!("Deleted ClusterInst successfully")));
    empty_result(&ctrl(&server, "RemoveAppAutoProvPolicy", &dave, &link).await);
    empty_result(&ctrl(&server, "DeleteApp", &dave, &regional("App", json!({"key": app_key}))).await);
    empty_result(&ctrl(&server, "DeleteAutoProvPolicy", &dave, &prov).await);
    empty_result(&ctrl(&server, "DeleteAutoScalePolicy", &dave, &scale).await);

    // The operator takes its offer back; everything goes.
    let kept = ctrl(&server, "DeleteCloudletPool", &olga, &pool).await;
    assert_eq!(
        message(&kept, 400),
        "Cannot delete CloudletPool region local name edgepool because it is referenced by devco invitation, devco response"
    );
    let withdrawn = call(&server, "/auth/cloudletpoolaccessinvitation/delete", Some(&olga), Some(&access)).await;
    assert_eq!(withdrawn.json(), json!({"message": "Invitation deleted"}));
    empty_result(&ctrl(&server, "DeleteCloudletPool", &olga, &pool).await);
    let gone =
        stream_data(&ctrl(&server, "DeleteCloudlet", &olga, &regional("Cloudlet", json!({"key": cloudlet_key}))).await);
    assert_eq!(gone.last().map(|l| l["message"].clone()), Some(json!("Deleted Cloudlet successfully")));
    for org in ["devco", "tmus"] {
        let reply = call(&server, "/auth/org/delete", Some(&admin), Some(&json!({"Name": org}))).await;
        assert_eq!(reply.status, 200, "{org}: {}", reply.body);
    }
});
