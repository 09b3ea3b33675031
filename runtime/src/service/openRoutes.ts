/**
 * Routes reachable without the gateway, as msx.yaml declares them
 * (`open: true` on a route or a service). msx passes them to each instance
 * in `MSX_OPEN_ROUTES`, so what msx.yaml says now is what runs, and code
 * cannot quietly open a route.
 *
 * Format: comma-separated entries, each `*` (everything), a path prefix
 * (`/hooks`, every method) or `METHOD:/prefix` (`POST:/hooks`). A prefix
 * matches itself and the paths below it, on segment boundaries.
 */
import type { ConfigIssue } from './errors/ConfigError.js';

export const OPEN_ROUTES_ENV = 'MSX_OPEN_ROUTES';

export interface OpenRoute {
  /** Upper-case method, or undefined for every method. */
  readonly method: string | undefined;
  /** Path prefix at the service, starting with `/`. */
  readonly prefix: string;
}

const ENTRY = /^(?:([A-Z]+):)?(\/[-a-zA-Z0-9_/.:~%]*)$/;
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Parses `MSX_OPEN_ROUTES`; an issue for the configuration error when it is malformed. */
export function parseOpenRoutes(value: string | undefined): { routes: readonly OpenRoute[] } | { issue: ConfigIssue } {
  if (value === undefined || value.trim() === '') return { routes: [] };
  const routes: OpenRoute[] = [];
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    if (entry === '*') {
      routes.push({ method: undefined, prefix: '/' });
      continue;
    }
    const match = ENTRY.exec(entry);
    const method = match?.[1];
    if (!match || (method !== undefined && !METHODS.has(method))) {
      return {
        issue: {
          variable: OPEN_ROUTES_ENV,
          problem: 'must list entries such as *, /hooks or POST:/hooks, separated by commas',
          received: value,
        },
      };
    }
    const prefix = match[2]!.length > 1 ? match[2]!.replace(/\/+$/, '') : '/';
    routes.push({ method, prefix });
  }
  return { routes };
}

/** True when `method path` falls under one of `routes` (HEAD counts as GET, as express routes it). */
export function isOpen(routes: readonly OpenRoute[], method: string, path: string): boolean {
  for (const route of routes) {
    if (route.method !== undefined && route.method !== method && !(method === 'HEAD' && route.method === 'GET')) continue;
    if (route.prefix === '/' || path === route.prefix || path.startsWith(`${route.prefix}/`)) return true;
  }
  return false;
}
