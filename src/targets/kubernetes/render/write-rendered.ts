import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { replaceFilesTogether } from '../../../scaffold/file-transaction.js';
import { GENERATED_MARKER, type RenderedFile } from './rendered-files.js';

export type FileChange = 'created' | 'updated' | 'unchanged' | 'removed';

/** A file in the output folder that msx did not write and would have to overwrite. */
export class ForeignFileError extends Error {
  override readonly name = 'ForeignFileError';
  constructor(readonly paths: readonly string[]) {
    super(`${paths.join(', ')} ${paths.length === 1 ? 'was' : 'were'} not written by msx`);
  }
}

/**
 * Writes the rendered files into `dir`: all of them or none (each is
 * written beside itself and renamed into place; a failure restores the
 * ones already replaced). Files msx rendered before that are no longer
 * rendered (a service removed from msx.yaml) are removed, so `kubectl
 * apply -k` never applies a stale one. A file msx did not write (no
 * generated marker on its first line) is never overwritten unless `force`,
 * and never removed.
 */
export function writeRenderedFolder(dir: string, files: readonly RenderedFile[], options: { force?: boolean } = {}): { path: string; change: FileChange }[] {
  const existing = existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.yaml') && statSync(join(dir, name)).isFile()) : [];
  const ours = (name: string) => readFileSync(join(dir, name), 'utf8').startsWith(GENERATED_MARKER);
  const wanted = new Set(files.map((f) => f.path));
  const foreign = existing.filter((name) => wanted.has(name) && !ours(name));
  if (foreign.length > 0 && !options.force) throw new ForeignFileError(foreign);

  const changes: { path: string; change: FileChange }[] = [];
  const toWrite: RenderedFile[] = [];
  for (const file of files) {
    const path = join(dir, file.path);
    if (!existsSync(path)) changes.push({ path: file.path, change: 'created' });
    else if (readFileSync(path, 'utf8') === file.content) {
      changes.push({ path: file.path, change: 'unchanged' });
      continue;
    } else changes.push({ path: file.path, change: 'updated' });
    toWrite.push(file);
  }
  if (toWrite.length > 0) replaceFilesTogether(dir, toWrite);
  for (const name of existing) {
    if (wanted.has(name) || !ours(name)) continue;
    rmSync(join(dir, name));
    changes.push({ path: name, change: 'removed' });
  }
  return changes;
}
