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
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { startDashboard, type RunningDashboard } from '../support/dashboard.js';
import { checkDeadLetterRedrive, checkSaga, shopApi, type ShopPage } from '../support/dashboard-pages.js';
import { msx, userEnv } from '../support/msx.js';
import { createNotificationsDatabase, type NotificationsDatabase } from '../support/notifications-database.js';
import { createShop, type ShopSystem } from '../support/shop.js';

let shop: ShopSystem;
let dashboard: RunningDashboard;
let browser: TestBrowser;
let page: Page;
let db: NotificationsDatabase;
let pages: ShopPage;

before(async () => {
  db = await createNotificationsDatabase('msx_dash_events');
  shop = await createShop('msx-dash-events-');
  const up = await msx(['up', '-d', '--timeout', '120s'], { cwd: shop.root, env: userEnv({ NOTIFICATIONS_DATABASE_URL: db.url }) });
  assert.equal(up.exitCode, 0, up.stderr);
  await db.connect();
  const user = await shopApi<{ id: string }>({ gatewayUrl: shop.gatewayUrl, token: '' }, 'POST', '/api/users', { email: 'saga@example.com', name: 'Saga' });
  assert.equal(user.status, 201);
  const token = (await shop.run(['token', '--sub', user.body.id])).trim();
  const pen = await shopApi<{ id: string }>({ gatewayUrl: shop.gatewayUrl, token }, 'POST', '/api/products', { name: 'pen', price: 150, stock: 10 });
  assert.equal(pen.status, 201);
  dashboard = await startDashboard(shop.root);
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.goto(dashboard.url);
  pages = { page, gatewayUrl: shop.gatewayUrl, token, productId: pen.body.id, screenshotPrefix: '', ps: () => shop.system.ps() };
}, { timeout: 900_000 });

after(async () => {
  await browser?.close();
  await dashboard?.stop();
  await shop?.cleanup();
  await db?.drop();
});

test('a failing handler\'s event shows among the dead letters; fixed, Re-drive on the page delivers it once', async () => {
  await checkDeadLetterRedrive(pages, db);
});

test('an order\'s saga shows on the Sagas page as completed, with its steps', async () => {
  await checkSaga(pages);
});
