/**
 * The bus's one error type. Callers branch on `code`, never on the message;
 * `retryable` says whether the same call may succeed later (the transport is
 * reconnecting) or never will (bad configuration, bad input).
 */
export type BusErrorCode =
  /** `createBus` got a URL or option it cannot use. */
  | 'BUS_CONFIG_INVALID'
  /** The adapter's driver package is not installed. */
  | 'BUS_DRIVER_MISSING'
  /** The transport could not be reached in time (first connect, or a reconnect outlasting `publishTimeoutMs`). */
  | 'BUS_UNAVAILABLE'
  /** The broker refused the event (publisher confirm nack). */
  | 'BUS_PUBLISH_REJECTED'
  /** The bus was closed. */
  | 'BUS_CLOSED'
  | 'BUS_INVALID_TYPE'
  | 'BUS_INVALID_PATTERN'
  /** `data` or `headers` cannot be serialised to JSON. */
  | 'BUS_INVALID_EVENT';

const RETRYABLE: ReadonlySet<BusErrorCode> = new Set(['BUS_UNAVAILABLE', 'BUS_PUBLISH_REJECTED']);

export class BusError extends Error {
  override readonly name = 'BusError';
  readonly code: BusErrorCode;
  readonly retryable: boolean;
  /** Extra facts for logs (URL without credentials, group, …). */
  readonly data: Readonly<Record<string, unknown>>;

  constructor(code: BusErrorCode, message: string, options: { cause?: unknown; data?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = RETRYABLE.has(code);
    this.data = options.data ?? {};
  }
}

/** Brand check that works across two copies of the runtime package. */
export function isBusError(err: unknown): err is BusError {
  return err instanceof Error && err.name === 'BusError' && typeof (err as { code?: unknown }).code === 'string';
}
