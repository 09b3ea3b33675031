import semver from 'semver';
import { ownedFileHashes } from './0.2.0-owned-file-hashes.js';
import type { ManifestMigration, SystemMigration } from './migration.js';

/** Every system migration msx ships, oldest first. */
export const SYSTEM_MIGRATIONS: readonly SystemMigration[] = [ownedFileHashes];

/**
 * Every change of msx.yaml's format, oldest first. msx.yaml has had one
 * format (version 1) so far; the next one adds its migration here.
 */
export const MANIFEST_MIGRATIONS: readonly ManifestMigration[] = [];

/** The manifest version this msx writes and reads. */
export const MANIFEST_VERSION = 1;

/** The system migrations between two msx versions: after `from`, up to and including `to`. */
export function migrationsBetween(from: string, to: string, all: readonly SystemMigration[] = SYSTEM_MIGRATIONS): SystemMigration[] {
  return all.filter((m) => semver.gt(m.version, from) && semver.lte(m.version, to)).sort((a, b) => semver.compare(a.version, b.version));
}
