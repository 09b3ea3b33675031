import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { LogEntry, LogQuery } from '../target.js';
import type { LocalPaths } from './local-paths.js';
import { matchesQuery, matchesSource } from '../../logs/log-filter.js';
import { parseLogLine } from '../../logs/log-line.js';

interface Cursor {
  readonly file: string;
  readonly instance: string;
  offset: number;
  partial: string;
}

/**
 * Reads the per-instance log files: first what is there, merged across
 * instances in time order (and cut to the last `tail` lines), then, with
 * `follow`, new lines as they are appended, including files of instances
 * started later (`msx scale`), until `signal` aborts.
 */
export async function readLogs(paths: LocalPaths, query: LogQuery, write: (entry: LogEntry) => void, signal?: AbortSignal): Promise<void> {
  const cursors = new Map<string, Cursor>();
  const discover = (): void => {
    if (!existsSync(paths.logsDir)) return;
    for (const name of readdirSync(paths.logsDir)) {
      if (!name.endsWith('.log')) continue;
      const instance = basename(name, '.log');
      if (cursors.has(instance) || !matchesSource(instance, query.sources)) continue;
      cursors.set(instance, { file: `${paths.logsDir}/${name}`, instance, offset: 0, partial: '' });
    }
  };

  discover();
  let backlog: LogEntry[] = [];
  for (const cursor of cursors.values()) backlog = backlog.concat(readNew(cursor, query));
  // Stable sort: lines of one instance with equal times keep their order.
  backlog.sort((a, b) => a.time - b.time);
  if (query.tail !== undefined) backlog = backlog.slice(Math.max(0, backlog.length - query.tail));
  backlog.forEach(write);
  if (!query.follow) return;

  while (!signal?.aborted) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 250);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
    discover();
    const fresh: LogEntry[] = [];
    for (const cursor of cursors.values()) fresh.push(...readNew(cursor, query));
    fresh.sort((a, b) => a.time - b.time).forEach(write);
  }
}

/** Entries appended to a file since the cursor, keeping an unfinished last line for next time. */
function readNew(cursor: Cursor, query: LogQuery): LogEntry[] {
  let size: number;
  try {
    size = statSync(cursor.file).size;
  } catch {
    return [];
  }
  if (size < cursor.offset) {
    // Truncated by a new `msx up`: start over.
    cursor.offset = 0;
    cursor.partial = '';
  }
  if (size === cursor.offset) return [];
  const buffer = Buffer.alloc(size - cursor.offset);
  const fd = openSync(cursor.file, 'r');
  try {
    readSync(fd, buffer, 0, buffer.length, cursor.offset);
  } finally {
    closeSync(fd);
  }
  cursor.offset = size;
  const lines = (cursor.partial + buffer.toString('utf8')).split('\n');
  cursor.partial = lines.pop() ?? '';
  const out: LogEntry[] = [];
  const service = cursor.instance.replace(/-\d+$/, '');
  for (const line of lines) {
    if (!line) continue;
    const entry = parseLogLine(line, { service, instance: cursor.instance });
    // The file names the instance, whatever the process called itself in the line.
    if (entry && matchesQuery(entry, query)) out.push({ ...entry, instance: cursor.instance });
  }
  return out;
}
