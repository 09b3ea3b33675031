import type { LogEntry } from '../targets/target.js';

/** pino's level numbers by name; services log names (`"level":"info"`), older pino numbers. */
export const LEVELS: Readonly<Record<string, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

export function levelNumber(level: unknown): number {
  if (typeof level === 'number') return level;
  if (typeof level === 'string') return LEVELS[level.toLowerCase()] ?? 30;
  return 30;
}

export function levelName(level: number): string {
  if (level >= 60) return 'fatal';
  if (level >= 50) return 'error';
  if (level >= 40) return 'warn';
  if (level >= 30) return 'info';
  if (level >= 20) return 'debug';
  return 'trace';
}

/**
 * Makes one line of an instance's output a JSON log line. Lines that already
 * are JSON objects (pino) are kept byte for byte; anything else (a stack
 * trace on stderr, a Node warning) is wrapped with the time it arrived, so
 * every line of a log file can be filtered by time, level and instance.
 */
export function normalizeLine(text: string, stream: 'stdout' | 'stderr', service: string, instance: string, now: number): string {
  if (text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return text;
    } catch {
      // not JSON after all: wrap it
    }
  }
  return JSON.stringify({ level: stream === 'stderr' ? 'warn' : 'info', time: now, service, instance, stream, msg: text });
}

/** A line the supervisor writes into an instance's log (restarts, crashes), marked `source: msx`. */
export function supervisorLine(service: string, instance: string, level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}, now = Date.now()): string {
  return JSON.stringify({ level, time: now, service, instance, source: 'msx', msg, ...fields });
}

const BASE_FIELDS = new Set(['level', 'time', 'service', 'instance', 'msg', 'pid', 'hostname', 'v']);

/** Parses a normalised log line; undefined for a line that is not a JSON object. */
export function parseLogLine(raw: string, fallback: { service: string; instance: string }): LogEntry | undefined {
  let data: Record<string, unknown>;
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    data = parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) if (!BASE_FIELDS.has(key)) fields[key] = value;
  const time = typeof data.time === 'number' ? data.time : typeof data.time === 'string' ? Date.parse(data.time) : Number.NaN;
  return {
    raw,
    time: Number.isFinite(time) ? time : 0,
    level: levelNumber(data.level),
    service: typeof data.service === 'string' ? data.service : fallback.service,
    instance: typeof data.instance === 'string' ? data.instance : fallback.instance,
    msg: typeof data.msg === 'string' ? data.msg : typeof data.message === 'string' ? data.message : '',
    fields,
  };
}
