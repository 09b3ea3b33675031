/**
 * A gateway configuration that cannot work (unknown rate-limit group, HS256
 * without a secret, duplicate route…). Thrown by `createGateway` before any
 * socket is opened; `option` names the offending option and `value` echoes it.
 */
export class GatewayConfigError extends Error {
  override readonly name = 'GatewayConfigError';
  readonly code = 'GATEWAY_CONFIG';
  constructor(
    readonly option: string,
    readonly value: unknown,
    message: string,
  ) {
    super(message);
  }
}
