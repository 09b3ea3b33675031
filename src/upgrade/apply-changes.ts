import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FileChange } from './upgrade-plan.js';

/**
 * Writes a plan's file changes so that they can all be undone: each new
 * content goes beside its file and is renamed over it (a crash mid-write
 * leaves the old file), and `undo()` puts back every original byte, deletes
 * what was created and restores what was deleted. The originals are the
 * plan's own `before` buffers, read when the plan was made. Signals are
 * handled between files (these writes are synchronous), so no interrupt
 * lands between a write and its rename.
 */
export class AppliedChanges {
  readonly #root: string;
  readonly #done: FileChange[] = [];

  constructor(root: string) { this.#root = root; }

  apply(changes: readonly FileChange[], shouldStop: () => boolean = () => false): void {
    for (const change of changes) {
      if (shouldStop()) throw new UpgradeInterrupted();
      putContent(join(this.#root, change.path), change.after);
      this.#done.push(change);
    }
  }

  /** Every file back as it was before `apply`, newest change first. */
  undo(): void {
    for (const change of this.#done.reverse()) putContent(join(this.#root, change.path), change.before);
    this.#done.length = 0;
  }
}

/** Gives the file this content (written beside it, then renamed over it), or deletes it for `undefined`. */
function putContent(path: string, content: Buffer | undefined): void {
  if (content === undefined) {
    rmSync(path, { force: true });
    return;
  }
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.msx-upgrade-${process.pid}`;
  writeFileSync(temp, content);
  renameSync(temp, path);
}

/** Ctrl-C (or SIGTERM) during the upgrade: everything is put back. */
export class UpgradeInterrupted extends Error {
  override readonly name = 'UpgradeInterrupted';
  constructor() { super('interrupted'); }
}
