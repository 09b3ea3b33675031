import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { SignJWT, UnsecuredJWT } from 'jose';
import { readGatewayIdentity, verifyGatewayHeaders } from '../../src/auth/index.js';
import { authOptions, AUDIENCE, echo, fixedDiscovery, IDENTITY_SECRET, ISSUER, SECRET, startGateway, startUpstream, token, type Upstream } from './fixtures/harness.js';
import type { Gateway } from '../../src/gateway/index.js';

interface Echo {
  url: string;
  headers: Record<string, string>;
}

describe('gateway authentication over HTTP', () => {
  let upstream: Upstream;
  let gateway: Gateway;
  let base: string;

  before(async () => {
    upstream = await startUpstream(echo);
    ({ gateway, url: base } = await startGateway({
      realm: 'msx-test',
      routes: [
        { path: '/api/orders', to: '/orders', service: 'orders' },
        { path: '/api/catalog', to: '/catalog', service: 'orders', public: true },
      ],
      discovery: fixedDiscovery({ orders: [upstream.url] }),
      auth: authOptions,
    }));
  });

  after(async () => {
    await gateway.close();
    await upstream.close();
  });

  async function get(path: string, authorization?: string) {
    const res = await fetch(base + path, { headers: authorization === undefined ? {} : { authorization } });
    const body = (await res.json()) as Record<string, unknown>;
    return { res, body };
  }

  async function assertInvalidToken(authorization: string, code: string) {
    const { res, body } = await get('/api/orders/1', authorization);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    const challenge = res.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /^Bearer realm="msx-test", error="invalid_token", error_description="[^"]+"$/);
    assert.equal(body.status, 401);
    assert.equal(body.code, code);
    assert.equal(typeof body.requestId, 'string');
  }

  it('401 without a token, with a challenge that has no error attribute', async () => {
    const { res, body } = await get('/api/orders/1');
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="msx-test"');
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    assert.equal(body.type, 'https://msx.dev/problems/unauthenticated');
    assert.equal(body.code, 'missing');
  });

  it('401 with a bad signature', async () => {
    await assertInvalidToken(`Bearer ${await token({}, { secret: 'not-the-secret-0123456789abcdef' })}`, 'signature');
  });

  it('401 with an expired token', async () => {
    const expired = await new SignJWT({ sub: 'u1' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 300)
      .sign(new TextEncoder().encode(SECRET));
    await assertInvalidToken(`Bearer ${expired}`, 'expired');
  });

  it('401 with alg none', async () => {
    const none = new UnsecuredJWT({ sub: 'u1', iss: ISSUER, aud: AUDIENCE }).setExpirationTime('1h').encode();
    await assertInvalidToken(`Bearer ${none}`, 'algorithm');
  });

  it('401 with a wrong audience', async () => {
    await assertInvalidToken(`Bearer ${await token({}, { audience: 'someone-else' })}`, 'claim');
  });

  it('200 with a valid token; the upstream gets the rewritten path and an identity it can verify', async () => {
    const t = await token({ sub: 'alice', scopes: ['orders:read'] });
    for (let i = 0; i < 2; i++) {
      // The second request is answered from the verification cache.
      const res = await fetch(`${base}/api/orders/7?x=1`, {
        headers: { authorization: `Bearer ${t}`, 'x-msx-identity': 'forged', 'x-msx-identity-signature': 'v1=forged', 'x-request-id': `req-${i}` },
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-request-id'), `req-${i}`);
      const seen = (await res.json()) as Echo;
      assert.equal(seen.url, '/orders/7?x=1');
      assert.equal(seen.headers['x-request-id'], `req-${i}`);
      assert.match(seen.headers.traceparent ?? '', /^00-[\da-f]{32}-[\da-f]{16}-01$/);
      assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
      assert.equal(seen.headers['x-forwarded-proto'], 'http');
      assert.equal(seen.headers['x-forwarded-host'], new URL(base).host);
      const identity = readGatewayIdentity(seen.headers, IDENTITY_SECRET);
      assert.equal(identity?.sub, 'alice');
      assert.deepEqual(identity?.scopes, ['orders:read']);
    }
  });

  it('public routes answer without a token and forward the signed anonymous identity, never the client\'s', async () => {
    const res = await fetch(`${base}/api/catalog/items`, { headers: { 'x-msx-identity': 'forged', 'x-msx-identity-signature': 'v1=forged' } });
    assert.equal(res.status, 200);
    const seen = (await res.json()) as Echo;
    assert.equal(seen.url, '/catalog/items');
    assert.notEqual(seen.headers['x-msx-identity'], 'forged');
    // The service can tell the gateway sent it, and that no user is behind it.
    const assertion = verifyGatewayHeaders(seen.headers, IDENTITY_SECRET);
    assert.equal(assertion.kind, 'anonymous');
    assert.ok(assertion.kind === 'anonymous' && assertion.exp > Date.now() / 1000 && assertion.exp <= Date.now() / 1000 + 31, 'short-lived');
    assert.equal(readGatewayIdentity(seen.headers, IDENTITY_SECRET), undefined);
  });

  it('public routes ignore a bad token but pass on the identity of a good one', async () => {
    const bad = await fetch(`${base}/api/catalog/items`, { headers: { authorization: 'Bearer nonsense' } });
    assert.equal(bad.status, 200);
    assert.equal(verifyGatewayHeaders(((await bad.json()) as Echo).headers, IDENTITY_SECRET).kind, 'anonymous');
    const good = await fetch(`${base}/api/catalog/items`, { headers: { authorization: `Bearer ${await token({ sub: 'bob' })}` } });
    assert.equal(readGatewayIdentity(((await good.json()) as Echo).headers, IDENTITY_SECRET)?.sub, 'bob');
  });

  it('the same path without the public flag needs a token', async () => {
    assert.equal((await get('/api/orders')).res.status, 401);
    assert.equal((await fetch(`${base}/api/catalog`)).status, 200);
  });

  it('404 and 400 as problem+json', async () => {
    const notFound = await fetch(`${base}/nowhere`);
    assert.equal(notFound.status, 404);
    assert.equal(notFound.headers.get('content-type'), 'application/problem+json');
    // fetch would resolve the dot segments itself; node:http sends the path as written.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const { hostname, port } = new URL(base);
      http.get({ hostname, port, path: '/api/catalog/%2e%2e/orders' }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on('error', reject);
    });
    assert.equal(status, 400);
    const wrongMethod = await fetch(`${base}/api/orders`, { method: 'DELETE' });
    assert.equal(wrongMethod.status, 401, 'routes without methods take every method');
  });
});
