import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Gateway } from '../../src/gateway/index.js';
import { echo, fixedDiscovery, freePort, startGateway, startUpstream, type Upstream } from './fixtures/harness.js';

describe('gateway upstream failures over HTTP', () => {
  let slow: Upstream;
  let healthy: Upstream;
  let garbled: net.Server;
  let gateway: Gateway;
  let base: string;
  const discovery = fixedDiscovery({});
  const pendingSlow = new Set<() => void>();

  before(async () => {
    healthy = await startUpstream(echo);
    // Never answers until the test ends.
    slow = await startUpstream((req, res) => {
      pendingSlow.add(() => res.destroy());
    });
    // Answers with a control character in a header value: not HTTP, so the gateway must not pass it on.
    garbled = net.createServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nX-Bad: a\u0001b\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok'));
    });
    await new Promise<void>((resolve) => garbled.listen(0, '127.0.0.1', resolve));
    discovery.set('garbled', [`http://127.0.0.1:${(garbled.address() as net.AddressInfo).port}`]);
    const deadPort = await freePort();
    discovery.set('down', [`http://127.0.0.1:${deadPort}`]);
    discovery.set('slow', [slow.url]);
    discovery.set('healthy', [healthy.url]);
    discovery.set('empty', []);
    ({ gateway, url: base } = await startGateway({
      routes: [
        { path: '/down', to: '/', service: 'down', public: true },
        { path: '/slow', to: '/', service: 'slow', public: true, timeoutMs: 200 },
        { path: '/healthy', to: '/', service: 'healthy', public: true },
        { path: '/empty', to: '/', service: 'empty', public: true },
        { path: '/garbled', to: '/', service: 'garbled', public: true },
      ],
      discovery,
      breaker: { consecutiveFailures: 3, halfOpenAfterMs: 60_000 },
    }));
  });

  after(async () => {
    for (const destroy of pendingSlow) destroy();
    await gateway.close();
    await Promise.all([slow.close(), healthy.close(), new Promise((resolve) => garbled.close(resolve))]);
  });

  async function problem(path: string) {
    const res = await fetch(base + path);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    return { status: res.status, body: (await res.json()) as { status: number; reason: string; service: string; type: string } };
  }

  it('503 when the upstream refuses connections', async () => {
    const { status, body } = await problem('/down/x');
    assert.equal(status, 503);
    assert.equal(body.reason, 'unavailable');
    assert.equal(body.service, 'down');
  });

  it('opens the circuit after repeated failures and then answers 503 without calling', async () => {
    // One failure above; two more reach the threshold of 3.
    assert.equal((await problem('/down/x')).body.reason, 'unavailable');
    assert.equal((await problem('/down/x')).body.reason, 'unavailable');
    const { status, body } = await problem('/down/x');
    assert.equal(status, 503);
    assert.equal(body.reason, 'circuit-open');
    const ready = (await (await fetch(`${base}/ready`)).json()) as { upstreams: { service: string; circuit: string }[] };
    assert.equal(ready.upstreams.find((u) => u.service === 'down')?.circuit, 'open');
  });

  it('504 when the upstream does not answer within the route timeout', async () => {
    const { status, body } = await problem('/slow/x');
    assert.equal(status, 504);
    assert.equal(body.reason, 'timeout');
    assert.equal(body.type, 'https://msx.dev/problems/upstream-timeout');
  });

  it('502 when the upstream answers with a malformed header', async () => {
    const { status, body } = await problem('/garbled');
    assert.equal(status, 502);
    assert.equal(body.reason, 'failed');
  });

  it('503 when the service has no healthy instance', async () => {
    const { status, body } = await problem('/empty/x');
    assert.equal(status, 503);
    assert.equal(body.reason, 'no-instance');
  });

  it('a failing service does not affect another one', async () => {
    assert.equal((await fetch(`${base}/healthy/x`)).status, 200);
  });

  it('/ready stays 200 while a routed service has no instance, and reports every upstream in its body and in /metrics', async () => {
    // One crash-looping service must not take the whole API out of a load balancer's rotation.
    const ready = await fetch(`${base}/ready`);
    assert.equal(ready.status, 200);
    const state = (await ready.json()) as { status: string; upstreams: { service: string; instances: number; ejected: number; circuit: string }[] };
    assert.equal(state.status, 'ready');
    assert.deepEqual(state.upstreams.find((u) => u.service === 'empty'), { service: 'empty', instances: 0, ejected: 0, circuit: 'closed' });
    assert.deepEqual(state.upstreams.find((u) => u.service === 'healthy'), { service: 'healthy', instances: 1, ejected: 0, circuit: 'closed' });
    // The refusing instance was ejected at its first refusal; its service's only instance, so its circuit opened too.
    assert.deepEqual(state.upstreams.find((u) => u.service === 'down'), { service: 'down', instances: 1, ejected: 1, circuit: 'open' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /gateway_upstream_errors_total\{service="slow",kind="timeout"\} 1/);
    assert.match(metrics, /gateway_upstream_errors_total\{service="down",kind="circuit-open"\} 1/);
    assert.match(metrics, /gateway_requests_total\{route="\/healthy",service="healthy",status="200"\} 1/);
    assert.match(metrics, /gateway_request_duration_seconds_bucket\{le="[\d.]+",route="\/slow",service="slow",status="504"\}/);
    assert.match(metrics, /gateway_upstream_instances\{service="empty",state="admitted"\} 0/);
    assert.match(metrics, /gateway_upstream_instances\{service="healthy",state="admitted"\} 1/);
    assert.match(metrics, /gateway_upstream_instances\{service="down",state="ejected"\} 1/);
    assert.match(metrics, /gateway_upstream_circuit_open\{service="down"\} 1/);
    assert.match(metrics, /gateway_upstream_circuit_open\{service="healthy"\} 0/);
    const health = await fetch(`${base}/health`);
    assert.equal(health.status, 200);
  });
});

describe('gateway circuit recovery over HTTP', () => {
  it('after the open period one trial reaches the service again, and its success closes the circuit', async (t) => {
    // The service is down at first and comes back later (discovery then lists a live instance).
    const port = await freePort();
    const discovery = fixedDiscovery({ flaky: [`http://127.0.0.1:${port}`] });
    const { gateway, url: base } = await startGateway({
      routes: [{ path: '/flaky', to: '/', service: 'flaky', public: true }],
      discovery,
      breaker: { consecutiveFailures: 2, halfOpenAfterMs: 300 },
      balancer: { outlierEjection: false },
    });
    t.after(() => gateway.close());
    const reason = async () => {
      const res = await fetch(`${base}/flaky/x`);
      return res.status === 200 ? 'ok' : ((await res.json()) as { reason: string }).reason;
    };
    assert.equal(await reason(), 'unavailable');
    assert.equal(await reason(), 'unavailable');
    assert.equal(await reason(), 'circuit-open');

    let calls = 0;
    const revived = await startUpstream((req, res) => {
      calls += 1;
      echo(req, res);
    });
    t.after(() => revived.close());
    discovery.set('flaky', [revived.url]);
    // Still open: answered without calling the (now healthy) service.
    assert.equal(await reason(), 'circuit-open');
    assert.equal(calls, 0);
    await new Promise((resolve) => setTimeout(resolve, 350));
    assert.equal(await reason(), 'ok');
    assert.equal(calls, 1);
    assert.equal(await reason(), 'ok');
    const ready = (await (await fetch(`${base}/ready`)).json()) as { upstreams: { service: string; circuit: string }[] };
    assert.equal(ready.upstreams.find((u) => u.service === 'flaky')?.circuit, 'closed');
  });
});
