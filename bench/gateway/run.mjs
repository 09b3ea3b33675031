#!/usr/bin/env node
// bench/gateway: one run, interleaved rounds, a valid token on every request,
// the same small JSON upstream behind every target:
//   direct  - the upstream itself
//   msx     - @msx/runtime/gateway with auth, rate limiting and metrics on
//   guide   - express + http-proxy-middleware + express-rate-limit + jsonwebtoken
//   nginx   - Debian's nginx, one worker, upstream keep-alive
//   bare    - informational: a bare node:http + undici proxy (bare-proxy.mjs),
//             what one Node process can forward here with no gateway work
// Saturation: wrk (one thread, fixed connections, SECONDS per target per
// round, order rotated each round); ratios are taken within each round and
// their median over rounds is reported, with the server's CPU per request.
// Latency at a fixed rate: fixed-rate.mjs (open loop), direct and msx
// back to back in short rounds; the median of the per-round p99
// differences is reported with its spread.
// With --baseline <checkout>, a sixth target `base` runs the msx gateway
// built in another checkout (same config, same rounds), so a change to the
// gateway is compared with its baseline in the same run.
// Every server runs in its own process and is stopped at the end.
// Usage: node bench/gateway/run.mjs [--rounds 5] [--seconds 4] [--connections 50] [--rate 2000] [--rate-rounds 15] [--rate-seconds 2] [--only direct,msx] [--baseline ../other-checkout]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createServer } from 'node:net';
import jwt from 'jsonwebtoken';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '4' },
    connections: { type: 'string', default: '50' },
    rate: { type: 'string', default: '2000' },
    'rate-rounds': { type: 'string', default: '15' },
    'rate-seconds': { type: 'string', default: '2' },
    only: { type: 'string' },
    baseline: { type: 'string' },
  },
});
const ROUNDS = Number(args.rounds);
const SECONDS = Number(args.seconds);
const CONNECTIONS = Number(args.connections);
const RATE = Number(args.rate);
const RATE_ROUNDS = Number(args['rate-rounds']);
const RATE_SECONDS = Number(args['rate-seconds']);

const SECRET = 'bench-secret-' + 'x'.repeat(32);
const TOKEN = jwt.sign({ sub: 'bench-user', scope: 'items:read' }, SECRET, {
  algorithm: 'HS256',
  expiresIn: '1h',
  issuer: 'bench',
  audience: 'bench-api',
});

const children = [];
const tmp = mkdtempSync(join(tmpdir(), 'msx-bench-gw-'));

function stopAll() {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  rmSync(tmp, { recursive: true, force: true });
}
process.on('exit', stopAll);
process.on('SIGINT', () => process.exit(130));

function which(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim() || undefined;
}

/** Server process of each target, for its CPU time (`/proc/<pid>/stat`). */
const pids = {};

/** Spawns a server that prints `READY <port>` and resolves with the port. */
function startServer(name, command, argv, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
    children.push(child);
    pids[name] = child.pid;
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 20 s`)), 20_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /READY (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        child.stdout.resume();
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`${name} exited early with ${code}`)));
  });
}

function freePort() {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function startNginx(upstreamPort) {
  const nginx = which('nginx') ?? (which('/usr/sbin/nginx') ? '/usr/sbin/nginx' : undefined);
  if (!nginx) return undefined;
  const port = await freePort();
  const prefix = join(tmp, 'nginx');
  mkdirSync(join(prefix, 'logs'), { recursive: true });
  const conf = `
worker_processes 1;
daemon off;
master_process off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  upstream items { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location /api/items {
      proxy_pass http://items/items;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}`;
  const file = join(prefix, 'nginx.conf');
  writeFileSync(file, conf);
  const child = spawn(nginx, ['-p', prefix, '-c', file], { stdio: ['ignore', 'inherit', 'inherit'] });
  children.push(child);
  pids.nginx = child.pid; // master_process off: this one process serves
  // nginx prints nothing when ready; poll the port.
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/items`);
      if (res.ok) return port;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('nginx did not start');
}

/** User + system CPU of a process so far, in microseconds (Linux; NaN elsewhere). */
function cpuMicros(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const CORES = availableParallelism();
const loadOne = () => Number(loadAverage().split(' ')[0]);
const loadAverage = () => {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
};

function wrk(url, seconds) {
  const result = spawnSync(
    'wrk',
    ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '-H', `Authorization: Bearer ${TOKEN}`, url],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`wrk failed: ${result.stderr}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(result.stdout)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(result.stdout)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(result.stdout)?.[1] ?? 0);
  const socketErrors = /Socket errors: (.*)/.exec(result.stdout)?.[1];
  return { rps, requests, non2xx, socketErrors };
}

function fixedRate(url, rate, seconds) {
  const result = spawnSync(process.execPath, [join(here, 'fixed-rate.mjs'), url, String(rate), String(seconds), TOKEN], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`fixed-rate failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop());
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

if (!which('wrk')) {
  console.error('wrk is not installed: apt-get install -y wrk');
  process.exit(1);
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
};
const spread = (xs, digits) => `[${fmt(Math.min(...xs), digits)} .. ${fmt(Math.max(...xs), digits)}], IQR ${fmt(quantile(xs, 0.25), digits)} .. ${fmt(quantile(xs, 0.75), digits)}`;

if (!which('wrk')) {
  console.error('wrk is not installed: apt-get install -y wrk');
  process.exit(1);
}

const started = Date.now();
console.log(`load average at start: ${loadAverage()}`);
const upstreamPort = await startServer('upstream', process.execPath, [join(here, 'upstream.mjs')]);
const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
pids.direct = pids.upstream;
const targets = {
  direct: `${upstreamUrl}/items`,
  msx: `http://127.0.0.1:${await startServer('msx', process.execPath, [join(here, 'msx-gateway.mjs'), upstreamUrl, SECRET])}/api/items`,
  guide: `http://127.0.0.1:${await startServer('guide', process.execPath, [join(here, 'guide-gateway.mjs'), upstreamUrl, SECRET])}/api/items`,
};
const nginxPort = await startNginx(upstreamPort);
if (nginxPort) targets.nginx = `http://127.0.0.1:${nginxPort}/api/items`;
else console.log('nginx is not installed: apt-get install -y nginx (skipping the nginx target)');
targets.bare = `http://127.0.0.1:${await startServer('bare', process.execPath, [join(here, 'bare-proxy.mjs'), upstreamUrl])}/api/items`;
if (args.baseline) {
  const checkout = resolve(args.baseline);
  const dist = existsSync(join(checkout, 'runtime', 'dist')) ? join(checkout, 'runtime', 'dist') : checkout;
  targets.base = `http://127.0.0.1:${await startServer('base', process.execPath, [join(here, 'msx-gateway.mjs'), upstreamUrl, SECRET], { MSX_BENCH_RUNTIME_DIST: dist })}/api/items`;
  console.log(`base: the msx gateway built in ${dist}`);
}

const names = Object.keys(targets).filter((n) => !args.only || args.only.split(',').includes(n));
for (const name of names) {
  const res = await fetch(targets[name], { headers: { authorization: `Bearer ${TOKEN}` } });
  if (res.status !== 200) throw new Error(`${name} answered ${res.status} to a valid token`);
  await res.arrayBuffer();
  wrk(targets[name], 1); // warm up (JIT, connection pools)
}

// Saturation. Each round runs every target once, in an order rotated per
// round; a ratio is taken between targets of the same round (measured
// seconds apart, under the same background load) and the median over rounds
// is reported, so one noisy round moves the result little.
const rounds = [];
for (let round = 0; round < ROUNDS; round++) {
  const order = names.map((_, i) => names[(i + round) % names.length]);
  const result = { load: loadAverage() };
  for (const name of order) {
    const cpu0 = cpuMicros(pids[name]);
    const up0 = cpuMicros(pids.upstream);
    const r = wrk(targets[name], SECONDS);
    const cpuPerRequest = (cpuMicros(pids[name]) - cpu0) / r.requests;
    const upstreamPerRequest = name === 'direct' ? 0 : (cpuMicros(pids.upstream) - up0) / r.requests;
    result[name] = { ...r, cpuPerRequest, upstreamPerRequest };
    console.log(
      `round ${round + 1} ${name.padEnd(6)} ${fmt(r.rps).padStart(7)} req/s  ${fmt(cpuPerRequest, 1).padStart(6)} us CPU/req${name === 'direct' ? '' : ` (+ upstream ${fmt(upstreamPerRequest, 1)})`}${r.non2xx ? `  non-2xx: ${r.non2xx}` : ''}${r.socketErrors ? `  socket errors: ${r.socketErrors}` : ''}`,
    );
  }
  console.log(`round ${round + 1} load average ${result.load}`);
  rounds.push(result);
}

// Latency at a fixed rate. Short rounds, direct and msx back to back in
// alternating order; the statistic is the per-round difference of p99s, so
// a burst of background load hits both halves of a round or, when it does
// not, only moves one round of many; the median difference is reported
// with its spread.
const latency = [];
if (names.includes('msx') && names.includes('direct') && RATE_ROUNDS > 0) {
  for (let round = 0; round < RATE_ROUNDS; round++) {
    const result = { load: loadAverage() };
    for (const name of round % 2 ? ['msx', 'direct'] : ['direct', 'msx']) {
      const r = fixedRate(targets[name], RATE, RATE_SECONDS);
      result[name] = r;
      console.log(`fixed ${RATE}/s round ${round + 1} ${name.padEnd(6)} p50 ${fmt(r.p50, 3)} ms  p99 ${fmt(r.p99, 3)} ms  p99.9 ${fmt(r.p999, 3)} ms  (from send: p99 ${fmt(r.sendP99, 3)} ms)  achieved ${fmt(r.achievedRate)}/s  errors ${r.errors + r.non2xx}`);
    }
    result.diff = result.msx.p99 - result.direct.p99;
    console.log(`fixed ${RATE}/s round ${round + 1} p99 msx - direct ${fmt(result.diff, 3)} ms  (load average ${result.load})`);
    latency.push(result);
  }
}

const of = (name, key) => rounds.map((r) => r[name][key]);
const ratio = (a, b) => rounds.map((r) => r[a].rps / r[b].rps);
const cpuRatio = (a, b) => rounds.map((r) => r[a].cpuPerRequest / r[b].cpuPerRequest);
console.log(`\nSaturation: median over ${ROUNDS} rounds (wrk -t1 -c${CONNECTIONS} -d${SECONDS}s per target per round)`);
console.log('  target   req/s   % of direct   server CPU us/req (+ upstream)');
for (const n of names) {
  const up = n === 'direct' ? '' : ` (+ ${fmt(median(of(n, 'upstreamPerRequest')), 1)})`;
  const ofDirect = names.includes('direct') ? fmt(median(ratio(n, 'direct').map((x) => 100 * x)), 1) : 'n/a';
  console.log(`  ${n.padEnd(7)} ${fmt(median(of(n, 'rps'))).padStart(6)}   ${ofDirect.padStart(9)}%   ${fmt(median(of(n, 'cpuPerRequest')), 1).padStart(6)}${up}`);
}
const ratioLine = (a, b, target) => {
  if (!names.includes(a) || !names.includes(b)) return;
  const xs = ratio(a, b);
  console.log(`  ${a} / ${b} = ${fmt(median(xs), 2)}x   per round ${spread(xs, 2)}${target ? `   (target ${target})` : ''}`);
};
ratioLine('msx', 'guide', '>= 10x');
ratioLine('msx', 'nginx', '>= 0.5x');
ratioLine('bare', 'nginx', 'informational: the bare Node proxy');
ratioLine('msx', 'bare', 'informational');
ratioLine('msx', 'base', 'this checkout against --baseline');
// CPU per request moves with the machine's load too, but the ratio of two servers measured seconds apart moves less than req/s.
const cpuLine = (a, b) => {
  if (!names.includes(a) || !names.includes(b)) return;
  const xs = cpuRatio(a, b);
  console.log(`  CPU/req ${a} / ${b} = ${fmt(median(xs), 2)}x   per round ${spread(xs, 2)}`);
};
cpuLine('msx', 'nginx');
cpuLine('msx', 'bare');
cpuLine('msx', 'base');
const loads = rounds.map((r) => Number(r.load.split(' ')[0]));
if (Math.max(...loads) > CORES) {
  console.log(
    `  note: the 1-minute load average reached ${fmt(Math.max(...loads), 1)} on ${CORES} cores during the rounds. With every core contended, each process gets a share of CPU and the slowest one in the chain sets the rate, so msx / nginx falls as the load rises (nginx spends less CPU per request than msx, see CPU/req above, and a busy machine makes a Node process's CPU per request grow more than nginx's): compare it with runs at a similar load, and code changes by CPU/req or instructions.mjs.`,
  );
}
if (latency.length) {
  const diffs = latency.map((r) => r.diff);
  const within = diffs.filter((d) => d < 2).length;
  console.log(`\nAt ${RATE} req/s: ${RATE_ROUNDS} rounds of ${RATE_SECONDS} s per target (fixed-rate.mjs, latency from the scheduled send)`);
  console.log(`  p99 direct: median ${fmt(median(latency.map((r) => r.direct.p99)), 3)} ms; msx: median ${fmt(median(latency.map((r) => r.msx.p99)), 3)} ms`);
  console.log(`  p99 msx - direct: median ${fmt(median(diffs), 3)} ms, per round ${spread(diffs, 3)}; under 2 ms in ${within} of ${diffs.length} rounds   (target < 2 ms)`);
  console.log(`  p50 msx - direct: median ${fmt(median(latency.map((r) => r.msx.p50 - r.direct.p50)), 3)} ms`);
}
console.log(`\nLoad average at end: ${loadAverage()}; total ${fmt((Date.now() - started) / 1000)} s.`);
process.exit(0);
