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

test('deadlineMs bounds the whole call: retries stop, the attempt in flight is aborted, the error is a TimeoutError of the deadline', async (t) => {
  const users = await hangingUsers();
  t.after(() => users.close());
  // Each attempt may take 150 ms and a GET is retried up to 5 times: without a deadline this call would run ~900 ms.
  const policy = createPolicyStack({ timeoutMs: 150, retry: { maxRetries: 5, initialDelayMs: 5, maxDelayMs: 10 }, breaker: { consecutiveFailures: 100 } });
  const client = createServiceClient({ from: 'orders', discovery: users.discovery, dispatcher, tokens: false, policy });
  const err = await client.get('users', '/hang', { deadlineMs: 250 }).catch((e: unknown) => e);
  assert.ok(err instanceof TimeoutError, `expected a TimeoutError, got ${String(err)}`);
  assert.equal(err.timeoutMs, 250);
  // The first attempt timed out at 150 ms, the second was cut at the deadline, and no third was made.
  assert.deepEqual(users.hits(), [2]);
  assert.equal(client.options.balancer.stats(users.list[0]!.instance).inFlight, 0);
  // A fast answer within the deadline is unaffected.
  assert.equal((await client.get('users', '/ok', { deadlineMs: 5_000 })).status, 200);
  // Fractions are fine (a share of a caller's budget); zero and values past Node's timer range are refused up front.
  assert.equal((await client.get('users', '/ok', { deadlineMs: 1500.5 })).status, 200);
  await assert.rejects(client.get('users', '/ok', { deadlineMs: 0 }), /deadlineMs/);
  await assert.rejects(client.get('users', '/ok', { deadlineMs: 3_000_000_000 }), /deadlineMs/);
});

test('attempts cut by the deadline count against the breaker like attempt timeouts', async (t) => {
  const users = await hangingUsers();
  t.after(() => users.close());
  // A per-attempt timeout far beyond the deadline: only the deadline ever cuts these calls.
  const policy = createPolicyStack({ timeoutMs: 10_000, retry: false, breaker: { consecutiveFailures: 3, halfOpenAfterMs: 60_000 } });
  const client = createServiceClient({ from: 'orders', discovery: users.discovery, dispatcher, tokens: false, policy });
  for (let i = 0; i < 3; i++) await assert.rejects(client.get('users', '/hang', { deadlineMs: 60 }), TimeoutError);
  assert.equal(policy.circuitState('users'), 'open');
  const err = await client.get('users', '/hang', { deadlineMs: 60 }).catch((e: unknown) => e);
  assert.equal((err as { code?: string }).code, 'CIRCUIT_OPEN');
  assert.deepEqual(users.hits(), [3]);
});

test("a caller abort during a call with a deadline is still the caller's abort", async (t) => {
  const users = await hangingUsers();
  t.after(() => users.close());
  const client = createServiceClient({ from: 'orders', discovery: users.discovery, dispatcher, tokens: false, policy: { timeoutMs: 10_000 } });
  const controller = new AbortController();
  const call = client.get('users', '/hang', { signal: controller.signal, deadlineMs: 10_000 });
  while (users.hits()[0] === 0) await new Promise((r) => setTimeout(r, 5));
  controller.abort();
  const err = await call.catch((e: unknown) => e);
  assert.equal((err as Error).name, 'AbortError', `expected the abort, got ${String(err)}`);
});
