import { CliError } from '../errors/cli-error.js';
import type { OwnedFileChange } from '../scaffold/owned-files.js';
import { CompilerMissingError, rebuildService } from '../targets/local/service-rebuilder.js';

/**
 * The gateway's generated module is handed over at start
 * (`MSX_GATEWAY_CONFIG`), so its compiled copy may lag; every other
 * msx-owned file under a service's `src/` (its `events.generated.ts`) is
 * compiled into what runs.
 */
const HANDED_OVER_AT_START = /\/gateway\.generated\.ts$/;

/** The services whose compiled code depends on one of `changes`. */
export function servicesToRebuild(changes: readonly OwnedFileChange[]): string[] {
  const services = new Set<string>();
  for (const change of changes) {
    const match = /^services\/([^/]+)\/src\//.exec(change.path.replaceAll('\\', '/'));
    if (match && !HANDED_OVER_AT_START.test(change.path)) services.add(match[1]!);
  }
  return [...services].sort();
}

/**
 * Rebuilds each service whose msx-owned source `msx up` just rewrote, so the
 * code that starts is what msx.yaml says now and not the last `npm run
 * build`. A build that fails stops the start (the old build would run a
 * stale manifest), with the compiler's errors.
 */
export async function rebuildChangedServices(root: string, changes: readonly OwnedFileChange[], say: (line: string) => void): Promise<void> {
  for (const service of servicesToRebuild(changes)) {
    let result;
    try {
      result = await rebuildService(root, service);
    } catch (error) {
      if (error instanceof CompilerMissingError) {
        throw new CliError(`${service} must be rebuilt for msx.yaml's change, and ${error.message}`, { exitCode: 1, hint: 'run npm install, then msx up again' });
      }
      throw error;
    }
    if (!result.ok) {
      throw new CliError(`${service} does not build with msx.yaml's change`, {
        exitCode: 1,
        details: result.errors.slice(0, 10),
        hint: `fix services/${service}/src (msx.yaml's events are in events.generated.ts), then msx up again`,
      });
    }
    say(`rebuilt ${service} for msx.yaml's change (${(result.durationMs / 1000).toFixed(1)} s)`);
  }
}
