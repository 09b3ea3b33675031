import { promises as dnsPromises } from 'node:dns';
import type { Discovery, Instance } from './discovery.js';
import { DiscoveryError } from './discovery-error.js';
import { InstanceCache } from './instance-cache.js';

/** One address a host name resolved to. */
export interface ResolvedAddress {
  readonly address: string;
  /** 4 or 6. */
  readonly family: number;
}

export interface DnsDiscoveryOptions {
  /**
   * Host name to resolve per service; `{service}` is replaced by the name.
   * Default: env `MSX_DNS_HOST_PATTERN`, else `{service}` (a compose service
   * name). For Kubernetes headless services: `{service}.<namespace>.svc.cluster.local`.
   */
  readonly hostPattern?: string;
  /** Port of every instance unless `ports` or `MSX_SERVICE_<NAME>_PORT` says otherwise. Default: env `MSX_DNS_PORT`, else 3000 (the service kit's `PORT` default). */
  readonly port?: number;
  /** Ports per service. */
  readonly ports?: Readonly<Record<string, number>>;
  /** Default `http`. */
  readonly protocol?: 'http' | 'https';
  /** How often resolved lists are refreshed in the background, ms. Default: env `MSX_DNS_TTL_MS`, else 5000. */
  readonly ttlMs?: number;
  /**
   * Resolves a host name to all its A/AAAA addresses. Default:
   * `dns.promises.lookup(host, { all: true })`, which goes through the
   * system resolver (so `/etc/hosts`, compose's embedded DNS and the
   * cluster DNS search domains all apply).
   */
  readonly lookup?: (host: string) => Promise<readonly ResolvedAddress[]>;
  readonly onRefreshError?: (error: unknown, service: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}

const NOT_FOUND = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NONAME', 'EAI_NODATA']);

function integerOption(value: unknown, name: string, min: number, max: number): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new DiscoveryError('DISCOVERY_CONFIG_INVALID', `Expected ${name} to be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/**
 * Instances from DNS: every A/AAAA record of the service's host name is one
 * instance (compose `--scale`, Kubernetes headless services). A name that
 * does not resolve is a service with no instance, not an error. Lists are
 * cached and refreshed in the background (see {@link InstanceCache}).
 */
export function createDnsDiscovery(options: DnsDiscoveryOptions = {}): Discovery {
  const env = options.env ?? process.env;
  const hostPattern = options.hostPattern ?? env.MSX_DNS_HOST_PATTERN ?? '{service}';
  if (!hostPattern.includes('{service}')) {
    throw new DiscoveryError('DISCOVERY_CONFIG_INVALID', `Expected the \`hostPattern\` option to contain "{service}", got ${JSON.stringify(hostPattern)}`);
  }
  const defaultPort = integerOption(options.port ?? env.MSX_DNS_PORT ?? 3000, 'the `port` option (or MSX_DNS_PORT)', 1, 65535);
  const ttlMs = integerOption(options.ttlMs ?? env.MSX_DNS_TTL_MS ?? 5000, 'the `ttlMs` option (or MSX_DNS_TTL_MS)', 1, 86_400_000);
  const protocol = options.protocol ?? 'http';
  if (protocol !== 'http' && protocol !== 'https') {
    throw new DiscoveryError('DISCOVERY_CONFIG_INVALID', `Expected the \`protocol\` option to be "http" or "https", got ${JSON.stringify(protocol)}`);
  }
  const lookup = options.lookup ?? ((host: string) => dnsPromises.lookup(host, { all: true }));

  function portOf(service: string): number {
    const fromOptions = options.ports?.[service];
    if (fromOptions !== undefined) return integerOption(fromOptions, `the \`ports.${service}\` option`, 1, 65535);
    const variable = `MSX_SERVICE_${service.toUpperCase().replace(/-/g, '_')}_PORT`;
    return env[variable] !== undefined ? integerOption(env[variable], variable, 1, 65535) : defaultPort;
  }

  async function load(service: string): Promise<readonly Instance[]> {
    const host = hostPattern.replaceAll('{service}', service);
    const port = portOf(service);
    let records: readonly ResolvedAddress[];
    try {
      records = await lookup(host);
    } catch (error) {
      if (NOT_FOUND.has((error as NodeJS.ErrnoException).code ?? '')) return [];
      throw error;
    }
    const seen = new Set<string>();
    const instances: Instance[] = [];
    for (const { address, family } of records) {
      if (seen.has(address)) continue;
      seen.add(address);
      const hostPart = family === 6 ? `[${address}]` : address;
      instances.push({ id: `${service}-${address}:${port}`, service, url: `${protocol}://${hostPart}:${port}`, meta: { host, address } });
    }
    return Object.freeze(instances);
  }

  const cache = new InstanceCache({ load, ttlMs, ...(options.onRefreshError ? { onRefreshError: options.onRefreshError } : {}) });
  return {
    kind: 'dns',
    resolve: (service) => cache.resolve(service),
    cached: (service) => cache.cached(service),
    async register() {},
    async close() {
      cache.close();
    },
  };
}
