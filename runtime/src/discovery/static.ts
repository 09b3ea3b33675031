import type { Discovery, Instance } from './discovery.js';
import { DiscoveryError } from './discovery-error.js';

export interface StaticDiscoveryOptions {
  /**
   * Instances per service, e.g. `{ users: ['http://127.0.0.1:3001'] }`.
   * Services not listed here are looked up in `env`.
   */
  readonly services?: Readonly<Record<string, readonly string[]>>;
  /** Where `MSX_SERVICE_<NAME>_URLS` is read from. Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

/** `users-api` → `MSX_SERVICE_USERS_API_URLS`. */
export function staticUrlsVariable(service: string): string {
  return `MSX_SERVICE_${service.toUpperCase().replace(/-/g, '_')}_URLS`;
}

function toInstances(service: string, urls: readonly string[], source: string): Instance[] {
  return urls.map((raw, i) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch (cause) {
      throw new DiscoveryError('DISCOVERY_CONFIG_INVALID', `Expected ${source} to hold http(s) URLs, got ${JSON.stringify(raw)}`, { cause });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new DiscoveryError('DISCOVERY_CONFIG_INVALID', `Expected ${source} to hold http(s) URLs, got ${JSON.stringify(raw)}`);
    }
    return { id: `${service}-${i + 1}`, service, url: url.origin + url.pathname.replace(/\/+$/, '') };
  });
}

/**
 * Fixed instance lists from options or the environment
 * (`MSX_SERVICE_<NAME>_URLS=http://127.0.0.1:3001,http://127.0.0.1:3002`).
 * The environment does not change while a process runs, so each service's
 * list is parsed once, on first use, and kept; there is nothing to refresh.
 * A service with no variable resolves to no instances.
 */
export function createStaticDiscovery(options: StaticDiscoveryOptions = {}): Discovery {
  const env = options.env ?? process.env;
  const cache = new Map<string, readonly Instance[]>();
  for (const [service, urls] of Object.entries(options.services ?? {})) {
    cache.set(service, Object.freeze(toInstances(service, urls, `the \`services.${service}\` option`)));
  }
  return {
    kind: 'static',
    async resolve(service) {
      let instances = cache.get(service);
      if (!instances) {
        const variable = staticUrlsVariable(service);
        const urls = (env[variable] ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
        instances = Object.freeze(toInstances(service, urls, variable));
        cache.set(service, instances);
      }
      return instances;
    },
    cached: (service) => cache.get(service),
    async register() {},
    async close() {},
  };
}
