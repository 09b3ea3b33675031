import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Replaces several existing files so that either all change or none do: each
 * new content is written beside its file and renamed over it; if any step
 * fails, the files already replaced get their old content back.
 */
export function replaceFilesTogether(root: string, files: readonly { path: string; content: string }[]): void {
  const originals: { path: string; content: Buffer | undefined }[] = [];
  try {
    for (const file of files) {
      const path = join(root, file.path);
      originals.push({ path, content: existsSync(path) ? readFileSync(path) : undefined });
      mkdirSync(dirname(path), { recursive: true });
      const temp = join(dirname(path), `.${process.pid}.msx-tmp`);
      writeFileSync(temp, file.content);
      renameSync(temp, path);
    }
  } catch (error) {
    for (const original of originals.reverse()) {
      if (original.content === undefined) rmSync(original.path, { force: true });
      else writeFileSync(original.path, original.content);
    }
    throw error;
  }
}
