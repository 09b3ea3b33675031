/**
 * Forwarding one request to one upstream instance with undici's dispatcher
 * API, streaming both ways: the client's body is handed to undici as a
 * stream (never buffered), and response chunks go straight to the client
 * socket, with undici paused while the client is slow (backpressure).
 *
 * The handler implements undici's original callbacks (onConnect, onHeaders,
 * onData, onComplete, onError). undici 7 still drives every request through
 * them; a handler with the newer controller callbacks is wrapped in an
 * adapter that also parses each response's headers into an object, which
 * the gateway would then only flatten again. Here the raw header Buffers go
 * straight into the flat list `res.writeHead` takes, in one call, so node
 * builds and validates the response head once (no `setHeader` map).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { Dispatcher } from 'undici';
import { responseHeaderList } from './forwarded-headers.js';
import { classifyUpstreamError, UpstreamError } from './upstream-error.js';

export interface ForwardOptions {
  readonly service: string;
  readonly method: string;
  /** Rewritten path with query. */
  readonly path: string;
  /** Flat `[name, value, …]` list. */
  readonly headers: string[];
  /** The client's Content-Length and Transfer-Encoding, which say whether there is a body to stream. */
  readonly contentLength: string | undefined;
  readonly transferEncoding: string | undefined;
  /** The gateway's own response headers (flat list); the upstream's win where both set one. */
  readonly responseHeaders: string[];
  /** Time allowed for the response headers, ms. */
  readonly timeoutMs: number;
  /** Largest body accepted; enforced while streaming when the client sends no Content-Length. */
  readonly bodyLimitBytes: number;
  /** True once the gateway is shutting down: the response then closes its connection so the drain can finish. */
  readonly draining: () => boolean;
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

function requestBody(req: IncomingMessage, options: ForwardOptions): Readable | null {
  const length = options.contentLength;
  if (length !== undefined) return length === '0' ? null : req;
  if (options.transferEncoding === undefined) return null;
  const limited = new ByteLimit(options.bodyLimitBytes);
  req.on('error', (err) => limited.destroy(err));
  return req.pipe(limited);
}

/**
 * One request's trip through one upstream instance. Built by the gateway
 * per request and kept on the request's state, so the one `close` listener
 * of the response can stop the upstream exchange when the client leaves.
 */
export class ProxyExchange implements Dispatcher.DispatchHandler {
  started = false;
  done = false;
  status = 0;
  #abort: ((err?: Error) => void) | undefined;
  #resume: (() => void) | undefined;
  #clientGone: Error | undefined;
  #resolve: ((status: number) => void) | undefined;
  #reject: ((err: unknown) => void) | undefined;
  #onDone: ((outcome: 'success' | 'failure') => void) | undefined;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly options: ForwardOptions,
  ) {}

  /**
   * Sends the request upstream and pipes the answer into the response.
   * Resolves with the status once the upstream's headers are written to the
   * client; rejects before that with an {@link UpstreamError} (or
   * {@link BodyTooLargeError}), leaving the response untouched so the
   * caller can answer with a problem. `onDone` is called once when the
   * exchange is over, with whether it says the instance is unwell.
   */
  start(dispatcher: Dispatcher, onDone: (outcome: 'success' | 'failure') => void): Promise<number> {
    this.#onDone = onDone;
    const answered = new Promise<number>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    const { options } = this;
    try {
      dispatcher.dispatch(
        {
          method: options.method as Dispatcher.HttpMethod,
          path: options.path,
          headers: options.headers,
          body: requestBody(this.req, options),
          headersTimeout: options.timeoutMs,
          bodyTimeout: 0,
        },
        this,
      );
    } catch (err) {
      this.done = true;
      onDone('failure');
      this.#reject!(err instanceof UpstreamError ? err : classifyUpstreamError(err, options.service));
    }
    return answered;
  }

  /** The client closed its connection: stop the upstream exchange too. */
  clientGone(): void {
    if (this.done) return;
    this.#clientGone = new Error('client closed the connection');
    this.#abort?.(this.#clientGone);
  }

  onConnect(abort: (err?: Error) => void): void {
    this.#abort = abort;
    if (this.#clientGone !== undefined) abort(this.#clientGone);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true;
    this.#resume = resume;
    const headers = responseHeaderList(rawHeaders, this.options.responseHeaders);
    // Connection is hop-by-hop, so the upstream's never reaches this list; ours closes the client connection during a drain.
    if (this.options.draining() && !this.options.responseHeaders.includes('connection')) headers.push('connection', 'close');
    // Started only once node took the head: if it ever refused a header undici let through, onError would still answer 502.
    this.res.writeHead(statusCode, headers);
    this.started = true;
    this.status = statusCode;
    this.#resolve!(statusCode);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.res.write(chunk)) return true;
    this.res.once('drain', this.#resume!);
    return false;
  }

  onComplete(): void {
    this.done = true;
    this.res.end();
    this.#onDone!(this.status >= 500 ? 'failure' : 'success');
  }

  onError(err: Error): void {
    if (this.done) return;
    this.done = true;
    const onDone = this.#onDone!;
    if (this.#clientGone !== undefined) {
      // Our abort: the client left, the instance did nothing wrong.
      onDone('success');
      if (!this.started) this.#reject!(err);
      return;
    }
    if (err instanceof BodyTooLargeError || (err as { cause?: unknown }).cause instanceof BodyTooLargeError) {
      onDone('success');
      if (!this.started) this.#reject!(err instanceof BodyTooLargeError ? err : (err as { cause: BodyTooLargeError }).cause);
      else this.res.destroy(err);
      return;
    }
    onDone('failure');
    if (this.started) this.res.destroy(err);
    else this.#reject!(classifyUpstreamError(err, this.options.service));
  }
}
