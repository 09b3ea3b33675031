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
