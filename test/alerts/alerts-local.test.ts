/**
 * `msx alerts` on a real local system: a generated system (gateway and
 * users) under `msx up -d`, whose users service gets one route that answers
 * 500. While it takes those requests the error-rate alert fires, in
 * `msx alerts` and under `msx metrics`; once the traffic is all 200 again,
 * the next window has no 5xx and the alert clears.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { freePort } from '../support/free-port.js';
import { installAndBuild } from '../support/install-system.js';
import { LocalSystem, until } from '../support/local-system.js';
import { msx, tempDir } from '../support/msx.js';
import { startRequestLoop, type RequestLoop } from '../support/request-loop.js';

interface AlertRow {
  service: string;
  alert: string;
  severity: string;
  state: 'firing' | 'ok' | 'unknown';
  value: number | null;
  threshold: number;
}

const temp = tempDir('msx-alerts-');
const root = join(temp.dir, 'demo');
const system = new LocalSystem(root);
let usersPort: number;

before(async () => {
  const created = await msx(['new', 'demo', '--services', 'users', '--yes'], { cwd: temp.dir });
  assert.equal(created.exitCode, 0, created.stderr);
  const gatewayPort = await freePort();
  usersPort = await freePort();
  const manifestPath = join(root, 'msx.yaml');
  // users is reached on its own port (open), and alerts above 20% 5xx: msx.yaml's threshold, not the default.
  writeFileSync(manifestPath, readFileSync(manifestPath, 'utf8')
    .replace('port: 8080', `port: ${gatewayPort}`)
    .replace('port: 3001', `port: ${usersPort}\n    open: true\n    alerts:\n      errorRate: 0.2`));
  const routes = join(root, 'services', 'users', 'src', 'routes.ts');
  const source = readFileSync(routes, 'utf8');
  const at = source.indexOf('  serveContract(service, contract, {');
  assert.ok(at > 0, 'the template serves its contract');
  writeFileSync(routes, `${source.slice(0, at)}  service.app.get('/boom', (_req, res) => {\n    res.status(500).json({ error: 'boom' });\n  });\n\n${source.slice(at)}`);
  await installAndBuild(root);
  const up = await msx(['up', '-d'], { cwd: root, timeout: 180_000 });
  assert.equal(up.exitCode, 0, up.stderr);
}, { timeout: 600_000 });

after(async () => {
  await msx(['down'], { cwd: root, timeout: 120_000 });
  system.killLeftovers();
  temp.cleanup();
});

async function alerts(): Promise<AlertRow[]> {
  const result = await msx(['alerts', 'users', '--json', '--window', '1s'], { cwd: root });
  assert.equal(result.exitCode, 0, `msx alerts exits 0 whatever fires: ${result.stderr}`);
  return JSON.parse(result.stdout) as AlertRow[];
}

const errorRate = (rows: AlertRow[]) => rows.find((r) => r.alert === 'HighErrorRate')!;

test('a service answering 5xx fires its error-rate alert within the window, and it clears once the errors stop', { timeout: 180_000 }, async (t) => {
  await system.ps();
  const quiet = await alerts();
  assert.deepEqual(quiet.map((r) => r.alert).sort(), ['HighErrorRate', 'HighLatencyP99', 'InstanceRestarting']);
  assert.ok(quiet.every((r) => r.service === 'users' && r.state === 'ok'), JSON.stringify(quiet));
  assert.equal(errorRate(quiet).threshold, 0.2, 'the threshold from msx.yaml');

  const url = (path: string) => `http://127.0.0.1:${usersPort}${path}`;
  let loop: RequestLoop | undefined = startRequestLoop(() => fetch(url('/boom'), { signal: AbortSignal.timeout(5000) }), 20, 500);
  t.after(() => loop?.stop());
  const firing = await until('the error-rate alert to fire', async () => {
    const row = errorRate(await alerts());
    return row.state === 'firing' ? row : undefined;
  }, 60_000);
  assert.equal(firing.severity, 'critical');
  assert.ok(firing.value !== null && firing.value > 0.2, `the 5xx share measured: ${firing.value}`);

  const table = await msx(['alerts', '--window', '1s'], { cwd: root });
  assert.equal(table.exitCode, 0, table.stderr);
  assert.match(table.stdout, /^service\s+alert\s+severity\s+state\s+value\s+fires above/m);
  assert.match(table.stdout, /^users\s+HighErrorRate\s+critical\s+firing\s+\d+(\.\d+)?%\s+20%/m);
  assert.match(table.stdout, /^gateway\s+HighErrorRate\s+critical\s+ok\b/m, 'the gateway took none of those requests');
  const metrics = await msx(['metrics', '--window', '1s'], { cwd: root });
  assert.equal(metrics.exitCode, 0, metrics.stderr);
  assert.match(metrics.stdout, /alerts? firing:\n\s+HighErrorRate users \(critical\): users answers more than 20% of its requests with 5xx; now \d/);

  const failing = await loop.stop();
  assert.ok(failing.ok > 0, 'the route answered 500');
  loop = startRequestLoop(() => fetch(url('/users'), { signal: AbortSignal.timeout(5000) }), 20, 200);
  const cleared = await until('the error-rate alert to clear', async () => {
    const row = errorRate(await alerts());
    return row.state === 'ok' ? row : undefined;
  }, 60_000);
  assert.equal(cleared.value, 0, 'requests kept coming, none of them 5xx');
  const fine = await loop.stop();
  loop = undefined;
  assert.deepEqual(fine.failures, []);
  const calm = await msx(['metrics', 'users', '--window', '1s'], { cwd: root });
  assert.doesNotMatch(calm.stdout, /firing/);
});
