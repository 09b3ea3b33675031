import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { msx } from './msx.js';

/** One row of `msx ps --json`. */
export interface PsRow {
  id: string;
  service: string;
  pid?: number;
  port: number;
  state: string;
  ready: boolean;
  restarts: number;
  /** When the current run started, ms since epoch. */
  startedAt?: number;
}

/**
 * A generated system under `msx up` in a test: reads its supervisor state and
 * `msx ps`, and remembers every pid msx ever reported so `killLeftovers` can
 * make sure a failed test leaves nothing running.
 */
export class LocalSystem {
  readonly seenPids = new Set<number>();

  constructor(readonly root: string) {}

  state(): { supervisor: { pid: number; watching?: boolean }; instances: PsRow[] } {
    return JSON.parse(readFileSync(join(this.root, '.msx', 'state.json'), 'utf8'));
  }

  async ps(): Promise<PsRow[]> {
    const result = await msx(['ps', '--json'], { cwd: this.root });
    assert.equal(result.exitCode, 0, result.stderr);
    // pid and port are the local target's details; a row carries them on top for the tests' convenience.
    const rows = (JSON.parse(result.stdout) as (Omit<PsRow, 'pid' | 'port'> & { details: { pid?: number; port: number } })[])
      .map(({ details, ...row }) => ({ ...row, pid: details.pid, port: details.port }));
    rows.forEach((r) => r.pid && this.seenPids.add(r.pid));
    return rows;
  }

  killLeftovers(): void {
    for (const pid of this.seenPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
}

/**
 * Whether `pid` still runs. A zombie (exited, waiting for its parent to reap
 * it — a detached supervisor's new parent may take seconds on a loaded
 * machine) runs nothing, so it counts as gone.
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Polls `probe` until it returns a value, failing after `timeoutMs`. A probe
 * that throws fails the wait at once, unless `retryOnError` makes errors
 * count as "not yet" (for endpoints that may still be starting).
 */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000, options: { retryOnError?: boolean } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = options.retryOnError ? await probe().catch(() => undefined) : await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
