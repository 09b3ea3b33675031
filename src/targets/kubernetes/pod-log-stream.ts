import { parseLogLine } from '../../logs/log-line.js';
import { matchesQuery } from '../../logs/log-filter.js';
import type { LogEntry, LogQuery } from '../target.js';
import type { KubeConnection } from './kube-connection.js';
import { workloadName } from './kube-object.js';
import { followLog } from './pod-logs.js';
import { type WatchHooks, watchCollection, type WireObject } from './resource-watch.js';

/**
 * `msx logs` on Kubernetes: every container log of the system's pods (or of
 * the services asked for), each line prefixed `service/pod`. Without follow,
 * the lines each pod still has, merged in time order. With follow, a watch
 * of the pods attaches every pod whose container runs — new pods of a
 * rollout, a replaced pod, a restarted container — and detaches when its
 * stream ends; the watch itself reconnects. Ends when `signal` aborts.
 */
export async function streamPodLogs(connection: KubeConnection, namespace: string, selector: string, query: LogQuery, write: (entry: LogEntry) => void, signal: AbortSignal, hooks: WatchHooks = {}): Promise<void> {
  const wanted = (pod: WireObject) => {
    const service = serviceOf(pod);
    return query.sources.length === 0 || query.sources.includes(service) || query.sources.includes(String(pod.metadata?.name));
  };
  const sinceSeconds = query.since === undefined ? undefined : Math.max(1, Math.ceil((Date.now() - query.since) / 1000));
  const toEntry = (pod: WireObject, line: string): LogEntry => {
    const service = serviceOf(pod);
    const instance = `${service}/${pod.metadata?.name}`;
    const parsed = parseLogLine(line, { service, instance });
    return parsed ? { ...parsed, service, instance } : { raw: line, time: Date.now(), level: 30, service, instance, msg: line, fields: {} };
  };

  if (!query.follow) {
    const list = JSON.parse(JSON.stringify(await connection.core.listNamespacedPod({ namespace, labelSelector: selector }))) as { items: WireObject[] };
    const entries: LogEntry[] = [];
    await Promise.all(list.items.filter(wanted).filter(hasStarted).map(async (pod) => {
      const inner = new AbortController();
      // A non-following read ends when the API server has sent what it has.
      await followOnce(connection, namespace, pod, { sinceSeconds, follow: false }, (line) => entries.push(toEntry(pod, line)), inner.signal);
    }));
    const matching = entries.filter((e) => matchesQuery(e, query)).sort((a, b) => a.time - b.time);
    for (const entry of query.tail === undefined ? matching : matching.slice(Math.max(0, matching.length - query.tail))) write(entry);
    return;
  }

  /** `pod/container/containerID` of every stream open now: a restarted container has a new ID and is attached again. */
  const attached = new Set<string>();
  const streams = new Set<Promise<void>>();
  let firstList = true;
  const onPods = (pods: ReadonlyMap<string, WireObject>) => {
    const initial = firstList;
    firstList = false;
    for (const pod of pods.values()) {
      if (!wanted(pod) || pod.metadata?.deletionTimestamp) continue;
      for (const status of (pod.status?.containerStatuses ?? []) as WireObject[]) {
        if (!status.state?.running && !status.state?.terminated) continue;
        const key = `${pod.metadata.name}/${status.name}/${status.containerID ?? status.restartCount ?? 0}`;
        if (attached.has(key)) continue;
        attached.add(key);
        // Pods there when `logs -f` started show their recent lines (--tail, --since); pods that appear later, everything.
        const options = initial ? { sinceSeconds, tailLines: query.tail, follow: true } : { follow: true };
        const stream = followOnce(connection, namespace, pod, options, (line) => {
          const entry = toEntry(pod, line);
          if (matchesQuery(entry, query)) write(entry);
        }, signal, status.name).finally(() => {
          streams.delete(stream);
          attached.delete(key);
        });
        streams.add(stream);
      }
    }
  };
  await watchCollection(connection, { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespace, labelSelector: selector }, onPods, signal, hooks);
  await Promise.allSettled([...streams]);
}

async function followOnce(connection: KubeConnection, namespace: string, pod: WireObject, options: { sinceSeconds?: number | undefined; tailLines?: number | undefined; follow: boolean }, onLine: (line: string) => void, signal: AbortSignal, container?: string): Promise<void> {
  const name = container ?? pod.spec?.containers?.[0]?.name ?? '';
  try {
    await followLog(connection, namespace, String(pod.metadata?.name), name, options, onLine, signal);
  } catch {
    // The pod went away or its container is not running yet: the pod watch attaches it again when it runs.
  }
}

function serviceOf(pod: WireObject): string {
  return workloadName(pod.metadata?.labels, String(pod.metadata?.name));
}

function hasStarted(pod: WireObject): boolean {
  return ((pod.status?.containerStatuses ?? []) as WireObject[]).some((s) => s.state?.running || s.state?.terminated || s.lastState?.terminated);
}
