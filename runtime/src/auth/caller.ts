/**
 * Who is calling a service, as the service kit verified it before any
 * route ran. Services trust no caller they cannot verify: a request is
 * served only when the gateway vouched for it (a signed identity, with or
 * without a user) or another service presented a service token, unless
 * msx.yaml marks its route open.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { GatewayIdentityError, verifyGatewayHeaders, type GatewayIdentity } from './gateway-identity.js';
import { createServiceTokenVerifier, type ServiceIdentity } from './service-token.js';
import { ServiceTokenError } from './service-token-error.js';

export type Caller =
  /** Through the gateway, for a user whose token the gateway verified. */
  | { readonly kind: 'user'; readonly identity: GatewayIdentity }
  /** Through the gateway, with no user (a public route). */
  | { readonly kind: 'gateway' }
  /** Another service, with a service token minted for this one. */
  | { readonly kind: 'service'; readonly service: ServiceIdentity }
  /** Nobody vouched for it: only on routes msx.yaml marks `open`. */
  | { readonly kind: 'unverified' };

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The verified caller, set by the service kit before routes run. */
      caller?: Caller;
    }
  }
}

/** Why a caller was refused; `code` is sent in the 401 body. */
export class CallerRefusedError extends Error {
  override readonly name = 'CallerRefusedError';
  readonly status = 401;
  constructor(
    readonly code: 'missing' | 'not-configured' | 'wrong-audience' | GatewayIdentityError['code'] | ServiceTokenError['code'],
    message: string,
  ) {
    super(message);
  }
}

export interface CallerVerifierOptions {
  /** This service's name: the audience service tokens must be minted for. */
  readonly service: string;
  /** `GATEWAY_IDENTITY_SECRET`; without it no gateway identity is accepted. */
  readonly identitySecret?: string | undefined;
  /** `MSX_SERVICE_TOKEN_SECRET`; without it no service token is accepted. */
  readonly serviceTokenSecret?: string | undefined;
  /** Skew allowed on expiries, seconds. Default 30. */
  readonly clockToleranceSec?: number;
}

/** Skew allowed on an anonymous identity's expiry: a few seconds, not the user tokens' 30. */
const ANONYMOUS_CLOCK_TOLERANCE_SEC = 5;

function bearerOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
}

/**
 * Checks a request's headers: authentic gateway identity headers first
 * (the gateway also forwards the user's own bearer token, which is no
 * service token), else a service token in `Authorization`. Resolves to the
 * caller or rejects with {@link CallerRefusedError}.
 */
export function createCallerVerifier(options: CallerVerifierOptions): (headers: IncomingHttpHeaders) => Promise<Caller> {
  const clockToleranceSec = options.clockToleranceSec ?? 30;
  const identitySecret = options.identitySecret;
  const verifyServiceToken =
    options.serviceTokenSecret === undefined
      ? undefined
      : createServiceTokenVerifier({ audience: options.service, secret: options.serviceTokenSecret, clockToleranceSec, env: {} });

  return async (headers) => {
    if (identitySecret !== undefined) {
      try {
        const assertion = verifyGatewayHeaders(headers, identitySecret, { clockToleranceSec });
        if (assertion.kind === 'user') return { kind: 'user', identity: assertion.identity };
        if (assertion.kind === 'anonymous') {
          // Made out to one service, and short-lived with little skew: the
          // same headers reach every public request, so they must not open
          // another service's routes or live on after the gateway moved on.
          if (assertion.aud !== options.service) {
            throw new CallerRefusedError('wrong-audience', `The gateway's anonymous identity was made out to ${String(assertion.aud ?? 'no service')}, not ${options.service}`);
          }
          if (assertion.exp + ANONYMOUS_CLOCK_TOLERANCE_SEC <= Date.now() / 1000) {
            throw new CallerRefusedError('expired', "The gateway's anonymous identity has expired");
          }
          return { kind: 'gateway' };
        }
      } catch (error) {
        if (error instanceof GatewayIdentityError) throw new CallerRefusedError(error.code, error.message);
        throw error;
      }
    }
    const token = bearerOf(typeof headers.authorization === 'string' ? headers.authorization : undefined);
    if (token !== undefined && verifyServiceToken !== undefined) {
      try {
        return { kind: 'service', service: await verifyServiceToken(token) };
      } catch (error) {
        if (error instanceof ServiceTokenError) throw new CallerRefusedError(error.code, error.message);
        throw error;
      }
    }
    if (identitySecret === undefined && verifyServiceToken === undefined) {
      throw new CallerRefusedError(
        'not-configured',
        'This service can verify no caller: neither GATEWAY_IDENTITY_SECRET nor MSX_SERVICE_TOKEN_SECRET is set',
      );
    }
    throw new CallerRefusedError('missing', 'Call this service through the gateway, or from another service with a service token');
  };
}
