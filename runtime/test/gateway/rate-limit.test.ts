import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Gateway } from '../../src/gateway/index.js';
import { authOptions, echo, fixedDiscovery, startGateway, startUpstream, token, type Upstream } from './fixtures/harness.js';

describe('gateway rate limits (in-process store) over HTTP', () => {
  let upstream: Upstream;
  let gateway: Gateway;
  let base: string;

  before(async () => {
    upstream = await startUpstream(echo);
    ({ gateway, url: base } = await startGateway({
      routes: [
        { path: '/ip', to: '/', service: 's', public: true, rateLimit: 'perIp' },
        { path: '/user', to: '/', service: 's', rateLimit: 'perUser' },
        { path: '/free', to: '/', service: 's', public: true },
      ],
      discovery: fixedDiscovery({ s: [upstream.url] }),
      auth: authOptions,
      rateLimits: { perIp: { points: 3, durationSec: 60, by: 'ip' }, perUser: { points: 2, durationSec: 60, by: 'subject' } },
    }));
  });

  after(async () => {
    await gateway.close();
    await upstream.close();
  });

  it('counts down RateLimit-Remaining and answers 429 with Retry-After past the limit', async () => {
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${base}/ip/x`);
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      assert.equal(res.headers.get('ratelimit-limit'), '3');
      assert.equal(res.headers.get('ratelimit-policy'), '3;w=60');
      assert.match(res.headers.get('ratelimit-reset') ?? '', /^\d+$/);
      remaining.push(res.headers.get('ratelimit-remaining') ?? '');
    }
    assert.deepEqual(remaining, ['2', '1', '0']);
    const refused = await fetch(`${base}/ip/x`);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('content-type'), 'application/problem+json');
    assert.equal(refused.headers.get('ratelimit-remaining'), '0');
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    const body = (await refused.json()) as { status: number; type: string };
    assert.equal(body.status, 429);
    assert.equal(body.type, 'https://msx.dev/problems/rate-limited');
  });

  it('keys subject groups by token subject, so two users have separate budgets', async () => {
    const alice = `Bearer ${await token({ sub: 'alice' })}`;
    const bob = `Bearer ${await token({ sub: 'bob' })}`;
    const statuses: number[] = [];
    for (const authorization of [alice, alice, alice, bob]) {
      const res = await fetch(`${base}/user/x`, { headers: { authorization } });
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    assert.deepEqual(statuses, [200, 200, 429, 200]);
  });

  it('counts rejections in /metrics and leaves routes without a group unlimited', async () => {
    const res = await fetch(`${base}/free/x`);
    await res.arrayBuffer();
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('ratelimit-limit'), null);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /gateway_ratelimit_rejections_total\{group="perIp"\} 1/);
    assert.match(metrics, /gateway_ratelimit_rejections_total\{group="perUser"\} 1/);
  });
});
