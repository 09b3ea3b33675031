import type { InstanceState, InstanceStatus } from '../target.js';

/**
 * An instance as the local supervisor keeps it (and writes it into
 * `.msx/state.json`): a process with a pid, listening on a port of this
 * machine. Commands see it as an {@link InstanceStatus}, pid and port as
 * details.
 */
export interface LocalInstance {
  readonly id: string;
  readonly service: string;
  readonly pid: number | undefined;
  readonly port: number;
  readonly url: string;
  readonly state: InstanceState;
  readonly ready: boolean;
  readonly restarts: number;
  /** When the current process started, ms since epoch. */
  readonly startedAt: number | undefined;
  readonly lastExit?: InstanceStatus['lastExit'];
}

export function toInstanceStatus(instance: LocalInstance, usage?: { cpuPercent: number; memoryBytes: number }): InstanceStatus {
  const { pid, port, ...common } = instance;
  return {
    ...common,
    startedAt: pid === undefined ? undefined : instance.startedAt,
    cpuPercent: usage?.cpuPercent,
    memoryBytes: usage?.memoryBytes,
    details: pid === undefined ? { port } : { pid, port },
  };
}
