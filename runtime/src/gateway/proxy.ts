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
import type { CallOutcome } from '../discovery/balancers/balancer.js';
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
 * One request's trip to an upstream instance. Built by the gateway per
 * request and kept on the request's state, so the one `close` listener of
 * the response can stop the upstream exchange when the client leaves.
 * `start` may be called again, on another instance, after an attempt that
 * rejected with `neverReached` (the gateway does so for refused connections).
 */
export class ProxyExchange implements Dispatcher.DispatchHandler {
  started = false;
  done = false;
  status = 0;
  #abort: ((err?: Error) => void) | undefined;
  #resume: (() => void) | undefined;
  #clientGone: Error | undefined;
  /** Whether any byte of the request went out on this attempt (undici reports the body's chunks and the request's end). */
  #written = false;
  #resolve: ((status: number) => void) | undefined;
  #reject: ((err: unknown) => void) | undefined;
  #onDone: ((outcome: CallOutcome) => void) | undefined;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly options: ForwardOptions,
  ) {}

  /**
   * Sends the request upstream and pipes the answer into the response.
   * Resolves with the status once the upstream's headers are written to the
   * client; rejects before that with an {@link UpstreamError} (or
   * {@link BodyTooLargeError}, or the abort error when the client left),
   * leaving the response untouched so the caller can answer with a
   * problem. `onDone` is called once when the attempt is over, with what
   * it says about the instance (see `CallOutcome`).
   */
  start(dispatcher: Dispatcher, onDone: (outcome: CallOutcome) => void): Promise<number> {
    this.#onDone = onDone;
    this.done = false;
    this.#written = false;
    this.#abort = undefined;
    const answered = new Promise<number>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    const { options } = this;
    if (this.#clientGone !== undefined) {
      this.done = true;
      onDone('no-verdict');
      this.#reject!(this.#clientGone);
      return answered;
    }
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
      // undici refused the request as given (a header it does not send, say): the gateway's problem, not the instance's.
      this.done = true;
      const error = err instanceof UpstreamError ? err : classifyUpstreamError(err, options.service, false);
      onDone(error.instanceOutcome);
      this.#reject!(error);
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

  onBodySent(): void {
    this.#written = true;
  }

  /** Not in undici's types, but called by its HTTP/1 client once the whole request is written. */
  onRequestSent(): void {
    this.#written = true;
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
    // The instance answered; only a 5xx says it is unwell (the shared classification's rule for answers).
    this.#onDone!(this.status >= 500 ? 'failure' : 'success');
  }

  onError(err: Error): void {
    if (this.done) return;
    this.done = true;
    const onDone = this.#onDone!;
    // The client left (its socket is gone, so its body stream broke too): the instance did nothing wrong.
    if (this.#clientGone !== undefined || this.req.socket?.destroyed === true) {
      onDone('no-verdict');
      if (!this.started) this.#reject!(this.#clientGone ?? err);
      return;
    }
    if (err instanceof BodyTooLargeError || (err as { cause?: unknown }).cause instanceof BodyTooLargeError) {
      onDone('no-verdict');
      if (!this.started) this.#reject!(err instanceof BodyTooLargeError ? err : (err as { cause: BodyTooLargeError }).cause);
      else this.res.destroy(err);
      return;
    }
    if (this.started) {
      onDone('failure');
      this.res.destroy(err);
      return;
    }
    let error = classifyUpstreamError(err, this.options.service, this.#written);
    // undici's headers timer runs while the body is still being sent: a client that sends it too slowly is not the service's fault.
    if (error.kind === 'timeout' && !this.req.complete && this.requestHasBody()) {
      error = new UpstreamError('client-timeout', this.options.service, 'The request body did not arrive in time', { cause: err });
    }
    // A request whose body was already read in part cannot be sent again.
    if (error.neverReached && this.requestHasBody() && this.req.readableDidRead) {
      error = new UpstreamError(error.kind, this.options.service, error.message, { cause: err, neverReached: false });
    }
    onDone(error.instanceOutcome);
    this.#reject!(error);
  }

  requestHasBody(): boolean {
    const length = this.options.contentLength;
    return length !== undefined ? length !== '0' : this.options.transferEncoding !== undefined;
  }
}
