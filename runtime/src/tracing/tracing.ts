import { createContextKey, trace, type Context, type Tracer } from '@opentelemetry/api';

/**
 * The tracing of one service in this process. Normally a process runs one
 * service and has one; tests (and the local supervisor's in-process mode)
 * may run several, each exporting under its own `service.name`.
 */
export interface Tracing {
  /** False when no endpoint is configured: every helper then does (nearly) nothing. */
  readonly enabled: boolean;
  readonly service: string;
  /** Where spans are exported, when enabled. */
  readonly url: string | undefined;
  /** This service's tracer (a no-op tracer when disabled). */
  readonly tracer: Tracer;
  /** Exports the spans still buffered; resolves when the collector answered (or gave up). */
  forceFlush(): Promise<void>;
  /** Flushes, stops exporting and forgets this service's tracing. Idempotent. */
  shutdown(): Promise<void>;
}

/** Tracing that is off: the helpers check `enabled` and skip all span work. */
export function disabledTracing(service: string): Tracing {
  return {
    enabled: false,
    service,
    url: undefined,
    tracer: trace.getTracer('@msx/runtime'),
    forceFlush: async () => {},
    shutdown: async () => {},
  };
}

/**
 * Process-wide table of enabled tracings by service name. Components that
 * know their service (service kit, client `from`, bus `service`, gateway
 * `name`) look theirs up; helpers that do not (database, saga) take the
 * one of the span they run under, else the first one started.
 */
const byService = new Map<string, Tracing>();
let enabledCount = 0;

/** The context key under which a span started by the runtime remembers whose tracing it belongs to. */
export const TRACING_KEY = createContextKey('@msx/runtime tracing');

export function registerTracing(tracing: Tracing): void {
  if (!tracing.enabled) return;
  if (!byService.has(tracing.service)) enabledCount += 1;
  byService.set(tracing.service, tracing);
}

export function unregisterTracing(tracing: Tracing): void {
  if (byService.get(tracing.service) === tracing) {
    byService.delete(tracing.service);
    enabledCount -= 1;
  }
}

/**
 * True when any service of this process traces. This is the check the hot
 * paths (gateway, request middleware) make first, so that with tracing off
 * they pay one comparison and nothing else.
 */
export function tracingEnabled(): boolean {
  return enabledCount > 0;
}

/**
 * The enabled tracing for `service`; without a name, the one of the span
 * `context` runs under, else the first started in this process. Undefined
 * when tracing is off.
 */
export function tracingFor(service?: string, context?: Context): Tracing | undefined {
  if (enabledCount === 0) return undefined;
  if (service !== undefined) return byService.get(service);
  const fromContext = context?.getValue(TRACING_KEY) as Tracing | undefined;
  if (fromContext !== undefined && fromContext.enabled) return fromContext;
  return byService.values().next().value;
}
