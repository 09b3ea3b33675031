import type { Document } from 'yaml';

/** What a migration may read and change; every change is staged and applied (or not) with the rest of the upgrade. */
export interface MigrationContext {
  readonly root: string;
  /** Current content of a file, with the upgrade's staged changes applied; undefined when absent. */
  read(path: string): string | undefined;
  /** Stages a new content for a file, with the reason shown in the plan. */
  write(path: string, content: string, why: string): void;
  /** Something the user should read after the upgrade (shown in the summary). */
  note(line: string): void;
}

/**
 * One step of msx's history that an existing system needs beyond the
 * generic upgrade (new runtime, regenerated owned files, recorded version).
 * Applied in version order, from the system's version (exclusive) to this
 * msx's (inclusive).
 */
export interface SystemMigration {
  /** The msx version that introduced the change. */
  readonly version: string;
  readonly description: string;
  apply?(context: MigrationContext): void;
  /**
   * Whether `content` at `path` is a file an older msx wrote, unchanged by the
   * user (those older files carry no content hash): such a file is replaced;
   * any other content stops the upgrade.
   */
  recognisesOwnedFile?(path: string, content: string): boolean;
}

/**
 * One change of msx.yaml's own format (its top-level `version`), applied to
 * the parsed document so the user's comments and layout survive, as
 * `msx add service` edits it.
 */
export interface ManifestMigration {
  /** The manifest version this migration produces (it applies to `to - 1`). */
  readonly to: number;
  readonly description: string;
  apply(document: Document): void;
}
