/**
 * Service-to-service tokens: short-lived HS256 JWTs that say "service
 * `iss` calls service `aud`", marked `type: 'service'`. The secret
 * (`MSX_SERVICE_TOKEN_SECRET`) is distinct from the user-token secret, and
 * the `type` claim is checked on both sides: a user token is never accepted
 * where a service token is required, and the user-token verifier refuses
 * `type: 'service'`.
 */
import { randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { ServiceTokenError } from './service-token-error.js';

export const SERVICE_TOKEN_SECRET_ENV = 'MSX_SERVICE_TOKEN_SECRET';
export const SERVICE_TOKEN_TYPE = 'service';
/** The only algorithm accepted; pinned so a token cannot pick `none` or another one. */
export const SERVICE_TOKEN_ALGORITHM = 'HS256';
/** Default lifetime in seconds: short, because tokens are minted by machines and cached. */
export const DEFAULT_SERVICE_TOKEN_TTL_SEC = 300;
const MIN_SECRET_BYTES = 32;

export interface ServiceIdentity {
  /** The calling service (`iss`). */
  readonly service: string;
  /** The service the token was minted for (`aud`). */
  readonly audience: string;
  /** Expiry, seconds since epoch. */
  readonly exp: number;
  readonly claims: Readonly<JWTPayload>;
}

/** Turns the secret option (or the environment) into key bytes, refusing weak or missing secrets up front. */
export function serviceTokenKey(secret: string | Uint8Array | undefined, env: NodeJS.ProcessEnv = process.env): Uint8Array {
  const value = secret ?? env[SERVICE_TOKEN_SECRET_ENV];
  if (value === undefined || value === '') {
    throw new TypeError(`Service tokens need the \`secret\` option or the ${SERVICE_TOKEN_SECRET_ENV} variable, got neither`);
  }
  const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new TypeError(`Expected the service-token secret to be at least ${MIN_SECRET_BYTES} bytes, got ${bytes.length}`);
  }
  return bytes;
}

export interface SignServiceTokenOptions {
  /** Calling service (`iss`). */
  readonly issuer: string;
  /** Called service (`aud`). */
  readonly audience: string;
  /** Default: env `MSX_SERVICE_TOKEN_SECRET`. */
  readonly secret?: string | Uint8Array;
  /** Lifetime in seconds. Default 300. */
  readonly ttlSec?: number;
  /** Clock in ms, for tests. Default `Date.now()`. */
  readonly now?: number;
  readonly env?: NodeJS.ProcessEnv;
}

export async function signServiceToken(options: SignServiceTokenOptions): Promise<string> {
  const key = serviceTokenKey(options.secret, options.env);
  for (const name of ['issuer', 'audience'] as const) {
    if (typeof options[name] !== 'string' || options[name] === '') {
      throw new TypeError(`Expected the \`${name}\` option to be a service name, got ${JSON.stringify(options[name])}`);
    }
  }
  const ttl = options.ttlSec ?? DEFAULT_SERVICE_TOKEN_TTL_SEC;
  if (!Number.isInteger(ttl) || ttl <= 0) throw new TypeError(`Expected the \`ttlSec\` option to be a positive integer, got ${String(ttl)}`);
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  return new SignJWT({ type: SERVICE_TOKEN_TYPE })
    .setProtectedHeader({ alg: SERVICE_TOKEN_ALGORITHM, typ: 'JWT' })
    .setIssuer(options.issuer)
    .setSubject(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl)
    .setJti(randomUUID())
    .sign(key);
}

export interface VerifyServiceTokenOptions {
  /** This service's name: the only accepted `aud`. */
  readonly audience: string;
  /** Default: env `MSX_SERVICE_TOKEN_SECRET`. */
  readonly secret?: string | Uint8Array;
  /** Services allowed to call; any issuer when absent. */
  readonly allowedIssuers?: readonly string[];
  /** Allowed clock skew for `exp`/`nbf`/`iat`, in seconds. Default 30. */
  readonly clockToleranceSec?: number;
  /** Clock in ms, for tests. Default `Date.now()`. */
  readonly now?: number;
  readonly env?: NodeJS.ProcessEnv;
}

function toServiceTokenError(err: unknown): ServiceTokenError {
  if (err instanceof ServiceTokenError) return err;
  if (err instanceof joseErrors.JWTExpired) return new ServiceTokenError('expired', 'The service token has expired', 'exp', { cause: err });
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    return new ServiceTokenError('claim', `The service token's "${err.claim}" claim is not accepted (${err.reason})`, err.claim, { cause: err });
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed || err instanceof joseErrors.JOSENotSupported) {
    return new ServiceTokenError('algorithm', 'The service token is signed with an algorithm that is not accepted', undefined, { cause: err });
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new ServiceTokenError('signature', 'The service token signature is invalid', undefined, { cause: err });
  }
  return new ServiceTokenError('malformed', 'The service token is malformed', undefined, { cause: err });
}

/**
 * A verifier bound to one configuration (the key is derived once). Checks the
 * pinned algorithm, signature, `exp`, `aud`, `iss` against `allowedIssuers`,
 * and `type === 'service'`.
 */
export function createServiceTokenVerifier(options: VerifyServiceTokenOptions): (token: string, now?: number) => Promise<ServiceIdentity> {
  const key = serviceTokenKey(options.secret, options.env);
  if (typeof options.audience !== 'string' || options.audience === '') {
    throw new TypeError(`Expected the \`audience\` option to be this service's name, got ${JSON.stringify(options.audience)}`);
  }
  if (options.allowedIssuers !== undefined && (!Array.isArray(options.allowedIssuers) || options.allowedIssuers.length === 0)) {
    throw new TypeError(`Expected the \`allowedIssuers\` option to be a non-empty array of service names, got ${JSON.stringify(options.allowedIssuers)}`);
  }
  const clockTolerance = options.clockToleranceSec ?? 30;
  if (!Number.isFinite(clockTolerance) || clockTolerance < 0) {
    throw new TypeError(`Expected the \`clockToleranceSec\` option to be a non-negative number, got ${String(options.clockToleranceSec)}`);
  }
  const issuers = options.allowedIssuers ? [...options.allowedIssuers] : undefined;

  return async (token, now = options.now) => {
    if (typeof token !== 'string' || token === '') throw new ServiceTokenError('missing', 'No service token was presented');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: [SERVICE_TOKEN_ALGORITHM],
        audience: options.audience,
        ...(issuers ? { issuer: issuers } : {}),
        clockTolerance,
        requiredClaims: ['exp', 'iss', 'aud'],
        ...(now !== undefined ? { currentDate: new Date(now) } : {}),
      }));
    } catch (err) {
      throw toServiceTokenError(err);
    }
    if ((payload as { type?: unknown }).type !== SERVICE_TOKEN_TYPE) {
      throw new ServiceTokenError('wrong-type', 'A user token is not accepted where a service token is required', 'type');
    }
    return { service: payload.iss as string, audience: options.audience, exp: payload.exp as number, claims: payload };
  };
}

/** One-call verification (derives the key each time; build a verifier for hot paths). */
export function verifyServiceToken(token: string, options: VerifyServiceTokenOptions): Promise<ServiceIdentity> {
  return createServiceTokenVerifier(options)(token);
}
