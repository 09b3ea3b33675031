import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initTracing, resolveTracingConfig, TracingConfigError, traceIdOf, tracingEnabled, withSpan, currentTraceId } from '../../src/tracing/index.js';

test('the endpoint comes from the option, then the traces variable, then the base variable with /v1/traces', () => {
  const base = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/', MSX_INSTANCE: 'orders-2' };
  assert.deepEqual(resolveTracingConfig({ service: 'orders', env: base }), { enabled: true, service: 'orders', instance: 'orders-2', url: 'http://127.0.0.1:4318/v1/traces' });
  assert.equal(resolveTracingConfig({ service: 'orders', env: { ...base, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:9/t' } }).enabled && 'http://c:9/t', 'http://c:9/t');
  const fromOption = resolveTracingConfig({ service: 'orders', endpoint: 'https://x/v1/traces', instance: 'i', env: base });
  assert.deepEqual(fromOption, { enabled: true, service: 'orders', instance: 'i', url: 'https://x/v1/traces' });
});

test('no endpoint, OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none turn tracing off', () => {
  assert.deepEqual(resolveTracingConfig({ service: 'a', env: {} }), { enabled: false, service: 'a' });
  assert.equal(resolveTracingConfig({ service: 'a', env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://h:1', OTEL_SDK_DISABLED: 'true' } }).enabled, false);
  assert.equal(resolveTracingConfig({ service: 'a', env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://h:1', OTEL_TRACES_EXPORTER: 'none' } }).enabled, false);
  assert.equal(resolveTracingConfig({ service: 'a', env: { OTEL_EXPORTER_OTLP_ENDPOINT: '  ' } }).enabled, false);
});

test('a bad endpoint is a TracingConfigError naming the variable', async () => {
  assert.throws(
    () => resolveTracingConfig({ service: 'a', env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' } }),
    (err) => err instanceof TracingConfigError && err.variable === 'OTEL_EXPORTER_OTLP_ENDPOINT' && /http\(s\) URL/.test(err.message),
  );
  await assert.rejects(initTracing({ service: 'a', env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' } }), TracingConfigError);
});

test('with tracing off, withSpan just runs the function and no trace id is made up', async () => {
  const tracing = await initTracing({ service: 'off', env: {} });
  assert.equal(tracing.enabled, false);
  assert.equal(tracingEnabled(), false);
  assert.equal(withSpan('x', undefined, () => 42), 42);
  assert.equal(await withSpan('x', undefined, async (span) => (span.isRecording() ? 'recording' : 'not')), 'not');
  await assert.rejects(withSpan('x', undefined, async () => { throw new Error('kept'); }), /kept/);
  assert.equal(currentTraceId(), undefined);
});

test('traceIdOf reads a traceparent without OpenTelemetry, refusing malformed and all-zero ids', () => {
  assert.equal(traceIdOf('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(traceIdOf(['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01']), '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(traceIdOf('00-00000000000000000000000000000000-00f067aa0ba902b7-01'), undefined);
  assert.equal(traceIdOf('garbage'), undefined);
  assert.equal(traceIdOf(undefined), undefined);
});
