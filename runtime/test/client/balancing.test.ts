import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';
import { createServiceClient } from '../../src/client/index.js';
import { createBalancer, random, type BalancerOptions } from '../../src/discovery/index.js';
import { json, startInstances, type TestInstances } from './fixtures/instances.js';

const dispatcher = new Agent();
after(() => dispatcher.close());

function clientOver(users: TestInstances, balancer: BalancerOptions) {
  return createServiceClient({
    from: 'orders',
    discovery: users.discovery,
    balancer: createBalancer(balancer),
    dispatcher,
    tokens: false,
    policy: { retry: false, breaker: { consecutiveFailures: 1000 } },
  });
}

test('round-robin spreads calls evenly over three real instances', async (t) => {
  const users = await startInstances(3);
  t.after(() => users.close());
  const client = clientOver(users, { strategy: 'round-robin' });
  for (let i = 0; i < 9; i++) await client.get('users', '/users');
  assert.deepEqual(users.hits(), [3, 3, 3]);
});

test('random reaches every one of three real instances', async (t) => {
  const users = await startInstances(3);
  t.after(() => users.close());
  let seed = 11;
  const lcg = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const client = clientOver(users, { strategy: random({ random: lcg }) });
  for (let i = 0; i < 30; i++) await client.get('users', '/users');
  const hits = users.hits();
  assert.equal(hits.reduce((a, b) => a + b), 30);
  for (const n of hits) assert.ok(n > 0, `every instance should be used, got ${hits}`);
});

/**
 * One instance holds `/slow` requests until released; while it does, every
 * new call should go to the two idle instances. Round-robin, with the same
 * traffic, keeps sending a third of the calls to the busy one: the contrast
 * shows the in-flight counts are real.
 */
async function busyInstanceShare(strategy: 'least-connections' | 'round-robin'): Promise<{ busy: number; others: number[] }> {
  const held: Array<() => void> = [];
  const users = await startInstances(3, 'users', (req, res) => (req.url === '/slow' ? held.push(() => json(res, 200, {})) : json(res, 200, {})));
  try {
    const client = clientOver(users, { strategy });
    const slow = client.get('users', '/slow');
    while (held.length === 0) await sleep(5);
    const busyIndex = users.hits().findIndex((n) => n === 1);
    const before = users.hits();
    for (let i = 0; i < 12; i++) await client.get('users', '/fast');
    const after = users.hits().map((n, i) => n - before[i]!);
    held[0]!();
    await slow;
    return { busy: after[busyIndex]!, others: after.filter((_, i) => i !== busyIndex) };
  } finally {
    await users.close();
  }
}

test('least-connections sends new calls to the idle instances while one holds a slow request', async () => {
  const least = await busyInstanceShare('least-connections');
  assert.equal(least.busy, 0);
  assert.deepEqual(least.others, [6, 6]);
  const rr = await busyInstanceShare('round-robin');
  assert.equal(rr.busy, 4);
});

test('outlier ejection skips an instance that keeps failing', async (t) => {
  const users = await startInstances(3);
  users.list[1]!.handler = (_req, res) => json(res, 500, { title: 'broken' });
  t.after(() => users.close());
  const client = clientOver(users, { strategy: 'round-robin', outlierEjection: { consecutiveFailures: 2, cooldownMs: 60_000 } });
  let failures = 0;
  for (let i = 0; i < 15; i++) await client.get('users', '/users').catch(() => failures++);
  assert.equal(users.hits()[1], 2, 'the broken instance is ejected after two failures in a row');
  assert.equal(failures, 2);
  assert.equal(users.hits()[0]! + users.hits()[2]!, 13);
  assert.ok(client.options.balancer.stats(users.list[1]!.instance).ejectedUntil > Date.now());
});
