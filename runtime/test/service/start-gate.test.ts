/**
 * The start gate between msx's supervisor and an instance: with
 * MSX_START_GATE=1 and an IPC channel, runService loads, says `msx:loaded`
 * and runs the service's start-up only after `msx:start`; without the
 * variable it starts at once; a service that listens says `msx:listening`.
 */
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const runService = fileURLToPath(new URL('../../src/service/runService.ts', import.meta.url));
const createService = fileURLToPath(new URL('../../src/service/createService.ts', import.meta.url));

function child(t: { after(fn: () => void): void }, env: Record<string, string>): { proc: ChildProcess; messages: unknown[]; output: () => string; exited: Promise<number | null> } {
  const dir = mkdtempSync(join(tmpdir(), 'msx-gate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'main.mts');
  writeFileSync(script, `
import { runService } from ${JSON.stringify(runService)};
import { createService } from ${JSON.stringify(createService)};
await runService(async () => {
  process.stdout.write('started\\n');
  const service = createService({ name: 'gated' });
  await service.listen({ port: 0, host: '127.0.0.1', handleSignals: false });
  await service.close();
});
`);
  const proc = fork(script, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, ...env, LOG_LEVEL: 'silent', OTEL_SDK_DISABLED: 'true' }, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  t.after(() => { proc.kill('SIGKILL'); });
  // Listened for from the start: the child listens, closes and exits at once, often before the test looks.
  const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
  const messages: unknown[] = [];
  proc.on('message', (message) => messages.push(message));
  let out = '';
  proc.stdout!.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  return { proc, messages, output: () => out, exited };
}

async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const typeOf = (message: unknown) => (message as { type?: string }).type;

test('gated: the service says it loaded, and starts only when told to', { timeout: 60_000 }, async (t) => {
  const { proc, messages, output, exited } = child(t, { MSX_START_GATE: '1' });
  await until('msx:loaded', () => messages.some((m) => typeOf(m) === 'msx:loaded'));
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(output(), '', 'started before it was told to');
  proc.send({ type: 'msx:start' });
  await until('started', () => output().includes('started'));
  await until('msx:listening', () => messages.some((m) => typeOf(m) === 'msx:listening'));
  const exit = await exited;
  assert.equal(exit, 0);
});

test('without the gate variable the service starts at once and asks nothing', { timeout: 60_000 }, async (t) => {
  const { messages, output, exited } = child(t, {});
  await until('started', () => output().includes('started'));
  assert.equal(await exited, 0);
  assert.ok(!messages.some((m) => typeOf(m) === 'msx:loaded'), 'it asked to start without a gate');
});
