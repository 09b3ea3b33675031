/**
 * The reference shop on the compose target, end to end on a real Docker
 * engine, once with compose v2 and once with v1 (MSX_COMPOSE picks which):
 * msx up --target compose (builds the images, renders, starts, waits for
 * health), then through the gateway: sign-up, a product, an order that
 * confirms, one declined (compensated), one out of stock; notifications; ps;
 * logs --trace across services; trace <id> across all six services;
 * metrics; Prometheus scraping every replica; scale orders=3 served by three
 * containers; a request loop through scale orders=1 with no failure; a
 * SIGKILLed orders container restarted; on v2, the dashboard's page tests (as on
 * the local target: test/support/dashboard-pages.ts); down and up with the data kept;
 * down --volumes and no volume of it is left. The infrastructure images are the stand-ins
 * scripts/ci-images.sh builds (no registry can be reached).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { execa } from 'execa';
import { parseDocument } from 'yaml';
import pg from 'pg';
import { dockerEngine } from '../../src/containers/docker-engine.js';
import { databaseServiceName } from '../../src/targets/compose/compose-names.js';
import { parseEnvFile } from '../../src/scaffold/secrets.js';
import { databasePasswordVariable } from '../../src/targets/compose/compose-secrets.js';
import { launchBrowser } from '../support/browser.js';
import { startDashboard } from '../support/dashboard.js';
import { checkDeadLetterRedrive, checkLogLine, checkMap, checkMetrics, checkOrderTrace, checkRestart, checkSaga, type BreakableHandler } from '../support/dashboard-pages.js';
import { containerImages, requireDocker } from '../support/containers.js';
import { freePort } from '../support/free-port.js';
import { until as untilAny } from '../support/local-system.js';
import { msx, tempDir, userEnv } from '../support/msx.js';
import { startRequestLoop } from '../support/request-loop.js';

const until = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000) => untilAny(what, probe, timeoutMs, { retryOnError: true });

interface PsRow {
  id: string;
  service: string;
  state: string;
  ready: boolean;
  restarts: number;
  url?: string;
  details: { container: string; id: string };
}

for (const compose of ['v2', 'v1'] as const) {
  describe(`the shop on compose ${compose}`, { concurrency: false }, () => {
    const temp = tempDir(`msx-shop-compose-${compose}-`);
    // A project name of its own per variant, so the two never share containers or volumes.
    const name = `shopc${compose}`;
    const root = join(temp.dir, name);
    let gatewayUrl = '';
    let available = true;
    const env = () => ({ ...userEnv(), MSX_COMPOSE: compose });

    async function run(args: string[], timeout = 600_000): Promise<string> {
      const result = await msx(args, { cwd: root, env: env(), timeout });
      assert.equal(result.exitCode, 0, `msx ${args.join(' ')}: ${result.stderr}\n${result.stdout}`);
      return result.stdout;
    }
    const ps = async () => JSON.parse(await run(['ps', '--json'])) as PsRow[];

    async function api<T = unknown>(method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; body: T }> {
      const res = await fetch(`${gatewayUrl}${path}`, {
        method,
        headers: {
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...options.headers,
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
    }

    // In a test, not a before hook: requireDocker skips (or, in CI, fails) through a test's context.
    test('the shop is generated and pointed at the stand-in images', { timeout: 1_800_000 }, async (t) => {
      available = await requireDocker(t);
      if (!available) return;
      const images = await containerImages();
      const created = await msx(['new', name, '--example', 'shop', '--yes'], { cwd: temp.dir });
      assert.equal(created.exitCode, 0, created.stderr);
      const file = join(root, 'msx.yaml');
      const doc = parseDocument(readFileSync(file, 'utf8'));
      const gatewayPort = await freePort();
      doc.setIn(['services', 'gateway', 'port'], gatewayPort);
      doc.setIn(['infrastructure', 'compose', 'images'], images);
      writeFileSync(file, doc.toString());
      gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
      // The images build with npm ci from the lockfile; no node_modules are needed on this side.
      const lock = await execa('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: root, reject: false, env: userEnv(), extendEnv: false, timeout: 300_000 });
      assert.equal(lock.exitCode, 0, String(lock.stderr));
    });

    after(async () => {
      if (available) await msx(['down', '--volumes', '--target', 'compose'], { cwd: root, env: env(), timeout: 180_000 }).catch(() => undefined);
      temp.cleanup();
    }, { timeout: 200_000 });

    const traceId = randomBytes(16).toString('hex');
    let user: { id: string };
    let token = '';
    let pen: { id: string };
    let gold: { id: string };
    let confirmed: { id: string };

    test('msx up --target compose builds, starts and waits for every container to be healthy', { timeout: 1_500_000 }, async (t) => {
      if (!available) return t.skip('no Docker engine');
      const out = await run(['up', '--target', 'compose', '--timeout', '180s'], 1_400_000);
      assert.match(out, /service\s+instance\s+state\s+health\s+restarts\s+url/);
      assert.match(out, new RegExp(`gateway-1\\s+ready\\s+healthy\\s+0\\s+${gatewayUrl.replace(/\./g, '\\.')}`));
      const rows = await ps();
      assert.deepEqual([...new Set(rows.map((r) => r.service))].sort(), ['gateway', 'notifications', 'orders', 'payments', 'products', 'users']);
      assert.ok(rows.every((r) => r.ready && r.state === 'ready'), JSON.stringify(rows));
      // Compose v2 names containers <project>-<service>-<n>, v1 <project>_<service>_<n>.
      const sep = compose === 'v2' ? '-' : '_';
      for (const r of rows) assert.equal(r.details.container, `${name}${sep}${r.id.replace(/-(\d+)$/, `${sep}$1`)}`, 'each row names its container');
      // The system knows where it runs: no --target from here on.
      assert.equal(JSON.parse(readFileSync(join(root, '.msx', 'deployment.json'), 'utf8')).target, 'compose');
      const table = await run(['ps']);
      assert.match(table, /orders-1\s+\S+\s+\S+\s+ready\s+yes\s+0\s+\d+[smh]/);
    });

    test('msx up locally while it runs on compose says where it runs', async (t) => {
      if (!available) return t.skip('no Docker engine');
      const result = await msx(['up', '-d', '--target', 'local'], { cwd: root, env: env() });
      assert.equal(result.exitCode, 1);
      assert.match(result.stderr, /already running on compose/);
      assert.match(result.stderr, /msx down/);
    });

    test('through the gateway: sign-up, products, an order that confirms, one declined, one out of stock', { timeout: 120_000 }, async (t) => {
      if (!available) return t.skip('no Docker engine');
      const signUp = await api<{ id: string }>('POST', '/api/users', { body: { email: 'ann@example.com', name: 'Ann' } });
      assert.equal(signUp.status, 201, JSON.stringify(signUp.body));
      user = signUp.body;
      token = (await run(['token', '--sub', user.id])).trim();
      assert.equal((await api('GET', `/api/users/${user.id}`, { token })).status, 200, 'the token minted from .env is the one the gateway container checks');
      pen = (await api<{ id: string }>('POST', '/api/products', { token, body: { name: 'pen', price: 150, stock: 10 } })).body;
      gold = (await api<{ id: string }>('POST', '/api/products', { token, body: { name: 'gold bar', price: 200_000, stock: 3 } })).body;

      const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
      const ok = await api<{ id: string; status: string; total: number }>('POST', '/api/orders', { token, body: { items: [{ productId: pen.id, quantity: 2 }] }, headers: { traceparent } });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      assert.deepEqual({ status: ok.body.status, total: ok.body.total }, { status: 'confirmed', total: 300 });
      confirmed = ok.body;
      const declined = await api<{ status: string }>('POST', '/api/orders', { token, body: { items: [{ productId: gold.id, quantity: 1 }] } });
      assert.equal(declined.status, 402);
      assert.equal(declined.body.status, 'cancelled');
      const tooMany = await api<{ status: string }>('POST', '/api/orders', { token, body: { items: [{ productId: pen.id, quantity: 50 }] } });
      assert.equal(tooMany.status, 409);

      const kinds = await until('notifications', async () => {
        const seen = (await api<{ kind: string }[]>('GET', `/api/notifications?userId=${user.id}`, { token })).body.map((n) => n.kind);
        return seen.includes('order-confirmed') && seen.filter((k) => k === 'order-cancelled').length >= 2 ? seen : undefined;
      });
      assert.equal(kinds.filter((k) => k === 'welcome').length, 1);
      const penNow = await until('pen reservations to settle', async () => {
        const read = await api<{ stock: number; reserved: number }>('GET', `/api/products/${pen.id}`);
        return read.body.reserved === 0 ? read.body : undefined;
      });
      assert.equal(penNow.stock, 8, 'two pens sold, none held by the declined or refused orders');
    });

    test('trace <id> covers all six services, and logs --trace has lines of several', { timeout: 120_000 }, async (t) => {
      if (!available) return t.skip('no Docker engine');
      const services = await until('the order trace in the msx-collector container', async () => {
        const result = await msx(['trace', traceId, '--json'], { cwd: root, env: env() });
        if (result.exitCode !== 0) return undefined;
        const found = (JSON.parse(result.stdout) as { services: string[] }).services;
        return found.length >= 6 ? found : undefined;
      });
      assert.deepEqual([...services].sort(), ['gateway', 'notifications', 'orders', 'payments', 'products', 'users']);
      const logs = await run(['logs', '--trace', traceId, '--json']);
      const lines = logs.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { service?: string });
      assert.ok(new Set(lines.map((l) => l.service)).size >= 3, `log lines from several services: ${logs.slice(0, 500)}`);
    });

    test('metrics per service, and Prometheus lists every replica up', { timeout: 120_000 }, async (t) => {
      if (!available) return t.skip('no Docker engine');
      // Every instance answers its /metrics; on a loaded machine one round may miss one, so a few rounds are allowed.
      let rows: { service: string; instances: number; unreachable: number }[] = [];
      await until('msx metrics to reach every instance of gateway, orders and users', async () => {
        rows = JSON.parse(await run(['metrics', '--json'])) as typeof rows;
        return ['gateway', 'orders', 'users'].every((service) => rows.some((r) => r.service === service && r.instances >= 1 && r.unreachable === 0)) ? true : undefined;
      }, 60_000);
      for (const service of ['gateway', 'orders', 'users']) {
        const row = rows.find((r) => r.service === service);
        assert.ok(row && row.instances >= 1 && row.unreachable === 0, `${service}: ${JSON.stringify(row)}`);
      }
      const docker = dockerEngine();
      const [prometheus] = await docker.listContainers({ filters: { label: [`com.docker.compose.project=${name}`, 'com.docker.compose.service=prometheus'] } });
      assert.ok(prometheus, 'a Prometheus container runs');
      const address = Object.values(prometheus.NetworkSettings.Networks)[0]!.IPAddress;
      const instances = (await ps()).length;
      await until('Prometheus to scrape every replica', async () => {
        const body = (await (await fetch(`http://${address}:9090/api/v1/targets`)).json()) as { data: { activeTargets: { health: string; labels: Record<string, string> }[] } };
        const up = body.data.activeTargets.filter((x) => x.health === 'up');
        return up.length >= instances ? up : undefined;
      }, 90_000);
    });

    // The dashboard's page tests (test/support/dashboard-pages.ts, as on the local target), once: on v2. The
    // dashboard reads the system through the engine API, never through compose, so v1 would only repeat them.
    if (compose === 'v2') test('the dashboard on compose: map, a trace of six services, logs, restart, metrics, a dead letter re-driven, a saga', { timeout: 900_000 }, async (t) => {
      if (!available) return t.skip('no Docker engine');
      const handler = await notificationsDatabase();
      const dashboard = await startDashboard(root);
      const browser = await launchBrowser();
      try {
        const page = await browser.newPage();
        await page.goto(dashboard.url);
        const shop = { page, gatewayUrl, token, productId: pen.id, screenshotPrefix: `compose-`, ps };
        await checkMap(shop);
        const traceMs = await checkOrderTrace(shop);
        const logMs = await checkLogLine(shop);
        process.stdout.write(`# compose: order trace on the Traces page after ${traceMs} ms, a log line on the Logs page after ${logMs} ms\n`);
        await checkRestart(shop, 'users-1');
        await checkMetrics(shop);
        await checkDeadLetterRedrive(shop, handler);
        await checkSaga(shop);
      } finally {
        await browser.close();
        await dashboard.stop();
        await handler.close();
      }
    });

    /** The notifications handler made to fail by renaming its table away in notifications' own PostgreSQL container. */
    async function notificationsDatabase(): Promise<BreakableHandler & { close(): Promise<void> }> {
      const [container] = await dockerEngine().listContainers({ filters: { label: [`com.docker.compose.project=${name}`, `com.docker.compose.service=${databaseServiceName('notifications')}`] } });
      assert.ok(container, 'notifications has a PostgreSQL container');
      const host = Object.values(container.NetworkSettings.Networks)[0]!.IPAddress;
      const secrets = parseEnvFile(readFileSync(join(root, '.env'), 'utf8'));
      const client = new pg.Client({ host, port: 5432, user: 'notifications', database: 'notifications', password: secrets[databasePasswordVariable('notifications')] });
      await client.connect();
      return {
        breakHandler: async () => void await client.query('ALTER TABLE notifications RENAME TO notifications_away'),
        fixHandler: async () => void await client.query('ALTER TABLE notifications_away RENAME TO notifications'),
        notificationsOf: async (eventId) => (await client.query('SELECT count(*)::int AS n FROM notifications WHERE event_id = $1', [eventId])).rows[0].n as number,
        close: () => client.end().catch(() => undefined),
      };
    }

    test('scale orders=3 is served by three containers; a request loop through scale orders=1 sees no failure', { timeout: 600_000 }, async (t) => {
      if (!available) return t.skip('no Docker engine');
      await run(['scale', 'orders=3']);
      const rows = (await ps()).filter((r) => r.service === 'orders');
      assert.equal(rows.length, 3);
      assert.ok(rows.every((r) => r.ready));
      await until('three orders containers serving through the gateway', async () => {
        for (let i = 0; i < 15; i++) assert.equal((await api('GET', `/api/orders/${confirmed.id}`, { token })).status, 200);
        const logs = await run(['logs', 'orders', '--json', '--grep', 'request completed']);
        const instances = new Set(logs.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { instance?: string }).instance));
        return instances.size >= 3 ? instances : undefined;
      }, 120_000);

      const loop = startRequestLoop(() => fetch(`${gatewayUrl}/api/orders/${confirmed.id}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) }), 20);
      await run(['scale', 'orders=1']);
      const { ok, failures } = await loop.stop();
      assert.deepEqual(failures, [], `${failures.length} failed of ${ok + failures.length}`);
      assert.ok(ok > 0);
      assert.equal((await ps()).filter((r) => r.service === 'orders').length, 1);
    });

    test('a SIGKILLed orders container under load is restarted, and the invariants hold', { timeout: 300_000 }, async (t) => {
      if (!available) return t.skip('no Docker engine');
      const [victim] = (await ps()).filter((r) => r.service === 'orders');
      const loop = startRequestLoop(() => fetch(`${gatewayUrl}/api/orders`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ items: [{ productId: pen.id, quantity: 1 }] }), signal: AbortSignal.timeout(30_000) }), 200, 201);
      await new Promise((r) => setTimeout(r, 1000));
      // The service's own process dies (as in an out-of-memory kill), not the container by `docker kill`, which
      // the engine counts as stopped by hand and so never restarts. Tests run as root beside the engine.
      // The service is the node process whose parent is the container's init (tini, PID 1 inside); the
      // HEALTHCHECK's `node -e` probes are node processes too, started by the engine beside it.
      const container = dockerEngine().getContainer(victim!.details.id);
      const init = (await container.inspect()).State.Pid;
      const top = (await container.top({ ps_args: '-eo pid,ppid,comm' })) as { Processes: string[][] };
      const node = top.Processes.find((p) => p[2] === 'node' && Number(p[1]) === init);
      assert.ok(node, `the service's node process (child of init ${init}) in ${victim!.details.container}: ${JSON.stringify(top.Processes)}`);
      process.kill(Number(node[0]), 'SIGKILL');
      let last: PsRow | undefined;
      const back = await until('orders restarted and healthy', async () => {
        last = (await ps()).find((r) => r.id === victim!.id);
        return last && last.ready && last.restarts > victim!.restarts ? last : undefined;
      }, 180_000).catch(async (error: Error) => {
        // Say what the engine saw, so a failure in CI can be read from its log alone.
        const info = await container.inspect().catch(() => undefined);
        const logs = await msx(['logs', 'orders', '--since', '5m'], { cwd: root, env: env() }).catch(() => undefined);
        throw new Error(`${error.message}; ps row ${JSON.stringify(last)}; engine state ${JSON.stringify(info?.State)}; orders logs:\n${logs?.stdout.slice(-3000) ?? ''}`);
      });
      assert.ok(back.restarts >= 1);
      const { ok } = await loop.stop();
      // Orders placed while it was down may fail; what was accepted is accounted for: stock + sold = 10.
      const penNow = await until('reservations to settle', async () => {
        const read = await api<{ stock: number; reserved: number }>('GET', `/api/products/${pen.id}`);
        return read.body.reserved === 0 ? read.body : undefined;
      }, 120_000);
      const mine = await api<{ status: string; items: { productId: string; quantity: number }[] }[]>('GET', `/api/orders?userId=${user.id}`, { token });
      const sold = Array.isArray(mine.body) ? mine.body.filter((o) => o.status === 'confirmed').flatMap((o) => o.items).filter((i) => i.productId === pen.id).reduce((s, i) => s + i.quantity, 0) : undefined;
      if (sold !== undefined) assert.equal(penNow.stock + sold, 10, 'initial stock = stock + sold');
      assert.ok(ok > 0);
    });

    test('down keeps the data for the next up; down --volumes removes it', { timeout: 1_200_000 }, async (t) => {
      if (!available) return t.skip('no Docker engine');
      await run(['down'], 300_000);
      assert.deepEqual(await ps(), []);
      await run(['up', '--target', 'compose', '--timeout', '180s'], 900_000);
      assert.equal((await api('GET', `/api/users/${user.id}`, { token })).status, 200, 'the user survived down and up');
      await run(['down', '--volumes'], 300_000);
      const volumes = await dockerEngine().listVolumes({ filters: { label: [`com.docker.compose.project=${name}`] } });
      // No volume left is the data gone: every database lives on a named volume (a third up would only say so again, at two minutes a run).
      assert.deepEqual(volumes.Volumes ?? [], [], 'no volume of the system is left');
    });
  });
}
