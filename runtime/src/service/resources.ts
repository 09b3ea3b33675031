import type { Logger } from 'pino';
import type { CloseFailure } from './errors/ShutdownError.js';

/** Closes a resource (pool, connection, loop). May be async. */
export type CloseFn = () => unknown;

/**
 * Resources to close on shutdown, closed last-registered-first: what was
 * opened later usually depends on what was opened earlier (a consumer on a
 * connection), so it must go first.
 */
export class Resources {
  readonly #entries: { name: string; close: CloseFn }[] = [];

  add(name: string, close: CloseFn): void {
    this.#entries.push({ name, close });
  }

  /**
   * Closes every resource in reverse order, each bounded by `timeoutMs`. A
   * failure is logged and reported, and does not stop the others closing.
   */
  async closeAll(timeoutMs: number, log: Logger): Promise<CloseFailure[]> {
    const failures: CloseFailure[] = [];
    for (const { name, close } of this.#entries.splice(0).reverse()) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(close),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`did not close within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        log.debug({ resource: name }, 'resource closed');
      } catch (error) {
        log.error({ err: error, resource: name }, 'resource failed to close');
        failures.push({ resource: name, error });
      } finally {
        clearTimeout(timer);
      }
    }
    return failures;
  }
}
