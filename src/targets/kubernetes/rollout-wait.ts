import { lastLogLines } from './pod-logs.js';
import { type EventLike, podProblem, type PodProblem } from './pod-problems.js';
import { type Collection, watchCollection, type WireObject } from './resource-watch.js';
import type { KubeConnection } from './kube-connection.js';
import { deploymentRollout, type RolloutVerdict, statefulSetRollout } from './rollout-status.js';

export interface Workload {
  readonly kind: 'Deployment' | 'StatefulSet';
  readonly name: string;
  /** What the user calls it: the msx service, or the infrastructure's name. */
  readonly service: string;
}

export interface WorkloadProgress {
  readonly workload: Workload;
  readonly verdict: RolloutVerdict;
}

export type RolloutOutcome =
  | { readonly status: 'ready' }
  | { readonly status: 'failed'; readonly workload: Workload; readonly reason: string; readonly message: string; readonly pod: string | undefined; readonly events: readonly EventLike[]; readonly logs: readonly string[] }
  | { readonly status: 'timeout'; readonly pending: readonly WorkloadProgress[]; readonly events: readonly EventLike[] };

export interface WaitOptions {
  readonly timeoutMs: number;
  /**
   * The Warning events there were before the deploy applied anything
   * ({@link warningEventKeys}): any other is this deploy's, even one the
   * controller wrote before the wait's first list. Without it, only events
   * that arrive after that list count as new.
   */
  readonly eventsBefore?: ReadonlySet<string>;
  readonly onProgress?: (progress: WorkloadProgress) => void;
  readonly signal?: AbortSignal;
}

/**
 * Waits for every workload's rollout as `kubectl rollout status` does, all at
 * once, from watches of the workloads, their pods and Warning events (which
 * reconnect on their own). Stops at the first pod problem that waiting cannot
 * fix (CrashLoopBackOff, ImagePullBackOff, CreateContainerConfigError, a
 * Failed or FailedCreate event) or a ProgressDeadlineExceeded, with the
 * failing pod's events and last log lines; or when the time is up.
 */
export async function waitForRollouts(connection: KubeConnection, namespace: string, selector: string, workloads: readonly Workload[], options: WaitOptions): Promise<RolloutOutcome> {
  if (workloads.length === 0) return { status: 'ready' };
  const stop = new AbortController();
  const abortOuter = () => stop.abort();
  options.signal?.addEventListener('abort', abortOuter, { once: true });

  let deployments: ReadonlyMap<string, WireObject> = new Map();
  let statefulSets: ReadonlyMap<string, WireObject> = new Map();
  let pods: ReadonlyMap<string, WireObject> = new Map();
  let events: ReadonlyMap<string, WireObject> = new Map();
  /** Events new during this deploy (old ones linger for an hour): not there before it, or arrived after the first list. */
  const arrived = new Set<string>();
  const freshEvents = { has: (key: string) => (options.eventsBefore !== undefined ? !options.eventsBefore.has(key) : arrived.has(key)) };
  const lastMessage = new Map<string, string>();
  const listed = new Set<string>();
  let pending: WorkloadProgress[] = workloads.map((workload) => ({ workload, verdict: { state: 'progressing', message: 'waiting for the object to appear', ready: 0, desired: 0 } }));

  type Verdict = { status: 'ready' } | { status: 'failing'; workload: Workload; reason: string; message: string; pod: WireObject | undefined } | { status: 'timeout' } | { status: 'aborted' };
  let settle!: (verdict: Verdict) => void;
  const settled = new Promise<Verdict>((resolve) => (settle = resolve));
  options.signal?.addEventListener('abort', () => settle({ status: 'aborted' }), { once: true });

  const evaluate = () => {
    if (listed.size < 4) return;
    const stillPending: WorkloadProgress[] = [];
    for (const workload of workloads) {
      const object = (workload.kind === 'Deployment' ? deployments : statefulSets).get(workload.name);
      const verdict: RolloutVerdict = !object
        ? { state: 'progressing', message: 'waiting for the object to appear', ready: 0, desired: 0 }
        : workload.kind === 'Deployment' ? deploymentRollout(object) : statefulSetRollout(object);
      const text = `${verdict.state === 'progressing' ? verdict.message : verdict.state} ${verdict.ready}/${verdict.desired}`;
      if (lastMessage.get(workload.name) !== text) {
        lastMessage.set(workload.name, text);
        options.onProgress?.({ workload, verdict });
      }
      const own = object ? currentPods(object, pods) : [];
      if (verdict.state === 'failed') return settle({ status: 'failing', workload, reason: verdict.reason, message: verdict.message, pod: own.find((p) => !isPodReady(p)) });
      if (verdict.state === 'done') continue;
      stillPending.push({ workload, verdict });
      const eventList = [...events.values()] as EventLike[];
      for (const pod of own) {
        const problem = podProblem(pod, eventList.filter((e) => e.involvedObject?.name === pod.metadata?.name));
        if (problem) return settle(failing(workload, problem, pod));
      }
      const refused = eventList.find((e) => freshEvents.has(eventKey(e)) && e.reason === 'FailedCreate' && e.involvedObject?.name?.startsWith(`${workload.name}-`));
      if (refused) return settle({ status: 'failing', workload, reason: 'FailedCreate', message: refused.message ?? 'the controller could not create pods', pod: undefined });
    }
    pending = stillPending;
    if (stillPending.length === 0) settle({ status: 'ready' });
  };

  const watch = (kind: string, apiVersion: string, plural: string, extra: Partial<Collection>, assign: (items: ReadonlyMap<string, WireObject>, fresh: WireObject | undefined) => void) =>
    watchCollection(connection, { apiVersion, kind, plural, namespace, ...extra }, (items, event) => {
      listed.add(kind);
      assign(items, event?.object);
      evaluate();
    }, stop.signal);
  const watches = [
    watch('Deployment', 'apps/v1', 'deployments', { labelSelector: selector }, (items) => (deployments = items)),
    watch('StatefulSet', 'apps/v1', 'statefulsets', { labelSelector: selector }, (items) => (statefulSets = items)),
    watch('Pod', 'v1', 'pods', { labelSelector: selector }, (items) => (pods = items)),
    watch('Event', 'v1', 'events', { fieldSelector: 'type=Warning' }, (items, fresh) => {
      if (fresh) arrived.add(eventKey(fresh));
      events = items;
    }),
  ];
  const timer = setTimeout(() => settle({ status: 'timeout' }), options.timeoutMs);
  const verdict = await settled;
  clearTimeout(timer);
  stop.abort();
  options.signal?.removeEventListener('abort', abortOuter);
  await Promise.allSettled(watches);

  const warnings = [...events.values()] as EventLike[];
  if (verdict.status === 'ready') return { status: 'ready' };
  if (verdict.status === 'timeout' || verdict.status === 'aborted') {
    const names = new Set(pending.map((p) => p.workload.name));
    return { status: 'timeout', pending, events: warnings.filter((e) => [...names].some((n) => e.involvedObject?.name?.startsWith(`${n}-`)) && (freshEvents.has(eventKey(e)) || [...pods.keys()].includes(e.involvedObject?.name ?? ''))) };
  }
  const podName = verdict.pod?.metadata?.name as string | undefined;
  const container = failingContainer(verdict.pod);
  const [podEvents, logs] = podName
    ? await Promise.all([eventsOf(connection, namespace, podName), lastLogLines(connection, namespace, podName, container)])
    // No pod to describe (the controller made none): the workload's warnings of this deploy, not those of earlier ones, which linger an hour.
    : [warnings.filter((e) => freshEvents.has(eventKey(e)) && e.involvedObject?.name?.startsWith(`${verdict.workload.name}-`)), []];
  return { status: 'failed', workload: verdict.workload, reason: verdict.reason, message: verdict.message, pod: podName, events: podEvents, logs };
}

/** Every event of a pod, oldest first, as `kubectl describe pod` lists them. */
async function eventsOf(connection: KubeConnection, namespace: string, pod: string): Promise<EventLike[]> {
  try {
    const list = await connection.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${pod}` });
    return JSON.parse(JSON.stringify(list.items)).sort((a: WireObject, b: WireObject) => String(a.lastTimestamp ?? a.eventTime ?? '').localeCompare(String(b.lastTimestamp ?? b.eventTime ?? '')));
  } catch {
    return [];
  }
}

function failingContainer(pod: WireObject | undefined): string | undefined {
  const statuses: WireObject[] = pod?.status?.containerStatuses ?? [];
  return (statuses.find((s) => s.state?.waiting || !s.ready) ?? statuses[0])?.name ?? pod?.spec?.containers?.[0]?.name;
}

function failing(workload: Workload, problem: PodProblem, pod: WireObject) {
  return { status: 'failing' as const, workload, reason: problem.reason, message: problem.message, pod };
}

/**
 * The namespace's Warning events as they are now, by name and resourceVersion
 * (a repeat of an aggregated event moves its resourceVersion); undefined when
 * they cannot be listed.
 */
export async function warningEventKeys(connection: KubeConnection, namespace: string): Promise<ReadonlySet<string> | undefined> {
  try {
    const list = await connection.core.listNamespacedEvent({ namespace, fieldSelector: 'type=Warning' });
    return new Set((JSON.parse(JSON.stringify(list.items)) as WireObject[]).map(eventKey));
  } catch {
    return undefined;
  }
}

function eventKey(event: EventLike | WireObject): string {
  const e = event as WireObject;
  return `${e.metadata?.name ?? ''}/${e.metadata?.resourceVersion ?? ''}`;
}

/**
 * Pods of a workload's newest template. For a Deployment that is the
 * ReplicaSet its Progressing condition names ("ReplicaSet \"orders-5d9c\" is
 * progressing", as the deployment controller writes it), and none at all until
 * the controller has observed the new spec: pods left from the previous
 * rollout (an ImagePullBackOff a moment ago) are not this rollout's problem.
 * Without such a condition, the most recently created pod's template hash.
 */
function currentPods(workload: WireObject, pods: ReadonlyMap<string, WireObject>): WireObject[] {
  const match: Record<string, string> = workload.spec?.selector?.matchLabels ?? {};
  const mine = [...pods.values()].filter((p) => Object.entries(match).every(([k, v]) => p.metadata?.labels?.[k] === v));
  if (workload.kind === 'StatefulSet' || mine.length === 0) return mine;
  if ((workload.metadata?.generation ?? 0) > (workload.status?.observedGeneration ?? -1)) return [];
  const hash = newReplicaSetHash(workload) ?? newestPodHash(mine);
  return hash === undefined ? mine : mine.filter((p) => p.metadata?.labels?.['pod-template-hash'] === hash);
}

function newReplicaSetHash(deployment: WireObject): string | undefined {
  const progressing = (deployment.status?.conditions ?? []).find((c: WireObject) => c.type === 'Progressing');
  const named = /ReplicaSet "([^"]+)"/.exec(String(progressing?.message ?? ''))?.[1];
  const prefix = `${deployment.metadata?.name ?? ''}-`;
  return named?.startsWith(prefix) ? named.slice(prefix.length) : undefined;
}

function newestPodHash(pods: readonly WireObject[]): string | undefined {
  const newest = pods.reduce((a, b) => (Date.parse(b.metadata?.creationTimestamp ?? '') > Date.parse(a.metadata?.creationTimestamp ?? '') ? b : a));
  return newest.metadata?.labels?.['pod-template-hash'];
}

export function isPodReady(pod: WireObject): boolean {
  return (pod.status?.conditions ?? []).some((c: WireObject) => c.type === 'Ready' && c.status === 'True');
}
