/**
 * The shared resilience policy stack (cockatiel): timeout inside retry
 * inside a per-target circuit breaker, with an optional bulkhead. Used by
 * `@msx/runtime/client`, the gateway's upstream calls and saga steps.
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
export { isRetryableFailure, isServiceFailure, retryAfterOf } from './failure-classification.js';
export { RetryAfterBackoff } from './retry-after-backoff.js';
export { isIdempotent, IDEMPOTENT_METHODS } from './idempotency.js';
