/**
 * What msx.yaml says is what runs, on a generated system under msx up: a
 * route edited in msx.yaml takes effect on the next msx up with no other
 * step; the gateway checks issuer, audience and lifetime of user tokens by
 * default; an up of a running system changes nothing; the gateway's header
 * timeout comes from msx.yaml; duration flags read bare numbers as seconds;
 * `discovery: consul` runs the system on a Consul agent (the runtime's
 * Consul DOUBLE, speaking the real agent, health and KV HTTP API: no real
 * agent runs here), which also serves the services' settings. One system is
 * generated, installed and built once; every test leaves nothing running.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { parseEnvFile } from '../../src/scaffold/secrets.js';
import { signUserToken } from '../../src/token/user-token.js';
import { freePort } from '../support/free-port.js';
import { alive, LocalSystem } from '../support/local-system.js';
import { msx, tempDir } from '../support/msx.js';
import { installAndBuild } from '../support/install-system.js';
import { startConsulDouble } from '../../runtime/test/discovery/fixtures/consul-double.js';

const temp = tempDir('msx-manifest-');
const root = join(temp.dir, 'demo');
const manifestPath = join(root, 'msx.yaml');
const system = new LocalSystem(root);
let gatewayPort: number;

function get(path: string, bearer?: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${gatewayPort}${path}`, {
    headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
    signal: AbortSignal.timeout(10_000),
  });
}

async function msxToken(...args: string[]): Promise<string> {
  const result = await msx(['token', ...args], { cwd: root });
  assert.equal(result.exitCode, 0, result.stderr);
  return result.stdout.trim();
}

function secret(): string {
  return parseEnvFile(readFileSync(join(root, '.env'), 'utf8')).JWT_SECRET!;
}

async function up(): Promise<{ stderr: string }> {
  // --timeout 30 is 30 seconds (it was read as 30 ms, and every start failed).
  const result = await msx(['up', '-d', '--timeout', '30'], { cwd: root, timeout: 120_000 });
  assert.equal(result.exitCode, 0, `${result.stdout}\n${result.stderr}`);
  await system.ps();
  return result;
}

async function down(): Promise<void> {
  const result = await msx(['down'], { cwd: root, timeout: 120_000 });
  assert.equal(result.exitCode, 0, result.stderr);
}

before(async () => {
  const created = await msx(['new', 'demo', '--services', 'users,orders', '--yes'], { cwd: temp.dir });
  assert.equal(created.exitCode, 0, created.stderr);
  gatewayPort = await freePort();
  const ports = { users: await freePort(), orders: await freePort() };
  writeFileSync(manifestPath, readFileSync(manifestPath, 'utf8')
    .replace('port: 8080', `port: ${gatewayPort}`).replace('port: 3001', `port: ${ports.users}`).replace('port: 3002', `port: ${ports.orders}`));
  await installAndBuild(root);
}, { timeout: 900_000 });

after(async () => {
  await msx(['down'], { cwd: root, timeout: 120_000 });
  system.killLeftovers();
  temp.cleanup();
});

test('a route edited in msx.yaml takes effect on the next msx up, which says what it regenerated', { timeout: 240_000 }, async () => {
  await up();
  const token = await msxToken();
  assert.equal((await get('/api/users', token)).status, 200);
  assert.equal((await get('/api/users')).status, 401);
  await down();

  // Rename the route and make it public, in msx.yaml only: no generate, no rebuild.
  writeFileSync(manifestPath, readFileSync(manifestPath, 'utf8').replace('path: /api/users', 'path: /api/people\n        public: true'));
  const { stderr } = await up();
  assert.match(stderr, /msx\.yaml changed: regenerated services\/gateway\/src\/gateway\.generated\.ts/);
  assert.match(readFileSync(join(root, 'services/gateway/src/gateway.generated.ts'), 'utf8'), /"path": "\/api\/people"/);
  const people = await get('/api/people');
  assert.equal(people.status, 200, await people.clone().text());
  assert.ok(Array.isArray(await people.json()));
  assert.equal((await get('/api/users', token)).status, 404);

  // Nothing changed since: nothing is said.
  await down();
  assert.doesNotMatch((await up()).stderr, /regenerated/);
  await down();
});

test('the gateway refuses a token of another issuer or audience, one without them, and one that lives too long', { timeout: 240_000 }, async () => {
  await up();
  try {
    const now = Math.floor(Date.now() / 1000);
    const mint = (claims: { issuer?: string; audience?: string; ttlSeconds?: number }) =>
      signUserToken({ sub: 'mallory', scopes: [], ttlSeconds: claims.ttlSeconds ?? 600, issuer: claims.issuer, audience: claims.audience, secret: secret(), now }).token;

    const ours = await msxToken('--sub', 'alice');
    const claims = JSON.parse(Buffer.from(ours.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    assert.equal(claims.iss, 'msx:demo');
    assert.equal(claims.aud, 'demo');
    assert.equal((await get('/api/orders', ours)).status, 200);
    assert.equal((await get('/api/orders', mint({ issuer: 'msx:demo', audience: 'demo' }))).status, 200);

    for (const [what, token] of [
      ['another system', mint({ issuer: 'msx:other', audience: 'other' })],
      ['another issuer', mint({ issuer: 'msx:other', audience: 'demo' })],
      ['another audience', mint({ issuer: 'msx:demo', audience: 'other' })],
      ['no issuer or audience', mint({})],
      ['a lifetime beyond 24h', mint({ issuer: 'msx:demo', audience: 'demo', ttlSeconds: 48 * 3600 })],
    ] as const) {
      const res = await get('/api/orders', token);
      assert.equal(res.status, 401, `${what}: ${res.status} ${await res.text()}`);
    }
  } finally {
    await down();
  }
});

test('msx up of a running system says it runs and changes nothing: no owned file rewritten, no service rebuilt', { timeout: 240_000 }, async () => {
  await up();
  const original = readFileSync(manifestPath, 'utf8');
  const gatewayModule = join(root, 'services/gateway/src/gateway.generated.ts');
  const usersEvents = join(root, 'services/users/src/events.generated.ts');
  const usersBuild = join(root, 'services/users/dist/src/main.js');
  const before = { gateway: readFileSync(gatewayModule, 'utf8'), events: existsSync(usersEvents), build: statSync(usersBuild).mtimeMs };
  try {
    const token = await msxToken();
    // What an up of the stopped system would act on: a renamed route (the gateway's module rewritten)
    // and an event users publishes (its events module written, users rebuilt).
    // (An earlier test may have renamed users' route: rename whatever it is now.)
    const route = /path: (\/api\/[\w-]+)/.exec(original)![1]!;
    writeFileSync(manifestPath, original.replace(`path: ${route}`, `path: ${route}-renamed`)
      .replace('  users:\n    kind: http\n', '  users:\n    kind: http\n    events: { publishes: [user.renamed] }\n'));
    const again = await msx(['up', '-d'], { cwd: root, timeout: 120_000 });
    assert.equal(again.exitCode, 1, again.stderr);
    assert.match(again.stderr, /demo is already running \(supervisor pid \d+\)/);
    assert.doesNotMatch(again.stderr, /regenerated|created|rebuilt/);
    assert.equal(readFileSync(gatewayModule, 'utf8'), before.gateway, 'the gateway module was rewritten');
    assert.equal(existsSync(usersEvents), before.events, 'users\' events module was written');
    assert.equal(statSync(usersBuild).mtimeMs, before.build, 'users was rebuilt');
    // The running system is untouched: the old route still serves.
    assert.equal((await get(route, token)).status, 200);
  } finally {
    writeFileSync(manifestPath, original);
    await down();
  }
});

/** Opens a connection to the gateway, sends a request line and one header but never the blank line, and resolves with what comes back before the gateway closes it (or after `waitMs`). */
function unfinishedRequest(port: number, waitMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => socket.write('GET /api/users HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
    const timer = setTimeout(() => { socket.destroy(); resolve(answer); }, waitMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => { answer += chunk; });
    socket.on('close', () => { clearTimeout(timer); resolve(answer); });
    socket.on('error', (error) => { clearTimeout(timer); reject(error); });
  });
}

test('the gateway\'s header timeout comes from msx.yaml: a client that does not finish its headers in time gets 408', { timeout: 240_000 }, async () => {
  const original = readFileSync(manifestPath, 'utf8');
  writeFileSync(manifestPath, original.replace('    kind: gateway\n', '    kind: gateway\n    headersTimeout: 500ms\n'));
  try {
    await up();
    // Well inside the default 10 s, so only msx.yaml's 500ms can explain a 408.
    const answer = await unfinishedRequest(gatewayPort, 7000);
    assert.match(answer, /^HTTP\/1\.1 408 /, `the gateway answered: ${JSON.stringify(answer)}`);
  } finally {
    await down();
    writeFileSync(manifestPath, original);
  }
});

test('msx logs --since takes a bare number as seconds, and a unit', { timeout: 240_000 }, async () => {
  await up();
  try {
    // Every line so far is older than a second; --since 600 (10 minutes) must still show them.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const since of ['600', '10m']) {
      const result = await msx(['logs', 'gateway', '--since', since, '--json'], { cwd: root });
      assert.equal(result.exitCode, 0, result.stderr);
      assert.ok(result.stdout.trim().split('\n').filter(Boolean).length > 0, `--since ${since} showed nothing`);
    }
  } finally {
    await down();
  }
  for (const pid of system.seenPids) assert.ok(!alive(pid), `pid ${pid} still runs`);
});

test('infrastructure.local.discovery: consul: every instance registers with the agent, callers find each other through it, its KV serves their settings, and down leaves Consul empty', { timeout: 240_000 }, async (t) => {
  // The agent polls each instance's /ready as a real one does.
  const consul = await startConsulDouble({ pollChecks: true });
  t.after(() => consul.close());
  const original = readFileSync(manifestPath, 'utf8');
  assert.match(original, /discovery: local/);
  writeFileSync(manifestPath, original.replace('discovery: local', 'discovery: consul'));
  t.after(() => writeFileSync(manifestPath, original));
  consul.putKey('msx/demo/users/MAX_ITEMS', '1');

  const result = await msx(['up', '-d', '--timeout', '30s'], { cwd: root, timeout: 120_000, env: { MSX_CONSUL_URL: consul.url } });
  assert.equal(result.exitCode, 0, `${result.stdout}\n${result.stderr}`);
  try {
    const rows = await system.ps();
    const registered = [...consul.services.values()].map((r) => ({ id: r.definition.ID, service: r.definition.Name, port: r.definition.Port }));
    const expected = rows.filter((r) => r.service !== 'gateway').map((r) => ({ id: r.id, service: r.service, port: r.port }));
    assert.deepEqual(new Set(registered.map((r) => JSON.stringify(r))), new Set(expected.map((r) => JSON.stringify(r))), 'each service instance registered itself under its instance id and port');

    // The gateway resolves users through Consul (the supervisor's registry is not what it reads now).
    const token = await msxToken('--sub', 'alice', '--scope', 'users:write');
    // Whatever path msx.yaml routes to users now (an earlier test renamed it).
    const usersPath = (parse(readFileSync(manifestPath, 'utf8')) as { services: { users: { routes: { path: string }[] } } }).services.users.routes[0]!.path;
    const create = (name: string) => fetch(`http://127.0.0.1:${gatewayPort}${usersPath}`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name }), signal: AbortSignal.timeout(10_000),
    });
    assert.equal((await create('first')).status, 201);
    const full = await create('second');
    assert.equal(full.status, 409, 'MAX_ITEMS=1 came from msx/demo/users/MAX_ITEMS in Consul');
    assert.match(await full.text(), /MAX_ITEMS is 1/);
    assert.ok(consul.requests.some((r) => r.path === '/v1/health/service/users'), 'the gateway asked Consul for users');
  } finally {
    await down();
  }
  assert.equal(consul.services.size, 0, 'every instance deregistered on its way down');
});
