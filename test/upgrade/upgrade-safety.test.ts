/**
 * msx upgrade never loses anything: --dry-run changes no byte, an owned
 * file someone edited stops it with the file's name, Ctrl-C at each step
 * puts the tree back, a dirty git tree is refused, and a version mismatch
 * is one line from `msx up`. Systems come from msx as of the released
 * commit (generated, not installed: none of this needs node_modules).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { parseDocument } from 'yaml';
import { MSX_BIN, msx, tempDir, userEnv } from '../support/msx.js';
import { oldMsx, RELEASED_COMMIT } from '../support/old-msx.js';

const temp = tempDir('msx-upgrade-safety-');
let pristine: string;

/** sha256 of every file under `root` (node_modules and .git excluded), by relative path. */
function treeHashes(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules' || name === '.git') continue; // git refreshes its index on status
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[relative(root, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  walk(root);
  return out;
}

async function git(cwd: string, args: string[]): Promise<void> {
  await execa('git', ['-c', 'user.email=test@example.com', '-c', 'user.name=test', ...args], { cwd });
}

let copies = 0;
/** A fresh committed copy of the old system. */
async function copyOfOldSystem(): Promise<string> {
  const dir = join(temp.dir, `copy-${copies++}`);
  cpSync(pristine, dir, { recursive: true });
  return dir;
}

before(async () => {
  const { bin } = await oldMsx(RELEASED_COMMIT);
  const created = await execa(process.execPath, [bin, 'new', 'demo', '--services', 'users,orders:worker', '--yes'], { cwd: temp.dir, env: userEnv(), reject: false });
  assert.equal(created.exitCode, 0, created.stderr);
  pristine = join(temp.dir, 'demo');
  await git(pristine, ['init', '-q']);
  await git(pristine, ['add', '-A']);
  await git(pristine, ['commit', '-qm', 'made by msx 0.1']);
});

after(() => temp.cleanup());

test('msx up of a system made by the released msx says in one line that it is older and that msx upgrade fixes it', async () => {
  const root = await copyOfOldSystem();
  const up = await msx(['up', '-d'], { cwd: root, env: userEnv() });
  assert.equal(up.exitCode, 1, up.stderr);
  const errorLines = up.stderr.split('\n').filter((line) => line.startsWith('error'));
  assert.equal(errorLines.length, 1, up.stderr);
  assert.match(errorLines[0]!, /made by msx 0\.1\.0 .*older than this msx/);
  assert.match(up.stderr, /msx upgrade/);
  const ps = await msx(['ps'], { cwd: root, env: userEnv() });
  assert.equal(ps.exitCode, 0, ps.stderr);
  assert.match(ps.stderr, /warning .*older than this msx.*msx upgrade/);
});

test('--dry-run shows the plan and diffs and changes no byte', async () => {
  const root = await copyOfOldSystem();
  const before = treeHashes(root);
  const dry = await msx(['upgrade', '--dry-run'], { cwd: root, env: userEnv() });
  assert.equal(dry.exitCode, 0, dry.stderr);
  assert.match(dry.stdout, /msx upgrade 0\.1\.0 → \d+\.\d+\.\d+/);
  assert.match(dry.stdout, /update services\/gateway\/src\/gateway\.generated\.ts/);
  assert.match(dry.stdout, /^\+.*"issuer": "msx:demo"/m, 'the diff of the gateway module is shown');
  assert.match(dry.stdout, /delete vendor\/msx-runtime-0\.1\.0-/);
  assert.deepEqual(treeHashes(root), before);
  const json = await msx(['upgrade', '--dry-run', '--json'], { cwd: root, env: userEnv() });
  const plan = JSON.parse(json.stdout) as { from: string; changes: { path: string; change: string }[] };
  assert.equal(plan.from, '0.1.0');
  assert.ok(plan.changes.some((c) => c.path === 'services/users/package.json' && c.change === 'update'));
  assert.deepEqual(treeHashes(root), before);
});

test('an owned file edited by hand stops the upgrade with its name, and keep: in msx.yaml hands it to the user', async () => {
  const root = await copyOfOldSystem();
  const file = join(root, 'services/gateway/src/gateway.generated.ts');
  writeFileSync(file, `${readFileSync(file, 'utf8')}export const mine = 1;\n`);
  await git(root, ['commit', '-qam', 'my edit']);
  const before = treeHashes(root);
  const stopped = await msx(['upgrade', '--no-install'], { cwd: root, env: userEnv() });
  assert.equal(stopped.exitCode, 1, stopped.stderr);
  assert.match(stopped.stderr, /services\/gateway\/src\/gateway\.generated\.ts was changed by hand/);
  assert.match(stopped.stderr, /keep:/);
  assert.deepEqual(treeHashes(root), before, 'nothing written');

  const manifest = join(root, 'msx.yaml');
  writeFileSync(manifest, `${readFileSync(manifest, 'utf8')}keep:\n  - services/gateway/src/gateway.generated.ts\n`);
  await git(root, ['commit', '-qam', 'keep my gateway module']);
  const kept = await msx(['upgrade', '--no-install'], { cwd: root, env: userEnv() });
  assert.equal(kept.exitCode, 0, kept.stderr);
  assert.match(kept.stdout, /left services\/gateway\/src\/gateway\.generated\.ts alone/);
  assert.match(readFileSync(file, 'utf8'), /export const mine = 1;/);
});

test('a dirty git tree is refused unless --force', async () => {
  const root = await copyOfOldSystem();
  writeFileSync(join(root, 'services/users/src/wip.ts'), 'export {};\n');
  const before = treeHashes(root);
  const refused = await msx(['upgrade', '--no-install'], { cwd: root, env: userEnv() });
  assert.equal(refused.exitCode, 1);
  assert.match(refused.stderr, /uncommitted change/);
  assert.match(refused.stderr, /wip\.ts/);
  assert.deepEqual(treeHashes(root), before);
  const forced = await msx(['upgrade', '--no-install', '--force'], { cwd: root, env: userEnv() });
  assert.equal(forced.exitCode, 0, forced.stderr);
  assert.equal(readFileSync(join(root, 'services/users/src/wip.ts'), 'utf8'), 'export {};\n');
});

/**
 * npm replaced by a script that says it started and then waits to be
 * killed, so Ctrl-C lands inside "npm install" every time.
 */
function slowNpm(startedFile: string): string {
  const dir = join(temp.dir, `slow-npm-${copies}`);
  mkdirSync(dir, { recursive: true });
  const npm = join(dir, 'npm');
  writeFileSync(npm, `#!/bin/sh\ntouch '${startedFile}'\nexec sleep 60\n`);
  chmodSync(npm, 0o755);
  return dir;
}

for (const step of ['write', 'install', 'npm', 'summary'] as const) {
  test(`Ctrl-C at step "${step}" leaves the tree as it was`, async () => {
    const root = await copyOfOldSystem();
    const before = treeHashes(root);
    const npmStarted = join(temp.dir, `npm-started-${copies}`);
    const env = userEnv(step === 'npm' ? { PATH: `${slowNpm(npmStarted)}:${process.env.PATH}` } : { MSX_UPGRADE_PAUSE: step });
    const args = step === 'summary' ? ['upgrade', '--no-install'] : ['upgrade'];
    const child = execa(process.execPath, [MSX_BIN, ...args], { cwd: root, env: { ...env, NO_COLOR: '1' }, reject: false, stdin: 'ignore' });
    let seen = '';
    child.stderr!.on('data', (chunk: Buffer) => { seen += chunk.toString(); });
    let exited = false;
    void child.then(() => { exited = true; });
    const reached = () => (step === 'npm' ? existsSync(npmStarted) : seen.includes(`paused at ${step}`));
    for (const started = Date.now(); !reached(); await new Promise((resolve) => setTimeout(resolve, 25))) {
      assert.ok(!exited, `msx upgrade exited before step ${step}: ${seen}`);
      assert.ok(Date.now() - started < 60_000, `never reached step ${step}: ${seen}`);
    }
    child.kill('SIGINT');
    const result = await child;
    assert.equal(result.exitCode, 130, String(result.stderr));
    assert.match(String(result.stderr), /interrupted: every file is back as it was/);
    assert.deepEqual(treeHashes(root), before);
  });
}

test('compose.yaml, output msx renders for docker compose, is rendered anew by the upgrade', async () => {
  const root = await copyOfOldSystem();
  const first = await msx(['upgrade', '--no-install'], { cwd: root, env: userEnv() });
  assert.equal(first.exitCode, 0, first.stderr);
  const rendered = await msx(['render', 'compose'], { cwd: root, env: userEnv() });
  assert.equal(rendered.exitCode, 0, rendered.stderr);
  const manifest = join(root, 'msx.yaml');
  const doc = parseDocument(readFileSync(manifest, 'utf8'));
  doc.setIn(['services', 'orders', 'replicas'], 2);
  writeFileSync(manifest, doc.toString());
  await git(root, ['add', '-A']);
  await git(root, ['commit', '-qm', 'compose output, two orders']);
  const dry = await msx(['upgrade', '--dry-run'], { cwd: root, env: userEnv() });
  assert.match(dry.stdout, /then: msx render compose \(re-renders compose\.yaml\)/, dry.stderr);
  const again = await msx(['upgrade', '--no-install'], { cwd: root, env: userEnv() });
  assert.equal(again.exitCode, 0, again.stderr);
  assert.match(again.stdout, /re-rendered compose\.yaml/);
  assert.match(readFileSync(join(root, 'compose.yaml'), 'utf8'), /^  orders:\n(?:    .*\n)*?    scale: 2$/m);
});

test('a system msx made now needs no upgrade, and its owned files carry their content hash', async () => {
  const created = await msx(['new', 'fresh', '--services', 'users', '--yes'], { cwd: temp.dir, env: userEnv() });
  assert.equal(created.exitCode, 0, created.stderr);
  const root = join(temp.dir, 'fresh');
  assert.match(readFileSync(join(root, 'services/gateway/src/gateway.generated.ts'), 'utf8'), /\n\/\/ msx-owned sha256:[0-9a-f]{16} /);
  const dry = await msx(['upgrade', '--dry-run', '--json'], { cwd: root, env: userEnv() });
  assert.equal(dry.exitCode, 0, dry.stderr);
  assert.deepEqual((JSON.parse(dry.stdout) as { changes: unknown[] }).changes, []);
});
