// The three functions it needs, not the whole of semver (ranges, classes: some 50 modules every command would load).
import semverGt from 'semver/functions/gt.js';
import semverLt from 'semver/functions/lt.js';
import semverValid from 'semver/functions/valid.js';
import { CliError } from '../errors/cli-error.js';
import { MSX_VERSION } from '../package-root.js';
import { runtimeBundle } from '../scaffold/runtime-bundle.js';
import { errColour } from '../ui/colour.js';
import { readSystemVersions } from './system-versions.js';

export interface VersionMismatch {
  /** Which side is behind: the system (run `msx upgrade`), or this msx (install a newer one). */
  readonly older: 'system' | 'msx' | 'neither';
  /** One line for the user. */
  readonly message: string;
  readonly hint: string;
}

/**
 * Whether this msx and the system agree: the version msx recorded in the
 * system against this msx's own, and the runtime tarball the services depend
 * on against the one this msx ships. Checked up front by every command, so a
 * mismatch is one line with its fix instead of a failure somewhere deep.
 */
export function versionMismatch(root: string): VersionMismatch | undefined {
  const system = readSystemVersions(root);
  // A system with neither a recorded version nor a vendored runtime was not made by msx new (a hand-written one): nothing to compare.
  if (system.recorded === undefined && system.runtimeFiles.length === 0) return undefined;
  if (!semverValid(system.msx)) return undefined; // not ours to judge: a hand-written version
  if (semverLt(system.msx, MSX_VERSION)) {
    return {
      older: 'system',
      message: `this system was made by msx ${system.msx}${system.recorded ? '' : ' (or earlier)'}, older than this msx (${MSX_VERSION}): its runtime and generated files are out of date`,
      hint: 'run "msx upgrade --dry-run" to see what changes, then "msx upgrade"',
    };
  }
  if (semverGt(system.msx, MSX_VERSION)) {
    return {
      older: 'msx',
      message: `this system was made by msx ${system.msx}, newer than this msx (${MSX_VERSION})`,
      hint: `install msx ${system.msx} or later (npm install -g msx@${system.msx}); an older msx cannot run it`,
    };
  }
  let shipped: string;
  try {
    shipped = runtimeBundle().fileName;
  } catch {
    return undefined; // an msx without its packed runtime says so where it needs it
  }
  const stale = system.runtimeFiles.filter((file) => file !== shipped);
  if (stale.length === 0) return undefined;
  return {
    older: 'neither',
    message: `the services depend on ${stale.join(', ')}, not on the runtime this msx ships (${shipped})`,
    hint: 'run "msx upgrade" to vendor this msx\'s runtime (it touches no code of yours)',
  };
}

/** For commands that build, run or package the system: a mismatch stops them (exit 1) with the fix. */
export function requireMatchingVersions(root: string): void {
  const mismatch = versionMismatch(root);
  if (mismatch) throw new CliError(mismatch.message, { exitCode: 1, hint: mismatch.hint });
}

/** For commands that only look at or stop what runs: one line on stderr, then carry on. */
export function warnOnVersionMismatch(root: string): void {
  const mismatch = versionMismatch(root);
  if (mismatch) process.stderr.write(`${errColour.yellow('warning')} ${mismatch.message}; ${mismatch.hint}\n`);
}
