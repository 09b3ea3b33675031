import { isNotFound, kubeFailure } from './kube-api-error.js';
import type { KubeConnection } from './kube-connection.js';
import { inApplyOrder, type KubeObject, objectKey } from './kube-object.js';

/** Kinds never pruned: the namespace holds data and other tools' objects; claims hold data. */
const NEVER_PRUNED = new Set(['Namespace', 'PersistentVolumeClaim']);

/** Objects msx created for the system that the current msx.yaml no longer renders, in reverse apply order. */
export function pruneCandidates(live: ReadonlyMap<string, KubeObject>, rendered: readonly KubeObject[]): KubeObject[] {
  const wanted = new Set(rendered.map(objectKey));
  return inApplyOrder([...live.values()].filter((object) => !wanted.has(objectKey(object)) && !NEVER_PRUNED.has(object.kind))).reverse();
}

/** Deletes objects (background propagation: a Deployment's pods go with it); one already gone counts as deleted. */
export async function deleteObjects(connection: KubeConnection, objects: readonly KubeObject[], options: { dryRun: boolean; onDeleted?: (object: KubeObject) => void }): Promise<void> {
  for (const object of objects) {
    try {
      await connection.objects.delete(
        { apiVersion: object.apiVersion, kind: object.kind, metadata: { name: object.metadata.name, namespace: object.metadata.namespace } },
        undefined,
        options.dryRun ? 'All' : undefined,
        undefined,
        undefined,
        'Background',
      );
    } catch (error) {
      if (!isNotFound(error)) throw kubeFailure(`deleting ${object.kind} ${object.metadata.name}`, error, connection.server);
    }
    options.onDeleted?.(object);
  }
}
