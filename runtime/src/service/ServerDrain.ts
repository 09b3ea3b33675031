import type { IncomingMessage, Server, ServerResponse } from 'node:http';

export interface DrainResult {
  /** Requests still running when the timeout expired; their sockets were destroyed. */
  readonly abandoned: number;
}

/**
 * Stops an HTTP server without dropping the requests it is serving. Once
 * draining begins, the listening socket closes (new connections are
 * refused), idle keep-alive connections are closed, and every response
 * still to be sent says `Connection: close`, so each busy connection ends
 * after its current response. What is still running after the timeout is
 * cut.
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
    return new Promise((resolve) => {
      let abandoned = 0;
      const timer = setTimeout(() => {
        abandoned = this.#inFlight.size;
        this.#server.closeAllConnections();
      }, timeoutMs);
      this.#server.close(() => {
        clearTimeout(timer);
        resolve({ abandoned });
      });
      this.#server.closeIdleConnections();
    });
  }
}
