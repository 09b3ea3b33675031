/**
 * The client or the policy stack was given an option it cannot use. Thrown
 * while building them, before any call, with a message that names the
 * option and echoes the bad value.
 */
export class ClientConfigError extends Error {
  override readonly name = 'ClientConfigError';
  readonly code = 'CLIENT_CONFIG_INVALID' as const;
  readonly retryable = false;
}
