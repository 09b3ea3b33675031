import { ClientConfigError } from '../client/errors/client-config-error.js';
import { RESILIENCE_DEFAULTS } from './defaults.js';

export interface RetryOptions {
  /** Retries after the first attempt (so at most `maxRetries + 1` attempts). Default 2. */
  readonly maxRetries?: number;
  /** First backoff delay in ms; later ones grow exponentially, with decorrelated jitter. Default 100. */
  readonly initialDelayMs?: number;
  /** Cap on one backoff delay in ms. Default 2000. */
  readonly maxDelayMs?: number;
  /**
   * Longest `Retry-After` we wait for, in ms. A longer one is not retried at
   * all: the error reaches the caller (with `retryAfterMs`) at once rather
   * than holding a request open for that long. Default 5000.
   */
  readonly maxRetryAfterMs?: number;
}

export interface BreakerOptions {
  /** How long an open breaker refuses calls before letting one trial call through, in ms. Default 5,000 (the shared table in defaults.ts). */
  readonly halfOpenAfterMs?: number;
  /** Open after this many failed calls in a row (used unless `sampling` is set). Default 5. */
  readonly consecutiveFailures?: number;
  /** Open when this share of calls failed over a sliding window, instead of counting a streak. */
  readonly sampling?: {
    /** Failure ratio in (0, 1]. */
    readonly threshold: number;
    readonly durationMs: number;
    /** Below this rate the breaker never opens (too few samples). Default: cockatiel's. */
    readonly minimumRps?: number;
  };
}

export interface BulkheadOptions {
  /** Concurrent calls allowed per target service. */
  readonly limit: number;
  /** Calls allowed to wait for a slot; more are refused with `BULKHEAD_FULL`. Default 0. */
  readonly queue?: number;
}

export interface PolicyStackOptions {
  /** Timeout of one attempt, in ms, unless a call sets its own. Default 5000. */
  readonly timeoutMs?: number;
  /** Retry settings, or `false` to never retry. Default `{}` (the defaults in {@link RetryOptions}). */
  readonly retry?: RetryOptions | false;
  /** Breaker settings (one breaker per target service). Default `{}`. */
  readonly breaker?: BreakerOptions;
  /** Per-target concurrency limit, or `false` for none. Default `false`. */
  readonly bulkhead?: BulkheadOptions | false;
  /** Decides whether a failure of an idempotent call may be retried. Default: the shared classification (refused, reset, timeout, 429, 502–504). */
  readonly isRetryable?: (error: unknown) => boolean;
  /** Decides whether a failure counts against the breaker. Default: the shared classification (unreachable, reset, timeout, 502–504). */
  readonly isFailure?: (error: unknown) => boolean;
}

export interface ResolvedPolicyOptions {
  readonly timeoutMs: number;
  readonly retry: Required<RetryOptions> | false;
  readonly breaker: Required<Omit<BreakerOptions, 'sampling'>> & Pick<BreakerOptions, 'sampling'>;
  readonly bulkhead: Required<BulkheadOptions> | false;
}

export const DEFAULT_RETRY: Required<RetryOptions> = RESILIENCE_DEFAULTS.client.retry;
export const DEFAULT_BREAKER = RESILIENCE_DEFAULTS.breaker;
export const DEFAULT_TIMEOUT_MS = RESILIENCE_DEFAULTS.client.attemptTimeoutMs;

function check(ok: boolean, option: string, expected: string, value: unknown): void {
  if (!ok) throw new ClientConfigError(`Expected the \`${option}\` option to be ${expected}, got ${JSON.stringify(value) ?? String(value)}`);
}

const isNonNegativeInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isPositive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/** Copies the input, applies every default once and validates every option before anything is built. */
export function resolvePolicyOptions(input: PolicyStackOptions = {}): ResolvedPolicyOptions {
  const timeoutMs = input.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  check(isPositive(timeoutMs), 'timeoutMs', 'a positive number of milliseconds', timeoutMs);

  let retry: Required<RetryOptions> | false = false;
  if (input.retry !== false) {
    retry = { ...DEFAULT_RETRY, ...input.retry };
    check(isNonNegativeInt(retry.maxRetries), 'retry.maxRetries', 'a non-negative integer', retry.maxRetries);
    check(isPositive(retry.initialDelayMs), 'retry.initialDelayMs', 'a positive number of milliseconds', retry.initialDelayMs);
    check(isPositive(retry.maxDelayMs) && retry.maxDelayMs >= retry.initialDelayMs, 'retry.maxDelayMs', 'a number of milliseconds no smaller than `retry.initialDelayMs`', retry.maxDelayMs);
    check(isNonNegativeInt(retry.maxRetryAfterMs), 'retry.maxRetryAfterMs', 'a non-negative integer of milliseconds', retry.maxRetryAfterMs);
  }

  const breaker = { ...DEFAULT_BREAKER, ...input.breaker };
  check(isNonNegativeInt(breaker.halfOpenAfterMs), 'breaker.halfOpenAfterMs', 'a non-negative integer of milliseconds', breaker.halfOpenAfterMs);
  check(Number.isInteger(breaker.consecutiveFailures) && breaker.consecutiveFailures >= 1, 'breaker.consecutiveFailures', 'a positive integer', breaker.consecutiveFailures);
  if (breaker.sampling) {
    const { threshold, durationMs, minimumRps } = breaker.sampling;
    check(typeof threshold === 'number' && threshold > 0 && threshold <= 1, 'breaker.sampling.threshold', 'a ratio in (0, 1]', threshold);
    check(isPositive(durationMs), 'breaker.sampling.durationMs', 'a positive number of milliseconds', durationMs);
    check(minimumRps === undefined || (typeof minimumRps === 'number' && minimumRps >= 0), 'breaker.sampling.minimumRps', 'a non-negative number', minimumRps);
  }

  let bulkhead: Required<BulkheadOptions> | false = false;
  if (input.bulkhead) {
    bulkhead = { queue: 0, ...input.bulkhead };
    check(Number.isInteger(bulkhead.limit) && bulkhead.limit >= 1, 'bulkhead.limit', 'a positive integer', bulkhead.limit);
    check(isNonNegativeInt(bulkhead.queue), 'bulkhead.queue', 'a non-negative integer', bulkhead.queue);
  }
  return { timeoutMs, retry, breaker, bulkhead };
}
