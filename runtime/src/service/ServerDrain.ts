import type { IncomingMessage, Server, ServerResponse } from 'node:http';

export interface DrainResult {
  /** Requests still running when the timeout expired; their sockets were destroyed. */
  readonly abandoned: number;
}

/**
 * How long idle keep-alive connections stay open once draining begins. A
 * client may have written a request onto an idle connection just as the
 * signal arrived; closing that connection at once would reset a request the
 * client rightly considers sent (the keep-alive race, seen in CI). During
 * the grace such a request is served, with `Connection: close`.
 */
const IDLE_GRACE_MS = 500;

/**
 * Stops an HTTP server without dropping the requests it is serving. Once
 * draining begins, the listening socket closes (new connections are
 * refused), every response still to be sent says `Connection: close`, so
 * each busy connection ends after its current response, and idle
 * keep-alive connections are closed after a short grace. What is still
 * running after the timeout is cut.
 */
export class ServerDrain {
  readonly #server: Server;
  readonly #inFlight = new Set<ServerResponse>();
  #draining = false;

  constructor(server: Server) {
    this.#server = server;
    // Prepended so it runs before the app can answer synchronously.
    server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => this.#track(res));
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  #track(res: ServerResponse): void {
    this.#inFlight.add(res);
    if (this.#draining) res.setHeader('Connection', 'close');
    res.once('close', () => {
      this.#inFlight.delete(res);
      // A connection that just finished its last response is idle now.
      if (this.#draining) setImmediate(() => this.#server.closeIdleConnections());
    });
  }

  /** Drains and closes the server; resolves when every connection is gone. */
  drain(timeoutMs: number): Promise<DrainResult> {
    this.#draining = true;
    for (const res of this.#inFlight) {
      if (!res.headersSent) res.setHeader('Connection', 'close');
    }
    const server = this.#server;
    // http.Server#close() closes idle connections itself; hold that back
    // for the grace by shadowing the method on this instance.
    const closeIdle = Object.getPrototypeOf(server).closeIdleConnections.bind(server) as () => void;
    let graceOver = false;
    server.closeIdleConnections = () => {
      if (graceOver) closeIdle();
    };
    return new Promise((resolve) => {
      let abandoned = 0;
      const grace = setTimeout(() => {
        graceOver = true;
        closeIdle();
      }, Math.min(IDLE_GRACE_MS, timeoutMs));
      const timer = setTimeout(() => {
        abandoned = this.#inFlight.size;
        server.closeAllConnections();
      }, timeoutMs);
      server.close(() => {
        clearTimeout(grace);
        clearTimeout(timer);
        resolve({ abandoned });
      });
    });
  }
}
