import { isNotFound, kubeFailure } from './kube-api-error.js';
import type { KubeConnection } from './kube-connection.js';
import { KIND_ORDER, type KubeObject, objectKey } from './kube-object.js';

/**
 * Everything msx created for a system in a namespace: one LIST per kind msx
 * makes, by the system's label selector (managed-by=msx plus the system's
 * label), so nothing another tool created is ever seen here, let alone
 * pruned or deleted. Kinds the cluster does not serve are skipped.
 */
export async function listSystemObjects(connection: KubeConnection, namespace: string, selector: string): Promise<Map<string, KubeObject>> {
  const found = new Map<string, KubeObject>();
  for (const { apiVersion, kind, namespaced } of KIND_ORDER) {
    let items: KubeObject[];
    try {
      const list = await connection.objects.list(apiVersion, kind, namespaced ? namespace : undefined, undefined, undefined, undefined, undefined, selector);
      items = list.items as unknown as KubeObject[];
    } catch (error) {
      if (isNotFound(error)) continue;
      throw kubeFailure(`listing the ${kind} objects of the system`, error, connection.server);
    }
    // Items of a list carry no kind or apiVersion of their own.
    for (const item of items) {
      const object = { ...item, apiVersion, kind } as KubeObject;
      found.set(objectKey(object), object);
    }
  }
  return found;
}
