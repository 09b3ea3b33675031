import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { decodeOtlpJson } from '../../src/observability/otlp-json.js';
import { decodeOtlpProtobuf } from '../../src/observability/otlp-protobuf.js';
import { OtlpDecodeError } from '../../src/observability/otlp-error.js';
import { shopTrace } from './fixtures.js';

test('OTLP protobuf and JSON encodings of the same spans decode to the same records', async () => {
  const { traceId, spans } = await shopTrace();
  const fromJson = decodeOtlpJson(Buffer.from(JsonTraceSerializer.serializeRequest(spans)!));
  const fromProtobuf = decodeOtlpProtobuf(ProtobufTraceSerializer.serializeRequest(spans)!);
  assert.equal(fromJson.length, 5);
  assert.deepEqual(fromProtobuf, fromJson);

  const users = fromJson.find((s) => s.service === 'users')!;
  const call = fromJson.find((s) => s.name === 'GET users')!;
  assert.equal(users.traceId, traceId);
  assert.equal(users.parentSpanId, call.spanId);
  assert.equal(users.kind, 'server');
  assert.equal(users.instance, 'users-1');
  assert.equal(users.status, 'error');
  assert.equal(users.statusMessage, 'database down');
  assert.equal(users.attributes['http.response.status_code'], 503);
  assert.ok(users.end - users.start >= 4, 'times are milliseconds');
  assert.ok(Math.abs(users.start - Date.now()) < 60_000, 'times are epoch milliseconds');
  assert.equal(fromJson.find((s) => s.name === 'POST /api/orders')!.parentSpanId, undefined);
});

test('malformed export requests are OtlpDecodeErrors', () => {
  assert.throws(() => decodeOtlpJson('{nope'), OtlpDecodeError);
  assert.throws(() => decodeOtlpJson(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'xyz', spanId: '00' }] }] }] })), OtlpDecodeError);
  assert.throws(() => decodeOtlpProtobuf(Uint8Array.from([0x0a, 0x05, 0x01])), OtlpDecodeError, 'a length past the end');
  assert.deepEqual(decodeOtlpJson('{}'), []);
});
