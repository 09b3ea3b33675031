import { linkSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isAlive } from './state-store.js';
import { processStartTime } from './system-processes.js';

/** Who holds `.msx/supervisor.lock`: a process, told from a later one with its pid by its start time. */
export interface LockOwner {
  readonly pid: number;
  /** Clock ticks since boot (/proc/<pid>/stat); absent where there is no /proc. */
  readonly startTime?: number | undefined;
}

export type LockAttempt = { readonly acquired: true } | { readonly acquired: false; readonly holder: LockOwner };

/** A breaker that died while breaking a stale lock leaves its guard; one older than this is ignored. */
const GUARD_STALE_MS = 5_000;

/**
 * One supervisor per system folder. `msx up` takes `.msx/supervisor.lock`
 * before it checks whether the system runs, and the lock stays taken for the
 * supervisor's whole life (a detached one takes it over from the `msx up`
 * that launched it), so of two `msx up` started at once one gets it and the
 * other is refused as if the first were already up, instead of both
 * starting instances that fight over the ports.
 *
 * The lock is a file created atomically with its content (written aside,
 * then hard-linked into place, which fails if it exists) naming its owner's
 * pid and start time. An owner that died (a SIGKILLed supervisor) leaves it
 * behind; it is stale once that pid is gone or belongs to a later process,
 * and the next `up` breaks it under a short-lived guard file, so two
 * processes never both break it and both take it.
 */
export class SupervisorLock {
  constructor(readonly file: string) {}

  /** Takes the lock for `owner` (default this process), unless a live process holds it. */
  acquire(owner: LockOwner = currentProcess()): LockAttempt {
    const candidate = `${this.file}.${process.pid}.tmp`;
    writeFileSync(candidate, `${JSON.stringify(owner)}\n`, { mode: 0o600 });
    try {
      for (let attempt = 0; attempt < 50; attempt++) {
        try {
          linkSync(candidate, this.file);
          return { acquired: true };
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
        const holder = this.holder();
        if (holder && isLive(holder)) return { acquired: false, holder };
        this.#breakStale(holder);
      }
      throw new Error(`could not take ${this.file}: it keeps changing`);
    } finally {
      rmSync(candidate, { force: true });
    }
  }

  /** Hands the lock to another process (the detached supervisor), replacing the content in one rename. Only its current owner calls this. */
  transfer(to: LockOwner): void {
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(to)}\n`, { mode: 0o600 });
    renameSync(temporary, this.file); // replaces in one step: at no moment is the lock absent
  }

  /** Releases the lock if `owner` (default this process) still holds it. */
  release(owner: LockOwner = currentProcess()): void {
    const holder = this.holder();
    if (holder?.pid === owner.pid) rmSync(this.file, { force: true });
  }

  /** The holder, if it is still the process that took the lock (not a later one under its pid). */
  liveHolder(): LockOwner | undefined {
    const holder = this.holder();
    return holder && isLive(holder) ? holder : undefined;
  }

  holder(): LockOwner | undefined {
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<LockOwner>;
      return typeof parsed.pid === 'number' ? { pid: parsed.pid, startTime: parsed.startTime } : undefined;
    } catch {
      return undefined; // gone meanwhile, or not ours: stale
    }
  }

  #breakStale(seen: LockOwner | undefined): void {
    const guard = `${this.file}.break`;
    try {
      writeFileSync(guard, String(process.pid), { flag: 'wx' });
    } catch {
      try {
        if (Date.now() - statSync(guard).mtimeMs > GUARD_STALE_MS) rmSync(guard, { force: true });
      } catch {
        // removed meanwhile
      }
      sleepSync(20);
      return;
    }
    try {
      // Still the stale content we judged? (Another process may have broken it and taken it meanwhile.)
      const now = this.holder();
      if (now?.pid === seen?.pid && now?.startTime === seen?.startTime) rmSync(this.file, { force: true });
    } finally {
      rmSync(guard, { force: true });
    }
  }
}

export function currentProcess(): LockOwner {
  return { pid: process.pid, startTime: processStartTime(process.pid) };
}

export function processOwner(pid: number): LockOwner {
  return { pid, startTime: processStartTime(pid) };
}

function isLive(owner: LockOwner): boolean {
  if (!isAlive(owner.pid)) return false;
  if (owner.startTime === undefined) return true;
  const now = processStartTime(owner.pid);
  return now === undefined || now === owner.startTime;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
