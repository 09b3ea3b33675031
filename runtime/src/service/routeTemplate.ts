import type { Request } from 'express';

/** The route label of a request that matched no route (404s, requests rejected before routing). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The template of the route that handled `req` (`/users/:id`), never the
 * raw path, so metrics and logs stay low-cardinality. Routers mounted under
 * a fixed prefix (`app.use('/v1', router)`) are included; a router mounted
 * under a parameterised prefix would leak raw values through `baseUrl`, so
 * mount routers at fixed paths.
 */
export function routeTemplate(req: Request): string {
  const route = (req as { route?: { path?: unknown } }).route;
  if (route === undefined || route.path === undefined) return UNMATCHED_ROUTE;
  const path = typeof route.path === 'string' ? route.path : String(route.path);
  return `${req.baseUrl}${path}` || '/';
}
