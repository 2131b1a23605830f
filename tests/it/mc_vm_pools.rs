//! MC VM pools (`/auth/ctrl/*VMPool*`): operators' pools of their own VMs,
//! as MC and its regional Controller answer them.

use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::mc_client::*;
use crate::on_both_databases;

fn pool(name: &str, vms: Value) -> Value {
    json!({"Region": "local", "VMPool": {"key": {"organization": "tmus", "name": name}, "vms": vms}})
}

fn member(pool: &str, vm: Value) -> Value {
    json!({"Region": "local", "VMPoolMember": {"key": {"organization": "tmus", "name": pool}, "vm": vm}})
}

fn vm(name: &str, internal: &str) -> Value {
    json!({"name": name, "net_info": {"internal_ip": internal}})
}

async fn shown(server: &TestServer, token: &str, filter: Value) -> Vec<Value> {
    stream_data(&ctrl(server, "ShowVMPool", token, &json!({"Region": "local", "VMPool": filter})).await)
}

/// The operator org `tmus` with a manager, logged in.
async fn operator(server: &TestServer, admin: &str) -> String {
    create_org(server, admin, "tmus", "operator").await;
    create_user(server, "olga").await;
    add_role(server, admin, "tmus", "olga", "OperatorManager").await;
    login(server, "olga", STRONG).await
}

on_both_databases!(mc_vm_pools_are_created_changed_shown_and_deleted, |server| {
    let admin = admin(&server).await;
    let olga = operator(&server, &admin).await;
    let vms = json!([{"name": "vm1", "net_info": {"external_ip": "192.0.2.10", "internal_ip": "10.0.0.10"}}]);
    empty_result(&ctrl(&server, "CreateVMPool", &olga, &pool("pool1", vms)).await);
    let shown_now = ctrl(&server, "ShowVMPool", &olga, &json!({"Region": "local", "VMPool": {}})).await;
    assert_eq!(
        shown_now.body,
        "{\"data\":{\"key\":{\"organization\":\"tmus\",\"name\":\"pool1\"},\"vms\":[{\"name\":\"vm1\",\"net_info\":{\"external_ip\":\"192.0.2.10\",\"internal_ip\":\"10.0.0.10\"},\"updated_at\":{}}]}}\n"
    );
    // Members: added (the state becomes Ready), refused when they clash.
    empty_result(&ctrl(&server, "AddVMPoolMember", &olga, &member("pool1", vm("vm2", "10.0.0.11"))).await);
    let refused = |body: Value| {
        let (server, olga) = (&server, olga.clone());
        async move { message(&ctrl(server, "AddVMPoolMember", &olga, &body).await, 400) }
    };
    assert_eq!(
        refused(member("pool1", vm("vm2", "10.0.0.99"))).await,
        "VM with same name already exists as part of VM pool"
    );
    assert_eq!(
        refused(member("pool1", vm("vm3", "10.0.0.11"))).await,
        "VM with same internal IP already exists as part of VM pool"
    );
    let one = &shown(&server, &olga, json!({"key": {"name": "pool1"}})).await[0];
    assert_eq!(one["state"], "Ready");
    assert_eq!(one["vms"].as_array().unwrap().len(), 2);

    // Removing: by name; a name not in the pool changes nothing.
    empty_result(&ctrl(&server, "RemoveVMPoolMember", &olga, &member("pool1", json!({"name": "vm1"}))).await);
    empty_result(&ctrl(&server, "RemoveVMPoolMember", &olga, &member("pool1", json!({"name": "ghost"}))).await);
    let one = &shown(&server, &olga, json!({})).await[0];
    assert_eq!(one["vms"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect::<Vec<_>>(), ["vm2"]);

    // Update replaces the VM list; ForceFree VMs become Free.
    let update =
        pool("pool1", json!([{"name": "vm5", "net_info": {"internal_ip": "10.0.0.15"}, "state": "ForceFree"}]));
    empty_result(&ctrl(&server, "UpdateVMPool", &olga, &update).await);
    let one = &shown(&server, &olga, json!({})).await[0];
    assert_eq!(one["vms"], json!([{"name": "vm5", "net_info": {"internal_ip": "10.0.0.15"}, "updated_at": {}}]));
    // An empty list shows as null, as MC writes it.
    empty_result(&ctrl(&server, "UpdateVMPool", &olga, &pool("pool1", json!([]))).await);
    assert_eq!(shown(&server, &olga, json!({})).await[0]["vms"], Value::Null);

    empty_result(&ctrl(&server, "DeleteVMPool", &olga, &pool("pool1", Value::Null)).await);
    assert!(shown(&server, &olga, json!({})).await.is_empty());
});

on_both_databases!(mc_vm_pools_refuse_bad_input_in_the_originals_order_and_words, |server| {
    let admin = admin(&server).await;
    let olga = operator(&server, &admin).await;
    let refused = |op: &'static str, body: Value| {
        let (server, olga) = (&server, olga.clone());
        async move { message(&ctrl(server, op, &olga, &body).await, 400) }
    };
    let mut unnamed = pool("", json!([]));
    unnamed["VMPool"]["key"]["name"] = json!("bad/name");
    assert_eq!(refused("CreateVMPool", unnamed).await, "Invalid VM pool name");
    assert_eq!(refused("CreateVMPool", pool("p", json!([{"name": "v"}]))).await, "Missing internal IP for VM: v");
    assert_eq!(
        refused("CreateVMPool", pool("p", json!([vm("a", "10.0.0.1"), vm("b", "10.0.0.1")]))).await,
        "VM with same internal IP 10.0.0.1 already exists"
    );
    assert_eq!(
        refused(
            "CreateVMPool",
            pool("p", json!([{"name": "a", "net_info": {"internal_ip": "10.0.0.1"}, "state": "InUse"}]))
        )
        .await,
        "Invalid VM state, only VmForceFree state is allowed"
    );
    let mut internal = pool("p", json!([]));
    internal["VMPool"]["state"] = json!("Ready");
    assert_eq!(
        refused("CreateVMPool", internal).await,
        "Invalid field specified: State, this field is only for internal use"
    );
    empty_result(&ctrl(&server, "CreateVMPool", &olga, &pool("p", json!([vm("a", "10.0.0.1")]))).await);
    assert_eq!(
        refused("CreateVMPool", pool("p", json!([]))).await,
        "VMPool key {\"organization\":\"tmus\",\"name\":\"p\"} already exists"
    );
    // The object is required before anything else, as MC's field list is.
    assert_eq!(refused("UpdateVMPool", json!({"Region": "local"})).await, "Invalid object data for VMPool");
    assert_eq!(
        refused("UpdateVMPool", json!({"Region": "local", "VMPool": 5})).await,
        "Invalid JSON data: Unmarshal error: expected struct, but got number for field \"VMPool\" at offset 28"
    );
    // With no pool key (so no org) only an admin passes the rights check.
    let as_admin = |body: Value| {
        let (server, admin) = (&server, admin.clone());
        async move { message(&ctrl(server, "UpdateVMPool", &admin, &body).await, 400) }
    };
    assert_eq!(as_admin(json!({"Region": "local", "VMPool": {}})).await, "Nothing specified to update");
    // An enum's zero is not "set" (Go), so it reaches the update's own check.
    let mut fixed = pool("p", json!([]));
    fixed["VMPool"]["state"] = json!("TrackedStateUnknown");
    assert_eq!(refused("UpdateVMPool", fixed).await, "Specified field(s) State cannot be modified");
    // An empty list is set in Go's sense.
    let mut errors = pool("p", json!([]));
    errors["VMPool"]["errors"] = json!([]);
    assert_eq!(
        refused("UpdateVMPool", errors).await,
        "Invalid field specified: Errors, this field is only for internal use"
    );
    assert_eq!(
        refused("UpdateVMPool", pool("nope", json!([]))).await,
        "VMPool key {\"organization\":\"tmus\",\"name\":\"nope\"} not found"
    );
    assert_eq!(
        refused("DeleteVMPool", pool("nope", Value::Null)).await,
        "VMPool key {\"organization\":\"tmus\",\"name\":\"nope\"} not found"
    );
    assert_eq!(refused("RemoveVMPoolMember", member("p", json!({}))).await, "Missing VM name");
    assert_eq!(
        refused("RemoveVMPoolMember", member("p", vm("a", "10.0.0.1"))).await,
        "Invalid field specified: Vm.NetInfo.InternalIp, this field is only for internal use"
    );
    // A pool created marked for deletion (MC stores the flag) is refused
    // until the transient state is ignored.
    let mut marked = pool("marked", json!([]));
    marked["VMPool"]["delete_prepare"] = json!(true);
    empty_result(&ctrl(&server, "CreateVMPool", &olga, &marked).await);
    assert_eq!(
        refused("DeleteVMPool", pool("marked", Value::Null)).await,
        "VMPool {\"organization\":\"tmus\",\"name\":\"marked\"} is being deleted"
    );
    let mut ignoring = pool("marked", Value::Null);
    ignoring["VMPool"]["crm_override"] = json!("IgnoreTransientState");
    empty_result(&ctrl(&server, "DeleteVMPool", &olga, &ignoring).await);
    let mut no_region = pool("q", json!([]));
    no_region["Region"] = json!("");
    assert_eq!(refused("CreateVMPool", no_region).await, "No region specified");
});

on_both_databases!(mc_vm_pools_belong_to_their_operators, |server| {
    let admin = admin(&server).await;
    let olga = operator(&server, &admin).await;
    empty_result(&ctrl(&server, "CreateVMPool", &olga, &pool("p", json!([vm("a", "10.0.0.1")]))).await);
    // A developer may neither manage nor see pools (cloudletanalytics).
    create_org(&server, &admin, "devco", "developer").await;
    create_user(&server, "dave").await;
    add_role(&server, &admin, "devco", "dave", "DeveloperManager").await;
    let dave = login(&server, "dave", STRONG).await;
    for op in ["CreateVMPool", "DeleteVMPool", "UpdateVMPool", "ShowVMPool"] {
        assert_eq!(message(&ctrl(&server, op, &dave, &pool("p", json!([]))).await, 403), "Forbidden", "{op}");
    }
    assert_eq!(
        message(&ctrl(&server, "AddVMPoolMember", &dave, &member("p", vm("b", "10.0.0.2"))).await, 403),
        "Forbidden"
    );
    // Another operator sees none of this org's pools.
    create_org(&server, &admin, "att", "operator").await;
    create_user(&server, "otto").await;
    add_role(&server, &admin, "att", "otto", "OperatorViewer").await;
    let otto = login(&server, "otto", STRONG).await;
    assert!(shown(&server, &otto, json!({})).await.is_empty());
    assert_eq!(shown(&server, &admin, json!({})).await.len(), 1);
    // Pools go to operator orgs only.
    let mut dev_pool = pool("d", json!([]));
    dev_pool["VMPool"]["key"]["organization"] = json!("devco");
    assert_eq!(
        message(&ctrl(&server, "CreateVMPool", &admin, &dev_pool).await, 400),
        "Operation for org devco only allowed for orgs of type operator"
    );
});

on_both_databases!(mc_vm_pool_members_added_in_parallel_all_land, |server| {
    let admin = admin(&server).await;
    let olga = operator(&server, &admin).await;
    empty_result(&ctrl(&server, "CreateVMPool", &olga, &pool("p", json!([]))).await);
    let adds = (0..6).map(|i| {
        let body = member("p", vm(&format!("vm{i}"), &format!("10.0.1.{i}")));
        let (server, olga) = (&server, olga.clone());
        async move { ctrl(server, "AddVMPoolMember", &olga, &body).await }
    });
    for reply in futures_util::future::join_all(adds).await {
        empty_result(&reply);
    }
    // The same VM raced in twice lands once.
    let twice = (0..2).map(|_| {
        let body = member("p", vm("dup", "10.0.2.1"));
        let (server, olga) = (&server, olga.clone());
        async move { ctrl(server, "AddVMPoolMember", &olga, &body).await }
    });
    let replies = futures_util::future::join_all(twice).await;
    assert_eq!(replies.iter().filter(|r| r.status == 200).count(), 1);
    assert_eq!(shown(&server, &olga, json!({})).await[0]["vms"].as_array().unwrap().len(), 7);
});
