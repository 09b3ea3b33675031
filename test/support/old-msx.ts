/**
 * msx as of an earlier commit of this repository, built once per machine
 * and kept in $TMPDIR, so tests can generate systems exactly as users of
 * that msx have them and then upgrade them with this tree's msx.
 *
 * The commit's files come from `git archive` (the repository's own
 * history: a fresh clone has it); its dependencies are this checkout's
 * node_modules (a symlink: the commits tested here have the same lockfile,
 * checked below), and it is built as its own `npm run build` would.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from './msx.js';

/** The msx that users have today (main before the manifest-truth work). */
export const RELEASED_COMMIT = '37a1745';

export async function oldMsx(commit: string): Promise<{ bin: string; root: string }> {
  const resolved = await execa('git', ['rev-parse', '--verify', `${commit}^{commit}`], { cwd: REPO_ROOT, reject: false });
  if (resolved.exitCode !== 0) {
    throw new Error(`commit ${commit} is not in this clone's history (a shallow clone?): the upgrade tests generate systems with that msx. Fetch the full history (git fetch --unshallow).`);
  }
  const sha = resolved.stdout.trim();
  const root = join(tmpdir(), `msx-old-${sha.slice(0, 12)}`);
  const bin = join(root, 'bin', 'msx.js');
  if (existsSync(join(root, '.built'))) {
    // The cache outlives the checkout that built it: its node_modules is always this checkout's.
    const link = join(root, 'node_modules');
    if (!existsSync(link) || realpathSync(link) !== realpathSync(join(REPO_ROOT, 'node_modules'))) {
      rmSync(link, { force: true });
      try {
        symlinkSync(join(REPO_ROOT, 'node_modules'), link);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error; // another test process re-linked it first
      }
    }
    return { bin, root };
  }

  const staging = `${root}.${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const archive = execa('git', ['archive', sha], { cwd: REPO_ROOT, encoding: 'buffer' });
  const untar = execa('tar', ['-x', '-C', staging]);
  archive.stdout!.pipe(untar.stdin!);
  await Promise.all([archive, untar]);
  const lock = (dir: string) => JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
  const theirs = lock(staging).packages;
  const ours = lock(REPO_ROOT).packages;
  for (const [path, entry] of Object.entries(theirs)) {
    if (path.startsWith('node_modules/') && ours[path]?.version !== entry.version) {
      throw new Error(`msx at ${commit} needs ${path}@${entry.version}, this checkout has ${ours[path]?.version ?? 'none'}: oldMsx() can only share node_modules between commits with the same dependencies`);
    }
  }
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(staging, 'node_modules'));
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  await execa(process.execPath, [tsc, '-p', 'runtime/tsconfig.json'], { cwd: staging });
  await execa(process.execPath, ['scripts/pack-runtime.mjs'], { cwd: staging });
  await execa(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: staging });
  await execa('touch', ['.built'], { cwd: staging });
  try {
    renameSync(staging, root);
  } catch (error) {
    // Another test process built it at the same time: keep theirs.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(join(root, '.built'))) throw error;
  }
  return { bin, root };
}
