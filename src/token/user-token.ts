import { createHmac } from 'node:crypto';

export interface UserTokenInput {
  readonly sub: string;
  readonly scopes: readonly string[];
  /** Lifetime, seconds. */
  readonly ttlSeconds: number;
  readonly issuer?: string | undefined;
  readonly audience?: string | undefined;
  readonly secret: string;
  /** Seconds since epoch; default now. */
  readonly now?: number;
}

/**
 * An HS256 user token with the claims the gateway checks (runtime
 * `verifyUserToken`): `type: user`, `sub`, space-separated `scope`, `iat`,
 * `exp`, and `iss`/`aud` when msx.yaml's gateway auth names them. Signed
 * with node:crypto so `msx token` needs no JOSE library at start-up.
 */
export function signUserToken(input: UserTokenInput): { token: string; expiresAt: number } {
  const iat = input.now ?? Math.floor(Date.now() / 1000);
  const exp = iat + input.ttlSeconds;
  const payload: Record<string, unknown> = { type: 'user', sub: input.sub, iat, exp };
  if (input.scopes.length > 0) payload.scope = input.scopes.join(' ');
  if (input.issuer) payload.iss = input.issuer;
  if (input.audience) payload.aud = input.audience;
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(payload)}`;
  const signature = createHmac('sha256', input.secret).update(body).digest('base64url');
  return { token: `${body}.${signature}`, expiresAt: exp };
}
