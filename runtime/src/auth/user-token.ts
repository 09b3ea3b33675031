/**
 * User tokens: the JWTs that end users present to the gateway. Verification
 * pins the algorithms (an unsecured `alg: none` token is always refused),
 * checks `exp`, `nbf`, `iss` and `aud` with a small clock tolerance, and
 * refuses service-to-service tokens (`type: service`) so the two kinds are
 * never interchangeable. `signUserToken` mints HS256 tokens with the
 * system's generated secret (used by `msx token` and by tests).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { UserTokenError } from './user-token-error.js';
import { VerificationCache } from './verification-cache.js';

export type UserTokenAlgorithm = 'HS256' | 'RS256' | 'ES256' | 'EdDSA';

export interface UserTokenOptions {
  /** Accepted `alg` values; pinned so a token cannot choose a weaker one. HMAC and public-key algorithms are never mixed. */
  readonly algorithms: readonly UserTokenAlgorithm[];
  /** Shared secret for HS256 (the system's generated secret). */
  readonly secret?: string | Uint8Array;
  /** JWKS endpoint of the identity provider, for RS256/ES256/EdDSA. Keys are fetched lazily and cached by jose. */
  readonly jwksUrl?: string | URL;
  /** A PEM (SPKI) public key or a KeyObject, for RS256/ES256/EdDSA without a JWKS endpoint. */
  readonly publicKey?: string | KeyObject;
  /** Required `iss`; not checked when absent. */
  readonly issuer?: string | readonly string[];
  /** Required `aud`; not checked when absent. */
  readonly audience?: string | readonly string[];
  /**
   * Longest lifetime accepted, in seconds: a token must carry `iat`, be no
   * older than this, and its `exp - iat` must not exceed it, so a token
   * minted for a year (or leaked from a careless script) is refused however
   * valid its signature. Not checked when absent; generated gateways always
   * set it (msx.yaml `auth.maxTokenAge`, default 24h).
   */
  readonly maxTokenAgeSec?: number;
  /** Allowed clock skew for `exp`/`nbf`, in seconds. Default 30. */
  readonly clockToleranceSec?: number;
  /** How many verified tokens to remember until they expire. Default 10,000; 0 disables the cache. */
  readonly cacheSize?: number;
  /**
   * With `jwksUrl`: after a fetch, how long (ms) a token with an unknown `kid`
   * is refused without fetching the set again (jose's `cooldownDuration`).
   * Default 30,000, so key rotation is picked up within 30 s and unknown-kid
   * floods cannot hammer the identity provider. Tests lower it.
   */
  readonly jwksCooldownMs?: number;
  /** With `jwksUrl`: how long (ms) one JWKS fetch may take (jose's `timeoutDuration`). Default 5,000. */
  readonly jwksTimeoutMs?: number;
}

/** Who a verified token speaks for. */
export interface UserIdentity {
  readonly sub: string;
  /** From `scope` (space-separated, RFC 8693) or a `scp`/`scopes` array. */
  readonly scopes: readonly string[];
  /** Expiry, seconds since epoch. Every accepted token has one. */
  readonly exp: number;
  /** All claims of the token, as signed. */
  readonly claims: Readonly<JWTPayload>;
}

export interface UserTokenVerifier {
  /** Resolves to the identity, or rejects with a {@link UserTokenError}. */
  verify(token: string): Promise<UserIdentity>;
}

type VerificationKey = Uint8Array | KeyObject | JWTVerifyGetKey;

const HMAC_ALGORITHMS = new Set<string>(['HS256']);
const KNOWN_ALGORITHMS = new Set<string>(['HS256', 'RS256', 'ES256', 'EdDSA']);

function resolveKey(options: UserTokenOptions): VerificationKey {
  const { algorithms } = options;
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw new TypeError('Expected the `algorithms` option to be a non-empty array such as ["HS256"]');
  }
  for (const alg of algorithms) {
    if (!KNOWN_ALGORITHMS.has(alg)) {
      throw new TypeError(`Expected every entry of \`algorithms\` to be one of HS256, RS256, ES256, EdDSA, got ${JSON.stringify(alg)}`);
    }
  }
  const hmac = algorithms.filter((alg) => HMAC_ALGORITHMS.has(alg));
  if (hmac.length > 0 && hmac.length !== algorithms.length) {
    // Mixing lets an attacker sign with the public key used as an HMAC secret.
    throw new TypeError('The `algorithms` option must not mix HS256 with public-key algorithms');
  }
  if (hmac.length > 0) {
    const { secret } = options;
    if (secret === undefined || secret.length < 16) {
      throw new TypeError('HS256 needs the `secret` option (at least 16 bytes)');
    }
    return typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  }
  if (options.jwksUrl !== undefined) {
    return createRemoteJWKSet(new URL(options.jwksUrl), {
      ...(options.jwksCooldownMs !== undefined ? { cooldownDuration: options.jwksCooldownMs } : {}),
      ...(options.jwksTimeoutMs !== undefined ? { timeoutDuration: options.jwksTimeoutMs } : {}),
    });
  }
  if (options.publicKey !== undefined) {
    return typeof options.publicKey === 'string' ? createPublicKey(options.publicKey) : options.publicKey;
  }
  throw new TypeError(`${algorithms.join(', ')} needs the \`jwksUrl\` or \`publicKey\` option`);
}

function scopesOf(payload: JWTPayload): string[] {
  const { scope, scp, scopes } = payload as { scope?: unknown; scp?: unknown; scopes?: unknown };
  if (typeof scope === 'string') return scope.split(' ').filter(Boolean);
  const list = Array.isArray(scp) ? scp : Array.isArray(scopes) ? scopes : [];
  return list.filter((s): s is string => typeof s === 'string');
}

/** Maps jose's failures to our codes; jose errors carry a stable `code`. */
function toUserTokenError(err: unknown): UserTokenError {
  if (err instanceof UserTokenError) return err;
  if (err instanceof joseErrors.JWTExpired) return new UserTokenError('expired', 'The token has expired', 'exp', { cause: err });
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    return new UserTokenError('claim', `The token's "${err.claim}" claim is not accepted (${err.reason})`, err.claim, { cause: err });
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed || err instanceof joseErrors.JOSENotSupported) {
    return new UserTokenError('algorithm', 'The token is signed with an algorithm that is not accepted', undefined, { cause: err });
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed || err instanceof joseErrors.JWKSNoMatchingKey) {
    return new UserTokenError('signature', 'The token signature is invalid', undefined, { cause: err });
  }
  // Anything that is not a JOSE verdict (fetch failure, JWKS timeout or garbage) says nothing about the token.
  // jose throws a bare JOSEError (code ERR_JOSE_GENERIC, no subclass) only from the JWKS fetch, when the
  // endpoint answers other than 200 or with a body that is not JSON; without this check an identity
  // provider answering 500 made every token look malformed (401) instead of keys-unavailable (503).
  if (
    err instanceof joseErrors.JWKSTimeout ||
    err instanceof joseErrors.JWKSInvalid ||
    !(err instanceof joseErrors.JOSEError) ||
    err.code === joseErrors.JOSEError.code
  ) {
    return new UserTokenError('key-unavailable', 'The signing keys could not be fetched', undefined, { cause: err });
  }
  return new UserTokenError('malformed', 'The token is malformed', undefined, { cause: err });
}

/**
 * A verifier bound to one configuration, with a cache of verified tokens.
 * Build it once per process: the key (and the JWKS cache) lives in it.
 */
export function createUserTokenVerifier(options: UserTokenOptions): UserTokenVerifier {
  const key = resolveKey(options);
  const clockTolerance = options.clockToleranceSec ?? 30;
  if (!Number.isFinite(clockTolerance) || clockTolerance < 0) {
    throw new TypeError(`Expected the \`clockToleranceSec\` option to be a non-negative number, got ${String(options.clockToleranceSec)}`);
  }
  const maxAge = options.maxTokenAgeSec;
  if (maxAge !== undefined && (!Number.isFinite(maxAge) || maxAge <= 0)) {
    throw new TypeError(`Expected the \`maxTokenAgeSec\` option to be a positive number of seconds, got ${String(maxAge)}`);
  }
  const verifyOptions = {
    algorithms: [...options.algorithms],
    clockTolerance,
    // jose's maxTokenAge requires `iat` and refuses a token issued longer ago than the bound (or in the future).
    requiredClaims: maxAge !== undefined ? ['exp', 'sub', 'iat'] : ['exp', 'sub'],
    ...(maxAge !== undefined ? { maxTokenAge: maxAge } : {}),
    ...(options.issuer !== undefined ? { issuer: options.issuer as string | string[] } : {}),
    ...(options.audience !== undefined ? { audience: options.audience as string | string[] } : {}),
  };
  const cache = new VerificationCache<UserIdentity>(options.cacheSize ?? 10_000);

  async function verifyUncached(token: string): Promise<UserIdentity> {
    let payload: JWTPayload;
    try {
      const result =
        typeof key === 'function' ? await jwtVerify(token, key, verifyOptions) : await jwtVerify(token, key, verifyOptions);
      payload = result.payload;
    } catch (err) {
      throw toUserTokenError(err);
    }
    if (maxAge !== undefined && (payload.exp as number) - (payload.iat as number) > maxAge) {
      // jose bounds the age; the lifetime the issuer granted is ours to bound, or a token may be used for longer than allowed later.
      throw new UserTokenError('claim', `The token's lifetime (exp - iat) exceeds the ${maxAge} s this gateway accepts`, 'exp');
    }
    if ((payload as { type?: unknown }).type === 'service') {
      throw new UserTokenError('wrong-type', 'A service token is not accepted as a user token', 'type');
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') {
      throw new UserTokenError('claim', 'The token has no subject', 'sub');
    }
    return { sub: payload.sub, scopes: scopesOf(payload), exp: payload.exp as number, claims: payload };
  }

  return {
    async verify(token: string): Promise<UserIdentity> {
      if (typeof token !== 'string' || token === '') throw new UserTokenError('missing', 'No token was presented');
      const hit = cache.get(token, Date.now() / 1000);
      if (hit !== undefined) return hit;
      const identity = await verifyUncached(token);
      cache.set(token, identity);
      return identity;
    },
  };
}

const verifiers = new WeakMap<UserTokenOptions, UserTokenVerifier>();

/**
 * One-call verification. The verifier (and its cache) is kept per options
 * object, so pass the same object on every call to benefit from the cache.
 */
export function verifyUserToken(token: string, options: UserTokenOptions): Promise<UserIdentity> {
  let verifier = verifiers.get(options);
  if (verifier === undefined) {
    verifier = createUserTokenVerifier(options);
    verifiers.set(options, verifier);
  }
  return verifier.verify(token);
}

export interface SignUserTokenOptions {
  /** The system's HS256 secret (at least 16 bytes). */
  readonly secret: string | Uint8Array;
  readonly issuer?: string;
  readonly audience?: string | string[];
  /** Lifetime: seconds, or a jose time span such as `'15m'`. Default `'1h'`. */
  readonly expiresIn?: number | string;
}

export interface UserTokenClaims extends JWTPayload {
  readonly sub: string;
  /** Written as the space-separated `scope` claim. */
  readonly scopes?: readonly string[];
}

/** Mints an HS256 user token (`type: user`). */
export async function signUserToken(claims: UserTokenClaims, options: SignUserTokenOptions): Promise<string> {
  const { scopes, ...rest } = claims;
  if (typeof rest.sub !== 'string' || rest.sub === '') throw new TypeError('Expected claims.sub to be a non-empty string');
  const secret = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
  if (secret.length < 16) throw new TypeError('Expected the `secret` option to be at least 16 bytes');
  const payload: JWTPayload = { type: 'user', ...rest };
  if (scopes !== undefined) payload.scope = scopes.join(' ');
  let jwt = new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt();
  if (rest.exp === undefined) {
    const expiresIn = options.expiresIn ?? '1h';
    jwt = jwt.setExpirationTime(typeof expiresIn === 'number' ? Math.floor(Date.now() / 1000) + expiresIn : expiresIn);
  }
  if (options.issuer !== undefined) jwt = jwt.setIssuer(options.issuer);
  if (options.audience !== undefined) jwt = jwt.setAudience(options.audience);
  return jwt.sign(secret);
}
