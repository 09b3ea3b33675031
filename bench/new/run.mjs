#!/usr/bin/env node
// bench/new: how long `msx new` takes for a six-service system, without npm
// install, as a user runs it (a fresh process each time). Interleaved with a
// baseline in the same run: starting Node itself with nothing to do, and
// copying the same generated tree with `cp -r` (the cost of the bytes alone).
// Target (issue 2): under 1 s.
//
// Usage: npm run build && node bench/new/run.mjs [rounds]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const rounds = Number(process.argv[2] ?? 15);
const bin = fileURLToPath(new URL('../../bin/msx.js', import.meta.url));
const services = 'users,products,payments,orders,notifications:worker';

function time(command, args, cwd) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  return ms;
}

const work = mkdtempSync(join(tmpdir(), 'msx-bench-new-'));
const samples = { node: [], msx: [], copy: [] };
try {
  time(process.execPath, [bin, 'new', 'warm', '--services', services, '--yes'], work); // warm the file cache
  for (let i = 0; i < rounds; i++) {
    samples.node.push(time(process.execPath, ['-e', ''], work));
    samples.msx.push(time(process.execPath, [bin, 'new', `sys${i}`, '--services', services, '--yes'], work));
    samples.copy.push(time('cp', ['-r', 'warm', `copy${i}`], work));
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { median: at(0.5), p90: at(0.9), max: s.at(-1) };
};
const fmt = (n) => `${n.toFixed(0)} ms`;
const rows = Object.entries(samples).map(([name, xs]) => [name, stats(xs)]);
console.log(`msx new, 6 services (gateway + ${services.split(',').length}), ${rounds} rounds, interleaved`);
for (const [name, s] of rows) console.log(`  ${name.padEnd(6)} median ${fmt(s.median).padStart(7)}  p90 ${fmt(s.p90).padStart(7)}  max ${fmt(s.max).padStart(7)}`);
const msx = stats(samples.msx);
console.log(`  ratio msx/node-startup ${(msx.median / stats(samples.node).median).toFixed(1)}x, msx/cp ${(msx.median / stats(samples.copy).median).toFixed(1)}x`);
console.log(`  target < 1000 ms: ${msx.max < 1000 ? 'met' : 'MISSED'} (max ${fmt(msx.max)})`);
