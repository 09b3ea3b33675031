/**
 * A small real file system for disk-full tests: a tmpfs mounted on a fresh
 * temporary folder (needs root, as on CI and this machine; elsewhere the
 * tests that need it skip and say why). `fill` takes every free byte;
 * `cleanup` unmounts and removes the folder.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallDisk {
  readonly dir: string;
  /** Fills the disk until a write fails (a file `filler` holds the space). */
  fill(): void;
  /** Frees what `fill` took. */
  unfill(): void;
  cleanup(): void;
}

/** Mounts a tmpfs of `sizeMb`; undefined when mounting is not permitted here. */
export function mountSmallDisk(sizeMb: number): SmallDisk | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'msx-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  const filler = join(dir, 'filler');
  return {
    dir,
    fill() {
      // dd stops with "No space left on device" once the disk is full; that is the point.
      try { execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' }); } catch { /* full */ }
    },
    unfill() {
      rmSync(filler, { force: true });
    },
    cleanup() {
      try { execFileSync('umount', ['-l', dir], { stdio: 'ignore' }); } catch { /* not mounted */ }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
