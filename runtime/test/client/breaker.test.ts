import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';
import { CircuitOpenError, createPolicyStack, createServiceClient, type ServiceCallError } from '../../src/client/index.js';
import { json, startInstances } from './fixtures/instances.js';

const dispatcher = new Agent();
after(() => dispatcher.close());

test('the breaker opens after consecutive failures, fails fast, half-opens after the cooldown and closes on success', async (t) => {
  let healthy = false;
  const users = await startInstances(1, 'users', (_req, res) => (healthy ? json(res, 200, { ok: true }) : json(res, 503, { title: 'restarting' })));
  t.after(() => users.close());
  const policy = createPolicyStack({ retry: false, breaker: { consecutiveFailures: 3, halfOpenAfterMs: 150 } });
  const client = createServiceClient({ from: 'orders', discovery: users.discovery, dispatcher, tokens: false, policy });

  for (let i = 0; i < 3; i++) {
    await assert.rejects(client.get('users', '/users'), (e: unknown) => (e as ServiceCallError).code === 'HTTP_STATUS');
  }
  assert.equal(policy.circuitState('users'), 'open');

  const err = await client.get('users', '/users').catch((e: unknown) => e);
  assert.ok(err instanceof CircuitOpenError);
  assert.equal(err.code, 'CIRCUIT_OPEN');
  assert.equal(err.service, 'users');
  assert.deepEqual(users.hits(), [3], 'an open circuit must not reach the service');

  // Other services have their own breaker.
  assert.equal(policy.circuitState('orders'), 'closed');

  await sleep(200); // past halfOpenAfterMs
  healthy = true;
  const halfOpened: string[] = [];
  const l1 = policy.breaker('users').onHalfOpen(() => halfOpened.push('half-open'));
  const l2 = policy.breaker('users').onReset(() => halfOpened.push('reset'));
  t.after(() => (l1.dispose(), l2.dispose()));
  const res = await client.get('users', '/users');
  assert.equal(res.status, 200);
  assert.deepEqual(halfOpened, ['half-open', 'reset']);
  assert.equal(policy.circuitState('users'), 'closed');
});

test('a failed trial call re-opens the breaker', async (t) => {
  const users = await startInstances(1, 'users', (_req, res) => json(res, 503, {}));
  t.after(() => users.close());
  const policy = createPolicyStack({ retry: false, breaker: { consecutiveFailures: 2, halfOpenAfterMs: 100 } });
  const client = createServiceClient({ from: 'orders', discovery: users.discovery, dispatcher, tokens: false, policy });
  for (let i = 0; i < 2; i++) await client.get('users', '/').catch(() => undefined);
  assert.equal(policy.circuitState('users'), 'open');
  await sleep(150);
  await assert.rejects(client.get('users', '/'), (e: unknown) => (e as ServiceCallError).code === 'HTTP_STATUS');
  assert.equal(policy.circuitState('users'), 'open');
  await assert.rejects(client.get('users', '/'), CircuitOpenError);
  assert.deepEqual(users.hits(), [3]);
});

test('500 answers do not count against the breaker (the service is answering), as the gateway does not', async (t) => {
  // One broken route answering 500 must not cut the caller off every other route of the service.
  const users = await startInstances(1, 'users', (_req, res) => json(res, 500, { title: 'boom' }));
  t.after(() => users.close());
  const policy = createPolicyStack({ retry: false, breaker: { consecutiveFailures: 2, halfOpenAfterMs: 60_000 } });
  const client = createServiceClient({ from: 'orders', discovery: users.discovery, dispatcher, tokens: false, policy });
  for (let i = 0; i < 5; i++) await client.get('users', '/').catch(() => undefined);
  assert.equal(policy.circuitState('users'), 'closed');
  assert.deepEqual(users.hits(), [5]);
});

test('4xx answers do not count against the breaker', async (t) => {
  const users = await startInstances(1, 'users', (_req, res) => json(res, 404, {}));
  t.after(() => users.close());
  const policy = createPolicyStack({ retry: false, breaker: { consecutiveFailures: 2, halfOpenAfterMs: 60_000 } });
  const client = createServiceClient({ from: 'orders', discovery: users.discovery, dispatcher, tokens: false, policy });
  for (let i = 0; i < 5; i++) await client.get('users', '/').catch(() => undefined);
  assert.equal(policy.circuitState('users'), 'closed');
  assert.deepEqual(users.hits(), [5]);
});

test('a full bulkhead refuses the call with BULKHEAD_FULL', async (t) => {
  const held: Array<() => void> = [];
  const users = await startInstances(1, 'users', (_req, res) => held.push(() => json(res, 200, {})));
  t.after(() => users.close());
  const policy = createPolicyStack({ retry: false, bulkhead: { limit: 1 } });
  const client = createServiceClient({ from: 'orders', discovery: users.discovery, dispatcher, tokens: false, policy });
  const first = client.get('users', '/slow');
  await assert.rejects(client.get('users', '/slow'), (e: unknown) => (e as ServiceCallError).code === 'BULKHEAD_FULL');
  while (held.length === 0) await sleep(5);
  held[0]!();
  assert.equal((await first).status, 200);
});
