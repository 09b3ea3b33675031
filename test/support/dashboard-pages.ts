/**
 * What the dashboard's browser tests check on each page of the reference
 * shop, written once so the same checks run on every target (the local
 * target in test/dashboard/, compose in test/e2e/shop-compose.test.ts). A
 * check drives the page as a user would and asserts what the page shows;
 * the target only decides how the shop is started and how its
 * notifications handler is made to fail.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { screenshot, seriousAccessibilityViolations } from './browser.js';
import { until } from './local-system.js';
import { SHOP_SERVICES } from './shop.js';

export interface ShopPage {
  readonly page: Page;
  readonly gatewayUrl: string;
  /** A signed-up user's token. */
  readonly token: string;
  /** A product with stock for many orders. */
  readonly productId: string;
  /** Put before every screenshot's name, so each target keeps its own. */
  readonly screenshotPrefix: string;
  /** What `msx ps --json` shows. */
  ps(): Promise<readonly { id: string; restarts: number; state: string; startedAt?: number | undefined }[]>;
}

/** A way to make the shop's notifications handler fail, and to fix it. */
export interface BreakableHandler {
  breakHandler(): Promise<void>;
  fixHandler(): Promise<void>;
  /** How many notifications were stored for one event. */
  notificationsOf(eventId: string): Promise<number>;
}

export async function shopApi<T>(shop: Pick<ShopPage, 'gatewayUrl' | 'token'>, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${shop.gatewayUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${shop.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(40_000),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export async function openPage(page: Page, hash: string): Promise<void> {
  await page.evaluate((h) => (location.hash = h), hash);
  await page.locator('h1').first().waitFor();
}

async function assertAccessible(page: Page, name: string): Promise<void> {
  assert.deepEqual(await seriousAccessibilityViolations(page), [], `axe-core on the ${name} page`);
}

const shot = (shop: ShopPage, name: string) => screenshot(shop.page, `${shop.screenshotPrefix}${name}`);

/** The Map: six services, all turning ready, and the event and call arrows of EXAMPLE-SHOP.md. */
export async function checkMap(shop: ShopPage): Promise<void> {
  const { page } = shop;
  await openPage(page, '#/map');
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
  await assertAccessible(page, 'Map');
  await shot(shop, '1-map');
}

/** An order placed through the gateway shows as a trace with spans of all six services; its logs are one click away. Returns how long the trace took to show, ms. */
export async function checkOrderTrace(shop: ShopPage): Promise<number> {
  const { page } = shop;
  await openPage(page, '#/traces');
  // The order carries a trace id of the test's own, so its row is told apart from other orders' (whose
  // spans may still be arriving and move rows about).
  const traceId = randomBytes(16).toString('hex');
  const placedAt = Date.now();
  const order = await shopApi<{ id: string; status: string }>(shop, 'POST', '/api/orders', { items: [{ productId: shop.productId, quantity: 1 }] }, { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` });
  assert.equal(order.status, 201, JSON.stringify(order.body));
  // The trace's row: the gateway's POST /api/orders, once every service's spans reached the collector
  // (each exports in its own batches, so notifications' can arrive before orders').
  const row = SHOP_SERVICES.reduce((rows, service) => rows.filter({ hasText: service }), page.locator(`tr[data-trace="${traceId}"]`).filter({ hasText: 'POST /api/orders' }));
  await row.waitFor({ timeout: 30_000 });
  const seenAfterMs = Date.now() - placedAt;
  await assertAccessible(page, 'Traces');
  await shot(shop, '4-traces');

  await row.locator('a', { hasText: 'POST /api/orders' }).click();
  await page.locator('.waterfall li').first().waitFor();
  const spanServices = new Set(await page.locator('.waterfall > li').evaluateAll((items) => items.map((i) => i.getAttribute('data-service'))));
  assert.deepEqual([...spanServices].sort(), [...SHOP_SERVICES].sort());
  await page.locator('.waterfall summary').first().click();
  await page.locator('.attrs').first().waitFor();
  await assertAccessible(page, 'Trace');
  await shot(shop, '5-trace-waterfall');

  await page.getByRole('link', { name: 'Logs of this trace' }).click();
  await page.waitForFunction((id) => location.hash.includes(`trace=${id}`), traceId);
  await page.locator('.vrow').first().waitFor({ timeout: 15_000 });
  const links = await page.locator('.vrow .trace-link').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.ok(links.length > 0 && links.every((h) => h === `#/traces/${traceId}`), `every line shown belongs to the trace: ${links.join(' ')}`);
  await shot(shop, '3b-logs-of-trace');
  return seenAfterMs;
}

/** A line the gateway logs shows on the Logs page, and the text filter narrows the list to it. Returns how long it took to show, ms. */
export async function checkLogLine(shop: ShopPage): Promise<number> {
  const { page } = shop;
  await openPage(page, '#/logs');
  await page.locator('.vrow').first().waitFor({ timeout: 15_000 });
  const marker = `dash-probe-${Date.now()}`;
  const writtenAt = Date.now();
  // The gateway logs each request it answers, path included.
  await fetch(`${shop.gatewayUrl}/api/products/${marker}`);
  await page.locator('.vrow', { hasText: marker }).first().waitFor({ timeout: 15_000 });
  const seenAfterMs = Date.now() - writtenAt;
  await page.getByLabel('text').fill(marker);
  await page.waitForFunction((m) => [...document.querySelectorAll('.vrow')].every((r) => r.textContent!.includes(m)) && document.querySelectorAll('.vrow').length > 0, marker);
  await page.getByLabel('text').fill('');
  await page.locator('.vrow').nth(3).waitFor();
  await assertAccessible(page, 'Logs');
  await shot(shop, '3-logs');
  return seenAfterMs;
}

/** Restart on the Instances page restarts the instance: msx ps counts one more restart and a new start time. */
export async function checkRestart(shop: ShopPage, instance: string): Promise<void> {
  const { page } = shop;
  const before = (await shop.ps()).find((r) => r.id === instance);
  assert.ok(before, `${instance} in msx ps`);
  await openPage(page, '#/instances');
  await page.locator(`tr[data-instance="${instance}"]`).waitFor();
  await assertAccessible(page, 'Instances');
  await shot(shop, '2-instances');
  await page.getByRole('button', { name: `Restart ${instance}` }).click();
  await page.getByText(`${instance} restarted`).waitFor({ timeout: 240_000 });
  const afterRestart = (await shop.ps()).find((r) => r.id === instance)!;
  assert.equal(afterRestart.restarts, before.restarts + 1);
  assert.equal(afterRestart.state, 'ready');
  assert.ok(afterRestart.startedAt !== undefined && before.startedAt !== undefined && afterRestart.startedAt > before.startedAt, `a new run: started ${before.startedAt}, then ${afterRestart.startedAt}`);
  await page.locator(`tr[data-instance="${instance}"] [data-restarts]`).filter({ hasText: String(before.restarts + 1) }).waitFor({ timeout: 10_000 });
}

/** The Metrics page charts every service, and the gateway's request rate moves with traffic. */
export async function checkMetrics(shop: ShopPage): Promise<void> {
  const { page } = shop;
  await openPage(page, '#/metrics');
  for (let i = 0; i < 5; i++) await fetch(`${shop.gatewayUrl}/api/products/${shop.productId}`);
  await page.locator('tr[data-service]').nth(5).waitFor({ timeout: 30_000 });
  const rows = await page.locator('tr[data-service]').evaluateAll((r) => r.map((x) => x.getAttribute('data-service')).sort());
  assert.deepEqual(rows, [...SHOP_SERVICES].sort());
  assert.equal(await page.locator('.chart canvas').count() >= 8, true);
  await until('the gateway\'s request rate above zero', async () => {
    await fetch(`${shop.gatewayUrl}/api/products/${shop.productId}`);
    const text = await page.locator('tr[data-service="gateway"] td').nth(1).textContent();
    return Number(text) > 0 ? true : undefined;
  }, 30_000);
  await assertAccessible(page, 'Metrics');
  await shot(shop, '6-metrics');
}

/**
 * A failing notifications handler's event shows among the dead letters with
 * its envelope and attempts; once fixed, Re-drive on the page delivers it
 * exactly once and it leaves the list.
 */
export async function checkDeadLetterRedrive(shop: ShopPage, handler: BreakableHandler): Promise<void> {
  const { page } = shop;
  await openPage(page, '#/events');
  await handler.breakHandler();
  const email = `erin-${Date.now()}@example.com`;
  const user = await shopApi<{ id: string }>(shop, 'POST', '/api/users', { email, name: 'Erin' });
  assert.equal(user.status, 201, JSON.stringify(user.body));
  // Five retries with the default backoff (1 s doubling): about half a minute.
  const letter = page.locator('section[data-group="notifications"] li[data-dead-letter]').filter({ hasText: 'user.created' });
  await letter.first().waitFor({ timeout: 90_000 });
  const id = await letter.first().getAttribute('data-dead-letter');
  assert.ok(id);
  await letter.first().locator('summary').click();
  const envelope = await letter.first().locator('pre').textContent();
  assert.match(envelope ?? '', new RegExp(user.body.id), 'the envelope shows the event\'s data');
  assert.match(await letter.first().locator('summary').textContent() ?? '', /6 attempts/);
  // The event type's row counts the group's dead letter; the other types notifications consumes have none.
  await page.locator('tr[data-event-type="user.created"]').filter({ hasText: '1 dead' }).waitFor({ timeout: 10_000 });
  assert.doesNotMatch(await page.locator('tr[data-event-type="order.created"]').textContent() ?? '', /dead/);
  await assertAccessible(page, 'Events');
  await shot(shop, '7-events-dead-letter');

  await handler.fixHandler();
  await page.getByRole('button', { name: `Re-drive user.created ${id}` }).click();
  await page.getByRole('status').filter({ hasText: '1 event sent back to notifications' }).waitFor({ timeout: 15_000 });
  await until('the welcome notification', async () => ((await handler.notificationsOf(id)) > 0 ? true : undefined), 30_000);
  await page.locator(`li[data-dead-letter="${id}"]`).waitFor({ state: 'detached', timeout: 15_000 });
  assert.equal(await handler.notificationsOf(id), 1, 'handled exactly once');
}

/** An order's saga shows on the Sagas page as completed, with its steps; the state filter narrows the list. */
export async function checkSaga(shop: ShopPage): Promise<void> {
  const { page } = shop;
  const order = await shopApi<{ id: string }>(shop, 'POST', '/api/orders', { items: [{ productId: shop.productId, quantity: 1 }] });
  assert.equal(order.status, 201, JSON.stringify(order.body));
  await openPage(page, '#/sagas');
  const saga = page.locator(`li[data-saga="${order.body.id}"]`);
  await saga.waitFor({ timeout: 30_000 });
  await page.locator(`li[data-saga="${order.body.id}"][data-state="completed"]`).waitFor({ timeout: 30_000 });
  await saga.locator('summary').click();
  const steps = await saga.locator('tr[data-step]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-step')));
  assert.ok(steps.length >= 2, `the saga's steps: ${steps.join(', ')}`);
  const states = await saga.locator('tr[data-step] .pill').allTextContents();
  assert.ok(states.every((s) => s === 'completed'), states.join(', '));
  // No order saga is stuck.
  await page.getByLabel('state').selectOption('stuck');
  await saga.waitFor({ state: 'detached', timeout: 5_000 });
  await page.getByLabel('state').selectOption('');
  await saga.waitFor({ timeout: 5_000 });
  if (await saga.locator('details').getAttribute('open') === null) await saga.locator('summary').click();
  await saga.locator('tr[data-step]').first().waitFor();
  await assertAccessible(page, 'Sagas');
  await shot(shop, '8-sagas');
}
