import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { MANIFEST_FILE } from '../manifest/load-manifest.js';

/** Options every command accepts, declared once on the root program. */
export interface GlobalOptions {
  /** -C <dir>: run as if msx was started in <dir>. */
  readonly cwd?: string;
  /** --env <name>: the environment of msx.yaml to use (see environment-selection.ts). */
  readonly env?: string;
}

/** The folder msx was started in: -C <dir> when given, else the process's cwd. */
export function invocationDir(command: Command): string {
  const globals = command.optsWithGlobals<GlobalOptions>();
  return resolve(process.cwd(), globals.cwd ?? '.');
}

/**
 * The system folder a command works on: the nearest folder, from where msx
 * was started (or -C <dir>) upwards, that holds msx.yaml, as git, npm and
 * compose find theirs, so `msx logs` works from inside services/users/src.
 * When no folder up to the root has one, the start folder, so the command
 * says there is no msx.yaml there.
 */
export function workingDir(command: Command): string {
  return findSystemRoot(invocationDir(command)) ?? invocationDir(command);
}

export function findSystemRoot(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, MANIFEST_FILE))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Whether questions may be asked: a terminal on stdin, and not --yes. */
export function canPrompt(yes: boolean | undefined): boolean {
  return Boolean(process.stdin.isTTY) && !yes;
}
