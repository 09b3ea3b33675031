import { isDatabaseError } from '../../data/errors/database-error.js';
import { isMigrationError } from '../../data/errors/migration-error.js';
import { STARTUP_EXIT_CODES } from './exitCodes.js';
import { StartupError } from './StartupError.js';

/** How a process that failed to start reports it: one line (or a stack for a bug) and an exit code from `STARTUP_EXIT_CODES`. */
export interface StartupFailureReport {
  readonly text: string;
  readonly exitCode: number;
}

/**
 * Classifies what a service's start-up threw. Failures an operator can fix
 * get one line and a distinct exit code: a `StartupError` (configuration,
 * listen) its own, a failed migration 65, a database that cannot be reached
 * 69. Anything else is a bug in the service: its stack, exit 1.
 */
export function startupFailureReport(error: unknown, prefix = ''): StartupFailureReport {
  if (error instanceof StartupError) return { text: error.message, exitCode: error.exitCode };
  if (isMigrationError(error)) return { text: `${prefix}migration failed: ${error.message}`, exitCode: STARTUP_EXIT_CODES.migrationFailed };
  if (isDatabaseError(error) && error.code === 'DATABASE_UNAVAILABLE') {
    return { text: `${prefix}database unavailable: ${error.message}`, exitCode: STARTUP_EXIT_CODES.dependencyUnavailable };
  }
  return { text: `${prefix}failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, exitCode: 1 };
}
