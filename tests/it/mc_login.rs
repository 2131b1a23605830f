//! MC login, tokens, lockout, two-factor codes and API-key logins.

use serde_json::json;

use crate::harness::{MC_ADMIN, MC_ADMIN_PASSWORD};
use crate::mc_client::*;
use crate::on_both_databases;
use crate::scalelite_client::send;

on_both_databases!(mc_login_answers_a_token_and_sets_mcs_cookie, |server| {
    let reply =
        call(&server, "/login", None, Some(&json!({"username": MC_ADMIN, "password": MC_ADMIN_PASSWORD}))).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["admin"], json!(true), "AdminManagers are flagged");
    let token = body["token"].as_str().unwrap().to_owned();
    let claims = claims(&token);
    assert_eq!(claims["username"], MC_ADMIN);
    assert_eq!(claims["authtype"], "passwordauth");
    assert_eq!(claims["kid"], 1);
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 24 * 3600);
    let header = token.split('.').next().unwrap();
    assert_eq!(header, "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9", "HS512");

    // The cookie works as well as the bearer token.
    let response = server
        .client
        .post(server.url("/api/v1/login"))
        .json(&json!({"username": MC_ADMIN, "password": MC_ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("token=ey"), "{cookie}");
    assert!(cookie.ends_with("GMT; HttpOnly; Secure; SameSite=Strict"), "{cookie}");
    assert!(cookie.contains("; Path=/; Expires="), "{cookie}");
    let pair = cookie.split(';').next().unwrap();
    let reply = send(server.client.post(server.url("/api/v1/auth/user/current")).header("cookie", pair)).await;
    assert_eq!(reply.json()["Name"], MC_ADMIN);

    // A user logs in by name (any case) or email; no admin flag.
    create_user(&server, "alice").await;
    for username in ["alice", "ALICE", "alice@example.com"] {
        let reply = call(&server, "/login", None, Some(&json!({"username": username, "password": STRONG}))).await;
        assert_eq!(reply.status, 200, "{username}: {}", reply.body);
        assert!(reply.json().get("admin").is_none());
    }
    // Go's decoder: keys in any case, a urlencoded form too.
    let reply = call(&server, "/login", None, Some(&json!({"UserName": "alice", "PASSWORD": STRONG}))).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let form = server
        .client
        .post(server.url("/api/v1/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("username=alice&password={STRONG}"));
    assert_eq!(send(form).await.status, 200);
});

on_both_databases!(mc_login_refusals_use_mcs_words, |server| {
    create_user(&server, "bob").await;
    let refused = |body: serde_json::Value| {
        let server = &server;
        async move { message(&call(server, "/login", None, Some(&body)).await, 400) }
    };
    assert_eq!(refused(json!({"username": "bob"})).await, "Password not specified");
    assert_eq!(refused(json!({"password": "x"})).await, "Username not specified");
    assert_eq!(refused(json!({"username": "nobody", "password": STRONG})).await, "Invalid username or password");
    assert_eq!(
        refused(json!({"username": "bob", "apikeyid": "k", "password": "x"})).await,
        "Cannot specify both api key ID and username, please just use the username field"
    );
    assert_eq!(
        refused(json!({"apikeyid": "k", "apikey": "x", "password": "y"})).await,
        "Cannot specify both api key and password, please just use the password field"
    );
    assert_eq!(
        refused(json!({"username": 5})).await,
        "Invalid JSON data: Unmarshal error: expected string, but got number for field \"username\" at offset 13"
    );

    let empty = send(server.client.post(server.url("/api/v1/login")).header("content-type", "application/json")).await;
    assert_eq!(message(&empty, 400), "Request body can't be empty");
    let syntax =
        send(server.client.post(server.url("/api/v1/login")).header("content-type", "application/json").body("{bad"))
            .await;
    assert_eq!(
        message(&syntax, 400),
        "Invalid JSON data: Syntax error at offset 2, invalid character 'b' looking for beginning of object key string"
    );
    let text =
        send(server.client.post(server.url("/api/v1/login")).header("content-type", "text/plain").body("{}")).await;
    assert_eq!(message(&text, 415), "Unsupported Media Type");

    // Unknown paths and methods answer as echo does.
    let unknown = call(&server, "/nothing", None, None).await;
    assert_eq!(message(&unknown, 404), "Not Found");
    let wrong_method = send(server.client.get(server.url("/api/v1/login"))).await;
    assert_eq!(message(&wrong_method, 405), "Method Not Allowed");
    // AuthCookie runs before echo's 405 on /auth/ routes.
    let unauthenticated = send(server.client.get(server.url("/api/v1/auth/user/current"))).await;
    assert_eq!(message(&unauthenticated, 401), "No bearer token found");
});

on_both_databases!(mc_tokens_are_checked_as_mc_checks_them, |server| {
    let no_token = call(&server, "/auth/user/current", None, None).await;
    assert_eq!(message(&no_token, 401), "No bearer token found");
    let garbage = call(&server, "/auth/user/current", Some("not.a.jwt"), None).await;
    assert_eq!(message(&garbage, 401), "Invalid or expired jwt");

    let key = signing_key(&server).await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut claims = steward::surfaces::mc::token::Claims {
        exp: now - 65,
        iat: now - 3600,
        username: MC_ADMIN.into(),
        kid: 1,
        authtype: "passwordauth".into(),
        ..Default::default()
    };
    let expired = call(&server, "/auth/user/current", Some(&key.sign(&claims)), None).await;
    let text = message(&expired, 401);
    assert!(text == "Token is expired by 1m5s" || text == "Token is expired by 1m6s", "{text}");
    claims.exp = now + 60;
    let valid = call(&server, "/auth/user/current", Some(&key.sign(&claims)), None).await;
    assert_eq!(valid.status, 200, "{}", valid.body);
    let forged = steward::surfaces::mc::token::SigningKey::new(b"guess").sign(&claims);
    assert_eq!(message(&call(&server, "/auth/user/current", Some(&forged), None).await, 401), "Invalid or expired jwt");
});

on_both_databases!(mc_failed_logins_lock_the_account_on_every_replica, |server| {
    create_user(&server, "carol").await;
    let mut replica = server.replica().await;
    for attempt in 0..3 {
        // Alternate instances: the count lives in the shared database.
        let instance = if attempt % 2 == 0 { &server } else { &replica };
        let reply =
            call(instance, "/login", None, Some(&json!({"username": "carol", "password": "wrong-password"}))).await;
        assert_eq!(message(&reply, 400), "Invalid username or password");
    }
    // The right password is refused on the other instance while locked.
    let reply = call(&replica, "/login", None, Some(&json!({"username": "carol", "password": STRONG}))).await;
    let text = message(&reply, 400);
    assert!(
        text == "Login temporarily disabled due to 3 failed login attempts, please try again in 1m0s"
            || text == "Login temporarily disabled due to 3 failed login attempts, please try again in 59s",
        "{text}"
    );
    let reply = call(&server, "/login", None, Some(&json!({"username": "carol", "password": STRONG}))).await;
    assert!(message(&reply, 400).starts_with("Login temporarily disabled due to 3 failed login attempts"));
    // Locked attempts do not count further.
    let admin = admin(&server).await;
    let shown = call(&server, "/auth/user/show", Some(&admin), Some(&json!({"Name": "carol"}))).await;
    assert_eq!(shown.json()[0]["FailedLogins"], 3);
    replica.stop().await;
});

on_both_databases!(mc_api_keys_log_in_with_their_own_rights, |server| {
    let admin = admin(&server).await;
    let alice = user(&server, "alice").await;
    create_org(&server, &alice, "acme", "developer").await;
    let body = json!({"Org": "acme", "Description": "ci", "permissions": [{"resource": "apps", "action": "view"}]});
    let created = call(&server, "/auth/user/create/apikey", Some(&alice), Some(&body)).await;
    assert_eq!(created.status, 200, "{}", created.body);
    let created = created.json();
    let (id, key) = (created["Id"].as_str().unwrap(), created["ApiKey"].as_str().unwrap());

    for login in [json!({"username": id, "password": key}), json!({"apikeyid": id, "apikey": key})] {
        let reply = call(&server, "/login", None, Some(&login)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let token = login(&server, id, key).await;
    let claims = claims(&token);
    assert_eq!(claims["username"], id);
    assert_eq!(claims["apikeyusername"], "alice");
    assert_eq!(claims["authtype"], "apikeyauth");
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 4 * 3600);

    let wrong = call(&server, "/login", None, Some(&json!({"username": id, "password": "nope"}))).await;
    assert_eq!(message(&wrong, 400), "Invalid ApiKey or ApiKeyId");

    // The key holds only what it was given.
    let check = |org: &str, resource: &str, action: &str| json!({"org": org, "resource": resource, "action": action});
    let allowed = call(&server, "/auth/user/authorized", Some(&token), Some(&check("acme", "apps", "view"))).await;
    assert_eq!(message(&allowed, 200), "Authorized ok");
    let denied = call(&server, "/auth/user/authorized", Some(&token), Some(&check("acme", "apps", "manage"))).await;
    assert_eq!(message(&denied, 403), "Forbidden");
    // Keys cannot manage keys, and are not users.
    let refused = call(&server, "/auth/user/create/apikey", Some(&token), Some(&body)).await;
    assert_eq!(message(&refused, 403), "ApiKey auth not allowed to create API keys, please log in with user account");
    let current = call(&server, "/auth/user/current", Some(&token), None).await;
    assert_eq!(current.status, 400);
    // An org's only manager stays.
    let deleted = call(&server, "/auth/user/delete", Some(&admin), Some(&json!({"Name": "alice"}))).await;
    assert_eq!(message(&deleted, 400), "Error: Cannot delete the last remaining manager for the org acme");
});

on_both_databases!(mc_two_factor_codes_guard_the_login, |server| {
    let body = json!({"Name": "dave", "Email": "dave@example.com", "Passhash": STRONG, "EnableTOTP": true});
    let created = call(&server, "/usercreate", None, Some(&body)).await;
    assert_eq!(created.status, 200, "{}", created.body);
    let created = created.json();
    assert!(created["Message"].as_str().unwrap().starts_with("User created with two factor authentication enabled."));
    let key = created["TOTPSharedKey"].as_str().unwrap().to_owned();
    assert_eq!(key.len(), 32);
    assert!(created["TOTPQRImage"].as_str().unwrap().starts_with("iVBORw0KGgo"), "a base64 PNG");

    let missing = call(&server, "/login", None, Some(&json!({"username": "dave", "password": STRONG}))).await;
    assert_eq!(
        message(&missing, 511),
        "Missing OTP\nPlease use two factor authenticator app on your phone to get OTP. We have also sent OTP to your registered email address"
    );
    assert_eq!(server.outbox.sent_to("dave@example.com").len(), 1, "the code was mailed");
    let wrong =
        call(&server, "/login", None, Some(&json!({"username": "dave", "password": STRONG, "totp": "000000x"}))).await;
    assert_eq!(message(&wrong, 400), "Invalid or expired OTP. Please login again to receive another OTP");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let code = steward::surfaces::mc::totp::current_code(&key, now).unwrap();
    let ok = call(&server, "/login", None, Some(&json!({"username": "dave", "password": STRONG, "totp": code}))).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
});
