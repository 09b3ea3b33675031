import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Attributes, AttributeValue, HrTime, Link } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter, TimedEvent } from '@opentelemetry/sdk-trace-base';

/**
 * A span exporter that POSTs OTLP/HTTP JSON (`ExportTraceServiceRequest`,
 * the "JSON Protobuf Encoding" of opentelemetry-proto) with `node:http`.
 *
 * It replaces `@opentelemetry/exporter-trace-otlp-http`, whose transformer
 * pulls the metrics and logs SDKs into every traced service: this one costs
 * an idle instance a few kilobytes instead of megabytes, and no start-up.
 * Same wire format and the same environment: `OTEL_EXPORTER_OTLP[_TRACES]_HEADERS`
 * (`key=value,...`, values URL-encoded) and `OTEL_EXPORTER_OTLP[_TRACES]_TIMEOUT`
 * (milliseconds, default 10 000). Like the SDK's exporter it retries a
 * request answered 429, 502, 503 or 504 (or not answered) with exponential
 * backoff within the timeout, honours `Retry-After`, and does not compress.
 */
export interface OtlpJsonExporterOptions {
  /** The full traces URL, `…/v1/traces`. */
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Per export, retries included. Default from the environment, else 10 000 ms. */
  readonly timeoutMs?: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A span's kind in the SDK (INTERNAL = 0) is OTLP's minus one (UNSPECIFIED = 0). */
const KIND_OFFSET = 1;
const FLAGS_HAS_IS_REMOTE = 0x100;
const FLAGS_IS_REMOTE = 0x200;
const RETRYABLE = new Set([429, 502, 503, 504]);
const MAX_ATTEMPTS = 5;
const INITIAL_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 5000;

type KeyValue = { key: string; value: AnyValue };
type AnyValue =
  | { stringValue: string }
  | { intValue: number }
  | { doubleValue: number }
  | { boolValue: boolean }
  | { bytesValue: string }
  | { arrayValue: { values: AnyValue[] } }
  | { kvlistValue: { values: KeyValue[] } }
  | Record<string, never>;

/** `[seconds, nanoseconds]` as a decimal string of unix nanoseconds, exact beyond 2^53. */
export function hrTimeToNanos(time: HrTime): string {
  const [seconds, nanos] = time;
  if (seconds === 0) return String(nanos);
  return `${seconds}${String(nanos).padStart(9, '0')}`;
}

function anyValue(value: unknown): AnyValue {
  switch (typeof value) {
    case 'string':
      return { stringValue: value };
    case 'number':
      return Number.isInteger(value) ? { intValue: value } : { doubleValue: value };
    case 'boolean':
      return { boolValue: value };
    case 'object':
      if (value === null) return {};
      if (value instanceof Uint8Array) return { bytesValue: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
      if (Array.isArray(value)) return { arrayValue: { values: value.map(anyValue) } };
      return { kvlistValue: { values: Object.keys(value).map((key) => ({ key, value: anyValue((value as Record<string, unknown>)[key]) })) } };
    default:
      return {};
  }
}

function keyValues(attributes: Attributes | undefined): KeyValue[] {
  if (attributes === undefined) return [];
  const out: KeyValue[] = [];
  for (const key in attributes) out.push({ key, value: anyValue(attributes[key] as AttributeValue | undefined) });
  return out;
}

function flags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | FLAGS_HAS_IS_REMOTE | (isRemote === true ? FLAGS_IS_REMOTE : 0);
}

function event(e: TimedEvent) {
  return { timeUnixNano: hrTimeToNanos(e.time), name: e.name, attributes: keyValues(e.attributes), droppedAttributesCount: e.droppedAttributesCount ?? 0 };
}

function link(l: Link) {
  return {
    traceId: l.context.traceId,
    spanId: l.context.spanId,
    traceState: l.context.traceState?.serialize(),
    attributes: keyValues(l.attributes),
    droppedAttributesCount: l.droppedAttributesCount ?? 0,
    flags: flags(l.context.traceFlags, l.context.isRemote),
  };
}

function span(s: ReadableSpan) {
  const ctx = s.spanContext();
  const parent = s.parentSpanContext;
  return {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    parentSpanId: parent?.spanId || undefined,
    traceState: ctx.traceState?.serialize(),
    name: s.name,
    kind: s.kind + KIND_OFFSET,
    startTimeUnixNano: hrTimeToNanos(s.startTime),
    endTimeUnixNano: hrTimeToNanos(s.endTime),
    attributes: keyValues(s.attributes),
    droppedAttributesCount: s.droppedAttributesCount,
    events: s.events.map(event),
    droppedEventsCount: s.droppedEventsCount,
    status: { code: s.status.code, message: s.status.message },
    links: s.links.map(link),
    droppedLinksCount: s.droppedLinksCount,
    flags: flags(ctx.traceFlags, parent?.isRemote),
  };
}

/** The `ExportTraceServiceRequest` for `spans`: grouped by resource, then by instrumentation scope. */
export function exportTraceServiceRequest(spans: readonly ReadableSpan[]) {
  const byResource = new Map<ReadableSpan['resource'], Map<string, ReadableSpan[]>>();
  for (const s of spans) {
    let scopes = byResource.get(s.resource);
    if (scopes === undefined) byResource.set(s.resource, (scopes = new Map()));
    const scope = s.instrumentationScope;
    const key = `${scope.name}@${scope.version ?? ''}:${scope.schemaUrl ?? ''}`;
    const list = scopes.get(key);
    if (list === undefined) scopes.set(key, [s]);
    else list.push(s);
  }
  const resourceSpans = [];
  for (const [resource, scopes] of byResource) {
    const scopeSpans = [];
    for (const list of scopes.values()) {
      const scope = list[0]!.instrumentationScope;
      scopeSpans.push({ scope: { name: scope.name, version: scope.version }, spans: list.map(span), schemaUrl: scope.schemaUrl });
    }
    resourceSpans.push({
      resource: { attributes: keyValues(resource.attributes), droppedAttributesCount: 0 },
      scopeSpans,
      schemaUrl: resource.schemaUrl || undefined,
    });
  }
  return { resourceSpans };
}

/** `key=value,key2=value2` (W3C baggage format, values URL-encoded), as the OTLP exporters read it. */
export function parseOtlpHeaders(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (raw ?? '').split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === '') continue;
    try {
      out[key] = decodeURIComponent(value);
    } catch {
      out[key] = value;
    }
  }
  return out;
}

function timeoutFrom(env: Readonly<Record<string, string | undefined>>): number {
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT']) {
    const ms = Number(env[name]?.trim() || NaN);
    if (Number.isFinite(ms) && ms > 0) return ms;
  }
  return 10_000;
}

type Attempt = { ok: true } | { ok: false; retry: boolean; retryAfterMs?: number; error: Error };

function retryAfter(response: IncomingMessage): number | undefined {
  const header = response.headers['retry-after'];
  if (header === undefined) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

export class OtlpJsonTraceExporter implements SpanExporter {
  private readonly url: URL;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly agent: HttpAgent;
  private readonly request: typeof httpRequest;
  private readonly pending = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(options: OtlpJsonExporterOptions) {
    const env = options.env ?? process.env;
    this.url = new URL(options.url);
    this.headers = {
      ...parseOtlpHeaders(env.OTEL_EXPORTER_OTLP_HEADERS),
      ...parseOtlpHeaders(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS),
      ...options.headers,
      'content-type': 'application/json',
    };
    this.timeoutMs = options.timeoutMs ?? timeoutFrom(env);
    const https = this.url.protocol === 'https:';
    this.agent = https ? new HttpsAgent({ keepAlive: true, maxSockets: 2 }) : new HttpAgent({ keepAlive: true, maxSockets: 2 });
    this.request = https ? (httpsRequest as typeof httpRequest) : httpRequest;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.stopped) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('The OTLP exporter is shut down') });
      return;
    }
    let body: Buffer;
    try {
      body = Buffer.from(JSON.stringify(exportTraceServiceRequest(spans)));
    } catch (error) {
      resultCallback({ code: ExportResultCode.FAILED, error: error as Error });
      return;
    }
    const done = this.send(body).then(
      () => resultCallback({ code: ExportResultCode.SUCCESS }),
      (error: Error) => resultCallback({ code: ExportResultCode.FAILED, error }),
    );
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
  }

  private async send(body: Buffer): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    let backoff = INITIAL_BACKOFF_MS;
    for (let attempt = 1; ; attempt++) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`OTLP export to ${this.url.href} timed out after ${this.timeoutMs} ms`);
      const result = await this.post(body, left);
      if (result.ok) return;
      if (!result.retry || attempt >= MAX_ATTEMPTS) throw result.error;
      const wait = result.retryAfterMs ?? Math.random() * backoff;
      if (Date.now() + wait >= deadline) throw result.error;
      await new Promise((resolve) => setTimeout(resolve, wait).unref());
      backoff = Math.min(backoff * 1.5, MAX_BACKOFF_MS);
    }
  }

  private post(body: Buffer, timeoutMs: number): Promise<Attempt> {
    return new Promise((resolve) => {
      const req = this.request(
        this.url,
        { method: 'POST', agent: this.agent, headers: { ...this.headers, 'content-length': body.length }, timeout: timeoutMs },
        (response) => {
          const status = response.statusCode ?? 0;
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => {
            if (status >= 300) chunks.push(chunk);
          });
          response.on('error', (error) => resolve({ ok: false, retry: true, error }));
          response.on('end', () => {
            if (status >= 200 && status < 300) return resolve({ ok: true });
            const text = Buffer.concat(chunks).toString().slice(0, 500);
            resolve({
              ok: false,
              retry: RETRYABLE.has(status),
              retryAfterMs: retryAfter(response),
              error: new Error(`OTLP export to ${this.url.href} failed: HTTP ${status}${text ? `: ${text}` : ''}`),
            });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`OTLP export to ${this.url.href} timed out`)));
      req.on('error', (error) => resolve({ ok: false, retry: true, error }));
      req.end(body);
    });
  }

  async forceFlush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    await this.forceFlush();
    this.agent.destroy();
  }
}
