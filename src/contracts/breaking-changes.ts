import type { OpenApiDocument } from '@msx/runtime/contract';

/** One change that breaks a caller of the committed contract. */
export interface BreakingChange {
  readonly service: string;
  /** `GET /users/{id}`, or `(document)` for a change outside the paths. */
  readonly route: string;
  /** Where in the route: `response 200`, `request body`, `query parameter`, `operation`, `path`. */
  readonly location: string;
  /** The field, dotted (`items[].quantity`), when the change is about one. */
  readonly field?: string;
  /** What changed, as api-smart-diff describes it. */
  readonly change: string;
}

type Segment = string | number;

/**
 * The changes from `committed` to `current` that break existing callers —
 * a removed path or operation, a response field removed or made optional,
 * a type narrowed or changed, a request field or parameter made required,
 * an enum narrowed — classified by api-smart-diff's OpenAPI rules (request
 * and response sides differ: narrowing a response is fine, narrowing a
 * request is not) and located by route and field.
 */
export async function breakingChanges(service: string, committed: OpenApiDocument, current: OpenApiDocument): Promise<BreakingChange[]> {
  const { apiCompare } = await import('api-smart-diff');
  const { diffs } = apiCompare(committed, current);
  const changes: BreakingChange[] = [];
  const seen = new Set<string>();
  for (const diff of diffs) {
    if (diff.type !== 'breaking' && !responseTypeChanged(diff)) continue;
    for (const change of locate(service, diff.path, committed, diff)) {
      const key = `${change.route}|${change.location}|${change.field ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      changes.push(change);
    }
  }
  return changes;
}

/**
 * api-smart-diff calls any type change of a response field non-breaking;
 * a caller that reads a boolean breaks when it becomes a string. A
 * response may only narrow: the new types must be among the old ones
 * (an `integer` where a `number` was is fine).
 */
function responseTypeChanged(diff: { action: string; path: readonly Segment[]; before?: unknown; after?: unknown }): boolean {
  if (diff.action !== 'replace' || diff.path.at(-1) !== 'type' || !diff.path.includes('responses')) return false;
  const before = new Set([diff.before].flat().map(String));
  const after = [diff.after].flat().map(String);
  return !after.every((type) => before.has(type) || (type === 'integer' && before.has('number')));
}

function locate(service: string, path: readonly Segment[], committed: OpenApiDocument, diff: { action: string; before?: unknown; after?: unknown; description?: string }): BreakingChange[] {
  const change = diff.description ?? `${diff.action} at ${path.join('/')}`;
  if (path[0] !== 'paths' || path.length < 2) return [{ service, route: '(document)', location: path.join('.'), change }];
  const apiPath = String(path[1]);
  if (path.length === 2) {
    const methods = Object.keys(committed.paths[apiPath] ?? {});
    return (methods.length > 0 ? methods : ['*']).map((method) => ({ service, route: `${method.toUpperCase()} ${apiPath}`, location: 'path', change: `the path ${apiPath} was removed` }));
  }
  const method = String(path[2]);
  const route = `${method.toUpperCase()} ${apiPath}`;
  if (path.length === 3) return [{ service, route, location: 'operation', change: `the operation ${route} was removed` }];
  const rest = path.slice(3);
  const operation = (committed.paths[apiPath] as Record<string, { parameters?: { name: string; in: string }[] }> | undefined)?.[method];
  if (rest[0] === 'parameters') {
    const parameter = typeof rest[1] === 'number' ? operation?.parameters?.[rest[1]] : undefined;
    const named = parameter ?? (diff.after as { name?: string; in?: string } | undefined);
    return [{ service, route, location: `${named?.in ?? 'query'} parameter`, ...(named?.name ? { field: named.name } : {}), change }];
  }
  if (rest[0] === 'requestBody') return [{ service, route, location: 'request body', ...fieldOf(rest.slice(1), diff), change }];
  if (rest[0] === 'responses') {
    const status = String(rest[1] ?? '');
    return [{ service, route, location: status ? `response ${status}` : 'responses', ...fieldOf(rest.slice(2), diff), change }];
  }
  return [{ service, route, location: rest.join('.'), change }];
}

/** The field a schema path names: `content/application/json/schema/properties/items/items/properties/quantity` → `items[].quantity`. */
function fieldOf(path: readonly Segment[], diff: { before?: unknown; after?: unknown }): { field?: string } {
  const start = path.indexOf('schema');
  if (start === -1) return {};
  const parts: string[] = [];
  const schemaPath = path.slice(start + 1);
  for (let i = 0; i < schemaPath.length; i++) {
    const segment = schemaPath[i];
    if (segment === 'properties' && i + 1 < schemaPath.length) parts.push(String(schemaPath[++i]));
    else if (segment === 'items' && parts.length > 0) parts[parts.length - 1] += '[]';
    else if (segment === 'required') {
      // A change to the `required` list is about the field it names.
      const named = typeof diff.before === 'string' ? diff.before : typeof diff.after === 'string' ? diff.after : Array.isArray(diff.after) ? undefined : undefined;
      if (named) parts.push(named);
      break;
    }
  }
  return parts.length > 0 ? { field: parts.join('.') } : {};
}
