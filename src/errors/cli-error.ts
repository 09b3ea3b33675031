/**
 * The one error type the CLI shows to a user. It carries the exit code the
 * process ends with and, when there is one, what to do next. Anything thrown
 * that is not a CliError is a bug in msx and is reported as such.
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly options: {
      /** 2 for usage or configuration mistakes, 1 for failures, 124 for a wait that ran out of time (as timeout(1)). */
      exitCode: 1 | 2 | 124;
      /** One line telling the user what to do next. */
      hint?: string;
      /** Extra lines printed between the message and the hint (e.g. a list of diagnostics). */
      details?: readonly string[];
      cause?: unknown;
    },
  ) {
    super(message, { cause: options.cause });
  }

  get exitCode(): 1 | 2 | 124 {
    return this.options.exitCode;
  }
}

/** A mistake in how the command was called: exit code 2. */
export function usageError(message: string, hint?: string): CliError {
  return new CliError(message, { exitCode: 2, hint });
}

/** Something that should have worked and did not: exit code 1. */
export function failure(message: string, hint?: string, cause?: unknown): CliError {
  return new CliError(message, { exitCode: 1, hint, cause });
}
