// Steward's Swagger UI start-up: every served spec in the top bar, and a
// request interceptor that signs Scalelite calls in the browser.
//
// Scalelite authenticates each call with a checksum: the hex SHA-1 of the
// action name, the query string as sent (without the checksum) and the
// shared secret. A checksum depends on every call, so Authorize takes the
// *secret* (in the `checksum` field) and this page computes each call's
// checksum from it, as a Scalelite client library would. The secret never
// leaves the browser: only the checksum is sent.
"use strict";

const SCALELITE_PREFIX = "/scalelite/api/";

async function sha1Hex(text) {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

// Replaces `checksum=<secret>` in a Scalelite call's query with the
// checksum made from that secret; other calls pass unchanged.
async function signScalelite(request) {
  const url = new URL(request.url, window.location.href);
  if (!url.pathname.startsWith(SCALELITE_PREFIX)) return request;
  const pairs = url.search.replace(/^\?/, "").split("&").filter((pair) => pair !== "");
  const secretPair = pairs.find((pair) => pair.startsWith("checksum="));
  if (secretPair === undefined) return request;
  const secret = decodeURIComponent(secretPair.slice("checksum=".length).replace(/\+/g, " "));
  const query = pairs.filter((pair) => pair !== secretPair).join("&");
  const action = url.pathname.split("/").pop();
  const checksum = await sha1Hex(action + query + secret);
  url.search = query === "" ? `checksum=${checksum}` : `${query}&checksum=${checksum}`;
  request.url = url.toString();
  return request;
}

window.onload = function () {
  window.ui = SwaggerUIBundle({
    dom_id: "#swagger-ui",
    urls: STEWARD_SPEC_URLS,
    deepLinking: true,
    layout: "StandaloneLayout",
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    requestInterceptor: signScalelite,
  });
};
