import type Docker from 'dockerode';
import type { InstanceState, InstanceStatus } from '../target.js';

export const PROJECT_LABEL = 'com.docker.compose.project';
export const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';
export const NUMBER_LABEL = 'com.docker.compose.container-number';

/** One container of the system, found by compose's labels (never by parsing `compose ps`). */
export interface SystemContainer {
  readonly containerId: string;
  readonly name: string;
  readonly service: string;
  readonly number: number;
  /** `<service>-<number>`: the instance id on every target. */
  readonly instance: string;
  /** Engine state: created, running, restarting, exited, … */
  readonly state: string;
  /** Healthcheck status when it has one: starting, healthy, unhealthy. */
  readonly health: string | undefined;
  readonly publishedPorts: readonly number[];
  /** IP on the project's network (reachable from this machine on a Linux engine). */
  readonly address: string | undefined;
}

/** Every container of the compose project, running or not, by service and number. */
export async function systemContainers(docker: Docker, project: string, options: { services?: readonly string[]; all?: boolean } = {}): Promise<SystemContainer[]> {
  const listed = await docker.listContainers({ all: options.all ?? true, filters: { label: [`${PROJECT_LABEL}=${project}`] } });
  const out: SystemContainer[] = [];
  for (const c of listed) {
    const service = c.Labels[COMPOSE_SERVICE_LABEL];
    if (!service || (options.services && !options.services.includes(service))) continue;
    // One-off containers (`compose run`) carry no number; they are no instance.
    const number = Number(c.Labels[NUMBER_LABEL]);
    if (!Number.isInteger(number)) continue;
    const health = /\((healthy|unhealthy|health: starting)\)/.exec(c.Status)?.[1]?.replace('health: ', '');
    const networks = Object.values(c.NetworkSettings?.Networks ?? {});
    out.push({
      containerId: c.Id,
      name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
      service,
      number,
      instance: `${service}-${number}`,
      state: c.State,
      health,
      publishedPorts: c.Ports.filter((p) => p.PublicPort).map((p) => p.PublicPort),
      address: networks.find((n) => n.IPAddress)?.IPAddress,
    });
  }
  return out.sort((a, b) => a.service.localeCompare(b.service) || a.number - b.number);
}

/** A container as `ps` shows it; restarts and start time come from inspecting it. */
export async function containerStatus(docker: Docker, container: SystemContainer, usage?: { cpuPercent: number; memoryBytes: number }): Promise<InstanceStatus> {
  let restarts = 0;
  let startedAt: number | undefined;
  let lastExit: InstanceStatus['lastExit'];
  try {
    const info = await docker.getContainer(container.containerId).inspect();
    restarts = info.RestartCount ?? 0;
    const started = Date.parse(info.State.StartedAt);
    if (info.State.Running && Number.isFinite(started)) startedAt = started;
    const finished = Date.parse(info.State.FinishedAt);
    if (Number.isFinite(finished) && finished > 0 && info.State.ExitCode !== undefined && !info.State.Running) {
      lastExit = { code: info.State.ExitCode, signal: null, at: finished };
    }
  } catch {
    // removed meanwhile: the listing is all there is
  }
  const state = instanceState(container);
  return {
    id: container.instance,
    service: container.service,
    state,
    ready: state === 'ready',
    restarts,
    startedAt,
    url: container.publishedPorts[0] !== undefined ? `http://127.0.0.1:${container.publishedPorts[0]}` : undefined,
    ...(lastExit ? { lastExit } : {}),
    cpuPercent: usage?.cpuPercent,
    memoryBytes: usage?.memoryBytes,
    details: { container: container.name, id: container.containerId.slice(0, 12) },
  };
}

export function instanceState(container: Pick<SystemContainer, 'state' | 'health'>): InstanceState {
  switch (container.state) {
    case 'running':
      return container.health === undefined || container.health === 'healthy' ? 'ready' : container.health === 'unhealthy' ? 'unready' : 'starting';
    case 'restarting':
      return 'backoff';
    case 'created':
      return 'starting';
    case 'removing':
      return 'stopping';
    case 'dead':
      return 'failed';
    default:
      return 'stopped';
  }
}

/**
 * CPU (percent of one core) and memory of a running container, from one
 * stats sample (the engine compares it with its previous one). Memory is
 * usage minus page cache, as `docker stats` shows it.
 */
export async function containerUsage(docker: Docker, containerId: string): Promise<{ cpuPercent: number; memoryBytes: number } | undefined> {
  try {
    const stats = (await docker.getContainer(containerId).stats({ stream: false })) as unknown as {
      cpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage?: number; online_cpus?: number };
      precpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage?: number };
      memory_stats: { usage?: number; stats?: Record<string, number> };
    };
    const cpuDelta = stats.cpu_stats.cpu_usage.total_usage - stats.precpu_stats.cpu_usage.total_usage;
    const systemDelta = (stats.cpu_stats.system_cpu_usage ?? 0) - (stats.precpu_stats.system_cpu_usage ?? 0);
    const cpus = stats.cpu_stats.online_cpus ?? 1;
    const cpuPercent = systemDelta > 0 && cpuDelta >= 0 ? (cpuDelta / systemDelta) * cpus * 100 : 0;
    const cache = stats.memory_stats.stats?.total_inactive_file ?? stats.memory_stats.stats?.inactive_file ?? stats.memory_stats.stats?.cache ?? 0;
    return { cpuPercent, memoryBytes: Math.max(0, (stats.memory_stats.usage ?? 0) - cache) };
  } catch {
    return undefined;
  }
}
