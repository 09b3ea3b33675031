import { buildRouteTable, type RouteSpec } from '../gateway/route-table.js';
import { PROBLEM_SCHEMA, problemResponse } from './openapi-document.js';
import { PATH_ITEM_METHODS, type OpenApiDocument, type OpenApiOperation, type OpenApiResponse } from './openapi-types.js';

export interface GatewayDocumentInput {
  /** The gateway's name in msx.yaml. */
  readonly name: string;
  /** The gateway's routes, as msx.yaml turns them into its configuration. */
  readonly routes: readonly RouteSpec[];
  /** Names of the rate-limit groups; a route with one (or a `default` group) may answer 429. */
  readonly rateLimitGroups?: readonly string[];
  /** Each routed service's own document; a service missing here is listed under `x-msx-undocumented`. */
  readonly services: Readonly<Record<string, OpenApiDocument>>;
  /** How user tokens are checked, for the security scheme's description. */
  readonly auth?: { readonly issuer?: string; readonly audience?: string | readonly string[]; readonly algorithms?: readonly string[] };
}

const RETRY_AFTER = { 'Retry-After': { description: 'seconds until the budget allows another request', schema: { type: 'integer' } } };

/**
 * The gateway's public API as one OpenAPI 3.1 document: every operation of
 * a routed service that the gateway's route table actually sends there,
 * under its public path (`/api/users/{id}` for users' `/users/{id}`).
 * Public routes carry `security: []`; the others need a bearer JWT and may
 * answer 401. Rate-limited routes may answer 429, and every route 502, 503
 * or 504 when its service cannot answer. Operations nothing routes to
 * (internal ones such as products' `/reservations`) are not listed.
 *
 * Pure: msx builds it from the services' contracts (`msx openapi gateway`),
 * the gateway from the documents its services serve.
 */
export function gatewayOpenApiDocument(input: GatewayDocumentInput): OpenApiDocument {
  const groups = new Set(input.rateLimitGroups ?? []);
  const table = buildRouteTable(input.routes, groups);
  const paths: Record<string, Record<string, OpenApiOperation>> = {};
  const undocumented = new Set<string>();
  for (const route of table.routes) {
    const document = input.services[route.service];
    if (document === undefined) {
      undocumented.add(route.service);
      continue;
    }
    for (const [servicePath, item] of Object.entries(document.paths)) {
      const rest = underPrefix(route.to, servicePath);
      if (rest === undefined) continue;
      const publicPath = route.path === '/' ? rest || '/' : `${route.path}${rest === '/' ? '' : rest}` || '/';
      for (const method of PATH_ITEM_METHODS) {
        const source = item[method];
        if (source === undefined) continue;
        // The route table decides, exactly as it does for a request: a longer prefix or an earlier route may claim this path.
        const match = table.match(method.toUpperCase(), publicPath);
        if (match.kind !== 'route' || match.route !== route || match.upstreamPath !== servicePath) continue;
        (paths[publicPath] ??= {})[method] = publicOperation(route.service, source, route.public, route.rateLimit !== undefined);
      }
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: `${input.name} public API`, version: '1', description: 'Every route of the system as the gateway serves it. Errors are application/problem+json (RFC 9457).' },
    paths: sortedPaths(paths),
    components: {
      schemas: { Problem: PROBLEM_SCHEMA },
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: describeAuth(input.auth),
        },
      },
    },
    security: [{ bearerAuth: [] }],
    ...(undocumented.size > 0 ? { 'x-msx-undocumented': [...undocumented].sort() } : {}),
  };
}

/** The part of `servicePath` after the route's `to` prefix (`''` for the prefix itself), or undefined when outside it. */
function underPrefix(prefix: string, servicePath: string): string | undefined {
  if (prefix === '/') return servicePath;
  if (servicePath === prefix) return '';
  return servicePath.startsWith(`${prefix}/`) ? servicePath.slice(prefix.length) : undefined;
}

function publicOperation(service: string, source: OpenApiOperation, isPublic: boolean, rateLimited: boolean): OpenApiOperation {
  // The service's 401 is about service credentials, which the gateway supplies; the gateway's own 401 is about the user's token.
  const { 401: _serviceCredentials, ...responses } = source.responses;
  const added: Record<string, OpenApiResponse> = {};
  if (!isPublic) added['401'] = problemResponse('no valid bearer token (missing, expired, wrong issuer or audience)', { 'WWW-Authenticate': { schema: { type: 'string' } } });
  if (rateLimited) added['429'] = problemResponse('the rate limit of this route is used up; retry after Retry-After seconds', RETRY_AFTER);
  added['502'] = problemResponse(`${service} answered with an error the gateway could not pass on`);
  added['503'] = problemResponse(`no instance of ${service} can answer now (none running, or its circuit is open)`, RETRY_AFTER);
  added['504'] = problemResponse(`${service} did not answer within the route's timeout`);
  return {
    ...source,
    operationId: `${service}.${source.operationId}`,
    responses: { ...responses, ...added },
    security: isPublic ? [] : [{ bearerAuth: [] }],
    'x-msx-service': service,
    'x-msx-public': isPublic,
  };
}

function describeAuth(auth: GatewayDocumentInput['auth']): string {
  const parts = ['A JWT the gateway verifies strictly (algorithm, issuer, audience, expiry); `msx token` prints one for a local system.'];
  if (auth?.issuer) parts.push(`Issuer: ${auth.issuer}.`);
  if (auth?.audience) parts.push(`Audience: ${([] as string[]).concat(auth.audience as string[]).join(', ')}.`);
  if (auth?.algorithms?.length) parts.push(`Algorithms: ${auth.algorithms.join(', ')}.`);
  return parts.join(' ');
}

function sortedPaths<T>(paths: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(paths).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
