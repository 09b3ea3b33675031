/**
 * Why an upstream call produced no response. `kind` decides the answer:
 * `timeout` → 504; `unavailable` (connection refused), `no-instance`,
 * `circuit-open`, `closing` → 503; `failed` (reset, protocol error) → 502;
 * and the failures of the client's own making: `client-timeout` (its body
 * did not arrive in time) → 408, `bad-request` (the request cannot be sent
 * upstream as given) → 400.
 *
 * What a kind means for the instance and the breaker is the runtime's one
 * failure classification (resilience/failure-classification.ts): each
 * kind carries its `failureKind`, and `tripsBreaker` and `instanceOutcome`
 * are read from the shared table, so a failure of the gateway's or the
 * client's making is never charged to a service.
 */
import type { CallOutcome } from '../discovery/balancers/balancer.js';
import { classifyFailure, FAILURE_RULES, type FailureKind } from '../resilience/failure-classification.js';

export type UpstreamErrorKind = 'timeout' | 'unavailable' | 'circuit-open' | 'no-instance' | 'failed' | 'closing' | 'client-timeout' | 'bad-request';

const STATUS: Readonly<Record<UpstreamErrorKind, 400 | 408 | 502 | 503 | 504>> = {
  timeout: 504,
  unavailable: 503,
  'circuit-open': 503,
  'no-instance': 503,
  closing: 503,
  failed: 502,
  'client-timeout': 408,
  'bad-request': 400,
};

const FAILURE_KIND: Readonly<Record<UpstreamErrorKind, FailureKind>> = {
  timeout: 'timeout',
  unavailable: 'unreachable',
  'circuit-open': 'not-sent',
  'no-instance': 'not-sent',
  failed: 'connection-lost',
  closing: 'caller',
  'client-timeout': 'caller',
  'bad-request': 'caller',
};

export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  readonly status: 400 | 408 | 502 | 503 | 504;
  readonly failureKind: FailureKind;
  /** Counts against the service's circuit breaker (which opens only while every instance is failing). */
  readonly tripsBreaker: boolean;
  /** What the balancer records for the instance the request went to. */
  readonly instanceOutcome: CallOutcome;
  /**
   * The request never reached a service (refused, or the connection broke
   * before any byte of it was written, with its body still unread), so it
   * may be sent to another instance whatever its method.
   */
  readonly neverReached: boolean;

  constructor(
    readonly kind: UpstreamErrorKind,
    readonly service: string,
    message: string,
    options?: { cause?: unknown; neverReached?: boolean },
  ) {
    super(message, options);
    this.status = STATUS[kind];
    this.failureKind = FAILURE_KIND[kind];
    const rule = FAILURE_RULES[this.failureKind];
    this.tripsBreaker = rule.breaker;
    this.instanceOutcome = rule.instance;
    this.neverReached = options?.neverReached ?? rule.retry === 'any-method';
  }
}

/**
 * Classifies an undici or socket error by the shared classification.
 * `written` says whether any byte of the request went out: a broken
 * connection before that never reached the service.
 */
export function classifyUpstreamError(err: unknown, service: string, written = true): UpstreamError {
  switch (classifyFailure(err)) {
    case 'timeout':
      return new UpstreamError('timeout', service, `${service} did not answer in time`, { cause: err });
    case 'unreachable':
      return new UpstreamError('unavailable', service, `${service} refused the connection`, { cause: err });
    case 'caller': {
      const code = (err as { code?: unknown }).code;
      if (code === 'UND_ERR_DESTROYED' || code === 'UND_ERR_CLOSED') {
        return new UpstreamError('closing', service, 'The gateway is shutting down', { cause: err });
      }
      return new UpstreamError('bad-request', service, 'The request cannot be forwarded as sent', { cause: err });
    }
    default:
      return new UpstreamError('failed', service, `${service} failed before answering`, { cause: err, neverReached: !written });
  }
}
