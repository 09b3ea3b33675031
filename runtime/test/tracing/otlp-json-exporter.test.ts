/**
 * The runtime's own OTLP/HTTP JSON exporter writes what the SDK's exporter
 * (`@opentelemetry/otlp-transformer`'s JSON serializer) writes, and msx's
 * collector stores it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { startTraceCollector } from '../../../src/observability/trace-collector.js';
import { readSpans } from '../../../src/observability/trace-store.js';
import { decodeOtlpJson } from '../../../src/observability/otlp-json.js';
import { OtlpJsonTraceExporter, exportTraceServiceRequest, hrTimeToNanos, parseOtlpHeaders } from '../../src/tracing/otlp-json-exporter.js';

async function someSpans(): Promise<ReadableSpan[]> {
  const spans: ReadableSpan[] = [];
  for (const service of ['orders', 'users']) {
    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': service, 'service.instance.id': `${service}-1` }),
      spanProcessors: [new SimpleSpanProcessor(memory)],
    });
    const tracer = provider.getTracer('@msx/runtime', '0.1.0');
    const other = provider.getTracer('app');
    const root = tracer.startSpan('POST /orders', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'POST', 'http.response.status_code': 201, ratio: 0.5, ok: true, tags: ['a', 'b'] } });
    const child = other.startSpan('GET users', { kind: SpanKind.CLIENT, links: [{ context: root.spanContext(), attributes: { why: 'test' } }] }, trace.setSpan(context.active(), root));
    child.addEvent('retry', { attempt: 2 });
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'users answered 503' });
    child.end();
    root.setStatus({ code: SpanStatusCode.OK });
    root.end();
    await provider.forceFlush();
    spans.push(...memory.getFinishedSpans());
    await provider.shutdown();
  }
  return spans;
}

test('encodes spans as the SDK JSON serializer does', async () => {
  const spans = await someSpans();
  const ours = JSON.parse(JSON.stringify(exportTraceServiceRequest(spans)));
  const sdk = JSON.parse(Buffer.from(JsonTraceSerializer.serializeRequest(spans)!).toString());
  assert.deepEqual(ours, sdk);
  const records = decodeOtlpJson(JSON.stringify(ours));
  assert.equal(records.length, 4);
  const call = records.find((r) => r.name === 'GET users' && r.service === 'users')!;
  assert.equal(call.kind, 'client');
  assert.equal(call.status, 'error');
  assert.equal(call.parentSpanId, records.find((r) => r.name === 'POST /orders' && r.service === 'users')!.spanId);
});

test('unix nanoseconds stay exact beyond 2^53', () => {
  assert.equal(hrTimeToNanos([1_700_000_000, 5]), '1700000000000000005');
  assert.equal(hrTimeToNanos([0, 42]), '42');
  assert.deepEqual(parseOtlpHeaders('api-key=a%20b, x=1,broken,=y'), { 'api-key': 'a b', x: '1' });
});

test('exports to the msx collector over HTTP', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'msx-otlp-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const collector = await startTraceCollector({ dir: join(dir, 'traces') });
  t.after(() => collector.close());
  const spans = await someSpans();
  const exporter = new OtlpJsonTraceExporter({ url: collector.tracesUrl, env: {} });
  const result = await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
  assert.equal(result.code, ExportResultCode.SUCCESS, result.error?.message);
  await exporter.shutdown();
  const stored = await readSpans(join(dir, 'traces'));
  assert.equal(stored.length, 4);
  assert.deepEqual(new Set(stored.map((s) => s.service)), new Set(['orders', 'users']));
});

test('retries 503 and reports a 400 as a failure with the body', async (t) => {
  let calls = 0;
  const server = createServer((req, res) => {
    calls++;
    req.resume();
    req.on('end', () => {
      if (req.headers['x-key'] !== 'k') res.writeHead(401).end('no key');
      else if (calls === 1) res.writeHead(503, { 'retry-after': '0' }).end();
      else if (calls === 2) res.writeHead(200).end('{}');
      else res.writeHead(400).end('bad spans');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const { port } = server.address() as { port: number };
  const exporter = new OtlpJsonTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces`, env: { OTEL_EXPORTER_OTLP_HEADERS: 'x-key=k' } });
  const spans = await someSpans();
  const first = await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
  assert.equal(first.code, ExportResultCode.SUCCESS);
  assert.equal(calls, 2);
  const second = await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
  assert.equal(second.code, ExportResultCode.FAILED);
  assert.match(second.error!.message, /HTTP 400: bad spans/);
  await exporter.shutdown();
  const after = await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
  assert.equal(after.code, ExportResultCode.FAILED);
});
