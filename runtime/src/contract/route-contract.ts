/**
 * A service's API declared once, as data: each operation's method, path,
 * request schemas and responses, in zod. The same declaration validates
 * requests at run time (`serveContract`), describes the API as OpenAPI 3.1
 * (`openApiDocument`), and is what typed clients of other services are
 * generated from (`msx generate`). Keep a contract module free of side
 * effects and of imports other than `@msx/runtime/contract`, zod and its own
 * schema files: msx loads it on its own, without the service's database or bus.
 */
import type { z } from 'zod';

export const CONTRACT_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
export type ContractMethod = (typeof CONTRACT_METHODS)[number];

/** A response answered as `application/problem+json` (RFC 9457): the kit's `HttpProblem` errors. */
export interface ProblemResponse {
  readonly kind: 'problem';
  /** When the operation answers it, for the document: "no user with this id". */
  readonly description: string;
}

/** A declared answer: a JSON body described by a zod schema, or a problem. */
export type ResponseSpec = z.ZodType | ProblemResponse;

export interface RouteSpec {
  readonly method: ContractMethod;
  /** Express-style path on the service: `/users/:id`. */
  readonly path: string;
  readonly summary?: string;
  readonly description?: string;
  /** Path parameters; default every `:name` is a string. */
  readonly params?: z.ZodType;
  /** Query parameters (their values arrive as strings: use `z.coerce` for numbers). */
  readonly query?: z.ZodType;
  /** The JSON request body. */
  readonly body?: z.ZodType;
  /** Every answer the operation gives, by status. 400 (invalid input) and 401 (no verified caller) are added for you. */
  readonly responses: Readonly<Record<number, ResponseSpec>>;
}

export interface Contract<R extends Readonly<Record<string, RouteSpec>> = Readonly<Record<string, RouteSpec>>> {
  /** The service's name in msx.yaml. */
  readonly service: string;
  /** Operations by id (`getUser`): the names of the typed client's methods. */
  readonly routes: R;
}

/** A problem response for `responses`: `404: problem('no user with this id')`. */
export function problem(description: string): ProblemResponse {
  return { kind: 'problem', description };
}

export function isProblemResponse(spec: ResponseSpec): spec is ProblemResponse {
  return (spec as { kind?: unknown }).kind === 'problem';
}

const OPERATION_ID = /^[a-z][A-Za-z0-9]*$/;
const PATH_PARAMETER = /:([A-Za-z_][A-Za-z0-9_]*)/g;

/** The `:name` parameters of an Express-style path, in order. */
export function pathParameters(path: string): string[] {
  return [...path.matchAll(PATH_PARAMETER)].map((match) => match[1]!);
}

/** `/users/:id` → `/users/{id}`, the OpenAPI spelling. */
export function openApiPath(path: string): string {
  return path.replace(PATH_PARAMETER, '{$1}');
}

/**
 * Declares a service's contract. Checked here, at import, so a mistake
 * fails the service's start and `msx openapi` with the operation named:
 * operation ids are camelCase identifiers, paths start with `/`, no two
 * operations share a method and path, every path parameter is declared by
 * `params` when `params` is given, and every operation declares a response.
 *
 * @example
 * export const contract = defineContract('users', {
 *   getUser: { method: 'get', path: '/users/:id', responses: { 200: User, 404: problem('no such user') } },
 * });
 */
export function defineContract<const R extends Readonly<Record<string, RouteSpec>>>(service: string, routes: R): Contract<R> {
  const seen = new Set<string>();
  for (const [id, route] of Object.entries(routes)) {
    const at = `defineContract('${service}'): operation ${id}`;
    if (!OPERATION_ID.test(id)) throw new TypeError(`${at}: the id must be a camelCase identifier such as getUser`);
    if (!(CONTRACT_METHODS as readonly string[]).includes(route.method)) {
      throw new TypeError(`${at}: method must be one of ${CONTRACT_METHODS.join(', ')}, got ${JSON.stringify(route.method)}`);
    }
    if (typeof route.path !== 'string' || !route.path.startsWith('/')) throw new TypeError(`${at}: path must start with "/", got ${JSON.stringify(route.path)}`);
    const key = `${route.method} ${openApiPath(route.path)}`;
    if (seen.has(key)) throw new TypeError(`${at}: another operation already declares ${route.method.toUpperCase()} ${route.path}`);
    seen.add(key);
    const statuses = Object.keys(route.responses ?? {});
    if (statuses.length === 0) throw new TypeError(`${at}: declare at least one response`);
    for (const status of statuses) {
      if (!/^[1-5]\d\d$/.test(status)) throw new TypeError(`${at}: response status ${status} is not an HTTP status`);
    }
    const shape = (route.params as { shape?: Record<string, unknown> } | undefined)?.shape;
    if (route.params !== undefined) {
      for (const name of pathParameters(route.path)) {
        if (shape === undefined || !(name in shape)) throw new TypeError(`${at}: path parameter :${name} is missing from params`);
      }
    }
  }
  return { service, routes };
}
