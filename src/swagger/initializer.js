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

// Web Crypto exists only in secure contexts (https, localhost); a page
// opened over plain http on another name computes SHA-1 itself.
async function sha1Hex(text) {
  const bytes = new TextEncoder().encode(text);
  const digest = window.crypto && window.crypto.subtle
    ? new Uint8Array(await window.crypto.subtle.digest("SHA-1", bytes))
    : sha1(bytes);
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

// FIPS 180-4 SHA-1 over bytes.
function sha1(bytes) {
  const length = bytes.length;
  const blocks = ((length + 8) >> 6) + 1;
  const words = new Uint32Array(blocks * 16);
  for (let i = 0; i < length; i++) words[i >> 2] |= bytes[i] << (24 - (i % 4) * 8);
  words[length >> 2] |= 0x80 << (24 - (length % 4) * 8);
  words[blocks * 16 - 1] = length * 8;
  words[blocks * 16 - 2] = Math.floor(length / 0x20000000);
  const h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
  const w = new Uint32Array(80);
  const rotl = (x, n) => (x << n) | (x >>> (32 - n));
  for (let block = 0; block < blocks; block++) {
    for (let t = 0; t < 80; t++) {
      w[t] = t < 16 ? words[block * 16 + t] : rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    }
    let [a, b, c, d, e] = h;
    for (let t = 0; t < 80; t++) {
      const [f, k] = t < 20 ? [(b & c) | (~b & d), 0x5a827999]
        : t < 40 ? [b ^ c ^ d, 0x6ed9eba1]
        : t < 60 ? [(b & c) | (b & d) | (c & d), 0x8f1bbcdc]
        : [b ^ c ^ d, 0xca62c1d6];
      const next = (rotl(a, 5) + f + e + k + w[t]) >>> 0;
      [e, d, c, b, a] = [d, c, rotl(b, 30) >>> 0, a, next];
    }
    h[0] = (h[0] + a) >>> 0; h[1] = (h[1] + b) >>> 0; h[2] = (h[2] + c) >>> 0;
    h[3] = (h[3] + d) >>> 0; h[4] = (h[4] + e) >>> 0;
  }
  const out = new Uint8Array(20);
  h.forEach((word, i) => { for (let j = 0; j < 4; j++) out[i * 4 + j] = (word >>> (24 - j * 8)) & 0xff; });
  return out;
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
    // No third-party spec validator: the page works offline and tells no
    // one where it is served.
    validatorUrl: null,
  });
};
