#!/usr/bin/env node
// bench/kubernetes-render: how long `msx render kubernetes` of the reference
// shop takes, validation included, as a user runs it (a fresh process each
// time), against baselines in the same run:
// - node starting with nothing to do (the floor of any CLI), and msx
//   --version (node plus loading msx's CLI, what every command pays);
// - serialising the very same objects with the `yaml` package alone, in a
//   fresh process too (what rendering would cost if building, validating
//   and writing were free);
// and, inside one process after warm-up, where the time goes: image tags
// (hashing the build inputs), building the objects, validating them
// (OpenAPI schemas + unknown fields + ranges) and serialising them.
// Target (issue 11): under 1 s for the whole command.
//
// Usage: npm run build && node bench/kubernetes-render/run.mjs [rounds]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const rounds = Number(process.argv[2] ?? 10);
const repo = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(repo, 'bin', 'msx.js');
const dist = (path) => pathToFileURL(join(repo, 'dist', path)).href;

// Each child reports the CPU time it used (user + system) when it exits: on a
// shared, loaded machine wall time mostly measures the neighbours, CPU time
// much less so.
let cpuReporter;
function run(command, args, cwd) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', NODE_OPTIONS: `--require ${cpuReporter}` },
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  const cpu = /MSX_BENCH_CPU_MS=([\d.]+)/.exec(String(result.stderr));
  return { ms, cpuMs: cpu ? Number(cpu[1]) : NaN, stdout: String(result.stdout) };
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { median: at(0.5), p90: at(0.9), max: s.at(-1) };
};
const fmt = (n) => `${n < 10 ? n.toFixed(1) : n.toFixed(0)} ms`;

const work = mkdtempSync(join(tmpdir(), 'msx-bench-k8s-render-'));
try {
  cpuReporter = join(work, 'cpu-report.cjs');
  writeFileSync(cpuReporter, "process.on('exit', () => { const u = process.cpuUsage(); require('node:fs').writeSync(2, `\\nMSX_BENCH_CPU_MS=${(u.user + u.system) / 1000}\\n`); });\n");
  run(process.execPath, [bin, 'new', 'shop', '--example', 'shop', '--yes'], work);
  const shop = join(work, 'shop');
  // The objects exactly as render makes them, for the yaml-only baseline.
  const objects = JSON.parse(run(process.execPath, [bin, 'render', 'kubernetes', '--stdout', '--json'], shop).stdout).items;
  const objectsFile = join(work, 'objects.json');
  writeFileSync(objectsFile, JSON.stringify(objects));
  const yamlOnly = join(work, 'yaml-only.mjs');
  writeFileSync(yamlOnly, [
    `import { readFileSync } from 'node:fs';`,
    `import { createRequire } from 'node:module';`,
    `const { Document } = createRequire(${JSON.stringify(join(repo, 'package.json'))})('yaml');`,
    `const objects = JSON.parse(readFileSync(${JSON.stringify(objectsFile)}, 'utf8'));`,
    `process.stdout.write(objects.map((o) => '---\\n' + new Document(o, { aliasDuplicateObjects: false }).toString({ lineWidth: 0 })).join(''));`,
  ].join('\n'));
  run(process.execPath, [bin, 'render', 'kubernetes'], shop); // first write; later rounds find every file unchanged

  const commands = {
    node: [[process.execPath, ['-e', '']], work],
    'yaml alone': [[process.execPath, [yamlOnly]], work],
    // The floor every msx command pays: node, then loading the CLI and its commands.
    'msx --version': [[process.execPath, [bin, '--version']], work],
    'msx render': [[process.execPath, [bin, 'render', 'kubernetes']], shop],
    'msx render --stdout': [[process.execPath, [bin, 'render', 'kubernetes', '--stdout']], shop],
  };
  const samples = Object.fromEntries(Object.keys(commands).map((name) => [name, { wall: [], cpu: [] }]));
  for (let i = 0; i < rounds; i++) {
    for (const [name, [[command, args], cwd]] of Object.entries(commands)) {
      const { ms, cpuMs } = run(command, args, cwd);
      samples[name].wall.push(ms);
      samples[name].cpu.push(cpuMs);
    }
  }

  // Inside one process, warm: the stages of a render.
  const { loadManifest } = await import(dist('manifest/load-manifest.js'));
  const { serviceImages } = await import(dist('targets/kubernetes/render/service-images.js'));
  const { kubernetesObjects } = await import(dist('targets/kubernetes/render/render-objects.js'));
  const { validateObjects } = await import(dist('targets/kubernetes/render/validate-objects.js'));
  const { renderedFiles } = await import(dist('targets/kubernetes/render/rendered-files.js'));
  const { Document } = await import('yaml');
  const stages = { 'load msx.yaml': [], 'image tags': [], build: [], validate: [], 'serialise (render)': [], 'serialise (yaml alone)': [] };
  const lap = (name, fn) => {
    const start = process.hrtime.bigint();
    const value = fn();
    stages[name].push(Number(process.hrtime.bigint() - start) / 1e6);
    return value;
  };
  for (let i = 0; i < rounds + 3; i++) {
    const { manifest } = lap('load msx.yaml', () => loadManifest(shop));
    const start = process.hrtime.bigint();
    const images = await serviceImages(shop, manifest);
    stages['image tags'].push(Number(process.hrtime.bigint() - start) / 1e6);
    const built = lap('build', () => kubernetesObjects({ manifest, images, namespace: 'shop' }));
    const issues = lap('validate', () => validateObjects(built));
    if (issues.length > 0) throw new Error(`invalid objects: ${JSON.stringify(issues)}`);
    lap('serialise (render)', () => renderedFiles(manifest, built));
    lap('serialise (yaml alone)', () => built.map((o) => new Document(o, { aliasDuplicateObjects: false }).toString({ lineWidth: 0 })).join('---\n'));
  }
  for (const xs of Object.values(stages)) xs.splice(0, 3); // warm-up rounds

  console.log(`msx render kubernetes of the shop (${objects.length} objects), ${rounds} rounds, interleaved, fresh process each`);
  console.log(`  ${''.padEnd(20)} ${'wall median'.padStart(12)} ${'p90'.padStart(8)} ${'max'.padStart(8)} ${'CPU median'.padStart(11)}`);
  for (const [name, { wall, cpu }] of Object.entries(samples)) {
    const w = stats(wall);
    console.log(`  ${name.padEnd(20)} ${fmt(w.median).padStart(12)} ${fmt(w.p90).padStart(8)} ${fmt(w.max).padStart(8)} ${fmt(stats(cpu).median).padStart(11)}`);
  }
  const median = (name, key) => stats(samples[name][key]).median;
  for (const key of ['wall', 'cpu']) {
    console.log(`  ${key.padEnd(4)} ratio msx render / yaml alone ${(median('msx render', key) / median('yaml alone', key)).toFixed(1)}x, / node start ${(median('msx render', key) / median('node', key)).toFixed(1)}x`);
  }
  console.log(`  render's own share (msx render - msx --version): wall ${fmt(median('msx render', 'wall') - median('msx --version', 'wall'))}, CPU ${fmt(median('msx render', 'cpu') - median('msx --version', 'cpu'))}`);
  const cli = stats(samples['msx render'].wall);
  console.log(`  target < 1000 ms wall: ${cli.max < 1000 ? 'met' : 'MISSED'} (median ${fmt(cli.median)}, max ${fmt(cli.max)}; CPU median ${fmt(median('msx render', 'cpu'))})`);
  console.log(`in one process, warm (median of ${rounds}):`);
  for (const [name, xs] of Object.entries(stages)) console.log(`  ${name.padEnd(24)} ${fmt(stats(xs).median).padStart(8)}`);
  const s = (name) => stats(stages[name]).median;
  const work_ = s('build') + s('validate') + s('serialise (render)');
  console.log(`  build + validate + serialise / yaml alone: ${(work_ / s('serialise (yaml alone)')).toFixed(1)}x (validation alone ${(s('validate') / s('serialise (yaml alone)')).toFixed(1)}x)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
