import { classifyFailure } from '../resilience/failure-classification.js';
import { ClientConfigError } from './errors/client-config-error.js';
import { isServiceCallError, type ServiceCallError } from './errors/service-call-error.js';

/**
 * Why a call was answered by its fallback: the failure kind of the shared
 * classification (failure-classification.ts), with "not sent" split by its
 * cause. Bounded, so it is safe as a metric label.
 */
export type FallbackReason =
  | 'unreachable'
  | 'connection-lost'
  | 'timeout'
  | 'unavailable'
  | 'server-error'
  | 'throttled'
  | 'circuit-open'
  | 'bulkhead-full'
  | 'no-instance';

/** A fixed answer, or one computed from the failure. A function that throws makes the call reject with what it threw. */
export type DefaultAnswer<T> =
  | { readonly value: T }
  | ((error: ServiceCallError) => T | Promise<T>);

/** Answer an idempotent read (GET or HEAD) with the last answer that succeeded for the same service, method, path and query. */
export interface LastGoodAnswer<T> {
  readonly lastGood: true;
  /** An answer older than this is not used. Default: no limit (an old name beats no name for a read). */
  readonly maxAgeMs?: number;
  /** What to answer when nothing fit is kept. Default: none, the call rejects with its failure. */
  readonly otherwise?: DefaultAnswer<T>;
}

/**
 * `CallOptions.fallback`: what a call answers when it ultimately fails for
 * reasons of availability (after its retries, or refused by the breaker).
 * A 4xx other than 429 is an answer, not an outage, and is never replaced.
 */
export type Fallback<T = unknown> = DefaultAnswer<T> | LastGoodAnswer<T>;

/** The mark on an answer that did not come from the service just now. */
export interface Degraded {
  readonly reason: FallbackReason;
  /** `default`: the call's default answer; `last-good`: a kept answer of an earlier call. */
  readonly source: 'default' | 'last-good';
  /** The failure the fallback stands in for. */
  readonly error: ServiceCallError;
  /** For `last-good`: how old the kept answer is, in ms. */
  readonly ageMs?: number;
}

/** Methods whose answer may be kept and served again: reads with no effect (RFC 9110 safe methods; OPTIONS carries no data worth keeping). */
const READS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

export function isLastGood<T>(fallback: Fallback<T>): fallback is LastGoodAnswer<T> {
  return typeof fallback === 'object' && fallback !== null && (fallback as LastGoodAnswer<T>).lastGood === true;
}

/** Checks a call's `fallback` option before anything is sent: a clear error names what is wrong and how to fix it. */
export function validateFallback(fallback: unknown, method: string, service: string, path: string): void {
  if (fallback === undefined) return;
  const where = `the \`fallback\` option of ${method} ${service} ${path}`;
  if (typeof fallback === 'function') return;
  if (typeof fallback !== 'object' || fallback === null) {
    throw new ClientConfigError(`Expected ${where} to be { value }, a function of the error, or { lastGood: true }, got ${String(fallback)}`);
  }
  const f = fallback as Partial<LastGoodAnswer<unknown>> & { value?: unknown };
  if ('lastGood' in f) {
    if (f.lastGood !== true) throw new ClientConfigError(`Expected lastGood in ${where} to be true, got ${String(f.lastGood)}`);
    if (!READS.has(method)) {
      throw new ClientConfigError(
        `A last-good-answer fallback is only for idempotent reads (GET, HEAD), but ${where} is on a ${method}: replaying an old answer would hide whether the ${method} took effect. Use a default answer ({ value }) or handle the error.`,
      );
    }
    if (f.maxAgeMs !== undefined && !(typeof f.maxAgeMs === 'number' && f.maxAgeMs > 0)) {
      throw new ClientConfigError(`Expected maxAgeMs in ${where} to be a positive number of ms, got ${String(f.maxAgeMs)}`);
    }
    if (f.otherwise !== undefined) validateFallback(f.otherwise, method, service, path);
    if (f.otherwise !== undefined && isLastGood(f.otherwise as Fallback)) throw new ClientConfigError(`Expected otherwise in ${where} to be a default answer, not another lastGood`);
    return;
  }
  if (!('value' in f)) throw new ClientConfigError(`Expected ${where} to be { value }, a function of the error, or { lastGood: true }; it has neither value nor lastGood`);
}

/**
 * The reason to fall back for `error`, or undefined when the failure is not
 * one of availability: a 4xx answer (other than 429), the caller's own abort
 * or misconfiguration, an error that says nothing about itself.
 */
export function fallbackReason(error: unknown): FallbackReason | undefined {
  if (!isServiceCallError(error)) return undefined;
  const kind = classifyFailure(error);
  switch (kind) {
    case 'unreachable':
    case 'connection-lost':
    case 'timeout':
    case 'unavailable':
    case 'server-error':
    case 'throttled':
      return kind;
    case 'not-sent':
      return error.code === 'CIRCUIT_OPEN' ? 'circuit-open' : error.code === 'BULKHEAD_FULL' ? 'bulkhead-full' : 'no-instance';
    default:
      return undefined;
  }
}

/** Whether a failure says the kept answer is wrong now (the service answered 4xx for it), so it must be forgotten. */
export function invalidatesLastGood(error: unknown): boolean {
  return isServiceCallError(error) && classifyFailure(error) === 'rejected';
}
