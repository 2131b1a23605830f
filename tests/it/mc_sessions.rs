//! MC sessions: which tokens authenticate, revocation on every replica,
//! and the lockout under parallel guessing.

use serde_json::json;

use crate::harness::MC_ADMIN;
use crate::mc_client::*;
use crate::mc_users::token_in;
use crate::on_both_databases;

on_both_databases!(mc_mailed_tokens_never_authenticate_calls, |server| {
    create_user(&server, "mona").await;
    let requested = call(&server, "/passwordresetrequest", None, Some(&json!({"email": "mona@example.com"}))).await;
    assert_eq!(requested.status, 200, "{}", requested.body);
    let reset = token_in(&server.outbox.sent_to("mona@example.com")[0].body);
    let refused = call(&server, "/auth/user/current", Some(&reset), None).await;
    assert_eq!(message(&refused, 401), "Invalid or expired jwt");
    // The reset token still resets; a login token cannot.
    let session = login(&server, "mona", STRONG).await;
    let wrong_kind = call(&server, "/passwordreset", None, Some(&json!({"token": session, "password": STRONG}))).await;
    assert_eq!(message(&wrong_kind, 401), "Invalid or expired token");
    let used = call(&server, "/passwordreset", None, Some(&json!({"token": reset, "password": STRONG}))).await;
    assert_eq!(message(&used, 200), "Password updated");

    // Tokens without an expiry, or of no known kind, are refused.
    let key = signing_key(&server).await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = steward::surfaces::mc::token::Claims {
        exp: now + 600,
        iat: now,
        username: MC_ADMIN.into(),
        kid: 1,
        authtype: "passwordauth".into(),
        ..Default::default()
    };
    let forever = steward::surfaces::mc::token::Claims { exp: 0, ..claims.clone() };
    let refused = call(&server, "/auth/user/current", Some(&key.sign(&forever)), None).await;
    assert_eq!(message(&refused, 401), "Invalid or expired jwt");
    let kindless = steward::surfaces::mc::token::Claims { authtype: String::new(), ..claims.clone() };
    let refused = call(&server, "/auth/user/current", Some(&key.sign(&kindless)), None).await;
    assert_eq!(message(&refused, 401), "Invalid or expired jwt");
    let ok = call(&server, "/auth/user/current", Some(&key.sign(&claims)), None).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
});

on_both_databases!(mc_password_changes_revoke_earlier_tokens_on_every_replica, |server| {
    let mut replica = server.replica().await;
    let before = user(&server, "otto").await;
    let also_before = login(&replica, "otto", STRONG).await;
    let ok = call(&replica, "/auth/user/current", Some(&before), None).await;
    assert_eq!(ok.status, 200, "{}", ok.body);

    let new_password = "2orangefoxquickhandlebrush2";
    let body = json!({"currentpassword": STRONG, "password": new_password});
    let changed = call(&server, "/auth/user/newpass", Some(&before), Some(&body)).await;
    assert_eq!(message(&changed, 200), "Password updated");
    for (instance, token) in
        [(&server, &before), (&replica, &before), (&server, &also_before), (&replica, &also_before)]
    {
        let refused = call(instance, "/auth/user/current", Some(token), None).await;
        assert_eq!(message(&refused, 401), "Invalid or expired jwt");
    }
    let after = login(&replica, "otto", new_password).await;
    assert_eq!(call(&server, "/auth/user/current", Some(&after), None).await.status, 200);

    // A reset by mail revokes too.
    call(&server, "/passwordresetrequest", None, Some(&json!({"email": "otto@example.com"}))).await;
    let reset = token_in(&server.outbox.sent_to("otto@example.com")[0].body);
    let done = call(&replica, "/passwordreset", None, Some(&json!({"token": reset, "password": STRONG}))).await;
    assert_eq!(message(&done, 200), "Password updated");
    let refused = call(&server, "/auth/user/current", Some(&after), None).await;
    assert_eq!(message(&refused, 401), "Invalid or expired jwt");

    // Deleting the user revokes everything of theirs.
    let last = login(&server, "otto", STRONG).await;
    let deleted = call(&replica, "/auth/user/delete", Some(&last), Some(&json!({"Name": "otto"}))).await;
    assert_eq!(message(&deleted, 200), "User deleted");
    let refused = call(&server, "/auth/user/current", Some(&last), None).await;
    assert_eq!(message(&refused, 401), "Invalid or expired jwt");
    replica.stop().await;
});

on_both_databases!(mc_deleting_an_api_key_revokes_its_tokens, |server| {
    let alice = user(&server, "alice").await;
    create_org(&server, &alice, "acme", "developer").await;
    let body = json!({"Org": "acme", "Description": "ci", "permissions": [{"resource": "apps", "action": "view"}]});
    let created = call(&server, "/auth/user/create/apikey", Some(&alice), Some(&body)).await.json();
    let (id, key) = (created["Id"].as_str().unwrap(), created["ApiKey"].as_str().unwrap());
    let token = login(&server, id, key).await;
    let scopes = call(&server, "/auth/user/scopes", Some(&token), None).await;
    assert_eq!(scopes.status, 200, "{}", scopes.body);
    let deleted = call(&server, "/auth/user/delete/apikey", Some(&alice), Some(&json!({"Id": id}))).await;
    assert_eq!(message(&deleted, 200), "Deleted API Key successfully");
    let refused = call(&server, "/auth/user/scopes", Some(&token), None).await;
    assert_eq!(message(&refused, 401), "Invalid or expired jwt");
    // The owner's own session is untouched.
    assert_eq!(call(&server, "/auth/user/current", Some(&alice), None).await.status, 200);
});

on_both_databases!(mc_parallel_wrong_passwords_stop_at_the_lockout_threshold, |server| {
    create_user(&server, "pete").await;
    let attempts = (0..32).map(|_| {
        let server = &server;
        async move {
            let body = json!({"username": "pete", "password": "wrong-password"});
            message(&call(server, "/login", None, Some(&body)).await, 400)
        }
    });
    let answers = futures_util::future::join_all(attempts).await;
    let evaluated = answers.iter().filter(|text| *text == "Invalid username or password").count();
    assert!((1..=3).contains(&evaluated), "{evaluated} passwords checked: {answers:?}");
    assert!(answers.iter().all(|text| text == "Invalid username or password"
        || text.starts_with("Login temporarily disabled due to")), "{answers:?}");
    // Every password checked was counted.
    let admin = admin(&server).await;
    let shown = call(&server, "/auth/user/show", Some(&admin), Some(&json!({"Name": "pete"}))).await;
    assert_eq!(shown.json()[0]["FailedLogins"], evaluated, "{answers:?}");
});

on_both_databases!(mc_userdelete_passwords_count_toward_the_lockout, |server| {
    create_user(&server, "quinn").await;
    for _ in 0..3 {
        let body = json!({"Name": "quinn", "Passhash": "wrong-password"});
        let reply = call(&server, "/userdelete", None, Some(&body)).await;
        assert_eq!(message(&reply, 400), "Invalid username or password");
    }
    let body = json!({"Name": "quinn", "Passhash": STRONG});
    let locked = call(&server, "/userdelete", None, Some(&body)).await;
    assert!(message(&locked, 400).starts_with("Login temporarily disabled due to 3 failed login attempts"));
    let login = call(&server, "/login", None, Some(&json!({"username": "quinn", "password": STRONG}))).await;
    assert!(message(&login, 400).starts_with("Login temporarily disabled due to 3 failed login attempts"));
});

on_both_databases!(mc_one_time_codes_work_once_and_wrong_ones_count, |server| {
    let body = json!({"Name": "dora", "Email": "dora@example.com", "Passhash": STRONG, "EnableTOTP": true});
    let created = call(&server, "/usercreate", None, Some(&body)).await.json();
    let key = created["TOTPSharedKey"].as_str().unwrap().to_owned();
    let with_code = |code: &str| json!({"username": "dora", "password": STRONG, "totp": code});
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let code = steward::surfaces::mc::totp::current_code(&key, now).unwrap();
    let first = call(&server, "/login", None, Some(&with_code(&code))).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let replayed = call(&server, "/login", None, Some(&with_code(&code))).await;
    assert_eq!(message(&replayed, 400), "Invalid or expired OTP. Please login again to receive another OTP");

    // Wrong codes count as failed logins: the third locks the account.
    for _ in 0..2 {
        let wrong = call(&server, "/login", None, Some(&with_code("000000x"))).await;
        assert_eq!(message(&wrong, 400), "Invalid or expired OTP. Please login again to receive another OTP");
    }
    let admin = admin(&server).await;
    let shown = call(&server, "/auth/user/show", Some(&admin), Some(&json!({"Name": "dora"}))).await;
    assert_eq!(shown.json()[0]["FailedLogins"], 3, "the replay and two wrong codes");
    let fresh = steward::surfaces::mc::totp::current_code(&key, now + 120).unwrap();
    let locked = call(&server, "/login", None, Some(&with_code(&fresh))).await;
    assert!(message(&locked, 400).starts_with("Login temporarily disabled due to 3 failed login attempts"));
});

on_both_databases!(
    mc_user_creation_is_rate_limited_per_address_as_mc_limits_it,
    crate::harness::Options { mc_rate_limit: true, ..crate::harness::Options::default() },
    |server| {
        let body = |name: &str| json!({"Name": name, "Email": format!("{name}@example.com"), "Passhash": STRONG});
        for name in ["rita", "ruth"] {
            assert_eq!(call(&server, "/usercreate", None, Some(&body(name))).await.status, 200);
        }
        let refused = call(&server, "/usercreate", None, Some(&body("rosa"))).await;
        assert_eq!(
            message(&refused, 429),
            "/api/v1/usercreate is rejected, please retry later. Error is: Client exceeded api rate limit per ip. Exceeded rate of 2.000000 requests per second."
        );
        // Other routes have their own (far larger) budget.
        assert!(!login(&server, "rita", STRONG).await.is_empty());
        tokio::time::sleep(std::time::Duration::from_millis(600)).await;
        assert_eq!(call(&server, "/usercreate", None, Some(&body("rosa"))).await.status, 200, "refilled");
    }
);

on_both_databases!(mc_names_shaped_like_api_key_ids_are_refused, |server| {
    let body = json!({"Name": "0b6e8f5e-3c1a-4f7e-9d2a-6a2b1c3d4e5f", "Email": "k@example.com", "Passhash": STRONG});
    let refused = call(&server, "/usercreate", None, Some(&body)).await;
    assert_eq!(message(&refused, 400), "Name cannot be formatted like an API key ID");
});
