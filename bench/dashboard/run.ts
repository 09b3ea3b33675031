/**
 * bench/dashboard: what the dashboard costs a browser, on the shop under
 * `msx up -d`, in headless Debian Chromium (playwright-core), each figure
 * against a baseline measured in the same run:
 *
 * 1. First load to interactive: from navigation to the Map drawn with its
 *    six services (data from the server included), against a static page
 *    of the same byte size served by the same server (interactive at
 *    DOMContentLoaded). Median of --loads cold loads (cache disabled).
 * 2. The shipped bundle's gzip size (target ≤ 250 KB), beside the gzip size
 *    of the two libraries alone (Preact and uPlot, bundled and minified the
 *    same way).
 * 3. The Logs page's frame rate while the system's log grows by 2,000 lines
 *    a second (target ≥ 30 fps), against the same page with no new lines.
 *    The lines are appended, in the instances' JSON line format, to a log
 *    file under .msx/logs/ (as the supervisor writes each instance's), so
 *    the whole path is measured: file → Target.logs → SSE → page.
 *
 *   npm run build && flock /work/bench.lock node --import tsx bench/dashboard/run.ts [--root <running shop>] [--loads 10]
 *
 * Without --root it makes a shop (test/support/shop.ts), starts it, and
 * removes it afterwards.
 */
import { appendFileSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { loadManifest } from '../../src/manifest/load-manifest.js';
import { startDashboardServer } from '../../src/dashboard/server/dashboard-server.js';
import { ASSETS_DIR, loadAssets, type Asset } from '../../src/dashboard/server/static-assets.js';
import { resolveTarget } from '../../src/targets/resolve-target.js';
import { launchBrowser } from '../../test/support/browser.js';
import { createShop, type ShopSystem } from '../../test/support/shop.js';

const { values } = parseArgs({ options: { root: { type: 'string' }, loads: { type: 'string', default: '10' } } });
const loads = Number(values.loads);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

let shop: ShopSystem | undefined;
let root = values.root;
if (root === undefined) {
  shop = await createShop('msx-bench-dashboard-');
  await shop.run(['up', '-d', '--timeout', '120s']);
  root = shop.root;
}

const shipped = ['index.html', 'app.js', 'app.css'].map((f) => readFileSync(join(ASSETS_DIR, f)));
const shippedBytes = shipped.reduce((n, b) => n + b.length, 0);
const shippedGzip = shipped.reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0);

// Baseline page: the same number of bytes, inert (a comment), nothing to run.
const filler = 'x'.repeat(shippedBytes - 200);
const staticPage = Buffer.from(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>static</title></head><body><h1>static</h1><!--${filler}--></body></html>`);
const assets = new Map<string, Asset>(loadAssets());
assets.set('/static.html', { type: 'text/html; charset=utf-8', body: staticPage, gzipped: gzipSync(staticPage, { level: 9 }) });

const manifest = loadManifest(root).manifest;
const server = await startDashboardServer({ target: resolveTarget(root, { manifest }), manifest: () => manifest, assets, port: 0 });
const browser = await launchBrowser();
const page = await browser.newPage();
await page.goto(server.url); // sets the cookie
const cdp = await browser.context.newCDPSession(page);
await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
const origin = new URL(server.url).origin;

async function timeLoad(p: Page, url: string, ready: () => Promise<unknown>): Promise<number> {
  await p.goto('about:blank');
  const start = Date.now();
  await p.goto(url, { waitUntil: 'commit' });
  await ready();
  return Date.now() - start;
}

const dashboardTimes: number[] = [];
const staticTimes: number[] = [];
for (let i = 0; i < loads; i++) {
  dashboardTimes.push(await timeLoad(page, `${origin}/#/map`, () => page.waitForFunction(() => document.querySelectorAll('.map .node').length === 6, undefined, { timeout: 30_000 })));
  staticTimes.push(await timeLoad(page, `${origin}/static.html`, () => page.waitForFunction(() => document.readyState !== 'loading' && document.querySelector('h1') !== null)));
}

// The libraries alone, bundled like the app.
const libs = await build({
  stdin: { contents: "import { render, h } from 'preact'; import 'preact/hooks'; import uPlot from 'uplot'; import 'uplot/dist/uPlot.min.css'; render(h('p', null, String(uPlot)), document.body);", resolveDir: process.cwd(), loader: 'ts' },
  bundle: true, minify: true, write: false, format: 'esm', outdir: 'out', logLevel: 'silent',
});
const libsGzip = libs.outputFiles.reduce((n, f) => n + gzipSync(f.contents, { level: 9 }).length, 0);

/** Frames per second over `seconds`. A string, not a function: tsx's transform would wrap a function in helpers the page does not have. */
async function fps(p: Page, seconds: number): Promise<number> {
  return p.evaluate(`new Promise((resolve) => {
    let frames = 0;
    const start = performance.now();
    const tick = (now) => {
      frames++;
      if (now - start < ${seconds} * 1000) requestAnimationFrame(tick);
      else resolve((frames * 1000) / (now - start));
    };
    requestAnimationFrame(tick);
  })`) as Promise<number>;
}

await page.goto(`${origin}/#/logs`);
await page.locator('.vlist').waitFor();
await new Promise((r) => setTimeout(r, 1500));
const idleFps = await fps(page, 5);
const loadBefore = load();
const file = join(root, '.msx', 'logs', 'benchlog-1.log');
let written = 0;
const writer = setInterval(() => {
  // 2,000 lines a second in 20 ms slices of 40.
  let chunk = '';
  for (let i = 0; i < 40; i++) chunk += `${JSON.stringify({ level: 30, time: Date.now(), service: 'benchlog', instance: 'benchlog-1', msg: `bench line ${written++} of the dashboard's logs benchmark`, traceId: '4bf92f3577b34da6a3ce929d0e0e4736' })}\n`;
  appendFileSync(file, chunk);
}, 20);
await new Promise((r) => setTimeout(r, 2000)); // the stream has caught up
const busyFps = await fps(page, 10);
const shown = Number(await page.locator('[data-lines]').getAttribute('data-lines'));
clearInterval(writer);
rmSync(file, { force: true });

console.log(`\nbench/dashboard  (load average before: ${loadBefore}; after: ${load()})`);
console.log(`first load to interactive, median of ${loads}: dashboard map ${median(dashboardTimes)} ms, static page of the same size ${median(staticTimes)} ms  → ratio ${(median(dashboardTimes) / median(staticTimes)).toFixed(2)}`);
console.log(`  dashboard runs: ${dashboardTimes.join(' ')} ms; static: ${staticTimes.join(' ')} ms`);
console.log(`shipped bundle: ${kb(shippedBytes)} raw, ${kb(shippedGzip)} gzip (target ≤ 250 KB); Preact + uPlot alone ${kb(libsGzip)} gzip → ratio ${(shippedGzip / libsGzip).toFixed(2)}`);
console.log(`Logs page: ${busyFps.toFixed(1)} fps while the log grows by 2,000 lines/s (target ≥ 30), ${idleFps.toFixed(1)} fps idle → ratio ${(busyFps / idleFps).toFixed(2)}; ${written} lines written, ${shown} on the page (it keeps the last 50,000)`);

await browser.close();
await server.close();
await shop?.cleanup();
