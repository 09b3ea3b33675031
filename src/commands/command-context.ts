import { resolve } from 'node:path';
import type { Command } from 'commander';

/** Options every command accepts, declared once on the root program. */
export interface GlobalOptions {
  /** -C <dir>: run as if msx was started in <dir>. */
  readonly cwd?: string;
}

/** The folder a command works in: -C <dir> when given, else the process's cwd. */
export function workingDir(command: Command): string {
  const globals = command.optsWithGlobals<GlobalOptions>();
  return resolve(process.cwd(), globals.cwd ?? '.');
}

/** Whether questions may be asked: a terminal on stdin, and not --yes. */
export function canPrompt(yes: boolean | undefined): boolean {
  return Boolean(process.stdin.isTTY) && !yes;
}
