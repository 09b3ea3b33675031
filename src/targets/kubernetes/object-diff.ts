/**
 * What an apply would change in an object: the leaf fields that differ
 * between the live object and the API server's dry-run answer, ignoring what
 * the server keeps for itself (managedFields, resourceVersion, uid,
 * timestamps, generation, status). Secret values are never printed, only
 * that they change. Pure: two objects in, changes out.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export interface FieldChange {
  /** `spec.template.spec.containers[0].image` */
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
}

const SERVER_METADATA = ['managedFields', 'resourceVersion', 'uid', 'creationTimestamp', 'generation', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

export function objectChanges(live: Json, proposed: Json): FieldChange[] {
  const changes: FieldChange[] = [];
  walk(comparable(live), comparable(proposed), '', changes);
  return changes;
}

function comparable(object: Json): Json {
  if (!object) return {};
  const copy = JSON.parse(JSON.stringify(object));
  delete copy.status;
  for (const key of SERVER_METADATA) delete copy.metadata?.[key];
  return copy;
}

function walk(a: Json, b: Json, path: string, out: FieldChange[]): void {
  if (isRecord(a) && isRecord(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[key], b[key], path ? `${path}.${key}` : key, out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) walk(a[i], b[i], `${path}[${i}]`, out);
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, before: a, after: b });
}

function isRecord(value: unknown): value is Record<string, Json> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** One line per change, `~ path: before → after`; Secret data shown as changed, never as values. */
export function formatChanges(kind: string, changes: readonly FieldChange[]): string[] {
  return changes.map((change) => {
    const secret = kind === 'Secret' && /^(data|stringData)\b/.test(change.path);
    const show = (value: unknown) => (value === undefined ? '(none)' : secret ? '(secret value)' : JSON.stringify(value));
    const sign = change.before === undefined ? '+' : change.after === undefined ? '-' : '~';
    return `${sign} ${change.path}: ${change.before === undefined ? show(change.after) : change.after === undefined ? show(change.before) : `${show(change.before)} → ${show(change.after)}`}`;
  });
}
