//! MC networks (`/auth/ctrl/*Network`): additional networks of a cloudlet;
//! changes answer an empty stream.

use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::mc_client::*;
use crate::on_both_databases;

fn network(name: &str, extra: Value) -> Value {
    let mut body = json!({"Region": "local", "Network": {"key": {"cloudlet_key": {"organization": "tmus", "name": "c1"}, "name": name},
        "connection_type": "ConnectToLoadBalancer", "routes": [{"destination_cidr": "10.10.0.0/16", "next_hop_ip": "10.0.0.1"}]}});
    for (field, value) in extra.as_object().unwrap() {
        body["Network"][field] = value.clone();
    }
    body
}

fn empty_stream(reply: &crate::scalelite_client::Reply) {
    assert_eq!((reply.status, reply.body.as_str()), (200, ""), "{}", reply.body);
}

async fn setup(server: &TestServer) -> (String, String) {
    let admin = admin(server).await;
    create_org(server, &admin, "tmus", "operator").await;
    create_user(server, "olga").await;
    add_role(server, &admin, "tmus", "olga", "OperatorManager").await;
    let olga = login(server, "olga", STRONG).await;
    let body = json!({"Region": "local", "Cloudlet": {"key": {"organization": "tmus", "name": "c1"},
        "location": {"latitude": 31, "longitude": -91}, "num_dynamic_ips": 10, "platform_type": "fakeedgebox", "physical_name": "c1"}});
    assert_eq!(ctrl(server, "CreateCloudlet", &olga, &body).await.status, 200);
    (admin, olga)
}

on_both_databases!(mc_networks_are_added_to_cloudlets_changed_and_removed, |server| {
    let (_admin, olga) = setup(&server).await;
    empty_stream(&ctrl(&server, "CreateNetwork", &olga, &network("net1", json!({}))).await);
    let shown = stream_data(&ctrl(&server, "ShowNetwork", &olga, &json!({"Region": "local"})).await);
    assert_eq!(
        shown,
        [json!({"key": {"cloudlet_key": {"organization": "tmus", "name": "c1"}, "name": "net1"},
            "routes": [{"destination_cidr": "10.10.0.0/16", "next_hop_ip": "10.0.0.1"}], "connection_type": "ConnectToLoadBalancer"})]
    );
    let c1 = json!({"Region": "local", "Cloudlet": {"key": {"organization": "tmus", "name": "c1"}}});
    assert_eq!(
        message(&ctrl(&server, "DeleteCloudlet", &olga, &c1).await, 400),
        "Cloudlet in use by Network {\"cloudlet_key\":{\"organization\":\"tmus\",\"name\":\"c1\"},\"name\":\"net1\"}"
    );
    empty_stream(
        &ctrl(
            &server,
            "UpdateNetwork",
            &olga,
            &network("net1", json!({"routes": [], "connection_type": "ConnectToAll"})),
        )
        .await,
    );
    let shown = stream_data(&ctrl(&server, "ShowNetwork", &olga, &json!({"Region": "local"})).await);
    assert_eq!((shown[0]["routes"].clone(), shown[0]["connection_type"].clone()), (Value::Null, json!("ConnectToAll")));
    empty_stream(&ctrl(&server, "DeleteNetwork", &olga, &network("net1", json!({}))).await);
    assert!(stream_data(&ctrl(&server, "ShowNetwork", &olga, &json!({"Region": "local"})).await).is_empty());
});

on_both_databases!(mc_networks_refuse_bad_input_in_the_originals_order_and_words, |server| {
    let (admin, olga) = setup(&server).await;
    let refused = |op: &'static str, body: Value| {
        let (server, olga) = (&server, olga.clone());
        async move { message(&ctrl(server, op, &olga, &body).await, 400) }
    };
    assert_eq!(refused("CreateNetwork", network("", json!({}))).await, "Invalid network name");
    assert_eq!(
        refused("CreateNetwork", network("n", json!({"connection_type": "Undefined"}))).await,
        "Invalid connection type"
    );
    assert_eq!(
        refused(
            "CreateNetwork",
            network("n", json!({"routes": [{"destination_cidr": "10.0.0.0", "next_hop_ip": "10.0.0.1"}]}))
        )
        .await,
        "Invalid route destination cidr"
    );
    assert_eq!(
        refused(
            "CreateNetwork",
            network("n", json!({"routes": [{"destination_cidr": "10.0.0.0/8", "next_hop_ip": "x"}]}))
        )
        .await,
        "Invalid next hop"
    );
    assert_eq!(
        refused("CreateNetwork", network("n", json!({"delete_prepare": true}))).await,
        "Invalid field specified: DeletePrepare, this field is only for internal use"
    );
    let mut elsewhere = network("n", json!({}));
    elsewhere["Network"]["key"]["cloudlet_key"]["name"] = json!("c9");
    assert_eq!(
        refused("CreateNetwork", elsewhere).await,
        "Cloudlet key {\"organization\":\"tmus\",\"name\":\"c9\"} not found"
    );
    empty_stream(&ctrl(&server, "CreateNetwork", &olga, &network("n", json!({}))).await);
    assert_eq!(
        refused("CreateNetwork", network("n", json!({}))).await,
        "Network key {\"cloudlet_key\":{\"organization\":\"tmus\",\"name\":\"c1\"},\"name\":\"n\"} already exists"
    );
    assert_eq!(
        refused("DeleteNetwork", network("gone", json!({}))).await,
        "Network key {\"cloudlet_key\":{\"organization\":\"tmus\",\"name\":\"c1\"},\"name\":\"gone\"} not found"
    );
    assert_eq!(refused("UpdateNetwork", json!({"Region": "local"})).await, "Invalid object data for Network");
    // A developer may only look (and sees none of the operator's).
    create_org(&server, &admin, "devco", "developer").await;
    create_user(&server, "dave").await;
    add_role(&server, &admin, "devco", "dave", "DeveloperManager").await;
    let dave = login(&server, "dave", STRONG).await;
    assert_eq!(message(&ctrl(&server, "CreateNetwork", &dave, &network("x", json!({}))).await, 403), "Forbidden");
    assert!(stream_data(&ctrl(&server, "ShowNetwork", &dave, &json!({"Region": "local"})).await).is_empty());
});
