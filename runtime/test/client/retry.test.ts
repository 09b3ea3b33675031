import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'undici';
import { createServiceClient, createPolicyStack, type ServiceCallError, HttpStatusError, ConnectionError } from '../../src/client/index.js';
import { createStaticDiscovery } from '../../src/discovery/index.js';
import { deadUrl, json, startInstances } from './fixtures/instances.js';

const dispatcher = new Agent();
after(() => dispatcher.close());

/** Short backoffs so retries do not slow the suite; a fresh stack per test so breakers do not carry over. */
function clientFor(discovery: Parameters<typeof createServiceClient>[0]['discovery'], policy = createPolicyStack({ retry: { initialDelayMs: 5, maxDelayMs: 20 }, breaker: { consecutiveFailures: 100 } })) {
  return createServiceClient({ from: 'orders', discovery, dispatcher, tokens: false, policy });
}

const is = (code: string, status?: number) => (err: unknown) =>
  (err as ServiceCallError).code === code && (status === undefined || (err as HttpStatusError).status === status);

test('GET is retried on 503 and succeeds once the service recovers', async (t) => {
  const users = await startInstances(1, 'users', (_req, res, hit) => (hit < 3 ? json(res, 503, { title: 'Unavailable' }) : json(res, 200, { id: 42 })));
  t.after(() => users.close());
  const res = await clientFor(users.discovery).get<{ id: number }>('users', '/users/42');
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { id: 42 });
  assert.deepEqual(users.hits(), [3]);
});

test('GET gives up after maxRetries with the last HttpStatusError', async (t) => {
  const users = await startInstances(1, 'users', (_req, res) => json(res, 502, { title: 'Bad Gateway' }));
  t.after(() => users.close());
  await assert.rejects(clientFor(users.discovery).get('users', '/users/42'), is('HTTP_STATUS', 502));
  assert.deepEqual(users.hits(), [3]);
});

test('POST is not retried on 503', async (t) => {
  const users = await startInstances(1, 'users', (_req, res) => json(res, 503, { title: 'Unavailable' }));
  t.after(() => users.close());
  await assert.rejects(clientFor(users.discovery).post('users', '/users', { name: 'a' }), is('HTTP_STATUS', 503));
  assert.deepEqual(users.hits(), [1]);
});

test('POST with an Idempotency-Key is retried, and the key is sent on every attempt', async (t) => {
  const users = await startInstances(1, 'users', (_req, res, hit) => (hit === 1 ? json(res, 503, {}) : json(res, 201, { id: 7 })));
  t.after(() => users.close());
  const res = await clientFor(users.discovery).post('users', '/users', { name: 'a' }, { idempotencyKey: 'k-123' });
  assert.equal(res.status, 201);
  assert.deepEqual(users.hits(), [2]);
  assert.deepEqual(users.list[0]!.requests.map((r) => r.headers['idempotency-key']), ['k-123', 'k-123']);
  assert.equal(users.list[0]!.requests[0]!.headers['content-type'], 'application/json');
});

test('4xx are never retried, and the problem body is parsed onto the error', async (t) => {
  const problem = { type: 'about:blank', title: 'Not Found', status: 404, detail: 'no user 42' };
  const users = await startInstances(1, 'users', (req, res) => (req.url === '/busy' ? json(res, 409, {}) : json(res, 404, problem)));
  t.after(() => users.close());
  const client = clientFor(users.discovery);
  const err = await client.get('users', '/users/42').then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof HttpStatusError);
  assert.equal(err.code, 'HTTP_STATUS');
  assert.equal(err.status, 404);
  assert.equal(err.retryable, false);
  assert.deepEqual(err.problem, problem);
  assert.equal(err.instance?.id, 'users-1');
  await assert.rejects(client.put('users', '/busy', {}), is('HTTP_STATUS', 409));
  assert.deepEqual(users.hits(), [2]);
});

test('Retry-After is honoured: the retry waits what the service asked for', async (t) => {
  const users = await startInstances(1, 'users', (_req, res, hit) => (hit === 1 ? json(res, 429, {}, { 'retry-after': '1' }) : json(res, 200, {})));
  t.after(() => users.close());
  const policy = createPolicyStack({ retry: { initialDelayMs: 5, maxDelayMs: 20 } });
  const delays: number[] = [];
  const listener = policy.retry!.onRetry((e) => delays.push(e.delay));
  t.after(() => listener.dispose());
  const res = await clientFor(users.discovery, policy).get('users', '/limited');
  assert.equal(res.status, 200);
  assert.deepEqual(delays, [1000]);
});

test('a Retry-After beyond maxRetryAfterMs is not waited for: the 429 reaches the caller with retryAfterMs', async (t) => {
  const users = await startInstances(1, 'users', (_req, res) => json(res, 429, {}, { 'retry-after': '120' }));
  t.after(() => users.close());
  const err = await clientFor(users.discovery).get('users', '/limited').catch((e: unknown) => e);
  assert.ok(err instanceof HttpStatusError);
  assert.equal(err.status, 429);
  assert.equal(err.retryable, true);
  assert.equal(err.retryAfterMs, 120_000);
  assert.deepEqual(users.hits(), [1]);
});

test('connection errors are retried on another instance for GET, not for POST', async (t) => {
  const users = await startInstances(1);
  t.after(() => users.close());
  const dead = await deadUrl();
  // Round-robin starts with the dead instance, so the first attempt always fails to connect.
  const discovery = createStaticDiscovery({ services: { users: [dead, users.list[0]!.instance.url] } });
  const client = clientFor(discovery);
  const res = await client.get('users', '/users/1');
  assert.equal(res.status, 200);
  assert.equal(res.instance.id, 'users-2');

  const onlyDead = createStaticDiscovery({ services: { users: [dead] } });
  const err = await clientFor(onlyDead).post('users', '/users', {}).catch((e: unknown) => e);
  assert.ok(err instanceof ConnectionError);
  assert.equal(err.code, 'CONNECTION');
  assert.equal(err.retryable, true);
  assert.equal(err.systemCode, 'ECONNREFUSED');
});

test('no instance is a NoInstanceError, not retried', async () => {
  const err = await clientFor(createStaticDiscovery({ env: {} })).get('users', '/x').catch((e: unknown) => e);
  assert.equal((err as ServiceCallError).code, 'NO_INSTANCE');
  assert.equal((err as ServiceCallError).retryable, false);
});
