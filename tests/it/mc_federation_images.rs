//! Images a guest's developers send to a federation host (one server
//! federating with itself, as MC's unit test does): the guest's image
//! create, show and delete, the host's view of them (its show and unsafe
//! delete, the partner API's file endpoints), each refusal in MC's words.

use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::mc_client::*;
use crate::mc_federation_guests::hosted;
use crate::on_both_databases;
use crate::scalelite_client::Reply;

async fn image(server: &TestServer, op: &str, token: &str, body: &Value) -> Reply {
    call(server, &format!("/auth/federation/consumer/image/{op}"), Some(token), Some(body)).await
}

async fn host_image(server: &TestServer, op: &str, token: &str, body: &Value) -> Reply {
    call(server, &format!("/auth/federation/provider/image/{op}"), Some(token), Some(body)).await
}

/// Host `h-fed` (operator `dmuus`), guest `g-fed` (operator `partner1`,
/// manager `partner1-op`), developer org `FedAppCo` (manager `fedapp-dev`);
/// the developer's token.
pub async fn federated(server: &TestServer, admin: &str) -> String {
    let body = hosted(server, admin).await;
    create_org(server, admin, "partner1", "operator").await;
    let reply = call(server, "/auth/federation/consumer/create", Some(admin), Some(&body)).await;
    assert_eq!(message(&reply, 200), "Federation Guest g-fed created");
    create_user(server, "partner1-op").await;
    add_role(server, admin, "partner1", "partner1-op", "OperatorManager").await;
    create_org(server, admin, "FedAppCo", "developer").await;
    create_user(server, "fedapp-dev").await;
    add_role(server, admin, "FedAppCo", "fedapp-dev", "DeveloperManager").await;
    login(server, "fedapp-dev", STRONG).await
}

pub fn docker_image() -> Value {
    json!({"Organization": "FedAppCo", "FederationName": "g-fed", "SourcePath": "registry.example.com/FedAppCo/k8sapp:1.0",
           "Type": "DOCKER", "Checksum": "sha256:8d4ea2a9476bc51681c6e7e59759c10237669c950b1b4a3cd6834e2161d7bde2"})
}

on_both_databases!(mc_guest_images_are_sent_to_the_host_shown_and_deleted, |server| {
    let admin = admin(&server).await;
    let dev = federated(&server, &admin).await;
    let body = docker_image();
    let with = |changes: Value| {
        let mut changed = body.clone();
        for (key, value) in changes.as_object().unwrap() {
            changed[key] = value.clone();
        }
        changed
    };
    let refused = |body: Value| {
        let (server, dev) = (&server, dev.clone());
        async move { message(&image(server, "create", &dev, &body).await, 400) }
    };
    assert_eq!(refused(with(json!({"Organization": ""}))).await, "Missing developer organization");
    assert_eq!(refused(with(json!({"FederationName": ""}))).await, "Missing federation name to copy to");
    assert_eq!(refused(with(json!({"SourcePath": ""}))).await, "Missing image source path");
    assert_eq!(refused(with(json!({"Type": ""}))).await, "Missing image type");
    let stranger = user(&server, "stranger").await;
    assert_eq!(message(&image(&server, "create", &stranger, &body).await, 403), "Forbidden");
    assert_eq!(refused(with(json!({"ID": "mine"}))).await, "ID cannot be specified");
    assert_eq!(
        refused(with(json!({"Type": "HELM"}))).await,
        "Image type \"HELM\" not supported, must be one of QCOW2, DOCKER, OVA"
    );
    assert_eq!(refused(with(json!({"FederationName": "nope"}))).await, "FederationConsumer \"nope\" not found");
    assert_eq!(
        refused(with(json!({"SourcePath": "https://registry.example.com/FedAppCo/k8sapp:1.0"}))).await,
        "Docker container image path should be without scheme://"
    );
    assert_eq!(
        refused(with(json!({"Checksum": ""}))).await,
        "Checksum missing, please specify md5 checksum for image registry.example.com/FedAppCo/k8sapp:1.0"
    );
    let malformed = image(&server, "create", &dev, &json!({"Organization": 5})).await;
    assert_eq!(malformed.status, 400, "{}", malformed.body);
    assert!(image(&server, "show", &dev, &json!({})).await.json().as_array().unwrap().is_empty());

    // Sent: the host holds a reference to the public image.
    let created = message(&image(&server, "create", &dev, &body).await, 200);
    let id = created.strip_prefix("Image ").and_then(|rest| rest.strip_suffix(" created")).unwrap().to_owned();
    assert_eq!(id.len(), 36, "{created}");
    assert_eq!(message(&image(&server, "create", &dev, &body).await, 200), "Exact duplicate of image already exists");
    assert_eq!(
        refused(with(json!({"Checksum": "sha256:3209f029"}))).await,
        "Image with Organization \"FedAppCo\", FederationName \"g-fed\", and Name \"k8sapp\" combination already exists; please choose a different Name"
    );
    let full = json!({"ID": id, "Organization": "FedAppCo", "FederationName": "g-fed", "Name": "k8sapp", "Version": "1.0",
        "SourcePath": "registry.example.com/FedAppCo/k8sapp:1.0", "Type": "DOCKER",
        "Checksum": "sha256:8d4ea2a9476bc51681c6e7e59759c10237669c950b1b4a3cd6834e2161d7bde2", "Status": "Ready"});
    assert_eq!(image(&server, "show", &dev, &json!({})).await.json(), json!([full]));
    assert_eq!(image(&server, "show", &admin, &json!({"Name": "k8sapp"})).await.json(), json!([full]));
    assert_eq!(image(&server, "show", &admin, &json!({"Name": "other"})).await.json(), json!([]));
    // Operators hold no apps:view (MC's roles): the guest's too.
    let pat = login(&server, "partner1-op", STRONG).await;
    assert_eq!(message(&image(&server, "show", &pat, &json!({})).await, 403), "Forbidden");
    assert_eq!(message(&image(&server, "show", &stranger, &json!({})).await, 403), "Forbidden");
    let unknown = image(&server, "show", &dev, &json!({"Color": "red"})).await;
    assert_eq!(
        message(&unknown, 400),
        "Failed to parse input data: JSON field Color not found in database object ConsumerImage"
    );

    // The host's operator sees it in its developer org.
    let olga = login(&server, "dmuus-op", STRONG).await;
    let hosted_image = json!({"FederationName": "h-fed", "FileID": id, "Path": "registry.example.com/FedAppCo/k8sapp:1.0",
        "Name": "k8sapp", "Description": "", "Version": "1.0", "Type": "DOCKER", "AppProviderId": "fedappco",
        "Checksum": "sha256:8d4ea2a9476bc51681c6e7e59759c10237669c950b1b4a3cd6834e2161d7bde2", "Status": "Ready"});
    assert_eq!(host_image(&server, "show", &olga, &json!({})).await.json(), json!([hosted_image]));
    assert_eq!(host_image(&server, "show", &admin, &json!({"FileID": id})).await.json(), json!([hosted_image]));
    assert_eq!(message(&host_image(&server, "show", &stranger, &json!({})).await, 403), "Forbidden");
    assert_eq!(host_image(&server, "show", &dev, &json!({})).await.json(), json!([]));

    // The developer org stays while its images remain, as the federation does.
    let org_delete = call(&server, "/auth/org/delete", Some(&admin), Some(&json!({"Name": "FedAppCo"}))).await;
    assert_eq!(message(&org_delete, 400), "Org FedAppCo in use by ConsumerImage");
    // The federation stays while images sent through it remain.
    let guest_delete =
        call(&server, "/auth/federation/consumer/delete", Some(&admin), Some(&json!({"Name": "g-fed"}))).await;
    assert_eq!(
        message(&guest_delete, 400),
        "Cannot delete Guest g-fed while images or apps onboarded through it remain, please delete them first"
    );

    // Deleted by the triplet: at the host too.
    assert_eq!(
        message(&image(&server, "delete", &dev, &json!({"Organization": "FedAppCo"})).await, 400),
        "Either ID, or the triplet of Organization, FederationName, and Name must be specified to uniquely identify the image"
    );
    assert_eq!(message(&image(&server, "delete", &dev, &json!({"ID": "nope"})).await, 400), "Image not found");
    assert_eq!(message(&image(&server, "delete", &stranger, &json!({"ID": id})).await, 403), "Forbidden");
    let triplet = json!({"Organization": "fedappco", "FederationName": "g-fed", "Name": "k8sapp"});
    assert_eq!(message(&image(&server, "delete", &dev, &triplet).await, 200), format!("Image {id} deleted"));
    assert_eq!(image(&server, "show", &dev, &json!({})).await.json(), json!([]));
    assert_eq!(host_image(&server, "show", &olga, &json!({})).await.json(), json!([]));
});

on_both_databases!(mc_host_images_are_deleted_unsafely_by_the_hosts_operator, |server| {
    let admin = admin(&server).await;
    let dev = federated(&server, &admin).await;
    let created = message(&image(&server, "create", &dev, &docker_image()).await, 200);
    let id = created.strip_prefix("Image ").and_then(|rest| rest.strip_suffix(" created")).unwrap().to_owned();
    let olga = login(&server, "dmuus-op", STRONG).await;
    let target = json!({"FederationName": "h-fed", "FileID": id});
    assert_eq!(
        message(&host_image(&server, "unsafedelete", &olga, &json!({"FederationName": "h-fed"})).await, 400),
        "FileID must be specified"
    );
    assert_eq!(
        message(&host_image(&server, "unsafedelete", &olga, &json!({"FileID": id})).await, 400),
        "Federation name must be specified"
    );
    assert_eq!(
        message(
            &host_image(&server, "unsafedelete", &olga, &json!({"FederationName": "nope", "FileID": id})).await,
            400
        ),
        "FederationProvider \"nope\" not found"
    );
    // The guest's developer is no operator of the host.
    assert_eq!(message(&host_image(&server, "unsafedelete", &dev, &target).await, 403), "Forbidden");
    let missing = json!({"FederationName": "h-fed", "FileID": "nope"});
    assert_eq!(
        message(&host_image(&server, "unsafedelete", &olga, &missing).await, 404),
        "Specified file ID nope not found"
    );
    let deleted = host_image(&server, "unsafedelete", &olga, &target).await;
    assert_eq!((deleted.status, deleted.body.as_str()), (200, ""));
    assert_eq!(host_image(&server, "show", &olga, &json!({})).await.json(), json!([]));
    // The guest's delete finds the host without it: no error.
    assert_eq!(message(&image(&server, "delete", &dev, &json!({"ID": id})).await, 200), format!("Image {id} deleted"));
    // Unless it skips the host, a guest delete reaches it.
    let created = message(&image(&server, "create", &dev, &docker_image()).await, 200);
    let id = created.strip_prefix("Image ").and_then(|rest| rest.strip_suffix(" created")).unwrap().to_owned();
    let skipped = call(
        &server,
        "/auth/federation/consumer/image/delete?ignorepartner=true",
        Some(&dev),
        Some(&json!({"ID": id})),
    )
    .await;
    assert_eq!(message(&skipped, 200), format!("Image {id} deleted"));
    assert_eq!(host_image(&server, "show", &olga, &json!({})).await.json().as_array().unwrap().len(), 1);
    // The host stays while a partner's image remains.
    let forced = call(
        &server,
        "/auth/federation/provider/delete?ignorepartner=true",
        Some(&olga),
        Some(&json!({"Name": "h-fed"})),
    )
    .await;
    assert_eq!(
        message(&forced, 400),
        "Cannot delete Host while partner images, artefacts, apps or app instances remain, please unsafe delete them first"
    );
});
