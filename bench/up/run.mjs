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
// per idle instance. Issue 9: the whole system idle (the supervisor, which
// hosts the embedded databases, and every instance, with anything they
// spawned) under 700 MB. The whole footprint is summed as PSS from
// /proc/<pid>/smaps_rollup (shared pages, e.g. the node binary, counted once
// in proportion), with the RSS sum beside it (which counts them per process).
// npm install is not timed (done once, before).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
mkdirSync(base, { recursive: true });
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
const pssOf = (pid) => Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0) * 1024;

/** CPU seconds (user + system) a process has used so far; clock ticks are 100 per second on Linux. */
function cpuSecondsOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** `pid` and all its descendants, from the parent pids in /proc. */
function processTree(pid) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try { stat = readFileSync(`/proc/${name}/stat`, 'utf8'); } catch { continue; } // gone meanwhile
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(name));
  }
  const tree = [];
  for (const queue = [pid]; queue.length > 0;) {
    const next = queue.shift();
    tree.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return tree;
}

/** The whole system: the supervisor (embedded databases, trace collector) and every process under it, plus any instance not under it. */
function footprint(supervisorPid, instancePids) {
  const pids = new Set([...processTree(supervisorPid), ...instancePids.flatMap(processTree)]);
  const perProcess = [...pids].map((pid) => {
    try {
      return { pid, rss: rssOf(pid), pss: pssOf(pid) };
    } catch {
      return { pid, rss: 0, pss: 0 }; // exited meanwhile
    }
  });
  const sum = (key) => perProcess.reduce((total, p) => total + p[key], 0) / 2 ** 20;
  return { processes: pids.size, rssMB: sum('rss'), pssMB: sum('pss'), supervisor: perProcess.find((p) => p.pid === supervisorPid) };
}
/**
 * The critical path of one start, from the supervisor's timeline in
 * state.json, in ms after `msx up -d` was spawned: when the supervisor's
 * process began (the CLI's own work before it), when its code was loaded,
 * when the embedded infrastructure listened, when the instances had loaded
 * their code (they wait at their start gate), when the engines were open,
 * when the first and the last instance were ready, and up's return.
 */
function spans(timeline, spawnedAt, returnedAt) {
  if (!timeline) return undefined;
  const at = (t) => (t === undefined ? undefined : Math.round(t - spawnedAt));
  const instances = Object.entries(timeline.instances);
  const all = (key) => instances.map(([, i]) => i[key]).filter((t) => t !== undefined);
  const last = instances.reduce((a, b) => ((b[1].readyAt ?? 0) > (a[1].readyAt ?? 0) ? b : a), instances[0]);
  return {
    supervisorProcess: at(timeline.processStartedAt),
    supervisorLoaded: at(timeline.sessionOpenedAt),
    infrastructureListening: at(timeline.infrastructureListeningAt),
    firstSpawned: at(Math.min(...all('spawnedAt'))),
    allLoaded: all('loadedAt').length === instances.length ? at(Math.max(...all('loadedAt'))) : undefined,
    enginesOpen: at(timeline.enginesOpenAt),
    firstReady: at(Math.min(...all('readyAt'))),
    allReady: at(timeline.readyAt),
    upReturned: at(returnedAt),
    last: last && { instance: last[0], ...Object.fromEntries(Object.entries(last[1]).map(([k, t]) => [k, at(t)])) },
  };
}

function describeSpans(s) {
  if (!s) return '  (no timeline in state.json: an msx before it)';
  const ms = (t) => (t === undefined ? '–' : `${t} ms`);
  return [
    `  supervisor process ${ms(s.supervisorProcess)}, its code loaded ${ms(s.supervisorLoaded)}, infrastructure listening ${ms(s.infrastructureListening)}, first instance spawned ${ms(s.firstSpawned)}`,
    `  every instance's code loaded ${ms(s.allLoaded)}, engines open ${ms(s.enginesOpen)}, first instance ready ${ms(s.firstReady)}, all ready ${ms(s.allReady)}, up returned ${ms(s.upReturned)}`,
    s.last ? `  last ready: ${s.last.instance} (spawned ${ms(s.last.spawnedAt)}, loaded ${ms(s.last.loadedAt)}, released ${ms(s.last.releasedAt)}, ready ${ms(s.last.readyAt)})` : '',
  ].filter(Boolean).join('\n');
}

const times = [];
const supervisorCpu = [];
const criticalPaths = [];
let memory = [];
let whole;
try {
  for (let run = 1; run <= runs; run++) {
    const spawnedAt = Date.now();
    const started = performance.now();
    msx(['up', '-d'], root); // returns once every instance answers /ready
    const ms = performance.now() - started;
    const returnedAt = Date.now();
    times.push(ms);
    // ps --json carries a local instance's pid in details (older msx: at the top).
    const instances = JSON.parse(msx(['ps', '--json'], root)).map((i) => ({ ...i, pid: i.pid ?? i.details?.pid }));
    if (!instances.every((i) => i.ready)) throw new Error('not every instance is ready after up');
    // CPU the supervisor spent getting there (opening the embedded databases is most of it): on a
    // machine shared with other work, wall time mostly measures the wait for a core; this does not.
    const startState = JSON.parse(readFileSync(join(root, '.msx', 'state.json'), 'utf8'));
    const cpu = cpuSecondsOf(startState.supervisor.pid);
    supervisorCpu.push(cpu);
    // The instances' CPU to ready too: what the start costs the machine, whatever else it runs.
    const instancesCpu = instances.reduce((total, i) => total + cpuSecondsOf(i.pid), 0);
    const path = spans(startState.timeline, spawnedAt, returnedAt);
    criticalPaths.push(path);
    console.log(`run ${run}: ${instances.length} instances ready in ${(ms / 1000).toFixed(2)} s (supervisor CPU ${cpu.toFixed(2)} s, instances CPU ${instancesCpu.toFixed(2)} s; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]})`);
    console.log(describeSpans(path));
    if (run === runs) {
      await new Promise((r) => setTimeout(r, 5000)); // idle
      memory = instances.map((i) => ({ instance: i.id, rssMB: rssOf(i.pid) / 2 ** 20, pssMB: pssOf(i.pid) / 2 ** 20 }));
      const state = JSON.parse(readFileSync(join(root, '.msx', 'state.json'), 'utf8'));
      whole = footprint(state.supervisor.pid, instances.map((i) => i.pid));
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
for (const m of memory) console.log(`  ${m.instance.padEnd(16)} ${m.rssMB.toFixed(1)} MB (PSS ${m.pssMB.toFixed(1)} MB)`);
const supervisorMB = { rss: whole.supervisor.rss / 2 ** 20, pss: whole.supervisor.pss / 2 ** 20 };
console.log(`  ${'supervisor'.padEnd(16)} ${supervisorMB.rss.toFixed(1)} MB (PSS ${supervisorMB.pss.toFixed(1)} MB; hosts the embedded databases)`);
console.log(`\nwhole system idle (${whole.processes} processes): PSS ${whole.pssMB.toFixed(0)} MB, RSS sum ${whole.rssMB.toFixed(0)} MB (target: PSS < 700 MB) ${whole.pssMB < 700 ? 'OK' : 'MISSED'}`);
console.log(`\nup -d → all ready: first run (creates the databases) ${(times[0] / 1000).toFixed(2)} s; median ${(median / 1000).toFixed(2)} s over ${runs} runs (target < 5 s) ${median < 5000 ? 'OK' : 'MISSED'}`);
console.log(`ratios: idle RSS / bare server ${(worst / floor.rss).toFixed(1)}x; up -d median / one bare server start ${(median / floor.ms).toFixed(1)}x`);
console.log(`idle RSS: max ${worst.toFixed(1)} MB, mean ${(memory.reduce((s, m) => s + m.rssMB, 0) / memory.length).toFixed(1)} MB (target < 80 MB) ${worst < 80 ? 'OK' : 'MISSED'}`);
const round = (mb) => Math.round(mb * 10) / 10;
console.log(JSON.stringify({
  upMs: times.map(Math.round),
  supervisorCpuS: supervisorCpu,
  criticalPaths,
  rssMB: Object.fromEntries(memory.map((m) => [m.instance, round(m.rssMB)])),
  supervisor: { rssMB: round(supervisorMB.rss), pssMB: round(supervisorMB.pss) },
  whole: { processes: whole.processes, pssMB: round(whole.pssMB), rssMB: round(whole.rssMB) },
}));
