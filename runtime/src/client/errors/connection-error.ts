import { ServiceCallError, type InstanceRef } from './service-call-error.js';

/**
 * The instance could not be reached, or the connection broke before an
 * answer (refused, reset, DNS failure). Retryable for idempotent calls,
 * where another instance may answer. A gateway answers 503 (or 502).
 */
export class ConnectionError extends ServiceCallError {
  override readonly name = 'ConnectionError';
  readonly code = 'CONNECTION' as const;
  readonly retryable = true;
  /** The socket-level code, e.g. `ECONNREFUSED`, `UND_ERR_SOCKET`, when known. */
  readonly systemCode: string | undefined;

  constructor(service: string, options: { cause?: unknown; instance?: InstanceRef } = {}) {
    const systemCode = (options.cause as { code?: unknown } | undefined)?.code;
    super(
      service,
      `Could not reach service "${service}"${options.instance ? ` at ${options.instance.url}` : ''}${typeof systemCode === 'string' ? ` (${systemCode})` : ''}`,
      options,
    );
    this.systemCode = typeof systemCode === 'string' ? systemCode : undefined;
  }
}
