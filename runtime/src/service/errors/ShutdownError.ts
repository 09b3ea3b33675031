/** A registered resource whose close function threw or timed out. */
export interface CloseFailure {
  readonly resource: string;
  readonly error: unknown;
}

/**
 * Shutdown finished, but some resources failed to close. Every other
 * resource was still closed; `failures` says which did not.
 */
export class ShutdownError extends Error {
  readonly failures: readonly CloseFailure[];

  constructor(service: string, failures: readonly CloseFailure[]) {
    super(`${service}: ${failures.length} resource(s) failed to close: ${failures.map((f) => f.resource).join(', ')}`);
    this.name = 'ShutdownError';
    this.failures = failures;
  }
}
