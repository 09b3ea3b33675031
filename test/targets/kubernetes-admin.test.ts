/**
 * The dashboard's Events and Sagas views and `msx restart` on the
 * Kubernetes target, as the user runs them (`msx dashboard`, `msx restart`,
 * `msx ps` as subprocesses), against the API double.
 *
 * Each pod of the Events test is a real runtime service on 127.0.0.1 (the
 * embedded bus, a saga orchestrator on the embedded database) behind the
 * double's pod proxy, which, like the kube-apiserver, drops the
 * Authorization header and passes the others on. So msx must send its admin
 * token in X-Msx-Admin-Token; the same token in Authorization is refused by
 * the pod, which never sees it. The re-drive is clicked on the Events page in
 * Debian's Chromium, as a user does it, and so is Restart on the Instances
 * page.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { createBus } from '../../runtime/src/bus/index.js';
import { createDatabase } from '../../runtime/src/data/index.js';
import { defineSaga, SagaOrchestrator } from '../../runtime/src/saga/index.js';
import { createService, type Service } from '../../runtime/src/service/index.js';
import { ADMIN_TOKEN_HEADER as RUNTIME_ADMIN_TOKEN_HEADER } from '../../runtime/src/admin/admin-token-header.js';
import { ADMIN_TOKEN_HEADER, signAdminToken } from '../../src/token/admin-token.js';
import { forwardTo } from '../support/kube-api-double.js';
import { startDashboard } from '../support/dashboard.js';
import { kubeSystem, type KubeSystem } from '../support/kube-system.js';
import { until } from '../support/local-system.js';
import { launchBrowser, screenshot, seriousAccessibilityViolations } from '../support/browser.js';
import { openPage } from '../support/dashboard-pages.js';

const CONTAINER_PORT = 3000;
const SECRET = 'a-service-token-secret-of-at-least-32-bytes!';

/** {@link kubeSystem} with a service-token secret the runtime accepts (32 bytes or more), deployed to the double. */
async function deployed(services: Record<string, string>): Promise<KubeSystem> {
  const system = await kubeSystem(services);
  writeFileSync(join(system.dir, '.env'), `JWT_SECRET=test-secret-value\nMSX_SERVICE_TOKEN_SECRET=${SECRET}\nGATEWAY_IDENTITY_SECRET=third-secret-of-enough-length\n`);
  const result = await system.run(['deploy']);
  if (result.exitCode !== 0) {
    await system.cleanup();
    throw new Error(`deploy failed: ${result.stderr}`);
  }
  return system;
}

const podsOf = (system: KubeSystem, service: string) => system.double.list('Pod', 'shop').filter((p) => p.metadata.labels['msx.dev/service'] === service && !p.metadata.deletionTimestamp);

/** A real runtime service as one pod of `name` runs it, with msx's service-token secret. */
function podService(name: string): Service {
  return createService({ name, env: { LOG_LEVEL: 'silent', MSX_OPEN_ROUTES: '*', MSX_SERVICE_TOKEN_SECRET: SECRET }, logDestination: new PassThrough() });
}

test('the dashboard lists consumer groups, dead letters and sagas of pods through the API server\'s pod proxy, and a re-drive POST reaches the pod', { timeout: 180_000 }, async (t) => {
  const system = await deployed({ mailer: '{ kind: http, port: 3001 }', orders: '{ kind: http, port: 3002 }' });
  t.after(() => system.cleanup());
  const dataDir = mkdtempSync(join(tmpdir(), 'msx-k8s-admin-pods-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));

  // mailer's pod: a consumer group whose handler fails until `broken` is cleared.
  let broken = true;
  const handled: string[] = [];
  const mailer = podService('mailer');
  t.after(() => mailer.close());
  // Its own data folder: the embedded bus would otherwise keep its queues under the working directory, across runs.
  const bus = await createBus({ service: 'mailer', url: 'embedded', dataDir: join(dataDir, 'mailer'), registry: mailer.metrics.registry });
  t.after(() => bus.close());
  await bus.subscribe('mail.*', (event) => {
    if (broken) throw new Error('smtp refused');
    handled.push(event.id);
  }, { retries: 1, backoff: { initialMs: 20 } });
  const mailerUrl = (await mailer.listen({ port: 0, handleSignals: false })).url;

  // orders' pod: an orchestrator whose one saga ran to its end.
  const orders = podService('orders');
  t.after(() => orders.close());
  const db = await createDatabase({ service: 'orders', url: 'embedded:memory' });
  const orderSaga = defineSaga<{ order: string }>({ name: 'place-order', steps: [{ name: 'reserve', action: async () => ({ reserved: 1 }) }, { name: 'confirm', action: async () => ({ confirmed: true }) }] });
  const orchestrator = await SagaOrchestrator.create({ db, sagas: [orderSaga as never], registry: orders.metrics.registry, sweepIntervalMs: 0 });
  t.after(async () => {
    await orchestrator.stop();
    await db.close();
  });
  assert.equal((await orchestrator.start(orderSaga, { order: 'o-1' }, { id: 'saga-o-1' })).status, 'completed');
  const ordersUrl = (await orders.listen({ port: 0, handleSignals: false })).url;

  const [mailerPod] = podsOf(system, 'mailer').map((p) => p.metadata.name as string);
  const [ordersPod] = podsOf(system, 'orders').map((p) => p.metadata.name as string);
  const seenByPods: { path: string; headers: Record<string, string | string[] | undefined> }[] = [];
  system.double.proxyPods('shop', CONTAINER_PORT, (pod, path, req, res) => {
    seenByPods.push({ path, headers: req.headers });
    const url = pod.metadata.name === mailerPod ? mailerUrl : pod.metadata.name === ordersPod ? ordersUrl : undefined;
    if (url) forwardTo(url)(path, req, res);
    else res.writeHead(503).end();
  });

  const published = await bus.publish({ type: 'mail.send', data: { to: 'ada' } });
  const dashboard = await startDashboard(system.dir, [], system.env);
  t.after(() => dashboard.stop());
  const api = async <T>(method: 'GET' | 'POST', path: string): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${dashboard.origin}${path}${path.includes('?') ? '&' : '?'}token=${dashboard.token}`, { method });
    return { status: response.status, body: (await response.json()) as T };
  };

  type Letter = { id: string; group: string; service: string; type: string; lastError: string; attempts: number };
  const letters = await until('the dead letter, read through the pod proxy', async () => {
    const answer = await api<Letter[]>('GET', '/api/dead-letters');
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.length > 0 ? answer.body : undefined;
  }, 30_000);
  assert.deepEqual(letters.map((l) => [l.id, l.group, l.service, l.type, l.attempts]), [[published.id, 'mailer', 'mailer', 'mail.send', 2]]);
  assert.match(letters[0]!.lastError, /smtp refused/);

  const events = await api<{ type: string; consumers: { group: string; service: string; deadLetters: number }[]; recent: { id: string }[] }[]>('GET', '/api/events');
  assert.equal(events.status, 200);
  const mail = events.body.find((e) => e.type === 'mail.send');
  assert.deepEqual(mail?.consumers.map((c) => [c.group, c.service, c.deadLetters]), [['mailer', 'mailer', 1]], JSON.stringify(events.body));
  assert.ok(mail!.recent.some((r) => r.id === published.id));

  const sagas = await api<{ id: string; service: string; saga: string; state: string; steps: { name: string }[] }[]>('GET', '/api/sagas');
  assert.equal(sagas.status, 200);
  assert.deepEqual(sagas.body.map((s) => [s.id, s.service, s.saga, s.state, s.steps.map((step) => step.name)]), [['saga-o-1', 'orders', 'place-order', 'completed', ['reserve', 'confirm']]]);

  // The same, as a user sees it: the Events page in a real browser, re-drive clicked there, then the Sagas page.
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.newPage();
  await page.goto(dashboard.url);
  await openPage(page, '#/events');
  const letter = page.locator(`section[data-group="mailer"] li[data-dead-letter="${published.id}"]`);
  await letter.waitFor({ timeout: 30_000 });
  await letter.locator('summary').click();
  assert.match(await letter.locator('pre').textContent() ?? '', /"to": "ada"/, 'the envelope, read from the pod');
  await page.locator('tr[data-event-type="mail.send"]').filter({ hasText: '1 dead' }).waitFor({ timeout: 10_000 });
  assert.deepEqual(await seriousAccessibilityViolations(page), [], 'axe-core on the Events page');
  await screenshot(page, 'kubernetes-events-dead-letter');
  broken = false;
  await page.getByRole('button', { name: `Re-drive mail.send ${published.id}` }).click();
  await page.getByRole('status').filter({ hasText: '1 event sent back to mailer' }).waitFor({ timeout: 15_000 });
  await until('the handler to get the re-driven event', async () => (handled.length > 0 ? true : undefined), 10_000);
  await letter.waitFor({ state: 'detached', timeout: 15_000 });
  await openPage(page, '#/sagas');
  await page.locator('li[data-saga="saga-o-1"][data-state="completed"]').waitFor({ timeout: 15_000 });
  await screenshot(page, 'kubernetes-sagas');
  assert.deepEqual(handled, [published.id]);
  const posts = system.double.requests.filter((r) => r.method === 'POST' && decodeURIComponent(r.path) === `/api/v1/namespaces/shop/pods/${mailerPod}:3000/proxy/_msx/dead-letters/${published.id}/redrive`);
  assert.equal(posts.length, 1, 'the re-drive is one POST through the pod proxy');
  assert.deepEqual(posts[0]!.query, { group: 'mailer' }, 'its query goes as the request\'s own');

  assert.equal(ADMIN_TOKEN_HEADER, RUNTIME_ADMIN_TOKEN_HEADER, 'msx sends the header the runtime reads');
  // The open dashboard also scrapes /metrics through the same proxy; the admin calls are those under /_msx.
  const adminCalls = seenByPods.filter((seen) => seen.path.startsWith('/_msx/'));
  assert.ok(adminCalls.length > 0);
  assert.ok(seenByPods.every((seen) => seen.headers.authorization === undefined), 'no Authorization header ever reached a pod');
  assert.ok(adminCalls.every((seen) => typeof seen.headers[ADMIN_TOKEN_HEADER] === 'string'), 'every admin call carried the token in its own header');

  // Why that header: the token in Authorization is dropped on the way, so the pod refuses the call.
  const token = signAdminToken(SECRET, 'mailer');
  const viaProxy = `${system.double.url}/api/v1/namespaces/shop/pods/${mailerPod}:3000/proxy/_msx/events`;
  const bearer = await fetch(viaProxy, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(bearer.status, 401);
  assert.equal(((await bearer.json()) as { code: string }).code, 'missing', 'the pod got no token at all');
  const header = await fetch(viaProxy, { headers: { [ADMIN_TOKEN_HEADER]: token } });
  assert.equal(header.status, 200);
  assert.equal(((await header.json()) as { service: string }).service, 'mailer');
  const forOrders = await fetch(viaProxy, { headers: { [ADMIN_TOKEN_HEADER]: signAdminToken(SECRET, 'orders') } });
  assert.equal(forOrders.status, 401, 'a token minted for another service is refused as it would be in Authorization');
});

test('msx restart on kubernetes deletes a pod, its ReplicaSet replaces it, and msx ps shows the ready replacement; the dashboard restarts one too', { timeout: 180_000 }, async (t) => {
  const system = await deployed({ orders: '{ kind: http, port: 3002, replicas: 2 }', users: '{ kind: http, port: 3001 }' });
  t.after(() => system.cleanup());
  const before = podsOf(system, 'orders').map((p) => p.metadata.name as string).sort();
  assert.equal(before.length, 2);

  const one = await system.run(['restart', before[0]!]);
  assert.equal(one.exitCode, 0, one.stderr);
  const replacement = new RegExp(`${before[0]} replaced by (orders-\\S+), ready after`).exec(one.stdout)?.[1];
  assert.ok(replacement, one.stdout);
  assert.ok(!before.includes(replacement));
  const deletes = system.double.requests.filter((r) => r.method === 'DELETE' && r.path === `/api/v1/namespaces/shop/pods/${before[0]}`);
  assert.equal(deletes.length, 1);
  assert.equal((deletes[0]!.body as { preconditions?: { uid?: string } }).preconditions?.uid !== undefined, true, 'deleted with its uid as a precondition');

  type Row = { id: string; service: string; state: string; ready: boolean };
  const ps = await system.run(['ps', '--json']);
  assert.equal(ps.exitCode, 0, ps.stderr);
  const rows = (JSON.parse(ps.stdout) as Row[]).filter((r) => r.service === 'orders');
  assert.deepEqual(rows.map((r) => [r.id, r.state, r.ready]).sort(), [[before[1], 'ready', true], [replacement, 'ready', true]].sort(), 'the deleted pod is gone, its replacement ready beside the untouched one');

  // A service name restarts each of its pods in turn.
  const all = await system.run(['restart', 'orders', '--json']);
  assert.equal(all.exitCode, 0, all.stderr);
  const done = JSON.parse(all.stdout) as { instance: string; replacement: string }[];
  assert.deepEqual(done.map((d) => d.instance).sort(), [before[1], replacement].sort());
  const now = podsOf(system, 'orders').map((p) => p.metadata.name as string).sort();
  assert.deepEqual(now, done.map((d) => d.replacement).sort(), 'every orders pod is a new one');
  assert.ok(podsOf(system, 'orders').every((p) => p.status.conditions.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True')));

  const unknown = await system.run(['restart', 'nope']);
  assert.equal(unknown.exitCode, 2, unknown.stderr);
  assert.match(unknown.stderr, /no instance or service "nope" runs/);

  // The dashboard's restart goes through the same target: Restart clicked on the Instances page in Chromium.
  const dashboard = await startDashboard(system.dir, [], system.env);
  t.after(() => dashboard.stop());
  const overview = await (await fetch(`${dashboard.origin}/api/overview?token=${dashboard.token}`)).json() as { target: string; canRestart: boolean };
  assert.deepEqual([overview.target, overview.canRestart], ['kubernetes', true]);
  const [users] = podsOf(system, 'users').map((p) => p.metadata.name as string);
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.newPage();
  await page.goto(dashboard.url);
  await openPage(page, '#/instances');
  await page.locator(`tr[data-instance="${users}"]`).waitFor({ timeout: 30_000 });
  assert.deepEqual(await seriousAccessibilityViolations(page), [], 'axe-core on the Instances page');
  await page.getByRole('button', { name: `Restart ${users}` }).click();
  const status = page.getByRole('status').filter({ hasText: `${users} restarted: replaced by ` });
  await status.waitFor({ timeout: 60_000 });
  const shown = /replaced by (\S+)$/.exec((await status.textContent()) ?? '')?.[1];
  assert.deepEqual(podsOf(system, 'users').map((p) => p.metadata.name), [shown], 'the page names the pod that replaced it');
  await page.locator(`tr[data-instance="${shown}"] .pill`).filter({ hasText: /^ready$/ }).waitFor({ timeout: 15_000 });
  await page.locator(`tr[data-instance="${users}"]`).waitFor({ state: 'detached', timeout: 15_000 });
  await screenshot(page, 'kubernetes-instances-restart');
  const deleted = system.double.requests.filter((r) => r.method === 'DELETE' && r.path === `/api/v1/namespaces/shop/pods/${users}`);
  assert.equal(deleted.length, 1, 'one click, one pod deleted');
});

test('msx restart of a StatefulSet pod waits for the new pod under the same name; a replacement that crash-loops, or that a quota refuses, fails the restart with its reason', { timeout: 120_000 }, async (t) => {
  const system = await deployed({ orders: '{ kind: http, port: 3002, database: true }' });
  t.after(() => system.cleanup());
  const database = system.double.list('Pod', 'shop').find((p) => p.metadata.labels['msx.dev/infrastructure'] === 'orders-db');
  assert.ok(database, 'the database runs as a StatefulSet pod');
  const uid = database.metadata.uid as string;

  const same = await system.run(['restart', database.metadata.name, '--json']);
  assert.equal(same.exitCode, 0, same.stderr);
  assert.deepEqual((JSON.parse(same.stdout) as { instance: string; replacement?: string }[]).map((d) => [d.instance, d.replacement]), [[database.metadata.name, undefined]]);
  const back = system.double.get('Pod', 'shop', database.metadata.name);
  assert.ok(back && back.metadata.uid !== uid, 'a new pod under the same name, told apart by its uid');

  system.double.script('orders', 'crash-loop');
  const [pod] = podsOf(system, 'orders').map((p) => p.metadata.name as string);
  const failed = await system.run(['restart', pod!]);
  assert.equal(failed.exitCode, 1, failed.stdout);
  assert.match(failed.stderr, new RegExp(`pod ${pod} was deleted, but its replacement orders-\\S+ CrashLoopBackOff`));

  // A full quota counts the deleted pod until it has gone: the refusal meanwhile passes, and the replacement comes after.
  system.double.script('orders', 'quota-until-gone');
  const [full] = podsOf(system, 'orders').map((p) => p.metadata.name as string);
  const waited = await system.run(['restart', full!]);
  assert.equal(waited.exitCode, 0, waited.stderr);
  assert.match(waited.stdout, new RegExp(`${full} replaced by orders-\\S+, ready after`));
  assert.ok(system.double.list('Event', 'shop').some((e) => e.reason === 'FailedCreate'), 'the controller did refuse it while the deleted pod terminated');

  // A quota that stays full: the ReplicaSet's FailedCreate once the deleted pod has gone fails the restart, at once.
  system.double.script('orders', 'quota');
  const [next] = podsOf(system, 'orders').map((p) => p.metadata.name as string);
  const refused = await system.run(['restart', next!]);
  assert.equal(refused.exitCode, 1, refused.stdout);
  assert.match(refused.stderr, new RegExp(`pod ${next} was deleted, but its ReplicaSet orders-\\S+ cannot create a replacement \\(FailedCreate\\): Error creating: pods "orders-\\S+-" is forbidden: exceeded quota: compute`));
  assert.match(refused.stderr, /kubectl -n shop describe replicaset orders-\S+ shows its events/);
  assert.doesNotMatch(refused.stderr, /after \d+ s/, 'failed on the event, not at the timeout');
});
