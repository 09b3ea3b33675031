/**
 * Rate limits per route group, keyed by client IP or by authenticated
 * subject, with rate-limiter-flexible. In-process by default; with a Redis
 * URL every gateway process shares one budget per key.
 *
 * When Redis fails (down, not yet connected, slow) the gateway keeps
 * serving: rate-limiter-flexible's insurance limiter answers instead, an
 * in-process budget of the same size, so each process still enforces the
 * limit on its own traffic rather than none at all. Every such fallback is
 * counted in `gateway_ratelimit_store_errors_total`, and a warning is logged
 * at most once per `warnIntervalMs`, never per request.
 */
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { GatewayConfigError } from './gateway-config-error.js';

export interface RateLimitGroup {
  /** Requests allowed per window. */
  readonly points: number;
  /** Window length in seconds. */
  readonly durationSec: number;
  /** What one budget belongs to: the client IP, or the token subject (IP for anonymous requests). */
  readonly by: 'ip' | 'subject';
}

export interface RateLimitStoreOptions {
  /** ioredis URL, e.g. `redis://127.0.0.1:6379`. */
  readonly redisUrl: string;
  /** Prefix of every key. Default `msx:rl:<gateway name>`. */
  readonly keyPrefix?: string;
  /** Redis command timeout before falling back, ms. Default 500. */
  readonly commandTimeoutMs?: number;
}

export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Seconds until the window resets. */
  readonly resetSec: number;
  /** `RateLimit-Policy` value, e.g. `100;w=60`. */
  readonly policy: string;
}

export interface RateLimitEvents {
  /** A decision was made by the local insurance budget because the shared store failed. */
  onStoreError(group: string): void;
  /** Logged at most once per interval: the number of fallbacks since the last warning. */
  warn(message: string, details: Record<string, unknown>): void;
}

export interface RateLimits {
  readonly groups: ReadonlySet<string>;
  by(group: string): 'ip' | 'subject';
  consume(group: string, key: string): Promise<RateLimitDecision>;
  /** Connects to Redis if configured; resolves even when Redis is down (the gateway fails open). */
  start(): Promise<void>;
  close(): Promise<void>;
  /** `ready`, `connecting`, … for Redis; `memory` without it. */
  storeStatus(): string;
}

/** An in-process limiter that reports each use: it only runs when the shared store failed. */
class InsuranceLimiter extends RateLimiterMemory {
  constructor(
    options: { points: number; duration: number; keyPrefix: string },
    private readonly onUse: () => void,
  ) {
    super(options);
  }

  override consume(key: string | number, points?: number, options?: { [key: string]: unknown }): Promise<RateLimiterRes> {
    this.onUse();
    return super.consume(key, points, options);
  }
}

interface Group {
  readonly options: RateLimitGroup;
  readonly limiter: RateLimiterAbstract;
  readonly policy: string;
  /** The limiter's answer as a decision; built once per group so `consume` allocates no closures. */
  readonly allowed: (res: RateLimiterRes) => RateLimitDecision;
  readonly refused: (err: unknown) => RateLimitDecision;
}

function validateGroup(name: string, group: RateLimitGroup): void {
  if (!Number.isInteger(group.points) || group.points <= 0) {
    throw new GatewayConfigError(`rateLimits.${name}.points`, group.points, `Expected \`rateLimits.${name}.points\` to be a positive integer, got ${String(group.points)}`);
  }
  if (!Number.isInteger(group.durationSec) || group.durationSec <= 0) {
    throw new GatewayConfigError(`rateLimits.${name}.durationSec`, group.durationSec, `Expected \`rateLimits.${name}.durationSec\` to be a positive integer, got ${String(group.durationSec)}`);
  }
  if (group.by !== 'ip' && group.by !== 'subject') {
    throw new GatewayConfigError(`rateLimits.${name}.by`, group.by, `Expected \`rateLimits.${name}.by\` to be "ip" or "subject", got ${JSON.stringify(group.by)}`);
  }
}

export function createRateLimits(
  groups: Readonly<Record<string, RateLimitGroup>>,
  store: RateLimitStoreOptions | undefined,
  defaultPrefix: string,
  events: RateLimitEvents,
  warnIntervalMs = 30_000,
): RateLimits {
  const keyPrefix = store?.keyPrefix ?? defaultPrefix;
  let redis: Redis | undefined;
  if (store !== undefined) {
    redis = new Redis(store.redisUrl, {
      lazyConnect: true,
      // Queued commands would hold requests while Redis is away; fail at once and use the local budget.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: store.commandTimeoutMs ?? 500,
    });
  }

  let pendingFallbacks = 0;
  let lastWarn = 0;
  const fallback = (group: string) => {
    events.onStoreError(group);
    pendingFallbacks += 1;
    const now = Date.now();
    if (now - lastWarn >= warnIntervalMs) {
      lastWarn = now;
      events.warn('Rate-limit store unavailable; using the local per-process budget', {
        fallbacks: pendingFallbacks,
        redisStatus: redis?.status,
      });
      pendingFallbacks = 0;
    }
  };
  redis?.on('error', (err: Error) => {
    const now = Date.now();
    if (now - lastWarn >= warnIntervalMs) {
      lastWarn = now;
      events.warn('Rate-limit store connection error', { err: err.message, redisStatus: redis?.status });
    }
  });

  const table = new Map<string, Group>();
  for (const [name, options] of Object.entries(groups)) {
    validateGroup(name, options);
    const common = { points: options.points, duration: options.durationSec, keyPrefix: `${keyPrefix}:${name}` };
    const limiter =
      redis === undefined
        ? new RateLimiterMemory(common)
        : new RateLimiterRedis({
            ...common,
            storeClient: redis,
            rejectIfRedisNotReady: true,
            insuranceLimiter: new InsuranceLimiter(common, () => fallback(name)),
          });
    const policy = `${options.points};w=${options.durationSec}`;
    const decide = (res: RateLimiterRes, allowed: boolean): RateLimitDecision => ({
      allowed,
      limit: options.points,
      remaining: Math.max(0, res.remainingPoints),
      resetSec: Math.max(0, Math.ceil(res.msBeforeNext / 1000)),
      policy,
    });
    table.set(name, {
      options,
      limiter,
      policy,
      allowed: (res) => decide(res, true),
      refused: (err) => {
        if (err instanceof RateLimiterRes) return decide(err, false);
        // Both the store and the insurance failed: keep serving, unlimited for this request.
        fallback(name);
        return { allowed: true, limit: options.points, remaining: options.points, resetSec: options.durationSec, policy };
      },
    });
  }

  return {
    groups: new Set(table.keys()),
    by(name) {
      return table.get(name)?.options.by ?? 'ip';
    },
    consume(name, key) {
      const group = table.get(name);
      if (group === undefined) return Promise.reject(new GatewayConfigError('rateLimit', name, `Unknown rate-limit group "${name}"`));
      return group.limiter.consume(key).then(group.allowed, group.refused);
    },
    async start() {
      if (redis === undefined) return;
      try {
        await redis.connect();
      } catch (err) {
        events.warn('Rate-limit store unreachable at start; serving with local budgets until it is back', {
          err: (err as Error).message,
        });
      }
    },
    async close() {
      if (redis === undefined) return;
      try {
        await redis.quit();
      } catch {
        redis.disconnect();
      }
    },
    storeStatus() {
      return redis === undefined ? 'memory' : redis.status;
    },
  };
}

/**
 * Appends the `RateLimit-*` headers (IETF draft, as express-rate-limit's
 * `draft-6`) and `Retry-After` when refused to a flat `[name, value, …]`
 * list, which the gateway writes in one `writeHead` with the upstream's.
 */
export function rateLimitHeaders(list: string[], decision: RateLimitDecision): void {
  list.push(
    'ratelimit-limit',
    String(decision.limit),
    'ratelimit-remaining',
    String(decision.remaining),
    'ratelimit-reset',
    String(decision.resetSec),
    'ratelimit-policy',
    decision.policy,
  );
  if (!decision.allowed) list.push('retry-after', String(Math.max(1, decision.resetSec)));
}
