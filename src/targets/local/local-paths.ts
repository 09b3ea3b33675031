import { join } from 'node:path';

/**
 * Where the local target keeps what it knows about a running system, all
 * under `<system>/.msx/` (git-ignored):
 *
 *   state.json        what runs: supervisor pid, instances, ports, restarts
 *   control.json      how to reach the supervisor (port, token); mode 0600
 *   supervisor.lock   who supervises the system (pid, start time): one supervisor at a time
 *   registry.json     ready instances per service, read by local discovery
 *   supervisor.log    the background supervisor's own output
 *   logs/<id>.log     one JSON line per log line of each instance
 *   data/             embedded infrastructure (bus, databases); kept by `down`
 *   traces/           spans the collector received, read by `msx trace`
 */
export interface LocalPaths {
  readonly root: string;
  readonly stateDir: string;
  readonly stateFile: string;
  readonly controlFile: string;
  readonly lockFile: string;
  readonly registryFile: string;
  readonly supervisorLog: string;
  readonly logsDir: string;
  readonly dataDir: string;
  readonly tracesDir: string;
  logFile(instanceId: string): string;
}

export function localPaths(root: string): LocalPaths {
  const stateDir = join(root, '.msx');
  const logsDir = join(stateDir, 'logs');
  return {
    root,
    stateDir,
    stateFile: join(stateDir, 'state.json'),
    controlFile: join(stateDir, 'control.json'),
    lockFile: join(stateDir, 'supervisor.lock'),
    registryFile: join(stateDir, 'registry.json'),
    supervisorLog: join(stateDir, 'supervisor.log'),
    logsDir,
    dataDir: join(stateDir, 'data'),
    tracesDir: join(stateDir, 'traces'),
    logFile: (id) => join(logsDir, `${id}.log`),
  };
}
