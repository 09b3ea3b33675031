import type { IncomingHttpHeaders } from 'node:http';
import { request } from './undici-on-demand.js';
import type { CallOutcome } from '../discovery/balancers/balancer.js';
import { failureRule } from '../resilience/failure-classification.js';
import { isIdempotent } from '../resilience/idempotency.js';
import { resolveClientOptions, type ResolvedClientOptions, type ServiceClientOptions } from './client-options.js';
import { ClientConfigError } from './errors/client-config-error.js';
import { ConnectionError } from './errors/connection-error.js';
import { fallbackReason, invalidatesLastGood, isLastGood, validateFallback, type DefaultAnswer, type Degraded, type Fallback } from './fallback.js';
import { LastGoodCache } from './last-good-cache.js';
import { HttpStatusError } from './errors/http-status-error.js';
import { NoInstanceError } from './errors/no-instance-error.js';
import { isServiceCallError, type InstanceRef, type ServiceCallError } from './errors/service-call-error.js';
import { readResponseBody } from './response-body.js';
import { childTraceparent, contextOfRequest, type CallContext } from './trace-context.js';
import { traceCall } from './trace-call.js';

export type HttpMethod = 'GET' | 'HEAD' | 'OPTIONS' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const MAX_TIMER_MS = 2_147_483_647;
const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE']);

export interface CallOptions<T = unknown> {
  /** Extra headers. An `authorization` header given here replaces the service token. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** Timeout of each attempt, in ms. Default: the policy stack's `timeoutMs` (5000). */
  readonly timeoutMs?: number;
  /**
   * Time for the whole call, retries and their back-off included, in ms.
   * When it passes, the attempt in flight is aborted, no further attempt is
   * made, and the call rejects with a `TimeoutError` whose `timeoutMs` is
   * this deadline. Default: none (attempts × `timeoutMs` plus back-off).
   */
  readonly deadlineMs?: number;
  /** Sent as `Idempotency-Key`; makes a POST or PATCH retryable, because the callee promises to deduplicate. */
  readonly idempotencyKey?: string;
  /** Aborts the call, retries included. */
  readonly signal?: AbortSignal;
  /** Request id and trace context for this call; default: the client's bound context or `context` option. */
  readonly context?: CallContext;
  /**
   * What to answer when the call ultimately fails for reasons of
   * availability — refused, reset, timed out, 5xx or 429 after the retries,
   * breaker open, bulkhead full, no instance — instead of rejecting:
   * `{ value }` or a function of the error (a default answer, status 200),
   * or `{ lastGood: true }` (GET and HEAD only: the last answer that
   * succeeded for the same service, method, path and query, kept by the
   * client). Other 4xx answers are never replaced. The answer carries
   * `degraded`, and `msx_client_fallbacks_total` counts it.
   */
  readonly fallback?: Fallback<T>;
}

export interface RequestOptions<T = unknown> extends CallOptions<T> {
  /** Default `GET`. */
  readonly method?: HttpMethod;
  /** Path on the service, starting with `/`. */
  readonly path: string;
  /** JSON-encoded unless a string or bytes. */
  readonly body?: unknown;
}

export interface ServiceResponse<T = unknown> {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Parsed JSON, text for other content types, `undefined` when empty. */
  readonly body: T;
  /** The instance that answered (for a kept answer: the one that answered then; for a default answer: `fallback`). */
  readonly instance: InstanceRef;
  /** Set when the answer is the call's fallback, not the service's answer now: why, and from where. */
  readonly degraded?: Degraded;
}

/** The `instance` of a default answer: no instance gave it. */
export const FALLBACK_INSTANCE: InstanceRef = Object.freeze({ id: 'fallback', url: '' });

/** Calls to one service, typed per call: `client.service('users').get<User>('/users/42')`. */
export interface ServiceHandle {
  readonly name: string;
  request<T = unknown>(options: RequestOptions<T>): Promise<ServiceResponse<T>>;
  get<T = unknown>(path: string, options?: CallOptions<T>): Promise<ServiceResponse<T>>;
  post<T = unknown>(path: string, body?: unknown, options?: CallOptions<T>): Promise<ServiceResponse<T>>;
  put<T = unknown>(path: string, body?: unknown, options?: CallOptions<T>): Promise<ServiceResponse<T>>;
  patch<T = unknown>(path: string, body?: unknown, options?: CallOptions<T>): Promise<ServiceResponse<T>>;
  delete<T = unknown>(path: string, options?: CallOptions<T>): Promise<ServiceResponse<T>>;
}

/**
 * Calls other services by name. Each call resolves instances through
 * discovery, picks one with the balancer (counting it in flight), sends
 * the request through the shared policy stack (timeout per attempt, retries
 * for idempotent calls only, a breaker per service), and propagates
 * `X-Request-ID`, `traceparent`/`tracestate` and a service token.
 *
 * Resolves for 1xx–3xx answers; rejects with a typed `ServiceCallError`
 * otherwise: `HttpStatusError` (4xx/5xx, with the parsed problem body),
 * `TimeoutError`, `ConnectionError`, `CircuitOpenError`, `NoInstanceError`,
 * `BulkheadFullError`. Branch on `code`.
 */
export interface ServiceClient {
  readonly from: string;
  readonly options: ResolvedClientOptions;
  request<T = unknown>(service: string, options: RequestOptions<T>): Promise<ServiceResponse<T>>;
  get<T = unknown>(service: string, path: string, options?: CallOptions<T>): Promise<ServiceResponse<T>>;
  post<T = unknown>(service: string, path: string, body?: unknown, options?: CallOptions<T>): Promise<ServiceResponse<T>>;
  put<T = unknown>(service: string, path: string, body?: unknown, options?: CallOptions<T>): Promise<ServiceResponse<T>>;
  patch<T = unknown>(service: string, path: string, body?: unknown, options?: CallOptions<T>): Promise<ServiceResponse<T>>;
  delete<T = unknown>(service: string, path: string, options?: CallOptions<T>): Promise<ServiceResponse<T>>;
  service(name: string): ServiceHandle;
  /** The same client, with every call carrying `context` (request id, trace). */
  withContext(context: CallContext): ServiceClient;
  /** The same client, carrying the request id and trace context of the request being served. */
  forRequest(req: Parameters<typeof contextOfRequest>[0]): ServiceClient;
}

function lowerCaseHeaders(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name.toLowerCase()] = value;
  return out;
}

function encodeBody(body: unknown, headers: Record<string, string>): string | Uint8Array | undefined {
  if (body === undefined) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  headers['content-type'] ??= 'application/json';
  return JSON.stringify(body);
}

/** A default answer for `error`, marked degraded. */
async function defaultAnswer<T>(answer: DefaultAnswer<T>, error: ServiceCallError, reason: NonNullable<ReturnType<typeof fallbackReason>>): Promise<ServiceResponse<T>> {
  const body = typeof answer === 'function' ? await answer(error) : answer.value;
  return { status: 200, headers: {}, body, instance: FALLBACK_INSTANCE, degraded: { reason, source: 'default', error } };
}

function pathWithQuery(path: string, query: CallOptions['query']): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.append(key, String(value));
  const qs = params.toString();
  return qs === '' ? path : `${path}${path.includes('?') ? '&' : '?'}${qs}`;
}

export function createServiceClient(input: ServiceClientOptions): ServiceClient {
  return bind(resolveClientOptions(input), undefined);
}

function bind(options: ResolvedClientOptions, bound: CallContext | undefined): ServiceClient {
  const { discovery, balancer, policy, dispatcher, tokens, lastGood, fallbackMetrics } = options;

  async function call<T>(service: string, req: RequestOptions<T>): Promise<ServiceResponse<T>> {
    const method = (req.method ?? 'GET').toUpperCase();
    if (!METHODS.has(method)) throw new ClientConfigError(`Expected the \`method\` option to be one of ${[...METHODS].join(', ')}, got ${JSON.stringify(req.method)}`);
    if (typeof req.path !== 'string' || !req.path.startsWith('/')) {
      throw new ClientConfigError(`Expected the \`path\` option to start with "/", got ${JSON.stringify(req.path)}`);
    }
    const deadlineMs = req.deadlineMs;
    // Node's timers hold at most 2^31-1 ms; a longer deadline would silently fire at once.
    if (deadlineMs !== undefined && !(typeof deadlineMs === 'number' && deadlineMs > 0 && deadlineMs <= MAX_TIMER_MS)) {
      throw new ClientConfigError(`Expected the \`deadlineMs\` option to be a positive number of milliseconds up to ${MAX_TIMER_MS}, got ${String(deadlineMs)}`);
    }
    // Before anything is sent: a last-good fallback on a POST is a mistake in the caller's code, not an outage.
    validateFallback(req.fallback, method, service, req.path);
    const startedAt = performance.now();
    const headers = lowerCaseHeaders(req.headers);
    const idempotencyKey = req.idempotencyKey ?? headers['idempotency-key'];
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    const context = req.context ?? bound ?? options.context();
    if (context?.requestId !== undefined) headers['x-request-id'] ??= context.requestId;
    const traced = traceCall(options.from, service, method, req.path, context, headers);
    headers.traceparent ??= childTraceparent(context?.traceparent);
    if (context?.tracestate !== undefined) headers.tracestate ??= context.tracestate;
    headers.accept ??= 'application/json, application/problem+json;q=0.9, */*;q=0.1';
    if (tokens && headers.authorization === undefined) headers.authorization = `Bearer ${await tokens.token(service)}`;
    const body = encodeBody(req.body, headers);
    const path = pathWithQuery(req.path, req.query);

    const execute = () => policy.execute(
      service,
      async ({ signal }) => {
        const instances = await discovery.resolve(service);
        const instance = balancer.pick(instances);
        if (!instance) throw new NoInstanceError(service, discovery.kind);
        const ref: InstanceRef = { id: instance.id, url: instance.url };
        const release = balancer.track(instance);
        let outcome: CallOutcome = 'failure';
        try {
          const res = await request(`${instance.url}${path}`, {
            method: method as HttpMethod,
            headers,
            body,
            signal,
            dispatcher: dispatcher(),
          });
          const parsed = await readResponseBody(res.body, res.headers['content-type']);
          // The instance answered: what its status says about it is the shared classification's (5xx: failure).
          if (res.statusCode >= 400) {
            const error = new HttpStatusError(service, res.statusCode, parsed, res.headers, { instance: ref });
            outcome = failureRule(error).instance;
            throw error;
          }
          outcome = 'success';
          return { status: res.statusCode, headers: res.headers, body: parsed as T, instance: ref };
        } catch (error) {
          if (isServiceCallError(error)) throw error;
          // Aborted: by the caller, which says nothing about the instance, or by the attempt's timeout, which does.
          if (signal.aborted) {
            outcome = req.signal?.aborted === true ? 'no-verdict' : 'failure';
            throw error;
          }
          const connectionError = new ConnectionError(service, { cause: error, instance: ref });
          // A refused connection ejects the instance at once, so the retry goes elsewhere.
          outcome = failureRule(connectionError).instance;
          throw connectionError;
        } finally {
          release(outcome);
        }
      },
      {
        idempotent: isIdempotent(method, idempotencyKey),
        ...(req.timeoutMs !== undefined ? { timeoutMs: req.timeoutMs } : {}),
        ...(req.signal !== undefined ? { signal: req.signal } : {}),
        // What is left of the deadline once the token is minted (whole ms, at least 1).
        ...(deadlineMs !== undefined ? { deadlineMs: Math.max(1, Math.ceil(deadlineMs - (performance.now() - startedAt))) } : {}),
      },
    );
    const fallback = req.fallback;
    if (fallback === undefined) return traced === undefined ? execute() : traced.run(execute);

    const key = isLastGood(fallback) ? LastGoodCache.key(service, method, path) : undefined;
    const keeping = async (): Promise<ServiceResponse<T>> => {
      const response = await execute();
      if (key !== undefined) lastGood.set(key, { status: response.status, headers: response.headers, body: response.body, instance: response.instance, at: Date.now() });
      return response;
    };
    const recover = async (error: unknown): Promise<ServiceResponse<T>> => {
      // A 4xx for this read is its answer now: the kept one is out of date.
      if (key !== undefined && invalidatesLastGood(error)) lastGood.delete(key);
      const reason = fallbackReason(error);
      if (reason === undefined) throw error;
      const failure = error as ServiceCallError;
      let answer: ServiceResponse<T>;
      if (isLastGood(fallback)) {
        const kept = lastGood.get(key!);
        const ageMs = kept === undefined ? undefined : Date.now() - kept.at;
        if (kept !== undefined && (fallback.maxAgeMs === undefined || ageMs! <= fallback.maxAgeMs)) {
          answer = { status: kept.status, headers: kept.headers, body: kept.body as T, instance: kept.instance, degraded: { reason, source: 'last-good', error: failure, ageMs: ageMs! } };
        } else if (fallback.otherwise !== undefined) {
          answer = await defaultAnswer(fallback.otherwise, failure, reason);
        } else {
          throw error;
        }
      } else {
        answer = await defaultAnswer(fallback, failure, reason);
      }
      fallbackMetrics.used(service, reason, answer.degraded!.source);
      return answer;
    };
    return traced === undefined ? keeping().catch(recover) : traced.run(keeping, recover);
  }

  const client: ServiceClient = {
    from: options.from,
    options,
    request: call,
    get: (service, path, o) => call(service, { ...o, method: 'GET', path }),
    post: (service, path, body, o) => call(service, { ...o, method: 'POST', path, body }),
    put: (service, path, body, o) => call(service, { ...o, method: 'PUT', path, body }),
    patch: (service, path, body, o) => call(service, { ...o, method: 'PATCH', path, body }),
    delete: (service, path, o) => call(service, { ...o, method: 'DELETE', path }),
    service: (name) => ({
      name,
      request: (o) => call(name, o),
      get: (path, o) => call(name, { ...o, method: 'GET', path }),
      post: (path, body, o) => call(name, { ...o, method: 'POST', path, body }),
      put: (path, body, o) => call(name, { ...o, method: 'PUT', path, body }),
      patch: (path, body, o) => call(name, { ...o, method: 'PATCH', path, body }),
      delete: (path, o) => call(name, { ...o, method: 'DELETE', path }),
    }),
    withContext: (context) => bind(options, context),
    forRequest: (req) => bind(options, contextOfRequest(req)),
  };
  return client;
}
