/**
 * `@msx/runtime/tracing`: OpenTelemetry tracing with manual spans from the
 * runtime's own hooks. `createService` turns it on by itself when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is set; code of a service uses `withSpan`
 * for its own work and `currentTraceId` for its log lines.
 */
export { initTracing } from './init-tracing.js';
export { resolveTracingConfig, type TracingOptions, type TracingConfig } from './tracing-config.js';
export { TracingConfigError } from './tracing-config-error.js';
export { tracingEnabled, tracingFor, type Tracing } from './tracing.js';
export { withSpan, startSpan, recordError, traceparentOf, type SpanOptions, type StartedSpan } from './spans.js';
export { extract, inject, currentTraceId, traceIdOf, type TraceCarrier } from './propagation.js';
export { ATTR } from './attributes.js';
export { SpanKind, SpanStatusCode, ROOT_CONTEXT, context, trace, type Span, type Attributes, type Context } from '@opentelemetry/api';
