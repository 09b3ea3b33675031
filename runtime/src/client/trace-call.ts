import { context as contextApi, SpanKind, trace, type Context } from '@opentelemetry/api';
import { ATTR } from '../tracing/attributes.js';
import { extract, inject } from '../tracing/propagation.js';
import { recordError, startSpan } from '../tracing/spans.js';
import { tracingEnabled } from '../tracing/tracing.js';
import type { CallContext } from './trace-context.js';

/** What a recovered call answers: its mark says the fallback was used and why. */
interface Recovered {
  readonly status: number;
  readonly degraded?: { readonly reason: string; readonly source: string };
}

/** A CLIENT span around one service call (all its attempts), already injected into the call's headers. */
export interface TracedCall {
  /**
   * Runs the call in the span. When it fails and `recover` answers instead
   * (a fallback), the span still says the call failed, and carries an
   * `msx.fallback` event and attributes naming the reason and the source.
   */
  run<T extends Recovered>(execute: () => Promise<T>, recover?: (error: unknown) => Promise<T>): Promise<T>;
}

/**
 * The parent of an outgoing call: the active span (the request being
 * served) unless the caller passed an explicit context of another trace,
 * e.g. `forRequest(req)` outside the request's own async flow.
 */
function parentOf(call: CallContext | undefined): Context {
  const active = contextApi.active();
  if (call?.traceparent === undefined) return active;
  const explicit = extract({ traceparent: call.traceparent, tracestate: call.tracestate }, active);
  const activeTrace = trace.getSpanContext(active)?.traceId;
  return activeTrace !== undefined && activeTrace === trace.getSpanContext(explicit)?.traceId ? active : explicit;
}

/**
 * Starts the CLIENT span of a call when tracing is on and writes its
 * `traceparent`/`tracestate` into `headers`, so the callee's SERVER span is
 * its child. Undefined when tracing is off: the client then forwards the
 * caller's trace context as before.
 */
export function traceCall(from: string, service: string, method: string, path: string, call: CallContext | undefined, headers: Record<string, string>): TracedCall | undefined {
  if (!tracingEnabled()) return undefined;
  const started = startSpan(
    `${method} ${service}`,
    { [ATTR.httpMethod]: method, [ATTR.peerService]: service, [ATTR.urlPath]: path.split('?', 1)[0]! },
    { kind: SpanKind.CLIENT, parent: parentOf(call), service: from },
  );
  if (started === undefined) return undefined;
  if (headers.traceparent === undefined) inject(headers, started.context);
  const { span } = started;
  return {
    async run(execute, recover) {
      try {
        const response = await execute();
        span.setAttribute(ATTR.httpStatus, response.status);
        return response;
      } catch (error) {
        const status = (error as { status?: unknown }).status;
        if (typeof status === 'number') span.setAttribute(ATTR.httpStatus, status);
        recordError(span, error);
        if (recover === undefined) throw error;
        const recovered = await recover(error);
        if (recovered.degraded !== undefined) {
          const attributes = { [ATTR.fallbackReason]: recovered.degraded.reason, [ATTR.fallbackSource]: recovered.degraded.source };
          span.setAttributes(attributes);
          span.addEvent('msx.fallback', attributes);
        }
        return recovered;
      } finally {
        span.end();
      }
    },
  };
}

