#!/usr/bin/env node
// Instructions per proxied request on the gateway's main thread, counted by
// valgrind's callgrind: the msx gateway against the bare node:http + undici
// proxy, same upstream, same token, same request count.
//
// Why: on this shared 2-core machine, CPU time per request moves by ±30%
// with the neighbours' load (the same gateway binary measured 38 and 67 µs
// a minute apart), which hides any single change to the hot path.
// Instruction counts do not depend on the neighbours: repeated runs agree
// within about 2%. Only the main thread is counted: V8 compiles and helps
// the garbage collector on worker threads, whose work under valgrind's
// serialised threads drifts for a long time after start-up; the main
// thread's count is the JavaScript (and node's C++) each request runs.
// Syscalls are not instructions of the process, so this complements the
// wall-clock bench (run.mjs), it does not replace it.
//
// Usage: node bench/gateway/instructions.mjs [--requests 4000] [--warmup 10000] [--only msx,bare]
// Needs valgrind (apt-get install -y valgrind). About a minute per target.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import jwt from 'jsonwebtoken';
import { Pool } from 'undici';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '4000' },
    warmup: { type: 'string', default: '10000' },
    only: { type: 'string', default: 'msx,bare' },
  },
});
const REQUESTS = Number(args.requests);
const WARMUP = Number(args.warmup);
const SECRET = 'bench-secret-' + 'x'.repeat(32);
const TOKEN = jwt.sign({ sub: 'bench-user' }, SECRET, { algorithm: 'HS256', expiresIn: '1h', issuer: 'bench', audience: 'bench-api' });

if (spawnSync('sh', ['-c', 'command -v valgrind && command -v callgrind_control']).status !== 0) {
  console.error('valgrind is not installed: apt-get install -y valgrind');
  process.exit(1);
}

const children = [];
const tmp = mkdtempSync(join(tmpdir(), 'msx-bench-instr-'));
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

function start(command, argv, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${argv.join(' ')} did not start: ${err.slice(-500)}`)), timeoutMs);
    child.stderr.on('data', (chunk) => (err += chunk));
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /READY (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]) });
      }
    });
  });
}

/** Sends exactly `count` requests, 50 at a time, and checks every answer is 200. */
async function fire(port, count) {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 50 });
  let sent = 0;
  let bad = 0;
  const worker = async () => {
    while (sent < count) {
      sent += 1;
      const res = await pool.request({ method: 'GET', path: '/api/items', headers: { authorization: `Bearer ${TOKEN}` } });
      if (res.statusCode !== 200) bad += 1;
      await res.body.dump();
    }
  };
  await Promise.all(Array.from({ length: 50 }, worker));
  await pool.close();
  if (bad > 0) throw new Error(`${bad} of ${count} requests were not answered 200`);
}

const control = (pid, ...argv) => spawnSync('callgrind_control', [...argv, String(pid)], { encoding: 'utf8' });

async function measure(name, script, upstreamUrl) {
  const out = join(tmp, name);
  const { child, port } = await start(
    'valgrind',
    ['--tool=callgrind', '--separate-threads=yes', '--instr-atstart=no', `--callgrind-out-file=${out}.%p`, process.execPath, script, upstreamUrl, SECRET],
    120_000,
  );
  await fire(port, WARMUP);
  control(child.pid, '-i', 'on');
  await fire(port, REQUESTS);
  control(child.pid, '-d');
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  // Thread 1 is the main thread; the dump holds what ran while instrumentation was on.
  const file = readdirSync(tmp).find((f) => f.startsWith(`${name}.${child.pid}.1-01`));
  if (file === undefined) throw new Error(`no callgrind dump for ${name}`);
  const text = readFileSync(join(tmp, file), 'utf8');
  const total = Number(/^(?:summary|totals): (\d+)/m.exec(text)?.[1]);
  return total / REQUESTS;
}

const upstream = await start(process.execPath, [join(here, 'upstream.mjs')], 10_000);
const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
const scripts = { msx: join(here, 'msx-gateway.mjs'), bare: join(here, 'bare-proxy.mjs') };
const results = {};
for (const name of args.only.split(',')) {
  if (!(name in scripts)) throw new Error(`unknown target ${name}; known: ${Object.keys(scripts).join(', ')}`);
  results[name] = await measure(name, scripts[name], upstreamUrl);
  console.log(`${name.padEnd(5)} ${Math.round(results[name]).toLocaleString('en')} instructions per request (main thread, ${REQUESTS} requests after ${WARMUP} warm-up)`);
}
if (results.msx !== undefined && results.bare !== undefined) console.log(`msx / bare = ${(results.msx / results.bare).toFixed(2)}x`);
process.exit(0);
