import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseManifest } from '../../src/manifest/load-manifest.js';
import { instanceArgs } from '../../src/targets/local/instance-command.js';
import { instanceEnv, MissingBusUrlError } from '../../src/targets/local/instance-env.js';
import { localPaths } from '../../src/targets/local/local-paths.js';
import { registryContent } from '../../src/targets/local/registry-file.js';
import { nextRestart, DEFAULT_RESTART_POLICY } from '../../src/targets/local/restart-policy.js';
import { initialInstances, nextIndexes, scaledPortCandidates, selectServices, startsAfter, startWaves, stopWaves, UnknownServiceError } from '../../src/targets/local/start-plan.js';
import type { LocalInstance } from '../../src/targets/local/local-instance.js';

const { manifest } = parseManifest(`
version: 1
name: shop
services:
  gateway: { kind: gateway, port: 8080 }
  orders: { kind: http, port: 3004, calls: [users, products, payments] }
  users: { kind: http, port: 3001, replicas: 2 }
  products: { kind: http, port: 3003 }
  payments: { kind: http, port: 3005, calls: [users] }
  notifications: { kind: worker, port: 3006 }
`);

test('start waves follow calls, and the gateway starts last', () => {
  assert.deepEqual(startWaves(manifest, Object.keys(manifest.services)), [
    ['users', 'products', 'notifications'],
    ['payments'],
    ['orders'],
    ['gateway'],
  ]);
  assert.deepEqual(stopWaves([['a'], ['b', 'c'], ['gw']]), [['gw'], ['b', 'c'], ['a']]);
});

test('each service starts after its own callees, not after a whole wave; the gateway after everyone', () => {
  const after = startsAfter(manifest, startWaves(manifest, Object.keys(manifest.services)));
  assert.deepEqual(Object.fromEntries(after), {
    users: [],
    products: [],
    notifications: [],
    payments: ['users'],
    orders: ['users', 'products', 'payments'],
    gateway: ['users', 'products', 'notifications', 'payments', 'orders'],
  });
  const { manifest: cyclic } = parseManifest(`
version: 1
name: c
services:
  a: { kind: http, port: 3001, calls: [b, c] }
  b: { kind: http, port: 3002, calls: [a] }
  c: { kind: http, port: 3003 }
`);
  // a and b call each other: each waits only for what started before their wave.
  assert.deepEqual(Object.fromEntries(startsAfter(cyclic, startWaves(cyclic, ['a', 'b', 'c']))), { c: [], a: ['c'], b: [] });
});

test('a call cycle still starts, together, after the rest', () => {
  const { manifest: cyclic } = parseManifest(`
version: 1
name: c
services:
  a: { kind: http, port: 3001, calls: [b] }
  b: { kind: http, port: 3002, calls: [a] }
  c: { kind: http, port: 3003 }
`);
  assert.deepEqual(startWaves(cyclic, ['a', 'b', 'c']), [['c'], ['a', 'b']]);
});

test('selecting services pulls in what they call, transitively; unknown names are typed errors', () => {
  assert.deepEqual(selectServices(manifest, ['payments']), ['users', 'payments']);
  assert.deepEqual(selectServices(manifest, []), Object.keys(manifest.services));
  assert.throws(() => selectServices(manifest, ['nope']), (error: unknown) => error instanceof UnknownServiceError && error.service === 'nope');
});

test('replicas take consecutive ports; scaled instances skip every reserved and used port', () => {
  assert.deepEqual(initialInstances(manifest, 'users').map((i) => [i.id, i.port]), [['users-1', 3001], ['users-2', 3002]]);
  // products-2: 3004 (orders), 3005 (payments), 3006 (notifications) are reserved; 3007 is taken by a running instance.
  const candidates = scaledPortCandidates(manifest, 'products', 2, new Set([3007]));
  assert.deepEqual([candidates.next().value, candidates.next().value], [3008, 3009]);
  assert.deepEqual(nextIndexes([1, 3], 2), [2, 4]);
});

test('instance environment: supervisor decides port, id and discovery; the shell beats .env beats msx.yaml', () => {
  const { manifest: m } = parseManifest(`
version: 1
name: s
services:
  users: { kind: http, port: 3001, env: { LOG_LEVEL: debug, FEATURE: yaml } }
`);
  const paths = localPaths('/sys');
  const env = instanceEnv({
    manifest: m, service: 'users', instanceId: 'users-2', port: 4102, paths,
    processEnv: { PORT: '9999', FEATURE: 'shell', PATH: '/bin' },
    dotEnv: { JWT_SECRET: 'x'.repeat(40), FEATURE: 'dotenv', MSX_INSTANCE: 'nope' },
  });
  assert.equal(env.PORT, '4102');
  assert.equal(env.MSX_INSTANCE, 'users-2');
  assert.equal(env.MSX_DISCOVERY, 'local');
  assert.equal(env.MSX_LOCAL_REGISTRY, '/sys/.msx/registry.json');
  assert.equal(env.MSX_DATA_DIR, '/sys/.msx/data');
  assert.equal(env.MSX_BUS_URL, 'embedded');
  assert.equal(env.FEATURE, 'shell');
  assert.equal(env.LOG_LEVEL, 'debug');
  assert.equal(env.JWT_SECRET, 'x'.repeat(40));
  assert.equal(env.HOST, '127.0.0.1');
});

test('routes msx.yaml marks open reach the instance as MSX_OPEN_ROUTES, and nothing else can open one', () => {
  const { manifest: m } = parseManifest(`
version: 1
name: s
services:
  gateway: { kind: gateway, port: 8080 }
  users:
    kind: http
    port: 3001
    routes:
      - { path: /api/users, to: /users, public: true }
      - { path: /hooks, methods: [POST, PUT], open: true }
      - { path: /api/status, to: /status, open: true }
  billing: { kind: http, port: 3002, open: true }
  orders: { kind: http, port: 3003, routes: [{ path: /api/orders, to: /orders, public: true }] }
`);
  const env = (service: string, processEnv: Record<string, string> = {}) =>
    instanceEnv({ manifest: m, service, instanceId: `${service}-1`, port: 4000, paths: localPaths('/s'), processEnv, dotEnv: { MSX_OPEN_ROUTES: '*' } });
  assert.equal(env('users').MSX_OPEN_ROUTES, 'POST:/hooks,PUT:/hooks,/status');
  assert.equal(env('billing').MSX_OPEN_ROUTES, '*');
  assert.equal(env('orders', { MSX_OPEN_ROUTES: '*' }).MSX_OPEN_ROUTES, '', 'public is about the user token, not about bypassing the gateway; the shell cannot open routes');
});

test('a RabbitMQ bus needs a URL; RABBITMQ_URL becomes MSX_BUS_URL', () => {
  const { manifest: m } = parseManifest(`
version: 1
name: s
services:
  users: { kind: http, port: 3001 }
infrastructure:
  local: { bus: rabbitmq }
`);
  const base = { manifest: m, service: 'users', instanceId: 'users-1', port: 3001, paths: localPaths('/s'), dotEnv: {} };
  assert.throws(() => instanceEnv({ ...base, processEnv: {} }), MissingBusUrlError);
  assert.equal(instanceEnv({ ...base, processEnv: { RABBITMQ_URL: 'amqp://r:5672' } }).MSX_BUS_URL, 'amqp://r:5672');
});

test('restart backoff doubles, resets after a long run, and flags a crash loop', () => {
  const p = DEFAULT_RESTART_POLICY;
  let state = { crashes: [] as readonly number[], streak: 0 };
  const delays: number[] = [];
  let loop = false;
  for (let i = 0; i < 5; i++) {
    const d = nextRestart(state, 1000 + i * 1000, 100, p);
    delays.push(d.delayMs);
    loop = d.crashLoop;
    state = d;
  }
  assert.deepEqual(delays.slice(0, 4), [500, 1000, 2000, 4000]);
  assert.equal(loop, true);
  assert.equal(delays[4], p.maxDelayMs);
  // Crashes older than the window are forgotten; a long run resets the streak.
  const later = nextRestart(state, 1000 + 10 * 60_000, 10 * 60_000, p);
  assert.deepEqual([later.delayMs, later.crashLoop, later.crashes.length], [500, false, 1]);
});

test('the registry lists every service and leaves draining instances out', () => {
  const instance = (id: string, state: LocalInstance['state'], ready: boolean): LocalInstance => ({
    id, service: 'users', pid: 1, port: 1, url: `http://127.0.0.1/${id}`, state, ready, restarts: 0, startedAt: 0,
  });
  const registry = registryContent(['users', 'orders'], [instance('users-1', 'ready', true), instance('users-2', 'draining', false), instance('users-3', 'starting', false)]);
  assert.deepEqual(registry, {
    services: {
      users: [{ id: 'users-1', url: 'http://127.0.0.1/users-1', ready: true }, { id: 'users-3', url: 'http://127.0.0.1/users-3', ready: false }],
      orders: [],
    },
  });
});

test('instances run with a small young generation unless NODE_OPTIONS says otherwise', () => {
  assert.deepEqual(instanceArgs('users', {}), ['--max-semi-space-size=1', '--v8-pool-size=1', 'services/users/dist/src/main.js']);
  assert.deepEqual(instanceArgs('users', { NODE_OPTIONS: '--max-semi-space-size=16 --v8-pool-size=4' }), ['services/users/dist/src/main.js']);
});
