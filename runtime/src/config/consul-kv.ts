import { EventEmitter } from 'node:events';
import { connectConsulAgent } from '../discovery/consul-agent.js';

/** One entry of `GET /v1/kv/<prefix>?recurse`, `Value` already decoded from base64 by the `consul` package. */
interface KvEntry {
  readonly Key: string;
  readonly Value: string | null;
}

/**
 * The calls we make, typed as the package behaves at run time: its
 * declarations leave out `watch`'s backoff options, the per-request
 * `timeout` and the data a watch emits.
 */
interface ConsulKvCalls {
  kv: { get: (...args: never[]) => Promise<unknown> };
  watch(options: {
    method: (...args: never[]) => Promise<unknown>;
    options: { key: string; recurse: boolean; wait: string };
    backoffFactor: number;
    backoffMax: number;
  }): EventEmitter & { end(): void };
  destroy(): void;
}

export interface ConsulKvOptions {
  /** The agent's HTTP API, e.g. `http://127.0.0.1:8500`. */
  readonly url: URL;
  readonly token: string | undefined;
  /** Longest a blocking query waits for a change (Consul duration). */
  readonly wait: string;
  /** First retry delay after a failed query, ms; doubles up to `backoffMaxMs`. */
  readonly backoffMs: number;
  readonly backoffMaxMs: number;
}

/** The keys under one prefix, relative to it (`MAX_ITEMS`, not `msx/shop/orders/MAX_ITEMS`). */
export type KvValues = ReadonlyMap<string, string>;

export interface KvPrefixWatch {
  /** Resolves with the first answer for the prefix; rejects when the first query fails. */
  readonly first: Promise<KvValues>;
  /** Every later answer whose index moved: the whole prefix again. */
  onChange(listener: (values: KvValues) => void): void;
  /** The first failed query of an outage (the agent down, 5xx); the watch retries with backoff. */
  onError(listener: (error: unknown) => void): void;
  /**
   * The first answer after an outage. A blocking query whose index did not
   * move stays blocked, so this comes with the next change, not at once.
   */
  onRecover(listener: () => void): void;
  /** Ends the watch and aborts its query in flight. */
  end(): void;
}

/**
 * Consul's key-value store through the `consul` package: a blocking query
 * (`index`/`wait`) per prefix, with the package's own watch, which carries
 * the index, backs off after failures and aborts its request on `end`.
 */
export class ConsulKv {
  readonly #options: ConsulKvOptions;
  #client: Promise<ConsulKvCalls> | undefined;

  constructor(options: ConsulKvOptions) {
    this.#options = options;
  }

  // The driver is loaded on first use, not at import, as discovery does.
  #consul(): Promise<ConsulKvCalls> {
    const { url, token } = this.#options;
    this.#client ??= connectConsulAgent<ConsulKvCalls>(url, token);
    return this.#client;
  }

  watch(prefix: string): KvPrefixWatch {
    const events = new EventEmitter();
    let ended = false;
    let failing = false;
    let watch: (EventEmitter & { end(): void }) | undefined;
    let settle: { resolve: (values: KvValues) => void; reject: (error: unknown) => void } | undefined;
    const first = new Promise<KvValues>((resolve, reject) => {
      settle = { resolve, reject };
    });
    // A rejection nobody awaited yet must not crash the process.
    first.catch(() => undefined);

    void this.#consul().then(
      (api) => {
        if (ended) return;
        watch = api.watch({
          method: api.kv.get,
          options: { key: prefix, recurse: true, wait: this.#options.wait },
          backoffFactor: this.#options.backoffMs,
          backoffMax: this.#options.backoffMaxMs,
        });
        watch.on('change', (data: unknown) => {
          const values = relativeValues(prefix, data);
          if (failing) {
            failing = false;
            events.emit('recover');
          }
          if (settle) {
            settle.resolve(values);
            settle = undefined;
          } else {
            events.emit('change', values);
          }
        });
        watch.on('error', (error: unknown) => {
          if (settle) {
            settle.reject(error);
            settle = undefined;
            return;
          }
          // One report per outage: the watch retries with backoff, and each retry failing is the same news.
          if (failing) return;
          failing = true;
          events.emit('failure', error);
        });
      },
      (cause: unknown) => settle?.reject(new Error('Configuration from Consul needs the `consul` package: npm install consul@2', { cause })),
    );

    return {
      first,
      onChange: (listener) => void events.on('change', listener),
      onError: (listener) => void events.on('failure', listener),
      onRecover: (listener) => void events.on('recover', listener),
      end: () => {
        ended = true;
        watch?.end();
        events.removeAllListeners();
      },
    };
  }

  /** Closes the agent's keep-alive sockets once every watch has ended. */
  async close(): Promise<void> {
    if (!this.#client) return;
    const api = await this.#client.catch(() => undefined);
    api?.destroy();
  }
}

/**
 * The package answers a recursive get with an array of entries, `undefined`
 * when nothing is under the prefix (404). Folders (`Key` ending in `/`,
 * `Value` null) and nested keys are not settings.
 */
function relativeValues(prefix: string, data: unknown): KvValues {
  const values = new Map<string, string>();
  const entries: KvEntry[] = Array.isArray(data) ? (data as KvEntry[]) : data ? [data as KvEntry] : [];
  for (const entry of entries) {
    if (typeof entry.Key !== 'string' || !entry.Key.startsWith(prefix) || entry.Value === null || entry.Value === undefined) continue;
    const key = entry.Key.slice(prefix.length);
    if (key === '' || key.includes('/')) continue;
    values.set(key, String(entry.Value));
  }
  return values;
}
