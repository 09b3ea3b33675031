import { ServiceCallError } from './service-call-error.js';

/**
 * The breaker for this service is open: recent calls failed, so this one was
 * refused without touching the network. Not retryable right away; the
 * breaker lets a trial call through after its cooldown. A gateway answers 503.
 */
export class CircuitOpenError extends ServiceCallError {
  override readonly name = 'CircuitOpenError';
  readonly code = 'CIRCUIT_OPEN' as const;
  readonly retryable = false;

  constructor(service: string, options: { cause?: unknown } = {}) {
    super(service, `Circuit for service "${service}" is open; call refused`, options);
  }
}
