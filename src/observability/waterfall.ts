/**
 * The waterfall `msx trace <id>` draws: one row per span, children under
 * their parent (indented), each with its offset from the trace's start and
 * a bar scaled to the terminal. Layout is pure; rendering only adds colour.
 */
import type { SpanRecord } from './span-record.js';
import { isErrorSpan, round, type Trace } from './trace-model.js';

export interface WaterfallRow {
  readonly span: SpanRecord;
  /** Nesting level: 0 for the root. */
  readonly depth: number;
  readonly service: string;
  readonly operation: string;
  readonly offsetMs: number;
  readonly durationMs: number;
  /** First bar cell, 0-based, and bar length in cells (at least 1). */
  readonly barStart: number;
  readonly barLength: number;
  readonly error: boolean;
}

/**
 * Rows in display order: depth-first from the roots, siblings by start
 * time. Spans whose parent is missing (not exported, or dropped) are shown
 * as extra roots rather than lost.
 */
export function layoutWaterfall(trace: Trace, barWidth: number): WaterfallRow[] {
  const width = Math.max(1, Math.floor(barWidth));
  const total = Math.max(trace.end - trace.start, 1e-3);
  const ids = new Set(trace.spans.map((s) => s.spanId));
  const children = new Map<string | undefined, SpanRecord[]>();
  for (const span of trace.spans) {
    const parent = span.parentSpanId !== undefined && ids.has(span.parentSpanId) ? span.parentSpanId : undefined;
    const list = children.get(parent) ?? [];
    list.push(span);
    children.set(parent, list);
  }
  const rows: WaterfallRow[] = [];
  const visit = (span: SpanRecord, depth: number): void => {
    const offset = span.start - trace.start;
    const duration = span.end - span.start;
    const barStart = Math.min(width - 1, Math.floor((offset / total) * width));
    const barLength = Math.max(1, Math.min(width - barStart, Math.round((duration / total) * width)));
    rows.push({
      span,
      depth,
      service: span.service,
      operation: span.name,
      offsetMs: round(offset),
      durationMs: round(duration),
      barStart,
      barLength,
      error: isErrorSpan(span),
    });
    for (const child of children.get(span.spanId) ?? []) visit(child, depth + 1);
  };
  for (const root of children.get(undefined) ?? []) visit(root, 0);
  return rows;
}

export interface RenderOptions {
  /** Colours errors red (and bars by service when true). */
  readonly red: (text: string) => string;
  readonly dim: (text: string) => string;
}

/** Formats a duration for people: `850µs`, `12.3ms`, `1.24s`. */
export function formatDuration(ms: number): string {
  if (ms < 1) return `${Math.round(ms * 1000)}µs`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : Math.round(ms)}ms`;
  return `${(ms / 1000).toFixed(2)}s`;
}

/** The text lines of a waterfall: service, indented operation, offset, duration, bar. */
export function renderWaterfall(rows: readonly WaterfallRow[], barWidth: number, style: RenderOptions): string[] {
  const serviceWidth = Math.max(7, ...rows.map((r) => r.service.length));
  const operationWidth = Math.min(48, Math.max(9, ...rows.map((r) => r.depth * 2 + r.operation.length)));
  const header = `${'service'.padEnd(serviceWidth)}  ${'operation'.padEnd(operationWidth)}  ${'offset'.padStart(8)}  ${'duration'.padStart(8)}  `;
  const lines = [style.dim(header)];
  for (const row of rows) {
    let operation = `${'  '.repeat(row.depth)}${row.operation}`;
    if (operation.length > operationWidth) operation = `${operation.slice(0, operationWidth - 1)}…`;
    const bar = `${' '.repeat(row.barStart)}${'█'.repeat(row.barLength)}`.padEnd(Math.max(1, barWidth));
    const text = `${row.service.padEnd(serviceWidth)}  ${operation.padEnd(operationWidth)}  ${formatDuration(row.offsetMs).padStart(8)}  ${formatDuration(row.durationMs).padStart(8)}  ${bar}`;
    lines.push(row.error ? style.red(`${text}  ✖ ${row.span.statusMessage ?? 'error'}`) : text);
  }
  return lines;
}
