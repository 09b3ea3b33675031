#!/usr/bin/env node
// bench/up: how long `msx up -d` takes until every instance is ready, and
// how much memory an idle instance holds, on the shop example (six services,
// each with its database, the bus and tracing). The first run also creates
// the embedded databases; later runs reopen them. Baselines measured in the
// same run: a bare Node.js process, and a bare node:http server answering
// /ready, started and polled the same way (the floor of any Node service).
//
//   npm run build && node bench/up/run.mjs [--runs 3] [--keep <dir>]
//
// Targets (issue 5): every instance ready within 5 s; under 80 MB resident
// per idle instance. npm install is not timed (done once, before).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, keep: { type: 'string' } } });
const runs = Number(values.runs);
const MSX = fileURLToPath(new URL('../../bin/msx.js', import.meta.url));

function msx(args, cwd) {
  const result = spawnSync(process.execPath, [MSX, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  if (result.status !== 0) throw new Error(`msx ${args.join(' ')} failed (${result.status}):\n${result.stderr}`);
  return result.stdout;
}

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const base = values.keep ?? mkdtempSync(join(tmpdir(), 'msx-bench-up-'));
const root = join(base, 'shop');
if (!existsSync(join(root, 'node_modules'))) {
  rmSync(root, { recursive: true, force: true });
  msx(['new', 'shop', '--example', 'shop', '--yes'], base);
  // Free ports, so the bench never collides with something on 8080/300x.
  const manifestPath = join(root, 'msx.yaml');
  let text = readFileSync(manifestPath, 'utf8');
  for (const match of [...text.matchAll(/port: (\d+)/g)]) text = text.replace(match[0], `port: ${await freePort()}`);
  writeFileSync(manifestPath, text);
  console.log(`installing and building ${root} (not timed)…`);
  execFileSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'ignore' });
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
}

const rssOf = (pid) => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
const times = [];
let memory = [];
try {
  for (let run = 1; run <= runs; run++) {
    const started = performance.now();
    msx(['up', '-d'], root); // returns once every instance answers /ready
    const ms = performance.now() - started;
    times.push(ms);
    const instances = JSON.parse(msx(['ps', '--json'], root));
    if (!instances.every((i) => i.ready)) throw new Error('not every instance is ready after up');
    console.log(`run ${run}: ${instances.length} instances ready in ${(ms / 1000).toFixed(2)} s`);
    if (run === runs) {
      await new Promise((r) => setTimeout(r, 5000)); // idle
      memory = instances.map((i) => ({ instance: i.id, rssMB: rssOf(i.pid) / 2 ** 20 }));
    }
    msx(['down'], root);
  }
} finally {
  spawnSync(process.execPath, [MSX, 'down'], { cwd: root });
  if (!values.keep) rmSync(base, { recursive: true, force: true });
}

// Baseline: a bare node:http server, started as a process and polled until it answers.
async function baseline() {
  const port = await freePort();
  const { spawn } = await import('node:child_process');
  const started = performance.now();
  const child = spawn(process.execPath, ['--max-semi-space-size=2', '-e', `require('node:http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1')`], { stdio: 'ignore' });
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/ready`).then(() => true, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const ms = performance.now() - started;
  await new Promise((r) => setTimeout(r, 1000));
  const rss = rssOf(child.pid) / 2 ** 20;
  child.kill();
  return { ms, rss };
}
const floor = await baseline();
console.log(`baseline: bare node:http server ready in ${floor.ms.toFixed(0)} ms, idle RSS ${floor.rss.toFixed(1)} MB`);

const sorted = [...times].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
const worst = Math.max(...memory.map((m) => m.rssMB));
console.log('\nidle resident memory per instance:');
for (const m of memory) console.log(`  ${m.instance.padEnd(16)} ${m.rssMB.toFixed(1)} MB`);
console.log(`\nup -d → all ready: first run (creates the databases) ${(times[0] / 1000).toFixed(2)} s; median ${(median / 1000).toFixed(2)} s over ${runs} runs (target < 5 s) ${median < 5000 ? 'OK' : 'MISSED'}`);
console.log(`ratios: idle RSS / bare server ${(worst / floor.rss).toFixed(1)}x; up -d median / one bare server start ${(median / floor.ms).toFixed(1)}x`);
console.log(`idle RSS: max ${worst.toFixed(1)} MB, mean ${(memory.reduce((s, m) => s + m.rssMB, 0) / memory.length).toFixed(1)} MB (target < 80 MB) ${worst < 80 ? 'OK' : 'MISSED'}`);
console.log(JSON.stringify({ upMs: times.map(Math.round), rssMB: Object.fromEntries(memory.map((m) => [m.instance, Math.round(m.rssMB * 10) / 10])) }));
