// Storj satellite admin API through openapi-fetch and the types generated
// from the served spec: users, projects, limits, API keys and coupons, with
// the admin token as the whole Authorization header.

import assert from "node:assert/strict";
import { test } from "node:test";
import createClient from "openapi-fetch";
import type { components, paths } from "../../target/clients/ts/storj.js";
import { baseUrl, conforms, env, unique } from "./support.js";

type Schemas = components["schemas"];

const token = env("STEWARD_STORJ_ADMIN_TOKEN");
const storj = createClient<paths>({ baseUrl, headers: { Authorization: token } });

test("user and project lifecycle", async () => {
  const email = `${unique("alice-")}@example.com`;
  const created = await storj.POST("/api/user", {
    body: { email, fullName: "Alice Example", password: "correct-horse" },
  });
  const user: Schemas["User"] = conforms("storj", "User", created.data);
  assert.deepEqual([user.email, user.fullName, user.status, user.projectLimit], [email, "Alice Example", 1, 0]);
  assert.equal(user.passwordHash, null);

  const path = { params: { path: { useremail: email } } };
  let details = conforms("storj", "UserDetails", (await storj.GET("/api/user/{useremail}", path)).data);
  assert.deepEqual([details.user.id, details.projects, details.coupons], [user.id, null, []]);

  const updated = await storj.PUT("/api/user/{useremail}", {
    ...path,
    body: { fullName: "Alice B. Example", projectLimit: 5 },
  });
  assert.equal(updated.response.status, 200);
  assert.equal(updated.data, undefined); // an empty body
  details = conforms("storj", "UserDetails", (await storj.GET("/api/user/{useremail}", path)).data);
  assert.deepEqual([details.user.fullName, details.user.projectLimit], ["Alice B. Example", 5]);

  const made = await storj.POST("/api/project", { body: { ownerId: user.id, projectName: "photos" } });
  const projectId = conforms("storj", "ProjectCreated", made.data).projectId;
  const project = { params: { path: { project: projectId } } };
  let shown = conforms("storj", "Project", (await storj.GET("/api/project/{project}", project)).data);
  assert.deepEqual([shown.name, shown.ownerId, shown.rateLimit, shown.storageLimit], ["photos", user.id, null, null]);

  const renamed = await storj.PUT("/api/project/{project}", {
    ...project,
    body: { projectName: "holiday photos", description: "shared with family" },
  });
  assert.equal(renamed.response.status, 200);

  // The limits as a form body this time (the Python test sends a query).
  const limited = await storj.POST("/api/project/{project}/limit", {
    ...project,
    body: { usage: "1TiB", bandwidth: "500GB", rate: "100", buckets: "10" },
    bodySerializer: (form) => new URLSearchParams(form as Record<string, string>).toString(),
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
  });
  assert.equal(limited.response.status, 200);
  const limits = conforms("storj", "ProjectLimits", (await storj.GET("/api/project/{project}/limit", project)).data);
  assert.deepEqual(limits, {
    usage: { amount: "1.0 TiB", bytes: 1099511627776 },
    bandwidth: { amount: "500.00 GB", bytes: 500000000000 },
    rate: { rps: 100 },
    maxBuckets: 10,
  });
  shown = conforms("storj", "Project", (await storj.GET("/api/project/{project}", project)).data);
  assert.deepEqual(
    [shown.name, shown.description, shown.rateLimit, shown.maxBuckets, shown.storageLimit],
    ["holiday photos", "shared with family", 100, 10, "1.0 TiB"],
  );
  const usage = await storj.GET("/api/project/{project}/usage", project);
  assert.equal(conforms("storj", "UsageResult", usage.data).result, "no project usage exist");

  // The user's projects are listed with the user.
  details = conforms("storj", "UserDetails", (await storj.GET("/api/user/{useremail}", path)).data);
  assert.deepEqual(details.projects, [
    { id: projectId, name: "holiday photos", description: "shared with family", ownerId: user.id },
  ]);

  const key = await storj.POST("/api/project/{project}/apikey", { ...project, body: { name: "backup" } });
  assert.ok(conforms("storj", "ApiKeyCreated", key.data).apikey);

  // Documented refusals, typed and checked against the Error schema.
  const busy = await storj.DELETE("/api/project/{project}", project);
  assert.equal(busy.response.status, 409);
  const refused: Schemas["Error"] = conforms("storj", "Error", busy.error);
  assert.deepEqual(refused, { error: "api-keys still exist", detail: "count 1" });
  const owner = await storj.DELETE("/api/user/{useremail}", path);
  assert.equal(owner.response.status, 409);
  assert.deepEqual(conforms("storj", "Error", owner.error), {
    error: "some projects still exist",
    detail: `[{${projectId} holiday photos}]`,
  });

  const dropped = await storj.DELETE("/api/project/{project}/apikey/{name}", {
    params: { path: { project: projectId, name: "backup" } },
  });
  assert.equal(dropped.response.status, 200);
  assert.equal((await storj.DELETE("/api/project/{project}", project)).response.status, 200);
  const gone = await storj.GET("/api/project/{project}", project);
  assert.equal(gone.response.status, 404);
  assert.equal(conforms("storj", "Error", gone.error).error, "project with specified uuid does not exist");

  assert.equal((await storj.DELETE("/api/user/{useremail}", path)).response.status, 200);
  const missing = await storj.GET("/api/user/{useremail}", path);
  assert.equal(missing.response.status, 404);
  assert.deepEqual(conforms("storj", "Error", missing.error), {
    error: `user with email "${email}" not found`,
    detail: "",
  });
});

test("coupon lifecycle", async () => {
  const email = `${unique("bob-")}@example.com`;
  const created = await storj.POST("/api/user", { body: { email, fullName: "Bob", password: "hunter22" } });
  const user = conforms("storj", "User", created.data);

  const made = await storj.POST("/api/coupon", {
    body: { userId: user.id, duration: 2, amount: 3000, description: "welcome credit" },
  });
  const couponId: Schemas["CouponId"] = conforms("storj", "CouponId", made.data);
  const coupon = { params: { path: { couponid: couponId } } };
  const shown = conforms("storj", "Coupon", (await storj.GET("/api/coupon/{couponid}", coupon)).data);
  assert.deepEqual(
    [shown.id, shown.userId, shown.amount, shown.duration, shown.description, shown.type, shown.status],
    [couponId, user.id, 3000, 2, "welcome credit", 0, 0],
  );
  const details = await storj.GET("/api/user/{useremail}", { params: { path: { useremail: email } } });
  assert.deepEqual(conforms("storj", "UserDetails", details.data).coupons, [shown]);

  assert.equal((await storj.DELETE("/api/coupon/{couponid}", coupon)).response.status, 200);
  const gone = await storj.GET("/api/coupon/{couponid}", coupon);
  assert.equal(gone.response.status, 404);
  assert.equal(conforms("storj", "Error", gone.error).error, `coupon with id "${couponId}" not found`);
  const deleted = await storj.DELETE("/api/user/{useremail}", { params: { path: { useremail: email } } });
  assert.equal(deleted.response.status, 200);
});

test("a wrong token is forbidden", async () => {
  const stranger = createClient<paths>({ baseUrl, headers: { Authorization: `${token}-wrong` } });
  const response = await stranger.GET("/api/user/{useremail}", {
    params: { path: { useremail: "alice@example.com" } },
  });
  assert.equal(response.response.status, 403);
  assert.deepEqual(conforms("storj", "Error", response.error), { error: "Forbidden", detail: "" });
});
