/**
 * The dashboard's HTTP server, on 127.0.0.1 only: the built front-end, a
 * small JSON API over the `Target` (and, for the Events and Sagas pages,
 * the system's insight), and two server-sent event streams — `live`
 * (instances, traces, metrics) and `logs` (one per Logs page, with its
 * filters). Every request needs the token (dashboard-access.ts).
 *
 *   GET  /                         the app (?token= sets the cookie, then redirects)
 *   GET  /api/overview             system name, target, map
 *   GET  /api/traces/:id           one trace: summary and waterfall rows
 *   GET  /api/stream/live          SSE: snapshot, instances, traces, metrics, alerts
 *   GET  /api/stream/logs?...      SSE: logs (batches), failure
 *   GET  /api/stream/insight       SSE: events, dead-letters, sagas, failure
 *   POST /api/instances/:id/restart
 *   POST /api/services/:name/scale {count}
 *   GET  /api/events  /api/dead-letters  /api/sagas
 *   POST /api/dead-letters/:group/:id/redrive   (:id may be `all`)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { CliError } from '../../errors/cli-error.js';
import type { Manifest } from '../../manifest/schema.js';
import { findTrace, summarizeTrace } from '../../observability/trace-model.js';
import { layoutWaterfall } from '../../observability/waterfall.js';
import type { Target } from '../../targets/target.js';
import { COOKIE, dashboardAccess, type DashboardAccess } from './dashboard-access.js';
import { openEventStream } from './event-stream.js';
import { LiveFeed, type FeedEvent } from './live-feed.js';
import { LiveAlerts } from './live-alerts.js';
import { runningSystemRules } from '../../alerts/alert-rules.js';
import { logQueryOf, streamLogs } from './log-stream.js';
import type { Asset } from './static-assets.js';
import { systemMap } from './system-map.js';

/** What the Events and Sagas pages read; src/dashboard/data/insight.ts provides it. */
export interface InsightReader {
  events(): Promise<unknown[]>;
  deadLetters(group?: string): Promise<unknown[]>;
  redrive(group: string, id: string | 'all'): Promise<number>;
  sagas(filter?: { service?: string; state?: string }): Promise<unknown[]>;
}

export interface DashboardServerOptions {
  readonly target: Target;
  /** Read again for each overview: what msx.yaml says now. */
  readonly manifest: () => Manifest;
  readonly assets: ReadonlyMap<string, Asset>;
  readonly insight?: InsightReader | undefined;
  readonly port: number;
  readonly token?: string;
}

export interface DashboardServer {
  readonly port: number;
  /** The address to open, token included. */
  readonly url: string;
  close(): Promise<void>;
}

/** A request the API refuses, with the status and message the page shows. */
class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const access = dashboardAccess(options.token);
  const feed = new LiveFeed(options.target, {}, new LiveAlerts((running) => runningSystemRules(options.manifest(), running)));
  let port = options.port;
  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      // A target's own refusal (a usage mistake: 400) or failure (502) is not a bug of the dashboard.
      const status = error instanceof ApiError ? error.status : error instanceof CliError ? (error.exitCode === 2 ? 400 : 502) : 500;
      if (!res.headersSent) sendJson(res, status, { error: (error as Error).message });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (!access.hostAllowed(req, port)) return sendJson(res, 421, { error: 'the dashboard answers only on 127.0.0.1 and localhost' });
    if (!access.allows(req, url)) return unauthorized(res);
    if (req.method !== 'GET' && req.method !== 'HEAD' && !access.sameOrigin(req, port)) return sendJson(res, 403, { error: 'cross-origin request refused' });
    if (url.pathname.startsWith('/api/')) return api(req, res, url);
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'method not allowed' });
    if (access.presentedInQuery(url)) {
      res.writeHead(303, { location: '/', 'set-cookie': `${COOKIE}=${access.token}; HttpOnly; SameSite=Strict; Path=/`, 'cache-control': 'no-store' }).end();
      return;
    }
    const asset = options.assets.get(url.pathname === '/' ? '/index.html' : url.pathname) ?? (url.pathname.includes('.') ? undefined : options.assets.get('/index.html'));
    if (asset === undefined) return sendJson(res, 404, { error: 'not found' });
    sendAsset(req, res, asset);
  }

  async function api(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname.split('/').slice(2).map(decodeURIComponent); // ['traces', id]
    const get = req.method === 'GET';
    const post = req.method === 'POST';
    if (get && path[0] === 'overview') {
      const manifest = options.manifest();
      const { instances } = feed.snapshot();
      return sendJson(res, 200, { system: manifest.name, target: options.target.kind, canRestart: options.target.restart !== undefined, insight: options.insight !== undefined, map: systemMap(manifest, instances) });
    }
    if (get && path[0] === 'stream' && path[1] === 'live') return live(req, res);
    if (get && path[0] === 'stream' && path[1] === 'insight') return insightStream(req, res);
    if (get && path[0] === 'stream' && path[1] === 'logs') {
      const query = logQueryOf(url);
      if (typeof query === 'string') throw new ApiError(400, query);
      return streamLogs(options.target, query, openEventStream(req, res));
    }
    if (get && path[0] === 'traces' && path[1]) {
      if (!/^[\da-f]{1,32}$/i.test(path[1])) throw new ApiError(400, `"${path[1]}" is not a trace id`);
      const found = findTrace(await options.target.traces().recent(), path[1]);
      if (found === 'ambiguous') throw new ApiError(400, `more than one trace starts with ${path[1]}`);
      if (found === undefined) throw new ApiError(404, `no trace ${path[1]}`);
      const rows = layoutWaterfall(found, 1000);
      return sendJson(res, 200, {
        ...summarizeTrace(found),
        spans: rows.map((r) => ({ ...r.span, depth: r.depth, offsetMs: r.offsetMs, durationMs: r.durationMs, error: r.error })),
      });
    }
    if (post && path[0] === 'instances' && path[2] === 'restart' && path[1]) {
      const restart = options.target.restart;
      if (restart === undefined) throw new ApiError(501, `the ${options.target.kind} target cannot restart one instance yet`);
      const replacement = (await restart.call(options.target, path[1])) ?? undefined;
      await feed.refreshInstances();
      return sendJson(res, 200, { restarted: path[1], ...(replacement !== undefined && replacement !== path[1] ? { replacement } : {}) });
    }
    if (post && path[0] === 'services' && path[2] === 'scale' && path[1]) {
      const body = (await readJson(req)) as { count?: unknown };
      if (typeof body.count !== 'number' || !Number.isInteger(body.count) || body.count < 0 || body.count > 64) throw new ApiError(400, 'count must be a whole number from 0 to 64');
      if (options.manifest().services[path[1]] === undefined) throw new ApiError(404, `no service ${path[1]} in msx.yaml`);
      const changes = await options.target.scale({ [path[1]]: body.count });
      await feed.refreshInstances();
      return sendJson(res, 200, changes);
    }
    if (path[0] === 'events' || path[0] === 'dead-letters' || path[0] === 'sagas') return insightApi(req, res, url, path);
    throw new ApiError(404, `no API ${url.pathname}`);
  }

  async function insightApi(req: IncomingMessage, res: ServerResponse, url: URL, path: string[]): Promise<void> {
    const insight = options.insight;
    if (insight === undefined) throw new ApiError(501, 'events, dead letters and sagas are not available in this msx build');
    if (req.method === 'GET' && path[0] === 'events') return sendJson(res, 200, await insight.events());
    if (req.method === 'GET' && path[0] === 'dead-letters') return sendJson(res, 200, await insight.deadLetters(path[1]));
    if (req.method === 'POST' && path[0] === 'dead-letters' && path[1] && path[2] && path[3] === 'redrive') {
      return sendJson(res, 200, { redriven: await insight.redrive(path[1], path[2]) });
    }
    if (req.method === 'GET' && path[0] === 'sagas') {
      const service = url.searchParams.get('service') || undefined;
      const state = url.searchParams.get('state') || undefined;
      return sendJson(res, 200, await insight.sagas({ ...(service ? { service } : {}), ...(state ? { state } : {}) }));
    }
    throw new ApiError(404, `no API ${url.pathname}`);
  }

  /**
   * The Events and Sagas pages' stream: events per type, dead letters and
   * sagas read every two seconds while the page is open, sent when changed.
   */
  function insightStream(req: IncomingMessage, res: ServerResponse): void {
    const insight = options.insight;
    if (insight === undefined) throw new ApiError(501, 'events, dead letters and sagas are not available in this msx build');
    const stream = openEventStream(req, res);
    const last: Record<string, string> = {};
    const read = async (name: string, load: () => Promise<unknown>) => {
      try {
        const text = JSON.stringify(await load());
        if (text !== last[name]) stream.send(name, JSON.parse(text));
        last[name] = text;
      } catch (error) {
        stream.send('failure', { what: name, message: (error as Error).message });
      }
    };
    let busy = false;
    const tick = () => {
      if (busy || stream.closed.aborted) return;
      busy = true;
      void Promise.all([read('events', () => insight.events()), read('dead-letters', () => insight.deadLetters()), read('sagas', () => insight.sagas())]).finally(() => (busy = false));
    };
    tick();
    const timer = setInterval(tick, 2000);
    stream.closed.addEventListener('abort', () => clearInterval(timer), { once: true });
  }

  function live(req: IncomingMessage, res: ServerResponse): void {
    const stream = openEventStream(req, res);
    stream.send('snapshot', feed.snapshot());
    const unsubscribe = feed.subscribe((event: FeedEvent) => stream.send(event.kind, event.data));
    stream.closed.addEventListener('abort', unsubscribe, { once: true });
  }

  await feed.warm();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : options.port;
  return {
    port,
    url: `http://127.0.0.1:${port}/?token=${access.token}`,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function unauthorized(res: ServerResponse): void {
  res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
    .end('This dashboard needs its token: open the URL msx dashboard printed (it ends in ?token=…).\n');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}

function sendAsset(req: IncomingMessage, res: ServerResponse, asset: Asset): void {
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? asset.gzipped : asset.body;
  res.writeHead(200, {
    'content-type': asset.type,
    'content-length': body.length,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
    'referrer-policy': 'no-referrer',
    ...(gzip ? { 'content-encoding': 'gzip', vary: 'accept-encoding' } : {}),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new ApiError(413, 'request body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError(400, 'the request body is not JSON');
  }
}
