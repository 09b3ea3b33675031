/**
 * Whether a workload's rollout is done, read as `kubectl rollout status`
 * reads it: the controller has seen the newest spec (observedGeneration),
 * every replica runs the new template (updated = desired), no old replica
 * is left, and every updated replica is available. Pure: status in, verdict out.
 */

export type RolloutVerdict =
  | { readonly state: 'progressing'; readonly message: string; readonly ready: number; readonly desired: number }
  | { readonly state: 'done'; readonly ready: number; readonly desired: number }
  | { readonly state: 'failed'; readonly reason: string; readonly message: string; readonly ready: number; readonly desired: number };

interface Condition {
  readonly type?: string;
  readonly status?: string;
  readonly reason?: string;
  readonly message?: string;
}

export interface DeploymentLike {
  readonly metadata?: { readonly generation?: number };
  readonly spec?: { readonly replicas?: number };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly replicas?: number;
    readonly updatedReplicas?: number;
    readonly availableReplicas?: number;
    readonly conditions?: readonly Condition[];
  };
}

export function deploymentRollout(deployment: DeploymentLike): RolloutVerdict {
  const desired = deployment.spec?.replicas ?? 1;
  const status = deployment.status ?? {};
  const updated = status.updatedReplicas ?? 0;
  const available = status.availableReplicas ?? 0;
  const replicas = status.replicas ?? 0;
  const ready = Math.min(available, updated);
  if ((deployment.metadata?.generation ?? 0) > (status.observedGeneration ?? -1)) {
    return { state: 'progressing', message: 'waiting for the new spec to be observed', ready, desired };
  }
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { state: 'failed', reason: 'ProgressDeadlineExceeded', message: progressing.message ?? 'the rollout exceeded its progress deadline', ready, desired };
  }
  if (updated < desired) return { state: 'progressing', message: `${updated} of ${desired} new replicas updated`, ready, desired };
  if (replicas > updated) return { state: 'progressing', message: `${replicas - updated} old replica${replicas - updated === 1 ? '' : 's'} pending termination`, ready, desired };
  if (available < updated) return { state: 'progressing', message: `${available} of ${updated} updated replicas available`, ready, desired };
  return { state: 'done', ready: available, desired };
}

export interface StatefulSetLike {
  readonly metadata?: { readonly generation?: number };
  readonly spec?: { readonly replicas?: number; readonly updateStrategy?: { readonly type?: string; readonly rollingUpdate?: { readonly partition?: number } } };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly readyReplicas?: number;
    readonly updatedReplicas?: number;
    readonly currentRevision?: string;
    readonly updateRevision?: string;
  };
}

export function statefulSetRollout(set: StatefulSetLike): RolloutVerdict {
  const desired = set.spec?.replicas ?? 1;
  const status = set.status ?? {};
  const ready = status.readyReplicas ?? 0;
  if (set.spec?.updateStrategy?.type === 'OnDelete') return { state: 'done', ready, desired };
  if ((set.metadata?.generation ?? 0) > (status.observedGeneration ?? -1)) return { state: 'progressing', message: 'waiting for the new spec to be observed', ready, desired };
  if (ready < desired) return { state: 'progressing', message: `${ready} of ${desired} pods ready`, ready, desired };
  const partition = set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
  if (partition > 0) {
    const wanted = desired - partition;
    if ((status.updatedReplicas ?? 0) < wanted) return { state: 'progressing', message: `${status.updatedReplicas ?? 0} of ${wanted} pods updated (partitioned roll out)`, ready, desired };
    return { state: 'done', ready, desired };
  }
  if (status.updateRevision !== status.currentRevision) return { state: 'progressing', message: `${status.updatedReplicas ?? 0} of ${desired} pods at the new revision`, ready, desired };
  return { state: 'done', ready, desired };
}
