/**
 * The local supervisor under process faults, on a generated system (gateway
 * and users): msx up/ps/down as a subprocess, with the supervisor SIGKILLed,
 * its output pipe closed, two `up -d` racing, a port taken from under a
 * restarting instance, and an instance crashing until it crash-loops.
 * "Left running" is judged from /proc: any process whose environment marks
 * it as an instance of this system folder, whoever its parent is now.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { localPaths } from '../../src/targets/local/local-paths.js';
import { findSystemProcesses } from '../../src/targets/local/system-processes.js';
import { freePort } from '../support/free-port.js';
import { alive, LocalSystem, until } from '../support/local-system.js';
import { MSX_BIN, msx, tempDir } from '../support/msx.js';
import { installAndBuild } from '../support/install-system.js';

const temp = tempDir('msx-faults-');
const root = join(temp.dir, 'demo');
const system = new LocalSystem(root);
const paths = localPaths(root);
let ports: { gateway: number; users: number };

/** Pids of every process that is an instance of this system, from /proc. */
const instancesRunning = () => findSystemProcesses(paths).map((p) => p.pid);

async function noInstanceWithin(ms: number, what: string): Promise<void> {
  await until(`${what}: no instance left running`, async () => (instancesRunning().length === 0 ? true : undefined), ms);
}

async function token(): Promise<string> {
  const result = await msx(['token', '--sub', 'tester'], { cwd: root });
  assert.equal(result.exitCode, 0, result.stderr);
  return result.stdout.trim();
}

async function upDetached(): Promise<void> {
  const up = await msx(['up', '-d'], { cwd: root, timeout: 90_000 });
  assert.equal(up.exitCode, 0, up.stderr);
  system.seenPids.add(system.state().supervisor.pid);
  await system.ps();
}

async function down(): Promise<void> {
  const result = await msx(['down'], { cwd: root, timeout: 100_000 });
  assert.equal(result.exitCode, 0, result.stderr);
}

function listen(port: number): Promise<Server> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

before(async () => {
  const created = await msx(['new', 'demo', '--services', 'users', '--yes'], { cwd: temp.dir });
  assert.equal(created.exitCode, 0, created.stderr);
  ports = { gateway: await freePort(), users: await freePort() };
  const manifestPath = join(root, 'msx.yaml');
  writeFileSync(manifestPath, readFileSync(manifestPath, 'utf8').replace('port: 8080', `port: ${ports.gateway}`).replace('port: 3001', `port: ${ports.users}`));
  await installAndBuild(root);
}, { timeout: 900_000 });

after(async () => {
  await msx(['down'], { cwd: root, timeout: 120_000 });
  system.killLeftovers();
  for (const pid of instancesRunning()) process.kill(pid, 'SIGKILL');
  temp.cleanup();
});

test('two msx up -d at once: exactly one starts the system, the other is refused as already running', { timeout: 120_000 }, async () => {
  const results = await Promise.all([msx(['up', '-d'], { cwd: root, timeout: 90_000 }), msx(['up', '-d'], { cwd: root, timeout: 90_000 })]);
  system.seenPids.add(system.state().supervisor.pid);
  const codes = results.map((r) => r.exitCode).sort();
  assert.deepEqual(codes, [0, 1], results.map((r) => r.stderr).join('\n---\n'));
  const refused = results.find((r) => r.exitCode === 1)!;
  assert.match(refused.stderr, /demo is already running \(supervisor pid \d+\)/);

  const rows = await system.ps();
  assert.deepEqual(rows.map((r) => [r.id, r.state]), [['users-1', 'ready'], ['gateway-1', 'ready']]);
  const bearer = await token();
  const listed = await fetch(`http://127.0.0.1:${ports.gateway}/api/users`, { headers: { authorization: `Bearer ${bearer}` }, signal: AbortSignal.timeout(10_000) });
  assert.equal(listed.status, 200);

  // And once up, a third is refused with the same words.
  const third = await msx(['up', '-d'], { cwd: root });
  assert.equal(third.exitCode, 1);
  assert.match(third.stderr, /demo is already running \(supervisor pid \d+\)/);
});

test('ps counts a restart at the crash: after five crashes it shows 5, as the log does', { timeout: 120_000 }, async () => {
  for (let crash = 1; crash <= 5; crash++) {
    const before = (await system.ps()).find((r) => r.id === 'users-1')!;
    assert.ok(before.pid, `users-1 has no pid before crash ${crash}`);
    process.kill(before.pid, 'SIGKILL');
    if (crash === 5) break;
    await until(`users-1 back after crash ${crash}`, async () => {
      const row = (await system.ps()).find((r) => r.id === 'users-1');
      return row?.ready && row.pid !== before.pid ? row : undefined;
    }, 30_000);
  }
  // Five crashes within a minute are a crash loop: the next restart waits 30 s (8 s of backoff on a machine so slow they took longer), and ps must not lag the log meanwhile.
  const waiting = await until('users-1 to wait for its sixth start', async () => {
    const row = (await system.ps()).find((r) => r.id === 'users-1');
    return row?.state === 'crash-loop' || row?.state === 'backoff' ? row : undefined;
  }, 15_000);
  const notes = await msx(['logs', 'users-1', '--level', 'warn', '--json'], { cwd: root });
  const crashes = notes.stdout.trim().split('\n').map((line) => JSON.parse(line) as { msg: string; restarts?: number }).filter((l) => /exited unexpectedly|crash loop/.test(l.msg));
  assert.equal(crashes.length, 5);
  assert.equal(crashes.at(-1)!.restarts, 5);
  assert.equal(waiting.restarts, 5);
});

test('a restarting gateway whose port was taken exits 75 and the log says who holds the port', { timeout: 120_000 }, async () => {
  const gateway = (await system.ps()).find((r) => r.id === 'gateway-1')!;
  process.kill(gateway.pid!, 'SIGKILL');
  // Take its port in the 500 ms before the restart.
  const holder = await until('the gateway port to be free', async () => listen(ports.gateway).catch(() => undefined), 5_000);
  try {
    const note = await until('the failed restart to be noted', async () => {
      const logs = await msx(['logs', 'gateway-1', '--level', 'warn'], { cwd: root });
      return /exit code 75/.test(logs.stdout) ? logs.stdout : undefined;
    }, 30_000);
    assert.match(note, /exited unexpectedly \(exit code 75: port in use\)/);
    assert.match(note, new RegExp(`gateway: port ${ports.gateway} is in use by pid ${process.pid} \\(.*node.*\\); free it or change services.gateway.port in msx.yaml`));
    const raw = readFileSync(paths.logFile('gateway-1'), 'utf8');
    assert.doesNotMatch(raw, /failed to start: Error/); // one line, no stack trace
  } finally {
    holder.close();
  }
  await until('gateway-1 back once the port is free', async () => ((await system.ps()).find((r) => r.id === 'gateway-1')?.ready ? true : undefined), 30_000);
});

test('SIGKILL of the detached supervisor: every instance stops within 10 s, ps says so, up works again', { timeout: 120_000 }, async () => {
  assert.ok(instancesRunning().length >= 1);
  process.kill(system.state().supervisor.pid, 'SIGKILL');
  await noInstanceWithin(10_000, 'after SIGKILL of msx up -d');
  assert.match((await msx(['ps'], { cwd: root })).stdout, /nothing is running/);
  await upDetached();
  await down();
});

test('SIGKILL of a foreground msx up: every instance stops within 10 s', { timeout: 120_000 }, async () => {
  const child = execa(process.execPath, [MSX_BIN, 'up'], { cwd: root, env: { NO_COLOR: '1' }, reject: false, stdin: 'ignore' });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    await until('the foreground up to be ready', async () => (output.includes('logs follow') ? true : undefined), 60_000);
    assert.equal(instancesRunning().length, 2);
    child.kill('SIGKILL');
    await child;
    await noInstanceWithin(10_000, 'after SIGKILL of msx up');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  const up = await msx(['up', '-d'], { cwd: root, timeout: 90_000 });
  assert.equal(up.exitCode, 0, up.stderr); // no port left taken
  await down();
});

test('msx up | head -n 1: msx stops every instance and exits instead of leaving them running', { timeout: 120_000 }, async () => {
  const pipeline = spawn('bash', ['-c', `"${process.execPath}" "${MSX_BIN}" up | head -n 1`], { cwd: root, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  pipeline.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ended = new Promise<number | null>((resolve) => pipeline.once('exit', (code) => resolve(code)));
  let exited = false;
  void ended.then(() => (exited = true));
  try {
    // msx notices the closed pipe at its next write: during start, or at the first log line once up (a request makes one).
    const bearer = await token();
    await until('msx up to end', async () => {
      if (exited) return true;
      await fetch(`http://127.0.0.1:${ports.gateway}/api/users`, { headers: { authorization: `Bearer ${bearer}` }, signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
      return undefined;
    }, 60_000);
    await noInstanceWithin(10_000, 'after msx up | head -n 1');
    assert.match(stderr, /stopping/);
    assert.doesNotMatch(stderr, /internal error|EPIPE/);
  } finally {
    if (!exited) pipeline.kill('SIGKILL');
  }
});

test('foreground msx up whose output closes once up: "output closed; stopping 2 instances…", then "stopped", exit 0', { timeout: 120_000 }, async () => {
  const child = spawn(process.execPath, [MSX_BIN, 'up'], { cwd: root, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ended = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await until('the foreground up to be ready', async () => (stdout.includes('logs follow') ? true : undefined), 60_000);
    child.stdout.destroy(); // the reader goes away, as tee does on Ctrl-C
    const bearer = await token();
    await fetch(`http://127.0.0.1:${ports.gateway}/api/users`, { headers: { authorization: `Bearer ${bearer}` }, signal: AbortSignal.timeout(5_000) });
    assert.equal(await ended, 0);
    assert.match(stderr, /output closed; stopping 2 instances…/);
    assert.match(stderr, /\nstopped\n/);
    assert.deepEqual(instancesRunning(), []);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('an instance that outlived its supervisor (one that ignores the supervisor pipe) is listed by ps and stopped by down', { timeout: 60_000 }, async () => {
  // What an instance of an older runtime does: nothing watches the supervisor, so only the environment marks it.
  const stray = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
    env: { ...process.env, MSX_LOCAL_REGISTRY: paths.registryFile, MSX_INSTANCE: 'users-1', MSX_SERVICE: 'users', PORT: String(ports.users) },
    detached: true,
    stdio: 'ignore',
  });
  system.seenPids.add(stray.pid!);
  try {
    const rows = await system.ps();
    assert.deepEqual(rows.map((r) => [r.id, r.pid, r.state]), [['users-1', stray.pid, 'orphaned']]);
    assert.match((await msx(['ps'], { cwd: root })).stdout, /msx down stops them/);
    const stopped = await msx(['down'], { cwd: root, timeout: 30_000 });
    assert.equal(stopped.exitCode, 0, stopped.stderr);
    assert.match(stopped.stdout, /stopped 1 instance: users-1/);
    await until('the stray to exit', async () => (alive(stray.pid!) ? undefined : true), 5_000);
  } finally {
    if (alive(stray.pid!)) process.kill(stray.pid!, 'SIGKILL');
  }
});
