/**
 * The one table of resilience defaults: every number the service client,
 * the gateway and the saga orchestrator use when their options say
 * nothing. Each option's own documentation refers here; README.md beside
 * this file says why each value is what it is.
 */
export const RESILIENCE_DEFAULTS = {
  /** Circuit breakers (the client's per called service, the gateway's per service). */
  breaker: {
    /** Failures in a row that open a circuit. */
    consecutiveFailures: 5,
    /** How long an open circuit refuses calls before one trial call, ms. */
    halfOpenAfterMs: 5_000,
  },
  /** Per-instance outlier ejection in the shared balancer. */
  outlierEjection: {
    /** Failures in a row after which an instance is skipped (a refused connection ejects at once). */
    consecutiveFailures: 5,
    /** How long an ejected instance is skipped, ms. */
    cooldownMs: 30_000,
  },
  /** The service client's calls. */
  client: {
    /** Timeout of one attempt, ms. */
    attemptTimeoutMs: 5_000,
    retry: { maxRetries: 2, initialDelayMs: 100, maxDelayMs: 2_000, maxRetryAfterMs: 5_000 },
  },
  /** The gateway. */
  gateway: {
    /** Time a route's upstream has for its response headers, ms. */
    routeTimeoutMs: 10_000,
    /** Further instances tried after one that was never reached (refused), for any method. */
    unreachableRetries: 2,
    /** Time a client has to send a request's headers, ms (Node's default is 60 s, checked every 30 s). */
    headersTimeoutMs: 10_000,
    /** Time a client has to send a whole request, body included, ms. */
    requestTimeoutMs: 60_000,
    /** How long an idle client connection is kept; a little above the common 5 s client idle timeouts, ms. */
    keepAliveTimeoutMs: 6_000,
  },
  /** Saga steps and compensations (retries count attempts, the first included). */
  saga: {
    stepTimeoutMs: 10_000,
    stepRetry: { maxAttempts: 3, initialDelayMs: 200, maxDelayMs: 5_000 },
    compensationRetry: { maxAttempts: 10, initialDelayMs: 200, maxDelayMs: 10_000 },
  },
} as const;
