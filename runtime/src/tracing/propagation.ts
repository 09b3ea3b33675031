import { context as contextApi, defaultTextMapGetter, defaultTextMapSetter, trace, type Context, type TextMapPropagator } from '@opentelemetry/api';

/**
 * W3C trace context (`traceparent`, `tracestate`) in and out of carriers:
 * HTTP headers, or an event envelope, which carries both as top-level
 * fields. The propagator is `@opentelemetry/core`'s, loaded by `initTracing`
 * with the rest of the SDK; until then (tracing off) `extract` returns the
 * base context unchanged and `inject` writes nothing, and the runtime's
 * plain header forwarding keeps trace ids flowing for logs.
 */
let w3c: TextMapPropagator | undefined;

/** Called once by `initTracing`. */
export function useW3CPropagator(propagator: TextMapPropagator): void {
  w3c = propagator;
}

/** Anything with `traceparent`/`tracestate` keys: node's `IncomingHttpHeaders`, a plain record, an `EventEnvelope`. */
export type TraceCarrier = { readonly traceparent?: unknown; readonly tracestate?: unknown } | Readonly<Record<string, unknown>>;

/**
 * The context whose remote parent is the carrier's `traceparent` (with its
 * `tracestate`), on top of `base` (default: the active context; pass
 * `ROOT_CONTEXT` for an incoming request or event, which starts its own
 * piece of the trace). An absent or malformed `traceparent` gives `base`
 * back unchanged.
 */
export function extract(carrier: TraceCarrier | undefined, base: Context = contextApi.active()): Context {
  if (w3c === undefined || carrier === undefined || carrier === null) return base;
  return w3c.extract(base, carrier, defaultTextMapGetter);
}

/**
 * Writes the `traceparent` (and `tracestate`) of the span in `ctx`
 * (default: the active one) into `carrier`, and returns it. Writes nothing
 * when tracing is off or no span is active.
 */
export function inject<C extends Record<string, unknown>>(carrier: C, ctx: Context = contextApi.active()): C {
  if (w3c !== undefined) w3c.inject(ctx, carrier, defaultTextMapSetter);
  return carrier;
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;

/** The trace id of the active span, for log lines; undefined outside a (recording or remote) span. */
export function currentTraceId(ctx: Context = contextApi.active()): string | undefined {
  const spanContext = trace.getSpanContext(ctx);
  return spanContext !== undefined && trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/**
 * The trace id inside a `traceparent` header, without any OpenTelemetry
 * machinery: log lines carry it even when tracing is off, so `msx logs
 * --trace` still finds a request across services.
 */
export function traceIdOf(traceparent: string | string[] | undefined): string | undefined {
  const value = Array.isArray(traceparent) ? traceparent[0] : traceparent;
  if (value === undefined || value.length !== 55) return undefined;
  const match = TRACEPARENT.exec(value);
  return match === null || /^0+$/.test(match[1]!) ? undefined : match[1];
}
