import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa, type ResultPromise } from 'execa';
import { Agent, request } from 'undici';
import { gatewayIdentityHeaders } from '../../runtime/src/auth/index.js';
import { parseEnvFile } from '../../src/scaffold/secrets.js';
import { freePort } from '../support/free-port.js';
import { msx, tempDir, userEnv } from '../support/msx.js';

// The whole first job of msx, as a user does it: generate a system, install
// it from the registry, build it with tsc, run its own tests, start each
// service with the documented command, and stop it with SIGTERM under load.

let dir: string;
let cleanup: () => void;
let root: string;

before(async () => {
  ({ dir, cleanup } = tempDir('msx-e2e-'));
  const created = await msx(['new', 'demo', '--services', 'users,orders', '--yes'], { cwd: dir });
  assert.equal(created.exitCode, 0, created.stderr);
  root = join(dir, 'demo');
  const install = await execa('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: root, reject: false, timeout: 900_000, env: userEnv(), extendEnv: false });
  assert.equal(install.exitCode, 0, `npm install failed:\n${install.stderr}`);
});

after(() => cleanup());

test('the generated system builds with tsc without errors', async () => {
  const build = await execa('npm', ['run', 'build'], { cwd: root, reject: false, timeout: 180_000, env: userEnv(), extendEnv: false });
  assert.equal(build.exitCode, 0, `${build.stdout}\n${build.stderr}`);
});

test('the generated system passes its own tests', async () => {
  const tests = await execa('npm', ['test'], { cwd: root, reject: false, timeout: 180_000, env: userEnv(), extendEnv: false });
  assert.equal(tests.exitCode, 0, `${tests.stdout}\n${tests.stderr}`);
  // Each service's tests ran (node's runner prints a summary per workspace).
  const passes = [...tests.stdout.matchAll(/^# pass (\d+)$/gm)].map((m) => Number(m[1]));
  assert.equal(passes.length, 3, `three services tested:\n${tests.stdout}`);
  assert.ok(passes.every((n) => n > 0));
  assert.doesNotMatch(tests.stdout, /^# fail [1-9]/m);
});

// Returns the child in a wrapper: an execa child is a promise, and returning
// it from an async function would wait for the process to exit.
async function startService(name: string, port: number): Promise<{ child: ResultPromise }> {
  // The documented start command (the system README's table).
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const documented = new RegExp(`^\\| ${name} \\| http \\| \\d+ \\| \`([^\`]+)\``, 'm').exec(readme)?.[1];
  assert.equal(documented, `node --env-file=.env services/${name}/dist/src/main.js`);
  const [command, ...args] = documented.split(' ');
  const child = execa(command === 'node' ? process.execPath : command!, args, {
    cwd: root,
    reject: false,
    // MAX_ITEMS above what the load below posts: the test is about draining, not the in-memory store's cap (its own test covers that).
    env: userEnv({ PORT: String(port), LOG_LEVEL: 'info', MAX_ITEMS: '10000000' }),
    extendEnv: false,
    forceKillAfterDelay: false,
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/ready`);
      if (res.status === 200) return { child };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      const result = await child;
      assert.fail(`${name} did not become ready on ${port}:\n${result.stdout}\n${result.stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The identity headers the system's gateway would send, signed with its generated secret. */
function asGateway(): Record<string, string> {
  const secret = parseEnvFile(readFileSync(join(root, '.env'), 'utf8')).GATEWAY_IDENTITY_SECRET;
  assert.ok(secret, '.env holds GATEWAY_IDENTITY_SECRET');
  return gatewayIdentityHeaders({ sub: 'e2e-user', secret });
}

for (const name of ['users', 'orders']) {
  test(`${name} answers a caller that neither the gateway nor a service token vouches for with 401, on every route`, async () => {
    const port = await freePort();
    const { child } = await startService(name, port);
    const base = `http://127.0.0.1:${port}`;
    try {
      for (const [method, path] of [['GET', `/${name}`], ['POST', `/${name}`], ['GET', `/${name}/x`]] as const) {
        const res = await fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json' }, body: method === 'POST' ? '{"name":"x"}' : undefined });
        assert.equal(res.status, 401, `${method} ${path}`);
        assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
        assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
      }
      const signed = await fetch(`${base}/${name}`, { method: 'POST', headers: { 'content-type': 'application/json', ...asGateway() }, body: '{"name":"x"}' });
      assert.equal(signed.status, 201, 'the gateway\'s signed identity is accepted');
    } finally {
      child.kill('SIGKILL');
    }
  });

  test(`${name} starts, answers /health, /ready and /metrics, and stops cleanly on SIGTERM under load`, async () => {
    const port = await freePort();
    const { child } = await startService(name, port);
    const base = `http://127.0.0.1:${port}`;
    try {
      const health = await fetch(`${base}/health`);
      assert.equal(health.status, 200);
      const ready = await fetch(`${base}/ready`);
      assert.equal(ready.status, 200);
      const identity = asGateway();
      await fetch(`${base}/${name}`, { headers: identity });
      const metrics = await fetch(`${base}/metrics`);
      assert.equal(metrics.status, 200);
      assertPrometheusText(await metrics.text(), name);

      // Keep a steady stream of requests in flight, send SIGTERM in the
      // middle, and account for every single request.
      const agent = new Agent({ connections: 32, pipelining: 1 });
      const outcomes = { ok: 0, refused: 0, lost: [] as string[] };
      let stop = false;
      let sentBeforeSignal = 0;
      let signalled = false;
      const worker = async () => {
        while (!stop) {
          const wasBeforeSignal = !signalled;
          if (wasBeforeSignal) sentBeforeSignal++;
          try {
            const res = await request(`${base}/${name}`, {
              method: 'POST',
              dispatcher: agent,
              headers: { 'content-type': 'application/json', ...identity },
              body: JSON.stringify({ name: 'load' }),
            });
            await res.body.text();
            if (res.statusCode === 201) outcomes.ok++;
            else if (res.statusCode === 503 && !wasBeforeSignal) outcomes.refused++;
            else outcomes.lost.push(`status ${res.statusCode}`);
          } catch (error) {
            const code = (error as { code?: string }).code ?? '';
            // After the signal, a new connection may be refused: that request
            // was never accepted, so nothing was lost.
            if (!wasBeforeSignal && /ECONNREFUSED|UND_ERR_CONNECT|ECONNRESET|UND_ERR_SOCKET|UND_ERR_CLOSED/.test(code)) outcomes.refused++;
            else outcomes.lost.push(`${code || (error as Error).message}`);
            if (!wasBeforeSignal) await new Promise((r) => setTimeout(r, 20));
          }
        }
      };
      const workers = Array.from({ length: 16 }, worker);
      await new Promise((r) => setTimeout(r, 500));
      signalled = true;
      child.kill('SIGTERM');
      const result = await child;
      stop = true;
      await Promise.all(workers);
      await agent.close();

      assert.equal(result.exitCode, 0, `exit code after SIGTERM: ${result.exitCode}\n${result.stderr}`);
      assert.ok(sentBeforeSignal > 50, `load was running (${sentBeforeSignal} requests before the signal)`);
      assert.deepEqual(outcomes.lost, [], 'no request accepted before SIGTERM was lost');
      assert.ok(outcomes.ok >= sentBeforeSignal, `every request sent before SIGTERM completed (${outcomes.ok} ok of ${sentBeforeSignal})`);
    } finally {
      child.kill('SIGKILL');
    }
  });
}

/** Checks the Prometheus text exposition format line by line, and the metrics msx promises. */
function assertPrometheusText(text: string, service: string): void {
  const sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? -?(\d+(\.\d+)?([eE][-+]?\d+)?|NaN|\+Inf|-Inf)( \d+)?$/;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    assert.match(line, sample, `not a valid exposition line: ${line}`);
  }
  assert.match(text, /^# TYPE http_request_duration_seconds histogram$/m);
  assert.match(text, new RegExp(`^http_requests_total\\{[^}]*route="/${service}"[^}]*\\} \\d+`, 'm'));
  assert.match(text, /^# TYPE http_requests_in_flight gauge$/m);
  assert.match(text, /^process_resident_memory_bytes(\{[^}]*\})? \d+/m);
}
