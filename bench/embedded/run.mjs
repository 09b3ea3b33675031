// What V8's WebAssembly compiler choice costs the embedded engine (PGlite):
// query speed and memory, side by side. Each measurement is a fresh node
// process (workload.mjs) started with the variant's V8 flags; rounds are
// interleaved (every variant once per round, in rotating order), because the
// machine is shared and its load drifts. Speed is compared by CPU seconds and
// by ratios to the first variant, within a round.
//
//   npm run build && node bench/embedded/run.mjs [--rounds 3] [--events 1000] [--memory-rounds 2]
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const ROUNDS = arg('rounds', 3);
const EVENTS = arg('events', 1000);
const MEMORY_ROUNDS = arg('memory-rounds', 2);
const workload = fileURLToPath(new URL('./workload.mjs', import.meta.url));

const VARIANTS = [
  { name: 'liftoff-only', flags: ['--liftoff-only'] },
  { name: 'default (dynamic tiering)', flags: ['--no-liftoff-only'] },
  { name: 'tiering budget x10', flags: ['--wasm-tiering-budget=18000000'] },
];

function measure(variant, args) {
  // A WebAssembly compiler flag on the command line is left as given by the engine (embedded-engine.ts).
  const out = execFileSync(process.execPath, [...variant.flags, workload, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').at(-1));
}

const steady = (r) => r.passes.slice(1); // pass 1 includes compiling
const sumOf = (passes, key) => passes.reduce((s, p) => s + p[key], 0);
const load = () => execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ')[0];

console.log(`speed: 1 engine, ${EVENTS} events per pass, 3 passes (1 warm-up), ${ROUNDS} rounds`);
const speed = VARIANTS.map(() => []);
for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < VARIANTS.length; k++) {
    const v = (round + k) % VARIANTS.length;
    const r = measure(VARIANTS[v], ['--engines', '1', '--events', String(EVENTS), '--passes', '3']);
    speed[v].push(r);
    const s = steady(r);
    console.log(`  round ${round + 1} ${VARIANTS[v].name.padEnd(26)} open CPU ${r.openCpuS.toFixed(2)} s; pass 1 CPU ${r.passes[0].cpuS.toFixed(2)} s; steady CPU/pass ${(sumOf(s, 'cpuS') / s.length).toFixed(2)} s; steady wall/pass ${((sumOf(s, 'outboxInsertMs') + sumOf(s, 'relayMs') + sumOf(s, 'inboxTxMs') + sumOf(s, 'pointSelectMs')) / s.length / 1000).toFixed(2)} s + scan ${(sumOf(s, 'scanMs') / s.length / 1000).toFixed(2)} s; idle PSS ${r.idle.pssMB.toFixed(0)} MB (load ${load()})`);
  }
}

console.log(`\nmemory: 1 engine vs 5 engines in one process (${Math.min(EVENTS, 500)} events x 2 passes each), ${MEMORY_ROUNDS} rounds`);
const memVariants = VARIANTS.slice(0, 2);
const mem = memVariants.map(() => ({ one: [], five: [] }));
for (let round = 0; round < MEMORY_ROUNDS; round++) {
  for (let k = 0; k < memVariants.length; k++) {
    const v = (round + k) % memVariants.length;
    for (const [key, engines] of [['one', 1], ['five', 5]]) {
      const r = measure(memVariants[v], ['--engines', String(engines), '--events', String(Math.min(EVENTS, 500)), '--passes', '2']);
      mem[v][key].push(r.idle.pssMB);
      console.log(`  round ${round + 1} ${memVariants[v].name.padEnd(26)} ${engines} engine(s): idle PSS ${r.idle.pssMB.toFixed(0)} MB, RSS ${r.idle.rssMB.toFixed(0)} MB`);
    }
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log('\nsummary (medians; ratio = variant / liftoff-only, per round, then median):');
for (const [v, variant] of VARIANTS.entries()) {
  const cpu = speed[v].map((r) => sumOf(steady(r), 'cpuS') / steady(r).length);
  const ratio = speed[v].map((r, i) => (sumOf(steady(r), 'cpuS') / steady(r).length) / (sumOf(steady(speed[0][i]), 'cpuS') / steady(speed[0][i]).length));
  const phases = ['outboxInsertMs', 'relayMs', 'inboxTxMs', 'pointSelectMs', 'scanMs'].map((key) => `${key.replace('Ms', '')} ${median(speed[v].map((r, i) => sumOf(steady(r), key) / sumOf(steady(speed[0][i]), key))).toFixed(2)}x`).join(', ');
  const scan = speed[v].map((r, i) => sumOf(steady(r), 'scanCpuS') / sumOf(steady(speed[0][i]), 'scanCpuS'));
  console.log(`  ${variant.name.padEnd(26)} scan CPU ${median(speed[v].map((r) => sumOf(steady(r), 'scanCpuS') / steady(r).length)).toFixed(2)} s/pass (${median(scan).toFixed(2)}x)`);
  console.log(`  ${variant.name.padEnd(26)} steady CPU/pass ${median(cpu).toFixed(2)} s (${median(ratio).toFixed(2)}x); open CPU ${median(speed[v].map((r) => r.openCpuS)).toFixed(2)} s; PSS just after open ${median(speed[v].map((r) => r.afterOpen.pssMB)).toFixed(0)} MB, idle after the passes ${median(speed[v].map((r) => r.idle.pssMB)).toFixed(0)} MB; pass-1 CPU ${median(speed[v].map((r) => r.passes[0].cpuS)).toFixed(2)} s; wall ratios: ${phases}`);
}
for (const [v, variant] of memVariants.entries()) {
  const one = median(mem[v].one);
  const five = median(mem[v].five);
  console.log(`  ${variant.name.padEnd(26)} idle PSS: 1 engine ${one.toFixed(0)} MB, 5 engines ${five.toFixed(0)} MB (${((five - one) / 4).toFixed(0)} MB per further engine)`);
}
console.log(JSON.stringify({ speed: speed.map((rs, v) => ({ variant: VARIANTS[v].name, runs: rs })), memory: mem.map((m, v) => ({ variant: memVariants[v].name, ...m })) }));
