import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Service } from '@msx/runtime';
import { signServiceToken } from '@msx/runtime/auth';
import { createBus, type EventBus } from '@msx/runtime/bus';
import { buildService } from '../src/service.js';

const dataDir = mkdtempSync(join(tmpdir(), 'products-test-'));
process.env.MSX_DATA_DIR = dataDir;
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
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

async function product(stock: number, price = 250): Promise<string> {
  const res = await json('POST', '/products', { name: 'pen', price, stock }, false);
  assert.equal(res.status, 201);
  return ((await res.json()) as { id: string }).id;
}

async function levels(id: string): Promise<{ stock: number; reserved: number }> {
  const body = (await (await fetch(`${url}/products/${id}`)).json()) as { stock: number; reserved: number };
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
