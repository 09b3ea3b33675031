/**
 * `msx restart <pod>` on Kubernetes: delete the pod and let its controller
 * replace it, then wait until the replacement is ready and the deleted pod
 * is gone.
 *
 * Why a delete, not an eviction (`pods/{name}/eviction`): an eviction is the
 * cluster's voluntary-disruption path for node drains, checked against the
 * PodDisruptionBudget and refused with 429 while the budget has no room —
 * which a person restarting one named pod would then have to retry by hand.
 * msx restarts one pod at a time and waits for each replacement to be ready
 * before the next (restart.ts), which already keeps what the budget msx
 * renders asks for (`maxUnavailable: 1`), and with one pod there is no
 * budget at all (render/scaling.ts). A delete is also what the pod's
 * graceful shutdown is built for: the API server sets its deletionTimestamp,
 * the endpoints controller takes it out of the Service at once, and the
 * kubelet sends SIGTERM, on which the runtime drains (readiness off,
 * SHUTDOWN_DELAY_MS, in-flight requests finish) within
 * terminationGracePeriodSeconds. Meanwhile the ReplicaSet (or StatefulSet)
 * controller, which no longer counts a terminating pod, creates a new one.
 *
 * When the controller cannot create the replacement (a ResourceQuota or an
 * admission policy refusing it), it says so only in a FailedCreate event on
 * itself. A refusal while the deleted pod is still terminating can be
 * passing: a quota counts a terminating pod until it is gone, and the
 * controller tries again then (a StatefulSet cannot create a pod under a
 * name still taken). So msx fails on a FailedCreate that is new once the
 * deleted pod has gone, with its message, rather than at the timeout.
 *
 * Unlike a local restart, the replacement is a new pod: a Deployment's under
 * a new name (a StatefulSet's under the same name, with a new uid), its
 * restart count starting at 0. Which pod is the replacement is told by uid,
 * so a StatefulSet pod coming back under its own name is not mistaken for
 * the one deleted.
 */
import { failure } from '../../errors/cli-error.js';
import { isNotFound, kubeFailure } from './kube-api-error.js';
import type { KubeConnection } from './kube-connection.js';
import { podProblem } from './pod-problems.js';
import { INFRASTRUCTURE_LABEL, SERVICE_LABEL } from './render/labels.js';
import { watchCollection, type WireObject } from './resource-watch.js';

export interface PodRestartOptions {
  readonly namespace: string;
  /** The system's label selector: only its pods are restarted. */
  readonly systemSelector: string;
  /** How long the replacement may take to be ready, beyond the deleted pod's grace period, ms. */
  readonly readyTimeoutMs: number;
}

/** Deletes pod `name` and resolves with its replacement's name once that is ready and the deleted pod has gone. */
export async function restartPod(connection: KubeConnection, name: string, options: PodRestartOptions): Promise<string> {
  const { namespace } = options;
  const pod = await readPod(connection, namespace, name);
  const labels: Record<string, string> = pod.metadata?.labels ?? {};
  const workload = labels[SERVICE_LABEL] !== undefined ? `${SERVICE_LABEL}=${labels[SERVICE_LABEL]}` : labels[INFRASTRUCTURE_LABEL] !== undefined ? `${INFRASTRUCTURE_LABEL}=${labels[INFRASTRUCTURE_LABEL]}` : undefined;
  if (workload === undefined || !(pod.metadata?.ownerReferences ?? []).some((o: WireObject) => o.controller)) {
    throw failure(`pod ${name} belongs to no service of the system`, 'msx ps lists the pods msx can restart');
  }
  const selector = `${options.systemSelector},${workload}`;
  const uid = String(pod.metadata.uid);
  const before = new Set((await listPods(connection, namespace, selector)).map((p) => String(p.metadata?.uid)));
  const graceMs = Number(pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
  const owner = (pod.metadata.ownerReferences as WireObject[]).find((o) => o.controller)!;
  const controller = String(owner.name);
  const refusalsBefore = await failedCreates(connection, namespace, controller);

  try {
    // The uid as a precondition: never delete a newer pod that took this name (a StatefulSet's).
    await connection.core.deleteNamespacedPod({ name, namespace, body: { preconditions: { uid } } });
  } catch (error) {
    if (!isNotFound(error)) throw kubeFailure(`deleting pod ${name}`, error, connection.server);
  }
  return waitForReplacement(connection, { namespace, selector, deleted: { name, uid }, before, controller: { kind: String(owner.kind), name: controller }, refusalsBefore, timeoutMs: graceMs + options.readyTimeoutMs });
}

/** A controller's FailedCreate events, by name, with what tells a repeat apart (the API server aggregates repeats into one event: count and lastTimestamp move). */
async function failedCreates(connection: KubeConnection, namespace: string, controller: string): Promise<ReadonlyMap<string, string> | undefined> {
  try {
    const list = await connection.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${controller},reason=FailedCreate` });
    return new Map((JSON.parse(JSON.stringify(list.items)) as WireObject[]).map((e) => [String(e.metadata?.name), occurrence(e)]));
  } catch {
    // Events unreadable (RBAC without list on events): the restart still works; a refused replacement then shows at the timeout.
    return undefined;
  }
}

/** What changes when the same event happens again: `count` and `lastTimestamp` (core/v1 aggregation), or `series` (events.k8s.io). */
const occurrence = (event: WireObject) => `${event.count ?? 1}@${event.lastTimestamp ?? event.eventTime ?? ''}#${event.series?.count ?? 0}@${event.series?.lastObservedTime ?? ''}`;

async function readPod(connection: KubeConnection, namespace: string, name: string): Promise<WireObject> {
  try {
    return JSON.parse(JSON.stringify(await connection.core.readNamespacedPod({ name, namespace }))) as WireObject;
  } catch (error) {
    if (isNotFound(error)) throw failure(`no pod ${name} in namespace ${namespace}`, 'msx ps lists the pods');
    throw kubeFailure(`reading pod ${name}`, error, connection.server);
  }
}

async function listPods(connection: KubeConnection, namespace: string, labelSelector: string): Promise<WireObject[]> {
  try {
    return (JSON.parse(JSON.stringify(await connection.core.listNamespacedPod({ namespace, labelSelector }))) as { items: WireObject[] }).items;
  } catch (error) {
    throw kubeFailure(`listing the pods of ${labelSelector}`, error, connection.server);
  }
}

const isReady = (pod: WireObject) => !pod.metadata?.deletionTimestamp && (pod.status?.conditions ?? []).some((c: WireObject) => c.type === 'Ready' && c.status === 'True');

/** Watches the workload's pods until one that was not there before is ready and the deleted one is gone; fails on a pod problem waiting cannot fix, or at the timeout. */
async function waitForReplacement(
  connection: KubeConnection,
  wait: { namespace: string; selector: string; deleted: { name: string; uid: string }; before: ReadonlySet<string>; controller: { kind: string; name: string }; refusalsBefore: ReadonlyMap<string, string> | undefined; timeoutMs: number },
): Promise<string> {
  const stop = new AbortController();
  let pods: ReadonlyMap<string, WireObject> = new Map();
  type Outcome = { replacement: string } | { problem: string; pod: string } | { problem: string; controller: string } | { timeout: true };
  let settle!: (outcome: Outcome) => void;
  const settled = new Promise<Outcome>((resolve) => (settle = resolve));
  // FailedCreate occurrences already seen: those from before the delete, and those while the deleted pod still terminated.
  const seenRefusals = new Map(wait.refusalsBefore ?? []);
  let deletedGone = false;
  const watching = watchCollection(connection, { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespace: wait.namespace, labelSelector: wait.selector }, (items) => {
    pods = items;
    const fresh = [...items.values()].filter((p) => !wait.before.has(String(p.metadata?.uid)));
    for (const pod of fresh) {
      const problem = podProblem(pod, []);
      if (problem) return settle({ problem: `its replacement ${pod.metadata?.name} ${problem.reason}: ${problem.message}`, pod: String(pod.metadata?.name) });
    }
    deletedGone = ![...items.values()].some((p) => p.metadata?.uid === wait.deleted.uid);
    const replacement = fresh.find(isReady);
    if (deletedGone && replacement) settle({ replacement: String(replacement.metadata.name) });
  }, stop.signal);
  // The controller refusing to create the replacement is told only by its events.
  const refusals = wait.refusalsBefore === undefined ? Promise.resolve() : watchCollection(connection, { apiVersion: 'v1', kind: 'Event', plural: 'events', namespace: wait.namespace, fieldSelector: `involvedObject.name=${wait.controller.name},reason=FailedCreate` }, (items) => {
    const fresh = [...items.values()].filter((e) => seenRefusals.get(String(e.metadata?.name)) !== occurrence(e));
    for (const e of fresh) seenRefusals.set(String(e.metadata?.name), occurrence(e));
    const refusal = deletedGone ? fresh.at(-1) : undefined;
    if (refusal) settle({ problem: `its ${wait.controller.kind} ${wait.controller.name} cannot create a replacement (FailedCreate): ${refusal.message ?? 'no reason given'}`, controller: `${wait.controller.kind.toLowerCase()} ${wait.controller.name}` });
  }, stop.signal);
  const timer = setTimeout(() => settle({ timeout: true }), wait.timeoutMs);
  const outcome = await settled;
  clearTimeout(timer);
  stop.abort();
  await Promise.all([watching, refusals]);
  if ('replacement' in outcome) return outcome.replacement;
  if ('controller' in outcome) throw failure(`pod ${wait.deleted.name} was deleted, but ${outcome.problem}`, `kubectl -n ${wait.namespace} describe ${outcome.controller} shows its events, kubectl -n ${wait.namespace} describe resourcequota the quotas`);
  if ('problem' in outcome) throw failure(`pod ${wait.deleted.name} was deleted, but ${outcome.problem}`, `msx logs ${outcome.pod} shows its output; kubectl -n ${wait.namespace} describe pod ${outcome.pod} its events`);
  const left = [...pods.values()].some((p) => p.metadata?.uid === wait.deleted.uid);
  const fresh = [...pods.values()].filter((p) => !wait.before.has(String(p.metadata?.uid))).map((p) => String(p.metadata?.name));
  throw failure(
    `pod ${wait.deleted.name} was deleted, but after ${Math.round(wait.timeoutMs / 1000)} s ${left ? 'it is still terminating' : fresh.length === 0 ? 'no replacement has been created' : `its replacement ${fresh.join(', ')} is not ready`}`,
    'msx ps shows the pods now; kubectl describe pod says why one is not ready',
  );
}
