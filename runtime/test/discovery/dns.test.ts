import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDnsDiscovery, isDiscoveryError, resolveDiscovery, type ResolvedAddress } from '../../src/discovery/index.js';

/** Resolves after `predicate` holds, checking every 10 ms; rejects after 5 s so the test stays bounded. */
async function eventually(predicate: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('resolves localhost through the system resolver into loopback instances', async (t) => {
  // The default host pattern is the service name itself, as compose names services.
  const discovery = resolveDiscovery('dns', { MSX_DNS_PORT: '3001' });
  t.after(() => discovery.close());
  const instances = await discovery.resolve('localhost');
  assert.ok(instances.length >= 1);
  for (const i of instances) {
    assert.equal(i.service, 'localhost');
    assert.match(i.url, /^http:\/\/(127\.0\.0\.1|\[::1\]):3001$/);
    assert.equal(i.meta?.host, 'localhost');
  }
  assert.equal(new Set(instances.map((i) => i.id)).size, instances.length);
});

test('every A/AAAA record is an instance; the list is refreshed in the background; unknown names have none', async (t) => {
  const asked: string[] = [];
  let records: ResolvedAddress[] = [
    { address: '10.0.0.1', family: 4 },
    { address: 'fd00::2', family: 6 },
  ];
  const discovery = createDnsDiscovery({
    hostPattern: '{service}.shop.svc.cluster.local',
    ttlMs: 20,
    env: { MSX_DNS_PORT: '8080', MSX_SERVICE_USERS_PORT: '3001' },
    lookup: async (host) => {
      asked.push(host);
      if (host.startsWith('ghost.')) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      return records;
    },
  });
  t.after(() => discovery.close());
  assert.deepEqual(
    (await discovery.resolve('users')).map((i) => i.url),
    ['http://10.0.0.1:3001', 'http://[fd00::2]:3001'],
  );
  assert.equal(asked[0], 'users.shop.svc.cluster.local');
  assert.equal(discovery.cached?.('orders'), undefined);
  assert.equal((await discovery.resolve('orders'))[0]!.url, 'http://10.0.0.1:8080');
  assert.equal(discovery.cached?.('orders')?.[0]?.url, 'http://10.0.0.1:8080');
  assert.deepEqual(await discovery.resolve('ghost'), []);

  records = [{ address: '10.0.0.3', family: 4 }];
  await eventually(async () => (await discovery.resolve('users')).length === 1);
  assert.equal((await discovery.resolve('users'))[0]!.url, 'http://10.0.0.3:3001');
});

test('a failing first lookup is DISCOVERY_UNAVAILABLE; a failing refresh keeps the last good list', async (t) => {
  let fail = true;
  const refreshErrors: unknown[] = [];
  const discovery = createDnsDiscovery({
    ttlMs: 20,
    onRefreshError: (e) => refreshErrors.push(e),
    lookup: async () => {
      if (fail) throw Object.assign(new Error('server failure'), { code: 'ESERVFAIL' });
      return [{ address: '10.0.0.1', family: 4 }];
    },
  });
  t.after(() => discovery.close());
  await assert.rejects(discovery.resolve('users'), (e: unknown) => isDiscoveryError(e) && e.code === 'DISCOVERY_UNAVAILABLE');
  fail = false;
  assert.equal((await discovery.resolve('users')).length, 1);
  fail = true;
  await eventually(() => refreshErrors.length > 0);
  assert.equal((await discovery.resolve('users')).length, 1);
});

test('bad options are coded errors naming the option', () => {
  assert.throws(() => createDnsDiscovery({ hostPattern: 'users.local' }), (e: unknown) => isDiscoveryError(e) && /hostPattern.*users\.local/.test(e.message));
  assert.throws(() => createDnsDiscovery({ env: { MSX_DNS_PORT: 'eighty' } }), (e: unknown) => isDiscoveryError(e) && /MSX_DNS_PORT.*eighty/.test(e.message));
});
