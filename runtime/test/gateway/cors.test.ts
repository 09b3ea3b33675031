import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Gateway } from '../../src/gateway/index.js';
import { authOptions, echo, fixedDiscovery, startGateway, startUpstream, token, type Upstream } from './fixtures/harness.js';

describe('gateway CORS over HTTP', () => {
  let upstream: Upstream;
  let gateway: Gateway;
  let base: string;
  let upstreamCalls = 0;

  before(async () => {
    upstream = await startUpstream((req, res) => {
      upstreamCalls += 1;
      echo(req, res);
    });
    ({ gateway, url: base } = await startGateway({
      routes: [{ path: '/api', to: '/', service: 's' }],
      discovery: fixedDiscovery({ s: [upstream.url] }),
      auth: authOptions,
      cors: { origins: ['https://app.example.com'], credentials: true, maxAgeSec: 120 },
    }));
  });

  after(async () => {
    await gateway.close();
    await upstream.close();
  });

  it('answers an allowed preflight at the gateway, without a token', async () => {
    const res = await fetch(`${base}/api/orders`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://app.example.com');
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    assert.match(res.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.equal(res.headers.get('access-control-allow-headers'), 'authorization, content-type');
    assert.equal(res.headers.get('access-control-max-age'), '120');
    assert.equal(upstreamCalls, 0);
  });

  it('gives a refused origin no allow headers', async () => {
    const res = await fetch(`${base}/api/orders`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' },
    });
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    assert.equal(res.headers.get('access-control-allow-methods'), null);
  });

  it('adds allow and expose headers to actual responses, errors included', async () => {
    const ok = await fetch(`${base}/api/orders`, { headers: { origin: 'https://app.example.com', authorization: `Bearer ${await token()}` } });
    await ok.arrayBuffer();
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), 'https://app.example.com');
    assert.match(ok.headers.get('access-control-expose-headers') ?? '', /x-request-id/);
    const denied = await fetch(`${base}/api/orders`, { headers: { origin: 'https://app.example.com' } });
    await denied.arrayBuffer();
    assert.equal(denied.status, 401);
    assert.equal(denied.headers.get('access-control-allow-origin'), 'https://app.example.com');
  });
});
