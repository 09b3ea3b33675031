/**
 * The front-end esbuild bundled at build time (scripts/build-dashboard.mjs)
 * into dist/dashboard-web/, shipped in the msx package: read once, served from
 * memory, gzipped once when the browser takes gzip. Nothing is fetched from
 * anywhere else (no CDN).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PACKAGE_ROOT } from '../../package-root.js';

export const ASSETS_DIR = join(PACKAGE_ROOT, 'dist', 'dashboard-web');

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export interface Asset {
  readonly type: string;
  readonly body: Buffer;
  readonly gzipped: Buffer;
}

export class MissingAssetsError extends Error {
  override readonly name = 'MissingAssetsError';
}

/** Every file of the built front-end by its URL path (`/index.html`, `/app.js`). */
export function loadAssets(dir = ASSETS_DIR): ReadonlyMap<string, Asset> {
  if (!existsSync(join(dir, 'index.html'))) throw new MissingAssetsError(`the dashboard's front-end is not built (no ${join(dir, 'index.html')})`);
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type === undefined) continue;
    const body = readFileSync(join(dir, name));
    assets.set(`/${name}`, { type, body, gzipped: gzipSync(body, { level: 9 }) });
  }
  return assets;
}
