import assert from 'node:assert/strict';
import net from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Gateway } from '../../src/gateway/index.js';
import { fixedDiscovery, startGateway, startUpstream, type Upstream } from './fixtures/harness.js';

/** Every raw connection a test opened, destroyed after each test whatever its outcome (so a failing test still ends). */
const opened = new Set<net.Socket>();

/** A raw connection to the gateway, and what it answered so far. */
function rawClient(base: string) {
  const { port } = new URL(base);
  const socket = net.connect(Number(port), '127.0.0.1');
  opened.add(socket);
  socket.on('error', () => {});
  let answer = '';
  socket.on('data', (c: Buffer) => (answer += c.toString()));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    answer: () => answer,
    closed,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface UpstreamView {
  service: string;
  instances: number;
  ejected: number;
  circuit: string;
}

async function upstream(base: string): Promise<UpstreamView> {
  const ready = (await (await fetch(`${base}/ready`)).json()) as { upstreams: UpstreamView[] };
  return ready.upstreams[0]!;
}

describe('gateway faults of the client’s making', { timeout: 60_000 }, () => {
  let service: Upstream;
  let gateway: Gateway;
  let base: string;

  before(async () => {
    service = await startUpstream((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}'));
    });
    ({ gateway, url: base } = await startGateway({
      routes: [{ path: '/api/orders', to: '/orders', service: 'orders', public: true, timeoutMs: 300 }],
      discovery: fixedDiscovery({ orders: [service.url] }),
      // One counted failure would open it: these tests show none is counted.
      breaker: { consecutiveFailures: 1, halfOpenAfterMs: 60_000 },
      headersTimeoutMs: 1_000,
      requestTimeoutMs: 2_000,
    }));
  });

  afterEach(() => {
    for (const socket of opened) socket.destroy();
    opened.clear();
  });

  after(async () => {
    await gateway.close();
    await service.close();
  });

  it('a client that trickles its headers gets 408 within the configured header timeout', async () => {
    const client = rawClient(base);
    client.socket.write('GET /api/orders HTTP/1.1\r\nHost: gateway\r\n');
    // Bounded: 25 header lines 200 ms apart (5 s); Node's default would let this run for a minute or more.
    for (let i = 0; i < 25 && !client.socket.destroyed && client.answer() === ''; i += 1) {
      client.socket.write(`X-Trickle-${i}: x\r\n`);
      await sleep(200);
    }
    assert.match(client.answer(), /^HTTP\/1\.1 408 /);
    client.socket.destroy();
  });

  it('a body sent slower than the route timeout still reaches the service; one slower than the request timeout gets 408; neither is charged', async () => {
    // 10 bytes every 100 ms: the body takes a second, the route allows 300 ms for the upstream's answer (which starts once it is sent).
    const slow = rawClient(base);
    slow.socket.write('POST /api/orders HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n');
    for (let i = 0; i < 10 && slow.answer() === ''; i += 1) {
      slow.socket.write('x'.repeat(10));
      await sleep(100);
    }
    await Promise.race([slow.closed, sleep(3_000)]);
    assert.match(slow.answer(), /^HTTP\/1\.1 201 /, slow.answer());
    slow.socket.destroy();

    // 10 bytes every 300 ms for a 1,000-byte body: far past the 2 s request timeout (bounded to 30 writes, 9 s).
    const slower = rawClient(base);
    slower.socket.write('POST /api/orders HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n');
    for (let i = 0; i < 30 && slower.answer() === '' && !slower.socket.destroyed; i += 1) {
      slower.socket.write('x'.repeat(10));
      await sleep(300);
    }
    await Promise.race([slower.closed, sleep(3_000)]);
    assert.match(slower.answer(), /^HTTP\/1\.1 408 /, slower.answer());
    slower.socket.destroy();
    await sleep(50);
    assert.deepEqual(await upstream(base), { service: 'orders', instances: 1, ejected: 0, circuit: 'closed' });
    assert.equal((await fetch(`${base}/api/orders`, { method: 'POST', body: '{}' })).status, 201);
  });

  it('a client that leaves in the middle of its body charges neither the instance nor the breaker', async () => {
    for (let round = 0; round < 6; round += 1) {
      const client = rawClient(base);
      client.socket.write('POST /api/orders HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n');
      client.socket.write('x'.repeat(1000));
      await sleep(30);
      client.socket.destroy();
      await client.closed;
    }
    await sleep(50);
    assert.deepEqual(await upstream(base), { service: 'orders', instances: 1, ejected: 0, circuit: 'closed' });
    assert.equal((await fetch(`${base}/api/orders`, { method: 'POST', body: '{}' })).status, 201);
  });

  it('a body over the route limit (sent chunked) gets 413 and charges nothing', async () => {
    const { gateway: small, url } = await startGateway({
      routes: [{ path: '/api/orders', to: '/orders', service: 'orders', public: true, bodyLimit: 1024 }],
      discovery: fixedDiscovery({ orders: [service.url] }),
      breaker: { consecutiveFailures: 1, halfOpenAfterMs: 60_000 },
    });
    try {
      for (let round = 0; round < 3; round += 1) {
        const client = rawClient(url);
        client.socket.write('POST /api/orders HTTP/1.1\r\nHost: gateway\r\nTransfer-Encoding: chunked\r\n\r\n');
        client.socket.write(`800\r\n${'x'.repeat(2048)}\r\n0\r\n\r\n`);
        await Promise.race([client.closed, sleep(3_000)]);
        assert.match(client.answer(), /^HTTP\/1\.1 413 /);
        client.socket.destroy();
      }
      assert.deepEqual(await upstream(url), { service: 'orders', instances: 1, ejected: 0, circuit: 'closed' });
    } finally {
      await small.close();
    }
  });

  it('rejects timeouts that Node would refuse, at start', async () => {
    await assert.rejects(
      startGateway({ routes: [], discovery: fixedDiscovery({}), headersTimeoutMs: 5_000, requestTimeoutMs: 1_000 }),
      /requestTimeoutMs/,
    );
  });
});
