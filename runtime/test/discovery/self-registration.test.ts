/**
 * Under MSX_DISCOVERY=consul a service registers itself once it listens and
 * deregisters first when it shuts down, against the Consul DOUBLE
 * (fixtures/consul-double.ts: the agent and health HTTP API of the real
 * one, through the `consul` package). No real agent is available here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createService, StartupError } from '../../src/index.js';
import { createConsulDiscovery } from '../../src/discovery/consul.js';
import { advertisedAddress } from '../../src/discovery/self-registration.js';
import { startConsulDouble } from './fixtures/consul-double.js';

const silent = { write() {} };

test('a service under Consul discovery registers with a check on its /ready, is found by callers, and leaves Consul before its drain delay ends', async (t) => {
  const consul = await startConsulDouble();
  t.after(() => consul.close());
  const env = { MSX_DISCOVERY: 'consul', MSX_CONSUL_URL: consul.url, MSX_INSTANCE: 'orders-2', MSX_SYSTEM: 'shop', MSX_OPEN_ROUTES: '*', HOST: '127.0.0.1', SHUTDOWN_DELAY_MS: '400' };
  const service = createService({ name: 'orders', env, logDestination: silent });
  service.app.get('/ping', (_req, res) => void res.json({ pong: true }));
  const { port } = await service.listen({ port: 0, handleSignals: false });

  const registered = consul.services.get('orders-2');
  assert.ok(registered, 'registered under its MSX_INSTANCE');
  assert.equal(registered.definition.Name, 'orders');
  assert.equal(registered.definition.Address, '127.0.0.1');
  assert.equal(registered.definition.Port, port);
  assert.deepEqual(registered.definition.Meta, { system: 'shop' });
  assert.equal(registered.definition.Check?.HTTP, `http://127.0.0.1:${port}/ready`);
  assert.equal(registered.definition.Check?.Status, 'passing', 'ready as it registered: listed before the agent\'s first poll');

  const callers = createConsulDiscovery({ url: consul.url });
  t.after(() => callers.close());
  assert.deepEqual((await callers.resolve('orders')).map((i) => i.url), [`http://127.0.0.1:${port}`]);

  const closed = service.close();
  // During the drain delay: out of Consul already, still answering whoever picked it before.
  await new Promise((resolve) => setTimeout(resolve, 150));
  assert.equal(consul.services.has('orders-2'), false, 'deregistered at the start of the shutdown');
  assert.equal((await fetch(`http://127.0.0.1:${port}/ping`)).status, 200);
  await closed;
  assert.deepEqual(consul.requests.filter((r) => r.path.startsWith('/v1/agent/service/deregister/')).map((r) => r.path), ['/v1/agent/service/deregister/orders-2']);
});

test('an instance not ready as it registers starts critical, for the agent\'s check to pass it once /ready does; one the agent dropped meanwhile registers again', async (t) => {
  const consul = await startConsulDouble();
  t.after(() => consul.close());
  const service = createService({ name: 'orders', env: { MSX_DISCOVERY: 'consul', MSX_CONSUL_URL: consul.url, MSX_INSTANCE: 'orders-3', MSX_OPEN_ROUTES: '*', HOST: '127.0.0.1', MSX_CONSUL_RESYNC_MS: '100' }, logDestination: silent });
  let databaseUp = false;
  service.readiness.add('database', () => databaseUp);
  await service.listen({ port: 0, handleSignals: false });
  t.after(() => service.close());
  assert.equal(consul.services.get('orders-3')?.definition.Check?.Status, 'critical');
  const callers = createConsulDiscovery({ url: consul.url });
  t.after(() => callers.close());
  assert.deepEqual(await callers.resolve('orders'), [], 'not handed to callers before its /ready says so');

  // Critical past DeregisterCriticalServiceAfter, the agent reaps it; once ready, the instance finds itself gone and registers again.
  databaseUp = true;
  consul.services.delete('orders-3');
  const deadline = Date.now() + 10_000;
  while (!consul.services.has('orders-3')) {
    if (Date.now() > deadline) throw new Error('the instance did not register again');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(consul.services.get('orders-3')!.definition.Check?.Status, 'passing', 'registered again as ready as it is now');
  assert.ok(consul.requests.some((r) => r.method === 'GET' && r.path === '/v1/agent/services'), 'it asked the agent for its services');
});

test('an agent that keeps failing stops the start with a StartupError (exit 69) and frees the port; MSX_DISCOVERY_REGISTER=false leaves registration to others', async (t) => {
  const consul = await startConsulDouble();
  t.after(() => consul.close());
  consul.failing = true;
  const service = createService({ name: 'orders', env: { MSX_DISCOVERY: 'consul', MSX_CONSUL_URL: consul.url, MSX_OPEN_ROUTES: '*' }, logDestination: silent });
  const error = await service.listen({ port: 0, host: '127.0.0.1', handleSignals: false }).then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof StartupError, String(error));
  assert.equal(error.exitCode, 69);
  assert.match(error.message, /^orders: could not register with Consul: /);
  assert.equal(service.server, undefined, 'the listener was closed again');
  assert.equal(consul.requests.filter((r) => r.path === '/v1/agent/service/register').length, 3, 'three attempts');

  consul.failing = false;
  const misconfigured = createService({ name: 'orders', env: { MSX_DISCOVERY: 'consul', MSX_CONSUL_URL: consul.url, MSX_CONSUL_RESYNC_MS: 'soon', MSX_OPEN_ROUTES: '*' }, logDestination: silent });
  const configError = await misconfigured.listen({ port: 0, host: '127.0.0.1', handleSignals: false }).then(() => undefined, (e: unknown) => e);
  assert.ok(configError instanceof StartupError, String(configError));
  assert.equal(configError.exitCode, 78, 'a setting msx cannot use is a configuration error, not an agent away');
  assert.match(configError.message, /MSX_CONSUL_RESYNC_MS .*"soon"/);

  const unregistered = createService({ name: 'orders', env: { MSX_DISCOVERY: 'consul', MSX_CONSUL_URL: consul.url, MSX_DISCOVERY_REGISTER: 'false', MSX_OPEN_ROUTES: '*' }, logDestination: silent });
  await unregistered.listen({ port: 0, host: '127.0.0.1', handleSignals: false });
  t.after(() => unregistered.close());
  assert.equal(consul.services.size, 0);
});

test('the advertised address: MSX_ADVERTISE_ADDRESS, else the bound address, else for a wildcard bind an external IPv4 of this machine', () => {
  assert.equal(advertisedAddress('0.0.0.0', { MSX_ADVERTISE_ADDRESS: '10.1.2.3' }), '10.1.2.3');
  assert.equal(advertisedAddress('127.0.0.1', {}), '127.0.0.1');
  const wildcard = advertisedAddress('0.0.0.0', {});
  assert.match(wildcard, /^\d+\.\d+\.\d+\.\d+$/);
  assert.notEqual(wildcard, '0.0.0.0');
});
