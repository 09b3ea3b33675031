import type { Registry } from 'prom-client';
import type { Dispatcher } from 'undici';
import { createServiceTokenIssuer, type ServiceTokenIssuer } from '../auth/service-token-issuer.js';
import { SERVICE_TOKEN_SECRET_ENV } from '../auth/service-token.js';
import { createBalancer, type Balancer } from '../discovery/balancers/balancer.js';
import type { Discovery } from '../discovery/discovery.js';
import { createPolicyStack, type PolicyStack } from '../resilience/policy-stack.js';
import type { PolicyStackOptions } from '../resilience/policy-options.js';
import { sharedDispatcher } from './dispatcher.js';
import { ClientConfigError } from './errors/client-config-error.js';
import { createFallbackMetrics, type FallbackMetrics } from './fallback-metrics.js';
import { DEFAULT_LAST_GOOD_ENTRIES, LastGoodCache } from './last-good-cache.js';
import type { CallContext } from './trace-context.js';

export interface ServiceClientOptions {
  /** Name of the calling service: the `iss` of its service tokens, and part of its logs. Required. */
  readonly from: string;
  /** Where instances come from (see `resolveDiscovery`). Required; the client never closes it. */
  readonly discovery: Discovery;
  /** Default: `createBalancer()` (round-robin with outlier ejection). Share one with the gateway to share in-flight counts. */
  readonly balancer?: Balancer;
  /**
   * Service tokens to present, or `false` for none. Default: an issuer for
   * `from` when `MSX_SERVICE_TOKEN_SECRET` is set, otherwise none.
   */
  readonly tokens?: ServiceTokenIssuer | false;
  /** A shared stack (recommended: the one the gateway and sagas use), or options for a new one. Default: `createPolicyStack()`. */
  readonly policy?: PolicyStack | PolicyStackOptions;
  /** Default: the process-wide keep-alive agent ({@link sharedDispatcher}). */
  readonly dispatcher?: Dispatcher;
  /**
   * Where the request id and trace context of the request being served come
   * from, when a call does not pass them. The service kit keeps no
   * AsyncLocalStorage yet, so the default provides nothing; use
   * `client.forRequest(req)` or the `context` call option meanwhile.
   */
  readonly context?: () => CallContext | undefined;
  /** Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Where `msx_client_fallbacks_total` is counted: the service's registry (`attachClient` passes it). Default: not counted. */
  readonly registry?: Registry;
  /**
   * How many last good answers the client keeps for calls with a
   * `{ lastGood: true }` fallback, least recently used out first.
   * Default 1000.
   */
  readonly lastGoodEntries?: number;
}

export interface ResolvedClientOptions {
  readonly from: string;
  readonly discovery: Discovery;
  readonly balancer: Balancer;
  readonly tokens: ServiceTokenIssuer | undefined;
  readonly policy: PolicyStack;
  /**
   * Asked at each call, not when the client is made: the shared dispatcher
   * (and undici with it) is loaded by the first call, so a service that
   * holds a client but has not called anyone yet does not carry it.
   */
  readonly dispatcher: () => Dispatcher;
  readonly context: () => CallContext | undefined;
  /** Shared by the client and every `withContext`/`forRequest` copy of it. */
  readonly lastGood: LastGoodCache;
  readonly fallbackMetrics: FallbackMetrics;
}

function isPolicyStack(value: unknown): value is PolicyStack {
  return typeof value === 'object' && value !== null && typeof (value as PolicyStack).execute === 'function';
}

/** Applies every default once and validates every option before the client exists. */
export function resolveClientOptions(input: ServiceClientOptions): ResolvedClientOptions {
  if (typeof input !== 'object' || input === null) {
    throw new ClientConfigError(`Expected createServiceClient() to get an options object, got ${String(input)}`);
  }
  if (typeof input.from !== 'string' || input.from === '') {
    throw new ClientConfigError(`Expected the \`from\` option to be the calling service's name, got ${JSON.stringify(input.from)}`);
  }
  if (typeof input.discovery?.resolve !== 'function') {
    throw new ClientConfigError(`Expected the \`discovery\` option to be a Discovery (see resolveDiscovery()), got ${String(input.discovery)}`);
  }
  if (input.balancer !== undefined && (typeof input.balancer.pick !== 'function' || typeof input.balancer.track !== 'function')) {
    throw new ClientConfigError(`Expected the \`balancer\` option to be a Balancer (see createBalancer()), got ${String(input.balancer)}`);
  }
  if (input.context !== undefined && typeof input.context !== 'function') {
    throw new ClientConfigError(`Expected the \`context\` option to be a function, got ${String(input.context)}`);
  }
  const lastGoodEntries = input.lastGoodEntries ?? DEFAULT_LAST_GOOD_ENTRIES;
  if (!Number.isInteger(lastGoodEntries) || lastGoodEntries < 1) {
    throw new ClientConfigError(`Expected the \`lastGoodEntries\` option to be a whole number of at least 1, got ${String(input.lastGoodEntries)}`);
  }
  if (input.registry !== undefined && typeof (input.registry as Registry).getSingleMetric !== 'function') {
    throw new ClientConfigError(`Expected the \`registry\` option to be a prom-client Registry, got ${String(input.registry)}`);
  }
  const env = input.env ?? process.env;
  let tokens: ServiceTokenIssuer | undefined;
  if (input.tokens === undefined) {
    tokens = env[SERVICE_TOKEN_SECRET_ENV] ? createServiceTokenIssuer({ service: input.from, env }) : undefined;
  } else if (input.tokens !== false) {
    if (typeof input.tokens.token !== 'function') {
      throw new ClientConfigError(`Expected the \`tokens\` option to be a ServiceTokenIssuer or false, got ${String(input.tokens)}`);
    }
    tokens = input.tokens;
  }
  return {
    from: input.from,
    discovery: input.discovery,
    balancer: input.balancer ?? createBalancer(),
    tokens,
    policy: isPolicyStack(input.policy) ? input.policy : createPolicyStack(input.policy),
    dispatcher: input.dispatcher === undefined ? sharedDispatcher : () => input.dispatcher!,
    context: input.context ?? (() => undefined),
    lastGood: new LastGoodCache(lastGoodEntries),
    fallbackMetrics: createFallbackMetrics(input.registry),
  };
}
