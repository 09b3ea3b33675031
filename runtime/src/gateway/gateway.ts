/**
 * `createGateway`: the edge of an msx system. One `node:http` server; per
 * request, in order: own endpoints (`/health`, `/ready`, `/metrics`, `/openapi.json`), CORS
 * (preflights end here), route match, body-size check, rate limit (IP
 * groups before authentication so token floods are limited too), user-token
 * verification on non-public routes, then the proxy through the service's
 * circuit breaker to a balanced instance (and, when that instance refused
 * the connection, to up to two others). `Expect: 100-continue` is answered
 * here, once the request is to be forwarded. What counts against an
 * instance or the breaker is runtime/src/resilience's one classification.
 *
 * `node:http` + undici instead of express: the proxy path is measured in
 * bench/gateway, where express's routing and middleware chain cost more
 * than everything else the gateway does.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { ANONYMOUS_IDENTITY_TTL_SEC, signAnonymousGatewayIdentity, signGatewayIdentity, IDENTITY_SECRET_ENV } from '../auth/gateway-identity.js';
import { createUserTokenVerifier, type UserIdentity, type UserTokenOptions, type UserTokenVerifier } from '../auth/user-token.js';
import { UserTokenError } from '../auth/user-token-error.js';
import type { Discovery, Instance } from '../discovery/discovery.js';
import type { Balancer, BalancerOptions } from '../discovery/balancers/balancer.js';
import { createLogger } from '../service/logger.js';
import { bearerToken, wwwAuthenticate } from './authenticate.js';
import { rememberedIdentity, rememberIdentity } from './connection-identity.js';
import { createCors, type Cors, type CorsOptions } from './cors.js';
import { readRequestHeaders, upstreamHeaders } from './forwarded-headers.js';
import { GatewayConfigError } from './gateway-config-error.js';
import { GatewayMetrics, NO_ROUTE, ABORTED_STATUS } from './gateway-metrics.js';
import { BodyTooLargeError, ProxyExchange } from './proxy.js';
import { createRateLimits, rateLimitHeaders, type RateLimitDecision, type RateLimitGroup, type RateLimits, type RateLimitStoreOptions } from './rate-limit.js';
import { buildRouteTable, type Route, type RouteSpec, type RouteTable } from './route-table.js';
import { GATEWAY_PROBLEM_TYPES, sendProblem } from './send-problem.js';
import type { ProblemInit } from '../service/HttpProblem.js';
import { requestIdFrom, traceparentFrom } from './trace-context.js';
import { endRequestSpan, startRequestSpan } from './request-span.js';
import { initTracing } from '../tracing/init-tracing.js';
import { instanceName } from '../config/instance-name.js';
import { traceparentOf, type StartedSpan } from '../tracing/spans.js';
import { tracingEnabled, type Tracing } from '../tracing/tracing.js';
import { UpstreamError } from './upstream-error.js';
import { publicDocument } from './public-document.js';
import { OPENAPI_PATH } from '../contract/openapi-document.js';
import { Upstreams, type BreakerOptions, type UpstreamPoolOptions, type UpstreamState } from './upstreams.js';
import { RESILIENCE_DEFAULTS } from '../resilience/defaults.js';

export interface GatewayOptions {
  /** Name in logs, metrics and the default rate-limit key prefix. Default `gateway`. */
  readonly name?: string;
  readonly routes: readonly RouteSpec[];
  /** Where services are; the gateway never closes it. */
  readonly discovery: Discovery;
  /** User-token verification; required when any route is not public. */
  readonly auth?: UserTokenOptions;
  /**
   * HMAC key for identity headers to services. Default
   * `process.env.GATEWAY_IDENTITY_SECRET`; required when any route is not
   * public. With it, requests with no user (public routes) carry a signed
   * anonymous identity, so services know the gateway sent them.
   */
  readonly identitySecret?: string;
  /** Named rate-limit groups; routes pick one with `rateLimit`, a group named `default` applies to routes that name none. */
  readonly rateLimits?: Readonly<Record<string, RateLimitGroup>>;
  /** Share budgets through Redis. Default: in-process budgets. */
  readonly rateLimitStore?: RateLimitStoreOptions;
  /** CORS; off when absent. */
  readonly cors?: CorsOptions;
  /**
   * Circuit breaker per service, counting failures only while every
   * instance of the service is failing. Default 5 consecutive failures,
   * half-open after 5 s (resilience/defaults.ts).
   */
  readonly breaker?: BreakerOptions;
  /** Further instances a request that never reached a service (connection refused) is sent to, for any method. Default 2. */
  readonly unreachableRetries?: number;
  /**
   * Time a client has to send a request's headers, ms; then it gets 408 and
   * its connection closes. Default 10,000 (Node's own is 60 s, checked only
   * every 30 s, so a trickling client held a connection for up to 90 s).
   */
  readonly headersTimeoutMs?: number;
  /** Time a client has to send a whole request, body included, ms (0: no limit). Default 60,000. */
  readonly requestTimeoutMs?: number;
  /** How long an idle client connection is kept open, ms. Default 6,000. */
  readonly keepAliveTimeoutMs?: number;
  /** Upstream keep-alive pools. */
  readonly upstream?: UpstreamPoolOptions;
  /** A balancer shared with other code, or options for the gateway's own. Default round-robin with outlier ejection. */
  readonly balancer?: Balancer | BalancerOptions;
  /**
   * Take the client IP from the last `X-Forwarded-For` entry (the one the
   * proxy in front of the gateway appended). Only when such a proxy exists,
   * or clients choose their own rate-limit key. Default false.
   */
  readonly trustProxy?: boolean;
  /** Realm in `WWW-Authenticate`. Default the gateway name. */
  readonly realm?: string;
  /** Default: a pino logger at `LOG_LEVEL` (info). */
  readonly logger?: Logger;
  /** How long in-flight requests may finish after close() or SIGTERM, ms. Default 10,000. */
  readonly shutdownTimeoutMs?: number;
  /** Collect process metrics (CPU, memory, event loop) too. Default true. */
  readonly defaultMetrics?: boolean;
}

/** One upstream as `/ready` reports it: instances discovery lists, how many are ejected, the circuit's state. */
export type UpstreamReadiness = UpstreamState;

export interface Gateway {
  readonly server: Server;
  readonly metrics: GatewayMetrics;
  readonly routes: RouteTable;
  /**
   * Starts listening (and connects to Redis when configured). With
   * `handleSignals` (default true) SIGTERM and SIGINT drain and exit 0.
   */
  listen(options?: { port?: number; host?: string; handleSignals?: boolean }): Promise<AddressInfo>;
  /** Stops accepting, lets in-flight requests finish (up to the shutdown timeout), then closes pools and Redis. */
  close(): Promise<void>;
  /**
   * Readiness and what the gateway knows of each upstream, as `/ready`
   * reports it. Ready means the gateway itself can serve (it is not
   * draining): an upstream without instances answers 503 on its own routes
   * and is reported here and in metrics, but does not take the whole API
   * out of a load balancer's rotation.
   */
  readiness(): Promise<{ ready: boolean; upstreams: UpstreamReadiness[]; rateLimitStore: string }>;
}

interface Ctx {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly start: number;
  readonly requestId: string;
  readonly path: string;
  routeLabel: string;
  serviceLabel: string;
  /** The request's span, when tracing is on. */
  readonly span: StartedSpan | undefined;
  /**
   * The gateway's own response headers (request id, rate limits, …) as a
   * flat list: the proxy writes them with the upstream's in one
   * `writeHead`, the gateway's own answers apply them with `setHeader`.
   */
  readonly headers: string[];
  /** The upstream exchange once started, so a client that leaves stops it. */
  exchange: ProxyExchange | undefined;
}

/** Where a response finds its request's state: one shared `close` listener instead of closures per request. */
const CTX = Symbol('msx.gateway.ctx');
type ResponseWithCtx = ServerResponse & { [CTX]?: Ctx };
/** Marks a request node handed over through 'checkContinue' (HTTP/1.1 with `Expect: 100-continue`): it waits for our 100. */
const EXPECTS_CONTINUE = Symbol('msx.gateway.expectsContinue');
type RequestExpectingContinue = IncomingMessage & { [EXPECTS_CONTINUE]?: true };

function nonNegativeInt(option: string, value: number | undefined, fallback: number, min = 0): number {
  const resolved = value ?? fallback;
  if (!Number.isInteger(resolved) || resolved < min) {
    throw new GatewayConfigError(option, value, `Expected \`${option}\` to be an integer of at least ${min}, got ${String(value)}`);
  }
  return resolved;
}

export function createGateway(options: GatewayOptions): Gateway {
  const name = options.name ?? 'gateway';
  const realm = options.realm ?? name;
  const logger = options.logger ?? createLogger({ service: name, instance: instanceName(name, process.env.MSX_INSTANCE), level: (process.env.LOG_LEVEL as 'info') || 'info' });
  if (options.discovery === undefined || typeof options.discovery.resolve !== 'function') {
    throw new GatewayConfigError('discovery', options.discovery, 'Expected the `discovery` option to implement Discovery (resolve(service))');
  }
  const metrics = new GatewayMetrics({ defaultMetrics: options.defaultMetrics ?? true });
  const rateLimits: RateLimits = createRateLimits(options.rateLimits ?? {}, options.rateLimitStore, `msx:rl:${name}`, {
    onStoreError: (group) => metrics.rateLimitStoreError(group),
    warn: (message, details) => logger.warn(details, message),
  });
  const table = buildRouteTable(options.routes, rateLimits.groups);
  const needsAuth = table.routes.some((r) => !r.public);
  let verifier: UserTokenVerifier | undefined;
  // Reuse a connection's last verdict only where the verifier would have served it from its cache.
  const rememberTokens = options.auth?.cacheSize !== 0;
  let identitySecret: string | undefined;
  if (options.auth !== undefined) {
    try {
      verifier = createUserTokenVerifier(options.auth);
    } catch (err) {
      throw new GatewayConfigError('auth', options.auth, `Invalid \`auth\` option: ${(err as Error).message}`);
    }
  }
  identitySecret = options.identitySecret ?? (process.env[IDENTITY_SECRET_ENV] || undefined);
  if (identitySecret !== undefined && identitySecret.length < 16) {
    throw new GatewayConfigError('identitySecret', undefined, `The identity secret must be at least 16 characters: pass \`identitySecret\` or set ${IDENTITY_SECRET_ENV}`);
  }
  if (needsAuth) {
    if (verifier === undefined) {
      throw new GatewayConfigError('auth', undefined, 'Some routes are not public, so the `auth` option is required');
    }
    if (identitySecret === undefined) {
      throw new GatewayConfigError('identitySecret', undefined, `Some routes are not public, so the identity secret is required (at least 16 characters): pass \`identitySecret\` or set ${IDENTITY_SECRET_ENV}`);
    }
  }
  const cors: Cors | undefined = options.cors === undefined ? undefined : createCors(options.cors);
  let upstreams: Upstreams;
  try {
    upstreams = new Upstreams(options.discovery, options.breaker, options.upstream, options.balancer);
  } catch (err) {
    throw new GatewayConfigError('breaker', options.breaker, `Invalid \`breaker\` option: ${(err as Error).message}`);
  }
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
  const defaults = RESILIENCE_DEFAULTS.gateway;
  const unreachableRetries = nonNegativeInt('unreachableRetries', options.unreachableRetries, defaults.unreachableRetries);
  const headersTimeoutMs = nonNegativeInt('headersTimeoutMs', options.headersTimeoutMs, defaults.headersTimeoutMs, 1);
  const requestTimeoutMs = nonNegativeInt('requestTimeoutMs', options.requestTimeoutMs, Math.max(defaults.requestTimeoutMs, headersTimeoutMs));
  const keepAliveTimeoutMs = nonNegativeInt('keepAliveTimeoutMs', options.keepAliveTimeoutMs, defaults.keepAliveTimeoutMs);
  if (requestTimeoutMs !== 0 && requestTimeoutMs < headersTimeoutMs) {
    throw new GatewayConfigError('requestTimeoutMs', requestTimeoutMs, `Expected \`requestTimeoutMs\` (${requestTimeoutMs}) to be 0 or at least \`headersTimeoutMs\` (${headersTimeoutMs})`);
  }
  const trustProxy = options.trustProxy ?? false;
  // Signed identity headers depend only on the token, and the verifier returns the same object for a cached token.
  const signedIdentities = new WeakMap<UserIdentity, { identity: string; signature: string }>();
  // The anonymous identity depends only on the service and the time: signed once per service, reused until it nears expiry.
  const anonymous = new Map<string, { signed: { identity: string; signature: string }; refreshAtMs: number }>();
  function anonymousIdentity(secret: string, service: string): { identity: string; signature: string } {
    const nowMs = Date.now();
    let entry = anonymous.get(service);
    if (entry === undefined || nowMs >= entry.refreshAtMs) {
      entry = {
        signed: signAnonymousGatewayIdentity(secret, Math.floor(nowMs / 1000) + ANONYMOUS_IDENTITY_TTL_SEC, service),
        refreshAtMs: nowMs + (ANONYMOUS_IDENTITY_TTL_SEC * 1000) / 3,
      };
      anonymous.set(service, entry);
    }
    return entry.signed;
  }
  const routedServices = [...new Set(table.routes.map((r) => r.service))];
  const openApi = publicDocument({
    name,
    routes: options.routes,
    rateLimitGroups: [...rateLimits.groups],
    upstreams,
    auth: options.auth,
    identityFor: (service) => (identitySecret === undefined ? undefined : anonymousIdentity(identitySecret, service)),
    logger,
  });
  let draining = false;
  // On from OTEL_EXPORTER_OTLP_ENDPOINT; listen() waits for the SDK to load.
  const tracingReady: Promise<Tracing> = initTracing({ service: name });
  tracingReady.catch(() => {}); // reported by listen()

  function clientIp(req: IncomingMessage, xff: string | undefined): string {
    if (trustProxy) {
      if (xff !== undefined && xff !== '') {
        const last = xff.slice(xff.lastIndexOf(',') + 1).trim();
        if (last !== '') return last;
      }
    }
    return req.socket.remoteAddress ?? 'unknown';
  }

  const isDraining = () => draining;

  /** The response's `close` (finished or client gone): stop the upstream exchange if unfinished, then count the request. */
  function onResponseClose(this: ResponseWithCtx): void {
    const ctx = this[CTX]!;
    if (ctx.exchange !== undefined && !this.writableFinished) ctx.exchange.clientGone();
    finish(ctx);
  }

  function finish(ctx: Ctx): void {
    const { res } = ctx;
    const status = res.writableFinished ? String(res.statusCode) : ABORTED_STATUS;
    metrics.observeRequest(ctx.routeLabel, ctx.serviceLabel, status, (performance.now() - ctx.start) / 1000);
    if (ctx.span !== undefined) endRequestSpan(ctx.span, ctx.req, res, ctx.routeLabel, ctx.serviceLabel);
  }

  async function readiness() {
    const upstreamStates = await Promise.all(routedServices.map((service) => upstreams.state(service)));
    return {
      ready: !draining,
      upstreams: upstreamStates,
      rateLimitStore: rateLimits.storeStatus(),
    };
  }
  metrics.reportUpstreams(() => Promise.all(routedServices.map((service) => upstreams.state(service))));

  function sendJson(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
    res.end(text);
  }

  /** Own endpoints; true when handled. */
  function ownEndpoint(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '/';
    if (url !== '/health' && url !== '/ready' && url !== '/metrics' && url !== OPENAPI_PATH) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (url === '/health') sendJson(res, 200, { status: 'ok', name });
    else if (url === OPENAPI_PATH) {
      openApi().then(
        (document) => sendJson(res, 200, document),
        (err: unknown) => {
          logger.error({ err }, 'composing the OpenAPI document failed');
          sendJson(res, 503, { status: 'unavailable' });
        },
      );
    }
    else if (url === '/ready') {
      readiness().then(
        (state) => sendJson(res, state.ready ? 200 : 503, { status: state.ready ? 'ready' : 'not-ready', ...state }),
        (err: unknown) => {
          logger.error({ err }, 'readiness check failed');
          sendJson(res, 503, { status: 'not-ready' });
        },
      );
    } else {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        },
        (err: unknown) => {
          logger.error({ err }, 'metrics collection failed');
          res.writeHead(500).end();
        },
      );
    }
    return true;
  }

  /** The token's identity: the connection's last verdict when it is the same token, else the verifier's. */
  function verifiedIdentity(req: IncomingMessage, token: string | undefined): UserIdentity | Promise<UserIdentity> {
    if (token === undefined || !rememberTokens) return verifier!.verify(token ?? '');
    const remembered = rememberedIdentity(req.socket, token, Date.now() / 1000);
    if (remembered !== undefined) return remembered;
    return verifier!.verify(token).then((identity) => {
      rememberIdentity(req.socket, token, identity);
      return identity;
    });
  }

  /** The gateway's own answer: its pending headers, then the problem document. */
  function reply(ctx: Ctx, init: ProblemInit): void {
    const { res, headers } = ctx;
    if (!res.headersSent) for (let i = 0; i < headers.length; i += 2) res.setHeader(headers[i]!, headers[i + 1]!);
    sendProblem(res, init, ctx.path, ctx.requestId);
  }

  /** Records the decision's headers; answers 429 and returns false when refused. */
  function admit(ctx: Ctx, route: Route, decision: RateLimitDecision): boolean {
    rateLimitHeaders(ctx.headers, decision);
    if (decision.allowed) return true;
    metrics.rateLimitRejected(route.rateLimit!);
    reply(ctx, { status: 429, type: GATEWAY_PROBLEM_TYPES.rateLimited, title: 'Too many requests', detail: `Rate limit of ${decision.limit} requests per window reached; retry in ${decision.resetSec} s` });
    return false;
  }

  function refuseToken(ctx: Ctx, error: UserTokenError): void {
    if (error.status === 401) ctx.headers.push('www-authenticate', wwwAuthenticate(realm, error));
    else logger.warn({ err: error.cause ?? error }, 'user token keys unavailable');
    reply(
      ctx,
      error.status === 401
        ? { status: 401, type: GATEWAY_PROBLEM_TYPES.unauthenticated, title: 'Unauthenticated', detail: error.message, extensions: { code: error.code } }
        : { status: 503, type: GATEWAY_PROBLEM_TYPES.upstreamUnavailable, title: 'Token keys unavailable', detail: 'The signing keys could not be fetched; try again' },
    );
  }

  function upstreamProblem(ctx: Ctx, route: Route, err: UpstreamError): void {
    metrics.upstreamError(route.service, err.kind);
    const type =
      err.status === 504
        ? GATEWAY_PROBLEM_TYPES.upstreamTimeout
        : err.status === 503
          ? GATEWAY_PROBLEM_TYPES.upstreamUnavailable
          : err.status === 408
            ? GATEWAY_PROBLEM_TYPES.requestTimeout
            : err.status === 400
              ? GATEWAY_PROBLEM_TYPES.badRequest
              : GATEWAY_PROBLEM_TYPES.upstreamFailed;
    if (err.kind === 'failed') logger.warn({ err: err.cause ?? err, service: route.service, requestId: ctx.requestId }, 'upstream failed');
    reply(ctx, { status: err.status, type, detail: err.message, extensions: { service: route.service, reason: err.kind } });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (ownEndpoint(req, res)) return;
    const incoming = readRequestHeaders(req.rawHeaders);
    const requestId = requestIdFrom(incoming.requestId);
    const url = req.url ?? '/';
    const ctx: Ctx = {
      req,
      res,
      start: performance.now(),
      requestId,
      path: url,
      routeLabel: NO_ROUTE,
      serviceLabel: NO_ROUTE,
      span: tracingEnabled() ? startRequestSpan(name, req) : undefined,
      headers: ['x-request-id', requestId],
      exchange: undefined,
    };
    if (draining) ctx.headers.push('connection', 'close');
    (res as ResponseWithCtx)[CTX] = ctx;
    res.on('close', onResponseClose);
    if (cors !== undefined && cors.handle(req, res)) return;

    const method = req.method ?? 'GET';
    const match = table.match(method, url);
    if (match.kind !== 'route') {
      if (match.kind === 'method-not-allowed') ctx.headers.push('allow', match.allow.join(', '));
      reply(
        ctx,
        match.kind === 'not-found'
          ? { status: 404, type: GATEWAY_PROBLEM_TYPES.routeNotFound, detail: 'No route matches this path' }
          : match.kind === 'bad-path'
            ? { status: 400, type: GATEWAY_PROBLEM_TYPES.badPath, detail: 'Paths with "." or ".." segments are refused' }
            : { status: 405, type: GATEWAY_PROBLEM_TYPES.methodNotAllowed, detail: `${method} is not allowed here` },
      );
      return;
    }
    const { route, upstreamPath } = match;
    ctx.routeLabel = route.path;
    ctx.serviceLabel = route.service;

    const declaredLength = incoming.contentLength;
    if (declaredLength !== undefined && Number(declaredLength) > route.bodyLimitBytes) {
      ctx.headers.push('connection', 'close');
      reply(ctx, { status: 413, type: GATEWAY_PROBLEM_TYPES.bodyTooLarge, detail: `The body limit of this route is ${route.bodyLimitBytes} bytes` });
      return;
    }

    const ip = clientIp(req, incoming.forwardedFor);
    const group = route.rateLimit;
    const limitBy = group === undefined ? undefined : rateLimits.by(group);
    if (limitBy === 'ip' && !admit(ctx, route, await rateLimits.consume(group!, `ip:${ip}`))) return;

    let identity: UserIdentity | undefined;
    const token = bearerToken(incoming.authorization);
    if (!route.public) {
      try {
        const verified = verifiedIdentity(req, token);
        identity = verified instanceof Promise ? await verified : verified;
      } catch (err) {
        const error = err instanceof UserTokenError ? err : new UserTokenError('malformed', 'The token could not be verified', undefined, { cause: err });
        // Refused requests still spend the caller's IP budget, so bad-token floods are limited.
        if (limitBy === 'subject' && !admit(ctx, route, await rateLimits.consume(group!, `ip:${ip}`))) return;
        refuseToken(ctx, error);
        return;
      }
    } else if (token !== undefined && verifier !== undefined) {
      // Public routes stay open to bad tokens, but a good one still tells the service who is calling.
      try {
        identity = await verifiedIdentity(req, token);
      } catch {
        identity = undefined;
      }
    }
    if (limitBy === 'subject' && !admit(ctx, route, await rateLimits.consume(group!, identity === undefined ? `ip:${ip}` : `sub:${identity.sub}`))) return;

    let signed: { identity: string; signature: string } | undefined;
    if (identity !== undefined && identitySecret !== undefined) {
      signed = signedIdentities.get(identity);
      if (signed === undefined) {
        signed = signGatewayIdentity(identity, identitySecret);
        signedIdentities.set(identity, signed);
      }
    } else if (identitySecret !== undefined) {
      signed = anonymousIdentity(identitySecret, route.service);
    }

    const exchange = new ProxyExchange(req, res, {
      service: route.service,
      method,
      path: upstreamPath,
      headers: upstreamHeaders(incoming, {
        clientIp: ip,
        proto: (req.socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http',
        requestId,
        traceparent: ctx.span !== undefined ? traceparentOf(ctx.span.span) : traceparentFrom(incoming.traceparent),
        identity: signed,
      }),
      contentLength: declaredLength,
      transferEncoding: incoming.transferEncoding,
      responseHeaders: ctx.headers,
      timeoutMs: route.timeoutMs,
      bodyLimitBytes: route.bodyLimitBytes,
      draining: isDraining,
    });
    ctx.exchange = exchange;

    const breaker = upstreams.breaker(route.service);
    const admission = breaker.admit();
    if (admission === 'refused') {
      upstreamProblem(ctx, route, new UpstreamError('circuit-open', route.service, `${route.service} is failing; its circuit is open`));
      return;
    }
    // The gateway answers `Expect: 100-continue` itself, now that it forwards: a request refused above never had its body sent.
    if ((req as RequestExpectingContinue)[EXPECTS_CONTINUE] === true) res.writeContinue();
    try {
      const picked = upstreams.pick(route.service);
      let instance = picked instanceof Promise ? await picked : picked;
      let tried: Instance[] | undefined;
      for (;;) {
        try {
          await exchange.start(upstreams.pool(instance.url), upstreams.balancer.track(instance));
          break;
        } catch (err) {
          // Never reached a service (refused): the instance is ejected already; send it to another one, whatever the method.
          if (!(err instanceof UpstreamError && err.neverReached) || (tried?.length ?? 0) >= unreachableRetries) throw err;
          (tried ??= []).push(instance);
          const another = await upstreams.pickAnother(route.service, tried);
          if (another === undefined) throw err;
          metrics.upstreamRetry(route.service);
          instance = another;
        }
      }
      // The upstream answered (whatever its status: a 5xx is the service speaking, not a dead service).
      breaker.success(admission);
    } catch (err) {
      // Counted only while every instance is failing: one dead instance among healthy ones is the balancer's to skip.
      if (err instanceof UpstreamError && err.tripsBreaker && (await upstreams.allFailing(route.service))) breaker.failure(admission);
      else breaker.release(admission);
      if (res.headersSent) {
        res.destroy();
      } else if (err instanceof UpstreamError) {
        if (err.kind === 'client-timeout' || err.kind === 'bad-request') ctx.headers.push('connection', 'close');
        upstreamProblem(ctx, route, err);
      } else if (err instanceof BodyTooLargeError) {
        ctx.headers.push('connection', 'close');
        reply(ctx, { status: 413, type: GATEWAY_PROBLEM_TYPES.bodyTooLarge, detail: err.message });
      } else if (!res.destroyed) {
        logger.error({ err, requestId }, 'gateway request failed');
        reply(ctx, { status: 500, detail: 'The gateway failed to handle this request' });
      }
    }
  }

  const server = createServer({
    headersTimeout: headersTimeoutMs,
    requestTimeout: requestTimeoutMs,
    // Node checks both timeouts on this interval (30 s by default), so it bounds how late a slow client is cut off.
    connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(headersTimeoutMs / 4))),
  });
  server.on('request', onRequest);
  // Node answers any other expectation with 417 itself; a 100-continue request is handled like any other, and
  // the gateway sends `100 Continue` only once it decided to forward (see handle), so a refused one uploads no body.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    (req as RequestExpectingContinue)[EXPECTS_CONTINUE] = true;
    onRequest(req, res);
  });
  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err }, 'gateway request failed');
      const ctx = (res as ResponseWithCtx)[CTX];
      if (res.headersSent) res.destroy();
      else if (ctx !== undefined) reply(ctx, { status: 500 });
      else sendProblem(res, { status: 500 }, req.url, 'unknown');
    });
  }
  // Clients (and load balancers) reuse connections; keep them a little longer than typical 5 s client idle timeouts.
  server.keepAliveTimeout = keepAliveTimeoutMs;

  let signalHandler: (() => void) | undefined;
  let closing: Promise<void> | undefined;

  async function close(): Promise<void> {
    closing ??= (async () => {
      draining = true;
      if (signalHandler !== undefined) {
        process.off('SIGTERM', signalHandler);
        process.off('SIGINT', signalHandler);
      }
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), shutdownTimeoutMs);
        timer.unref();
      });
      if ((await Promise.race([closed, deadline])) === 'timeout') {
        logger.warn({ shutdownTimeoutMs }, 'in-flight requests did not finish in time; closing their connections');
        server.closeAllConnections();
        await upstreams.destroy();
      }
      clearTimeout(timer);
      await Promise.all([upstreams.close(), rateLimits.close()]);
      await (await tracingReady.catch(() => undefined))?.shutdown();
    })();
    return closing;
  }

  return {
    server,
    metrics,
    routes: table,
    readiness,
    close,
    async listen(listenOptions = {}) {
      await tracingReady;
      await rateLimits.start();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(listenOptions.port ?? 0, listenOptions.host ?? '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
      if (listenOptions.handleSignals ?? true) {
        signalHandler = () => {
          logger.info('shutting down');
          close().then(
            () => process.exit(0),
            (err: unknown) => {
              logger.error({ err }, 'shutdown failed');
              process.exit(1);
            },
          );
        };
        process.once('SIGTERM', signalHandler);
        process.once('SIGINT', signalHandler);
      }
      const address = server.address() as AddressInfo;
      logger.info({ port: address.port, host: address.address, routes: table.routes.length }, 'gateway listening');
      return address;
    },
  };
}
