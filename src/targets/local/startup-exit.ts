import type { InstanceExit } from './instance-process.js';
import { findPortHolder } from './port-holder.js';

/**
 * Exit codes a service built on @msx/runtime uses when it cannot start
 * (runtime/src/service/errors/exitCodes.ts; change both together). The
 * supervisor branches on these numbers, never on the text of the output.
 */
export const STARTUP_EXIT = {
  migrationFailed: 65,
  dependencyUnavailable: 69,
  portInUse: 75,
  listenNotPermitted: 77,
  config: 78,
} as const;

export type StartupCause = 'config' | 'port-in-use' | 'listen-not-permitted' | 'dependency-unavailable' | 'migration-failed';

export function startupCause(exit: InstanceExit): StartupCause | undefined {
  switch (exit.code) {
    case STARTUP_EXIT.config: return 'config';
    case STARTUP_EXIT.portInUse: return 'port-in-use';
    case STARTUP_EXIT.listenNotPermitted: return 'listen-not-permitted';
    case STARTUP_EXIT.dependencyUnavailable: return 'dependency-unavailable';
    case STARTUP_EXIT.migrationFailed: return 'migration-failed';
    default: return undefined;
  }
}

/** How an exit reads in a message: `exit code 75: port in use`, `signal SIGKILL`. */
export function describeExit(exit: InstanceExit): string {
  if (exit.signal) return `signal ${exit.signal}`;
  const cause = startupCause(exit);
  return `exit code ${exit.code ?? 'unknown'}${cause ? `: ${CAUSE_TEXT[cause]}` : ''}`;
}

const CAUSE_TEXT: Record<StartupCause, string> = {
  'config': 'configuration error',
  'port-in-use': 'port in use',
  'listen-not-permitted': 'not permitted to listen',
  'dependency-unavailable': 'a dependency is unavailable',
  'migration-failed': 'a migration failed',
};

/**
 * What the user reads when an instance could not listen, e.g. `orders: port
 * 3004 is in use by pid 1234 (node server.js); free it or change
 * services.orders.port in msx.yaml`. Undefined for other exits, whose exit
 * code and last log lines say enough. `fromManifest`: the port is the one
 * msx.yaml gives, not one the supervisor picked for a scaled instance.
 */
export function listenFailureMessage(cause: StartupCause | undefined, service: string, port: number, fromManifest: boolean): string | undefined {
  if (cause === 'port-in-use') {
    const holder = findPortHolder(port);
    const who = holder ? ` by pid ${holder.pid} (${holder.command})` : '';
    const fix = fromManifest ? `change services.${service}.port in msx.yaml` : `scale ${service} again to pick another port`;
    return `${service}: port ${port} is in use${who}; free it or ${fix}`;
  }
  if (cause === 'listen-not-permitted') return `${service}: not permitted to listen on port ${port}; give services.${service}.port in msx.yaml a port above 1023`;
  return undefined;
}
