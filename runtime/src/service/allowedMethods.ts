import type { Router } from 'express';

interface RouterLayer {
  route?: { _methods?: (includeAll?: boolean) => string[] };
  handle?: { stack?: unknown };
  match?: (path: string) => false | true | { path?: string };
  path?: string;
}

/**
 * The methods the routers answer for `path`, for a 405's `Allow` header.
 * Express has no public "which methods match this path" query, so this
 * walks the routers' layers (router 2.x internals), descending into nested
 * routers; if those internals change it finds nothing and the caller falls
 * back to a plain 404.
 */
export function allowedMethods(routers: readonly Router[], path: string): string[] {
  const allowed = new Set<string>();
  try {
    for (const router of routers) collect(router.stack as RouterLayer[], path, allowed);
  } catch {
    return [];
  }
  allowed.delete('*');
  return [...allowed].sort();
}

function collect(stack: RouterLayer[], path: string, into: Set<string>): void {
  for (const layer of stack) {
    if (typeof layer.match !== 'function') continue;
    let match: ReturnType<NonNullable<RouterLayer['match']>>;
    try {
      match = layer.match(path);
    } catch {
      continue;
    }
    if (!match) continue;
    if (layer.route?._methods) {
      for (const method of layer.route._methods(true)) into.add(method);
    } else if (Array.isArray(layer.handle?.stack)) {
      const consumed = typeof match === 'object' ? match.path : layer.path;
      const rest = path.slice((consumed ?? '').length) || '/';
      collect(layer.handle.stack as RouterLayer[], rest.startsWith('/') ? rest : `/${rest}`, into);
    }
  }
}
