import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConnection } from './kube-connection.js';

/* The API's JSON as it comes off the wire: msx reads a few fields of it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type WireObject = Record<string, any>;

export interface Collection {
  /** `v1`, `apps/v1`… */
  readonly apiVersion: string;
  readonly kind: string;
  /** Plural resource name in the URL: `pods`, `deployments`. */
  readonly plural: string;
  readonly namespace: string;
  readonly labelSelector?: string | undefined;
  readonly fieldSelector?: string | undefined;
}

export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: WireObject;
}

/** What a watch tells its user besides changes: for progress output and tests. */
export interface WatchHooks {
  /** The cache was (re)filled from a LIST. `reason` says why: first, after a 410, after a failure. */
  onList?(reason: 'start' | 'expired' | 'error'): void;
  /** A watch connection ended and is being re-opened from the last resourceVersion. */
  onReconnect?(error: unknown): void;
}

/**
 * A collection kept current the way an informer does it: LIST, then WATCH
 * from the list's resourceVersion; when the connection drops, watch again
 * from the last resourceVersion seen; when the API server says that version
 * is gone (410 Expired, as an ERROR event or as the status), LIST again.
 * `onChange` gets the whole cache after every list and every event. Runs
 * until `signal` aborts; then resolves, leaving no connection open.
 */
export async function watchCollection(
  connection: KubeConnection,
  collection: Collection,
  onChange: (items: ReadonlyMap<string, WireObject>, event: WatchEvent | undefined) => void,
  signal: AbortSignal,
  hooks: WatchHooks = {},
): Promise<void> {
  const watch = new connection.lib.Watch(connection.config);
  const base = collection.apiVersion.includes('/') ? `/apis/${collection.apiVersion}` : `/api/${collection.apiVersion}`;
  const path = `${base}/namespaces/${encodeURIComponent(collection.namespace)}/${collection.plural}`;
  let listReason: 'start' | 'expired' | 'error' = 'start';
  let failures = 0;
  while (!signal.aborted) {
    let items: Map<string, WireObject>;
    let resourceVersion: string;
    try {
      ({ items, resourceVersion } = await list(connection, collection));
    } catch (error) {
      if (signal.aborted) return;
      hooks.onReconnect?.(error);
      await pause(++failures, signal);
      listReason = 'error';
      continue;
    }
    failures = 0;
    hooks.onList?.(listReason);
    onChange(items, undefined);
    for (;;) {
      if (signal.aborted) return;
      const outcome = await watchOnce(watch, path, collection, resourceVersion, signal, (event) => {
        const name = String(event.object.metadata?.name);
        if (event.type === 'DELETED') items.delete(name);
        else items.set(name, event.object);
        onChange(items, event);
      }, (rv) => (resourceVersion = rv));
      if (signal.aborted) return;
      if (outcome.kind === 'expired') {
        listReason = 'expired';
        break;
      }
      hooks.onReconnect?.(outcome.kind === 'error' ? outcome.error : undefined);
      if (outcome.kind === 'error') {
        await pause(++failures, signal);
        // After a few failures in a row, start over from a fresh LIST: the watch cache may have moved on.
        if (failures >= 3) {
          listReason = 'error';
          break;
        }
      } else failures = 0;
    }
  }
}

async function list(connection: KubeConnection, collection: Collection): Promise<{ items: Map<string, WireObject>; resourceVersion: string }> {
  const result = await connection.objects.list(collection.apiVersion, collection.kind, collection.namespace, undefined, undefined, undefined, collection.fieldSelector, collection.labelSelector);
  // The typed client hands back class instances with Date fields; msx reads the wire's JSON shape, as watch events have it.
  const body = JSON.parse(JSON.stringify(result)) as WireObject;
  const items = new Map<string, WireObject>();
  for (const item of (body.items ?? []) as WireObject[]) items.set(String(item.metadata?.name), item);
  return { items, resourceVersion: String(body.metadata?.resourceVersion ?? '') };
}

type WatchOutcome = { kind: 'closed' } | { kind: 'expired' } | { kind: 'error'; error: unknown };

function watchOnce(
  watch: import('@kubernetes/client-node').Watch,
  path: string,
  collection: Collection,
  resourceVersion: string,
  signal: AbortSignal,
  onEvent: (event: WatchEvent) => void,
  onVersion: (rv: string) => void,
): Promise<WatchOutcome> {
  return new Promise((resolve) => {
    let expired = false;
    let controller: AbortController | undefined;
    const abort = () => controller?.abort();
    signal.addEventListener('abort', abort, { once: true });
    const finish = (outcome: WatchOutcome) => {
      signal.removeEventListener('abort', abort);
      resolve(outcome);
    };
    watch
      .watch(
        path,
        { resourceVersion, allowWatchBookmarks: true, labelSelector: collection.labelSelector, fieldSelector: collection.fieldSelector },
        (type: string, object: WireObject) => {
          if (type === 'ERROR') {
            if (object?.code === 410) expired = true;
            return;
          }
          const rv = object?.metadata?.resourceVersion;
          if (rv) onVersion(String(rv));
          if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') onEvent({ type, object });
        },
        (error: unknown) => {
          if (expired || (error as { statusCode?: number } | null)?.statusCode === 410) finish({ kind: 'expired' });
          else if (error && !signal.aborted) finish({ kind: 'error', error });
          else finish({ kind: 'closed' });
        },
      )
      .then((c) => {
        controller = c;
        if (signal.aborted) c.abort();
      }, (error: unknown) => finish({ kind: 'error', error }));
  });
}

async function pause(failures: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(Math.min(2000, 100 * 2 ** Math.min(failures, 5)), undefined, { signal });
  } catch {
    // aborted: the caller checks the signal
  }
}
