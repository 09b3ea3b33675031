/**
 * The policy a saga step (or compensation) runs under: a timeout per
 * attempt inside a retry with exponential backoff (cockatiel). Built once
 * per step definition by the orchestrator and reused for every saga that
 * runs the step (a cockatiel policy keeps no per-call state, so one serves
 * concurrent sagas); building it per execution cost two policies, a
 * backoff and their event emitters on every step of every saga.
 *
 * What is retried comes from the shared classification
 * (failure-classification.ts, column `stepRetry`): a step carries an
 * idempotency key, so anything transient is run again, including a 500
 * and failures that say nothing about themselves; a business "no"
 * (`StepRejectedError`), a 4xx and the orchestrator stopping are not.
 */
import { ExponentialBackoff, handleAll, handleWhen, retry, timeout, TimeoutStrategy, wrap, type IPolicy } from 'cockatiel';
import { isRetryableStepFailure } from './failure-classification.js';

export interface StepRetry {
  /** Attempts in all (first included). */
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

/** Runs `fn` with the attempt's signal (aborted at the attempt's timeout or when the caller's signal aborts) and the attempt number (0 first). */
export type StepPolicy = IPolicy<{ signal: AbortSignal; attempt: number }>;

/**
 * `retryWhen`: `'classified'` retries what the classification says a step
 * may retry; `'always'` retries every failure (compensations: giving up
 * means a stuck saga, so every failure gets the whole budget).
 */
export function createStepPolicy(settings: StepRetry, timeoutMs: number, retryWhen: 'classified' | 'always'): StepPolicy {
  const retryPolicy = retry(retryWhen === 'always' ? handleAll : handleWhen(isRetryableStepFailure), {
    maxAttempts: settings.maxAttempts - 1,
    backoff: new ExponentialBackoff({ initialDelay: settings.initialDelayMs, maxDelay: settings.maxDelayMs }),
  });
  return wrap(retryPolicy, timeout(timeoutMs, TimeoutStrategy.Aggressive)) as unknown as StepPolicy;
}
