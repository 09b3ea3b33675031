/**
 * msx's trace collector: an OTLP/HTTP receiver (`POST /v1/traces`, JSON or
 * protobuf, optionally gzip) that keeps every span in a {@link TraceStore}.
 * Locally the supervisor starts it on 127.0.0.1 and gives each instance
 * `OTEL_EXPORTER_OTLP_ENDPOINT=<url>`; on compose and Kubernetes it runs as
 * the `msx-collector` container (collector-main.ts) and also answers
 * `GET /msx/traces?limit=N` with the newest traces as JSON, which is how
 * `msx trace` reads it from outside.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { OtlpDecodeError } from './otlp-error.js';
import { decodeOtlpJson } from './otlp-json.js';
import { decodeOtlpProtobuf } from './otlp-protobuf.js';
import type { SpanRecord } from './span-record.js';
import { recentTraces } from './trace-query.js';
import { TraceStore, type TraceStoreOptions } from './trace-store.js';

export const TRACES_PATH = '/v1/traces';
/** `GET <collector>/msx/traces[?limit=N]`: the newest traces, JSON (Trace[]). */
export const TRACE_QUERY_PATH = '/msx/traces';

export interface TraceCollectorOptions extends TraceStoreOptions {
  /** Default 0: any free port. The standard OTLP/HTTP port is 4318. */
  readonly port?: number;
  /** Largest request body accepted. Default 16 MiB (the exporter's batches are far smaller). */
  readonly maxBodyBytes?: number;
  /** Called after each batch is stored (tests, `msx up` progress). */
  readonly onSpans?: (spans: readonly SpanRecord[]) => void;
  /** Address to listen on. Default 127.0.0.1; 0.0.0.0 in a container. */
  readonly host?: string;
  /** Also answer {@link TRACE_QUERY_PATH} (in a container, where `msx trace` cannot read the files). */
  readonly serveQueries?: boolean;
}

export interface TraceCollector {
  /** `http://127.0.0.1:<port>`: the value for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  readonly url: string;
  /** `<url>/v1/traces`: the value for `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`. */
  readonly tracesUrl: string;
  readonly store: TraceStore;
  /** Stops listening and waits for stored writes. */
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new HttpError(413, `The body is larger than ${limit} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Decodes an export request by its content type. */
export function decodeExportRequest(contentType: string | undefined, body: Buffer): { spans: SpanRecord[]; protobuf: boolean } {
  const type = (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (type === 'application/json') return { spans: decodeOtlpJson(body), protobuf: false };
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return { spans: decodeOtlpProtobuf(body), protobuf: true };
  throw new HttpError(415, `Expected Content-Type application/json or application/x-protobuf, got ${JSON.stringify(contentType ?? '')}`);
}

export async function startTraceCollector(options: TraceCollectorOptions): Promise<TraceCollector> {
  const store = new TraceStore(options);
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const [path, query] = (req.url ?? '/').split('?', 2) as [string, string | undefined];
    if (options.serveQueries && path === TRACE_QUERY_PATH && (req.method === 'GET' || req.method === 'HEAD')) {
      await store.flushed();
      const limitText = new URLSearchParams(query ?? '').get('limit');
      const limit = limitText === null ? undefined : Number(limitText);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new HttpError(400, 'limit must be a whole number of 1 or more');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(await recentTraces(store.dir, limit)));
      return;
    }
    if (path !== TRACES_PATH) throw new HttpError(404, `Only ${TRACES_PATH} is served here`);
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      throw new HttpError(405, `${TRACES_PATH} takes POST`);
    }
    let body = await readBody(req, maxBodyBytes);
    const encoding = req.headers['content-encoding'];
    if (encoding === 'gzip') body = gunzipSync(body, { maxOutputLength: maxBodyBytes });
    else if (encoding !== undefined && encoding !== 'identity') throw new HttpError(415, `Unsupported Content-Encoding ${encoding}`);
    const { spans, protobuf } = decodeExportRequest(req.headers['content-type'], body);
    await store.append(spans);
    options.onSpans?.(spans);
    // An empty ExportTraceServiceResponse: all spans accepted.
    if (protobuf) res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 }).end();
    else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // 400s are final for an OTLP exporter (it drops the batch); 5xx would make it retry.
      const status = error instanceof HttpError ? error.status : error instanceof OtlpDecodeError || (error as { code?: string }).code?.startsWith('ERR_') ? 400 : 500;
      if (res.headersSent) res.destroy();
      else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ code: status, message: (error as Error).message }));
    });
  });
  server.keepAliveTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host === undefined || options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    tracesUrl: `${url}${TRACES_PATH}`,
    store,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await store.flushed();
      })();
      return closing;
    },
  };
}
