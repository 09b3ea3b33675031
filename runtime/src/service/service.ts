import type { Server } from 'node:http';
import type { Express } from 'express';
import type { DestinationStream, Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { BaseConfig, ConfigShape } from './config.js';
import type { Readiness } from './readiness.js';
import type { CloseFn } from './resources.js';

export interface ServiceOptions<S extends ConfigShape = {}> {
  /** The service's name in `msx.yaml`; a DNS-1123 label (`users`, `order-history`). */
  readonly name: string;
  /** The service's own environment variables, as a zod shape keyed by variable name. */
  readonly config?: S;
  /** Largest JSON body accepted, in `bytes` notation. Default `1mb`; the `BODY_LIMIT` variable overrides it. */
  readonly bodyLimit?: string;
  /**
   * Parse JSON request bodies before routes run. Default `true`. A proxy
   * (the gateway) turns it off so bodies stream through untouched.
   */
  readonly parseJsonBody?: boolean;
  /** Where configuration is read from. Default `process.env`; tests pass their own. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where log lines go. Default stdout; tests pass a stream to read them. */
  readonly logDestination?: DestinationStream;
}

export interface ListenOptions {
  /** Default `PORT` from the configuration (required when this is not given); 0 picks a free port (tests). */
  readonly port?: number;
  /** Default `HOST` from the configuration. */
  readonly host?: string;
  /**
   * Install SIGTERM and SIGINT handlers that shut the service down
   * gracefully and then exit the process (0 when everything closed, 1 when
   * a resource failed to). A second signal during shutdown exits at once
   * with 128 + the signal number (143 for SIGTERM, 130 for SIGINT).
   * Default `true`; meant for one service per process. Tests that run
   * several services in one process pass `false` and call `close()`.
   */
  readonly handleSignals?: boolean;
}

export interface ListeningAddress {
  /** `http://host:port`, ready to request. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
}

/** Metrics shared by every part of the runtime living in this service. */
export interface ServiceMetrics {
  /** This service's own registry (not prom-client's global one), served on `/metrics`. */
  readonly registry: Registry;
}

export interface Service<C extends BaseConfig = BaseConfig> {
  readonly name: string;
  /** Validated configuration: the base variables plus the service's own. */
  readonly config: C;
  /** The express 5 app to add routes and middleware to. */
  readonly app: Express;
  /** Root logger; inside a request use `req.log`, which adds the request id. */
  readonly log: Logger;
  readonly metrics: ServiceMetrics;
  /** Dependencies `/ready` reports on. */
  readonly readiness: Readiness;
  /** The HTTP server, once `listen` resolved. */
  readonly server: Server | undefined;
  /** True once shutdown began. */
  readonly closing: boolean;
  /**
   * Registers a resource to close on shutdown. Resources close in reverse
   * registration order, after in-flight requests finished.
   */
  onClose(name: string, close: CloseFn): void;
  /** Starts serving; resolves once the port is bound. @throws ListenError */
  listen(options?: number | ListenOptions): Promise<ListeningAddress>;
  /**
   * Shuts down gracefully: readiness turns 503, after `SHUTDOWN_DELAY_MS`
   * (default 0 here; 3000 when a signal started the shutdown) the server stops accepting,
   * in-flight requests finish (bounded by `SHUTDOWN_TIMEOUT_MS`), then
   * resources close in reverse order. Idempotent; never exits the process.
   * @throws ShutdownError when a resource failed to close (the others still closed).
   */
  close(): Promise<void>;
}
