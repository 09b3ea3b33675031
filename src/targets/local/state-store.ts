import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { LocalInstance } from './local-instance.js';
import type { LocalPaths } from './local-paths.js';
import type { StartTimeline } from './start-timeline.js';
import type { StartupCause } from './startup-exit.js';
import { writeFileAtomically } from './registry-file.js';

export type SupervisorPhase = 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** Why `up` could not bring the system up, kept for the command that waits on a detached supervisor. */
export interface StartFailureInfo {
  readonly service: string;
  readonly instance: string;
  /** A cause the instance's exit code names (startup-exit.ts), else how it failed. */
  readonly reason: 'timeout' | 'exited' | 'spawn' | StartupCause;
  readonly message: string;
  readonly logTail: readonly string[];
}

/**
 * `.msx/state.json`: what the supervisor runs, rewritten atomically on every
 * change. `msx ps` and a waiting `msx up -d` read it; it also survives the
 * supervisor, so `msx down` can clean up instances a killed supervisor left.
 */
export interface SupervisorState {
  readonly version: 1;
  readonly system: string;
  /** `watching`: started with `--watch`, so source changes rebuild and restart services (absent in state written by an older msx). */
  readonly supervisor: { readonly pid: number; readonly startedAt: number; readonly mode: 'foreground' | 'detached'; readonly watching?: boolean };
  readonly phase: SupervisorPhase;
  readonly services: readonly string[];
  readonly gatewayUrl: string | undefined;
  readonly failure: StartFailureInfo | undefined;
  /** When each step of the start happened (absent in state written by an older msx). */
  readonly timeline?: StartTimeline | undefined;
  readonly instances: readonly LocalInstance[];
  readonly updatedAt: number;
}

/** How another msx process reaches the supervisor: `.msx/control.json`, readable by its owner only. */
export interface ControlInfo {
  readonly pid: number;
  readonly port: number;
  readonly token: string;
}

export function ensureStateDir(paths: LocalPaths): void {
  mkdirSync(paths.stateDir, { recursive: true, mode: 0o700 });
  mkdirSync(paths.logsDir, { recursive: true });
  mkdirSync(paths.dataDir, { recursive: true });
}

export function writeState(paths: LocalPaths, state: SupervisorState): void {
  writeFileAtomically(paths.stateFile, `${JSON.stringify(state, null, 2)}\n`);
}

export function readState(paths: LocalPaths): SupervisorState | undefined {
  return readJson<SupervisorState>(paths.stateFile);
}

export function writeControl(paths: LocalPaths, control: ControlInfo): void {
  writeFileAtomically(paths.controlFile, `${JSON.stringify(control)}\n`, 0o600);
}

export function readControl(paths: LocalPaths): ControlInfo | undefined {
  return readJson<ControlInfo>(paths.controlFile);
}

function readJson<T>(file: string): T | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined; // half-written by an older msx, or edited by hand: treat as absent
  }
}

/**
 * Whether a process with this pid runs (and is ours to signal). A zombie (a
 * killed supervisor its new parent has not reaped yet) answers signal 0 but
 * runs nothing, so it counts as gone.
 */
export function isAlive(pid: number | undefined): boolean {
  if (pid === undefined || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] === 'Z';
  } catch {
    return false; // no /proc (macOS), or gone meanwhile: signal 0 decided
  }
}
