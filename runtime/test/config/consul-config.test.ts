/**
 * Configuration from Consul's KV store, against the same Consul DOUBLE as
 * discovery (../discovery/fixtures/consul-double.ts): a node:http server
 * speaking the real KV HTTP API (recursive GET with X-Consul-Index,
 * blocking `index`/`wait` queries, PUT, DELETE, base64 values), so the
 * `consul` package sends and parses real requests. No real agent was
 * available where these tests were written.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ConfigError, defineConfig, z, type ConfigOwner } from '../../src/config/index.js';
import { STARTUP_EXIT_CODES, StartupError } from '../../src/index.js';
import { startConsulDouble, type ConsulDouble } from '../discovery/fixtures/consul-double.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/settings-service.ts', import.meta.url));

const settings = defineConfig({
  MAX_ITEMS: z.coerce.number().int().positive().default(100),
  GREETING: z.string().default('hello'),
  NEW_CHECKOUT: z.enum(['on', 'off']).default('off'),
});

/** A service's log and shutdown hooks, recording what the configuration says. */
function owner(): ConfigOwner & { logs: EventEmitter; lines: { level: string; message: string }[]; closers: (() => unknown)[] } {
  const logs = new EventEmitter();
  const lines: { level: string; message: string }[] = [];
  const record = (level: string) => (_object: object, message: string) => {
    lines.push({ level, message });
    logs.emit(level, message);
  };
  const closers: (() => unknown)[] = [];
  return { name: 'orders', log: { warn: record('warn'), info: record('info') }, onClose: (_name, close) => void closers.push(close), logs, lines, closers };
}

function consulEnv(consul: ConsulDouble, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { MSX_DISCOVERY: 'consul', MSX_CONSUL_URL: consul.url, MSX_SYSTEM: 'shop', ...extra };
}

async function withConsul(t: { after(fn: () => unknown): void }): Promise<ConsulDouble> {
  const consul = await startConsulDouble();
  t.after(() => consul.close());
  return consul;
}

/** Resolves once both prefixes (the service's and _shared) have a blocking query waiting: the watch is in its steady state. */
async function watching(consul: ConsulDouble): Promise<void> {
  while (consul.blockedQueries < 2) await once(consul.events, 'blocked');
}

test('settings come from the service\'s keys and the shared ones, typed, base64 decoded, the service\'s key over the shared one', async (t) => {
  const consul = await withConsul(t);
  consul.putKey('msx/shop/orders/MAX_ITEMS', '50');
  consul.putKey('msx/shop/_shared/MAX_ITEMS', '7');
  consul.putKey('msx/shop/_shared/GREETING', 'grüß dich');
  consul.putKey('msx/shop/payments/NEW_CHECKOUT', 'on');
  const config = await settings.load({ service: owner(), env: consulEnv(consul, { MSX_CONSUL_TOKEN: 'acl-token' }) });
  t.after(() => config.close());

  assert.equal(config.source, 'consul');
  assert.deepEqual(config.values, { MAX_ITEMS: 50, GREETING: 'grüß dich', NEW_CHECKOUT: 'off' });
  assert.equal(config.origin('MAX_ITEMS'), 'consul-service');
  assert.equal(config.origin('GREETING'), 'consul-shared');
  assert.equal(config.origin('NEW_CHECKOUT'), 'default');
  // The package sends the key URI-encoded (msx%2Fshop…), which Consul decodes as any path.
  const reads = consul.requests.filter((r) => r.path.startsWith('/v1/kv/'));
  assert.deepEqual(new Set(reads.map((r) => decodeURIComponent(r.path))), new Set(['/v1/kv/msx/shop/orders/', '/v1/kv/msx/shop/_shared/']));
  assert.ok(reads.every((r) => r.method === 'GET' && r.query.has('recurse') && r.headers['x-consul-token'] === 'acl-token'));
});

test('in an environment of msx.yaml (MSX_ENVIRONMENT), its keys come first: the service\'s, then every service\'s, each over the keys of all environments', async (t) => {
  const consul = await withConsul(t);
  consul.putKey('msx/shop/_env/staging/orders/MAX_ITEMS', '5');
  consul.putKey('msx/shop/orders/MAX_ITEMS', '50');
  consul.putKey('msx/shop/orders/GREETING', 'orders everywhere');
  consul.putKey('msx/shop/_env/staging/_shared/GREETING', 'staging for all');
  consul.putKey('msx/shop/_env/staging/_shared/NEW_CHECKOUT', 'on');
  consul.putKey('msx/shop/_shared/NEW_CHECKOUT', 'off');
  consul.putKey('msx/shop/_env/prod/orders/MAX_ITEMS', '999');
  const config = await settings.load({ service: owner(), env: consulEnv(consul, { MSX_ENVIRONMENT: 'staging' }) });
  t.after(() => config.close());

  assert.deepEqual(config.values, { MAX_ITEMS: 5, GREETING: 'orders everywhere', NEW_CHECKOUT: 'on' });
  assert.equal(config.origin('MAX_ITEMS'), 'consul-environment-service');
  assert.equal(config.origin('GREETING'), 'consul-service');
  assert.equal(config.origin('NEW_CHECKOUT'), 'consul-environment-shared');
  const read = new Set(consul.requests.filter((r) => r.path.startsWith('/v1/kv/')).map((r) => decodeURIComponent(r.path)));
  assert.deepEqual(read, new Set(['/v1/kv/msx/shop/_env/staging/orders/', '/v1/kv/msx/shop/orders/', '/v1/kv/msx/shop/_env/staging/_shared/', '/v1/kv/msx/shop/_shared/']));

  // A change to the environment's key applies live; deleting it falls back to the key of all environments.
  while (consul.blockedQueries < 4) await once(consul.events, 'blocked');
  const changed = new Promise<readonly string[]>((resolve) => config.onChange((_values, keys) => resolve(keys)));
  consul.putKey('msx/shop/_env/staging/orders/MAX_ITEMS', '6');
  assert.deepEqual(await changed, ['MAX_ITEMS']);
  assert.equal(config.values.MAX_ITEMS, 6);
  const fellBack = new Promise<void>((resolve) => config.onChange(() => config.values.MAX_ITEMS === 50 && resolve()));
  consul.deleteKey('msx/shop/_env/staging/orders/MAX_ITEMS');
  await fellBack;
  assert.equal(config.origin('MAX_ITEMS'), 'consul-service');

  // A bad value names the very key it came from; a missing one every key looked at.
  consul.putKey('msx/shop/_env/prod/orders/MAX_ITEMS', '-1');
  await assert.rejects(settings.load({ service: 'orders', env: consulEnv(consul, { MSX_ENVIRONMENT: 'prod' }) }), /MAX_ITEMS must be greater than 0, got "-1" \(from Consul key msx\/shop\/_env\/prod\/orders\/MAX_ITEMS\)/);
  const required = defineConfig({ API_KEY: z.string() });
  await assert.rejects(
    required.load({ service: 'orders', env: consulEnv(consul, { MSX_ENVIRONMENT: 'prod' }) }),
    /API_KEY is required \(looked for in the environment or Consul keys msx\/shop\/_env\/prod\/orders\/API_KEY, msx\/shop\/orders\/API_KEY, msx\/shop\/_env\/prod\/_shared\/API_KEY, msx\/shop\/_shared\/API_KEY\)/,
  );
  await assert.rejects(settings.load({ service: 'orders', env: consulEnv(consul, { MSX_ENVIRONMENT: '../prod' }) }), /MSX_ENVIRONMENT must be an environment name of msx.yaml/);
});

test('the environment wins over Consul, and a KV change to a key the environment pins changes nothing', async (t) => {
  const consul = await withConsul(t);
  consul.putKey('msx/shop/orders/MAX_ITEMS', '50');
  consul.putKey('msx/shop/orders/GREETING', 'from consul');
  const config = await settings.load({ service: owner(), env: consulEnv(consul, { MAX_ITEMS: '3' }) });
  t.after(() => config.close());
  assert.equal(config.values.MAX_ITEMS, 3);
  assert.equal(config.origin('MAX_ITEMS'), 'environment');
  assert.equal(config.values.GREETING, 'from consul');

  await watching(consul);
  const changes: string[][] = [];
  config.onChange((_values, changed) => changes.push([...changed]));
  consul.putKey('msx/shop/orders/MAX_ITEMS', '60');
  consul.putKey('msx/shop/orders/GREETING', 'changed');
  while (changes.length === 0) await once(consul.events, 'blocked');
  assert.deepEqual(changes, [['GREETING']]);
  assert.equal(config.values.MAX_ITEMS, 3);
});

test('a bad value in Consul stops the start with a ConfigError naming the key and the Consul key it came from (exit 78)', async (t) => {
  const consul = await withConsul(t);
  consul.putKey('msx/shop/orders/MAX_ITEMS', 'lots');
  const error = await settings.load({ service: 'orders', env: consulEnv(consul, { NEW_CHECKOUT: 'maybe' }) }).then(
    () => assert.fail('expected a ConfigError'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ConfigError);
  assert.equal(error.exitCode, 78);
  assert.equal(
    error.message,
    'orders: invalid configuration: MAX_ITEMS must be a number, got "lots" (from Consul key msx/shop/orders/MAX_ITEMS); NEW_CHECKOUT must be one of on, off, got "maybe" (from the environment)',
  );
  // A failed start ends its watches: any query already sent is aborted, not left waiting.
  while (consul.blockedQueries > 0) await once(consul.events, 'released');
});

test('a service whose Consul value is bad exits 78 with one line on stderr', async (t) => {
  const consul = await withConsul(t);
  consul.putKey('msx/shop/orders/MAX_ITEMS', '-4');
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    env: { ...process.env, ...consulEnv(consul), LOG_LEVEL: 'silent', OTEL_SDK_DISABLED: 'true', MAX_ITEMS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 78, stderr);
  assert.equal(stderr, 'orders: invalid configuration: MAX_ITEMS must be greater than 0, got "-4" (from Consul key msx/shop/orders/MAX_ITEMS)\n');
});

test('a change in Consul reaches subscribers through the blocking query; a bad change is refused and the last good values stay', async (t) => {
  const consul = await withConsul(t);
  consul.putKey('msx/shop/orders/MAX_ITEMS', '50');
  const service = owner();
  const config = await settings.load({ service, env: consulEnv(consul) });
  t.after(() => config.close());
  await watching(consul);

  const changed = new Promise<[unknown, readonly string[]]>((resolve) => config.onChange((values, keys) => resolve([values, keys])));
  consul.putKey('msx/shop/orders/MAX_ITEMS', '80');
  assert.deepEqual(await changed, [{ MAX_ITEMS: 80, GREETING: 'hello', NEW_CHECKOUT: 'off' }, ['MAX_ITEMS']]);
  assert.equal(config.values.MAX_ITEMS, 80);
  const blocking = consul.requests.filter((r) => decodeURIComponent(r.path) === '/v1/kv/msx/shop/orders/' && Number(r.query.get('index')) > 0);
  assert.ok(blocking.length > 0 && blocking.every((r) => r.query.get('wait') === '5m'), 'the watch asks with the last index and a wait');

  const rejected = once(service.logs, 'warn');
  consul.putKey('msx/shop/orders/MAX_ITEMS', 'zero');
  assert.deepEqual(await rejected, ['configuration change rejected, keeping the last good values']);
  assert.equal(config.values.MAX_ITEMS, 80);

  const sharedChange = new Promise<readonly string[]>((resolve) => config.onChange((_v, keys) => resolve(keys)));
  consul.deleteKey('msx/shop/orders/MAX_ITEMS');
  consul.putKey('msx/shop/_shared/NEW_CHECKOUT', 'on');
  const keys = await sharedChange;
  assert.ok(keys.includes('MAX_ITEMS') || keys.includes('NEW_CHECKOUT'));
  // Both answers arrive, in either order: the deleted key falls back to its default, the shared one applies.
  const now = () => config.values;
  while (now().NEW_CHECKOUT !== 'on' || now().MAX_ITEMS !== 100) await once(consul.events, 'blocked');
});

test('the agent failing (500) keeps the last good values with a warning, and the watch picks up again when it recovers', async (t) => {
  const consul = await withConsul(t);
  consul.putKey('msx/shop/orders/MAX_ITEMS', '50');
  const service = owner();
  const config = await settings.load({ service, env: consulEnv(consul), backoffMs: 5, backoffMaxMs: 20 });
  t.after(() => config.close());
  await watching(consul);

  const warned = once(service.logs, 'warn');
  consul.failing = true;
  assert.deepEqual(await warned, ['Consul KV unreachable, keeping the last good configuration']);
  assert.equal(config.values.MAX_ITEMS, 50);

  // The retries block again once the agent answers (the index did not move): the next change is what comes through.
  consul.failing = false;
  const changed = new Promise<number>((resolve) => config.onChange((values) => resolve(values.MAX_ITEMS)));
  consul.putKey('msx/shop/orders/MAX_ITEMS', '51');
  assert.equal(await changed, 51);
  assert.ok(service.lines.some((l) => l.level === 'info' && l.message === 'Consul KV reachable again'));
  assert.equal(service.lines.filter((l) => l.level === 'warn').length, 2, 'one warning per prefix watched and outage, not one per retry');
});

test('an agent that cannot be reached at start is a StartupError (exit 69) naming the agent, not a crash', async (t) => {
  const consul = await withConsul(t);
  consul.failing = true;
  const error = await settings.load({ service: 'orders', env: consulEnv(consul) }).then(
    () => assert.fail('expected a StartupError'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof StartupError);
  assert.equal(error.exitCode, STARTUP_EXIT_CODES.dependencyUnavailable);
  assert.match(error.message, new RegExp(`^orders: configuration unavailable: could not read Consul KV msx/shop/ at ${consul.url}`));
});

test('close aborts the blocking queries in flight; the owner\'s shutdown closes it too', async (t) => {
  const consul = await withConsul(t);
  const service = owner();
  const config = await settings.load({ service, env: consulEnv(consul) });
  await watching(consul);
  const aborted: string[] = [];
  consul.events.on('released', (prefix: string, how: string) => aborted.push(`${prefix} ${how}`));
  assert.equal(service.closers.length, 1, 'the configuration joined the service\'s shutdown');
  await service.closers[0]!();
  while (consul.blockedQueries > 0) await once(consul.events, 'released');
  assert.deepEqual(aborted.sort(), ['msx/shop/_shared/ aborted', 'msx/shop/orders/ aborted']);
  await config.close();
  const after = consul.requests.length;
  consul.putKey('msx/shop/orders/MAX_ITEMS', '9');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(consul.requests.length, after, 'no query after close');
});

test('without Consul, settings come from the environment alone; MSX_CONFIG picks the source', async () => {
  const config = await settings.load({ service: 'orders', env: { MAX_ITEMS: '12' } });
  assert.equal(config.source, 'environment');
  assert.deepEqual(config.values, { MAX_ITEMS: 12, GREETING: 'hello', NEW_CHECKOUT: 'off' });
  await config.close();

  const pinned = await settings.load({ service: 'orders', env: { MSX_DISCOVERY: 'consul', MSX_CONFIG: 'environment', MSX_CONSUL_URL: 'http://127.0.0.1:1' } });
  assert.equal(pinned.source, 'environment');
  await pinned.close();

  await assert.rejects(settings.load({ service: 'orders', env: { MSX_CONFIG: 'etcd' } }), /MSX_CONFIG must be one of environment, consul, got "etcd"/);
  await assert.rejects(settings.load({ service: 'orders', env: { MSX_CONFIG: 'consul' } }), /MSX_SYSTEM is required/);
  const required = defineConfig({ API_KEY: z.string() });
  await assert.rejects(required.load({ service: 'orders', env: {} }), /^ConfigError: orders: invalid configuration: API_KEY is required \(looked for in the environment\)$/m);
});
