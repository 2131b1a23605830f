// Scalelite admin API through openapi-fetch and the types generated from
// the served spec: servers and tenants, signed with the checksum.

import assert from "node:assert/strict";
import { test } from "node:test";
import createClient from "openapi-fetch";
import type { components, paths } from "../../target/clients/ts/scalelite.js";
import { baseUrl, conforms, env, present, scaleliteChecksum, unique } from "./support.js";

type Schemas = components["schemas"];

const secret = env("STEWARD_SCALELITE_SECRET").split(":")[0] ?? "";

// The JSON answers; Scalelite's XML failures (under 200) are the last test's.
const scalelite = createClient<paths, "application/json">({ baseUrl });
scalelite.use(scaleliteChecksum(secret));

// Library limitation: where a 2xx response has no JSON (addServer's and
// addTenant's 200 is XML only), openapi-fetch types `data` as that
// response's whole content map ({"application/xml": ...}) beside the JSON
// 201's body. No such map is ever a body, so it is left out here.
function json<T>(data: T): Exclude<T, { "application/xml": unknown }> {
  return data as Exclude<T, { "application/xml": unknown }>;
}

test("server lifecycle", async () => {
  const url = `https://${unique("bbb")}.example.com/bigbluebutton/api`;
  const added = await scalelite.POST("/scalelite/api/addServer", {
    body: { server: { url, secret: "bbb-secret", load_multiplier: 2.5, tag: "east" } },
  });
  assert.equal(added.response.status, 201);
  const server: Schemas["Server"] = conforms("scalelite", "Server", json(added.data));
  assert.equal(server.url, url);
  assert.equal(server.tag, "east");
  assert.equal(server.state, "disabled");
  assert.equal(server.online, "offline");
  assert.equal(server.load, "unavailable");
  assert.equal(server.load_multiplier, "2.5");

  const info = await scalelite.GET("/scalelite/api/getServerInfo", { params: { query: { id: server.id } } });
  assert.deepEqual(conforms("scalelite", "Server", info.data), server);

  const listed = await scalelite.GET("/scalelite/api/getServers");
  const servers = conforms("scalelite", "Server[]", listed.data);
  assert.ok(servers.some((s) => s.id === server.id));

  const updated = await scalelite.POST("/scalelite/api/updateServer", {
    body: { id: server.id, server: { state: "enable", load_multiplier: "3", tag: "" } },
  });
  const changed = conforms("scalelite", "Server", updated.data);
  assert.equal(changed.state, "enabled");
  assert.equal(changed.load_multiplier, "3.0");
  assert.equal(changed.tag, "");

  const invalid = await scalelite.POST("/scalelite/api/updateServer", {
    params: { query: { id: server.id } },
    body: { server: { state: "paused" } },
  });
  assert.equal(invalid.response.status, 400);
  const refused = conforms("scalelite", "ErrorBody", invalid.error);
  assert.equal(refused.error, "Invalid state parameter: paused");

  const panicked = await scalelite.POST("/scalelite/api/panicServer", { body: { id: server.id } });
  assert.equal(
    conforms("scalelite", "SuccessBody", panicked.data).success,
    `Server id=${server.id} has been disabled and the meetings have been destroyed`,
  );

  const deleted = await scalelite.POST("/scalelite/api/deleteServer", { body: { id: server.id } });
  assert.equal(conforms("scalelite", "SuccessBody", deleted.data).success, `Server id=${server.id} was destroyed`);

  // A documented error, typed and checked against its schema.
  const gone = await scalelite.GET("/scalelite/api/getServerInfo", { params: { query: { id: server.id } } });
  assert.equal(gone.response.status, 404);
  const error: Schemas["ErrorBody"] = conforms("scalelite", "ErrorBody", gone.error);
  assert.equal(error.error, `Couldn't find server with id=${server.id}`);
});

test("tenant lifecycle", async () => {
  const name = unique("school-");
  const added = await scalelite.POST("/scalelite/api/addTenant", { body: { tenant: { name, secrets: "s1:s2" } } });
  assert.equal(added.response.status, 201);
  const { tenant } = conforms("scalelite", "TenantEnvelope", json(added.data));
  assert.deepEqual([tenant.name, tenant.secrets, tenant.new_record, tenant.destroyed], [name, "s1:s2", false, false]);

  const info = await scalelite.GET("/scalelite/api/getTenantInfo", { params: { query: { id: tenant.id } } });
  assert.deepEqual(conforms("scalelite", "TenantInfo", info.data), tenant);

  // TenantsOrMessage (oneOf): with a tenant present, the list.
  const listed = await scalelite.GET("/scalelite/api/getTenants");
  const tenants = conforms("scalelite", "TenantsOrMessage", listed.data);
  assert.ok(Array.isArray(tenants));
  assert.deepEqual(
    tenants.find((t) => t.id === tenant.id),
    { id: tenant.id, name, secrets: "s1:s2" },
  );

  const updated = await scalelite.POST("/scalelite/api/updateTenant", {
    body: { id: tenant.id, tenant: { secrets: "s3" } },
  });
  const changed = conforms("scalelite", "TenantEnvelope", updated.data).tenant;
  assert.deepEqual([changed.id, changed.name, changed.secrets], [tenant.id, name, "s3"]);

  const deleted = await scalelite.POST("/scalelite/api/deleteTenant", { body: { id: tenant.id } });
  assert.equal(conforms("scalelite", "SuccessBody", deleted.data).success, `Tenant id=${tenant.id} was destroyed`);

  const gone = await scalelite.GET("/scalelite/api/getTenantInfo", { params: { query: { id: tenant.id } } });
  assert.equal(gone.response.status, 404);
  const missing = conforms("scalelite", "ErrorBody", gone.error); // 404's ErrorBody or 412's MessageBody
  assert.ok("error" in missing);
  assert.equal(missing.error, `Couldn't find Tenant with id=${tenant.id}`);

  const incomplete = await scalelite.POST("/scalelite/api/addTenant", { body: { tenant: { name } } });
  assert.equal(incomplete.response.status, 400);
  assert.equal(
    conforms("scalelite", "MessageBody", incomplete.error).message,
    "Error: both name and secrets are required to create a Tenant",
  );
});

test("XML failures under 200", async () => {
  // Generator limitation: Scalelite answers a bad checksum or missing
  // parameters as XML under HTTP 200, as the spec documents (beside the
  // JSON body, or alone); openapi-fetch parses every 2xx as JSON (and would
  // throw), so the client asks for text, which is what it can show.
  const unsigned = createClient<paths>({ baseUrl });
  unsigned.use(scaleliteChecksum("not-the-secret"));
  const refused = await unsigned.GET("/scalelite/api/getServers", { parseAs: "text" });
  assert.equal(refused.response.status, 200);
  assert.match(refused.response.headers.get("content-type") ?? "", /^application\/xml/);
  const xml = present(refused.data, "body");
  assert.match(xml, /<returncode>FAILED<\/returncode>/);
  assert.match(xml, /<messageKey>checksumError<\/messageKey>/);
  assert.match(xml, /<message>You did not pass the checksum security check<\/message>/);

  const empty = await scalelite.POST("/scalelite/api/addServer", { parseAs: "text" });
  assert.equal(empty.response.status, 200);
  assert.match(present(empty.data, "body"), /<messageKey>internalError<\/messageKey>/);
  assert.match(present(empty.data, "body"), /<message>param is missing or the value is empty: server<\/message>/);
});
