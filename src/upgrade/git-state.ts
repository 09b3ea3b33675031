import { execa } from 'execa';

/**
 * The uncommitted changes (tracked and untracked) of the git work tree that
 * holds `root`, as `git status --porcelain` lines; empty when clean, when
 * the folder is in no git repository, or when git is not installed (then
 * there is nothing to protect beyond what the upgrade itself undoes).
 */
export async function uncommittedChanges(root: string): Promise<string[]> {
  const inside = await execa('git', ['rev-parse', '--is-inside-work-tree'], { cwd: root, reject: false });
  if (inside.exitCode !== 0 || inside.stdout.trim() !== 'true') return [];
  const status = await execa('git', ['status', '--porcelain', '--', '.'], { cwd: root, reject: false });
  if (status.exitCode !== 0) return [];
  return status.stdout.split('\n').filter((line) => line.trim() !== '');
}
