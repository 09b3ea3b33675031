/**
 * `@msx/runtime/discovery`: where the instances of a service are, and which
 * one to call. `resolveDiscovery` is the one place configuration becomes a
 * backend; services, the client and the gateway never branch on the kind.
 */
import type { Discovery } from './discovery.js';
import { DiscoveryError } from './discovery-error.js';
import { createLocalDiscovery, type LocalDiscoveryOptions } from './local.js';
import { createStaticDiscovery, type StaticDiscoveryOptions } from './static.js';
import { createDnsDiscovery, type DnsDiscoveryOptions } from './dns.js';
import { createConsulDiscovery, type ConsulDiscoveryOptions } from './consul.js';

export type { Discovery, Instance, Registration } from './discovery.js';
export { DiscoveryError, isDiscoveryError, type DiscoveryErrorCode } from './discovery-error.js';
export { InstanceCache, type InstanceCacheOptions } from './instance-cache.js';
export { createStaticDiscovery, staticUrlsVariable, type StaticDiscoveryOptions } from './static.js';
export { createLocalDiscovery, type LocalDiscoveryOptions, type LocalRegistryFile } from './local.js';
export { discoveryFromEnvironment } from './from-environment.js';
export { createDnsDiscovery, type DnsDiscoveryOptions, type ResolvedAddress } from './dns.js';
export { createConsulDiscovery, type ConsulDiscoveryOptions, type ConsulCheckOptions } from './consul.js';
export {
  createBalancer,
  BALANCING_STRATEGIES,
  type Balancer,
  type BalancerOptions,
  type BalancingStrategyName,
  type CallOutcome,
  type InstanceStats,
  type Release,
} from './balancers/balancer.js';
export type { BalancingStrategy, InstanceLoad } from './balancers/strategy.js';
export { roundRobin } from './balancers/round-robin.js';
export { random, type RandomOptions } from './balancers/random.js';
export { leastConnections } from './balancers/least-connections.js';
export { OutlierEjection, DEFAULT_OUTLIER_EJECTION, type OutlierEjectionOptions } from './balancers/outlier-ejection.js';

/** Configuration of one backend, as an options object. */
export type DiscoveryOptions =
  | ({ readonly kind: 'static' } & StaticDiscoveryOptions)
  | ({ readonly kind: 'local' } & LocalDiscoveryOptions)
  | ({ readonly kind: 'dns' } & DnsDiscoveryOptions)
  | ({ readonly kind: 'consul' } & ConsulDiscoveryOptions);

export type DiscoveryKind = DiscoveryOptions['kind'];

const FACTORIES: { readonly [K in DiscoveryKind]: (options: Extract<DiscoveryOptions, { kind: K }>) => Discovery } = {
  static: createStaticDiscovery,
  local: createLocalDiscovery,
  dns: createDnsDiscovery,
  consul: createConsulDiscovery,
};

/**
 * Turns configuration into a backend:
 * - a {@link Discovery} object is returned as is;
 * - a kind (`'static'`, `'local'`, `'dns'`, `'consul'`) creates that backend from its environment variables
 *   (`MSX_SERVICE_<NAME>_URLS`; `MSX_LOCAL_REGISTRY`; `MSX_DNS_HOST_PATTERN`, `MSX_DNS_PORT`, `MSX_DNS_TTL_MS`,
 *   `MSX_SERVICE_<NAME>_PORT`; `MSX_CONSUL_URL`, `MSX_CONSUL_TOKEN`);
 * - an options object `{ kind, ... }` creates it from those options;
 * - nothing reads `MSX_DISCOVERY` (default `static`).
 *
 * Throws `DISCOVERY_CONFIG_INVALID` for anything else.
 */
export function resolveDiscovery(config?: Discovery | DiscoveryKind | DiscoveryOptions, env: NodeJS.ProcessEnv = process.env): Discovery {
  if (config !== undefined && typeof config === 'object' && 'resolve' in config && typeof config.resolve === 'function') {
    return config;
  }
  const options: { kind?: unknown } =
    config === undefined ? { kind: env.MSX_DISCOVERY || 'static' } : typeof config === 'string' ? { kind: config } : (config as { kind?: unknown });
  const kind = options.kind;
  if (typeof kind !== 'string' || !Object.hasOwn(FACTORIES, kind)) {
    const source = config === undefined ? 'MSX_DISCOVERY' : 'the discovery `kind`';
    throw new DiscoveryError(
      'DISCOVERY_CONFIG_INVALID',
      `Expected ${source} to be one of ${Object.keys(FACTORIES).join(', ')}, got ${JSON.stringify(kind)}`,
    );
  }
  const factory = FACTORIES[kind as DiscoveryKind] as (options: object) => Discovery;
  return factory({ env, ...options });
}
