import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBalancer, isDiscoveryError, random, type Instance } from '../../src/discovery/index.js';

const instances: Instance[] = [1, 2, 3].map((n) => ({ id: `users-${n}`, service: 'users', url: `http://127.0.0.1:400${n}` }));

function countPicks(pick: () => Instance | undefined, n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const id = pick()!.id;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

test('round-robin takes each instance in turn', () => {
  const balancer = createBalancer({ strategy: 'round-robin' });
  const ids = Array.from({ length: 6 }, () => balancer.pick(instances)!.id);
  assert.deepEqual(ids, ['users-1', 'users-2', 'users-3', 'users-1', 'users-2', 'users-3']);
});

test('random spreads picks over every instance', () => {
  let seed = 7;
  const lcg = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const balancer = createBalancer({ strategy: random({ random: lcg }) });
  const counts = countPicks(() => balancer.pick(instances), 300);
  assert.equal(counts.size, 3);
  for (const n of counts.values()) assert.ok(n > 50, `expected a fair spread, got ${[...counts]}`);
});

test('least-connections avoids the instance with calls in flight', () => {
  const balancer = createBalancer({ strategy: 'least-connections' });
  const busy = instances[0]!;
  const releases = [balancer.track(busy), balancer.track(busy)];
  const counts = countPicks(() => balancer.pick(instances), 10);
  assert.equal(counts.get('users-1'), undefined);
  assert.equal(counts.get('users-2'), 5);
  assert.equal(counts.get('users-3'), 5);
  for (const release of releases) release('success');
  assert.equal(balancer.stats(busy).inFlight, 0);
});

test('release is idempotent', () => {
  const balancer = createBalancer({ strategy: 'least-connections' });
  const release = balancer.track(instances[0]!);
  release('success');
  release('success');
  assert.equal(balancer.stats(instances[0]!).inFlight, 0);
});

test('outlier ejection skips an instance that fails N times in a row, then readmits it after the cooldown', () => {
  let now = 1_000;
  const balancer = createBalancer({ strategy: 'round-robin', outlierEjection: { consecutiveFailures: 3, cooldownMs: 5_000 }, now: () => now });
  const bad = instances[1]!;
  for (let i = 0; i < 3; i++) balancer.track(bad)('failure');
  assert.ok(balancer.stats(bad).ejectedUntil > now);
  const during = countPicks(() => balancer.pick(instances), 10);
  assert.equal(during.get('users-2'), undefined);
  now += 5_001;
  const after = countPicks(() => balancer.pick(instances), 9);
  assert.equal(after.get('users-2'), 3);
  // On probation: one more failure ejects it again.
  balancer.track(bad)('failure');
  assert.equal(countPicks(() => balancer.pick(instances), 6).get('users-2'), undefined);
});

test('when every instance is ejected, all are used again', () => {
  const balancer = createBalancer({ outlierEjection: { consecutiveFailures: 1, cooldownMs: 60_000 } });
  for (const i of instances) balancer.track(i)('failure');
  assert.equal(countPicks(() => balancer.pick(instances), 6).size, 3);
});

test('an empty list picks nothing; an unknown strategy is a coded error', () => {
  assert.equal(createBalancer().pick([]), undefined);
  assert.throws(
    () => createBalancer({ strategy: 'fastest' as never }),
    (err: unknown) => isDiscoveryError(err) && err.code === 'DISCOVERY_CONFIG_INVALID' && /fastest/.test(err.message),
  );
});
