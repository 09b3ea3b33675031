import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SpanRecord } from '../../src/observability/span-record.js';
import { buildTraces, findTrace, summarizeTrace } from '../../src/observability/trace-model.js';
import { layoutWaterfall, renderWaterfall } from '../../src/observability/waterfall.js';

const T = 'a'.repeat(32);
const span = (spanId: string, parentSpanId: string | undefined, service: string, name: string, start: number, end: number, extra: Partial<SpanRecord> = {}): SpanRecord => ({
  traceId: T,
  spanId: spanId.padStart(16, '0'),
  ...(parentSpanId === undefined ? {} : { parentSpanId: parentSpanId.padStart(16, '0') }),
  name,
  kind: 'server',
  service,
  start: 1_700_000_000_000 + start,
  end: 1_700_000_000_000 + end,
  status: 'unset',
  attributes: {},
  ...extra,
});

const spans: SpanRecord[] = [
  span('3', '2', 'users', 'GET /users/:id', 20, 60, { status: 'error', statusMessage: 'boom' }),
  span('1', undefined, 'gateway', 'POST /api/orders', 0, 100, { attributes: { 'http.response.status_code': 201 } }),
  span('2', '1', 'orders', 'POST /orders', 10, 90),
  span('4', '2', 'orders', 'order.created publish', 70, 80, { kind: 'producer' }),
  span('5', 'f', 'notifications', 'order.created process', 85, 120, { kind: 'consumer' }), // parent never arrived
  span('2', '1', 'orders', 'POST /orders', 10, 90), // delivered twice
  { ...span('9', undefined, 'users', 'GET /users', 500, 505), traceId: 'b'.repeat(32) },
];

test('traces group spans by id, newest first, with a summary of root, status, services and errors', () => {
  const traces = buildTraces(spans);
  assert.deepEqual(traces.map((t) => t.traceId), ['b'.repeat(32), T]);
  const summary = summarizeTrace(traces[1]!);
  assert.deepEqual(summary, {
    traceId: T,
    root: 'POST /api/orders',
    rootService: 'gateway',
    status: '201',
    durationMs: 120,
    services: ['gateway', 'orders', 'users', 'notifications'],
    spans: 5,
    errors: 1,
    startedAt: new Date(1_700_000_000_000).toISOString(),
  });
  assert.equal(findTrace(traces, 'AAAAAAAA')?.toString(), traces[1]!.toString());
  assert.equal(findTrace(traces, 'aaa'), undefined, 'prefixes need 8 digits');
});

test('the waterfall nests children under parents, scales bars to the width, and keeps orphans', () => {
  const trace = buildTraces(spans)[1]!;
  const rows = layoutWaterfall(trace, 24);
  assert.deepEqual(
    rows.map((r) => [r.depth, r.service, r.operation, r.offsetMs, r.durationMs, r.barStart, r.barLength, r.error]),
    [
      [0, 'gateway', 'POST /api/orders', 0, 100, 0, 20],
      [1, 'orders', 'POST /orders', 10, 80, 2, 16],
      [2, 'users', 'GET /users/:id', 20, 40, 4, 8],
      [2, 'orders', 'order.created publish', 70, 10, 14, 2],
      [0, 'notifications', 'order.created process', 85, 35, 17, 7],
    ].map(([d, s, o, off, dur, bs, bl]) => [d, s, o, off, dur, bs, bl, o === 'GET /users/:id']),
  );
  const lines = renderWaterfall(rows, 24, { red: (t) => `<red>${t}</red>`, dim: (t) => t });
  assert.match(lines[0]!, /^service\s+operation\s+offset\s+duration/);
  assert.match(lines[3]!, /^<red>users\s+ {4}GET \/users\/:id\s+20\.0ms\s+40\.0ms\s+ {4}█{8}.*✖ boom<\/red>$/);
  assert.match(lines[2]!, /^orders\s+ {2}POST \/orders\s+10\.0ms\s+80\.0ms {2} {2}█{16}/);
  assert.equal(lines.filter((l) => l.includes('<red>')).length, 1, 'only the failed span is red');
});

test('a zero-length trace still draws one-cell bars', () => {
  const trace = buildTraces([span('1', undefined, 'a', 'x', 5, 5)])[0]!;
  const [row] = layoutWaterfall(trace, 10);
  assert.equal(row!.barLength, 1);
  assert.equal(row!.barStart, 0);
});
