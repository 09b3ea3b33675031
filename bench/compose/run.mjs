// `msx up --target compose` of the built shop to all healthy, against plain
// `docker compose up -d --wait` of the same rendered compose.yaml, in one run
// on one engine (see README.md).
//
//   npm run build && node bench/compose/run.mjs [--keep]
//
// The images are built first (msx build, not timed) so both starts time only
// starting: containers created, databases initialised, every healthcheck
// passing. A first, untimed msx up builds the msx-collector image and warms
// the caches; each timed start then begins from no containers and no volumes
// (down --volumes), so both pay the same PostgreSQL and RabbitMQ first boot.
// Plain compose goes first.
// Prints one JSON object on its last line.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const MSX = join(REPO, 'bin', 'msx.js');
const KEEP = process.argv.includes('--keep');
const sh = (file, args, options = {}) => execFileSync(file, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
const seconds = (ms) => Math.round(ms / 100) / 10;
const load = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
const timed = (fn) => {
  const started = Date.now();
  fn();
  return Date.now() - started;
};

const imagesYaml = process.env.MSX_TEST_COMPOSE_IMAGES
  ? readFileSync(process.env.MSX_TEST_COMPOSE_IMAGES, 'utf8')
  : sh('bash', [join(REPO, 'scripts', 'ci-images.sh')], { stdio: ['ignore', 'pipe', 'inherit'] });
const images = Object.fromEntries([...imagesYaml.matchAll(/^\s{6}(\w+):\s*(\S+)\s*$/gm)].map((m) => [m[1], m[2]]));
if (!images.node) throw new Error(`no infrastructure.compose.images block:\n${imagesYaml}`);

const SYSTEM = `upbench${Date.now().toString(36)}`;
const work = mkdtempSync(join(tmpdir(), 'msx-bench-compose-'));
const root = join(work, SYSTEM);
const msx = (args, stdio = ['ignore', 'ignore', 'inherit']) => sh(process.execPath, [MSX, '-C', root, ...args], { stdio, env: { ...process.env, NO_COLOR: '1' } });
console.error(`system ${SYSTEM} in ${root}, load ${load()}`);

sh(process.execPath, [MSX, 'new', root, '--example', 'shop', '--yes', '--name', SYSTEM], { stdio: ['ignore', 'ignore', 'inherit'] });
const manifestPath = join(root, 'msx.yaml');
const block = `  compose:\n    images:\n${Object.entries(images).map(([k, v]) => `      ${k}: ${v}\n`).join('')}`;
writeFileSync(manifestPath, readFileSync(manifestPath, 'utf8').replace(/^  compose:\n/m, block));
sh('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });

const result = { system: SYSTEM, loadAtStart: load() };
const buildMs = timed(() => msx(['build']));
result.buildSeconds = seconds(buildMs);
// Renders compose.yaml (and the secrets in .env) exactly as up uses it.
msx(['render', 'compose']);
const compose = (args) => sh('docker', ['compose', '-p', SYSTEM, '-f', join(root, 'compose.yaml'), ...args], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });

// A first msx up, not timed: it builds the msx-collector image (msx build does not), so both
// timed starts find every image, and both run with the same warm caches.
result.warmUpSeconds = seconds(timed(() => msx(['up', '--target', 'compose'])));
msx(['down', '--volumes']);

const plainMs = timed(() => compose(['up', '-d', '--wait']));
compose(['down', '--volumes', '--remove-orphans']);
const msxMs = timed(() => msx(['up', '--target', 'compose']));
result.loadAtEnd = load();
msx(['down', '--volumes']);
result.up = { msxSeconds: seconds(msxMs), plainComposeSeconds: seconds(plainMs), ratio: Math.round((msxMs / plainMs) * 1000) / 1000, target: '<= 1.2' };

console.error(`
msx up --target compose (images built): ${result.up.msxSeconds} s
docker compose up -d --wait, same compose.yaml: ${result.up.plainComposeSeconds} s
ratio ${result.up.ratio} (target <= 1.2); load average ${result.loadAtStart} at start, ${result.loadAtEnd} at end (2 cores)`);

if (!KEEP) {
  const tags = sh('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}']).split('\n').filter((ref) => ref.startsWith(`${SYSTEM}/`));
  if (tags.length > 0) sh('docker', ['rmi', '-f', ...tags], { stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
}
console.log(JSON.stringify(result));
