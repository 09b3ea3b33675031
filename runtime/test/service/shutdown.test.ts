import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ShutdownError } from '../../src/index.js';
import { eventually, startService } from './harness.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/app.ts', import.meta.url));

interface Child {
  proc: ChildProcess;
  url: string;
  lines: Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the fixture service as a real process and waits for its address. */
async function startChild(t: { after(fn: () => unknown): void }, env: Record<string, string>, options: { ipc?: boolean } = {}): Promise<Child> {
  const proc = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'debug', MSX_OPEN_ROUTES: '*', ...env },
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  let stderr = '';
  proc.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const lines: Record<string, unknown>[] = [];
  createInterface({ input: proc.stdout! }).on('line', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  await Promise.race([
    eventually(() => lines.some((l) => typeof l.ready === 'string'), 20_000, 'the fixture to listen'),
    exited.then(({ code }) => {
      throw new Error(`fixture exited with ${code} before listening: ${stderr}`);
    }),
  ]);
  const url = lines.find((l) => typeof l.ready === 'string')!.ready as string;
  return { proc, url, lines, exited };
}

interface Outcome {
  status?: number;
  body?: string;
  error?: string;
}

/** One request on its own connection (no pooling), settling with the response or the error. */
function get(url: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end();
  });
}

async function inFlight(url: string): Promise<number> {
  const res = await get(`${url}/metrics`);
  const match = /^http_requests_in_flight\{[^}]*\} (\d+)$/m.exec(res.body ?? '');
  return match ? Number(match[1]) : -1;
}

async function waitInFlight(url: string, n: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await inFlight(url)) !== n) {
    if (Date.now() > deadline) throw new Error(`expected ${n} requests in flight`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('SIGTERM with requests in flight: every request completes, new connections are refused, resources close in reverse order, exit 0', { timeout: 40_000 }, async (t) => {
  const child = await startChild(t, { SLOW_MS: '1500', SHUTDOWN_DELAY_MS: '0' });
  const pending = Array.from({ length: 5 }, () => get(`${child.url}/slow`));
  await waitInFlight(child.url, 5);

  child.proc.kill('SIGTERM');
  await eventually(() => child.lines.some((l) => l.msg === 'shutting down'), 10_000, 'shutdown to begin');
  const late = await get(`${child.url}/health`);
  if (late.error === undefined) assert.equal(late.status, 503, 'a connection after SIGTERM gets 503 if not refused');
  // A connect that races the listener's close lands in the kernel's accept queue and is reset when the socket closes.
  else assert.ok(['ECONNREFUSED', 'ECONNRESET'].includes(late.error), `refused, or reset from the accept queue: ${late.error}`);

  const outcomes = await Promise.all(pending);
  for (const outcome of outcomes) assert.deepEqual(outcome, { status: 200, body: '{"done":true}' });
  const { code, signal } = await child.exited;
  assert.equal(signal, null);
  assert.equal(code, 0);

  const closed = child.lines.filter((l) => typeof l.closed === 'string').map((l) => l.closed);
  assert.deepEqual(closed, ['second', 'first']);
  const messages = child.lines.map((l) => l.msg).filter(Boolean);
  assert.ok(messages.indexOf('server closed; all requests finished') < messages.indexOf('stopped'));
  assert.equal(child.lines.filter((l) => l.msg === 'request completed' && l.route === '/slow').length, 5);
});

test('SIGINT shuts down the same way', { timeout: 40_000 }, async (t) => {
  const child = await startChild(t, { SLOW_MS: '300', SHUTDOWN_DELAY_MS: '0' });
  const pending = get(`${child.url}/slow`);
  await waitInFlight(child.url, 1);
  child.proc.kill('SIGINT');
  assert.equal((await pending).status, 200);
  assert.deepEqual(await child.exited, { code: 0, signal: null });
});

test('a second signal during shutdown exits at once', { timeout: 40_000 }, async (t) => {
  const child = await startChild(t, { SLOW_MS: '30000' });
  const pending = get(`${child.url}/slow`);
  await waitInFlight(child.url, 1);
  child.proc.kill('SIGTERM');
  await eventually(() => child.lines.some((l) => l.msg === 'shutting down'), 10_000, 'shutdown to begin');
  child.proc.kill('SIGTERM');
  assert.deepEqual(await child.exited, { code: 143, signal: null });
  assert.ok(child.lines.some((l) => l.msg === 'second signal during shutdown; exiting now'));
  assert.ok((await pending).error !== undefined, 'the abandoned request failed');
});

test('SIGTERM from outside, no delay configured: /ready is 503 at once, new connections are still served for the default drain delay, then refused', { timeout: 40_000 }, async (t) => {
  const child = await startChild(t, {});
  child.proc.kill('SIGTERM');
  await eventually(() => child.lines.some((l) => l.msg === 'shutting down'), 10_000, 'shutdown to begin');
  // Load balancers and discovery still send traffic for a moment: it is served, while readiness says "going away".
  const ready = await get(`${child.url}/ready`);
  assert.equal(ready.status, 503);
  assert.match(ready.body ?? '', /shutting_down/);
  assert.deepEqual(await get(`${child.url}/health`), { status: 200, body: '{"status":"ok"}' }, 'a new connection during the delay is served');
  const waiting = child.lines.find((l) => l.msg === 'not ready; still accepting connections until the delay ends');
  assert.ok(typeof waiting?.delayMs === 'number' && waiting.delayMs > 2000 && waiting.delayMs <= 3000, `the default delay is 3 s: ${JSON.stringify(waiting)}`);
  assert.deepEqual(await child.exited, { code: 0, signal: null });
  assert.equal((await get(`${child.url}/health`)).error, 'ECONNREFUSED');
});

test('under a supervisor (IPC channel), SIGTERM announces draining first and waits only as long as the supervisor asks', { timeout: 40_000 }, async (t) => {
  const child = await startChild(t, { SHUTDOWN_DELAY_MS: '20000' }, { ipc: true });
  const announced = new Promise<{ message: unknown; health: Outcome }>((resolve) => {
    child.proc.on('message', (message) => {
      // Other announcements (msx:listening at start) are not what this test is about.
      if ((message as { type?: unknown }).type !== 'msx:draining') return;
      // Still listening when it tells us: the supervisor drops it from the registry before it refuses anyone.
      void get(`${child.url}/health`).then((health) => {
        child.proc.send({ type: 'msx:drain-ack', delayMs: 100 });
        resolve({ message, health });
      });
    });
  });
  child.proc.kill('SIGTERM');
  const { message, health } = await announced;
  assert.deepEqual(message, { type: 'msx:draining' });
  assert.equal(health.status, 200);
  assert.deepEqual(await child.exited, { code: 0, signal: null }, 'exits long before the configured 20 s');
  const waiting = child.lines.find((l) => l.msg === 'not ready; still accepting connections until the delay ends');
  assert.ok(waiting === undefined || (typeof waiting.delayMs === 'number' && waiting.delayMs <= 100), JSON.stringify(waiting));
});

test('requests still running after SHUTDOWN_TIMEOUT_MS are cut, then resources close and the process exits 0', { timeout: 40_000 }, async (t) => {
  const child = await startChild(t, { SLOW_MS: '30000', SHUTDOWN_TIMEOUT_MS: '300', SHUTDOWN_DELAY_MS: '0' });
  const pending = get(`${child.url}/slow`);
  await waitInFlight(child.url, 1);
  child.proc.kill('SIGTERM');
  assert.ok((await pending).error !== undefined, 'the cut request failed');
  assert.deepEqual(await child.exited, { code: 0, signal: null });
  const cut = child.lines.find((l) => l.msg === 'shutdown timeout: cut requests still in flight');
  assert.equal(cut?.abandoned, 1);
  assert.deepEqual(child.lines.filter((l) => typeof l.closed === 'string').map((l) => l.closed), ['second', 'first']);
});

test('close() closes idle keep-alive connections instead of waiting for them to time out', { timeout: 10_000 }, async (t) => {
  const { service, url } = await startService(t, { env: { SHUTDOWN_TIMEOUT_MS: '600000' } }, (s) => s.app.get('/x', (_req, res) => res.json({})));
  service.server!.keepAliveTimeout = 600_000;
  const agent = new Agent({ keepAlive: true });
  t.after(() => agent.destroy());
  const socketClosed = new Promise<void>((resolve) => {
    const req = request(`${url}/x`, { agent }, (res) => {
      res.resume();
      res.on('end', () => undefined);
    });
    req.on('socket', (socket) => socket.once('close', () => resolve()));
    req.end();
  });
  await eventually(() => Object.keys(agent.freeSockets).length === 1, 3000, 'an idle pooled connection');
  await service.close();
  await socketClosed;
});

test('resources close in reverse order; one that fails is reported and the others still close', async (t) => {
  const { service } = await startService(t);
  const order: string[] = [];
  service.onClose('database', () => void order.push('database'));
  service.onClose('bus', () => {
    order.push('bus');
    throw new Error('channel already closed');
  });
  service.onClose('consumer', async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    order.push('consumer');
  });
  await assert.rejects(service.close(), (error: unknown) => {
    assert.ok(error instanceof ShutdownError);
    assert.deepEqual(error.failures.map((f) => f.resource), ['bus']);
    return true;
  });
  assert.deepEqual(order, ['consumer', 'bus', 'database']);
  // close() is idempotent: the same outcome, no second run.
  await assert.rejects(service.close(), ShutdownError);
  assert.deepEqual(order, ['consumer', 'bus', 'database']);
});

test('listen() on a port in use fails with a ListenError naming the address', async (t) => {
  const first = await startService(t);
  const port = Number(new URL(first.url).port);
  const { createService, ListenError } = await import('../../src/index.js');
  const second = createService({ name: 'dup', env: {}, logDestination: { write() {} } });
  await assert.rejects(second.listen({ port, host: '127.0.0.1', handleSignals: false }), (error: unknown) => {
    assert.ok(error instanceof ListenError);
    assert.equal(error.code, 'EADDRINUSE');
    assert.equal(error.message, `dup: cannot listen on 127.0.0.1:${port}: address already in use`);
    return true;
  });
});
