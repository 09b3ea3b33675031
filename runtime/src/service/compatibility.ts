import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Switches `msx upgrade` records in the system's package.json (under
 * `msx.compatibility`) when a newer runtime would break code that an older
 * msx generated and the user owns. Each is narrow, named for what it keeps,
 * and said at start-up until the user removes it.
 */
export interface Compatibility {
  /**
   * msx 0.1's services served any caller, and the tests it generated call
   * them with no credentials. With this on, a service running under
   * `node --test` that msx did not start (no MSX_INSTANCE: an in-process
   * test) serves a caller who presents no credentials as unverified, instead
   * of answering 401. Credentials that are presented are still verified, and
   * a service msx starts, on any target, verifies every caller regardless.
   */
  readonly unverifiedCallersInTests: boolean;
}

const NONE: Compatibility = { unverifiedCallersInTests: false };

/** The switches of the system around `start` (the nearest package.json above it with an `msx` field). */
export function systemCompatibility(start: string = process.cwd()): Compatibility {
  for (let dir = start, depth = 0; depth < 8; dir = dirname(dir), depth += 1) {
    let pkg: { msx?: { compatibility?: Record<string, unknown> } } | undefined;
    try {
      pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as typeof pkg;
    } catch {
      pkg = undefined;
    }
    if (pkg?.msx !== undefined) return { unverifiedCallersInTests: pkg.msx.compatibility?.unverifiedCallersInTests === true };
    if (dirname(dir) === dir) break;
  }
  return NONE;
}
