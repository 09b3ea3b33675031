import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'undici';
import { createServiceTokenIssuer, verifyServiceToken } from '../../src/auth/index.js';
import { createServiceClient } from '../../src/client/index.js';
import { startInstances } from './fixtures/instances.js';

const SECRET = 'service-secret-for-tests-0123456789abcdef';
const dispatcher = new Agent();
after(() => dispatcher.close());

const INCOMING = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

test('forRequest propagates X-Request-ID, a child traceparent, tracestate and a service token for the callee', async (t) => {
  const users = await startInstances(1);
  t.after(() => users.close());
  const client = createServiceClient({
    from: 'orders',
    discovery: users.discovery,
    dispatcher,
    tokens: createServiceTokenIssuer({ service: 'orders', secret: SECRET }),
  });
  const incoming = { id: 'req-1', headers: { traceparent: INCOMING, tracestate: 'vendor=1' } };
  await client.forRequest(incoming).service('users').get('/users/42', { query: { expand: 'roles', skip: undefined } });

  const seen = users.list[0]!.requests[0]!;
  assert.equal(seen.url, '/users/42?expand=roles');
  assert.equal(seen.headers['x-request-id'], 'req-1');
  assert.equal(seen.headers.tracestate, 'vendor=1');
  const [version, traceId, parentId, flags] = String(seen.headers.traceparent).split('-');
  assert.equal(version, '00');
  assert.equal(traceId, '4bf92f3577b34da6a3ce929d0e0e4736', 'same trace');
  assert.notEqual(parentId, '00f067aa0ba902b7', 'a new span for this call');
  assert.match(parentId!, /^[0-9a-f]{16}$/);
  assert.equal(flags, '01');

  const token = /^Bearer (.+)$/.exec(String(seen.headers.authorization))?.[1];
  assert.ok(token, 'a bearer token is sent');
  const identity = await verifyServiceToken(token, { audience: 'users', secret: SECRET, allowedIssuers: ['orders'] });
  assert.equal(identity.service, 'orders');
});

test('without an incoming trace a new one is started; the context option feeds calls; no secret means no token', async (t) => {
  const users = await startInstances(1);
  t.after(() => users.close());
  const client = createServiceClient({
    from: 'orders',
    discovery: users.discovery,
    dispatcher,
    env: {},
    context: () => ({ requestId: 'from-context' }),
  });
  await client.get('users', '/a');
  const seen = users.list[0]!.requests[0]!;
  assert.match(String(seen.headers.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  assert.equal(seen.headers['x-request-id'], 'from-context');
  assert.equal(seen.headers.authorization, undefined);
});

test('bad call options are coded errors that name the option', async (t) => {
  const users = await startInstances(1);
  t.after(() => users.close());
  const client = createServiceClient({ from: 'orders', discovery: users.discovery, dispatcher, tokens: false });
  await assert.rejects(client.get('users', 'users/1'), (e: unknown) => (e as { code?: string }).code === 'CLIENT_CONFIG_INVALID' && /`path`.*"users\/1"/.test((e as Error).message));
  assert.throws(
    () => createServiceClient({ from: '', discovery: users.discovery }),
    (e: unknown) => (e as { code?: string }).code === 'CLIENT_CONFIG_INVALID' && /`from`/.test((e as Error).message),
  );
  assert.throws(
    () => createServiceClient({ from: 'orders', discovery: users.discovery, policy: { retry: { maxRetries: -1 } } }),
    (e: unknown) => (e as { code?: string }).code === 'CLIENT_CONFIG_INVALID' && /`retry.maxRetries`.*-1/.test((e as Error).message),
  );
  assert.deepEqual(users.hits(), [0]);
});
