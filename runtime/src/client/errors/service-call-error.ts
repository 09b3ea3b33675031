/** Every way a call to another service can fail, as a `code` callers branch on. */
export type ServiceCallErrorCode =
  | 'TIMEOUT'
  | 'CIRCUIT_OPEN'
  | 'NO_INSTANCE'
  | 'HTTP_STATUS'
  | 'CONNECTION'
  | 'BULKHEAD_FULL';

/** Which instance a failed attempt went to, when one was chosen. */
export interface InstanceRef {
  readonly id: string;
  readonly url: string;
}

/**
 * Base of the service client's errors. Branch on `code` (or use the
 * subclasses), never on the message. `retryable` says whether the same call
 * may succeed if repeated: the policy stack's retry reads it, and so can a
 * saga step deciding whether to compensate.
 */
export abstract class ServiceCallError extends Error {
  abstract readonly code: ServiceCallErrorCode;
  abstract readonly retryable: boolean;
  /** Brand that survives two copies of the runtime package, unlike `instanceof`. */
  readonly isServiceCallError = true;

  constructor(
    /** The service that was called. */
    readonly service: string,
    message: string,
    options: { cause?: unknown; instance?: InstanceRef } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.instance = options.instance;
  }

  readonly instance: InstanceRef | undefined;
}

export function isServiceCallError(err: unknown): err is ServiceCallError {
  return typeof err === 'object' && err !== null && (err as { isServiceCallError?: unknown }).isServiceCallError === true;
}
