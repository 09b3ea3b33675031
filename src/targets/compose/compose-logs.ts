import { PassThrough, type Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import type Docker from 'dockerode';
import { matchesQuery, matchesSource } from '../../logs/log-filter.js';
import { normalizeLine, parseLogLine } from '../../logs/log-line.js';
import type { LogEntry, LogQuery } from '../target.js';
import { systemContainers, type SystemContainer } from './compose-containers.js';

/** How often a follow looks for containers that scaling or a restart added. */
const DISCOVER_EVERY_MS = 1000;

/**
 * `msx logs` on compose: each container's log through the engine API
 * (stdout and stderr demultiplexed, with the engine's timestamps), parsed
 * like local log files and filtered the same way. Without follow: every
 * matching line of every container in time order (`tail` of them). With
 * follow: that, then new lines as they come, attaching containers that
 * appear (scale, a replaced container) until `signal` aborts.
 */
export async function composeLogs(docker: Docker, project: string, services: readonly string[], query: LogQuery, write: (entry: LogEntry) => void, signal?: AbortSignal): Promise<void> {
  const wanted = (c: SystemContainer) => services.includes(c.service) && matchesSource(c.instance, query.sources);
  const containers = (await systemContainers(docker, project)).filter(wanted);
  const last = new Map<string, string>();
  const backlog: LogEntry[] = [];
  await Promise.all(containers.map(async (c) => {
    const stream = await docker.getContainer(c.containerId).logs({ stdout: true, stderr: true, timestamps: true, follow: false, ...(query.since !== undefined ? { since: Math.floor(query.since / 1000) } : {}) }) as unknown as Buffer;
    for (const line of demuxBuffer(stream)) {
      const entry = toEntry(line, c);
      last.set(c.containerId, line.stamp);
      if (entry && matchesQuery(entry, query)) backlog.push(entry);
    }
  }));
  backlog.sort((a, b) => a.time - b.time);
  for (const entry of query.tail === undefined ? backlog : backlog.slice(Math.max(0, backlog.length - query.tail))) write(entry);
  if (!query.follow || signal?.aborted) return;

  const attached = new Set<string>();
  const streams: Readable[] = [];
  const attach = async (c: SystemContainer, sinceSeconds: number | undefined) => {
    if (attached.has(c.containerId)) return;
    attached.add(c.containerId);
    let stream: Readable;
    try {
      stream = await docker.getContainer(c.containerId).logs({ stdout: true, stderr: true, timestamps: true, follow: true, ...(sinceSeconds !== undefined ? { since: sinceSeconds } : {}) }) as unknown as Readable;
    } catch {
      attached.delete(c.containerId);
      return;
    }
    streams.push(stream);
    const out = new PassThrough();
    const err = new PassThrough();
    docker.modem.demuxStream(stream, out, err);
    stream.on('end', () => {
      out.end();
      err.end();
      // A stopped container's stream ends; if it is started again, the next discovery attaches it anew.
      attached.delete(c.containerId);
    });
    for (const [source, kind] of [[out, 'stdout'], [err, 'stderr']] as const) {
      createInterface({ input: source }).on('line', (text) => {
        const line = splitStamp(text, kind);
        const seen = last.get(c.containerId);
        if (seen !== undefined && line.stamp <= seen) return;
        last.set(c.containerId, line.stamp);
        const entry = toEntry(line, c);
        if (entry && matchesQuery(entry, query)) write(entry);
      });
    }
  };
  const started = Math.floor(Date.now() / 1000);
  for (const c of containers) await attach(c, started - 1);
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      void systemContainers(docker, project).then(async (all) => {
        for (const c of all.filter(wanted)) if (c.state === 'running') await attach(c, last.has(c.containerId) ? undefined : Math.floor(Date.now() / 1000) - 5);
      }, () => undefined);
    }, DISCOVER_EVERY_MS);
    const stop = () => {
      clearInterval(timer);
      for (const s of streams) s.destroy();
      resolve();
    };
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop, { once: true });
  });
}

interface RawLine {
  /** The engine's RFC 3339 timestamp with nanoseconds: sorts as text. */
  readonly stamp: string;
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

function splitStamp(text: string, stream: 'stdout' | 'stderr'): RawLine {
  const space = text.indexOf(' ');
  return space > 0 ? { stamp: text.slice(0, space), stream, text: text.slice(space + 1) } : { stamp: '', stream, text };
}

function toEntry(line: RawLine, c: SystemContainer): LogEntry | undefined {
  if (line.text.trim() === '') return undefined;
  const time = Date.parse(line.stamp);
  const raw = normalizeLine(line.text, line.stream, c.service, c.instance, Number.isFinite(time) ? time : Date.now());
  const entry = parseLogLine(raw, { service: c.service, instance: c.instance });
  // The engine's id names the instance, whatever the process calls itself (its hostname).
  return entry && { ...entry, instance: c.instance, service: c.service, time: entry.time || time };
}

/** The engine's multiplexed log format (8-byte frame headers) of a container without a TTY, as lines. */
function demuxBuffer(buffer: Buffer): RawLine[] {
  const lines: RawLine[] = [];
  const pending: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const kind = buffer[offset] === 2 ? 'stderr' : 'stdout';
    const size = buffer.readUInt32BE(offset + 4);
    pending[kind] += buffer.subarray(offset + 8, offset + 8 + size).toString('utf8');
    offset += 8 + size;
  }
  for (const kind of ['stdout', 'stderr'] as const) {
    for (const text of pending[kind].split('\n')) if (text) lines.push(splitStamp(text, kind));
  }
  return lines;
}
