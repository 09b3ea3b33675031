/**
 * Service discovery: the one interface every backend (static, local, dns,
 * consul) implements, and that the gateway and the service client consume.
 * Backends live one per file beside this one; `index.ts` resolves
 * configuration to a backend in one place.
 */

/** One reachable copy of a service. */
export interface Instance {
  /** Stable id of this instance, unique within its service (e.g. `orders-2`). */
  readonly id: string;
  /** Service name as written in msx.yaml. */
  readonly service: string;
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:3002`. */
  readonly url: string;
  readonly meta?: Readonly<Record<string, string>>;
}

/** What a process tells a registry about itself (only registries such as Consul use it). */
export interface Registration {
  /** Service name, e.g. `orders`. */
  readonly service: string;
  /** Unique instance id. Default: `<service>-<hostname>-<port>`. */
  readonly id?: string;
  /** Address other processes reach this one at (IP or host name). */
  readonly address: string;
  readonly port: number;
  /** Path of the readiness endpoint the registry polls. Default `/ready`. */
  readonly checkPath?: string;
  /**
   * What the registry reports before its first poll. Consul starts a check
   * critical and polls first at a random moment within its interval, so an
   * instance registered without `passing` is hidden from callers for up to
   * that long. Default: the registry's own (critical).
   */
  readonly initialStatus?: 'passing' | 'critical';
  readonly meta?: Readonly<Record<string, string>>;
}

export interface Discovery {
  /** Backend name (`static`, `local`, `dns`, `consul`), for logs and `/ready`. */
  readonly kind: string;
  /**
   * Healthy instances of `service`, from a cache that is refreshed in the
   * background: this never performs I/O on the request path once warmed.
   * An empty array means "known service, no healthy instance".
   */
  resolve(service: string): Promise<readonly Instance[]>;
  /**
   * The cached instances of `service` without waiting, or `undefined` when
   * the backend has not loaded that service yet (then call `resolve`). Lets
   * the gateway pick an instance on its hot path without a promise per
   * request; optional, so a custom backend may leave it out.
   */
  cached?(service: string): readonly Instance[] | undefined;
  /**
   * Announces this process to the registry. Backends whose source of truth
   * lives elsewhere (environment, the `msx up` supervisor, DNS) do nothing.
   */
  register(self: Registration): Promise<void>;
  /** Stops background refreshes and deregisters what this process registered. */
  close(): Promise<void>;
}
