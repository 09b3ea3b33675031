/**
 * Why a user token was refused. Callers (the gateway, services) branch on
 * `code` and `status`, never on the message: `missing` means "ask for a
 * token" (RFC 6750 says no `error` attribute then), every other code is an
 * `invalid_token`, except `key-unavailable`, which is our fault (the JWKS
 * endpoint could not be reached) and must not look like a bad credential.
 */
export type UserTokenErrorCode =
  | 'missing'
  | 'malformed'
  | 'algorithm'
  | 'signature'
  | 'expired'
  | 'claim'
  | 'wrong-type'
  | 'key-unavailable';

export class UserTokenError extends Error {
  override readonly name = 'UserTokenError';
  /** HTTP status a server should answer with: 401, or 503 for `key-unavailable`. */
  readonly status: 401 | 503;

  constructor(
    readonly code: UserTokenErrorCode,
    message: string,
    /** The claim that failed validation (`aud`, `iss`, `nbf`, `sub`…), for `code: 'claim'`. */
    readonly claim?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.status = code === 'key-unavailable' ? 503 : 401;
  }
}
