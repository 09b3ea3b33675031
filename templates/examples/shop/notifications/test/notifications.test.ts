import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Service } from '@msx/runtime';
import { createBus, type EventBus } from '@msx/runtime/bus';
import { buildService } from '../src/service.js';

const dataDir = mkdtempSync(join(tmpdir(), 'notifications-test-'));
process.env.MSX_DATA_DIR = dataDir;
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
    const list = (await (await fetch(`${url}/notifications?userId=${userId}`)).json()) as { kind: string }[];
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

test('the list needs a userId', async () => {
  assert.equal((await fetch(`${url}/notifications`)).status, 400);
});
