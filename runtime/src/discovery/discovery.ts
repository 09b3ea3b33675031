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

export interface Discovery {
  /**
   * Healthy instances of `service`, from a cache that is refreshed in the
   * background: this never performs I/O on the request path once warmed.
   * An empty array means "known service, no healthy instance".
   */
  resolve(service: string): Promise<readonly Instance[]>;
  /** Stops background refreshes and deregisters what this process registered. */
  close(): Promise<void>;
}
