/**
 * Why a service token was refused. Callers branch on `code`, never on the
 * message; the codes match {@link UserTokenError}'s so one handler can map
 * both. `wrong-type` is a valid token of the wrong kind (a user token where
 * a service token is required).
 */
export type ServiceTokenErrorCode = 'missing' | 'malformed' | 'algorithm' | 'signature' | 'expired' | 'claim' | 'wrong-type';

export class ServiceTokenError extends Error {
  override readonly name = 'ServiceTokenError';
  /** Every refusal is a 401: the caller must present a (new) valid token. */
  readonly status = 401 as const;

  constructor(
    readonly code: ServiceTokenErrorCode,
    message: string,
    /** The claim that failed (`aud`, `iss`, `exp`, `type`…), when one did. */
    readonly claim?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
