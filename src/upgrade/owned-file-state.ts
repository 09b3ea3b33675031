import type { OwnedFile } from '../scaffold/owned-files.js';
import { checkStamp, isStampable } from '../scaffold/owned-stamp.js';
import type { SystemMigration } from './migrations/migration.js';

/**
 * Where an msx-owned file stands before an upgrade:
 * - `current`: already what this msx writes;
 * - `missing`: not there (msx creates it);
 * - `msx`: as some msx wrote it (its content hash holds, or an older msx's
 *   known form): safe to replace;
 * - `edited`: changed by hand: the upgrade stops and names it.
 */
export type OwnedFileState = 'current' | 'missing' | 'msx' | 'edited';

export function classifyOwnedFile(file: OwnedFile, onDisk: string | undefined, migrations: readonly SystemMigration[]): OwnedFileState {
  if (onDisk === undefined) return 'missing';
  if (onDisk === file.content) return 'current';
  if (isStampable(file.path)) {
    const stamp = checkStamp(onDisk);
    if (stamp === 'intact') return 'msx';
    if (stamp === 'edited') return 'edited';
  }
  // No content hash: an older msx's output, if a migration knows it.
  if (migrations.some((m) => m.recognisesOwnedFile?.(file.path, onDisk) === true)) return 'msx';
  return 'edited';
}
