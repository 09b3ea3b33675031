import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { PlannedFile } from './template-renderer.js';

export interface WriteOptions {
  /** Write into an existing non-empty folder, replacing files with the same paths. */
  readonly merge?: boolean;
  /**
   * Called after everything is written to the staging folder and before it is
   * moved into place. Tests use it (through MSX_TEST_PAUSE_BEFORE_COMMIT_MS)
   * to interrupt generation at its most delicate moment.
   */
  readonly beforeCommit?: () => Promise<void>;
}

const INTERRUPTS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Writes a whole tree so that it appears complete or not at all: everything
 * is rendered into a hidden staging folder beside the target (same file
 * system, so the final step is a rename), and on any error or interrupt the
 * staging folder is removed and nothing is left behind.
 */
export async function writeTreeAtomically(target: string, files: readonly PlannedFile[], options: WriteOptions = {}): Promise<void> {
  const parent = dirname(target);
  let createdParent: string | undefined;
  let staging: string | undefined;
  let committed = false;

  const cleanUp = () => {
    if (staging) rmSync(staging, { recursive: true, force: true });
    if (!committed && createdParent) rmSync(createdParent, { recursive: true, force: true });
  };
  const onInterrupt = (signal: NodeJS.Signals) => {
    cleanUp();
    process.stderr.write(`\ninterrupted (${signal}): nothing was written\n`);
    process.exit(130);
  };
  // Handlers first: an interrupt between creating the staging folder and
  // installing them would leave the folder behind.
  for (const signal of INTERRUPTS) process.on(signal, onInterrupt);

  try {
    createdParent = existsSync(parent) ? undefined : mkdirSync(parent, { recursive: true });
    staging = mkdtempSync(join(parent, `.${basename(target)}.msx-staging-`));
    const made = new Set<string>();
    for (const file of files) {
      const path = join(staging, file.path);
      const dir = dirname(path);
      if (!made.has(dir)) {
        mkdirSync(dir, { recursive: true });
        made.add(dir);
      }
      writeFileSync(path, file.content, { mode: file.mode ?? 0o644 });
    }
    await options.beforeCommit?.();

    if (!existsSync(target)) {
      renameSync(staging, target);
    } else if (readdirSync(target).length === 0) {
      rmdirSync(target);
      renameSync(staging, target);
    } else if (options.merge) {
      for (const file of files) {
        const destination = join(target, file.path);
        mkdirSync(dirname(destination), { recursive: true });
        renameSync(join(staging, file.path), destination);
      }
    } else {
      throw new Error(`refusing to write into non-empty ${target} without merge`);
    }
    committed = true;
  } finally {
    cleanUp();
    for (const signal of INTERRUPTS) process.off(signal, onInterrupt);
  }
}
