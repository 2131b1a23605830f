// EdgeXR MC identity API through openapi-fetch and the types generated from
// the served spec: log in (POST /api/v1/login), then the JWT as a Bearer
// token; a user created through usercreate, an organization created, shown,
// updated and deleted.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import createClient from "openapi-fetch";
import type { components, paths } from "../../target/clients/ts/mc.js";
import { baseUrl, conforms, env, present, unique } from "./support.js";

type Schemas = components["schemas"];

const anonymous = createClient<paths>({ baseUrl });

/** Logs in and answers a client sending the token as `Authorization: Bearer`. */
async function login(username: string, password: string) {
  const { data, response } = await anonymous.POST("/api/v1/login", { body: { username, password } });
  assert.equal(response.status, 200);
  const result: Schemas["LoginResult"] = conforms("mc", "LoginResult", data);
  const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${result.token}` } });
  return { client, result, response };
}

const admin = async () => (await login(env("STEWARD_MC_ADMIN_USER"), env("STEWARD_MC_ADMIN_PASSWORD"))).client;

test("user and organization lifecycle", async () => {
  const name = unique("alice");
  const email = `${name}@example.com`;
  const password = `quartz-${randomUUID()}`;
  const made = await anonymous.POST("/api/v1/usercreate", {
    body: { Name: name, Email: email, Passhash: password, verify: { email } },
  });
  assert.deepEqual(conforms("mc", "UserResponse", made.data), {
    Message: "user created",
    TOTPSharedKey: "",
    TOTPQRImage: null,
  });

  const { client: alice, result } = await login(name.toUpperCase(), password);
  assert.equal(result.admin, undefined); // only AdminManagers get `admin: true`
  let me = conforms("mc", "User", (await alice.POST("/api/v1/auth/user/current")).data);
  assert.deepEqual([me.Name, me.Email, me.Passhash, me.Salt, me.Iter, me.Locked], [name, email, "", "", 0, false]);

  const updated = await alice.POST("/api/v1/auth/user/update", {
    body: { GivenName: "Alice", FamilyName: "Example", Nickname: "al" },
  });
  assert.equal(conforms("mc", "UserResponse", updated.data).Message, "user updated");
  me = conforms("mc", "User", (await alice.POST("/api/v1/auth/user/current")).data);
  assert.deepEqual([me.GivenName, me.FamilyName, me.Nickname], ["Alice", "Example", "al"]);

  const org = unique("acme");
  const created = await alice.POST("/api/v1/auth/org/create", {
    body: { Name: org, Type: "developer", Address: "1 Main St", Phone: "555 0100" },
  });
  assert.equal(conforms("mc", "Result", created.data).message, "Organization created");

  const show = async () => {
    const shown = await alice.POST("/api/v1/auth/org/show", { body: { Name: org } });
    return conforms("mc", "Organization[]", shown.data);
  };
  let [shown] = await show();
  assert.deepEqual(
    [shown?.Name, shown?.Type, shown?.Address, shown?.Phone],
    [org, "developer", "1 Main St", "555 0100"],
  );
  const roles = await alice.POST("/api/v1/auth/role/assignment/show", { body: { org } });
  assert.deepEqual(conforms("mc", "Role[]", roles.data), [{ org, username: name, role: "DeveloperManager" }]);

  const changed = await alice.POST("/api/v1/auth/org/update", { body: { Name: org, Address: "2 Main St" } });
  assert.equal(changed.response.status, 200);
  assert.equal(changed.data, undefined); // an empty body
  [shown] = await show();
  assert.equal(shown?.Address, "2 Main St");

  // A documented error, typed and checked against its schema.
  const refused = await alice.POST("/api/v1/auth/org/update", { body: { Name: org, Type: "operator" } });
  assert.equal(refused.response.status, 400);
  const error: Schemas["Result"] = conforms("mc", "Result", refused.error);
  assert.deepEqual(error, { message: "Cannot change Organization type" });

  // The superuser lists the organization's members.
  const superuser = await admin();
  const members = await superuser.POST("/api/v1/auth/user/show", { body: { org } });
  assert.deepEqual(
    conforms("mc", "User[]", members.data).map((m) => m.Name),
    [name],
  );

  const deleted = await alice.POST("/api/v1/auth/org/delete", { body: { Name: org } });
  assert.equal(conforms("mc", "Result", deleted.data).message, "Organization deleted");
  assert.deepEqual(await show(), []);

  const removed = await superuser.POST("/api/v1/auth/user/delete", { body: { Name: name } });
  assert.equal(conforms("mc", "Result", removed.data).message, "User deleted");
  const again = await anonymous.POST("/api/v1/login", { body: { username: name, password } });
  assert.equal(again.response.status, 400);
  assert.deepEqual(conforms("mc", "Result", again.error), { message: "Invalid username or password" });
});

test("auth paths need a token", async () => {
  const { error, response } = await anonymous.POST("/api/v1/auth/user/current");
  assert.equal(response.status, 401);
  assert.deepEqual(conforms("mc", "Result", error), { message: "No bearer token found" });
});

test("a weak password is refused", async () => {
  const { error, response } = await anonymous.POST("/api/v1/usercreate", {
    body: { Name: unique("weak"), Email: `${unique("weak")}@example.com`, Passhash: "password1" },
  });
  assert.equal(response.status, 400);
  const message = conforms("mc", "Result", error).message ?? "";
  assert.match(message, /^Password too weak, requires crack time 31\.0 days but is /);
});

test("superuser login sets the token cookie", async () => {
  const { result, response } = await login(env("STEWARD_MC_ADMIN_USER"), env("STEWARD_MC_ADMIN_PASSWORD"));
  assert.equal(result.admin, true);
  assert.ok(response.headers.get("set-cookie")?.startsWith(`token=${result.token};`));
  const me = await createClient<paths>({ baseUrl, headers: { Cookie: `token=${result.token}` } }).POST(
    "/api/v1/auth/user/current",
  );
  assert.equal(conforms("mc", "User", me.data).Name, env("STEWARD_MC_ADMIN_USER"));
});

test("regions: register, show, update, deregister", async () => {
  const mc = await admin();
  const region = unique("R").slice(0, 8);
  const address = `${region}.example.net:55001`;
  const made = await mc.POST("/api/v1/auth/controller/create", { body: { Region: region, Address: address } });
  assert.equal(conforms("mc", "Result", made.data).message, "Controller registered");
  const show = async () => {
    const { data } = await mc.POST("/api/v1/auth/controller/show", { body: { Region: region } });
    return (data ?? []).map((c) => conforms("mc", "Controller", c));
  };
  let shown = await show();
  assert.deepEqual(
    shown.map((c) => [c.Region, c.Address, c.DnsRegion]),
    [[region, address, region.toLowerCase()]],
  );
  const updated = await mc.POST("/api/v1/auth/controller/update", {
    body: { Region: region, NotifyAddr: `${region}.example.net:37001` },
  });
  assert.equal(conforms("mc", "Result", updated.data).message, "Controller updated");
  shown = await show();
  assert.equal(shown[0]?.NotifyAddr, `${region}.example.net:37001`);

  const refused = await mc.POST("/api/v1/auth/controller/update", { body: { Region: "Nowhere" } });
  assert.equal(refused.response.status, 400);
  assert.equal(conforms("mc", "Result", refused.error).message, 'Region "Nowhere" not found');

  const gone = await mc.POST("/api/v1/auth/controller/delete", { body: { Region: region } });
  assert.equal(conforms("mc", "Result", gone.data).message, "Controller deregistered");
  assert.deepEqual(await show(), []);
});

test("flavors: created through the typed client, a streamed show read line by line", async () => {
  const mc = await admin();
  const names = [unique("f"), unique("f")];
  for (const name of names) {
    const made = await mc.POST("/api/v1/auth/ctrl/CreateFlavor", {
      body: { Region: "local", Flavor: { key: { name }, ram: 1024, vcpus: 1, disk: 10 } },
    });
    assert.deepEqual(conforms("mc", "Result", made.data), {});
  }
  // A stream of several lines is not one JSON document: read it as text,
  // each line one FlavorLine.
  const { data: text, response } = await mc.POST("/api/v1/auth/ctrl/ShowFlavor", {
    body: { Region: "local", Flavor: {} },
    parseAs: "text",
  });
  assert.equal(response.headers.get("content-type"), "application/json");
  const body = present(text, "stream");
  assert.ok(body.endsWith("\n"));
  const lines = body
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => conforms("mc", "FlavorLine", JSON.parse(line) as components["schemas"]["FlavorLine"]));
  const shown = lines.map((line) => line.data?.key?.name).filter((name) => names.includes(name ?? ""));
  assert.deepEqual(shown.sort(), [...names].sort());

  const refused = await mc.POST("/api/v1/auth/ctrl/DeleteFlavor", {
    body: { Region: "local", Flavor: { key: { name: "never-made" } } },
  });
  assert.equal(refused.response.status, 400);
  assert.equal(conforms("mc", "Result", refused.error).message, 'Flavor key {"name":"never-made"} not found');
  for (const name of names) {
    const gone = await mc.POST("/api/v1/auth/ctrl/DeleteFlavor", { body: { Region: "local", Flavor: { key: { name } } } });
    assert.equal(gone.response.status, 200);
  }
});

test("alert receivers round trip; the audit log answers for the traffic", async () => {
  const client = await admin();
  const org = unique("acme");
  const made = await client.POST("/api/v1/auth/org/create", { body: { Name: org, Type: "developer" } });
  assert.equal(made.response.status, 200);
  const name = unique("oncall");
  const receiver: Schemas["AlertReceiver"] = {
    Name: name,
    Type: "pagerduty",
    Severity: "error",
    PagerDutyIntegrationKey: "0123456789abcdef0123456789abcdef",
    ClusterKey: { organization: org, name: "c1" },
  };
  const created = await client.POST("/api/v1/auth/alertreceiver/create", { body: receiver });
  assert.deepEqual(conforms("mc", "Result", created.data), { message: "Alert receiver created successfully" });
  const shown = await client.POST("/api/v1/auth/alertreceiver/show", { body: { Name: name } });
  assert.equal(shown.response.status, 200);
  const [one] = shown.data ?? [];
  assert.equal(conforms("mc", "AlertReceiver", one).PagerDutyIntegrationKey, "<hidden>");
  assert.equal(one?.PagerDutyApiVersion, "v2");
  const bad = await client.POST("/api/v1/auth/alertreceiver/create", { body: { ...receiver, PagerDutyIntegrationKey: "x" } });
  assert.equal(bad.response.status, 400);
  assert.equal(conforms("mc", "Result", bad.error).message, "PagerDuty Integration Key must contain 32 characters");
  const gone = await client.POST("/api/v1/auth/alertreceiver/delete", {
    body: { Name: name, Type: "pagerduty", Severity: "error" },
  });
  assert.deepEqual(conforms("mc", "Result", gone.data), { message: "Alert receiver deleted successfully" });

  const search: Schemas["EventSearch"] = { match: { orgs: [org] }, startage: "1h" };
  const events = await client.POST("/api/v1/auth/events/show", { body: search });
  assert.equal(events.response.status, 200);
  const [event] = events.data ?? [];
  assert.equal(conforms("mc", "EventData", event).name, "CreateOrg");
  assert.deepEqual(event?.org, [org]);
  assert.equal(event?.mtags?.status, "200");
  const terms = await client.POST("/api/v1/auth/events/terms", { body: { match: { names: ["*AlertReceiver"] } } });
  const counted = conforms("mc", "EventTerms", terms.data);
  assert.ok((counted.names ?? []).some((bucket) => bucket.key === "CreateAlertReceiver" && (bucket.count ?? 0) >= 2));
  const found = await client.POST("/api/v1/auth/events/find", { body: search });
  assert.equal(found.data?.[0]?.name, "CreateOrg");
});
