/**
 * Resilience, one vocabulary for the whole runtime (README.md beside this
 * file): one failure classification and one table of defaults, used by the
 * service client's policy stack (cockatiel: timeout inside retry inside a
 * per-target circuit breaker, optional bulkhead), by the gateway (its
 * synchronous breaker, gateway/circuit-breaker.ts, as a second strategy)
 * and by saga steps (step-policy.ts).
 */
export { createPolicyStack, type AttemptContext, type CircuitStateName, type ExecuteOptions, type PolicyStack } from './policy-stack.js';
export {
  resolvePolicyOptions,
  DEFAULT_BREAKER,
  DEFAULT_RETRY,
  DEFAULT_TIMEOUT_MS,
  type BreakerOptions,
  type BulkheadOptions,
  type PolicyStackOptions,
  type ResolvedPolicyOptions,
  type RetryOptions,
} from './policy-options.js';
export {
  classifyFailure,
  failureRule,
  FAILURE_RULES,
  isRetryableFailure,
  isRetryableForAnyMethod,
  isRetryableStepFailure,
  isServiceFailure,
  retryAfterOf,
  type FailureKind,
  type FailureRule,
} from './failure-classification.js';
export { RESILIENCE_DEFAULTS } from './defaults.js';
export { createStepPolicy, type StepPolicy, type StepRetry } from './step-policy.js';
export { RetryAfterBackoff } from './retry-after-backoff.js';
export { isIdempotent, IDEMPOTENT_METHODS } from './idempotency.js';
