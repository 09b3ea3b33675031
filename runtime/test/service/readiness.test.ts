import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ReadinessReport } from '../../src/index.js';
import { startService } from './harness.js';

async function ready(url: string): Promise<{ status: number; body: ReadinessReport }> {
  const res = await fetch(`${url}/ready`);
  return { status: res.status, body: (await res.json()) as ReadinessReport };
}

test('/health answers 200 {status:"ok"}', async (t) => {
  const { url } = await startService(t);
  const res = await fetch(`${url}/health`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: 'ok' });
});

test('/ready is 200 with each dependency up, 503 while one is down, 200 again after it recovers', async (t) => {
  let databaseUp = true;
  const { url } = await startService(t, {}, (s) => {
    s.readiness.add('database', async () => {
      if (!databaseUp) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    });
    s.readiness.add('cache', () => true);
  });
  let r = await ready(url);
  assert.equal(r.status, 200);
  assert.equal(r.body.status, 'ready');
  assert.equal(r.body.checks.database?.status, 'up');
  assert.equal(r.body.checks.cache?.status, 'up');

  databaseUp = false;
  r = await ready(url);
  assert.equal(r.status, 503);
  assert.equal(r.body.status, 'not_ready');
  assert.equal(r.body.checks.database?.status, 'down');
  assert.match(r.body.checks.database?.error ?? '', /ECONNREFUSED/);
  assert.equal(r.body.checks.cache?.status, 'up');

  databaseUp = true;
  r = await ready(url);
  assert.equal(r.status, 200);
  assert.equal(r.body.checks.database?.status, 'up');
});

test('a check that returns false or hangs past its timeout counts as down', async (t) => {
  const { url } = await startService(t, {}, (s) => {
    s.readiness.add('bus', () => false);
    s.readiness.add('slow', () => new Promise(() => {}), { timeoutMs: 50 });
  });
  const r = await ready(url);
  assert.equal(r.status, 503);
  assert.equal(r.body.checks.bus?.status, 'down');
  assert.equal(r.body.checks.slow?.status, 'down');
  assert.match(r.body.checks.slow?.error ?? '', /timed out after 50 ms/);
});

test('readiness turns 503 "shutting_down" as soon as shutdown begins, while a request is still in flight', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let arrived = false;
  const { service, url } = await startService(t, {}, (s) =>
    s.app.get('/work', async (_req, res) => {
      arrived = true;
      await gate;
      res.json({ done: true });
    }),
  );
  // Keep-alive connection opened before shutdown, reused for /ready during it.
  const inflight = fetch(`${url}/work`);
  while (!arrived) await new Promise((resolve) => setTimeout(resolve, 5));
  const closed = service.close();
  assert.equal(service.closing, true);
  const report = await service.readiness.report();
  assert.equal(report.status, 'shutting_down');
  release();
  const res = await inflight;
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('connection'), 'close', 'the busy connection is told to close');
  await res.arrayBuffer();
  await closed;
});

test('registering a check twice is refused', async (t) => {
  const { service } = await startService(t);
  service.readiness.add('db', () => true);
  assert.throws(() => service.readiness.add('db', () => true), /already registered/);
});

test('a worker service with no routes still serves /health, /ready and /metrics, and closes its loops', async (t) => {
  let ticks = 0;
  let stopped = false;
  const { service, url } = await startService(t, { name: 'mailer' }, (s) => {
    const loop = setInterval(() => ticks++, 5);
    s.onClose('loop', () => {
      clearInterval(loop);
      stopped = true;
    });
  });
  assert.equal((await fetch(`${url}/health`)).status, 200);
  assert.equal((await ready(url)).status, 200);
  const metrics = await fetch(`${url}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /process_cpu_user_seconds_total\{service="mailer"\}/);
  const other = await fetch(`${url}/anything`);
  assert.equal(other.status, 404);
  await other.arrayBuffer();
  await service.close();
  assert.equal(stopped, true);
  const after = ticks;
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(ticks, after, 'the loop stopped');
});

test('with SHUTDOWN_DELAY_MS, new connections are still accepted during the delay and see /ready 503', async (t) => {
  const { service, url } = await startService(t, { env: { SHUTDOWN_DELAY_MS: '400' } });
  const closed = service.close();
  // A fresh connection (no keep-alive pool) during the delay.
  const res = await fetch(`${url}/ready`, { headers: { connection: 'close' } });
  assert.equal(res.status, 503);
  assert.equal(((await res.json()) as ReadinessReport).status, 'shutting_down');
  await closed;
  await assert.rejects(fetch(`${url}/health`, { headers: { connection: 'close' } }), 'refused once the delay is over');
});
