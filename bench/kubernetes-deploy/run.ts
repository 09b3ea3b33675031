// bench/kubernetes-deploy: how long `msx deploy` takes, start to exit, to fail
// on a scripted CrashLoopBackOff (issue 11: within 5 s), against the API
// double of the tests (test/support/kube-api-double.ts, through the real
// @kubernetes/client-node), with `msx --version`
// (node plus msx's CLI) as the baseline in the same run. Wall and CPU time
// (user + system, reported by the child itself) per fresh process.
//
// Usage: npm run build && node --import tsx bench/kubernetes-deploy/run.ts [rounds]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MSX_BIN } from '../../test/support/msx.js';
import { kubeSystem } from '../../test/support/kube-system.js';

const rounds = Number(process.argv[2] ?? 5);
const SERVICES = { users: '{ kind: http, port: 3001 }', orders: '{ kind: http, port: 3002, replicas: 2, calls: [users] }' };

const system = await kubeSystem(SERVICES);
const reporter = join(system.dir, 'cpu-report.cjs');
writeFileSync(reporter, "process.on('exit', () => { const u = process.cpuUsage(); require('node:fs').writeSync(2, `\\nMSX_BENCH_CPU_MS=${(u.user + u.system) / 1000}\\n`); });\n");

// Each run is awaited (never spawnSync): the double answers from this process.
async function run(args: string[]): Promise<{ ms: number; cpuMs: number; exitCode: number | null; stderr: string }> {
  const { execa } = await import('execa');
  const start = process.hrtime.bigint();
  const result = await execa(process.execPath, [MSX_BIN, ...args], { cwd: system.dir, env: { ...system.env, NODE_OPTIONS: `--require ${reporter}` }, reject: false, stdin: 'ignore' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const cpu = /MSX_BENCH_CPU_MS=([\d.]+)/.exec(String(result.stderr));
  return { ms, cpuMs: cpu ? Number(cpu[1]) : NaN, exitCode: result.exitCode ?? null, stderr: String(result.stderr) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const samples: Record<string, { wall: number[]; cpu: number[] }> = { 'msx --version': { wall: [], cpu: [] }, 'deploy, CrashLoopBackOff': { wall: [], cpu: [] } };
try {
  for (let i = 0; i < rounds; i++) {
    const version = await run(['--version']);
    samples['msx --version']!.wall.push(version.ms);
    samples['msx --version']!.cpu.push(version.cpuMs);
    system.double.script('orders', 'crash-loop');
    const crash = await run(['deploy', '--timeout', '2m']);
    if (crash.exitCode !== 1 || !/CrashLoopBackOff/.test(crash.stderr)) throw new Error(`the crash-looping deploy did not fail with CrashLoopBackOff: exit ${crash.exitCode}\n${crash.stderr}`);
    samples['deploy, CrashLoopBackOff']!.wall.push(crash.ms);
    samples['deploy, CrashLoopBackOff']!.cpu.push(crash.cpuMs);
  }
  console.log(`msx deploy against the API double, ${rounds} rounds, fresh process each (target: CrashLoopBackOff fails within 5 s)`);
  for (const [name, { wall, cpu }] of Object.entries(samples)) console.log(`  ${name.padEnd(26)} wall median ${median(wall).toFixed(0).padStart(6)} ms, max ${Math.max(...wall).toFixed(0).padStart(6)} ms, CPU median ${median(cpu).toFixed(0).padStart(5)} ms`);
  const crash = samples['deploy, CrashLoopBackOff']!;
  console.log(`  CrashLoopBackOff within 5 s: ${Math.max(...crash.wall) < 5000 ? 'met' : 'MISSED'} (max ${Math.max(...crash.wall).toFixed(0)} ms)`);
} finally {
  await system.cleanup();
}
