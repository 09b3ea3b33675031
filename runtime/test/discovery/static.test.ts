import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStaticDiscovery, isDiscoveryError, resolveDiscovery, staticUrlsVariable } from '../../src/discovery/index.js';

test('reads MSX_SERVICE_<NAME>_URLS, upper-cased with - turned into _', async () => {
  assert.equal(staticUrlsVariable('users-api'), 'MSX_SERVICE_USERS_API_URLS');
  const discovery = createStaticDiscovery({ env: { MSX_SERVICE_USERS_API_URLS: 'http://127.0.0.1:3001, http://127.0.0.1:3002/' } });
  // Nothing cached before the first resolve; the same list without waiting after it.
  assert.equal(discovery.cached?.('users-api'), undefined);
  const first = await discovery.resolve('users-api');
  assert.equal(discovery.cached?.('users-api'), first);
  assert.deepEqual(first, [
    { id: 'users-api-1', service: 'users-api', url: 'http://127.0.0.1:3001' },
    { id: 'users-api-2', service: 'users-api', url: 'http://127.0.0.1:3002' },
  ]);
  assert.deepEqual(await discovery.resolve('orders'), []);
  await discovery.close();
});

test('options take precedence and bad URLs are coded errors naming the source', async () => {
  const discovery = createStaticDiscovery({ services: { users: ['http://10.0.0.1:80'] }, env: { MSX_SERVICE_USERS_URLS: 'http://x:1' } });
  assert.equal((await discovery.resolve('users'))[0]!.url, 'http://10.0.0.1');
  await assert.rejects(
    createStaticDiscovery({ env: { MSX_SERVICE_USERS_URLS: 'not a url' } }).resolve('users'),
    (err: unknown) => isDiscoveryError(err) && err.code === 'DISCOVERY_CONFIG_INVALID' && err.message.includes('MSX_SERVICE_USERS_URLS') && err.message.includes('not a url'),
  );
});

test('resolveDiscovery: env, names and options objects in one place; unknown kinds are coded errors', async () => {
  assert.equal(resolveDiscovery(undefined, {}).kind, 'static');
  assert.equal(resolveDiscovery('static', {}).kind, 'static');
  const own = createStaticDiscovery({ env: {} });
  assert.equal(resolveDiscovery(own), own);
  assert.throws(
    () => resolveDiscovery(undefined, { MSX_DISCOVERY: 'zookeeper' }),
    (err: unknown) => isDiscoveryError(err) && err.code === 'DISCOVERY_CONFIG_INVALID' && err.message.includes('MSX_DISCOVERY') && err.message.includes('zookeeper'),
  );
  assert.throws(
    () => resolveDiscovery({ kind: 'etcd' } as never),
    (err: unknown) => isDiscoveryError(err) && err.code === 'DISCOVERY_CONFIG_INVALID',
  );
  assert.throws(
    () => resolveDiscovery('local', {}),
    (err: unknown) => isDiscoveryError(err) && err.code === 'DISCOVERY_CONFIG_INVALID' && err.message.includes('MSX_LOCAL_REGISTRY'),
  );
});
