/**
 * `msx alerts` on a real local system: a generated system (gateway and
 * users) under `msx up -d`, whose users service gets one route that answers
 * 500 and alert rules that wait 3s (`alerts.for`). While it takes those
 * requests the error-rate alert is pending in a 1s window and fires in a 3s
 * one, in `msx alerts` and under `msx metrics`; `msx alerts --watch` shows it
 * pending, then firing once 3s have passed. Once the traffic is all 200
 * again, the next window has no 5xx and the alert clears.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { launchBrowser, screenshot, seriousAccessibilityViolations } from '../support/browser.js';
import { startDashboard } from '../support/dashboard.js';
import { openPage } from '../support/dashboard-pages.js';
import { freePort } from '../support/free-port.js';
import { installAndBuild } from '../support/install-system.js';
import { LocalSystem, until } from '../support/local-system.js';
import { MSX_BIN, msx, tempDir } from '../support/msx.js';
import { startRequestLoop, type RequestLoop } from '../support/request-loop.js';

interface AlertRow {
  service: string;
  alert: string;
  severity: string;
  state: 'firing' | 'pending' | 'ok' | 'unknown';
  value: number | null;
  threshold: number;
  for: string;
  activeSince: string | null;
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
  // users is reached on its own port (open), and alerts above 20% 5xx after 3s: msx.yaml's threshold and "for", not the defaults.
  writeFileSync(manifestPath, readFileSync(manifestPath, 'utf8')
    .replace('port: 8080', `port: ${gatewayPort}`)
    .replace('port: 3001', `port: ${usersPort}\n    open: true\n    alerts:\n      errorRate: 0.2\n      for: 3s`));
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

async function alerts(window = '1s'): Promise<AlertRow[]> {
  const result = await msx(['alerts', 'users', '--json', '--window', window], { cwd: root });
  assert.equal(result.exitCode, 0, `msx alerts exits 0 whatever fires: ${result.stderr}`);
  return JSON.parse(result.stdout) as AlertRow[];
}

const errorRate = (rows: AlertRow[]) => rows.find((r) => r.alert === 'HighErrorRate')!;

/** `msx alerts users --watch --json --window 1s` until `enough` says its lines are enough (then Ctrl-C, as a user stops it). */
async function watchAlerts(enough: (lines: { at: string; alerts: AlertRow[] }[]) => boolean): Promise<{ at: string; alerts: AlertRow[] }[]> {
  const child = execa(process.execPath, [MSX_BIN, 'alerts', 'users', '--watch', '--json', '--window', '1s'], { cwd: root, reject: false, stdin: 'ignore', env: { NO_COLOR: '1' }, timeout: 60_000 });
  const lines: { at: string; alerts: AlertRow[] }[] = [];
  let buffered = '';
  let stopping = false;
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buffered.slice(0, newline)) as { at: string; alerts: AlertRow[] });
      buffered = buffered.slice(newline + 1);
      if (enough(lines) && !stopping) {
        stopping = true;
        child.kill('SIGINT');
      }
    }
  });
  const result = await child;
  assert.equal(result.exitCode, 0, `Ctrl-C ends the watch: ${result.stderr}`);
  return lines;
}

test('a service answering 5xx has its error-rate alert pending, then firing once it held for its "for"; it clears once the errors stop', { timeout: 180_000 }, async (t) => {
  await system.ps();
  const quiet = await alerts();
  assert.deepEqual(quiet.map((r) => r.alert).sort(), ['HighErrorRate', 'HighLatencyP99', 'InstanceRestarting']);
  assert.ok(quiet.every((r) => r.service === 'users' && r.state === 'ok' && r.for === (r.alert === 'InstanceRestarting' ? '0s' : '3s') && r.activeSince === null), JSON.stringify(quiet));
  assert.equal(errorRate(quiet).threshold, 0.2, 'the threshold from msx.yaml');

  const url = (path: string) => `http://127.0.0.1:${usersPort}${path}`;
  let loop: RequestLoop | undefined = startRequestLoop(() => fetch(url('/boom'), { signal: AbortSignal.timeout(5000) }), 20, 500);
  t.after(() => loop?.stop());
  const pending = await until('the error-rate alert to be pending in a 1s window', async () => {
    const row = errorRate(await alerts());
    return row.state === 'pending' ? row : undefined;
  }, 60_000);
  assert.ok(pending.value !== null && pending.value > 0.2, `the 5xx share measured: ${pending.value}`);
  assert.ok(pending.activeSince !== null);

  // Window after window: pending while the condition has held less than 3s, then firing, since the same moment.
  const watched = await watchAlerts((lines) => lines.some((l) => errorRate(l.alerts).state === 'firing'));
  const states = watched.map((l) => errorRate(l.alerts).state);
  const firstFiring = states.indexOf('firing');
  assert.ok(firstFiring >= 1, `a 1s window holds less than the 3s "for": pending first: ${states.join(', ')}`);
  assert.ok(states.slice(0, firstFiring).every((s) => s === 'pending'), states.join(', '));
  const since = new Set(watched.map((l) => errorRate(l.alerts).activeSince));
  assert.equal(since.size, 1, 'held since one moment throughout, pending and firing alike');
  assert.equal(errorRate(watched[firstFiring]!.alerts).severity, 'critical');

  // One window as long as the "for" fires on its own.
  const firing = await until('the error-rate alert to fire in a 3s window', async () => {
    const row = errorRate(await alerts('3s'));
    return row.state === 'firing' ? row : undefined;
  }, 60_000);
  assert.ok(firing.value !== null && firing.value > 0.2);
  const table = await msx(['alerts', '--window', '3s'], { cwd: root });
  assert.equal(table.exitCode, 0, table.stderr);
  assert.match(table.stdout, /^service\s+alert\s+severity\s+state\s+value\s+fires above\s+for/m);
  assert.match(table.stdout, /^users\s+HighErrorRate\s+critical\s+firing\s+\d+(\.\d+)?%\s+20%\s+held 3s of 3s/m);
  assert.match(table.stdout, /^gateway\s+HighErrorRate\s+critical\s+ok\s+\S+\s+5%\s+2m\s*$/m, 'the gateway took none of those requests, and waits its default 2m');
  const metrics = await msx(['metrics', '--window', '3s'], { cwd: root });
  assert.equal(metrics.exitCode, 0, metrics.stderr);
  assert.match(metrics.stdout, /alerts? firing:\n\s+HighErrorRate users \(critical\): users answers more than 20% of its requests with 5xx; now \d/);
  const short = await msx(['metrics', 'users', '--window', '1s'], { cwd: root });
  assert.match(short.stdout, /alerts? pending .*\n\s+HighErrorRate users \(critical\): .*held 1s of 3s/, short.stdout);

  const failing = await loop.stop();
  assert.ok(failing.ok > 0, 'the route answered 500');
  loop = startRequestLoop(() => fetch(url('/users'), { signal: AbortSignal.timeout(5000) }), 20, 200);
  const cleared = await until('the error-rate alert to clear', async () => {
    const row = errorRate(await alerts());
    return row.state === 'ok' ? row : undefined;
  }, 60_000);
  assert.equal(cleared.value, 0, 'requests kept coming, none of them 5xx');
  assert.equal(cleared.activeSince, null);
  const fine = await loop.stop();
  loop = undefined;
  assert.deepEqual(fine.failures, []);
  const calm = await msx(['metrics', 'users', '--window', '1s'], { cwd: root });
  assert.doesNotMatch(calm.stdout, /firing|pending/);
});

test('the dashboard\'s Metrics page shows the same rule pending, then firing, with a count on its tab; and no alert once the errors stop', { timeout: 180_000 }, async (t) => {
  const dashboard = await startDashboard(root);
  t.after(() => dashboard.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.newPage();
  await page.goto(dashboard.url);
  await openPage(page, '#/metrics');
  await page.locator('[data-alerts="none"]').filter({ hasText: 'No alert firing or pending' }).waitFor({ timeout: 30_000 });

  const url = (path: string) => `http://127.0.0.1:${usersPort}${path}`;
  let loop: RequestLoop | undefined = startRequestLoop(() => fetch(url('/boom'), { signal: AbortSignal.timeout(5000) }), 20, 500);
  t.after(() => loop?.stop());
  const row = page.locator('tr[data-alert="users/HighErrorRate"]');
  // The dashboard measures 2 s windows: the first that holds is pending (2s of 3s), the next fires.
  await row.and(page.locator('[data-state="pending"]')).waitFor({ timeout: 30_000 });
  assert.match((await row.textContent()) ?? '', /HighErrorRatecriticalpending\d+(\.\d+)?%20%held \ds of 3s/);
  await row.and(page.locator('[data-state="firing"]')).waitFor({ timeout: 30_000 });
  assert.equal(await page.getByRole('link', { name: /^Metrics\W+1 alert firing$/ }).count(), 1, 'the tab counts the firing alert, and says so to a screen reader');
  assert.deepEqual(await seriousAccessibilityViolations(page), [], 'axe-core on the Metrics page with an alert firing');
  await screenshot(page, 'local-metrics-alert-firing');

  await loop.stop();
  loop = startRequestLoop(() => fetch(url('/users'), { signal: AbortSignal.timeout(5000) }), 20, 200);
  await page.locator('[data-alerts="none"]').waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('nav .badge').count(), 0, 'no count once nothing fires');
  await loop.stop();
  loop = undefined;
});
