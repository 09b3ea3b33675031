import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { STARTUP_EXIT_CODES } from '../../src/index.js';

const FAIL_FIXTURE = fileURLToPath(new URL('./fixtures/fail-at-start.ts', import.meta.url));
const APP_FIXTURE = fileURLToPath(new URL('./fixtures/app.ts', import.meta.url));

function runFailing(env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', FAIL_FIXTURE], { env: { ...process.env, LOG_LEVEL: 'silent', ...env }, encoding: 'utf8', timeout: 20_000 });
}

test('start-up failures exit with distinct codes and one line: port in use 75, database unavailable 69, migration 65', async () => {
  const holder: Server = createServer();
  const port = await new Promise<number>((resolve) => holder.listen(0, '127.0.0.1', () => resolve((holder.address() as { port: number }).port)));
  try {
    const taken = runFailing({ FAIL: 'port', PORT: String(port) });
    assert.equal(taken.status, STARTUP_EXIT_CODES.portInUse, taken.stderr);
    assert.equal(taken.status, 75);
    assert.equal(taken.stderr, `failing: cannot listen on 127.0.0.1:${port}: address already in use\n`);
  } finally {
    holder.close();
  }
  const database = runFailing({ FAIL: 'database', PORT: '0' });
  assert.equal(database.status, 69, database.stderr);
  assert.match(database.stderr, /^database unavailable: Cannot connect to the PostgreSQL server .*ECONNREFUSED\n$/);
  const migration = runFailing({ FAIL: 'migration', PORT: '0' });
  assert.equal(migration.status, 65, migration.stderr);
  assert.match(migration.stderr, /^migration failed: Migration 002_add_total.sql failed/);
});

test('an instance whose supervisor pipe closes drains and exits (MSX_SUPERVISOR_FD)', { timeout: 30_000 }, async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', APP_FIXTURE], {
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', MSX_SUPERVISOR_FD: '3' },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    while (!stdout.includes('"ready"')) await new Promise((r) => setTimeout(r, 50));
    // The supervisor dies: the kernel closes its end of the pipe.
    (child.stdio[3] as unknown as { destroy(): void }).destroy();
    assert.equal(await exited, 0);
    assert.match(stdout, /signal received; shutting down/);
    assert.match(stdout, /"closed":"second"/); // its resources were closed in order, as on SIGTERM
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('without MSX_SUPERVISOR_FD nothing is watched: a service run by hand keeps running', { timeout: 30_000 }, async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', APP_FIXTURE], { env: { ...process.env, PORT: '0', LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  try {
    while (!stdout.includes('"ready"')) await new Promise((r) => setTimeout(r, 50));
    (child.stdio[3] as unknown as { destroy(): void }).destroy();
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(child.exitCode, null);
  } finally {
    child.kill('SIGKILL');
  }
});
