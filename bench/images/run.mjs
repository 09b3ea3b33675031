// msx build's images against the seed guide's Dockerfile design, built side by
// side in one run on the same engine, from the same base image, for the six
// services of the shop (see README.md for what is measured and why).
//
//   npm run build && node bench/images/run.mjs [--node-image msx-ci/node:20] [--keep]
//
// Each run generates a shop under a fresh system name, so no layer of an
// earlier run (or of another system) is in the engine's cache: both designs
// build cold. Prints one JSON object on its last line.
import { execFileSync } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const MSX = join(REPO, 'bin', 'msx.js');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
};
const KEEP = process.argv.includes('--keep');
const SERVICES = ['gateway', 'users', 'products', 'payments', 'orders', 'notifications'];

const sh = (file, args, options = {}) => execFileSync(file, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
const seconds = (ms) => Math.round(ms / 100) / 10;
const mb = (bytes) => Math.round(bytes / 1e5) / 10;
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
const imageSize = (ref) => Number(sh('docker', ['image', 'inspect', ref, '--format', '{{.Size}}']).trim());
const timed = (fn) => {
  const started = Date.now();
  const value = fn();
  return { value, ms: Date.now() - started };
};

function nodeImage() {
  const given = arg('node-image', process.env.MSX_BENCH_NODE_IMAGE);
  if (given) return given;
  const yaml = sh('bash', [join(REPO, 'scripts', 'ci-images.sh')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const match = /^\s+node:\s*(\S+)\s*$/m.exec(yaml);
  if (!match) throw new Error(`scripts/ci-images.sh printed no node image:\n${yaml}`);
  return match[1];
}

const NODE_IMAGE = nodeImage();
const SYSTEM = `imgbench${Date.now().toString(36)}`;
const work = mkdtempSync(join(tmpdir(), 'msx-bench-images-'));
const root = join(work, SYSTEM);
console.error(`system ${SYSTEM} in ${root}, base ${NODE_IMAGE}, load ${load()}`);

// The shop, pointed at the base image, with its lockfile (what `npm install` writes).
sh(process.execPath, [MSX, 'new', root, '--example', 'shop', '--yes', '--name', SYSTEM], { stdio: ['ignore', 'ignore', 'inherit'] });
const manifestPath = join(root, 'msx.yaml');
writeFileSync(manifestPath, readFileSync(manifestPath, 'utf8').replace(/^  compose:\n/m, `  compose:\n    images:\n      node: ${NODE_IMAGE}\n`));
sh('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });

// The seed guide's design, per service: FROM the base, COPY package*.json,
// npm ci --only=production, COPY . ., a user made with addgroup/adduser (here
// Debian's groupadd/useradd), chown -R, USER, HEALTHCHECK with curl, npm start.
// Adapted only where it cannot work as written: the service's package.json
// points at the runtime tarball inside its own context, the lockfile is the
// service's own, and npm ci gets --ignore-scripts because better-sqlite3's
// native build needs a compiler the base image does not have.
const SEED_DOCKERFILE = `FROM ${NODE_IMAGE}
WORKDIR /app
COPY package*.json ./
COPY vendor/ vendor/
RUN npm ci --only=production --ignore-scripts
COPY . .
RUN groupadd -g 1001 nodejs
RUN useradd -u 1001 -g nodejs -M nextjs
RUN chown -R nextjs:nodejs /app
USER nextjs
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \\
  CMD curl -f http://localhost:3000/health || exit 1
CMD ["npm", "start"]
`;
const vendorFile = readdirSync(join(root, 'vendor')).find((f) => f.endsWith('.tgz'));
const seedDir = join(work, 'seed');
function seedContext(service, lockTemplate) {
  const dir = join(seedDir, service);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  sh('cp', ['-a', `${join(root, 'services', service)}/.`, dir]);
  mkdirSync(join(dir, 'vendor'));
  copyFileSync(join(root, 'vendor', vendorFile), join(dir, 'vendor', vendorFile));
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  pkg.dependencies['@msx/runtime'] = `file:vendor/${vendorFile}`;
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  writeFileSync(join(dir, 'Dockerfile'), SEED_DOCKERFILE);
  if (lockTemplate === undefined) {
    sh('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  } else {
    const lock = JSON.parse(lockTemplate);
    lock.name = pkg.name;
    lock.packages[''].name = pkg.name;
    writeFileSync(join(dir, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  }
  return dir;
}
const firstSeed = seedContext(SERVICES[0]);
const lockTemplate = readFileSync(join(firstSeed, 'package-lock.json'), 'utf8');
for (const service of SERVICES.slice(1)) seedContext(service, lockTemplate);

const baseSize = imageSize(NODE_IMAGE);
const result = { system: SYSTEM, nodeImage: NODE_IMAGE, baseSizeMB: mb(baseSize), loadAtStart: Number(load()) };

// 1. Cold builds, msx first (anything warmed by going first favours the seed design).
const msxCold = timed(() => JSON.parse(sh(process.execPath, [MSX, '-C', root, 'build', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] })));
const seedCold = timed(() => {
  for (const service of SERVICES) {
    sh('docker', ['build', '-q', '-t', `${SYSTEM}-seed/${service}:bench`, join(seedDir, service)], { env: { ...process.env, DOCKER_BUILDKIT: '0' }, stdio: ['ignore', 'ignore', 'inherit'] });
  }
});
const msxAdded = msxCold.value.images.map((image) => image.sizeBytes - baseSize);
const seedAdded = SERVICES.map((service) => imageSize(`${SYSTEM}-seed/${service}:bench`) - baseSize);
const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
result.coldBuild = { msxSeconds: seconds(msxCold.ms), seedSeconds: seconds(seedCold.ms), ratio: Math.round((msxCold.ms / seedCold.ms) * 1000) / 1000, target: '<= 0.5' };
result.addedSizePerImage = {
  msxMB: Object.fromEntries(SERVICES.map((s, i) => [s, mb(msxAdded[i])])),
  seedMB: Object.fromEntries(SERVICES.map((s, i) => [s, mb(seedAdded[i])])),
  ratioOfMeans: Math.round((mean(msxAdded) / mean(seedAdded)) * 1000) / 1000,
  target: '<= 0.25',
};

// 2. Nothing changed: nothing is rebuilt.
const noop = timed(() => JSON.parse(sh(process.execPath, [MSX, '-C', root, 'build', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] })));
result.unchangedRebuild = { seconds: seconds(noop.ms), rebuilt: noop.value.images.filter((i) => i.rebuilt).map((i) => i.service) };

// 3. One line changed in one service: only that image is rebuilt.
appendFileSync(join(root, 'services', 'orders', 'src', 'routes.ts'), `// bench: one-line change ${Date.now()}\n`);
const oneLine = timed(() => JSON.parse(sh(process.execPath, [MSX, '-C', root, 'build', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] })));
result.oneLineChange = {
  seconds: seconds(oneLine.ms),
  buildSeconds: seconds(oneLine.value.durationMs),
  rebuilt: oneLine.value.images.filter((i) => i.rebuilt).map((i) => i.service),
  target: '<= 10 s, only orders',
};
result.loadAtEnd = Number(load());

console.error(`
added size per image (image minus base ${mb(baseSize)} MB): msx ${mb(mean(msxAdded))} MB, seed design ${mb(mean(seedAdded))} MB -> ${result.addedSizePerImage.ratioOfMeans}x (target <= 0.25x)
cold build of six images: msx ${result.coldBuild.msxSeconds} s, seed design ${result.coldBuild.seedSeconds} s -> ${result.coldBuild.ratio}x (target <= 0.5x)
unchanged: ${result.unchangedRebuild.seconds} s, rebuilt [${result.unchangedRebuild.rebuilt.join(', ')}]
one-line change in orders: ${result.oneLineChange.seconds} s (build ${result.oneLineChange.buildSeconds} s), rebuilt [${result.oneLineChange.rebuilt.join(', ')}] (target <= 10 s)
load average ${result.loadAtStart} at start, ${result.loadAtEnd} at end (2 cores)`);

if (!KEEP) {
  const tags = sh('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}']).split('\n').filter((ref) => ref.startsWith(`${SYSTEM}/`) || ref.startsWith(`${SYSTEM}-seed/`));
  if (tags.length > 0) sh('docker', ['rmi', '-f', ...tags], { stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
}
console.log(JSON.stringify(result));
