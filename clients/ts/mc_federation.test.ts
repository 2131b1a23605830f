// EdgeXR MC's federation partner API through openapi-fetch and the types
// generated from the served spec: an operator (through the MC API) creates
// a federation host; the partner exchanges its credentials at /oauth2/token
// (in the form), creates the federation, reads it and ends it.

import assert from "node:assert/strict";
import { test } from "node:test";
import createClient from "openapi-fetch";
import type { paths as McPaths } from "../../target/clients/ts/mc.js";
import type { paths } from "../../target/clients/ts/mc_federation.js";
import { baseUrl, conforms, env, present, unique } from "./support.js";

const anonymous = createClient<McPaths>({ baseUrl });

async function mcAdmin() {
  const { data } = await anonymous.POST("/api/v1/login", {
    body: { username: env("STEWARD_MC_ADMIN_USER"), password: env("STEWARD_MC_ADMIN_PASSWORD") },
  });
  const token = conforms("mc", "LoginResult", data).token;
  return createClient<McPaths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
}

test("a partner federates with a host", async () => {
  const mc = await mcAdmin();
  const operator = unique("fedop");
  const name = unique("fedhost");
  const org = await mc.POST("/api/v1/auth/org/create", { body: { Name: operator, Type: "operator" } });
  assert.equal(conforms("mc", "Result", org.data).message, "Organization created");
  const made = await mc.POST("/api/v1/auth/federation/provider/create", {
    body: { Name: name, OperatorId: operator, Regions: ["local"], MyInfo: { MCC: "123", MNC: ["111"] } },
  });
  const info = conforms("mc", "FederationProviderInfo", made.data);

  const anonymousPartner = createClient<paths>({ baseUrl });
  const refused = await anonymousPartner.POST("/oauth2/token", {
    body: { grant_type: "client_credentials", client_id: info.ClientId, client_secret: "wrong" },
    bodySerializer: (form) => new URLSearchParams(form as Record<string, string>).toString(),
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
  });
  assert.equal(refused.response.status, 401);
  const oauth = conforms("mc_federation", "OAuthError", refused.error);
  assert.ok("error" in oauth);
  assert.equal(oauth.error, "invalid_client");
  const granted = await anonymousPartner.POST("/oauth2/token", {
    body: { grant_type: "client_credentials", client_id: info.ClientId, client_secret: info.ClientKey },
    bodySerializer: (form) => new URLSearchParams(form as Record<string, string>).toString(),
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
  });
  const token = conforms("mc_federation", "Token", granted.data);
  assert.equal(token.token_type, "Bearer");

  const partner = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token.access_token}` } });
  const created = await partner.POST("/operatorplatform/federation/v1/partner", {
    body: { origOPFederationId: "guest-1", partnerStatusLink: "https://guest.example.com/cb" },
  });
  const answer = conforms("mc_federation", "FederationResponseData", created.data);
  assert.deepEqual(answer.platformCaps, ["homeRouting", "Anchoring"]);
  const context = { params: { path: { federationContextId: answer.federationContextId } } };
  const details = await partner.GET("/operatorplatform/federation/v1/{federationContextId}/partner", context);
  const read = conforms("mc_federation", "FederationDetails", details.data);
  assert.equal(present(read.allowedMobileNetworkIds).mcc, "123");
  const ended = await partner.DELETE("/operatorplatform/federation/v1/{federationContextId}/partner", context);
  assert.equal(ended.response.status, 200);

  const gone = await mc.POST("/api/v1/auth/federation/provider/delete", { body: { Name: name } });
  assert.equal(conforms("mc", "Result", gone.data).message, `Federation Host ${name} deleted`);
});
