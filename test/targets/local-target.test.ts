/**
 * The local target end to end, on a generated system: msx new, npm install
 * and npm run build once, then msx up/ps/token/scale/logs/down as a user
 * runs them. Every test leaves nothing running: `after` runs msx down and
 * kills any pid msx ever reported.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { freePort } from '../support/free-port.js';
import { alive, LocalSystem, until as untilAny } from '../support/local-system.js';
import { startRequestLoop } from '../support/request-loop.js';
import { MSX_BIN, msx, tempDir } from '../support/msx.js';
import { installAndBuild } from '../support/install-system.js';

const temp = tempDir('msx-local-');
const root = join(temp.dir, 'demo');
const system = new LocalSystem(root);
const seenPids = system.seenPids;
const state = () => system.state();
const ps = () => system.ps();
const until = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000) => untilAny(what, probe, timeoutMs);
let ports: { gateway: number; users: number; orders: number };






async function token(): Promise<string> {
  const result = await msx(['token', '--sub', 'tester'], { cwd: root });
  assert.equal(result.exitCode, 0, result.stderr);
  return result.stdout.trim();
}

function gateway(path: string, bearer: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${ports.gateway}${path}`, { ...init, headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, signal: AbortSignal.timeout(10_000) });
}

before(async () => {
  const created = await msx(['new', 'demo', '--services', 'users,orders', '--yes'], { cwd: temp.dir });
  assert.equal(created.exitCode, 0, created.stderr);
  // Free ports instead of 8080/3001/3002, so tests running beside this one never collide.
  ports = { gateway: await freePort(), users: await freePort(), orders: await freePort() };
  const manifestPath = join(root, 'msx.yaml');
  writeFileSync(manifestPath, readFileSync(manifestPath, 'utf8')
    .replace('port: 8080', `port: ${ports.gateway}`).replace('port: 3001', `port: ${ports.users}`).replace('port: 3002', `port: ${ports.orders}`));
  await installAndBuild(root);
}, { timeout: 480_000 });

after(async () => {
  await msx(['down'], { cwd: root, timeout: 120_000 });
  for (const pid of seenPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  temp.cleanup();
});

test('a taken port stops up before anything starts, naming the process that holds it', { timeout: 30_000 }, async () => {
  const holder: Server = createServer();
  await new Promise<void>((resolve) => holder.listen(ports.users, '127.0.0.1', resolve));
  try {
    const result = await msx(['up', '-d'], { cwd: root });
    assert.equal(result.exitCode, 1);
    assert.match(result.stderr, new RegExp(`port ${ports.users} of users-1 is in use by pid ${process.pid}`));
    assert.match(result.stderr, /hint/);
  } finally {
    holder.close();
  }
  assert.deepEqual(await ps(), []);
});

test('a service that fails at start is reported with its last log lines, and the others are stopped', { timeout: 60_000 }, async () => {
  const result = await msx(['up', '-d'], { cwd: root, env: { JWT_SECRET: 'too-short' } });
  assert.equal(result.exitCode, 1);
  assert.match(result.stderr, /gateway-1 exited before it was ready \(exit code 78/);
  assert.match(result.stderr, /JWT_SECRET must be set/);
  for (const instance of state().instances) assert.ok(!instance.pid || !alive(instance.pid), `${instance.id} still runs`);
  assert.ok(!alive(state().supervisor.pid));
});

test('up -d: every instance ready, a second up says it is running, the gateway accepts msx token', { timeout: 90_000 }, async () => {
  const up = await msx(['up', '-d'], { cwd: root });
  assert.equal(up.exitCode, 0, up.stderr);
  assert.match(up.stdout, new RegExp(`gateway\\s+http://127.0.0.1:${ports.gateway}`));
  const rows = await ps();
  assert.deepEqual(rows.map((r) => [r.id, r.state, r.ready]), [['users-1', 'ready', true], ['orders-1', 'ready', true], ['gateway-1', 'ready', true]]);
  seenPids.add(state().supervisor.pid);

  const again = await msx(['up', '-d'], { cwd: root });
  assert.equal(again.exitCode, 1);
  assert.match(again.stderr, /already running/);

  const bearer = await token();
  const created = await gateway('/api/users', bearer, { method: 'POST', body: JSON.stringify({ name: 'ada' }) });
  assert.equal(created.status, 201);
  const listed = await gateway('/api/users', bearer);
  assert.equal(listed.status, 200);
  assert.equal(((await listed.json()) as { name: string }[])[0]?.name, 'ada');
  assert.equal((await gateway('/api/users', 'not-a-token')).status, 401);
});

test('scale users=3: three instances serve through the gateway; a SIGKILLed one comes back', { timeout: 90_000 }, async () => {
  const scaled = await msx(['scale', 'users=3'], { cwd: root });
  assert.equal(scaled.exitCode, 0, scaled.stderr);
  const users = (await ps()).filter((r) => r.service === 'users');
  assert.deepEqual(users.map((r) => [r.id, r.ready]), [['users-1', true], ['users-2', true], ['users-3', true]]);

  const bearer = await token();
  for (let i = 0; i < 9; i++) assert.equal((await gateway('/api/users', bearer)).status, 200);
  const served = await msx(['logs', 'users', '--grep', 'request completed', '--json'], { cwd: root });
  const instances = new Set(served.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { instance: string }).instance));
  assert.deepEqual([...instances].sort(), ['users-1', 'users-2', 'users-3']);

  const victim = users[1]!;
  process.kill(victim.pid!, 'SIGKILL');
  const back = await until('users-2 to restart and be ready', async () => {
    const row = (await ps()).find((r) => r.id === 'users-2');
    return row && row.ready && row.pid !== victim.pid ? row : undefined;
  });
  assert.equal(back.restarts, 1);
  const registry = JSON.parse(readFileSync(join(root, '.msx', 'registry.json'), 'utf8')) as { services: Record<string, { id: string; ready: boolean }[]> };
  assert.ok(registry.services.users!.some((i) => i.id === 'users-2' && i.ready));
  const note = await msx(['logs', 'users-2', '--level', 'warn'], { cwd: root });
  assert.match(note.stdout, /msx: exited unexpectedly \(signal SIGKILL\)/);
});

test('scaling down drains: a request loop through the gateway sees no failure', { timeout: 90_000 }, async () => {
  const bearer = await token();
  // ~50 requests a second: under the gateway's default rate limit (100/s per client).
  const loop = startRequestLoop(() => gateway('/api/users', bearer), 20);
  let outcome = { ok: 0, failures: [] as string[] };
  try {
    await new Promise((r) => setTimeout(r, 500));
    const scaled = await msx(['scale', 'users=1'], { cwd: root });
    assert.equal(scaled.exitCode, 0, scaled.stderr);
    assert.match(scaled.stdout, /users 3 → 1/);
    await new Promise((r) => setTimeout(r, 1000));
  } finally {
    outcome = await loop.stop();
  }
  const { ok, failures } = outcome;
  assert.deepEqual(failures, []);
  assert.ok(ok > 20, `only ${ok} requests went through`);
  assert.deepEqual((await ps()).filter((r) => r.service === 'users').map((r) => r.id), ['users-1']);
});

test('logs --trace follows one request id across lines', { timeout: 30_000 }, async () => {
  const all = await msx(['logs', '--json', '--grep', 'request completed'], { cwd: root });
  const requestId = (JSON.parse(all.stdout.trim().split('\n')[0]!) as { requestId: string }).requestId;
  const traced = await msx(['logs', '--trace', requestId, '--json'], { cwd: root });
  const lines = traced.stdout.trim().split('\n').map((l) => JSON.parse(l) as { requestId: string });
  assert.ok(lines.length >= 1);
  for (const line of lines) assert.equal(line.requestId, requestId);
});

test('msx restart users restarts each instance of it, with a new process and one more restart in msx ps', { timeout: 90_000 }, async () => {
  const before = (await ps()).filter((r) => r.service === 'users');
  const restarted = await msx(['restart', 'users', '--json'], { cwd: root, timeout: 80_000 });
  assert.equal(restarted.exitCode, 0, restarted.stderr);
  assert.deepEqual((JSON.parse(restarted.stdout) as { instance: string }[]).map((r) => r.instance), before.map((r) => r.id));
  const after = (await ps()).filter((r) => r.service === 'users');
  for (const row of before) {
    const now = after.find((r) => r.id === row.id)!;
    assert.equal(now.restarts, row.restarts + 1, `${row.id} counts one more restart`);
    assert.notEqual(now.pid, row.pid, `${row.id} runs as a new process`);
    assert.equal(now.state, 'ready');
  }
  const unknown = await msx(['restart', 'nosuch-1'], { cwd: root });
  assert.equal(unknown.exitCode, 2);
  assert.match(unknown.stderr, /no instance or service "nosuch-1" runs/);
  assert.match(unknown.stderr, /users-1/);
});

test('down stops every process; up works again', { timeout: 120_000 }, async () => {
  const pids = [state().supervisor.pid, ...(await ps()).map((r) => r.pid!)];
  const down = await msx(['down'], { cwd: root, timeout: 100_000 });
  assert.equal(down.exitCode, 0, down.stderr);
  assert.match(down.stdout, /stopped 3 instances/);
  for (const pid of pids) assert.ok(!alive(pid), `pid ${pid} still runs`);
  assert.match((await msx(['ps'], { cwd: root })).stdout, /nothing is running/);

  const up = await msx(['up', '-d'], { cwd: root });
  assert.equal(up.exitCode, 0, up.stderr);
  assert.ok((await ps()).every((r) => r.ready));
  seenPids.add(state().supervisor.pid);
  assert.equal((await msx(['down', '--volumes'], { cwd: root, timeout: 100_000 })).exitCode, 0);
});

test('foreground up shows prefixed logs; SIGINT stops everything gracefully', { timeout: 90_000 }, async () => {
  const child = execa(process.execPath, [MSX_BIN, 'up'], { cwd: root, env: { NO_COLOR: '1' }, reject: false, stdin: 'ignore' });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    await until('the foreground up to be ready', async () => (output.includes('logs follow') ? true : undefined), 60_000);
    const pids = state().instances.map((i) => i.pid!);
    pids.forEach((p) => seenPids.add(p));
    assert.equal(pids.length, 3);
    child.kill('SIGINT');
    const result = await child;
    assert.equal(result.exitCode, 0);
    assert.match(output, /users-1 +│ INFO {2}signal received; shutting down signal=SIGTERM/);
    assert.match(output, /stopped/);
    for (const pid of pids) assert.ok(!alive(pid), `pid ${pid} still runs`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
