import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Service } from '@msx/runtime';
import { signGatewayIdentity } from '@msx/runtime/auth';
import { buildService } from '../src/service.js';

// Orders runs for real (database, bus, saga, event store); users, products
// and payments are one small fake that records every call it gets.
const dataDir = mkdtempSync(join(tmpdir(), 'orders-test-'));
const identitySecret = randomBytes(48).toString('base64url');
Object.assign(process.env, { MSX_DATA_DIR: dataDir, GATEWAY_IDENTITY_SECRET: identitySecret, MSX_SERVICE_TOKEN_SECRET: randomBytes(48).toString('base64url') });

const calls: string[] = [];
/** While true, the fake users answers 503, as a users that is down behind a proxy would. */
let usersDown = false;
let fake: Server;
let service: Service;
let url: string;

before(async () => {
  fake = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c)).on('end', () => {
      calls.push(`${req.method} ${req.url}`);
      const send = (status: number, value: unknown) => res.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' }).end(JSON.stringify(value));
      if (req.url?.startsWith('/users/')) {
        if (usersDown) return send(503, { status: 503, title: 'Service Unavailable' });
        return req.url.endsWith('/ghost') ? send(404, { status: 404, title: 'Not Found' }) : send(200, { id: 'u', email: 'uma@example.com', name: 'Uma', active: true });
      }
      if (req.url === '/reservations') {
        const { items } = JSON.parse(body) as { items: { quantity: number }[] };
        const quantity = items.reduce((n, i) => n + i.quantity, 0);
        return quantity > 10 ? send(409, { status: 409, title: 'Out of stock' }) : send(201, { total: quantity * 60_000 });
      }
      if (req.url?.startsWith('/reservations/')) return send(200, { released: 1 });
      if (req.url === '/charges') return (JSON.parse(body) as { amount: number }).amount > 100_000 ? send(402, { status: 402, title: 'Payment declined' }) : send(201, { id: 'c', status: 'captured' });
      if (req.url === '/refunds') return send(200, { refunded: 1 });
      send(404, { status: 404 });
    });
  });
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
  const address = fake.address() as { port: number };
  const upstream = `http://127.0.0.1:${address.port}`;
  service = await buildService({
    ...process.env,
    DATABASE_URL: 'embedded:memory',
    MSX_BUS_URL: 'embedded',
    MSX_SERVICE_USERS_URLS: upstream,
    MSX_SERVICE_PRODUCTS_URLS: upstream,
    MSX_SERVICE_PAYMENTS_URLS: upstream,
  });
  ({ url } = await service.listen({ port: 0, handleSignals: false }));
});

after(async () => {
  await service.close();
  await new Promise((resolve) => fake.close(resolve));
  rmSync(dataDir, { recursive: true, force: true });
});

function asUser(sub: string): Record<string, string> {
  const signed = signGatewayIdentity({ sub, scopes: [], exp: Math.floor(Date.now() / 1000) + 300, claims: { sub } }, identitySecret);
  return { 'x-msx-identity': signed.identity, 'x-msx-identity-signature': signed.signature, 'content-type': 'application/json' };
}

const order = (sub: string, quantity: number) =>
  fetch(`${url}/orders`, { method: 'POST', headers: asUser(sub), body: JSON.stringify({ items: [{ productId: '00000000-0000-4000-8000-000000000001', quantity }] }) });

test('an order runs the saga to confirmed', async () => {
  const res = await order('u-1', 1);
  assert.equal(res.status, 201);
  const body = (await res.json()) as { id: string; status: string; total: number };
  assert.deepEqual({ status: body.status, total: body.total }, { status: 'confirmed', total: 60_000 });

  const got = (await (await fetch(`${url}/orders/${body.id}`, { headers: asUser('u-1') })).json()) as { history: { type: string }[]; userId: string };
  assert.equal(got.userId, 'u-1');
  assert.deepEqual(got.history.map((h) => h.type), ['OrderCreated', 'OrderConfirmed']);
});

test('a declined payment is compensated: refund, release, cancelled with 402', async () => {
  calls.length = 0;
  const res = await order('u-1', 2);
  assert.equal(res.status, 402);
  const body = (await res.json()) as { id: string; status: string; reason: string };
  assert.equal(body.status, 'cancelled');
  assert.match(body.reason, /declined/);
  assert.ok(calls.includes(`DELETE /reservations/${body.id}`), 'stock released');
  assert.ok(!calls.includes('POST /refunds'), 'nothing to refund: the charge never applied');
  const got = (await (await fetch(`${url}/orders/${body.id}`, { headers: asUser('u-1') })).json()) as { history: { type: string }[] };
  assert.deepEqual(got.history.map((h) => h.type), ['OrderCreated', 'OrderCancelled']);
});

test('out of stock is 409 and an unknown user 404, both cancelled', async () => {
  const stock = await order('u-1', 11);
  assert.equal(stock.status, 409);
  assert.equal(((await stock.json()) as { status: string }).status, 'cancelled');
  const ghost = await order('ghost', 1);
  assert.equal(ghost.status, 404);
});

test('a user reads only their own orders: another user\'s is 404, an admin reads any', async () => {
  const res = await order('u-1', 1);
  const { id } = (await res.json()) as { id: string };
  assert.equal((await fetch(`${url}/orders/${id}`, { headers: asUser('u-2') })).status, 404);
  const admin = signGatewayIdentity({ sub: 'root', scopes: ['admin'], exp: Math.floor(Date.now() / 1000) + 300, claims: { sub: 'root' } }, identitySecret);
  assert.equal((await fetch(`${url}/orders/${id}`, { headers: { 'x-msx-identity': admin.identity, 'x-msx-identity-signature': admin.signature } })).status, 200);
  assert.equal((await fetch(`${url}/orders/${id}`)).status, 401);
  assert.equal((await fetch(`${url}/orders/a%00b`, { headers: asUser('u-1') })).status, 404);
});

test('repeated lines of one product are merged into one', async () => {
  const productId = '00000000-0000-4000-8000-000000000001';
  calls.length = 0;
  const res = await fetch(`${url}/orders`, { method: 'POST', headers: asUser('u-1'), body: JSON.stringify({ items: Array.from({ length: 100 }, () => ({ productId, quantity: 1 })) }) });
  assert.equal(res.status, 409, 'one line of 100 units: more than the fake has');
  const { id } = (await res.json()) as { id: string };
  const got = (await (await fetch(`${url}/orders/${id}`, { headers: asUser('u-1') })).json()) as { items: { productId: string; quantity: number }[] };
  assert.deepEqual(got.items, [{ productId, quantity: 100 }]);
});

test('orders need the gateway\'s identity', async () => {
  const res = await fetch(`${url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"items":[]}' });
  assert.equal(res.status, 401);
});

interface Details {
  userName: string | null;
  degraded?: { fields: string[]; reason: string; source: string };
}

test('order details name the buyer; with users down, the last known name, marked degraded', async () => {
  const { id } = (await (await order('u-1', 1)).json()) as { id: string };
  const live = (await (await fetch(`${url}/orders/${id}`, { headers: asUser('u-1') })).json()) as Details;
  assert.equal(live.userName, 'Uma');
  assert.equal(live.degraded, undefined);

  usersDown = true;
  try {
    const res = await fetch(`${url}/orders/${id}`, { headers: asUser('u-1') });
    assert.equal(res.status, 200, 'the order answers while users is down');
    const kept = (await res.json()) as Details;
    assert.equal(kept.userName, 'Uma');
    assert.deepEqual(kept.degraded, { fields: ['userName'], reason: 'unavailable', source: 'last-good' });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /msx_client_fallbacks_total\{[^}]*callee="users"[^}]*reason="unavailable"[^}]*\} [1-9]/);
  } finally {
    usersDown = false;
  }
});
