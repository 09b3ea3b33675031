import type { Instance } from './discovery.js';
import { DiscoveryError } from './discovery-error.js';

export interface InstanceCacheOptions {
  /** Asks the backend for the current healthy instances of one service. */
  readonly load: (service: string) => Promise<readonly Instance[]>;
  /** How often every service seen so far is refreshed in the background, in ms. */
  readonly ttlMs: number;
  /** Told about background refresh failures; the stale list keeps being served. */
  readonly onRefreshError?: (error: unknown, service: string) => void;
}

interface Entry {
  instances: readonly Instance[];
  refreshing: boolean;
}

/**
 * Per-service instance lists for pull-based backends (dns, consul). The
 * first `resolve` of a service waits for the backend; after that, callers
 * always get the cached list at once and a single unref'd interval refreshes
 * every known service, so a slow or dead registry never sits on the request
 * path. A failed refresh keeps the last good list: a registry outage should
 * not take down traffic to instances that are still up.
 */
export class InstanceCache {
  readonly #options: InstanceCacheOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #firstLoads = new Map<string, Promise<readonly Instance[]>>();
  readonly #timer: NodeJS.Timeout;

  constructor(options: InstanceCacheOptions) {
    this.#options = options;
    this.#timer = setInterval(() => this.refreshAll(), options.ttlMs);
    // A cache must never keep a process alive on its own.
    this.#timer.unref();
  }

  async resolve(service: string): Promise<readonly Instance[]> {
    const entry = this.#entries.get(service);
    if (entry) return entry.instances;
    let pending = this.#firstLoads.get(service);
    if (!pending) {
      pending = this.#options
        .load(service)
        .then((instances) => {
          this.#entries.set(service, { instances, refreshing: false });
          return instances;
        })
        .catch((cause: unknown) => {
          throw new DiscoveryError('DISCOVERY_UNAVAILABLE', `Could not resolve instances of service "${service}"`, { cause });
        })
        .finally(() => this.#firstLoads.delete(service));
      this.#firstLoads.set(service, pending);
    }
    return pending;
  }

  /** The cached list, or undefined before the first load of `service` finished. */
  cached(service: string): readonly Instance[] | undefined {
    return this.#entries.get(service)?.instances;
  }

  /** Refreshes every known service now (also what the interval does); never rejects. */
  refreshAll(): Promise<void> {
    const jobs = [...this.#entries].map(async ([service, entry]) => {
      if (entry.refreshing) return;
      entry.refreshing = true;
      try {
        entry.instances = await this.#options.load(service);
      } catch (error) {
        this.#options.onRefreshError?.(error, service);
      } finally {
        entry.refreshing = false;
      }
    });
    return Promise.all(jobs).then(() => undefined);
  }

  close(): void {
    clearInterval(this.#timer);
    this.#entries.clear();
  }
}
