/**
 * Writes that fail because the database's disk is full. PostgreSQL and the
 * embedded engine both report it as SQLSTATE `53100` (disk_full, e.g.
 * "could not extend file …: No space left on device"); a file write of our
 * own reports Node's `ENOSPC`. Reads keep working meanwhile, so a plain
 * `SELECT 1` readiness check stays green while every write fails:
 * `DiskFullWatch` remembers the failure so readiness can report it.
 */

/** SQLSTATE `53100`, or Node's `ENOSPC`, on the error or its cause. */
export function isDiskFull(error: unknown): boolean {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === '53100' || code === 'ENOSPC') return true;
  }
  return false;
}

export interface DiskFullWatchOptions {
  /** How long after the last write that failed for lack of space readiness stays down. Default 30000 ms. */
  readonly holdMs?: number;
  /** Called on the first such failure after a healthy spell (log it there). */
  readonly onDiskFull?: (error: unknown) => void;
  readonly now?: () => number;
}

/**
 * Remembers the last write that failed for lack of space. There is no
 * cheap way to tell a succeeding write from a read, so the state clears
 * `holdMs` after the last failure: while writes keep failing it stays
 * down, once space is freed it comes back within `holdMs`.
 */
export class DiskFullWatch {
  readonly #holdMs: number;
  readonly #onDiskFull: ((error: unknown) => void) | undefined;
  readonly #now: () => number;
  #last: { at: number; message: string } | undefined;

  constructor(options: DiskFullWatchOptions = {}) {
    this.#holdMs = options.holdMs ?? 30_000;
    this.#onDiskFull = options.onDiskFull;
    this.#now = options.now ?? Date.now;
  }

  /** Looks at a failed query's error; only lack of space counts. */
  readonly observe = (error: unknown): void => {
    if (!isDiskFull(error)) return;
    const wasFull = this.full !== undefined;
    this.#last = { at: this.#now(), message: error instanceof Error ? error.message : String(error) };
    if (!wasFull) this.#onDiskFull?.(error);
  };

  /** The last failure's message while it is within `holdMs`, else undefined. */
  get full(): string | undefined {
    if (this.#last === undefined || this.#now() - this.#last.at > this.#holdMs) return undefined;
    return this.#last.message;
  }

  /** A readiness check: throws, saying why, while writes fail for lack of space. */
  readonly check = (): void => {
    const message = this.full;
    if (message !== undefined) throw new Error(`writes fail for lack of disk space (${message}); free space on the database's disk`);
  };
}
