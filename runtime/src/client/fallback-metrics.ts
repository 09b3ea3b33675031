import { Counter, type Registry } from 'prom-client';
import type { FallbackReason } from './fallback.js';

export const FALLBACKS_METRIC = 'msx_client_fallbacks_total';

export interface FallbackMetrics {
  used(callee: string, reason: FallbackReason, source: 'default' | 'last-good'): void;
}

const NOOP: FallbackMetrics = { used() {} };

/**
 * `msx_client_fallbacks_total{callee, reason, source}` on the service's
 * registry (its `service` default label names the caller). Created once per
 * registry: several clients of one service share it.
 */
export function createFallbackMetrics(registry: Registry | undefined): FallbackMetrics {
  if (registry === undefined) return NOOP;
  const counter = (registry.getSingleMetric(FALLBACKS_METRIC) as Counter<'callee' | 'reason' | 'source'> | undefined) ?? new Counter({
    name: FALLBACKS_METRIC,
    help: 'Calls to another service answered by their fallback (a default or the last good answer) instead of the service, by called service, reason and source.',
    labelNames: ['callee', 'reason', 'source'],
    registers: [registry],
  });
  return { used: (callee, reason, source) => counter.inc({ callee, reason, source }) };
}
