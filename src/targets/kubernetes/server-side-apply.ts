import { CliError } from '../../errors/cli-error.js';
import { apiStatus, kubeFailure } from './kube-api-error.js';
import type { KubeConnection } from './kube-connection.js';
import { objectChanges } from './object-diff.js';
import { describeObject, FIELD_MANAGER, type KubeObject, SCALE_FIELD_MANAGER } from './kube-object.js';

export type ApplyAction = 'created' | 'configured' | 'unchanged';

export interface AppliedObject {
  readonly object: KubeObject;
  readonly action: ApplyAction;
  /** The object as the API server answered (after apply, or as it would be with a dry run). */
  readonly result: KubeObject;
}

export interface ApplyOptions {
  /** Send with dryRun=All: the API server validates and answers, stores nothing. */
  readonly dryRun: boolean;
  /** Take over fields another manager owns instead of failing with a conflict. */
  readonly forceConflicts: boolean;
  readonly onApplied?: (applied: AppliedObject) => void;
}

/**
 * Server-side apply, one object at a time in the order given (the caller's
 * apply order: what an object refers to exists before it). A conflict is
 * reported with each field and the manager that owns it; nothing after the
 * failed object is sent.
 */
/** `liveOf` gives the object as it was before the apply (undefined when new): it decides created, configured or unchanged. */
export async function applyObjects(connection: KubeConnection, objects: readonly KubeObject[], options: ApplyOptions, liveOf: (object: KubeObject) => KubeObject | undefined): Promise<AppliedObject[]> {
  const applied: AppliedObject[] = [];
  for (const object of objects) {
    const send = (force: boolean) => connection.objects.patch(
      structuredClone(object) as never,
      undefined,
      options.dryRun ? 'All' : undefined,
      FIELD_MANAGER,
      force,
      connection.lib.PatchStrategy.ServerSideApply,
    ) as unknown as Promise<KubeObject>;
    let result: KubeObject;
    try {
      try {
        result = await send(options.forceConflicts);
      } catch (error) {
        // Replica counts `msx scale` set are msx's own to take back; any other manager's field is a real conflict.
        if (!onlyOwnConflicts(error)) throw error;
        result = await send(true);
      }
    } catch (error) {
      throw applyFailure(object, error, connection.server);
    }
    const before = liveOf(object);
    // A dry run stores nothing, so no resourceVersion moves: what would change is what differs.
    const changed = options.dryRun ? (before ? objectChanges(before, result).length > 0 : true) : !before || String(before.metadata.resourceVersion) !== String(result.metadata.resourceVersion);
    const action: ApplyAction = !before ? 'created' : changed ? 'configured' : 'unchanged';
    const entry = { object, action, result };
    applied.push(entry);
    options.onApplied?.(entry);
  }
  return applied;
}

function onlyOwnConflicts(error: unknown): boolean {
  const status = apiStatus(error);
  if (status?.code !== 409) return false;
  const owners = status.causes.filter((c) => c.reason === 'FieldManagerConflict').map((c) => /conflict with "([^"]+)"/.exec(c.message ?? '')?.[1]);
  return owners.length > 0 && owners.every((owner) => owner === SCALE_FIELD_MANAGER);
}

function applyFailure(object: KubeObject, error: unknown, server: string): CliError {
  const status = apiStatus(error);
  if (status?.code === 409) {
    const conflicts = status.causes.filter((c) => c.reason === 'FieldManagerConflict');
    const details = conflicts.length > 0
      ? conflicts.map((c) => `${c.field ?? '(a field)'} is owned by ${ownerOf(c.message) ?? 'another field manager'}`)
      : [status.message];
    return new CliError(`${describeObject(object)}: the API server refused the apply: ${conflicts.length || 'some'} field${conflicts.length === 1 ? ' is' : 's are'} managed by another client`, {
      exitCode: 1,
      details,
      hint: 'msx.yaml says what runs: take the fields over with msx deploy --force-conflicts, or stop the other client changing them',
      cause: error,
    });
  }
  if (status?.code === 422 || status?.code === 400) {
    return new CliError(`${describeObject(object)} was rejected by the API server: ${status.message}`, { exitCode: 1, hint: 'the cluster may run a Kubernetes version that does not serve this field; see the message above', cause: error });
  }
  return kubeFailure(`applying ${describeObject(object)}`, error, server);
}

/** The manager named in an API server conflict cause: `conflict with "kubectl-edit" using apps/v1`. */
function ownerOf(message: string | undefined): string | undefined {
  const match = /conflict with "([^"]+)"/.exec(message ?? '');
  return match ? `"${match[1]}"` : undefined;
}
