import type { InstanceState, InstanceStatus } from '../target.js';
import { workloadName } from './kube-object.js';
import { FATAL_WAITING_REASONS } from './pod-problems.js';
import type { WireObject } from './resource-watch.js';
import { CONTAINER_PORT } from './render/kube-object.js';

/** Usage of one pod from metrics.k8s.io, summed over its containers. */
export interface PodUsage {
  /** Percent of one core. */
  readonly cpuPercent: number;
  readonly memoryBytes: number;
}

/**
 * A pod as the target-neutral instance msx shows in `ps` and `deploy`: its
 * service, readiness, restarts, start time and node, with CPU and memory
 * when the metrics API answered.
 */
export function podInstance(pod: WireObject, usage: PodUsage | undefined): InstanceStatus {
  const statuses: WireObject[] = pod.status?.containerStatuses ?? [];
  const ready = (pod.status?.conditions ?? []).some((c: WireObject) => c.type === 'Ready' && c.status === 'True');
  const started = pod.status?.startTime ? Date.parse(pod.status.startTime) : undefined;
  const podIP = pod.status?.podIP as string | undefined;
  // The port the pod serves on: msx services all use CONTAINER_PORT; infrastructure its own (5432…).
  const port = Number(pod.spec?.containers?.[0]?.ports?.[0]?.containerPort ?? CONTAINER_PORT);
  const last = statuses.find((s) => s.lastState?.terminated)?.lastState?.terminated;
  return {
    id: pod.metadata?.name,
    service: workloadName(pod.metadata?.labels, String(pod.metadata?.name)),
    // A pod's address is the cluster's, not one the operator's machine reaches: a detail, not a url.
    details: { ...(pod.spec?.nodeName ? { node: String(pod.spec.nodeName) } : {}), ...(podIP ? { ip: `${podIP}:${port}` } : {}) },
    state: podState(pod, ready),
    ready,
    restarts: statuses.reduce((sum, s) => sum + (s.restartCount ?? 0), 0),
    startedAt: Number.isFinite(started) ? started : undefined,
    ...(last ? { lastExit: { code: last.exitCode ?? null, signal: last.signal === undefined ? null : String(last.signal), at: Date.parse(last.finishedAt ?? '') || 0 } } : {}),
    ...(usage ? { cpuPercent: usage.cpuPercent, memoryBytes: usage.memoryBytes } : {}),
  };
}

function podState(pod: WireObject, ready: boolean): InstanceState {
  if (pod.metadata?.deletionTimestamp) return 'stopping';
  const phase = pod.status?.phase;
  if (phase === 'Succeeded') return 'stopped';
  if (phase === 'Failed') return 'failed';
  const waiting = ((pod.status?.containerStatuses ?? []) as WireObject[]).map((s) => s.state?.waiting?.reason).find(Boolean) as string | undefined;
  if (waiting === 'CrashLoopBackOff') return 'crash-loop';
  if (waiting && FATAL_WAITING_REASONS.has(waiting)) return 'failed';
  if (ready) return 'ready';
  if (phase === 'Running' && ((pod.status?.containerStatuses ?? []) as WireObject[]).some((s) => s.started)) return 'unready';
  return 'starting';
}

/** `250m` → 25 (percent of a core); `1` → 100; `1500000n` → 0.15. */
export function cpuPercent(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(n|u|m)?$/.exec(quantity);
  if (!match) return 0;
  const value = Number(match[1]);
  const cores = match[2] === 'n' ? value / 1e9 : match[2] === 'u' ? value / 1e6 : match[2] === 'm' ? value / 1e3 : value;
  return cores * 100;
}

/** `48Mi` → 50331648; `1G` → 1e9; `1024` → 1024. */
export function memoryBytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(quantity);
  if (!match) return 0;
  const factor: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Number(match[1]) * (match[2] ? factor[match[2]]! : 1);
}
