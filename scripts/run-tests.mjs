#!/usr/bin/env node
// Runs every *.test.ts under test/ and runtime/test/ with node's built-in
// test runner (through tsx), so CI sees node's own summary lines.
// Usage: node scripts/run-tests.mjs [path-filter ...]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';

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
// --test-force-exit: a test file whose tests are over ends even if a handle it leaked (a timer, a socket) would keep it
// alive; without it, node's runner waits for that file for ever and the run never ends.
const runner = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-force-exit', ...reporters, ...files], {
  stdio: 'inherit',
  env: { ...process.env, NO_COLOR: process.env.NO_COLOR ?? '1' },
});

// A run that goes over its limit (CI allows 90 minutes for everything) is stopped, naming the test files still running.
const limitMinutes = Number(process.env.MSX_TEST_RUN_LIMIT_MINUTES ?? 70);
const watchdog = setTimeout(() => {
  const running = descendants(runner.pid).map((pid) => commandLine(pid)).filter((args) => /\.test\.ts/.test(args));
  console.error(`\nFATAL: the test run went over ${limitMinutes} minutes (MSX_TEST_RUN_LIMIT_MINUTES); still running:`);
  for (const args of running) console.error(`  ${args.split(' ').filter((a) => a.endsWith('.test.ts')).map((f) => relative(process.cwd(), f)).join(' ') || args}`);
  for (const pid of [...descendants(runner.pid), runner.pid]) signal(pid, 'SIGKILL');
  process.exit(1);
}, limitMinutes * 60_000);
watchdog.unref();
runner.on('exit', (code, sig) => process.exit(code ?? (sig ? 1 : 0)));

function signal(pid, name) {
  try { process.kill(pid, name); } catch { /* gone */ }
}

function commandLine(pid) {
  try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim(); } catch { return ''; }
}

/** Every process under `pid` (Linux /proc), children first. */
function descendants(pid) {
  const children = new Map();
  let entries = [];
  try { entries = readdirSync('/proc'); } catch { /* no /proc (not Linux): only the runner itself is stopped */ }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch { /* gone */ }
  }
  const out = [];
  const walk = (p) => { for (const c of children.get(p) ?? []) { walk(c); out.push(c); } };
  walk(pid);
  return out;
}
