#!/usr/bin/env node
// Runs every *.test.ts under test/ and runtime/test/ with node's built-in
// test runner (through tsx), so CI sees node's own summary lines.
// Usage: node scripts/run-tests.mjs [path-filter ...]
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = ['test', 'runtime/test'];
const filters = process.argv.slice(2);

function collect(dir) {
  let out = [];
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'fixtures') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(collect(path));
    else if (name.endsWith('.test.ts')) out.push(relative(process.cwd(), path));
  }
  return out;
}

const files = roots.flatMap(collect).filter((f) => filters.length === 0 || filters.some((p) => f.includes(p))).sort();
if (files.length === 0) {
  console.error('No test files matched.');
  process.exit(1);
}
// Node's own reporter on stdout (spec in a terminal, TAP otherwise, as node picks), and where the minutes went on stderr.
const reporters = [
  `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`, '--test-reporter-destination=stdout',
  `--test-reporter=${join(import.meta.dirname, 'slowest-test-files.mjs')}`, '--test-reporter-destination=stderr',
];
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...reporters, ...files], {
  stdio: 'inherit',
  env: { ...process.env, NO_COLOR: process.env.NO_COLOR ?? '1' },
});
process.exit(result.status ?? 1);
