/**
 * The client's fallback policy against real HTTP servers on 127.0.0.1: a
 * default answer or the last good answer when the callee is down, never on a
 * 4xx, counted in `msx_client_fallbacks_total`, refused on a POST.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { Agent } from 'undici';
import {
  ClientConfigError,
  ConnectionError,
  createServiceClient,
  FALLBACK_INSTANCE,
  HttpStatusError,
  type ServiceCallError,
  type ServiceClientOptions,
} from '../../src/client/index.js';
import { callOperation, type OperationSuccess, type OperationProblem } from '../../src/contract/index.js';
import { createStaticDiscovery } from '../../src/discovery/index.js';
import { deadUrl, json, startInstances } from './fixtures/instances.js';

const dispatcher = new Agent();
/** Servers still running at the end (those a test does not stop itself). */
const running: { close(): Promise<void> }[] = [];
after(async () => {
  await Promise.all(running.map((c) => c.close()));
  await dispatcher.close();
});

function clientOf(discovery: ServiceClientOptions['discovery'], extra: Partial<ServiceClientOptions> = {}) {
  const registry = new Registry();
  const client = createServiceClient({ from: 'orders', discovery, dispatcher, tokens: false, registry, policy: { retry: { maxRetries: 1, initialDelayMs: 10 } }, ...extra });
  return { client, registry };
}

/** The value of `msx_client_fallbacks_total` for these labels (0 when the series does not exist yet). */
async function fallbacks(registry: Registry, labels: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric('msx_client_fallbacks_total');
  if (metric === undefined) return 0;
  const { values } = await metric.get();
  return values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((sum, v) => sum + v.value, 0);
}

test('a default answer stands in for a callee that is down, marked degraded and counted', async () => {
  const discovery = createStaticDiscovery({ services: { users: [await deadUrl()] } });
  const { client, registry } = clientOf(discovery);

  const res = await client.get<{ name: string }>('users', '/users/42', { fallback: { value: { name: 'someone' } } });
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { name: 'someone' });
  assert.equal(res.instance, FALLBACK_INSTANCE);
  assert.equal(res.degraded?.reason, 'unreachable');
  assert.equal(res.degraded?.source, 'default');
  assert.ok(res.degraded?.error instanceof ConnectionError);
  assert.equal(await fallbacks(registry, { callee: 'users', reason: 'unreachable', source: 'default' }), 1);

  // A function of the error: it sees the failure and answers for it.
  const computed = await client.get('users', '/users/42', { fallback: (error: ServiceCallError) => ({ name: `unknown (${error.code})` }) });
  assert.deepEqual(computed.body, { name: 'unknown (CONNECTION)' });
  assert.equal(await fallbacks(registry, { callee: 'users', reason: 'unreachable' }), 2);

  // Without a fallback the call still rejects, and nothing is counted.
  await assert.rejects(client.get('users', '/users/42'), ConnectionError);
  assert.equal(await fallbacks(registry, { callee: 'users' }), 2);
});

test('the last good answer stands in once the callee stopped, for the same path and query only', async () => {
  const users = await startInstances(1, 'users', (req, res) => json(res, 200, { url: req.url, name: 'Ada' }));
  const { client, registry } = clientOf(users.discovery);
  const lastGood = { lastGood: true } as const;

  const fresh = await client.get<{ name: string }>('users', '/users/1', { query: { view: 'short' }, fallback: lastGood });
  assert.equal(fresh.degraded, undefined, 'a live answer is not degraded');
  assert.deepEqual(fresh.body, { url: '/users/1?view=short', name: 'Ada' });
  await users.close();

  const kept = await client.get<{ name: string }>('users', '/users/1', { query: { view: 'short' }, fallback: lastGood });
  assert.equal(kept.status, 200);
  assert.deepEqual(kept.body, fresh.body);
  assert.equal(kept.instance.url, users.list[0]!.instance.url, 'the instance that gave the kept answer');
  assert.equal(kept.degraded?.source, 'last-good');
  assert.equal(kept.degraded?.reason, 'unreachable');
  assert.ok(typeof kept.degraded?.ageMs === 'number' && kept.degraded.ageMs >= 0);
  assert.equal(await fallbacks(registry, { callee: 'users', reason: 'unreachable', source: 'last-good' }), 1);

  // Too old for this call: as if nothing were kept.
  await sleep(5);
  await assert.rejects(client.get('users', '/users/1', { query: { view: 'short' }, fallback: { lastGood: true, maxAgeMs: 1 } }), ConnectionError);
  // Another query is another read: nothing kept for it, so the failure itself comes back (and is not counted).
  await assert.rejects(client.get('users', '/users/1', { query: { view: 'long' }, fallback: lastGood }), ConnectionError);
  // ... unless the call says what to answer then.
  const otherwise = await client.get('users', '/users/2', { fallback: { lastGood: true, otherwise: { value: null } } });
  assert.equal(otherwise.body, null);
  assert.equal(otherwise.degraded?.source, 'default');
  assert.equal(await fallbacks(registry, { callee: 'users' }), 2);
});

test('the kept answer is shared by the client\'s per-request copies', async () => {
  const users = await startInstances(1, 'users', (_req, res) => json(res, 200, { name: 'Grace' }));
  const { client } = clientOf(users.discovery);
  await client.withContext({ requestId: 'r-1' }).get('users', '/users/7', { fallback: { lastGood: true } });
  await users.close();
  const kept = await client.withContext({ requestId: 'r-2' }).get<{ name: string }>('users', '/users/7', { fallback: { lastGood: true } });
  assert.equal(kept.body.name, 'Grace');
  assert.equal(kept.degraded?.source, 'last-good');
});

test('a 404 is an answer, not an outage: no fallback, and the kept answer is forgotten', async () => {
  let gone = false;
  const users = await startInstances(1, 'users', (_req, res) => (gone ? json(res, 404, { status: 404, title: 'Not Found' }) : json(res, 200, { name: 'Linus' })));
  const { client, registry } = clientOf(users.discovery);
  const options = { fallback: { lastGood: true, otherwise: { value: { name: 'default' } } } } as const;

  assert.equal((await client.get('users', '/users/9', options)).degraded, undefined);
  gone = true;
  const missing = await client.get('users', '/users/9', options).catch((e: unknown) => e);
  assert.ok(missing instanceof HttpStatusError && missing.status === 404, 'the 404 reaches the caller');
  // A default answer does not hide a 404 either.
  await assert.rejects(client.get('users', '/users/9', { fallback: { value: { name: 'x' } } }), (e: unknown) => e instanceof HttpStatusError && e.status === 404);
  assert.equal(await fallbacks(registry, { callee: 'users' }), 0);

  // Once users is down, the answer kept from before the 404 is not resurrected: the default stands in.
  await users.close();
  const after404 = await client.get<{ name: string }>('users', '/users/9', options);
  assert.equal(after404.body.name, 'default');
  assert.equal(after404.degraded?.source, 'default');
});

test('5xx after the retries and an open breaker fall back, each with its reason', async () => {
  const users = await startInstances(1, 'users', (_req, res) => json(res, 503, { status: 503, title: 'restarting' }));
  const { client, registry } = clientOf(users.discovery, { policy: { retry: { maxRetries: 1, initialDelayMs: 10 }, breaker: { consecutiveFailures: 2, halfOpenAfterMs: 60_000 } } });
  running.push(users);
  const fallback = { value: 'cached elsewhere' };

  const first = await client.get('users', '/health', { fallback });
  assert.equal(first.degraded?.reason, 'unavailable');
  assert.deepEqual(users.hits(), [2], 'the fallback comes after the retry, not instead of it');
  await client.get('users', '/health', { fallback });
  const refused = await client.get('users', '/health', { fallback });
  assert.equal(refused.degraded?.reason, 'circuit-open');
  assert.equal(refused.degraded?.error.code, 'CIRCUIT_OPEN');
  assert.deepEqual(users.hits(), [4], 'an open breaker sends nothing');
  assert.equal(await fallbacks(registry, { callee: 'users', reason: 'unavailable' }), 2);
  assert.equal(await fallbacks(registry, { callee: 'users', reason: 'circuit-open' }), 1);
});

test('a last-good fallback on a POST is refused at call time, before anything is sent', async () => {
  const users = await startInstances(1, 'users');
  running.push(users);
  const { client } = clientOf(users.discovery);
  const refused = await client.post('users', '/users', { name: 'x' }, { fallback: { lastGood: true } }).catch((e: unknown) => e);
  assert.ok(refused instanceof ClientConfigError);
  assert.match(refused.message, /only for idempotent reads \(GET, HEAD\).*POST/);
  await assert.rejects(client.request('users', { method: 'DELETE', path: '/users/1', fallback: { lastGood: true } }), ClientConfigError);
  await assert.rejects(client.get('users', '/users/1', { fallback: 'yes' as never }), /Expected the `fallback` option of GET users \/users\/1/);
  assert.deepEqual(users.hits(), [0]);
  // A default answer is fine on a POST: the caller decides what a failed write means.
  const dead = clientOf(createStaticDiscovery({ services: { users: [await deadUrl()] } })).client;
  const res = await dead.post('users', '/users', { name: 'x' }, { fallback: { value: { queued: true } } });
  assert.deepEqual(res.body, { queued: true });
});

test('the kept answers are bounded: the least recently used one goes first', async () => {
  const users = await startInstances(1, 'users', (req, res) => json(res, 200, { url: req.url }));
  const { client } = clientOf(users.discovery, { lastGoodEntries: 2 });
  const lastGood = { fallback: { lastGood: true } } as const;
  await client.get('users', '/a', lastGood);
  await client.get('users', '/b', lastGood);
  await client.get('users', '/a', lastGood); // /a is now the most recently used
  await client.get('users', '/c', lastGood); // evicts /b
  await users.close();
  assert.equal((await client.get('users', '/a', lastGood)).degraded?.source, 'last-good');
  assert.equal((await client.get('users', '/c', lastGood)).degraded?.source, 'last-good');
  await assert.rejects(client.get('users', '/b', lastGood), ConnectionError);
  assert.throws(() => clientOf(users.discovery, { lastGoodEntries: 0 }), /lastGoodEntries.*at least 1, got 0/);
});

test('a typed operation\'s result carries the degraded mark', async () => {
  const users = await startInstances(1, 'users', (_req, res) => json(res, 200, { id: '5', name: 'Barbara' }));
  const { client } = clientOf(users.discovery);
  const route = { method: 'GET', path: '/users/{id}', pathParams: ['id'], queryParams: [], hasBody: false, errorStatuses: [404] } as const;
  type Result = OperationSuccess<200, { id: string; name: string }> | OperationProblem<404>;
  const live = await callOperation<Result>(client, 'users', route, { id: '5' }, { fallback: { lastGood: true } });
  assert.ok(live.ok);
  assert.equal(live.degraded, undefined);
  await users.close();
  const kept = await callOperation<Result>(client, 'users', route, { id: '5' }, { fallback: { lastGood: true } });
  assert.ok(kept.ok);
  assert.equal(kept.body.name, 'Barbara');
  assert.equal(kept.degraded?.reason, 'unreachable');
  assert.equal(kept.degraded?.source, 'last-good');
});
