// Swagger UI in a real browser: /docs/ lists every served spec, and for each
// surface "Authorize" + "Try it out" + "Execute" on one read operation gets
// a 2xx answer rendered on the page.
//
//   node --test clients/browser/swagger_ui.test.mjs
//
// Environment: STEWARD_URL (the running server, e.g. http://127.0.0.1:18282),
// STEWARD_SCALELITE_SECRET, STEWARD_STORJ_ADMIN_TOKEN, STEWARD_ARGO_ADMIN_KEY,
// STEWARD_MC_ADMIN_USER (default mexadmin), STEWARD_MC_ADMIN_PASSWORD,
// STEWARD_LIGHTHOUSE_ADMIN_EMAIL (default admin@lighthouse.local),
// STEWARD_LIGHTHOUSE_ADMIN_PASSWORD,
// STEWARD_CLIENTS_OUT (screenshots go to $STEWARD_CLIENTS_OUT/screenshots/),
// CHROMIUM (default /usr/bin/chromium; nothing here downloads a browser).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = (process.env.STEWARD_URL ?? '').replace(/\/+$/, '');
const OUT = process.env.STEWARD_CLIENTS_OUT || path.join(os.tmpdir(), 'steward-clients');
const SHOTS = path.join(OUT, 'screenshots');

// The served specs: /openapi/<name>.json, and their labels in the top bar.
const SPECS = [
  { name: 'scalelite', label: 'Scalelite admin API' },
  { name: 'storj', label: 'Storj satellite admin API' },
  { name: 'argo', label: 'ARGO web-api tenants admin' },
  { name: 'mc', label: 'EdgeXR Master Controller API (identity)' },
  { name: 'mc_federation', label: 'EdgeXR MC federation partner API (GSMA east-west)' },
  { name: 'lighthouse', label: 'Lighthouse API v0.2' },
];

// The whole file stays under 90 s: every step is bounded, and each test's
// budget is cut to what is left of FILE_BUDGET_MS.
const STARTED = Date.now();
const FILE_BUDGET_MS = 84_000;
const STEP_MS = 10_000; // one Playwright wait (a click, a rendered answer)
const SHOT_MS = 3_000; // the screenshot after a test, passed or failed

function budget(wanted) {
  const left = STARTED + FILE_BUDGET_MS - SHOT_MS - 1_000 - Date.now();
  return Math.max(1_000, Math.min(wanted, left));
}

function env(name) {
  const value = process.env[name];
  assert.ok(value, `${name} must be set`);
  return value;
}

let browser;

before(async () => {
  assert.ok(BASE, 'STEWARD_URL must be set, e.g. http://127.0.0.1:18282');
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      // steward.test names this machine over plain http: no secure context.
      '--host-resolver-rules=MAP steward.test 127.0.0.1',
      // Only the page under test talks to the network: no updates, sync,
      // first-run or other background connections to outside hosts.
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--disable-gpu',
      '--no-first-run',
    ],
    headless: true,
    timeout: budget(15_000),
  });
}, { timeout: 20_000 });

after(async () => {
  await browser?.close();
});

/// Runs `body(page, log)` in a fresh context within `ms`, then saves a
/// full-page screenshot as screenshots/<shot>.png whether it passed or not.
/// `log` holds the API exchanges the page made, for failure messages.
async function inPage(t, shot, ms, body) {
  assert.ok(browser, 'the browser did not start');
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  const log = exchanges(page);
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  let timer;
  try {
    await Promise.race([
      body(page, log),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${shot}: not done within ${ms} ms\n${log.text()}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    for (const error of errors) t.diagnostic(`page error: ${error}`);
    const file = path.join(SHOTS, `${shot}.png`);
    try {
      // The curl commands spell out the credentials' headers.
      await page.screenshot({ path: file, fullPage: true, timeout: SHOT_MS, mask: [page.locator('.curl-command')] });
      t.diagnostic(`screenshot: ${file}`);
    } catch (error) {
      t.diagnostic(`no screenshot ${file}: ${error.message}`);
    }
    await context.close().catch(() => {});
  }
}

/// Records every request the page sends outside /docs/ and /openapi/.
function exchanges(page) {
  const seen = [];
  page.on('requestfinished', async (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/docs') || url.pathname.startsWith('/openapi/')) return;
    const response = await request.response().catch(() => null);
    const headers = await request.allHeaders().catch(() => ({}));
    const answer = response ? await response.text().catch(() => '') : '';
    seen.push(
      `${request.method()} ${url.pathname}${redactChecksum(url.search)} ` +
        `[accept: ${headers.accept ?? '-'}; content-type: ${headers['content-type'] ?? '-'}; ` +
        `authorization: ${headers.authorization ? 'set' : '-'}; x-api-key: ${headers['x-api-key'] ? 'set' : '-'}; ` +
        `cookie: ${headers.cookie ? 'set' : '-'}]` +
        ` -> ${response?.status() ?? 'no answer'} ${answer.slice(0, 300)}`,
    );
  });
  page.on('requestfailed', (request) => seen.push(`${request.method()} ${request.url()} failed: ${request.failure()?.errorText}`));
  return { text: () => (seen.length ? `requests sent by the page:\n  ${seen.join('\n  ')}` : 'the page sent no API request') };
}

/// A checksum that is a hex digest is shown; anything else (the secret
/// itself, sent as is when nothing computed the digest) is not.
function redactChecksum(search) {
  return search.replace(/(checksum=)([^&]*)/g, (_, key, value) =>
    /^([0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{128})$/.test(value) ? key + value : `${key}<not a digest: ${value.length} chars>`,
  );
}

async function fetchSpec(name) {
  const url = `${BASE}/openapi/${name}.json`;
  const response = await fetch(url, { signal: AbortSignal.timeout(STEP_MS) }).catch((error) => {
    throw new Error(`GET ${url}: ${error.cause?.message ?? error.message} (is STEWARD_URL a running Steward?)`);
  });
  assert.equal(response.status, 200, `/openapi/${name}.json answers ${response.status}`);
  const spec = await response.json();
  assert.ok(spec.openapi && spec.info?.title && spec.paths, `/openapi/${name}.json is not an OpenAPI document`);
  return spec;
}

async function openDocs(page, base = BASE) {
  await page.goto(`${base}/docs/`, { waitUntil: 'networkidle' });
  await page.locator('.topbar select').waitFor();
}

/// Picks the definition labelled `label` in the top bar and waits until
/// its spec (whose info.title is `title`) is rendered.
async function selectDefinition(page, label, title) {
  const select = page.locator('.topbar select');
  await select.selectOption({ label });
  await page.locator('.information-container .info .title', { hasText: title }).waitFor();
  await page.locator('.opblock').first().waitFor();
}

/// Authorize dialog: types `value` into the scheme `scheme`'s field, applies
/// it, checks the scheme shows as authorized and closes the dialog.
async function authorize(page, scheme, value) {
  await page.locator('.auth-wrapper button.authorize').click();
  const dialog = page.locator('.dialog-ux .modal-ux');
  await dialog.waitFor();
  const section = dialog.locator('.auth-container').filter({
    has: page.locator('h4 > code', { hasText: new RegExp(`^${scheme}$`) }),
  });
  assert.equal(await section.count(), 1, `the Authorize dialog has no section for the scheme ${scheme}`);
  await section.locator('input').first().fill(value);
  await section.locator('button.authorize').click();
  await section.locator('h6', { hasText: 'Authorized' }).waitFor();
  await section.locator('button.btn-done').click();
  await dialog.waitFor({ state: 'detached' });
}

/// Expands operation `tag`/`operationId` and switches on "Try it out".
async function tryItOut(page, tag, operationId) {
  const op = page.locator(`#operations-${tag}-${operationId}`);
  await op.waitFor();
  if (!(await op.evaluate((el) => el.classList.contains('is-open')))) {
    await op.locator('.opblock-summary-control').click();
  }
  await op.locator('button.try-out__btn').click();
  await op.locator('button.execute').waitFor();
  return op;
}

/// Collapses an expanded operation, so the screenshot shows the last one.
async function collapse(op) {
  await op.locator('.opblock-summary-control').click();
  await op.locator('.opblock-body').waitFor({ state: 'detached' });
}

/// Clicks Execute and returns the rendered answer: status and body text.
async function execute(page, op) {
  await op.locator('button.execute').click();
  const row = op.locator('.live-responses-table tbody tr.response');
  await row.waitFor();
  const status = (await row.locator('.response-col_status').innerText()).trim();
  const shown = row.locator('.response-col_description h5:text-is("Response body") + *');
  let text = '';
  if (await shown.count()) {
    const pre = shown.locator('pre');
    text = (await pre.count()) ? await pre.first().innerText() : await shown.innerText();
  }
  await op.scrollIntoViewIfNeeded();
  return { code: Number.parseInt(status, 10), status, text };
}

function assert2xx(answer, what, log) {
  assert.ok(
    answer.code >= 200 && answer.code < 300,
    `${what}: Swagger UI rendered status ${JSON.stringify(answer.status)}, body ${answer.text.slice(0, 400)}\n${log.text()}`,
  );
}

function parseJson(answer, what, log) {
  try {
    return JSON.parse(answer.text);
  } catch {
    assert.fail(`${what}: the rendered body is not JSON: ${answer.text.slice(0, 400)}\n${log.text()}`);
  }
}

test('/docs/ lists every served spec in the definition dropdown', { timeout: budget(20_000) + SHOT_MS + 2_000 }, async (t) => {
  await inPage(t, 'docs', budget(15_000), async (page) => {
    const specs = await Promise.all(SPECS.map(async (s) => ({ ...s, spec: await fetchSpec(s.name) })));
    await openDocs(page);
    const options = await page
      .locator('.topbar select option')
      .evaluateAll((els) => els.map((el) => ({ value: el.value, label: el.textContent.trim() })));
    for (const { name, label } of specs) {
      const matching = options.filter((o) => new URL(o.value, BASE).pathname === `/openapi/${name}.json`);
      assert.equal(matching.length, 1, `one option for /openapi/${name}.json; options: ${JSON.stringify(options)}`);
      assert.equal(matching[0].label, label, `the label of /openapi/${name}.json`);
    }
    // Nothing else: every option is one of the served specs, and it loads.
    assert.equal(options.length, specs.length, `options: ${JSON.stringify(options)}`);
    for (const option of options) {
      const response = await fetch(new URL(option.value, BASE), { signal: AbortSignal.timeout(STEP_MS) });
      assert.equal(response.status, 200, `${option.value} answers ${response.status}`);
    }
    // The first definition is rendered on arrival.
    await page.locator('.information-container .info .title', { hasText: specs[0].spec.info.title }).waitFor();
  });
});

for (const [shot, name, host] of [
  ['scalelite', 'Scalelite: getServers with the checksum computed from the secret', null],
  // Outside a secure context Web Crypto is missing; the page's own SHA-1 signs.
  ['scalelite-plain-http', 'Scalelite: the same over plain http on another host name (no Web Crypto)', 'steward.test'],
]) test(name, { timeout: budget(20_000) + SHOT_MS + 2_000 }, async (t) => {
  // Colon-separated secrets are all accepted; the UI gets the first.
  const secret = env('STEWARD_SCALELITE_SECRET').split(':')[0];
  await inPage(t, shot, budget(15_000), async (page, log) => {
    const spec = await fetchSpec('scalelite');
    await ensureScaleliteServer(secret);
    const base = host === null ? BASE : BASE.replace(/\/\/[^:/]+/, `//${host}`);
    await openDocs(page, base);
    if (host !== null) {
      assert.equal(await page.evaluate(() => window.isSecureContext), false, `${base} is a secure context`);
    }
    await selectDefinition(page, 'Scalelite admin API', spec.info.title);
    await authorize(page, 'checksum', secret);
    const op = await tryItOut(page, 'servers', 'getServers');
    const answer = await execute(page, op);
    assert2xx(answer, 'GET /scalelite/api/getServers', log);
    assert.doesNotMatch(
      answer.text,
      /<returncode>\s*FAILED\s*<\/returncode>/,
      `GET /scalelite/api/getServers answered Scalelite's XML failure (checksum not computed in the page?)\n${log.text()}`,
    );
    const servers = parseJson(answer, 'GET /scalelite/api/getServers', log);
    assert.ok(Array.isArray(servers) && servers.length > 0, `getServers: a non-empty JSON list, got ${answer.text.slice(0, 400)}`);
  });
});

/// getServers answers 404 with no server; one is added over plain HTTP
/// (checksum signed here) so the browser's call has something to list.
async function ensureScaleliteServer(secret) {
  const sign = (action, query) => createHash('sha1').update(`${action}${query}${secret}`).digest('hex');
  const api = `${BASE}/scalelite/api`;
  const listed = await fetch(`${api}/getServers?checksum=${sign('getServers', '')}`, {
    signal: AbortSignal.timeout(STEP_MS),
  });
  if (listed.status === 200 && !(await listed.text()).includes('FAILED')) return;
  const added = await fetch(`${api}/addServer?checksum=${sign('addServer', '')}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ server: { url: 'https://bbb-swagger-ui.example.com/bigbluebutton/api', secret: 'swagger-ui-test' } }),
    signal: AbortSignal.timeout(STEP_MS),
  });
  assert.equal(added.status, 201, `setup: addServer answers ${added.status} ${await added.text()}`);
}

test('Storj: createUser, then getUser', { timeout: budget(20_000) + SHOT_MS + 2_000 }, async (t) => {
  const token = env('STEWARD_STORJ_ADMIN_TOKEN');
  // No GET answers 2xx on an empty database (each reads a path id): create first.
  const email = `swagger-ui-${randomUUID()}@example.com`;
  await inPage(t, 'storj', budget(18_000), async (page, log) => {
    const spec = await fetchSpec('storj');
    await openDocs(page);
    await selectDefinition(page, 'Storj satellite admin API', spec.info.title);
    await authorize(page, 'adminToken', token);

    const create = await tryItOut(page, 'users', 'createUser');
    await create
      .locator('textarea.body-param__text')
      .fill(JSON.stringify({ email, fullName: 'Swagger UI', password: 'correct-horse-battery' }, null, 2));
    assert2xx(await execute(page, create), 'POST /api/user', log);
    await collapse(create);

    const get = await tryItOut(page, 'users', 'getUser');
    await get.locator('tr[data-param-name="useremail"] input').fill(email);
    const answer = await execute(page, get);
    assert2xx(answer, `GET /api/user/${email}`, log);
    const details = parseJson(answer, 'GET /api/user/{useremail}', log);
    assert.equal(details.user?.email, email, `getUser: the user created, got ${answer.text.slice(0, 400)}`);
  });
});

test('ARGO: listTenants with the admin key', { timeout: budget(20_000) + SHOT_MS + 2_000 }, async (t) => {
  const key = env('STEWARD_ARGO_ADMIN_KEY');
  await inPage(t, 'argo', budget(15_000), async (page, log) => {
    const spec = await fetchSpec('argo');
    await openDocs(page);
    await selectDefinition(page, 'ARGO web-api tenants admin', spec.info.title);
    await authorize(page, 'apiKey', key);
    const op = await tryItOut(page, 'tenants', 'listTenants');
    const answer = await execute(page, op);
    assert2xx(answer, 'GET /api/v2/admin/tenants', log);
    const listing = parseJson(answer, 'GET /api/v2/admin/tenants', log);
    assert.equal(listing.status?.code, '200', `listTenants: ARGO's success envelope, got ${answer.text.slice(0, 400)}`);
  });
});

test('MC: login in the page, then currentUser with the bearer token', { timeout: budget(25_000) + SHOT_MS + 2_000 }, async (t) => {
  const username = process.env.STEWARD_MC_ADMIN_USER || 'mexadmin';
  const password = env('STEWARD_MC_ADMIN_PASSWORD');
  await inPage(t, 'mc', budget(20_000), async (page, log) => {
    const spec = await fetchSpec('mc');
    await openDocs(page);
    await selectDefinition(page, 'EdgeXR Master Controller API (identity)', spec.info.title);

    // Log in with "Try it out" and read the token from the rendered answer.
    const login = await tryItOut(page, 'Security', 'login');
    await login.locator('textarea.body-param__text').fill(JSON.stringify({ username, password }, null, 2));
    const loggedIn = await execute(page, login);
    assert2xx(loggedIn, 'POST /api/v1/login', log);
    const { token } = parseJson(loggedIn, 'POST /api/v1/login', log);
    assert.ok(typeof token === 'string' && token.split('.').length === 3, `login: a JWT, got ${loggedIn.text.slice(0, 400)}`);
    await collapse(login);

    await authorize(page, 'bearerAuth', token);
    const op = await tryItOut(page, 'User', 'currentUser');
    const answer = await execute(page, op);
    assert2xx(answer, 'POST /api/v1/auth/user/current', log);
    const user = parseJson(answer, 'POST /api/v1/auth/user/current', log);
    assert.equal(user.Name?.toLowerCase(), username.toLowerCase(), `currentUser: the admin, got ${answer.text.slice(0, 400)}`);
  });
});

test('Lighthouse: login in the page, then listUsers with the session cookie', { timeout: budget(25_000) + SHOT_MS + 2_000 }, async (t) => {
  const email = process.env.STEWARD_LIGHTHOUSE_ADMIN_EMAIL || 'admin@lighthouse.local';
  const password = env('STEWARD_LIGHTHOUSE_ADMIN_PASSWORD');
  await inPage(t, 'lighthouse', budget(20_000), async (page, log) => {
    const spec = await fetchSpec('lighthouse');
    await openDocs(page);
    await selectDefinition(page, 'Lighthouse API v0.2', spec.info.title);

    // Log in with "Try it out": the answer sets the HttpOnly `auth` cookie,
    // which the browser keeps and sends with the page's later calls (the
    // Authorize dialog cannot set a cookie).
    const login = await tryItOut(page, 'session', 'login');
    await login.locator('textarea.body-param__text').fill(JSON.stringify({ Email: email, Password: password }, null, 2));
    const loggedIn = await execute(page, login);
    assert2xx(loggedIn, 'POST /api/v0.2/login', log);
    const cookies = await page.context().cookies(BASE);
    assert.ok(
      cookies.some((c) => c.name === 'auth' && c.httpOnly && /^[0-9a-f]{64}$/.test(c.value)),
      `login: the browser keeps an HttpOnly auth cookie, has ${JSON.stringify(cookies.map((c) => c.name))}\n${log.text()}`,
    );
    await collapse(login);

    const op = await tryItOut(page, 'users', 'listUsers');
    const answer = await execute(page, op);
    assert2xx(answer, 'GET /api/v0.2/users/list', log);
    const emails = parseJson(answer, 'GET /api/v0.2/users/list', log);
    assert.ok(Array.isArray(emails) && emails[0] === email, `listUsers: the admin first, got ${answer.text.slice(0, 400)}`);
  });
});
