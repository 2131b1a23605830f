// Lighthouse API v0.2 through openapi-fetch and the types generated from the
// served spec: log in (POST /api/v0.2/login sets the `auth` session cookie),
// then `Cookie: auth=<session>` on every call (Node's fetch keeps no
// cookies); a user created, given an AuthLevel, read, listing users as
// itself and logged out; beacons, aliases and applications as far as they
// go without a beacon (none runs here: connecting one at 127.0.0.1:9 is
// refused at once, which Steward answers 502).

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import createClient from "openapi-fetch";
import type { components, paths } from "../../target/clients/ts/lighthouse.js";
import { baseUrl, conforms, env, present, unique } from "./support.js";

type Schemas = components["schemas"];

// No beacon listens here: connecting is refused at once.
const NO_BEACON = "127.0.0.1:9";
const NOT_LOGGED_IN = { Cause: "auth", Message: "not logged in" };
const USER_ACCESS = "User does not exist or current permission too low";

// `auth=<session>; Path=/; Max-Age=<30 days, the default>; HttpOnly; SameSite=Lax`.
const COOKIE = /^auth=([0-9a-f]{64}); Path=\/; Max-Age=2592000; HttpOnly; SameSite=Lax$/;

/** A client sending `Cookie: auth=<session>` when given one. */
function client(session?: string) {
  return createClient<paths>({ baseUrl, headers: session === undefined ? {} : { Cookie: `auth=${session}` } });
}

const anonymous = client();

/** Logs in and answers a client sending the session cookie the login set. */
async function login(Email: string, Password: string) {
  const { data, error, response } = await anonymous.POST("/api/v0.2/login", { body: { Email, Password } });
  assert.equal(response.status, 200, JSON.stringify(error));
  assert.equal(data, undefined); // no body
  const cookie = response.headers.get("set-cookie") ?? "";
  const session = present(COOKIE.exec(cookie)?.[1], `the session in ${JSON.stringify(cookie)}`);
  return { client: client(session), session };
}

const admin = async () =>
  (await login(env("STEWARD_LIGHTHOUSE_ADMIN_EMAIL"), env("STEWARD_LIGHTHOUSE_ADMIN_PASSWORD"))).client;

/** The documented error, checked against its schema. */
function failed(answer: { error?: Schemas["HandlerError"]; response: Response }, status: number) {
  assert.equal(answer.response.status, status, JSON.stringify(answer.error));
  const error: Schemas["HandlerError"] = conforms("lighthouse", "HandlerError", answer.error);
  return error;
}

/** A documented 200 without a body. */
function emptyOk(answer: { data?: unknown; error?: unknown; response: Response }) {
  assert.equal(answer.response.status, 200, JSON.stringify(answer.error));
  assert.equal(answer.data, undefined);
}

test("login sets the session cookie; users listed in creation order", async () => {
  const email = env("STEWARD_LIGHTHOUSE_ADMIN_EMAIL");
  const { client: lighthouse } = await login(email, env("STEWARD_LIGHTHOUSE_ADMIN_PASSWORD"));
  const listed = conforms("lighthouse", "EmailList", (await lighthouse.GET("/api/v0.2/users/list")).data);
  assert.equal(listed[0], email); // the bootstrap user came first
  const me = await lighthouse.GET("/api/v0.2/users/{Email}", { params: { path: { Email: email } } });
  const info: Schemas["UserInfo"] = conforms("lighthouse", "UserInfo", me.data);
  assert.deepEqual([info.Email, info.AuthLevel], [email, 10]);
});

test("user lifecycle: create, raise, read, list as the user, log out", async () => {
  const lighthouse = await admin();
  const email = `${unique("intern")}@example.com`;
  const password = `lol what is real life ${randomUUID()}`;
  emptyOk(await lighthouse.POST("/api/v0.2/users/create", { body: { Email: email, Password: password } }));
  const user = { params: { path: { Email: email } } };

  let info = conforms("lighthouse", "UserInfo", (await lighthouse.GET("/api/v0.2/users/{Email}", user)).data);
  assert.deepEqual(info, { Email: email, AuthLevel: 0, Permissions: { Applications: {}, Beacons: {} } });
  emptyOk(await lighthouse.PUT("/api/v0.2/users/{Email}", { ...user, body: { AuthLevel: 1 } }));
  info = conforms("lighthouse", "UserInfo", (await lighthouse.GET("/api/v0.2/users/{Email}", user)).data);
  assert.deepEqual([info.Email, info.AuthLevel], [email, 1]);

  // Documented refusals, typed and checked against their schema.
  const again = await lighthouse.POST("/api/v0.2/users/create", { body: { Email: email, Password: "other" } });
  assert.deepEqual(failed(again, 400), { Cause: "users", Message: "databases: key already exists" });
  const blank = await lighthouse.POST("/api/v0.2/users/create", { body: { Email: unique("blank") } });
  assert.deepEqual(failed(blank, 400), { Cause: "users", Message: "users: email and password are required" });
  // Granting a level on a beacon needs level 1 or more on it.
  const grant = await lighthouse.PUT("/api/v0.2/users/{Email}", { ...user, body: { Beacons: { [NO_BEACON]: 1 } } });
  assert.deepEqual(failed(grant, 403), { Cause: "users", Message: "could not update user" });

  const { client: intern, session } = await login(email, password);
  // With AuthLevel 1 the intern creates users (AuthLevel 0) and sees them.
  const employee = `${unique("employee")}@example.com`;
  emptyOk(await intern.POST("/api/v0.2/users/create", { body: { Email: employee, Password: "correct horse" } }));
  const listed = conforms("lighthouse", "EmailList", (await intern.GET("/api/v0.2/users/list")).data);
  assert.ok(listed.includes(email) && listed.includes(employee), JSON.stringify(listed));
  assert.ok(listed.indexOf(email) < listed.indexOf(employee));
  assert.ok(!listed.includes(env("STEWARD_LIGHTHOUSE_ADMIN_EMAIL")));

  // A higher AuthLevel is not found; nobody raises themself.
  const higher = await intern.GET("/api/v0.2/users/{Email}", {
    params: { path: { Email: env("STEWARD_LIGHTHOUSE_ADMIN_EMAIL") } },
  });
  assert.deepEqual(failed(higher, 404), { Cause: "users", Message: USER_ACCESS });
  const raised = await intern.PUT("/api/v0.2/users/{Email}", { ...user, body: { AuthLevel: 2 } });
  assert.deepEqual(failed(raised, 403), { Cause: "users", Message: "could not update user" });

  // Logging out ends the session on the server and clears the cookie.
  const out = await intern.GET("/api/v0.2/logout");
  emptyOk(out);
  assert.ok(out.response.headers.get("set-cookie")?.startsWith("auth=; Path=/; Max-Age=0"));
  assert.deepEqual(failed(await client(session).GET("/api/v0.2/users/list"), 401), NOT_LOGGED_IN);
  // Only the intern's session ended.
  const still = conforms("lighthouse", "EmailList", (await lighthouse.GET("/api/v0.2/users/list")).data);
  assert.ok(still.includes(email));

  const wrong = await anonymous.POST("/api/v0.2/login", { body: { Email: email, Password: "not it" } });
  assert.deepEqual(failed(wrong, 401), { Cause: "auth", Message: "email or password incorrect" });
});

test("beacons and aliases without a beacon", async () => {
  const lighthouse = await admin();
  const alias = unique("beacon");
  const made = await lighthouse.POST("/api/v0.2/beacons/create", {
    body: { Address: NO_BEACON, Token: "MY_TOKEN", Alias: alias },
  });
  assert.deepEqual(failed(made, 502), { Cause: "beacons", Message: "beacon unreachable: connection refused" });
  // A beacon that does not answer is not recorded.
  const beacons = await lighthouse.GET("/api/v0.2/beacons/list");
  const listed: Schemas["Beacon"][] = conforms("lighthouse", "Beacon[]", beacons.data);
  assert.deepEqual(listed, []);
  const unnamed = await lighthouse.POST("/api/v0.2/beacons/create", { body: { Address: NO_BEACON } });
  assert.deepEqual(failed(unnamed, 400), {
    Cause: "beacons",
    Message: "beacons: not enough or invalid parameters given",
  });

  // Without a level on it, a beacon's instances are an empty list.
  for (const refresh of [false, true]) {
    const instances = await lighthouse.GET("/api/v0.2/beacons/list/{Beacon}", {
      params: { path: { Beacon: NO_BEACON }, query: { refresh: String(refresh) } },
    });
    assert.deepEqual(conforms("lighthouse", "Instance[]", instances.data), []);
  }
  const beacon = { params: { path: { Beacon: NO_BEACON } } };
  const refreshed = await lighthouse.PUT("/api/v0.2/beacons/refresh/{Beacon}", beacon);
  assert.deepEqual(failed(refreshed, 404), { Cause: "beacons", Message: "databases: result was empty" });
  const token = await lighthouse.PUT("/api/v0.2/beacons/token/{Beacon}", { ...beacon, body: "NEW_TOKEN" });
  assert.deepEqual(failed(token, 403), { Cause: "beacons", Message: "beacons: user not permitted to access token" });

  // Any address that is no beacon's (nor instance's) is named freely; the
  // alias is a JSON string. An instance address has a slash.
  const address = { params: { path: { Address: `10.${Math.floor(Math.random() * 250)}.0.2:5001/v1.12` } } };
  emptyOk(await lighthouse.PUT("/api/v0.2/aliases/{Address}", { ...address, body: unique("vm") }));
  emptyOk(await lighthouse.PUT("/api/v0.2/aliases/{Address}", { ...address, body: alias })); // renamed
  const blank = await lighthouse.PUT("/api/v0.2/aliases/{Address}", { ...address, body: "" });
  assert.deepEqual(failed(blank, 400), { Cause: "aliases", Message: "aliases: the alias must not be empty" });
});

test("applications without a beacon", async () => {
  const lighthouse = await admin();
  const list = async () =>
    conforms("lighthouse", "Application[]", (await lighthouse.GET("/api/v0.2/applications/list")).data);
  assert.deepEqual(await list(), []);
  const name = unique("app");
  const app = { params: { path: { Id: name } } };
  const unknown = { Cause: "applications", Message: "applications: unknown application ID" };
  const history = await lighthouse.GET("/api/v0.2/applications/list/{Id}", {
    params: { path: { Id: name }, query: { count: "5" } },
  });
  assert.deepEqual(failed(history, 404), unknown);
  assert.deepEqual(failed(await lighthouse.POST("/api/v0.2/applications/start/{Id}", app), 404), unknown);
  // Instances must be instances of known beacons: refused before anything is deployed.
  const made = await lighthouse.POST("/api/v0.2/applications/create", {
    params: { query: { start: "true" } },
    body: { Name: name, Command: { Image: "nginx:latest" }, Instances: [`${NO_BEACON}/v1.12`] },
  });
  assert.deepEqual(failed(made, 400), {
    Cause: "applications",
    Message: "applications: not enough or invalid parameters given",
  });
  assert.deepEqual(await list(), []);
});

test("every path but login and logout needs a session", async () => {
  assert.deepEqual(failed(await anonymous.GET("/api/v0.2/users/list"), 401), NOT_LOGGED_IN);
  assert.deepEqual(failed(await anonymous.GET("/api/v0.2/beacons/list"), 401), NOT_LOGGED_IN);
  const made = await anonymous.POST("/api/v0.2/beacons/create", {
    body: { Address: NO_BEACON, Token: "MY_TOKEN", Alias: "MyBeacon" },
  });
  assert.deepEqual(failed(made, 401), NOT_LOGGED_IN);
  assert.deepEqual(failed(await client("0".repeat(64)).GET("/api/v0.2/users/list"), 401), NOT_LOGGED_IN);
  emptyOk(await anonymous.GET("/api/v0.2/logout"));
});
