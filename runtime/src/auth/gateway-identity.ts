/**
 * How a verified user identity travels from the gateway to a service.
 *
 * Choice: the gateway strips any incoming `x-msx-identity*` headers, and
 * after verifying the user token it sends the identity as base64url JSON in
 * `x-msx-identity`, authenticated by an HMAC-SHA256 in
 * `x-msx-identity-signature` keyed with `GATEWAY_IDENTITY_SECRET` (shared by
 * the gateway and the services, generated per system). A service checks the
 * MAC with {@link gatewayIdentity} and never re-verifies the JWT, so it
 * needs neither the JWT secret nor the JWKS endpoint.
 *
 * The signed identity carries the token's `exp` and is refused after it:
 * the pair is exactly as replayable as the bearer token it came from, no
 * more. Because it depends only on the token, the gateway computes it once
 * per token, not per request.
 *
 * A request on a public route has no user, but a service must still know
 * it came through the gateway (services trust no caller they cannot
 * verify). For those the gateway sends a signed *anonymous* identity
 * (`{ anonymous: true, exp }`, no subject) with a short expiry, signed once
 * every few seconds rather than per request. It proves "the gateway sent
 * this" and nothing about a user: {@link readGatewayIdentity} and
 * {@link gatewayIdentity} treat it as no identity.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { UserIdentity } from './user-token.js';

export const IDENTITY_HEADER = 'x-msx-identity';
export const IDENTITY_SIGNATURE_HEADER = 'x-msx-identity-signature';
export const IDENTITY_SECRET_ENV = 'GATEWAY_IDENTITY_SECRET';

const SIGNATURE_PREFIX = 'v1=';
const MAC_CONTEXT = 'msx-identity.v1.';

/** The identity as a service sees it. */
export interface GatewayIdentity {
  readonly sub: string;
  readonly scopes: readonly string[];
  /** Expiry of the token it came from, seconds since epoch. */
  readonly exp: number;
  /** The token's claims as signed by the issuer. */
  readonly claims: Readonly<Record<string, unknown>>;
}

export type GatewayIdentityErrorCode = 'missing' | 'bad-signature' | 'malformed' | 'expired';

export class GatewayIdentityError extends Error {
  override readonly name = 'GatewayIdentityError';
  readonly status = 401;
  constructor(readonly code: GatewayIdentityErrorCode, message: string) {
    super(message);
  }
}

function resolveSecret(secret: string | undefined): string {
  const value = secret ?? process.env[IDENTITY_SECRET_ENV];
  if (value === undefined || value.length < 16) {
    throw new TypeError(`The gateway identity secret is missing or shorter than 16 characters: pass \`secret\` or set ${IDENTITY_SECRET_ENV}`);
  }
  return value;
}

function mac(secret: string, value: string): string {
  return createHmac('sha256', secret).update(MAC_CONTEXT).update(value).digest('base64url');
}

/** Lifetime of a signed anonymous identity, seconds: short, since anyone who saw one may replay it until then. */
export const ANONYMOUS_IDENTITY_TTL_SEC = 30;

/** The two header values the gateway sends for `identity`. */
export function signGatewayIdentity(identity: UserIdentity | GatewayIdentity, secret: string): { identity: string; signature: string } {
  const value = Buffer.from(
    JSON.stringify({ sub: identity.sub, scopes: identity.scopes, exp: identity.exp, claims: identity.claims }),
  ).toString('base64url');
  return { identity: value, signature: SIGNATURE_PREFIX + mac(secret, value) };
}

/**
 * The identity headers the gateway would send for a user `sub` with
 * `scopes`, valid for `ttlSec` (default 300): for a service's own tests,
 * which call it as the gateway does.
 *
 * @example fetch(`${url}/orders/${id}`, { headers: gatewayIdentityHeaders({ sub: userId }) })
 */
export function gatewayIdentityHeaders(options: { sub: string; scopes?: readonly string[]; ttlSec?: number; secret?: string }): Record<string, string> {
  const exp = Math.floor(Date.now() / 1000) + (options.ttlSec ?? 300);
  const scopes = [...(options.scopes ?? [])];
  const signed = signGatewayIdentity({ sub: options.sub, scopes, exp, claims: { sub: options.sub, scope: scopes.join(' ') } }, resolveSecret(options.secret));
  return { [IDENTITY_HEADER]: signed.identity, [IDENTITY_SIGNATURE_HEADER]: signed.signature };
}

/**
 * The two header values that say "this came through the gateway, with no
 * user": no subject, no scopes, valid until `expSec` (seconds since epoch),
 * and — when `audience` is given, as the gateway always does — only for
 * that service, so headers seen by one service cannot be replayed to another.
 */
export function signAnonymousGatewayIdentity(secret: string, expSec: number, audience?: string): { identity: string; signature: string } {
  const payload = audience === undefined ? { anonymous: true, exp: expSec } : { anonymous: true, aud: audience, exp: expSec };
  const value = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return { identity: value, signature: SIGNATURE_PREFIX + mac(secret, value) };
}

/** What authentic identity headers say: nothing, the gateway with no user, or the gateway for a user. */
export type GatewayAssertion =
  | { readonly kind: 'none' }
  | { readonly kind: 'anonymous'; readonly exp: number; readonly aud?: string }
  | { readonly kind: 'user'; readonly identity: GatewayIdentity };

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Reads and checks the identity headers: `none` when the request carries
 * none, `anonymous` for the gateway's signed "no user", `user` for a
 * verified user. Throws {@link GatewayIdentityError} when headers are
 * present but not authentic, malformed or expired.
 */
export function verifyGatewayHeaders(
  headers: IncomingHttpHeaders,
  secret: string,
  options: { clockToleranceSec?: number; nowSec?: number } = {},
): GatewayAssertion {
  const value = single(headers[IDENTITY_HEADER]);
  const signature = single(headers[IDENTITY_SIGNATURE_HEADER]);
  if (value === undefined && signature === undefined) return { kind: 'none' };
  if (value === undefined || signature === undefined || !signature.startsWith(SIGNATURE_PREFIX)) {
    throw new GatewayIdentityError('malformed', 'Incomplete gateway identity headers');
  }
  const expected = Buffer.from(mac(secret, value));
  const given = Buffer.from(signature.slice(SIGNATURE_PREFIX.length));
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw new GatewayIdentityError('bad-signature', 'The gateway identity signature does not match');
  }
  let parsed: Partial<GatewayIdentity> & { anonymous?: unknown; aud?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as typeof parsed;
  } catch {
    throw new GatewayIdentityError('malformed', 'The gateway identity is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || typeof parsed.exp !== 'number') {
    throw new GatewayIdentityError('malformed', 'The gateway identity lacks exp');
  }
  const now = options.nowSec ?? Date.now() / 1000;
  if (parsed.exp + (options.clockToleranceSec ?? 30) <= now) {
    throw new GatewayIdentityError('expired', 'The gateway identity has expired');
  }
  if (parsed.anonymous === true) {
    return typeof parsed.aud === 'string' ? { kind: 'anonymous', exp: parsed.exp, aud: parsed.aud } : { kind: 'anonymous', exp: parsed.exp };
  }
  if (typeof parsed.sub !== 'string' || !Array.isArray(parsed.scopes)) {
    throw new GatewayIdentityError('malformed', 'The gateway identity lacks sub, scopes or exp');
  }
  return { kind: 'user', identity: parsed as GatewayIdentity };
}

/**
 * Reads and checks the identity headers. Returns undefined when the request
 * carries no user identity (none at all, or the gateway's anonymous one on
 * a public route); throws {@link GatewayIdentityError} when they are
 * present but not authentic or expired.
 */
export function readGatewayIdentity(
  headers: IncomingHttpHeaders,
  secret: string,
  options: { clockToleranceSec?: number; nowSec?: number } = {},
): GatewayIdentity | undefined {
  const assertion = verifyGatewayHeaders(headers, secret, options);
  return assertion.kind === 'user' ? assertion.identity : undefined;
}

export interface GatewayIdentityOptions {
  /** Shared secret. Default: `process.env.GATEWAY_IDENTITY_SECRET` (read once, when the middleware is built). */
  readonly secret?: string;
  /** Answer 401 when the request carries no identity. Default true. */
  readonly required?: boolean;
  /** Skew allowed on `exp`, seconds. Default 30 (the gateway's own tolerance). */
  readonly clockToleranceSec?: number;
}

/** A request after {@link gatewayIdentity} ran: `identity` is set when the gateway vouched for a user. */
export type RequestWithIdentity = IncomingMessage & { identity?: GatewayIdentity };

function refuse(res: ServerResponse, error: GatewayIdentityError): void {
  const body = JSON.stringify({
    type: 'https://msx.dev/problems/unauthenticated',
    title: 'Unauthenticated',
    status: 401,
    detail: error.message,
    code: error.code,
  });
  res.statusCode = 401;
  res.setHeader('content-type', 'application/problem+json');
  res.setHeader('www-authenticate', 'Bearer realm="msx"');
  res.end(body);
}

/**
 * Connect/Express middleware for services behind the gateway: sets
 * `req.identity` from authenticated identity headers, answers 401
 * (problem+json) for forged or expired ones, and, when `required`, for
 * requests that carry none.
 */
export function gatewayIdentity(options: GatewayIdentityOptions = {}) {
  const secret = resolveSecret(options.secret);
  const required = options.required ?? true;
  const clockToleranceSec = options.clockToleranceSec ?? 30;
  return function gatewayIdentityMiddleware(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void {
    let identity: GatewayIdentity | undefined;
    try {
      identity = readGatewayIdentity(req.headers, secret, { clockToleranceSec });
    } catch (err) {
      if (err instanceof GatewayIdentityError) return refuse(res, err);
      return next(err);
    }
    if (identity === undefined && required) {
      return refuse(res, new GatewayIdentityError('missing', 'This endpoint needs a user identity from the gateway'));
    }
    (req as RequestWithIdentity).identity = identity;
    next();
  };
}
