import { StartupError } from './errors/StartupError.js';

/**
 * Runs a service's start-up function as the process's entry point. A
 * `StartupError` (bad configuration, port in use) prints its one-line
 * message to stderr and exits with its code (78 for configuration), with no
 * stack trace; any other start-up failure prints its stack and exits 1.
 * Once started, the service's own signal handlers decide when to exit.
 *
 * @example
 * runService(async () => {
 *   const service = createService({ name: 'users' });
 *   service.app.get('/users/:id', getUser);
 *   await service.listen();
 * });
 */
export async function runService(main: () => unknown): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof StartupError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(error.exitCode);
    }
    process.stderr.write(`failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  }
}
