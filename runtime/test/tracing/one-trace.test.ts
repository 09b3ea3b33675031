/**
 * Must show: a request through gateway → orders → (client) users, and a bus
 * publish → consume, make ONE trace with the right parent/child links,
 * exported over OTLP/HTTP to msx's own collector on 127.0.0.1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { request } from 'undici';
import { startTraceCollector } from '../../../src/observability/trace-collector.js';
import { readSpans } from '../../../src/observability/trace-store.js';
import type { SpanRecord } from '../../../src/observability/span-record.js';
import { createService } from '../../src/service/index.js';
import { createServiceClient } from '../../src/client/index.js';
import { createBus, type EventEnvelope } from '../../src/bus/index.js';
import { createGateway } from '../../src/gateway/index.js';
import type { Discovery, Instance } from '../../src/discovery/discovery.js';

function tableDiscovery(): Discovery & { set(service: string, url: string): void } {
  const table = new Map<string, Instance[]>();
  return {
    kind: 'test',
    set: (service, url) => table.set(service, [{ id: `${service}-1`, service, url }]),
    resolve: async (service) => table.get(service) ?? [],
    register: async () => {},
    close: async () => {},
  };
}

function lines(stream: PassThrough): () => Record<string, unknown>[] {
  const seen: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim() !== '') seen.push(JSON.parse(line) as Record<string, unknown>);
  });
  return () => seen;
}

test('gateway → orders → users and a publish → consume form one trace, exported to the msx collector', { timeout: 30_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'msx-tracing-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const collector = await startTraceCollector({ dir: join(dir, 'traces') });
  t.after(() => collector.close());

  // The gateway reads its environment like a real process; services get theirs passed.
  const saved = { endpoint: process.env.OTEL_EXPORTER_OTLP_ENDPOINT, delay: process.env.OTEL_BSP_SCHEDULE_DELAY };
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = collector.url;
  process.env.OTEL_BSP_SCHEDULE_DELAY = '50';
  t.after(() => {
    for (const [key, value] of [['OTEL_EXPORTER_OTLP_ENDPOINT', saved.endpoint], ['OTEL_BSP_SCHEDULE_DELAY', saved.delay]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });
  // Open: this test is about traces; callers are verified in the service kit's own tests.
  const env = (instance: string) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, MSX_INSTANCE: instance, LOG_LEVEL: 'info', MSX_OPEN_ROUTES: '*' });
  const discovery = tableDiscovery();

  const users = createService({ name: 'users', env: env('users-1'), logDestination: new PassThrough() });
  users.app.get('/users/:id', (req, res) => {
    res.json({ id: req.params.id, name: 'Ada' });
  });
  discovery.set('users', (await users.listen({ port: 0, handleSignals: false })).url);

  const dataDir = join(dir, 'bus');
  const notifications = await createBus({ service: 'notifications', url: 'embedded', dataDir, pollIntervalMs: 10 });
  const delivered = new Promise<EventEnvelope>((resolve) => {
    void notifications.subscribe('order.created', (event) => resolve(event));
  });
  // Subscriptions of another service in the same process: give it its own tracing.
  const notificationsService = createService({ name: 'notifications', env: env('notifications-1'), logDestination: new PassThrough() });
  await notificationsService.listen({ port: 0, handleSignals: false });

  const ordersLog = new PassThrough();
  const ordersLines = lines(ordersLog);
  const orders = createService({ name: 'orders', env: env('orders-1'), logDestination: ordersLog });
  const ordersBus = await createBus({ service: 'orders', url: 'embedded', dataDir, pollIntervalMs: 10 });
  const client = createServiceClient({ from: 'orders', discovery, tokens: false, env: {} });
  orders.app.post('/orders', async (req, res) => {
    const user = await client.forRequest(req).get<{ name: string }>('users', '/users/7');
    await ordersBus.publish({ type: 'order.created', data: { item: req.body.item, user: user.body.name } });
    req.log.info('order placed');
    res.status(201).json({ ok: true });
  });
  discovery.set('orders', (await orders.listen({ port: 0, handleSignals: false })).url);

  const gateway = createGateway({ routes: [{ path: '/api/orders', to: '/orders', service: 'orders', public: true }], discovery, defaultMetrics: false, logger: (await import('pino')).pino({ level: 'silent' }) });
  const address = await gateway.listen({ port: 0, handleSignals: false });

  const response = await request(`http://127.0.0.1:${address.port}/api/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ item: 'book' }) });
  assert.equal(response.statusCode, 201, await response.body.text());
  const event = await delivered;

  // Closing flushes every BatchSpanProcessor to the collector.
  await gateway.close();
  await Promise.all([ordersBus.close(), notifications.close()]);
  await Promise.all([orders.close(), users.close(), notificationsService.close()]);
  await collector.store.flushed();

  const spans = await readSpans(join(dir, 'traces'));
  const traceIds = new Set(spans.map((s) => s.traceId));
  assert.equal(traceIds.size, 1, `one trace, got ${JSON.stringify(spans.map((s) => [s.service, s.name, s.traceId]))}`);
  const find = (service: string, kind: SpanRecord['kind'], name: string) => {
    const found = spans.filter((s) => s.service === service && s.kind === kind && s.name === name);
    assert.equal(found.length, 1, `one ${kind} span "${name}" of ${service} in ${JSON.stringify(spans.map((s) => [s.service, s.kind, s.name]))}`);
    return found[0]!;
  };
  const edge = find('gateway', 'server', 'POST /api/orders');
  const ordersServer = find('orders', 'server', 'POST /orders');
  const call = find('orders', 'client', 'GET users');
  const usersServer = find('users', 'server', 'GET /users/:id');
  const publish = find('orders', 'producer', 'order.created publish');
  const consume = find('notifications', 'consumer', 'order.created process');

  assert.equal(edge.parentSpanId, undefined, 'the gateway starts the trace');
  assert.equal(ordersServer.parentSpanId, edge.spanId);
  assert.equal(call.parentSpanId, ordersServer.spanId);
  assert.equal(usersServer.parentSpanId, call.spanId);
  assert.equal(publish.parentSpanId, ordersServer.spanId);
  assert.equal(consume.parentSpanId, publish.spanId, 'the consumer continues the envelope\'s traceparent');
  assert.equal(spans.length, 6);

  assert.equal(event.traceparent, `00-${edge.traceId}-${publish.spanId}-01`, 'the envelope carries the producer span');
  assert.equal(usersServer.attributes['http.response.status_code'], 200);
  assert.equal(edge.attributes['http.response.status_code'], 201);
  assert.equal(usersServer.instance, 'users-1');

  const placed = ordersLines().find((l) => l.msg === 'order placed');
  assert.equal(placed?.traceId, edge.traceId, 'request log lines carry the trace id');
});
