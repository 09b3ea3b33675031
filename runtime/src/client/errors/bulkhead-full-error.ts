import { ServiceCallError } from './service-call-error.js';

/**
 * The bulkhead for this service has no free execution or queue slot: this
 * process already has as many calls to it in flight as allowed. Shedding
 * here keeps one slow dependency from using up every socket and every
 * request handler. A gateway answers 503.
 */
export class BulkheadFullError extends ServiceCallError {
  override readonly name = 'BulkheadFullError';
  readonly code = 'BULKHEAD_FULL' as const;
  readonly retryable = false;

  constructor(service: string, options: { cause?: unknown } = {}) {
    super(service, `Too many concurrent calls to service "${service}"; call refused`, options);
  }
}
