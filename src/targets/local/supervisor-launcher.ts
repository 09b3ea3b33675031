import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LocalPaths } from './local-paths.js';

/** The background supervisor's entry, beside this file in dist/ (or src/ under tsx). */
const SUPERVISOR_MAIN = fileURLToPath(new URL(`./supervisor-main${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));

/**
 * Starts the background supervisor of `msx up -d`: detached into its own
 * session so it outlives the terminal, stdio into `.msx/supervisor.log`.
 * Returns its pid; it reports progress through `.msx/state.json`.
 */
export function launchSupervisor(root: string, paths: LocalPaths, options: { services: readonly string[]; readyTimeoutMs: number; watch?: boolean }): number {
  const log = openSync(paths.supervisorLog, 'w');
  try {
    const child = spawn(process.execPath, [...process.execArgv, SUPERVISOR_MAIN, root, JSON.stringify(options)], {
      cwd: root,
      detached: true,
      stdio: ['ignore', log, log],
      env: process.env,
    });
    child.unref();
    if (child.pid === undefined) throw new Error('could not start the supervisor process');
    return child.pid;
  } finally {
    closeSync(log);
  }
}
