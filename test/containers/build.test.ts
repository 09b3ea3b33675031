import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { containerImages, requireDocker } from '../support/containers.js';
import { freePort } from '../support/free-port.js';
import { msx, tempDir, userEnv } from '../support/msx.js';
import { startRegistryDouble } from '../support/registry-double.js';

// msx build of the generated shop on a real engine: six images, what the
// final image holds, a container that gets healthy and stops on SIGTERM,
// nothing rebuilt when nothing changed, one image when one service did, and
// a broken service failing with its step's output.

const SYSTEM = 'buildtest';
const SERVICES = ['gateway', 'users', 'products', 'payments', 'orders', 'notifications'];
/** A cold build runs npm ci inside a container: minutes on a busy machine. */
const BUILD_TIMEOUT_MS = 20 * 60_000;

interface BuildJson {
  images: { service: string; contentTag: string; readableTag: string; hash: string; sizeBytes: number; rebuilt: boolean }[];
}

let root = '';
let cleanup = () => {};
let engineAvailable = false;

const docker = async (args: string[], options: { reject?: boolean; timeout?: number } = {}) => {
  const result = await execa('docker', args, { reject: options.reject ?? true, stdin: 'ignore', timeout: options.timeout ?? 120_000 });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
};
const build = (args: string[] = []) => msx(['-C', root, 'build', ...args], { timeout: BUILD_TIMEOUT_MS, env: userEnv() });
const buildJson = async (args: string[] = []): Promise<BuildJson> => {
  const result = await build([...args, '--json']);
  assert.equal(result.exitCode, 0, result.stderr);
  return JSON.parse(result.stdout) as BuildJson;
};
const inspect = async (ref: string) => JSON.parse((await docker(['image', 'inspect', ref])).stdout)[0] as {
  Config: { User: string; Env: string[]; Labels: Record<string, string>; Healthcheck?: { Test: string[] }; Entrypoint: string[] };
};
const inImage = (ref: string, script: string) => docker(['run', '--rm', '--entrypoint', 'sh', ref, '-c', script], { reject: false });

async function removeSystemImages(): Promise<void> {
  const refs = (await docker(['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout.split('\n').filter((ref) => ref.startsWith(`${SYSTEM}/`));
  if (refs.length > 0) await docker(['rmi', '-f', ...refs], { reject: false });
}

before(async () => {
  // Each test says why it skips (requireDocker); in CI a missing engine fails every one.
  engineAvailable = await execa('docker', ['info'], { reject: false, stdin: 'ignore', timeout: 30_000 }).then((r) => r.exitCode === 0);
  if (!engineAvailable) return;
  const images = await containerImages();
  ({ dir: root, cleanup } = tempDir('msx-build-'));
  root = join(root, SYSTEM);
  const created = await msx(['new', root, '--example', 'shop', '--yes'], { env: userEnv() });
  assert.equal(created.exitCode, 0, created.stderr);
  const manifestPath = join(root, 'msx.yaml');
  writeFileSync(manifestPath, readFileSync(manifestPath, 'utf8').replace(/^  compose:\n/m, `  compose:\n    images:\n      node: ${images.node}\n`));
  // The lockfile is what npm install writes; images install exactly it.
  await execa('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: root, stdin: 'ignore', timeout: 10 * 60_000 });
  // A git checkout with an origin, so the source and revision labels have something to say.
  const git = (...args: string[]) => execa('git', ['-c', 'user.email=test@example.com', '-c', 'user.name=test', ...args], { cwd: root, stdin: 'ignore' });
  await git('init', '-q');
  await git('remote', 'add', 'origin', 'https://example.com/acme/buildtest.git');
  await git('add', '-A');
  await git('commit', '-qm', 'shop');
  // Tags of an earlier run would make the first build a no-op; their layers may stay cached.
  await removeSystemImages();
}, { timeout: 15 * 60_000 });

after(async () => {
  if (engineAvailable) await removeSystemImages();
  cleanup();
});

test('usage mistakes exit 2 before any build: an unknown service, --push without a registry, a system without its lockfile', { timeout: 5 * 60_000 }, async (t) => {
  if (!(await requireDocker(t))) return;
  const unknown = await build(['nope']);
  assert.equal(unknown.exitCode, 2, unknown.stderr);
  assert.match(unknown.stderr, /unknown service "nope"/);
  assert.match(unknown.stderr, /users/);
  const push = await build(['users', '--push']);
  assert.equal(push.exitCode, 2, push.stderr);
  assert.match(push.stderr, /infrastructure\.kubernetes\.registry/);
  const lock = join(root, 'package-lock.json');
  const saved = readFileSync(lock);
  rmSync(lock);
  try {
    const noLock = await build(['users']);
    assert.equal(noLock.exitCode, 2, noLock.stderr);
    assert.match(noLock.stderr, /package-lock\.json is missing/);
    assert.match(noLock.stderr, /npm install/);
  } finally {
    writeFileSync(lock, saved);
  }
});

test('msx build builds one image per service of the shop, the gateway included, under both tags', { timeout: BUILD_TIMEOUT_MS }, async (t) => {
  if (!(await requireDocker(t))) return;
  const { images } = await buildJson();
  assert.deepEqual(images.map((i) => i.service), SERVICES);
  for (const image of images) {
    assert.equal(image.rebuilt, true, image.service);
    assert.match(image.contentTag, new RegExp(`^${SYSTEM}/${image.service}:h-[0-9a-f]{12}$`));
    assert.equal(image.readableTag, `${SYSTEM}/${image.service}:0.1.0`);
    assert.equal((await inspect(image.contentTag)).Config.Labels['dev.msx.image-hash'], image.hash);
    assert.equal((await docker(['image', 'inspect', image.readableTag, '--format', '{{.Id}}'])).stdout, (await docker(['image', 'inspect', image.contentTag, '--format', '{{.Id}}'])).stdout);
  }
  assert.equal(new Set(images.map((i) => i.hash)).size, SERVICES.length, 'every service has its own hash');
});

test('the final image has no npm, no .env, no tests and no embedded engines; it runs as uid 1000 with NODE_ENV=production and carries its labels', { timeout: 5 * 60_000 }, async (t) => {
  if (!(await requireDocker(t))) return;
  const ref = `${SYSTEM}/orders:0.1.0`;
  const { Config } = await inspect(ref);
  assert.equal(Config.User, '1000:1000');
  assert.ok(Config.Env.includes('NODE_ENV=production'), Config.Env.join(' '));
  assert.deepEqual(Config.Entrypoint, ['node', 'dist/src/main.mjs']);
  assert.ok(Config.Healthcheck && !Config.Healthcheck.Test.join(' ').includes('curl'), 'a health check without curl');
  const labels = Config.Labels;
  assert.equal(labels['org.opencontainers.image.source'], 'https://example.com/acme/buildtest.git');
  assert.match(labels['org.opencontainers.image.revision'] ?? '', /^[0-9a-f]{40}/);
  assert.equal(labels['org.opencontainers.image.version'], '0.1.0');
  assert.equal(labels['dev.msx.system'], SYSTEM);
  assert.equal(labels['dev.msx.service'], 'orders');

  const id = await inImage(ref, 'id -u; id -g');
  assert.equal(id.stdout.trim().split('\n').join(' '), '1000 1000');
  const tools = await inImage(ref, 'for t in npm npx corepack yarn tsc gcc g++ make python3; do command -v $t && echo "found $t"; done; ls /usr/local/lib/node_modules 2>/dev/null; true');
  assert.doesNotMatch(tools.stdout, /found|npm|corepack/, tools.stdout);
  // msx puts files only under /app; .env could only come from the system folder.
  const files = await inImage(ref, "find /app \\( -name '.env*' -o -name '*.test.*' -o -name test -o -name tests -o -name '*.ts' -o -name better-sqlite3 -o -name '*.node' -o -name pglite -o -name '*.tsbuildinfo' \\) ; find / -xdev -name '.env*' -not -path '/proc/*' 2>/dev/null; true");
  assert.equal(files.stdout.trim(), '', `unexpected files in the image:\n${files.stdout}`);
  const app = await inImage(ref, 'ls /app /app/node_modules');
  assert.match(app.stdout, /dist/);
  assert.match(app.stdout, /migrations/);
});

test('a service container gets healthy on a read-only root file system, and SIGTERM stops it cleanly', { timeout: 5 * 60_000 }, async (t) => {
  if (!(await requireDocker(t))) return;
  const database = `buildtest_users_${process.pid}`;
  await execa('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-c', `CREATE DATABASE ${database}`], { stdin: 'ignore' });
  const env = Object.fromEntries(readFileSync(join(root, '.env'), 'utf8').split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const port = await freePort();
  const name = `buildtest-users-${process.pid}`;
  // Host networking: the service reaches this machine's PostgreSQL and RabbitMQ on 127.0.0.1.
  const args = ['run', '-d', '--name', name, '--network', 'host', '--read-only', '--tmpfs', '/tmp', '--cap-drop', 'ALL',
    '-e', `PORT=${port}`, '-e', `DATABASE_URL=postgres://postgres@127.0.0.1:5432/${database}`, '-e', 'MSX_BUS_URL=amqp://guest:guest@127.0.0.1:5672',
    ...Object.entries(env).flatMap(([key, value]) => ['-e', `${key}=${value}`]), `${SYSTEM}/users:0.1.0`];
  await docker(args);
  try {
    let health = '';
    for (let i = 0; i < 90 && health !== 'healthy'; i++) {
      health = (await docker(['inspect', name, '--format', '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}'])).stdout.trim().split(' ').at(-1) ?? '';
      if ((await docker(['inspect', name, '--format', '{{.State.Status}}'])).stdout.trim() === 'exited') break;
      if (health !== 'healthy') await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const logs = await docker(['logs', name], { reject: false });
    const probes = await docker(['inspect', name, '--format', '{{json .State.Health}}'], { reject: false });
    assert.equal(health, 'healthy', `users never got healthy:\n${logs.stdout}\n${logs.stderr}\nhealth checks: ${probes.stdout}`);
    const ready = await fetch(`http://127.0.0.1:${port}/ready`);
    assert.equal(ready.status, 200);
    await docker(['stop', '--time', '30', name]);
    const state = (await docker(['inspect', name, '--format', '{{.State.ExitCode}}'])).stdout.trim();
    assert.equal(state, '0', 'node as PID 1 got SIGTERM, drained and exited 0');
  } finally {
    await docker(['rm', '-f', name], { reject: false });
    await execa('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-c', `DROP DATABASE IF EXISTS ${database}`], { stdin: 'ignore', reject: false });
  }
});

test('a second msx build rebuilds nothing; a one-line change in one service rebuilds only that image', { timeout: BUILD_TIMEOUT_MS }, async (t) => {
  if (!(await requireDocker(t))) return;
  const first = await buildJson();
  assert.deepEqual(first.images.filter((i) => i.rebuilt).map((i) => i.service), []);
  const human = await build();
  assert.equal(human.exitCode, 0, human.stderr);
  assert.match(human.stdout, /every image was up to date/);

  appendFileSync(join(root, 'services', 'orders', 'src', 'routes.ts'), '// one more line\n');
  const second = await buildJson();
  assert.deepEqual(second.images.filter((i) => i.rebuilt).map((i) => i.service), ['orders']);
  const before = first.images.find((i) => i.service === 'orders')!;
  const now = second.images.find((i) => i.service === 'orders')!;
  assert.notEqual(now.contentTag, before.contentTag);
  for (const image of second.images.filter((i) => i.service !== 'orders')) {
    assert.equal(image.contentTag, first.images.find((i) => i.service === image.service)!.contentTag);
  }
});

test('a broken service fails with exit 1, naming the step, showing its output and what to do', { timeout: BUILD_TIMEOUT_MS }, async (t) => {
  if (!(await requireDocker(t))) return;
  const file = join(root, 'services', 'payments', 'src', 'routes.ts');
  const saved = readFileSync(file, 'utf8');
  writeFileSync(file, `${saved}\nexport const broken = ;\n`);
  try {
    const result = await build(['payments']);
    assert.equal(result.exitCode, 1, result.stderr);
    assert.match(result.stderr, /payments: building its image failed/);
    assert.match(result.stderr, /failed at Step \d+\/\d+ : RUN .*esbuild/);
    assert.match(result.stderr, /Unexpected ";"/);
    assert.match(result.stderr, /services\/payments\/src\/routes\.ts:\d+:\d+/);
    assert.match(result.stderr, /fix services\/payments\/src/);
    assert.doesNotMatch(result.stderr, /bug in msx/i);
  } finally {
    writeFileSync(file, saved);
  }
});

test('services/<name>/Dockerfile builds on top of msx\'s image and is part of the content hash', { timeout: BUILD_TIMEOUT_MS }, async (t) => {
  if (!(await requireDocker(t))) return;
  const dockerfile = join(root, 'services', 'payments', 'Dockerfile');
  writeFileSync(dockerfile, 'ARG MSX_IMAGE\nFROM ${MSX_IMAGE}\nLABEL com.example.team=payments\n');
  try {
    const { images } = await buildJson(['payments']);
    assert.equal(images[0]!.rebuilt, true);
    const { Config } = await inspect(images[0]!.contentTag);
    assert.equal(Config.Labels['com.example.team'], 'payments');
    assert.equal(Config.Labels['dev.msx.service'], 'payments', 'msx\'s labels are inherited');
    assert.equal(Config.User, '1000:1000');
  } finally {
    rmSync(dockerfile);
  }
});

test('--push pushes each image to infrastructure.kubernetes.registry as <registry>/<system>/<service>:h-<hash>', { timeout: BUILD_TIMEOUT_MS }, async (t) => {
  if (!(await requireDocker(t))) return;
  const registry = await startRegistryDouble();
  const manifestPath = join(root, 'msx.yaml');
  const saved = readFileSync(manifestPath, 'utf8');
  writeFileSync(manifestPath, saved.replace(/^  kubernetes:\n/m, `  kubernetes:\n    registry: ${registry.host}/acme\n`));
  let pushedRef: string | undefined;
  try {
    const { images } = await buildJson(['users', '--push']);
    const image = images[0] as BuildJson['images'][number] & { pushed?: string };
    pushedRef = image.pushed;
    const tag = image.contentTag.split(':')[1]!;
    assert.equal(image.pushed, `${registry.host}/acme/${SYSTEM}/users:${tag}`);
    const pushed = registry.manifests.get(`acme/${SYSTEM}/users`)?.get(tag);
    assert.ok(pushed, `the registry got no manifest for acme/${SYSTEM}/users:${tag}`);
    const layers = (JSON.parse(pushed) as { layers: { digest: string }[] }).layers;
    assert.ok(layers.length > 0);
    for (const layer of layers) assert.ok(registry.blobs.has(layer.digest), `layer ${layer.digest} was uploaded`);
  } finally {
    writeFileSync(manifestPath, saved);
    await registry.close();
    if (pushedRef) await docker(['rmi', pushedRef], { reject: false });
  }
});
