/**
 * Degradation on the reference shop under `msx up -d`, as a client sees it
 * through the gateway: an order's details name the buyer (orders reads it
 * from users through its typed client, with the last-good-answer fallback).
 * With users scaled to zero, the order still answers 200 with the last
 * known name, marked `degraded`, and orders' `msx_client_fallbacks_total`
 * for users has risen; once users is back, the answer is current again.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { until } from '../support/local-system.js';
import { createShop, type ShopSystem } from '../support/shop.js';

let shop: ShopSystem;
let token: string;
let userId: string;

interface OrderDetails {
  readonly id: string;
  readonly userId: string;
  readonly userName: string | null;
  readonly status: string;
  readonly degraded?: { readonly fields: string[]; readonly reason: string; readonly source: string };
}

async function api<T>(method: string, path: string, body?: unknown, bearer?: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${shop.gatewayUrl}${path}`, {
    method,
    headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** orders' `msx_client_fallbacks_total{callee="users"}`, summed over its instances' /metrics. */
async function ordersFallbacks(): Promise<number> {
  const rows = (await shop.system.ps()).filter((r) => r.service === 'orders' && r.ready);
  let total = 0;
  for (const row of rows) {
    const text = await (await fetch(`http://127.0.0.1:${row.port}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
    for (const line of text.split('\n')) {
      if (line.startsWith('msx_client_fallbacks_total{') && line.includes('callee="users"')) total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}

before(async () => {
  shop = await createShop('msx-shop-fallback-');
  await shop.run(['up', '-d', '--timeout', '120s']);
  const signUp = await api<{ id: string }>('POST', '/api/users', { email: 'fallback@example.com', name: 'Frieda' });
  assert.equal(signUp.status, 201, JSON.stringify(signUp.body));
  userId = signUp.body.id;
  token = (await shop.run(['token', '--sub', userId])).trim();
}, { timeout: 900_000 });

after(async () => {
  await shop?.cleanup();
});

test('with users stopped, order details answer with the last known name, marked degraded, and orders counts the fallback', { timeout: 300_000 }, async (t) => {
  const started = Date.now();
  const mark = (what: string) => t.diagnostic(`${what} at ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const product = await api<{ id: string }>('POST', '/api/products', { name: 'pen', price: 150, stock: 10 }, token);
  assert.equal(product.status, 201, JSON.stringify(product.body));
  const placed = await api<{ id: string; status: string }>('POST', '/api/orders', { items: [{ productId: product.body.id, quantity: 1 }] }, token);
  assert.equal(placed.status, 201, JSON.stringify(placed.body));

  const live = await api<OrderDetails>('GET', `/api/orders/${placed.body.id}`, undefined, token);
  assert.equal(live.status, 200, JSON.stringify(live.body));
  assert.equal(live.body.userName, 'Frieda');
  assert.equal(live.body.degraded, undefined, 'users is up: nothing is degraded');
  const before = await ordersFallbacks();
  mark('order placed and read live');

  await shop.run(['scale', 'users=0']);
  assert.deepEqual((await shop.system.ps()).filter((r) => r.service === 'users'), [], 'no users instance is left');

  const degraded = await api<OrderDetails>('GET', `/api/orders/${placed.body.id}`, undefined, token);
  assert.equal(degraded.status, 200, JSON.stringify(degraded.body));
  assert.equal(degraded.body.status, 'confirmed');
  assert.equal(degraded.body.userName, 'Frieda', 'the last known name');
  assert.deepEqual(degraded.body.degraded?.fields, ['userName']);
  assert.equal(degraded.body.degraded?.source, 'last-good');
  assert.ok(['no-instance', 'unreachable', 'circuit-open'].includes(degraded.body.degraded!.reason), `an availability reason, got ${degraded.body.degraded!.reason}`);
  assert.ok(await ordersFallbacks() > before, 'msx_client_fallbacks_total{callee="users"} rose on orders');
  mark('degraded read checked');

  // Users back: the name is read live again, nothing degraded (bounded: the breaker's 5 s cooldown and discovery's refresh).
  await shop.run(['scale', 'users=1']);
  const current = await until('order details that are no longer degraded', async () => {
    const res = await api<OrderDetails>('GET', `/api/orders/${placed.body.id}`, undefined, token);
    return res.status === 200 && res.body.degraded === undefined ? res.body : undefined;
  }, 60_000);
  assert.equal(current.userName, 'Frieda');
  mark('current again');
});
