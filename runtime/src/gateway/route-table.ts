/**
 * The gateway's route table: which service answers a request path, and how
 * the path is rewritten for it (`/api/users/42` → users `/users/42`).
 * Built once from msx.yaml's routes; matching is a pure function so it is
 * tested without sockets.
 *
 * Matching: the longest `path` prefix that ends on a segment boundary wins
 * (`/api/users` matches `/api/users`, `/api/users/1` and `/api/users?x`, not
 * `/api/usersx`); among routes with that same prefix, the first whose
 * `methods` include the request method (routes without `methods` take all).
 */
import { parseBodyLimit } from './body-limit.js';
import { GatewayConfigError } from './gateway-config-error.js';

export interface RouteSpec {
  /** Public path prefix, e.g. `/api/users`. */
  readonly path: string;
  /** Prefix on the service that replaces `path`, e.g. `/users`. */
  readonly to: string;
  /** Service name, resolved through discovery. */
  readonly service: string;
  /** Allowed methods (upper case). Default: all. */
  readonly methods?: readonly string[];
  /** Serve without a user token. Default false. */
  readonly public?: boolean;
  /** Time allowed for the upstream's response headers, ms. Default 10,000. */
  readonly timeoutMs?: number;
  /** Largest accepted request body (`'10mb'` or bytes). Default `'10mb'`. */
  readonly bodyLimit?: string | number;
  /** Name of a rate-limit group in the gateway's `rateLimits`. Default: the group named `default`, if any. */
  readonly rateLimit?: string;
}

/** A route with every default applied. */
export interface Route {
  readonly path: string;
  readonly to: string;
  readonly service: string;
  readonly methods: ReadonlySet<string> | undefined;
  readonly public: boolean;
  readonly timeoutMs: number;
  readonly bodyLimitBytes: number;
  readonly rateLimit: string | undefined;
}

export type RouteMatch =
  | { readonly kind: 'route'; readonly route: Route; readonly upstreamPath: string }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly string[] }
  /** Dot segments could make a service resolve the path outside the prefix that was authorised. */
  | { readonly kind: 'bad-path' };

export interface RouteTable {
  readonly routes: readonly Route[];
  match(method: string, url: string): RouteMatch;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_BODY_LIMIT = '10mb';

function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

function normaliseRoute(spec: RouteSpec, index: number, knownGroups: ReadonlySet<string>): Route {
  const at = `routes[${index}]`;
  if (typeof spec.path !== 'string' || !spec.path.startsWith('/')) {
    throw new GatewayConfigError(`${at}.path`, spec.path, `Expected \`${at}.path\` to start with "/", got ${JSON.stringify(spec.path)}`);
  }
  if (typeof spec.to !== 'string' || !spec.to.startsWith('/')) {
    throw new GatewayConfigError(`${at}.to`, spec.to, `Expected \`${at}.to\` to start with "/", got ${JSON.stringify(spec.to)}`);
  }
  if (typeof spec.service !== 'string' || spec.service === '') {
    throw new GatewayConfigError(`${at}.service`, spec.service, `Expected \`${at}.service\` to be a service name, got ${JSON.stringify(spec.service)}`);
  }
  const timeoutMs = spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new GatewayConfigError(`${at}.timeoutMs`, spec.timeoutMs, `Expected \`${at}.timeoutMs\` to be a positive integer, got ${String(spec.timeoutMs)}`);
  }
  const bodyLimitBytes = parseBodyLimit(spec.bodyLimit ?? DEFAULT_BODY_LIMIT);
  if (bodyLimitBytes === undefined) {
    throw new GatewayConfigError(`${at}.bodyLimit`, spec.bodyLimit, `Expected \`${at}.bodyLimit\` to be a size such as "1mb" or a byte count, got ${JSON.stringify(spec.bodyLimit)}`);
  }
  let rateLimit = spec.rateLimit;
  if (rateLimit !== undefined && !knownGroups.has(rateLimit)) {
    throw new GatewayConfigError(`${at}.rateLimit`, rateLimit, `Route ${spec.path} names rate-limit group "${rateLimit}", which is not in \`rateLimits\` (${[...knownGroups].join(', ') || 'none'})`);
  }
  if (rateLimit === undefined && knownGroups.has('default')) rateLimit = 'default';
  return {
    path: trimSlash(spec.path),
    to: trimSlash(spec.to),
    service: spec.service,
    methods: spec.methods === undefined ? undefined : new Set(spec.methods.map((m) => m.toUpperCase())),
    public: spec.public ?? false,
    timeoutMs,
    bodyLimitBytes,
    rateLimit,
  };
}

function prefixMatches(prefix: string, pathname: string): boolean {
  if (prefix === '/') return true;
  if (!pathname.startsWith(prefix)) return false;
  return pathname.length === prefix.length || pathname.charCodeAt(prefix.length) === 47 /* '/' */;
}

function rewrite(route: Route, pathname: string, query: string): string {
  const rest = route.path === '/' ? pathname : pathname.slice(route.path.length);
  let path: string;
  if (route.to === '/') path = rest === '' ? '/' : rest;
  else path = rest === '/' ? route.to + '/' : route.to + rest;
  return path + query;
}

const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i;

/** Validates `specs` (throwing {@link GatewayConfigError}) and returns the matcher. */
export function buildRouteTable(specs: readonly RouteSpec[], rateLimitGroups: Iterable<string> = []): RouteTable {
  // No routes is valid: a system of workers still has a gateway, which then
  // serves its own /health, /ready and /metrics and answers 404 elsewhere.
  if (!Array.isArray(specs)) {
    throw new GatewayConfigError('routes', specs, 'Expected `routes` to be an array');
  }
  const groups = new Set(rateLimitGroups);
  const routes = specs.map((spec, i) => normaliseRoute(spec, i, groups));
  const seen = new Set<string>();
  for (const route of routes) {
    for (const method of route.methods ?? ['*']) {
      const key = `${route.path} ${method}`;
      if (seen.has(key)) throw new GatewayConfigError('routes', route.path, `Two routes claim ${method} ${route.path}`);
      seen.add(key);
    }
  }
  // Longest prefix first, equal prefixes side by side; the sort is stable, so they keep their written order.
  const ordered = [...routes].sort((a, b) => b.path.length - a.path.length || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  return {
    routes,
    match(method: string, url: string): RouteMatch {
      const q = url.indexOf('?');
      const pathname = q === -1 ? url : url.slice(0, q);
      const query = q === -1 ? '' : url.slice(q);
      if (!pathname.startsWith('/') || DOT_SEGMENT.test(pathname)) return { kind: 'bad-path' };
      let matchedPrefix: string | undefined;
      let allow: string[] | undefined;
      for (const route of ordered) {
        if (matchedPrefix !== undefined && route.path !== matchedPrefix) break;
        if (!prefixMatches(route.path, pathname)) continue;
        matchedPrefix = route.path;
        if (route.methods === undefined || route.methods.has(method)) {
          return { kind: 'route', route, upstreamPath: rewrite(route, pathname, query) };
        }
        (allow ??= []).push(...route.methods);
      }
      return allow === undefined ? { kind: 'not-found' } : { kind: 'method-not-allowed', allow };
    },
  };
}
