import { preloadTracing } from '../tracing/init-tracing.js';
import { startupFailureReport } from './errors/startupFailure.js';
import { passStartGate } from './startGate.js';
import { watchSupervisor } from './supervisorWatch.js';

/**
 * Runs a service's start-up function as the process's entry point. A
 * failure an operator can fix (bad configuration, port in use, a failed
 * migration, the database unreachable) prints one line to stderr and exits
 * with its own code from `STARTUP_EXIT_CODES` (78 for configuration, 75 for
 * a port in use, …), with no stack trace; any other start-up failure prints
 * its stack and exits 1. Once started, the service's own signal handlers
 * decide when to exit; under a supervisor (msx up) it also stops when the
 * supervisor dies, and `main` waits for the supervisor's go (startGate.ts):
 * the process loads its code beside the others, and starts once the
 * services it calls are ready.
 *
 * @example
 * runService(async () => {
 *   const service = createService({ name: 'users' });
 *   service.app.get('/users/:id', getUser);
 *   await service.listen();
 * });
 */
export async function runService(main: () => unknown): Promise<void> {
  watchSupervisor();
  await passStartGate(process.env, () => preloadTracing());
  try {
    await main();
  } catch (error) {
    const report = startupFailureReport(error);
    process.stderr.write(`${report.text}\n`);
    process.exit(report.exitCode);
  }
}
