import { STARTUP_EXIT_CODES } from './exitCodes.js';
import { StartupError } from './StartupError.js';

/** One environment variable that failed validation. */
export interface ConfigIssue {
  /** The environment variable, e.g. `PORT`. */
  readonly variable: string;
  /** What is wrong with it, e.g. `must be an integer 0-65535` or `is required`. */
  readonly problem: string;
  /** The raw value found (redacted for secret-looking names), or `undefined` when unset. */
  readonly received: string | undefined;
  /** Where the value came from when more than the environment is read, e.g. `Consul key msx/shop/orders/MAX_ITEMS`. */
  readonly source?: string;
}

/**
 * Exit code for a configuration error: EX_CONFIG from sysexits(3), so a
 * supervisor can tell "fix the environment" apart from a crash.
 */
export const CONFIG_ERROR_EXIT_CODE = STARTUP_EXIT_CODES.config;

/**
 * The environment does not satisfy the service's configuration schema.
 * Thrown by `createService` before anything starts; the message is one line
 * naming every bad variable, e.g.
 * `users: invalid configuration: PORT must be an integer 0-65535, got "abc"`.
 */
export class ConfigError extends StartupError {
  readonly issues: readonly ConfigIssue[];

  constructor(service: string, issues: readonly ConfigIssue[]) {
    super(service, `${service}: invalid configuration: ${issues.map(describeIssue).join('; ')}`, CONFIG_ERROR_EXIT_CODE);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

function describeIssue(issue: ConfigIssue): string {
  if (issue.received === undefined) return `${issue.variable} ${issue.problem}${issue.source ? ` (looked for in ${issue.source})` : ''}`;
  return `${issue.variable} ${issue.problem}, got ${JSON.stringify(issue.received)}${issue.source ? ` (from ${issue.source})` : ''}`;
}
