import type { LogEntry, LogQuery } from '../targets/target.js';

/**
 * Whether a log file (named after its instance) belongs to the requested
 * sources: a source is a service name (`users` takes `users-1`, `users-2`)
 * or an instance id (`users-2`).
 */
export function matchesSource(instanceId: string, sources: readonly string[]): boolean {
  if (sources.length === 0) return true;
  return sources.some((source) => instanceId === source || (instanceId.startsWith(`${source}-`) && /^\d+$/.test(instanceId.slice(source.length + 1))));
}

/** The trace id a line carries, under any of the names the runtime and OpenTelemetry use. */
export function traceIdOf(entry: LogEntry): string | undefined {
  for (const key of ['traceId', 'trace_id', 'traceID']) {
    const value = entry.fields[key];
    if (typeof value === 'string' && value) return value;
  }
  return undefined;
}

/**
 * Whether one entry passes `--since`, `--level`, `--grep` and `--trace`.
 * `--trace` matches a trace id, and also a request id, so one request can be
 * followed across services before tracing adds trace ids to every line.
 */
export function matchesQuery(entry: LogEntry, query: Pick<LogQuery, 'since' | 'minLevel' | 'grep' | 'trace'>): boolean {
  if (query.since !== undefined && entry.time < query.since) return false;
  if (query.minLevel !== undefined && entry.level < query.minLevel) return false;
  if (query.grep !== undefined && !entry.raw.toLowerCase().includes(query.grep.toLowerCase())) return false;
  if (query.trace !== undefined) {
    const ids = [traceIdOf(entry), entry.fields.requestId, entry.fields.reqId];
    if (!ids.includes(query.trace)) return false;
  }
  return true;
}
