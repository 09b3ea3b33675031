/**
 * Tracing was asked for with a value that cannot work (an endpoint that is
 * not an http(s) URL). Raised at start-up, never while serving, so a
 * misconfigured service fails loudly instead of silently dropping spans.
 */
export class TracingConfigError extends Error {
  override readonly name = 'TracingConfigError';
  readonly code = 'TRACING_CONFIG_INVALID';
  constructor(
    readonly variable: string,
    readonly value: unknown,
    message: string,
  ) {
    super(message);
  }
}
