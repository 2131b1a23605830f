//! MC federation hosts (`/auth/federation/provider/{create,update,delete,
//! show,generateapikey,setnotifykey}`): what an operator lends a partner,
//! in MC's order and words.

use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::mc_client::*;
use crate::mc_federation_zones::operator;
use crate::on_both_databases;

pub async fn host(server: &TestServer, op: &str, token: &str, body: &Value) -> crate::scalelite_client::Reply {
    call(server, &format!("/auth/federation/provider/{op}"), Some(token), Some(body)).await
}

pub fn federation(name: &str, org: &str) -> Value {
    json!({"Name": name, "OperatorId": org, "Regions": ["local"],
           "MyInfo": {"CountryCode": "SA", "MCC": "123", "MNC": ["111", "222", "333"], "FixedNetworkIds": ["foo", "bar", "foobar"]}})
}

on_both_databases!(mc_federation_hosts_are_created_shown_updated_and_deleted, |server| {
    let admin = admin(&server).await;
    let olga = operator(&server, &admin, "dmuus").await;
    let made = host(&server, "create", &olga, &federation("dmuus-partner1", "dmuus")).await;
    assert_eq!(made.status, 200, "{}", made.body);
    let info = made.json();
    let client_id = info["ClientId"].as_str().unwrap().to_owned();
    let client_key = info["ClientKey"].as_str().unwrap().to_owned();
    assert_eq!(uuid::Uuid::parse_str(&client_id).unwrap().get_version_num(), 4);
    assert_eq!(uuid::Uuid::parse_str(&client_key).unwrap().get_version_num(), 4);
    assert_eq!(info["TargetAddr"], server.url(""));
    assert_eq!(info["TokenUrl"], server.url("/oauth2/token"));

    let shown = host(&server, "show", &olga, &json!({})).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    let row = &shown.json()[0];
    let keys: Vec<&str> = row.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "ID",
            "Name",
            "OperatorId",
            "Regions",
            "FederationContextId",
            "MyInfo",
            "PartnerInfo",
            "PartnerNotifyDest",
            "PartnerNotifyTokenUrl",
            "PartnerNotifyClientId",
            "PartnerNotifyClientKey",
            "DefaultContainerDeployment",
            "Status",
            "ProviderClientId",
            "CreatedAt",
            "UpdatedAt"
        ]
    );
    assert_eq!(row["ID"], 1);
    assert_eq!(row["Name"], "dmuus-partner1");
    assert_eq!(row["Regions"], json!(["local"]));
    assert_eq!(
        row["MyInfo"],
        json!({"FederationId": "085d364c07fb4fe0b09979127f7c3d68", "CountryCode": "SA", "MCC": "123",
               "MNC": ["111", "222", "333"], "FixedNetworkIds": ["foo", "bar", "foobar"], "DiscoveryEndPoint": "",
               "InitialDate": "0001-01-01T00:00:00Z"})
    );
    assert_eq!(
        row["PartnerInfo"],
        json!({"FederationId": "", "CountryCode": "", "MCC": "", "MNC": null, "FixedNetworkIds": null,
               "DiscoveryEndPoint": "", "InitialDate": "0001-01-01T00:00:00Z"})
    );
    assert_eq!((&row["DefaultContainerDeployment"], &row["Status"]), (&json!("docker"), &json!("Unregistered")));
    assert_eq!(row["ProviderClientId"], client_id.as_str());
    assert_eq!(uuid::Uuid::parse_str(row["FederationContextId"].as_str().unwrap()).unwrap().get_version_num(), 4);
    assert_eq!(row["PartnerNotifyClientKey"], "");

    // The developer org housing the partner's images, managed by the creator.
    let orgs = call(&server, "/auth/org/show", Some(&olga), Some(&json!({"Name": "dmuus-partner1"}))).await.json();
    assert_eq!(orgs[0]["Type"], "developer");
    let roles = call(&server, "/auth/role/showuser", Some(&olga), Some(&json!({"org": "dmuus-partner1"}))).await;
    assert_eq!(roles.json()[0]["role"], "DeveloperManager", "{}", roles.body);

    // The partner's key row: bound to the host, kept only as a hash.
    let db = sea_orm::Database::connect(&server.database_url).await.unwrap();
    let key = steward::db::entities::mc_api_key::Entity::find_by_id(client_id.clone()).one(&db).await.unwrap().unwrap();
    assert_eq!((key.username.as_str(), key.org.as_str()), ("provider::1", "dmuus"));
    assert_eq!(key.description, "Federation Provider access key");
    assert!(!key.key_hash.contains(&client_key));

    // Filters; others' hosts unseen; admins see all.
    assert_eq!(host(&server, "show", &olga, &json!({"Status": "Registered"})).await.json(), json!([]));
    assert_eq!(
        host(&server, "show", &olga, &json!({"MyInfo": {"MCC": "123"}})).await.json().as_array().unwrap().len(),
        1
    );
    assert_eq!(
        host(&server, "show", &olga, &json!({"Name": "DMUUS-partner1"})).await.json().as_array().unwrap().len(),
        1
    );
    let otto = operator(&server, &admin, "att").await;
    assert_eq!(host(&server, "show", &otto, &json!({})).await.json(), json!([]));
    assert_eq!(host(&server, "show", &admin, &json!({})).await.json().as_array().unwrap().len(), 1);
    let unknown = host(&server, "show", &admin, &json!({"Color": "red"})).await;
    assert_eq!(
        message(&unknown, 400),
        "Failed to parse input data: JSON field Color not found in database object FederationProvider"
    );

    // Update: MyInfo (not its FederationId), deployment, notify destination.
    let update =
        json!({"Name": "dmuus-partner1", "MyInfo": {"MNC": ["444"]}, "DefaultContainerDeployment": "kubernetes"});
    assert_eq!(message(&host(&server, "update", &olga, &update).await, 200), "Updated Federation Host");
    let row = host(&server, "show", &olga, &json!({})).await.json()[0].clone();
    assert_eq!((&row["MyInfo"]["MNC"], &row["MyInfo"]["MCC"]), (&json!(["444"]), &json!("123")));
    assert_eq!(row["DefaultContainerDeployment"], "kubernetes");
    for (field, body) in [
        ("Regions", json!({"Name": "dmuus-partner1", "Regions": ["other"]})),
        ("MyInfo.FederationId", json!({"Name": "dmuus-partner1", "MyInfo": {"FederationId": "abc"}})),
        ("Status", json!({"Name": "dmuus-partner1", "Status": "Registered"})),
    ] {
        assert_eq!(message(&host(&server, "update", &olga, &body).await, 400), format!("Update {field} not allowed"));
    }
    assert_eq!(message(&host(&server, "update", &otto, &json!({"Name": "dmuus-partner1"})).await, 403), "Forbidden");

    // The operator org cannot go while it hosts; nor can the host's own org.
    create_org(&server, &admin, "bare", "operator").await;
    assert_eq!(host(&server, "create", &admin, &federation("bare-fed", "bare")).await.status, 200);
    let org_delete = call(&server, "/auth/org/delete", Some(&admin), Some(&json!({"Name": "bare"}))).await;
    assert_eq!(message(&org_delete, 400), "Org bare in use by FederationProvider");
    assert_eq!(
        message(&host(&server, "delete", &admin, &json!({"Name": "bare-fed"})).await, 200),
        "Federation Host bare-fed deleted"
    );
    let org_delete = call(&server, "/auth/org/delete", Some(&admin), Some(&json!({"Name": "bare"}))).await;
    assert_eq!(message(&org_delete, 200), "Organization deleted");
    let dev_delete = call(&server, "/auth/org/delete", Some(&admin), Some(&json!({"Name": "dmuus-partner1"}))).await;
    assert_eq!(message(&dev_delete, 400), "Org dmuus-partner1 in use by FederationProvider");

    // Delete takes the zones shared, the key and the developer org.
    assert_eq!(message(&host(&server, "delete", &otto, &json!({"Name": "dmuus-partner1"})).await, 403), "Forbidden");
    let deleted = host(&server, "delete", &olga, &json!({"ID": 1})).await;
    assert_eq!(message(&deleted, 200), "Federation Host dmuus-partner1 deleted");
    assert_eq!(host(&server, "show", &admin, &json!({})).await.json(), json!([]));
    assert!(steward::db::entities::mc_api_key::Entity::find_by_id(client_id).one(&db).await.unwrap().is_none());
    let orgs = call(&server, "/auth/org/show", Some(&admin), Some(&json!({"Name": "dmuus-partner1"}))).await;
    assert_eq!(orgs.json(), json!([]));
    let again = host(&server, "delete", &olga, &json!({"Name": "dmuus-partner1"})).await;
    assert_eq!(message(&again, 400), "FederationProvider \"dmuus-partner1\" not found");
    // The name is free again.
    assert_eq!(host(&server, "create", &olga, &federation("dmuus-partner1", "dmuus")).await.status, 200);
});

on_both_databases!(mc_federation_hosts_refuse_bad_input_in_mcs_order, |server| {
    let admin = admin(&server).await;
    let olga = operator(&server, &admin, "dmuus").await;
    let with = |changes: Value| {
        let mut body = federation("fed1", "dmuus");
        for (key, value) in changes.as_object().unwrap() {
            body[key] = value.clone();
        }
        body
    };
    let refused = |body: Value| {
        let (server, olga) = (&server, olga.clone());
        async move { message(&host(server, "create", &olga, &body).await, 400) }
    };
    assert_eq!(refused(with(json!({"OperatorId": ""}))).await, "Missing operator organization");
    assert_eq!(refused(with(json!({"Name": ""}))).await, "Please provide a name for this federation provider");
    assert_eq!(refused(with(json!({"MyInfo": {"MNC": ["1"]}}))).await, "MCC must be specified");
    assert_eq!(refused(with(json!({"MyInfo": {"MCC": "123", "MNC": []}}))).await, "At least one MNC must be specified");
    assert_eq!(
        refused(with(json!({"MyInfo": {"MCC": "12", "MNC": ["1"]}}))).await,
        "Mcc 12 does not match format ^\\d{3}$"
    );
    assert_eq!(
        refused(with(json!({"DefaultContainerDeployment": "vm"}))).await,
        "Default container deployment must be either docker or kubernetes"
    );
    assert_eq!(refused(with(json!({"Regions": []}))).await, "Missing regions");
    assert_eq!(refused(with(json!({"Regions": ["mars"]}))).await, "Region \"mars\" not found");
    let stranger = user(&server, "stranger").await;
    assert_eq!(message(&host(&server, "create", &stranger, &federation("fed1", "dmuus")).await, 403), "Forbidden");
    assert_eq!(message(&host(&server, "show", &stranger, &json!({})).await, 403), "Forbidden");
    let country = with(json!({"MyInfo": {"CountryCode": "ABCD", "MCC": "123", "MNC": ["1"]}}));
    assert_eq!(
        refused(country).await,
        "Invalid country code \"ABCD\". It must be a valid ISO 3166-1 Alpha-2 code for the country"
    );
    create_org(&server, &admin, "devco", "developer").await;
    let dev_operator = host(&server, "create", &admin, &federation("fed1", "devco")).await;
    assert_eq!(message(&dev_operator, 400), "Operation for org devco only allowed for orgs of type operator");
    // The name must make a new developer org.
    let taken = refused(federation("dmuus", "dmuus")).await;
    assert_eq!(
        taken,
        "Failed to create developer org \"dmuus\" based on provider name to house partner images and apps: \
         Organization with name dmuus (case-insensitive) already exists"
    );
    assert_eq!(
        refused(federation("dmuus-op", "dmuus")).await,
        "Failed to create developer org \"dmuus-op\" based on provider name to house partner images and apps: \
         Org name cannot be same as existing user name"
    );
    // A partner key given at creation is checked and never echoed.
    let short = with(json!({"PartnerNotifyClientId": "id", "PartnerNotifyClientKey": "s3cr"}));
    let text = refused(short).await;
    assert_eq!(text, "Invalid API key, valid length is 8 to 128 characters");
    assert_eq!(
        refused(with(json!({"PartnerNotifyClientKey": "0123456789"}))).await,
        "Partner notify client id not specified"
    );
    assert_eq!(
        refused(with(json!({"MyInfo": {"MCC": "123", "MNC": ["1"], "InitialDate": "soon"}}))).await,
        "Invalid JSON data: Unmarshal time \"soon\" failed, valid values are RFC3339 format, i.e. \"2006-01-02T15:04:05Z\", or \"2006-01-02T15:04:05+07:00\""
    );
    // Nothing of a refused create remains: no host, no org.
    assert_eq!(host(&server, "show", &admin, &json!({})).await.json(), json!([]));
    let orgs = call(&server, "/auth/org/show", Some(&admin), Some(&json!({"Name": "fed1"}))).await;
    assert_eq!(orgs.json(), json!([]));
    // Lookups by name or ID.
    for op in ["delete", "generateapikey"] {
        assert_eq!(message(&host(&server, op, &olga, &json!({})).await, 400), "Missing federation provider name or id");
        assert_eq!(
            message(&host(&server, op, &olga, &json!({"Name": "nope"})).await, 400),
            "FederationProvider \"nope\" not found"
        );
    }
    let malformed = call(&server, "/auth/federation/provider/create", Some(&olga), Some(&json!({"Name": 7}))).await;
    assert_eq!(malformed.status, 400, "{}", malformed.body);
});

on_both_databases!(mc_federation_host_keys_are_regenerated_and_notify_keys_sealed, |server| {
    let admin = admin(&server).await;
    let olga = operator(&server, &admin, "dmuus").await;
    let made = host(&server, "create", &olga, &federation("fed1", "dmuus")).await.json();
    let db = sea_orm::Database::connect(&server.database_url).await.unwrap();
    let stored_hash = |db: sea_orm::DatabaseConnection, id: String| async move {
        steward::db::entities::mc_api_key::Entity::find_by_id(id).one(&db).await.unwrap().unwrap().key_hash
    };
    let before = stored_hash(db.clone(), made["ClientId"].as_str().unwrap().to_owned()).await;
    let regenerated = host(&server, "generateapikey", &olga, &json!({"Name": "fed1"})).await;
    assert_eq!(regenerated.status, 200, "{}", regenerated.body);
    let info = regenerated.json();
    assert_eq!(info["ClientId"], made["ClientId"]);
    assert_ne!(info["ClientKey"], made["ClientKey"]);
    assert_eq!((&info["TargetAddr"], &info["TokenUrl"]), (&json!(server.url("")), &json!("")));
    assert_ne!(stored_hash(db.clone(), made["ClientId"].as_str().unwrap().to_owned()).await, before);
    let otto = operator(&server, &admin, "att").await;
    assert_eq!(message(&host(&server, "generateapikey", &otto, &json!({"Name": "fed1"})).await, 403), "Forbidden");

    // setnotifykey: checked in MC's order; 200 without a body.
    let set = |body: Value| {
        let (server, olga) = (&server, olga.clone());
        async move { host(server, "setnotifykey", &olga, &body).await }
    };
    assert_eq!(message(&set(json!({"Name": "fed1"})).await, 400), "Must specify partner client id");
    assert_eq!(
        message(&set(json!({"Name": "fed1", "PartnerNotifyClientId": "c1"})).await, 400),
        "Must specify partner client key"
    );
    let key = json!({"Name": "fed1", "PartnerNotifyClientId": "c1", "PartnerNotifyClientKey": "TOP-SECRET-KEY"});
    assert_eq!(message(&set(key.clone()).await, 400), "Must specify notify token url");
    let mut with_url = key.clone();
    with_url["PartnerNotifyTokenUrl"] = json!("https://partner.example.com/oauth2/token");
    let done = set(with_url).await;
    assert_eq!((done.status, done.body.as_str()), (200, ""));
    let row = host(&server, "show", &olga, &json!({})).await.json()[0].clone();
    assert_eq!(row["PartnerNotifyClientId"], "***");
    assert_eq!(row["PartnerNotifyTokenUrl"], "https://partner.example.com/oauth2/token");
    assert_eq!(row["PartnerNotifyClientKey"], "");
    // The key is sealed at rest: not in the row, opened by the server's key.
    let stored = steward::db::entities::mc_federation_provider::Entity::find().one(&db).await.unwrap().unwrap();
    let sealed = stored.partner_notify_key_sealed.unwrap();
    assert!(!sealed.contains("TOP-SECRET-KEY"));
    // Nor in the audit log.
    let events = call(
        &server,
        "/auth/events/show",
        Some(&admin),
        Some(&json!({"match": {"names": ["SetFederationProviderNotifyKey"]}})),
    )
    .await;
    assert_eq!(events.status, 200, "{}", events.body);
    assert_eq!(events.json().as_array().unwrap().len(), 4, "{}", events.body);
    assert!(!events.body.contains("TOP-SECRET-KEY"), "{}", events.body);
    assert_eq!(set(key).await.status, 200, "the token URL kept is used");
});

on_both_databases!(mc_federation_host_racing_creates_leave_one, |server| {
    let admin = admin(&server).await;
    let olga = operator(&server, &admin, "dmuus").await;
    let body = federation("race", "dmuus");
    let replies = futures_util::future::join_all((0..6).map(|_| host(&server, "create", &olga, &body))).await;
    assert_eq!(replies.iter().filter(|reply| reply.status == 200).count(), 1);
    for reply in replies.iter().filter(|reply| reply.status != 200) {
        let text = message(reply, 400);
        assert!(text.contains("already exists"), "{text}");
    }
    assert_eq!(host(&server, "show", &admin, &json!({})).await.json().as_array().unwrap().len(), 1);
});

async fn zone(server: &TestServer, op: &str, token: &str, body: &Value) -> crate::scalelite_client::Reply {
    call(server, &format!("/auth/federation/provider/zone/{op}"), Some(token), Some(body)).await
}

on_both_databases!(mc_federation_zones_are_shared_shown_and_unshared, |server| {
    let admin = admin(&server).await;
    let olga = operator(&server, &admin, "dmuus").await;
    for id in ["dmuuscloud1", "dmuuscloud2"] {
        let made = crate::mc_federation_zones::zonebase(
            &server,
            "create",
            &olga,
            &crate::mc_federation_zones::base(id, "dmuus"),
        )
        .await;
        assert_eq!(made.status, 200, "{}", made.body);
    }
    assert_eq!(host(&server, "create", &olga, &federation("dmuus-partner1", "dmuus")).await.status, 200);
    let share = json!({"FedHost": "dmuus-partner1", "Zones": ["dmuuscloud1", "dmuuscloud2"]});
    let shared = zone(&server, "share", &olga, &share).await;
    assert_eq!(message(&shared, 200), "Zones shared as part of federation \"dmuus-partner1\" successfully");
    let shown = zone(&server, "show", &olga, &json!({})).await;
    assert_eq!(
        shown.json(),
        json!([{"ZoneId": "dmuuscloud1", "ProviderName": "dmuus-partner1", "OperatorId": "dmuus", "Status": "Unregistered", "PartnerNotifyZoneURI": ""},
               {"ZoneId": "dmuuscloud2", "ProviderName": "dmuus-partner1", "OperatorId": "dmuus", "Status": "Unregistered", "PartnerNotifyZoneURI": ""}])
    );
    assert_eq!(
        zone(&server, "show", &olga, &json!({"ZoneId": "dmuuscloud2"})).await.json().as_array().unwrap().len(),
        1
    );
    let otto = operator(&server, &admin, "att").await;
    assert_eq!(zone(&server, "show", &otto, &json!({})).await.json(), json!([]));
    let unknown = zone(&server, "show", &admin, &json!({"Color": "red"})).await;
    assert_eq!(
        message(&unknown, 400),
        "Failed to parse input data: JSON field Color not found in database object ProviderZone"
    );

    // A shared base stays; a second share of a zone is refused, all or none.
    let base_delete = crate::mc_federation_zones::zonebase(
        &server,
        "delete",
        &olga,
        &json!({"ZoneId": "dmuuscloud1", "OperatorId": "dmuus"}),
    )
    .await;
    assert_eq!(
        message(&base_delete, 400),
        "Cannot delete zone \"dmuuscloud1\" as it is shared as part of federation. Please unshare it before deleting it"
    );
    let again = zone(&server, "share", &olga, &json!({"FedHost": "dmuus-partner1", "Zones": ["dmuuscloud1"]})).await;
    assert_eq!(
        message(&again, 400),
        "Database error, pq: duplicate key value violates unique constraint \"provider_zones_pkey\""
    );

    // Unshare: each zone must be shared; then all go.
    let missing =
        zone(&server, "unshare", &olga, &json!({"FedHost": "dmuus-partner1", "Zones": ["dmuuscloud1", "nope"]})).await;
    assert_eq!(message(&missing, 400), "Host Zone nope not found");
    assert_eq!(zone(&server, "show", &olga, &json!({})).await.json().as_array().unwrap().len(), 2, "nothing unshared");
    assert_eq!(message(&zone(&server, "unshare", &otto, &share).await, 403), "Forbidden");
    let unshared = zone(&server, "unshare", &olga, &share).await;
    assert_eq!(message(&unshared, 200), "Zones unshared from federation \"dmuus-partner1\" successfully");
    assert_eq!(zone(&server, "show", &olga, &json!({})).await.json(), json!([]));

    // A host's delete takes its shared zones.
    assert_eq!(zone(&server, "share", &olga, &share).await.status, 200);
    assert_eq!(host(&server, "delete", &olga, &json!({"Name": "dmuus-partner1"})).await.status, 200);
    assert_eq!(zone(&server, "show", &admin, &json!({})).await.json(), json!([]));
});

on_both_databases!(mc_federation_zone_shares_refuse_bad_input_in_mcs_order, |server| {
    let admin = admin(&server).await;
    let olga = operator(&server, &admin, "dmuus").await;
    let made = crate::mc_federation_zones::zonebase(
        &server,
        "create",
        &olga,
        &crate::mc_federation_zones::base("dmuuscloud1", "dmuus"),
    )
    .await;
    assert_eq!(made.status, 200, "{}", made.body);
    let mut elsewhere = federation("fed-elsewhere", "dmuus");
    elsewhere["Regions"] = json!(["locala"]);
    let controller = json!({"Region": "locala", "Address": "127.0.0.1:55001"});
    assert_eq!(call(&server, "/auth/controller/create", Some(&admin), Some(&controller)).await.status, 200);
    assert_eq!(host(&server, "create", &olga, &elsewhere).await.status, 200);
    assert_eq!(host(&server, "create", &olga, &federation("fed1", "dmuus")).await.status, 200);
    let refused = |op: &'static str, body: Value| {
        let (server, olga) = (&server, olga.clone());
        async move { message(&zone(server, op, &olga, &body).await, 400) }
    };
    assert_eq!(refused("share", json!({"FedHost": "fed1"})).await, "Must specify the zones to be shared");
    assert_eq!(
        refused("unshare", json!({"FedHost": "fed1", "Zones": []})).await,
        "Must specify the zones to be unshared"
    );
    assert_eq!(refused("share", json!({"Zones": ["dmuuscloud1"]})).await, "Missing federation provider name or id");
    assert_eq!(
        refused("share", json!({"FedHost": "nope", "Zones": ["dmuuscloud1"]})).await,
        "FederationProvider \"nope\" not found"
    );
    assert_eq!(
        refused("share", json!({"FedHost": "fed1", "Zones": ["dmuuscloud1", "dmuuscloud9"]})).await,
        "Provider zone base id \"dmuuscloud9\" not found for operatorID \"dmuus\""
    );
    assert_eq!(zone(&server, "show", &olga, &json!({})).await.json(), json!([]), "all or none");
    assert_eq!(
        refused("share", json!({"FedHost": "fed-elsewhere", "Zones": ["dmuuscloud1"]})).await,
        "Provider is not sharing resources from region local"
    );
    let stranger = user(&server, "stranger").await;
    let body = json!({"FedHost": "fed1", "Zones": ["dmuuscloud1"]});
    assert_eq!(message(&zone(&server, "share", &stranger, &body).await, 403), "Forbidden");
    assert_eq!(message(&zone(&server, "show", &stranger, &json!({})).await, 403), "Forbidden");
    let malformed = zone(&server, "share", &olga, &json!({"FedHost": "fed1", "Zones": "dmuuscloud1"})).await;
    assert_eq!(malformed.status, 400, "{}", malformed.body);
});

on_both_databases!(mc_federation_zone_share_races_base_delete, |server| {
    let admin = admin(&server).await;
    let olga = operator(&server, &admin, "dmuus").await;
    assert_eq!(host(&server, "create", &olga, &federation("fed1", "dmuus")).await.status, 200);
    for round in 0..4 {
        let id = format!("race{round}");
        let made = crate::mc_federation_zones::zonebase(
            &server,
            "create",
            &olga,
            &crate::mc_federation_zones::base(&id, "dmuus"),
        )
        .await;
        assert_eq!(made.status, 200, "{}", made.body);
        let share = json!({"FedHost": "fed1", "Zones": [id]});
        let delete = json!({"ZoneId": id, "OperatorId": "dmuus"});
        let (shared, deleted) = tokio::join!(
            zone(&server, "share", &olga, &share),
            crate::mc_federation_zones::zonebase(&server, "delete", &olga, &delete)
        );
        // Exactly one wins; a shared zone always has its base.
        assert_eq!(
            (shared.status == 200) as u8 + (deleted.status == 200) as u8,
            1,
            "{} / {}",
            shared.body,
            deleted.body
        );
        let zones = zone(&server, "show", &olga, &json!({"ZoneId": id})).await.json();
        let bases = crate::mc_federation_zones::zonebase(&server, "show", &olga, &json!({"ZoneId": id})).await.json();
        assert_eq!(zones.as_array().unwrap().len(), (shared.status == 200) as usize);
        assert_eq!(bases.as_array().unwrap().len(), (shared.status == 200) as usize);
    }
});
