/**
 * A service could not start for a reason its operator can fix (bad
 * environment, port in use). `runService` prints `message` as one line and
 * exits with `exitCode`, without a stack trace: the stack would only bury
 * the one fact the operator needs.
 */
export class StartupError extends Error {
  /** The service that failed to start, as given to `createService`. */
  readonly service: string;
  /** The process exit code `runService` uses for this failure. */
  readonly exitCode: number;

  constructor(service: string, message: string, exitCode: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
    this.service = service;
    this.exitCode = exitCode;
  }
}
