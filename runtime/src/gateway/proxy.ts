/**
 * Forwarding one request to one upstream instance with undici's dispatcher
 * API, streaming both ways: the client's body is handed to undici as a
 * stream (never buffered), and response chunks go straight to the client
 * socket, with undici paused while the client is slow (backpressure). The
 * low-level handler avoids the Readable/Writable wrappers of
 * `request()`/`stream()` on the hot path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { Dispatcher } from 'undici';
import { stripResponseHopHeaders } from './forwarded-headers.js';
import { classifyUpstreamError, UpstreamError } from './upstream-error.js';

export interface ForwardOptions {
  readonly dispatcher: Dispatcher;
  readonly service: string;
  readonly method: string;
  /** Rewritten path with query. */
  readonly path: string;
  /** Flat `[name, value, …]` list. */
  readonly headers: string[];
  /** Time allowed for the response headers, ms. */
  readonly timeoutMs: number;
  /** Largest body accepted; enforced while streaming when the client sends no Content-Length. */
  readonly bodyLimitBytes: number;
  /** True once the gateway is shutting down: the response then closes its connection so the drain can finish. */
  readonly draining: () => boolean;
  /** Called once when the exchange is over, with whether it says the instance is unwell. */
  readonly onDone: (outcome: 'success' | 'failure') => void;
}

/** The client's body went past the route's limit while streaming. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  readonly code = 'BODY_TOO_LARGE';
  constructor(readonly limitBytes: number) {
    super(`Request body exceeds ${limitBytes} bytes`);
  }
}

class ByteLimit extends Transform {
  #seen = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.limit) callback(new BodyTooLargeError(this.limit));
    else callback(null, chunk);
  }
}

function requestBody(req: IncomingMessage, limit: number): Readable | null {
  const length = req.headers['content-length'];
  if (length !== undefined) return length === '0' ? null : req;
  if (req.headers['transfer-encoding'] === undefined) return null;
  const limited = new ByteLimit(limit);
  req.on('error', (err) => limited.destroy(err));
  return req.pipe(limited);
}

type DispatchController = Parameters<NonNullable<Dispatcher.DispatchHandler['onRequestStart']>>[0];

class ProxyHandler implements Dispatcher.DispatchHandler {
  controller: DispatchController | undefined;
  started = false;
  done = false;
  status = 0;
  #clientGone: Error | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly options: ForwardOptions,
    private readonly resolve: (status: number) => void,
    private readonly reject: (err: unknown) => void,
  ) {}

  /** The client closed its connection: stop the upstream exchange too. */
  clientGone(): void {
    if (this.done) return;
    this.#clientGone = new Error('client closed the connection');
    this.controller?.abort(this.#clientGone);
  }

  onRequestStart(controller: DispatchController): void {
    this.controller = controller;
    if (this.#clientGone !== undefined) controller.abort(this.#clientGone);
  }

  onResponseStart(controller: DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return;
    this.started = true;
    this.status = statusCode;
    if (this.options.draining()) this.res.setHeader('connection', 'close');
    this.res.writeHead(statusCode, stripResponseHopHeaders(headers) as Record<string, string | string[]>);
    this.resolve(statusCode);
  }

  onResponseData(controller: DispatchController, chunk: Buffer): void {
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.done = true;
    this.res.end();
    this.options.onDone(this.status >= 500 ? 'failure' : 'success');
  }

  onResponseError(_controller: DispatchController, err: Error): void {
    if (this.done) return;
    this.done = true;
    if (this.#clientGone !== undefined) {
      // Our abort: the client left, the instance did nothing wrong.
      this.options.onDone('success');
      if (!this.started) this.reject(err);
      return;
    }
    if (err instanceof BodyTooLargeError || (err as { cause?: unknown }).cause instanceof BodyTooLargeError) {
      this.options.onDone('success');
      if (!this.started) this.reject(err instanceof BodyTooLargeError ? err : (err as { cause: BodyTooLargeError }).cause);
      else this.res.destroy(err);
      return;
    }
    this.options.onDone('failure');
    if (this.started) this.res.destroy(err);
    else this.reject(classifyUpstreamError(err, this.options.service));
  }
}

/**
 * Sends `req` upstream and pipes the answer into `res`. Resolves with the
 * status once the upstream's headers are written to the client; rejects
 * before that with an {@link UpstreamError} (or {@link BodyTooLargeError}),
 * leaving `res` untouched so the caller can answer with a problem.
 */
export function forward(req: IncomingMessage, res: ServerResponse, options: ForwardOptions): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const handler = new ProxyHandler(res, options, resolve, reject);
    res.once('close', () => {
      if (!res.writableFinished) handler.clientGone();
    });
    try {
      options.dispatcher.dispatch(
        {
          method: options.method as Dispatcher.HttpMethod,
          path: options.path,
          headers: options.headers,
          body: requestBody(req, options.bodyLimitBytes),
          headersTimeout: options.timeoutMs,
          bodyTimeout: 0,
        },
        handler,
      );
    } catch (err) {
      handler.done = true;
      options.onDone('failure');
      reject(err instanceof UpstreamError ? err : classifyUpstreamError(err, options.service));
    }
  });
}
