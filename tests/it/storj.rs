//! The Storj satellite admin API, with the statuses and bodies Storj's
//! tests assert.

use serde_json::{Value, json};

use crate::harness::{Options, STORJ_TOKEN, TestServer};
use crate::on_both_databases;
use crate::scalelite_client::{Reply, send};

async fn call(server: &TestServer, method: &str, path: &str, body: Option<Value>) -> Reply {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = server.client.request(method, server.url(path)).header("authorization", STORJ_TOKEN);
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body.to_string());
    }
    send(request).await
}

fn error(reply: &Reply) -> (u16, String, String) {
    let body = reply.json();
    (reply.status, body["error"].as_str().unwrap_or("?").to_owned(), body["detail"].as_str().unwrap_or("?").to_owned())
}

async fn create_user(server: &TestServer, email: &str) -> String {
    let reply = call(
        server,
        "POST",
        "/api/user",
        Some(json!({"email": email, "fullName": "Full Name", "password": "123a123"})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["id"].as_str().unwrap().to_owned()
}

async fn create_project(server: &TestServer, owner: &str, name: &str) -> String {
    let reply = call(server, "POST", "/api/project", Some(json!({"ownerId": owner, "projectName": name}))).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["projectId"].as_str().unwrap().to_owned()
}

on_both_databases!(storj_create_user_returns_the_user, |server| {
    let reply = call(
        &server,
        "POST",
        "/api/user",
        Some(json!({"email": "alice@mail.test", "fullName": "Alice", "password": "123a123"})),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert!(reply.content_type.starts_with("application/json"));
    let user = reply.json();
    assert_eq!(user["email"], "alice@mail.test");
    assert_eq!(user["fullName"], "Alice");
    assert_eq!(user["passwordHash"], Value::Null);
    assert_eq!(user["status"], 1);
    assert_eq!(user["partnerId"], "00000000-0000-0000-0000-000000000000");
    assert!(reply.body.starts_with("{\"id\":"), "Go's field order: {}", reply.body);
    // Go's decoder: keys match case-insensitively, any content type.
    let lenient = send(
        server
            .client
            .post(server.url("/api/user"))
            .header("authorization", STORJ_TOKEN)
            .body(r#"{"EMAIL":"bob@mail.test","FullName":"Bob","Password":"123a123","extra":1}"#),
    )
    .await;
    assert_eq!(lenient.status, 200, "{}", lenient.body);
    assert_eq!(lenient.json()["fullName"], "Bob");
});

on_both_databases!(storj_create_user_validates_and_refuses_duplicates, |server| {
    create_user(&server, "alice@mail.test").await;
    let duplicate = call(
        &server,
        "POST",
        "/api/user",
        Some(json!({"email": "ALICE@mail.test", "fullName": "A", "password": "123a123"})),
    )
    .await;
    assert_eq!(error(&duplicate), (409, "user with email already exists ALICE@mail.test".into(), "".into()));
    let invalid = call(&server, "POST", "/api/user", Some(json!({"email": "bob@mail.test", "password": "123"}))).await;
    assert_eq!(
        error(&invalid),
        (
            400,
            "user data is not valid".into(),
            "validation: full name can not be empty; validation: Your password needs at least 6 characters long".into()
        )
    );
    let malformed = call(&server, "POST", "/api/user", None).await;
    assert_eq!(error(&malformed), (400, "failed to unmarshal request".into(), "unexpected end of JSON input".into()));
    let wrong_type =
        send(server.client.post(server.url("/api/user")).header("authorization", STORJ_TOKEN).body(r#"{"email": 5}"#))
            .await;
    assert_eq!(
        error(&wrong_type),
        (
            400,
            "failed to unmarshal request".into(),
            "json: cannot unmarshal number into Go struct field CreateUser.email of type string".into()
        )
    );
});

on_both_databases!(storj_concurrent_creates_of_one_email_give_one_conflict, |server| {
    let body = json!({"email": "race@mail.test", "fullName": "Racer", "password": "123a123"});
    let (first, second) = tokio::join!(
        call(&server, "POST", "/api/user", Some(body.clone())),
        call(&server, "POST", "/api/user", Some(body.clone()))
    );
    let mut statuses = [first.status, second.status];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{} / {}", first.body, second.body);
    let db = sea_orm::Database::connect(&server.database_url).await.unwrap();
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(steward::db::entities::storj_user::Entity::find().count(&db).await.unwrap(), 1);
    db.close().await.ok();
});

on_both_databases!(storj_get_user_lists_owned_projects_and_coupons, |server| {
    let id = create_user(&server, "alice@mail.test").await;
    let alone = call(&server, "GET", "/api/user/Alice@Mail.test", None).await;
    assert_eq!(alone.status, 200);
    assert_eq!(
        alone.json(),
        json!({"user": {"id": id, "fullName": "Full Name", "email": "alice@mail.test", "projectLimit": 0}, "projects": null, "coupons": []})
    );
    let project = create_project(&server, &id, "photos").await;
    let with_project = call(&server, "GET", "/api/user/alice@mail.test", None).await.json();
    assert_eq!(with_project["projects"], json!([{"id": project, "name": "photos", "description": "", "ownerId": id}]));
    let missing = call(&server, "GET", "/api/user/nobody@mail.test", None).await;
    assert_eq!(error(&missing), (404, "user with email \"nobody@mail.test\" not found".into(), "".into()));
});

on_both_databases!(storj_update_user_applies_non_empty_values, |server| {
    create_user(&server, "alice@mail.test").await;
    let reply = call(
        &server,
        "PUT",
        "/api/user/alice@mail.test",
        Some(json!({"fullName": "Alice B", "email": "ab@mail.test", "projectLimit": 5, "shortName": ""})),
    )
    .await;
    assert_eq!((reply.status, reply.body.as_str(), reply.content_type.as_str()), (200, "", ""));
    let user = call(&server, "GET", "/api/user/ab@mail.test", None).await.json();
    assert_eq!((user["user"]["fullName"].clone(), user["user"]["projectLimit"].clone()), (json!("Alice B"), json!(5)));
    assert_eq!(call(&server, "GET", "/api/user/alice@mail.test", None).await.status, 404);
    create_user(&server, "taken@mail.test").await;
    let conflict = call(&server, "PUT", "/api/user/ab@mail.test", Some(json!({"email": "TAKEN@mail.test"}))).await;
    assert_eq!(conflict.status, 409);
    let missing = call(&server, "PUT", "/api/user/nobody@mail.test", Some(json!({"fullName": "x"}))).await;
    assert_eq!(missing.status, 404);
    let malformed =
        send(server.client.put(server.url("/api/user/ab@mail.test")).header("authorization", STORJ_TOKEN).body("{x"))
            .await;
    assert_eq!(error(&malformed).1, "failed to unmarshal request");
});

on_both_databases!(storj_delete_user_is_refused_while_owning_projects, |server| {
    let id = create_user(&server, "alice@mail.test").await;
    let project = create_project(&server, &id, "photos").await;
    let refused = call(&server, "DELETE", "/api/user/alice@mail.test", None).await;
    let (status, message, detail) = error(&refused);
    assert_eq!((status, message.as_str()), (409, "some projects still exist"));
    assert!(detail.contains(&project), "{detail}");
    assert_eq!(call(&server, "DELETE", &format!("/api/project/{project}"), None).await.status, 200);
    let deleted = call(&server, "DELETE", "/api/user/alice@mail.test", None).await;
    assert_eq!((deleted.status, deleted.body.as_str()), (200, ""));
    assert_eq!(call(&server, "DELETE", "/api/user/alice@mail.test", None).await.status, 404);
    // The email is free again.
    create_user(&server, "alice@mail.test").await;
});

on_both_databases!(storj_coupons_are_created_read_and_deleted, |server| {
    let user = create_user(&server, "alice@mail.test").await;
    let created = call(
        &server,
        "POST",
        "/api/coupon",
        Some(json!({"userId": user, "duration": 2, "amount": 3000, "description": "welcome"})),
    )
    .await;
    assert_eq!(created.status, 200);
    let id = created.json().as_str().expect("a bare JSON string").to_owned();
    let coupon = call(&server, "GET", &format!("/api/coupon/{id}"), None).await;
    let body = coupon.json();
    assert_eq!(
        (body["userId"].clone(), body["amount"].clone(), body["duration"].clone(), body["type"].clone()),
        (json!(user), json!(3000), json!(2), json!(0))
    );
    assert_eq!(call(&server, "GET", "/api/user/alice@mail.test", None).await.json()["coupons"][0]["id"], json!(id));
    for (body, message) in [
        (json!({"userId": user, "amount": 1, "description": "d"}), "Duration is not set"),
        (json!({"userId": user, "duration": 1, "description": "d"}), "Amount is not set"),
        (json!({"userId": user, "duration": 1, "amount": 1}), "Description is not set"),
        (json!({"duration": 1, "amount": 1, "description": "d"}), "UserID is not set"),
    ] {
        assert_eq!(error(&call(&server, "POST", "/api/coupon", Some(body)).await), (400, message.into(), "".into()));
    }
    let bad_uuid = call(
        &server,
        "POST",
        "/api/coupon",
        Some(json!({"userId": "", "duration": 1, "amount": 1, "description": "d"})),
    )
    .await;
    assert_eq!(
        error(&bad_uuid),
        (400, "failed to unmarshal request".into(), "uuid: bytes have wrong length 2 expected 38".into())
    );
    assert_eq!(
        error(&call(&server, "GET", "/api/coupon/abc", None).await),
        (400, "invalid couponId".into(), "".into())
    );
    assert_eq!(call(&server, "DELETE", &format!("/api/coupon/{id}"), None).await.status, 200);
    let gone = call(&server, "GET", &format!("/api/coupon/{id}"), None).await;
    assert_eq!(error(&gone), (404, format!("coupon with id \"{id}\" not found"), "".into()));
    assert_eq!(error(&call(&server, "DELETE", "/api/coupon/abc", None).await).1, "invalid couponid");
});

on_both_databases!(storj_projects_are_created_renamed_and_read, |server| {
    let owner = create_user(&server, "alice@mail.test").await;
    let id = create_project(&server, &owner, "photos").await;
    let project = call(&server, "GET", &format!("/api/project/{id}"), None).await.json();
    assert_eq!(
        (
            project["name"].clone(),
            project["ownerId"].clone(),
            project["storageLimit"].clone(),
            project["rateLimit"].clone()
        ),
        (json!("photos"), json!(owner), Value::Null, Value::Null)
    );
    let renamed = call(
        &server,
        "PUT",
        &format!("/api/project/{id}"),
        Some(json!({"projectName": "holiday", "description": "family"})),
    )
    .await;
    assert_eq!((renamed.status, renamed.body.as_str()), (200, ""));
    call(&server, "PUT", &format!("/api/project/{id}"), Some(json!({"projectName": "holiday2", "description": ""})))
        .await;
    let project = call(&server, "GET", &format!("/api/project/{id}"), None).await.json();
    assert_eq!((project["name"].clone(), project["description"].clone()), (json!("holiday2"), json!("family")));
    assert_eq!(
        error(&call(&server, "PUT", &format!("/api/project/{id}"), Some(json!({"description": "x"}))).await),
        (400, "ProjectName is not set".into(), "".into())
    );
    assert_eq!(
        error(&call(&server, "POST", "/api/project", Some(json!({"projectName": "x"}))).await),
        (400, "OwnerID is not set".into(), "".into())
    );
    assert_eq!(
        error(&call(&server, "POST", "/api/project", Some(json!({"ownerId": owner}))).await),
        (400, "ProjectName is not set".into(), "".into())
    );
    let ghost = call(
        &server,
        "POST",
        "/api/project",
        Some(json!({"ownerId": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "projectName": "x"})),
    )
    .await;
    assert_eq!(ghost.status, 404);
    let unknown = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
    for (method, path) in [
        ("GET", format!("/api/project/{unknown}")),
        ("GET", format!("/api/project/{unknown}/usage")),
        ("GET", format!("/api/project/{unknown}/limit")),
    ] {
        assert_eq!(
            error(&call(&server, method, &path, None).await),
            (404, "project with specified uuid does not exist".into(), "".into()),
            "{path}"
        );
    }
    assert_eq!(
        error(&call(&server, "PUT", &format!("/api/project/{unknown}"), Some(json!({"projectName": "x"}))).await).0,
        404
    );
    assert_eq!(
        error(&call(&server, "GET", "/api/project/not-a-uuid", None).await),
        (400, "invalid project-uuid".into(), "uuid: invalid string length 10 expected 36".into())
    );
    assert_eq!(
        call(&server, "GET", &format!("/api/project/{id}/usage"), None).await.json(),
        json!({"result": "no project usage exist"})
    );
});

on_both_databases!(storj_limits_are_set_by_query_or_form_and_formatted, |server| {
    let owner = create_user(&server, "alice@mail.test").await;
    let id = create_project(&server, &owner, "photos").await;
    let limits = call(&server, "GET", &format!("/api/project/{id}/limit"), None).await;
    assert_eq!(
        limits.body,
        r#"{"usage":{"amount":"0 B","bytes":0},"bandwidth":{"amount":"0 B","bytes":0},"rate":{"rps":0},"maxBuckets":0}"#
    );
    let form = send(
        server
            .client
            .put(server.url(&format!("/api/project/{id}/limit")))
            .header("authorization", STORJ_TOKEN)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("usage=1TiB"),
    )
    .await;
    assert_eq!((form.status, form.body.as_str()), (200, ""));
    for query in ["bandwidth=1MB", "rate=100", "Buckets=2000"] {
        assert_eq!(
            call(&server, "POST", &format!("/api/project/{id}/limit?{query}"), None).await.status,
            200,
            "{query}"
        );
    }
    let limits = call(&server, "GET", &format!("/api/project/{id}/limit"), None).await;
    assert_eq!(
        limits.body,
        r#"{"usage":{"amount":"1.0 TiB","bytes":1099511627776},"bandwidth":{"amount":"1.00 MB","bytes":1000000},"rate":{"rps":100},"maxBuckets":2000}"#
    );
    assert_eq!(call(&server, "GET", &format!("/api/project/{id}"), None).await.json()["storageLimit"], "1.0 TiB");
    let unknown = call(&server, "PUT", &format!("/api/project/{id}/limit?foo=1&usage=1GB"), None).await;
    assert_eq!(error(&unknown), (400, "invalid arguments".into(), "schema: invalid path \"foo\"".into()));
    let negative = call(&server, "PUT", &format!("/api/project/{id}/limit?usage=-1GB"), None).await;
    assert_eq!(error(&negative), (400, "negative usage".into(), "-1.00 GB".into()));
    assert_eq!(
        call(&server, "GET", &format!("/api/project/{id}/limit"), None).await.json()["usage"]["bytes"],
        1099511627776i64,
        "nothing changed"
    );
    let nothing = call(&server, "PUT", &format!("/api/project/{id}/limit"), None).await;
    assert_eq!(nothing.status, 200);
    assert_eq!(
        call(&server, "PUT", "/api/project/7c9e6679-7425-40de-944b-e07fc1f90ae7/limit?rate=1", None).await.status,
        404
    );
});

on_both_databases!(storj_api_keys_are_created_and_deleted, |server| {
    let owner = create_user(&server, "alice@mail.test").await;
    let project = create_project(&server, &owner, "photos").await;
    let created =
        call(&server, "POST", &format!("/api/project/{project}/apikey"), Some(json!({"name": "backup"}))).await;
    assert_eq!(created.status, 200);
    let key = created.json()["apikey"].as_str().unwrap().to_owned();
    assert!(key.starts_with('1'));
    let duplicate =
        call(&server, "POST", &format!("/api/project/{project}/apikey"), Some(json!({"name": "backup"}))).await;
    assert_eq!(error(&duplicate), (409, "api-key with given name already exists".into(), "".into()));
    assert_eq!(
        error(&call(&server, "POST", &format!("/api/project/{project}/apikey"), Some(json!({}))).await),
        (400, "Name is not set".into(), "".into())
    );
    let blocked = call(&server, "DELETE", &format!("/api/project/{project}"), None).await;
    assert_eq!(error(&blocked), (409, "api-keys still exist".into(), "count 1".into()));
    assert_eq!(call(&server, "DELETE", &format!("/api/apikey/{key}"), None).await.status, 200);
    assert_eq!(
        error(&call(&server, "DELETE", &format!("/api/apikey/{key}"), None).await),
        (404, "API key does not exist".into(), "".into())
    );
    assert_eq!(error(&call(&server, "DELETE", "/api/apikey/garbage", None).await).1, "invalid apikey format");
    call(&server, "POST", &format!("/api/project/{project}/apikey"), Some(json!({"name": "second"}))).await;
    assert_eq!(call(&server, "DELETE", &format!("/api/project/{project}/apikey/second"), None).await.status, 200);
    let gone = call(&server, "DELETE", &format!("/api/project/{project}/apikey/second"), None).await;
    assert_eq!(error(&gone), (404, "API key with specified name does not exist".into(), "".into()));
    assert_eq!(call(&server, "DELETE", &format!("/api/project/{project}"), None).await.status, 200);
    let ghost = call(&server, "POST", &format!("/api/project/{project}/apikey"), Some(json!({"name": "x"}))).await;
    assert_eq!(ghost.status, 404);
});

on_both_databases!(storj_auth_refuses_wrong_or_missing_tokens_everywhere, |server| {
    let paths = [
        ("POST", "/api/user"),
        ("GET", "/api/user/a@b.c"),
        ("PUT", "/api/user/a@b.c"),
        ("DELETE", "/api/user/a@b.c"),
        ("POST", "/api/coupon"),
        ("GET", "/api/coupon/x"),
        ("DELETE", "/api/coupon/x"),
        ("POST", "/api/project"),
        ("GET", "/api/project/x"),
        ("PUT", "/api/project/x"),
        ("DELETE", "/api/project/x"),
        ("GET", "/api/project/x/usage"),
        ("GET", "/api/project/x/limit"),
        ("PUT", "/api/project/x/limit"),
        ("POST", "/api/project/x/limit"),
        ("POST", "/api/project/x/apikey"),
        ("DELETE", "/api/project/x/apikey/n"),
        ("DELETE", "/api/apikey/k"),
        ("GET", "/api/user/a/unknown"),
        ("PATCH", "/api/user"),
    ];
    for (method, path) in paths {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        for token in [None, Some("wrong"), Some("Bearer storj-admin-token")] {
            let mut request = server.client.request(method.clone(), server.url(path)).body("{}");
            if let Some(token) = token {
                request = request.header("authorization", token);
            }
            let reply = send(request).await;
            assert_eq!(reply.body, r#"{"error":"Forbidden","detail":""}"#, "{method} {path} {token:?}");
            assert_eq!(reply.status, 403);
        }
    }
    let unknown = call(&server, "GET", "/api/user/a/unknown", None).await;
    assert_eq!((unknown.status, unknown.body.as_str()), (404, "404 page not found\n"));
    let wrong_method = call(&server, "PATCH", "/api/user", None).await;
    assert_eq!((wrong_method.status, wrong_method.body.as_str()), (405, ""));
});

on_both_databases!(
    storj_without_a_configured_token_generates_one_that_works_and_a_replica_keeps_it,
    Options { storj_token: None, ..Options::default() },
    |server| {
        let token = server.generated.0.clone().expect("a generated token");
        let get = |server: &TestServer, token: &str| {
            send(server.client.get(server.url("/api/user/a@b.c")).header("authorization", token.to_owned()))
        };
        assert_eq!(get(&server, &token).await.status, 404, "the generated token is the admin's");
        let wrong = get(&server, STORJ_TOKEN).await;
        assert_eq!((wrong.status, wrong.body.as_str()), (403, r#"{"error":"Forbidden","detail":""}"#));
        let replica = server.replica().await;
        assert_eq!(replica.generated.0, None, "shown only by the start that generated it");
        assert_eq!(get(&replica, &token).await.status, 404);
    }
);

on_both_databases!(storj_follows_the_seed_versions_checks_and_words, |server| {
    // Required fields first, then the duplicate, then the validation.
    let no_email = call(&server, "POST", "/api/user", Some(json!({"fullName": "N", "password": "1"}))).await;
    assert_eq!(error(&no_email), (400, "email is not set".into(), "".into()));
    let no_password = call(&server, "POST", "/api/user", Some(json!({"email": "x"}))).await;
    assert_eq!(error(&no_password), (400, "password is not set".into(), "".into()));
    let owner = create_user(&server, "olga@mail.test").await;
    let taken = call(&server, "POST", "/api/user", Some(json!({"email": "olga@mail.test", "password": "1"}))).await;
    assert_eq!(error(&taken), (409, "user with email already exists olga@mail.test".into(), "".into()));

    // A user's projects are listed by name.
    for name in ["zeta", "alpha", "mid"] {
        create_project(&server, &owner, name).await;
    }
    let user = call(&server, "GET", "/api/user/olga@mail.test", None).await.json();
    let names: Vec<&str> = user["projects"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["alpha", "mid", "zeta"]);

    // rate=0 clears the rate limit.
    let project = create_project(&server, &owner, "limited").await;
    assert_eq!(call(&server, "PUT", &format!("/api/project/{project}/limit?rate=5"), None).await.status, 200);
    let shown = call(&server, "GET", &format!("/api/project/{project}"), None).await.json();
    assert_eq!(shown["rateLimit"], 5);
    assert_eq!(call(&server, "PUT", &format!("/api/project/{project}/limit?rate=0"), None).await.status, 200);
    let shown = call(&server, "GET", &format!("/api/project/{project}"), None).await.json();
    assert_eq!(shown["rateLimit"], Value::Null);

    // Deleting what does not exist is a not-found, not a silent success.
    let unknown = "00000000-0000-0000-0000-00000000abcd";
    let coupon = call(&server, "DELETE", &format!("/api/coupon/{unknown}"), None).await;
    assert_eq!(error(&coupon), (404, format!("coupon with id \"{unknown}\" not found"), "".into()));
    let project = call(&server, "DELETE", &format!("/api/project/{unknown}"), None).await;
    assert_eq!(error(&project), (404, "project with specified uuid does not exist".into(), "".into()));
});

on_both_databases!(storj_owner_deletion_and_project_creation_never_interleave, |server| {
    for round in 0..8 {
        let email = format!("racer{round}@mail.test");
        let owner = create_user(&server, &email).await;
        let body = json!({"ownerId": owner, "projectName": format!("p{round}")});
        let user_path = format!("/api/user/{email}");
        let (created, deleted) =
            tokio::join!(call(&server, "POST", "/api/project", Some(body)), call(&server, "DELETE", &user_path, None));
        assert!(created.status < 500 && deleted.status < 500, "{} {}", created.body, deleted.body);
        // Never both: a deleted user with a project.
        assert!(!(created.status == 200 && deleted.status == 200), "round {round}: {} {}", created.body, deleted.body);
    }
});

on_both_databases!(storj_project_deletion_and_key_creation_never_interleave, |server| {
    let owner = create_user(&server, "keys@mail.test").await;
    for round in 0..8 {
        let project = create_project(&server, &owner, &format!("k{round}")).await;
        let (key_path, project_path) = (format!("/api/project/{project}/apikey"), format!("/api/project/{project}"));
        let (created, deleted) = tokio::join!(
            call(&server, "POST", &key_path, Some(json!({"name": "ci"}))),
            call(&server, "DELETE", &project_path, None)
        );
        assert!(created.status < 500 && deleted.status < 500, "{} {}", created.body, deleted.body);
        // Never both: a deleted project whose key was just created.
        assert!(!(created.status == 200 && deleted.status == 200), "round {round}: {} {}", created.body, deleted.body);
    }
});
