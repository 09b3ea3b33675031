import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'undici';
import { createPolicyStack, createServiceClient, TimeoutError } from '../../src/client/index.js';
import { json, startInstances } from './fixtures/instances.js';

const dispatcher = new Agent();
after(() => dispatcher.close());

/** A service that never answers `/hang` (the fixture closes the sockets at the end). */
async function hangingUsers() {
  return startInstances(1, 'users', (req, res) => (req.url === '/hang' ? undefined : json(res, 200, {})));
}

test('an attempt that outlives timeoutMs is a TimeoutError', async (t) => {
  const users = await hangingUsers();
  t.after(() => users.close());
  const client = createServiceClient({ from: 'orders', discovery: users.discovery, dispatcher, tokens: false, policy: { retry: false } });
  const err = await client.get('users', '/hang', { timeoutMs: 100 }).catch((e: unknown) => e);
  assert.ok(err instanceof TimeoutError, `expected a TimeoutError, got ${String(err)}`);
  assert.equal(err.code, 'TIMEOUT');
  assert.equal(err.timeoutMs, 100);
  assert.equal(err.retryable, true);
  // The balancer saw the attempt end: nothing is left in flight.
  assert.equal(client.options.balancer.stats(users.list[0]!.instance).inFlight, 0);
});

test('a timed-out GET is retried; a timed-out POST is not', async (t) => {
  const users = await hangingUsers();
  t.after(() => users.close());
  const policy = createPolicyStack({ timeoutMs: 80, retry: { maxRetries: 2, initialDelayMs: 5, maxDelayMs: 10 }, breaker: { consecutiveFailures: 100 } });
  const client = createServiceClient({ from: 'orders', discovery: users.discovery, dispatcher, tokens: false, policy });
  await assert.rejects(client.get('users', '/hang'), TimeoutError);
  assert.deepEqual(users.hits(), [3]);
  await assert.rejects(client.post('users', '/hang', {}), TimeoutError);
  assert.deepEqual(users.hits(), [4]);
});

test('a caller abort is not turned into a timeout and stops retries', async (t) => {
  const users = await hangingUsers();
  t.after(() => users.close());
  const client = createServiceClient({ from: 'orders', discovery: users.discovery, dispatcher, tokens: false, policy: { timeoutMs: 10_000 } });
  const controller = new AbortController();
  const call = client.get('users', '/hang', { signal: controller.signal });
  while (users.hits()[0] === 0) await new Promise((r) => setTimeout(r, 5));
  controller.abort();
  const err = await call.catch((e: unknown) => e);
  assert.equal((err as Error).name, 'AbortError', `expected the abort, got ${String(err)}`);
  assert.deepEqual(users.hits(), [1]);
});
