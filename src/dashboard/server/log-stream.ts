/**
 * The Logs page's stream: `Target.logs` followed with the page's filters
 * (services, lowest level, text, trace id), the lines batched every 100 ms
 * into one server-sent event, so thousands of lines a second cost the page
 * ten messages, not thousands.
 */
import { traceIdOf } from '../../logs/log-filter.js';
import { entryFieldsText } from '../../logs/log-format.js';
import { LEVELS } from '../../logs/log-line.js';
import type { LogEntry, LogQuery, Target } from '../../targets/target.js';
import type { EventStream } from './event-stream.js';

/** One line as the page shows it; short keys, since there are many. */
export interface PageLogLine {
  readonly t: number;
  readonly l: number;
  readonly s: string;
  readonly i: string;
  readonly m: string;
  /** The fields after the message, as `msx logs` prints them (`method=GET path=/users …`). */
  readonly f?: string;
  readonly tr?: string;
}

const BATCH_MS = 100;
const TAIL = 500;

/** The query from the stream's URL: `?service=a,b&level=warn&q=text&trace=id`. Undefined and a message for a bad level. */
export function logQueryOf(url: URL): LogQuery | string {
  const level = url.searchParams.get('level') || undefined;
  const minLevel = level === undefined ? undefined : LEVELS[level.toLowerCase()];
  if (level !== undefined && minLevel === undefined) return `level must be one of ${Object.keys(LEVELS).join(', ')}`;
  const services = (url.searchParams.get('service') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return {
    sources: services,
    follow: true,
    since: undefined,
    minLevel,
    grep: url.searchParams.get('q') || undefined,
    trace: url.searchParams.get('trace') || undefined,
    tail: TAIL,
  };
}

function pageLine(entry: LogEntry): PageLogLine {
  const trace = traceIdOf(entry);
  const fields = entryFieldsText(entry);
  return { t: entry.time, l: entry.level, s: entry.service, i: entry.instance, m: entry.msg, ...(fields ? { f: fields } : {}), ...(trace ? { tr: trace } : {}) };
}

export async function streamLogs(target: Target, query: LogQuery, stream: EventStream): Promise<void> {
  let batch: PageLogLine[] = [];
  const flush = () => {
    if (batch.length === 0) return;
    stream.send('logs', batch);
    batch = [];
  };
  const timer = setInterval(flush, BATCH_MS);
  try {
    await target.logs(query, (entry) => batch.push(pageLine(entry)), stream.closed);
  } catch (error) {
    if (!stream.closed.aborted) stream.send('failure', { message: (error as Error).message });
  } finally {
    clearInterval(timer);
    flush();
  }
}
