// ARGO web-api tenants admin through openapi-fetch and the types generated
// from the served spec: tenants, their status and their users, with an
// admin key in x-api-key.

import assert from "node:assert/strict";
import { test } from "node:test";
import createClient from "openapi-fetch";
import type { components, paths } from "../../target/clients/ts/argo.js";
import { baseUrl, conforms, env, present, unique } from "./support.js";

type Schemas = components["schemas"];

const NOT_FOUND = "item with the specific ID was not found on the server";

function client(key: string, accept = "application/json") {
  // ARGO wants `Accept` to be exactly application/json (or XML).
  return createClient<paths, "application/json">({ baseUrl, headers: { "x-api-key": key, Accept: accept } });
}

const argo = client(env("STEWARD_ARGO_ADMIN_KEY"));

function newTenant(name: string): Schemas["Tenant"] {
  return {
    info: { name, email: "ops@example.org", website: "www.example.org" },
    topology: { type: "GOCDB", feed: "gocdb.example.org" },
    users: [{ name: "cap", email: "cap@example.org", roles: ["admin"] }],
  };
}

test("tenant lifecycle", async () => {
  const name = unique("AVENGERS-");
  const made = await argo.POST("/api/v2/admin/tenants", { body: newTenant(name) });
  assert.equal(made.response.status, 201);
  const created = conforms("argo", "Created", made.data);
  assert.deepEqual(created.status, { message: "Tenant was successfully created", code: "201" });
  const id = created.data.id;
  assert.ok(created.data.links.self.endsWith(`/api/v2/admin/tenants/${id}`));
  const tenant = { params: { path: { ID: id } } };

  const listed = conforms("argo", "TenantList", (await argo.GET("/api/v2/admin/tenants")).data);
  assert.deepEqual(listed.status, { message: "Success", code: "200" });
  assert.deepEqual(
    listed.data.filter((t) => t.id === id).map((t) => t.info?.name),
    [name],
  );

  let [shown] = conforms("argo", "TenantList", (await argo.GET("/api/v2/admin/tenants/{ID}", tenant)).data).data;
  shown = present(shown, "tenant");
  assert.deepEqual(
    [shown.id, shown.info?.name, shown.topology],
    [id, name, { type: "GOCDB", feed: "gocdb.example.org" }],
  );
  const cap = present(shown.users?.[0], "user");
  assert.deepEqual([cap.name, cap.roles], ["cap", ["admin"]]);
  assert.ok(cap.id && cap.api_key);

  // A replacement keeps the id of a user presented with the same key.
  const replacement = newTenant(name);
  replacement.info = { ...replacement.info, description: "assembled" };
  replacement.users = [{ name: "cap", email: "cap@example.org", roles: ["admin"], api_key: cap.api_key }];
  const replaced = await argo.PUT("/api/v2/admin/tenants/{ID}", { ...tenant, body: replacement });
  assert.equal(conforms("argo", "StatusOnly", replaced.data).status.message, "Tenant successfully updated");
  [shown] = conforms("argo", "TenantList", (await argo.GET("/api/v2/admin/tenants/{ID}", tenant)).data).data;
  assert.equal(shown?.info?.description, "assembled");
  assert.deepEqual(shown?.users?.map((u) => [u.id, u.api_key]), [[cap.id, cap.api_key]]);

  const ams = { ingestion: true, publishing: true, status_streaming: true, messages_arrived: 100 };
  const flags = {
    aggregation_profile: true,
    blank_recomputation: true,
    configuration_profile: true,
    downtimes: true,
    group_endpoints: true,
    group_groups: true,
    metric_profile: true,
    operations_profile: true,
    weights: true,
  };
  const status = await argo.PUT("/api/v2/admin/tenants/{ID}/status", {
    ...tenant,
    body: {
      ams: { metric_data: ams, sync_data: ams },
      hdfs: { metric_data: true, sync_data: { Critical: flags } },
      engine_config: true,
      last_check: "2018-08-10T12:32:44Z",
    },
  });
  assert.equal(conforms("argo", "StatusOnly", status.data).status.code, "200");
  const read = await argo.GET("/api/v2/admin/tenants/{ID}/status", tenant);
  const view = present(conforms("argo", "TenantStatusList", read.data).data[0], "status");
  assert.deepEqual([view.id, view.info.name, view.status.total_status], [id, name, true]);
  assert.deepEqual(view.status.hdfs.sync_data, { Critical: flags });

  const deleted = await argo.DELETE("/api/v2/admin/tenants/{ID}", tenant);
  assert.equal(conforms("argo", "StatusOnly", deleted.data).status.message, "Tenant Successfully Deleted");

  // A documented error, typed and checked against its schema.
  const gone = await argo.GET("/api/v2/admin/tenants/{ID}", tenant);
  assert.equal(gone.response.status, 404);
  const error: Schemas["ErrorEnvelope"] = conforms("argo", "ErrorEnvelope", gone.error);
  assert.deepEqual(error, {
    status: { message: "Not Found", code: "404" },
    errors: [{ message: "Not Found", code: "404", details: NOT_FOUND }],
  });
});

test("tenant users", async () => {
  const made = await argo.POST("/api/v2/admin/tenants", { body: newTenant(unique("GUARDIANS-")) });
  const id = conforms("argo", "Created", made.data).data.id;
  const tenant = { params: { path: { ID: id } } };

  const added = await argo.POST("/api/v2/admin/tenants/{ID}/users", {
    ...tenant,
    body: { name: "groot", email: "groot@example.org", roles: ["admin", "admin_ui"] },
  });
  assert.equal(added.response.status, 201);
  const userId = conforms("argo", "Created", added.data).data.id;
  const user = { params: { path: { ID: id, USER_ID: userId } } };

  const users = conforms("argo", "UserList", (await argo.GET("/api/v2/admin/tenants/{ID}/users", tenant)).data);
  assert.deepEqual(users.data?.map((u) => u.name), ["cap", "groot"]);
  const one = await argo.GET("/api/v2/admin/tenants/{ID}/users/{USER_ID}", user);
  const groot = present(conforms("argo", "UserList", one.data).data?.[0], "user");
  assert.deepEqual([groot.id, groot.email, groot.roles], [userId, "groot@example.org", ["admin", "admin_ui"]]);

  const changed = await argo.PUT("/api/v2/admin/tenants/{ID}/users/{USER_ID}", {
    ...user,
    body: { email: "groot@gotg.example.org" },
  });
  assert.equal(conforms("argo", "StatusOnly", changed.data).status.message, "User succesfully updated");

  const renewed = await argo.POST("/api/v2/admin/tenants/{ID}/users/{USER_ID}/renew_api_key", user);
  const key = conforms("argo", "ApiKeyRenewed", renewed.data).data.api_key;
  assert.ok(key && key !== groot.api_key);

  // UserOrList (anyOf): the envelope, or with export=flat the bare user.
  const found = await argo.GET("/api/v2/admin/users:byID/{ID}", { params: { path: { ID: userId } } });
  const envelope = conforms("argo", "UserList", found.data);
  assert.ok("status" in envelope);
  assert.equal(envelope.status.message, "User was successfully retrieved");
  assert.deepEqual(envelope.data?.map((u) => [u.email, u.api_key]), [["groot@gotg.example.org", key]]);
  const flat = await argo.GET("/api/v2/admin/users:byID/{ID}", {
    params: { path: { ID: userId }, query: { export: "flat" } },
  });
  const bare = conforms("argo", "TenantUser", flat.data);
  assert.ok(!("status" in bare));
  assert.deepEqual([bare.id, bare.name, bare.api_key], [userId, "groot", key]);

  const removed = await argo.DELETE("/api/v2/admin/tenants/{ID}/users/{USER_ID}", user);
  assert.equal(conforms("argo", "StatusOnly", removed.data).status.message, "User succesfully deleted");
  const gone = await argo.GET("/api/v2/admin/tenants/{ID}/users/{USER_ID}", user);
  assert.equal(gone.response.status, 404);
  assert.deepEqual(conforms("argo", "ErrorEnvelope", gone.error).status, {
    message: "Not Found",
    code: "404",
    details: NOT_FOUND,
  });

  assert.equal((await argo.DELETE("/api/v2/admin/tenants/{ID}", tenant)).response.status, 200);
});

test("a taken name is a conflict", async () => {
  const name = unique("X-MEN-");
  const made = await argo.POST("/api/v2/admin/tenants", { body: newTenant(name) });
  const id = conforms("argo", "Created", made.data).data.id;
  const again = await argo.POST("/api/v2/admin/tenants", { body: newTenant(name) });
  assert.equal(again.response.status, 409);
  assert.deepEqual(conforms("argo", "ErrorEnvelope", again.error).errors, [
    { message: "Conflict", code: "409", details: "Tenant with same name already exists" },
  ]);
  const deleted = await argo.DELETE("/api/v2/admin/tenants/{ID}", { params: { path: { ID: id } } });
  assert.equal(deleted.response.status, 200);
});

test("an unknown key is unauthorized", async () => {
  const denied = await client("not-an-admin-key").GET("/api/v2/admin/tenants");
  assert.equal(denied.response.status, 401);
  assert.deepEqual(conforms("argo", "ErrorEnvelope", denied.error).status, {
    message: "Unauthorized",
    code: "401",
    details: "You need to provide a correct authentication token using the header 'x-api-key'",
  });

  // Generator limitation: for `Accept: application/xml` ARGO renders 401
  // (and 403, 400, 404, 409) as XML under <root>, which the spec documents
  // beside the JSON; openapi-fetch parses errors as JSON and, failing that,
  // hands over the raw text, which is what the client can show.
  const xml = await createClient<paths>({
    baseUrl,
    headers: { "x-api-key": "not-an-admin-key", Accept: "application/xml" },
  }).GET("/api/v2/admin/tenants");
  assert.equal(xml.response.status, 401);
  assert.match(xml.response.headers.get("content-type") ?? "", /^application\/xml/);
  assert.equal(typeof xml.error, "string");
  assert.match(String(xml.error), /^<root>\n <status>\n {2}<message>Unauthorized<\/message>\n {2}<code>401<\/code>/);
});
