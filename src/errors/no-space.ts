import { readFileSync, realpathSync, statfsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { CliError } from './cli-error.js';

/**
 * msx could not store what it needs because the disk holding `folder` is
 * full. Carries what a user needs to act: which disk, how much
 * is free, how much was needed (when known).
 */
export class NoSpaceError extends Error {
  override readonly name = 'NoSpaceError';
  constructor(
    /** What could not be stored, for a person: `the embedded database of users`. */
    readonly what: string,
    readonly folder: string,
    readonly neededBytes: number | undefined,
    options: { cause?: unknown; /** What to do once space is freed. Default: run the command again. */ then?: string } = {},
  ) {
    const free = freeBytes(folder);
    const disk = diskOf(folder);
    const amounts = [neededBytes === undefined ? undefined : `${formatBytes(neededBytes)} needed`, free === undefined ? undefined : `${formatBytes(free)} free`].filter(Boolean).join(', ');
    super(`no space left on ${disk} for ${what} in ${folder}${amounts ? ` (${amounts})` : ''}`, options);
    this.freeBytes = free;
    this.disk = disk;
    this.then = options.then ?? 'run the command again';
  }

  readonly then: string;

  readonly freeBytes: number | undefined;
  /** The mount point holding `folder`, with its file-system type: `/home (ext4)`. */
  readonly disk: string;

  /** What to do next. */
  get hint(): string {
    const short = this.neededBytes !== undefined && this.freeBytes !== undefined ? this.neededBytes - this.freeBytes : undefined;
    const amount = short !== undefined && short > 0 ? `at least ${formatBytes(short)}` : 'space';
    return `free ${amount} on ${this.disk}, then ${this.then}`;
  }
}

/** Node's ENOSPC on the error or its causes (an engine may wrap it). */
export function isNoSpace(error: unknown): boolean {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ENOSPC' || code === '53100') return true;
    if (e instanceof Error && /No space left on device/.test(e.message)) return true;
  }
  return false;
}

/**
 * What the user reads when a command ran out of disk space: a plain
 * message naming the disk, exit 1, and what to do — never "a bug in msx".
 * A bare ENOSPC from anywhere names the folder it was writing to.
 */
export function noSpaceCliError(error: unknown): CliError | undefined {
  if (!(error instanceof NoSpaceError)) {
    if (!isNoSpace(error)) return undefined;
    const path = (error as { path?: unknown }).path;
    error = new NoSpaceError('what msx writes there', typeof path === 'string' ? dirname(path) : process.cwd(), undefined, { cause: error });
  }
  const noSpace = error as NoSpaceError;
  return new CliError(noSpace.message, { exitCode: 1, hint: noSpace.hint, cause: noSpace });
}

/** Bytes an unprivileged process may still write on the disk holding `path` (its nearest existing ancestor). */
export function freeBytes(path: string): number | undefined {
  try {
    const stats = statfsSync(existingAncestor(path));
    return stats.bavail * stats.bsize;
  } catch {
    return undefined;
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(bytes < 10 * 1024 ** 2 ? 1 : 0)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
}

/** The mount point holding `path` and its type (`/tmp/x (tmpfs)`), from /proc/self/mounts; the folder itself elsewhere. */
export function diskOf(path: string): string {
  let real: string;
  try {
    real = realpathSync(existingAncestor(path));
  } catch {
    return path;
  }
  let best: { mount: string; type: string } | undefined;
  try {
    for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
      const [, rawMount, type] = line.split(' ');
      if (!rawMount || !type) continue;
      const mount = rawMount.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
      const inside = mount === '/' || real === mount || real.startsWith(`${mount}/`);
      if (inside && (!best || mount.length >= best.mount.length)) best = { mount, type };
    }
  } catch {
    return path; // not Linux
  }
  return best ? `${best.mount} (${best.type})` : path;
}

function existingAncestor(path: string): string {
  let current = path;
  for (;;) {
    try {
      statSync(current);
      return current;
    } catch {
      const parent = dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}
