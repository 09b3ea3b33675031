import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startWorkService } from './fixtures.js';
import { msx, tempDir } from '../support/msx.js';

interface Row {
  service: string;
  instances: number;
  unreachable: number;
  requestsPerSecond: number;
  errorRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  inFlight: number | null;
  memoryBytes: number | null;
}


test('msx metrics --json measures real services from the registry file while they take traffic', { timeout: 60_000 }, async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const orders = await startWorkService('orders');
  const users = await startWorkService('users');
  t.after(() => Promise.all([orders.service.close(), users.service.close()]));
  mkdirSync(join(dir, '.msx'));
  writeFileSync(
    join(dir, '.msx', 'registry.json'),
    JSON.stringify({ services: { orders: [{ id: 'orders-1', url: orders.url, ready: true }], users: [{ id: 'users-1', url: users.url, ready: true }] } }),
  );

  const running = msx(['-C', dir, 'metrics', '--json', '--window', '1']);
  let done = false;
  void running.finally(() => (done = true));
  let sent = 0;
  while (!done && sent < 5000) {
    await fetch(`${orders.url}/work`).then((r) => r.arrayBuffer());
    sent++;
  }
  const result = await running;
  assert.equal(result.exitCode, 0, result.stderr);
  const rows = JSON.parse(result.stdout) as Row[];
  assert.deepEqual(rows.map((r) => r.service), ['orders', 'users']);
  const [o, u] = rows as [Row, Row];
  assert.ok(o.requestsPerSecond > 0, `orders took traffic: ${JSON.stringify(o)}`);
  assert.ok(o.errorRate !== null && o.errorRate > 0.1 && o.errorRate < 0.4, `about a quarter failed: ${o.errorRate}`);
  assert.ok(o.p50Ms !== null && o.p95Ms !== null && o.p99Ms !== null && o.p50Ms <= o.p95Ms && o.p95Ms <= o.p99Ms);
  assert.equal(typeof o.inFlight, 'number');
  assert.ok(o.memoryBytes !== null && o.memoryBytes > 10 * 1024 * 1024);
  assert.equal(o.unreachable, 0);
  assert.equal(u.requestsPerSecond, 0);
  assert.equal(u.errorRate, null, 'no requests, no error rate');
  assert.equal(u.p50Ms, null);

  const one = await msx(['-C', dir, 'metrics', 'users', '--window', '0.2']);
  assert.equal(one.exitCode, 0, one.stderr);
  assert.match(one.stdout, /^service\s+inst\s+req\/s\s+errors\s+p50\s+p95\s+p99\s+in-flight\s+memory\s+lag/m);
  assert.match(one.stdout, /^users\s+1\s+0\.0\s+-/m);
  assert.doesNotMatch(one.stdout, /^orders/m);

  const unknown = await msx(['-C', dir, 'metrics', 'billing', '--window', '0.2']);
  assert.equal(unknown.exitCode, 2);
  assert.match(unknown.stderr, /running services: orders, users/);
});

test('msx metrics without running instances says how to start them', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const result = await msx(['-C', dir, 'metrics']);
  assert.equal(result.exitCode, 1);
  assert.match(result.stderr, /no running instances found/);
  assert.match(result.stderr, /msx up -d/);
});
