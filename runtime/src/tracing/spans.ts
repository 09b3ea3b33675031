import {
  context as contextApi,
  INVALID_SPAN_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { TRACING_KEY, tracingFor } from './tracing.js';

export interface SpanOptions {
  /** Default `SpanKind.INTERNAL`. */
  readonly kind?: SpanKind;
  /** The parent's context. Default: the active context (the span being served, when there is one). */
  readonly parent?: Context;
  /**
   * Whose tracing records the span. Default: the tracing of the parent span,
   * else the first one started in this process (the only one, normally).
   */
  readonly service?: string;
}

/** A span the caller ends itself, and the context to run its children in. */
export interface StartedSpan {
  readonly span: Span;
  /** The parent context with this span set: run children in it (`context.with`) or inject it. */
  readonly context: Context;
}

/** What helpers hand to their callback when tracing is off: records nothing, costs nothing. */
const NON_RECORDING = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * Starts a span, or returns undefined when tracing is off, so hot paths
 * can skip the work around it (`if (started) …`). The caller must `end()` it.
 */
export function startSpan(name: string, attributes: Attributes | undefined, options: SpanOptions = {}): StartedSpan | undefined {
  const parent = options.parent ?? contextApi.active();
  const tracing = (options.service === undefined ? undefined : tracingFor(options.service)) ?? tracingFor(undefined, parent);
  if (tracing === undefined) return undefined;
  const span = tracing.tracer.startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, ...(attributes === undefined ? {} : { attributes }) }, parent);
  return { span, context: trace.setSpan(parent, span).setValue(TRACING_KEY, tracing) };
}

/** Marks `span` failed with `error` (status ERROR with its message, plus an `exception` event). */
export function recordError(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  else span.recordException(String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

/**
 * Runs `fn` inside a new span: the span is active while `fn` runs (calls
 * and publishes made inside become its children), ends when `fn` returns
 * or its promise settles, and is marked failed when `fn` throws or
 * rejects (the error still reaches the caller). With tracing off, `fn`
 * runs directly with a non-recording span.
 *
 * @example
 * const rows = await withSpan('SELECT orders', { 'db.system.name': 'postgresql', 'db.query.text': sql }, () => pool.query(sql, values), { kind: SpanKind.CLIENT });
 */
export function withSpan<T>(name: string, attributes: Attributes | undefined, fn: (span: Span) => T, options: SpanOptions = {}): T {
  const started = startSpan(name, attributes, options);
  if (started === undefined) return fn(NON_RECORDING);
  const { span } = started;
  let result: T;
  try {
    result = contextApi.with(started.context, fn, undefined, span);
  } catch (error) {
    recordError(span, error);
    span.end();
    throw error;
  }
  if (!isPromiseLike(result)) {
    span.end();
    return result;
  }
  return Promise.resolve(result).then(
    (value) => {
      span.end();
      return value;
    },
    (error: unknown) => {
      recordError(span, error);
      span.end();
      throw error;
    },
  ) as T;
}

/** The W3C `traceparent` header value of a span (`00-<trace>-<span>-<flags>`). */
export function traceparentOf(span: Span): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}
