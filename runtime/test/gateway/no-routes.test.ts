import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createGatewayFromConfig } from '../../src/gateway/index.js';

// A system of workers only (msx new x --services mailer:worker) still has a gateway.
test('a gateway with no routes starts, is ready, and answers 404 problem+json elsewhere', async () => {
  const gateway = createGatewayFromConfig(
    { name: 'gateway', port: 0, routes: [], auth: { algorithms: ['HS256'] }, rateLimits: { default: { points: 10, durationSec: 1, by: 'ip' } }, cors: { origins: [] }, services: {} },
    { JWT_SECRET: 'x'.repeat(48), GATEWAY_IDENTITY_SECRET: 'y'.repeat(48) },
  );
  const address = await gateway.listen({ port: 0, host: '127.0.0.1', handleSignals: false });
  try {
    const base = `http://127.0.0.1:${address.port}`;
    assert.equal((await fetch(`${base}/health`)).status, 200);
    assert.equal((await fetch(`${base}/ready`)).status, 200);
    const other = await fetch(`${base}/api/anything`);
    assert.equal(other.status, 404);
    assert.match(other.headers.get('content-type') ?? '', /application\/problem\+json/);
  } finally {
    await gateway.close();
  }
});

test('without JWT_SECRET the generated gateway refuses to start with one clear line', () => {
  assert.throws(
    () => createGatewayFromConfig({ name: 'gateway', port: 0, routes: [], auth: { algorithms: ['HS256'] }, rateLimits: {}, cors: { origins: [] }, services: {} }, {}),
    (error: Error & { exitCode?: number }) => error.exitCode === 78 && /JWT_SECRET must be set/.test(error.message),
  );
});

test('JWT_JWKS_URL overrides the key-set URL of msx.yaml, and a malformed one stops the start with one clear line', async () => {
  const config = { name: 'gateway', port: 0, routes: [{ path: '/api', to: '/', service: 'api' }], auth: { algorithms: ['RS256' as const], jwksUrl: 'http://127.0.0.1:1/from-yaml' }, rateLimits: {}, cors: { origins: [] }, services: { api: 'http://127.0.0.1:1' } };
  const env = { GATEWAY_IDENTITY_SECRET: 'y'.repeat(48) };
  assert.throws(
    () => createGatewayFromConfig(config, { ...env, JWT_JWKS_URL: 'not a url' }),
    (error: Error & { exitCode?: number }) => error.exitCode === 78 && /JWT_JWKS_URL must be an http\(s\) URL/.test(error.message),
  );
  // A key-set server that records which path it was asked for.
  const { createServer } = await import('node:http');
  const asked: string[] = [];
  const jwks = createServer((req, res) => {
    asked.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}');
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  const { port } = jwks.address() as { port: number };
  const gateway = createGatewayFromConfig(config, { ...env, JWT_JWKS_URL: `http://127.0.0.1:${port}/from-env` });
  const address = await gateway.listen({ port: 0, host: '127.0.0.1', handleSignals: false });
  try {
    // A token from a key the (empty) set does not hold: 401, after the gateway fetched the set from the environment's URL.
    const token = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1MSJ9.c2ln';
    const res = await fetch(`http://127.0.0.1:${address.port}/api/x`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 401);
    assert.deepEqual(asked, ['/from-env']);
  } finally {
    await gateway.close();
    await new Promise((resolve) => jwks.close(resolve));
  }
});
