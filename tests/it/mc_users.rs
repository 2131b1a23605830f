//! MC users: sign-up rules, the caller's account, listing, deletion and
//! the mailed verification and password-reset flows.

use serde_json::{Value, json};

use crate::harness::{MC_ADMIN, Options, TestServer};
use crate::mc_client::*;
use crate::on_both_databases;

async fn create(server: &TestServer, body: Value) -> String {
    message(&call(server, "/usercreate", None, Some(&body)).await, 400)
}

pub fn token_in(mail: &str) -> String {
    mail.split("token=").nth(1).expect("token in mail").split_whitespace().next().unwrap().to_owned()
}

on_both_databases!(mc_usercreate_checks_names_emails_and_passwords_as_mc, |server| {
    let body = |name: &str, email: &str, password: &str| json!({"Name": name, "Email": email, "Passhash": password});
    assert_eq!(create(&server, json!({"Email": "a@b.c", "Passhash": STRONG})).await, "Name not specified");
    assert_eq!(create(&server, body("a b", "a@b.c", STRONG)).await, "Name can only contain letters, digits, _ . -");
    assert_eq!(create(&server, body("-ab", "a@b.c", STRONG)).await, "Name cannot start with '-'");
    assert_eq!(create(&server, body("ab", "not-an-email", STRONG)).await, "Invalid email address");
    assert_eq!(
        create(&server, body("ab", "a@b.c", "short")).await,
        "Invalid password, password must be at least 8 characters"
    );
    assert_eq!(
        create(&server, body("ab", "a@b.c", "somerandompassword")).await,
        "Password too weak, requires crack time 31.0 days but is 3.0 minutes. Please increase length or complexity"
    );
    let created = call(&server, "/usercreate", None, Some(&body("erin", "erin@example.com", STRONG))).await;
    assert_eq!(created.status, 200);
    assert_eq!(created.json(), json!({"Message": "user created", "TOTPSharedKey": "", "TOTPQRImage": null}));
    assert_eq!(
        create(&server, body("ERIN", "other@example.com", STRONG)).await,
        "Username with name ERIN (case-insensitive) already exists"
    );
    assert_eq!(create(&server, body("erin2", "erin@example.com", STRONG)).await, "Email already in use");
    let admin = admin(&server).await;
    create_org(&server, &admin, "acme", "developer").await;
    assert_eq!(create(&server, body("Acme", "acme@example.com", STRONG)).await, "User name cannot be same as org name");
    let kind = create(&server, json!({"Name": "x", "EnableTOTP": "yes"})).await;
    assert_eq!(
        kind,
        "Invalid JSON data: Unmarshal error: expected bool, but got string for field \"EnableTOTP\" at offset 30, valid values are true, false"
    );
});

on_both_databases!(mc_users_see_themselves_and_whom_their_roles_allow, |server| {
    let admin = admin(&server).await;
    let frank = user(&server, "frank").await;
    let grace = user(&server, "grace").await;
    let current = call(&server, "/auth/user/current", Some(&frank), None).await;
    assert_eq!(current.status, 200);
    let me = current.json();
    assert_eq!(me["Name"], "frank");
    assert_eq!(me["Email"], "frank@example.com");
    assert_eq!((me["Passhash"].as_str(), me["Iter"].as_i64()), (Some(""), Some(0)), "secrets blanked");
    assert!(me["PassCrackTimeSec"].as_f64().unwrap() > 0.0);

    // No users:view anywhere: 403.
    assert_eq!(message(&call(&server, "/auth/user/show", Some(&grace), None).await, 403), "Forbidden");
    create_org(&server, &frank, "acme", "developer").await;
    add_role(&server, &frank, "acme", "grace", "DeveloperViewer").await;
    // A member sees the org's users, other people's details blanked.
    let shown = call(&server, "/auth/user/show", Some(&grace), Some(&json!({"org": "acme"}))).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    let shown = shown.json();
    let names: Vec<&str> = shown.as_array().unwrap().iter().map(|u| u["Name"].as_str().unwrap()).collect();
    assert_eq!(names, ["frank", "grace"]);
    assert_eq!(shown[0]["Email"], "", "others' emails are hidden");
    assert_eq!(shown[1]["Email"], "grace@example.com");
    let other_org = call(&server, "/auth/user/show", Some(&grace), Some(&json!({"org": "elsewhere"}))).await;
    assert_eq!(message(&other_org, 403), "Forbidden");
    // Admins see everyone, filtered by any field.
    let all = call(&server, "/auth/user/show", Some(&admin), None).await.json();
    assert_eq!(all.as_array().unwrap().len(), 3);
    let by_role = call(&server, "/auth/user/show", Some(&admin), Some(&json!({"role": "DeveloperViewer"}))).await;
    assert_eq!(by_role.json().as_array().unwrap().len(), 1);
    let by_email = call(&server, "/auth/user/show", Some(&admin), Some(&json!({"email": "frank@example.com"}))).await;
    assert_eq!(by_email.json()[0]["Name"], "frank");
    let unknown = call(&server, "/auth/user/show", Some(&admin), Some(&json!({"BadField": 1}))).await;
    assert_eq!(
        message(&unknown, 400),
        "Failed to parse input data: JSON field BadField not found in database object ShowUser"
    );
    assert_eq!(message(&call(&server, "/auth/user/show", None, None).await, 401), "No bearer token found");
});

on_both_databases!(mc_users_update_their_own_account_within_mcs_limits, |server| {
    let henry = user(&server, "henry").await;
    let updated =
        call(&server, "/auth/user/update", Some(&henry), Some(&json!({"GivenName": "Henry", "Nickname": "hal"}))).await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.json()["Message"], "user updated");
    let me = call(&server, "/auth/user/current", Some(&henry), None).await.json();
    assert_eq!((me["GivenName"].as_str(), me["Nickname"].as_str()), (Some("Henry"), Some("hal")));
    for (body, refusal) in [
        (json!({"Name": "other"}), "Cannot change username"),
        (json!({"EmailVerified": true}), "Cannot change emailverified"),
        (json!({"Locked": true}), "Cannot change locked"),
        (json!({"Passhash": ""}), "Cannot change passhash"),
    ] {
        let reply = call(&server, "/auth/user/update", Some(&henry), Some(&body)).await;
        assert_eq!(message(&reply, 400), refusal);
    }
    // Sending back what /current answered is refused, as in MC (the hash differs).
    let roundtrip = call(&server, "/auth/user/update", Some(&henry), Some(&me)).await;
    assert_eq!(message(&roundtrip, 400), "Cannot change passhash");
    create_user(&server, "iris").await;
    let taken = call(&server, "/auth/user/update", Some(&henry), Some(&json!({"Email": "iris@example.com"}))).await;
    assert_eq!(message(&taken, 400), "Email iris@example.com already in use");
    let moved = call(&server, "/auth/user/update", Some(&henry), Some(&json!({"Email": "hal@example.com"}))).await;
    assert_eq!(moved.status, 200);
    let me = call(&server, "/auth/user/current", Some(&henry), None).await.json();
    assert_eq!((me["Email"].as_str(), me["EmailVerified"].as_bool()), (Some("hal@example.com"), Some(false)));
    let totp = call(&server, "/auth/user/update", Some(&henry), Some(&json!({"EnableTOTP": true}))).await.json();
    assert!(totp["Message"].as_str().unwrap().starts_with("User updated\nEnabled two factor authentication."));
    assert_eq!(totp["TOTPSharedKey"].as_str().unwrap().len(), 32);
    let empty = crate::scalelite_client::send(
        server
            .client
            .post(server.url("/api/v1/auth/user/update"))
            .bearer_auth(&henry)
            .header("content-type", "application/json"),
    )
    .await;
    assert_eq!(message(&empty, 400), "Request body can't be empty");
});

on_both_databases!(mc_users_are_deleted_by_themselves_admins_or_their_password, |server| {
    let admin = admin(&server).await;
    let jack = user(&server, "jack").await;
    let kate = user(&server, "kate").await;
    let other = call(&server, "/auth/user/delete", Some(&jack), Some(&json!({"Name": "kate"}))).await;
    assert_eq!(message(&other, 403), "Forbidden");
    let nameless = call(&server, "/auth/user/delete", Some(&jack), Some(&json!({}))).await;
    assert_eq!(message(&nameless, 400), "User Name not specified");
    let superuser = call(&server, "/auth/user/delete", Some(&admin), Some(&json!({"Name": MC_ADMIN}))).await;
    assert_eq!(message(&superuser, 400), "Cannot delete superuser");
    assert_eq!(
        message(&call(&server, "/auth/user/delete", Some(&jack), Some(&json!({"Name": "jack"}))).await, 200),
        "User deleted"
    );
    assert_eq!(
        message(&call(&server, "/auth/user/delete", Some(&admin), Some(&json!({"Name": "kate"}))).await, 200),
        "User deleted"
    );
    // A deleted user's tokens are revoked.
    let gone = call(&server, "/auth/user/current", Some(&kate), None).await;
    assert_eq!(message(&gone, 401), "Invalid or expired jwt");

    // Delete-locked: the password proves the account.
    create_user(&server, "liam").await;
    let none = call(&server, "/userdelete", None, Some(&json!({"Passhash": STRONG}))).await;
    assert_eq!(message(&none, 400), "Name or Email must be specified");
    let no_password = call(&server, "/userdelete", None, Some(&json!({"Name": "liam"}))).await;
    assert_eq!(message(&no_password, 400), "Please specify password in passhash");
    let wrong = call(&server, "/userdelete", None, Some(&json!({"Name": "liam", "Passhash": "wrong-one"}))).await;
    assert_eq!(message(&wrong, 400), "Invalid username or password");
    tokio::time::sleep(std::time::Duration::from_millis(crate::harness::MC_BAD_AUTH_DELAY_MS)).await;
    let deleted =
        call(&server, "/userdelete", None, Some(&json!({"Email": "liam@example.com", "Passhash": STRONG}))).await;
    assert_eq!(message(&deleted, 200), "User deleted");
    let login = call(&server, "/login", None, Some(&json!({"username": "liam", "password": STRONG}))).await;
    assert_eq!(message(&login, 400), "Invalid username or password");
});

on_both_databases!(mc_passwords_change_with_the_current_one_or_a_mailed_token, |server| {
    let mona = user(&server, "mona").await;
    let new_password = "thequickbrownfoxjumpedoverthelazydog9$";
    let newpass = |body: Value| {
        let (server, mona) = (&server, &mona);
        async move { call(server, "/auth/user/newpass", Some(mona), Some(&body)).await }
    };
    assert_eq!(message(&newpass(json!({"password": new_password})).await, 400), "Please specify current password");
    assert_eq!(message(&newpass(json!({"currentpassword": STRONG})).await, 400), "Please specify new password");
    let wrong = newpass(json!({"currentpassword": "nope-nope", "password": new_password})).await;
    assert_eq!(message(&wrong, 400), "Invalid current password");
    let weak = newpass(json!({"currentpassword": STRONG, "password": "weakweak"})).await;
    assert!(message(&weak, 400).starts_with("Password too weak, requires crack time 31.0 days"));
    let changed = newpass(json!({"currentpassword": STRONG, "password": new_password})).await;
    assert_eq!(message(&changed, 200), "Password updated");
    login(&server, "mona", new_password).await;

    // Reset by mail: the same answer whether or not the address has an account.
    let unknown = call(&server, "/passwordresetrequest", None, Some(&json!({"email": "nobody@example.com"}))).await;
    assert_eq!((unknown.status, unknown.body.as_str()), (200, ""));
    assert!(server.outbox.sent_to("nobody@example.com")[0].body.contains("no user account"));
    let invalid = call(&server, "/passwordresetrequest", None, Some(&json!({"email": "nope"}))).await;
    assert_eq!(message(&invalid, 400), "Invalid email address");
    let requested = call(&server, "/passwordresetrequest", None, Some(&json!({"email": "mona@example.com"}))).await;
    assert_eq!((requested.status, requested.body.as_str()), (200, ""));
    let token = token_in(&server.outbox.sent_to("mona@example.com")[0].body);
    let weak = call(&server, "/passwordreset", None, Some(&json!({"token": token, "password": "short"}))).await;
    assert_eq!(message(&weak, 400), "Invalid password, password must be at least 8 characters");
    // A refused password leaves the token usable; a used token is spent.
    let reset = call(&server, "/passwordreset", None, Some(&json!({"token": token, "password": STRONG}))).await;
    assert_eq!(message(&reset, 200), "Password updated");
    let reused = call(&server, "/passwordreset", None, Some(&json!({"token": token, "password": STRONG}))).await;
    assert_eq!(message(&reused, 401), "Invalid or expired token");
    login(&server, "mona", STRONG).await;
    let forged = call(&server, "/passwordreset", None, Some(&json!({"token": "x.y.z", "password": STRONG}))).await;
    assert_eq!(message(&forged, 401), "Invalid or expired token");
});

on_both_databases!(
    mc_email_verification_gates_login_when_switched_on,
    Options { mc_verify_email: true, ..Options::default() },
    |server| {
        create_user(&server, "nina").await;
        let refused = call(&server, "/login", None, Some(&json!({"username": "nina", "password": STRONG}))).await;
        assert_eq!(message(&refused, 400), "Email not verified yet");
        let mails = server.outbox.sent_to("nina@example.com");
        assert_eq!(mails.len(), 1);
        let token = token_in(&mails[0].body);
        let resent = call(&server, "/resendverify", None, Some(&json!({"email": "nina@example.com"}))).await;
        assert_eq!((resent.status, resent.body.as_str()), (200, ""));
        assert_eq!(server.outbox.sent_to("nina@example.com").len(), 2);
        let bad = call(&server, "/resendverify", None, Some(&json!({"email": "nina"}))).await;
        assert_eq!(message(&bad, 400), "Invalid email address");
        let verified = call(&server, "/verifyemail", None, Some(&json!({"token": token}))).await;
        assert_eq!(message(&verified, 200), "Email verified, thank you");
        login(&server, "nina", STRONG).await;
        // As in MC, verifying again is harmless; a token we never issued is not.
        let again = call(&server, "/verifyemail", None, Some(&json!({"token": token}))).await;
        assert_eq!(message(&again, 200), "Email verified, thank you");
        let forged = call(&server, "/verifyemail", None, Some(&json!({"token": "a.b.c"}))).await;
        assert_eq!(message(&forged, 401), "Invalid or expired token");
    }
);

on_both_databases!(mc_one_mailbox_holds_one_account_whatever_the_case, |server| {
    create_user(&server, "vera").await;
    let body = json!({"Name": "vera2", "Email": "VERA@Example.com", "Passhash": STRONG});
    let refused = call(&server, "/usercreate", None, Some(&body)).await;
    assert_eq!(message(&refused, 400), "Email already in use");
    // Login by address in any case; the address is kept as given.
    let token = login(&server, "Vera@EXAMPLE.com", STRONG).await;
    let current = call(&server, "/auth/user/current", Some(&token), None).await;
    assert_eq!(current.json()["Email"], "vera@example.com");
    // A reset asked in another case goes to the account's address.
    let requested = call(&server, "/passwordresetrequest", None, Some(&json!({"email": "VERA@example.COM"}))).await;
    assert_eq!(requested.status, 200, "{}", requested.body);
    assert_eq!(server.outbox.sent_to("vera@example.com").len(), 1);
    // Changing only the case of one's own address is no clash.
    let update = call(&server, "/auth/user/update", Some(&token), Some(&json!({"Email": "Vera@Example.com"}))).await;
    assert_eq!(update.status, 200, "{}", update.body);
});
