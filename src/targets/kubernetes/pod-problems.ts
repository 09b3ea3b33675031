/**
 * Reasons a pod will not become ready without someone changing something,
 * read from its container statuses and Warning events. A deploy that sees
 * one stops waiting and says which, instead of waiting out its timeout.
 * Pure: pod and events in, problem out.
 */

/** Container waiting reasons that do not resolve by waiting. */
export const FATAL_WAITING_REASONS = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

/**
 * Warning event reasons that mean the same: the kubelet's `Failed` (an image
 * that cannot be pulled, a missing config key) and a controller's
 * `FailedCreate` (a quota or an admission policy refusing the pods). Other
 * Warnings (`Unhealthy` probes while starting, `FailedScheduling` while a
 * node scales up, `BackOff`) are shown as they come but not acted on alone.
 */
export const FATAL_EVENT_REASONS = new Set(['Failed', 'FailedCreate']);

export interface PodLike {
  readonly metadata?: { readonly name?: string };
  readonly status?: {
    readonly containerStatuses?: readonly ContainerStatusLike[];
    readonly initContainerStatuses?: readonly ContainerStatusLike[];
  };
}

interface ContainerStatusLike {
  readonly name?: string;
  readonly restartCount?: number;
  readonly state?: { readonly waiting?: { readonly reason?: string; readonly message?: string } };
  readonly lastState?: { readonly terminated?: { readonly exitCode?: number; readonly reason?: string } };
}

export interface EventLike {
  readonly type?: string;
  readonly reason?: string;
  readonly message?: string;
  readonly involvedObject?: { readonly kind?: string; readonly name?: string };
}

export interface PodProblem {
  readonly pod: string;
  readonly container: string | undefined;
  readonly reason: string;
  readonly message: string;
}

export function podProblem(pod: PodLike, events: readonly EventLike[]): PodProblem | undefined {
  const name = pod.metadata?.name ?? '?';
  for (const status of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const waiting = status.state?.waiting;
    if (waiting?.reason && FATAL_WAITING_REASONS.has(waiting.reason)) {
      const exit = status.lastState?.terminated;
      const detail = exit ? `last exit code ${exit.exitCode}${status.restartCount ? `, ${status.restartCount} restarts` : ''}` : waiting.message;
      return { pod: name, container: status.name, reason: waiting.reason, message: detail ?? waiting.reason };
    }
  }
  const fatal = events.find((e) => e.type === 'Warning' && e.reason && FATAL_EVENT_REASONS.has(e.reason) && e.involvedObject?.name === name);
  if (fatal) return { pod: name, container: undefined, reason: eventProblemReason(fatal), message: fatal.message ?? fatal.reason! };
  return undefined;
}

/**
 * The kubelet's `Failed` event often arrives before the container status
 * that names its reason (the two come through separate watches), so the
 * reason is read from what the event says, as the kubelet names it in the
 * status: `ErrImagePull` for an image it cannot pull,
 * `CreateContainerConfigError` for a missing Secret or ConfigMap key.
 */
function eventProblemReason(event: EventLike): string {
  const message = event.message ?? '';
  if (event.reason === 'Failed') {
    if (/^Failed to pull image|ErrImagePull/.test(message)) return 'ErrImagePull';
    if (/couldn't find key|(secret|configmap) "?[^ ]+"? not found|CreateContainerConfigError/i.test(message)) return 'CreateContainerConfigError';
  }
  return event.reason!;
}
