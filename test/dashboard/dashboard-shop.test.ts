/**
 * `msx dashboard` on the reference shop under `msx up -d`, in Debian's
 * Chromium (playwright-core), as a user sees it: the token is required; the
 * Map shows the six services and the event arrows of EXAMPLE-SHOP.md; an
 * order placed through the gateway shows up as a trace with spans from all
 * six services and its logs are one click away; a line a service logs
 * shows on the Logs page; Restart on the Instances page restarts the
 * instance (msx ps counts it); the Metrics page charts every service. Every
 * page passes axe-core without serious violations, and a screenshot of each
 * is kept under test-results/dashboard/.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, screenshot, seriousAccessibilityViolations, type TestBrowser } from '../support/browser.js';
import { startDashboard, type RunningDashboard } from '../support/dashboard.js';
import { until } from '../support/local-system.js';
import { createShop, SHOP_SERVICES, type ShopSystem } from '../support/shop.js';

let shop: ShopSystem;
let dashboard: RunningDashboard;
let browser: TestBrowser;
let page: Page;
let token: string;
let productId: string;

async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${shop.gatewayUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(40_000),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

async function open(hash: string): Promise<void> {
  await page.evaluate((h) => (location.hash = h), hash);
  await page.locator('h1').first().waitFor();
}

async function assertAccessible(name: string): Promise<void> {
  assert.deepEqual(await seriousAccessibilityViolations(page), [], `axe-core on the ${name} page`);
}

before(async () => {
  shop = await createShop('msx-dashboard-');
  await shop.run(['up', '-d', '--timeout', '120s']);
  const signUp = await fetch(`${shop.gatewayUrl}/api/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'dash@example.com', name: 'Dash' }) });
  assert.equal(signUp.status, 201);
  const userId = ((await signUp.json()) as { id: string }).id;
  token = (await shop.run(['token', '--sub', userId])).trim();
  const made = await api<{ id: string }>('POST', '/api/products', { name: 'pen', price: 150, stock: 1000 });
  assert.equal(made.status, 201);
  productId = made.body.id;
  dashboard = await startDashboard(shop.root);
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.goto(dashboard.url);
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
  await open('#/map');
  await page.locator('.map .node').nth(5).waitFor();
  const services = await page.locator('.map .node').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-service')).sort());
  assert.deepEqual(services, [...SHOP_SERVICES].sort());
  // Live: every node turns ready.
  await page.waitForFunction(() => document.querySelectorAll('.map .node[data-state="ready"]').length === 6, undefined, { timeout: 30_000 });
  const edges = await page.locator('tr[data-edge]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-edge')));
  for (const arrow of [
    'users>notifications>event>user.created',
    'orders>notifications>event>order.created',
    'orders>notifications>event>order.completed',
    'orders>notifications>event>order.cancelled',
    'payments>products>event>payment.completed',
    'orders>users>call>', 'orders>products>call>', 'orders>payments>call>',
  ]) assert.ok(edges.includes(arrow), `arrow ${arrow} in ${edges.join(' ')}`);
  await assertAccessible('Map');
  await screenshot(page, '1-map');
});

test('an order placed through the gateway appears as a trace across all six services, its logs one click away', async () => {
  await open('#/traces');
  const placedAt = Date.now();
  const order = await api<{ id: string; status: string }>('POST', '/api/orders', { items: [{ productId, quantity: 1 }] });
  assert.equal(order.status, 201, JSON.stringify(order.body));
  // The trace's row: the gateway's POST /api/orders, once every service's spans reached the collector
  // (each exports in its own batches, so notifications' can arrive before orders').
  const row = SHOP_SERVICES.reduce((rows, service) => rows.filter({ hasText: service }), page.locator('tr[data-trace]').filter({ hasText: 'POST /api/orders' })).first();
  await row.waitFor({ timeout: 30_000 });
  const seenAfterMs = Date.now() - placedAt;
  process.stdout.write(`# order trace on the Traces page ${seenAfterMs} ms after the order was placed\n`);
  const traceId = (await row.getAttribute('data-trace'))!;
  await assertAccessible('Traces');
  await screenshot(page, '4-traces');

  await row.locator('a', { hasText: 'POST /api/orders' }).click();
  await page.locator('.waterfall li').first().waitFor();
  const spanServices = new Set(await page.locator('.waterfall > li').evaluateAll((items) => items.map((i) => i.getAttribute('data-service'))));
  assert.deepEqual([...spanServices].sort(), [...SHOP_SERVICES].sort());
  await page.locator('.waterfall summary').first().click();
  await page.locator('.attrs').first().waitFor();
  await assertAccessible('Trace');
  await screenshot(page, '5-trace-waterfall');

  await page.getByRole('link', { name: 'Logs of this trace' }).click();
  await page.waitForFunction((id) => location.hash.includes(`trace=${id}`), traceId);
  await page.locator('.vrow').first().waitFor({ timeout: 15_000 });
  const links = await page.locator('.vrow .trace-link').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.ok(links.length > 0 && links.every((h) => h === `#/traces/${traceId}`), `every line shown belongs to the trace: ${links.join(' ')}`);
  await screenshot(page, '3b-logs-of-trace');
});

test('a line a service logs appears on the Logs page', async () => {
  await open('#/logs');
  await page.locator('.vrow').first().waitFor({ timeout: 15_000 });
  const marker = `dash-probe-${Date.now()}`;
  const writtenAt = Date.now();
  // The gateway logs each request it answers, path included.
  await fetch(`${shop.gatewayUrl}/api/products/${marker}`);
  await page.locator('.vrow', { hasText: marker }).first().waitFor({ timeout: 15_000 });
  process.stdout.write(`# log line on the Logs page ${Date.now() - writtenAt} ms after the request\n`);
  // The text filter narrows the list to it.
  await page.getByLabel('text').fill(marker);
  await page.waitForFunction((m) => [...document.querySelectorAll('.vrow')].every((r) => r.textContent!.includes(m)) && document.querySelectorAll('.vrow').length > 0, marker);
  await page.getByLabel('text').fill('');
  await page.locator('.vrow').nth(3).waitFor();
  await assertAccessible('Logs');
  await screenshot(page, '3-logs');
});

test('Restart on the Instances page restarts the instance, and msx ps counts it', async () => {
  const before = (await shop.system.ps()).find((r) => r.id === 'users-1')!;
  await open('#/instances');
  await page.locator('tr[data-instance="users-1"]').waitFor();
  await assertAccessible('Instances');
  await screenshot(page, '2-instances');
  await page.getByRole('button', { name: 'Restart users-1' }).click();
  await page.getByText('users-1 restarted').waitFor({ timeout: 120_000 });
  const afterRestart = (await shop.system.ps()).find((r) => r.id === 'users-1')!;
  assert.equal(afterRestart.restarts, before.restarts + 1);
  assert.notEqual(afterRestart.pid, before.pid);
  assert.equal(afterRestart.state, 'ready');
  await page.locator('tr[data-instance="users-1"] [data-restarts]').filter({ hasText: String(before.restarts + 1) }).waitFor({ timeout: 10_000 });
});

test('the Metrics page charts every service from the same windows as msx metrics', async () => {
  await open('#/metrics');
  for (let i = 0; i < 5; i++) await fetch(`${shop.gatewayUrl}/api/products/${productId}`);
  await page.locator('tr[data-service]').nth(5).waitFor({ timeout: 30_000 });
  const rows = await page.locator('tr[data-service]').evaluateAll((r) => r.map((x) => x.getAttribute('data-service')).sort());
  assert.deepEqual(rows, [...SHOP_SERVICES].sort());
  assert.equal(await page.locator('.chart canvas').count() >= 8, true);
  await until('the gateway\'s request rate above zero', async () => {
    await fetch(`${shop.gatewayUrl}/api/products/${productId}`);
    const text = await page.locator('tr[data-service="gateway"] td').nth(1).textContent();
    return Number(text) > 0 ? true : undefined;
  }, 30_000);
  await assertAccessible('Metrics');
  await screenshot(page, '6-metrics');
});
