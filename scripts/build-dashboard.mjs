#!/usr/bin/env node
// Bundles the dashboard's front-end (src/dashboard/web: Preact and uPlot)
// with esbuild into dist/dashboard-web/ (index.html, app.js, app.css), shipped in
// the msx package and served by `msx dashboard`. Minified, one file each, no
// source maps shipped; prints the sizes (raw and gzip) it produced.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'dashboard', 'web');
const out = join(root, 'dist', 'dashboard-web');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: join(source, 'main.tsx') },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome110', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
});
copyFileSync(join(source, 'index.html'), join(out, 'index.html'));
for (const name of readdirSync(out)) {
  const body = readFileSync(join(out, name));
  console.log(`dashboard: dist/dashboard-web/${name} ${(body.length / 1024).toFixed(1)} KiB (${(gzipSync(body, { level: 9 }).length / 1024).toFixed(1)} KiB gzip)`);
}
