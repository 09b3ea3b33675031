/**
 * The Consul backend against a DOUBLE. No real Consul agent was available
 * where these tests were written: `fixtures/consul-double.ts` is a small
 * node:http server that speaks the real agent and health HTTP API (paths,
 * methods, JSON shapes), so the `consul` package builds and sends its real
 * requests and parses real-shaped answers. What is checked here is what
 * crosses the wire.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createConsulDiscovery, isDiscoveryError, resolveDiscovery } from '../../src/discovery/index.js';
import { startConsulDouble, type ConsulDouble } from './fixtures/consul-double.js';

async function eventually(predicate: () => boolean | Promise<boolean>, withinMs = 5_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${withinMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function healthQueries(consul: ConsulDouble): number {
  return consul.requests.filter((r) => r.path.startsWith('/v1/health/service/')).length;
}

test('register sends the service with an HTTP check on /ready and DeregisterCriticalServiceAfter; close deregisters it', async (t) => {
  const consul = await startConsulDouble();
  t.after(() => consul.close());
  const discovery = resolveDiscovery('consul', { MSX_CONSUL_URL: consul.url, MSX_CONSUL_TOKEN: 'acl-token' });

  await discovery.register({ service: 'orders', id: 'orders-1', address: '127.0.0.1', port: 4101, meta: { version: '1.2.0' } });
  const register = consul.requests.at(-1)!;
  assert.equal(register.method, 'PUT');
  assert.equal(register.path, '/v1/agent/service/register');
  assert.equal(register.headers['x-consul-token'], 'acl-token');
  assert.deepEqual(register.body, {
    Name: 'orders',
    ID: 'orders-1',
    Meta: { version: '1.2.0' },
    Address: '127.0.0.1',
    Port: 4101,
    Check: {
      Name: 'orders readiness',
      HTTP: 'http://127.0.0.1:4101/ready',
      Interval: '10s',
      Timeout: '2s',
      DeregisterCriticalServiceAfter: '1m',
    },
  });

  await discovery.close();
  const deregister = consul.requests.at(-1)!;
  assert.equal(deregister.method, 'PUT');
  assert.equal(deregister.path, '/v1/agent/service/deregister/orders-1');
  assert.equal(consul.services.size, 0);
});

test('resolve asks the health endpoint for passing instances only, and follows health changes in the background', async (t) => {
  const consul = await startConsulDouble();
  const registrar = createConsulDiscovery({ url: consul.url, check: { interval: '5s', deregisterCriticalServiceAfter: '30s' } });
  t.after(async () => {
    await discovery.close();
    await registrar.close();
    assert.equal(consul.services.size, 0, 'close deregistered all three');
    await consul.close();
  });
  for (const [id, port] of [['users-1', 4201], ['users-2', 4202], ['users-3', 4203]] as const) {
    await registrar.register({ service: 'users', id, address: '127.0.0.1', port, checkPath: '/healthz', initialStatus: 'passing' });
  }
  const check = (consul.requests.at(-1)!.body as { Check: Record<string, string> }).Check;
  assert.equal(check.HTTP, 'http://127.0.0.1:4203/healthz');
  assert.equal(check.Status, 'passing', 'listed before the agent\'s first poll');
  assert.equal(check.Interval, '5s');
  assert.equal(check.DeregisterCriticalServiceAfter, '30s');
  consul.setStatus('users-2', 'critical');

  const discovery = createConsulDiscovery({ url: consul.url, ttlMs: 20 });
  const instances = await discovery.resolve('users');
  const query = consul.requests.find((r) => r.path === '/v1/health/service/users')!;
  assert.equal(query.method, 'GET');
  assert.equal(query.query.get('passing'), 'true');
  assert.deepEqual(instances, [
    { id: 'users-1', service: 'users', url: 'http://127.0.0.1:4201' },
    { id: 'users-3', service: 'users', url: 'http://127.0.0.1:4203' },
  ]);

  consul.setStatus('users-2', 'passing');
  consul.setStatus('users-1', 'critical');
  const asked = healthQueries(consul);
  // Two more background queries guarantee one started after the change.
  await eventually(() => healthQueries(consul) >= asked + 2);
  assert.deepEqual((await discovery.resolve('users')).map((i) => i.id), ['users-2', 'users-3']);
  assert.deepEqual(await discovery.resolve('nobody'), []);
});

test('an unreachable agent: first resolve is DISCOVERY_UNAVAILABLE, later failures keep the last list, register fails with a code', async (t) => {
  const consul = await startConsulDouble();
  const refreshErrors: unknown[] = [];
  const discovery = createConsulDiscovery({ url: consul.url, ttlMs: 20, onRefreshError: (e) => refreshErrors.push(e) });
  const registrar = createConsulDiscovery({ url: consul.url });
  t.after(async () => {
    consul.failing = false;
    await registrar.close();
    await discovery.close();
    await consul.close();
  });

  consul.failing = true;
  await assert.rejects(discovery.resolve('users'), (e: unknown) => isDiscoveryError(e) && e.code === 'DISCOVERY_UNAVAILABLE');
  await assert.rejects(
    discovery.register({ service: 'orders', address: '127.0.0.1', port: 1 }),
    (e: unknown) => isDiscoveryError(e) && e.code === 'DISCOVERY_REGISTER_FAILED',
  );

  consul.failing = false;
  await registrar.register({ service: 'users', id: 'users-1', address: '10.0.0.5', port: 80, initialStatus: 'passing' });
  assert.equal((await discovery.resolve('users')).length, 1);
  consul.failing = true;
  await eventually(() => refreshErrors.length > 0);
  assert.deepEqual((await discovery.resolve('users')).map((i) => i.url), ['http://10.0.0.5:80']);
});

test('the agent polls each check: an instance registered without a status is hidden until its first poll passes; one killed without deregistering turns critical, leaves the callers\' list, and is reaped', { timeout: 60_000 }, async (t) => {
  // The first poll a second after the registration (the agent's stagger, fixed): the test looks before it.
  const consul = await startConsulDouble({ pollChecks: true, firstPollMs: () => 1000 });
  t.after(() => consul.close());
  const { createServer } = await import('node:http');
  const instance = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ready"}'));
  await new Promise<void>((resolve) => instance.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => instance.close(resolve)));
  const port = (instance.address() as { port: number }).port;
  const registrar = createConsulDiscovery({ url: consul.url, check: { interval: '1s', timeout: '500ms', deregisterCriticalServiceAfter: '10s' } });
  const callers = createConsulDiscovery({ url: consul.url, ttlMs: 50 });
  t.after(() => callers.close());

  await registrar.register({ service: 'users', id: 'users-1', address: '127.0.0.1', port });
  assert.deepEqual(await callers.resolve('users'), [], 'a check starts critical: no caller finds the instance yet');
  assert.equal(consul.checksRun, 0, 'and that was before the first poll');
  assert.equal(await registrar.isRegistered('users-1'), true, 'the agent lists it among its services all the same');
  await eventually(async () => (await callers.resolve('users')).length === 1);
  assert.ok(consul.checksRun >= 1, 'it took a poll of its /ready');
  assert.match(((await (await fetch(`${consul.url}/v1/health/service/users`)).json()) as { Checks: { Output: string }[] }[])[0]!.Checks[1]!.Output, /200 OK/);

  // SIGKILL: the process goes without deregistering. Only its check tells Consul.
  instance.closeAllConnections();
  await new Promise((resolve) => instance.close(resolve));
  await eventually(async () => (await callers.resolve('users')).length === 0);
  assert.equal(consul.services.get('users-1')?.status, 'critical', 'still in the catalog, critical');
  await eventually(() => !consul.services.has('users-1'), 20_000);
  assert.equal(await registrar.isRegistered('users-1'), false, 'reaped: the agent no longer lists it');
  await registrar.close().catch(() => {});
});

test('bad options are coded errors naming the option', () => {
  assert.throws(() => createConsulDiscovery({ url: 'consul:8500' }), (e: unknown) => isDiscoveryError(e) && e.code === 'DISCOVERY_CONFIG_INVALID' && /consul:8500/.test(e.message));
  assert.throws(() => createConsulDiscovery({ check: { interval: 'often' } }), (e: unknown) => isDiscoveryError(e) && /check\.interval.*often/.test(e.message));
});
