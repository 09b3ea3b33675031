import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { startTraceCollector } from '../../src/observability/trace-collector.js';
import { forwardTo } from '../support/kube-api-double.js';
import { deployedKubeSystem, type KubeSystem } from '../support/kube-system.js';
import { exportShopTrace, startWorkService } from '../observability/fixtures.js';

const CONTAINER_PORT = 3000;
const OTLP_PORT = 4318;

const deployed = deployedKubeSystem;

const podsOf = (system: KubeSystem, service: string) => system.double.list('Pod', 'shop').filter((p) => p.metadata.labels['msx.dev/service'] === service);

test('msx trace lists and draws the traces of the msx-collector pod, read through the API server\'s service proxy', { timeout: 120_000 }, async (t) => {
  const system = await deployed({ users: '{ kind: http, port: 3001 }', orders: '{ kind: http, port: 3002 }' });
  t.after(() => system.cleanup());
  // The collector as it runs in its pod (collector-main.ts): it stores spans and answers /msx/traces.
  const collector = await startTraceCollector({ dir: join(system.dir, 'collector-pod'), serveQueries: true });
  t.after(() => collector.close());
  system.double.proxy('shop', 'msx-collector', OTLP_PORT, forwardTo(collector.url));

  const { traceId } = await exportShopTrace(collector.tracesUrl);
  await collector.store.flushed();

  const list = await system.run(['trace', '--json', '--limit', '5']);
  assert.equal(list.exitCode, 0, list.stderr);
  const traces = JSON.parse(list.stdout) as { traceId: string; root: string; rootService: string; status: string; services: string[]; spans: number; errors: number }[];
  assert.equal(traces.length, 1);
  assert.deepEqual(
    { traceId: traces[0]!.traceId, root: traces[0]!.root, rootService: traces[0]!.rootService, status: traces[0]!.status, services: traces[0]!.services, spans: traces[0]!.spans, errors: traces[0]!.errors },
    { traceId, root: 'POST /api/orders', rootService: 'gateway', status: '502', services: ['gateway', 'orders', 'users'], spans: 5, errors: 3 },
  );
  const proxied = system.double.requests.map((r) => ({ ...r, path: decodeURIComponent(r.path) })).filter((r) => r.path.startsWith('/api/v1/namespaces/shop/services/msx-collector:4318/proxy/'));
  assert.ok(proxied.some((r) => r.path.endsWith('/proxy/msx/traces') && r.query.limit === '5'), `the limit goes as a query, not inside the path: ${JSON.stringify(proxied.map((r) => [r.path, r.query]))}`);

  const table = await system.run(['trace']);
  assert.equal(table.exitCode, 0, table.stderr);
  assert.match(table.stdout, new RegExp(`${traceId}.*gateway POST /api/orders.*502.*gateway, orders, users`));

  const one = await system.run(['trace', traceId.slice(0, 12), '--json']);
  assert.equal(one.exitCode, 0, one.stderr);
  const detail = JSON.parse(one.stdout) as { traceId: string; spans: { service: string; name: string; depth: number }[] };
  assert.equal(detail.traceId, traceId);
  assert.deepEqual(detail.spans.map((s) => [s.service, s.name, s.depth]), [
    ['gateway', 'POST /api/orders', 0],
    ['orders', 'POST /orders', 1],
    ['orders', 'validate order', 2],
    ['orders', 'GET users', 2],
    ['users', 'GET /users/:id', 3],
  ]);

  const waterfall = await system.run(['trace', traceId]);
  assert.equal(waterfall.exitCode, 0, waterfall.stderr);
  assert.match(waterfall.stdout, /^users\s+ {6}GET \/users\/:id.*✖ database down$/m);

  const missing = await system.run(['trace', 'f'.repeat(32)]);
  assert.equal(missing.exitCode, 1);
  assert.match(missing.stderr, /no trace f{32} in the msx-collector service in namespace shop/);
});

test('msx trace when the collector does not answer: a clear error, exit 1', async (t) => {
  const system = await deployed({ orders: '{ kind: http, port: 3002 }' });
  t.after(() => system.cleanup());
  // No pod behind msx-collector: the API server answers 503 (no endpoints available).
  const result = await system.run(['trace']);
  assert.equal(result.exitCode, 1, result.stdout);
  assert.match(result.stderr, /msx-collector in namespace shop does not answer through the API server's proxy \(no endpoints available for service "msx-collector:4318"\)/);
  assert.match(result.stderr, /msx ps/);
  const one = await system.run(['trace', 'a'.repeat(32), '--json']);
  assert.equal(one.exitCode, 1);
  assert.match(one.stderr, /does not answer/);
  assert.equal(one.stdout, '', 'nothing half-printed on stdout');
});

test('msx metrics --json scrapes every ready pod of the services through the API server\'s pod proxy', { timeout: 120_000 }, async (t) => {
  const system = await deployed({ orders: '{ kind: http, port: 3002, replicas: 2, database: true }', users: '{ kind: http, port: 3001 }' });
  t.after(() => system.cleanup());
  // Each pod runs the real runtime: its /metrics is the Prometheus text the services serve.
  const pods = new Map<string, { url: string; close: () => Promise<void> }>();
  for (const pod of [...podsOf(system, 'orders'), ...podsOf(system, 'users')]) {
    const { service, url } = await startWorkService(pod.metadata.labels['msx.dev/service']!);
    pods.set(pod.metadata.name, { url, close: () => service.close() });
  }
  const started = [...pods.values()];
  t.after(() => Promise.all(started.map((p) => p.close())));
  system.double.proxyPods('shop', CONTAINER_PORT, (pod, path, req, res) => {
    const running = pods.get(pod.metadata.name);
    if (running) forwardTo(running.url)(path, req, res);
    else res.writeHead(503).end();
  });

  const running = system.run(['metrics', '--json', '--window', '1']);
  let done = false;
  void running.finally(() => (done = true));
  const orders = podsOf(system, 'orders').map((p) => pods.get(p.metadata.name)!.url);
  let sent = 0;
  while (!done && sent < 5000) {
    await fetch(`${orders[sent % orders.length]}/work`).then((r) => r.arrayBuffer());
    sent++;
  }
  const result = await running;
  assert.equal(result.exitCode, 0, result.stderr);
  const rows = JSON.parse(result.stdout) as { service: string; instances: number; unreachable: number; requestsPerSecond: number; errorRate: number | null; p50Ms: number | null; memoryBytes: number | null }[];
  assert.deepEqual(rows.map((r) => r.service), ['orders', 'users'], 'the services only: not the database or the collector');
  const [o, u] = rows as [(typeof rows)[0], (typeof rows)[0]];
  assert.equal(o.instances, 2);
  assert.equal(o.unreachable, 0);
  assert.ok(o.requestsPerSecond > 0, `orders took traffic: ${JSON.stringify(o)}`);
  assert.ok(o.errorRate !== null && o.errorRate > 0.1 && o.errorRate < 0.4, `about a quarter failed: ${o.errorRate}`);
  assert.ok(o.p50Ms !== null);
  assert.ok(o.memoryBytes !== null && o.memoryBytes > 10 * 1024 * 1024);
  assert.equal(u.instances, 1);
  assert.equal(u.requestsPerSecond, 0);
  const scrapes = system.double.requests.filter((r) => /^\/api\/v1\/namespaces\/shop\/pods\/[^/]+:3000\/proxy\/metrics$/.test(decodeURIComponent(r.path)));
  assert.equal(scrapes.length, 6, 'three pods, scraped twice, each through its pod proxy');

  // A pod that stops answering: counted as unreachable, the others still measured.
  pods.delete(podsOf(system, 'orders')[0]!.metadata.name);
  const partial = await system.run(['metrics', '--json', '--window', '0.2']);
  assert.equal(partial.exitCode, 0, partial.stderr);
  const again = JSON.parse(partial.stdout) as { service: string; instances: number; unreachable: number }[];
  assert.deepEqual(again.find((r) => r.service === 'orders'), { ...again.find((r) => r.service === 'orders'), instances: 2, unreachable: 1 });
});
