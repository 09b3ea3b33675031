import {
  bulkhead as createBulkhead,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  isBrokenCircuitError,
  isBulkheadRejectedError,
  retry as createRetry,
  SamplingBreaker,
  timeout as createTimeout,
  TimeoutStrategy,
  wrap,
  type CircuitBreakerPolicy,
  type IPolicy,
  type RetryPolicy,
  type TimeoutPolicy,
} from 'cockatiel';
import { BulkheadFullError } from '../client/errors/bulkhead-full-error.js';
import { CircuitOpenError } from '../client/errors/circuit-open-error.js';
import { TimeoutError } from '../client/errors/timeout-error.js';
import { isRetryableFailure, isRetryableForAnyMethod, isServiceFailure, retryAfterOf } from './failure-classification.js';
import { RetryAfterBackoff } from './retry-after-backoff.js';
import { resolvePolicyOptions, type PolicyStackOptions, type ResolvedPolicyOptions } from './policy-options.js';

/** What one attempt gets: a signal that aborts on timeout or when the caller gives up, and the attempt number (0 first). */
export interface AttemptContext {
  readonly signal: AbortSignal;
  readonly attempt: number;
}

export interface ExecuteOptions {
  /**
   * Whether the call may be repeated without harm: true for GET, HEAD,
   * OPTIONS, PUT and DELETE, or any call carrying an `Idempotency-Key`.
   * Only idempotent calls are retried. Default `false`.
   */
  readonly idempotent?: boolean;
  /** Timeout of each attempt, in ms. Default: the stack's `timeoutMs`. */
  readonly timeoutMs?: number;
  /** Aborts the whole call, retries included. */
  readonly signal?: AbortSignal;
  /**
   * Time for the whole call, retries and back-off included, in whole ms
   * (at most 2^31-1). An attempt cut by it is a `TimeoutError` like one cut
   * by `timeoutMs`, so the breaker counts it; no attempt starts after it.
   */
  readonly deadlineMs?: number;
}

export type CircuitStateName = 'closed' | 'open' | 'half-open' | 'isolated';

/**
 * The service client's composed resilience stack (cockatiel), configured
 * once per client (or shared by several):
 *
 *     bulkhead (optional) → circuit breaker → retry → timeout → attempt
 *
 * The breaker is outermost so an open circuit fails at once, without
 * retries or sockets, and so one logical call (its retries included) counts
 * once. Breakers and bulkheads are per target service; one sick dependency
 * never opens another's circuit. Which failures the breaker counts and
 * which are retried comes from the shared classification
 * (failure-classification.ts): idempotent calls are retried on refused,
 * reset, timeout, 429 and 502–504; any call, a POST included, is retried
 * when its attempt never reached a service (connection refused). The
 * gateway (a synchronous breaker of its own, see
 * gateway/circuit-breaker.ts) and saga steps (step-policy.ts) follow the
 * same classification and the same defaults (defaults.ts).
 *
 * It throws the client's typed errors at its edge: `TimeoutError`
 * (`TIMEOUT`), `CircuitOpenError` (`CIRCUIT_OPEN`), `BulkheadFullError`
 * (`BULKHEAD_FULL`); whatever the attempt threw passes through unchanged.
 */
export interface PolicyStack {
  readonly options: ResolvedPolicyOptions;
  execute<T>(target: string, attempt: (context: AttemptContext) => Promise<T>, options?: ExecuteOptions): Promise<T>;
  circuitState(target: string): CircuitStateName;
  /** The target's breaker, for its events (`onBreak`, `onHalfOpen`, `onReset`) in logs and metrics. */
  breaker(target: string): CircuitBreakerPolicy;
  /** The shared retry policy (`onRetry`, `onGiveUp`), or `undefined` when retries are off. */
  readonly retry: RetryPolicy | undefined;
}

interface Target {
  readonly breaker: CircuitBreakerPolicy;
  readonly idempotent: IPolicy;
  readonly nonIdempotent: IPolicy;
}

const STATE_NAMES: Record<CircuitState, CircuitStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

/**
 * cockatiel 3.2.1's own `isTaskCancelledError` tests for the bulkhead's
 * brand by mistake, so the brand is read here directly.
 */
function isTaskCancelled(error: unknown): boolean {
  return error instanceof Error && (error as { isTaskCancelledError?: unknown }).isTaskCancelledError === true;
}

/** Distinct per-call timeouts kept as ready policies; beyond this many, odd values get a fresh one per call. */
const MAX_CACHED_TIMEOUTS = 32;

export function createPolicyStack(input: PolicyStackOptions = {}): PolicyStack {
  const options = resolvePolicyOptions(input);
  const isRetryable = input.isRetryable ?? isRetryableFailure;
  const isFailure = input.isFailure ?? isServiceFailure;

  let retry: RetryPolicy | undefined;
  if (options.retry) {
    const { maxRetries, initialDelayMs, maxDelayMs, maxRetryAfterMs } = options.retry;
    retry = createRetry(
      handleWhen((error) => isRetryable(error) && !((retryAfterOf(error) ?? 0) > maxRetryAfterMs)),
      {
        maxAttempts: maxRetries,
        // Exponential with decorrelated jitter (cockatiel's default generator), overridden by Retry-After.
        backoff: new RetryAfterBackoff(new ExponentialBackoff({ initialDelay: initialDelayMs, maxDelay: maxDelayMs })),
      },
    );
  }
  const retryPolicy = retry;
  // A call that never reached a service may be sent again whatever its method: nothing happened anywhere.
  let unreachedRetry: RetryPolicy | undefined;
  if (options.retry) {
    const { maxRetries, initialDelayMs, maxDelayMs } = options.retry;
    unreachedRetry = createRetry(handleWhen(isRetryableForAnyMethod), {
      maxAttempts: maxRetries,
      backoff: new ExponentialBackoff({ initialDelay: initialDelayMs, maxDelay: maxDelayMs }),
    });
  }

  const targets = new Map<string, Target>();
  const timeouts = new Map<number, TimeoutPolicy>();

  function targetOf(name: string): Target {
    let target = targets.get(name);
    if (!target) {
      const { halfOpenAfterMs, consecutiveFailures, sampling } = options.breaker;
      const breaker = circuitBreaker(handleWhen(isFailure), {
        halfOpenAfter: halfOpenAfterMs,
        breaker: sampling
          ? new SamplingBreaker({ threshold: sampling.threshold, duration: sampling.durationMs, minimumRps: sampling.minimumRps })
          : new ConsecutiveBreaker(consecutiveFailures),
      });
      const outer: IPolicy[] = options.bulkhead ? [createBulkhead(options.bulkhead.limit, options.bulkhead.queue), breaker] : [breaker];
      target = {
        breaker,
        idempotent: retryPolicy ? wrap(...outer, retryPolicy) : wrap(...outer),
        nonIdempotent: unreachedRetry ? wrap(...outer, unreachedRetry) : wrap(...outer),
      };
      targets.set(name, target);
    }
    return target;
  }

  function timeoutOf(ms: number): TimeoutPolicy {
    let policy = timeouts.get(ms);
    if (!policy) {
      // Aggressive: the attempt is abandoned at the deadline even if it ignores its signal.
      policy = createTimeout(ms, TimeoutStrategy.Aggressive);
      if (timeouts.size < MAX_CACHED_TIMEOUTS) timeouts.set(ms, policy);
    }
    return policy;
  }

  return {
    options,
    retry: retryPolicy,
    breaker: (name) => targetOf(name).breaker,
    circuitState: (name) => STATE_NAMES[targetOf(name).breaker.state],
    async execute(name, attempt, callOptions = {}) {
      const timeoutMs = callOptions.timeoutMs ?? options.timeoutMs;
      if (!(typeof timeoutMs === 'number' && timeoutMs > 0 && Number.isFinite(timeoutMs))) {
        throw new TypeError(`Expected the \`timeoutMs\` call option to be a positive number of milliseconds, got ${String(timeoutMs)}`);
      }
      const target = targetOf(name);
      const policy = callOptions.idempotent ? target.idempotent : target.nonIdempotent;
      const timed = timeoutOf(timeoutMs);
      const { deadlineMs } = callOptions;
      // The deadline is one more abort signal beside the caller's; knowing which of the two fired tells a timeout from an abort.
      const deadline = deadlineMs === undefined ? undefined : AbortSignal.timeout(deadlineMs);
      const caller = callOptions.signal;
      const signal = deadline === undefined ? caller : caller === undefined ? deadline : AbortSignal.any([caller, deadline]);
      const pastDeadline = () => deadline?.aborted === true && caller?.aborted !== true;
      // The timeout wraps each attempt here rather than inside `wrap`, so that
      // a timeout (the attempt's or the call's deadline) becomes a TimeoutError
      // (retryable, counted by the breaker) before retry and breaker see it,
      // while a caller's abort does not.
      const run = (context: { signal: AbortSignal; attempt?: number }) =>
        timed
          .execute(({ signal }) => attempt({ signal, attempt: context.attempt ?? 0 }), context.signal)
          .catch((error: unknown) => {
            if (pastDeadline()) throw new TimeoutError(name, deadlineMs!, { cause: error });
            if (isTaskCancelled(error) && !context.signal.aborted) throw new TimeoutError(name, timeoutMs, { cause: error });
            throw error;
          });
      try {
        return await policy.execute(run, signal);
      } catch (error) {
        // Like fetch: a call the caller aborted rejects with the signal's reason (an AbortError by default).
        if (caller?.aborted) throw caller.reason;
        if (pastDeadline() && !(error instanceof TimeoutError)) throw new TimeoutError(name, deadlineMs!, { cause: error });
        if (isBrokenCircuitError(error)) throw new CircuitOpenError(name, { cause: error });
        if (isBulkheadRejectedError(error)) throw new BulkheadFullError(name, { cause: error });
        throw error;
      }
    },
  };
}
