import { readdirSync, readFileSync } from 'node:fs';
import type { LocalPaths } from './local-paths.js';

/** A running process that the environment marks as an instance of one system. */
export interface SystemProcess {
  readonly pid: number;
  /** `MSX_INSTANCE`, e.g. `users-2`. */
  readonly instance: string;
  /** `MSX_SERVICE`. */
  readonly service: string;
  /** `PORT` it was given. */
  readonly port: number | undefined;
}

/**
 * The variable whose value marks a process as an instance of the system in
 * `paths.root`: every instance gets `MSX_LOCAL_REGISTRY=<root>/.msx/registry.json`
 * from the supervisor (instance-env.ts sets it last, so nothing overrides
 * it). Unlike `MSX_SYSTEM` (the manifest's name, shared by every `demo`
 * ever generated) the path names one system folder.
 */
const MARKER = 'MSX_LOCAL_REGISTRY';

/**
 * Every live process whose environment marks it as an instance of this
 * system, whoever started it: how `ps`, `down` and `up` find instances a
 * killed supervisor left behind, which `.msx/state.json` may not list (it
 * can be older than the last restart) and whose command line says nothing
 * about the system. Reads /proc/<pid>/environ, the environment the process
 * started with; only this user's processes are readable. Empty where there
 * is no /proc (macOS): there the supervisor pipe alone stops instances.
 */
export function findSystemProcesses(paths: LocalPaths, exclude: ReadonlySet<number> = new Set()): SystemProcess[] {
  let pids: number[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number);
  } catch {
    return [];
  }
  const found: SystemProcess[] = [];
  for (const pid of pids) {
    if (pid === process.pid || exclude.has(pid)) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue; // another user's process, or gone
    }
    if (!environ.includes(paths.registryFile)) continue; // cheap filter before parsing
    const env = parseEnviron(environ);
    if (env.get(MARKER) !== paths.registryFile || !env.get('MSX_INSTANCE') || !isRunning(pid)) continue;
    const port = Number(env.get('PORT'));
    found.push({ pid, instance: env.get('MSX_INSTANCE')!, service: env.get('MSX_SERVICE') ?? '', port: Number.isInteger(port) ? port : undefined });
  }
  return found.sort((a, b) => a.instance.localeCompare(b.instance));
}

function parseEnviron(text: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const entry of text.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return env;
}

/** A zombie (exited, not yet reaped by its parent) still has an entry in /proc but runs nothing. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** When `pid` started, in clock ticks since boot (field 22 of /proc/<pid>/stat); undefined without /proc. Tells a recycled pid from the process it was. */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(fields[19]); // field 22; fields[0] is field 3
    return Number.isFinite(start) ? start : undefined;
  } catch {
    return undefined;
  }
}
