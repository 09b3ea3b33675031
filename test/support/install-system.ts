/**
 * `npm install` for a system a test generated, as its user would run it,
 * except that the one native build (better-sqlite3, through the runtime) is
 * compiled once per machine and Node ABI instead of once per test: its
 * prebuilt binary cannot be downloaded here, so every install fell back to
 * node-gyp, a minute or more of both cores per generated system.
 *
 * The install runs with --ignore-scripts; then the cached addon for exactly
 * that better-sqlite3 version is copied in, or — the first time — the
 * package's own install script builds it (`npm rebuild`) and the result is
 * kept for the next test. Everything else is the ordinary install.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { userEnv } from './msx.js';

const ADDON = join('build', 'Release', 'better_sqlite3.node');

function cachedAddon(version: string): string {
  return join(tmpdir(), 'msx-test-native', `better-sqlite3-${version}-abi${process.versions.modules}-${process.platform}-${process.arch}`, 'better_sqlite3.node');
}

async function npm(root: string, args: string[], timeout: number): Promise<void> {
  const result = await execa('npm', args, { cwd: root, reject: false, env: userEnv(), extendEnv: false, timeout });
  assert.equal(result.exitCode, 0, `npm ${args.join(' ')} in ${root}:\n${String(result.stdout)}\n${String(result.stderr)}`);
}

/** Installs the system at `root` (its npm workspace); fails the test with npm's output when npm fails. */
export async function installSystem(root: string, options: { timeout?: number } = {}): Promise<void> {
  const timeout = options.timeout ?? 600_000;
  await npm(root, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts'], timeout);
  const pkgDir = join(root, 'node_modules', 'better-sqlite3');
  if (!existsSync(join(pkgDir, 'package.json'))) return;
  const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string };
  const cached = cachedAddon(version);
  const target = join(pkgDir, ADDON);
  if (existsSync(cached)) {
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(cached, target);
    return;
  }
  await npm(root, ['rebuild', 'better-sqlite3'], timeout);
  assert.ok(existsSync(target), `npm rebuild better-sqlite3 did not produce ${target}`);
  mkdirSync(dirname(cached), { recursive: true });
  // Copy aside, then rename: a test installing at the same time never copies a half-written addon.
  const partial = `${cached}.${process.pid}.partial`;
  copyFileSync(target, partial);
  renameSync(partial, cached);
}

/** {@link installSystem}, then `npm run build`: what a user does after `msx new`, before `msx up`. */
export async function installAndBuild(root: string, options: { timeout?: number } = {}): Promise<void> {
  await installSystem(root, options);
  await npm(root, ['run', 'build'], options.timeout ?? 600_000);
}
