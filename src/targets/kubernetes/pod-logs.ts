import { Writable } from 'node:stream';
import type { KubeConnection } from './kube-connection.js';

/**
 * The last lines a pod's container wrote: what a failed deploy shows next
 * to the events. A container in CrashLoopBackOff is not running, so when
 * its current log is refused, the previous (crashed) run's log is read.
 */
export async function lastLogLines(connection: KubeConnection, namespace: string, pod: string, container: string | undefined, lines = 20): Promise<string[]> {
  for (const previous of [false, true]) {
    try {
      const text = await readLog(connection, namespace, pod, container, { tailLines: lines, previous });
      if (text.trim() || previous) return text.split('\n').filter((l) => l.length > 0);
    } catch {
      // try the previous run, then give up quietly: the events still say why
    }
  }
  return [];
}

async function readLog(connection: KubeConnection, namespace: string, pod: string, container: string | undefined, options: { tailLines: number; previous: boolean }): Promise<string> {
  const chunks: Buffer[] = [];
  const sink = new Writable({ write(chunk: Buffer, _encoding, callback) { chunks.push(chunk); callback(); } });
  const ended = new Promise<void>((resolve) => sink.on('finish', resolve));
  await new connection.lib.Log(connection.config).log(namespace, pod, container ?? '', sink, { follow: false, tailLines: options.tailLines, previous: options.previous, pretty: false, timestamps: false });
  await ended;
  return Buffer.concat(chunks).toString('utf8');
}

export interface FollowOptions {
  readonly sinceSeconds?: number | undefined;
  readonly tailLines?: number | undefined;
  /** Keep the stream open for new lines (default true). */
  readonly follow?: boolean;
}

/**
 * Streams one container's log, line by line, until the container ends (the
 * API server closes the stream) or `signal` aborts. Resolves then. With
 * `follow: false`, ends after the lines the container has written so far.
 */
export async function followLog(connection: KubeConnection, namespace: string, pod: string, container: string, options: FollowOptions, onLine: (line: string) => void, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  let rest = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const text = rest + chunk.toString('utf8');
      const parts = text.split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) if (line) onLine(line);
      callback();
    },
    final(callback) {
      if (rest) onLine(rest);
      callback();
    },
  });
  const ended = new Promise<void>((resolve) => {
    sink.on('finish', resolve);
    sink.on('close', resolve);
    sink.on('error', () => resolve());
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  const controller = await new connection.lib.Log(connection.config).log(namespace, pod, container, sink, {
    follow: options.follow ?? true,
    pretty: false,
    timestamps: false,
    ...(options.sinceSeconds ? { sinceSeconds: options.sinceSeconds } : {}),
    ...(options.tailLines !== undefined ? { tailLines: options.tailLines } : {}),
  });
  const abort = () => controller.abort();
  signal.addEventListener('abort', abort, { once: true });
  await ended;
  signal.removeEventListener('abort', abort);
}
