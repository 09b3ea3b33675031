/**
 * What msx.yaml declares about data and events is what a generated system
 * does, as a user meets it: `msx new`, then `msx add service` with
 * --database, --publishes and --subscribes; npm install, build, the
 * services' own tests; `msx up -d` on free ports set in msx.yaml only (no
 * service's code names a port); a user created through the gateway is stored
 * in users' database, survives down/up, and its user.created reaches orders'
 * handler (through the inbox) and mailer's (no database) exactly once.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { parseDocument } from 'yaml';
import { freePort } from '../support/free-port.js';
import { LocalSystem, until as untilAny } from '../support/local-system.js';
import { msx, tempDir, userEnv } from '../support/msx.js';
import { installAndBuild } from '../support/install-system.js';

const until = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000) => untilAny(what, probe, timeoutMs, { retryOnError: true });

const temp = tempDir('msx-data-events-');
const root = join(temp.dir, 'demo');
const system = new LocalSystem(root);
const SERVICES = ['gateway', 'web', 'users', 'orders', 'mailer'];
let gatewayUrl: string;
let token: string;

async function run(args: string[], cwd = root): Promise<string> {
  const result = await msx(args, { cwd, env: userEnv() });
  assert.equal(result.exitCode, 0, `msx ${args.join(' ')}: ${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${gatewayUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

interface LogLine { msg?: string; key?: string; eventType?: string; time?: number }

/** The log lines of `service` saying its handler of `pattern` handled the event of `key`. */
async function handled(service: string, pattern: string, key: string): Promise<LogLine[]> {
  const out = await run(['logs', service, '--json', '--grep', `handled ${pattern}`]);
  return out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine).filter((l) => l.msg === `handled ${pattern}` && l.key === key);
}

before(async () => {
  await run(['new', 'demo', '--services', 'web', '--yes'], temp.dir);
  await run(['add', 'service', 'users', '--database', '--publishes', 'user.created']);
  await run(['add', 'service', 'orders', '--kind', 'worker', '--database', '--subscribes', 'user.created']);
  await run(['add', 'service', 'mailer', '--kind', 'worker', '--subscribes', 'user.created']);
  // Free ports, set in msx.yaml only: nothing else is edited for them to take effect.
  const file = join(root, 'msx.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  for (const name of SERVICES) doc.setIn(['services', name, 'port'], await freePort());
  writeFileSync(file, doc.toString());
  gatewayUrl = `http://127.0.0.1:${String(doc.getIn(['services', 'gateway', 'port']))}`;
  await installAndBuild(root);
});

after(async () => {
  await msx(['down'], { cwd: root, env: userEnv(), timeout: 120_000 }).catch(() => undefined);
  system.killLeftovers();
  temp.cleanup();
});

test('msx.yaml declares what was asked for, and each service got the files that go with it', () => {
  const { services } = parseDocument(readFileSync(join(root, 'msx.yaml'), 'utf8')).toJS() as { services: Record<string, { database?: boolean; events?: unknown }> };
  assert.equal(services.users!.database, true);
  assert.deepEqual(services.users!.events, { publishes: ['user.created'] });
  assert.equal(services.orders!.database, true);
  assert.deepEqual(services.orders!.events, { subscribes: ['user.created'] });
  assert.deepEqual(services.mailer!.events, { subscribes: ['user.created'] });
  const files = (service: string) => listFiles(join(root, 'services', service)).filter((f) => !f.startsWith('dist/') && !f.startsWith('node_modules/'));
  for (const file of ['migrations/001_create_users.sql', 'src/events.generated.ts', 'src/events.ts']) assert.ok(files('users').includes(file), `users has ${file}: ${files('users').join(', ')}`);
  for (const file of ['migrations/001_create_received_events.sql', 'src/events.generated.ts', 'src/handlers.ts']) assert.ok(files('orders').includes(file), `orders has ${file}`);
  assert.ok(!files('web').some((f) => f.startsWith('migrations/') || f.includes('events')), `web declares neither a database nor events: ${files('web').join(', ')}`);
  // No port in any service's own code: the target gives each instance its PORT.
  for (const service of ['web', 'users', 'orders', 'mailer']) {
    for (const file of files(service).filter((f) => f.startsWith('src/'))) {
      assert.doesNotMatch(readFileSync(join(root, 'services', service, file), 'utf8'), /PORT\s*:|\b300\d\b/, `services/${service}/${file}`);
    }
  }
});

test('the generated services pass their own tests', async () => {
  const tests = await execa('npm', ['test'], { cwd: root, reject: false, timeout: 300_000, env: userEnv(), extendEnv: false });
  assert.equal(tests.exitCode, 0, `${tests.stdout}\n${tests.stderr}`);
  const passes = [...tests.stdout.matchAll(/^# pass (\d+)$/gm)].map((m) => Number(m[1]));
  assert.equal(passes.length, SERVICES.length, `every service tested:\n${tests.stdout}`);
  assert.ok(passes.every((n) => n > 0));
  assert.doesNotMatch(tests.stdout, /^# fail [1-9]/m);
});

test('a service started by hand without PORT stops with one line saying how to give it one (exit 78)', async () => {
  const env = userEnv({ LOG_LEVEL: 'silent' });
  delete env.PORT;
  const result = await execa(process.execPath, ['--env-file=.env', 'services/web/dist/src/main.js'], { cwd: root, reject: false, env, extendEnv: false, timeout: 30_000 });
  assert.equal(result.exitCode, 78, result.stderr);
  assert.equal(result.stderr, 'web: invalid configuration: PORT is not set: start the system with `msx up`, or set PORT to the port to listen on');
});

test('a user created through the gateway is stored in users\' database and announced once to each subscriber', { timeout: 300_000 }, async () => {
  await run(['up', '-d', '--timeout', '120s']);
  token = (await run(['token', '--sub', 'tester'])).trim();
  const rows = await system.ps();
  const ports = Object.fromEntries(rows.map((r) => [r.service, r.port]));
  const manifest = parseDocument(readFileSync(join(root, 'msx.yaml'), 'utf8'));
  for (const name of SERVICES) assert.equal(ports[name], manifest.getIn(['services', name, 'port']), `${name} listens on the port msx.yaml gives it`);

  // The plain template still works.
  assert.equal((await api('POST', '/api/web', { name: 'plain' })).status, 201);

  const created = await api<{ id: string; name: string }>('POST', '/api/users', { name: 'Ann' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const ann = created.body;
  assert.equal((await api('POST', '/api/users', { name: '' })).status, 400);
  assert.equal((await api('GET', '/api/users/00000000-0000-4000-8000-000000000000')).status, 404);

  const inOrders = await until('orders to handle user.created', async () => ((await handled('orders', 'user.created', ann.id)).length > 0 ? handled('orders', 'user.created', ann.id) : undefined), 60_000);
  const inMailer = await until('mailer to handle user.created', async () => ((await handled('mailer', 'user.created', ann.id)).length > 0 ? handled('mailer', 'user.created', ann.id) : undefined), 60_000);
  assert.equal(inOrders.length, 1);
  assert.equal(inMailer.length, 1);

  // Down and up: the user is still there, and no subscriber handles its event again.
  await run(['down']);
  const restartedAt = Date.now();
  await run(['up', '-d', '--timeout', '120s']);
  const stored = await api<{ id: string; name: string }>('GET', `/api/users/${ann.id}`);
  assert.equal(stored.status, 200);
  assert.deepEqual(stored.body, ann);
  const listed = await api<{ id: string }[]>('GET', '/api/users');
  assert.ok(listed.body.some((u) => u.id === ann.id));

  // A second user proves the consumers run again; the first one's event stays handled once.
  const bob = (await api<{ id: string }>('POST', '/api/users', { name: 'Bob' })).body;
  await until('orders to handle the second user.created', async () => ((await handled('orders', 'user.created', bob.id)).length > 0 ? true : undefined), 60_000);
  await until('mailer to handle the second user.created', async () => ((await handled('mailer', 'user.created', bob.id)).length > 0 ? true : undefined), 60_000);
  for (const service of ['orders', 'mailer']) {
    const again = (await handled(service, 'user.created', ann.id)).filter((l) => (l.time ?? 0) >= restartedAt);
    assert.deepEqual(again, [], `${service} did not handle the first user.created again after the restart`);
    assert.equal((await handled(service, 'user.created', bob.id)).length, 1, `${service} handled the second user.created once`);
  }
});

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((entry) => {
    if (entry === 'node_modules' || entry === 'dist') return [];
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? listFiles(path, `${prefix}${entry}/`) : [`${prefix}${entry}`];
  });
}
