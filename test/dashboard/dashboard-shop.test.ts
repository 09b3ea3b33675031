/**
 * `msx dashboard` on the reference shop under `msx up -d`, in Debian's
 * Chromium (playwright-core), as a user sees it: the token is required; the
 * Map shows the six services and the event arrows of EXAMPLE-SHOP.md; an
 * order placed through the gateway shows up as a trace with spans from all
 * six services and its logs are one click away; a line a service logs
 * shows on the Logs page; Restart on the Instances page restarts the
 * instance (msx ps counts it); the Metrics page charts every service. Every
 * page passes axe-core without serious violations, and a screenshot of each
 * is kept under test-results/dashboard/. The page checks are
 * test/support/dashboard-pages.ts, shared with the compose suite.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { startDashboard, type RunningDashboard } from '../support/dashboard.js';
import { checkLogLine, checkMap, checkMetrics, checkOrderTrace, checkRestart, shopApi, type ShopPage } from '../support/dashboard-pages.js';
import { createShop, type ShopSystem } from '../support/shop.js';

let shop: ShopSystem;
let dashboard: RunningDashboard;
let browser: TestBrowser;
let page: Page;
let pages: ShopPage;

before(async () => {
  shop = await createShop('msx-dashboard-');
  await shop.run(['up', '-d', '--timeout', '120s']);
  const signUp = await fetch(`${shop.gatewayUrl}/api/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'dash@example.com', name: 'Dash' }) });
  assert.equal(signUp.status, 201);
  const userId = ((await signUp.json()) as { id: string }).id;
  const token = (await shop.run(['token', '--sub', userId])).trim();
  const made = await shopApi<{ id: string }>({ gatewayUrl: shop.gatewayUrl, token }, 'POST', '/api/products', { name: 'pen', price: 150, stock: 1000 });
  assert.equal(made.status, 201);
  dashboard = await startDashboard(shop.root);
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.goto(dashboard.url);
  pages = { page, gatewayUrl: shop.gatewayUrl, token, productId: made.body.id, screenshotPrefix: '', ps: () => shop.system.ps() };
}, { timeout: 900_000 });

after(async () => {
  await browser?.close();
  await dashboard?.stop();
  await shop?.cleanup();
});

test('the dashboard answers nothing without its token, and only on its own host name', async () => {
  assert.equal((await fetch(`${dashboard.origin}/`)).status, 401);
  assert.equal((await fetch(`${dashboard.origin}/api/overview`)).status, 401);
  assert.equal((await fetch(`${dashboard.origin}/api/overview?token=${'0'.repeat(dashboard.token.length)}`)).status, 401);
  assert.equal((await fetch(`${dashboard.origin}/api/overview`, { headers: { cookie: 'msx_dashboard=wrong' } })).status, 401);
  const first = await fetch(dashboard.url, { redirect: 'manual' });
  assert.equal(first.status, 303);
  assert.match(first.headers.get('set-cookie') ?? '', /^msx_dashboard=[\da-f]+; HttpOnly; SameSite=Strict/);
  const withCookie = await fetch(`${dashboard.origin}/api/overview`, { headers: { cookie: (first.headers.get('set-cookie') ?? '').split(';')[0]! } });
  assert.equal(withCookie.status, 200);
  // A page on another origin cannot restart anything, even with the cookie.
  const crossSite = await fetch(`${dashboard.origin}/api/instances/users-1/restart`, { method: 'POST', headers: { cookie: (first.headers.get('set-cookie') ?? '').split(';')[0]!, origin: 'http://evil.example' } });
  assert.equal(crossSite.status, 403);
  // The address bar no longer shows the token once the page loaded.
  assert.doesNotMatch(page.url(), /token=/);
});

test('the map shows the six services and the event arrows of the shop', async () => {
  await checkMap(pages);
});

test('an order placed through the gateway appears as a trace across all six services, its logs one click away', async () => {
  const ms = await checkOrderTrace(pages);
  process.stdout.write(`# order trace on the Traces page ${ms} ms after the order was placed\n`);
});

test('a line a service logs appears on the Logs page', async () => {
  const ms = await checkLogLine(pages);
  process.stdout.write(`# log line on the Logs page ${ms} ms after the request\n`);
});

test('Restart on the Instances page restarts the instance, and msx ps counts it', async () => {
  const before = (await shop.system.ps()).find((r) => r.id === 'users-1')!;
  await checkRestart(pages, 'users-1');
  assert.notEqual((await shop.system.ps()).find((r) => r.id === 'users-1')!.pid, before.pid, 'a new process');
});

test('the Metrics page charts every service from the same windows as msx metrics', async () => {
  await checkMetrics(pages);
});
