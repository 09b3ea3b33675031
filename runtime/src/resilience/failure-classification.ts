/**
 * The one failure classification of the runtime. The service client, the
 * gateway and saga steps all ask {@link classifyFailure} what went wrong
 * and {@link FAILURE_RULES} what that means for them, so the three cannot
 * drift apart again (the README beside this file explains each row).
 *
 * Errors are read by their fields only (`failureKind`, `code`, `status`,
 * `systemCode`, `retryable`), never by class or message text, so errors
 * from two copies of the runtime package classify alike.
 */
import type { CallOutcome } from '../discovery/balancers/balancer.js';

export type FailureKind =
  /** The call never reached the service: connection refused, no route, DNS, no instance listed. */
  | 'unreachable'
  /** It reached the service, and the connection broke before an answer (reset, closed). */
  | 'connection-lost'
  /** The service did not answer in time. */
  | 'timeout'
  /** The service answered 502, 503 or 504: it cannot serve now. */
  | 'unavailable'
  /** The service answered another 5xx: an error of its own (a bug, a failed dependency). */
  | 'server-error'
  /** The service answered 429: it protects itself from this caller. */
  | 'throttled'
  /** The service answered another 4xx, or a saga step said no: the request is wrong, repeating it cannot help. */
  | 'rejected'
  /**
   * The call was not sent: the caller's own breaker is open, its bulkhead
   * is full, or discovery lists no instance. Nothing was learnt about any
   * instance; a later attempt may find things changed.
   */
  | 'not-sent'
  /**
   * The caller's side ended the call: it aborted or left, its body was too
   * large or too slow, its own process is closing, or it asked for
   * something that cannot be sent. Nothing was learnt about the service.
   */
  | 'caller'
  /** An error that says nothing about itself (a saga step's own `throw new Error(…)`). */
  | 'unknown';

export interface FailureRule {
  /** What the balancer records for the instance the call went to (outlier ejection). */
  readonly instance: CallOutcome;
  /**
   * Whether a circuit breaker counts it: the client's (per called service)
   * and the gateway's (per service, and only while every instance is failing).
   */
  readonly breaker: boolean;
  /**
   * Whether the service client (and, for `any-method`, the gateway) sends
   * the call again, to another instance where there is one:
   * `any-method` even a POST, because the first attempt never reached a
   * service; `idempotent` only calls that are safe to repeat; `never`.
   */
  readonly retry: 'any-method' | 'idempotent' | 'never';
  /** Whether a saga step that failed so is run again under the step's retry (a step is idempotent through its key). */
  readonly stepRetry: boolean;
}

export const FAILURE_RULES: Readonly<Record<FailureKind, FailureRule>> = {
  unreachable: { instance: 'unreachable', breaker: true, retry: 'any-method', stepRetry: true },
  'connection-lost': { instance: 'failure', breaker: true, retry: 'idempotent', stepRetry: true },
  timeout: { instance: 'failure', breaker: true, retry: 'idempotent', stepRetry: true },
  unavailable: { instance: 'failure', breaker: true, retry: 'idempotent', stepRetry: true },
  'server-error': { instance: 'failure', breaker: false, retry: 'never', stepRetry: true },
  throttled: { instance: 'success', breaker: false, retry: 'idempotent', stepRetry: true },
  rejected: { instance: 'success', breaker: false, retry: 'never', stepRetry: false },
  'not-sent': { instance: 'no-verdict', breaker: false, retry: 'never', stepRetry: true },
  caller: { instance: 'no-verdict', breaker: false, retry: 'never', stepRetry: false },
  unknown: { instance: 'no-verdict', breaker: false, retry: 'never', stepRetry: true },
};

/**
 * Socket and undici codes that say the connection was never made. A
 * connect that timed out is one of them: nothing was sent (an instance that
 * went away with its address, as a removed container does, is never
 * answered, not even with a refusal), so any method may go to another one.
 */
const UNREACHABLE_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT', 'UND_ERR_CONNECT_TIMEOUT']);
/** Codes of a call that ran out of time. */
const TIMEOUT_CODES: ReadonlySet<string> = new Set(['TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
/** Codes of a connection that broke once made. */
const LOST_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_RESPONSE_STATUS_CODE', 'HPE_INVALID_CONSTANT']);
/** Codes of a call the caller did not send. */
const NOT_SENT_CODES: ReadonlySet<string> = new Set(['CIRCUIT_OPEN', 'BULKHEAD_FULL', 'NO_INSTANCE']);
/** Codes the caller's side produced: undici refused the request as given, the caller's pool is closing, the caller aborted. */
const CALLER_CODES: ReadonlySet<string> = new Set([
  'CLIENT_CONFIG_INVALID',
  'ABORT_ERR',
  'UND_ERR_ABORTED',
  'UND_ERR_INVALID_ARG',
  'UND_ERR_NOT_SUPPORTED',
  'UND_ERR_DESTROYED',
  'UND_ERR_CLOSED',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_REQ_RETRY',
  'BODY_TOO_LARGE',
]);
const KINDS: ReadonlySet<string> = new Set(Object.keys(FAILURE_RULES));

interface ClassifiableError {
  readonly failureKind?: unknown;
  readonly code?: unknown;
  readonly systemCode?: unknown;
  readonly status?: unknown;
  readonly retryable?: unknown;
  readonly retryAfterMs?: unknown;
  readonly permanent?: unknown;
  readonly name?: unknown;
  readonly isTaskCancelledError?: unknown;
}

function kindOfStatus(status: number): FailureKind {
  if (status === 429) return 'throttled';
  if (status === 502 || status === 503 || status === 504) return 'unavailable';
  if (status >= 500) return 'server-error';
  return 'rejected';
}

/** What kind of failure `error` is. An error may say so itself with a `failureKind` field. */
export function classifyFailure(error: unknown): FailureKind {
  if (typeof error !== 'object' || error === null) return 'unknown';
  const e = error as ClassifiableError;
  if (typeof e.failureKind === 'string' && KINDS.has(e.failureKind)) return e.failureKind as FailureKind;
  // A saga step's business "no" (StepRejectedError) may carry a status, but it is a no whatever the status.
  if (e.permanent === true) return 'rejected';
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code === 'CONNECTION') {
    const systemCode = typeof e.systemCode === 'string' ? e.systemCode : undefined;
    return systemCode !== undefined && UNREACHABLE_CODES.has(systemCode) ? 'unreachable' : 'connection-lost';
  }
  if (typeof e.status === 'number' && e.status >= 400 && e.status <= 599) return kindOfStatus(e.status);
  if (code !== undefined) {
    if (NOT_SENT_CODES.has(code)) return 'not-sent';
    if (UNREACHABLE_CODES.has(code)) return 'unreachable';
    if (TIMEOUT_CODES.has(code)) return 'timeout';
    if (LOST_CODES.has(code)) return 'connection-lost';
    if (CALLER_CODES.has(code)) return 'caller';
  }
  if (e.name === 'AbortError') return 'caller';
  // cockatiel's TaskCancelledError: the attempt's timeout fired.
  if (e.isTaskCancelledError === true) return 'timeout';
  if (e.retryable === true) return 'unavailable';
  return 'unknown';
}

/** The rule for `error`'s kind. */
export function failureRule(error: unknown): FailureRule {
  return FAILURE_RULES[classifyFailure(error)];
}

/** The same call may succeed if repeated, when it is idempotent (refused, timeout, 429, 502–504, reset). */
export function isRetryableFailure(error: unknown): boolean {
  return failureRule(error).retry !== 'never';
}

/** The call never reached a service, so even a non-idempotent one may be sent again, to another instance. */
export function isRetryableForAnyMethod(error: unknown): boolean {
  return failureRule(error).retry === 'any-method';
}

/**
 * The error says the called service is unwell, which is what a breaker
 * counts: unreachable, timing out, broken connections, or answering
 * 502–504. A 500 is the service answering (one bad route must not cut the
 * whole service off), a 429 is the callee protecting itself, any other
 * 4xx is the caller's mistake, and the caller's own aborts say nothing.
 */
export function isServiceFailure(error: unknown): boolean {
  return failureRule(error).breaker;
}

/** Whether a saga step that threw `error` is run again (anything but a business "no", a 4xx, or the orchestrator stopping). */
export function isRetryableStepFailure(error: unknown): boolean {
  return failureRule(error).stepRetry;
}

/** The delay the callee asked for (`Retry-After`), in ms, if any. */
export function retryAfterOf(error: unknown): number | undefined {
  const value = typeof error === 'object' && error !== null ? (error as ClassifiableError).retryAfterMs : undefined;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}
