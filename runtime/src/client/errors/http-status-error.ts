import type { IncomingHttpHeaders } from 'node:http';
import { ServiceCallError, type InstanceRef } from './service-call-error.js';

/** Statuses that mean "try again": the instance or its dependencies are overloaded or restarting. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** An RFC 9457 problem details body, as services built with msx answer errors. */
export interface ProblemDetails {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly instance?: string;
  readonly [extension: string]: unknown;
}

/**
 * The service answered with a 4xx or 5xx status. `problem` is the parsed
 * body (problem+json when the callee is an msx service). 4xx are never
 * retryable; 429, 502, 503 and 504 are.
 */
export class HttpStatusError extends ServiceCallError {
  override readonly name = 'HttpStatusError';
  readonly code = 'HTTP_STATUS' as const;
  readonly retryable: boolean;
  /** From `Retry-After` (seconds or an HTTP date), when the answer carried one. */
  readonly retryAfterMs: number | undefined;

  constructor(
    service: string,
    readonly status: number,
    /** Parsed JSON body, the raw text if it was not JSON, or `undefined` when empty. */
    readonly problem: ProblemDetails | unknown,
    readonly headers: IncomingHttpHeaders,
    options: { instance?: InstanceRef; now?: number } = {},
  ) {
    const title = (problem as ProblemDetails | undefined)?.title;
    super(service, `Service "${service}" answered ${status}${typeof title === 'string' ? `: ${title}` : ''}`, options);
    this.retryable = RETRYABLE_STATUSES.has(status);
    this.retryAfterMs = parseRetryAfter(headers['retry-after'], options.now ?? Date.now());
  }
}

/** `Retry-After: 2` or `Retry-After: Wed, 21 Oct 2015 07:28:00 GMT` → milliseconds from `now`. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') return undefined;
  if (/^\d+$/.test(raw.trim())) return Number(raw.trim()) * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
