/**
 * openInsight on the shop under `msx up -d` (local target): a notifications
 * handler made to fail puts its event in the dead letters (with envelope and
 * last error), and once fixed a re-drive delivers it exactly once; the
 * order saga is listed with its steps; events show their consumer groups.
 *
 * How the handler is made to fail, without touching the templates: the
 * test gives notifications a database of its own on the machine's
 * PostgreSQL (NOTIFICATIONS_DATABASE_URL, which the local target honours)
 * and renames the `notifications` table away, so the handler's INSERT
 * fails; renaming it back is the fix.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openInsight, type SystemInsight } from '../../src/dashboard/data/insight.js';
import { loadManifest } from '../../src/manifest/load-manifest.js';
import { resolveTarget } from '../../src/targets/resolve-target.js';
import { createNotificationsDatabase, type NotificationsDatabase } from '../support/notifications-database.js';
import { createShop, type ShopSystem } from '../support/shop.js';
import { until } from '../support/local-system.js';
import { msx, userEnv } from '../support/msx.js';

let shop: ShopSystem;
let insight: SystemInsight;
let db: NotificationsDatabase;

async function api<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const response = await fetch(`${shop.gatewayUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.ok(response.status < 300, `${method} ${path}: ${response.status} ${await response.clone().text()}`);
  return (await response.json()) as T;
}

before(async () => {
  db = await createNotificationsDatabase('msx_dash_data');
  shop = await createShop('msx-dash-data-');
  const up = await msx(['up', '-d', '--timeout', '120s'], { cwd: shop.root, env: userEnv({ NOTIFICATIONS_DATABASE_URL: db.url }) });
  assert.equal(up.exitCode, 0, up.stderr);
  const { manifest } = loadManifest(shop.root);
  insight = openInsight({ root: shop.root, manifest, target: resolveTarget(shop.root) });
  await db.connect();
});

after(async () => {
  await shop?.cleanup();
  await db?.drop();
});

test('a failing handler\'s event is a dead letter with its envelope and error; fixed and re-driven, it is handled once', async () => {
  await db.breakHandler();
  const user = await api<{ id: string }>('POST', '/api/users', { email: 'dee@example.com', name: 'Dee' });
  // Five retries with the default backoff (1 s doubling): about half a minute.
  const [letter] = await until('the welcome event among the dead letters', async () => {
    const letters = (await insight.deadLetters('notifications')).filter((l) => l.type === 'user.created');
    return letters.length > 0 ? letters : undefined;
  }, 90_000);
  assert.equal(letter!.group, 'notifications');
  assert.equal(letter!.service, 'notifications');
  assert.equal(letter!.attempts, 6);
  assert.match(letter!.lastError, /notifications/, 'the last error names what failed');
  assert.equal((letter!.envelope as { data: { id: string } }).data.id, user.id);
  assert.ok(!Number.isNaN(Date.parse(letter!.failedAt)));

  const events = await insight.events();
  const created = events.find((e) => e.type === 'user.created');
  assert.deepEqual(created?.publishers, ['users']);
  const group = created?.consumers.find((c) => c.group === 'notifications');
  assert.equal(group?.deadLetters, 1);
  assert.ok(created!.recent.some((r) => r.id === letter!.id), 'the event is among the recent ones of its type');

  await db.fixHandler();
  assert.equal(await insight.redrive('notifications', letter!.id), 1);
  await until('the welcome notification', async () => {
    return (await db.notificationsOf(letter!.id)) > 0 ? true : undefined;
  }, 30_000);
  assert.equal(await db.notificationsOf(letter!.id), 1, 'handled exactly once');
  assert.deepEqual((await insight.deadLetters('notifications')).filter((l) => l.id === letter!.id), []);
  assert.equal(await insight.redrive('notifications', letter!.id), 0, 'nothing left to re-drive');
});

test('an order\'s saga is listed with its steps', async () => {
  const user = await api<{ id: string }>('POST', '/api/users', { email: 'sam@example.com', name: 'Sam' });
  const token = (await shop.run(['token', '--sub', user.id])).trim();
  const pen = await api<{ id: string }>('POST', '/api/products', { name: 'pen', price: 150, stock: 10 }, token);
  const order = await api<{ id: string; status: string }>('POST', '/api/orders', { items: [{ productId: pen.id, quantity: 1 }] }, token);
  const sagas = await insight.sagas({ service: 'orders' });
  const saga = sagas.find((s) => s.id === order.id);
  assert.ok(saga, `the order's saga among ${JSON.stringify(sagas.map((s) => s.id))}`);
  assert.equal(saga.service, 'orders');
  assert.equal(saga.state, 'completed');
  assert.ok(saga.steps.length >= 2, JSON.stringify(saga.steps));
  assert.ok(saga.steps.every((s) => s.state === 'completed' && s.startedAt && s.endedAt), JSON.stringify(saga.steps));
  assert.deepEqual(await insight.sagas({ service: 'orders', state: 'stuck' }), []);
});
