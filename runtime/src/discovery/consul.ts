import { hostname } from 'node:os';
import type { Discovery, Instance, Registration } from './discovery.js';
import { connectConsulAgent } from './consul-agent.js';
import { DiscoveryError } from './discovery-error.js';
import { InstanceCache } from './instance-cache.js';

export interface ConsulCheckOptions {
  /** How often Consul polls the readiness endpoint (Consul duration). Default `10s`. */
  readonly interval?: string;
  /** Timeout of one poll. Default `2s`. */
  readonly timeout?: string;
  /**
   * After this long in `critical`, Consul removes the instance itself, so a
   * process killed without deregistering does not linger. Default `1m`.
   */
  readonly deregisterCriticalServiceAfter?: string;
}

export interface ConsulDiscoveryOptions {
  /** The Consul agent's HTTP API. Default: env `MSX_CONSUL_URL`, else `http://127.0.0.1:8500`. */
  readonly url?: string;
  /** ACL token. Default: env `MSX_CONSUL_TOKEN`. */
  readonly token?: string;
  /** How often instance lists are refreshed in the background, ms. Default 5000. */
  readonly ttlMs?: number;
  /** Timeout of each Consul API call, ms. Default 2000. */
  readonly requestTimeoutMs?: number;
  readonly check?: ConsulCheckOptions;
  /** Scheme of the instance URLs built from Consul's address and port. Default `http`. */
  readonly protocol?: 'http' | 'https';
  readonly onRefreshError?: (error: unknown, service: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}

/** One entry of `GET /v1/health/service/:service`, the fields we read. */
interface HealthEntry {
  readonly Node?: { readonly Address?: string };
  readonly Service?: { readonly ID?: string; readonly Service?: string; readonly Address?: string; readonly Port?: number; readonly Meta?: Record<string, string> | null };
}

/**
 * The calls we make, typed with the per-request `timeout` (ms) that the
 * package honours at run time but leaves out of its declarations.
 */
interface ConsulCalls {
  health: { service(options: { service: string; passing: boolean; timeout: number }): Promise<unknown> };
  agent: {
    service: {
      register(options: { name: string; id: string; address: string; port: number; meta?: Record<string, string>; check: Record<string, string>; timeout: number }): Promise<unknown>;
      deregister(options: { id: string; timeout: number }): Promise<unknown>;
      list(options: { timeout: number }): Promise<unknown>;
    };
  };
  destroy(): void;
}

const DURATION = /^\d+(ns|us|ms|s|m|h)$/;

function checkDuration(value: string, option: string): string {
  if (typeof value !== 'string' || !DURATION.test(value)) {
    throw new DiscoveryError('DISCOVERY_CONFIG_INVALID', `Expected the \`${option}\` option to be a Consul duration such as "10s", got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Consul discovery, plus what only Consul needs: whether the agent still holds one of this process's registrations. */
export interface ConsulDiscovery extends Discovery {
  /**
   * Whether the agent still lists instance `id` (`GET /v1/agent/services`).
   * It drops one that stayed critical for `DeregisterCriticalServiceAfter`,
   * and an agent that lost its state has none.
   */
  isRegistered(id: string): Promise<boolean>;
}

/**
 * Discovery through a Consul agent, with the `consul` package. `register`
 * announces this process with an HTTP check on its readiness endpoint and
 * `DeregisterCriticalServiceAfter`; `close` deregisters it. `resolve` asks
 * the health endpoint for passing instances only, so an instance failing
 * `/ready` drops out of every caller's list within one check interval plus
 * one refresh. Lists are cached and refreshed in the background.
 */
export function createConsulDiscovery(options: ConsulDiscoveryOptions = {}): ConsulDiscovery {
  const env = options.env ?? process.env;
  const rawUrl = options.url ?? env.MSX_CONSUL_URL ?? 'http://127.0.0.1:8500';
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch (cause) {
    throw new DiscoveryError('DISCOVERY_CONFIG_INVALID', `Expected the \`url\` option (or MSX_CONSUL_URL) to be the agent's URL, got ${JSON.stringify(rawUrl)}`, { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DiscoveryError('DISCOVERY_CONFIG_INVALID', `Expected the \`url\` option (or MSX_CONSUL_URL) to be http(s), got ${JSON.stringify(rawUrl)}`);
  }
  const token = options.token ?? env.MSX_CONSUL_TOKEN;
  const ttlMs = options.ttlMs ?? 5000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 2000;
  for (const [name, value] of [['ttlMs', ttlMs], ['requestTimeoutMs', requestTimeoutMs]] as const) {
    if (!Number.isInteger(value) || value <= 0) {
      throw new DiscoveryError('DISCOVERY_CONFIG_INVALID', `Expected the \`${name}\` option to be a positive integer of milliseconds, got ${String(value)}`);
    }
  }
  const check = {
    interval: checkDuration(options.check?.interval ?? '10s', 'check.interval'),
    timeout: checkDuration(options.check?.timeout ?? '2s', 'check.timeout'),
    deregisterCriticalServiceAfter: checkDuration(options.check?.deregisterCriticalServiceAfter ?? '1m', 'check.deregisterCriticalServiceAfter'),
  };
  const protocol = options.protocol ?? 'http';

  // The driver is loaded on first use, not at import.
  let client: Promise<ConsulCalls> | undefined;
  function consul(): Promise<ConsulCalls> {
    client ??= connectConsulAgent<ConsulCalls>(url, token).catch(
      (cause: unknown) => {
        throw new DiscoveryError('DISCOVERY_CONFIG_INVALID', 'The consul discovery backend needs the `consul` package: npm install consul@2', { cause });
      },
    );
    return client;
  }

  async function load(service: string): Promise<readonly Instance[]> {
    const api = await consul();
    const entries = (await api.health.service({ service, passing: true, timeout: requestTimeoutMs })) as HealthEntry[];
    const instances: Instance[] = [];
    for (const entry of entries) {
      const s = entry.Service;
      const address = s?.Address || entry.Node?.Address;
      if (!s?.ID || !address || typeof s.Port !== 'number') continue;
      const host = address.includes(':') ? `[${address}]` : address;
      instances.push({ id: s.ID, service, url: `${protocol}://${host}:${s.Port}`, ...(s.Meta ? { meta: { ...s.Meta } } : {}) });
    }
    return Object.freeze(instances);
  }

  const cache = new InstanceCache({ load, ttlMs, ...(options.onRefreshError ? { onRefreshError: options.onRefreshError } : {}) });
  const registered = new Set<string>();

  return {
    kind: 'consul',
    resolve: (service) => cache.resolve(service),
    cached: (service) => cache.cached(service),
    async register(self: Registration) {
      const id = self.id ?? `${self.service}-${hostname()}-${self.port}`;
      const host = self.address.includes(':') ? `[${self.address}]` : self.address;
      try {
        const api = await consul();
        await api.agent.service.register({
          name: self.service,
          id,
          address: self.address,
          port: self.port,
          ...(self.meta ? { meta: { ...self.meta } } : {}),
          check: {
            name: `${self.service} readiness`,
            http: `${protocol}://${host}:${self.port}${self.checkPath ?? '/ready'}`,
            interval: check.interval,
            timeout: check.timeout,
            deregistercriticalserviceafter: check.deregisterCriticalServiceAfter,
            ...(self.initialStatus ? { status: self.initialStatus } : {}),
          },
          timeout: requestTimeoutMs,
        });
      } catch (cause) {
        if (cause instanceof DiscoveryError) throw cause;
        throw new DiscoveryError('DISCOVERY_REGISTER_FAILED', `Could not register ${id} with Consul at ${url.origin}`, { cause });
      }
      registered.add(id);
    },
    async isRegistered(id: string) {
      try {
        const api = await consul();
        const services = (await api.agent.service.list({ timeout: requestTimeoutMs })) as Record<string, unknown> | null;
        return services !== null && typeof services === 'object' && Object.hasOwn(services, id);
      } catch (cause) {
        if (cause instanceof DiscoveryError) throw cause;
        throw new DiscoveryError('DISCOVERY_UNAVAILABLE', `Could not list the services of the Consul agent at ${url.origin}`, { cause });
      }
    },
    async close() {
      cache.close();
      if (!client) return;
      const api = await client;
      const failures: unknown[] = [];
      for (const id of registered) {
        try {
          await api.agent.service.deregister({ id, timeout: requestTimeoutMs });
          registered.delete(id);
        } catch (error) {
          failures.push(error);
        }
      }
      api.destroy();
      if (failures.length > 0) {
        throw new DiscoveryError('DISCOVERY_UNAVAILABLE', `Could not deregister ${[...registered].join(', ')} from Consul at ${url.origin}`, { cause: failures[0] });
      }
    },
  };
}
