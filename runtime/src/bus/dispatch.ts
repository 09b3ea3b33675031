/**
 * Runs one delivery through its handler and decides what the transport must
 * do next, identically for every adapter: acknowledge, retry after a delay,
 * or dead-letter. Transports only carry out the verdict.
 */
import type { DeliveryContext, EventEnvelope, EventHandler } from './bus.js';
import type { BusMetrics } from './metrics.js';
import type { RecentEvents } from './recent-events.js';
import { retryDelay, type RetryPolicy } from './retry-policy.js';

export type Verdict =
  | { readonly outcome: 'ack' }
  | { readonly outcome: 'retry'; readonly delayMs: number; readonly error: string }
  | { readonly outcome: 'dead_letter'; readonly error: string };

export async function dispatch(
  handler: EventHandler<unknown>,
  envelope: EventEnvelope,
  context: DeliveryContext,
  policy: RetryPolicy,
  metrics: BusMetrics,
  recent: RecentEvents,
): Promise<Verdict> {
  recent.record(envelope, 'consumed', context.group);
  const started = performance.now();
  let verdict: Verdict;
  try {
    const result = handler(envelope, context);
    // Only wait for handlers that return a promise: saves a microtask per event for synchronous ones.
    if (result !== undefined && typeof (result as { then?: unknown }).then === 'function') await result;
    verdict = { outcome: 'ack' };
  } catch (err) {
    const error = describeError(err);
    const delayMs = retryDelay(policy, context.attempt);
    verdict = delayMs === undefined ? { outcome: 'dead_letter', error } : { outcome: 'retry', delayMs, error };
  }
  metrics.consumed(context.group, verdict.outcome, (performance.now() - started) / 1000);
  return verdict;
}

/** A message that cannot be parsed as an envelope goes straight to dead letters. */
export function parseEnvelope(body: string): EventEnvelope | undefined {
  try {
    const value: unknown = JSON.parse(body);
    if (value !== null && typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string' && typeof (value as { type?: unknown }).type === 'string') {
      return value as EventEnvelope;
    }
  } catch {
    // fall through: not JSON
  }
  return undefined;
}

/** `Name: message`, bounded so it fits in AMQP headers and log lines. */
export function describeError(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.length > 1000 ? `${text.slice(0, 999)}…` : text;
}
