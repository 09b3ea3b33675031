/**
 * Resolves a subscription's retry options once, up front, into the plain
 * numbers both adapters need: how many attempts, and the delay before each
 * retry. Delays are deterministic (no jitter) because the RabbitMQ adapter
 * keeps one delay queue per distinct delay.
 */
import type { BackoffOptions, SubscribeOptions } from './bus.js';
import { BusError } from './errors.js';

export interface RetryPolicy {
  /** Total attempts including the first: `retries + 1`. */
  readonly maxAttempts: number;
  /** `delaysMs[n-1]` is the wait after failed attempt `n`; length `maxAttempts - 1`. */
  readonly delaysMs: readonly number[];
}

export const DEFAULT_RETRIES = 5;
export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMs: 1000, factor: 2, maxMs: 60_000 };

export function resolveRetryPolicy(options: Pick<SubscribeOptions, 'retries' | 'backoff'>): RetryPolicy {
  const retries = options.retries ?? DEFAULT_RETRIES;
  if (!Number.isInteger(retries) || retries < 0 || retries > 100) {
    throw new BusError('BUS_CONFIG_INVALID', `Expected the \`retries\` option to be an integer from 0 to 100, got ${String(retries)}`);
  }
  const backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  for (const [name, value, min] of [['initialMs', backoff.initialMs, 1], ['factor', backoff.factor, 1], ['maxMs', backoff.maxMs, 1]] as const) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
      throw new BusError('BUS_CONFIG_INVALID', `Expected the \`backoff.${name}\` option to be a number ≥ ${min}, got ${String(value)}`);
    }
  }
  const delaysMs: number[] = [];
  for (let retry = 1; retry <= retries; retry++) {
    delaysMs.push(Math.round(Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** (retry - 1))));
  }
  return { maxAttempts: retries + 1, delaysMs };
}

/** The wait after failed attempt `attempt`, or undefined when it was the last one. */
export function retryDelay(policy: RetryPolicy, attempt: number): number | undefined {
  return attempt < policy.maxAttempts ? policy.delaysMs[attempt - 1] : undefined;
}
