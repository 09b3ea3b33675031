import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Service } from '@msx/runtime';
import { gatewayIdentityHeaders, signServiceToken } from '@msx/runtime/auth';
import { createBus, type EventBus } from '@msx/runtime/bus';
import { buildService } from '../src/service.js';

const dataDir = mkdtempSync(join(tmpdir(), 'products-test-'));
process.env.MSX_DATA_DIR = dataDir;
// The gateway's key: public calls come as the gateway sends them, with a signed identity.
process.env.GATEWAY_IDENTITY_SECRET = randomBytes(48).toString('base64url');
const asUser = () => gatewayIdentityHeaders({ sub: 'u-1' });
const secret = randomBytes(48).toString('base64url');
let service: Service;
let url: string;
let bus: EventBus;
let token: string;

before(async () => {
  process.env.MSX_SERVICE_TOKEN_SECRET = secret;
  service = await buildService({ ...process.env, DATABASE_URL: 'embedded:memory', MSX_BUS_URL: 'embedded' });
  ({ url } = await service.listen({ port: 0, handleSignals: false }));
  bus = await createBus({ service: 'payments', url: 'embedded' });
  token = await signServiceToken({ issuer: 'orders', audience: 'products', secret });
});

after(async () => {
  await service.close();
  await bus.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const json = (method: string, path: string, body?: unknown, auth = true) =>
  fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${token}` } : asUser()) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

async function product(stock: number, price = 250): Promise<string> {
  const res = await json('POST', '/products', { name: 'pen', price, stock }, false);
  assert.equal(res.status, 201);
  return ((await res.json()) as { id: string }).id;
}

async function levels(id: string): Promise<{ stock: number; reserved: number }> {
  const body = (await (await fetch(`${url}/products/${id}`, { headers: asUser() })).json()) as { stock: number; reserved: number };
  return { stock: body.stock, reserved: body.reserved };
}

test('reserving holds stock, once per order however often it is asked', async () => {
  const id = await product(10);
  const first = await json('POST', '/reservations', { orderId: 'o-1', items: [{ productId: id, quantity: 3 }] });
  assert.equal(first.status, 201);
  assert.deepEqual(((await first.json()) as { total: number }).total, 750);
  const again = await json('POST', '/reservations', { orderId: 'o-1', items: [{ productId: id, quantity: 3 }] });
  assert.equal(again.status, 201);
  assert.deepEqual(await levels(id), { stock: 7, reserved: 3 });
});

test('out of stock is 409 and holds nothing; an unknown product is 404', async () => {
  const a = await product(5);
  const b = await product(1);
  const res = await json('POST', '/reservations', { orderId: 'o-2', items: [{ productId: a, quantity: 2 }, { productId: b, quantity: 2 }] });
  assert.equal(res.status, 409);
  assert.deepEqual(await levels(a), { stock: 5, reserved: 0 });
  const unknown = await json('POST', '/reservations', { orderId: 'o-3', items: [{ productId: '00000000-0000-4000-8000-000000000000', quantity: 1 }] });
  assert.equal(unknown.status, 404);
});

test('releasing gives stock back, and payment turns held units into sold ones', async () => {
  const id = await product(10);
  await json('POST', '/reservations', { orderId: 'o-4', items: [{ productId: id, quantity: 4 }] });
  assert.equal((await json('DELETE', '/reservations/o-4')).status, 200);
  assert.equal((await json('DELETE', '/reservations/o-4')).status, 200, 'releasing twice is fine');
  assert.deepEqual(await levels(id), { stock: 10, reserved: 0 });

  await json('POST', '/reservations', { orderId: 'o-5', items: [{ productId: id, quantity: 2 }] });
  const event = { type: 'payment.completed', data: { orderId: 'o-5', chargeId: 'c', amount: 500 } };
  await bus.publish(event);
  await bus.publish(event);
  const deadline = Date.now() + 10_000;
  while ((await levels(id)).reserved !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(await levels(id), { stock: 8, reserved: 0 }, 'the two sold units left both stock and reserved');
});

test('the reservation API needs a service token', async () => {
  const res = await json('POST', '/reservations', { orderId: 'o-6', items: [] }, false);
  assert.equal(res.status, 401);
});

test('nothing is served to a caller nobody vouched for', async () => {
  for (const [method, path] of [['POST', '/products'], ['GET', '/products/00000000-0000-4000-8000-000000000000']]) {
    const res = await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: method === 'POST' ? '{"name":"x","price":1,"stock":1}' : undefined });
    assert.equal(res.status, 401, `${method} ${path}`);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
  }
});

test('values the columns cannot hold are 400, and an order total no payment holds is refused', async () => {
  for (const body of [{ name: 'x', price: 2_147_483_648, stock: 1 }, { name: 'x', price: 1, stock: 2_147_483_648 }, { name: 'a\u0000b', price: 1, stock: 1 }]) {
    const res = await json('POST', '/products', body, false);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
  }
  const dear = await product(10, 2_147_483_647);
  const tooLarge = await json('POST', '/reservations', { orderId: 'o-7', items: [{ productId: dear, quantity: 2 }] });
  assert.equal(tooLarge.status, 400);
  assert.deepEqual(await levels(dear), { stock: 10, reserved: 0 }, 'nothing held');
  const twice = await json('POST', '/reservations', { orderId: 'o-8', items: [{ productId: dear, quantity: 1 }, { productId: dear, quantity: 1 }] });
  assert.equal(twice.status, 400);
  assert.equal((await json('DELETE', '/reservations/o%00')).status, 400);
});
