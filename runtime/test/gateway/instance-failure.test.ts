import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { fixedDiscovery, freePort, startGateway, startUpstream } from './fixtures/harness.js';

const upstreamScript = fileURLToPath(new URL('./fixtures/upstream-process.mjs', import.meta.url));

interface UpstreamProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Request ids the instance received before it died. */
  received(): Set<string>;
  kill(): Promise<void>;
}

async function startUpstreamProcess(name: string): Promise<UpstreamProcess> {
  const child = spawn(process.execPath, [upstreamScript, name], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${out}`)), 10_000);
    child.stdout!.on('data', () => {
      const match = /READY (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    received: () => new Set([...out.matchAll(/GOT (\S+)/g)].map((m) => m[1]!)),
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

interface Result {
  readonly id: string;
  readonly status: number;
  readonly reason?: string;
}

describe('gateway with one of three instances killed', () => {
  it('no 503 while two instances are healthy; refused connections go to another instance; only requests in flight on the killed one fail', async (t) => {
    const instances = await Promise.all(['orders-1', 'orders-2', 'orders-3'].map(startUpstreamProcess));
    t.after(() => Promise.all(instances.map((i) => i.kill())));
    const { gateway, url: base } = await startGateway({
      routes: [{ path: '/api/orders', to: '/orders', service: 'orders', public: true }],
      discovery: fixedDiscovery({ orders: instances.map((i) => i.url) }),
    });
    t.after(() => gateway.close());

    const total = 450;
    const concurrency = 6;
    const killAfter = 120;
    const victim = instances[1]!;
    const results: Result[] = [];
    let next = 0;
    let killed: Promise<void> | undefined;
    const body = JSON.stringify({ items: 'x'.repeat(512) });
    async function worker(w: number): Promise<void> {
      while (next < total) {
        const n = next++;
        const id = `req-${w}-${n}`;
        // GETs and POSTs alike: a refused connection never reached a service, so even a POST goes to another instance.
        const post = n % 2 === 0;
        const res = await fetch(`${base}/api/orders`, {
          method: post ? 'POST' : 'GET',
          headers: { 'x-request-id': id, ...(post ? { 'content-type': 'application/json' } : {}) },
          ...(post ? { body } : {}),
          signal: AbortSignal.timeout(10_000),
        });
        const text = await res.text();
        results.push({ id, status: res.status, ...(res.status >= 500 ? { reason: (JSON.parse(text) as { reason?: string }).reason } : {}) });
        if (results.length === killAfter) killed = victim.kill();
      }
    }
    await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
    await killed;

    assert.equal(results.length, total);
    const failed = results.filter((r) => r.status >= 400);
    // A request fails only if the killed instance had taken it: it printed its id, or it was in flight there at most
    // once per client worker (one request each at the moment of the kill).
    assert.ok(failed.length <= concurrency, `failed: ${JSON.stringify(failed)}`);
    const receivedByVictim = victim.received();
    for (const f of failed) {
      assert.equal(f.status, 502, `only a request cut on the killed instance may fail, and never with a 503: ${JSON.stringify(f)}`);
      assert.equal(f.reason, 'failed');
    }
    assert.ok(failed.filter((f) => !receivedByVictim.has(f.id)).length <= concurrency);
    assert.equal(results.filter((r) => r.status === 503).length, 0);

    const ready = (await (await fetch(`${base}/ready`)).json()) as { upstreams: { service: string; instances: number; ejected: number; circuit: string }[] };
    assert.deepEqual(ready.upstreams[0], { service: 'orders', instances: 3, ejected: 1, circuit: 'closed' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const retries = Number(/gateway_upstream_retries_total\{service="orders"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    assert.ok(retries >= 1, 'the first request routed to the dead instance after the kill was refused and sent to another');
  });

  it('a POST whose instance refuses the connection is sent to another instance, and the refusing instance is ejected', async (t) => {
    const live = await Promise.all([1, 2].map(() => startUpstream((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}'));
    })));
    t.after(() => Promise.all(live.map((u) => u.close())));
    const dead = `http://127.0.0.1:${await freePort()}`;
    const { gateway, url: base } = await startGateway({
      routes: [{ path: '/api/orders', to: '/orders', service: 'orders', public: true }],
      // Round-robin starts with the dead one, so the first request meets the refusal.
      discovery: fixedDiscovery({ orders: [dead, ...live.map((u) => u.url)] }),
      breaker: { consecutiveFailures: 1, halfOpenAfterMs: 60_000 },
    });
    t.after(() => gateway.close());
    for (let i = 0; i < 9; i += 1) {
      const res = await fetch(`${base}/api/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":1}' });
      assert.equal(res.status, 201, `request ${i + 1}: ${await res.text()}`);
    }
    const ready = (await (await fetch(`${base}/ready`)).json()) as { upstreams: { ejected: number; circuit: string }[] };
    assert.equal(ready.upstreams[0]!.ejected, 1);
    // Even with a breaker that opens at the first counted failure: the service was never down.
    assert.equal(ready.upstreams[0]!.circuit, 'closed');
    assert.match(await (await fetch(`${base}/metrics`)).text(), /gateway_upstream_retries_total\{service="orders"\} 1\b/);
  });

  it('with every instance refusing, a request fails after trying three of them, and the circuit opens once all are failing', async (t) => {
    const dead = await Promise.all([1, 2, 3].map(async () => `http://127.0.0.1:${await freePort()}`));
    const { gateway, url: base } = await startGateway({
      routes: [{ path: '/api/orders', to: '/orders', service: 'orders', public: true }],
      discovery: fixedDiscovery({ orders: dead }),
      breaker: { consecutiveFailures: 2, halfOpenAfterMs: 60_000 },
    });
    t.after(() => gateway.close());
    const first = await fetch(`${base}/api/orders`, { method: 'POST', body: '{}' });
    assert.equal(first.status, 503);
    assert.equal(((await first.json()) as { reason: string }).reason, 'unavailable');
    assert.match(await (await fetch(`${base}/metrics`)).text(), /gateway_upstream_retries_total\{service="orders"\} 2\b/);
    await fetch(`${base}/api/orders`);
    const refused = await fetch(`${base}/api/orders`);
    assert.equal(((await refused.json()) as { reason: string }).reason, 'circuit-open');
  });
});
