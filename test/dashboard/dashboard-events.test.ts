/**
 * The dashboard's Events and Sagas pages on the reference shop under
 * `msx up -d`, in Debian's Chromium: a notifications handler made to fail
 * puts its event among the dead letters, with its envelope and last error;
 * once the handler is fixed, Re-drive on the page delivers it exactly once
 * and it leaves the list. An order's saga shows as completed with its
 * steps. Both pages pass axe-core; screenshots go to test-results/dashboard/.
 *
 * How the handler is made to fail without touching the templates (as in
 * insight.test.ts): notifications gets a database of its own on the
 * machine's PostgreSQL (NOTIFICATIONS_DATABASE_URL, which the local target
 * honours) and its `notifications` table is renamed away, so the handler's
 * INSERT fails; renaming it back is the fix.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, screenshot, seriousAccessibilityViolations, type TestBrowser } from '../support/browser.js';
import { startDashboard, type RunningDashboard } from '../support/dashboard.js';
import { until } from '../support/local-system.js';
import { msx, userEnv } from '../support/msx.js';
import { createNotificationsDatabase, type NotificationsDatabase } from '../support/notifications-database.js';
import { createShop, type ShopSystem } from '../support/shop.js';

let shop: ShopSystem;
let dashboard: RunningDashboard;
let browser: TestBrowser;
let page: Page;
let db: NotificationsDatabase;

async function api<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const response = await fetch(`${shop.gatewayUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(40_000),
  });
  assert.ok(response.status < 300, `${method} ${path}: ${response.status} ${await response.clone().text()}`);
  return (await response.json()) as T;
}

async function open(hash: string): Promise<void> {
  await page.evaluate((h) => (location.hash = h), hash);
  await page.locator('h1').first().waitFor();
}

before(async () => {
  db = await createNotificationsDatabase('msx_dash_events');
  shop = await createShop('msx-dash-events-');
  const up = await msx(['up', '-d', '--timeout', '120s'], { cwd: shop.root, env: userEnv({ NOTIFICATIONS_DATABASE_URL: db.url }) });
  assert.equal(up.exitCode, 0, up.stderr);
  await db.connect();
  dashboard = await startDashboard(shop.root);
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.goto(dashboard.url);
}, { timeout: 900_000 });

after(async () => {
  await browser?.close();
  await dashboard?.stop();
  await shop?.cleanup();
  await db?.drop();
});

test('a failing handler\'s event shows among the dead letters; fixed, Re-drive on the page delivers it once', async () => {
  await open('#/events');
  await db.breakHandler();
  const user = await api<{ id: string }>('POST', '/api/users', { email: 'erin@example.com', name: 'Erin' });
  // Five retries with the default backoff (1 s doubling): about half a minute.
  const letter = page.locator('section[data-group="notifications"] li[data-dead-letter]').filter({ hasText: 'user.created' });
  await letter.first().waitFor({ timeout: 90_000 });
  const id = await letter.first().getAttribute('data-dead-letter');
  assert.ok(id);
  await letter.first().locator('summary').click();
  const envelope = await letter.first().locator('pre').textContent();
  assert.match(envelope ?? '', new RegExp(user.id), 'the envelope shows the event\'s data');
  assert.match(await letter.first().locator('summary').textContent() ?? '', /6 attempts/);
  // The event type's row counts the group's dead letter; the other types notifications consumes have none.
  await page.locator('tr[data-event-type="user.created"]').filter({ hasText: '1 dead' }).waitFor({ timeout: 10_000 });
  assert.doesNotMatch(await page.locator('tr[data-event-type="order.created"]').textContent() ?? '', /dead/);
  assert.deepEqual(await seriousAccessibilityViolations(page), [], 'axe-core on the Events page');
  await screenshot(page, '7-events-dead-letter');

  await db.fixHandler();
  await page.getByRole('button', { name: `Re-drive user.created ${id}` }).click();
  await page.getByRole('status').filter({ hasText: '1 event sent back to notifications' }).waitFor({ timeout: 15_000 });
  await until('the welcome notification', async () => {
    return (await db.notificationsOf(id)) > 0 ? true : undefined;
  }, 30_000);
  await page.locator(`li[data-dead-letter="${id}"]`).waitFor({ state: 'detached', timeout: 15_000 });
  assert.equal(await db.notificationsOf(id), 1, 'handled exactly once');
});

test('an order\'s saga shows on the Sagas page as completed, with its steps', async () => {
  const user = await api<{ id: string }>('POST', '/api/users', { email: 'saga@example.com', name: 'Saga' });
  const token = (await shop.run(['token', '--sub', user.id])).trim();
  const pen = await api<{ id: string }>('POST', '/api/products', { name: 'pen', price: 150, stock: 10 }, token);
  const order = await api<{ id: string }>('POST', '/api/orders', { items: [{ productId: pen.id, quantity: 1 }] }, token);
  await open('#/sagas');
  const saga = page.locator(`li[data-saga="${order.id}"]`);
  await saga.waitFor({ timeout: 30_000 });
  await page.locator(`li[data-saga="${order.id}"][data-state="completed"]`).waitFor({ timeout: 30_000 });
  await saga.locator('summary').click();
  const steps = await saga.locator('tr[data-step]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-step')));
  assert.ok(steps.length >= 2, `the saga's steps: ${steps.join(', ')}`);
  const states = await saga.locator('tr[data-step] .pill').allTextContents();
  assert.ok(states.every((s) => s === 'completed'), states.join(', '));
  // The state filter narrows the list: no order saga is stuck.
  await page.getByLabel('state').selectOption('stuck');
  await saga.waitFor({ state: 'detached', timeout: 5_000 });
  await page.getByLabel('state').selectOption('');
  await saga.waitFor({ timeout: 5_000 });
  if (await saga.locator('details').getAttribute('open') === null) await saga.locator('summary').click();
  await saga.locator('tr[data-step]').first().waitFor();
  assert.deepEqual(await seriousAccessibilityViolations(page), [], 'axe-core on the Sagas page');
  await screenshot(page, '8-sagas');
});
