#!/usr/bin/env node
// bench/gateway: one run, interleaved rounds, a valid token on every request,
// the same small JSON upstream behind every target:
//   direct  - the upstream itself
//   msx     - @msx/runtime/gateway with auth, rate limiting and metrics on
//   guide   - express + http-proxy-middleware + express-rate-limit + jsonwebtoken
//   nginx   - Debian's nginx, one worker, upstream keep-alive
// Saturation: wrk (one thread, fixed connections, ROUND_S seconds per target
// per round). Latency at a fixed rate: fixed-rate.mjs (open loop).
// Every server runs in its own process and is stopped at the end.
// Usage: node bench/gateway/run.mjs [--rounds 3] [--seconds 5] [--connections 50] [--rate 2000]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createServer } from 'node:net';
import jwt from 'jsonwebtoken';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '50' },
    rate: { type: 'string', default: '2000' },
    'rate-rounds': { type: 'string', default: '2' },
    only: { type: 'string' },
  },
});
const ROUNDS = Number(args.rounds);
const SECONDS = Number(args.seconds);
const CONNECTIONS = Number(args.connections);
const RATE = Number(args.rate);
const RATE_ROUNDS = Number(args['rate-rounds']);

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

/** Spawns a server that prints `READY <port>` and resolves with the port. */
function startServer(name, command, argv, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
    children.push(child);
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

function wrk(url, seconds) {
  const result = spawnSync(
    'wrk',
    ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '-H', `Authorization: Bearer ${TOKEN}`, url],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`wrk failed: ${result.stderr}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(result.stdout)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(result.stdout)?.[1] ?? 0);
  const socketErrors = /Socket errors: (.*)/.exec(result.stdout)?.[1];
  return { rps, non2xx, socketErrors };
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

const started = Date.now();
const upstreamPort = await startServer('upstream', process.execPath, [join(here, 'upstream.mjs')]);
const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
const targets = {
  direct: `${upstreamUrl}/items`,
  msx: `http://127.0.0.1:${await startServer('msx', process.execPath, ['--import', 'tsx', join(here, 'msx-gateway.ts'), upstreamUrl, SECRET])}/api/items`,
  guide: `http://127.0.0.1:${await startServer('guide', process.execPath, [join(here, 'guide-gateway.mjs'), upstreamUrl, SECRET])}/api/items`,
};
const nginxPort = await startNginx(upstreamPort);
if (nginxPort) targets.nginx = `http://127.0.0.1:${nginxPort}/api/items`;
else console.log('nginx is not installed: apt-get install -y nginx (skipping the nginx target)');

const names = Object.keys(targets).filter((n) => !args.only || args.only.split(',').includes(n));
for (const name of names) {
  const res = await fetch(targets[name], { headers: { authorization: `Bearer ${TOKEN}` } });
  if (res.status !== 200) throw new Error(`${name} answered ${res.status} to a valid token`);
  await res.arrayBuffer();
  wrk(targets[name], 1); // warm up (JIT, connection pools)
}

const samples = Object.fromEntries(names.map((n) => [n, []]));
for (let round = 0; round < ROUNDS; round++) {
  // Rotate the order each round so no target always runs first or last.
  const order = names.map((_, i) => names[(i + round) % names.length]);
  for (const name of order) {
    const r = wrk(targets[name], SECONDS);
    samples[name].push(r.rps);
    console.log(`round ${round + 1} ${name.padEnd(6)} ${fmt(r.rps).padStart(7)} req/s${r.non2xx ? `  non-2xx: ${r.non2xx}` : ''}${r.socketErrors ? `  socket errors: ${r.socketErrors}` : ''}`);
  }
}

const latency = { direct: [], msx: [] };
if (names.includes('msx') && names.includes('direct')) {
  for (let round = 0; round < RATE_ROUNDS; round++) {
    for (const name of round % 2 ? ['msx', 'direct'] : ['direct', 'msx']) {
      const r = fixedRate(targets[name], RATE, SECONDS);
      latency[name].push(r);
      console.log(`fixed ${RATE}/s ${name.padEnd(6)} p50 ${fmt(r.p50, 3)} ms  p99 ${fmt(r.p99, 3)} ms  p99.9 ${fmt(r.p999, 3)} ms  (from send: p99 ${fmt(r.sendP99, 3)} ms)  achieved ${fmt(r.achievedRate)}/s  errors ${r.errors + r.non2xx}`);
    }
  }
}

const sat = Object.fromEntries(names.map((n) => [n, median(samples[n])]));
console.log('\nSaturation (median of rounds, req/s):');
for (const n of names) console.log(`  ${n.padEnd(7)} ${fmt(sat[n]).padStart(7)}   ${fmt((100 * sat[n]) / sat.direct, 1)}% of direct`);
if (sat.msx && sat.guide) console.log(`  msx / guide = ${fmt(sat.msx / sat.guide, 1)}x   (target >= 10x)`);
if (sat.msx && sat.nginx) console.log(`  msx / nginx = ${fmt(sat.msx / sat.nginx, 2)}x   (target >= 0.5x)`);
if (latency.msx.length) {
  const p99 = (n) => median(latency[n].map((r) => r.p99));
  const sendP99 = (n) => median(latency[n].map((r) => r.sendP99));
  console.log(`\nAt ${RATE} req/s (median of ${RATE_ROUNDS} rounds):`);
  console.log(`  p99 direct ${fmt(p99('direct'), 3)} ms, msx ${fmt(p99('msx'), 3)} ms, difference ${fmt(p99('msx') - p99('direct'), 3)} ms   (target < 2 ms)`);
  console.log(`  p99 from actual send: direct ${fmt(sendP99('direct'), 3)} ms, msx ${fmt(sendP99('msx'), 3)} ms`);
}
console.log(`\nTotal ${fmt((Date.now() - started) / 1000)} s; wrk -t1 -c${CONNECTIONS} -d${SECONDS}s, ${ROUNDS} rounds.`);
process.exit(0);
