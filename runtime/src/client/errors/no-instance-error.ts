import { ServiceCallError } from './service-call-error.js';

/** Discovery knows no healthy instance of the service. A gateway answers 503. */
export class NoInstanceError extends ServiceCallError {
  override readonly name = 'NoInstanceError';
  readonly code = 'NO_INSTANCE' as const;
  readonly retryable = false;

  constructor(service: string, readonly discovery: string, options: { cause?: unknown } = {}) {
    super(service, `No healthy instance of service "${service}" (discovery: ${discovery})`, options);
  }
}
