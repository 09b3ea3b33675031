import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Manifest } from '../../manifest/schema.js';
import type { LocalPaths } from './local-paths.js';

/** The background supervisor's entry, beside this file in dist/ (or src/ under tsx). */
const SUPERVISOR_MAIN = fileURLToPath(new URL(`./supervisor-main${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));

/** The file descriptor on which the background supervisor reports a failed start (its `MSX_REPORT_FD`). */
export const REPORT_FD = 3;

/** What the background supervisor is told to run, as JSON in its argv. */
export interface SupervisorLaunchOptions {
  readonly services: readonly string[];
  readonly readyTimeoutMs: number;
  readonly watch?: boolean;
  /**
   * msx.yaml as `msx up` just read and validated it, so the supervisor need
   * not load the YAML parser and the schema to read it again (half a second
   * of CPU before anything starts). Absent when too large for one argument:
   * the supervisor reads msx.yaml then.
   */
  readonly manifest?: Manifest;
}

/** An argument longer than this may not fit (Linux allows 128 KiB per argument). */
const MAX_OPTIONS_ARGUMENT = 100_000;

/** Why the background supervisor could not start, as it reports it over its report pipe. */
export interface SupervisorStartReport {
  readonly message: string;
  readonly hint?: string;
}

export interface LaunchedSupervisor {
  readonly pid: number;
  /**
   * Resolves when the supervisor closes its report pipe: with its report
   * when it failed to start, undefined once it started (or exited without
   * one). The pipe needs no disk, so the report arrives even when neither
   * its log nor `.msx/state.json` can be written (a full disk).
   */
  readonly startFailure: Promise<SupervisorStartReport | undefined>;
}

/**
 * Starts the background supervisor of `msx up -d`: detached into its own
 * session so it outlives the terminal, stdio into `.msx/supervisor.log`,
 * and a pipe for a failed start's report. It reports progress through
 * `.msx/state.json`.
 */
export function launchSupervisor(root: string, paths: LocalPaths, options: SupervisorLaunchOptions): LaunchedSupervisor {
  const log = openSync(paths.supervisorLog, 'w');
  try {
    let argument = JSON.stringify(options);
    if (argument.length > MAX_OPTIONS_ARGUMENT) argument = JSON.stringify({ ...options, manifest: undefined });
    const child = spawn(process.execPath, [...process.execArgv, SUPERVISOR_MAIN, root, argument], {
      cwd: root,
      detached: true,
      stdio: ['ignore', log, log, 'pipe'],
      env: { ...process.env, MSX_REPORT_FD: String(REPORT_FD) },
    });
    child.unref();
    if (child.pid === undefined) throw new Error('could not start the supervisor process');
    const channel = child.stdio[REPORT_FD] as Socket;
    channel.unref(); // the waiting `msx up` must not be kept alive by it
    const startFailure = new Promise<SupervisorStartReport | undefined>((resolve) => {
      let text = '';
      channel.setEncoding('utf8');
      channel.on('data', (chunk: string) => { text += chunk; });
      channel.on('error', () => resolve(undefined));
      channel.on('close', () => {
        try {
          const report = JSON.parse(text) as Partial<SupervisorStartReport>;
          resolve(typeof report.message === 'string' ? { message: report.message, ...(typeof report.hint === 'string' ? { hint: report.hint } : {}) } : undefined);
        } catch {
          resolve(undefined); // started, or died before it could say why
        }
      });
    });
    return { pid: child.pid, startFailure };
  } finally {
    closeSync(log);
  }
}
