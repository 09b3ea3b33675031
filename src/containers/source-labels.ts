import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { MSX_VERSION } from '../package-root.js';
import { LABEL_ARGS } from './dockerfile.js';
import { systemVersion } from './image-tags.js';

/** Label keys msx puts on its images besides the OCI ones; targets can find images by them. */
export const MSX_LABELS = Object.fromEntries(LABEL_ARGS.map(([arg, label]) => [arg, label])) as Record<(typeof LABEL_ARGS)[number][0], string>;

/** What the system's git checkout says about where it comes from (nothing when it is not one). */
export interface SourceInfo {
  readonly source: string | undefined;
  readonly revision: string | undefined;
}

/**
 * The source URL (git's origin, else package.json's repository) and the
 * commit (git HEAD, with `-dirty` when the tree has changes) of a system.
 * Read once per build; neither is part of the content hash, so a commit
 * elsewhere does not rebuild an unchanged service.
 */
export async function sourceInfo(root: string): Promise<SourceInfo> {
  const git = async (args: string[]): Promise<string | undefined> => {
    try {
      const { stdout } = await execa('git', ['-C', root, ...args], { timeout: 5000, stdin: 'ignore' });
      return stdout.trim() || undefined;
    } catch {
      return undefined;
    }
  };
  const [remote, head, status] = await Promise.all([git(['remote', 'get-url', 'origin']), git(['rev-parse', 'HEAD']), git(['status', '--porcelain', '--untracked-files=no'])]);
  return {
    source: remote ?? packageRepository(root),
    revision: head === undefined ? undefined : status ? `${head}-dirty` : head,
  };
}

/**
 * The build arguments msx's Dockerfile turns into the OCI and msx labels of
 * one service image (LABEL_ARGS); empty when unknown (no git checkout).
 */
export function labelBuildArgs(input: { root: string; system: string; service: string; hash: string; source: SourceInfo }): Record<string, string> {
  const values: Record<(typeof LABEL_ARGS)[number][0], string> = {
    OCI_SOURCE: input.source.source ?? '',
    OCI_REVISION: input.source.revision ?? '',
    OCI_VERSION: systemVersion(input.root),
    OCI_TITLE: `${input.system}/${input.service}`,
    MSX_SYSTEM: input.system,
    MSX_SERVICE: input.service,
    MSX_IMAGE_HASH: input.hash,
    MSX_VERSION,
  };
  return values;
}

function packageRepository(root: string): string | undefined {
  try {
    const repository = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { repository?: unknown }).repository;
    if (typeof repository === 'string') return repository;
    if (typeof repository === 'object' && repository !== null && typeof (repository as { url?: unknown }).url === 'string') return (repository as { url: string }).url;
  } catch {
    // no package.json: no source label
  }
  return undefined;
}
