//! MC federation guests on one server federating with itself (as MC's own
//! unit test does): host and guest in different operator orgs; each
//! refusal in MC's order and words, nothing kept when the host refuses.

use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::mc_client::*;
use crate::mc_federation_hosts::{federation, host};
use crate::mc_federation_zones::{base, operator, zonebase};
use crate::on_both_databases;

async fn guest(server: &TestServer, op: &str, token: &str, body: &Value) -> crate::scalelite_client::Reply {
    call(server, &format!("/auth/federation/consumer/{op}"), Some(token), Some(body)).await
}

/// A host `h-fed` of `dmuus` sharing `dmuuscloud1`; the guest's body for it.
pub async fn hosted(server: &TestServer, admin: &str) -> Value {
    let olga = operator(server, admin, "dmuus").await;
    assert_eq!(zonebase(server, "create", &olga, &base("dmuuscloud1", "dmuus")).await.status, 200);
    let info = host(server, "create", &olga, &federation("h-fed", "dmuus")).await.json();
    let share = json!({"FedHost": "h-fed", "Zones": ["dmuuscloud1"]});
    assert_eq!(call(server, "/auth/federation/provider/zone/share", Some(&olga), Some(&share)).await.status, 200);
    json!({"Name": "g-fed", "OperatorId": "partner1", "PartnerAddr": info["TargetAddr"], "PartnerTokenUrl": info["TokenUrl"],
           "ProviderClientId": info["ClientId"], "ProviderClientKey": info["ClientKey"],
           "MyInfo": {"CountryCode": "SA", "MCC": "456", "MNC": ["444"]}})
}

on_both_databases!(mc_federation_guests_refuse_in_mcs_order_and_keep_nothing_refused, |server| {
    let admin = admin(&server).await;
    let body = hosted(&server, &admin).await;
    create_org(&server, &admin, "partner1", "operator").await;
    let with = |changes: Value| {
        let mut changed = body.clone();
        for (key, value) in changes.as_object().unwrap() {
            changed[key] = value.clone();
        }
        changed
    };
    let refused = |body: Value| {
        let (server, admin) = (&server, admin.clone());
        async move { message(&guest(server, "create", &admin, &body).await, 400) }
    };
    assert_eq!(refused(with(json!({"OperatorId": ""}))).await, "Missing operator id");
    assert_eq!(refused(with(json!({"Name": ""}))).await, "Please provide a name for this federation provider");
    assert_eq!(refused(with(json!({"PartnerAddr": ""}))).await, "Missing partner EWBI address");
    assert_eq!(
        refused(with(json!({"ProviderClientId": ""}))).await,
        "Missing OAuth Client Id for connecting to Provider"
    );
    assert_eq!(
        refused(with(json!({"ProviderClientKey": ""}))).await,
        "Missing OAuth Client key for connecting to Provider"
    );
    let stranger = user(&server, "stranger").await;
    assert_eq!(message(&guest(&server, "create", &stranger, &body).await, 403), "Forbidden");
    assert_eq!(
        refused(with(json!({"MyInfo": {"MCC": "456", "MNC": ["1"], "CountryCode": "XX"}}))).await,
        "Invalid country code \"XX\". It must be a valid ISO 3166-1 Alpha-2 code for the country"
    );
    assert_eq!(refused(with(json!({"MyInfo": {"MNC": ["1"]}}))).await, "MCC must be specified");
    assert_eq!(refused(with(json!({"MyInfo": {"MCC": "456"}}))).await, "At least one MNC must be specified");
    assert_eq!(
        refused(with(json!({"AutoRegisterZones": true}))).await,
        "Please specify auto register region to use with auto register zones"
    );
    assert_eq!(
        refused(with(json!({"Name": "dmuus"}))).await,
        "Failed to create operator org \"dmuus\" base on consumer name to house partner zones: Organization with name dmuus (case-insensitive) already exists"
    );
    // The host refuses a wrong key: nothing of the guest stays.
    let wrong = refused(with(json!({"ProviderClientKey": "not-the-key"}))).await;
    assert!(wrong.starts_with("Failed to get federation token for http://"), "{wrong}");
    assert!(wrong.ends_with("oauth2: \"invalid_client\" \"Client authentication failed\""), "{wrong}");
    assert_eq!(guest(&server, "show", &admin, &json!({})).await.json(), json!([]));
    assert_eq!(call(&server, "/auth/org/show", Some(&admin), Some(&json!({"Name": "g-fed"}))).await.json(), json!([]));
    // No partner is at a link-local address (cloud metadata): not called.
    let metadata = refused(with(json!({"PartnerTokenUrl": "http://169.254.169.254/latest/meta-data"}))).await;
    assert!(
        metadata.ends_with(
            "Post \"http://169.254.169.254/latest/meta-data\": 169.254.169.254 is a link-local, unspecified, multicast or broadcast address, which Steward does not call"
        ),
        "{metadata}"
    );

    // The real key registers; a second guest of the same host is refused by it.
    assert_eq!(message(&guest(&server, "create", &admin, &body).await, 200), "Federation Guest g-fed created");
    let mut second = with(json!({"Name": "g-fed2"}));
    second["MyInfo"]["FederationId"] = json!("0123456789abcdef");
    let taken = refused(second).await;
    assert!(
        taken.ends_with(
            "/operatorplatform/federation/v1/partner failed: Federation provider already in use by another consumer"
        ),
        "{taken}"
    );
    // The guest's operator org is in use while it federates.
    let org_delete = call(&server, "/auth/org/delete", Some(&admin), Some(&json!({"Name": "partner1"}))).await;
    assert_eq!(message(&org_delete, 400), "Org partner1 in use by FederationConsumer");
    // Zones: unknown, then region checks.
    let register = |zones: Value, region: &str| json!({"FedGuest": "g-fed", "Region": region, "Zones": zones});
    assert_eq!(
        message(&guest(&server, "zone/register", &admin, &register(json!([]), "local")).await, 400),
        "Must specify the zones to be registered"
    );
    assert_eq!(
        message(&guest(&server, "zone/register", &admin, &register(json!(["badzone"]), "")).await, 400),
        "Region in which to create cloudlets for zones must be specified"
    );
    assert_eq!(
        message(&guest(&server, "zone/register", &admin, &register(json!(["badzone"]), "mars")).await, 400),
        "Region \"mars\" not found"
    );
    assert_eq!(
        message(&guest(&server, "zone/register", &admin, &register(json!(["badzone"]), "local")).await, 400),
        "Zone not found"
    );
    assert_eq!(
        message(&guest(&server, "zone/deregister", &admin, &json!({"FedGuest": "g-fed"})).await, 400),
        "Must specify zones to be deregistered"
    );
    assert_eq!(
        message(&guest(&server, "delete", &admin, &json!({})).await, 400),
        "Missing federation consumer name or id"
    );
    assert_eq!(
        message(&guest(&server, "delete", &admin, &json!({"Name": "nope"})).await, 400),
        "FederationConsumer \"nope\" not found"
    );
    assert_eq!(message(&guest(&server, "delete", &stranger, &json!({"Name": "g-fed"})).await, 403), "Forbidden");

    // A host gone from under its guest: ignorepartner lets each side go.
    let olga = login(&server, "dmuus-op", STRONG).await;
    let refused = host(&server, "delete", &olga, &json!({"Name": "h-fed"})).await;
    assert_eq!(message(&refused, 400), "Cannot delete Host when it is still registered by Guest");
    let forced = call(
        &server,
        "/auth/federation/provider/delete?ignorepartner=true",
        Some(&olga),
        Some(&json!({"Name": "h-fed"})),
    )
    .await;
    assert_eq!(message(&forced, 200), "Federation Host h-fed deleted");
    let stuck = guest(&server, "delete", &admin, &json!({"Name": "g-fed"})).await;
    assert!(message(&stuck, 400).starts_with("Failed to get federation token for "), "{}", stuck.body);
    let forced = call(
        &server,
        "/auth/federation/consumer/delete?ignorepartner=true",
        Some(&admin),
        Some(&json!({"Name": "g-fed"})),
    )
    .await;
    assert_eq!(message(&forced, 200), "Federation Guest g-fed deleted");
    assert_eq!(guest(&server, "show", &admin, &json!({})).await.json(), json!([]));
});

on_both_databases!(mc_federation_guests_show_public_guests_to_everyone_in_part, |server| {
    let admin = admin(&server).await;
    let body = hosted(&server, &admin).await;
    create_org(&server, &admin, "partner1", "operator").await;
    assert_eq!(guest(&server, "create", &admin, &body).await.status, 200);
    let full = guest(&server, "show", &admin, &json!({})).await.json()[0].clone();
    assert_eq!(
        (&full["Status"], &full["ProviderClientKey"], &full["Public"]),
        (&json!("Registered"), &json!(""), &json!(true))
    );
    assert!(full["ID"].as_i64().unwrap() > 0);
    // Someone without rights sees name, operator and status only.
    let dev = user(&server, "devon").await;
    let partial = guest(&server, "show", &dev, &json!({})).await.json()[0].clone();
    assert_eq!(
        (&partial["Name"], &partial["OperatorId"], &partial["Status"]),
        (&json!("g-fed"), &json!("partner1"), &json!("Registered"))
    );
    assert_eq!(
        (&partial["ID"], &partial["PartnerAddr"], &partial["CreatedAt"]),
        (&json!(0), &json!(""), &json!("0001-01-01T00:00:00Z"))
    );
    assert_eq!(partial["MyInfo"]["MCC"], "");
    let unknown = guest(&server, "show", &dev, &json!({"Color": "red"})).await;
    assert_eq!(
        message(&unknown, 400),
        "Failed to parse input data: JSON field Color not found in database object FederationConsumer"
    );
    // Zones are shown to cloudlets:view in the operator only.
    assert_eq!(message(&guest(&server, "zone/show", &dev, &json!({})).await, 403), "Forbidden");
    assert_eq!(guest(&server, "zone/show", &admin, &json!({})).await.json().as_array().unwrap().len(), 1);
    // Updates: the allowed fields, as given.
    let update = json!({"Name": "g-fed", "AutoRegisterRegion": "local", "MyInfo": {"MNC": ["777"]}});
    assert_eq!(message(&guest(&server, "update", &admin, &update).await, 200), "Federation Guest g-fed updated");
    let full = guest(&server, "show", &admin, &json!({})).await.json()[0].clone();
    assert_eq!((&full["AutoRegisterRegion"], &full["MyInfo"]["MNC"]), (&json!("local"), &json!(["777"])));
    let refused = guest(&server, "update", &admin, &json!({"Name": "g-fed", "ProviderClientId": "x"})).await;
    assert_eq!(message(&refused, 400), "Update ProviderClientId not allowed");
    assert_eq!(message(&guest(&server, "generatenotifykey", &admin, &json!({})).await, 400), "Not implemented yet");

    // The host replaces its key: the guest cannot reach it until it is set.
    let olga = login(&server, "dmuus-op", STRONG).await;
    let fresh = host(&server, "generateapikey", &olga, &json!({"Name": "h-fed"})).await.json();
    let stale = guest(&server, "delete", &admin, &json!({"Name": "g-fed"})).await;
    assert!(message(&stale, 400).starts_with("Failed to get federation token for "), "{}", stale.body);
    let set = |operator: &str| json!({"Name": "g-fed", "OperatorId": operator, "ProviderClientId": fresh["ClientId"], "ProviderClientKey": fresh["ClientKey"]});
    assert_eq!(
        message(&guest(&server, "setapikey", &admin, &json!({"Name": "g-fed"})).await, 400),
        "Missing operator ID"
    );
    // Another operator's manager cannot set this guest's key.
    let otto = operator(&server, &admin, "att").await;
    assert_eq!(message(&guest(&server, "setapikey", &otto, &set("att")).await, 403), "Forbidden");
    let mut short = set("partner1");
    short["ProviderClientKey"] = json!("short");
    let refused = guest(&server, "setapikey", &admin, &short).await;
    assert_eq!(message(&refused, 400), "Invalid API key, valid length is 8 to 128 characters");
    let done = guest(&server, "setapikey", &admin, &set("partner1")).await;
    assert_eq!(message(&done, 200), "Federation Guest g-fed api key set");

    // Deleting ends the federation at the host.
    assert_eq!(
        message(&guest(&server, "delete", &admin, &json!({"Name": "g-fed"})).await, 200),
        "Federation Guest g-fed deleted"
    );
    let hosted = host(&server, "show", &admin, &json!({})).await.json()[0].clone();
    assert_eq!(hosted["Status"], "Unregistered");
});
