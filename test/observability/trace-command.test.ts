import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { startTraceCollector } from '../../src/observability/trace-collector.js';
import { readSpans } from '../../src/observability/trace-store.js';
import { msx, tempDir } from '../support/msx.js';
import { exportShopTrace, shopTrace } from './fixtures.js';

test('the collector stores what the OTel exporter sends; msx trace lists it and draws its waterfall', { timeout: 60_000 }, async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const collector = await startTraceCollector({ dir: join(dir, '.msx', 'traces') });
  t.after(() => collector.close());

  const { traceId } = await exportShopTrace(collector.tracesUrl);
  await collector.store.flushed();
  assert.equal((await readSpans(collector.store.dir)).length, 5, 'every span stored');

  const list = await msx(['-C', dir, 'trace', '--json']);
  assert.equal(list.exitCode, 0, list.stderr);
  const traces = JSON.parse(list.stdout) as { traceId: string; root: string; status: string; services: string[]; errors: number; spans: number }[];
  assert.equal(traces.length, 1);
  assert.deepEqual(
    { ...traces[0]!, durationMs: undefined, startedAt: undefined },
    { traceId, root: 'POST /api/orders', rootService: 'gateway', status: '502', services: ['gateway', 'orders', 'users'], spans: 5, errors: 3, durationMs: undefined, startedAt: undefined },
  );

  const table = await msx(['-C', dir, 'trace']);
  assert.equal(table.exitCode, 0, table.stderr);
  assert.match(table.stdout, new RegExp(`${traceId}.*gateway POST /api/orders.*502.*gateway, orders, users`));

  const waterfall = await msx(['-C', dir, 'trace', traceId.slice(0, 12)]);
  assert.equal(waterfall.exitCode, 0, waterfall.stderr);
  const lines = waterfall.stdout.trim().split('\n');
  assert.match(lines[0]!, new RegExp(`^trace ${traceId}`));
  for (const [service, operation] of [['gateway', 'POST /api/orders'], ['orders', 'POST /orders'], ['orders', 'validate order'], ['orders', 'GET users'], ['users', 'GET /users/:id']]) {
    assert.ok(lines.some((l) => l.startsWith(service) && l.includes(operation) && l.includes('█')), `${service} ${operation} in\n${waterfall.stdout}`);
  }
  assert.match(waterfall.stdout, /^users\s+ {6}GET \/users\/:id.*✖ database down$/m, 'nested three deep, error marked');

  const coloured = await msx(['-C', dir, 'trace', traceId], { env: { NO_COLOR: '', FORCE_COLOR: '1' } });
  assert.match(coloured.stdout, /\x1b\[31musers .*database down/, 'errors in red');

  const json = await msx(['-C', dir, 'trace', traceId, '--json']);
  const detail = JSON.parse(json.stdout) as { spans: { service: string; depth: number; parentSpanId?: string }[] };
  assert.deepEqual(detail.spans.map((s) => [s.service, s.depth]), [['gateway', 0], ['orders', 1], ['orders', 2], ['orders', 2], ['users', 3]]);

  const missing = await msx(['-C', dir, 'trace', 'f'.repeat(32)]);
  assert.equal(missing.exitCode, 1);
  assert.match(missing.stderr, /no trace f{32}/);
  const bad = await msx(['-C', dir, 'trace', 'not-an-id']);
  assert.equal(bad.exitCode, 2);
});

test('the collector takes protobuf too, and refuses what it cannot read with 4xx', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const collector = await startTraceCollector({ dir });
  t.after(() => collector.close());
  const { spans, traceId } = await shopTrace();

  const ok = await fetch(collector.tracesUrl, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: ProtobufTraceSerializer.serializeRequest(spans) });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('content-type'), 'application/x-protobuf');
  await collector.store.flushed();
  const stored = await readSpans(dir);
  assert.equal(stored.length, 5);
  assert.ok(stored.every((s) => s.traceId === traceId));

  const garbage = await fetch(collector.tracesUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' });
  assert.equal(garbage.status, 400);
  const type = await fetch(collector.tracesUrl, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
  assert.equal(type.status, 415);
  assert.equal((await fetch(collector.tracesUrl)).status, 405);
  assert.equal((await fetch(`${collector.url}/v1/metrics`, { method: 'POST' })).status, 404);
});

test('msx trace on a system without traces says so', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const result = await msx(['-C', dir, 'trace']);
  assert.equal(result.exitCode, 0);
  assert.match(result.stdout, /no traces yet/);
  const json = await msx(['-C', dir, 'trace', '--json']);
  assert.deepEqual(JSON.parse(json.stdout), []);
});
