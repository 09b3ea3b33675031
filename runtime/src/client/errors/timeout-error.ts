import { ServiceCallError, type InstanceRef } from './service-call-error.js';

/**
 * An attempt got no complete answer within its timeout. Retryable for
 * idempotent calls: a slow instance is often alone in being slow. A gateway
 * answers 504.
 */
export class TimeoutError extends ServiceCallError {
  override readonly name = 'TimeoutError';
  readonly code = 'TIMEOUT' as const;
  readonly retryable = true;

  constructor(service: string, readonly timeoutMs: number, options: { cause?: unknown; instance?: InstanceRef } = {}) {
    super(service, `Call to service "${service}" timed out after ${timeoutMs} ms`, options);
  }
}
