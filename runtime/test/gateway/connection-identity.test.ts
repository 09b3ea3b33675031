import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { readGatewayIdentity } from '../../src/auth/index.js';
import type { Gateway } from '../../src/gateway/index.js';
import { authOptions, echo, fixedDiscovery, IDENTITY_SECRET, startGateway, startUpstream, token, type Upstream } from './fixtures/harness.js';

/** GETs over one keep-alive connection, so the gateway's per-connection token memory is in play. */
function oneConnection(base: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const ports = new Set<number>();
  return {
    ports,
    close: () => agent.destroy(),
    get(path: string, authorization: string) {
      return new Promise<{ status: number; headers: Record<string, string> }>((resolve, reject) => {
        http
          .get(`${base}${path}`, { agent, headers: { authorization } }, (res) => {
            ports.add(res.socket.localPort!);
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (body += chunk));
            res.on('end', () => resolve({ status: res.statusCode!, headers: res.statusCode === 200 ? (JSON.parse(body) as { headers: Record<string, string> }).headers : {} }));
          })
          .on('error', reject);
      });
    },
  };
}

describe('gateway: the token of each request decides, also on a reused connection', () => {
  let upstream: Upstream;
  let gateway: Gateway;
  let base: string;

  before(async () => {
    upstream = await startUpstream(echo);
    ({ gateway, url: base } = await startGateway({
      routes: [{ path: '/api/orders', to: '/orders', service: 'orders' }],
      discovery: fixedDiscovery({ orders: [upstream.url] }),
      auth: { ...authOptions, clockToleranceSec: 0 },
    }));
  });

  after(async () => {
    await gateway.close();
    await upstream.close();
  });

  it('switching tokens on one connection: each request gets its own identity or its own refusal', async () => {
    const client = oneConnection(base);
    try {
      const alice = `Bearer ${await token({ sub: 'alice' })}`;
      const bob = `Bearer ${await token({ sub: 'bob' })}`;
      const forged = `Bearer ${await token({ sub: 'alice' }, { secret: 'not-the-secret-0123456789abcdef' })}`;
      const subjects: (string | number)[] = [];
      for (const authorization of [alice, alice, forged, bob, alice]) {
        const res = await client.get('/api/orders', authorization);
        subjects.push(res.status === 200 ? readGatewayIdentity(res.headers, IDENTITY_SECRET)!.sub : res.status);
      }
      assert.deepEqual(subjects, ['alice', 'alice', 401, 'bob', 'alice']);
      assert.equal(client.ports.size, 1, 'all requests went over one connection');
    } finally {
      client.close();
    }
  });

  it('a token that expires while its connection stays open is refused from then on', async () => {
    const client = oneConnection(base);
    try {
      // At least a full second ahead: `+ 1` alone could land a few ms away and expire before the first request.
      const exp = Math.floor(Date.now() / 1000) + 2;
      const shortLived = `Bearer ${await token({ sub: 'carol', exp })}`;
      assert.equal((await client.get('/api/orders', shortLived)).status, 200);
      await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 50));
      assert.equal((await client.get('/api/orders', shortLived)).status, 401);
      assert.equal(client.ports.size, 1, 'both requests went over one connection');
    } finally {
      client.close();
    }
  });
});
