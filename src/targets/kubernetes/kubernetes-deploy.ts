import type { Manifest } from '../../manifest/schema.js';
import { writeDeployment } from './deployment-record.js';
import { kubeFailure } from './kube-api-error.js';
import { connect, type KubeConnection } from './kube-connection.js';
import { describeObject, type KubeObject, objectKey, workloadName } from './kube-object.js';
import { type FieldChange, objectChanges } from './object-diff.js';
import { deleteObjects, pruneCandidates } from './prune.js';
import { kubernetesNamespace, systemSelector } from './render/labels.js';
import { type RolloutOutcome, waitForRollouts, warningEventKeys, type Workload, type WorkloadProgress } from './rollout-wait.js';
import { type AppliedObject, applyObjects } from './server-side-apply.js';
import { listSystemObjects } from './system-inventory.js';
import { systemObjects } from './system-objects.js';

export interface DeployOptions {
  readonly context?: string | undefined;
  readonly namespace?: string | undefined;
  readonly dryRun: boolean;
  readonly wait: boolean;
  readonly timeoutMs: number;
  readonly forceConflicts: boolean;
  readonly signal?: AbortSignal;
}

/** What a deploy tells its caller as it goes, for progress output. */
export interface DeployProgress {
  onConnected?(target: { context: string; server: string; namespace: string }): void;
  onApplied?(applied: AppliedObject, changes: readonly FieldChange[] | undefined): void;
  onPruned?(object: KubeObject): void;
  onRollout?(progress: WorkloadProgress): void;
}

export interface DeployResult {
  readonly context: string;
  readonly server: string;
  readonly namespace: string;
  readonly dryRun: boolean;
  readonly applied: readonly AppliedObject[];
  readonly pruned: readonly KubeObject[];
  /** Absent with --no-wait and --dry-run. */
  readonly rollout: RolloutOutcome | undefined;
  /** Dry run into a namespace that does not exist yet: the API server could check only the Namespace itself. */
  readonly namespaceMissing: boolean;
}

/**
 * `msx deploy`: renders the system from msx.yaml as it is now, applies it
 * server-side as field manager `msx` in dependency order, prunes what msx
 * made for the system and no longer renders, and waits for the rollouts.
 */
export async function deploySystem(root: string, manifest: Manifest, options: DeployOptions, progress: DeployProgress = {}): Promise<DeployResult> {
  const namespace = options.namespace ?? kubernetesNamespace(manifest);
  const selector = systemSelector(manifest);
  const objects = await systemObjects(root, manifest, namespace);
  const connection = await connect({ context: options.context });
  progress.onConnected?.({ context: connection.context, server: connection.server, namespace });

  const live = await listSystemObjects(connection, namespace, selector);
  // Before anything is applied: what the controllers report from here on is this deploy's.
  const eventsBefore = options.wait && !options.dryRun ? await warningEventKeys(connection, namespace) : undefined;
  const namespaceMissing = options.dryRun && !(await namespaceExists(connection, namespace));
  const toApply = namespaceMissing ? objects.filter((o) => o.kind === 'Namespace') : objects;
  const liveOf = (object: KubeObject) => live.get(objectKey(object));
  const applied = await applyObjects(connection, toApply, {
    dryRun: options.dryRun,
    forceConflicts: options.forceConflicts,
    onApplied: (entry) => progress.onApplied?.(entry, options.dryRun ? objectChanges(liveOf(entry.object), entry.result) : undefined),
  }, liveOf);
  if (namespaceMissing) {
    for (const object of objects.filter((o) => o.kind !== 'Namespace')) {
      const entry: AppliedObject = { object, action: 'created', result: object };
      applied.push(entry);
      progress.onApplied?.(entry, objectChanges(undefined, object));
    }
  }
  if (!options.dryRun) writeDeployment(root, { context: connection.context, namespace, server: connection.server, deployedAt: Date.now() });

  const pruned = pruneCandidates(live, objects);
  await deleteObjects(connection, pruned, { dryRun: options.dryRun, onDeleted: (object) => progress.onPruned?.(object) });

  let rollout: RolloutOutcome | undefined;
  if (options.wait && !options.dryRun) {
    const workloads: Workload[] = objects
      .filter((o): o is KubeObject & { kind: 'Deployment' | 'StatefulSet' } => o.kind === 'Deployment' || o.kind === 'StatefulSet')
      .map((o) => ({ kind: o.kind, name: o.metadata.name, service: workloadName(o.metadata.labels, o.metadata.name) }));
    rollout = await waitForRollouts(connection, namespace, selector, workloads, { timeoutMs: options.timeoutMs, onProgress: (p) => progress.onRollout?.(p), signal: options.signal, ...(eventsBefore ? { eventsBefore } : {}) });
  }
  return { context: connection.context, server: connection.server, namespace, dryRun: options.dryRun, applied, pruned, rollout, namespaceMissing };
}

async function namespaceExists(connection: KubeConnection, namespace: string): Promise<boolean> {
  try {
    await connection.core.readNamespace({ name: namespace });
    return true;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return false;
    throw kubeFailure(`reading namespace ${namespace}`, error, connection.server);
  }
}

export { describeObject };
