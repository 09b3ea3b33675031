/**
 * What `msx trace` reads: the newest stored traces, reading only as many
 * hourly files as the listing needs (plus one, for traces that straddle an
 * hour boundary).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SpanRecord } from './span-record.js';
import { parseSpanLines, spanFiles } from './trace-store.js';
import { buildTraces, type Trace } from './trace-model.js';

/** The newest `limit` traces, or every trace when `limit` is undefined. */
export async function recentTraces(dir: string, limit?: number): Promise<Trace[]> {
  const spans: SpanRecord[] = [];
  const seen = new Set<string>();
  let extraFiles = 0;
  for (const name of await spanFiles(dir)) {
    for (const span of parseSpanLines(await readFile(join(dir, name), 'utf8'))) {
      spans.push(span);
      seen.add(span.traceId);
    }
    if (limit !== undefined && seen.size > limit && ++extraFiles > 1) break;
  }
  const traces = buildTraces(spans);
  return limit === undefined ? traces : traces.slice(0, limit);
}
