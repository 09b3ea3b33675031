/**
 * The README's main job on the reference shop, end to end as a user runs it:
 * msx new --example shop, npm install, build, msx up -d, then through the
 * gateway: sign up, a product, an order that confirms, one declined by
 * payments (compensated) and one out of stock; notifications; the shop's
 * invariants; ps, logs --trace, trace <id> across all six services,
 * metrics, scale orders=3 with orders served by three instances; down, and
 * up again with the data still there. Ports are moved to free ones so the
 * test never collides with anything on the machine.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { parseDocument } from 'yaml';
import { freePort } from '../support/free-port.js';
import { LocalSystem, until as untilAny } from '../support/local-system.js';
import { msx, tempDir, userEnv } from '../support/msx.js';
import { installAndBuild } from '../support/install-system.js';

const until = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000) => untilAny(what, probe, timeoutMs, { retryOnError: true });

const temp = tempDir('msx-shop-');
const root = join(temp.dir, 'shop');
let gatewayUrl: string;
const system = new LocalSystem(root);


async function run(args: string[]): Promise<string> {
  const result = await msx(args, { cwd: root, env: userEnv() });
  assert.equal(result.exitCode, 0, `msx ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

const ps = () => system.ps();


async function api<T = unknown>(method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${gatewayUrl}${path}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

before(async () => {
  const created = await msx(['new', 'shop', '--example', 'shop', '--yes'], { cwd: temp.dir });
  assert.equal(created.exitCode, 0, created.stderr);
  const file = join(root, 'msx.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  for (const name of ['gateway', 'users', 'products', 'payments', 'orders', 'notifications']) doc.setIn(['services', name, 'port'], await freePort());
  writeFileSync(file, doc.toString());
  gatewayUrl = `http://127.0.0.1:${String(doc.getIn(['services', 'gateway', 'port']))}`;
  await installAndBuild(root);
});

after(async () => {
  await msx(['down'], { cwd: root, env: userEnv() }).catch(() => undefined);
  system.killLeftovers();
  temp.cleanup();
});

const traceId = randomBytes(16).toString('hex');
let user: { id: string; email: string };
let token: string;
let pen: { id: string };
let gold: { id: string };
const orders: Record<string, { id: string; status: string; total?: number; reason?: string }> = {};

test('the shop passes its own tests (every service, in-process, embedded database and bus)', async () => {
  const result = await execa('npm', ['test'], { cwd: root, reject: false, env: userEnv(), extendEnv: false, timeout: 400_000 });
  assert.equal(result.exitCode, 0, `${result.stdout}\n${result.stderr}`);
  const passes = [...result.stdout.matchAll(/^# pass (\d+)$/gm)].map((m) => Number(m[1]));
  assert.equal(passes.length, 6, `six services tested:\n${result.stdout.slice(-2000)}`);
  assert.ok(passes.every((n) => n > 0));
  assert.doesNotMatch(result.stdout, /^# fail [1-9]/m);
});

test('msx up -d starts the six services and every instance is ready', async () => {
  await run(['up', '-d', '--timeout', '120s']);
  const rows = await ps();
  assert.deepEqual([...new Set(rows.map((r) => r.service))].sort(), ['gateway', 'notifications', 'orders', 'payments', 'products', 'users']);
  assert.ok(rows.every((r) => r.ready && r.state === 'ready'), JSON.stringify(rows));
});

test('sign up is public, a taken e-mail is 409, and the token works', async () => {
  const signUp = await api<{ id: string; email: string; active: boolean }>('POST', '/api/users', { body: { email: 'ann@example.com', name: 'Ann' } });
  assert.equal(signUp.status, 201);
  assert.equal(signUp.body.active, true);
  user = signUp.body;
  assert.equal((await api('POST', '/api/users', { body: { email: 'ANN@example.com', name: 'Ann again' } })).status, 409);
  assert.equal((await api('GET', `/api/users/${user.id}`)).status, 401, 'reading a user needs a token');
  token = (await run(['token', '--sub', user.id])).trim();
  assert.equal((await api('GET', `/api/users/${user.id}`, { token })).status, 200);
});

test('products are created with a token and read publicly', async () => {
  const a = await api<{ id: string; stock: number }>('POST', '/api/products', { token, body: { name: 'pen', price: 150, stock: 10 } });
  assert.equal(a.status, 201);
  pen = a.body;
  const b = await api<{ id: string }>('POST', '/api/products', { token, body: { name: 'gold bar', price: 200_000, stock: 3 } });
  gold = b.body;
  assert.equal((await api('POST', '/api/products', { body: { name: 'x', price: 1, stock: 1 } })).status, 401);
  const read = await api<{ stock: number; reserved: number }>('GET', `/api/products/${pen.id}`);
  assert.deepEqual({ stock: read.body.stock, reserved: read.body.reserved }, { stock: 10, reserved: 0 });
});

test('an order confirms; a declined payment and missing stock are compensated', async () => {
  const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
  const ok = await api<{ id: string; status: string; total: number }>('POST', '/api/orders', { token, body: { items: [{ productId: pen.id, quantity: 2 }] }, headers: { traceparent } });
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
  assert.deepEqual({ status: ok.body.status, total: ok.body.total }, { status: 'confirmed', total: 300 });
  orders.confirmed = ok.body;

  const declined = await api<{ id: string; status: string; reason: string }>('POST', '/api/orders', { token, body: { items: [{ productId: gold.id, quantity: 1 }] } });
  assert.equal(declined.status, 402);
  assert.equal(declined.body.status, 'cancelled');
  orders.declined = declined.body;

  const tooMany = await api<{ status: string }>('POST', '/api/orders', { token, body: { items: [{ productId: pen.id, quantity: 50 }] } });
  assert.equal(tooMany.status, 409);
  assert.equal(tooMany.body.status, 'cancelled');

  const history = await api<{ status: string; history: { type: string }[] }>('GET', `/api/orders/${orders.declined.id}`, { token });
  assert.deepEqual(history.body.history.map((h) => h.type), ['OrderCreated', 'OrderCancelled']);
});

test('notifications appear, one welcome per user, and the stock adds up', async () => {
  const kinds = await until('notifications', async () => {
    const list = await api<{ kind: string }[]>('GET', `/api/notifications?userId=${user.id}`, { token });
    const seen = list.body.map((n) => n.kind);
    return seen.includes('order-confirmed') && seen.filter((k) => k === 'order-cancelled').length >= 2 ? seen : undefined;
  });
  assert.equal(kinds.filter((k) => k === 'welcome').length, 1);
  assert.equal(kinds.filter((k) => k === 'order-received').length, 3);

  // Once idle: nothing reserved, and initial stock = stock + reserved + sold.
  const penNow = await until('pen reservations to settle', async () => {
    const read = await api<{ stock: number; reserved: number }>('GET', `/api/products/${pen.id}`);
    return read.body.reserved === 0 ? read.body : undefined;
  });
  assert.equal(penNow.stock, 8, 'two pens sold');
  const goldNow = await api<{ stock: number; reserved: number }>('GET', `/api/products/${gold.id}`);
  assert.deepEqual({ stock: goldNow.body.stock, reserved: goldNow.body.reserved }, { stock: 3, reserved: 0 }, 'the declined order holds nothing');
});

test('one order is one trace across all six services, and logs --trace follows it', async () => {
  const trace = await until('the order trace to reach all six services', async () => {
    const result = await msx(['trace', traceId, '--json'], { cwd: root, env: userEnv() });
    if (result.exitCode !== 0) return undefined;
    const parsed = JSON.parse(result.stdout) as { services?: string[]; summary?: { services: string[] } };
    const services = parsed.summary?.services ?? parsed.services ?? [];
    return services.length >= 6 ? parsed : undefined;
  }, 45_000);
  const services = (trace.summary?.services ?? trace.services ?? []).slice().sort();
  assert.deepEqual(services, ['gateway', 'notifications', 'orders', 'payments', 'products', 'users']);
  const waterfall = await run(['trace', traceId]);
  assert.match(waterfall, /POST \/api\/orders/);

  const logs = await run(['logs', '--trace', traceId, '--json']);
  const lines = logs.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { service?: string });
  assert.ok(new Set(lines.map((l) => l.service)).size >= 3, `log lines from several services: ${logs.slice(0, 500)}`);
});

test('metrics show traffic per service', async () => {
  const metrics = JSON.parse(await run(['metrics', '--json'])) as unknown;
  const text = JSON.stringify(metrics);
  for (const service of ['gateway', 'orders', 'users']) assert.match(text, new RegExp(`"${service}"`));
});

test('scale orders=3: orders are served by three instances', async () => {
  await run(['scale', 'orders=3']);
  const rows = (await ps()).filter((r) => r.service === 'orders');
  assert.equal(rows.length, 3);
  assert.ok(rows.every((r) => r.ready));
  const served = await until('three orders instances serving', async () => {
    for (let i = 0; i < 12; i++) {
      const res = await api('GET', `/api/orders/${orders.confirmed.id}`, { token });
      assert.equal(res.status, 200);
    }
    const logs = await run(['logs', 'orders', '--json', '--grep', 'request completed']);
    const instances = new Set(logs.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { instance?: string }).instance));
    return instances.size >= 3 ? instances : undefined;
  });
  assert.ok(served.size >= 3);
});

test('down stops everything; up again finds the data where it was', async () => {
  const before = await ps();
  await run(['down']);
  for (const row of before) {
    if (!row.pid) continue;
    assert.throws(() => process.kill(row.pid!, 0), `pid ${row.pid} (${row.id}) is gone`);
  }
  await run(['up', '-d', '--timeout', '120s']);
  await ps();
  const order = await api<{ status: string; total: number }>('GET', `/api/orders/${orders.confirmed.id}`, { token });
  assert.equal(order.status, 200);
  assert.deepEqual({ status: order.body.status, total: order.body.total }, { status: 'confirmed', total: 300 });
  const penNow = await api<{ stock: number }>('GET', `/api/products/${pen.id}`);
  assert.equal(penNow.body.stock, 8);
  await run(['down']);
});
