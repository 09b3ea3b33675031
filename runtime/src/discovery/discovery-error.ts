/**
 * The discovery area's one error type. Callers branch on `code`, never on
 * the message.
 */
export type DiscoveryErrorCode =
  /** `resolveDiscovery` or a backend got a kind, URL or option it cannot use. */
  | 'DISCOVERY_CONFIG_INVALID'
  /** The backend could not be asked (registry file unreadable, DNS or Consul unreachable) and nothing is cached yet. */
  | 'DISCOVERY_UNAVAILABLE'
  /** Registering this process with the registry failed. */
  | 'DISCOVERY_REGISTER_FAILED';

export class DiscoveryError extends Error {
  override readonly name = 'DiscoveryError';
  /** True when asking again later may succeed. */
  readonly retryable: boolean;

  constructor(
    readonly code: DiscoveryErrorCode,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = code !== 'DISCOVERY_CONFIG_INVALID';
  }
}

/** Brand check that works across two copies of the runtime package. */
export function isDiscoveryError(err: unknown): err is DiscoveryError {
  return err instanceof Error && err.name === 'DiscoveryError' && typeof (err as { code?: unknown }).code === 'string';
}
