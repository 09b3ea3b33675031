/**
 * CORS at the edge: preflights are answered by the gateway (they never
 * reach a service and need no token), and actual responses get the
 * `Access-Control-Allow-*` headers. Origins are an explicit allow-list or
 * `'*'`; with `credentials` the matching origin is echoed, never `*`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayConfigError } from './gateway-config-error.js';

export interface CorsOptions {
  /** Allowed origins (`https://app.example.com`) or `'*'`. */
  readonly origins: readonly string[] | '*';
  /** Default GET, HEAD, POST, PUT, PATCH, DELETE. */
  readonly methods?: readonly string[];
  /** Request headers allowed; default: whatever the preflight asks for. */
  readonly allowedHeaders?: readonly string[];
  /** Response headers readable by scripts, added to the gateway's own (request id, rate limits, Retry-After). */
  readonly exposedHeaders?: readonly string[];
  /** Allow cookies/Authorization with credentials mode. Default false. */
  readonly credentials?: boolean;
  /** How long browsers may cache a preflight, seconds. Default 600. */
  readonly maxAgeSec?: number;
}

const GATEWAY_EXPOSED = ['x-request-id', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'ratelimit-policy', 'retry-after'];

export interface Cors {
  /**
   * Sets CORS headers for `req` on `res`. Returns true when the request was
   * a preflight and has been answered.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
}

export function createCors(options: CorsOptions): Cors {
  if (options.origins !== '*' && !Array.isArray(options.origins)) {
    throw new GatewayConfigError('cors.origins', options.origins, 'Expected `cors.origins` to be "*" or an array of origins');
  }
  if (options.origins === '*' && options.credentials === true) {
    throw new GatewayConfigError('cors.credentials', true, '`cors.credentials` cannot be combined with `cors.origins: "*"`');
  }
  const allowed = options.origins === '*' ? undefined : new Set(options.origins);
  const methods = (options.methods ?? ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).join(', ');
  const allowedHeaders = options.allowedHeaders?.join(', ');
  const exposed = [...GATEWAY_EXPOSED, ...(options.exposedHeaders ?? [])].join(', ');
  const maxAge = String(options.maxAgeSec ?? 600);
  const credentials = options.credentials === true;

  return {
    handle(req, res) {
      const origin = req.headers.origin;
      if (origin === undefined) return false;
      const ok = allowed === undefined || allowed.has(origin);
      const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
      res.setHeader('vary', 'Origin');
      if (ok) {
        res.setHeader('access-control-allow-origin', allowed === undefined ? '*' : origin);
        if (credentials) res.setHeader('access-control-allow-credentials', 'true');
      }
      if (!preflight) {
        if (ok) res.setHeader('access-control-expose-headers', exposed);
        return false;
      }
      // A refused preflight gets no Allow-* headers: the browser then blocks the actual request.
      if (ok) {
        res.setHeader('access-control-allow-methods', methods);
        const requested = req.headers['access-control-request-headers'];
        const headers = allowedHeaders ?? requested;
        if (headers !== undefined && headers !== '') res.setHeader('access-control-allow-headers', headers);
        res.setHeader('access-control-max-age', maxAge);
      }
      res.statusCode = 204;
      res.setHeader('content-length', '0');
      res.end();
      return true;
    },
  };
}
