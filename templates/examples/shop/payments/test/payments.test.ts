import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Service } from '@msx/runtime';
import { signServiceToken } from '@msx/runtime/auth';
import { buildService } from '../src/service.js';

const dataDir = mkdtempSync(join(tmpdir(), 'payments-test-'));
process.env.MSX_DATA_DIR = dataDir;
process.env.MSX_SERVICE_TOKEN_SECRET = randomBytes(48).toString('base64url');
let service: Service;
let url: string;
let token: string;

before(async () => {
  service = await buildService({ ...process.env, DATABASE_URL: 'embedded:memory', MSX_BUS_URL: 'embedded' });
  ({ url } = await service.listen({ port: 0, handleSignals: false }));
  token = await signServiceToken({ issuer: 'orders', audience: 'payments' });
});

after(async () => {
  await service.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const call = (path: string, body: unknown, key?: string) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...(key ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify(body),
  });

const charges = async (orderId: string) =>
  (await (await fetch(`${url}/charges?orderId=${orderId}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { status: string }[];

test('a charge with one idempotency key is applied once', async () => {
  const first = await call('/charges', { orderId: 'o-1', userId: 'u', amount: 1200 }, 'o-1:charge');
  assert.equal(first.status, 201);
  const again = await call('/charges', { orderId: 'o-1', userId: 'u', amount: 1200 }, 'o-1:charge');
  assert.equal(again.status, 201);
  assert.equal(((await again.json()) as { id: string }).id, ((await first.json()) as { id: string }).id);
  assert.equal((await charges('o-1')).length, 1);
});

test('charges above 100000 cents are declined with 402, every time', async () => {
  const res = await call('/charges', { orderId: 'o-2', userId: 'u', amount: 100_001 }, 'o-2:charge');
  assert.equal(res.status, 402);
  assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
  assert.equal((await call('/charges', { orderId: 'o-2', userId: 'u', amount: 100_001 }, 'o-2:charge')).status, 402);
  assert.equal((await call('/charges', { orderId: 'o-3', userId: 'u', amount: 100_000 }, 'o-3:charge')).status, 201);
});

test('a refund refunds the order\'s captured charges once', async () => {
  await call('/charges', { orderId: 'o-4', userId: 'u', amount: 500 }, 'o-4:charge');
  const refund = await call('/refunds', { orderId: 'o-4' }, 'o-4:charge:compensation');
  assert.deepEqual(await refund.json(), { orderId: 'o-4', refunded: 1 });
  const again = await call('/refunds', { orderId: 'o-4' }, 'o-4:charge:compensation');
  assert.deepEqual(await again.json(), { orderId: 'o-4', refunded: 0 });
  assert.deepEqual((await charges('o-4')).map((c) => c.status), ['refunded']);
});

test('a charge without an idempotency key or a service token is refused', async () => {
  assert.equal((await call('/charges', { orderId: 'o-5', userId: 'u', amount: 1 })).status, 400);
  const anonymous = await fetch(`${url}/charges`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(anonymous.status, 401);
});

test('values the columns cannot hold are 400, never 500', async () => {
  const huge = await call('/charges', { orderId: 'o-9', userId: 'u', amount: 2_147_483_648 }, 'o-9:charge');
  assert.equal(huge.status, 400);
  assert.match(huge.headers.get('content-type') ?? '', /application\/problem\+json/);
  assert.equal((await call('/charges', { orderId: 'o-\u0000', userId: 'u', amount: 1 }, 'o-10:charge')).status, 400);
  assert.equal((await fetch(`${url}/charges?orderId=a%00`, { headers: { authorization: `Bearer ${token}` } })).status, 400);
});

test('payments answers only other services', async () => {
  const res = await fetch(`${url}/charges?orderId=o-1`);
  assert.equal(res.status, 401);
  assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
});
