import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Service } from '@msx/runtime';
import { gatewayIdentityHeaders } from '@msx/runtime/auth';
import { createBus, type EventBus } from '@msx/runtime/bus';
import { buildService } from '../src/service.js';

const dataDir = mkdtempSync(join(tmpdir(), 'notifications-test-'));
process.env.MSX_DATA_DIR = dataDir;
// The gateway's key: the tests call as the gateway does, with a signed identity.
process.env.GATEWAY_IDENTITY_SECRET = randomBytes(48).toString('base64url');
const as = (sub: string, scopes: string[] = []) => ({ headers: gatewayIdentityHeaders({ sub, scopes }) });
let service: Service;
let url: string;
let bus: EventBus;

before(async () => {
  service = await buildService({ ...process.env, DATABASE_URL: 'embedded:memory', MSX_BUS_URL: 'embedded' });
  ({ url } = await service.listen({ port: 0, handleSignals: false }));
  bus = await createBus({ service: 'users', url: 'embedded' });
});

after(async () => {
  await service.close();
  await bus.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function notificationsOf(userId: string, count: number): Promise<{ kind: string }[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const list = (await (await fetch(`${url}/notifications?userId=${userId}`, as(userId))).json()) as { kind: string }[];
    if (list.length >= count || Date.now() > deadline) return list;
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('events become notifications, each once', async () => {
  const created = { type: 'user.created', id: 'evt-welcome-1', data: { id: 'u-1', email: 'a@x.io', name: 'Ann' } };
  await bus.publish(created);
  await bus.publish(created); // redelivered: still one welcome
  await bus.publish({ type: 'order.created', data: { orderId: 'o-1', userId: 'u-1' } });
  await bus.publish({ type: 'order.cancelled', data: { orderId: 'o-1', userId: 'u-1', reason: 'declined' } });
  const list = await notificationsOf('u-1', 3);
  assert.deepEqual(list.map((n) => n.kind).sort(), ['order-cancelled', 'order-received', 'welcome']);
});

test('each user gets exactly one welcome', async () => {
  await bus.publish({ type: 'user.created', data: { id: 'u-2', email: 'b@x.io', name: 'Bob' } });
  await bus.publish({ type: 'user.created', data: { id: 'u-2', email: 'b@x.io', name: 'Bob' } });
  await notificationsOf('u-2', 1);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await notificationsOf('u-2', 1)).filter((n) => n.kind === 'welcome').length, 1);
});

test('a user reads only their own notifications; an admin reads anyone\'s', async () => {
  await bus.publish({ type: 'user.created', data: { id: 'u-3', email: 'c@x.io', name: 'Cy' } });
  await notificationsOf('u-3', 1);
  const mine = (await (await fetch(`${url}/notifications`, as('u-3'))).json()) as { kind: string }[];
  assert.deepEqual(mine.map((n) => n.kind), ['welcome'], 'userId defaults to the caller');
  const other = await fetch(`${url}/notifications?userId=u-3`, as('u-4'));
  assert.equal(other.status, 403);
  assert.match(other.headers.get('content-type') ?? '', /application\/problem\+json/);
  assert.equal((await fetch(`${url}/notifications?userId=u-3`, as('u-4', ['admin']))).status, 200);
});

test('bad queries are 400, and nobody unverified reads anything', async () => {
  assert.equal((await fetch(`${url}/notifications?userId=a%00b`, as('a\u0000b'))).status, 400);
  assert.equal((await fetch(`${url}/notifications?userId=`, as('u-1'))).status, 400);
  const direct = await fetch(`${url}/notifications?userId=u-1`);
  assert.equal(direct.status, 401);
  assert.match(direct.headers.get('www-authenticate') ?? '', /^Bearer/);
});
