import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startGatewayProcess, startRedisServer, type Child } from './fixtures/child-processes.js';
import { echo, startUpstream, type Upstream } from './fixtures/harness.js';

const SHARED_REDIS = 'redis://127.0.0.1:6379';

async function call(url: string): Promise<{ status: number; remaining: string | null }> {
  const res = await fetch(`${url}/api/x`);
  await res.arrayBuffer();
  return { status: res.status, remaining: res.headers.get('ratelimit-remaining') };
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describe('rate limits shared by two gateway processes through Redis', () => {
  let upstream: Upstream;
  let gateways: (Child & { url: string })[] = [];
  const keyPrefix = `msx-test:gateway:${process.pid}:${Date.now()}`;

  before(async () => {
    const probe = new Redis(SHARED_REDIS, { lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await probe.connect();
      await probe.ping();
    } catch (err) {
      throw new Error(`These tests need the Redis server at ${SHARED_REDIS}: ${(err as Error).message}`);
    } finally {
      probe.disconnect();
    }
    upstream = await startUpstream(echo);
    const config = { upstream: upstream.url, redisUrl: SHARED_REDIS, keyPrefix, group: { points: 5, durationSec: 60, by: 'ip' } };
    gateways = await Promise.all([startGatewayProcess(config), startGatewayProcess(config)]);
  });

  after(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await upstream?.close();
    const redis = new Redis(SHARED_REDIS, { maxRetriesPerRequest: 0 });
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('spends one budget across both processes', async () => {
    const [a, b] = gateways as [Child & { url: string }, Child & { url: string }];
    const results = [];
    for (const url of [a.url, b.url, a.url, b.url, a.url, b.url, a.url]) results.push(await call(url));
    // Two separate in-process budgets of 5 would have let all seven through.
    assert.deepEqual(
      results.map((r) => r.status),
      [200, 200, 200, 200, 200, 429, 429],
    );
    assert.deepEqual(
      results.slice(0, 5).map((r) => r.remaining),
      ['4', '3', '2', '1', '0'],
    );
    assert.equal(await metric(a.url, 'gateway_ratelimit_store_errors_total'), 0);
  });

  it('drains and exits 0 on SIGTERM', async () => {
    for (const g of gateways) {
      g.process.kill('SIGTERM');
      assert.equal(await g.exited, 0);
    }
  });
});

describe('rate limits fail open when Redis stops mid-test', () => {
  let upstream: Upstream;
  let redis: Child & { url: string };
  let gateways: (Child & { url: string })[] = [];

  before(async () => {
    upstream = await startUpstream(echo);
    redis = await startRedisServer();
    const config = { upstream: upstream.url, redisUrl: redis.url, keyPrefix: 'msx-test:failopen', group: { points: 3, durationSec: 60, by: 'ip' } };
    gateways = await Promise.all([startGatewayProcess(config), startGatewayProcess(config)]);
  });

  after(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await redis?.stop();
    await upstream?.close();
  });

  it('keeps serving on local budgets, counts the store errors and warns without per-request spam', async () => {
    const [a, b] = gateways as [Child & { url: string }, Child & { url: string }];
    const before = [await call(a.url), await call(b.url), await call(a.url), await call(b.url)];
    assert.deepEqual(before.map((r) => r.status), [200, 200, 200, 429], 'Redis shares one budget of 3 while it runs');

    await redis.stop(); // SIGKILL: the store disappears without goodbye.

    const during = [];
    for (const url of [a.url, b.url, a.url, b.url, a.url, b.url]) during.push(await call(url));
    // Each process now enforces its own budget of 3: six calls, three per process, all served.
    assert.deepEqual(during.map((r) => r.status), [200, 200, 200, 200, 200, 200]);
    assert.ok(during.every((r) => r.remaining !== null), 'RateLimit headers are still sent');

    const errorsA = await metric(a.url, 'gateway_ratelimit_store_errors_total');
    const errorsB = await metric(b.url, 'gateway_ratelimit_store_errors_total');
    assert.ok(errorsA >= 3 && errorsB >= 3, `store errors counted: ${errorsA}, ${errorsB}`);
    assert.equal((await fetch(`${a.url}/health`)).status, 200);
    const ready = (await (await fetch(`${a.url}/ready`)).json()) as { ready: boolean; rateLimitStore: string };
    assert.equal(ready.ready, true, 'a dead rate-limit store does not make the gateway unready');
    assert.notEqual(ready.rateLimitStore, 'ready');

    for (const g of [a, b]) {
      const warnings = g.output().split('\n').filter((l) => l.includes('"level":40') && l.includes('Rate-limit store'));
      assert.ok(warnings.length >= 1, 'the failure is logged');
      assert.ok(warnings.length <= 2, `warnings are rate-limited, got ${warnings.length}:\n${warnings.join('\n')}`);
    }
  });
});
