import { DEFAULT_SERVICE_TOKEN_TTL_SEC, serviceTokenKey, signServiceToken } from './service-token.js';

export interface ServiceTokenIssuerOptions {
  /** This service's name: the `iss` of every token. */
  readonly service: string;
  /** Default: env `MSX_SERVICE_TOKEN_SECRET`. */
  readonly secret?: string | Uint8Array;
  /** Lifetime of each token, seconds. Default 300. */
  readonly ttlSec?: number;
  /** A cached token is replaced once it has less than this left, seconds. Default 60. */
  readonly refreshBeforeSec?: number;
  /** Clock in ms, for tests. Default `Date.now`. */
  readonly now?: () => number;
  readonly env?: NodeJS.ProcessEnv;
}

/** Mints and caches the tokens one service presents to the others. */
export interface ServiceTokenIssuer {
  readonly service: string;
  /** A token for calling `audience`, from the cache while it has more than `refreshBeforeSec` left. */
  token(audience: string): Promise<string>;
}

/**
 * Signing costs an HMAC and an allocation per call; a token is valid for
 * minutes, so each audience's token is minted once and reused until it
 * nears expiry. Concurrent first calls share one signing.
 */
export function createServiceTokenIssuer(options: ServiceTokenIssuerOptions): ServiceTokenIssuer {
  if (typeof options.service !== 'string' || options.service === '') {
    throw new TypeError(`Expected the \`service\` option to be this service's name, got ${JSON.stringify(options.service)}`);
  }
  const key = serviceTokenKey(options.secret, options.env);
  const ttlSec = options.ttlSec ?? DEFAULT_SERVICE_TOKEN_TTL_SEC;
  const refreshBeforeSec = options.refreshBeforeSec ?? 60;
  if (!Number.isInteger(ttlSec) || ttlSec <= 0) throw new TypeError(`Expected the \`ttlSec\` option to be a positive integer, got ${String(ttlSec)}`);
  if (!Number.isInteger(refreshBeforeSec) || refreshBeforeSec < 0 || refreshBeforeSec >= ttlSec) {
    throw new TypeError(`Expected the \`refreshBeforeSec\` option to be an integer in [0, ttlSec), got ${String(refreshBeforeSec)}`);
  }
  const now = options.now ?? Date.now;
  const cache = new Map<string, { token: Promise<string>; refreshAt: number }>();

  return {
    service: options.service,
    token(audience) {
      const at = now();
      const hit = cache.get(audience);
      if (hit && at < hit.refreshAt) return hit.token;
      const token = signServiceToken({ issuer: options.service, audience, secret: key, ttlSec, now: at });
      cache.set(audience, { token, refreshAt: at + (ttlSec - refreshBeforeSec) * 1000 });
      // A failed signing must not stay cached.
      token.catch(() => cache.delete(audience));
      return token;
    },
  };
}
