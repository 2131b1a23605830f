//! MC's invariants under parallel requests: each is held by a lock or a
//! constraint, so racing requests cannot both get past a check.

use serde_json::json;

use crate::mc_client::*;
use crate::on_both_databases;

on_both_databases!(mc_an_org_never_loses_its_last_manager_to_parallel_removals, |server| {
    let admin = admin(&server).await;
    for round in 0..4 {
        let (first, second, org) = (format!("m1r{round}"), format!("m2r{round}"), format!("org{round}"));
        let first_token = user(&server, &first).await;
        create_user(&server, &second).await;
        create_org(&server, &first_token, &org, "developer").await;
        add_role(&server, &admin, &org, &second, "DeveloperManager").await;
        let remove = |name: String| {
            let (server, admin, org) = (&server, admin.clone(), org.clone());
            async move {
                let body = json!({"org": org, "username": name, "role": "DeveloperManager"});
                call(server, "/auth/role/removeuser", Some(&admin), Some(&body)).await
            }
        };
        let (a, b) = tokio::join!(remove(first.clone()), remove(second.clone()));
        let removed = [&a, &b].iter().filter(|reply| reply.status == 200).count();
        assert_eq!(removed, 1, "{} / {}", a.body, b.body);
        let refused = if a.status == 200 { &b } else { &a };
        assert_eq!(message(refused, 400), "Error: Cannot remove the last remaining manager of an org");
        let left = call(&server, "/auth/role/assignment/show", Some(&admin), Some(&json!({"org": org}))).await;
        assert_eq!(left.json().as_array().unwrap().len(), 1, "{}", left.body);
    }
});

on_both_databases!(mc_parallel_key_creations_stop_at_the_cap_of_ten, |server| {
    let alice = user(&server, "alice").await;
    create_org(&server, &alice, "acme", "developer").await;
    let create = (0..16).map(|n| {
        let (server, alice) = (&server, alice.clone());
        async move {
            let body = json!({"Org": "acme", "Description": format!("k{n}"),
                "permissions": [{"resource": "apps", "action": "view"}]});
            call(server, "/auth/user/create/apikey", Some(&alice), Some(&body)).await
        }
    });
    let replies = futures_util::future::join_all(create).await;
    let created = replies.iter().filter(|reply| reply.status == 200).count();
    assert_eq!(created, 10, "{:?}", replies.iter().map(|r| &r.body).collect::<Vec<_>>());
    for refused in replies.iter().filter(|reply| reply.status != 200) {
        assert_eq!(
            message(refused, 400),
            "User cannot create more than 10 API keys, please delete existing keys to create new one"
        );
    }
    let shown = call(&server, "/auth/user/show/apikey", Some(&alice), Some(&json!({}))).await;
    assert_eq!(shown.json().as_array().unwrap().len(), 10);
});

on_both_databases!(mc_parallel_grants_leave_one_role_per_user_per_org, |server| {
    let admin = admin(&server).await;
    let owner = user(&server, "owner").await;
    create_org(&server, &owner, "acme", "developer").await;
    for round in 0..4 {
        let name = format!("bob{round}");
        create_user(&server, &name).await;
        let grant = |role: &'static str| {
            let (server, admin, name) = (&server, admin.clone(), name.clone());
            async move {
                let body = json!({"org": "acme", "username": name, "role": role});
                call(server, "/auth/role/adduser", Some(&admin), Some(&body)).await
            }
        };
        let (a, b) = tokio::join!(grant("DeveloperViewer"), grant("DeveloperContributor"));
        assert_eq!([&a, &b].iter().filter(|reply| reply.status == 200).count(), 1, "{} / {}", a.body, b.body);
        let refused = if a.status == 200 { &b } else { &a };
        assert!(message(refused, 400).starts_with("User already has a role"), "{}", refused.body);
        let held = call(&server, "/auth/role/assignment/show", Some(&admin), Some(&json!({"username": name}))).await;
        assert_eq!(held.json().as_array().unwrap().len(), 1, "{}", held.body);
    }
});
