import { closeSync, fsyncSync, openSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/*
 * What making a copy atomic needs: its size up front (to refuse before
 * writing when it cannot fit) and a flush of everything before the rename
 * that publishes it.
 */

/** Total size of the files under `dir`, in bytes (what copying it needs, give or take a block per file). */
export function treeSize(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += treeSize(path);
    else if (entry.isFile()) total += Math.ceil(statSync(path).size / 4096) * 4096;
  }
  return total;
}

/** Flushes every file and folder under `dir` (and `dir` itself) to the disk, so a rename after it publishes complete contents. */
export function fsyncTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) fsyncTree(path);
    else if (entry.isFile()) fsyncPath(path);
  }
  fsyncPath(dir);
}

/** fsync of one file or folder (a folder's fsync makes a rename inside it durable). */
export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

