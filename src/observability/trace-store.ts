/**
 * Where the local collector keeps spans: `<system>/.msx/traces/`, one JSON
 * line per span in one file per hour (`spans-2025-06-01T14.jsonl`).
 *
 * Plain files because the writer (the collector inside `msx up`) and the
 * readers (`msx trace`, other processes) then never lock each other out, a
 * person can `grep` them, and the CLI needs no native module. Retention is
 * by whole files: the oldest hours go first once the folder is over
 * `maxBytes` or older than `maxAgeHours`, so the store stays bounded under
 * a load test. A reader skips a torn last line (a write in progress).
 */
import { appendFile, mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { SpanRecord } from './span-record.js';

export interface TraceStoreOptions {
  /** The folder, normally `<system>/.msx/traces`. Created when missing. */
  readonly dir: string;
  /** Total size kept. Default 64 MiB. */
  readonly maxBytes?: number;
  /** Oldest hour kept. Default 48. */
  readonly maxAgeHours?: number;
}

const FILE = /^spans-(\d{4}-\d{2}-\d{2}T\d{2})\.jsonl$/;

/** The file an hour's spans go to (UTC). */
export function spanFileName(time: Date): string {
  return `spans-${time.toISOString().slice(0, 13)}.jsonl`;
}

/** The span files of `dir`, newest first. Missing folder: none. */
export async function spanFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names.filter((n) => FILE.test(n)).sort().reverse();
}

/** Parses one file's text; malformed lines (a torn write) are skipped. */
export function parseSpanLines(text: string): SpanRecord[] {
  const spans: SpanRecord[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const value = JSON.parse(line) as SpanRecord;
      if (typeof value?.traceId === 'string' && typeof value.spanId === 'string') spans.push(value);
    } catch {
      // a line being written right now
    }
  }
  return spans;
}

export interface ReadSpansOptions {
  /** Stop after the newest files that hold at least this many spans (whole files). Default: all. */
  readonly minSpans?: number;
}

/** Reads stored spans, newest files first. */
export async function readSpans(dir: string, options: ReadSpansOptions = {}): Promise<SpanRecord[]> {
  const out: SpanRecord[] = [];
  for (const name of await spanFiles(dir)) {
    out.push(...parseSpanLines(await readFile(join(dir, name), 'utf8')));
    if (options.minSpans !== undefined && out.length >= options.minSpans) break;
  }
  return out;
}

export class TraceStore {
  readonly dir: string;
  readonly #maxBytes: number;
  readonly #maxAgeMs: number;
  #queue: Promise<void> = Promise.resolve();
  #lastSweep = 0;

  constructor(options: TraceStoreOptions) {
    this.dir = options.dir;
    this.#maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.#maxAgeMs = (options.maxAgeHours ?? 48) * 3_600_000;
  }

  /** Appends spans; writes are serialised so lines never interleave. */
  append(spans: readonly SpanRecord[], now = new Date()): Promise<void> {
    if (spans.length === 0) return this.#queue;
    const text = spans.map((s) => `${JSON.stringify(s)}\n`).join('');
    const write = this.#queue.then(async () => {
      await mkdir(this.dir, { recursive: true });
      await appendFile(join(this.dir, spanFileName(now)), text);
      if (now.getTime() - this.#lastSweep > 60_000) {
        this.#lastSweep = now.getTime();
        await this.sweep(now);
      }
    });
    this.#queue = write.catch(() => {});
    return write;
  }

  /** Deletes whole files, oldest first, past the age or size bound; never the current hour's. */
  async sweep(now = new Date()): Promise<string[]> {
    const files = await spanFiles(this.dir);
    const current = spanFileName(now);
    const removed: string[] = [];
    let total = 0;
    for (const name of files) {
      const path = join(this.dir, name);
      const size = (await stat(path).catch(() => undefined))?.size ?? 0;
      const hour = Date.parse(`${FILE.exec(name)![1]}:00:00Z`);
      const tooOld = now.getTime() - hour > this.#maxAgeMs;
      if (name !== current && (tooOld || total + size > this.#maxBytes)) {
        await unlink(path).catch(() => {});
        removed.push(name);
      } else {
        total += size;
      }
    }
    return removed;
  }

  /** Resolves when every append so far is on disk. */
  flushed(): Promise<void> {
    return this.#queue;
  }
}
