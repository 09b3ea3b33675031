/**
 * Traces assembled from stored spans, and the one-line summary `msx trace`
 * lists. Pure functions of data: no files, no clock.
 */
import type { SpanRecord } from './span-record.js';

export interface Trace {
  readonly traceId: string;
  /** Every span once, by start time. */
  readonly spans: readonly SpanRecord[];
  /** The span without a parent (or whose parent never arrived), earliest first. */
  readonly root: SpanRecord;
  readonly start: number;
  readonly end: number;
}

export interface TraceSummary {
  readonly traceId: string;
  /** The root span's name: `POST /api/orders`. */
  readonly root: string;
  readonly rootService: string;
  /** The root's HTTP status when it has one, else `ok` or `error`. */
  readonly status: string;
  readonly durationMs: number;
  /** Services in the order they joined the trace. */
  readonly services: readonly string[];
  readonly spans: number;
  readonly errors: number;
  /** ISO time of the first span. */
  readonly startedAt: string;
}

/** A span that failed: status ERROR, or a 5xx answer. */
export function isErrorSpan(span: SpanRecord): boolean {
  if (span.status === 'error') return true;
  const status = span.attributes['http.response.status_code'];
  return typeof status === 'number' && status >= 500 && (span.kind === 'server' || span.kind === 'client');
}

/** Groups spans into traces, newest trace first; duplicate deliveries of a span are kept once. */
export function buildTraces(spans: readonly SpanRecord[]): Trace[] {
  const byTrace = new Map<string, Map<string, SpanRecord>>();
  for (const span of spans) {
    let group = byTrace.get(span.traceId);
    if (group === undefined) byTrace.set(span.traceId, (group = new Map()));
    group.set(span.spanId, span);
  }
  const traces: Trace[] = [];
  for (const [traceId, group] of byTrace) {
    // Spans starting in the same millisecond: the longer one first, so a parent
    // precedes the child it encloses (and the order does not depend on arrival).
    const ordered = [...group.values()].sort((a, b) => a.start - b.start || b.end - a.end);
    const roots = ordered.filter((s) => s.parentSpanId === undefined || !group.has(s.parentSpanId));
    const root = roots.find((s) => s.parentSpanId === undefined) ?? roots[0] ?? ordered[0]!;
    traces.push({
      traceId,
      spans: ordered,
      root,
      start: ordered[0]!.start,
      end: Math.max(...ordered.map((s) => s.end)),
    });
  }
  return traces.sort((a, b) => b.start - a.start);
}

export function summarizeTrace(trace: Trace): TraceSummary {
  const services: string[] = [];
  for (const span of trace.spans) if (!services.includes(span.service)) services.push(span.service);
  const httpStatus = trace.root.attributes['http.response.status_code'];
  const errors = trace.spans.filter(isErrorSpan).length;
  return {
    traceId: trace.traceId,
    root: trace.root.name,
    rootService: trace.root.service,
    status: typeof httpStatus === 'number' ? String(httpStatus) : isErrorSpan(trace.root) ? 'error' : 'ok',
    durationMs: round(trace.end - trace.start),
    services,
    spans: trace.spans.length,
    errors,
    startedAt: new Date(trace.start).toISOString(),
  };
}

/** Finds a trace by full id or by a unique prefix of at least 8 hex digits. */
export function findTrace(traces: readonly Trace[], id: string): Trace | 'ambiguous' | undefined {
  const wanted = id.toLowerCase();
  const exact = traces.find((t) => t.traceId === wanted);
  if (exact !== undefined || wanted.length < 8) return exact;
  const matches = traces.filter((t) => t.traceId.startsWith(wanted));
  return matches.length > 1 ? 'ambiguous' : matches[0];
}

export function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
