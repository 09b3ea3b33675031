/**
 * `msx up -d --watch` on a generated system (gateway and users): an edit to
 * users' routes is rebuilt and rolled out while a request loop through the
 * gateway sees no failure, and a TypeScript error is reported while the
 * running instance keeps serving the previous build. `after` runs msx down
 * and kills any pid msx ever reported.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { freePort } from '../support/free-port.js';
import { alive, LocalSystem, until as untilAny, type PsRow } from '../support/local-system.js';
import { startRequestLoop } from '../support/request-loop.js';
import { msx, tempDir } from '../support/msx.js';
import { installAndBuild } from '../support/install-system.js';

const temp = tempDir('msx-watch-');
const root = join(temp.dir, 'demo');
const system = new LocalSystem(root);
const seenPids = system.seenPids;
const state = () => system.state();
const ps = () => system.ps();
const until = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000) => untilAny(what, probe, timeoutMs);
const routesFile = join(root, 'services', 'users', 'src', 'routes.ts');
let ports: { gateway: number; users: number };






async function usersLog(): Promise<string> {
  return (await msx(['logs', 'users'], { cwd: root })).stdout;
}

function gateway(path: string, bearer: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${ports.gateway}${path}`, { headers: { authorization: `Bearer ${bearer}` }, signal: AbortSignal.timeout(10_000) });
}

let bearer = '';

before(async () => {
  const created = await msx(['new', 'demo', '--services', 'users', '--yes'], { cwd: temp.dir });
  assert.equal(created.exitCode, 0, created.stderr);
  // Free ports instead of 8080/3001, so tests running beside this one never collide.
  ports = { gateway: await freePort(), users: await freePort() };
  const manifestPath = join(root, 'msx.yaml');
  writeFileSync(manifestPath, readFileSync(manifestPath, 'utf8').replace('port: 8080', `port: ${ports.gateway}`).replace('port: 3001', `port: ${ports.users}`));
  await installAndBuild(root);
}, { timeout: 480_000 });

after(async () => {
  await msx(['down'], { cwd: root, timeout: 120_000 });
  for (const pid of seenPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  temp.cleanup();
});

test('up -d --watch starts the system and records that it watches', { timeout: 90_000 }, async () => {
  const up = await msx(['up', '-d', '--watch'], { cwd: root });
  assert.equal(up.exitCode, 0, up.stderr);
  assert.match(up.stdout, /watching services\/\*\/src/);
  seenPids.add(state().supervisor.pid);
  assert.equal(state().supervisor.watching, true);
  assert.ok((await ps()).every((r) => r.ready));
  const token = await msx(['token', '--sub', 'tester'], { cwd: root });
  assert.equal(token.exitCode, 0, token.stderr);
  bearer = token.stdout.trim();
  assert.equal((await gateway('/api/users', bearer)).status, 200);
});

test('an edit to users is rebuilt and rolled out while the gateway keeps answering', { timeout: 180_000 }, async () => {
  const before = (await ps()).find((r) => r.id === 'users-1')!;
  // ~40 requests a second: under the gateway's default rate limit (100/s per client).
  const loop = startRequestLoop(() => gateway('/api/users', bearer), 25);
  let outcome = { ok: 0, failures: [] as string[] };
  try {
    await new Promise((r) => setTimeout(r, 500));
    const source = readFileSync(routesFile, 'utf8');
    const listItems = 'listItems: () => ({ status: 200, body: [...items.values()] }),';
    assert.ok(source.includes(listItems), 'the template lists the items');
    writeFileSync(routesFile, source.replace(listItems, "listItems: (_input, _req, res) => {\n      res.setHeader('x-msx-watch', 'v2');\n      return { status: 200, body: [...items.values()] };\n    },"));
    await until('the gateway to answer with the rebuilt users', async () => {
      const response = await gateway('/api/users', bearer);
      await response.arrayBuffer();
      return response.headers.get('x-msx-watch') === 'v2' ? true : undefined;
    });
    await until('the rollout to finish', async () => (/msx: users rebuilt and restarted \(1 instance\) after a change in src\/routes\.ts/.test(await usersLog()) ? true : undefined));
  } finally {
    outcome = await loop.stop();
  }
  const { ok, failures } = outcome;
  assert.deepEqual(failures, []);
  assert.ok(ok > 20, `only ${ok} requests went through`);
  const users = (await ps()).filter((r) => r.service === 'users');
  // The temporary extra instance that served during the restart is gone again.
  assert.deepEqual(users.map((r) => [r.id, r.ready]), [['users-1', true]]);
  assert.equal(users[0]!.restarts, before.restarts + 1);
  assert.notEqual(users[0]!.pid, before.pid);
  assert.equal(users[0]!.port, before.port);
});

test('a TypeScript error is reported and the running instance keeps serving the previous build', { timeout: 120_000 }, async () => {
  const before = (await ps()).find((r) => r.id === 'users-1')!;
  const builtRoutes = readFileSync(join(root, 'services', 'users', 'dist', 'src', 'routes.js'), 'utf8');
  writeFileSync(routesFile, `${readFileSync(routesFile, 'utf8')}\nexport const broken: number = 'not a number';\n`);
  const log = await until('the build error to be reported', async () => {
    const text = await usersLog();
    return /users build failed \(1 error\)/.test(text) ? text : undefined;
  });
  assert.match(log, /build error: services\/users\/src\/routes\.ts\(\d+,\d+\): error TS2322/);
  // Nothing was replaced: same process, and the previous build is still on disk for a crash restart.
  const after = (await ps()).find((r) => r.id === 'users-1')!;
  assert.equal(after.pid, before.pid);
  assert.equal(after.restarts, before.restarts);
  assert.equal(readFileSync(join(root, 'services', 'users', 'dist', 'src', 'routes.js'), 'utf8'), builtRoutes);
  const response = await gateway('/api/users', bearer);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('x-msx-watch'), 'v2');
  const errors = await msx(['logs', 'users', '--level', 'error'], { cwd: root });
  assert.match(errors.stdout, /error TS2322/);
});
